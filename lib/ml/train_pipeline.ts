/**
 * The training pipeline behind `deno task train` and `scx_gamer --ml-train`: CSV -> features ->
 * scaled -> 80/20 hold-out and 5-fold CV -> final forest on all rows -> config search -> printed
 * block -> model JSON. With model_file.ts, the only part of lib/ml that does IO (reading the CSV
 * through lib/store, writing the model file); the topology comes in as data.
 *
 * @module
 */

import { configToCommandLine } from "../config.ts";
import { numericColumn, readTrainingCsv, type TrainingTable } from "../store/csv_read.ts";
import { columnMedians, type FeatureLayout, featureLayout } from "./features.ts";
import { type ForestOptions, RandomForestRegressor } from "./forest.ts";
import { permutationImportance } from "./importance.ts";
import { type Matrix, selectRows, selectValues } from "./matrix.ts";
import { meanAbsoluteError, r2Score } from "./metrics.ts";
import { type ModelFile, saveModel } from "../store/model_file.ts";
import { formatBestBlock, formatImportanceTable } from "./report.ts";
import { createRng } from "./rng.ts";
import { StandardScaler } from "./scaler.ts";
import { searchBestConfig, type SearchResult, type Topology } from "./search.ts";
import { kFold, trainTestSplit } from "./split.ts";

/** Options of {@linkcode runTraining}; every field is optional. */
export interface TrainingOptions {
  /** Train on this game's rows only (exact game_name); default: every row (the global model). */
  game?: string | null;
  /** Also print impurity and permutation importance. Default false. */
  analyze?: boolean;
  /** Where the model JSON goes. Default "ml/models". */
  modelsDir?: string;
  /**
   * The machine's topology, for switches the data cannot decide. Read it with `readTopology` from
   * ml/train.ts. Default: no SMT, one NUMA node, not hybrid.
   */
  topology?: Topology;
  /** Seed of every split, forest and search. Default 0. */
  seed?: number;
  /** Where lines are printed. Default console.log. */
  out?: (line: string) => void;
  /** Forest hyperparameters. Default 100 trees, scikit-learn's defaults otherwise. */
  forest?: ForestOptions;
  /** Candidates the search scores. Default 100,000. */
  searchBudget?: number;
}

/** What a training run produced. */
export interface TrainingResult {
  best: SearchResult;
  commandLine: string;
  modelPath: string;
  model: ModelFile;
}

/** The topology assumed when none is given. */
export const NO_TOPOLOGY: Topology = { smt: false, numaNodes: 1, hybrid: false };

function featureMatrix(table: TrainingTable, layout: FeatureLayout, rows: number[]): Matrix {
  const cols = layout.names.map((name) => numericColumn(table, name));
  const data = new Float64Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((col, j) => (data[i * cols.length + j] = col[r])));
  return { rows: rows.length, cols: cols.length, data };
}

async function fitScaled(x: Matrix, y: Float64Array, options: ForestOptions) {
  const scaler = new StandardScaler().fit(x);
  const forest = await new RandomForestRegressor(options).fit(scaler.transform(x), y);
  return { scaler, forest, predict: (m: Matrix) => forest.predict(scaler.transform(m)) };
}

/**
 * Train on `csvPath` and print the best configuration; saves `<modelsDir>/global.json` or
 * `<modelsDir>/game-<safe name>.json`.
 *
 * @throws {CsvError} (lib/store/csv_read.ts) when the CSV is missing, malformed or too small.
 *
 * @example
 * ```ts
 * const { commandLine } = await runTraining("training_data.csv", { game: "cs2", analyze: true });
 * ```
 */
