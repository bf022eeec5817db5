/**
 * The sampling loop of `--ml-collect`: every interval, find the game, classify its threads (by name,
 * refined by what the scheduler saw them do), hand the classes to the scheduler, and turn the
 * interval's metrics into a sample for the game's sink. A game that exits closes its sink (final
 * save); a new game opens a new one.
 *
 * It knows no file formats and no BPF: the scheduler and the store come in as small interfaces.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { SchedConfig } from "../config.ts";
import type { GameInfo, Metrics, Sample, ThreadClass, ThreadCounts } from "../types.ts";
import { type CpuSnapshot, detectGame } from "./game_detect.ts";
import { buildSample, cpuModel } from "./sample.ts";
import { printable } from "../host/terminal.ts";
import { classifyThreads, refineByBehaviour } from "./thread_classes.ts";

/** What the session needs of the running scheduler. */
export interface SchedulerPort {
  setGame(tgid: number | null): void;
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>): void;
  /** Per game thread: average run per wake-up (ns) and cumulative wake-ups. */
  threadBehaviour(): { tid: number; avgRunNs: number; wakeups: number }[];
}

/** Where a game's samples go (lib/store's GameStore in the product). */
export interface SampleSink {
  add(sample: Sample): void;
  /** Final save. */
  close(): void;
  /** Where the samples end up, for messages. */
  readonly path: string;
}

/** Options of {@link CollectSession}. */
export interface CollectOptions {
  scheduler: SchedulerPort;
  /** The metrics since the previous call (the caller keeps the snapshots). */
  nextMetrics: () => Metrics;
  /** Open the sink of a game on a CPU model. */
  openSink: (game: GameInfo, cpuModel: string) => SampleSink;
  config: SchedConfig;
  /** Seconds between samples. */
  intervalS: number;
  /** The `--game` name, or null to detect. */
  forcedGame?: string | null;
  /** Root of procfs (tests pass a fake tree). Default "/proc". */
  procRoot?: string;
  /** Where one-line notices go. Default console.log. */
  log?: (line: string) => void;
}

/** How often the whole of /proc is scanned for the game while a game is running, ms. */
const DETECT_EVERY_MS = 10_000;

type ResolvedOptions = Required<Omit<CollectOptions, "forcedGame">> & { forcedGame: string | null };

/** The sampling loop; call {@link tick} often (it acts when a sample is due) and {@link close} at the end. */
export class CollectSession {
  readonly #o: ResolvedOptions;
  readonly #cpuModel: string;
  #cpu: CpuSnapshot | null = null;
  #game: GameInfo | null = null;
  #sink: SampleSink | null = null;
  #counts: ThreadCounts | null = null;
  #wakeups = new Map<number, number>();
  #nextDueMs: number | null = null;
  #lastMs = 0;
  #samples = 0;
  #lastDetectMs = -Infinity;

