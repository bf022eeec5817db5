/**
 * The sweep state file: which configs have finished, keyed by their canonical command line (see
 * `configKey`), with how they ended and when. A rerun skips what is recorded here, so an interrupted
 * sweep resumes where it stopped. A state written by a different grid is fine: only the keys of the
 * current plan are looked at, and the others are kept untouched.
 *
 * The file is written like the sample store writes its files (lib/host/safe_fs.ts): a temp file
 * renamed over it, never through a symlink, in a folder only trusted users can change. Each save
 * merges with the file on disk under a lock (`.{file}.lock`), so two sweeps given one state file never
 * drop each other's records; a sweep that wants the file to itself claims it with {@link claimState},
 * and a second sweep is then refused with the first one's pid.
 *
 * @module
 */

import {
  type Owner,
  readFileNoFollow,
  StoreIoError,
  UnsafePathError,
  writeFileAtomicSync,
} from "../host/safe_fs.ts";
import { type HeldLock, LockBusyError, LockFileError, lockSync } from "../host/file_lock.ts";
import { printable } from "../host/terminal.ts";

/** The state file cannot be read, parsed or written. `message` is the one line to print. */
export class SweepStateError extends Error {
  override name = "SweepStateError";
}

/**
 * How a config ended: measured with samples ("done"), measured while no game gave a sample ("empty",
 * run again by the next sweep), or the scheduler failed during it ("failed": ejected, rejected).
 */
export type ConfigStatus = "done" | "empty" | "failed";

/** One finished config. */
export interface FinishedConfig {
  status: ConfigStatus;
  /** Why it failed: the scheduler's last stderr line or what the sweep saw; null when done. */
  reason: string | null;
  /** The scheduler's exit code, or null when a signal ended it. */
  exitCode: number | null;
  /** ISO 8601 times. */
  startedAt: string;
  finishedAt: string;
  /** Seconds the scheduler ran, from its start to its exit. */
  ranS: number;
  /** Seconds it took to attach (absent in states written before this was recorded; null when it never did). */
  attachS?: number | null;
  /** Samples recorded under the config (absent in states of the sweep that ran one process per config). */
  samples?: number;
}

/** The whole state file. */
export interface SweepState {
  version: 1;
  /** Finished configs by key. */
  configs: Record<string, FinishedConfig>;
}

/** A state with nothing finished. */
export function emptyState(): SweepState {
  return { version: 1, configs: {} };
}

function isFinished(v: unknown): v is FinishedConfig {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return (o.status === "done" || o.status === "empty" || o.status === "failed") &&
    (o.reason === null || typeof o.reason === "string") &&
    (o.exitCode === null || Number.isInteger(o.exitCode)) &&
    typeof o.startedAt === "string" && typeof o.finishedAt === "string" &&
    typeof o.ranS === "number" && Number.isFinite(o.ranS) &&
    (o.attachS === undefined || o.attachS === null ||
      (typeof o.attachS === "number" && Number.isFinite(o.attachS))) &&
    (o.samples === undefined || (Number.isInteger(o.samples) && (o.samples as number) >= 0));
}

/**
 * Parse a state file's text.
 *
 * @throws {SweepStateError} naming the file and what is wrong.
 */
export function parseState(text: string, file: string): SweepState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SweepStateError(
      `${printable(file)}: not a sweep state file (not valid JSON): remove it to start the sweep over`,
    );
  }
  const o = doc as Record<string, unknown> | null;
  if (
    typeof o !== "object" || o === null || o.version !== 1 || typeof o.configs !== "object" ||
    o.configs === null
  ) {
    throw new SweepStateError(
      `${
        printable(file)
      }: not a sweep state file (expected {"version": 1, "configs": {...}}): remove it to start over`,
    );
  }
  for (const [key, entry] of Object.entries(o.configs as Record<string, unknown>)) {
    if (!isFinished(entry)) {
      throw new SweepStateError(
        `${printable(file)}: the entry for '${
          printable(key)
        }' is malformed (expected status, reason, exitCode, startedAt, finishedAt, ranS)`,
      );
    }
  }
  return { version: 1, configs: { ...(o.configs as Record<string, FinishedConfig>) } };
}

