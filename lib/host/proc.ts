/**
 * Reading processes from a `/proc` root. The root is a parameter so tests pass a fake tree built in a
 * temp folder; the collector passes "/proc".
 *
 * Processes come and go while we read them, and other users' processes may be unreadable, so every
 * read tolerates the errors a vanished or protected process gives (ENOENT, ESRCH, EACCES, EPERM) and
 * reports the field as missing instead of failing the whole listing. Every file read is bounded: a
 * hostile process controls its own cmdline and environment and must not make us read megabytes.
 *
 * @module
 */

import { join } from "node:path";

/** One thread of a process. */
export interface ProcThread {
  tid: number;
  /** The thread's name (`/proc/PID/task/TID/comm`), at most 15 bytes, without the trailing newline. */
  comm: string;
}

/** The Steam variables of a process's environment (only these are kept; the rest is never stored). */
export interface SteamEnv {
  SteamAppId?: string;
  STEAM_COMPAT_APP_ID?: string;
  SteamGameId?: string;
}

/** What we read about one process. Missing fields (unreadable or vanished) are empty or null. */
export interface ProcInfo {
  pid: number;
  /** Parent pid from stat, or 0 when unknown. */
  ppid: number;
  /** `/proc/PID/comm` without the trailing newline (may contain any byte but NUL, including "/" and "\n"). */
  comm: string;
  /** `/proc/PID/cmdline` split on NUL; empty when unreadable or a zombie. */
  cmdline: string[];
  /** Basename of the `/proc/PID/exe` link target (" (deleted)" removed), or null when unreadable. */
  exe: string | null;
  env: SteamEnv;
  /** Real uid from `status`, or null when unreadable. */
  uid: number | null;
  /** Number of threads from stat, or 0 when unknown. */
  threadCount: number;
  /** utime + stime in clock ticks, or null when stat was unreadable. */
  cpuTicks: number | null;
  /**
   * True when one of its open fds is a DRM render node (`/dev/dri/renderD*`); null when not looked at
   * (see `ReadProcOptions.checkRenderNode`).
   */
  hasRenderNode: boolean | null;
  /** The threads, when asked for (`readThreads: true`); null when not read. */
  threads: ProcThread[] | null;
}

/** Options of {@link readProcesses} and {@link readProcess}. */
export interface ReadProcOptions {
  /** Also list every thread's name. Default false: detection needs only the count stat gives. */
  readThreads?: boolean;
  /**
   * Only processes of these real uids are read further than their stat and status (their cmdline,
   * environment and fds are never opened otherwise); the others are left out. Null or absent: every
   * user's.
   */
  uids?: ReadonlySet<number> | null;
  /**
   * Whether to scan this process's fds for a render node, decided from what was read before. Scanning
   * is the costly part (one readlink per fd, hundreds for a browser), so detection skips processes
   * whose render node could not change its verdict. Default: scan every process.
   */
  checkRenderNode?: (proc: Omit<ProcInfo, "hasRenderNode" | "threads">) => boolean;
}

/** Most bytes read from one file. Thread and process names are 16 bytes; environments can be large. */
const LIMITS = {
  comm: 256,
  status: 4 * 1024,
  cmdline: 16 * 1024,
  stat: 4 * 1024,
  environ: 256 * 1024,
} as const;

/** Most fd entries looked at per process: a render node is opened early, so this is plenty. */
const MAX_FDS_SCANNED = 4096;

/** Kernel threads have this flag in stat (PF_KTHREAD); they are never games. */
const PF_KTHREAD = 0x00200000;

const STEAM_KEYS = ["SteamAppId", "STEAM_COMPAT_APP_ID", "SteamGameId"] as const;

const RENDER_NODE = /^\/dev\/dri\/renderD\d+$/;

/** Error codes that mean "this process (or this file of it) is gone or not ours to read". */
const VANISHED_CODES = new Set(["ENOENT", "ESRCH", "EACCES", "EPERM", "ENOTDIR", "EINVAL"]);

/** The same as errno numbers: EPERM 1, ENOENT 2, ESRCH 3, EACCES 13, ENOTDIR 20, EINVAL 22. */
const VANISHED_ERRNOS = new Set([1, 2, 3, 13, 20, 22]);

