/**
 * CART regression trees on the variance (MSE) criterion, with scikit-learn's semantics and layout.
 *
 * A tree is flat parallel typed arrays indexed by node id (node 0 is the root): `feature` and
 * `threshold` of the test `x[feature] <= threshold` (go left), `left`/`right` child ids (-1 at a leaf),
 * and `value`, the weighted mean target of the node's training rows.
 *
 * How a node is split (as scikit-learn's BestSplitter): candidate features are visited in a random
 * order; a feature whose values are all within 1e-7 is constant here and does not count; after
 * `maxFeatures` non-constant features the search stops, unless none of them gave a valid split yet.
 * Every boundary between consecutive distinct values is tried, the threshold is their midpoint, and
 * the split maximising `S_l²/W_l + S_r²/W_r` (weighted sums of y and weights: equivalent to the largest
 * drop in weighted variance) wins, first found on ties. A node becomes a leaf at `maxDepth`, below
 * `minSamplesSplit` rows, below `2 * minSamplesLeaf` rows, or when its variance is zero; no child may
 * have fewer than `minSamplesLeaf` distinct rows. A bootstrap sample is represented, as in
 * scikit-learn, by integer row weights (how often each row was drawn).
 *
 * Two ways to find the best split, same result:
 * - "presort": every feature's row order is sorted once per forest; each tree keeps one sorted
 *   segment per feature per node and splits it stably, so no node ever sorts (O(F·n) per level).
 * - "sort": the node's rows are sorted by each candidate feature at every node, as scikit-learn does.
 *   Kept to measure what presorting buys (`deno task bench:forest`).
 *
 * Growing is split into small top-level functions (newGrower, makeLeaf, findSplit, scanFeature,
 * partitionRows, ...) that use no module binding but each other: the forest sends their source text
 * (GROW_FUNCTIONS, in order) to Web Workers built from a Blob URL, which works in `deno run`, in a
 * one-file `deno bundle` and inside `deno compile`, where no worker module file exists. A function
 * added to growing must be added to GROW_FUNCTIONS (tests/ml_tree_workers_test.ts checks that a worker
 * grows exactly what this thread grows).
 *
 * @module
 */

import type { Matrix } from "./matrix.ts";
import type { Rng } from "./rng.ts";

/** Hyperparameters of one tree (resolved: `maxFeatures` is a count). */
export interface TreeParams {
  /** Deepest level a node may be at; the root is depth 0. Use a large number for unlimited. */
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Non-constant features to examine per node, 1..nFeatures. */
  maxFeatures: number;
  /** Draw a bootstrap sample (n rows with replacement) instead of using every row once. */
  bootstrap: boolean;
  splitter: "presort" | "sort";
}

/** The training data of a tree, column by column. */
export interface TreeData {
  nRows: number;
  nFeatures: number;
  /** One Float64Array of nRows values per feature. */
  columns: Float64Array[];
  y: Float64Array;
  /**
   * Per feature, row indices in ascending order of value, for the "presort" splitter. When null,
   * growTree computes it on first use and stores it here for the trees after.
   */
  order: Int32Array[] | null;
}

/** A fitted tree as flat parallel arrays (scikit-learn's layout). */
export interface FlatTree {
  nodeCount: number;
  /** Feature tested at each node; -1 at a leaf. */
  feature: Int32Array;
  /** Go left when `x[feature] <= threshold`; 0 at a leaf. */
  threshold: Float64Array;
  /** Child ids; -1 at a leaf. */
  left: Int32Array;
  right: Int32Array;
  /** Weighted mean target of the node's training rows (the prediction at a leaf). */
  value: Float64Array;
  /** Weighted variance of the node's training targets (for impurity importance). */
  impurity: Float64Array;
  /** Sum of the node's row weights (bootstrap counts). */
  weightedSamples: Float64Array;
}