/** Largest state file read: far beyond any grid (100,000 configs take about 25 MB). */
const MAX_STATE_BYTES = 64 * 1024 * 1024;

function stateError(e: unknown): never {
  if (
    e instanceof UnsafePathError || e instanceof StoreIoError || e instanceof LockBusyError ||
    e instanceof LockFileError
  ) {
    throw new SweepStateError(e.message);
  }
  throw e;
}

/**
 * Read the state file, or an empty state when it does not exist. Never follows a symlink; only a
 * regular file of at most 64 MiB is read (a FIFO never blocks).
 *
 * @throws {SweepStateError} when it is a symlink, not a regular file, too large, unreadable or malformed.
 */
export function loadState(file: string): SweepState {
  let text: string | null = null;
  try {
    text = readFileNoFollow(file, { what: "sweep state file", maxBytes: MAX_STATE_BYTES });
  } catch (e) {
    stateError(e);
  }
  return text === null ? emptyState() : parseState(text, file);
}

/** The later of two records of one config (by when it finished): a rerun's result wins. */
function later(a: FinishedConfig, b: FinishedConfig): FinishedConfig {
  return Date.parse(b.finishedAt) > Date.parse(a.finishedAt) ? b : a;
}

/**
 * Write the state file atomically (temp file + rename), refusing a symlink in its place. Under the
 * file's lock it first reads what is on disk and keeps every record `state` lacks (another sweep's),
 * and for a config both hold, the one that finished last. Returns the merged state written.
 *
 * @throws {SweepStateError} when it cannot be written or locked; the previous file is then untouched.
 */
export function saveState(
  file: string,
  state: SweepState,
  options: { owner?: Owner | null; lockWaitMs?: number } = {},
): SweepState {
  let held: HeldLock | null = null;
  try {
    held = lockSync(file, {
      what: "sweep state file",
      waitMs: options.lockWaitMs,
      owner: options.owner ?? null,
    });
    const onDisk = loadState(file);
    const configs: Record<string, FinishedConfig> = { ...onDisk.configs };
    for (const [key, entry] of Object.entries(state.configs)) {
      configs[key] = key in configs ? later(configs[key], entry) : entry;
    }
    const merged: SweepState = { version: 1, configs };
    writeFileAtomicSync(file, JSON.stringify(merged, null, 2) + "\n", { owner: options.owner ?? null });
    return merged;
  } catch (e) {
    if (e instanceof SweepStateError) throw e;
    return stateError(e);
  } finally {
    held?.release();
  }
}

/**
 * Claim the state file for one sweep for as long as it runs (a lock separate from the short one each
 * save takes): a second sweep given the same file is refused at once with the first one's pid, before
 * it runs anything. Release it when the sweep ends (the kernel does when the process dies).
 *
 * @throws {SweepStateError} naming the pid that holds it, or why the lock file cannot be made.
 *
 * @example
 * ```ts
 * const claim = claimState(args.stateFile);
 * try {
 *   await runSweep(...);
 * } finally {
 *   claim.release();
 * }
 * ```
 */
export function claimState(file: string, options: { owner?: Owner | null } = {}): HeldLock {
  try {
    return lockSync(file + ".sweep", { what: "sweep state file", waitMs: 0, owner: options.owner ?? null });
  } catch (e) {
    if (e instanceof LockBusyError) {
      throw new SweepStateError(e.message.replace(printable(file + ".sweep"), printable(file)));
    }
    return stateError(e);
  }
}

/**
 * The keys that count as finished: configs measured with samples, and failed ones unless
 * `retryFailed` is set (a failure that came from the machine rather than the config is worth a
 * retry). An "empty" config (no game gave a sample) is never finished: the next sweep runs it again.
 */
export function finishedKeys(state: SweepState, options: { retryFailed?: boolean } = {}): Set<string> {
  const keys = new Set<string>();
  for (const [key, entry] of Object.entries(state.configs)) {
    if (entry.status === "done" || (entry.status === "failed" && !options.retryFailed)) keys.add(key);
  }
  return keys;
}