/** Is this error a process (or one of its files) vanishing or being off limits, rather than a bug? */
export function isVanished(err: unknown): boolean {
  if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && VANISHED_CODES.has(code)) return true;
  // Deno maps no error class (and sets no code) for some errnos, e.g. ESRCH from opening a file of an
  // exiting process: "No such process (os error 3)". Match the errno in the message.
  const errno = /\(os error (\d+)\)/.exec((err as Error | null)?.message ?? "")?.[1];
  return errno !== undefined && VANISHED_ERRNOS.has(Number(errno));
}

/** Run `read`, turning a vanished-process error into null; anything else is a real bug and propagates. */
function tolerant<T>(read: () => T): T | null {
  try {
    return read();
  } catch (err) {
    if (isVanished(err)) return null;
    throw err;
  }
}

const decoder = new TextDecoder();

/**
 * One scratch buffer for every read, grown to the largest limit asked for. Reads are synchronous, so
 * nothing else can use it meanwhile, and a desktop's few hundred processes are read without
 * allocating (and zeroing) a fresh 256 KiB for each environment.
 */
let scratch = new Uint8Array(4096);

/**
 * Read at most `maxBytes` of a file as UTF-8 (invalid bytes become U+FFFD), or null if it is gone or
 * unreadable. `/proc` files report size 0, so this reads in a loop rather than trusting stat.
 */
export function readBounded(path: string, maxBytes: number): string | null {
  return tolerant(() => {
    const file = Deno.openSync(path, { read: true });
    try {
      if (scratch.length < maxBytes) scratch = new Uint8Array(maxBytes);
      const buf = scratch.subarray(0, maxBytes);
      let used = 0;
      while (used < maxBytes) {
        const n = file.readSync(buf.subarray(used));
        if (n === null || n === 0) break;
        used += n;
      }
      return decoder.decode(buf.subarray(0, used));
    } finally {
      file.close();
    }
  });
}

/** The basename of a path written with "/" or "\" separators (Wine's argv0 is a Windows path). */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return path.slice(cut + 1);
}

/** Fields of `/proc/PID/stat` that we use. */
export interface StatFields {
  state: string;
  ppid: number;
  flags: number;
  utime: number;
  stime: number;
  numThreads: number;
}

/**
 * Parse `/proc/PID/stat`. The second field is the comm in parentheses and may itself contain spaces
 * and ")", so the fields after it are found from the LAST ")". Returns null for malformed text.
 *
 * @example
 * ```ts
 * parseStat("42 (a) b) S 1 42 42 0 -1 4194560 0 0 0 0 150 50 0 0 20 0 3 0").utime; // 150
 * ```
 */
export function parseStat(text: string): StatFields | null {
  const close = text.lastIndexOf(")");
  if (close === -1) return null;
  const f = text.slice(close + 1).trim().split(/\s+/);
  // After the comm: state(0) ppid(1) ... flags(6) ... utime(11) stime(12) ... num_threads(17).
  if (f.length < 18) return null;
  const num = (i: number) => Number(f[i]);
  const fields = {
    state: f[0],
    ppid: num(1),
    flags: num(6),
    utime: num(11),
    stime: num(12),
    numThreads: num(17),
  };
  const numbers = [fields.ppid, fields.flags, fields.utime, fields.stime, fields.numThreads];
  return numbers.every(Number.isFinite) ? fields : null;
}

/** Keep only the Steam variables of a NUL-separated environment block. */
export function parseSteamEnv(environ: string): SteamEnv {
  const env: SteamEnv = {};
  for (const entry of environ.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    if ((STEAM_KEYS as readonly string[]).includes(key)) {
      env[key as keyof SteamEnv] = entry.slice(eq + 1);
    }
  }
  return env;
}

/** The real uid from the text of `/proc/PID/status` ("Uid:\treal\teffective\tsaved\tfs"), or null. */
export function parseUid(status: string | null): number | null {
  const m = status === null ? null : /^Uid:\s+(\d+)/m.exec(status);
  return m === null ? null : Number(m[1]);
}

