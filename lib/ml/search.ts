/**
 * Find the configuration the forest predicts to score best for one game's workload.
 *
 * The candidates, in order (ties keep the first found, so the sweep's well-sampled grid wins ties):
 * 1. the sweep grid (lib/sweep/grid.ts): slice_us 250,500,1000,4000 x input_window_us 1000,2000,3000 x mig_max 1,3,5, every other
 *    tunable at its default;
 * 2. random configs (half of the budget), each numeric tunable a uniform integer in its search range;
 * 3. local refinement of the best few: each step moves one or two tunables of an elite by a random
 *    step (a fraction of the range, halving down to 1) or flips a switch.
 *
 * A numeric tunable's search range is the part of its allowed range (lib/config.ts) that the training
 * data covers: a tree predicts the same beyond the last value it saw, so going further would only pick
 * an arbitrary extreme. A tunable the data never varied keeps its one value; a switch the data never
 * varied cannot be decided by the model and is set from the machine's topology instead.
 *
 * Speed: the workload features are fixed for the whole search, so each tree is first specialised to
 * them (specialize.ts) and packed (packed_tree.ts); 100,000 candidates then take well under a second.
 *
 * @module
 */

import { type SchedConfig, type SwitchKey, TUNABLES } from "../config.ts";
import type { FeatureLayout } from "./features.ts";
import type { RandomForestRegressor } from "./forest.ts";
import { addPackedPredictions, type PackedTree, packTree } from "./packed_tree.ts";
import { createRng, type Rng } from "./rng.ts";
import type { StandardScaler } from "./scaler.ts";
import { specializeTree } from "./specialize.ts";

/** The machine's topology, read by the caller (lib/ml does no IO). */
export interface Topology {
  /** Some core has more than one hardware thread. */
  smt: boolean;
  numaNodes: number;
  /** Cores of different capacity (P/E cores). */
  hybrid: boolean;
}

/** What the search needs besides the model. */
export interface SearchInput {
  layout: FeatureLayout;
  /** Raw (unscaled) value of every feature for the game; the tunable entries are ignored. */
  workload: Float64Array;
  /** Raw training minimum and maximum of every feature (search ranges, and what never varied). */
  observedMin: Float64Array;
  observedMax: Float64Array;
  topology: Topology;
}

/** Options of {@linkcode searchBestConfig}. */
export interface SearchOptions {
  /** Candidates to score in all (grid included). Default 100,000. */
  budget?: number;
  /** Seed of the random and local phases. Default 0. */
  seed?: number;
  /** Share one tree walk among candidates in the same cells (see below). Default true; the benchmark
   * turns it off to measure what it buys. */
  cellCache?: boolean;
}

/** The winner and how it was found. */
export interface SearchResult {
  config: SchedConfig;
  /** The forest's predicted score of `config`. */
  score: number;
  evaluated: number;
  /** Distinct candidates actually walked through the trees (the rest shared a cell, see the code). */
  walked: number;
  seconds: number;
  /** Switches the data could not decide, set from the topology. */
  fromTopology: SwitchKey[];
}

/** The sweep grid (the same values `deno task sweep` runs). */
export const SWEEP_GRID = {
  slice_us: [5, 10, 15, 20],
  input_window_us: [1000, 2000, 3000],
  mig_max: [1, 3, 5],
} as const;

/**
 * The value of each switch when the data cannot decide it. avoid_smt when cores have SMT siblings,
 * enable_numa on more than one node, preferred_idle_scan on hybrid CPUs; mm_affinity (keep a game's
 * threads where its address space is cache-warm) everywhere except hybrid CPUs, where it would pull
 * threads back to whatever core, possibly an efficiency core, they last ran on.
 */
export function switchesFromTopology(topology: Topology): Record<SwitchKey, boolean> {
  return {
    mm_affinity: !topology.hybrid,
    avoid_smt: topology.smt,
    preferred_idle_scan: topology.hybrid,
    enable_numa: topology.numaNodes > 1,
  };
}

/** A tunable's place in the search. */
interface Dim {
  key: keyof SchedConfig;
  column: number;
  isSwitch: boolean;
  lo: number;
  hi: number;
  default: number;
}

/**
 * Search the tunable space with `model` for the game described by `input`.
 *
 * @example
 * ```ts
 * const best = searchBestConfig({ forest, scaler }, input);
 * configToCommandLine(best.config);
 * ```
 */
