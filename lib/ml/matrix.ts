/**
 * The feature matrix passed between lib/ml modules: row-major doubles in one Float64Array, so a row is
 * one contiguous slice (fast to predict) and the whole matrix moves to a worker as one buffer.
 *
 * @module
 */

/** A dense row-major matrix of `rows` x `cols` doubles. */
export interface Matrix {
  rows: number;
  cols: number;
  /** Element (i, j) is `data[i * cols + j]`. */
  data: Float64Array;
}

/** A matrix whose shape does not match what the caller needs. */
export class ShapeError extends Error {
  override name = "ShapeError";
}

/**
 * Build a matrix from nested arrays; every row must have the same length.
 *
 * @example
 * ```ts
 * const m = matrixFromRows([[1, 2], [3, 4]]); // m.rows === 2, m.cols === 2
 * ```
 */
export function matrixFromRows(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows.length > 0 ? rows[0].length : 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    if (row.length !== cols) {
      throw new ShapeError(`matrix row ${i + 1} has ${row.length} values: expected ${cols}`);
    }
    data.set(row, i * cols);
  });
  return { rows: rows.length, cols, data };
}

/** The columns of a matrix, one Float64Array per feature (the layout the tree builder scans). */
export function columnsOf(m: Matrix): Float64Array[] {
  const out: Float64Array[] = [];
  for (let j = 0; j < m.cols; j++) {
    const col = new Float64Array(m.rows);
    for (let i = 0; i < m.rows; i++) col[i] = m.data[i * m.cols + j];
    out.push(col);
  }
  return out;
}

/** A new matrix holding the given rows, in the given order. */
export function selectRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  const data = new Float64Array(rows.length * m.cols);
  for (let k = 0; k < rows.length; k++) {
    data.set(m.data.subarray(rows[k] * m.cols, (rows[k] + 1) * m.cols), k * m.cols);
  }
  return { rows: rows.length, cols: m.cols, data };
}

/** The given entries of a vector, in the given order. */
export function selectValues(v: Float64Array, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = v[rows[k]];
  return out;
}
