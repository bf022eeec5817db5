/**
 * Does a folder tell "Game" from "game"? exFAT, FAT, NTFS (through ntfs-3g's `ignore_case`) and ext4
 * or f2fs folders with the casefold attribute do not: two names that differ only in case are one file
 * there. The store asks once per folder, by creating a hidden probe file with capitals and looking it up
 * in lower case; the probe is removed at once.
 *
 * @module
 */

import * as fs from "node:fs";
import { join } from "node:path";

const known = new Map<string, boolean>();

/**
 * True when `dir` folds case (see the module doc). The answer is cached per folder for the process. A
 * folder we cannot write into is taken as case-sensitive: the store's own write will then report why.
 */
export function foldsCase(dir: string): boolean {
  const cached = known.get(dir);
  if (cached !== undefined) return cached;
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(16);
  const probe = join(dir, `.CaseProbe-${Deno.pid}-${rand}`);
  let folds = false;
  try {
    fs.closeSync(
      fs.openSync(
        probe,
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW,
        0o600,
      ),
    );
  } catch {
    return false;
  }
  try {
    fs.lstatSync(join(dir, `.caseprobe-${Deno.pid}-${rand}`));
    folds = true;
  } catch {
    folds = false;
  } finally {
    try {
      fs.unlinkSync(probe);
    } catch {
      // Already gone.
    }
  }
  known.set(dir, folds);
  return folds;
}
