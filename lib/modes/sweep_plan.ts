/**
 * The sweep plan: the grid's configs in run order, each with its canonical key (its tunable flags,
 * which is what the state file records) and a label of the swept values, and the total time. Pure: no
 * processes, no files.
 *
 * Between the grid's configs the plan runs the defaults again, as reference windows: before the first,
 * after every {@link REFERENCE_EVERY} and after the last. One window per config says how a config did in
 * its 20 s, not how much a window's mean moves from one window to the next (the load drifts over a sweep
 * of minutes, a config's place in the order matters); the defaults measured in windows spread over the
 * sweep give that spread, which the trainer's verdict on its pick needs (lib/ml/evidence.ts), and a
 * defaults' mean that the drift averages out. A pick whose gain was inside it once measured worse than the
 * defaults on fresh runs (docs/benchmarks.md, bench:loop).
 *
 * @module
 */

import { configToArgs, defaultConfig, type SchedConfig } from "../config.ts";
import { expandGrid, type Grid } from "../grid.ts";
import { formatSeconds } from "./sweep_eta.ts";

/** One config of the plan. */
export interface PlannedConfig {
  /** Position in the plan, from 0. */
  index: number;
  config: SchedConfig;
  /** The canonical command line of the config's tunables: every numeric tunable, switches when on. */
  key: string;
  /** The swept tunables only, e.g. `slice_us=5 input_window_us=1000 mig_max=1`, for progress lines. */
  label: string;
  /** A reference window of the defaults (its key names its place, so the state file keeps each one). */
  reference: boolean;
}

/** Grid configs between two reference windows of the defaults. */
export const REFERENCE_EVERY = 8;

/** How long each config settles and is measured. */
export interface SweepTiming {
  /** Seconds each config is measured. */
  durationS: number;
  /** Seconds after applying a config before measuring it, so its effects have set in. */
  settleS: number;
}

/** The configs to run, in order, and their timing. */
export interface SweepPlan extends SweepTiming {
  configs: PlannedConfig[];
  /** How many times the grid runs. */
  passes: number;
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

/**
 * The plan of a grid: every config in expansion order, `passes` times (default 1), with the defaults'
 * reference windows before the first, after every `referenceEvery` (default {@link REFERENCE_EVERY}; 0:
 * none), between two passes and after the last.
 *
 * A second pass measures every config again in a window of its own, later in the sweep: one window says
 * how a config did in its 20 s, and a stretch of slow host or a scene of the game can fall on it alone
 * (two sweeps of one game on one build measured a config's median late frame starts at 1.8% and 3.3%,
 * and the forest's hold-out R² at 0.38 and -0.17: docs/sweep.md). Every other pass runs the grid
 * backwards, so that a drift over the sweep does not favour the configs that come first. The trainer
 * reads each window apart (lib/ml/evidence.ts), so two windows of the pick shrink the margin its gain
 * must clear.
 */
export function makePlan(
  grid: Grid,
  timing: SweepTiming & { referenceEvery?: number; passes?: number },
): SweepPlan {
  const every = timing.referenceEvery ?? REFERENCE_EVERY;
  const passes = Math.max(1, Math.floor(timing.passes ?? 1));
  const gridConfigs = expandGrid(grid);
  const runs = Array.from({ length: passes }, (_, p) => {
    const inOrder = p % 2 === 0 ? gridConfigs : [...gridConfigs].reverse();
    return inOrder.map((config) => ({ config, pass: p + 1 }));
  }).flat();
  const order: { config: SchedConfig; reference: boolean; pass: number }[] = [];
  runs.forEach((run, i) => {
    // A pass's first config is the last one's of the pass before: a reference window between them keeps
    // its two windows apart (back to back, the trainer would read them as one).
    const turn = i > 0 && run.pass !== runs[i - 1].pass;
    if (every > 0 && (i % every === 0 || turn)) {
      order.push({ config: defaultConfig(), reference: true, pass: 0 });
    }
    order.push({ ...run, reference: false });
  });
  if (every > 0 && runs.length > 0) order.push({ config: defaultConfig(), reference: true, pass: 0 });
  const references = order.filter((o) => o.reference).length;
  let nthReference = 0;
  const configs = order.map(({ config, reference, pass }, index) => {
    if (!reference) {
      // The first pass keeps the plain key, so a state file of a one-pass sweep resumes as the first pass.
      const name = pass > 1 ? `pass ${pass}/${passes}` : null;
      const label = grid.map((axis) => `${axis.key}=${config[axis.key]}`).join(" ");
      return {
        index,
        config,
        key: name ? `${name}: ${configKey(config)}` : configKey(config),
        label: name ? `${label} (${name})` : label,
        reference,
      };
    }
    const name = `reference ${++nthReference}/${references}`;
    return { index, config, key: `${name}: ${configKey(config)}`, label: `defaults (${name})`, reference };
  });
  return { configs, durationS: timing.durationS, settleS: timing.settleS, passes };
}

/** Seconds a sweep of `count` configs takes: each settles `settleS`, then is measured `durationS`. */
export function sweepSeconds(count: number, timing: SweepTiming): number {
  return count * (timing.durationS + timing.settleS);
}

/** "27 of the grid", or "27 of the grid x 2 passes" for 54 windows of a two-pass plan. */
function gridWindows(windows: number, passes: number): string {
  return passes > 1 ? `${windows / passes} of the grid x ${passes} passes` : `${windows} of the grid`;
}

/**
 * The `--dry-run` text: one line per config (its tunable flags, or that it is already finished), then
 * the count and the total time of what is left.
 */
export function formatPlan(plan: SweepPlan, options: { finished: ReadonlySet<string> }): string {
  const n = plan.configs.length;
  const width = String(n).length;
  const references = plan.configs.filter((p) => p.reference).length;
  const lines = [
    `Sweep plan: ${n} config${n === 1 ? "" : "s"}` +
    (references
      ? ` (${gridWindows(n - references, plan.passes)}, ${references} reference windows of the defaults)`
      : "") +
    `, ${formatSeconds(plan.durationS)} each, after ${
      formatSeconds(plan.settleS)
    } of settling, in one attach`,
  ];
  let pending = 0;
  for (const p of plan.configs) {
    const pos = `[${String(p.index + 1).padStart(width)}/${n}]`;
    const line = p.key;
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
