/**
 * The autotuner's choice rule, pure: which configs to try next, and whether a tried candidate replaces
 * the incumbent. The live loop (measuring windows, applying configs) calls these.
 *
 * The rule. A candidate runs in windows interleaved with the incumbent's (I1 C1 I2 C2 ...). Its gain
 * is the mean over pairs of C_i - I_i, signed so that positive is better for the objective. The noise
 * is measured between the incumbent's own windows: the differences I_{i+1} - I_i of consecutive
 * incumbent windows are what a comparison of a config with itself looks like (scene changes included);
 * the noise is the `confidence` quantile of |mean| of bootstrap resamples of them, each the size of the
 * A/B comparison. The candidate is kept only when its gain exceeds that noise and the lower end of
 * the gain's paired bootstrap interval (ab.ts) is above zero.
 *
 * @module
 */

import { type SchedConfig, TUNABLES } from "../config.ts";
import type { ObjectiveDirection } from "../types.ts";
import { bootstrapMeans, type BootstrapOptions, checkWindows, MIN_PAIRS, quantile } from "./ab.ts";
import type { ScoringModel } from "./candidate_scorer.ts";
import { MIN_SAMPLES } from "./dataset.ts";
import type { Rng } from "./rng.ts";
import { searchBestConfig, type SearchInput } from "./search.ts";
import type { SearchGrid } from "./search_space.ts";
import { permutation } from "./split.ts";

/** The windows of one autotuning round, in the objective's unit. */
export interface AutotuneWindows {
  /** The incumbent's windows, in time order. */
  incumbent: readonly number[];
  /** The candidate's windows; `candidate[i]` ran right after `incumbent[i]`. */
  candidate: readonly number[];
  direction: ObjectiveDirection;
}

/** What {@linkcode autotuneDecision} decided, and the numbers behind it. */
export interface AutotuneDecision {
  /** Replace the incumbent with the candidate. */
  keep: boolean;
  /** Mean gain per pair, in the objective's unit; positive = the candidate is better. */
  gain: number;
  /** Confidence interval of the gain. */
  low: number;
  high: number;
  /** The noise between the incumbent's own windows (see the module doc). */
  noise: number;
  pairs: number;
  /** One line saying why. */
  reason: string;
}

/**
 * Decide whether the candidate's gain is real (see the module doc). The incumbent may have one window
 * more than the candidate (the round ended on an incumbent window); the pairs are the first
 * `candidate.length` windows of each.
 *
 * @throws {RangeError} for fewer than 3 pairs, a non-finite window, or fewer incumbent than candidate windows.
 *
 * @example
 * ```ts
 * autotuneDecision({ incumbent: [10, 10.2, 9.9, 10.1], candidate: [12, 12.1, 11.8, 12.2], direction: "max" },
 *   { rng: createRng(1) }).keep; // true
 * ```
 */
export function autotuneDecision(windows: AutotuneWindows, options: BootstrapOptions): AutotuneDecision {
  const { incumbent, candidate, direction } = windows;
  const { confidence = 0.95 } = options;
  checkWindows(candidate, { name: "autotune: candidate", min: MIN_PAIRS });
  checkWindows(incumbent, { name: "autotune: incumbent", min: candidate.length });
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence ${confidence}: expected a value in (0, 1)`);
  }
  const sign = direction === "max" ? 1 : -1;
  const n = candidate.length;
  const gains = Float64Array.from(candidate, (c, i) => sign * (c - incumbent[i]));
  const steps = Float64Array.from(incumbent.slice(1), (v, i) => v - incumbent[i]);
  const gainMeans = bootstrapMeans(gains, options);
  const noiseMeans = bootstrapMeans(steps, { ...options, size: n }).map(Math.abs).sort();
  const gain = gains.reduce((a, b) => a + b, 0) / n;
  const low = quantile(gainMeans, (1 - confidence) / 2), high = quantile(gainMeans, (1 + confidence) / 2);
  const noise = quantile(noiseMeans, confidence);
  const keep = gain > noise && low > 0;
  const f = (v: number) => Number(v.toPrecision(4));
  const reason = keep
    ? `gain ${f(gain)} [${f(low)}, ${f(high)}] exceeds the incumbent's noise ${f(noise)}`
    : gain <= noise
    ? `gain ${f(gain)} is within the incumbent's noise ${f(noise)}`
    : `gain ${f(gain)} is not significant: its interval [${f(low)}, ${f(high)}] reaches zero`;
  return { keep, gain, low, high, noise, pairs: n, reason };
}

