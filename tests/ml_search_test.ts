import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { TUNABLES, validateConfig } from "../lib/config.ts";
import { columnMedians, distinctColumnValues } from "../lib/ml/dataset.ts";
import { featureLayout } from "../lib/ml/features.ts";
import { RandomForestRegressor } from "../lib/ml/forest.ts";
import { StandardScaler } from "../lib/ml/scaler.ts";
import { searchBestConfig, SearchError, type SearchInput } from "../lib/ml/search.ts";
import { syntheticDataset } from "./fixtures/dataset.ts";

const ds = syntheticDataset({ seed: 51, games: ["g"], perGame: 200 });
const layout = featureLayout(ds.featureNames);
const x = ds.x, y = ds.y;
const scaler = new StandardScaler().fit(x);
const forest = new RandomForestRegressor({ nEstimators: 30, seed: 1 }).fitSync(scaler.transform(x), y);
const measured = distinctColumnValues(x);
const input: SearchInput = {
  layout,
  workload: columnMedians(x),
  measured,
};
const GRID = { slice_us: [5, 10, 15, 20], input_window_us: [1000, 2000, 3000], mig_max: [1, 3, 5] };

function predictConfig(config: Record<string, number | boolean>, on = forest): number {
  const row = input.workload.slice();
  for (const t of TUNABLES) row[layout.tunableColumn[t.key]] = Number(config[t.key]);
  return on.predict(scaler.transform({ rows: 1, cols: row.length, data: row }))[0];
}

Deno.test("the best config is valid and every numeric value was measured by some sample", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 20_000, grid: GRID });
  deepStrictEqual(validateConfig(best.config), []);
  for (const t of TUNABLES) {
    if (t.kind !== "number") continue;
    const v = best.config[t.key];
    ok(measured[layout.tunableColumn[t.key]].includes(v), `${t.key} ${v} was never measured`);
  }
  deepStrictEqual(best.interpolated, []);
  strictEqual(best.evaluated, 20_000);
});

Deno.test("the reported prediction is exactly the forest's prediction for the config on the game's workload", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 5_000 });
  strictEqual(best.predicted, predictConfig(best.config));
  for (const r of best.top) strictEqual(r.predicted, predictConfig(r.config));
});

Deno.test("top lists distinct configs, best first", () => {
  const { top } = searchBestConfig({ forest, scaler }, input, { budget: 5_000, keep: 5 });
  strictEqual(top.length, 5);
  for (let i = 1; i < top.length; i++) ok(top[i - 1].predicted >= top[i].predicted);
  strictEqual(new Set(top.map((r) => JSON.stringify(r.config))).size, 5);
});

Deno.test("the search finds the synthetic optimum's neighbourhood", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 20_000, grid: GRID });
  ok(Math.abs(best.config.slice_us - 7) <= 3, `slice_us ${best.config.slice_us}`);
  ok(best.config.mig_max <= 4, `mig_max ${best.config.mig_max}`);
  strictEqual(best.config.mm_affinity, true);
});

Deno.test("minimising finds the lowest prediction instead", () => {
  const hi = searchBestConfig({ forest, scaler }, input, { budget: 5_000 });
  const lo = searchBestConfig({ forest, scaler }, input, { budget: 5_000, direction: "min" });
  ok(lo.predicted < hi.predicted, `${lo.predicted} < ${hi.predicted}`);
  strictEqual(lo.predicted, predictConfig(lo.config));
  ok(lo.top.every((r) => r.predicted >= lo.predicted));
});

Deno.test("the range space may interpolate, and says which tunables it did", () => {
  // Only two slice values measured, far apart: any value between them is an interpolation.
  const sparse = measured.map((m, j) => (j === layout.tunableColumn.slice_us ? Float64Array.of(1, 16) : m));
  const best = searchBestConfig({ forest, scaler }, { ...input, measured: sparse }, {
    budget: 5_000,
    candidates: "range",
  });
  ok(best.config.slice_us > 1 && best.config.slice_us < 16, `slice_us ${best.config.slice_us}`);
  ok(best.interpolated.includes("slice_us"), String(best.interpolated));
  const strict = searchBestConfig({ forest, scaler }, { ...input, measured: sparse }, { budget: 5_000 });
  ok([1, 16].includes(strict.config.slice_us));
});

Deno.test("switches the data never varied stay as the samples ran them: the pick is a measured config", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 2_000 });
  deepStrictEqual(best.unvaried.sort(), ["avoid_smt", "enable_numa", "preferred_idle_scan"]);
  for (const key of best.unvaried) {
    deepStrictEqual(Number(best.config[key]), measured[layout.tunableColumn[key]][0], key);
  }
});

Deno.test("the same seed gives the same search result", () => {
  const a = searchBestConfig({ forest, scaler }, input, { budget: 10_000, seed: 3 });
  const b = searchBestConfig({ forest, scaler }, input, { budget: 10_000, seed: 3 });
  deepStrictEqual([a.config, a.predicted], [b.config, b.predicted]);
});

Deno.test("a budget smaller than the grid scores only grid configs, first grid values first", () => {
  const best = searchBestConfig({ forest, scaler }, input, { budget: 1, grid: GRID });
  strictEqual(best.evaluated, 1);
  strictEqual(best.config.slice_us, 5);
  strictEqual(best.config.input_window_us, 1000);
  strictEqual(best.config.mig_max, 1);
});

Deno.test("a forest that predicts NaN everywhere is one clear error, not a crash", () => {
  // What an overflowed fit gave before values were checked: NaN in every leaf.
  const nanForest = {
    trees: forest.trees.map((t) => ({ ...t, value: t.value.map(() => NaN) })),
  } as unknown as RandomForestRegressor;
  throws(
    () => searchBestConfig({ forest: nanForest, scaler }, input, { budget: 100 }),
    (e: Error) =>
      e instanceof SearchError &&
      /^the forest predicts no finite value for any of \d+ configs: the model is unusable$/.test(e.message),
  );
});
