/**
 * Partially evaluate a tree for a query whose some features are fixed: every split on a fixed feature
 * is replaced by the branch that value takes. The result predicts exactly what the original does for
 * any row carrying those fixed values, but is smaller and shallower, which is what makes scoring
 * 100,000 candidate configs (where only the tunables vary) fast.
 *
 * @module
 */

import type { FlatTree } from "./tree.ts";

/**
 * A copy of `tree` specialised to `fixed` (one value per feature; NaN = free), numbered depth-first.
 *
 * @example
 * ```ts
 * // Features [slice_us, cpu_util_pct]: fix cpu_util_pct at 40, keep slice_us free.
 * const small = specializeTree(tree, Float64Array.of(NaN, 40));
 * ```
 */
export function specializeTree(tree: FlatTree, fixed: Float64Array): FlatTree {
  const feature: number[] = [], threshold: number[] = [], left: number[] = [], right: number[] = [];
  const value: number[] = [], impurity: number[] = [], weighted: number[] = [];
  // Iterative depth-first copy: (source node, parent in the copy, is the right child).
  const stack: [number, number, boolean][] = [[0, -1, false]];
  while (stack.length > 0) {
    let [src, parent, isRight] = stack.pop()!;
    // Follow fixed splits down to the first free split or a leaf.
    while (tree.left[src] !== -1 && !Number.isNaN(fixed[tree.feature[src]])) {
      src = fixed[tree.feature[src]] <= tree.threshold[src] ? tree.left[src] : tree.right[src];
    }
    const id = value.length;
    if (parent >= 0) (isRight ? right : left)[parent] = id;
    const leaf = tree.left[src] === -1;
    feature.push(leaf ? -1 : tree.feature[src]);
    threshold.push(leaf ? 0 : tree.threshold[src]);
    left.push(-1);
    right.push(-1);
    value.push(tree.value[src]);
    impurity.push(tree.impurity[src]);
    weighted.push(tree.weightedSamples[src]);
    if (!leaf) {
      stack.push([tree.right[src], id, true]);
      stack.push([tree.left[src], id, false]);
    }
  }
  return {
    nodeCount: value.length,
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    impurity: Float64Array.from(impurity),
    weightedSamples: Float64Array.from(weighted),
  };
}
