/**
 * The per-game samples store: one JSON file per game and CPU model at
 * `{mlDir}/{safe cpu model}/{safe game}.json` (see `store_doc.ts` for the format and `safe_name.ts`
 * for the names), and beside it, while a run is collecting, an append-only journal `{safe game}.journal`
 * (`journal.ts`).
 *
 * Guarantees, because the binary runs as root in a folder the user chose:
 * - Every folder from `/` down to the CPU folder can be changed only by root, us or the sudo user
 *   (`lib/host/trust.ts`), so nobody can swap a folder for a symlink under us; the CPU folder and the
 *   files are never symlinks; files are opened O_NOFOLLOW, temp files O_EXCL.
 * - An autosave appends the new samples to the journal and fdatasyncs it, without blocking the caller
 *   (the write runs off the event loop): its cost depends on the samples added, not on the file's size.
 *   Opening and closing fold the journal into the samples file atomically (temp file -> fsync -> rename
 *   -> fsync dir). After a kill -9 at any moment the samples file is the old or the new complete one and
 *   the journal holds every sample of every completed autosave; an append cut short is cut off.
 * - Data on disk is never lost: a corrupt or foreign file is moved aside (never overwritten) and
 *   reported in one line; what another process added meanwhile is merged in before a rewrite.
 * - Two processes never interleave: every read-merge-write takes an advisory lock on the game's file
 *   (`lib/host/file_lock.ts`), and a lock held too long is reported with the holder's pid.
 * - On a case-insensitive folder (exFAT, FAT, casefold ext4) "Game" and "game" get distinct files: a
 *   name with capitals carries its hash there (`safeName(..., { forceHash })`).
 * - Temp files a killed process left are removed when a store opens.
 * - Run through sudo, the directories it creates and the files it writes belong to SUDO_UID/SUDO_GID.
 *
 * @module
 */

import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { join } from "node:path";
import type { SchedConfig } from "../config.ts";
import type { Sample } from "../types.ts";
import { safeName } from "./safe_name.ts";
import {
  cleanStaleTemps,
  defaultOwner,
  type EnvReader,
  fsyncDir,
  lstatOrNull,
  moveAside,
  osReason,
  type Owner,
  ownerFromEnv,
  prepareDir,
  readFileNoFollow,
  readHeadNoFollow,
  StoreIoError,
  UnsafePathError,
  writeFileAtomic,
  writeFileAtomicSync,
} from "../host/safe_fs.ts";
import { type HeldLock, LockBusyError, lockSync } from "../host/file_lock.ts";
import { foldsCase } from "../host/case_fold.ts";
import { printable } from "../host/terminal.ts";
import {
  CorruptStoreError,
  formatStoreDoc,
  mergeSamples,
  parseStoreDoc,
  sampleProblem,
  STORE_SCHEMA,
  STORE_VERSION,
  type StoreDoc,
} from "./store_doc.ts";
import {
  formatJournalHeader,
  formatJournalLines,
  type Journal,
  journalPathFor,
  parseJournal,
} from "./journal.ts";

/** Default number of new samples between automatic saves. */
export const AUTOSAVE_EVERY = 100;

/** A sample the store cannot take. `message` is the one line to print. */
export class InvalidSampleError extends Error {
  override name = "InvalidSampleError";
}

/** A store used after `close()`. `message` is the one line to print. */
export class StoreClosedError extends Error {
  override name = "StoreClosedError";
}

