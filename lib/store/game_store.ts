/**
 * The per-game samples store: one JSON file per game and CPU model at
 * `{mlDir}/{safe cpu model}/{safe game}.json` (see `store_doc.ts` for the format and `safe_name.ts`
 * for the names).
 *
 * Guarantees, because the binary runs as root in a folder another user controls:
 * - It never follows a symlink: the ml dir, the CPU dir and the file are checked with lstat at open and
 *   at every save, files are opened O_NOFOLLOW, temp files O_EXCL.
 * - Saves are atomic (temp file -> fsync -> rename -> fsync dir) and never lose data already on disk:
 *   a corrupt or foreign file is moved aside (never overwritten) and reported in one line, and a file
 *   that changed on disk since we read it is merged with what we hold before we replace it.
 * - Run through sudo, the directories it creates and the files it writes belong to SUDO_UID/SUDO_GID.
 *
 * @module
 */

import { join } from "node:path";
import type { SchedConfig } from "../config.ts";
import type { Sample } from "../types.ts";
import { safeName } from "./safe_name.ts";
import {
  ensureRealDir,
  type EnvReader,
  lstatOrNull,
  moveAside,
  type Owner,
  ownerFromEnv,
  readFileNoFollow,
  StoreIoError,
  writeFileAtomic,
  writeFileAtomicSync,
} from "../host/safe_fs.ts";
import {
  CorruptStoreError,
  formatStoreDoc,
  parseStoreDoc,
  sampleProblem,
  STORE_SCHEMA,
  STORE_VERSION,
  type StoreDoc,
} from "./store_doc.ts";

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
  /** Where the one-line notices go (a file kept aside). Default `console.error`. */
  log?: (line: string) => void;
  /** The clock, for `updated_at` and the names of files kept aside. Default `new Date()`. */
  now?: () => Date;
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

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    // No permission to ask: we cannot give files away either.
    return false;
  }
}

/** How many times a save retries when the file keeps changing under it. */
const SAVE_ATTEMPTS = 3;

/**
 * The samples of one game on one CPU model, backed by its JSON file.
 *
 * @example
 * ```ts
 * const store = GameStore.open("./ml_data", { cpuModel: cpuModel("/proc"), gameName: game.name });
 * store.add(buildSample({ timestamp, cpuModel, config, metrics, game, threads })); // autosaves every 100
 * store.close(); // final save
 * ```
 */
export class GameStore {
  /** The samples file. */
  readonly path: string;
  readonly gameName: string;
  readonly cpuModel: string;

  readonly #mlDir: string;
  readonly #cpuDir: string;
  readonly #autosaveEvery: number;
  readonly #owner: Owner | null;
  readonly #log: (line: string) => void;
  readonly #now: () => Date;
  #samples: Sample[];
  #best: Sample | null;
  /** Samples added through `add()` so far, and how many of those the last committed save held. */
  #added = 0;
  #addedSaved = 0;
  /** Bumped by each save attempt; a slower save never commits over a newer one. */
  #generation = 0;
  #committedGeneration = 0;
  #disk: DiskId | null;
  #closed = false;

