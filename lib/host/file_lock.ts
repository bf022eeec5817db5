/**
 * Advisory locks between processes: `flock(2)` on a lock file beside what it guards
 * (`.{name}.lock`), so two scx_gamer processes (two collectors sharing an ml dir over a network file
 * system, two sweeps given one state file) never interleave a read-merge-write of the same file.
 *
 * - The holder writes its pid into the lock file, so a process that finds it taken says who holds it.
 * - The kernel drops a flock when its holder dies, so a killed process never leaves a stale lock; the
 *   file it leaves behind is reused by the next taker.
 * - The file is removed on release. A taker that locked a file which was removed meanwhile (its inode
 *   is no longer the one at the path) lets go and tries again, so two processes never both "hold" it
 *   through two different files.
 * - Deno's `FsFile.tryLock` is flock(2) on Linux (it shows as FLOCK in /proc/locks); no FFI is needed.
 * - The folder the lock file goes in passes the store's trust policy first (lib/host/trust.ts), like
 *   every folder the store writes in, so root never creates one where another user could redirect it.
 *
 * @module
 */

import * as fs from "node:fs";
import { basename, dirname, join } from "node:path";
import { effectiveTrust, osReason } from "./safe_fs.ts";
import { printable } from "./terminal.ts";
import { checkTrustedPath, type TrustPolicy, UnsafePathError } from "./trust.ts";

/** The lock is held by another process (or another handle of this one) past the wait allowed. */
export class LockBusyError extends Error {
  override name = "LockBusyError";
  /** The pid the lock file names, when it names one. */
  readonly holder: number | null;
  constructor(message: string, holder: number | null) {
    super(message);
    this.holder = holder;
  }
}

/** The lock file cannot be made or used (a symlink in its place, a read-only folder). */
export class LockFileError extends Error {
  override name = "LockFileError";
}

/** Who gets the lock file (the sudo user, like the files it guards). */
export interface LockOwner {
  uid: number;
  gid: number;
}

/** Options of {@link lockSync} and {@link lock}. */
export interface LockOptions {
  /** What the lock guards, for messages ("samples file", "sweep state file"). */
  what: string;
  /** How long to wait for another holder, ms. 0: fail at once. Default 10 000. */
  waitMs?: number;
  /** Give the lock file to this user. */
  owner?: LockOwner | null;
  /** Who may change the folder the lock file goes in. Default: the store's (safe_fs.ts `effectiveTrust`). */
  trust?: TrustPolicy;
}

/** A lock held; {@link release} it when done (releasing twice is harmless). */
export interface HeldLock {
  /** The lock file. */
  readonly path: string;
  release(): void;
}

