/**
 * Reading every samples file (and the journal beside it) under an ml dir, for export and show-best.
 * Read-only: a file that is a symlink, corrupt or foreign is skipped with a warning line, never touched.
 *
 * @module
 */

import * as fs from "node:fs";
import { join } from "node:path";
import {
  checkRealDir,
  lstatOrNull,
  readFileNoFollow,
  StoreIoError,
  UnsafePathError,
} from "../host/safe_fs.ts";
import { JOURNAL_EXT, journalPathFor, parseJournal } from "./journal.ts";
import { checkTrustedDir, checkTrustedPath, processTrust, type TrustPolicy } from "../host/trust.ts";
import { printable } from "../host/terminal.ts";
import {
  bestSample,
  CorruptStoreError,
  mergeSamples,
  parseStoreDoc,
  STORE_SCHEMA,
  STORE_VERSION,
  type StoreDoc,
} from "./store_doc.ts";

/** One samples file that read back valid. */
export interface StoredGame {
  /** The file's path. */
  path: string;
  doc: StoreDoc;
}

/** Every valid samples file, and one warning line per file skipped. */
export interface StoreListing {
  games: StoredGame[];
  warnings: string[];
}

/** Is this directory entry a samples file (not a temp file or one kept aside)? */
export function isSamplesFileName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".") && !name.includes(".corrupt-");
}

/** Is this directory entry a samples journal (not one kept aside)? */
export function isJournalFileName(name: string): boolean {
  return name.endsWith(JOURNAL_EXT) && !name.startsWith(".") && !name.includes(".corrupt-");
}

/**
 * One game's samples as stored: its samples file and the journal beside it merged (see `journal.ts`),
 * read without taking the writer's lock (a file read while a writer folds the journal in gives each
 * sample once all the same). Null when neither exists (a journal cut short before its header line was
 * complete counts as none).
 *
 * @throws {CorruptStoreError} when the file or the journal is not valid or holds another game.
 * @throws {UnsafePathError} when either is a symlink or not a regular file.
 */
export function readStoredGame(docPath: string): StoreDoc | null {
  const text = readFileNoFollow(docPath, { what: "samples file" });
  const doc = text === null ? null : parseStoreDoc(text, docPath);
  const journalPath = journalPathFor(docPath);
  const journalText = readFileNoFollow(journalPath, { what: "samples journal" });
  // A journal without one complete line is one a writer was killed creating (before its header was
  // whole): it never held a durable sample, and the next writer starts it over.
  if (journalText === null || !journalText.includes("\n")) return doc;
  const journal = parseJournal(journalText, journalPath);
  const h = journal.header;
  if (doc !== null && (h.game_name !== doc.game_name || h.cpu_model !== doc.cpu_model)) {
    throw new CorruptStoreError(
      `${printable(journalPath)}: holds game "${printable(h.game_name)}", not "${
        printable(doc.game_name)
      }" of the file beside it`,
    );
  }
  const samples = mergeSamples(doc?.samples ?? [], journal.samples);
  const best = bestSample(samples);
  return {
    schema: STORE_SCHEMA,
    version: STORE_VERSION,
    game_name: h.game_name,
    cpu_model: h.cpu_model,
    samples,
    best_config: best?.config ?? null,
    best_score: best?.score ?? null,
    updated_at: doc?.updated_at ?? "",
  };
}

function sortedNames(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

/** Options of {@link readAllStores}. */
export interface ReadStoresOptions {
  /** Who may change the folders read. Default: this process's policy (root, us, SUDO_UID). */
  trust?: TrustPolicy;
}

/**
 * Read every `{mlDir}/{cpu}/{game}.json`, sorted by CPU folder then file name. A missing ml dir gives
 * an empty listing; the caller says what that means. Only folders trusted users alone can change are
 * read (see `lib/host/trust.ts`): another user could otherwise swap a CPU folder for a link to files
 * root may read and she may not. An untrusted CPU folder is skipped with a warning.
 *
 * @throws {UnsafePathError} when the ml dir itself is a symlink, not a directory, or on a path another
 * user can change.
 */
export function readAllStores(mlDir: string, options: ReadStoresOptions = {}): StoreListing {
  const listing: StoreListing = { games: [], warnings: [] };
  const trust = options.trust ?? processTrust();
  const top = lstatOrNull(mlDir);
  if (top === null) return listing;
  checkRealDir(mlDir, top);
  checkTrustedPath(mlDir, trust);

  for (const cpu of sortedNames(mlDir)) {
    const cpuDir = join(mlDir, cpu);
    const st = lstatOrNull(cpuDir);
    if (st === null || cpu.startsWith(".")) continue;
    if (st.isSymbolicLink()) {
      listing.warnings.push(`skipping ${printable(cpuDir)}: it is a symlink (the store never follows links)`);
      continue;
    }
    // Loose files beside the CPU folders (a README, .gitkeep) are not samples.
    if (!st.isDirectory()) continue;
    try {
      checkTrustedDir(cpuDir, st, trust);
    } catch (err) {
      if (!(err instanceof UnsafePathError)) throw err;
      listing.warnings.push(`skipping ${err.message}`);
      continue;
    }
    const names = sortedNames(cpuDir);
    const docs = names.filter(isSamplesFileName);
    // A journal whose samples file was never written (a run killed before its first close) counts too.
    const journalOnly = names.filter(isJournalFileName)
      .map((n) => n.slice(0, -JOURNAL_EXT.length) + ".json")
      .filter((n) => !docs.includes(n));
    for (const name of [...docs, ...journalOnly].sort()) {
      const path = join(cpuDir, name);
      try {
        const doc = readStoredGame(path);
        if (doc === null) continue; // removed while we listed
        listing.games.push({ path, doc });
      } catch (err) {
        if (err instanceof CorruptStoreError) listing.warnings.push(`skipping ${err.message}`);
        else if (err instanceof UnsafePathError || err instanceof StoreIoError) {
          listing.warnings.push(err.message);
        } else {
          throw err;
        }
      }
    }
  }
  return listing;
}
