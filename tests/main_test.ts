// The CLI as a user runs it: the entry point and the one-file bundle, as separate processes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "./fixtures/temp.ts";
import denoJson from "../deno.json" with { type: "json" };

const root = new URL("..", import.meta.url).pathname;

async function run(args: string[], options: { entry?: string; cwd?: string } = {}) {
  const entry = options.entry ?? join(root, "main.ts");
  const out = await new Deno.Command("deno", {
    args: ["run", "-A", "--unstable-ffi", entry, ...args],
    cwd: options.cwd ?? root,
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("--version prints the version from deno.json", async () => {
  const r = await run(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `scx_gamer ${denoJson.version}`);
});

Deno.test("a bad flag exits 2 with one line on stderr", async () => {
  const r = await run(["--slice-us", "-3"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /^scx_gamer: --slice-us -3 is out of range/);
});

Deno.test("running the scheduler gives one clear line when it cannot attach, and detaches cleanly when it can", async () => {
  const state = (() => {
    try {
      return Deno.readTextFileSync("/sys/kernel/sched_ext/state").trim();
    } catch {
      return null;
    }
  })();
  const r = await run(["--duration", "1"]);
  if (state === null) {
    // This kernel has no sched_ext (the development host; the VM tests cover the other case).
    assert.equal(r.code, 1);
    assert.match(
      r.stderr.trim(),
      /^scx_gamer: this kernel \(.+\) has no sched_ext .* CONFIG_SCHED_CLASS_EXT=y$/,
    );
  } else if (state !== "disabled") {
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^scx_gamer: a sched_ext scheduler is already running/);
  } else {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^scx_gamer: attached/m);
    assert.match(r.stdout, /^scx_gamer: detached \(duration/m);
  }
});

Deno.test("exporting an empty data folder is an error naming it, and writes no file", async () => {
  const dir = tempDir();
  const csv = join(dir, "out.csv");
  const r = await run(["--ml-export-csv", csv, "--ml-dir", join(dir, "ml_data")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ml_data/);
  assert.throws(() => Deno.statSync(csv));
});

Deno.test("the one-file bundle runs away from the source tree and carries the BPF object", async () => {
  const bundle = join(root, "dist", "scx_gamer.js");
  const dir = tempDir();
  const copy = join(dir, "scx_gamer.js");
  await Deno.copyFile(bundle, copy);
  const help = await run(["--help"], { entry: copy, cwd: dir });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--ml-collect/);
  const text = await Deno.readTextFile(copy);
  assert.match(text, /SCX_GAMER_OBJECT_BASE64/);
  const b64 = /SCX_GAMER_OBJECT_BASE64 =\s*"([A-Za-z0-9+/=]+)"/.exec(text)![1];
  const elf = atob(b64.slice(0, 8));
  assert.equal(elf.slice(1, 4), "ELF");
});
