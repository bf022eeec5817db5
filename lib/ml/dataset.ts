/**
 * What the trainer does with a {@link Dataset} before fitting: choose the rows in scope (one game, one
 * CPU model, by `gameKey`), check that there are enough and that every number is small enough for
 * variance arithmetic, and take the scope's feature matrix, target, workload medians and the values each
 * tunable was measured at. Plain data in, plain data out.
 *
 * @module
 */

import { gameKey } from "../game_key.ts";
import type { Dataset } from "../types.ts";
import { type Matrix, selectRows, selectValues } from "./matrix.ts";

/** Fewest samples the trainer accepts for one scope. */
export const MIN_SAMPLES = 20;

/**
 * Largest magnitude of a feature or target value the trainer accepts. Variances, the tree's split
 * criterion (squared sums of up to a million rows) and R² square these numbers: below 1e100 every such
 * intermediate stays finite, while a value like 1e308 would overflow to Infinity and then NaN.
 */
export const MAX_MAGNITUDE = 1e100;

/** A data set that cannot be trained on as asked. `message` is the one line to print. */
export class DatasetError extends Error {
  override name = "DatasetError";
}

/** Which rows to train on. */
export interface ScopeOptions {
  /** One game, matched by `gameKey` ("Game.exe" = "game"); null or absent = every game. */
  game?: string | null;
  /** One CPU model (exact); null or absent = every CPU model merged. */
  cpuModel?: string | null;
  /** Fewest rows the scope needs. Default {@link MIN_SAMPLES}. */
  minSamples?: number;
}

/** The rows in scope and what they are. */
export interface Scope {
  /** The game's display name (its first row's), or null for every game. */
  game: string | null;
  /** The game's key, or null for every game. */
  gameKey: string | null;
  /** The CPU model, or null for every CPU model merged. */
  cpuModel: string | null;
  /** Row indices into the data set, ascending. */
  rows: Int32Array;
}

function distinct(values: readonly (string | null)[], limit: number): string[] {
  return [...new Set(values.filter((v): v is string => v !== null))].slice(0, limit);
}

/**
 * The rows of `game` (by key) on `cpuModel`.
 *
 * @throws {DatasetError} naming the source, the game and CPU model, and what the data has, when fewer
 * than `minSamples` rows are in scope.
 *
 * @example
 * ```ts
 * const scope = selectScope(dataset, { game: "Game.exe", cpuModel: null }); // rows of "game", "GAME", ...
 * ```
 */
export function selectScope(dataset: Dataset, options: ScopeOptions = {}): Scope {
  const { game = null, cpuModel = null, minSamples = MIN_SAMPLES } = options;
  const key = game === null ? null : gameKey(game);
  const rows: number[] = [];
  for (let i = 0; i < dataset.x.rows; i++) {
    if (key !== null && gameKey(dataset.game[i]) !== key) continue;
    if (cpuModel !== null && dataset.cpuModel[i] !== cpuModel) continue;
    rows.push(i);
  }
  if (rows.length < minSamples) {
    const what = [
      game === null ? "" : ` for game '${game}' (column game_name)`,
      cpuModel === null ? "" : ` on CPU model '${cpuModel}' (column cpu_model)`,
    ].join("");
    const games = key === null ? "" : `; games in the file: ${distinct(dataset.game, 10).join(", ")}`;
    const cpus = cpuModel === null
      ? ""
      : `; CPU models in the file: ${distinct(dataset.cpuModel, 5).join(", ")}`;
    throw new DatasetError(
      `${dataset.source}: ${rows.length} samples${what || " in the file"}: at least ${minSamples} are ` +
        `needed to train${games}${cpus}`,
    );
  }
  return {
    game: key === null ? null : dataset.game[rows[0]],
    gameKey: key,
    cpuModel,
    rows: Int32Array.from(rows),
  };
}

/** What {@link resolveCpuModel} chose, and the line that says why. */
export interface CpuChoice {
  /** The CPU model to train on, or null for every CPU model merged. */
  cpuModel: string | null;
  note: string;
}

