/**
 * Score many candidate configs for one game quickly, and keep the best few.
 *
 * The workload features are fixed for the whole search, so each tree is first specialised to them
 * (specialize.ts) and packed (packed_tree.ts). Then a cell cache: two values between the same pair of
 * consecutive thresholds take the same branch at every split of every tree, so candidates whose values
 * fall in the same cells get the same prediction. Keying candidates by their cells lets each distinct
 * cell combination be walked through the trees once (a random search revisits cells constantly).
 *
 * Scores are "higher is better" (`sign * prediction`, sign -1 for an objective to minimise); a
 * candidate whose prediction is not finite never becomes the best or an elite.
 *
 * @module
 */

import type { FeatureLayout } from "./features.ts";
import type { RandomForestRegressor } from "./forest.ts";
import { addPackedPredictions, type PackedTree, packTree } from "./packed_tree.ts";
import type { StandardScaler } from "./scaler.ts";
import { specializeTree } from "./specialize.ts";

/** A fitted model: the forest and the scaler its inputs went through (null = none). */
export interface ScoringModel {
  forest: RandomForestRegressor;
  scaler: StandardScaler | null;
}

/** One of the best candidates: its raw row and its "higher is better" score. */
export interface Elite {
  raw: Float64Array;
  score: number;
}

/** The first cut index >= v: the number of cuts v lies strictly above. */
function cellOf(cut: Float64Array, v: number): number {
  let lo = 0, hi = cut.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cut[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Every split threshold on each of the first `nd` features, over all trees, ascending. */
function splitCuts(trees: readonly PackedTree[], nd: number): Float64Array[] {
  return Array.from({ length: nd }, (_, i) => {
    const set = new Set<number>();
    for (const t of trees) {
      for (let n = 0; 4 * n + 2 < t.i32.length; n++) if (t.i32[4 * n + 2] === i) set.add(t.f64[2 * n]);
    }
    return Float64Array.from(set).sort();
  });
}

/** Scores candidate rows of `nd` raw tunable values and keeps the best `keep` distinct ones. */
export class CandidateScorer {
  /** Candidates scored so far. */
  evaluated = 0;
  /** Distinct candidates actually walked through the trees (the rest shared a cell). */
  walked = 0;
  readonly #nd: number;
  readonly #trees: PackedTree[];
  readonly #mean: Float64Array;
  readonly #scale: Float64Array;
  readonly #sign: number;
  readonly #keep: number;
  readonly #cuts: Float64Array[];
  readonly #keyed: number[];
  readonly #cacheable: boolean;
  readonly #cache = new Map<number, number>();
  readonly #elites: Elite[] = [];

  /**
   * Specialise `model`'s trees to the game's `workload` (raw values; the tunables, which must be the
   * first `nd` columns of `layout`, are left free).
   */
  constructor(
    model: ScoringModel,
    options: {
      layout: FeatureLayout;
      workload: Float64Array;
      sign: 1 | -1;
      keep: number;
      cellCache: boolean;
    },
  ) {
    const { layout, workload } = options;
    const scale = (j: number, v: number) => model.scaler ? model.scaler.transformValue(j, v) : v;
    const nd = Object.keys(layout.tunableColumn).length;
    const fixed = new Float64Array(layout.names.length).fill(NaN);
    for (const j of layout.workloadColumns) fixed[j] = scale(j, workload[j]);
    this.#trees = model.forest.trees.map((t) => packTree(specializeTree(t, fixed)));
    this.#nd = nd;
    this.#sign = options.sign;
    this.#keep = Math.max(1, options.keep);
    // Standardise candidates exactly as the scaler does, (x - mean) / scale: a threshold often lies
    // exactly on a measured value (the midpoint of its two neighbours when a node lacks it), so a
    // candidate scaled any other way (e.g. x * mul + add) may take the other branch by one rounding.
    const json = model.scaler?.toJSON();
    this.#mean = json ? Float64Array.from(json.mean.slice(0, nd)) : new Float64Array(nd);
    this.#scale = json ? Float64Array.from(json.scale.slice(0, nd)) : new Float64Array(nd).fill(1);
    this.#cuts = splitCuts(this.#trees, nd);
    this.#keyed = this.#cuts.map((_, i) => i).filter((i) => this.#cuts[i].length > 0);
    this.#cacheable = options.cellCache &&
      this.#keyed.reduce((p, i) => p * (this.#cuts[i].length + 1), 1) < 2 ** 52;
  }

  /** The best distinct candidates so far, best first. */
  get elites(): readonly Elite[] {
    return this.#elites;
  }

  /** The sign that turns a prediction into a score (and back). */
  get sign(): 1 | -1 {
    return this.#sign as 1 | -1;
  }

  /** Score `count` candidate rows of `raw` and update the elites. */
  score(raw: Float64Array, count: number): void {
    const nd = this.#nd;
    const x = new Float64Array(count * nd);
    for (let k = 0, i = 0; k < count * nd; k++, i = i + 1 === nd ? 0 : i + 1) {
      x[k] = (raw[k] - this.#mean[i]) / this.#scale[i];
    }
    const out = this.#cacheable ? this.#predictCached(x, count) : this.#predict(x, count);
    for (let k = 0; k < count; k++) this.#offer(raw, k, this.#sign * out[k]);
    this.evaluated += count;
  }

  #offer(raw: Float64Array, k: number, s: number): void {
    const elites = this.#elites, nd = this.#nd;
    if (!Number.isFinite(s)) return;
    if (elites.length === this.#keep && s <= elites[elites.length - 1].score) return;
    const row = raw.subarray(k * nd, (k + 1) * nd);
    if (elites.some((e) => e.raw.every((v, i) => v === row[i]))) return;
    if (elites.length === this.#keep) elites.pop();
    // Insert after every elite scoring at least as much: ties keep the first found.
    let at = elites.length;
    while (at > 0 && elites[at - 1].score < s) at--;
    elites.splice(at, 0, { raw: row.slice(), score: s });
  }

  #predict(x: Float64Array, count: number): Float64Array {
    const out = new Float64Array(count);
    const batch = { x: { rows: count, cols: this.#nd, data: x }, out };
    for (const t of this.#trees) addPackedPredictions(t, batch);
    for (let k = 0; k < count; k++) out[k] /= this.#trees.length;
    this.walked += count;
    return out;
  }

  #predictCached(x: Float64Array, count: number): Float64Array {
    const nd = this.#nd, cache = this.#cache, cuts = this.#cuts;
    const keys = new Float64Array(count);
    const missing = new Map<number, number>(); // key -> first candidate with it
    for (let k = 0; k < count; k++) {
      let key = 0;
      for (const i of this.#keyed) key = key * (cuts[i].length + 1) + cellOf(cuts[i], x[k * nd + i]);
      keys[k] = key;
      if (!cache.has(key) && !missing.has(key)) missing.set(key, k);
    }
    const firsts = [...missing.values()];
    const sub = new Float64Array(firsts.length * nd);
    firsts.forEach((k, r) => sub.set(x.subarray(k * nd, (k + 1) * nd), r * nd));
    const fresh = this.#predict(sub, firsts.length);
    firsts.forEach((k, r) => cache.set(keys[k], fresh[r]));
    const out = new Float64Array(count);
    for (let k = 0; k < count; k++) out[k] = cache.get(keys[k])!;
    return out;
  }
}