  constructor(options: CollectOptions) {
    this.#o = {
      procRoot: "/proc",
      log: (l: string) => console.log(l),
      ...options,
      forcedGame: options.forcedGame ?? null,
    };
    this.#cpuModel = cpuModel(this.#o.procRoot);
    // A first reading now, so the first sample can already measure CPU use.
    this.#cpu = detectGame(this.#o.procRoot, { forcedName: this.#o.forcedGame }).snapshot;
  }

  /** Samples taken in this session. */
  get samples(): number {
    return this.#samples;
  }

  /** A short status for the stats line. */
  statusLine(): string {
    if (!this.#game) return "game: none";
    const c = this.#counts;
    const n = c ? `in${c.input} gpu${c.gpu_submit} au${c.audio} bg${c.background}` : "";
    return `game: "${printable(this.#game.name)}"(${this.#game.tgid}) ${n} samples ${this.#samples}`;
  }

  /** Take a sample when one is due. `nowMs` is a monotonic clock (performance.now()). */
  tick(nowMs: number): void {
    this.#nextDueMs ??= nowMs + this.#o.intervalS * 1000;
    if (nowMs < this.#nextDueMs) return;
    const elapsedS = this.#lastMs ? (nowMs - this.#lastMs) / 1000 : this.#o.intervalS;
    this.#lastMs = nowMs;
    this.#nextDueMs += this.#o.intervalS * 1000;
    if (this.#nextDueMs < nowMs) this.#nextDueMs = nowMs + this.#o.intervalS * 1000; // fell behind: skip
    this.sampleNow(elapsedS, nowMs);
  }

  /** Detect, classify and record one sample now. */
  sampleNow(elapsedS = this.#o.intervalS, nowMs = performance.now()): void {
    const { scheduler, procRoot } = this.#o;
    const metrics = this.#o.nextMetrics(); // always consume the interval, game or not
    // A full /proc scan costs tens of ms on a desktop; while the game lives, rescan only now and then.
    let game = this.#game;
    const gameAlive = game !== null && existsSync(join(procRoot, String(game.tgid), "task"));
    if (!gameAlive || nowMs - this.#lastDetectMs >= DETECT_EVERY_MS) {
      const detection = detectGame(procRoot, { forcedName: this.#o.forcedGame, previous: this.#cpu });
      this.#cpu = detection.snapshot;
      this.#lastDetectMs = nowMs;
      game = detection.game;
    }

    if (!game || game.tgid !== this.#game?.tgid) {
      this.#switchGame(game);
    }
    if (!game) return;
    this.#game = game;

    const behaviour = new Map(scheduler.threadBehaviour().map((b) => [b.tid, b]));
    const { threads, counts } = classifyThreads(procRoot, game.tgid);
    const classes = new Map<number, ThreadClass>();
    for (const t of threads) {
      let cls = t.cls;
      const b = behaviour.get(t.tid);
      if (b) {
        const prev = this.#wakeups.get(t.tid);
        const wakeupsPerSec = prev === undefined ? 0 : Math.max(0, b.wakeups - prev) / elapsedS;
        this.#wakeups.set(t.tid, b.wakeups);
        if (prev !== undefined) cls = refineByBehaviour(cls, { avgRunNs: b.avgRunNs, wakeupsPerSec });
      }
      if (cls !== t.cls) {
        counts[t.cls]--;
        counts[cls]++;
      }
      // "other" threads of the game are left out: the scheduler treats them as game threads.
      if (cls !== "other") classes.set(t.tid, cls);
    }
    scheduler.setThreadClasses(classes);
    this.#counts = counts;

    const sample = buildSample({
      timestamp: Date.now() / 1000,
      cpuModel: this.#cpuModel,
      config: this.#o.config,
      metrics,
      game,
      threads: counts,
    });
    try {
      this.#sink!.add(sample);
      this.#samples++;
    } catch (e) {
      // A failed autosave keeps the sample in memory and retries at the next one: say so, keep going.
      this.#o.log(`scx_gamer: ${printable((e as Error).message)}`);
    }
  }

  #switchGame(game: GameInfo | null): void {
    const { scheduler, log } = this.#o;
    if (this.#sink) {
      this.#sink.close();
      log(
        `scx_gamer: "${printable(this.#game?.name ?? "")}" exited; samples saved to ${
          printable(this.#sink.path)
        }`,
      );
    }
    this.#sink = null;
    this.#game = null;
    this.#counts = null;
    this.#wakeups.clear();
    scheduler.setGame(game?.tgid ?? null);
    scheduler.setThreadClasses(new Map());
    if (game) {
      this.#sink = this.#o.openSink(game, this.#cpuModel);
      log(
        `scx_gamer: collecting for "${printable(game.name)}" (pid ${game.tgid}, ${game.source}) into ${
          printable(this.#sink.path)
        }`,
      );
    }
  }

  /** Final save of the current game's samples. Safe to call more than once. */
  close(reason: string): void {
    if (!this.#sink) return;
    const sink = this.#sink;
    this.#sink = null;
    sink.close();
    this.#o.log(`scx_gamer: ${this.#samples} samples saved to ${printable(sink.path)} (${reason})`);
  }
}
