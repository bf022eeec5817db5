/**
 * `--ml-export-csv FILE`: every game of every CPU model under the ml dir in one training CSV.
 *
 * The columns are the COLUMNS table (`columns.ts`) in order: the original tool's 26 first, ours after.
 * Fields are quoted as RFC 4180 says (a field holding a comma, quote or line break is quoted, quotes
 * doubled); lines end in "\n"; switches are written 0/1 and numbers in JavaScript's shortest
 * round-trip form, so parsing a cell gives back the exact stored value. A text cell (game name, CPU
 * model) that starts like a spreadsheet formula (= + - @ tab CR) gets a leading `'`, so opening the
 * export in a spreadsheet never runs a formula a process name carried.
 *
 * The output is written like the store writes (temp file, fsync, rename) and never through a symlink.
 * An existing file is replaced only when it is empty or is itself an export (its first line starts with
 * "timestamp,game_name,", which the original tool's exports do too): a mistyped FILE never destroys a
 * source file.
 *
 * @module
 */

import { stringify } from "csv-stringify/sync";
import { type Cell, type Column, COLUMN_NAMES, COLUMNS } from "./columns.ts";
import { defaultOwner, type Owner, readHeadNoFollow, writeFileAtomicSync } from "../host/safe_fs.ts";
import { type FrameLog, frameStatsBetween } from "./frametimes.ts";
import { readAllStores } from "./store_dir.ts";
import { printable } from "../host/terminal.ts";

/** An export that cannot be made. `message` is the one line to print. */
export class ExportError extends Error {
  override name = "ExportError";
}

/** Rows written for one game file. */
export interface ExportCount {
  game_name: string;
  cpu_model: string;
  rows: number;
  /** The samples file they came from. */
  source: string;
}

/** What an export wrote. */
export interface ExportResult {
  /** Samples whose interval MangoHud's logs covered (0 without logs). */
  framesMatched: number;
  outPath: string;
  /** All data rows (the header is not counted). */
  rows: number;
  /** One entry per game file, in the order written. */
  games: ExportCount[];
  /** Files skipped (corrupt, foreign, symlinks): already passed to `log`. */
  skipped: string[];
}

/** Options of {@link exportCsv}. */
export interface ExportOptions {
  /** Where a skipped file's warning line goes. Default `console.error`. */
  log?: (line: string) => void;
  /** Who gets the written file. Default: SUDO_UID/SUDO_GID when running as root, else nobody. */
  owner?: Owner | null;
  /** MangoHud frame logs: each sample gets the fps, 1% low and frame-time p99 of its interval. */
  frameLogs?: readonly FrameLog[];
}

/** How an existing export starts; an existing file that does not is never replaced. */
const EXPORT_PREFIX = "timestamp,game_name,";

/**
 * What a spreadsheet reads as the start of a formula (or, for tab and CR, what it strips before looking
 * for one). Game names come from other users' processes, so `=HYPERLINK(...)` must stay text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A text cell a spreadsheet will show as text: a leading `'` when it starts like a formula (OWASP's
 * advice). Only text columns get it; numeric cells (negative numbers start with "-") are never touched,
 * so the original 26-column layout still parses.
 *
 * @example
 * ```ts
 * neutralizeFormula("=HYPERLINK(\"x\")"); // "'=HYPERLINK(\"x\")"
 * neutralizeFormula("Cyberpunk2077"); // "Cyberpunk2077"
 * ```
 */
export function neutralizeFormula(text: string): string {
  return FORMULA_START.test(text) ? "'" + text : text;
}

/** Turn a cell into CSV text: switches as 0/1 (csv-stringify would write false as an empty field). */
function cellText(cell: Cell, type: Column["type"]): string {
  if (typeof cell === "boolean") return cell ? "1" : "0";
  return type === "text" ? neutralizeFormula(String(cell)) : String(cell);
}

function checkReplaceable(outPath: string): void {
  // 4 KiB holds any header line of ours; reading no more keeps a huge mistaken target cheap.
  const head = readHeadNoFollow(outPath, 4096);
  if (head === null || head === "") return;
  const firstLine = head.replace(/^\uFEFF/, "");
  if (!firstLine.startsWith(EXPORT_PREFIX)) {
    throw new ExportError(
      `refusing to overwrite ${outPath}: it is not a training CSV export (its first line does not start with "${EXPORT_PREFIX}")`,
    );
  }
}

/**
 * Export every game under `mlDir` to `outPath` and return the rows written per game (the caller prints
 * them, e.g. with {@link formatExportCounts}).
 *
 * @throws {ExportError} when there are no samples at all, or `outPath` exists and is not an export.
 * @throws {UnsafePathError} when `mlDir` or `outPath` is a symlink or the wrong kind of file.
 *
 * @example
 * ```ts
 * const result = exportCsv("./ml_data", "training.csv");
 * console.log(formatExportCounts(result));
 * ```
 */
export function exportCsv(mlDir: string, outPath: string, options: ExportOptions = {}): ExportResult {
  const log = options.log ?? ((line: string) => console.error(line));
  const listing = readAllStores(mlDir);
  for (const warning of listing.warnings) log(warning);

  const games: ExportCount[] = [];
  const records: string[][] = [];
  const logs = options.frameLogs ?? [];
  let framesMatched = 0;
  for (const { path, doc } of listing.games) {
    if (doc.samples.length === 0) continue;
    for (const stored of doc.samples) {
      const frames = logs.length === 0
        ? null
        : frameStatsBetween(logs, stored.timestamp - stored.metrics.interval_s, stored.timestamp);
      if (frames !== null) framesMatched++;
      const sample = frames === null ? stored : { ...stored, frames };
      records.push(COLUMNS.map((c) => cellText(c.get(sample), c.type)));
    }
    games.push({
      game_name: doc.game_name,
      cpu_model: doc.cpu_model,
      rows: doc.samples.length,
      source: path,
    });
  }
  if (records.length === 0) {
    const skipped = listing.warnings.length > 0 ? ` (${listing.warnings.length} file(s) skipped)` : "";
    throw new ExportError(`no samples under ${mlDir}${skipped}: collect some with --ml-collect first`);
  }

  checkReplaceable(outPath);
  const text = stringify([[...COLUMN_NAMES], ...records], { record_delimiter: "\n" });
  const owner = options.owner !== undefined ? options.owner : defaultOwner();
  writeFileAtomicSync(outPath, text, { owner });
  return { outPath, rows: records.length, games, skipped: listing.warnings, framesMatched };
}

/**
 * The per-game row counts as printable lines, names shown with control characters escaped.
 *
 * @example
 * ```ts
 * formatExportCounts(result);
 * // "Cyberpunk2077 (AMD Ryzen 7 7800X3D 8-Core Processor): 240 rows\n... \n240 rows written to training.csv"
 * ```
 */
export function formatExportCounts(result: ExportResult): string {
  const lines = result.games.map((g) =>
    `${printable(g.game_name)} (${printable(g.cpu_model)}): ${g.rows} row${g.rows === 1 ? "" : "s"}`
  );
  lines.push(`${result.rows} row${result.rows === 1 ? "" : "s"} written to ${printable(result.outPath)}`);
  return lines.join("\n");
}
