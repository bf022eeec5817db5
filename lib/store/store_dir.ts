/**
 * Reading every samples file under an ml dir, for export and show-best. Read-only: a file that is a
 * symlink, corrupt or foreign is skipped with a warning line, never touched.
 *
 * @module
 */

import * as fs from "node:fs";
import { join } from "node:path";
import { checkRealDir, lstatOrNull, readFileNoFollow, UnsafePathError } from "../host/safe_fs.ts";
import { checkTrustedDir, checkTrustedPath, processTrust, type TrustPolicy } from "../host/trust.ts";
import { printable } from "../host/terminal.ts";
import { CorruptStoreError, parseStoreDoc, type StoreDoc } from "./store_doc.ts";

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
    for (const name of sortedNames(cpuDir).filter(isSamplesFileName)) {
      const path = join(cpuDir, name);
      try {
        const text = readFileNoFollow(path);
        if (text === null) continue; // removed while we listed
        listing.games.push({ path, doc: parseStoreDoc(text, path) });
      } catch (err) {
        if (err instanceof CorruptStoreError) listing.warnings.push(`skipping ${err.message}`);
        else if (err instanceof UnsafePathError) listing.warnings.push(err.message);
        else {
          throw err;
        }
      }
    }
  }
  return listing;
}
