/**
 * Read a training CSV and validate it against the column table (lib/store/columns.ts).
 *
 * Two shapes are accepted: our full export (every name in COLUMN_NAMES, or any superset of the
 * original 26) and the original tool's 26 columns (ORIGINAL_COLUMNS), which has no `score`; the score is
 * then computed from its metrics with lib/score.ts and appended as a last column, so every reader
 * downstream sees one shape. Columns we do not know are kept but not checked. Every problem is one
 * line naming the file, the row (1-based data line, the header is not counted) and the column.
 *
 * @module
 */

import { parse } from "csv-parse/sync";
import { TUNABLES } from "../config.ts";
import { score } from "../score.ts";
import { COLUMN_NAMES, COLUMNS, ORIGINAL_COLUMNS } from "./columns.ts";

/** A training CSV after validation: every numeric cell parses, `score` is present. */
export interface TrainingTable {
  /** The file it came from, for messages. */
  file: string;
  header: string[];
  /** Data rows as text, in file order; each has header.length cells. */
  rows: string[][];
  /** True when `score` was computed because the file had no score column. */
  scoreComputed: boolean;
}

/** A training CSV that cannot be used. `message` is the one line to print. */
export class CsvError extends Error {
  override name = "CsvError";
}

/** Fewest samples the trainer accepts for one scope (the whole file, or one game). */
export const MIN_SAMPLES = 20;

/** Options of {@linkcode parseTrainingCsv}. */
export interface CsvReadOptions {
  /** Name used in messages (the path). */
  file: string;
  /** Only count this game's rows towards the minimum (the trainer's --game); null = every row. */
  game?: string | null;
  /** Fewest rows needed in scope. Default {@linkcode MIN_SAMPLES}. */
  minSamples?: number;
}

const columnType = new Map(COLUMNS.map((c) => [c.name, c.type]));

function isNumber(cell: string): boolean {
  return cell.trim() !== "" && Number.isFinite(Number(cell));
}

/**
 * Validate CSV text (the pure part of {@linkcode readTrainingCsv}).
 *
 * @throws {CsvError} for an empty file, missing columns, a row with the wrong cell count, a
 * non-numeric cell in a numeric column, a switch cell other than 0/1, or too few samples in scope.
 */
export function parseTrainingCsv(text: string, options: CsvReadOptions): TrainingTable {
  const { file, game = null, minSamples = MIN_SAMPLES } = options;
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: true, skip_empty_lines: true, bom: true }) as string[][];
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    throw new CsvError(`${file}: line ${e.lines ?? "?"}: not valid CSV: ${e.message ?? String(err)}`);
  }
  if (records.length === 0) {
    throw new CsvError(`${file}: empty file: expected a header line and at least ${minSamples} data rows`);
  }
  const header = records[0].map((h) => h.trim());
  const rows = records.slice(1);
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

  const checks = header.map((name) => columnType.get(name));
  rows.forEach((row, r) => {
    if (row.length !== header.length) {
      throw new CsvError(
        `${file}: row ${r + 1}: has ${row.length} cells: expected ${header.length} (one per header column)`,
      );
    }
    row.forEach((cell, c) => {
      const type = checks[c];
      if (type === "number" && !isNumber(cell)) {
        throw new CsvError(`${file}: row ${r + 1}, column ${header[c]}: '${cell}' is not a number`);
      }
      if (type === "switch" && cell.trim() !== "0" && cell.trim() !== "1") {
        throw new CsvError(
          `${file}: row ${r + 1}, column ${header[c]}: '${cell}' is not a switch: expected 0 or 1`,
        );
      }
    });
  });

  // A file written before a tunable existed gets its default, so every reader sees every tunable
  // (telling samples of another policy version apart is the caller's job).
  for (const t of TUNABLES) {
    if (present.has(t.key)) continue;
    header.push(t.key);
    for (const row of rows) row.push(t.kind === "switch" ? (t.default ? "1" : "0") : String(t.default));
  }

  let scoreComputed = false;
  if (!present.has("score")) {
    const at = (name: string) => header.indexOf(name);
    const lat = at("latency_select_cpu_ns"), mm = at("mm_hint_hit_rate");
    const dd = at("direct_dispatch_rate"), mb = at("migration_block_rate");
    header.push("score");
    for (const row of rows) {
      row.push(String(score({
        select_cpu_latency_ns: Number(row[lat]),
        mm_hint_hit_rate: Number(row[mm]),
        direct_dispatch_rate: Number(row[dd]),
        migration_block_rate: Number(row[mb]),
      })));
    }
    scoreComputed = true;
  }

  const gameCol = header.indexOf("game_name");
  const inScope = game === null ? rows.length : rows.filter((row) => row[gameCol] === game).length;
  if (inScope < minSamples) {
    const scope = game === null ? "in the file" : `for game '${game}' (column game_name)`;
    const names = [...new Set(rows.map((row) => row[gameCol]))].slice(0, 10);
    const known = game === null || names.length === 0 ? "" : `; games in the file: ${names.join(", ")}`;
    throw new CsvError(
      `${file}: ${inScope} samples ${scope}: at least ${minSamples} are needed to train${known}`,
    );
  }
  return { file, header, rows, scoreComputed };
}

/**
 * Read and validate a training CSV from disk.
 *
 * @example
 * ```ts
 * const table = await readTrainingCsv("training_data.csv", { game: "cs2" });
 * table.header.includes("score"); // always true
 * ```
 */
export async function readTrainingCsv(
  path: string,
  options: Omit<CsvReadOptions, "file"> = {},
): Promise<TrainingTable> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    throw new CsvError(`${path}: cannot read: ${reason}`);
  }
  return parseTrainingCsv(text, { ...options, file: path });
}

/** The numeric values of one column, as doubles (the table is already validated). */
export function numericColumn(table: TrainingTable, name: string): Float64Array {
  const c = table.header.indexOf(name);
  if (c < 0) throw new CsvError(`${table.file}: header, column ${name}: missing`);
  return Float64Array.from(table.rows, (row) => Number(row[c]));
}
