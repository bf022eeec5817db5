/**
 * The sweep loop: for each config of the plan not yet finished, run the scheduler for the duration,
 * stop it, check sched_ext detached, record how it ended in the state file, rest, and go on. A config
 * the kernel rejects or ejects is recorded as failed with its reason and the sweep continues; an
 * interruption stops the running config cleanly and leaves it unrecorded so a rerun repeats it.
 *
 * @module
 */

import { schedExtState } from "../../sched/preflight.ts";
import type { Owner } from "../../host/safe_fs.ts";
import { type ChildOutcome, runChild, type StopTimeouts, waitOrAbort } from "./child.ts";
import { type CollectOptions, commandFor, type SweepPlan, sweepSeconds } from "./plan.ts";
import type { SweepProgress } from "./progress.ts";
import { type FinishedConfig, loadState, pendingConfigs, saveState } from "../../store/sweep_state.ts";

/** Stop the sweep after this many configs in a row fail for the same reason: the machine, not the configs, is at fault. */
export const MAX_SAME_FAILURES = 3;

/** Options of {@link runSweep}. */
export interface SweepOptions extends CollectOptions {
  /** The command that runs scx_gamer, e.g. `["scx_gamer"]`. */
  scheduler: readonly string[];
  /** The state file. */
  stateFile: string;
  /** Who gets the state file (the user behind sudo). Default nobody (left as is). */
  owner?: Owner | null;
  /** Root of sysfs, where `kernel/sched_ext/state` is read. Default "/sys". */
  sysRoot?: string;
  /** Run configs that failed in an earlier run again. Default false. */
  retryFailed?: boolean;
  /** Aborting stops the running config cleanly and ends the sweep ("interrupted"). */
  signal?: AbortSignal;
  /** How long to wait for the scheduler after each stop signal. */
  timeouts?: Partial<StopTimeouts>;
  /** Seconds the scheduler may take to attach (sched_ext "enabled") before it is stopped. Default 120. */
  attachTimeoutS?: number;
  /** Seconds to wait for sched_ext to report "disabled" after the scheduler exits. Default 10. */
  detachTimeoutS?: number;
  progress: SweepProgress;
  /** Receives the scheduler's output lines. */
  onChildLine?: (stream: "stdout" | "stderr", line: string) => void;
}

/** How a sweep ended. */
export interface SweepSummary {
  /** All pending configs ran; the sweep was interrupted; or it stopped because the machine cannot run them. */
  outcome: "completed" | "interrupted" | "aborted";
  /** Configs in the plan. */
  planned: number;
  /** Configs skipped because an earlier run finished them. */
  skipped: number;
  /** Configs that ran to the end / failed in this run. */
  done: number;
  failed: number;
  /** The interrupted config's label, when interrupted. */
  interruptedLabel: string | null;
  /** Why the sweep stopped early, when aborted. */
  abortReason: string | null;
}

/**
 * The state record of a child's run, or null when the sweep was interrupted (nothing to record).
 * Pure: how a run is judged is decided here and only here.
 *
 * @example
 * ```ts
 * recordOf({ ended: "early_exit", exitCode: 1, lastStderr: "scx_gamer: ejected", ... }, { durationS: 300, attachTimeoutS: 120 });
 * // { status: "failed", reason: "scx_gamer: ejected", exitCode: 1, ... }
 * ```
 */
export function recordOf(
  outcome: ChildOutcome,
  limits: { durationS: number; attachTimeoutS: number },
): FinishedConfig | null {
  const { durationS } = limits;
  if (outcome.ended === "interrupted") return null;
  const base = {
    exitCode: outcome.exitCode,
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: outcome.finishedAt.toISOString(),
    ranS: Math.round(outcome.ranS * 1000) / 1000,
    attachS: outcome.attachS === null ? null : Math.round(outcome.attachS * 1000) / 1000,
  };
  const ranFor = `${Math.round(outcome.ranS)} s`;
  const how = outcome.exitSignal
    ? `was killed by ${outcome.exitSignal}`
    : `exited with status ${outcome.exitCode}`;
  if (outcome.ended === "early_exit") {
    // A non-zero exit says why on its last stderr line (run mode's contract); a clean early exit does not.
    const reason = outcome.exitCode !== 0 && outcome.lastStderr
      ? outcome.lastStderr
      : `the scheduler ${how} after ${ranFor}, before the ${durationS} s duration`;
    return { ...base, status: "failed", reason };
  }
  if (outcome.ended === "attach_timeout") {
    const said = outcome.lastStderr ? ` (its last line: ${outcome.lastStderr})` : "";
    return {
      ...base,
      status: "failed",
      reason: `the scheduler did not attach within ${limits.attachTimeoutS} s${said}`,
    };
  }
  if (outcome.stoppedWith === "SIGTERM" || outcome.stoppedWith === "SIGKILL") {
    // Its samples since the last autosave may be lost, so the run does not count as done.
    const stuck = outcome.stuck ? " and was still running after that" : "";
    return {
      ...base,
      status: "failed",
      reason: `the scheduler did not exit on SIGINT: stopped with ${outcome.stoppedWith}${stuck}`,
    };
  }
  if (outcome.exitCode !== 0) {
    return { ...base, status: "failed", reason: outcome.lastStderr ?? `the scheduler ${how} when stopped` };
  }
  return { ...base, status: "done", reason: null };
}

