import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { TUNABLES, validateConfig } from "../lib/config.ts";
import { columnMedians, featureLayout } from "../lib/ml/features.ts";
import { RandomForestRegressor } from "../lib/ml/forest.ts";
import { createRng } from "../lib/ml/rng.ts";
import { StandardScaler } from "../lib/ml/scaler.ts";
import { searchBestConfig, type SearchInput, SWEEP_GRID, switchesFromTopology } from "../lib/ml/search.ts";
import { syntheticTrainingRows } from "../tools/bench_forest/synthetic.ts";

const { header, rows } = syntheticTrainingRows({ rng: createRng(51), games: ["g"], perGame: 200 });
const layout = featureLayout(header);
const x = {
  rows: rows.length,
  cols: layout.names.length,
  data: Float64Array.from(rows.flatMap((r) => layout.names.map((n) => Number(r[header.indexOf(n)])))),
};
const y = Float64Array.from(rows, (r) => Number(r[header.indexOf("score")]));
const scaler = new StandardScaler().fit(x);
const forest = new RandomForestRegressor({ nEstimators: 30, seed: 1 }).fitSync(scaler.transform(x), y);
const min = new Float64Array(x.cols).fill(Infinity), max = new Float64Array(x.cols).fill(-Infinity);
for (let k = 0; k < x.data.length; k++) {
  min[k % x.cols] = Math.min(min[k % x.cols], x.data[k]);
  max[k % x.cols] = Math.max(max[k % x.cols], x.data[k]);
}
const input: SearchInput = {
  layout,
  workload: columnMedians(x),
  observedMin: min,
  observedMax: max,
  topology: { smt: true, numaNodes: 2, hybrid: false },
};

Deno.test("the best config is valid and every numeric tunable lies in the range the data covers", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 20_000 });
  deepStrictEqual(validateConfig(best.config), []);
  for (const t of TUNABLES) {
    if (t.kind !== "number") continue;
    const j = layout.tunableColumn[t.key];
    const v = best.config[t.key];
    ok(Number.isInteger(v) && v >= min[j] && v <= max[j], `${t.key} ${v} outside ${min[j]}..${max[j]}`);
  }
  strictEqual(best.evaluated, 20_000);
});

Deno.test("the reported score is exactly the forest's prediction for the config on the game's workload", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 5_000 });
  const row = input.workload.slice();
  for (const t of TUNABLES) {
    const v = best.config[t.key];
    row[layout.tunableColumn[t.key]] = typeof v === "boolean" ? Number(v) : v;
  }
  const predicted = forest.predict(scaler.transform({ rows: 1, cols: row.length, data: row }))[0];
  strictEqual(best.score, predicted);
});

Deno.test("the search finds the synthetic optimum's neighbourhood", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 20_000 });
  ok(Math.abs(best.config.slice_us - 7) <= 3, `slice_us ${best.config.slice_us}`);
  ok(best.config.mig_max <= 4, `mig_max ${best.config.mig_max}`);
  strictEqual(best.config.mm_affinity, true);
});

Deno.test("switches the data never varied are set from the topology", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 2_000 });
  deepStrictEqual(best.fromTopology.sort(), ["avoid_smt", "enable_numa", "preferred_idle_scan"]);
  strictEqual(best.config.avoid_smt, true);
  strictEqual(best.config.enable_numa, true);
  strictEqual(best.config.preferred_idle_scan, false);
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

Deno.test("the same seed gives the same search result", () => {
  const a = searchBestConfig({ forest, scaler }, input, { budget: 10_000, seed: 3 });
  const b = searchBestConfig({ forest, scaler }, input, { budget: 10_000, seed: 3 });
  deepStrictEqual([a.config, a.score], [b.config, b.score]);
});

Deno.test("a budget smaller than the grid scores only grid configs, sweep values first", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 1 });
  strictEqual(best.evaluated, 1);
  strictEqual(best.config.slice_us, SWEEP_GRID.slice_us[0]);
  strictEqual(best.config.input_window_us, SWEEP_GRID.input_window_us[0]);
  strictEqual(best.config.mig_max, SWEEP_GRID.mig_max[0]);
});
