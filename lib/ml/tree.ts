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
 * `growTree` is one self-contained function (every helper is nested inside it, no module binding is
 * used) because the forest sends its source text to Web Workers built from a Blob URL: that works in
 * `deno run`, in a one-file `deno bundle` and inside `deno compile`, where no worker module file exists.
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

/**
 * Grow one regression tree. Deterministic given `rng`'s seed.
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
  const rng = params.rng;
  const EPSILON = 2.220446049250313e-16; // scikit-learn: a node this pure is a leaf
  const FEATURE_THRESHOLD = 1e-7; // scikit-learn: values closer than this are equal
  const n = data.nRows, nf = data.nFeatures, cols = data.columns, y = data.y;
  const minLeaf = Math.max(1, params.minSamplesLeaf);
  const minSplit = Math.max(2, params.minSamplesSplit, 2 * minLeaf);
  const maxDepth = params.maxDepth;
  const maxFeatures = Math.min(nf, Math.max(1, params.maxFeatures));
  const presort = params.splitter === "presort";

  // Row weights: bootstrap draw counts, or 1 for every row.
  const w = new Float64Array(n);
  if (params.bootstrap) { for (let i = 0; i < n; i++) w[Math.floor(rng.next() * n)] += 1; }
  else w.fill(1);
  const wy = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    wy[i] = w[i] * y[i];
    if (w[i] > 0) m++;
  }

  const tmpS = new Int32Array(m), tmpX = new Float64Array(m);
  const goLeft = new Uint8Array(n);
  const features = new Int32Array(nf);
  for (let f = 0; f < nf; f++) features[f] = f;

  // At most 2m-1 nodes: every leaf holds at least one distinct row.
  const cap = Math.max(1, 2 * m - 1);
  const feature = new Int32Array(cap), left = new Int32Array(cap), right = new Int32Array(cap);
  const threshold = new Float64Array(cap), value = new Float64Array(cap);
  const impurity = new Float64Array(cap), weighted = new Float64Array(cap);
  let nodeCount = 0;

  // Depth-first stack of pending nodes (right pushed before left, so left children get lower ids).
  const stStart = new Int32Array(cap + 1), stEnd = new Int32Array(cap + 1), stDepth = new Int32Array(cap + 1);
  const stParent = new Int32Array(cap + 1), stIsLeft = new Uint8Array(cap + 1);
  const stW = new Float64Array(cap + 1), stSum = new Float64Array(cap + 1);
  let sp = 0;

  // Sort parallel arrays (values, rows) in [lo, hi): 3-way quicksort (bootstrap duplicates and discrete
  // features give many equal keys) with insertion sort on small ranges.
  const sortPairs = (X: Float64Array, R: Int32Array, lo: number, hi: number): void => {
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
  };

  // The per-feature row order is computed once per thread and kept on `data` for the next trees: in a
  // worker every tree of the forest shares it, and the sort runs on all cores at once.
  if (presort && !data.order) {
    const order: Int32Array[] = [];
    for (let f = 0; f < nf; f++) {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      sortPairs(cols[f].slice(), idx, 0, n);
      order.push(idx);
    }
    data.order = order;
  }

  // presort: S/XS hold nf segments of m rows (feature f at f*m), each sorted by that feature within
  // every node's [start, end). sort: S holds one segment of the node's rows in any order.
  const S = new Int32Array(presort ? nf * m : m);
  const XS = new Float64Array(presort ? nf * m : m);
  if (presort) {
    for (let f = 0; f < nf; f++) {
      const ord = data.order![f], col = cols[f];
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
  let rootW = 0, rootSum = 0;
  for (let i = 0; i < n; i++) {
    rootW += w[i];
    rootSum += wy[i];
  }
  stStart[0] = 0;
  stEnd[0] = m;
  stDepth[0] = 0;
  stParent[0] = -1;
  stW[0] = rootW;
  stSum[0] = rootSum;
  sp = 1;

  while (sp > 0) {
    sp--;
    const start = stStart[sp], end = stEnd[sp], depth = stDepth[sp], parent = stParent[sp];
    const isLeft = stIsLeft[sp], W = stW[sp], Sy = stSum[sp];
    const id = nodeCount++;
    if (parent >= 0) {
      if (isLeft) left[parent] = id;
      else right[parent] = id;
    }
    // Mean and variance by a corrected second pass over the node's rows (Chan et al.), so a constant
    // target gives exactly that constant and zero variance, and the node becomes one leaf.
    let mean = Sy / W, c = 0, sq = 0;
    for (let k = start; k < end; k++) {
      const r = S[k];
      const d = y[r] - mean;
      c += w[r] * d;
      sq += w[r] * d * d;
    }
    const imp = Math.max(0, (sq - c * c / W) / W);
    mean += c / W;
    value[id] = mean;
    impurity[id] = imp;
    weighted[id] = W;
    feature[id] = -1;
    left[id] = -1;
    right[id] = -1;
    const count = end - start;
    if (depth >= maxDepth || count < minSplit || imp <= EPSILON) continue;

    let bestProxy = -Infinity, bestF = -1, bestPos = -1, bestThr = 0, bestWL = 0, bestSL = 0;
    let visited = 0;
    for (let drawn = 0; drawn < nf; drawn++) {
      if (visited >= maxFeatures && bestF >= 0) break;
      const j = drawn + Math.floor(rng.next() * (nf - drawn));
      const f = features[j];
      features[j] = features[drawn];
      features[drawn] = f;

      let base: number, Rs: Int32Array, Xs: Float64Array;
      if (presort) {
        base = f * m;
        Rs = S;
        Xs = XS;
      } else {
        base = -start; // tmp arrays are indexed from 0 for the node's first row
        Rs = tmpS;
        Xs = tmpX;
        const col = cols[f];
        for (let k = start; k < end; k++) {
          const r = S[k];
          tmpS[k - start] = r;
          tmpX[k - start] = col[r];
        }
        sortPairs(tmpX, tmpS, 0, count);
      }
      if (Xs[base + end - 1] <= Xs[base + start] + FEATURE_THRESHOLD) continue; // constant here
      visited++;

      let wl = 0, sl = 0;
      const last = base + end - 1 - minLeaf; // right child keeps >= minLeaf rows
      for (let k = base + start; k <= last; k++) {
        const r = Rs[k];
        wl += w[r];
        sl += wy[r];
        const xk = Xs[k], xn = Xs[k + 1];
        if (xn <= xk + FEATURE_THRESHOLD || k - base - start + 1 < minLeaf) continue;
        const sr = Sy - sl;
        const proxy = sl * sl / wl + sr * sr / (W - wl);
        if (proxy > bestProxy) {
          bestProxy = proxy;
          bestF = f;
          bestPos = k - base + 1;
          let thr = xk / 2 + xn / 2;
          if (thr === xn || thr === Infinity || thr === -Infinity) thr = xk;
          bestThr = thr;
          bestWL = wl;
          bestSL = sl;
        }
      }
    }
    if (bestF < 0) continue; // no valid split: stays a leaf

    feature[id] = bestF;
    threshold[id] = bestThr;
    if (presort) {
      const bb = bestF * m;
      for (let k = start; k < end; k++) goLeft[S[bb + k]] = k < bestPos ? 1 : 0;
      for (let f = 0; f < nf; f++) {
        if (f === bestF) continue;
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
    } else {
      const col = cols[bestF];
      let l = start, t = 0;
      for (let k = start; k < end; k++) {
        const r = S[k];
        if (col[r] <= bestThr) S[l++] = r;
        else tmpS[t++] = r;
      }
      S.set(tmpS.subarray(0, t), l);
    }
    // Right child first on the stack, so the left one is grown (and numbered) first.
    stStart[sp] = bestPos;
    stEnd[sp] = end;
    stDepth[sp] = depth + 1;
    stParent[sp] = id;
    stIsLeft[sp] = 0;
    stW[sp] = W - bestWL;
    stSum[sp] = Sy - bestSL;
    sp++;
    stStart[sp] = start;
    stEnd[sp] = bestPos;
    stDepth[sp] = depth + 1;
    stParent[sp] = id;
    stIsLeft[sp] = 1;
    stW[sp] = bestWL;
    stSum[sp] = bestSL;
    sp++;
  }

  return {
    nodeCount,
    feature: feature.slice(0, nodeCount),
    threshold: threshold.slice(0, nodeCount),
    left: left.slice(0, nodeCount),
    right: right.slice(0, nodeCount),
    value: value.slice(0, nodeCount),
    impurity: impurity.slice(0, nodeCount),
    weightedSamples: weighted.slice(0, nodeCount),
  };
}

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