/** Per feature, row indices sorted by that feature's value (ties keep row order). */
export function presortColumns(columns: readonly Float64Array[]): Int32Array[] {
  return columns.map((col) => {
    const idx = new Int32Array(col.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    return idx.sort((a, b) => col[a] - col[b] || a - b);
  });
}

/** A tree being grown: the data, the row weights, the sorted row segments and the output arrays. */
export interface Grower {
  nf: number;
  /** Rows drawn at least once (the rows every node partitions). */
  m: number;
  cols: Float64Array[];
  y: Float64Array;
  /** Row weights (bootstrap draw counts) and weight * y. */
  w: Float64Array;
  wy: Float64Array;
  presort: boolean;
  minLeaf: number;
  minSplit: number;
  maxDepth: number;
  maxFeatures: number;
  rng: Rng;
  /** presort: nf segments of m rows (feature f at f*m), each sorted by f within every node's range;
   * sort: one segment of the node's rows in any order. XS holds the matching feature values. */
  S: Int32Array;
  XS: Float64Array;
  tmpS: Int32Array;
  tmpX: Float64Array;
  goLeft: Uint8Array;
  /** Feature ids, shuffled in place as features are drawn at a node. */
  features: Int32Array;
  /** The output: parallel node arrays of capacity 2m-1, nodeCount used. */
  nodes: FlatTree;
  /** The best split found by findSplit: feature, position in the segment, threshold, left weight and sum. */
  split: { f: number; pos: number; thr: number; wl: number; sl: number };
}

/**
 * Sort parallel arrays (values, rows) in [lo, hi): 3-way quicksort (bootstrap duplicates and discrete
 * features give many equal keys) with insertion sort on small ranges.
 */
export function sortPairs(X: Float64Array, R: Int32Array, lo: number, hi: number): void {
  while (hi - lo > 16) {
    const a = X[lo], b = X[(lo + hi) >>> 1], c = X[hi - 1];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let lt = lo, i = lo, gt = hi - 1;
    while (i <= gt) {
      const v = X[i];
      if (v < pivot) {
        const tx = X[lt], tr = R[lt];
        X[lt] = v;
        R[lt] = R[i];
        X[i] = tx;
        R[i] = tr;
        lt++;
        i++;
      } else if (v > pivot) {
        const tx = X[gt], tr = R[gt];
        X[gt] = v;
        R[gt] = R[i];
        X[i] = tx;
        R[i] = tr;
        gt--;
      } else i++;
    }
    // Recurse into the smaller side, loop on the larger: bounded stack depth.
    if (lt - lo < hi - gt - 1) {
      sortPairs(X, R, lo, lt);
      lo = gt + 1;
    } else {
      sortPairs(X, R, gt + 1, hi);
      hi = lt;
    }
  }
  for (let i = lo + 1; i < hi; i++) {
    const v = X[i], r = R[i];
    let j = i - 1;
    while (j >= lo && X[j] > v) {
      X[j + 1] = X[j];
      R[j + 1] = R[j];
      j--;
    }
    X[j + 1] = v;
    R[j + 1] = r;
  }
}

/** Per feature, the row indices 0..n-1 in ascending order of that feature's value (sortPairs). */
export function presortOrder(cols: readonly Float64Array[], n: number): Int32Array[] {
  const order: Int32Array[] = [];
  for (let f = 0; f < cols.length; f++) {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    sortPairs(cols[f].slice(), idx, 0, n);
    order.push(idx);
  }
  return order;
}

/** Empty node arrays for at most `cap` nodes. */
export function emptyNodes(cap: number): FlatTree {
  return {
    nodeCount: 0,
    feature: new Int32Array(cap),
    threshold: new Float64Array(cap),
    left: new Int32Array(cap),
    right: new Int32Array(cap),
    value: new Float64Array(cap),
    impurity: new Float64Array(cap),
    weightedSamples: new Float64Array(cap),
  };
}

/**
 * Draw the row weights and lay out the rows drawn: for "presort", one segment per feature in that
 * feature's order (computed once per thread and kept on `data` for the next trees: in a worker every
 * tree of the forest shares it, and the sort runs on all cores at once).
 */
export function newGrower(data: TreeData, params: TreeParams & { rng: Rng }): Grower {
  const rng = params.rng, n = data.nRows, nf = data.nFeatures;
  const presort = params.splitter === "presort";
  const w = new Float64Array(n);
  if (params.bootstrap) { for (let i = 0; i < n; i++) w[Math.floor(rng.next() * n)] += 1; }
  else w.fill(1);
  const wy = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    wy[i] = w[i] * data.y[i];
    if (w[i] > 0) m++;
  }
  if (presort && !data.order) data.order = presortOrder(data.columns, n);
  const S = new Int32Array(presort ? nf * m : m), XS = new Float64Array(presort ? nf * m : m);
  if (presort) {
    for (let f = 0; f < nf; f++) {
      const ord = data.order![f], col = data.columns[f];
      let k = f * m;
      for (let j = 0; j < n; j++) {
        const r = ord[j];
        if (w[r] > 0) {
          S[k] = r;
          XS[k] = col[r];
          k++;
        }
      }
    }
  } else {
    for (let i = 0, k = 0; i < n; i++) if (w[i] > 0) S[k++] = i;
  }
  const minLeaf = Math.max(1, params.minSamplesLeaf);
  return {
    nf,
    m,
    cols: data.columns,
    y: data.y,
    w,
    wy,
    presort,
    rng,
    S,
    XS,
    minLeaf,
    minSplit: Math.max(2, params.minSamplesSplit, 2 * minLeaf),
    maxDepth: params.maxDepth,
    maxFeatures: Math.min(nf, Math.max(1, params.maxFeatures)),
    tmpS: new Int32Array(m),
    tmpX: new Float64Array(m),
    goLeft: new Uint8Array(n),
    features: Int32Array.from({ length: nf }, (_, f) => f),
    // At most 2m-1 nodes: every leaf holds at least one distinct row.
    nodes: emptyNodes(Math.max(1, 2 * m - 1)),
    split: { f: -1, pos: -1, thr: 0, wl: 0, sl: 0 },
  };
}

