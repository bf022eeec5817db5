/**
 * The saved model: one JSON file per scope (game and CPU model) in the models directory (format in
 * ml/models/README.md), `{modelsDir}/{game}@{cpu}.json` where `{game}` is `game-<safe game key>` or
 * `global` (every game) and `{cpu}` is `cpu-<safe CPU model>` or `all-cpus` (merged). The safe names are
 * the store's (safe_name.ts; the game by its `gameKey`, so "Game.exe" and "game" share a model); a safe
 * name never contains "@", so the two parts never run into each other, and the prefixes keep a game
 * named "global" from taking the global model's place.
 *
 * Writes go through the store's atomic writer (lib/host/safe_fs.ts): a temp file created exclusively
 * (a planted symlink is never followed), written whole and fsynced, then renamed over the target, so a
 * full disk or a kill leaves the old model or the new one, never half of one, and no temp file; temp
 * files a killed trainer left behind are removed when the next training starts. Directories are created real
 * (never through a symlink at the models directory or below) and, run through sudo, given to the user.
 *
 * Loading validates everything (format, shapes, index ranges, acyclic trees, finite numbers, the best
 * config's ranges) before a model is used: profiles and the autotuner load these files.
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { dirname, join } from "node:path";
import { type SchedConfig, type SwitchKey, validateConfig } from "../config.ts";
import { gameKey } from "../game_key.ts";
import {
  cleanStaleTemps,
  ensureRealDir,
  InputFileError,
  lstatOrNull,
  osReason,
  type Owner,
  readInputFile,
  writeFileAtomic,
} from "../host/safe_fs.ts";
import { ForestError, type ForestJSON, RandomForestRegressor } from "../ml/forest.ts";
import { ShapeError } from "../ml/matrix.ts";
import { type ScalerJSON, StandardScaler } from "../ml/scaler.ts";
import { findObjective } from "../score.ts";
import type { ObjectiveDirection, Topology } from "../types.ts";
import { printable } from "../host/terminal.ts";
import { safeName } from "./safe_name.ts";

/** Version of the file format; bumped on any incompatible change (2: scope by game key and CPU, targets). */
export const MODEL_FORMAT_VERSION = 2;

/** Largest model file loaded: 512 MiB (a 100-tree forest on a million samples). */
export const MAX_MODEL_BYTES = 512 * 1024 * 1024;

/** A saved model file. */
export interface ModelFile {
  format: "scx_gamer-model";
  version: number;
  /** ISO 8601 time of training. */
  created: string;
  scope: {
    /** The game's display name, or null for every game. */
    game: string | null;
    gameKey: string | null;
    /** The CPU model, or null for every CPU model merged. */
    cpuModel: string | null;
    rows: number;
    /** The training data (a path as given). */
    source: string;
  };
  target: { name: string; direction: ObjectiveDirection };
  /** Feature names in matrix column order. */
  features: string[];
  scaler: ScalerJSON;
  forest: ForestJSON;
  metrics: {
    holdout: { r2: number; mae: number; trainRows: number; testRows: number };
    cv: { folds: { r2: number; mae: number }[]; r2: number; mae: number };
  };
  best: {
    config: SchedConfig;
    /** The forest's prediction of `config`, in the target's unit. */
    predicted: number;
    commandLine: string;
    unvaried: SwitchKey[];
    interpolated: (keyof SchedConfig)[];
  };
  topology: Topology;
  /** The scope's median workload, by feature name. */
  workload: Record<string, number>;
}

/** A model file, checked, with its estimators ready to predict. */
export interface LoadedModel {
  file: ModelFile;
  forest: RandomForestRegressor;
  scaler: StandardScaler;
  /** SHA-256 (hex) of the file's bytes. */
  sha256: string;
}

/** A models directory or model file that cannot be used. `message` is the one line to print. */
export class ModelFileError extends Error {
  override name = "ModelFileError";
}

/** The model's path under `modelsDir` for a scope (see the module doc). */
export function modelPath(
  modelsDir: string,
  scope: { game: string | null; cpuModel: string | null },
): string {
  const cpu = scope.cpuModel === null ? "all-cpus" : `cpu-${safeName(scope.cpuModel)}`;
  const game = scope.game === null ? "global" : `game-${safeName(gameKey(scope.game))}`;
  return join(modelsDir, `${game}@${cpu}.json`);
}

/** SHA-256 of text as UTF-8, in hex. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Make sure the models directory exists as a real directory (missing parts created with the store's
 * safe mkdir, owned by `owner`), and remove the temp files a killed trainer left in it (the store's
 * {@link cleanStaleTemps}). Its existing parents are the user's choice and may be symlinks; the models
 * directory itself never is. Training calls it before fitting anything, and again when saving.
 *
 * @throws {ModelFileError} naming the models directory and what is wrong with it.
 */