export async function runTraining(csvPath: string, options: TrainingOptions = {}): Promise<TrainingResult> {
  const {
    game = null,
    analyze = false,
    modelsDir = "ml/models",
    topology = NO_TOPOLOGY,
    seed = 0,
    out = (line: string) => console.log(line),
    searchBudget = 100_000,
  } = options;
  const forestOptions: ForestOptions = { nEstimators: 100, ...options.forest, seed };

  const table = await readTrainingCsv(csvPath, { game });
  const gameCol = table.header.indexOf("game_name");
  const scope = table.rows.flatMap((row, i) => (game === null || row[gameCol] === game ? [i] : []));
  const layout = featureLayout(table.header);
  const x = featureMatrix(table, layout, scope);
  const y = selectValues(numericColumn(table, "score"), scope);
  out(
    `Training on ${x.rows} samples ${game === null ? "(all games)" : `of ${game}`} from ${csvPath}` +
      `${table.scoreComputed ? " (score computed from the metrics)" : ""}: ${layout.names.length} features`,
  );

  const rng = createRng(seed);
  // Hold-out: fit on 80%, score the other 20% (also the data permutation importance is measured on).
  const split = trainTestSplit(x.rows, { rng });
  const xTest = selectRows(x, split.test), yTest = selectValues(y, split.test);
  const holdModel = await fitScaled(selectRows(x, split.train), selectValues(y, split.train), forestOptions);
  const holdPred = holdModel.predict(xTest);
  const holdout = {
    r2: r2Score(yTest, holdPred),
    mae: meanAbsoluteError(yTest, holdPred),
    trainRows: split.train.length,
    testRows: split.test.length,
  };
  out(`Hold-out 80/20: R² ${holdout.r2.toFixed(4)}  MAE ${holdout.mae.toFixed(4)}`);

  const folds = [];
  for (const fold of kFold(x.rows, { rng, k: 5 })) {
    const m = await fitScaled(selectRows(x, fold.train), selectValues(y, fold.train), forestOptions);
    const truth = selectValues(y, fold.test), pred = m.predict(selectRows(x, fold.test));
    folds.push({ r2: r2Score(truth, pred), mae: meanAbsoluteError(truth, pred) });
  }
  const cv = {
    folds,
    r2: folds.reduce((a, f) => a + f.r2, 0) / folds.length,
    mae: folds.reduce((a, f) => a + f.mae, 0) / folds.length,
  };
  out(
    `5-fold CV:      R² ${cv.r2.toFixed(4)}  MAE ${cv.mae.toFixed(4)}  (folds: ${
      folds.map((f) => f.r2.toFixed(3)).join(", ")
    })`,
  );

  const final = await fitScaled(x, y, forestOptions);
  const grow = final.forest.lastGrowReport!;
  out(
    `Final forest: ${final.forest.trees.length} trees on all ${x.rows} samples, grown ${
      grow.workersUsed > 0
        ? `on ${grow.workersUsed} worker${grow.workersUsed > 1 ? "s" : ""}`
        : "in this thread"
    }${grow.inThread > 0 && grow.workersUsed > 0 ? ` and ${grow.inThread} in this thread` : ""}${
      grow.fallbackReason ? ` (${grow.fallbackReason})` : ""
    }`,
  );
  if (analyze) {
    const imp = final.forest.featureImportances();
    out("");
    out(formatImportanceTable(
      "Impurity importance (variance decrease at the final forest's splits, sums to 1):",
      layout.names.map((name, j) => ({ name, value: imp[j] })),
    ));
    const perm = permutationImportance({ predict: holdModel.predict }, { x: xTest, y: yTest }, { rng });
    out("");
    out(formatImportanceTable(
      `Permutation importance (R² drop on the ${xTest.rows} held-out rows, 5 shuffles):`,
      layout.names.map((name, j) => ({ name, value: perm.mean[j], spread: perm.std[j] })),
    ));
  }

  const observedMin = new Float64Array(x.cols).fill(Infinity);
  const observedMax = new Float64Array(x.cols).fill(-Infinity);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < x.cols; j++) {
      const v = x.data[i * x.cols + j];
      if (v < observedMin[j]) observedMin[j] = v;
      if (v > observedMax[j]) observedMax[j] = v;
    }
  }
  const best = searchBestConfig(
    { forest: final.forest, scaler: final.scaler },
    { layout, workload: columnMedians(x), observedMin, observedMax, topology },
    { budget: searchBudget, seed },
  );
  const commandLine = configToCommandLine(best.config, { stats: 1 });
  const model: ModelFile = {
    format: "scx_gamer-model",
    version: 1,
    created: new Date().toISOString(),
    scope: { game, rows: x.rows, csv: csvPath },
    target: "score",
    features: layout.names,
    scaler: final.scaler.toJSON(),
    forest: final.forest.toJSON(),
    metrics: { holdout, cv },
    best: { config: best.config, score: best.score, commandLine, fromTopology: best.fromTopology },
    topology,
  };
  const modelPath = await saveModel(modelsDir, model);
  out(
    `Searched ${best.evaluated} configs (${best.walked} distinct for the forest) in ${
      best.seconds.toFixed(2)
    } s${best.fromTopology.length ? `; from the topology: ${best.fromTopology.join(", ")}` : ""}`,
  );
  out(`Model saved to ${modelPath}`);
  out("");
  out(formatBestBlock(best.score, best.config));
  return { best, commandLine, modelPath, model };
}
