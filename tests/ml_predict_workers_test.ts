import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { RandomForestRegressor } from "../lib/ml/forest.ts";
import { packTree } from "../lib/ml/packed_tree.ts";
import { PARALLEL_MIN_ROWS, predictWorkerSource, sumPackedParallel } from "../lib/ml/predict_workers.ts";
import { createRng } from "../lib/ml/rng.ts";
import { friedman1 } from "../tools/bench_forest/synthetic.ts";

const { x, y } = friedman1(400, { rng: createRng(81) });
const forest = new RandomForestRegressor({ nEstimators: 10, seed: 1 }).fitSync(x, y);
const big = friedman1(PARALLEL_MIN_ROWS * 2, { rng: createRng(82) }).x;

Deno.test("predictParallel on workers gives exactly what predict gives", async () => {
  const parallel = await forest.predictParallel(big, { workers: 2 });
  strictEqual(forest.lastPredictWorkers, 2);
  deepStrictEqual(parallel, forest.predict(big));
});

Deno.test("a small batch is predicted in this thread", async () => {
  const small = friedman1(100, { rng: createRng(83) }).x;
  deepStrictEqual(await forest.predictParallel(small, { workers: 2 }), forest.predict(small));
  strictEqual(forest.lastPredictWorkers, 0);
});

Deno.test("when no worker can be created the sums are computed in this thread", async () => {
  const real = globalThis.Worker;
  // deno-lint-ignore no-explicit-any
  (globalThis as any).Worker = class {
    constructor() {
      throw new Error("no workers here");
    }
  };
  try {
    const trees = forest.trees.map(packTree);
    const { sums, workersUsed } = await sumPackedParallel(trees, { x: big, workers: 2 });
    strictEqual(workersUsed, 0);
    const expected = forest.predict(big).map((v) => v * trees.length);
    ok(sums.every((v, i) => Math.abs(v - expected[i]) < 1e-9));
  } finally {
    globalThis.Worker = real;
  }
});

Deno.test("the prediction worker program is self-contained text", () => {
  const src = predictWorkerSource();
  ok(src.startsWith("const addPackedPredictions = "));
  ok(!src.includes("import "));
});
