/**
 * The config search's space: which values each tunable may take, and how candidates are drawn from it.
 *
 * Every tunable comes from the tunables table (lib/config.ts). By default ("measured") a numeric
 * tunable may take only the values some training sample was measured at: the search never recommends
 * a value no sample measured (a tree says nothing about a value between two grid points; it merely
 * repeats its neighbour's prediction, so picking it would be an unmeasured guess). With "range", any
 * whole number between the smallest and largest measured value is allowed, and the result names the
 * tunables whose chosen value was never measured. A switch the data never varied cannot be decided by
 * the model: it keeps the value every sample ran (`unvaried`), so the pick is a config that was measured
 * and the evidence check (evidence.ts) judges the config recommended; what the machine's topology
 * suggests for it (`switchesFromTopology`) is only named, as something to sweep.
 *
 * A candidate is a row of raw tunable values in table order (switches as 0/1).
 *
 * @module
 */

import { type SchedConfig, type SwitchKey, TUNABLES } from "../config.ts";
import type { Topology } from "../types.ts";
import type { Rng } from "./rng.ts";

/** Values to try first, per tunable (the sweep's grid); tunables not named stay at their default. */
export type SearchGrid = Readonly<Partial<Record<keyof SchedConfig, readonly (number | boolean)[]>>>;

/** Which values a numeric tunable may take: only measured ones, or any whole number in the measured range. */
export type CandidateValues = "measured" | "range";

/** One tunable's place in the search. */
export interface Dim {
  key: keyof SchedConfig;
  isSwitch: boolean;
  /** Allowed values, ascending; null in "range" mode for a numeric tunable (then lo..hi). */
  values: Float64Array | null;
  lo: number;
  hi: number;
  /** Its value when not varied: the default, or the allowed value nearest to it. */
  base: number;
  /** Values training measured, ascending (to name unmeasured picks). */
  measured: Float64Array;
}

/**
 * What the topology suggests for each switch, named when the data never varied one. avoid_smt when cores
 * have SMT siblings, enable_numa on more than one node, preferred_idle_scan on hybrid CPUs; mm_affinity
 * (keep a game's threads where its address space is cache-warm) everywhere except hybrid CPUs, where it
 * would pull threads back to whatever core, possibly an efficiency core, they last ran on.
 */
export function switchesFromTopology(topology: Topology): Record<SwitchKey, boolean> {
  return {
    mm_affinity: !topology.hybrid,
    avoid_smt: topology.smt,
    preferred_idle_scan: topology.hybrid,
    enable_numa: topology.numaNodes > 1,
  };
}

function nearest(values: Float64Array, target: number): number {
  let best = values[0];
  for (const v of values) if (Math.abs(v - target) < Math.abs(best - target)) best = v;
  return best;
}

/**
 * The search dimensions, one per tunable in table order, from the values training measured for each
 * (`measured[i]`, ascending, for tunable i). Also returns the switches the data never varied.
 */
export function searchDims(
  measured: readonly Float64Array[],
  options: { candidates?: CandidateValues } = {},
): { dims: Dim[]; unvaried: SwitchKey[] } {
  const { candidates = "measured" } = options;
  const unvaried: SwitchKey[] = [];
  const dims = TUNABLES.map((t, i): Dim => {
    const seen = measured[i];
    if (t.kind === "switch") {
      const def = t.default ? 1 : 0;
      if (seen.length >= 2) {
        return { key: t.key, isSwitch: true, values: seen, lo: 0, hi: 1, base: def, measured: seen };
      }
      unvaried.push(t.key);
      const v = seen.length === 1 ? seen[0] : def;
      return {
        key: t.key,
        isSwitch: true,
        values: Float64Array.of(v),
        lo: v,
        hi: v,
        base: v,
        measured: seen,
      };
    }
    const inRange = seen.filter((v) => Number.isInteger(v) && v >= t.min && v <= t.max);
    if (inRange.length === 0) {
      // Nothing usable was measured: the default is the only honest choice.
      const only = Float64Array.of(t.default);
      return {
        key: t.key,
        isSwitch: false,
        values: only,
        lo: t.default,
        hi: t.default,
        base: t.default,
        measured: seen,
      };
    }
    const lo = inRange[0], hi = inRange[inRange.length - 1];
    const values = candidates === "measured" ? inRange : null;
    const base = values ? nearest(values, t.default) : Math.min(hi, Math.max(lo, t.default));
    return { key: t.key, isSwitch: false, values, lo, hi, base, measured: seen };
  });
  return { dims, unvaried };
}