/** A proposed config and where it came from. */
export interface Candidate {
  config: SchedConfig;
  source: "forest" | "grid";
  /** The forest's prediction (source "forest" only). */
  predicted: number | null;
}

/** What {@linkcode nextCandidates} starts from. */
export interface NextCandidatesInput {
  incumbent: SchedConfig;
  /** Configs already tried this session: never proposed again. */
  tried?: readonly SchedConfig[];
  /** The sweep grid: the neighbours of the incumbent are taken on it. */
  grid: SearchGrid;
  /** The forest trained on this game's samples, and how many it saw; absent or null when there is none. */
  forest?: {
    model: ScoringModel;
    input: SearchInput;
    samples: number;
    direction: ObjectiveDirection;
  } | null;
}

/** Options of {@linkcode nextCandidates}. */
export interface NextCandidatesOptions {
  /** The seeded generator. */
  rng: Rng;
  /** Configs to propose. Default 3. */
  count?: number;
  /** Fewest samples for the forest to be trusted. Default 20 (the trainer's minimum). */
  minSamples?: number;
  /** Candidates the forest's search scores. Default 20,000. */
  budget?: number;
}

const keyOf = (c: SchedConfig) => JSON.stringify(TUNABLES.map((t) => c[t.key]));

/**
 * The incumbent's neighbours on the grid: for each tunable in `grid`, the config with that tunable moved
 * to the next grid value below or above the incumbent's (a switch flipped), in a seeded random order.
 */
export function gridNeighbours(
  incumbent: SchedConfig,
  options: { grid: SearchGrid; rng: Rng },
): SchedConfig[] {
  const { grid, rng } = options;
  const out: SchedConfig[] = [];
  for (const t of TUNABLES) {
    const axis = grid[t.key];
    if (!axis || axis.length === 0) continue;
    if (t.kind === "switch") {
      if (axis.includes(!incumbent[t.key])) out.push({ ...incumbent, [t.key]: !incumbent[t.key] });
      continue;
    }
    const values = [...new Set(axis as readonly number[])].sort((x, y) => x - y);
    const v = incumbent[t.key];
    const below = values.filter((g) => g < v).at(-1), above = values.find((g) => g > v);
    for (const g of [below, above]) if (g !== undefined) out.push({ ...incumbent, [t.key]: g });
  }
  const order = permutation(out.length, rng);
  return Array.from(order, (i) => out[i]);
}

/**
 * The next configs to try: the forest's best predictions when it was trained on at least `minSamples`
 * samples of the game, topped up (or replaced, without a forest) by the incumbent's grid neighbours.
 * Never the incumbent, never a config in `tried`, never the same config twice.
 *
 * @example
 * ```ts
 * nextCandidates({ incumbent: defaultConfig(), grid: { slice_us: [5, 10, 15] } }, { rng: createRng(0) });
 * // slice_us 5 and slice_us 15 (the default is 10), in a seeded order, source "grid"
 * ```
 */
export function nextCandidates(input: NextCandidatesInput, options: NextCandidatesOptions): Candidate[] {
  const { incumbent, tried = [], grid, forest = null } = input;
  const { rng, count = 3, minSamples = MIN_SAMPLES, budget = 20_000 } = options;
  const seen = new Set([incumbent, ...tried].map(keyOf));
  const out: Candidate[] = [];
  const offer = (c: Candidate) => {
    if (out.length < count && !seen.has(keyOf(c.config))) {
      seen.add(keyOf(c.config));
      out.push(c);
    }
  };
  if (forest && forest.samples >= minSamples) {
    const result = searchBestConfig(forest.model, forest.input, {
      budget,
      grid,
      seed: rng.nextU32(),
      direction: forest.direction,
      keep: count + seen.size,
    });
    for (const r of result.top) offer({ config: r.config, source: "forest", predicted: r.predicted });
  }
  for (const config of gridNeighbours(incumbent, { grid, rng })) {
    offer({ config, source: "grid", predicted: null });
  }
  return out;
}
