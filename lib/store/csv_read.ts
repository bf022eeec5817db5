/**
 * Read a training CSV, validate it against the column table (lib/store/columns.ts) and turn it into a
 * typed numeric {@link Dataset}: the edge where text becomes numbers, so the trainer never sees a cell.
 *
 * Two shapes are accepted: our full export (every name in COLUMN_NAMES, or any superset of the
 * original 26) and the original tool's 26 columns (ORIGINAL_COLUMNS), which has no `score`; the score is
 * then computed from its metrics with lib/score.ts, so every reader downstream sees one shape. Numbers
 * follow the one decimal grammar (lib/numbers.ts: no hex, no empty cell as 0, nothing infinite), and
 * every row's tunables are range-checked against the tunables table. Columns we do not know are kept
 * but not checked, except objective columns (lib/score.ts) the column table does not list, which are
 * numbers. Objectives and the measured-or-not columns (smoothness, MangoHud's frames: `optional` in the
 * column table) may be empty: not measured for that sample. Every problem is one line naming the file,
 * the row (1-based data line, the header not counted) and the column.
 *
 * Every row ran under one scheduler policy (`policy_version`; a file without the column is all policy
 * 1). The same config behaves differently under another policy, so a data set takes only the rows of
 * the newest policy the file holds and says how many older ones it left out.
 *
 * @module
 */

import { parse } from "csv-parse/sync";
import { configProblems, type SchedConfig, TUNABLES } from "../config.ts";
import { readInputFile } from "../host/safe_fs.ts";
import { parseDecimal } from "../numbers.ts";
import { defaultObjective, findObjective, OBJECTIVES, score } from "../score.ts";
import type { Dataset } from "../types.ts";
import { COLUMN_NAMES, COLUMNS, ORIGINAL_COLUMNS } from "./columns.ts";

/** A training CSV after validation: every numeric cell parses, `score` and `policy_version` are present. */
export interface TrainingTable {
  /** The file it came from, for messages. */
  file: string;
  header: string[];
  /** Data rows as text, in file order; each has header.length cells. */
  rows: string[][];
  /**
   * The value of every numeric column (columns table and objectives), by name; NaN = an empty cell of a
   * column that may be empty (an objective or a measured-or-not column).
   */
  numbers: ReadonlyMap<string, Float64Array>;
  /** True when `score` was computed because the file had no score column. */
  scoreComputed: boolean;
}

/** A training CSV that cannot be used. `message` is the one line to print. */
export class CsvError extends Error {
  override name = "CsvError";
}

/** Largest training CSV read: 256 MiB, about a million samples. */
export const MAX_CSV_BYTES = 256 * 1024 * 1024;

const columnType = new Map<string, "number" | "switch" | "text">(COLUMNS.map((c) => [c.name, c.type]));
/** Columns whose cells may be empty (not measured): objectives, and the table's optional columns. */
const mayBeEmpty = new Set([
  ...OBJECTIVES.map((o) => o.name),
  ...COLUMNS.filter((c) => c.optional).map((c) => c.name),
]);

function parseRecords(text: string, file: string): string[][] {
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    throw new CsvError(`${file}: line ${e.lines ?? "?"}: not valid CSV: ${e.message ?? String(err)}`);
  }
  if (records.length === 0) {
    throw new CsvError(`${file}: empty file: expected a header line and data rows`);
  }
  if (records.length === 1) throw new CsvError(`${file}: a header line and no data rows`);
  return records;
}

