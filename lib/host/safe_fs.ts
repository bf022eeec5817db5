/**
 * The store's careful file operations. The binary runs as root and writes where the user points it, so:
 * - every folder it writes into must pass `trust.ts` (only root, us and the sudo user can change any
 *   folder from `/` down to it), so nobody else can swap a folder for a symlink under us;
 * - nothing here follows a symlink in the last component: directories are checked with lstat, files are
 *   opened with O_NOFOLLOW, new files are created with O_EXCL (which also refuses a planted dangling
 *   link);
 * - a file is replaced only by renaming a fully written and fsynced temp file over it, so a crash
 *   leaves either the old or the new content, never half of one; the temp file is removed on every
 *   failure path, and {@link cleanStaleTemps} removes those a killed process left;
 * - every file read is a regular file (a FIFO never blocks us) of bounded size;
 * - every message names the file and says what was expected, with control characters escaped.
 *
 * @module
 */

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { printable } from "./terminal.ts";
import {
  checkTrustedDir,
  checkTrustedPath,
  processTrust,
  type TrustPolicy,
  UnsafePathError,
} from "./trust.ts";

export { UnsafePathError };
export type { TrustPolicy };

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

/** Plain words for the errors a file operation meets, instead of `ENOSPC: ..., write` or `(os error 28)`. */
const OS_REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "the file system is read-only",
  EEXIST: "it already exists",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  ELOOP: "it is a symlink",
  ENAMETOOLONG: "the name is too long",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
  EIO: "input/output error",
  EXDEV: "it is on another file system",
  EBUSY: "it is busy",
  ETXTBSY: "it is busy",
  EFBIG: "the file is too large",
  ESTALE: "stale file handle (network file system)",
};

/** The plain-words reason of an OS error (see OS_REASONS), else its message without the errno. */
export function osReason(err: unknown): string {
  const code = errCode(err);
  if (code !== undefined && code in OS_REASONS) return OS_REASONS[code];
  const message = err instanceof Error ? err.message : String(err);
  return printable(message.replace(/\s*\(os error \d+\)/, ""));
}

function reason(err: unknown): string {
  return osReason(err);
}

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A path as shown in messages: control characters escaped. */
const shown = (path: string): string => printable(path);

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

/** Options of the functions that create folders and write files. */
export interface WriteTarget {
  /** Give what is created to this user (see {@link ownerFromEnv}); null or absent: leave it ours. */
  owner?: Owner | null;
  /** Who may change the folders on the way. Default: this process's policy (root, us, SUDO_UID). */
  trust?: TrustPolicy;
}

/**
 * The policy a write follows: the one given (default: this process's), with the owner we write for
 * added, since whoever we give files to can change them anyway. Lock files (file_lock.ts) follow it too.
 */
export function effectiveTrust(options: WriteTarget): TrustPolicy {
  const base = options.trust ?? processTrust();
  const owner = options.owner ?? null;
  if (owner === null || base.uids.has(owner.uid)) return base;
  return { ...base, uids: new Set([...base.uids, owner.uid]) };
}

/**
 * Errors a chown by root gets only from a file system that keeps no owners (exFAT, FAT, some FUSE):
 * there every file belongs to whoever mounted it, so there is nothing to give away.
 */
const NO_OWNERS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

/**
 * The owner to give what we create to: SUDO_UID/SUDO_GID when we run as root, else nobody (only root
 * can give files away, and a user's own files are already theirs).
 *
 * @throws {BadOwnerError} when SUDO_UID is set but not a numeric id.
 */
export function defaultOwner(env: EnvReader = Deno.env): Owner | null {
  let root = false;
  try {
    root = Deno.uid() === 0;
  } catch {
    // No permission to ask: we cannot give files away either.
  }
  return root ? ownerFromEnv(env) : null;
}

/**
 * Set the mode of an open file or directory and give it to `owner` (when there is one). Working on
 * the fd, not the path, means a name swapped for a symlink meanwhile cannot redirect the change.
 */
