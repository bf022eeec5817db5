/**
 * The sweep state file: which configs have finished, keyed by their canonical command line (see
 * `configKey`), with how they ended and when. A rerun skips what is recorded here, so an interrupted
 * sweep resumes where it stopped. A state written by a different grid is fine: only the keys of the
 * current plan are looked at, and the others are kept untouched.
 *
 * The file is written like the sample store writes its files (lib/store/safe_fs.ts): a temp file
 * renamed over it, never through a symlink.
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
import { printable } from "../host/terminal.ts";
import type { PlannedConfig, SweepPlan } from "../modes/sweep/plan.ts";

/** The state file cannot be read, parsed or written. `message` is the one line to print. */
export class SweepStateError extends Error {
  override name = "SweepStateError";
}

/** How a finished config ended: it ran its full duration, or the scheduler failed (rejected, ejected). */
export type ConfigStatus = "done" | "failed";

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
  return (o.status === "done" || o.status === "failed") &&
    (o.reason === null || typeof o.reason === "string") &&
    (o.exitCode === null || Number.isInteger(o.exitCode)) &&
    typeof o.startedAt === "string" && typeof o.finishedAt === "string" &&
    typeof o.ranS === "number" && Number.isFinite(o.ranS) &&
    (o.attachS === undefined || o.attachS === null ||
      (typeof o.attachS === "number" && Number.isFinite(o.attachS)));
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

/**
 * Read the state file, or an empty state when it does not exist. Never follows a symlink.
 *
 * @throws {SweepStateError} when it is a symlink, unreadable or malformed.
 */
export function loadState(file: string): SweepState {
  let text: string | null;
  try {
    text = readFileNoFollow(file);
  } catch (e) {
    if (e instanceof UnsafePathError || e instanceof StoreIoError) throw new SweepStateError(e.message);
    throw e;
  }
  return text === null ? emptyState() : parseState(text, file);
}

/**
 * Write the state file atomically (temp file + rename), refusing a symlink in its place.
 *
 * @throws {SweepStateError} when it cannot be written; the previous file is then untouched.
 */
export function saveState(file: string, state: SweepState, options: { owner?: Owner | null } = {}): void {
  try {
    writeFileAtomicSync(file, JSON.stringify(state, null, 2) + "\n", { owner: options.owner ?? null });
  } catch (e) {
    if (e instanceof UnsafePathError || e instanceof StoreIoError) throw new SweepStateError(e.message);
    throw e;
  }
}

/**
 * The keys that count as finished: every recorded config, or only the ones that ran to the end when
 * `retryFailed` is set (a failure that came from the machine rather than the config is worth a retry).
 */
export function finishedKeys(state: SweepState, options: { retryFailed?: boolean } = {}): Set<string> {
  const keys = new Set<string>();
  for (const [key, entry] of Object.entries(state.configs)) {
    if (entry.status === "done" || !options.retryFailed) keys.add(key);
  }
  return keys;
}

/** The plan's configs still to run, in plan order. */
export function pendingConfigs(
  plan: SweepPlan,
  state: SweepState,
  options: { retryFailed?: boolean } = {},
): PlannedConfig[] {
  const finished = finishedKeys(state, options);
  return plan.configs.filter((p) => !finished.has(p.key));
}
