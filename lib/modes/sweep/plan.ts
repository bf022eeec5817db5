/**
 * The sweep plan: the grid's configs in run order, each with its canonical key (the tunables part of
 * its command line, which is what the state file records), the exact command that runs it, and the
 * total time. Pure: no processes, no files.
 *
 * @module
 */

import { configToArgs, type SchedConfig } from "../../config.ts";
import { expandGrid, type Grid } from "./grid.ts";
import { formatSeconds } from "./eta.ts";

/** One config of the plan. */
export interface PlannedConfig {
  /** Position in the plan, from 0. */
  index: number;
  config: SchedConfig;
  /** The canonical command line of the config's tunables: every numeric tunable, switches when on. */
  key: string;
  /** The swept tunables only, e.g. `slice_us=5 input_window_us=1000 mig_max=1`, for progress lines. */
  label: string;
}

/** How long each config runs and rests. */
export interface SweepTiming {
  /** Seconds each config runs. */
  durationS: number;
  /** Seconds between two configs, so the next one starts from a quiet machine. */
  settleS: number;
}

/** The configs to run, in order, and their timing. */
export interface SweepPlan extends SweepTiming {
  configs: PlannedConfig[];
}

/** Where and how the scheduler collects samples during the sweep. */
export interface CollectOptions {
  /** The `--ml-dir` samples go to. */
  mlDir: string;
  /** The `--ml-sample-interval`, seconds. */
  sampleIntervalS: number;
  /** The `--game` to force, or null to let the scheduler detect it. */
  game: string | null;
}

/**
 * The state file's key of a config: its tunable flags as one line. Two configs have the same key
 * exactly when they run the same scheduler settings, whatever grid they came from.
 *
 * @example
 * ```ts
 * configKey(defaultConfig()); // "--slice-us 10 --slice-lag-us 20000 --input-window-us 2000 ..."
 * ```
 */
export function configKey(config: SchedConfig): string {
  return configToArgs(config).join(" ");
}

/** The plan of a grid: every config in expansion order. */
export function makePlan(grid: Grid, timing: SweepTiming): SweepPlan {
  const configs = expandGrid(grid).map((config, index) => ({
    index,
    config,
    key: configKey(config),
    label: grid.map((axis) => `${axis.key}=${config[axis.key]}`).join(" "),
  }));
  return { configs, durationS: timing.durationS, settleS: timing.settleS };
}

/**
 * The full argv that runs one config: the scheduler command, then collection flags, then the config.
 * No `--duration`: the sweep decides when a config ends and stops it with SIGINT, so the scheduler
 * never races the sweep to exit.
 *
 * @example
 * ```ts
 * commandFor(planned, { scheduler: ["scx_gamer"], mlDir: "ml_data", sampleIntervalS: 1, game: null });
 * // ["scx_gamer", "--ml-collect", "--ml-sample-interval", "1", "--ml-dir", "ml_data", "--slice-us", ...]
 * ```
 */
export function commandFor(
  planned: PlannedConfig,
  options: CollectOptions & { scheduler: readonly string[] },
): string[] {
  const argv = [
    ...options.scheduler,
    "--ml-collect",
    "--ml-sample-interval",
    String(options.sampleIntervalS),
    "--ml-dir",
    options.mlDir,
  ];
  if (options.game !== null) argv.push("--game", options.game);
  return [...argv, ...configToArgs(planned.config)];
}

/** Seconds a sweep of `count` configs takes: each runs `durationS`, with `settleS` between two. */
export function sweepSeconds(count: number, timing: SweepTiming): number {
  return count * timing.durationS + Math.max(0, count - 1) * timing.settleS;
}

/** Quote one argument for display so the printed line can be pasted into a shell. */
export function shellWord(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * The `--dry-run` text: one line per config (its command line, or that it is already finished), then
 * the count and the total time of what is left.
 */
export function formatPlan(
  plan: SweepPlan,
  options: CollectOptions & { scheduler: readonly string[]; finished: ReadonlySet<string> },
): string {
  const n = plan.configs.length;
  const width = String(n).length;
  const lines = [
    `Sweep plan: ${n} config${n === 1 ? "" : "s"}, ${formatSeconds(plan.durationS)} each, ` +
    `${formatSeconds(plan.settleS)} settle between configs`,
  ];
  let pending = 0;
  for (const p of plan.configs) {
    const pos = `[${String(p.index + 1).padStart(width)}/${n}]`;
    const line = commandFor(p, options).map(shellWord).join(" ");
    if (options.finished.has(p.key)) lines.push(`${pos} finished, skipped: ${line}`);
    else {
      pending++;
      lines.push(`${pos} ${line}`);
    }
  }
  const done = n - pending;
  lines.push(
    `${n} configs, ${done} already finished, ${pending} to run: about ${
      formatSeconds(sweepSeconds(pending, plan))
    } in total`,
  );
  return lines.join("\n");
}