/** Options of {@link GameStore.open}. */
export interface GameStoreOptions {
  /** The CPU model as read (made path-safe here). */
  cpuModel: string;
  /** The game name as detected (made path-safe here). */
  gameName: string;
  /** Save automatically after this many new samples. Default 100. */
  autosaveEvery?: number;
  /**
   * Who gets created dirs and written files. Default: SUDO_UID/SUDO_GID from `env` when running as
   * root, else nobody (files stay the writer's).
   */
  owner?: Owner | null;
  /** Where SUDO_UID/SUDO_GID are read. Default `Deno.env`. */
  env?: EnvReader;
  /** Where the one-line notices go (a file kept aside, a failed autosave). Default `console.error`. */
  log?: (line: string) => void;
  /** The clock, for `updated_at` and the names of files kept aside. Default `new Date()`. */
  now?: () => Date;
  /** Whether the CPU folder folds case. Default: probed once (`lib/host/case_fold.ts`). */
  caseInsensitive?: boolean;
  /** How long to wait for another process's lock on the game's file, ms. Default 10 000. */
  lockWaitMs?: number;
}

/** What identifies the file version we last read or wrote, to notice someone else replacing it. */
interface DiskId {
  ino: number;
  size: number;
  mtimeMs: number;
}

function diskIdOf(path: string): DiskId | null {
  const st = lstatOrNull(path);
  return st === null ? null : { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
}

function sameDiskId(a: DiskId | null, b: DiskId | null): boolean {
  return a === b ||
    (a !== null && b !== null && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs);
}

/** A sample added but not yet durable: its order number and its journal line. */
interface Pending {
  seq: number;
  sample: Sample;
}

/** The game name a samples file or journal declares in its first bytes, or null. */
function declaredGame(path: string): string | null {
  let head: string | null;
  try {
    head = readHeadNoFollow(path, 64 * 1024);
  } catch {
    return null;
  }
  const m = head === null ? null : /"game_name":\s*("(?:[^"\\]|\\.)*")/.exec(head);
  if (m === null) return null;
  try {
    return JSON.parse(m[1]) as string;
  } catch {
    return null;
  }
}

/**
 * O_APPEND|O_CREAT|O_NOFOLLOW: a journal is appended to, created when missing, never through a link;
 * read as well, to find where an interrupted append left off.
 */
const JOURNAL_FLAGS = fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT |
  fs.constants.O_NOFOLLOW;

/**
 * The locks this process holds, by samples file, shared by every store of that file in the process: a
 * flock is per open file, so two stores of one game here (a game that exits and starts again while the
 * first store's autosave is still being written) would otherwise wait for each other, and a
 * synchronous wait can never see an asynchronous holder of the same thread let go.
 */
const processLocks = new Map<string, { held: HeldLock; depth: number }>();

/**
 * The autosave batches being written right now, by samples file: a rewrite (by any store of this
 * process) folds them in, since the journal they are written to may be removed under them.
 */
const inFlight = new Map<string, Set<readonly Sample[]>>();

/**
 * The samples of one game on one CPU model, backed by its JSON file and journal.
 *
 * @example
 * ```ts
 * const store = GameStore.open("./ml_data", { cpuModel: cpuModel("/proc"), gameName: game.name });
 * store.add(buildSample({ timestamp, cpuModel, config, metrics, game, threads })); // autosaves every 100
 * store.close(); // final save
 * ```
 */
export class GameStore {
  /** The samples file (absolute, no symlinks). */
  readonly path: string;
  /** The journal beside it. */
  readonly journalPath: string;
  readonly gameName: string;
  readonly cpuModel: string;

  readonly #mlDir: string;
  readonly #cpuDirName: string;
  readonly #autosaveEvery: number;
  readonly #owner: Owner | null;
  readonly #log: (line: string) => void;
  readonly #now: () => Date;
  readonly #lockWaitMs: number;
  #samples: Sample[] = [];
  #best: Sample | null = null;
  #pending: Pending[] = [];
  #seq = 0;
  /** Samples added since the last autosave started (a failed one is retried with the next). */
  #sinceAutosave = 0;
  #flushing: Promise<void> | null = null;
  #flushAgain = false;
  /** Bumped by each rewrite of the samples file; a slower async rewrite never commits over a newer one. */
  #generation = 0;
  #committedGeneration = 0;
  #disk: DiskId | null = null;
  #closed = false;

