import assert from "node:assert/strict";
import { HostFileError, mirrorHostPath, sharedLibraries } from "../../tools/vm/host_files.ts";

Deno.test("a path through a symlinked folder is mirrored as the link plus the real file", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "host_files_test_" }));
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.writeTextFile(`${dir}/real/lib.so`, "ELF?");
    await Deno.chmod(`${dir}/real/lib.so`, 0o755);
    await Deno.symlink("real", `${dir}/link`);
    const seen = new Set<string>();
    const entries = mirrorHostPath(`${dir}/link/lib.so`, seen);
    const link = entries.find((e) => e.path === `${dir}/link`);
    const file = entries.find((e) => e.path === `${dir}/real/lib.so`);
    assert.deepEqual(link, { kind: "symlink", path: `${dir}/link`, target: "real" });
    assert.ok(file && file.kind === "file" && file.mode === 0o755);
    assert.equal(new TextDecoder().decode(file.data), "ELF?");
    assert.equal(
      mirrorHostPath(`${dir}/real/lib.so`, seen).length,
      0,
      "already emitted paths are not repeated",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing host file is reported with its path", () => {
  assert.throws(() => mirrorHostPath("/nonexistent/libfoo.so", new Set()), HostFileError);
  assert.throws(
    () => mirrorHostPath("/nonexistent/libfoo.so", new Set()),
    /\/nonexistent: missing on the host/,
  );
});

Deno.test("sharedLibraries lists the loader and libc of a dynamic binary", () => {
  const libs = sharedLibraries("/usr/bin/cyclictest");
  assert.ok(libs.some((l) => /\/libc\.so\.6$/.test(l)), libs.join(" "));
  assert.ok(libs.some((l) => /ld-linux-x86-64\.so\.2$/.test(l)), libs.join(" "));
  assert.ok(libs.every((l) => l.startsWith("/")));
});

Deno.test("sharedLibraries is empty for a static binary", () => {
  assert.deepEqual(sharedLibraries("/bin/busybox"), []);
});
