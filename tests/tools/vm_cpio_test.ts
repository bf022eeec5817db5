import assert from "node:assert/strict";
import { cpioBytes, CpioPathError } from "../../tools/vm/cpio.ts";

const enc = new TextEncoder();

Deno.test("an archive unpacks with the host's cpio to the same folders, files, modes and links", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cpio_test_" });
  try {
    const odd = new Uint8Array([0, 1, 2, 255]); // a length that is not a multiple of 4, with binary bytes
    const archive = cpioBytes([
      { kind: "dir", path: "/bin" },
      { kind: "file", path: "/bin/hello", data: enc.encode("#!/bin/sh\necho hi\n"), mode: 0o755 },
      { kind: "file", path: "/bin/odd", data: odd },
      { kind: "file", path: "/empty", data: new Uint8Array(0) },
      { kind: "symlink", path: "/hi", target: "bin/hello" },
    ]);
    assert.equal(archive.length % 4, 0);
    const child = new Deno.Command("cpio", {
      args: ["-idm", "--quiet"],
      cwd: dir,
      stdin: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(archive);
    await writer.close();
    const out = await child.output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.equal(await Deno.readTextFile(`${dir}/bin/hello`), "#!/bin/sh\necho hi\n");
    assert.equal((await Deno.stat(`${dir}/bin/hello`)).mode! & 0o777, 0o755);
    assert.deepEqual(await Deno.readFile(`${dir}/bin/odd`), odd);
    assert.equal((await Deno.stat(`${dir}/empty`)).size, 0);
    assert.equal(await Deno.readLink(`${dir}/hi`), "bin/hello");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("identical entries give byte-identical archives", () => {
  const entries = () => [{ kind: "file" as const, path: "/a", data: enc.encode("x") }];
  assert.deepEqual(cpioBytes(entries()), cpioBytes(entries()));
});

Deno.test("a path with .. or without a name is refused with a clear line", () => {
  assert.throws(() => cpioBytes([{ kind: "dir", path: "/a/../etc" }]), CpioPathError);
  assert.throws(() => cpioBytes([{ kind: "dir", path: "/" }]), /cpio: bad archive path '\/'/);
});