  private constructor(mlDir: string, options: GameStoreOptions) {
    const autosaveEvery = options.autosaveEvery ?? AUTOSAVE_EVERY;
    if (!Number.isInteger(autosaveEvery) || autosaveEvery < 1) {
      throw new RangeError(`autosaveEvery ${autosaveEvery} is invalid: expected a whole number >= 1`);
    }
    this.gameName = options.gameName;
    this.cpuModel = options.cpuModel;
    this.#autosaveEvery = autosaveEvery;
    this.#owner = options.owner !== undefined
      ? options.owner
      : (options.env ? (isRoot() ? ownerFromEnv(options.env) : null) : defaultOwner());
    this.#log = options.log ?? ((line) => console.error(line));
    this.#now = options.now ?? (() => new Date());
    this.#lockWaitMs = options.lockWaitMs ?? 10_000;
    this.#cpuDirName = safeName(options.cpuModel);
    this.#mlDir = prepareDir(mlDir, { owner: this.#owner }).path;
    const cpuDir = this.#ensureDirs();
    this.path = join(cpuDir, this.#fileStem(cpuDir, options.caseInsensitive) + ".json");
    this.journalPath = journalPathFor(this.path);
    cleanStaleTemps(cpuDir);
    this.#withLockSync(() => {
      const doc = this.#readDoc();
      this.#samples = doc?.samples ?? [];
      const journal = this.#readJournal();
      if (journal !== null) {
        this.#samples = mergeSamples(this.#samples, journal.samples);
        // Fold what a killed run left in the journal into the file now, while nobody else can write.
        this.#rewriteSync();
      }
      this.#disk = diskIdOf(this.path);
    });
    for (const s of this.#samples) this.#considerBest(s);
  }

  /**
   * Open the store of one game: load its file and journal if there are any (new samples are
   * appended), else start empty. Nothing is written until the first save, except that a journal a
   * killed run left is folded into the file.
   *
   * @throws {UnsafePathError} when a folder on the way can be changed by another user, or the CPU
   * folder or a file is a symlink or the wrong type.
   * @throws {StoreIoError} when a directory cannot be created or a file cannot be read.
   * @throws {LockBusyError} when another process holds the game's file longer than `lockWaitMs`.
   */
  static open(mlDir: string, options: GameStoreOptions): GameStore {
    return new GameStore(mlDir, options);
  }

  /** Every sample, loaded and added, in order. */
  get samples(): readonly Sample[] {
    return this.#samples;
  }

  /** The highest score so far, or null with no samples. */
  get bestScore(): number | null {
    return this.#best?.score ?? null;
  }

  /** The config of the best-scoring sample, or null with no samples. */
  get bestConfig(): SchedConfig | null {
    return this.#best === null ? null : { ...this.#best.config };
  }

  /** Samples added that are not yet durable on disk. */
  get unsaved(): number {
    return this.#pending.length;
  }

  /**
   * Append a sample. Every `autosaveEvery` samples an autosave starts in the background
   * (appending them to the journal) and this returns true. A failed autosave is reported through `log`
   * in one line; its samples stay in memory and the next autosave (or `close`) writes them.
   *
   * @throws {InvalidSampleError} for a sample of another game or CPU, or with a missing or non-finite
   * value (JSON could not hold it).
   */
  add(sample: Sample): boolean {
    if (this.#closed) {
      throw new StoreClosedError(`the store of ${printable(this.gameName)} is closed: cannot add a sample`);
    }
    const problem = sampleProblem(sample);
    if (problem !== null) {
      throw new InvalidSampleError(`sample for ${printable(this.path)} rejected: ${printable(problem)}`);
    }
    if (sample.game_name !== this.gameName || sample.cpu_model !== this.cpuModel) {
      throw new InvalidSampleError(
        `sample of game "${printable(sample.game_name)}" on "${printable(sample.cpu_model)}" ` +
          `does not belong in ${printable(this.path)}`,
      );
    }
    const copy = structuredClone(sample);
    this.#samples.push(copy);
    this.#considerBest(copy);
    this.#pending.push({ seq: ++this.#seq, sample: copy });
    if (++this.#sinceAutosave >= this.#autosaveEvery) {
      this.#sinceAutosave = 0;
      this.#startAutosave();
      return true;
    }
    return false;
  }

