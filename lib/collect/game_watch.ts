/**
 * Game awareness for every run mode: keep the scheduler told which process is the game and how its
 * threads are classified (input, GPU submit, audio, ...), without sampling. The policy protects the game's
 * threads (they never turn batch, they may preempt other interactive work) only when it knows them, so
 * plain `scx_gamer` needs this as much as `--ml-collect` (whose CollectSession does the same and samples).
 *
 * @example
 * ```ts
 * const watch = new GameWatch({ scheduler });
 * setInterval(() => watch.tick(performance.now()), 100);
 * ```
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { GameInfo, ThreadClass } from "../types.ts";
import { type CpuSnapshot, detectGame } from "./game_detect.ts";
import type { SchedulerPort } from "./session.ts";
import { classifyThreads } from "./thread_classes.ts";

/** Options of {@link GameWatch}. */
export interface GameWatchOptions {
  scheduler: Pick<SchedulerPort, "setGame" | "setThreadClasses">;
  /** The `--game` name, or null to detect. */
  forcedGame?: string | null;
  /** Root of procfs (tests pass a fake tree). Default "/proc". */
  procRoot?: string;
  /** How often to look, ms (threads are reclassified each time; /proc is rescanned less often). */
  everyMs?: number;
  /**
   * Did a process start or end since the last call? With it, the whole of /proc is rescanned only then
   * (or every RESCAN_IDLE_MS for a game found by CPU use); without it, every RESCAN_MS.
   */
  processesChanged?: () => boolean;
  /** Where one-line notices go. Default console.log. */
  log?: (line: string) => void;
}

/** A full /proc scan costs tens of ms on a desktop: while the game lives, rescan only this often, ms. */
const RESCAN_MS = 10_000;
/** With process events: the longest between full scans (a game may only stand out by its CPU use), ms. */
const RESCAN_IDLE_MS = 30_000;

/** Detects the game and keeps the scheduler's view of it current; call {@link tick} often. */
export class GameWatch {
  readonly #scheduler: GameWatchOptions["scheduler"];
  readonly #forced: string | null;
  readonly #procRoot: string;
  readonly #everyMs: number;
  readonly #log: (line: string) => void;
  readonly #changed: (() => boolean) | null;
  #game: GameInfo | null = null;
  #cpu: CpuSnapshot | null = null;
  #dueMs = -Infinity;
  #lastScanMs = -Infinity;
  #classes = "";

  constructor(options: GameWatchOptions) {
    this.#scheduler = options.scheduler;
    this.#forced = options.forcedGame ?? null;
    this.#procRoot = options.procRoot ?? "/proc";
    this.#everyMs = options.everyMs ?? 2000;
    this.#log = options.log ?? ((l) => console.log(l));
    this.#changed = options.processesChanged ?? null;
  }

  /** The game the scheduler was told about, or null. */
  get game(): GameInfo | null {
    return this.#game;
  }

  /** A short status for the stats line. */
  statusLine(): string {
    return this.#game ? `game: ${JSON.stringify(this.#game.name)}(${this.#game.tgid})` : "game: none";
  }

  /** Look when a look is due. `nowMs` is a monotonic clock (performance.now()). */
  tick(nowMs: number): void {
    if (nowMs < this.#dueMs) return;
    this.#dueMs = nowMs + this.#everyMs;
    let game = this.#game;
    const gone = game !== null && !existsSync(join(this.#procRoot, String(game.tgid), "task"));
    const changed = this.#changed?.() ?? false;
    const staleMs = this.#changed ? RESCAN_IDLE_MS : game ? RESCAN_MS : 0;
    if (gone || changed || nowMs - this.#lastScanMs >= staleMs) {
      const found = detectGame(this.#procRoot, { forcedName: this.#forced, previous: this.#cpu });
      this.#cpu = found.snapshot;
      this.#lastScanMs = nowMs;
      game = found.game;
    }
    if (game?.tgid !== this.#game?.tgid) {
      if (this.#game) this.#log(`scx_gamer: ${JSON.stringify(this.#game.name)} exited`);
      this.#game = game;
      this.#classes = "";
      this.#scheduler.setGame(game?.tgid ?? null);
      this.#scheduler.setThreadClasses(new Map());
      if (game) this.#log(`scx_gamer: game ${JSON.stringify(game.name)} (pid ${game.tgid}, ${game.source})`);
    }
    if (!game) return;
    const classes = new Map<number, ThreadClass>();
    // "other" threads of the game are left out: the scheduler treats them as the game's threads.
    for (const t of classifyThreads(this.#procRoot, game.tgid).threads) {
      if (t.cls !== "other") classes.set(t.tid, t.cls);
    }
    const key = JSON.stringify([...classes]);
    if (key !== this.#classes) {
      this.#classes = key;
      this.#scheduler.setThreadClasses(classes);
    }
  }
}
