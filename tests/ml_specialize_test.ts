import { deepStrictEqual, ok } from "node:assert/strict";
import { columnsOf } from "../lib/ml/matrix.ts";
import { createRng } from "../lib/ml/rng.ts";
import { specializeTree } from "../lib/ml/specialize.ts";
import { friedman1 } from "../tools/bench_forest/synthetic.ts";
import { addTreePredictions, growTree, leftIsNext, presortColumns } from "../lib/ml/tree.ts";

const { x, y } = friedman1(500, { rng: createRng(41) });
const columns = columnsOf(x);
const tree = growTree(
  { nRows: x.rows, nFeatures: x.cols, columns, y, order: presortColumns(columns) },
  {
    maxDepth: 1e9,
    minSamplesSplit: 2,
    minSamplesLeaf: 1,
    maxFeatures: 10,
    bootstrap: true,
    splitter: "presort",
    rng: createRng(2),
  },
);

Deno.test("a tree specialised to fixed features predicts like the original for rows carrying those values", () => {
  const fixed = Float64Array.from({ length: 10 }, (_, j) => (j >= 3 ? 0.37 + j / 100 : NaN));
  const small = specializeTree(tree, fixed);
  ok(small.nodeCount < tree.nodeCount / 4, `${small.nodeCount} of ${tree.nodeCount} nodes`);
  ok(Array.from(small.feature).every((f) => f < 3), "only free features are tested");
  ok(leftIsNext(small));
  const probe = friedman1(300, { rng: createRng(42) }).x;
  for (let i = 0; i < probe.rows; i++) for (let j = 3; j < 10; j++) probe.data[i * 10 + j] = fixed[j];
  const a = new Float64Array(probe.rows), b = new Float64Array(probe.rows);
  addTreePredictions(tree, { x: probe, out: a });
  addTreePredictions(small, { x: probe, out: b });
  deepStrictEqual(b, a);
});

Deno.test("specialising with nothing fixed copies the tree", () => {
  const copy = specializeTree(tree, new Float64Array(10).fill(NaN));
  deepStrictEqual(copy, tree);
});
