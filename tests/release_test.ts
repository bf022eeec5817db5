// `deno task release` packs what a user installs; the packed scx_gamer (the binary, or the bundle
// behind its launcher where deno compile cannot fetch its base) passes the smoke test unpacked.
import assert from "node:assert/strict";
import { join } from "node:path";
import { libbpfVersion } from "../lib/bpf/ffi.ts";
import denoJson from "../deno.json" with { type: "json" };
import { smokeTest } from "./fixtures/smoke.ts";
import { tempDir } from "./fixtures/temp.ts";

const root = new URL("..", import.meta.url).pathname;

Deno.test("the release archive holds the program, the unit, its defaults, the wrapper and the note, and works unpacked", async () => {
  const out = tempDir("release_");
  const r = await new Deno.Command("bash", {
    args: [join(root, "scripts/release.sh")],
    env: { RELEASE_DIR: out },
  }).output();
  const stdout = new TextDecoder().decode(r.stdout).trim();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const archive = stdout.split("\n").at(-1)!;
  assert.match(archive, /scx_gamer-[\d.]+-[\w]+-linux\.tar\.gz$/);

  const unpacked = tempDir("unpacked_");
  const tar = await new Deno.Command("tar", { args: ["-xzf", archive, "-C", unpacked] }).output();
  assert.equal(tar.code, 0);
  const dir = join(unpacked, archive.split("/").at(-1)!.replace(/\.tar\.gz$/, ""));
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  const bundled = files.includes("scx_gamer.js");
  assert.deepEqual(
    files,
    [
      "INSTALL.md",
      "scx_gamer",
      "scx_gamer-run",
      ...(bundled ? ["scx_gamer.js"] : []),
      "scx_gamer.default",
      "scx_gamer.service",
    ].sort(),
  );
  const head = Deno.readFileSync(join(dir, "scx_gamer")).subarray(0, 4);
  if (bundled) {
    // Packed as the bundle only because compile said it cannot fetch its base here.
    assert.match(stdout, /^release: deno compile cannot fetch its runtime base here: packing the bundle/m);
    assert.equal(new TextDecoder().decode(head.subarray(0, 2)), "#!");
  } else {
    assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46], "an ELF binary");
  }
  for (const f of ["scx_gamer.service", "scx_gamer.default", "scx_gamer-run", "INSTALL.md"]) {
    const packed = Deno.readTextFileSync(join(dir, f));
    const source = Deno.readTextFileSync(join(root, "packaging", f));
    assert.equal(packed, source, `${f} packed as it is in packaging/`);
  }
  assert.equal(Deno.statSync(join(dir, "scx_gamer-run")).mode! & 0o111, 0o111, "the wrapper is executable");

  const { BUILD_COMMIT } = await import("../lib/generated/build_info.ts");
  const { SCX_GAMER_OBJECT_SHA256 } = await import("../lib/bpf/generated/scx_gamer_object.ts");
  await smokeTest(
    [join(dir, "scx_gamer")],
    `scx_gamer ${denoJson.version} (commit ${BUILD_COMMIT ?? "unknown"}, bpf ${
      SCX_GAMER_OBJECT_SHA256.slice(0, 12)
    }, libbpf ${libbpfVersion()})`,
  );
});
