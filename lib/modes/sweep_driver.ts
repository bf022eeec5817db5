/**
 * The sweep as a {@link ConfigDriver}: one attach, each config of the plan applied live, left to
 * settle, then measured for its duration while a game runs. Measuring time only counts while a game
 * is there (a sweep started before the game waits for it; a game that quits mid-config pauses the
 * config), so every config is measured for the same time under the same game. A config that ends
 * with no sample is "empty": recorded so, and run again by the next sweep.
 *
 * Pure timing logic: no files, no scheduler; the session applies the configs, the caller records.
 *
 * @module
 */

import type { GameInfo } from "../types.ts";
import type { ConfigDriver, DriverStep } from "./session.ts";
import type { PlannedConfig, SweepTiming } from "./sweep_plan.ts";

/** What the driver reports when a config ends. */
export interface ConfigOutcome {
  planned: PlannedConfig;
  /** Position among the configs of this run, from 0. */
  position: number;
  samples: number;
  startedAt: Date;
  finishedAt: Date;
}

/** Options of {@link SweepDriver}. */
export interface SweepDriverOptions extends SweepTiming {
  /** The configs to run, in order. */
  pending: readonly PlannedConfig[];
  /** A config started (applied). */
  onStart: (position: number, planned: PlannedConfig) => void;
  /** A config ended; record it. */
  onFinish: (outcome: ConfigOutcome) => void;
  /** Wall clock for the records. Default `new Date()`. */
  wallClock?: () => Date;
}

type Phase = "settle" | "measure";

/** Walks the pending configs; see the module doc. */
export class SweepDriver implements ConfigDriver {
  readonly #o: SweepDriverOptions;
  readonly #wall: () => Date;
  #position = -1;
  #phase: Phase = "settle";
  /** When the current phase ends, ms (Infinity while waiting for a game). */
  #phaseEnd = Infinity;
  /** Measuring time still owed to the current config, ms. */
  #leftMs = 0;
  #gameRunning = false;
  #samples = 0;
  #startedAt = new Date(0);

  constructor(options: SweepDriverOptions) {
    this.#o = options;
    this.#wall = options.wallClock ?? (() => new Date());
  }

  /** The config being run, or null before the first and after the last. */
  get current(): PlannedConfig | null {
    return this.#o.pending[this.#position] ?? null;
  }

  start(nowMs: number): DriverStep {
    return this.#next(nowMs);
  }

  dueMs(): number {
    return this.#phaseEnd;
  }

  tick(nowMs: number): DriverStep {
    if (nowMs < this.#phaseEnd) return { recording: this.#recording() };
    if (this.#phase === "settle") {
      this.#phase = "measure";
      this.#leftMs = this.#o.durationS * 1000;
      this.#phaseEnd = this.#gameRunning ? nowMs + this.#leftMs : Infinity;
      return { recording: this.#recording() };
    }
    this.#finish();
    return this.#next(nowMs);
  }

  onSample(): void {
    if (this.#phase === "measure") this.#samples++;
  }

  onGame(game: GameInfo | null, nowMs: number): DriverStep | null {
    const running = game !== null;
    if (running === this.#gameRunning) return null;
    this.#gameRunning = running;
    if (this.#phase !== "measure" || this.current === null) return null;
    if (running) this.#phaseEnd = nowMs + this.#leftMs; // resume the measuring clock
    else {
      this.#leftMs = Math.max(0, this.#phaseEnd - nowMs); // pause it
      this.#phaseEnd = Infinity;
    }
    return { recording: this.#recording() };
  }

  status(): string {
    const p = this.current;
    if (!p) return "sweep: done";
    const where = `sweep ${this.#position + 1}/${this.#o.pending.length} ${p.label}`;
    if (this.#phase === "settle") return `${where} settling`;
    return this.#gameRunning ? `${where} measuring, ${this.#samples} samples` : `${where} waiting for a game`;
  }

  #recording(): boolean {
    return this.#phase === "measure" && this.#gameRunning;
  }

  #finish(): void {
    const planned = this.current!;
    this.#o.onFinish({
      planned,
      position: this.#position,
      samples: this.#samples,
      startedAt: this.#startedAt,
      finishedAt: this.#wall(),
    });
  }

  #next(nowMs: number): DriverStep {
    this.#position++;
    const planned = this.current;
    if (!planned) {
      this.#phaseEnd = Infinity;
      return { recording: false, done: true };
    }
    this.#phase = "settle";
    this.#samples = 0;
    this.#startedAt = this.#wall();
    this.#phaseEnd = nowMs + this.#o.settleS * 1000;
    this.#o.onStart(this.#position, planned);
    return { apply: planned.config, recording: false };
  }
}
