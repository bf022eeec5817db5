/**
 * Training, pure: a {@link Dataset} and options in, a fitted scaler and forest, their hold-out and
 * 5-fold CV metrics, importance, and the best config for the scope's workload out. No file, flag or
 * clock is read here; lib/modes/train.ts reads the CSV, prints and saves.
 *
 * Steps: the rows in scope (one game and CPU model, dataset.ts) -> magnitude check -> 80/20 hold-out
 * (fit on 80%, score the 20%) -> 5-fold CV -> the final forest on every row in scope -> (with
 * `analyze`) impurity and permutation importance -> the config search on the scope's median workload,
 * maximising or minimising the target as its objective says. Every random choice comes from one
 * generator seeded with `seed`, in that order.
 *
 * @module
 */

import { defaultConfig, sameConfig, type SchedConfig, TUNABLE_KEYS, TUNABLES } from "../config.ts";
import { type Dataset, NO_TOPOLOGY, type Objective, type Topology } from "../types.ts";
import {
  checkMagnitudes,
  columnMedians,
  distinctColumnValues,
  type Scope,
  scopeData,
  selectScope,
} from "./dataset.ts";
import { type FeatureLayout, featureLayout } from "./features.ts";
import { type ForestOptions, RandomForestRegressor } from "./forest.ts";
import { type PermutationImportance, permutationImportance } from "./importance.ts";
import { type Matrix, selectRows, selectValues } from "./matrix.ts";
import { meanAbsoluteError, r2Score } from "./metrics.ts";
import { createRng, type Rng } from "./rng.ts";
import { StandardScaler } from "./scaler.ts";
import { bestMeasured, type Evidence, judgePick, measuredGains, type MeasuredRank } from "./evidence.ts";
import { searchBestConfig, type SearchResult } from "./search.ts";
import type { CandidateValues, SearchGrid } from "./search_space.ts";
import { kFold, trainTestSplit } from "./split.ts";
import type { GrowReport } from "./tree_workers.ts";

export { NO_TOPOLOGY } from "../types.ts";

/** Options of {@linkcode trainModel}; every field is optional. */
export interface TrainOptions {
  /** The rows to train on (from `selectScope`). Default: every row. */
  scope?: Scope;
  /** Seed of every split, forest and search. Default 0. */
  seed?: number;
  /** Forest hyperparameters. Default 100 trees, scikit-learn's defaults otherwise. */
  forest?: ForestOptions;
  /** Candidates the search scores. Default 100,000. */
  searchBudget?: number;
  /** Configs the search tries first (the sweep's grid). Default: none. */
  grid?: SearchGrid;
  /** Values numeric tunables may take: "measured" (default) or "range" (interpolated values named). */
  candidates?: CandidateValues;
  /** The machine's topology (what it suggests for switches the data never varied). Default {@link NO_TOPOLOGY}. */
  topology?: Topology;
  /** Also measure impurity and permutation importance. Default false. */
  analyze?: boolean;
}

/** Hold-out scores of the forest fitted on 80% of the rows. */
export interface HoldoutMetrics {
  r2: number;
  mae: number;
  trainRows: number;
  testRows: number;
}

/** 5-fold cross-validation scores. */
export interface CvMetrics {
  folds: { r2: number; mae: number }[];
  r2: number;
  mae: number;
}

/** Everything a training run produced, as plain data and fitted estimators. */
export interface TrainResult {
  scope: Scope;
  target: Objective;
  layout: FeatureLayout;
  scaler: StandardScaler;
  forest: RandomForestRegressor;
  grow: GrowReport;
  holdout: HoldoutMetrics;
  cv: CvMetrics;
  /** Present with `analyze`: per feature (layout order). */
  importance: { impurity: Float64Array; permutation: PermutationImportance } | null;
  /**
   * The recommendation: the forest's pick when its own samples beat the defaults' by more than the
   * noise (or nothing can be compared), else the defaults as measured (see {@link evidence}).
   */
  best: SearchResult;
  /**
   * The pick checked against the defaults: of the forest's best few configs (the search's `top`), the one
   * whose own samples measured best; the forest's first when none of them ran as a whole.
   */
  forestPick: SearchResult;
  /** Where forestPick stood in the forest's order (0: its first), and each of the top's measurement. */
  pickRank: MeasuredRank;
  /** Whether the measurements back the forest's pick over the defaults (lib/ml/evidence.ts). */
  evidence: Evidence;
  /**
   * When the pick was not backed: the configs (any the sweep ran, not only the forest's top) whose samples
   * measured above the defaults, by less than the noise, best gain first (at most {@link MAX_UNCONFIRMED}).
   * The profile lists them for `--ml-autotune` to confirm or reject in its longer, paired windows.
   */
  toConfirm: SchedConfig[];
  /** The scope's median value of every workload feature, by name (what a profile records). */
  workload: Record<string, number>;
  topology: Topology;
}

