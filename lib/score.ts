/**
 * What the trainer optimises: the objective table (every numeric column it can target, with its
 * direction), the smoothness score that players feel, and the original tool's performance score. One
 * definition of each, used by the collector, the CSV importer (for files from the original tool without a score column), the trainer and the tests.
 *
 * @module
 */

import type { Objective, SmoothSummary } from "./types.ts";

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
export function objectiveSign(objective: Pick<Objective, "direction">): 1 | -1 {
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

/** Weights of {@link smoothScore}'s cost terms; each turns its measure into "ms of late frame start". */
export const SMOOTH_WEIGHTS = {
  /** ms/s of waiting behind non-game work that count as 1 ms of wake-up p99. */
  behindMsPerSPerMs: 10,
  /** Cost of each 1.0 of pacing spread above perfectly even (p99 / median - 1). */
  pacingPerSpread: 10,
  /** Cost of each 1% of frames that started late (pacing.late_share x 100). */
  latePerPct: 1,
} as const;

/**
 * How smooth the game ran over one interval, from the kernel's own measurements (lib/sched/smooth.ts):
 * `100 / (1 + cost)`, 100 when nothing was late, falling towards 0. Null when the game's threads never
 * woke in the interval (nothing was measured: no game, or it slept).
 *
 * `cost = all.p99_ms + behind_ms_per_s / 10 + 10 * max(0, pacing.spread - 1) + late_pct`, where
 * `behind_ms_per_s = wait_ms_per_s * wait_share_behind_other`. The terms, and why each is there:
 * - `all.p99_ms`: the p99 wake-up-to-run latency of all the game's threads. A thread woken for input,
 *   a job or a frame that then waits for a CPU delays whatever the frame needed from it; p99, not the
 *   mean, because the stutter a player sees is the rare late wake-up.
 * - `behind_ms_per_s / 10`: the CPU time per second the game's threads waited while the CPU they got
 *   ran non-game work. That is the waiting the scheduler could have avoided (waiting behind the game's
 *   own threads is the game's business); 10 ms/s of it costs as much as 1 ms more p99.
 * - `10 * max(0, spread - 1)`: uneven frame starts. The render thread's wake intervals should all be
 *   the frame time; spread is their p99 over their median, so 1.1 (one frame in 100 starting 10% late)
 *   costs 1, as much as 1 ms of wake-up p99. 0 when no render thread was measured.
 * - `late_pct`: the share of frames that started late (pacing.late_share, in %), each 1% as much as 1 ms
 *   of p99. The spread alone saturates: a game missing 5% of its frames and one missing 11% both have a
 *   p99 interval of two frames. 100 when no frame started at all (pacing "stalled": the render thread ran
 *   on behind its frames, or slept through them); 0 when pacing did not read frame starts (or a sample is
 *   older).
 *
 * @example
 * ```ts
 * // p99 2 ms, 50 ms/s waited of which 40% behind other work, pacing spread 1.25:
 * // cost = 2 + 20 / 10 + 10 * 0.25 = 6.5, score = 100 / 7.5
 * smoothScore(summary); // 13.33...
 * ```
 */
export function smoothScore(s: SmoothSummary): number | null {
  if (s.all.count === 0) return null;
  const w = SMOOTH_WEIGHTS;
  const latencyMs = s.all.p99_ns / 1e6;
  const behindMsPerS = s.wait_ms_per_s * s.wait_share_behind_other;
  const pacing = s.pacing === null ? 0 : w.pacingPerSpread * Math.max(0, s.pacing.spread - 1);
  const latePct = 100 * (s.pacing?.late_share ?? 0);
  const cost = latencyMs + behindMsPerS / w.behindMsPerSPerMs + pacing + w.latePerPct * latePct;
  // Negative or NaN inputs cannot come from the kernel's counters; a broken summary scores nothing.
  return Number.isFinite(cost) && cost >= 0 ? 100 / (1 + cost) : null;
}
