/**
 * The store's careful file operations. The binary runs as root inside a folder the user (or anyone
 * with write access to it) controls, so nothing here follows a symlink: directories are checked with
 * lstat, files are opened with O_NOFOLLOW, new files are created with O_EXCL (which also refuses a
 * planted dangling link), and a file is replaced only by renaming a fully written and fsynced temp
 * file over it, so a crash leaves either the old or the new content, never half of one.
 *
 * @module
 */

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A path the store refuses to use (a symlink, not a directory, ...). `message` is the one line to print. */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
}

/** A read or write of the store failed. `message` is the one line to print. */
export class StoreIoError extends Error {
  override name = "StoreIoError";
}

/** SUDO_UID or SUDO_GID is set but is not a numeric id. `message` is the one line to print. */
export class BadOwnerError extends Error {
  override name = "BadOwnerError";
}

/** Who should own what the store creates: the user behind sudo, so they can commit their data. */
export interface Owner {
  uid: number;
  gid: number;
}

/** Mode of created directories. */
export const DIR_MODE = 0o755;
/** Mode of written files. */
export const FILE_MODE = 0o644;

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fs.constants;

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Where {@link ownerFromEnv} reads variables from: `Deno.env` or a test's map. */
export interface EnvReader {
  get(key: string): string | undefined;
}

/**
 * The owner to give created files to, from SUDO_UID/SUDO_GID, or null when SUDO_UID is unset. The
 * caller decides whether to apply it (only root can give files away; see `GameStore`).
 *
 * @throws {BadOwnerError} when SUDO_UID is set but it or SUDO_GID is not a numeric id.
 */
export function ownerFromEnv(env: EnvReader = Deno.env): Owner | null {
  const uid = env.get("SUDO_UID");
  const gid = env.get("SUDO_GID");
  if (uid === undefined || uid === "") return null;
  const parse = (name: string, value: string | undefined): number => {
    if (value === undefined || !/^\d{1,10}$/.test(value)) {
      throw new BadOwnerError(`${name} '${value ?? ""}' is not a numeric id: expected the ids sudo sets`);
    }
    return Number(value);
  };
  return { uid: parse("SUDO_UID", uid), gid: parse("SUDO_GID", gid) };
}

/**
 * Set the mode of an open file or directory and give it to `owner` (when there is one). Working on
 * the fd, not the path, means a name swapped for a symlink meanwhile cannot redirect the change.
 */
function setModeAndOwner(fd: number, what: string, mode: number, owner: Owner | null): void {
  try {
    fs.fchmodSync(fd, mode);
    if (owner !== null) fs.fchownSync(fd, owner.uid, owner.gid);
  } catch (err) {
    throw new StoreIoError(`cannot set the mode or owner of ${what}: ${reason(err)}`);
  }
}

/**
 * lstat a path, or null when it does not exist. Never follows a final symlink.
 */
export function lstatOrNull(path: string): fs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch (err) {
    if (errCode(err) === "ENOENT") return null;
    throw new StoreIoError(`cannot inspect ${path}: ${reason(err)}`);
  }
}

/**
 * Make sure `dir` is a real directory (not a symlink), creating it with mode 0755 and giving it to
 * `owner` when missing. Returns true when it was created.
 *
 * @throws {UnsafePathError} when it is a symlink or not a directory.
 */