function setModeAndOwner(fd: number, what: string, mode: number, owner: Owner | null): void {
  try {
    fs.fchmodSync(fd, mode);
  } catch (err) {
    throw new StoreIoError(`cannot set the mode of ${shown(what)}: ${reason(err)}`);
  }
  if (owner === null) return;
  try {
    fs.fchownSync(fd, owner.uid, owner.gid);
  } catch (err) {
    if (NO_OWNERS.has(errCode(err) ?? "")) return;
    throw new StoreIoError(`cannot give ${shown(what)} to uid ${owner.uid}: ${reason(err)}`);
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
    throw new StoreIoError(`cannot inspect ${shown(path)}: ${reason(err)}`);
  }
}

/** Throw unless `st` (from lstat of `dir`) is a real directory. */
export function checkRealDir(dir: string, st: fs.Stats): void {
  if (st.isSymbolicLink()) {
    throw new UnsafePathError(
      `refusing to use ${shown(dir)}: it is a symlink (the store never follows links); expected a folder`,
    );
  }
  if (!st.isDirectory()) {
    throw new UnsafePathError(`refusing to use ${shown(dir)}: it is not a directory; expected a folder`);
  }
}

/** Create one folder whose parent exists and passed the policy, give it to `owner`. */
function mkdirOne(dir: string, owner: Owner | null, trust: TrustPolicy): boolean {
  try {
    fs.mkdirSync(dir, { mode: DIR_MODE });
  } catch (err) {
    // Someone made it between our check and mkdir: accept it only if it is a real, trusted directory.
    if (errCode(err) !== "EEXIST") {
      throw new StoreIoError(`cannot create the folder ${shown(dir)}: ${reason(err)}`);
    }
    const st = fs.lstatSync(dir);
    checkRealDir(dir, st);
    checkTrustedDir(dir, st, trust);
    return false;
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    throw new UnsafePathError(
      `refusing to use ${shown(dir)}: it changed right after it was created (${reason(err)})`,
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

/** A folder made ready by {@link prepareDir}. */
export interface PreparedDir {
  /** Its absolute path with no symlinks: use this one from now on. */
  path: string;
  /** True when (some of) it was created. */
  created: boolean;
}

/**
 * Make sure `dir` is a real directory on a path only trusted users can change (see `trust.ts`), creating
 * it (and, with `parents`, its missing parents) with mode 0755, each given to `owner`.
 *
 * @throws {UnsafePathError} when it or a folder above it is a symlink we may not follow, not a
 * directory, or can be changed by another user.
 * @throws {StoreIoError} when it cannot be created.
 *
 * @example
 * ```ts
 * const { path } = prepareDir("ml/models", { owner: ownerFromEnv(), parents: true });
 * ```
 */
export function prepareDir(dir: string, options: WriteTarget & { parents?: boolean } = {}): PreparedDir {
  if (dir === "") throw new UnsafePathError("expected a folder name, got an empty one");
  const trust = effectiveTrust(options);
  const owner = options.owner ?? null;
  // The folder itself is never a symlink (its parents may be, when trusted users own them).
  const own = lstatOrNull(dir);
  if (own !== null) checkRealDir(dir, own);
  const abs = checkTrustedPath(dir, trust);
  const st = lstatOrNull(abs);
  if (st !== null) {
    checkRealDir(abs, st);
    return { path: abs, created: false };
  }
  const missing: string[] = [];
  for (let p = abs; lstatOrNull(p) === null; p = dirname(p)) missing.unshift(p);
  if (missing.length > 1 && !options.parents) {
    throw new StoreIoError(
      `cannot create the folder ${shown(dir)}: ${
        shown(dirname(abs))
      } does not exist; expected an existing parent folder`,
    );
  }
  let created = false;
  for (const m of missing) created = mkdirOne(m, owner, trust) || created;
  return { path: abs, created };
}

/**
 * Make sure `dir` is a real, trusted directory, creating it (not its parents) when missing. Returns
 * true when it was created. See {@link prepareDir}, which also returns the resolved path.
 *
 * @throws {UnsafePathError} when it is a symlink, not a directory, or on a path another user can change.
 */
export function ensureRealDir(
  dir: string,
  owner: Owner | null,
  options: { trust?: TrustPolicy } = {},
): boolean {
  return prepareDir(dir, { owner, trust: options.trust }).created;
}

/** Throw unless `path` is absent or a regular file (never a symlink, fifo or device). */
export function checkRegularOrAbsent(path: string): fs.Stats | null {
  const st = lstatOrNull(path);
  if (st === null) return null;
  if (st.isSymbolicLink()) {
    throw new UnsafePathError(
      `refusing to use ${
        shown(path)
      }: it is a symlink (the store never follows links); expected a regular file`,
    );
  }
  if (!st.isFile()) throw new UnsafePathError(`refusing to use ${shown(path)}: it is not a regular file`);
  return st;
}

/** Largest file the store reads by default: about 13 days of samples of one game. */
export const MAX_READ_BYTES = 256 * 1024 * 1024;

/** Options of {@link readFileNoFollow}. */
export interface ReadOptions {
  /** Refuse files larger than this. Default {@link MAX_READ_BYTES}. */
  maxBytes?: number;
  /** What the file is, for messages ("samples file", "sweep state file"). Default "file". */
  what?: string;
}

/**
 * Open a regular file for reading without following a symlink (O_NOFOLLOW) and without blocking on a
 * fifo (O_NONBLOCK). Returns the fd, or null when the file does not exist.
 */
function openRegularNoFollow(path: string, what: string): number | null {
  let fd: number;
  try {
    fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (errCode(err) === "ENOENT") return null;
    if (errCode(err) === "ELOOP") {
      throw new UnsafePathError(
        `refusing to read ${
          shown(path)
        }: it is a symlink (the store never follows links); expected a regular ${what}`,
      );
    }
    throw new StoreIoError(`cannot read ${shown(path)}: ${reason(err)}`);
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new UnsafePathError(
      `refusing to read ${shown(path)}: it is not a regular file; expected a ${what}`,
    );
  }
  return fd;
}

/** Read at most `maxBytes` + 1 bytes of an open file, so a file over the cap is noticed, not read whole. */
function readCapped(fd: number, path: string, what: string, maxBytes: number): Uint8Array {
  const size = fs.fstatSync(fd).size;
  if (size > maxBytes) {
    throw new StoreIoError(
      `refusing to read ${shown(path)}: ${size} bytes is more than the ${maxBytes} a ${what} may have`,
    );
  }
  const buf = new Uint8Array(size + 1);
  let n = 0;
  for (;;) {
    if (n === buf.length) break;
    const got = fs.readSync(fd, buf, n, buf.length - n, n);
    if (got === 0) break;
    n += got;
  }
  if (n > size) {
    // It grew while we read: read on only up to the cap.
    const more = new Uint8Array(maxBytes + 1);
    more.set(buf.subarray(0, n));
    for (;;) {
      if (n > maxBytes) {
        throw new StoreIoError(
          `refusing to read ${shown(path)}: it grew past the ${maxBytes} bytes a ${what} may have`,
        );
      }
      const got = fs.readSync(fd, more, n, more.length - n, n);
      if (got === 0) return more.subarray(0, n);
      n += got;
    }
  }
  return buf.subarray(0, n);
}

/**
 * Read a whole regular file as UTF-8 without following a symlink, or null when it does not exist.
 *
 * @throws {UnsafePathError} when it is a symlink or not a regular file.
 * @throws {StoreIoError} when it is larger than `maxBytes` or cannot be read.
 */
export function readFileNoFollow(path: string, options: ReadOptions = {}): string | null {
  const what = options.what ?? "file";
  const fd = openRegularNoFollow(path, what);
  if (fd === null) return null;
  try {
    return new TextDecoder().decode(readCapped(fd, path, what, options.maxBytes ?? MAX_READ_BYTES));
  } catch (err) {
    if (err instanceof StoreIoError) throw err;
    throw new StoreIoError(`cannot read ${shown(path)}: ${reason(err)}`);
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
  const fd = openRegularNoFollow(path, "file");
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
  let fd: number;
  try {
    fd = fs.openSync(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    throw new StoreIoError(`cannot sync the folder ${shown(dir)}: ${reason(err)}`);
  }
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    // Some file systems (and FUSE ones) cannot sync a directory; the rename itself went through.
    if (errCode(err) !== "EINVAL" && errCode(err) !== "ENOSYS") {
      throw new StoreIoError(`cannot sync the folder ${shown(dir)}: ${reason(err)}`);
    }
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

/** Our temp names: `.{name}.tmp-{pid}-{counter}-{random hex}`. */
const TEMP_NAME = /^\..+\.tmp-(\d+)-\d+-[0-9a-f]+$/;
/** The model writer's temp names before it used this module: `{name}.tmp-{uuid}`. */
const LEGACY_TEMP_NAME = /^[^.].*\.tmp-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A legacy temp file (no pid in its name) is stale once this old. */
const LEGACY_TEMP_AGE_MS = 60 * 60 * 1000;

/** Is a process with this pid running? Only a pid whose /proc entry is gone counts as dead. */
export function pidAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    fs.lstatSync(`/proc/${pid}`);
    return true;
  } catch (err) {
    return errCode(err) !== "ENOENT";
  }
}

/** Options of {@link cleanStaleTemps}. */
export interface CleanOptions {
  /** Whether a pid still runs. Default {@link pidAlive}. */
  alive?: (pid: number) => boolean;
  /** The clock, for legacy temp files. Default `Date.now()`. */
  nowMs?: number;
}

/**
 * Remove the temp files a killed writer left in `dir` (ours whose pid no longer runs, and the old model
 * writer's once an hour old). Only regular files are removed; returns the names removed. A folder that
 * cannot be listed is left alone (the next write reports why).
 */
export function cleanStaleTemps(dir: string, options: CleanOptions = {}): string[] {
  const alive = options.alive ?? pidAlive;
  const now = options.nowMs ?? Date.now();
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const ours = TEMP_NAME.exec(name);
    const legacy = ours === null && LEGACY_TEMP_NAME.test(name);
    if (ours === null && !legacy) continue;
    const path = join(dir, name);
    const st = lstatOrNull(path);
    if (st === null || !st.isFile()) continue;
    const stale = ours !== null ? !alive(Number(ours[1])) : now - st.mtimeMs > LEGACY_TEMP_AGE_MS;
    if (!stale) continue;
    removeQuietly(path);
    removed.push(name);
  }
  return removed;
}

/** Options of the atomic writes. */
export interface AtomicWriteOptions extends WriteTarget {
  /**
   * Called after the temp file is durable and right before it is renamed over `path`; returning
   * false abandons the write (the temp file is removed). Runs synchronously with the rename, so
   * nothing can slip in between.
   */
  beforeCommit?: () => boolean;
}

/** O_EXCL|O_NOFOLLOW: a temp file never reuses or follows anything already there. */
const TEMP_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

function removeQuietly(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch {
    // Already gone: nothing left behind.
  }
}

/**
 * Where a write to `path` really goes: the resolved folder (checked against the policy) and the name.
 * Every later step uses this target, never `path` again.
 */
function targetOf(path: string, trust: TrustPolicy): string {
  if (path === "" || path.endsWith("/")) {
    throw new UnsafePathError(`expected a file name, got ${path === "" ? "an empty one" : shown(path)}`);
  }
  const dir = checkTrustedPath(dirname(path), trust);
  const st = lstatOrNull(dir);
  if (st === null) {
    throw new StoreIoError(`cannot write ${shown(path)}: the folder ${shown(dir)} does not exist`);
  }
  checkRealDir(dir, st);
  return join(dir, basename(path));
}

/** Rename the finished temp file into place and make the rename durable; the temp never stays behind. */
function commit(tmp: string, target: string, path: string, options: AtomicWriteOptions): boolean {
  let renamed = false;
  try {
    if (options.beforeCommit && !options.beforeCommit()) return false;
    // The target must not have turned into a link or directory while we wrote.
    checkRegularOrAbsent(target);
    try {
      fs.renameSync(tmp, target);
      renamed = true;
    } catch (err) {
      throw new StoreIoError(`cannot replace ${shown(path)}: ${reason(err)}`);
    }
  } finally {
    if (!renamed) removeQuietly(tmp);
  }
  fsyncDir(dirname(target));
  return true;
}

/**
 * Write `data` to `path` atomically: temp file in the same directory (O_EXCL|O_NOFOLLOW) -> write all
 * of it -> fsync -> rename -> fsync the directory. The folder must pass the trust policy. Returns false
 * when `beforeCommit` abandoned it.
 *
 * @throws {UnsafePathError} when `path` is a symlink or not a regular file, or its folder is one
 * another user can change.
 * @throws {StoreIoError} when a step fails; the old file is then untouched and no temp file is left.
 */
export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): boolean {
  const target = targetOf(path, effectiveTrust(options));
  checkRegularOrAbsent(target);
  const tmp = tempPathFor(target);
  let fd: number;
  try {
    fd = fs.openSync(tmp, TEMP_FLAGS, FILE_MODE);
  } catch (err) {
    throw new StoreIoError(`cannot create a temp file next to ${shown(path)}: ${reason(err)}`);
  }
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
    throw new StoreIoError(`cannot write ${shown(path)}: ${reason(err)}`);
  }
  return commit(tmp, target, path, options);
}

/**
 * The same as {@link writeFileAtomicSync}, writing the temp file without blocking; the final check and
 * rename run synchronously together so a concurrent synchronous save cannot interleave with them.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<boolean> {
  const target = targetOf(path, effectiveTrust(options));
  checkRegularOrAbsent(target);
  const tmp = tempPathFor(target);
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(tmp, TEMP_FLAGS, FILE_MODE);
  } catch (err) {
    throw new StoreIoError(`cannot create a temp file next to ${shown(path)}: ${reason(err)}`);
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
    throw new StoreIoError(`cannot write ${shown(path)}: ${reason(err)}`);
  }
  return commit(tmp, target, path, options);
}

/** Filesystems without hard links (FAT, exFAT, some FUSE) answer link() with one of these. */
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
 * Move `path` aside to `{stem}.corrupt-{UTC time}{ext}` (with "-2", "-3", ... when taken) without ever
 * replacing an existing file: a hard link is made under the new name (which fails if it exists) and
 * only then the old name removed. `ext` is the file's own ".json" or ".journal". Returns the new path.
 */
export function moveAside(path: string, now: Date): string {
  const ext = /\.[a-z]+$/.exec(basename(path))?.[0] ?? "";
  const stem = basename(path).slice(0, basename(path).length - ext.length);
  const asideExt = ext === "" ? ".json" : ext;
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  for (let n = 1; n < 1000; n++) {
    const aside = join(dirname(path), `${stem}.corrupt-${stamp}${n === 1 ? "" : "-" + n}${asideExt}`);
    try {
      linkOrRenameNoClobber(path, aside);
    } catch (err) {
      if (errCode(err) === "EEXIST") continue;
      throw new StoreIoError(`cannot keep ${shown(path)} aside as ${shown(aside)}: ${reason(err)}`);
    }
    fsyncDir(dirname(path));
    return aside;
  }
  throw new StoreIoError(
    `cannot keep ${shown(path)} aside: 999 files named ${shown(stem)}.corrupt-${stamp}* exist`,
  );
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
    const why = code === "ENOENT" ? "no such file" : reason(err);
    throw new InputFileError(`${what} ${shown(path)}: ${why}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new InputFileError(`${what} ${shown(path)}: not a regular file`);
    if (st.size > maxBytes) {
      throw new InputFileError(
        `${what} ${shown(path)}: ${st.size} bytes is more than the ${maxBytes} allowed`,
      );
    }
    const buf = new Uint8Array(Math.min(maxBytes, st.size) + 1);
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > maxBytes) {
        throw new InputFileError(
          `${what} ${shown(path)}: grew past the ${maxBytes} bytes allowed while being read`,
        );
      }
      if (n === buf.length) break;
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      throw new InputFileError(`${what} ${shown(path)}: not UTF-8 text`);
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(`${what} ${shown(path)}: ${reason(err)}`);
  } finally {
    fs.closeSync(fd);
  }
}