export function prepareModelsDir(modelsDir: string, owner: Owner | null): void {
  if (modelsDir === "") {
    throw new ModelFileError("models directory: expected a directory name, got an empty one");
  }
  try {
    const missing: string[] = [];
    let at = modelsDir;
    while (lstatOrNull(at) === null && dirname(at) !== at) {
      missing.unshift(at);
      at = dirname(at);
    }
    const top = missing.length > 0 ? fs.statSync(at, { throwIfNoEntry: false }) : null;
    if (top && !top.isDirectory()) {
      throw new ModelFileError(
        `models directory ${printable(modelsDir)}: ${printable(at)} is not a directory`,
      );
    }
    for (const d of missing) ensureRealDir(d, owner);
    ensureRealDir(modelsDir, owner);
    cleanStaleTemps(modelsDir);
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    throw new ModelFileError(`models directory ${printable(modelsDir)}: ${osReason(err)}`);
  }
}

/**
 * Write `model` atomically at {@link modelPath}; returns the path and the SHA-256 of what was written.
 *
 * @throws {ModelFileError} when the models directory cannot be used.
 * @throws {StoreIoError} (lib/host/safe_fs.ts) naming the path when the write fails; the old model is
 * then intact and no temp file is left.
 */
export async function saveModel(
  modelsDir: string,
  model: ModelFile,
  options: { owner?: Owner | null } = {},
): Promise<{ path: string; sha256: string }> {
  const owner = options.owner ?? null;
  const path = modelPath(modelsDir, model.scope);
  prepareModelsDir(modelsDir, owner);
  const text = JSON.stringify(model) + "\n";
  await writeFileAtomic(path, text, { owner });
  return { path, sha256: sha256Hex(text) };
}

function fail(path: string, what: string): never {
  throw new ModelFileError(`${printable(path)}: ${printable(what)}`);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Check the parts of a model file that are not the estimators; throws naming the field. */
function checkHeader(json: ModelFile, path: string): void {
  if (json?.format !== "scx_gamer-model") fail(path, "not a scx_gamer model file (format)");
  if (json.version !== MODEL_FORMAT_VERSION) {
    fail(path, `format version ${json.version}: expected ${MODEL_FORMAT_VERSION} (retrain to update it)`);
  }
  const s = json.scope;
  const nameOrNull = (v: unknown) => v === null || typeof v === "string";
  if (!s || !nameOrNull(s.game) || !nameOrNull(s.cpuModel) || !Number.isInteger(s.rows) || s.rows < 1) {
    fail(path, "scope: expected game and cpuModel (text or null) and a whole number of rows");
  }
  const objective = findObjective(json.target?.name);
  if (objective === null || objective.direction !== json.target.direction) {
    fail(path, `target ${JSON.stringify(json.target?.name)}: not an objective of this version`);
  }
  if (!Array.isArray(json.features) || json.features.some((f) => typeof f !== "string")) {
    fail(path, "features: expected a list of column names");
  }
  const problems = json.best && typeof json.best.config === "object"
    ? validateConfig(json.best.config)
    : ["missing"];
  if (problems.length > 0) fail(path, `best config: ${problems[0]}`);
  if (!isFiniteNumber(json.best.predicted)) fail(path, "best.predicted: expected a finite number");
  const w = json.workload;
  if (!w || typeof w !== "object" || Object.values(w).some((v) => !isFiniteNumber(v))) {
    fail(path, "workload: expected finite numbers by feature name");
  }
}

/**
 * Parse and validate a model file's text; the estimators are rebuilt (and so checked) here.
 *
 * @throws {ModelFileError} naming the path and the first problem found.
 */
export function parseModelFile(text: string, path: string): LoadedModel {
  let json: ModelFile;
  try {
    json = JSON.parse(text);
  } catch {
    fail(path, "not valid JSON");
  }
  checkHeader(json, path);
  try {
    const forest = RandomForestRegressor.fromJSON(json.forest);
    const scaler = StandardScaler.fromJSON(json.scaler);
    const n = json.features.length;
    if (forest.nFeatures !== n) {
      fail(path, `forest: fitted on ${forest.nFeatures} features, the file names ${n}`);
    }
    if (scaler.nFeatures !== n) fail(path, `scaler: has ${scaler.nFeatures} features, the file names ${n}`);
    return { file: json, forest, scaler, sha256: sha256Hex(text) };
  } catch (err) {
    if (err instanceof ForestError || err instanceof ShapeError) fail(path, err.message);
    throw err;
  }
}

/**
 * Read and validate a model file (a regular file, not a symlink, at most {@link MAX_MODEL_BYTES}).
 *
 * @throws {ModelFileError} naming the path when it cannot be read or is not a valid model.
 */
export function loadModel(path: string): LoadedModel {
  const st = lstatOrNull(path);
  if (st?.isSymbolicLink()) fail(path, "is a symlink: refusing to follow it");
  let text: string;
  try {
    text = readInputFile(path, { what: "model file", maxBytes: MAX_MODEL_BYTES });
  } catch (err) {
    if (err instanceof InputFileError) throw new ModelFileError(err.message);
    throw err;
  }
  return parseModelFile(text, path);
}