/** Training gave numbers that cannot be trusted. `message` is the one line to print. */
export class TrainingError extends Error {
  override name = "TrainingError";
}

interface Fitted {
  scaler: StandardScaler;
  forest: RandomForestRegressor;
  predict: (m: Matrix) => Float64Array;
}

async function fitScaled(x: Matrix, y: Float64Array, options: ForestOptions): Promise<Fitted> {
  const scaler = new StandardScaler().fit(x);
  const forest = await new RandomForestRegressor(options).fit(scaler.transform(x), y);
  return { scaler, forest, predict: (m: Matrix) => forest.predict(scaler.transform(m)) };
}

function finite(source: string, what: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new TrainingError(`${source}: ${what} is ${value}: the model is unusable`);
  }
  return value;
}

async function holdoutFit(data: { x: Matrix; y: Float64Array }, rng: Rng, forest: ForestOptions) {
  const split = trainTestSplit(data.x.rows, { rng });
  const xTest = selectRows(data.x, split.test), yTest = selectValues(data.y, split.test);
  const model = await fitScaled(selectRows(data.x, split.train), selectValues(data.y, split.train), forest);
  const pred = model.predict(xTest);
  const metrics: HoldoutMetrics = {
    r2: r2Score(yTest, pred),
    mae: meanAbsoluteError(yTest, pred),
    trainRows: split.train.length,
    testRows: split.test.length,
  };
  return { metrics, model, test: { x: xTest, y: yTest } };
}

async function crossValidate(data: { x: Matrix; y: Float64Array }, rng: Rng, forest: ForestOptions) {
  const folds: CvMetrics["folds"] = [];
  for (const fold of kFold(data.x.rows, { rng, k: 5 })) {
    const m = await fitScaled(selectRows(data.x, fold.train), selectValues(data.y, fold.train), forest);
    const truth = selectValues(data.y, fold.test), pred = m.predict(selectRows(data.x, fold.test));
    folds.push({ r2: r2Score(truth, pred), mae: meanAbsoluteError(truth, pred) });
  }
  const avg = (pick: (f: CvMetrics["folds"][number]) => number) =>
    folds.reduce((a, f) => a + pick(f), 0) / folds.length;
  return { folds, r2: avg((f) => f.r2), mae: avg((f) => f.mae) };
}

/** The config of a row's tunables (the layout's first columns, in table order: features.ts). */
function configOfRow(values: ArrayLike<number>): SchedConfig {
  return Object.fromEntries(
    TUNABLES.map((t, i) => [t.key, t.kind === "switch" ? values[i] === 1 : values[i]]),
  ) as unknown as SchedConfig;
}

/** What every measured comparison takes: the tunable columns, the defaults' row and the direction. */
function judged(direction: Objective["direction"]) {
  return { tunables: TUNABLE_KEYS.length, defaults: tunableRow(defaultConfig()), direction };
}

/** A config's tunables as a row of the layout's first columns (features.ts), as the samples hold them. */
function tunableRow(c: SchedConfig): Float64Array {
  return Float64Array.from(TUNABLE_KEYS, (k) => Number(c[k]));
}

/**
 * The forest's pick when the measurements back it, else the defaults as measured (with the forest's
 * prediction for them on the same workload).
 */
function backedByMeasurement(
  pick: SearchResult,
  data: { x: Matrix; y: Float64Array },
  ctx: { medians: Float64Array; final: Fitted; dataset: Dataset },
): { best: SearchResult; evidence: Evidence } {
  const evidence = judgePick({
    ...data,
    ...judged(ctx.dataset.target.direction),
    pick: tunableRow(pick.config),
  });
  const fallBack = evidence.kind === "not_better" || evidence.kind === "pick_unmeasured";
  if (!fallBack || evidence.measuredDefaults === null) return { best: pick, evidence };
  const values = evidence.measuredDefaults;
  const config = configOfRow(values);
  const features = ctx.medians.slice();
  features.set(values, 0);
  const predicted = ctx.final.predict({ rows: 1, cols: features.length, data: features })[0];
  const best = {
    ...pick,
    config,
    predicted,
    top: [{ config, predicted }],
    interpolated: [],
  };
  return { best, evidence };
}