/**
 * Fill node `id` as a leaf over the rows in [start, end) (weight W, weighted target sum Sy) and return
 * its impurity. Mean and variance by a corrected second pass over the rows (Chan et al.), so a constant
 * target gives exactly that constant and zero variance, and the node becomes one leaf.
 */
export function makeLeaf(
  g: Grower,
  id: number,
  range: { start: number; end: number; W: number; Sy: number },
): number {
  const { S, y, w, nodes } = g;
  const { start, end, W, Sy } = range;
  let mean = Sy / W, c = 0, sq = 0;
  for (let k = start; k < end; k++) {
    const r = S[k];
    const d = y[r] - mean;
    c += w[r] * d;
    sq += w[r] * d * d;
  }
  const imp = Math.max(0, (sq - c * c / W) / W);
  mean += c / W;
  nodes.value[id] = mean;
  nodes.impurity[id] = imp;
  nodes.weightedSamples[id] = W;
  nodes.feature[id] = -1;
  nodes.left[id] = -1;
  nodes.right[id] = -1;
  return imp;
}

/**
 * Try every boundary between consecutive distinct values of one feature's sorted segment (rows Rs,
 * values Xs, node rows at base+start..base+end); updates g.split when a boundary beats `best`, the
 * best proxy so far, and returns the new best. The proxy S_l²/W_l + S_r²/W_r is equivalent to the
 * largest drop in weighted variance; values closer than 1e-7 count as equal (scikit-learn).
 */
export function scanFeature(
  g: Grower,
  seg: { f: number; base: number; Rs: Int32Array; Xs: Float64Array },
  node: { start: number; end: number; W: number; Sy: number; best: number },
): number {
  const FEATURE_THRESHOLD = 1e-7;
  const { w, wy, minLeaf, split } = g;
  const { f, base, Rs, Xs } = seg;
  const { start, W, Sy } = node;
  let best = node.best, wl = 0, sl = 0;
  const last = base + node.end - 1 - minLeaf; // the right child keeps >= minLeaf rows
  for (let k = base + start; k <= last; k++) {
    const r = Rs[k];
    wl += w[r];
    sl += wy[r];
    const xk = Xs[k], xn = Xs[k + 1];
    if (xn <= xk + FEATURE_THRESHOLD || k - base - start + 1 < minLeaf) continue;
    const sr = Sy - sl;
    const proxy = sl * sl / wl + sr * sr / (W - wl);
    if (proxy > best) {
      best = proxy;
      let thr = xk / 2 + xn / 2;
      if (thr === xn || thr === Infinity || thr === -Infinity) thr = xk;
      split.f = f;
      split.pos = k - base + 1;
      split.thr = thr;
      split.wl = wl;
      split.sl = sl;
    }
  }
  return best;
}

