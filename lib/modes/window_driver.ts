/**
 * Measuring configs one window at a time, live: the {@link ConfigDriver} behind the sweep, the A/B
 * comparison and the autotuner. Each window applies a config, lets it settle (nothing recorded: the
 * interval being sampled restarts, so no sample mixes two configs), then measures it for its time while a
 * game runs. Measuring time only counts while a game is there (a window started before the game waits
 * for it; a game that quits pauses the window), so windows compare like with like. A game that appears
 * (or comes back) settles too before the clock runs: its first seconds are its start (threads being
 * found and classed, loading), and a sweep's first window, the defaults' first reference, measured them:
 * its frames came late 18% of the time where the defaults' four later windows gave 3-11%, and that one
 * window made most of the noise a pick had to beat (docs/benchmarks.md). When a window ends, its samples
 * go to whoever planned it, who says what to measure next.
 *
 * Pure timing logic: no files, no scheduler; the session applies the configs.
 *
 * @module
 */

import type { SchedConfig } from "../config.ts";
import type { GameInfo, Sample } from "../types.ts";
import type { ConfigDriver, DriverStep } from "./session.ts";

/** One window to measure. */
export interface Window {
  config: SchedConfig;
  /** Short, for progress lines and the stats line: "slice_us=5", "A", "candidate 3". */
  label: string;
  /** Seconds after applying before measuring. */
  settleS: number;
  /** Seconds measured while a game runs. */
  measureS: number;
}

/** A window that ended, with the samples recorded while it measured. */
export interface WindowResult {
  window: Window;
  /** Position among the windows of this driver, from 0. */
  position: number;
  samples: Sample[];
  startedAt: Date;
  finishedAt: Date;
}

/** Options of {@link WindowDriver}. */
export interface WindowDriverOptions {
  /** The next window, given the one that just ended (null at the start); null when there is no more. */
  next: (previous: WindowResult | null) => Window | null;
  /** A window was applied. */
  onStart?: (position: number, window: Window) => void;
  /** What the stats line says besides the window (e.g. "sweep 3/36", "A/B pair 2/6"). */
  describe?: (position: number) => string;
  /** Wall clock for the results. Default `new Date()`. */
  wallClock?: () => Date;
}

type Phase = "settle" | "measure";

/** Runs windows until `next` says there are no more; see the module doc. */
export class WindowDriver implements ConfigDriver {
  readonly #o: WindowDriverOptions;
  readonly #wall: () => Date;
  #position = -1;
  #window: Window | null = null;
  #phase: Phase = "settle";
  /** When the current phase ends, ms (Infinity while waiting for a game). */
  #phaseEnd = Infinity;
  /** Measuring time still owed to the current window, ms. */
  #leftMs = 0;
  #gameRunning = false;
  #samples: Sample[] = [];
  #startedAt = new Date(0);

  constructor(options: WindowDriverOptions) {
    this.#o = options;
    this.#wall = options.wallClock ?? (() => new Date());
  }

  /** The window being measured, or null before the first and after the last. */
  get current(): Window | null {
    return this.#window;
  }

  start(nowMs: number): DriverStep {
    return this.#advance(nowMs, null);
  }

  dueMs(): number {
    return this.#phaseEnd;
  }

  tick(nowMs: number): DriverStep {
    if (nowMs < this.#phaseEnd || this.#window === null) return { recording: this.#recording() };
    if (this.#phase === "settle") {
      this.#phase = "measure";
      this.#phaseEnd = this.#gameRunning ? nowMs + this.#leftMs : Infinity;
      return { recording: this.#recording() };
    }
    const result: WindowResult = {
      window: this.#window,
      position: this.#position,
      samples: this.#samples,
      startedAt: this.#startedAt,
      finishedAt: this.#wall(),
    };
    return this.#advance(nowMs, result);
  }

  onSample(sample: Sample): void {
    // An endless window (a tuned config running on) keeps no samples: nobody reads them and it never ends.
    if (this.#phase === "measure" && this.#window !== null && this.#window.measureS !== Infinity) {
      this.#samples.push(sample);
    }
  }

  onGame(game: GameInfo | null, nowMs: number): DriverStep | null {
    const running = game !== null;
    if (running === this.#gameRunning) return null;
    this.#gameRunning = running;
    if (this.#window === null) return null;
    if (running) {
      // The game settles before the measuring clock resumes (a settle under way lasts until it has).
      const settled = nowMs + this.#window.settleS * 1000;
      this.#phaseEnd = this.#phase === "settle" ? Math.max(this.#phaseEnd, settled) : settled;
      this.#phase = "settle";
    } else if (this.#phase === "measure") {
      this.#leftMs = Math.max(0, this.#phaseEnd - nowMs); // pause the measuring clock
      this.#phaseEnd = Infinity;
    }
    return { recording: this.#recording() };
  }

  status(): string {
    const w = this.#window;
    if (w === null) return "done";
    const where = `${this.#o.describe?.(this.#position) ?? `window ${this.#position + 1}`} ${w.label}`;
    if (this.#phase === "settle") return `${where} settling`;
    return this.#gameRunning
      ? `${where} measuring, ${this.#samples.length} samples`
      : `${where} waiting for a game`;
  }

  #recording(): boolean {
    return this.#phase === "measure" && this.#gameRunning;
  }

  #advance(nowMs: number, previous: WindowResult | null): DriverStep {
    const window = this.#o.next(previous);
    this.#window = window;
    if (window === null) {
      this.#phaseEnd = Infinity;
      return { recording: false, done: true };
    }
    this.#position++;
    this.#phase = "settle";
    this.#leftMs = window.measureS * 1000;
    this.#samples = [];
    this.#startedAt = this.#wall();
    this.#phaseEnd = nowMs + window.settleS * 1000;
    this.#o.onStart?.(this.#position, window);
    return { apply: window.config, recording: false };
  }
}
