/**
 * The train mode's conductor: read the training CSV into a data set (lib/store/csv_read.ts), choose the
 * scope (this machine's CPU model by default, one game when asked), train (lib/ml/train.ts, pure),
 * print the metrics and the best config, save the model (lib/store/model_file.ts) and, for one game on
 * one CPU model, the game's profile beside its samples (lib/store/profile.ts). Reads the topology from
 * /sys and the CPU model from /proc here, at the edge, unless given.
 *
 * Errors: every error is one line. {@link TrainOptionError} is a bad option (the CLI exits 2); the rest
 * (the CSV, the data, the models directory, a failed write) are bad data or IO (exit 1). Options are
 * checked, the CSV read and the models directory prepared before any forest is fitted, so a bad path
 * fails in a second, not after the training run.
 *
 * @module
 */

import { configToCommandLine, DEFAULT_SWEEP_GRID, POLICY_VERSION } from "../config.ts";
import { cpuModel as readCpuModel } from "../collect/sample.ts";
import { defaultOwner, type Owner } from "../host/safe_fs.ts";
import { readTopology } from "../host/topology.ts";
import { gameKey } from "../game_key.ts";
import { resolveCpuModel, selectScope } from "../ml/dataset.ts";
import { FEATURE_COLUMNS } from "../ml/features.ts";
import type { ForestOptions } from "../ml/forest.ts";
import {
  formatBestBlock,
  formatEvidence,
  formatImportanceTable,
  formatPickRank,
  formatToConfirm,
  formatUnmeasured,
} from "../ml/report.ts";
import type { CandidateValues, SearchGrid } from "../ml/search_space.ts";
import { trainModel, type TrainResult } from "../ml/train.ts";
import { OBJECTIVES } from "../score.ts";
import { readTrainingDataset } from "../store/csv_read.ts";
import { type ModelFile, prepareModelsDir, saveModel } from "../store/model_file.ts";
import { prepareProfilesDir, saveProfile } from "../store/profile.ts";
import { printable } from "../host/terminal.ts";
import type { Dataset, GameProfile, Topology } from "../types.ts";

/** Options of {@linkcode runTrainMode}: the train mode's flags, and what tests may inject. */
export interface TrainModeOptions {
  /** `--ml-train CSV`: the training CSV (required). */
  csv: string;
  /** `--game NAME`: train on this game's rows only (matched by gameKey); default every game. */
  game?: string | null;
  /** `--cpu-model NAME|all`: one CPU model's rows, or "all" to merge; default this machine's when the data has it. */
  cpuModel?: string | null;
  /** `--target NAME`: the objective (lib/score.ts OBJECTIVES); default smooth_score when present, else score. */
  target?: string | null;
  /** `--analyze`: also print impurity and permutation importance. Default false. */
  analyze?: boolean;
  /** `--seed N`: seed of every split, forest and search, a whole number in 0..2^32-1. Default 0. */
  seed?: number;
  /** `--models-dir DIR`: where the model goes. Default "ml/models". */
  modelsDir?: string;
  /** `--ml-dir DIR`: the samples store, where a game's profile goes. Default "ml_data". */
  mlDir?: string;
  /** `--interpolate`: let the search pick unmeasured values of numeric tunables (named in the output). */
  interpolate?: boolean;
  /** Save the game's profile (one game, one CPU model). Default true. */
  saveProfile?: boolean;
  /** Configs the search tries first. Default: the sweep's default grid. */
  grid?: SearchGrid;
  /** The machine's topology. Default: read from /sys. */
  topology?: Topology;
  /** This machine's CPU model. Default: read from /proc/cpuinfo. */
  hostCpuModel?: string | null;
  /** Who gets created dirs and files. Default: SUDO_UID/SUDO_GID when running as root, else nobody. */
  owner?: Owner | null;
  /** Forest hyperparameters (tests use fewer trees). Default 100 trees. */
  forest?: ForestOptions;
  /** Candidates the search scores. Default 100,000. */
  searchBudget?: number;
  /** Where lines are printed. Default console.log. */
  out?: (line: string) => void;
  /** The clock, for the model's and profile's dates. Default `new Date()`. */
  now?: () => Date;
}

/** What a train run produced and where it was saved. */
export interface TrainModeResult {
  train: TrainResult;
  commandLine: string;
  model: ModelFile;
  modelPath: string;
  modelSha256: string;
  /** The game's profile and its path, or null when none was saved (every game, or CPU models merged). */
  profile: GameProfile | null;
  profilePath: string | null;
}

/** A bad train option. `message` is the one line to print; the CLI exits 2. */
export class TrainOptionError extends Error {
  override name = "TrainOptionError";
}

/**
 * Check the options that need no file; throws {@link TrainOptionError} naming the flag.
 */
