import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { validateConfig } from "../lib/config.ts";
import { DatasetError, distinctColumnValues, selectScope } from "../lib/ml/dataset.ts";
import { WORKLOAD_FEATURES } from "../lib/ml/features.ts";
import { trainModel } from "../lib/ml/train.ts";
import { findObjective } from "../lib/score.ts";
import { syntheticDataset } from "./fixtures/dataset.ts";

const ds = syntheticDataset({ seed: 71, games: ["Alpha Game", "beta"], perGame: 60 });
const fast = { forest: { nEstimators: 12 }, searchBudget: 5_000 };
const GRID = { slice_us: [5, 10, 15], mig_max: [1, 3, 5] };
const result = await trainModel(ds, { ...fast, seed: 5, grid: GRID, analyze: true });

Deno.test("training reports hold-out and 5-fold CV scores of a model that learned something", () => {
  strictEqual(result.holdout.testRows, 24);
  strictEqual(result.holdout.trainRows, 96);
  strictEqual(result.cv.folds.length, 5);
  ok(result.cv.r2 > 0.5, `CV R² ${result.cv.r2}`);
  ok(Number.isFinite(result.holdout.mae) && result.holdout.mae > 0);
});

Deno.test("the best config is valid and made of measured values only", () => {
  deepStrictEqual(validateConfig(result.best.config), []);
  const measured = distinctColumnValues(ds.x);
  for (const [key, j] of Object.entries(result.layout.tunableColumn)) {
    ok(measured[j].includes(Number(result.best.config[key as keyof typeof result.best.config])), key);
  }
  deepStrictEqual(result.best.interpolated, []);
});

Deno.test("the workload medians are recorded by feature name, for the profile", () => {
  deepStrictEqual(Object.keys(result.workload), WORKLOAD_FEATURES.filter((f) => ds.featureNames.includes(f)));
  strictEqual(result.workload.game_count, 25); // 20 and 30 threads: the median of 60 of each
});

Deno.test("analyze measures impurity and permutation importance per feature", () => {
  strictEqual(result.importance!.impurity.length, ds.featureNames.length);
  strictEqual(result.importance!.permutation.mean.length, ds.featureNames.length);
  ok(Math.abs(result.importance!.impurity.reduce((a, b) => a + b, 0) - 1) < 1e-9);
});

Deno.test("the same seed trains to the same best config", async () => {
  const again = await trainModel(ds, { ...fast, seed: 5, grid: GRID, analyze: true });
  deepStrictEqual([again.best.config, again.best.predicted, again.cv], [
    result.best.config,
    result.best.predicted,
    result.cv,
  ]);
});

Deno.test("minimising the negated target picks exactly the config maximising the target", async () => {
  const negated = { ...ds, y: ds.y.map((v) => -v), target: findObjective("frametime_p99")! };
  const min = await trainModel(negated, { ...fast, seed: 5, grid: GRID });
  deepStrictEqual(min.best.config, result.best.config);
  strictEqual(min.best.predicted, -result.best.predicted);
  strictEqual(min.target.direction, "min");
});

Deno.test("a scope trains on its rows only", async () => {
  const scope = selectScope(ds, { game: "alpha game" });
  const r = await trainModel(ds, { ...fast, scope, searchBudget: 500 });
  strictEqual(r.scope.rows.length, 60);
  strictEqual(r.holdout.testRows, 12);
});

Deno.test("a target of 1e308 is refused with one line before any forest is fitted", async () => {
  const y = ds.y.slice();
  y[3] = 1e308;
  await rejects(
    trainModel({ ...ds, y }, fast),
    (e: Error) =>
      e instanceof DatasetError && e.message === "synthetic.csv: row 4, column score: 1e+308 is too " +
          "large to train on: expected a magnitude below 1e+100 (squares of larger values overflow)",
  );
});
