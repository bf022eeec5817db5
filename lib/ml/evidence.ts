/**
 * Does what was measured support the forest's pick over the defaults? The forest ranks configs by what it
 * learned, but a sweep measures each config for a few seconds under a noisy load, and a forest fitted on
 * noise still names a "best" config (a demo recommendation once measured worse than the defaults). So a
 * pick is recommended only when its own samples beat the defaults' samples by more than the noise;
 * otherwise the measured defaults are.
 *
 * Configs are told apart by the tunables the data varied (the others were the same in every row). A
 * config's samples are consecutive readings of one run, so they are correlated: the noise of its mean is
 * estimated from batch means (its samples in {@link BATCHES} runs of consecutive rows, in file order), and
 * the margin is one-sided at 5% shared among every config measured (Bonferroni: picking the best of 27
 * configs after the fact favours a lucky one).
 *
 * Batch means see the wobble inside one window, not what moves a whole window's mean: the load drifting
 * over a sweep of minutes, a config's place in the order. A pick 0.32 above the defaults against a
 * batch-means margin of 0.29 measured worse than them on fresh runs. So when the defaults ran in several
 * windows (a window: a run of consecutive rows of one config; the sweep runs the defaults between its
 * configs as reference windows), each of the pick's windows is compared with the defaults' windows just
 * before and after it, so that a drift slow against the windows' spacing cancels, and the noise of one
 * window's mean is taken from the differences between neighbouring windows of the defaults (von
 * Neumann's successive differences), which a slow drift barely moves. The margin is the larger of that
 * and the batch-means one. Run M's sweep (docs/benchmarks.md) had every config score higher in its first
 * pass than in its second: the spread of all the defaults' windows counted that drift as noise.
 *
 * @module
 */

import { objectiveSign } from "../score.ts";
import type { ObjectiveDirection } from "../types.ts";
import { mean } from "./ab.ts";
import { distinctColumnValues } from "./dataset.ts";
import type { Matrix } from "./matrix.ts";

/** Batches a config's samples are cut into to estimate the noise of their mean. */
export const BATCHES = 5;

/** One measured config: its samples' mean and the standard error of that mean. */
export interface MeasuredConfig {
  samples: number;
  mean: number;
  /** Standard error of the mean from batch means. */
  se: number;
}

/** The verdict on a pick. */
export interface Evidence {
  /**
   * supported: the pick's samples beat the defaults' by more than the noise; not_better: they do not;
   * pick_unmeasured: the pick's combination was never measured (or too few samples); defaults_unmeasured:
   * no sample ran the defaults, so nothing can be compared (the pick stands, unverified); is_defaults: the
   * pick is the defaults.
   */
  kind: "supported" | "not_better" | "pick_unmeasured" | "defaults_unmeasured" | "is_defaults";
  pick: MeasuredConfig | null;
  defaults: MeasuredConfig | null;
  /**
   * The pick's gain over the defaults, signed so that positive is better; null unless both were measured.
   * With `paired`, the mean difference between the pick's windows and the defaults' windows beside them;
   * else the pick's mean minus the defaults' mean.
   */
  gain: number | null;
  /** The gain is against the defaults' windows beside the pick's (the defaults ran in enough windows). */
  paired: boolean;
  /** The gain the noise could give by chance (the margin a real gain must exceed); null likewise. */
  margin: number | null;
  /** Distinct configs measured (the Bonferroni count). */
  configs: number;
  /** The defaults' windows of at least {@link MIN_SAMPLES} samples (the spread needs {@link MIN_WINDOWS}). */
  defaultsWindows: number;
  /**
   * Where the margin came from: the differences between the defaults' neighbouring windows, or batch means
   * inside windows.
   */
  marginFrom: "windows" | "batches" | null;
  /** The defaults as measured: the tunables of a row that ran them, or null when none did. */
  measuredDefaults: Float64Array | null;
}