/**
 * Of the search's top configs, the one whose own samples measured best (lib/ml/evidence.ts bestMeasured),
 * as the search's result: a sweep that ran the forest's favourites measured them more directly than the
 * forest, which smooths each prediction over neighbouring configs. Every value of a measured config was
 * measured, so nothing is interpolated.
 */
function measuredAmongTop(
  search: SearchResult,
  data: { x: Matrix; y: Float64Array },
  direction: Objective["direction"],
): { pick: SearchResult; rank: TrainResult["pickRank"] } {
  const rank = bestMeasured({
    ...data,
    ...judged(direction),
    candidates: search.top.map((t) => tunableRow(t.config)),
  });
  if (rank.index === 0) return { pick: search, rank };
  const chosen = search.top[rank.index];
  return {
    pick: { ...search, config: chosen.config, predicted: chosen.predicted, interpolated: [] },
    rank,
  };
}

/** Most configs training leaves to autotune to confirm: about 5 minutes each under its default windows. */
export const MAX_UNCONFIRMED = 3;

/**
 * The configs the rows measured above the defaults, best gain first, without `recommended`: any config
 * the sweep ran, not only the forest's favourites (the sweep's best measured can lie outside them: the
 * forest smooths each prediction over neighbouring configs).
 */
function unconfirmed(
  measured: readonly { values: Float64Array; gain: number }[],
  recommended: SchedConfig,
): SchedConfig[] {
  return measured
    .filter((m) => m.gain > 0)
    .sort((a, b) => b.gain - a.gain)
    .map((m) => configOfRow(m.values))
    .filter((c) => !sameConfig(c, recommended))
    .slice(0, MAX_UNCONFIRMED);
}

function workloadOf(layout: FeatureLayout, medians: Float64Array): Record<string, number> {
  return Object.fromEntries(layout.workloadColumns.map((j) => [layout.names[j], medians[j]]));
}

/**
 * Train on `dataset` (see the module doc).
 *
 * @throws {DatasetError} (dataset.ts) for too few rows in scope or a value too large to train on.
 * @throws {TrainingError} when a metric or the search's prediction comes out non-finite.
 *
 * @example
 * ```ts
 * const scope = selectScope(dataset, { game: "cs2", cpuModel: null });
 * const { best, cv } = await trainModel(dataset, { scope, grid: { slice_us: [5, 10, 15, 20] } });
 * ```
 */
export async function trainModel(dataset: Dataset, options: TrainOptions = {}): Promise<TrainResult> {
  const { seed = 0, searchBudget = 100_000, topology = NO_TOPOLOGY, analyze = false } = options;
  const scope = options.scope ?? selectScope(dataset, {});
  checkMagnitudes(dataset, scope.rows);
  const forestOptions: ForestOptions = { nEstimators: 100, ...options.forest, seed };
  const layout = featureLayout(dataset.featureNames);
  const data = scopeData(dataset, scope);
  const src = dataset.source;

  const rng = createRng(seed);
  const hold = await holdoutFit(data, rng, forestOptions);
  finite(src, "the hold-out R²", hold.metrics.r2);
  const cv = await crossValidate(data, rng, forestOptions);
  finite(src, "the 5-fold CV R²", cv.r2);
  const final = await fitScaled(data.x, data.y, forestOptions);
  const importance = analyze
    ? {
      impurity: final.forest.featureImportances(),
      permutation: permutationImportance({ predict: hold.model.predict }, hold.test, { rng }),
    }
    : null;

  const medians = columnMedians(data.x);
  const search = searchBestConfig(
    { forest: final.forest, scaler: final.scaler },
    { layout, workload: medians, measured: distinctColumnValues(data.x) },
    {
      budget: searchBudget,
      seed,
      grid: options.grid,
      candidates: options.candidates,
      direction: dataset.target.direction,
    },
  );
  finite(src, "the best config's prediction", search.predicted);
  const { pick, rank } = measuredAmongTop(search, data, dataset.target.direction);
  const { best, evidence } = backedByMeasurement(pick, data, { medians, final, dataset });
  const toConfirm = evidence.kind === "not_better"
    ? unconfirmed(measuredGains({ ...data, ...judged(dataset.target.direction) }), best.config)
    : [];
  return {
    scope,
    target: dataset.target,
    layout,
    scaler: final.scaler,
    forest: final.forest,
    grow: final.forest.lastGrowReport!,
    holdout: hold.metrics,
    cv,
    importance,
    best,
    forestPick: pick,
    pickRank: rank,
    evidence,
    toConfirm,
    workload: workloadOf(layout, medians),
    topology,
  };
}
