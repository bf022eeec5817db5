import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { ForestError, RandomForestRegressor } from "../lib/ml/forest.ts";
import { selectRows, selectValues } from "../lib/ml/matrix.ts";
import { r2Score } from "../lib/ml/metrics.ts";
import { createRng } from "../lib/ml/rng.ts";
import { friedman1 } from "../tools/bench_forest/synthetic.ts";

const { x, y } = friedman1(600, { rng: createRng(11) });
const train = Int32Array.from({ length: 500 }, (_, i) => i);
const test = Int32Array.from({ length: 100 }, (_, i) => 500 + i);
const xTrain = selectRows(x, train), yTrain = selectValues(y, train), xTest = selectRows(x, test);

Deno.test("the same seed grows the same forest and another seed a different one", () => {
  const a = new RandomForestRegressor({ nEstimators: 10, seed: 1 }).fitSync(xTrain, yTrain).predict(xTest);
  const b = new RandomForestRegressor({ nEstimators: 10, seed: 1 }).fitSync(xTrain, yTrain).predict(xTest);
  const c = new RandomForestRegressor({ nEstimators: 10, seed: 2 }).fitSync(xTrain, yTrain).predict(xTest);
  deepStrictEqual(a, b);
  notDeepStrictEqual(a, c);
});

Deno.test("fitting on workers grows exactly the trees fitSync grows", async () => {
  const here = new RandomForestRegressor({ nEstimators: 12, seed: 3 }).fitSync(xTrain, yTrain);
  const pool = await new RandomForestRegressor({ nEstimators: 12, seed: 3, workers: 2 }).fit(xTrain, yTrain);
  strictEqual(pool.lastGrowReport!.workersUsed, 2);
  deepStrictEqual(pool.trees, here.trees);
  deepStrictEqual(pool.predict(xTest), here.predict(xTest));
});

Deno.test("a forest saved to JSON text loads back to identical predictions", () => {
  const forest = new RandomForestRegressor({ nEstimators: 8, seed: 4, maxFeatures: 0.5 }).fitSync(
    xTrain,
    yTrain,
  );
  const loaded = RandomForestRegressor.fromJSON(JSON.parse(JSON.stringify(forest.toJSON())));
  deepStrictEqual(loaded.predict(xTest), forest.predict(xTest));
  deepStrictEqual(loaded.predict(xTrain), forest.predict(xTrain));
  deepStrictEqual(loaded.featureImportances(), forest.featureImportances());
  deepStrictEqual(loaded.params, forest.params);
});

Deno.test("impurity importances sum to 1 and rank the informative Friedman features above the noise", () => {
  const imp = new RandomForestRegressor({ nEstimators: 20, seed: 5 }).fitSync(xTrain, yTrain)
    .featureImportances();
  ok(Math.abs(imp.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  const noiseMax = Math.max(...imp.slice(5));
  ok([0, 1, 3].every((j) => imp[j] > noiseMax), `importances ${Array.from(imp)}`);
});

Deno.test("a forest of 50 trees explains most of the Friedman #1 variance on held-out rows", () => {
  const pred = new RandomForestRegressor({ nEstimators: 50, seed: 6 }).fitSync(xTrain, yTrain).predict(xTest);
  const r2 = r2Score(selectValues(y, test), pred);
  ok(r2 > 0.7, `R² ${r2}`);
});

Deno.test("predict averages the trees: a forest of one unbootstrapped full tree reproduces the training targets", () => {
  const forest = new RandomForestRegressor({ nEstimators: 1, bootstrap: false }).fitSync(xTrain, yTrain);
  deepStrictEqual(forest.predict(xTrain), yTrain);
});

Deno.test("bad hyperparameters are rejected with one line naming the parameter", () => {
  throws(
    () => new RandomForestRegressor({ maxFeatures: 1.5 }),
    (e: Error) => e instanceof ForestError && /maxFeatures 1.5/.test(e.message),
  );
  throws(() => new RandomForestRegressor({ nEstimators: 0 }), /nEstimators 0/);
  throws(() => new RandomForestRegressor({ minSamplesLeaf: 0 }), /minSamplesLeaf 0/);
});

Deno.test("predict before fit and a feature-count mismatch are errors", () => {
  throws(() => new RandomForestRegressor().predict(xTest), /before fit/);
  const forest = new RandomForestRegressor({ nEstimators: 2 }).fitSync(xTrain, yTrain);
  throws(
    () => forest.predict({ rows: 1, cols: 3, data: new Float64Array(3) }),
    /fitted on 10 features: got 3/,
  );
});

Deno.test("a hostile forest JSON is refused node by node: a cycle can never make predict loop", () => {
  const base = new RandomForestRegressor({ nEstimators: 1, seed: 7 }).fitSync(xTrain, yTrain).toJSON();
  const tree = {
    feature: [0, -1, -1],
    threshold: [0.5, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    value: [0, 1, 2],
  };
  const load = (t: object, extra: object = {}) =>
    RandomForestRegressor.fromJSON({ ...base, trees: [t as never], ...extra });
  strictEqual(load(tree).predict(xTest).length, 100);
  const refused: [object, RegExp][] = [
    [{ ...tree, right: [0, -1, -1] }, /tree 0, node 0: children 1, 0: expected ids in 1\.\.2/],
    [{ ...tree, left: [0, -1, -1] }, /node 0: children 0, 2/],
    [{ ...tree, feature: [10, -1, -1] }, /node 0: feature 10: expected 0\.\.9/],
    [{ ...tree, threshold: [NaN, 0, 0] }, /node 0: threshold NaN/],
    [{ ...tree, value: [0, Infinity, 2] }, /node 1: value Infinity/],
    [{ ...tree, right: [2, 5, -1] }, /node 1: children -1, 5/],
  ];
  for (const [t, pattern] of refused) {
    throws(() => load(t), (e: Error) => e instanceof ForestError && pattern.test(e.message));
  }
  throws(() => load(tree, { featureImportances: [1] }), /featureImportances: expected 10 finite numbers/);
  throws(() => load(tree, { nFeatures: 0 }), /nFeatures 0/);
  throws(() => load(tree, { params: null }), /params: missing/);
});
