/**
 * A tree packed for prediction: one 16-byte record per node, so each level of a walk touches one
 * cache line instead of three arrays. The record of node i is, in one ArrayBuffer seen through two
 * views, `f64[2i]` = threshold (at a leaf: the prediction) and `i32[4i+2]` = feature (-1 at a leaf),
 * `i32[4i+3]` = right child. The left child is i + 1 (depth-first numbering), so it is not stored.
 * Built from a FlatTree on demand; never saved (the FlatTree is the model). The buffer is a
 * SharedArrayBuffer where the runtime has one, so prediction workers read the trees without a copy.
 *
 * @module
 */

import type { Matrix } from "./matrix.ts";
import type { FlatTree } from "./tree.ts";

/** The packed form of one tree. */
export interface PackedTree {
  f64: Float64Array;
  i32: Int32Array;
}

/** A tree whose nodes are not numbered depth-first cannot be packed. */
export class PackError extends Error {
  override name = "PackError";
}

/** Pack a depth-first numbered tree (every internal node's left child is the next node). */
export function packTree(tree: FlatTree): PackedTree {
  const n = tree.nodeCount;
  const buffer = typeof SharedArrayBuffer === "function"
    ? new SharedArrayBuffer(16 * n)
    : new ArrayBuffer(16 * n);
  const f64 = new Float64Array(buffer), i32 = new Int32Array(buffer);
  for (let i = 0; i < n; i++) {
    const leaf = tree.left[i] === -1;
    if (!leaf && tree.left[i] !== i + 1) throw new PackError(`node ${i}: left child is not the next node`);
    f64[2 * i] = leaf ? tree.value[i] : tree.threshold[i];
    i32[4 * i + 2] = leaf ? -1 : tree.feature[i];
    i32[4 * i + 3] = leaf ? -1 : tree.right[i];
  }
  return { f64, i32 };
}

/**
 * Add each row's prediction by the packed tree to `batch.out` (one entry per row of `batch.x`).
 * Self-contained (uses no other binding of this module): prediction workers run its source text.
 */
export function addPackedPredictions(tree: PackedTree, batch: { x: Matrix; out: Float64Array }): void {
  const { x: { data: x, cols }, out } = batch;
  const { f64, i32 } = tree;
  for (let i = 0, off = 0; i < out.length; i++, off += cols) {
    let node = 0, f = i32[2];
    while (f >= 0) {
      node = x[off + f] <= f64[2 * node] ? node + 1 : i32[4 * node + 3];
      f = i32[4 * node + 2];
    }
    out[i] += f64[2 * node];
  }
}
