/**
 * Seeded data splits: a shuffled train/test split and K-fold cross-validation whose test folds are
 * disjoint and together cover every row exactly once (scikit-learn's KFold with shuffle=True).
 *
 * @module
 */

import type { Rng } from "./rng.ts";

/** Row indices of one split. */
export interface Split {
  train: Int32Array;
  test: Int32Array;
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Shuffle rows and hold out `testFraction` of them (rounded up, as scikit-learn does) for testing.
 *
 * @example
 * ```ts
 * const { train, test } = trainTestSplit(100, { rng: createRng(1) }); // 80 and 20 rows
 * ```
 */
export function trainTestSplit(n: number, options: { rng: Rng; testFraction?: number }): Split {
  const { rng, testFraction = 0.2 } = options;
  const nTest = Math.ceil(n * testFraction);
  if (n < 2 || nTest < 1 || nTest >= n) {
    throw new RangeError(
      `train/test split of ${n} rows with test fraction ${testFraction} leaves a side empty`,
    );
  }
  const p = permutation(n, rng);
  return { test: p.slice(0, nTest).sort(), train: p.slice(nTest).sort() };
}

/**
 * K folds over shuffled rows: fold sizes differ by at most one (the first n % k folds get one extra),
 * each fold's test rows are disjoint from every other's, and their union is every row.
 */
export function kFold(n: number, options: { rng: Rng; k?: number }): Split[] {
  const { rng, k = 5 } = options;
  if (!Number.isInteger(k) || k < 2 || k > n) throw new RangeError(`${k}-fold CV needs 2..${n} folds`);
  const p = permutation(n, rng);
  const folds: Split[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const test = p.slice(start, start + size).sort();
    const train = new Int32Array(n - size);
    train.set(p.subarray(0, start));
    train.set(p.subarray(start + size), start);
    folds.push({ train: train.sort(), test });
    start += size;
  }
  return folds;
}
