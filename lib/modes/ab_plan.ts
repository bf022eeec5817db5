/**
 * The plan of a live A/B comparison: which config each window runs, in counterbalanced pairs (A B, then
 * B A, then A B, ...) so that a slow drift of the scene favours neither side, and each window's value (the
 * mean of the objective over its samples). A window that got no sample (the game was loading, or it
 * quit) is run again. Pure: the window driver runs it, lib/ml/ab.ts compares the pairs.
 *
 * @module
 */

import type { SchedConfig } from "../config.ts";
import type { Window, WindowResult } from "./window_driver.ts";

/** Options of {@link AbPlan}. */
export interface AbPlanOptions {
  a: SchedConfig;
  b: SchedConfig;
  pairs: number;
  windowS: number;
  settleS: number;
  /** A window's value from its samples, or null when they hold none. */
  valueOf: (result: WindowResult) => number | null;
}

/** Which side a window ran. */
export type Side = "A" | "B";

/** Windows in counterbalanced pairs, and their values; see the module doc. */
export class AbPlan {
  readonly #o: AbPlanOptions;
  readonly #values: Record<Side, number[]> = { A: [], B: [] };
  /** Windows the current pair still needs, in order. */
  #queue: Side[] = [];
  #pair = 0;
  #running: Side | null = null;

  constructor(options: AbPlanOptions) {
    if (!Number.isInteger(options.pairs) || options.pairs < 1) throw new RangeError(`pairs ${options.pairs}`);
    this.#o = options;
  }

  /** The windows' values so far: `a[i]` and `b[i]` are pair i. */
  get values(): { a: readonly number[]; b: readonly number[] } {
    const n = Math.min(this.#values.A.length, this.#values.B.length);
    return { a: this.#values.A.slice(0, n), b: this.#values.B.slice(0, n) };
  }

  /** Pairs complete so far. */
  get pairsDone(): number {
    return this.values.a.length;
  }

  /** For the window driver: record the window that ended, return the next one (null when done). */
  next(previous: WindowResult | null): Window | null {
    if (previous !== null && this.#running !== null) {
      const value = this.#o.valueOf(previous);
      if (value === null) this.#queue.unshift(this.#running); // run it again
      else this.#values[this.#running].push(value);
    }
    if (this.#queue.length === 0) {
      if (this.#pair >= this.#o.pairs) return (this.#running = null);
      this.#queue = this.#pair % 2 === 0 ? ["A", "B"] : ["B", "A"];
      this.#pair++;
    }
    const side = this.#queue.shift()!;
    this.#running = side;
    return {
      config: side === "A" ? this.#o.a : this.#o.b,
      label: side,
      settleS: this.#o.settleS,
      measureS: this.#o.windowS,
    };
  }

  /** Where the comparison is, for the stats line: "A/B pair 2/6". */
  describe(): string {
    return `A/B pair ${Math.min(this.#pair, this.#o.pairs)}/${this.#o.pairs}`;
  }
}