function checkHeader(header: string[], file: string): void {
  const present = new Set(header);
  const missing = ORIGINAL_COLUMNS.filter((c) => !present.has(c));
  if (missing.length > 0) {
    throw new CsvError(
      `${file}: header, column ${missing[0]}: missing${
        missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1).join(", ")})` : ""
      }: expected the original 26 columns or the full export of ${COLUMN_NAMES.length}`,
    );
  }
  const duplicate = header.find((h, i) => header.indexOf(h) !== i);
  if (duplicate) throw new CsvError(`${file}: header, column ${duplicate}: appears more than once`);
}

/** How a column's cells are read: as a number, a 0/1 switch, a number that may be empty, or not. */
type CellKind = "number" | "switch" | "measured" | null;

function kindOf(name: string): CellKind {
  // Checked before the table: objectives it does not list are numbers too.
  if (mayBeEmpty.has(name)) return "measured";
  const type = columnType.get(name);
  return type === "number" || type === "switch" ? type : null;
}

function cellValue(cell: string, kind: CellKind, where: () => string): number {
  const text = cell.trim();
  if (kind === "switch") {
    if (text === "0" || text === "1") return Number(text);
    throw new CsvError(`${where()}: '${cell}' is not a switch: expected 0 or 1`);
  }
  if (kind === "measured" && text === "") return NaN;
  const value = parseDecimal(text);
  if (value === null) throw new CsvError(`${where()}: '${cell}' is not a number: expected a decimal number`);
  return value;
}

/** Parse every numeric column; checks each row's cell count and each cell. */
function readNumbers(header: string[], rows: string[][], file: string): Map<string, Float64Array> {
  const kinds = header.map(kindOf);
  const numbers = new Map<string, Float64Array>();
  const cols = kinds.flatMap((k, c) => (k === null ? [] : [c]));
  for (const c of cols) numbers.set(header[c], new Float64Array(rows.length));
  rows.forEach((row, r) => {
    if (row.length !== header.length) {
      throw new CsvError(
        `${file}: row ${r + 1}: has ${row.length} cells: expected ${header.length} (one per header column)`,
      );
    }
    for (const c of cols) {
      numbers.get(header[c])![r] = cellValue(
        row[c],
        kinds[c],
        () => `${file}: row ${r + 1}, column ${header[c]}`,
      );
    }
  });
  return numbers;
}

/**
 * A tunable added after a file was written (the original 26 columns have no `batch_burst_us`) ran at its
 * default in every row of it: the column is filled in, so every reader sees the whole tunables table.
 */
function fillMissingTunables(numbers: Map<string, Float64Array>, rows: number): void {
  for (const t of TUNABLES) {
    if (!numbers.has(t.key)) numbers.set(t.key, new Float64Array(rows).fill(Number(t.default)));
  }
}

/** Every row's tunables must be a valid config (whole numbers in the tunables table's ranges). */
function checkTunables(numbers: ReadonlyMap<string, Float64Array>, rows: number, file: string): void {
  const columns = TUNABLES.map((t) => numbers.get(t.key)!);
  for (let r = 0; r < rows; r++) {
    const config: Record<string, number | boolean> = {};
    TUNABLES.forEach((t, i) => (config[t.key] = t.kind === "switch" ? columns[i][r] === 1 : columns[i][r]));
    const problem = configProblems(config as SchedConfig)[0];
    if (problem !== undefined) {
      throw new CsvError(`${file}: row ${r + 1}, column ${problem.key}: ${problem.message}`);
    }
  }
}

/**
 * Every row's policy version must be a whole number from 1; a file without the column (the original
 * tool's, or an export from before it) ran under policy 1 throughout.
 */
function checkPolicyVersions(numbers: Map<string, Float64Array>, rows: number, file: string): void {
  const versions = numbers.get("policy_version");
  if (versions === undefined) return void numbers.set("policy_version", new Float64Array(rows).fill(1));
  versions.forEach((v, r) => {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new CsvError(
        `${file}: row ${
          r + 1
        }, column policy_version: ${v} is not a policy version: expected a whole number from 1`,
      );
    }
  });
}

/** The original layout's score, from its four metrics. */
function computedScore(numbers: ReadonlyMap<string, Float64Array>, rows: number): Float64Array {
  const get = (name: string) => numbers.get(name)!;
  const lat = get("latency_select_cpu_ns"), mm = get("mm_hint_hit_rate");
  const dd = get("direct_dispatch_rate"), mb = get("migration_block_rate");
  return Float64Array.from({ length: rows }, (_, r) =>
    score({
      select_cpu_latency_ns: lat[r],
      mm_hint_hit_rate: mm[r],
      direct_dispatch_rate: dd[r],
      migration_block_rate: mb[r],
    }));
}

/**
 * Validate CSV text (the pure part of {@linkcode readTrainingDataset}).
 *
 * @throws {CsvError} for an empty file, missing columns, a row with the wrong cell count, a cell that is
 * not a decimal number in a numeric column, a switch cell other than 0/1, a tunable out of range, or a
 * policy version that is not a whole number from 1.
 */
export function parseTrainingCsv(text: string, options: { file: string }): TrainingTable {
  const { file } = options;
  const records = parseRecords(text, file);
  const header = records[0].map((h) => h.trim());
  checkHeader(header, file);
  const rows = records.slice(1);
  const numbers = readNumbers(header, rows, file);
  fillMissingTunables(numbers, rows.length);
  checkTunables(numbers, rows.length, file);
  checkPolicyVersions(numbers, rows.length, file);
  let scoreComputed = false;
  if (!numbers.has("score")) {
    const computed = computedScore(numbers, rows.length);
    numbers.set("score", computed);
    header.push("score");
    rows.forEach((row, r) => row.push(String(computed[r])));
    scoreComputed = true;
  }
  return { file, header, rows, numbers, scoreComputed };
}

/** Options of {@linkcode tableToDataset}. */
export interface DatasetOptions {
  /** Feature columns to take, in order (lib/ml/features.ts FEATURE_COLUMNS); those absent are left out. */
  features: readonly string[];
  /** The objective to train on (lib/score.ts); default: `smooth_score` when the file has it, else `score`. */
  target?: string | null;
}

/** The rows of the newest policy the table holds, and what was left out. */
function newestPolicy(table: TrainingTable): { rows: number[]; policy: Dataset["policy"] } {
  const versions = table.numbers.get("policy_version")!;
  const newest = versions.reduce((a, v) => Math.max(a, v), 1);
  const rows: number[] = [];
  const older = new Set<number>();
  versions.forEach((v, r) => (v === newest ? rows.push(r) : older.add(v)));
  return {
    rows,
    policy: {
      version: newest,
      olderRows: versions.length - rows.length,
      olderVersions: [...older].sort((a, b) => a - b),
    },
  };
}

/**
 * The target objective and its values, or a one-line error naming the flag and what the file has. An
 * objective counts when one of `rows` measured it (an export without MangoHud logs has empty fps cells).
 */
function targetOf(table: TrainingTable, wanted: string | null, rows: readonly number[]) {
  const measured = (name: string) => {
    const values = table.numbers.get(name);
    return values !== undefined && rows.some((r) => !Number.isNaN(values[r]));
  };
  const have = OBJECTIVES.filter((o) => measured(o.name)).map((o) => o.name);
  const objective = wanted === null ? defaultObjective(have) : findObjective(wanted);
  if (objective === null) {
    throw new CsvError(
      `--target ${wanted}: not an objective: expected one of ${OBJECTIVES.map((o) => o.name).join(", ")}`,
    );
  }
  if (!measured(objective.name)) {
    const what = table.numbers.has(objective.name) ? "values in its" : "";
    throw new CsvError(
      `${table.file}: --target ${objective.name}: the file has no ${objective.name} ${
        what ? `${what} ` : ""
      }column ` +
        `(its objectives: ${have.join(", ") || "none"})`,
    );
  }
  return { objective, values: table.numbers.get(objective.name)!, have };
}

/**
 * The numeric data set of a validated table: the rows of the newest policy version it holds, the
 * feature columns it has, the target objective, and per row the game and CPU model. Rows whose target
 * cell is empty (an objective not measured for that sample) are left out and counted in `dropped`;
 * rows of older policies are counted in `policy.olderRows`.
 *
 * @throws {CsvError} when the target is not an objective or the file has no column for it.
 */
export function tableToDataset(table: TrainingTable, options: DatasetOptions): Dataset {
  const { rows, policy } = newestPolicy(table);
  const { objective, values, have } = targetOf(table, options.target ?? null, rows);
  const featureNames = options.features.filter((f) => table.numbers.has(f));
  const keep = rows.filter((r) => !Number.isNaN(values[r]));
  const cols = featureNames.map((f) => table.numbers.get(f)!);
  const data = new Float64Array(keep.length * cols.length);
  keep.forEach((r, i) => cols.forEach((col, j) => (data[i * cols.length + j] = col[r])));
  const gameCol = table.header.indexOf("game_name"), cpuCol = table.header.indexOf("cpu_model");
  return {
    source: table.file,
    featureNames,
    x: { rows: keep.length, cols: cols.length, data },
    target: objective,
    y: Float64Array.from(keep, (r) => values[r]),
    targetComputed: objective.name === "score" && table.scoreComputed,
    objectives: have,
    game: keep.map((r) => table.rows[r][gameCol]),
    cpuModel: keep.map((r) => (cpuCol < 0 ? null : table.rows[r][cpuCol])),
    sourceRow: Int32Array.from(keep, (r) => r + 1),
    dropped: rows.length - keep.length,
    policy,
  };
}

/**
 * Read a training CSV the user named (a regular file of at most {@link MAX_CSV_BYTES}; a FIFO or
 * device is refused without blocking) and turn it into a data set.
 *
 * @throws {InputFileError} (lib/host/safe_fs.ts) when the file cannot be read, naming `what` and the path.
 * @throws {CsvError} when its content is not a usable training CSV.
 *
 * @example
 * ```ts
 * const dataset = readTrainingDataset("training_data.csv", { features: FEATURE_COLUMNS });
 * dataset.target.name; // "smooth_score" when the file has it, else "score"
 * ```
 */
export function readTrainingDataset(
  path: string,
  options: DatasetOptions & { what?: string },
): Dataset {
  const text = readInputFile(path, { what: options.what ?? "training CSV", maxBytes: MAX_CSV_BYTES });
  return tableToDataset(parseTrainingCsv(text, { file: path }), options);
}
