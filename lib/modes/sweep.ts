/**
 * `scx_gamer --sweep`: walk a grid of configurations in one attach, applying each live, letting it
 * settle, then measuring it while the game runs, so every config gets training samples. Resumable (the
 * state file records finished configs; a rerun skips them), interruptible (Ctrl-C ends the running
 * config unrecorded; rerun to resume), and it checks everything it will need (the grid, the data
 * folder, the state file) before the first config starts.
 *
 * Exit status: 0 swept, 1 stopped by an error (an ejection), 2 bad command line, 130 interrupted.
 *
 * @module
 */

import { defaultConfig } from "../config.ts";
import type { SweepCommand } from "../cli/modes.ts";
import { sweepGrid } from "../cli/modes.ts";
import { UsageError } from "../cli/engine.ts";
import { type Grid, GridError, parseGridJson } from "../grid.ts";
import { ensureRealDir, InputFileError, type Owner, ownerFromEnv, readInputFile } from "../host/safe_fs.ts";
import type { ExitInfo } from "../sched/scheduler.ts";
import {
  claimState,
  type FinishedConfig,
  finishedKeys,
  loadState,
  saveState,
  type SweepState,
} from "../store/sweep_state.ts";
import { messageLog, runAttached } from "./attached.ts";
import { describeExit } from "./session.ts";
import { WindowDriver, type WindowResult } from "./window_driver.ts";
import { formatSeconds } from "./sweep_eta.ts";
import { formatPlan, makePlan, type PlannedConfig, type SweepPlan, sweepSeconds } from "./sweep_plan.ts";

/** The exit status of an interrupted sweep (128 + SIGINT, what a shell reports for Ctrl-C). */
export const EXIT_INTERRUPTED = 130;

/** Grid files are a few lines of JSON. */
const MAX_GRID_FILE_BYTES = 1 << 20;

