/**
 * The samples journal: an append-only file beside a game's samples file (`{game}.journal` beside
 * `{game}.json`) that autosaves append to, so the cost of a save depends on the samples it adds, not on
 * the hours of play already stored. The journal is folded into the samples file (compacted) when the
 * store opens or closes; readers (export, show-best) read both.
 *
 * Layout: one JSON value per line. The first line is a header naming the game and CPU model, every
 * other line one sample exactly as in the samples file:
 * ```
 * {"schema":"scx_gamer.journal","version":1,"game_name":"Cyberpunk2077","cpu_model":"AMD Ryzen ..."}
 * {"timestamp":1764078840.5, ...}
 * ```
 * A process killed in the middle of an append leaves a last line without its newline: it is ignored
 * (that autosave never completed), and the next append starts on a fresh line, so the torn piece stays
 * a line of its own. Appending the same sample twice (a save retried after an interrupted one) is
 * harmless: samples are deduplicated when read.
 *
 * @module
 */

import type { Sample } from "../types.ts";
import { printable } from "../host/terminal.ts";
import { CorruptStoreError, jsonErrorWhere, sampleProblem, storedSample } from "./store_doc.ts";

/** The schema tag of a journal's header line. */
export const JOURNAL_SCHEMA = "scx_gamer.journal";
/** The version this code writes and reads. */
export const JOURNAL_VERSION = 1;
/** The extension of journal files. */
export const JOURNAL_EXT = ".journal";

/** A journal's first line. */
export interface JournalHeader {
  schema: typeof JOURNAL_SCHEMA;
  version: typeof JOURNAL_VERSION;
  game_name: string;
  cpu_model: string;
}

/** What a journal holds. */
export interface Journal {
  header: JournalHeader;
  samples: Sample[];
  /** Complete lines that were not a valid sample (1-based line numbers): kept aside, not lost. */
  badLines: number[];
  /** True when the last line had no newline (an append cut short). */
  tornTail: boolean;
}

/** The journal beside a samples file: `Game.json` -> `Game.journal`. */
export function journalPathFor(docPath: string): string {
  return docPath.replace(/\.json$/, "") + JOURNAL_EXT;
}

/** The header line, newline included. */
export function formatJournalHeader(gameName: string, cpuModel: string): string {
  const header: JournalHeader = {
    schema: JOURNAL_SCHEMA,
    version: JOURNAL_VERSION,
    game_name: gameName,
    cpu_model: cpuModel,
  };
  return JSON.stringify(header) + "\n";
}

/** Sample lines to append, newline included after each. */
export function formatJournalLines(samples: readonly Sample[]): string {
  return samples.map((s) => JSON.stringify(s) + "\n").join("");
}

/**
 * Parse a journal's text. `path` only names the file in errors.
 *
 * @throws {CorruptStoreError} when the header line is missing, not JSON or not a journal's.
 */
export function parseJournal(text: string, path: string): Journal {
  const tornTail = text.length > 0 && !text.endsWith("\n");
  const lines = text.split("\n");
  // The piece after the last newline is either "" or the torn tail: never a complete line.
  lines.pop();
  if (lines.length === 0) {
    throw new CorruptStoreError(`${printable(path)}: not a scx_gamer journal (no complete header line)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(lines[0]);
  } catch (err) {
    throw new CorruptStoreError(
      `${printable(path)}: not a scx_gamer journal (header is not valid JSON${jsonErrorWhere(err)})`,
    );
  }
  const h = header as Record<string, unknown> | null;
  if (
    typeof h !== "object" || h === null || h.schema !== JOURNAL_SCHEMA || h.version !== JOURNAL_VERSION ||
    typeof h.game_name !== "string" || typeof h.cpu_model !== "string"
  ) {
    throw new CorruptStoreError(
      `${
        printable(path)
      }: not a scx_gamer journal (expected a header with schema "${JOURNAL_SCHEMA}", version ${JOURNAL_VERSION})`,
    );
  }
  const samples: Sample[] = [];
  const badLines: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    // An empty line is where an interrupted append was closed off: nothing was lost there.
    if (lines[i] === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch {
      badLines.push(i + 1);
      continue;
    }
    if (sampleProblem(value) !== null) {
      badLines.push(i + 1);
      continue;
    }
    samples.push(storedSample(value));
  }
  return { header: h as unknown as JournalHeader, samples, badLines, tornTail };
}