/** Fewest samples of a config to judge it (one per batch), and of a window to count in the spread. */
const MIN_SAMPLES = BATCHES;

/** Fewest windows of the defaults whose spread is taken as the between-window noise. */
export const MIN_WINDOWS = 3;

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9), for 0 < p < 1. */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.357751867269,
    -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406,
    161.5858368580409,
    -155.6989798598866,
    66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Mean and batch-means standard error of values in order, or null for fewer than {@link MIN_SAMPLES}. */
export function measure(values: readonly number[]): MeasuredConfig | null {
  const n = values.length;
  if (n < MIN_SAMPLES) return null;
  const all = mean(values);
  const batchMeans = Array.from(
    { length: BATCHES },
    (_, b) => mean(values.slice(Math.floor((b * n) / BATCHES), Math.floor(((b + 1) * n) / BATCHES))),
  );
  const variance = batchMeans.reduce((s, m) => s + (m - all) ** 2, 0) / (BATCHES - 1);
  return { samples: n, mean: all, se: Math.sqrt(variance / BATCHES) };
}

/** A window: a run of consecutive rows of one config; `start` is its first row, its place in time. */
export interface Window {
  start: number;
  values: number[];
}

/** The windows with enough samples to count ({@link MIN_SAMPLES}). */
function fullWindows(windows: readonly Window[]): Window[] {
  return windows.filter((w) => w.values.length >= MIN_SAMPLES);
}

/**
 * The standard deviation of one window's mean with a slow drift taken out, from the means of one
 * config's windows in time order: half the mean square of the differences between neighbouring windows
 * (von Neumann's successive differences), as a standard deviation. A drift slow against the windows'
 * spacing moves each difference little, where the spread of all the means around their mean would count
 * it whole. Null with fewer than {@link MIN_WINDOWS} windows.
 */
export function neighbourNoise(means: readonly number[]): number | null {
  if (means.length < MIN_WINDOWS) return null;
  let squares = 0;
  for (let i = 1; i < means.length; i++) squares += (means[i] - means[i - 1]) ** 2;
  return Math.sqrt(squares / (2 * (means.length - 1)));
}

/**
 * The pick's windows against the defaults' windows beside them: each pick window's mean minus the mean
 * of the defaults' full windows just before and just after it (one at either end of the data). Returns
 * the mean difference and, for the noise, the sum of the squared weights of every window mean in it: the
 * difference is a weighted sum of window means, so its variance is that sum times one window's variance
 * (a defaults window between two pick windows counts in both, and its weights add). Null when no full
 * pick window has a defaults window beside it.
 */
export function againstNeighbours(
  pick: readonly Window[],
  defaults: readonly Window[],
): { difference: number; weights: number } | null {
  const refs = fullWindows(defaults).map((w) => ({ start: w.start, mean: mean(w.values) }));
  const paired = fullWindows(pick).flatMap((w) => {
    const before = refs.findLast((r) => r.start < w.start);
    const after = refs.find((r) => r.start > w.start);
    const beside = [before, after].filter((r) => r !== undefined);
    return beside.length === 0 ? [] : [{ mean: mean(w.values), beside }];
  });
  if (paired.length === 0) return null;
  const k = paired.length;
  const refWeight = new Map<number, number>();
  let difference = 0;
  for (const p of paired) {
    const level = mean(p.beside.map((r) => r.mean));
    difference += (p.mean - level) / k;
    for (const r of p.beside) {
      refWeight.set(r.start, (refWeight.get(r.start) ?? 0) + 1 / (p.beside.length * k));
    }
  }
  const weights = 1 / k + [...refWeight.values()].reduce((s, w) => s + w * w, 0);
  return { difference, weights };
}

/** The key of a row's config: its values of the varied tunable columns. */
function keyOf(x: Matrix, row: number, varied: readonly number[]): string {
  return varied.map((j) => x.data[row * x.cols + j]).join(",");
}