  private constructor(mlDir: string, options: GameStoreOptions) {
    const autosaveEvery = options.autosaveEvery ?? AUTOSAVE_EVERY;
    if (!Number.isInteger(autosaveEvery) || autosaveEvery < 1) {
      throw new RangeError(`autosaveEvery ${autosaveEvery} is invalid: expected a whole number >= 1`);
    }
    this.gameName = options.gameName;
    this.cpuModel = options.cpuModel;
    this.#mlDir = mlDir;
    this.#cpuDir = join(mlDir, safeName(options.cpuModel));
    this.path = join(this.#cpuDir, safeName(options.gameName) + ".json");
    this.#autosaveEvery = autosaveEvery;
    this.#owner = options.owner !== undefined ? options.owner : (isRoot() ? ownerFromEnv(options.env) : null);
    this.#log = options.log ?? ((line) => console.error(line));
    this.#now = options.now ?? (() => new Date());
    this.#ensureDirs();
    const loaded = this.#load();
    this.#samples = loaded?.samples ?? [];
    this.#best = null;
    for (const s of this.#samples) this.#considerBest(s);
    this.#disk = diskIdOf(this.path);
  }

  /**
   * Open the store of one game: load its file if there is one (new samples are appended), else start
   * empty. Nothing is written until the first save.
   *
   * @throws {UnsafePathError} when the ml dir, the CPU dir or the file is a symlink or the wrong type.
   * @throws {StoreIoError} when a directory cannot be created or the file cannot be read.
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

  /** Samples added since the last save. */
  get unsaved(): number {
    return this.#added - this.#addedSaved;
  }

  /**
   * Append a sample; saves automatically once `autosaveEvery` samples are unsaved. Returns true when
   * it saved. The sample is kept even if that save fails (the error propagates; the next add retries).
   *
   * @throws {InvalidSampleError} for a sample of another game or CPU, or with a missing or non-finite
   * value (JSON could not hold it).
   */
  add(sample: Sample): boolean {
    if (this.#closed) {
      throw new StoreClosedError(`the store of ${this.gameName} is closed: cannot add a sample`);
    }
    const problem = sampleProblem(sample);
    if (problem !== null) throw new InvalidSampleError(`sample for ${this.path} rejected: ${problem}`);
    if (sample.game_name !== this.gameName || sample.cpu_model !== this.cpuModel) {
      throw new InvalidSampleError(
        `sample of game ${JSON.stringify(sample.game_name)} on ${JSON.stringify(sample.cpu_model)} ` +
          `does not belong in ${this.path}`,
      );
    }
    const copy = structuredClone(sample);
    this.#samples.push(copy);
    this.#considerBest(copy);
    this.#added++;
    if (this.unsaved >= this.#autosaveEvery) {
      this.saveSync();
      return true;
    }
    return false;
  }

  /** Write the file atomically (see the module doc), without blocking while the data is written. */
  async save(): Promise<void> {
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      const job = this.#prepareSave();
      if (
        await writeFileAtomic(this.path, job.text, { owner: this.#owner, beforeCommit: job.beforeCommit })
      ) {
        this.#committed(job);
        return;
      }
      // A newer save already holds everything this one had.
      if (this.#committedGeneration > job.generation) return;
    }
    this.#giveUp();
  }

  /** Write the file atomically and synchronously: for signal handlers and exit paths. */
  saveSync(): void {
    for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
      const job = this.#prepareSave();
      if (writeFileAtomicSync(this.path, job.text, { owner: this.#owner, beforeCommit: job.beforeCommit })) {
        this.#committed(job);
        return;
      }
      if (this.#committedGeneration > job.generation) return;
    }
    this.#giveUp();
  }

  /** Final save; further `add()` calls throw. Closing twice is harmless. */
  close(): void {
    if (this.#closed) return;
    this.saveSync();
    this.#closed = true;
  }

  #considerBest(s: Sample): void {
    if (this.#best === null || s.score > this.#best.score) this.#best = s;
  }

  #ensureDirs(): void {
    ensureRealDir(this.#mlDir, this.#owner);
    ensureRealDir(this.#cpuDir, this.#owner);
  }

  /** Read and check the file; a corrupt or foreign one is moved aside. Null when there is none. */
  #load(): StoreDoc | null {
    const text = readFileNoFollow(this.path);
    if (text === null) return null;
    try {
      const doc = parseStoreDoc(text, this.path);
      if (doc.game_name !== this.gameName || doc.cpu_model !== this.cpuModel) {
        throw new CorruptStoreError(
          `${this.path}: holds game ${JSON.stringify(doc.game_name)} on ${JSON.stringify(doc.cpu_model)}, ` +
            `not ${JSON.stringify(this.gameName)} on ${JSON.stringify(this.cpuModel)}`,
        );
      }
      return doc;
    } catch (err) {
      if (!(err instanceof CorruptStoreError)) throw err;
      const aside = moveAside(this.path, this.#now());
      this.#log(`${err.message}; kept it as ${aside} and started a fresh file`);
      return null;
    }
  }

  /** If the file changed on disk since we last read or wrote it, take in the samples it holds. */
  #mergeIfChanged(): void {
    const current = diskIdOf(this.path);
    if (sameDiskId(current, this.#disk)) return;
    if (current === null) {
      // Deleted since we read it: we hold every sample it had, so the next write recreates it.
      this.#disk = null;
      return;
    }
    const theirs = this.#load();
    if (theirs !== null) {
      const ours = new Set(this.#samples.map((s) => JSON.stringify(s)));
      const extra = theirs.samples.filter((s) => !ours.has(JSON.stringify(s)));
      if (extra.length > 0) {
        this.#samples = [...this.#samples, ...extra].sort((a, b) => a.timestamp - b.timestamp);
        for (const s of extra) this.#considerBest(s);
      }
    }
    this.#disk = diskIdOf(this.path);
  }

  #prepareSave(): { text: string; generation: number; added: number; beforeCommit: () => boolean } {
    this.#ensureDirs();
    this.#mergeIfChanged();
    const generation = ++this.#generation;
    const disk = this.#disk;
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
      added: this.#added,
      // Commit only if no newer save committed and nobody replaced the file while we wrote.
      beforeCommit: () => this.#committedGeneration < generation && sameDiskId(diskIdOf(this.path), disk),
    };
  }

  #committed(job: { generation: number; added: number }): void {
    this.#committedGeneration = job.generation;
    this.#addedSaved = Math.max(this.#addedSaved, job.added);
    this.#disk = diskIdOf(this.path);
  }

  #giveUp(): never {
    throw new StoreIoError(
      `${this.path} kept changing while saving (${SAVE_ATTEMPTS} attempts); left it as it is`,
    );
  }
}