/** Whether `v` is an allowed value of `d`. */
export function allows(d: Dim, v: number): boolean {
  return d.values ? d.values.includes(v) : Number.isInteger(v) && v >= d.lo && v <= d.hi;
}

/** A uniformly drawn allowed value of `d`. */
export function pickValue(d: Dim, rng: Rng): number {
  return d.values ? d.values[rng.int(d.values.length)] : d.lo + rng.int(d.hi - d.lo + 1);
}

/**
 * Move `v` a random step within `d` (a switch flips): from half the span down to one place, each scale
 * equally likely, so both coarse and fine moves happen. In "measured" mode the step is in places of the
 * measured values, so the result is always a measured value.
 */
export function stepValue(d: Dim, v: number, rng: Rng): number {
  if (d.isSwitch) return d.values!.length > 1 ? 1 - v : v;
  const places = d.values;
  const at = places ? Math.max(0, places.indexOf(v)) : v - d.lo;
  const span = places ? places.length - 1 : d.hi - d.lo;
  if (span <= 0) return v;
  const levels = Math.max(1, Math.ceil(Math.log2(span + 1)));
  const step = Math.max(1, Math.round(span / 2 ** (1 + rng.int(levels))));
  const to = Math.min(span, Math.max(0, at + (rng.next() < 0.5 ? -step : step)));
  return places ? places[to] : d.lo + to;
}

/**
 * The grid's candidates, in order (first tunable outermost), at most `limit`: each tunable named in
 * `grid` takes its allowed values there (values the space does not allow are dropped), every other
 * tunable its base value.
 */
export function gridCandidates(
  dims: readonly Dim[],
  options: { grid: SearchGrid; limit: number },
): Float64Array {
  const { grid, limit } = options;
  const axes = dims.map((d) => {
    const given = (grid[d.key] ?? []).map((v) => (typeof v === "boolean" ? Number(v) : v));
    const kept = [...new Set(given.filter((v) => allows(d, v)))];
    return kept.length > 0 ? kept : [d.base];
  });
  const total = axes.reduce((p, a) => p * a.length, 1);
  const count = Math.max(0, Math.min(total, limit));
  const nd = dims.length;
  const out = new Float64Array(count * nd);
  for (let k = 0; k < count; k++) {
    // Mixed-radix digits of k, last tunable fastest.
    let rest = k;
    for (let i = nd - 1; i >= 0; i--) {
      out[k * nd + i] = axes[i][rest % axes[i].length];
      rest = Math.floor(rest / axes[i].length);
    }
  }
  return out;
}

/** The config a candidate row stands for. */
export function configOf(dims: readonly Dim[], raw: ArrayLike<number>): SchedConfig {
  const config: Record<string, number | boolean> = {};
  dims.forEach((d, i) => (config[d.key] = d.isSwitch ? raw[i] === 1 : raw[i]));
  return config as SchedConfig;
}

/** The candidate row of a config. */
export function rowOf(dims: readonly Dim[], config: SchedConfig): Float64Array {
  return Float64Array.from(dims, (d) => Number(config[d.key]));
}

/** The numeric tunables whose value in `raw` no training sample measured. */
export function unmeasuredKeys(dims: readonly Dim[], raw: ArrayLike<number>): (keyof SchedConfig)[] {
  return dims.filter((d, i) => !d.isSwitch && !d.measured.includes(raw[i])).map((d) => d.key);
}