/** The grid of a sweep command, reading its --grid file. */
export function readGrid(cmd: Pick<SweepCommand, "axes" | "gridFile">): Grid {
  try {
    const fileAxes = cmd.gridFile === null ? null : parseGridJson(
      readInputFile(cmd.gridFile, { what: "--grid", maxBytes: MAX_GRID_FILE_BYTES }),
      cmd.gridFile,
    );
    return sweepGrid(cmd, fileAxes);
  } catch (e) {
    if (e instanceof GridError || e instanceof InputFileError) throw new UsageError(e.message);
    throw e;
  }
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

/** The state record of a config whose window ended. */
export function recordOf(result: WindowResult): FinishedConfig {
  const n = result.samples.length;
  return {
    status: n > 0 ? "done" : "empty",
    reason: n > 0 ? null : "no sample: no game was measured under this config",
    exitCode: null,
    startedAt: result.startedAt.toISOString(),
    finishedAt: result.finishedAt.toISOString(),
    ranS: result.window.measureS,
    samples: n,
  };
}

function position(i: number, total: number): string {
  return `[${String(i + 1).padStart(String(total).length)}/${total}]`;
}

/** A sweep ready to run: its plan, its state and the configs left. */
interface PreparedSweep {
  plan: SweepPlan;
  state: SweepState;
  pending: PlannedConfig[];
}

/** Plan the sweep and check everything it will write, before the first config runs. */
function prepare(
  cmd: SweepCommand,
  owner: Owner | null,
  log: (line: string) => void,
): PreparedSweep | number {
  const plan = makePlan(readGrid(cmd), {
    durationS: cmd.durationS,
    settleS: cmd.settleS,
    passes: cmd.passes,
  });
  const state = loadState(cmd.stateFile);
  if (cmd.dryRun) {
    console.log(formatPlan(plan, { finished: finishedKeys(state, { retryFailed: cmd.retryFailed }) }));
    return 0;
  }
  const pending = pendingConfigs(plan, state, { retryFailed: cmd.retryFailed });
  if (pending.length === 0) {
    console.log(`sweep: all ${plan.configs.length} configs are finished (${cmd.stateFile}); nothing to do`);
    return 0;
  }
  ensureRealDir(cmd.mlDir, owner);
  saveState(cmd.stateFile, state, { owner });
  const skipped = plan.configs.length - pending.length;
  const n = pending.length;
  log(
    `sweep: ${n} config${n === 1 ? "" : "s"} to run${skipped ? `, ${skipped} finished earlier` : ""}, ` +
      `about ${formatSeconds(sweepSeconds(n, plan))} (${formatSeconds(cmd.settleS)} settle + ` +
      `${formatSeconds(cmd.durationS)} measured each, while a game runs)`,
  );
  return { plan, state, pending };
}

/** The state record of the config an ejection interrupted. */
function failedRecord(exit: ExitInfo): FinishedConfig {
  const at = new Date().toISOString();
  return {
    status: "failed",
    reason: `the kernel stopped the scheduler: ${describeExit(exit)}`,
    exitCode: null,
    startedAt: at,
    finishedAt: at,
    ranS: 0,
  };
}

/** What {@link sweepMode} runs the configs with; tests put a fake in place of the scheduler. */
export interface SweepOptions {
  /** Attach the scheduler and run the session that applies each config. Default: attached.ts's. */
  runAttached?: typeof runAttached;
}

/**
 * Run the sweep; returns the exit status. Everything the sweep will need (the grid, the data folder,
 * the state file and its claim) is checked before `runAttached` starts the first config.
 *
 * @throws one line naming the file or flag when a check fails (nothing has run then).
 */
export async function sweepMode(cmd: SweepCommand, options: SweepOptions = {}): Promise<number> {
  const owner = ownerFromEnv();
  const log = messageLog(cmd.statsJson);
  const prepared = prepare(cmd, owner, log);
  if (typeof prepared === "number") return prepared;
  // One sweep per state file: a second one is refused at once, naming the first one's pid.
  const claim = claimState(cmd.stateFile, { owner });
  try {
    return await sweepPrepared(cmd, prepared, { owner, log, run: options.runAttached ?? runAttached });
  } finally {
    claim.release();
  }
}

async function sweepPrepared(
  cmd: SweepCommand,
  prepared: PreparedSweep,
  io: { owner: Owner | null; log: (line: string) => void; run: typeof runAttached },
): Promise<number> {
  const { owner, log } = io;
  const { state, pending } = prepared;
  const total = pending.length;
  const save = () => saveState(cmd.stateFile, state, { owner });
  const counts = { done: 0, empty: 0 };
  let running: PlannedConfig | null = null;
  const driver = new WindowDriver({
    next: (previous) => {
      if (previous !== null && running !== null) {
        const record = recordOf(previous);
        state.configs[running.key] = record;
        save();
        counts[record.status === "done" ? "done" : "empty"]++;
        const n = previous.samples.length;
        const what = record.status === "done" ? `done, ${n} samples` : `empty (${record.reason})`;
        log(`${position(previous.position, total)} ${running.label} ${what}`);
      }
      running = pending[previous === null ? 0 : previous.position + 1] ?? null;
      return running === null
        ? null
        : { config: running.config, label: running.label, settleS: cmd.settleS, measureS: cmd.durationS };
    },
    onStart: (i, w) => log(`${position(i, total)} ${w.label} applied`),
    describe: (i) => `sweep ${i + 1}/${total}`,
  });
  const end = await io.run(cmd, {
    config: defaultConfig(),
    durationS: null,
    collect: true,
    stats: true,
    driver,
    log,
  });
  const summary = `${counts.done} done, ${counts.empty} empty (of ${total}); state: ${cmd.stateFile}`;
  switch (end.reason) {
    case "ejected":
      if (running !== null) state.configs[(running as PlannedConfig).key] = failedRecord(end.exit!);
      save();
      console.error(`sweep: stopped: ${summary}`);
      return 1;
    case "signal":
      log(`sweep: interrupted during ${driver.current?.label ?? "the sweep"}: ${summary}`);
      log("sweep: to resume, run the same command again");
      return EXIT_INTERRUPTED;
    default:
      log(`sweep: finished: ${summary}`);
      if (counts.empty) {
        log("sweep: empty configs got no sample (no game ran): the next sweep runs them again");
      }
      return 0;
  }
}