export function checkTrainOptions(o: TrainModeOptions): void {
  const text = (flag: string, v: string | null | undefined) => {
    if (v === "") throw new TrainOptionError(`${flag}: expected a value, got an empty one`);
  };
  text("--ml-train", o.csv);
  text("--game", o.game);
  text("--cpu-model", o.cpuModel);
  text("--models-dir", o.modelsDir);
  text("--ml-dir", o.mlDir);
  if (o.target != null && !OBJECTIVES.some((t) => t.name === o.target)) {
    throw new TrainOptionError(
      `--target ${printable(o.target)}: not an objective: expected one of ${
        OBJECTIVES.map((t) => t.name).join(", ")
      }`,
    );
  }
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new TrainOptionError(`--seed ${seed}: expected a whole number in 0..4294967295`);
  }
}

function hostCpu(): string | null {
  try {
    return readCpuModel("/proc");
  } catch {
    return null;
  }
}

function targetNote(dataset: Dataset, given: boolean): string {
  const better = dataset.target.direction === "max" ? "higher" : "lower";
  const why = given
    ? "--target"
    : dataset.target.name === "smooth_score"
    ? "default: the data has it"
    : "default: the data has no smooth_score";
  return `Target: ${dataset.target.name} (${why}; ${better} is better)` +
    (dataset.targetComputed ? ", computed from the metrics" : "") +
    (dataset.dropped > 0 ? `; ${dataset.dropped} rows without a ${dataset.target.name} value left out` : "");
}

/**
 * The line that says which policy's rows are trained on, or null when that needs no saying (one
 * policy, this build's): rows of older policies left out, and data older than this build's policy.
 */
export function policyNote(dataset: Dataset): string | null {
  const { version, olderRows, olderVersions } = dataset.policy;
  const parts: string[] = [];
  if (olderRows > 0) {
    parts.push(
      `training on the rows of policy version ${version}, the newest in the file; ` +
        `${olderRows} rows of older policies (${olderVersions.join(", ")}) left out`,
    );
  }
  if (version < POLICY_VERSION) {
    parts.push(
      `${olderRows > 0 ? "it" : `the data is of policy version ${version}, which`} is older than ` +
        `this build's ${POLICY_VERSION}: its configs may behave differently now (collect new samples ` +
        "with --ml-collect)",
    );
  }
  return parts.length === 0 ? null : `Policy: ${parts.join("; ")}`;
}

function printMetrics(r: TrainResult, out: (line: string) => void): void {
  out(`Hold-out 80/20: R² ${r.holdout.r2.toFixed(4)}  MAE ${r.holdout.mae.toFixed(4)}`);
  out(
    `5-fold CV:      R² ${r.cv.r2.toFixed(4)}  MAE ${r.cv.mae.toFixed(4)}  (folds: ${
      r.cv.folds.map((f) => f.r2.toFixed(3)).join(", ")
    })`,
  );
  const g = r.grow;
  const where = g.workersUsed > 0
    ? `on ${g.workersUsed} worker${g.workersUsed > 1 ? "s" : ""}`
    : "in this thread";
  out(
    `Final forest: ${r.forest.trees.length} trees on all ${r.scope.rows.length} samples, grown ${where}${
      g.inThread > 0 && g.workersUsed > 0 ? ` and ${g.inThread} in this thread` : ""
    }${g.fallbackReason ? ` (${g.fallbackReason})` : ""}`,
  );
  if (!r.importance) return;
  const { impurity, permutation } = r.importance;
  out("");
  out(formatImportanceTable(
    "Impurity importance (variance decrease at the final forest's splits, sums to 1):",
    r.layout.names.map((name, j) => ({ name, value: impurity[j] })),
  ));
  out("");
  out(formatImportanceTable(
    `Permutation importance (R² drop on the ${r.holdout.testRows} held-out rows, 5 shuffles):`,
    r.layout.names.map((name, j) => ({ name, value: permutation.mean[j], spread: permutation.std[j] })),
  ));
}

function modelFileOf(r: TrainResult, source: string, created: string): ModelFile {
  return {
    format: "scx_gamer-model",
    version: 2,
    created,
    scope: {
      game: r.scope.game,
      gameKey: r.scope.gameKey,
      cpuModel: r.scope.cpuModel,
      rows: r.scope.rows.length,
      source,
    },
    target: { name: r.target.name, direction: r.target.direction },
    features: r.layout.names,
    scaler: r.scaler.toJSON(),
    forest: r.forest.toJSON(),
    metrics: { holdout: r.holdout, cv: r.cv },
    best: {
      config: r.best.config,
      predicted: r.best.predicted,
      commandLine: configToCommandLine(r.best.config, { stats: 1 }),
      unvaried: r.best.unvaried,
      interpolated: r.best.interpolated,
    },
    topology: r.topology,
    workload: r.workload,
  };
}