/** One config's rows: its values in file order, the same cut into windows, and its first row. */
interface ConfigRows {
  values: number[];
  windows: Window[];
  row: number;
}

/** The rows grouped by config (the varied tunables' values), each with its values and its windows. */
function groupByConfig(x: Matrix, y: Float64Array, tunables: number) {
  const distinct = distinctColumnValues(x);
  const varied = Array.from({ length: tunables }, (_, j) => j).filter((j) => distinct[j].length > 1);
  const groups = new Map<string, ConfigRows>();
  let previousKey: string | null = null;
  for (let i = 0; i < x.rows; i++) {
    const key = keyOf(x, i, varied);
    const g = groups.get(key) ?? { values: [], windows: [], row: i };
    g.values.push(y[i]);
    if (key !== previousKey) g.windows.push({ start: i, values: [] });
    g.windows[g.windows.length - 1].values.push(y[i]);
    groups.set(key, g);
    previousKey = key;
  }
  const groupOf = (v: ArrayLike<number>) => groups.get(varied.map((j) => v[j]).join(","));
  return { groups, groupOf };
}

/**
 * A config's measured gain over the defaults, signed so that positive is better, with the standard
 * deviation of that gain's noise between windows: against the defaults' windows beside its own when the
 * defaults ran in {@link MIN_WINDOWS} windows or more (see the module doc), else the plain difference of
 * the means with no between-window noise (null).
 */
function gainOver(config: ConfigRows, defaults: ConfigRows, sign: number) {
  const noise = neighbourNoise(fullWindows(defaults.windows).map((w) => mean(w.values)));
  const paired = noise === null ? null : againstNeighbours(config.windows, defaults.windows);
  if (noise === null || paired === null) {
    return { gain: sign * (mean(config.values) - mean(defaults.values)), betweenSd: null };
  }
  return { gain: sign * paired.difference, betweenSd: noise * Math.sqrt(paired.weights) };
}

/** How {@link bestMeasured} ranked the candidates. */
export interface MeasuredRank {
  /** The chosen candidate: the best gain among those measured; 0 when none was. */
  index: number;
  /** Each candidate's samples (null: never ran as a whole for {@link MIN_SAMPLES} samples). */
  measured: (MeasuredConfig | null)[];
  /** Each candidate's gain over the defaults, positive = better (null: not measured); see `paired`. */
  gains: (number | null)[];
  /**
   * The gains are against the defaults' windows beside each candidate's (the defaults ran in enough
   * windows); else each is the candidate's mean minus the defaults' mean, or its signed mean when the
   * defaults never ran.
   */
  paired: boolean;
}

/**
 * Of `candidates` (tunable values in column order, the forest's best first), the one whose own samples
 * measured best against the defaults, as {@link judgePick} measures a gain (so a drift over the sweep
 * favours none of them). The forest ranks by a prediction smoothed over neighbouring configs; where a
 * sweep ran its top few, their own samples tell them apart more directly. Picking the best of several
 * after the fact is what {@link judgePick}'s margin allows for.
 */
export function bestMeasured(input: {
  x: Matrix;
  y: Float64Array;
  tunables: number;
  candidates: readonly ArrayLike<number>[];
  defaults: ArrayLike<number>;
  direction: ObjectiveDirection;
}): MeasuredRank {
  const { groupOf } = groupByConfig(input.x, input.y, input.tunables);
  const sign = objectiveSign(input);
  const defaults = groupOf(input.defaults);
  const measuredDefaults = defaults !== undefined && measure(defaults.values) !== null;
  let paired = false;
  const ranked = input.candidates.map((c) => {
    const g = groupOf(c);
    const m = g ? measure(g.values) : null;
    if (m === null) return { m, gain: null };
    if (!measuredDefaults) return { m, gain: sign * m.mean };
    if (g === defaults) return { m, gain: 0 };
    const over = gainOver(g!, defaults!, sign);
    paired ||= over.betweenSd !== null;
    return { m, gain: over.gain };
  });
  const gains = ranked.map((r) => r.gain);
  let index = 0;
  gains.forEach((g, i) => {
    const best = gains[index];
    if (g !== null && (best === null || g > best)) index = i;
  });
  return { index, measured: ranked.map((r) => r.m), gains, paired };
}

