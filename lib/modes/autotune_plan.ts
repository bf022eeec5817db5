/**
 * The plan of tuning one game during play: the incumbent config (its profile, or the base config) runs
 * in windows interleaved with one candidate's, in counterbalanced pairs (I C, C I, ...), so a change of
 * scene does not pass for a better config; after the pairs, lib/ml/autotune.ts's rule keeps the
 * candidate only when its gain beats the noise measured between the incumbent's own windows. Then the
 * next candidate; when none is left the incumbent simply runs on. Pure: the window driver runs it.
 *
 * @module
 */

import type { SchedConfig } from "../config.ts";
import type { AutotuneDecision, Candidate } from "../ml/autotune.ts";
import type { Window, WindowResult } from "./window_driver.ts";

/** Options of {@link AutotunePlan}. */
export interface AutotunePlanOptions {
  incumbent: SchedConfig;
  /** The next candidate, given the incumbent and what was tried; null when there is none. */
  nextCandidate: (incumbent: SchedConfig, tried: readonly SchedConfig[]) => Candidate | null;
  /** Pairs of windows per candidate (at least 3). */
  pairs: number;
  windowS: number;
  settleS: number;
  /** A window's value, or null when it holds no sample (the window runs again). */
  valueOf: (result: WindowResult) => number | null;
  /** The choice rule: incumbent and candidate windows -> decision. */
  decide: (incumbent: readonly number[], candidate: readonly number[]) => AutotuneDecision;
  /**
   * A candidate was judged; `windows` are the values behind the decision, `against` the incumbent it was
   * measured against (a kept candidate replaces it, so the next one is measured against another).
   */
  onDecision: (
    candidate: Candidate,
    decision: AutotuneDecision,
    windows: { incumbent: readonly number[]; candidate: readonly number[]; samples: number },
    against: SchedConfig,
  ) => void;
}

type Side = "I" | "C";

/** Candidates against the incumbent, one after another; see the module doc. */
export class AutotunePlan {
  readonly #o: AutotunePlanOptions;
  #incumbent: SchedConfig;
  #candidate: Candidate | null = null;
  #tried: SchedConfig[] = [];
  #values: Record<Side, number[]> = { I: [], C: [] };
  #samples = 0;
  #queue: Side[] = [];
  #pair = 0;
  #running: Side | null = null;
  #exhausted = false;

  constructor(options: AutotunePlanOptions) {
    if (!Number.isInteger(options.pairs) || options.pairs < 3) {
      throw new RangeError(`autotune pairs ${options.pairs}: at least 3`);
    }
    this.#o = options;
    this.#incumbent = options.incumbent;
  }

  /** The best config so far. */
  get incumbent(): SchedConfig {
    return this.#incumbent;
  }

  /** Configs tried so far (kept or not). */
  get tried(): readonly SchedConfig[] {
    return this.#tried;
  }

  /** For the window driver: record the window that ended, return the next one. */
  next(previous: WindowResult | null): Window {
    if (previous !== null && this.#running !== null) this.#record(previous, this.#running);
    if (this.#candidate !== null && this.#pair >= this.#o.pairs && this.#queue.length === 0) this.#judge();
    if (this.#candidate === null && !this.#exhausted) this.#start();
    if (this.#candidate === null) {
      // Nothing left to try: the incumbent runs on, one endless window.
      this.#running = null;
      return { config: this.#incumbent, label: "tuned", settleS: 0, measureS: Infinity };
    }
    if (this.#queue.length === 0) {
      this.#queue = this.#pair % 2 === 0 ? ["I", "C"] : ["C", "I"];
      this.#pair++;
    }
    const side = this.#queue.shift()!;
    this.#running = side;
    return {
      config: side === "I" ? this.#incumbent : this.#candidate.config,
      label: side === "I" ? "incumbent" : `candidate ${this.#tried.length + 1}`,
      settleS: this.#o.settleS,
      measureS: this.#o.windowS,
    };
  }

  /** Where tuning is, for the stats line. */
  describe(): string {
    if (this.#candidate === null) return `autotune: done (${this.#tried.length} tried)`;
    return `autotune: candidate ${this.#tried.length + 1}, pair ${this.#pair}/${this.#o.pairs}`;
  }

  #record(result: WindowResult, side: Side): void {
    const value = this.#o.valueOf(result);
    if (value === null) {
      this.#queue.unshift(side); // run it again
      return;
    }
    this.#values[side].push(value);
    this.#samples += result.samples.length;
  }

  #start(): void {
    this.#candidate = this.#o.nextCandidate(this.#incumbent, this.#tried);
    if (this.#candidate === null) this.#exhausted = true;
    this.#values = { I: [], C: [] };
    this.#samples = 0;
    this.#pair = 0;
    this.#queue = [];
  }

  #judge(): void {
    const candidate = this.#candidate!;
    const windows = { incumbent: this.#values.I, candidate: this.#values.C, samples: this.#samples };
    const decision = this.#o.decide(windows.incumbent, windows.candidate);
    const against = this.#incumbent;
    this.#tried.push(candidate.config);
    if (decision.keep) this.#incumbent = candidate.config;
    this.#o.onDecision(candidate, decision, windows, against);
    this.#candidate = null;
  }
}
