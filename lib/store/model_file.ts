/**
 * The saved model: one JSON file per scope under the models directory (format in ml/models/README.md).
 * `global.json` for a model of every game, `game-<slug>-<hash>.json` for one game, where the slug is
 * the name lowercased with every run of characters outside [a-z0-9_-] turned into "_" (at most 40) and
 * the hash is the first 8 hex digits of the name's SHA-256, so two names that slug alike ("Half-Life 2"
 * and "half life 2") still get different files. Writes go to a fresh temp file (created exclusively,
 * so a planted symlink is never followed) and are renamed over the target (a symlink there is replaced,
 * not followed); a models directory that is itself a symlink is refused.
 *
 * @module
 */

import type { SchedConfig, SwitchKey } from "../config.ts";
import type { ForestJSON } from "../ml/forest.ts";
import type { ScalerJSON } from "../ml/scaler.ts";
import type { Topology } from "../ml/search.ts";

/** Version of the file format; bumped on any incompatible change. */
export const MODEL_FORMAT_VERSION = 1;

/** A saved model file. */
export interface ModelFile {
  format: "scx_gamer-model";
  version: number;
  /** ISO 8601 time of training. */
  created: string;
  scope: { game: string | null; rows: number; csv: string };
  target: "score";
  /** Feature names in matrix column order. */
  features: string[];
  scaler: ScalerJSON;
  forest: ForestJSON;
  metrics: {
    holdout: { r2: number; mae: number; trainRows: number; testRows: number };
    cv: { folds: { r2: number; mae: number }[]; r2: number; mae: number };
  };
  best: { config: SchedConfig; score: number; commandLine: string; fromTopology: SwitchKey[] };
  topology: Topology;
}

/** A models directory or file that cannot be used. */
export class ModelFileError extends Error {
  override name = "ModelFileError";
}

/** The file name of a scope's model (see the module doc). */
export async function modelFileName(game: string | null): Promise<string> {
  if (game === null) return "global.json";
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(game));
  const hash = Array.from(new Uint8Array(digest).slice(0, 4), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
  const slug = game.toLowerCase().replace(/[^a-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40) ||
    "game";
  return `game-${slug}-${hash}.json`;
}

/** Write `model` atomically as `<dir>/<modelFileName>`; returns the path written. */
export async function saveModel(dir: string, model: ModelFile): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const info = await Deno.lstat(dir);
  if (info.isSymlink || !info.isDirectory) {
    throw new ModelFileError(
      `${dir}: models directory is ${info.isSymlink ? "a symlink" : "not a directory"}`,
    );
  }
  const path = `${dir.replace(/\/+$/, "")}/${await modelFileName(model.scope.game)}`;
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
  try {
    await file.write(new TextEncoder().encode(JSON.stringify(model) + "\n"));
    await file.sync();
  } finally {
    file.close();
  }
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
  return path;
}

/** Read a model file written by saveModel. */
export async function loadModel(path: string): Promise<ModelFile> {
  const info = await Deno.lstat(path);
  if (info.isSymlink) throw new ModelFileError(`${path}: is a symlink: refusing to follow it`);
  const json = JSON.parse(await Deno.readTextFile(path)) as ModelFile;
  if (json?.format !== "scx_gamer-model" || json.version !== MODEL_FORMAT_VERSION) {
    throw new ModelFileError(`${path}: not a scx_gamer model of format version ${MODEL_FORMAT_VERSION}`);
  }
  return json;
}
