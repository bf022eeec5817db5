/**
 * Regression scores: R² (coefficient of determination) and mean absolute error, with scikit-learn's
 * definitions so our numbers compare with its numbers directly.
 *
 * @module
 */

import { ShapeError } from "./matrix.ts";

function checkLengths(truth: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (truth.length !== predicted.length || truth.length === 0) {
    throw new ShapeError(`scores need equal, non-empty vectors: got ${truth.length} and ${predicted.length}`);
  }
}

/**
 * R² = 1 - SS_res / SS_tot. As in scikit-learn, a constant truth scores 1 when predicted exactly and 0
 * otherwise (instead of dividing by zero).
 *
 * @example
 * ```ts
 * r2Score([1, 2, 3], [1, 2, 3]); // 1
 * ```
 */
export function r2Score(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(truth, predicted);
  let mean = 0;
  for (let i = 0; i < truth.length; i++) mean += truth[i];
  mean /= truth.length;
  let res = 0, tot = 0;
  for (let i = 0; i < truth.length; i++) {
    res += (truth[i] - predicted[i]) ** 2;
    tot += (truth[i] - mean) ** 2;
  }
  if (tot === 0) return res === 0 ? 1 : 0;
  return 1 - res / tot;
}

/** Mean absolute error. */
export function meanAbsoluteError(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(truth, predicted);
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += Math.abs(truth[i] - predicted[i]);
  return sum / truth.length;
}
