/**
 * The sweep's grid: which values of which tunables to try. A grid comes from sweep flags
 * (`--slice-us 250,500,1000,4000`) or a small JSON file (`{"slice_us": [5, 10], "avoid_smt": [false, true]}`);
 * every value is checked against the tunables table in `lib/config.ts`, and the grid expands to the
 * cartesian product of its axes, every other tunable keeping its default. The default grid is a fact of
 * the tunables and lives with them (`DEFAULT_SWEEP_GRID` in `lib/config.ts`).
 *
 * @module
 */

import {
  defaultConfig,
  flagOf,
  type SchedConfig,
  type Tunable,
  tunableRangeText,
  TUNABLES,
  tunableValueProblem,
} from "./config.ts";
import { parseDecimal } from "./numbers.ts";

/** A bad grid (flag value or file). `message` is the one line to print; the caller exits with status 2. */
export class GridError extends Error {
  override name = "GridError";
}

/** A tunable's name. */
export type TunableKey = keyof SchedConfig;

/** One axis of the grid: a tunable and the values to try, in the order given. */
export interface GridAxis {
  key: TunableKey;
  values: readonly (number | boolean)[];
}

/** A grid: its axes in tunables-table order (the first axis varies slowest). */
export type Grid = readonly GridAxis[];

/** Refuse grids that would take weeks by mistake (a typo'd range, a file with hundreds of values). */
export const MAX_GRID_CONFIGS = 10_000;

function tunableOf(key: string): Tunable | undefined {
  return TUNABLES.find((t) => t.key === key);
}

/**
 * Check one value of a tunable; `where` names the flag or file position in the message.
 *
 * @throws {GridError}
 */
function checkValue(t: Tunable, value: unknown, where: string): number | boolean {
  const problem = tunableValueProblem(t, value, where);
  if (problem !== null) throw new GridError(problem);
  return value as number | boolean;
}

function checkAxis(t: Tunable, values: readonly unknown[], where: string): (number | boolean)[] {
  if (values.length === 0) {
    throw new GridError(`${where}: expected at least one value (${tunableRangeText(t)})`);
  }
  const checked = values.map((v) => checkValue(t, v, where));
  const seen = new Set<number | boolean>();
  for (const v of checked) {
    // A repeated value would run the same config twice under one state key.
    if (seen.has(v)) throw new GridError(`${where} ${v} is listed twice: each value must appear once`);
    seen.add(v);
  }
  return checked;
}

/**
 * Parse a sweep flag's comma-separated values, e.g. `--slice-us 5,10,15` or `--avoid-smt false,true`.
 *
 * @throws {GridError} naming the flag, the value and the allowed range.
 *
 * @example
 * ```ts
 * parseAxisFlag("slice_us", "5,10"); // [5, 10]
 * ```
 */
export function parseAxisFlag(key: TunableKey, raw: string): (number | boolean)[] {
  const t = tunableOf(key);
  if (!t) throw new GridError(`${flagOf(key)}: not a tunable`);
  const flag = flagOf(key);
  const items = raw.split(",").map((s) => s.trim());
  const values = items.map((item): unknown => {
    if (item === "") {
      throw new GridError(
        `${flag} '${raw}' has an empty value: expected ${tunableRangeText(t)}, comma-separated`,
      );
    }
    if (t.kind === "switch") {
      if (item === "true" || item === "on" || item === "1") return true;
      if (item === "false" || item === "off" || item === "0") return false;
      return item;
    }
    return parseDecimal(item) ?? item;
  });
  return checkAxis(t, values, flag);
}

/**
 * Parse a JSON grid file: an object whose keys are tunable names and whose values are a list of
 * values (or one value, to fix a tunable for the whole sweep).
 *
 * @throws {GridError} naming the file, the key, the value and what is allowed.
 *
 * @example
 * ```ts
 * parseGridJson('{"slice_us": [5, 10], "avoid_smt": true}', "grid.json");
 * // { slice_us: [5, 10], avoid_smt: [true] }
 * ```
 */
export function parseGridJson(text: string, file: string): Partial<Record<TunableKey, (number | boolean)[]>> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new GridError(`${file}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new GridError(
      `${file}: expected a JSON object of tunable -> list of values, e.g. {"slice_us": [5, 10]}`,
    );
  }
  const out: Partial<Record<TunableKey, (number | boolean)[]>> = {};
  for (const [key, raw] of Object.entries(doc)) {
    const t = tunableOf(key);
    if (!t) {
      throw new GridError(
        `${file}: "${key}" is not a tunable: expected one of ${TUNABLES.map((x) => x.key).join(", ")}`,
      );
    }
    out[t.key] = checkAxis(t, Array.isArray(raw) ? raw : [raw], `${file}: "${key}"`);
  }
  return out;
}

/**
 * Build a grid from axis values (flags override a file's axes). Axes come out in tunables-table order
 * so the same grid always expands in the same order, whatever order the flags were typed in.
 *
 * @throws {GridError} when the grid is empty or too large.
 */
export function buildGrid(values: Partial<Record<TunableKey, readonly (number | boolean)[]>>): Grid {
  const grid: GridAxis[] = [];
  for (const t of TUNABLES) {
    const v = values[t.key];
    if (v !== undefined) grid.push({ key: t.key, values: [...v] });
  }
  if (grid.length === 0) throw new GridError("the grid is empty: give at least one tunable to sweep");
  const count = gridSize(grid);
  if (count > MAX_GRID_CONFIGS) {
    throw new GridError(
      `the grid has ${count} configs: expected at most ${MAX_GRID_CONFIGS} (sweep fewer values)`,
    );
  }
  return grid;
}

/** Number of configs the grid expands to. */
export function gridSize(grid: Grid): number {
  return grid.reduce((n, axis) => n * axis.values.length, 1);
}

/**
 * Every config of the grid, first axis slowest (like nested shell loops), other tunables at `base`.
 *
 * @example
 * ```ts
 * expandGrid([{ key: "slice_us", values: [5, 10] }, { key: "mig_max", values: [1, 3] }]).map((c) => [c.slice_us, c.mig_max]);
 * // [[5, 1], [5, 3], [10, 1], [10, 3]]
 * ```
 */
export function expandGrid(grid: Grid, base: SchedConfig = defaultConfig()): SchedConfig[] {
  let configs: SchedConfig[] = [{ ...base }];
  for (const axis of grid) {
    configs = configs.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v }) as SchedConfig));
  }
  return configs;
}