/**
 * Every config the rows measured for {@link MIN_SAMPLES} samples or more, but the defaults, with its gain
 * over them as {@link judgePick} measures it (positive = better): the config as the tunables of its first
 * row. Empty when the defaults were not measured.
 */
export function measuredGains(input: {
  x: Matrix;
  y: Float64Array;
  tunables: number;
  defaults: ArrayLike<number>;
  direction: ObjectiveDirection;
}): { values: Float64Array; gain: number }[] {
  const { x } = input;
  const { groups, groupOf } = groupByConfig(x, input.y, input.tunables);
  const defaults = groupOf(input.defaults);
  if (defaults === undefined || measure(defaults.values) === null) return [];
  const sign = objectiveSign(input);
  return [...groups.values()]
    .filter((g) => g !== defaults && g.values.length >= MIN_SAMPLES)
    .map((g) => ({
      values: x.data.slice(g.row * x.cols, g.row * x.cols + input.tunables),
      gain: gainOver(g, defaults, sign).gain,
    }));
}

/**
 * Judge `pick` (tunable values in column order, the layout's first `tunables` columns) against `defaults`
 * on the rows `x`/`y` (one game and CPU model, in file order).
 *
 * @example
 * ```ts
 * const e = judgePick({ x, y, tunables: 11, pick, defaults, direction: "max" });
 * if (e.kind !== "supported" && e.measuredDefaults) recommend(e.measuredDefaults);
 * ```
 */
export function judgePick(input: {
  x: Matrix;
  y: Float64Array;
  tunables: number;
  pick: ArrayLike<number>;
  defaults: ArrayLike<number>;
  direction: ObjectiveDirection;
}): Evidence {
  const { x } = input;
  const { groups, groupOf } = groupByConfig(x, input.y, input.tunables);
  const pickGroup = groupOf(input.pick);
  const defaultsGroup = groupOf(input.defaults);
  const pick = pickGroup ? measure(pickGroup.values) : null;
  const defaults = defaultsGroup ? measure(defaultsGroup.values) : null;
  const configs = [...groups.values()].filter((g) => g.values.length >= MIN_SAMPLES).length;
  const measuredDefaults = defaultsGroup
    ? x.data.slice(defaultsGroup.row * x.cols, defaultsGroup.row * x.cols + input.tunables)
    : null;
  const defaultsWindows = defaultsGroup ? fullWindows(defaultsGroup.windows).length : 0;
  const base = {
    pick,
    defaults,
    configs,
    measuredDefaults,
    defaultsWindows,
    gain: null,
    margin: null,
    paired: false,
    marginFrom: null,
  };
  if (defaults === null) return { ...base, kind: "defaults_unmeasured" };
  if (pickGroup === defaultsGroup) return { ...base, kind: "is_defaults" };
  if (pick === null) return { ...base, kind: "pick_unmeasured" };
  const sign = objectiveSign(input);
  const z = normalQuantile(1 - 0.05 / Math.max(1, configs));
  const { gain, betweenSd } = gainOver(pickGroup!, defaultsGroup!, sign);
  const withinWindows = z * Math.hypot(pick.se, defaults.se);
  const betweenWindows = betweenSd === null ? null : z * betweenSd;
  const fromWindows = betweenWindows !== null && betweenWindows > withinWindows;
  const margin = fromWindows ? betweenWindows : withinWindows;
  return {
    ...base,
    gain,
    margin,
    paired: betweenSd !== null,
    marginFrom: fromWindows ? "windows" : "batches",
    kind: gain > margin ? "supported" : "not_better",
  };
}