export function searchBestConfig(
  model: { forest: RandomForestRegressor; scaler: StandardScaler | null },
  input: SearchInput,
  options: SearchOptions = {},
): SearchResult {
  const started = performance.now();
  const { budget = 100_000, seed = 0, cellCache = true } = options;
  const { layout, topology } = input;
  const rng = createRng(seed);
  const nd = TUNABLES.length;
  const scale = (j: number, v: number) => model.scaler ? model.scaler.transformValue(j, v) : v;

  const topo = switchesFromTopology(topology);
  const fromTopology: SwitchKey[] = [];
  const dims: Dim[] = TUNABLES.map((t) => {
    const column = layout.tunableColumn[t.key];
    const oMin = input.observedMin[column], oMax = input.observedMax[column];
    if (t.kind === "switch") {
      if (oMin === oMax) {
        fromTopology.push(t.key);
        const v = topo[t.key] ? 1 : 0;
        return { key: t.key, column, isSwitch: true, lo: v, hi: v, default: v };
      }
      return { key: t.key, column, isSwitch: true, lo: 0, hi: 1, default: t.default ? 1 : 0 };
    }
    const lo = Math.max(t.min, Math.ceil(oMin)), hi = Math.min(t.max, Math.floor(oMax));
    if (!(lo <= hi)) {
      return { key: t.key, column, isSwitch: false, lo: t.default, hi: t.default, default: t.default };
    }
    return { key: t.key, column, isSwitch: false, lo, hi, default: t.default };
  });
  // Tunables are the first columns of the layout, so the specialised trees index candidates directly.
  dims.forEach((d, i) => {
    if (d.column !== i) throw new RangeError(`feature layout: tunable ${d.key} must be column ${i}`);
  });

  const fixed = new Float64Array(layout.names.length).fill(NaN);
  for (const j of layout.workloadColumns) fixed[j] = scale(j, input.workload[j]);
  const trees: PackedTree[] = model.forest.trees.map((t) => packTree(specializeTree(t, fixed)));

  let evaluated = 0;
  const bestRaw = new Float64Array(nd);
  let bestScore = -Infinity;
  // The few best distinct candidates, seeds of the local phase.
  const eliteCount = 8;
  const elites: { raw: Float64Array; score: number }[] = [];

  // Standardise candidates with the scaler's affine map of each tunable column: x * mul + add.
  const mul = new Float64Array(nd), add = new Float64Array(nd);
  for (let i = 0; i < nd; i++) {
    add[i] = scale(i, 0);
    mul[i] = scale(i, 1) - add[i];
  }
  // Every split on a tunable, per tunable: two values between the same pair of consecutive thresholds
  // take the same branch at every split of every tree, so candidates whose values fall in the same
  // cells get the same prediction. Keying candidates by their cells lets each distinct cell combination
  // be walked through the trees once (a random search revisits cells constantly).
  const cuts: Float64Array[] = dims.map((_, i) => {
    const set = new Set<number>();
    for (const t of trees) {
      for (let n = 0; 4 * n + 2 < t.i32.length; n++) if (t.i32[4 * n + 2] === i) set.add(t.f64[2 * n]);
    }
    return Float64Array.from(set).sort();
  });
  const keyed = dims.map((_, i) => i).filter((i) => cuts[i].length > 0);
  const cacheable = cellCache && keyed.reduce((p, i) => p * (cuts[i].length + 1), 1) < 2 ** 52;
  const cache = new Map<number, number>();
  let walked = 0;
  const cellOf = (cut: Float64Array, v: number): number => {
    let lo = 0, hi = cut.length; // first cut >= v: the number of cuts v lies strictly above
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cut[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const predictRows = (x: Float64Array, count: number): Float64Array => {
    const out = new Float64Array(count);
    const batch = { x: { rows: count, cols: nd, data: x }, out };
    for (const t of trees) addPackedPredictions(t, batch);
    for (let k = 0; k < count; k++) out[k] /= trees.length;
    walked += count;
    return out;
  };

  const evaluate = (raw: Float64Array, count: number): void => {
    const x = new Float64Array(count * nd);
    for (let k = 0, i = 0; k < count * nd; k++, i = i + 1 === nd ? 0 : i + 1) x[k] = raw[k] * mul[i] + add[i];
    let out: Float64Array;
    if (!cacheable) out = predictRows(x, count);
    else {
      out = new Float64Array(count);
      const keys = new Float64Array(count);
      const missing = new Map<number, number>(); // key -> first candidate with it
      for (let k = 0; k < count; k++) {
        let key = 0;
        for (const i of keyed) key = key * (cuts[i].length + 1) + cellOf(cuts[i], x[k * nd + i]);
        keys[k] = key;
        if (!cache.has(key) && !missing.has(key)) missing.set(key, k);
      }
      const firsts = [...missing.values()];
      const sub = new Float64Array(firsts.length * nd);
      firsts.forEach((k, r) => sub.set(x.subarray(k * nd, (k + 1) * nd), r * nd));
      const fresh = predictRows(sub, firsts.length);
      firsts.forEach((k, r) => cache.set(keys[k], fresh[r]));
      for (let k = 0; k < count; k++) out[k] = cache.get(keys[k])!;
    }
    const worstElite = () => (elites.length < eliteCount ? -Infinity : elites[elites.length - 1].score);
    let worst = worstElite();
    for (let k = 0; k < count; k++) {
      const s = out[k];
      if (s <= worst && s <= bestScore) continue;
      const row = raw.subarray(k * nd, (k + 1) * nd);
      if (s > bestScore) {
        bestScore = s;
        bestRaw.set(row);
      }
      if (s > worst && !elites.some((e) => e.raw.every((v, i) => v === row[i]))) {
        if (elites.length === eliteCount) elites.pop();
        elites.push({ raw: row.slice(), score: s });
        elites.sort((a, b) => b.score - a.score);
        worst = worstElite();
      }
    }
    evaluated += count;
  };

  // 1. the sweep grid
  const grid: number[] = [];
  for (const s of SWEEP_GRID.slice_us) {
    for (const w of SWEEP_GRID.input_window_us) {
      for (const m of SWEEP_GRID.mig_max) {
        for (const d of dims) {
          grid.push(
            d.key === "slice_us" ? s : d.key === "input_window_us" ? w : d.key === "mig_max" ? m : d.default,
          );
        }
      }
    }
  }
  const gridCount = Math.min(grid.length / nd, budget);
  evaluate(Float64Array.from(grid.slice(0, gridCount * nd)), gridCount);

  // 2. random configs
  const batch = 4096;
  const randomBudget = Math.floor((budget - evaluated) / 2);
  for (let done = 0; done < randomBudget;) {
    const count = Math.min(batch, randomBudget - done);
    const raw = new Float64Array(count * nd);
    for (let k = 0; k < count; k++) {
      for (let i = 0; i < nd; i++) raw[k * nd + i] = dims[i].lo + rng.int(dims[i].hi - dims[i].lo + 1);
    }
    evaluate(raw, count);
    done += count;
  }

  // 3. local refinement around the elites
  const free = dims.map((d, i) => (d.hi > d.lo ? i : -1)).filter((i) => i >= 0);
  while (evaluated < budget && free.length > 0) {
    const count = Math.min(batch, budget - evaluated);
    const raw = new Float64Array(count * nd);
    const seeds = elites.map((e) => e.raw);
    for (let k = 0; k < count; k++) {
      const row = raw.subarray(k * nd, (k + 1) * nd);
      row.set(seeds[k % seeds.length]);
      const moves = 1 + rng.int(2);
      for (let m = 0; m < moves; m++) perturb(row, dims[free[rng.int(free.length)]], rng);
    }
    evaluate(raw, count);
  }

  const config = {} as Record<string, number | boolean>;
  dims.forEach((d, i) => (config[d.key] = d.isSwitch ? bestRaw[i] === 1 : bestRaw[i]));
  return {
    config: config as SchedConfig,
    score: bestScore,
    evaluated,
    walked,
    seconds: (performance.now() - started) / 1000,
    fromTopology,
  };
}

/** Move one tunable of `row` a random step within its range (a switch flips). */
function perturb(row: Float64Array, d: Dim, rng: Rng): void {
  const i = d.column;
  if (d.isSwitch) {
    row[i] = row[i] === 1 ? 0 : 1;
    return;
  }
  // Step sizes from half the range down to 1, each scale equally likely: coarse and fine moves.
  const span = d.hi - d.lo;
  const levels = Math.max(1, Math.ceil(Math.log2(span + 1)));
  const step = Math.max(1, Math.round(span / 2 ** (1 + rng.int(levels))));
  const v = row[i] + (rng.next() < 0.5 ? -step : step);
  row[i] = Math.min(d.hi, Math.max(d.lo, v));
}
