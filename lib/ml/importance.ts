/**
 * Permutation importance (Breiman; scikit-learn's permutation_importance): how much the R² on held-out
 * data drops when one feature's column is shuffled, breaking its link to the target. Unlike impurity
 * importance it is measured on data the model did not train on, so it is not inflated for features
 * with many distinct values.
 *
 * @module
 */

import type { Matrix } from "./matrix.ts";
import { r2Score } from "./metrics.ts";
import type { Rng } from "./rng.ts";
import { permutation } from "./split.ts";

/** Mean and standard deviation of the R² drop per feature. */
export interface PermutationImportance {
  baseline: number;
  mean: Float64Array;
  std: Float64Array;
}

/**
 * Shuffle each column `repeats` times and record the mean and spread of the R² drop.
 *
 * @example
 * ```ts
 * const imp = permutationImportance(forest, { x: xTest, y: yTest }, { rng: createRng(0) });
 * imp.mean[0]; // R² lost without feature 0
 * ```
 */
export function permutationImportance(
  model: { predict(x: Matrix): Float64Array },
  data: { x: Matrix; y: Float64Array },
  options: { rng: Rng; repeats?: number },
): PermutationImportance {
  const { x, y } = data;
  const { rng, repeats = 5 } = options;
  const baseline = r2Score(y, model.predict(x));
  const mean = new Float64Array(x.cols), std = new Float64Array(x.cols);
  const work: Matrix = { rows: x.rows, cols: x.cols, data: x.data.slice() };
  for (let j = 0; j < x.cols; j++) {
    const drops: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const p = permutation(x.rows, rng);
      for (let i = 0; i < x.rows; i++) work.data[i * x.cols + j] = x.data[p[i] * x.cols + j];
      drops.push(baseline - r2Score(y, model.predict(work)));
    }
    for (let i = 0; i < x.rows; i++) work.data[i * x.cols + j] = x.data[i * x.cols + j];
    const m = drops.reduce((a, b) => a + b, 0) / repeats;
    mean[j] = m;
    std[j] = Math.sqrt(drops.reduce((a, d) => a + (d - m) ** 2, 0) / repeats);
  }
  return { baseline, mean, std };
}
