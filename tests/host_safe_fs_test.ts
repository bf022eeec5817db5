import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BadOwnerError,
  ensureRealDir,
  InputFileError,
  moveAside,
  ownerFromEnv,
  readFileNoFollow,
  readHeadNoFollow,
  readInputFile,
  UnsafePathError,
  writeFileAtomic,
  writeFileAtomicSync,
} from "../lib/host/safe_fs.ts";
import { tempDir } from "./fixtures/temp.ts";

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("writeFileAtomicSync replaces a file's content and leaves no temp file", () => {
  const dir = tempDir();
  const path = join(dir, "a.json");
  Deno.writeTextFileSync(path, "old");
  assert.equal(writeFileAtomicSync(path, "new"), true);
  assert.equal(Deno.readTextFileSync(path), "new");
  assert.deepEqual(names(dir), ["a.json"]);
});

Deno.test("writeFileAtomicSync abandoned before commit leaves the old file and no temp file", () => {
  const dir = tempDir();
  const path = join(dir, "a.json");
  Deno.writeTextFileSync(path, "old");
  assert.equal(writeFileAtomicSync(path, "new", { beforeCommit: () => false }), false);
  assert.equal(Deno.readTextFileSync(path), "old");
  assert.deepEqual(names(dir), ["a.json"]);
});

Deno.test("writeFileAtomicSync never writes through a symlink", () => {
  const dir = tempDir();
  const victim = join(tempDir(), "victim");
  Deno.writeTextFileSync(victim, "precious");
  Deno.symlinkSync(victim, join(dir, "a.json"));
  assert.throws(() => writeFileAtomicSync(join(dir, "a.json"), "x"), UnsafePathError);
  assert.equal(Deno.readTextFileSync(victim), "precious");
  assert.deepEqual(names(dir), ["a.json"]);
});

Deno.test("writeFileAtomic writes like the synchronous one", async () => {
  const dir = tempDir();
  const path = join(dir, "b.csv");
  assert.equal(await writeFileAtomic(path, "x,y\n"), true);
  assert.equal(Deno.readTextFileSync(path), "x,y\n");
  assert.deepEqual(names(dir), ["b.csv"]);
});

Deno.test("readFileNoFollow refuses a symlink and reads a regular file", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(join(dir, "real"), "data");
  Deno.symlinkSync(join(dir, "real"), join(dir, "link"));
  assert.equal(readFileNoFollow(join(dir, "real")), "data");
  assert.equal(readFileNoFollow(join(dir, "missing")), null);
  assert.throws(() => readFileNoFollow(join(dir, "link")), UnsafePathError);
});

Deno.test("readHeadNoFollow reads only the first bytes", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(join(dir, "f"), "abcdef");
  assert.equal(readHeadNoFollow(join(dir, "f"), 3), "abc");
});

Deno.test("ensureRealDir creates a 0755 folder whatever the umask and refuses a symlink", () => {
  const base = tempDir();
  const old = Deno.umask(0o077);
  try {
    assert.equal(ensureRealDir(join(base, "d"), null), true);
  } finally {
    Deno.umask(old);
  }
  assert.equal(Deno.statSync(join(base, "d")).mode! & 0o777, 0o755);
  assert.equal(ensureRealDir(join(base, "d"), null), false);
  Deno.symlinkSync(join(base, "d"), join(base, "l"));
  assert.throws(() => ensureRealDir(join(base, "l"), null), UnsafePathError);
  Deno.writeTextFileSync(join(base, "f"), "");
  assert.throws(() => ensureRealDir(join(base, "f"), null), /not a directory/);
});

Deno.test("moveAside numbers a second file kept aside in the same second instead of replacing the first", () => {
  const dir = tempDir();
  const now = new Date("2025-01-02T03:04:05.678Z");
  Deno.writeTextFileSync(join(dir, "g.json"), "one");
  const first = moveAside(join(dir, "g.json"), now);
  Deno.writeTextFileSync(join(dir, "g.json"), "two");
  const second = moveAside(join(dir, "g.json"), now);
  assert.equal(first, join(dir, "g.corrupt-20250102T030405Z.json"));
  assert.equal(second, join(dir, "g.corrupt-20250102T030405Z-2.json"));
  assert.equal(Deno.readTextFileSync(first), "one");
  assert.equal(Deno.readTextFileSync(second), "two");
  assert.deepEqual(names(dir), ["g.corrupt-20250102T030405Z-2.json", "g.corrupt-20250102T030405Z.json"]);
});

Deno.test("ownerFromEnv reads SUDO_UID and SUDO_GID, and is null without sudo", () => {
  assert.deepEqual(ownerFromEnv(new Map([["SUDO_UID", "1000"], ["SUDO_GID", "100"]])), {
    uid: 1000,
    gid: 100,
  });
  assert.equal(ownerFromEnv(new Map()), null);
});

Deno.test("ownerFromEnv names the variable that is not a numeric id", () => {
  assert.throws(
    () => ownerFromEnv(new Map([["SUDO_UID", "1000"], ["SUDO_GID", "wheel"]])),
    (e: Error) =>
      e instanceof BadOwnerError &&
      e.message === "SUDO_GID 'wheel' is not a numeric id: expected the ids sudo sets",
  );
  assert.throws(() => ownerFromEnv(new Map([["SUDO_UID", "-1"]])), /SUDO_UID '-1'/);
});

Deno.test("both atomic writes give the file mode 0644 and the owner, whatever the umask", async () => {
  const dir = tempDir();
  const owner = { uid: 3333, gid: 4444 };
  const old = Deno.umask(0o077);
  try {
    writeFileAtomicSync(join(dir, "s"), "x", { owner });
    await writeFileAtomic(join(dir, "a"), "x", { owner });
  } finally {
    Deno.umask(old);
  }
  for (const name of ["s", "a"]) {
    const st = Deno.lstatSync(join(dir, name));
    assert.equal(st.mode! & 0o777, 0o644, name);
    assert.equal(st.uid, 3333, name);
    assert.equal(st.gid, 4444, name);
  }
});

Deno.test("readInputFile reads a regular file and refuses a FIFO at once, without blocking", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/a.csv`, "x,y\n1,2\n");
  assert.equal(readInputFile(`${dir}/a.csv`, { what: "--ml-train CSV", maxBytes: 100 }), "x,y\n1,2\n");
  const fifo = `${dir}/f`;
  new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
  assert.throws(
    () => readInputFile(fifo, { what: "--grid file", maxBytes: 100 }),
    (e: Error) => e instanceof InputFileError && e.message === `--grid file ${fifo}: not a regular file`,
  );
});

Deno.test("readInputFile refuses devices, oversized files, empty names and missing files with one line", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/big`, "x".repeat(200));
  const what = "--ml-train CSV";
  assert.throws(() => readInputFile("/dev/zero", { what, maxBytes: 100 }), /\/dev\/zero: not a regular file/);
  assert.throws(
    () => readInputFile(`${dir}/big`, { what, maxBytes: 100 }),
    /200 bytes is more than the 100 allowed/,
  );
  assert.throws(() => readInputFile("", { what, maxBytes: 100 }), /--ml-train CSV: expected a file name/);
  assert.throws(() => readInputFile(`${dir}/none`, { what, maxBytes: 100 }), /none: no such file/);
});
