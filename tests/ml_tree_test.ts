import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { createRng } from "../lib/ml/rng.ts";
import {
  addTreePredictions,
  type FlatTree,
  growTree,
  presortColumns,
  type TreeData,
  treeImpurityDecrease,
  type TreeParams,
} from "../lib/ml/tree.ts";

const FULL: TreeParams = {
  maxDepth: 1e9,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 99,
  bootstrap: false,
  splitter: "presort",
};

function data(columns: number[][], y: number[]): TreeData {
  const cols = columns.map((c) => Float64Array.from(c));
  return {
    nRows: y.length,
    nFeatures: cols.length,
    columns: cols,
    y: Float64Array.from(y),
    order: presortColumns(cols),
  };
}

function predict(tree: FlatTree, rows: number[][]): number[] {
  const cols = rows[0].length;
  const out = new Float64Array(rows.length);
  addTreePredictions(tree, { x: { rows: rows.length, cols, data: Float64Array.from(rows.flat()) }, out });
  return Array.from(out);
}

Deno.test("a depth-1 tree makes the split that a hand computation says is best", () => {
  // Candidate thresholds 1.5, 2.5, 3.5, 4.5 leave squared errors 65, 38.5, 2.5, 50: 3.5 wins.
  const tree = growTree(data([[1, 2, 3, 4, 5]], [1, 2, 3, 10, 11]), {
    ...FULL,
    maxDepth: 1,
    rng: createRng(0),
  });
  strictEqual(tree.nodeCount, 3);
  strictEqual(tree.feature[0], 0);
  strictEqual(tree.threshold[0], 3.5);
  deepStrictEqual([tree.value[0], tree.value[1], tree.value[2]], [5.4, 2, 10.5]);
  deepStrictEqual([tree.left[0], tree.right[0], tree.left[1], tree.left[2]], [1, 2, -1, -1]);
  ok(Math.abs(tree.impurity[0] - 17.84) < 1e-12);
});

Deno.test("a step function is learned exactly with thresholds at the midpoints", () => {
  const x = Array.from({ length: 100 }, (_, i) => i);
  const step = (v: number) => (v < 30 ? 1 : v < 70 ? 5 : 2);
  const tree = growTree(data([x], x.map(step)), { ...FULL, rng: createRng(0) });
  strictEqual(tree.nodeCount, 5);
  deepStrictEqual(Array.from(tree.threshold).filter((_, i) => tree.left[i] !== -1).sort(), [29.5, 69.5]);
  deepStrictEqual(predict(tree, x.map((v) => [v])), x.map(step));
  deepStrictEqual(predict(tree, [[29.4], [29.6], [69.4], [69.6], [-5], [500]]), [1, 5, 5, 2, 1, 2]);
});

Deno.test("a constant target gives a single leaf holding that constant", () => {
  const rng = createRng(1);
  const cols = [0, 1, 2].map(() => Array.from({ length: 50 }, () => rng.next()));
  const tree = growTree(data(cols, new Array(50).fill(0.3)), { ...FULL, rng: createRng(0) });
  strictEqual(tree.nodeCount, 1);
  strictEqual(tree.left[0], -1);
  strictEqual(tree.value[0], 0.3);
});

Deno.test("maxDepth bounds the depth of every leaf", () => {
  const rng = createRng(2);
  const x = Array.from({ length: 200 }, () => rng.next());
  const tree = growTree(data([x], x.map((v) => Math.sin(10 * v))), {
    ...FULL,
    maxDepth: 3,
    rng: createRng(0),
  });
  const depth = new Int32Array(tree.nodeCount);
  let deepest = 0;
  for (let i = 0; i < tree.nodeCount; i++) {
    if (tree.left[i] === -1) continue;
    depth[tree.left[i]] = depth[tree.right[i]] = depth[i] + 1;
    deepest = Math.max(deepest, depth[i] + 1);
  }
  strictEqual(deepest, 3);
});

Deno.test("no leaf holds fewer than minSamplesLeaf rows", () => {
  const rng = createRng(3);
  const x = Array.from({ length: 300 }, () => rng.next());
  const tree = growTree(
    data([x], x.map((v) => v * v + rng.next())),
    { ...FULL, minSamplesLeaf: 7, rng: createRng(0) },
  );
  const counts = new Map<number, number>();
  for (const v of x) {
    let node = 0;
    while (tree.left[node] !== -1) node = v <= tree.threshold[node] ? tree.left[node] : tree.right[node];
    counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  ok(Math.min(...counts.values()) >= 7);
});

Deno.test("a node with fewer than minSamplesSplit rows is not split", () => {
  const x = [1, 2, 3, 4, 5, 6];
  const tree = growTree(data([x], [1, 2, 3, 4, 5, 6]), { ...FULL, minSamplesSplit: 7, rng: createRng(0) });
  strictEqual(tree.nodeCount, 1);
});

Deno.test("the presort and per-node sort splitters grow the same tree", () => {
  const rng = createRng(4);
  const cols = [0, 1, 2, 3].map(() => Array.from({ length: 400 }, () => rng.next()));
  const y = cols[0].map((v, i) => 3 * v + cols[1][i] ** 2 + 0.1 * rng.next());
  const d = data(cols, y);
  const params: TreeParams = { ...FULL, bootstrap: true, maxFeatures: 2 };
  const a = growTree(d, { ...params, rng: createRng(9) });
  const b = growTree({ ...d, order: null }, { ...params, splitter: "sort", rng: createRng(9) });
  deepStrictEqual([a.feature, a.threshold, a.left, a.right], [b.feature, b.threshold, b.left, b.right]);
  // Only the order of summation differs (sorted by another feature), so values agree to rounding.
  ok(a.value.every((v, i) => Math.abs(v - b.value[i]) < 1e-12));
});

Deno.test("bootstrap weights: the root value is the mean over the drawn rows, counted with repeats", () => {
  const y = Array.from({ length: 30 }, (_, i) => i);
  const tree = growTree(data([y], y), { ...FULL, bootstrap: true, maxDepth: 0, rng: createRng(5) });
  const draws = createRng(5);
  let sum = 0;
  for (let i = 0; i < 30; i++) sum += y[Math.floor(draws.next() * 30)];
  strictEqual(tree.value[0], sum / 30);
  strictEqual(tree.weightedSamples[0], 30);
});

Deno.test("impurity decrease is credited only to the features split on", () => {
  const rng = createRng(6);
  const informative = Array.from({ length: 200 }, () => rng.next());
  const constant = new Array(200).fill(1);
  const tree = growTree(
    data([constant, informative], informative.map((v) => (v > 0.5 ? 1 : 0))),
    { ...FULL, rng: createRng(0) },
  );
  const dec = treeImpurityDecrease(tree, 2);
  strictEqual(dec[0], 0);
  ok(Math.abs(dec[1] - 200 * 0.25) < 2);
});
