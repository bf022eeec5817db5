/**
 * StandardScaler: centre each feature on its mean and divide by its (population) standard deviation,
 * as scikit-learn does. A feature with zero variance keeps scale 1 so it maps to 0 instead of NaN.
 *
 * @module
 */

import { type Matrix, ShapeError } from "./matrix.ts";

/** A fitted scaler as plain JSON. */
export interface ScalerJSON {
  mean: number[];
  scale: number[];
}

/** Per-feature standardisation, fitted once and applied to every matrix after. */
export class StandardScaler {
  #mean: Float64Array = new Float64Array(0);
  #scale: Float64Array = new Float64Array(0);
  #fitted = false;

  /** Learn each column's mean and standard deviation. */
  fit(x: Matrix): this {
    const { rows, cols, data } = x;
    if (rows === 0) throw new ShapeError("StandardScaler.fit needs at least one row");
    const mean = new Float64Array(cols), scale = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
    for (let j = 0; j < cols; j++) mean[j] /= rows;
    // Two passes (mean first) keep the variance exact for large, nearly constant values.
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) scale[j] += (data[i * cols + j] - mean[j]) ** 2;
    }
    for (let j = 0; j < cols; j++) {
      const sd = Math.sqrt(scale[j] / rows);
      // Values near the largest doubles overflow the sums: refuse rather than scale everything to NaN.
      if (!Number.isFinite(mean[j]) || !Number.isFinite(sd)) {
        throw new ShapeError(`StandardScaler.fit: feature ${j + 1} overflows (mean ${mean[j]}, sd ${sd})`);
      }
      scale[j] = sd > 0 ? sd : 1;
    }
    this.#mean = mean;
    this.#scale = scale;
    this.#fitted = true;
    return this;
  }

  /** A standardised copy of `x`. */
  transform(x: Matrix): Matrix {
    const { cols, data } = x;
    this.#check(cols);
    const out = new Float64Array(data.length);
    for (let k = 0; k < data.length; k++) {
      const j = k % cols;
      out[k] = (data[k] - this.#mean[j]) / this.#scale[j];
    }
    return { rows: x.rows, cols, data: out };
  }

  /** Standardise one value of feature `j` (used by the config search on single columns). */
  transformValue(j: number, value: number): number {
    this.#check(-1);
    return (value - this.#mean[j]) / this.#scale[j];
  }

  /** Fit, then transform the same matrix. */
  fitTransform(x: Matrix): Matrix {
    return this.fit(x).transform(x);
  }

  /** The fitted means and scales as plain arrays (numbers round-trip exactly through JSON). */
  toJSON(): ScalerJSON {
    this.#check(-1);
    return { mean: Array.from(this.#mean), scale: Array.from(this.#scale) };
  }

  /** Number of features it was fitted on. */
  get nFeatures(): number {
    return this.#mean.length;
  }

  /**
   * Restore a scaler saved with toJSON.
   *
   * @throws {ShapeError} unless mean and scale are arrays of equal length, every mean finite and every
   * scale finite and above zero.
   */
  static fromJSON(json: ScalerJSON): StandardScaler {
    if (!Array.isArray(json?.mean) || !Array.isArray(json?.scale) || json.mean.length !== json.scale.length) {
      throw new ShapeError("scaler JSON: expected mean and scale arrays of equal length");
    }
    const finite = (v: unknown) => typeof v === "number" && Number.isFinite(v);
    const bad = json.mean.findIndex((m, j) => !finite(m) || !finite(json.scale[j]) || !(json.scale[j] > 0));
    if (bad >= 0) {
      throw new ShapeError(
        `scaler JSON: feature ${bad + 1}: expected a finite mean and a finite scale above 0`,
      );
    }
    const s = new StandardScaler();
    s.#mean = Float64Array.from(json.mean);
    s.#scale = Float64Array.from(json.scale);
    s.#fitted = true;
    return s;
  }

  #check(cols: number): void {
    if (!this.#fitted) throw new ShapeError("StandardScaler used before fit");
    if (cols >= 0 && cols !== this.#mean.length) {
      throw new ShapeError(`StandardScaler was fitted on ${this.#mean.length} features: got ${cols}`);
    }
  }
}
