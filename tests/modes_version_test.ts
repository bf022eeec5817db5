import assert from "node:assert/strict";
import { buildCommit, formatVersion, libbpfStatus } from "../lib/modes/version.ts";
import { libbpfVersion } from "../lib/bpf/ffi.ts";

Deno.test("the version line names version, commit, BPF object hash and libbpf, or says what is missing", () => {
  assert.equal(
    formatVersion({ version: "0.1.0", commit: "4bbc990cf4d0", bpfSha256: "1a2b3c4d5e6f", libbpf: "1.4" }),
    "scx_gamer 0.1.0 (commit 4bbc990cf4d0, bpf 1a2b3c4d5e6f, libbpf 1.4)",
  );
  assert.equal(
    formatVersion({ version: "0.1.0", commit: null, bpfSha256: null, libbpf: "not found" }),
    "scx_gamer 0.1.0 (commit unknown, bpf not built, libbpf not found)",
  );
});

Deno.test("run from this checkout, the commit is git's HEAD, marked when tracked files changed", async () => {
  const git = async (args: string[]) =>
    new TextDecoder().decode(
      (await new Deno.Command("git", { args, cwd: new URL("..", import.meta.url).pathname }).output()).stdout,
    ).trim();
  const head = await git(["rev-parse", "--short=12", "HEAD"]);
  const dirty = (await git(["status", "--porcelain", "--untracked-files=no"])) !== "";
  assert.equal(await buildCommit(), dirty ? `${head}-modified` : head);
});

Deno.test("libbpf's status is the version this machine has", () => {
  assert.equal(libbpfStatus(), libbpfVersion());
});
