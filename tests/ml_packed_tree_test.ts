import { deepStrictEqual, throws } from "node:assert/strict";
import { columnsOf } from "../lib/ml/matrix.ts";
import { addPackedPredictions, PackError, packTree } from "../lib/ml/packed_tree.ts";
import { createRng } from "../lib/ml/rng.ts";
import { friedman1 } from "../tools/bench_forest/synthetic.ts";
import { addTreePredictions, growTree, presortColumns } from "../lib/ml/tree.ts";

const { x, y } = friedman1(400, { rng: createRng(31) });
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
    rng: createRng(1),
  },
);

Deno.test("the packed tree predicts exactly what the flat tree predicts", () => {
  const probe = friedman1(300, { rng: createRng(32) }).x;
  const flat = new Float64Array(probe.rows), packed = new Float64Array(probe.rows);
  addTreePredictions(tree, { x: probe, out: flat });
  addPackedPredictions(packTree(tree), { x: probe, out: packed });
  deepStrictEqual(packed, flat);
});

Deno.test("a tree not numbered depth-first cannot be packed", () => {
  // Root's children in reverse order: left = 2, right = 1.
  const odd = {
    nodeCount: 3,
    feature: Int32Array.of(0, -1, -1),
    threshold: Float64Array.of(0.5, 0, 0),
    left: Int32Array.of(2, -1, -1),
    right: Int32Array.of(1, -1, -1),
    value: Float64Array.of(0, 1, 2),
    impurity: new Float64Array(3),
    weightedSamples: new Float64Array(3),
  };
  throws(() => packTree(odd), (e: Error) => e instanceof PackError && /node 0/.test(e.message));
});
