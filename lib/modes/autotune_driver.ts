/**
 * `--ml-autotune`: tuning during play. While a game runs, its {@link AutotunePlan} tries candidate configs
 * in windows interleaved with the incumbent's (the game's profile, else the base config) and keeps one only
 * when its gain beats the noise; a kept config is saved as the game's profile at once. When the game exits
 * the base config returns and tuning of that game ends (its profile keeps what was won); a game that starts
 * gets a plan of its own.
 *
 * @module
 */

import type { SchedConfig } from "../config.ts";
import { gameKey } from "../game_key.ts";
import type { GameInfo, Sample, ThreadCounts } from "../types.ts";
import type { AutotunePlan } from "./autotune_plan.ts";
import type { ConfigDriver, DriverStep } from "./session.ts";
import { WindowDriver } from "./window_driver.ts";

/** Options of {@link AutotuneDriver}. */
export interface AutotuneDriverOptions {
  /** The config outside games. */
  base: SchedConfig;
  /** A new plan for a game that starts. */
  planFor: (game: GameInfo, counts: ThreadCounts | null) => AutotunePlan;
}

/** One tuning plan per running game; see the module doc. */
export class AutotuneDriver implements ConfigDriver {
  readonly #o: AutotuneDriverOptions;
  #key: string | null = null;
  #plan: AutotunePlan | null = null;
  #windows: WindowDriver | null = null;

  constructor(options: AutotuneDriverOptions) {
    this.#o = options;
  }

  /** The plan of the game being tuned, or null. */
  get plan(): AutotunePlan | null {
    return this.#plan;
  }

  start(): DriverStep {
    return { apply: this.#o.base, recording: true };
  }

  dueMs(): number {
    return this.#windows?.dueMs() ?? Infinity;
  }

  tick(nowMs: number): DriverStep {
    return this.#windows?.tick(nowMs) ?? { recording: true };
  }

  onSample(sample: Sample): void {
    this.#windows?.onSample(sample);
  }

  onGame(game: GameInfo | null, nowMs: number, counts: ThreadCounts | null): DriverStep | null {
    if (game === null) {
      if (this.#key === null) return null;
      this.#key = null;
      this.#plan = null;
      this.#windows = null;
      return { apply: this.#o.base, recording: true };
    }
    if (gameKey(game.name) === this.#key) return this.#windows!.onGame(game, nowMs);
    this.#key = gameKey(game.name);
    const plan = this.#o.planFor(game, counts);
    this.#plan = plan;
    this.#windows = new WindowDriver({ next: (p) => plan.next(p), describe: () => plan.describe() });
    const first = this.#windows.start(nowMs);
    const running = this.#windows.onGame(game, nowMs);
    return { ...first, recording: running?.recording ?? first.recording };
  }

  status(): string {
    return this.#windows?.status() ?? "autotune: waiting for a game";
  }
}
