/**
 * A/B statistics for configs compared live, window by window: `abCompare` for a plain comparison and
 * the bootstrap helpers the autotuner's choice rule (autotune.ts) shares.
 *
 * Method: the windows are interleaved in time (A1 B1 A2 B2 ...), so window i of A and window i of B saw
 * nearly the same scene; each pair gives one difference d_i = B_i - A_i, which cancels slow drift (a new
 * level, a cut-scene). The difference is their mean, and its confidence interval is the paired bootstrap
 * percentile interval: the pairs are resampled with replacement (`resamples` times, default 2000, from
 * the seeded generator passed in), the mean of each resample is taken, and the interval runs between the
 * (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of those means. With few pairs a percentile
 * interval is somewhat too narrow; at least 3 pairs are required, 8 or more are advised.
 *
 * @module
 */

import type { Rng } from "./rng.ts";

/** Fewest pairs of windows a comparison accepts. */
export const MIN_PAIRS = 3;

/** Options of the bootstrap. */
export interface BootstrapOptions {
  /** The seeded generator (the one rng of the caller). */
  rng: Rng;
  /** Resamples drawn. Default 2000. */
  resamples?: number;
  /** Coverage of the interval, in (0, 1). Default 0.95. */
  confidence?: number;
}

/** The result of {@linkcode abCompare}; every value is in the objective's unit. */
export interface AbResult {
  /** Pairs of windows compared. */
  pairs: number;
  meanA: number;
  meanB: number;
  /** Mean of B_i - A_i: positive when B measured higher. */
  difference: number;
  /** Confidence interval of `difference`. */
  low: number;
  high: number;
  confidence: number;
  /** How the interval was computed, for reports. */
  method: string;
}

/** The arithmetic mean (NaN for no values). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** The q-quantile (0..1) of sorted values, by linear interpolation between closest ranks. */
export function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * Means of `resamples` bootstrap resamples of `values` (each of `size` draws with replacement, default
 * values.length), ascending.
 */
export function bootstrapMeans(
  values: ArrayLike<number>,
  options: BootstrapOptions & { size?: number },
): Float64Array {
  const { rng, resamples = 2000, size = values.length } = options;
  const out = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let k = 0; k < size; k++) s += values[rng.int(values.length)];
    out[r] = s / size;
  }
  return out.sort();
}

/** Check a list of window values: finite numbers, at least `min` of them. */
export function checkWindows(values: readonly number[], options: { name: string; min: number }): void {
  const { name, min } = options;
  if (values.length < min) {
    throw new RangeError(`${name}: ${values.length} windows: at least ${min} are needed`);
  }
  const bad = values.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(`${name}: window ${bad + 1} is ${values[bad]}: expected a finite number`);
  }
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence ${confidence}: expected a value in (0, 1)`);
  }
}

/**
 * Compare two configs measured in interleaved windows (A1 B1 A2 B2 ...): `windows.a[i]` and
 * `windows.b[i]` are one pair. Returns B - A with a paired bootstrap confidence interval (see the module
 * doc for the method).
 *
 * @throws {RangeError} when the lists differ in length, have fewer than 3 pairs or hold a non-finite value.
 *
 * @example
 * ```ts
 * const r = abCompare({ a: [10, 12, 11, 13], b: [11, 13, 12, 14] }, { rng: createRng(0) });
 * r.difference; // 1
 * [r.low, r.high]; // [1, 1]: every pair moved by exactly 1
 * ```
 */
export function abCompare(
  windows: { a: readonly number[]; b: readonly number[] },
  options: BootstrapOptions,
): AbResult {
  const { a, b } = windows;
  const { confidence = 0.95, resamples = 2000 } = options;
  checkConfidence(confidence);
  if (a.length !== b.length) {
    throw new RangeError(
      `A/B: ${a.length} windows of A and ${b.length} of B: interleaved windows come in pairs`,
    );
  }
  checkWindows(a, { name: "A/B: A", min: MIN_PAIRS });
  checkWindows(b, { name: "A/B: B", min: MIN_PAIRS });
  const d = Float64Array.from(a, (v, i) => b[i] - v);
  const means = bootstrapMeans(d, { ...options, resamples });
  return {
    pairs: d.length,
    meanA: mean(a),
    meanB: mean(b),
    difference: mean(d),
    low: quantile(means, (1 - confidence) / 2),
    high: quantile(means, (1 + confidence) / 2),
    confidence,
    method: `paired bootstrap, ${Math.round(confidence * 100)}% percentile interval of the mean of ` +
      `B - A over ${d.length} pairs, ${resamples} resamples`,
  };
}
