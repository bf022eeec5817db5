/**
 * Find the configuration the forest predicts to be best for one game's workload.
 *
 * The candidates, in order (ties keep the first found, so the sweep's well-sampled grid wins ties):
 * 1. the grid passed in (the sweep's grid: the configs measured most), every other tunable at its base;
 * 2. random configs (half of the remaining budget), each tunable drawn from its allowed values;
 * 3. local refinement of the best few: each step moves one or two tunables of an elite by a random
 *    step or flips a switch.
 *
 * The allowed values (search_space.ts) are by default the values training measured; the search never
 * recommends a value no sample measured, unless asked for the "range" space, and then it names the
 * tunables whose value is interpolated. Scoring is in candidate_scorer.ts (specialised, packed trees
 * and a cell cache: 100,000 candidates take well under a second).
 *
 * @module
 */

import type { SchedConfig, SwitchKey } from "../config.ts";
import type { ObjectiveDirection } from "../types.ts";
import { CandidateScorer, type ScoringModel } from "./candidate_scorer.ts";
import type { FeatureLayout } from "./features.ts";
import { createRng, type Rng } from "./rng.ts";
import {
  type CandidateValues,
  configOf,
  type Dim,
  gridCandidates,
  pickValue,
  searchDims,
  type SearchGrid,
  stepValue,
  unmeasuredKeys,
} from "./search_space.ts";

export type { Topology } from "../types.ts";
export { type SearchGrid, switchesFromTopology } from "./search_space.ts";

/** What the search needs besides the model. */
export interface SearchInput {
  layout: FeatureLayout;
  /** Raw (unscaled) value of every feature for the game; the tunable entries are ignored. */
  workload: Float64Array;
  /** Per tunable (in table order, = the layout's first columns): the raw values training measured, ascending. */
  measured: readonly Float64Array[];
}

/** Options of {@linkcode searchBestConfig}. */
export interface SearchOptions {
  /** Candidates to score in all (grid included). Default 100,000. */
  budget?: number;
  /** Seed of the random and local phases. Default 0. */
  seed?: number;
  /** Configs to try first (the sweep's grid). Default: none. */
  grid?: SearchGrid;
  /** Maximise ("max", default) or minimise ("min") the forest's prediction. */
  direction?: ObjectiveDirection;
  /** Allowed values of numeric tunables: "measured" (default) or "range" (see search_space.ts). */
  candidates?: CandidateValues;
  /** Best distinct configs to return in `top`. Default 8. */
  keep?: number;
  /** Share one tree walk among candidates in the same cells. Default true; the benchmark turns it off
   * to measure what it buys. */
  cellCache?: boolean;
}

/** A config and the forest's prediction of it (in the objective's unit). */
export interface RankedConfig {
  config: SchedConfig;
  predicted: number;
}

/** The winner and how it was found. */
export interface SearchResult {
  config: SchedConfig;
  /** The forest's prediction for `config` on the game's workload (in the objective's unit). */
  predicted: number;
  /** The best distinct configs found, best first (`top[0]` is the winner). */
  top: RankedConfig[];
  evaluated: number;
  /** Distinct candidates actually walked through the trees (the rest shared a cell). */
  walked: number;
  /** Switches the data never varied: kept at the value the samples ran. */
  unvaried: SwitchKey[];
  /** Numeric tunables whose chosen value no training sample measured ("range" space only). */
  interpolated: (keyof SchedConfig)[];
}

/** The search cannot give a result (every prediction was NaN or infinite). */
export class SearchError extends Error {
  override name = "SearchError";
}

/** Candidates scored per batch. */
const BATCH = 4096;

function randomPhase(scorer: CandidateScorer, dims: readonly Dim[], count: number, rng: Rng): void {
  const nd = dims.length;
  for (let done = 0; done < count;) {
    const n = Math.min(BATCH, count - done);
    const raw = new Float64Array(n * nd);
    for (let k = 0; k < n; k++) for (let i = 0; i < nd; i++) raw[k * nd + i] = pickValue(dims[i], rng);
    scorer.score(raw, n);
    done += n;
  }
}

function localPhase(scorer: CandidateScorer, dims: readonly Dim[], budget: number, rng: Rng): void {
  const nd = dims.length;
  const free = dims.map((d, i) => (d.lo < d.hi ? i : -1)).filter((i) => i >= 0);
  while (scorer.evaluated < budget && free.length > 0 && scorer.elites.length > 0) {
    const n = Math.min(BATCH, budget - scorer.evaluated);
    const raw = new Float64Array(n * nd);
    const seeds = scorer.elites.map((e) => e.raw);
    for (let k = 0; k < n; k++) {
      const row = raw.subarray(k * nd, (k + 1) * nd);
      row.set(seeds[k % seeds.length]);
      const moves = 1 + rng.int(2);
      for (let m = 0; m < moves; m++) {
        const i = free[rng.int(free.length)];
        row[i] = stepValue(dims[i], row[i], rng);
      }
    }
    scorer.score(raw, n);
  }
}

/**
 * Search the tunable space with `model` for the game described by `input`.
 *
 * @throws {SearchError} when no candidate has a finite prediction.
 *
 * @example
 * ```ts
 * const best = searchBestConfig({ forest, scaler }, input, { grid: { slice_us: [5, 10] } });
 * configToCommandLine(best.config);
 * ```
 */
export function searchBestConfig(
  model: ScoringModel,
  input: SearchInput,
  options: SearchOptions = {},
): SearchResult {
  const { budget = 100_000, seed = 0, cellCache = true, grid = {}, keep = 8 } = options;
  const sign = options.direction === "min" ? -1 : 1;
  const rng = createRng(seed);
  const { dims, unvaried } = searchDims(input.measured, {
    candidates: options.candidates,
  });
  // Tunables are the first columns of the layout, so the specialised trees index candidates directly.
  dims.forEach((d, i) => {
    if (input.layout.tunableColumn[d.key] !== i) {
      throw new RangeError(`feature layout: tunable ${d.key} must be column ${i}`);
    }
  });
  const scorer = new CandidateScorer(model, {
    layout: input.layout,
    workload: input.workload,
    sign,
    keep,
    cellCache,
  });

  const first = gridCandidates(dims, { grid, limit: budget });
  scorer.score(first, first.length / dims.length);
  randomPhase(scorer, dims, Math.floor((budget - scorer.evaluated) / 2), rng);
  localPhase(scorer, dims, budget, rng);

  const elites = scorer.elites;
  if (elites.length === 0) {
    throw new SearchError(
      `the forest predicts no finite value for any of ${scorer.evaluated} configs: the model is unusable`,
    );
  }
  const top = elites.map((e) => ({ config: configOf(dims, e.raw), predicted: sign * e.score }));
  return {
    config: top[0].config,
    predicted: top[0].predicted,
    top,
    evaluated: scorer.evaluated,
    walked: scorer.walked,
    unvaried,
    interpolated: unmeasuredKeys(dims, elites[0].raw),
  };
}