export function ensureRealDir(dir: string, owner: Owner | null): boolean {
  const st = lstatOrNull(dir);
  if (st !== null) {
    checkRealDir(dir, st);
    return false;
  }
  try {
    fs.mkdirSync(dir, { mode: DIR_MODE });
  } catch (err) {
    // Someone made it between our lstat and mkdir: accept it only if it is a real directory.
    if (errCode(err) !== "EEXIST") throw new StoreIoError(`cannot create ${dir}: ${reason(err)}`);
    checkRealDir(dir, fs.lstatSync(dir));
    return false;
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    // Swapped for a link or a file right after we made it.
    throw new UnsafePathError(
      `refusing to use ${dir}: it changed right after it was created (${reason(err)})`,
    );
  }
  try {
    // mkdir's mode is filtered by the umask; the data folder should be readable whatever it is.
    setModeAndOwner(fd, dir, DIR_MODE, owner);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** Throw unless `st` (from lstat of `dir`) is a real directory. */
export function checkRealDir(dir: string, st: fs.Stats): void {
  if (st.isSymbolicLink()) {
    throw new UnsafePathError(`refusing to use ${dir}: it is a symlink (the store never follows links)`);
  }
  if (!st.isDirectory()) throw new UnsafePathError(`refusing to use ${dir}: it is not a directory`);
}

/** Throw unless `path` is absent or a regular file (never a symlink, fifo or device). */
export function checkRegularOrAbsent(path: string): fs.Stats | null {
  const st = lstatOrNull(path);
  if (st === null) return null;
  if (st.isSymbolicLink()) {
    throw new UnsafePathError(`refusing to use ${path}: it is a symlink (the store never follows links)`);
  }
  if (!st.isFile()) throw new UnsafePathError(`refusing to use ${path}: it is not a regular file`);
  return st;
}

/**
 * Open a regular file for reading without following a symlink (O_NOFOLLOW) and without blocking on a
 * fifo (O_NONBLOCK). Returns the fd, or null when the file does not exist.
 */
function openRegularNoFollow(path: string): number | null {
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (errCode(err) === "ENOENT") return null;
    if (errCode(err) === "ELOOP") {
      throw new UnsafePathError(`refusing to read ${path}: it is a symlink (the store never follows links)`);
    }
    throw new StoreIoError(`cannot read ${path}: ${reason(err)}`);
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new UnsafePathError(`refusing to read ${path}: it is not a regular file`);
  }
  return fd;
}

/**
 * Read a whole regular file as UTF-8 without following a symlink, or null when it does not exist.
 *
 * @throws {UnsafePathError} when it is a symlink or not a regular file.
 */
export function readFileNoFollow(path: string): string | null {
  const fd = openRegularNoFollow(path);
  if (fd === null) return null;
  try {
    return fs.readFileSync(fd, "utf8");
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The first `maxBytes` bytes of a regular file as text, read without following a symlink, or null
 * when it does not exist.
 *
 * @throws {UnsafePathError} when it is a symlink or not a regular file.
 */
export function readHeadNoFollow(path: string, maxBytes: number): string | null {
  const fd = openRegularNoFollow(path);
  if (fd === null) return null;
  try {
    const buf = new Uint8Array(maxBytes);
    const n = fs.readSync(fd, buf, 0, maxBytes, 0);
    return new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync a directory so a rename inside it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, O_RDONLY);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

let tempCounter = 0;

/** A temp name next to `path`: hidden (safe names never start with a dot) and unique to this process. */
export function tempPathFor(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(16);
  return join(dirname(path), `.${basename(path)}.tmp-${Deno.pid}-${++tempCounter}-${rand}`);
}

/** Options of the atomic writes. */
export interface AtomicWriteOptions {
  /** Give the written file to this user (see {@link ownerFromEnv}). */
  owner?: Owner | null;
  /**
   * Called after the temp file is durable and right before it is renamed over `path`; returning
   * false abandons the write (the temp file is removed). Runs synchronously with the rename, so
   * nothing can slip in between.
   */
  beforeCommit?: () => boolean;
}

/** O_EXCL|O_NOFOLLOW: a temp file never reuses or follows anything already there. */
const TEMP_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

function createTemp(path: string): { tmp: string; fd: number } {
  const tmp = tempPathFor(path);
  try {
    return { tmp, fd: fs.openSync(tmp, TEMP_FLAGS, FILE_MODE) };
  } catch (err) {
    throw new StoreIoError(`cannot create a temp file next to ${path}: ${reason(err)}`);
  }
}

function removeQuietly(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // Already gone: nothing left behind.
  }
}

/** Rename the finished temp file into place and make the rename durable. */
function commit(tmp: string, path: string, options: AtomicWriteOptions): boolean {
  if (options.beforeCommit && !options.beforeCommit()) {
    removeQuietly(tmp);
    return false;
  }
  // The target must not have turned into a link or directory while we wrote.
  checkRegularOrAbsent(path);
  try {
    fs.renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw new StoreIoError(`cannot replace ${path}: ${reason(err)}`);
  }
  fsyncDir(dirname(path));
  return true;
}

/**
 * Write `data` to `path` atomically: temp file in the same directory (O_EXCL|O_NOFOLLOW) -> write ->
 * fsync -> rename -> fsync the directory. Returns false when `beforeCommit` abandoned it.
 *
 * @throws {UnsafePathError} when `path` is a symlink or not a regular file.
 * @throws {StoreIoError} when a step fails; the old file is then untouched and no temp file is left.
 */
export function writeFileAtomicSync(path: string, data: string, options: AtomicWriteOptions = {}): boolean {
  checkRegularOrAbsent(path);
  const { tmp, fd } = createTemp(path);
  try {
    try {
      // The mode set on creation is filtered by the umask; set it exactly.
      setModeAndOwner(fd, tmp, FILE_MODE, options.owner ?? null);
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    removeQuietly(tmp);
    if (err instanceof StoreIoError) throw err;
    throw new StoreIoError(`cannot write ${path}: ${reason(err)}`);
  }
  return commit(tmp, path, options);
}

/**
 * The same as {@link writeFileAtomicSync}, writing the temp file without blocking; the final check and
 * rename run synchronously together so a concurrent synchronous save cannot interleave with them.
 */
export async function writeFileAtomic(
  path: string,
  data: string,
  options: AtomicWriteOptions = {},
): Promise<boolean> {
  checkRegularOrAbsent(path);
  const tmp = tempPathFor(path);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(tmp, TEMP_FLAGS, FILE_MODE);
  } catch (err) {
    throw new StoreIoError(`cannot create a temp file next to ${path}: ${reason(err)}`);
  }
  try {
    try {
      setModeAndOwner(handle.fd, tmp, FILE_MODE, options.owner ?? null);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    removeQuietly(tmp);
    if (err instanceof StoreIoError) throw err;
    throw new StoreIoError(`cannot write ${path}: ${reason(err)}`);
  }
  return commit(tmp, path, options);
}

/** Filesystems without hard links (FAT, some FUSE) answer link() with one of these. */
const NO_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

/** Rename `from` to `to`, failing with EEXIST rather than replacing an existing `to`. */
function linkOrRenameNoClobber(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
    fs.unlinkSync(from);
    return;
  } catch (err) {
    if (!NO_LINKS.has(errCode(err) ?? "")) throw err;
  }
  // No hard links here: check, then rename (a narrow race, but only on such filesystems).
  if (lstatOrNull(to) !== null) throw Object.assign(new Error(`${to} exists`), { code: "EEXIST" });
  fs.renameSync(from, to);
}

/**
 * Move `path` aside to `{stem}.corrupt-{UTC time}.json` (with "-2", "-3", ... when taken) without ever
 * replacing an existing file: a hard link is made under the new name (which fails if it exists) and
 * only then the old name removed. Returns the new path.
 */
export function moveAside(path: string, now: Date): string {
  const stem = basename(path).replace(/\.json$/, "");
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 1; n < 1000; n++) {
    const aside = join(dirname(path), `${stem}.corrupt-${stamp}${n === 1 ? "" : "-" + n}.json`);
    try {
      linkOrRenameNoClobber(path, aside);
    } catch (err) {
      if (errCode(err) === "EEXIST") continue;
      throw new StoreIoError(`cannot keep ${path} aside as ${aside}: ${reason(err)}`);
    }
    fsyncDir(dirname(path));
    return aside;
  }
  throw new StoreIoError(`cannot keep ${path} aside: 999 files named ${stem}.corrupt-${stamp}*.json exist`);
}

/** A file the user named cannot be used as input. `message` is the one line to print. */
export class InputFileError extends Error {
  override name = "InputFileError";
}

/** Options of {@link readInputFile}. */
export interface InputFileOptions {
  /** What the file is, for messages: "--ml-train CSV", "--grid file", ... */
  what: string;
  /** Refuse files larger than this many bytes. */
  maxBytes: number;
}

/**
 * Read a file the user named on the command line (a CSV, a grid, a config): only a regular file, at
 * most `maxBytes`, as UTF-8. A FIFO or device is refused without blocking (O_NONBLOCK, then fstat), and
 * the size is checked on the open file and again while reading, so a file that grows meanwhile (or
 * /dev/zero behind a name) never makes us read without end. Symlinks are followed: the user chose it.
 *
 * @throws {InputFileError} naming `what` and the path when it is missing, not a regular file, too large
 * or unreadable.
 */
export function readInputFile(path: string, options: InputFileOptions): string {
  const { what, maxBytes } = options;
  if (path === "") throw new InputFileError(`${what}: expected a file name, got an empty one`);
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NONBLOCK);
  } catch (err) {
    const code = errCode(err);
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : reason(err);
    throw new InputFileError(`${what} ${path}: ${why}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new InputFileError(`${what} ${path}: not a regular file`);
    if (st.size > maxBytes) {
      throw new InputFileError(`${what} ${path}: ${st.size} bytes is more than the ${maxBytes} allowed`);
    }
    const buf = new Uint8Array(Math.min(maxBytes, st.size) + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > maxBytes) {
        throw new InputFileError(`${what} ${path}: grew past the ${maxBytes} bytes allowed while being read`);
      }
      if (n === buf.length) break;
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      throw new InputFileError(`${what} ${path}: not UTF-8 text`);
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(`${what} ${path}: ${reason(err)}`);
  } finally {
    fs.closeSync(fd);
  }
}