function stripNewline(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

function readExe(dir: string): string | null {
  const target = tolerant(() => Deno.readLinkSync(join(dir, "exe")));
  if (target === null) return null;
  return baseName(target.replace(/ \(deleted\)$/, ""));
}

function holdsRenderNode(dir: string): boolean {
  const fdDir = join(dir, "fd");
  const entries = tolerant(() => Deno.readDirSync(fdDir));
  if (entries === null) return false;
  let seen = 0;
  // Iteration itself can fail when the process exits mid-listing.
  return tolerant(() => {
    for (const entry of entries) {
      if (++seen > MAX_FDS_SCANNED) return false;
      const target = tolerant(() => Deno.readLinkSync(join(fdDir, entry.name)));
      if (target !== null && RENDER_NODE.test(target)) return true;
    }
    return false;
  }) ?? false;
}

/** Numeric entries of a directory (pids under /proc, tids under task/), ascending. */
function numericEntries(dir: string): number[] {
  const ids: number[] = [];
  tolerant(() => {
    for (const entry of Deno.readDirSync(dir)) {
      if (/^\d+$/.test(entry.name)) ids.push(Number(entry.name));
    }
  });
  return ids.sort((a, b) => a - b);
}

/** The thread ids of a process, ascending; empty when it is gone. One directory read, no file opened. */
export function threadIds(procRoot: string, pid: number): number[] {
  return numericEntries(join(procRoot, String(pid), "task"));
}

/**
 * The threads of a process: tid and name, ascending by tid; empty when the process is gone.
 * A thread that exits while listed is skipped.
 */
export function readThreads(procRoot: string, pid: number): ProcThread[] {
  const taskDir = join(procRoot, String(pid), "task");
  const threads: ProcThread[] = [];
  for (const tid of numericEntries(taskDir)) {
    const comm = readBounded(join(taskDir, String(tid), "comm"), LIMITS.comm);
    if (comm !== null) threads.push({ tid, comm: stripNewline(comm) });
  }
  return threads;
}

/**
 * Read one process, or null when it is gone, is a kernel thread, is a zombie, or belongs to a user
 * outside `options.uids`.
 *
 * @example
 * ```ts
 * const self = readProcess("/proc", Deno.pid);
 * self?.comm; // "deno"
 * ```
 */
export function readProcess(procRoot: string, pid: number, options: ReadProcOptions = {}): ProcInfo | null {
  const dir = join(procRoot, String(pid));
  const statText = readBounded(join(dir, "stat"), LIMITS.stat);
  const stat = statText === null ? null : parseStat(statText);
  if (stat === null) return null;
  if ((stat.flags & PF_KTHREAD) !== 0 || stat.state === "Z" || stat.state === "X") return null;

  const uid = parseUid(readBounded(join(dir, "status"), LIMITS.status));
  // Another user's process: its command line and environment are hers, not ours to read.
  if (options.uids != null && (uid === null || !options.uids.has(uid))) return null;

  const comm = readBounded(join(dir, "comm"), LIMITS.comm);
  const cmdline = readBounded(join(dir, "cmdline"), LIMITS.cmdline) ?? "";
  const environ = readBounded(join(dir, "environ"), LIMITS.environ) ?? "";
  const args = cmdline.split("\0");
  // The block ends with a NUL, which leaves one empty string at the end.
  if (args.at(-1) === "") args.pop();

  const basics = {
    pid,
    ppid: stat.ppid,
    comm: comm === null ? "" : stripNewline(comm),
    cmdline: args,
    exe: readExe(dir),
    env: parseSteamEnv(environ),
    uid,
    threadCount: stat.numThreads,
    cpuTicks: stat.utime + stat.stime,
  };
  const scan = options.checkRenderNode?.(basics) ?? true;
  return {
    ...basics,
    hasRenderNode: scan ? holdsRenderNode(dir) : null,
    threads: options.readThreads ? readThreads(procRoot, pid) : null,
  };
}

/**
 * Read every user-space process under `procRoot` (default "/proc"), ascending by pid. Kernel threads,
 * zombies and processes that vanish while being read are left out.
 */
export function readProcesses(procRoot = "/proc", options: ReadProcOptions = {}): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const pid of numericEntries(procRoot)) {
    const info = readProcess(procRoot, pid, options);
    if (info !== null) out.push(info);
  }
  return out;
}