/** Wait until sched_ext is "disabled" (or sysfs has no sched_ext); returns the state it is stuck in, or null. */
async function waitDetached(sysRoot: string, timeoutS: number, signal?: AbortSignal): Promise<string | null> {
  const deadline = performance.now() + timeoutS * 1000;
  for (;;) {
    const ext = schedExtState(sysRoot);
    if (ext === null || ext.state === "disabled") return null;
    if (performance.now() >= deadline || signal?.aborted) {
      return `${ext.state}${ext.ops ? ` (scheduler ${ext.ops})` : ""}`;
    }
    await waitOrAbort(0.1, signal);
  }
}

/**
 * Run the plan's pending configs one after the other (see the module doc). The state file is saved
 * after every config, so at most the running config is lost to a crash.
 *
 * @throws {SweepStateError} when the state file cannot be read or written.
 * @throws {SchedulerStartError} when the scheduler command cannot be started.
 *
 * @example
 * ```ts
 * const summary = await runSweep(plan, { scheduler: ["scx_gamer"], stateFile, mlDir, sampleIntervalS: 5, game: null, progress });
 * ```
 */
export async function runSweep(plan: SweepPlan, options: SweepOptions): Promise<SweepSummary> {
  const sysRoot = options.sysRoot ?? "/sys";
  const attachTimeoutS = options.attachTimeoutS ?? 120;
  const state = loadState(options.stateFile);
  const pending = pendingConfigs(plan, state, { retryFailed: options.retryFailed });
  const summary: SweepSummary = {
    outcome: "completed",
    planned: plan.configs.length,
    skipped: plan.configs.length - pending.length,
    done: 0,
    failed: 0,
    interruptedLabel: null,
    abortReason: null,
  };
  const { progress } = options;
  progress.begin({
    total: pending.length,
    skipped: summary.skipped,
    estimateS: sweepSeconds(pending.length, plan),
  });
  let lastFailure: { reason: string; count: number } | null = null;
  try {
    for (const [i, planned] of pending.entries()) {
      if (i > 0 && plan.settleS > 0) await waitOrAbort(plan.settleS, options.signal);
      if (options.signal?.aborted) {
        summary.outcome = "interrupted";
        break;
      }
      const before = schedExtState(sysRoot);
      if (before !== null && before.state !== "disabled") {
        // The scheduler would refuse to load; every config would "fail" for a reason that is not its own.
        summary.outcome = "aborted";
        summary.abortReason = `sched_ext is ${before.state}${
          before.ops ? ` (scheduler ${before.ops})` : ""
        } before config ${planned.label}: stop the other sched_ext scheduler, then rerun to resume`;
        break;
      }
      progress.started(i, planned);
      const outcome = await runChild(commandFor(planned, options), {
        durationS: plan.durationS,
        // The duration counts from the attach; without sched_ext in sysfs (a fake scheduler) from the start.
        attached: () => (schedExtState(sysRoot)?.state ?? "enabled") === "enabled",
        attachTimeoutS,
        signal: options.signal,
        timeouts: options.timeouts,
        onLine: options.onChildLine,
      });
      const stuckIn = await waitDetached(sysRoot, options.detachTimeoutS ?? 10);
      const record = recordOf(outcome, { durationS: plan.durationS, attachTimeoutS });
      if (record === null) {
        summary.outcome = "interrupted";
        summary.interruptedLabel = planned.label;
        progress.interrupted(i, planned);
        if (stuckIn) {
          progress.note(`sweep: warning: sched_ext is still ${stuckIn} after the scheduler exited`);
        }
        break;
      }
      state.configs[planned.key] = record;
      saveState(options.stateFile, state, { owner: options.owner });
      progress.finished(i, planned, record);
      if (record.status === "done") summary.done++;
      else summary.failed++;

      if (stuckIn) {
        summary.outcome = "aborted";
        summary.abortReason = `sched_ext is still ${stuckIn} ${
          options.detachTimeoutS ?? 10
        } s after the scheduler exited: the next config could not load; rerun to resume once it is disabled`;
        break;
      }
      if (record.status === "failed") {
        const reason = record.reason ?? "";
        const count: number = lastFailure?.reason === reason ? lastFailure.count + 1 : 1;
        lastFailure = { reason, count };
        if (lastFailure.count >= MAX_SAME_FAILURES) {
          summary.outcome = "aborted";
          summary.abortReason =
            `${MAX_SAME_FAILURES} configs in a row failed with the same reason (${record.reason}): ` +
            "the scheduler cannot run here; fix that, then rerun with --retry-failed";
          break;
        }
      } else {
        lastFailure = null;
      }
    }
  } finally {
    progress.end();
  }
  return summary;
}
