/**
 * What the trainer optimises: the objective table (every numeric column it can target, with its
 * direction), and the original tool's performance score. One definition of each, used by the collector,
 * the CSV importer (for files from the original tool without a score column), the trainer and the tests.
 *
 * @module
 */

import type { Objective } from "./types.ts";

/**
 * Every objective the trainer can target (`--target NAME`), by CSV column name. The trainer fits the
 * forest to the column as it is and the search maximises it ("max") or minimises it ("min"). A column
 * not listed here cannot be a target: add a row (name, direction, what it measures) to make it one.
 */
export const OBJECTIVES: readonly Objective[] = [
  {
    name: "smooth_score",
    direction: "max",
    description: "smoothness of the game's threads from in-kernel metrics (wake-up-to-run latency, " +
      "time runnable behind non-game work, frame pacing); higher is better",
  },
  {
    name: "score",
    direction: "max",
    description: "the original tool's formula, dominated by 10000 / select_cpu latency; higher is better",
  },
  {
    name: "frametime_p99",
    direction: "min",
    description: "99th percentile frame time in ms, from MangoHud logs; lower is better",
  },
  { name: "fps", direction: "max", description: "mean frames per second, from MangoHud logs" },
  {
    name: "fps_1pct_low",
    direction: "max",
    description: "1% low frames per second (the mean of the slowest 1% of frames), from MangoHud logs",
  },
];

/** The objectives trained on when none is named, in order of preference: the first one the data has. */
export const DEFAULT_OBJECTIVES: readonly string[] = ["smooth_score", "score"];

/**
 * The objective named `name`, or null when the table has none.
 *
 * @example
 * ```ts
 * findObjective("frametime_p99")?.direction; // "min"
 * ```
 */
export function findObjective(name: string): Objective | null {
  return OBJECTIVES.find((o) => o.name === name) ?? null;
}

/**
 * The default objective for data with the given columns: `smooth_score` when present, else `score`
 * (null when neither is).
 *
 * @example
 * ```ts
 * defaultObjective(["slice_us", "score"])?.name; // "score"
 * ```
 */
export function defaultObjective(columns: readonly string[]): Objective | null {
  const name = DEFAULT_OBJECTIVES.find((n) => columns.includes(n));
  return name === undefined ? null : findObjective(name);
}

/** `+1` for an objective to maximise, `-1` for one to minimise: `sign * value` is always "higher is better". */
export function objectiveSign(objective: Objective): 1 | -1 {
  return objective.direction === "max" ? 1 : -1;
}

/** The four metrics the score depends on. Rates are fractions in 0..1. */
export interface ScoreInputs {
  select_cpu_latency_ns: number;
  mm_hint_hit_rate: number;
  direct_dispatch_rate: number;
  migration_block_rate: number;
}

/**
 * Lowest select_cpu latency the score believes, in ns. An interval with no timed select_cpu calls
 * reports 0; without a floor that would score infinity and dominate every model.
 */
export const MIN_SCORED_LATENCY_NS = 1;

/**
 * `(10000 / select_cpu_latency_ns) * 10 + (mm_hint_hit_rate + direct_dispatch_rate) * 5 + (1 - migration_block_rate) * 2`
 *
 * A latency of zero or less (no calls timed) contributes nothing to the latency term rather than infinity.
 *
 * @example
 * ```ts
 * score({ select_cpu_latency_ns: 1000, mm_hint_hit_rate: 0.5, direct_dispatch_rate: 0.9, migration_block_rate: 0.1 });
 * // 100 + 7 + 1.8 = 108.8
 * ```
 */
export function score(m: ScoreInputs): number {
  const latencyTerm = m.select_cpu_latency_ns >= MIN_SCORED_LATENCY_NS
    ? (10_000 / m.select_cpu_latency_ns) * 10
    : 0;
  return latencyTerm + (m.mm_hint_hit_rate + m.direct_dispatch_rate) * 5 + (1 - m.migration_block_rate) * 2;
}