/**
 * Find the best split of the node over rows [start, end) into g.split (as scikit-learn's
 * BestSplitter): features in a random order; a feature constant here (all values within 1e-7) does
 * not count; stop after `maxFeatures` non-constant features unless none gave a valid split yet.
 * Returns false when no valid split exists.
 */
export function findSplit(g: Grower, node: { start: number; end: number; W: number; Sy: number }): boolean {
  const FEATURE_THRESHOLD = 1e-7;
  const { nf, m, presort, features, rng, S, XS, tmpS, tmpX, cols, split } = g;
  const { start, end } = node;
  const scan = { start, end, W: node.W, Sy: node.Sy, best: -Infinity };
  split.f = -1;
  let visited = 0;
  for (let drawn = 0; drawn < nf; drawn++) {
    if (visited >= g.maxFeatures && split.f >= 0) break;
    const j = drawn + Math.floor(rng.next() * (nf - drawn));
    const f = features[j];
    features[j] = features[drawn];
    features[drawn] = f;
    let seg;
    if (presort) seg = { f, base: f * m, Rs: S, Xs: XS };
    else {
      // tmp arrays are indexed from 0 for the node's first row
      const col = cols[f];
      for (let k = start; k < end; k++) {
        const r = S[k];
        tmpS[k - start] = r;
        tmpX[k - start] = col[r];
      }
      sortPairs(tmpX, tmpS, 0, end - start);
      seg = { f, base: -start, Rs: tmpS, Xs: tmpX };
    }
    if (seg.Xs[seg.base + end - 1] <= seg.Xs[seg.base + start] + FEATURE_THRESHOLD) continue; // constant here
    visited++;
    scan.best = scanFeature(g, seg, scan);
  }
  return split.f >= 0;
}

/**
 * Apply g.split to the rows [start, end): rows going left move to the front of every segment, keeping
 * each segment's order (stable), so the children's segments stay sorted without sorting.
 */
export function partitionRows(g: Grower, start: number, end: number): void {
  const { nf, m, presort, S, XS, tmpS, tmpX, goLeft, cols, split } = g;
  if (!presort) {
    const col = cols[split.f];
    let l = start, t = 0;
    for (let k = start; k < end; k++) {
      const r = S[k];
      if (col[r] <= split.thr) S[l++] = r;
      else tmpS[t++] = r;
    }
    S.set(tmpS.subarray(0, t), l);
    return;
  }
  const bb = split.f * m;
  for (let k = start; k < end; k++) goLeft[S[bb + k]] = k < split.pos ? 1 : 0;
  for (let f = 0; f < nf; f++) {
    if (f === split.f) continue;
    const b = f * m;
    let l = b + start, t = 0;
    for (let k = b + start; k < b + end; k++) {
      const r = S[k];
      if (goLeft[r] === 1) {
        S[l] = r;
        XS[l] = XS[k];
        l++;
      } else {
        tmpS[t] = r;
        tmpX[t] = XS[k];
        t++;
      }
    }
    S.set(tmpS.subarray(0, t), l);
    XS.set(tmpX.subarray(0, t), l);
  }
}

/** The grown tree: the node arrays cut to the nodes used. */
export function trimNodes(nodes: FlatTree): FlatTree {
  const n = nodes.nodeCount;
  return {
    nodeCount: n,
    feature: nodes.feature.slice(0, n),
    threshold: nodes.threshold.slice(0, n),
    left: nodes.left.slice(0, n),
    right: nodes.right.slice(0, n),
    value: nodes.value.slice(0, n),
    impurity: nodes.impurity.slice(0, n),
    weightedSamples: nodes.weightedSamples.slice(0, n),
  };
}

/**
 * Grow one regression tree. Deterministic given `rng`'s seed.
 *
 * Nodes are grown depth first from a stack of pending row ranges (right pushed before left, so a left
 * child always gets the next id). A node becomes a leaf at `maxDepth`, below `minSamplesSplit` rows,
 * below `2 * minSamplesLeaf` rows, when its variance is zero, or when no valid split exists.
 *
 * @example
 * ```ts
 * const columns = [Float64Array.of(1, 2, 3, 4)];
 * const tree = growTree(
 *   { nRows: 4, nFeatures: 1, columns, y: Float64Array.of(0, 0, 1, 1), order: presortColumns(columns) },
 *   { maxDepth: 1e9, minSamplesSplit: 2, minSamplesLeaf: 1, maxFeatures: 1, bootstrap: false, splitter: "presort",
 *     rng: createRng(0) },
 * );
 * tree.threshold[0]; // 2.5
 * ```
 */