/** The lock file that guards `path`: hidden, beside it. */
export function lockPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.lock`);
}

const DEFAULT_WAIT_MS = 10_000;
/** Pause between two tries while another process holds the lock. */
const RETRY_MS = 10;

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The pid a lock file names, and that process's name when it still runs. */
function holderOf(lockPath: string): { pid: number | null; text: string } {
  let pid: number | null = null;
  try {
    const fd = fs.openSync(
      lockPath,
      fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
    );
    const buf = new Uint8Array(32);
    let n = 0;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, 0);
    } finally {
      fs.closeSync(fd);
    }
    const content = new TextDecoder().decode(buf.subarray(0, n));
    if (/^\d{1,10}\n?$/.test(content)) pid = Number(content.trim());
  } catch {
    // Gone or unreadable: the holder cannot be named.
  }
  if (pid === null) return { pid, text: "another process" };
  let comm = "";
  try {
    comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim().slice(0, 64);
  } catch {
    // It exited meanwhile.
  }
  return {
    pid,
    text: `pid ${pid}${comm ? ` (${printable(comm)})` : ""}${pid === Deno.pid ? ", this process" : ""}`,
  };
}

type Attempt = { lock: HeldLock } | { busy: true };

/** One try: open (never through a symlink), flock without blocking, check the inode is still the path's. */
function attempt(lockPath: string, owner: LockOwner | null): Attempt {
  const before = lstatOrNull(lockPath);
  if (before !== null && !before.isFile()) {
    throw new LockFileError(
      `refusing to use ${printable(lockPath)} as a lock file: it is not a regular file`,
    );
  }
  let file: Deno.FsFile;
  try {
    // The folder passed the trust policy (nobody else can plant a link in it) and we checked the name
    // is no symlink; Deno.open has no O_NOFOLLOW, so the inode is compared below as well.
    file = Deno.openSync(lockPath, { read: true, write: true, create: true, mode: 0o644 });
  } catch (err) {
    const why = errCode(err) === "ENOENT"
      ? `the folder ${printable(dirname(lockPath))} does not exist`
      : osReason(err);
    throw new LockFileError(`cannot create the lock file ${printable(lockPath)}: ${why}`);
  }
  let keep = false;
  try {
    if (!file.tryLockSync(true)) return { busy: true };
    const held = file.statSync();
    const now = lstatOrNull(lockPath);
    // Removed or replaced between our open and our lock: this lock guards nothing; try again.
    if (now === null || !now.isFile() || now.ino !== held.ino) return { busy: true };
    file.truncateSync(0);
    file.writeSync(new TextEncoder().encode(`${Deno.pid}\n`));
    if (owner !== null) {
      try {
        fs.chownSync(lockPath, owner.uid, owner.gid);
      } catch {
        // A file system without owners (exFAT): the lock works the same.
      }
    }
    keep = true;
    let released = false;
    return {
      lock: {
        path: lockPath,
        release: () => {
          if (released) return;
          released = true;
          // Remove while still holding it, so nobody can lock the name we are about to remove.
          try {
            fs.unlinkSync(lockPath);
          } catch {
            // Already gone.
          }
          file.close();
        },
      },
    };
  } finally {
    if (!keep) file.close();
  }
}

function lstatOrNull(path: string): fs.Stats | null {
  try {
    return fs.lstatSync(path);
  } catch (err) {
    if (errCode(err) === "ENOENT") return null;
    throw new LockFileError(`cannot inspect the lock file ${printable(path)}: ${osReason(err)}`);
  }
}

function busyError(path: string, lockPath: string, what: string, waitedMs: number): LockBusyError {
  const holder = holderOf(lockPath);
  const waited = waitedMs > 0 ? ` (waited ${(waitedMs / 1000).toFixed(waitedMs < 1000 ? 1 : 0)} s)` : "";
  return new LockBusyError(
    `the ${what} ${printable(path)} is locked by ${holder.text}${waited}: ` +
      `another scx_gamer is using it; stop it or wait for it to finish`,
    holder.pid,
  );
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A failure to make the lock, naming the file it guards (what the user gave) before the reason. */
function cannotLock(path: string, options: LockOptions, err: unknown): never {
  if (!(err instanceof LockFileError || err instanceof UnsafePathError)) throw err;
  throw new LockFileError(`cannot lock the ${options.what} ${printable(path)}: ${err.message}`);
}

/**
 * The lock file of `path` in its folder resolved and checked against the trust policy, as every write
 * of the store's is: root never creates a lock file in a folder another user could swap under it.
 */
function checkedLockPath(path: string, options: LockOptions): string {
  try {
    const dir = checkTrustedPath(dirname(path), options.trust ?? effectiveTrust({ owner: options.owner }));
    return lockPathFor(join(dir, basename(path)));
  } catch (err) {
    return cannotLock(path, options, err);
  }
}

/** One {@link attempt}; a failure names the file the lock guards. */
function attemptFor(path: string, lockPath: string, options: LockOptions): Attempt {
  try {
    return attempt(lockPath, options.owner ?? null);
  } catch (err) {
    return cannotLock(path, options, err);
  }
}

/**
 * Take the lock guarding `path`, waiting up to `waitMs` for another holder (the thread sleeps between
 * tries: for exit paths and short critical sections).
 *
 * @throws {LockBusyError} naming the pid (and program) that holds it.
 * @throws {LockFileError} when the lock file cannot be created.
 *
 * @example
 * ```ts
 * const held = lockSync("ml_data/cpu/Game.json", { what: "samples file" });
 * try {
 *   // read, merge, write
 * } finally {
 *   held.release();
 * }
 * ```
 */
export function lockSync(path: string, options: LockOptions): HeldLock {
  const lockPath = checkedLockPath(path, options);
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const start = performance.now();
  for (;;) {
    const got = attemptFor(path, lockPath, options);
    if ("lock" in got) return got.lock;
    const waited = performance.now() - start;
    if (waited >= waitMs) throw busyError(path, lockPath, options.what, waited);
    Atomics.wait(sleeper, 0, 0, RETRY_MS);
  }
}

/** The same as {@link lockSync}, waiting without blocking the event loop. */
export async function lock(path: string, options: LockOptions): Promise<HeldLock> {
  const lockPath = checkedLockPath(path, options);
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const start = performance.now();
  for (;;) {
    const got = attemptFor(path, lockPath, options);
    if ("lock" in got) return got.lock;
    const waited = performance.now() - start;
    if (waited >= waitMs) throw busyError(path, lockPath, options.what, waited);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