/**
 * The CPU model to train on: `requested` when given ("all" merges every CPU model), else this machine's
 * (`host`) when the data has samples of it, else every CPU model merged.
 *
 * @throws {DatasetError} when `requested` names a CPU model the data does not have.
 */
export function resolveCpuModel(
  dataset: Dataset,
  options: { requested?: string | null; host?: string | null },
): CpuChoice {
  const { requested = null, host = null } = options;
  const known = distinct(dataset.cpuModel, Infinity);
  if (requested === "all") return { cpuModel: null, note: "every CPU model merged (--cpu-model all)" };
  if (requested !== null) {
    if (known.includes(requested)) {
      return { cpuModel: requested, note: `CPU model ${requested} (--cpu-model)` };
    }
    const has = known.length === 0 ? "the file has no cpu_model column" : `it has ${known.join(", ")}`;
    throw new DatasetError(`${dataset.source}: --cpu-model '${requested}': no samples of it; ${has}`);
  }
  if (known.length === 0) return { cpuModel: null, note: "no cpu_model column: every sample used" };
  if (host !== null && known.includes(host)) {
    return { cpuModel: host, note: `this machine's CPU model ${host}` };
  }
  if (known.length === 1) {
    return { cpuModel: known[0], note: `CPU model ${known[0]} (the only one in the data)` };
  }
  return {
    cpuModel: null,
    note:
      `every CPU model merged (${known.length} in the data, none is this machine's; --cpu-model to choose)`,
  };
}

/**
 * Refuse values too large for variance arithmetic ({@link MAX_MAGNITUDE}) or not finite.
 *
 * @throws {DatasetError} naming the source, the 1-based data row, the column and the value.
 */
export function checkMagnitudes(dataset: Dataset, rows: ArrayLike<number>): void {
  const { x, y } = dataset;
  const bad = (v: number) => !(Math.abs(v) < MAX_MAGNITUDE);
  const fail = (r: number, column: string, v: number): never => {
    throw new DatasetError(
      `${dataset.source}: row ${
        dataset.sourceRow[r]
      }, column ${column}: ${v} is too large to train on: expected a ` +
        `magnitude below ${MAX_MAGNITUDE} (squares of larger values overflow)`,
    );
  };
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    if (bad(y[r])) fail(r, dataset.target.name, y[r]);
    for (let j = 0; j < x.cols; j++) {
      const v = x.data[r * x.cols + j];
      if (bad(v)) fail(r, dataset.featureNames[j], v);
    }
  }
}

/** The scope's feature matrix and target vector. */
export function scopeData(dataset: Dataset, scope: Scope): { x: Matrix; y: Float64Array } {
  return { x: selectRows(dataset.x, scope.rows), y: selectValues(dataset.y, scope.rows) };
}

/** The median of each column over the given rows (the "typical" workload of a game). */
export function columnMedians(x: Matrix, rows?: ArrayLike<number>): Float64Array {
  const pick = rows ?? Int32Array.from({ length: x.rows }, (_, i) => i);
  const out = new Float64Array(x.cols);
  const buf = new Float64Array(pick.length);
  for (let j = 0; j < x.cols; j++) {
    for (let k = 0; k < pick.length; k++) buf[k] = x.data[pick[k] * x.cols + j];
    buf.sort();
    const h = buf.length >> 1;
    out[j] = buf.length % 2 ? buf[h] : (buf[h - 1] + buf[h]) / 2;
  }
  return out;
}

/** The distinct values of each column, ascending: the values each tunable was measured at. */
export function distinctColumnValues(x: Matrix): Float64Array[] {
  const out: Float64Array[] = [];
  for (let j = 0; j < x.cols; j++) {
    const set = new Set<number>();
    for (let i = 0; i < x.rows; i++) set.add(x.data[i * x.cols + j]);
    out.push(Float64Array.from(set).sort());
  }
  return out;
}