export function growTree(data: TreeData, params: TreeParams & { rng: Rng }): FlatTree {
  const EPSILON = 2.220446049250313e-16; // scikit-learn: a node this pure is a leaf
  const g = newGrower(data, params);
  const { nodes, split } = g;
  let rootW = 0, rootSum = 0;
  for (let i = 0; i < data.nRows; i++) {
    rootW += g.w[i];
    rootSum += g.wy[i];
  }
  // The stack of pending nodes: row range, depth, parent (-1 for the root), side, weight and sum.
  const stack = [{ start: 0, end: g.m, depth: 0, parent: -1, isLeft: false, W: rootW, Sy: rootSum }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const id = nodes.nodeCount++;
    if (node.parent >= 0) (node.isLeft ? nodes.left : nodes.right)[node.parent] = id;
    const imp = makeLeaf(g, id, node);
    const count = node.end - node.start;
    if (node.depth >= g.maxDepth || count < g.minSplit || imp <= EPSILON) continue;
    if (!findSplit(g, node)) continue; // no valid split: stays a leaf
    nodes.feature[id] = split.f;
    nodes.threshold[id] = split.thr;
    partitionRows(g, node.start, node.end);
    const depth = node.depth + 1;
    stack.push(
      {
        start: split.pos,
        end: node.end,
        depth,
        parent: id,
        isLeft: false,
        W: node.W - split.wl,
        Sy: node.Sy - split.sl,
      },
      { start: node.start, end: split.pos, depth, parent: id, isLeft: true, W: split.wl, Sy: split.sl },
    );
  }
  return trimNodes(nodes);
}

/** The functions the forest's workers run, in dependency order (see tree_workers.ts). */
export const GROW_FUNCTIONS: readonly ((...args: never[]) => unknown)[] = [
  sortPairs,
  presortOrder,
  emptyNodes,
  newGrower,
  makeLeaf,
  scanFeature,
  findSplit,
  partitionRows,
  trimNodes,
  growTree,
];

/** True when every internal node's left child is the next node (how growTree numbers nodes). */
export function leftIsNext(tree: FlatTree): boolean {
  const { left } = tree;
  for (let i = 0; i < tree.nodeCount; i++) if (left[i] !== -1 && left[i] !== i + 1) return false;
  return true;
}

/**
 * Add each row's prediction by `tree` to `batch.out` (one entry per row of `batch.x`). Trees numbered
 * depth-first (left child = id + 1) take a walk with one array load less per level.
 */
export function addTreePredictions(tree: FlatTree, batch: { x: Matrix; out: Float64Array }): void {
  const { feature, threshold, left, right, value } = tree;
  const { x: { data: x, cols }, out } = batch;
  if (leftIsNext(tree)) {
    for (let i = 0, off = 0; i < out.length; i++, off += cols) {
      let node = 0, f = feature[0];
      while (f >= 0) {
        node = x[off + f] <= threshold[node] ? node + 1 : right[node];
        f = feature[node];
      }
      out[i] += value[node];
    }
    return;
  }
  for (let i = 0, off = 0; i < out.length; i++, off += cols) {
    let node = 0;
    while (left[node] !== -1) node = x[off + feature[node]] <= threshold[node] ? left[node] : right[node];
    out[i] += value[node];
  }
}

/**
 * Impurity-based importance of each feature in one tree: the weighted variance drop of every split on
 * it, unnormalised (the forest averages and normalises).
 */
export function treeImpurityDecrease(tree: FlatTree, nFeatures: number): Float64Array {
  const out = new Float64Array(nFeatures);
  const { feature, left, right, impurity, weightedSamples: wn } = tree;
  for (let i = 0; i < tree.nodeCount; i++) {
    if (left[i] === -1) continue;
    const l = left[i], r = right[i];
    out[feature[i]] += wn[i] * impurity[i] - wn[l] * impurity[l] - wn[r] * impurity[r];
  }
  return out;
}
