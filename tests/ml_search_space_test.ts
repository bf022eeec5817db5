import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { createRng } from "../lib/ml/rng.ts";
import {
  allows,
  configOf,
  gridCandidates,
  pickValue,
  rowOf,
  searchDims,
  stepValue,
  switchesFromTopology,
  unmeasuredKeys,
} from "../lib/ml/search_space.ts";

const at = (key: string) => TUNABLES.findIndex((t) => t.key === key);
/** What a sweep measures: slice 5/10/20, mig_max 1/3, mm_affinity both ways, the rest at the default. */
function measured(): Float64Array[] {
  return TUNABLES.map((t) => {
    if (t.key === "slice_us") return Float64Array.of(5, 10, 20);
    if (t.key === "mig_max") return Float64Array.of(1, 3);
    if (t.key === "mm_affinity") return Float64Array.of(0, 1);
    return Float64Array.of(Number(t.default));
  });
}

Deno.test("measured space: a numeric tunable takes only the values samples were measured at", () => {
  const { dims } = searchDims(measured());
  const slice = dims[at("slice_us")];
  deepStrictEqual(Array.from(slice.values!), [5, 10, 20]);
  ok(allows(slice, 10) && !allows(slice, 15));
  const rng = createRng(3);
  for (let k = 0; k < 200; k++) {
    ok([5, 10, 20].includes(pickValue(slice, rng)));
    ok([5, 10, 20].includes(stepValue(slice, 10, rng)));
  }
});

Deno.test("range space: any whole number between the smallest and largest measured value", () => {
  const { dims } = searchDims(measured(), { candidates: "range" });
  const slice = dims[at("slice_us")];
  strictEqual(slice.values, null);
  deepStrictEqual([slice.lo, slice.hi], [5, 20]);
  ok(allows(slice, 15) && !allows(slice, 21) && !allows(slice, 7.5));
  const raw = rowOf(dims, { ...defaultConfig(), slice_us: 15, mig_max: 2 });
  deepStrictEqual(unmeasuredKeys(dims, raw), ["slice_us", "mig_max"]);
});

Deno.test("a switch the data never varied keeps the value the samples ran, and is named", () => {
  const m = measured();
  m[at("avoid_smt")] = Float64Array.of(1); // every sample ran with avoid_smt on (not the default)
  const { dims, unvaried } = searchDims(m);
  deepStrictEqual(unvaried, ["avoid_smt", "preferred_idle_scan", "enable_numa"]);
  deepStrictEqual(Array.from(dims[at("avoid_smt")].values!), [1]);
  deepStrictEqual(Array.from(dims[at("enable_numa")].values!), [0]);
  deepStrictEqual(Array.from(dims[at("mm_affinity")].values!), [0, 1]);
});

Deno.test("a tunable measured at one value stays there; its base is the measured value nearest the default", () => {
  const m = measured();
  m[at("slice_lag_us")] = Float64Array.of(15000);
  m[at("slice_us")] = Float64Array.of(4, 900, 3000);
  const { dims } = searchDims(m);
  strictEqual(dims[at("slice_lag_us")].base, 15000);
  strictEqual(dims[at("slice_us")].base, 900); // default 1000: 900 is nearer than 3000
  strictEqual(stepValue(dims[at("slice_lag_us")], 15000, createRng(0)), 15000);
});

Deno.test("the grid keeps only allowed values, first tunable outermost, others at their base", () => {
  const { dims } = searchDims(measured());
  const rows = gridCandidates(dims, { grid: { slice_us: [5, 15, 20], mig_max: [1, 3, 5] }, limit: 100 });
  const configs = [];
  for (let k = 0; k < rows.length / dims.length; k++) {
    configs.push(configOf(dims, rows.subarray(k * dims.length, (k + 1) * dims.length)));
  }
  deepStrictEqual(configs.map((c) => [c.slice_us, c.mig_max]), [[5, 1], [5, 3], [20, 1], [20, 3]]);
  ok(configs.every((c) => c.input_window_us === 2000 && c.mm_affinity === false));
  strictEqual(gridCandidates(dims, { grid: { slice_us: [5, 10, 20] }, limit: 2 }).length, 2 * dims.length);
});

Deno.test("topology rules: SMT -> avoid_smt, several nodes -> enable_numa, hybrid -> idle scan, not mm hint", () => {
  deepStrictEqual(switchesFromTopology({ smt: false, numaNodes: 1, hybrid: true }), {
    mm_affinity: false,
    avoid_smt: false,
    preferred_idle_scan: true,
    enable_numa: false,
  });
  deepStrictEqual(switchesFromTopology({ smt: true, numaNodes: 1, hybrid: false }), {
    mm_affinity: true,
    avoid_smt: true,
    preferred_idle_scan: false,
    enable_numa: false,
  });
});