function profileOf(r: TrainResult, model: ModelFile, sha256: string): GameProfile | null {
  if (r.scope.game === null || r.scope.cpuModel === null) return null;
  return {
    game: r.scope.game,
    gameKey: gameKey(r.scope.game),
    cpuModel: r.scope.cpuModel,
    config: r.best.config,
    unmeasured: [...r.best.interpolated],
    objective: { name: r.target.name, direction: r.target.direction, predicted: r.best.predicted },
    provenance: {
      samples: r.scope.rows.length,
      trainedAt: model.created,
      modelSha256: sha256,
      source: model.scope.source,
      cvR2: r.cv.r2,
    },
    workload: r.workload,
    ...(r.toConfirm.length > 0 ? { toConfirm: r.toConfirm } : {}),
  };
}

/**
 * Train on `options.csv` and print the best configuration; saves the model (and the game's profile).
 *
 * @throws {TrainOptionError} for a bad option; other one-line errors for bad data or IO (see the module doc).
 *
 * @example
 * ```ts
 * const { commandLine } = await runTrainMode({ csv: "training_data.csv", game: "cs2", analyze: true });
 * ```
 */
export async function runTrainMode(options: TrainModeOptions): Promise<TrainModeResult> {
  checkTrainOptions(options);
  const { csv, modelsDir = "ml/models", mlDir = "ml_data", out = (l: string) => console.log(l) } = options;
  const owner = options.owner !== undefined ? options.owner : defaultOwner();
  const dataset = readTrainingDataset(csv, {
    features: FEATURE_COLUMNS,
    target: options.target,
    what: "--ml-train",
  });
  const host = options.hostCpuModel !== undefined ? options.hostCpuModel : hostCpu();
  const cpu = resolveCpuModel(dataset, { requested: options.cpuModel, host });
  const scope = selectScope(dataset, { game: options.game ?? null, cpuModel: cpu.cpuModel });
  prepareModelsDir(modelsDir, owner);
  const profiles = options.saveProfile !== false && scope.game !== null && scope.cpuModel !== null;
  if (profiles) prepareProfilesDir(mlDir, { cpuModel: scope.cpuModel!, owner });
  out(
    `Training on ${scope.rows.length} samples ${
      scope.game === null ? "(all games)" : `of ${printable(scope.game)}`
    } ` +
      `from ${printable(csv)}: ${dataset.featureNames.length} features; ${cpu.note}`,
  );
  out(targetNote(dataset, options.target != null));
  const policy = policyNote(dataset);
  if (policy !== null) out(policy);

  const started = performance.now();
  const train = await trainModel(dataset, {
    scope,
    seed: options.seed,
    forest: options.forest,
    searchBudget: options.searchBudget,
    grid: options.grid ?? DEFAULT_SWEEP_GRID,
    candidates: (options.interpolate ? "range" : "measured") satisfies CandidateValues,
    topology: options.topology ?? await readTopology(),
    analyze: options.analyze,
  });
  printMetrics(train, out);
  const best = train.best;
  out(
    `Searched ${best.evaluated} configs (${best.walked} distinct for the forest), ` +
      `${options.interpolate ? "any value in the measured ranges" : "measured values only"}; ` +
      `trained and searched in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  );
  const rank = formatPickRank(train.pickRank);
  if (rank !== null) out(rank);
  out(formatEvidence(train.evidence, train.forestPick.config));
  const confirm = formatToConfirm(train.toConfirm);
  if (confirm !== null) out(confirm);
  // Each "saved" line follows its own write, so a failure after it never leaves a line that lies.
  const model = modelFileOf(train, csv, (options.now?.() ?? new Date()).toISOString());
  const saved = await saveModel(modelsDir, model, { owner });
  out(`Model saved to ${printable(saved.path)}`);
  const profile = profiles ? profileOf(train, model, saved.sha256) : null;
  const profilePath = profile === null ? null : await saveProfile(mlDir, profile, { owner });
  if (profilePath !== null) out(`Profile of ${printable(profile!.game)} saved to ${printable(profilePath)}`);
  else if (options.saveProfile !== false) {
    out(
      `No profile saved: ${
        scope.game === null ? "profiles are per game (--game NAME)" : "CPU models merged (--cpu-model NAME)"
      }`,
    );
  }
  for (const line of formatUnmeasured(best, train.topology)) out(line);
  out("");
  out(formatBestBlock(best, train.target));
  return {
    train,
    commandLine: model.best.commandLine,
    model,
    modelPath: saved.path,
    modelSha256: saved.sha256,
    profile,
    profilePath,
  };
}