  /**
   * Make every added sample durable by appending it to the journal, without blocking while it is
   * written. Waits for an autosave in progress first.
   *
   * @throws {StoreIoError} (and the path errors of {@link open}) when it cannot be written.
   */
  async flush(): Promise<void> {
    if (this.#flushing !== null) await this.#flushing;
    if (this.#pending.length > 0) await this.#appendAsync();
  }

  /** The same as {@link flush}, synchronously. */
  flushSync(): void {
    if (this.#pending.length > 0) this.#appendSync();
  }

  /**
   * Fold everything (journal, samples added, what other processes saved) into the samples file, written
   * atomically without blocking while the data is written, and remove the journal.
   */
  async save(): Promise<void> {
    if (this.#flushing !== null) await this.#flushing;
    const held = await this.#lockAsync();
    try {
      const job = this.#prepareRewrite();
      const committed = await writeFileAtomic(this.path, job.text, {
        owner: this.#owner,
        beforeCommit: job.beforeCommit,
      });
      // A newer synchronous rewrite already holds everything this one had.
      if (committed) this.#afterRewrite(job);
    } finally {
      held();
    }
  }

  /** The same as {@link save}, synchronously: for signal handlers and exit paths. */
  saveSync(): void {
    this.#withLockSync(() => this.#rewriteSync());
  }

  /** Final save (the journal folded into the file); further `add()` calls throw. Closing twice is harmless. */
  close(): void {
    if (this.#closed) return;
    this.saveSync();
    this.#closed = true;
  }

  #considerBest(s: Sample): void {
    if (this.#best === null || s.score > this.#best.score) this.#best = s;
  }

  /** Check (and recreate when deleted) the ml dir and the CPU folder; returns the CPU folder. */
  #ensureDirs(): string {
    prepareDir(this.#mlDir, { owner: this.#owner });
    return prepareDir(join(this.#mlDir, this.#cpuDirName), { owner: this.#owner }).path;
  }

  /**
   * The file name of this game in `cpuDir`, without ".json". On a case-insensitive folder a name with
   * capitals carries its hash; and anywhere, a name whose plain file already holds a game that differs
   * only in case (written before this rule, or on a folder that folds case) takes the hashed name too.
   */
  #fileStem(cpuDir: string, caseInsensitive: boolean | undefined): string {
    const plain = safeName(this.gameName);
    const hashed = safeName(this.gameName, { forceHash: true });
    if (/[A-Z]/.test(plain) && (caseInsensitive ?? foldsCase(cpuDir))) return hashed;
    for (const path of [join(cpuDir, plain + ".json"), journalPathFor(join(cpuDir, plain + ".json"))]) {
      const other = declaredGame(path);
      if (other !== null && other !== this.gameName && other.toLowerCase() === this.gameName.toLowerCase()) {
        return hashed;
      }
    }
    return plain;
  }

  /** Take the lock (shared with every store of this file in the process), waiting up to `lockWaitMs`. */
  #acquire(waitMs: number): boolean {
    const shared = processLocks.get(this.path);
    if (shared !== undefined) {
      shared.depth++;
      return true;
    }
    // The lock file lives in the CPU folder: recreate it first if it was deleted.
    this.#ensureDirs();
    const held = lockSync(this.path, { what: "samples file", waitMs, owner: this.#owner });
    processLocks.set(this.path, { held, depth: 1 });
    return true;
  }

  #release(): void {
    const shared = processLocks.get(this.path);
    if (shared === undefined) return;
    if (--shared.depth === 0) {
      processLocks.delete(this.path);
      shared.held.release();
    }
  }

  #withLockSync<T>(fn: () => T): T {
    this.#acquire(this.#lockWaitMs);
    try {
      return fn();
    } finally {
      this.#release();
    }
  }

  /**
   * Take the lock without blocking the event loop; returns the function that lets go of it. Each try is
   * synchronous and registered at once, so a synchronous save that runs meanwhile shares the lock
   * instead of waiting for this thread.
   */
  async #lockAsync(): Promise<() => void> {
    const start = performance.now();
    for (;;) {
      try {
        this.#acquire(0);
        break;
      } catch (err) {
        if (!(err instanceof LockBusyError) || performance.now() - start >= this.#lockWaitMs) throw err;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#release();
    };
  }

  /** Read and check the samples file; a corrupt or foreign one is moved aside. Null when there is none. */
  #readDoc(): StoreDoc | null {
    const text = readFileNoFollow(this.path, { what: "samples file" });
    if (text === null) return null;
    try {
      const doc = parseStoreDoc(text, this.path);
      if (doc.game_name !== this.gameName || doc.cpu_model !== this.cpuModel) {
        throw new CorruptStoreError(
          `${printable(this.path)}: holds game "${printable(doc.game_name)}" on "${
            printable(doc.cpu_model)
          }", ` +
            `not "${printable(this.gameName)}" on "${printable(this.cpuModel)}"`,
        );
      }
      return doc;
    } catch (err) {
      if (!(err instanceof CorruptStoreError)) throw err;
      const aside = moveAside(this.path, this.#now());
      this.#log(`${err.message}; kept it as ${printable(aside)} and started a fresh file`);
      return null;
    }
  }

  /**
   * Read the journal; one of another game, not a journal, or with damaged lines is moved aside (its
   * good samples still taken). Null when there is none or it was moved aside whole.
   */
  #readJournal(): Journal | null {
    const text = readFileNoFollow(this.journalPath, { what: "samples journal" });
    if (text === null) return null;
    if (formatJournalHeader(this.gameName, this.cpuModel).startsWith(text) && !text.endsWith("\n")) {
      // A writer killed while creating the journal (before its header was whole): it never held a
      // sample, and it is exactly what this store writes, so it goes rather than being kept aside.
      this.#removeJournal();
      return null;
    }
    let journal: Journal;
    try {
      journal = parseJournal(text, this.journalPath);
      const h = journal.header;
      if (h.game_name !== this.gameName || h.cpu_model !== this.cpuModel) {
        throw new CorruptStoreError(
          `${printable(this.journalPath)}: holds game "${printable(h.game_name)}" on "${
            printable(h.cpu_model)
          }"`,
        );
      }
    } catch (err) {
      if (!(err instanceof CorruptStoreError)) throw err;
      const aside = moveAside(this.journalPath, this.#now());
      this.#log(`${err.message}; kept it as ${printable(aside)}`);
      return null;
    }
    if (journal.badLines.length > 0) {
      const aside = moveAside(this.journalPath, this.#now());
      this.#log(
        `${printable(this.journalPath)}: lines ${journal.badLines.slice(0, 5).join(", ")}${
          journal.badLines.length > 5 ? " ..." : ""
        } are not valid samples; took its ${journal.samples.length} good samples and kept it as ${
          printable(aside)
        }`,
      );
      return { ...journal, badLines: [] };
    }
    return journal;
  }

  /** If the samples file changed on disk since we last read or wrote it, take in the samples it holds. */
  #mergeDisk(): void {
    const current = diskIdOf(this.path);
    if (!sameDiskId(current, this.#disk) && current !== null) {
      const theirs = this.#readDoc();
      if (theirs !== null) this.#mergeIn(theirs.samples);
    }
    const journal = this.#readJournal();
    if (journal !== null) this.#mergeIn(journal.samples);
  }

  #mergeIn(extra: readonly Sample[]): void {
    const before = this.#samples.length;
    this.#samples = mergeSamples(this.#samples, extra);
    if (this.#samples.length !== before) { for (const s of this.#samples) this.#considerBest(s); }
  }

  /** Under the lock: everything merged, the text of the new samples file, and how to commit it. */
  #prepareRewrite(): { text: string; generation: number; seq: number; beforeCommit: () => boolean } {
    this.#ensureDirs();
    this.#mergeDisk();
    for (const batch of inFlight.get(this.path) ?? []) this.#mergeIn(batch);
    const generation = ++this.#generation;
    const disk = diskIdOf(this.path);
    const doc: StoreDoc = {
      schema: STORE_SCHEMA,
      version: STORE_VERSION,
      game_name: this.gameName,
      cpu_model: this.cpuModel,
      samples: this.#samples,
      best_config: this.#best?.config ?? null,
      best_score: this.#best?.score ?? null,
      updated_at: this.#now().toISOString(),
    };
    return {
      text: formatStoreDoc(doc),
      generation,
      seq: this.#seq,
      // Commit only if no newer rewrite committed and nobody replaced the file while we wrote.
      beforeCommit: () => this.#committedGeneration < generation && sameDiskId(diskIdOf(this.path), disk),
    };
  }

  /** After the new samples file is in place: the journal it absorbed goes, its samples are durable. */
  #afterRewrite(job: { generation: number; seq: number }): void {
    this.#committedGeneration = job.generation;
    this.#pending = this.#pending.filter((p) => p.seq > job.seq);
    this.#disk = diskIdOf(this.path);
    this.#removeJournal();
  }

  /** Under the lock: remove the journal (its samples are in the file, or it never held any). */
  #removeJournal(): void {
    try {
      fs.unlinkSync(this.journalPath);
      fsyncDir(join(this.path, ".."));
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") {
        // Left in place it holds no sample the file lacks: harmless, folded again next time.
        this.#log(
          `cannot remove ${printable(this.journalPath)}: ${osReason(err)}; it holds no sample the file lacks`,
        );
      }
    }
  }

  #rewriteSync(): void {
    for (let attempt = 1; attempt <= 3; attempt++) {
      const job = this.#prepareRewrite();
      if (writeFileAtomicSync(this.path, job.text, { owner: this.#owner, beforeCommit: job.beforeCommit })) {
        this.#afterRewrite(job);
        return;
      }
    }
    throw new StoreIoError(
      `${printable(this.path)} kept changing while saving (3 attempts); left it as it is`,
    );
  }

  #startAutosave(): void {
    if (this.#flushing !== null) {
      this.#flushAgain = true;
      return;
    }
    this.#flushing = (async () => {
      try {
        do {
          this.#flushAgain = false;
          await this.#appendAsync();
        } while (this.#flushAgain && this.#pending.length > 0 && !this.#closed);
      } catch (err) {
        this.#log(
          `scx_gamer: autosave of ${printable(this.gameName)} failed: ${
            printable((err as Error).message)
          }; ` +
            `its ${this.#pending.length} samples stay in memory and the next save retries`,
        );
      } finally {
        this.#flushing = null;
      }
    })();
  }

  /** The error of a failed journal open: a symlink in its place is refused, the rest named plainly. */
  #openError(err: unknown): Error {
    if ((err as { code?: string }).code === "ELOOP") {
      return new UnsafePathError(
        `refusing to use ${printable(this.journalPath)}: it is a symlink; expected a regular file`,
      );
    }
    return new StoreIoError(`cannot open ${printable(this.journalPath)}: ${osReason(err)}`);
  }

  /**
   * Get a journal just opened for appending (under the lock) ready: its header written when it is new,
   * and a last line an interrupted append left without its newline cut off, so the next line starts
   * clean.
   */
  #prepareJournal(fd: number): void {
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) {
        throw new UnsafePathError(`refusing to use ${printable(this.journalPath)}: it is not a regular file`);
      }
      if (st.size === 0) {
        fs.fchmodSync(fd, 0o644);
        if (this.#owner !== null) {
          try {
            fs.fchownSync(fd, this.#owner.uid, this.#owner.gid);
          } catch {
            // A file system without owners (exFAT).
          }
        }
        fs.writeFileSync(fd, formatJournalHeader(this.gameName, this.cpuModel));
      } else {
        this.#cutTornTail(fd, st.size);
      }
    } catch (err) {
      if (err instanceof UnsafePathError || err instanceof StoreIoError) throw err;
      throw new StoreIoError(`cannot append to ${printable(this.journalPath)}: ${osReason(err)}`);
    }
  }

  /** Truncate the journal after its last newline (an append killed half-way left the rest). */
  #cutTornTail(fd: number, size: number): void {
    const last = new Uint8Array(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    const chunk = new Uint8Array(64 * 1024);
    for (let end = size; end > 0;) {
      const start = Math.max(0, end - chunk.length);
      const n = fs.readSync(fd, chunk, 0, end - start, start);
      const at = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (at !== -1) {
        fs.ftruncateSync(fd, start + at + 1);
        return;
      }
      end = start;
    }
    // Not even the header is complete: start the journal over.
    fs.ftruncateSync(fd, 0);
    fs.writeFileSync(fd, formatJournalHeader(this.gameName, this.cpuModel));
  }

  #appendSync(): void {
    this.#withLockSync(() => {
      const batch = this.#pending.slice();
      this.#ensureDirs();
      let fd: number;
      try {
        fd = fs.openSync(this.journalPath, JOURNAL_FLAGS, 0o644);
      } catch (err) {
        throw this.#openError(err);
      }
      try {
        this.#prepareJournal(fd);
        fs.writeFileSync(fd, formatJournalLines(batch.map((p) => p.sample)));
        fs.fdatasyncSync(fd);
      } catch (err) {
        if (err instanceof UnsafePathError || err instanceof StoreIoError) throw err;
        throw new StoreIoError(`cannot append to ${printable(this.journalPath)}: ${osReason(err)}`);
      } finally {
        fs.closeSync(fd);
      }
      this.#durableUpTo(batch.at(-1)!.seq);
    });
  }

  async #appendAsync(): Promise<void> {
    const release = await this.#lockAsync();
    try {
      // A snapshot: samples added while this one is written wait for the next append.
      const batch = this.#pending.slice();
      if (batch.length === 0) return;
      const samples = batch.map((p) => p.sample);
      const text = formatJournalLines(samples);
      let batches = inFlight.get(this.path);
      if (batches === undefined) inFlight.set(this.path, batches = new Set());
      batches.add(samples);
      try {
        await this.#writeJournal(text);
      } finally {
        batches.delete(samples);
        if (batches.size === 0) inFlight.delete(this.path);
      }
      this.#durableUpTo(batch.at(-1)!.seq);
    } finally {
      release();
    }
  }

  /** Append `text` to the journal (under the lock) and fdatasync it, off the event loop. */
  async #writeJournal(text: string): Promise<void> {
    this.#ensureDirs();
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(this.journalPath, JOURNAL_FLAGS, 0o644);
    } catch (err) {
      throw this.#openError(err);
    }
    try {
      this.#prepareJournal(handle.fd);
      await handle.writeFile(text);
      await handle.datasync();
    } catch (err) {
      if (err instanceof UnsafePathError || err instanceof StoreIoError) throw err;
      throw new StoreIoError(`cannot append to ${printable(this.journalPath)}: ${osReason(err)}`);
    } finally {
      await handle.close();
    }
  }

  #durableUpTo(seq: number): void {
    this.#pending = this.#pending.filter((p) => p.seq > seq);
  }
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    // No permission to ask: we cannot give files away either.
    return false;
  }
}
