/**
 * RandomForestRegressor: an average of CART regression trees, each grown on a bootstrap sample with a
 * random feature order per node (scikit-learn's estimator, same hyperparameter meanings and defaults).
 * Hyperparameters are fixed at construction; `fit` grows the trees (on every core through workers,
 * see tree_workers.ts), `predict` averages them; `toJSON`/`fromJSON` round-trip to identical
 * predictions because every stored number is a double that JSON writes and reads back exactly.
 *
 * @module
 */

import { columnsOf, type Matrix, ShapeError } from "./matrix.ts";
import { createRng } from "./rng.ts";
import {
  addTreePredictions,
  type FlatTree,
  growTree,
  leftIsNext,
  type TreeData,
  treeImpurityDecrease,
  type TreeParams,
} from "./tree.ts";
import { type GrowReport, growTrees } from "./tree_workers.ts";
import { addPackedPredictions, type PackedTree, packTree } from "./packed_tree.ts";
import { sumPackedParallel } from "./predict_workers.ts";

/** Forest hyperparameters; every field is optional and defaults to scikit-learn's. */
export interface ForestOptions {
  /** Number of trees. Default 100. */
  nEstimators?: number;
  /** Deepest level (root = 0); null for unlimited (default). */
  maxDepth?: number | null;
  /** Fewest rows a node needs to be split. Default 2. */
  minSamplesSplit?: number;
  /** Fewest distinct rows in a leaf. Default 1. */
  minSamplesLeaf?: number;
  /**
   * Features examined per split: a value in (0, 1] is a fraction of the features (at least one), a
   * whole number above 1 is a count. Default 1.0 (all, scikit-learn's regressor default).
   */
  maxFeatures?: number;
  /** Grow each tree on a bootstrap sample. Default true. */
  bootstrap?: boolean;
  /** Seed of every random choice. Default 0. */
  seed?: number;
  /** Split search; see tree.ts. Default "presort". */
  splitter?: "presort" | "sort";
  /** Workers for `fit`; default one per core. Not part of the model (results do not depend on it). */
  workers?: number;
}

/** Resolved hyperparameters, as saved in the model JSON. */
export interface ForestParams {
  nEstimators: number;
  maxDepth: number | null;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  maxFeatures: number;
  bootstrap: boolean;
  seed: number;
  splitter: "presort" | "sort";
}

/** One tree in JSON: the prediction arrays only (importance is stored forest-wide). */
export interface TreeJSON {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** A fitted forest as plain JSON. */
export interface ForestJSON {
  kind: "RandomForestRegressor";
  params: ForestParams;
  nFeatures: number;
  featureImportances: number[];
  trees: TreeJSON[];
}

/** A bad hyperparameter or model file. */
export class ForestError extends Error {
  override name = "ForestError";
}

function resolveParams(o: ForestOptions): ForestParams {
  const p: ForestParams = {
    nEstimators: o.nEstimators ?? 100,
    maxDepth: o.maxDepth ?? null,
    minSamplesSplit: o.minSamplesSplit ?? 2,
    minSamplesLeaf: o.minSamplesLeaf ?? 1,
    maxFeatures: o.maxFeatures ?? 1.0,
    bootstrap: o.bootstrap ?? true,
    seed: o.seed ?? 0,
    splitter: o.splitter ?? "presort",
  };
  const whole = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) {
      throw new ForestError(`${name} ${v}: expected a whole number >= ${min}`);
    }
  };
  whole("nEstimators", p.nEstimators, 1);
  if (p.maxDepth !== null) whole("maxDepth", p.maxDepth, 0);
  whole("minSamplesSplit", p.minSamplesSplit, 2);
  whole("minSamplesLeaf", p.minSamplesLeaf, 1);
  if (!(p.maxFeatures > 0) || (p.maxFeatures > 1 && !Number.isInteger(p.maxFeatures))) {
    throw new ForestError(`maxFeatures ${p.maxFeatures}: expected a fraction in (0, 1] or a whole count`);
  }
  if (p.splitter !== "presort" && p.splitter !== "sort") {
    throw new ForestError(`splitter ${p.splitter}: expected "presort" or "sort"`);
  }
  return p;
}

/** The random forest regressor. */
export class RandomForestRegressor {
  /** The resolved hyperparameters. */
  readonly params: ForestParams;
  #workers: number | undefined;
  #trees: FlatTree[] = [];
  #packed: (PackedTree | null)[] = [];
  #nFeatures = 0;
  #importances = new Float64Array(0);
  #lastGrow: GrowReport | null = null;
  #lastPredictWorkers = 0;

  /** Fix the hyperparameters (see {@linkcode ForestOptions}). */
  constructor(options: ForestOptions = {}) {
    this.params = resolveParams(options);
    this.#workers = options.workers;
  }

  /** Grow the forest on `x` (rows x features) and targets `y`, on every core. */
  async fit(x: Matrix, y: Float64Array): Promise<this> {
    const { data, params, seeds } = this.#prepare(x, y);
    const { trees, report } = await growTrees({ data, params, seeds }, { workers: this.#workers });
    this.#finish(trees, x.cols, report);
    return this;
  }

  /** Grow the forest in this thread (same trees as `fit`). */
  fitSync(x: Matrix, y: Float64Array): this {
    const { data, params, seeds } = this.#prepare(x, y);
    // growTrees with 0 workers never awaits anything, but returns a promise; grow directly instead.
    const trees = seeds.map((s) => growTreeHere(data, params, s));
    this.#finish(trees, x.cols, { workersUsed: 0, inThread: trees.length, fallbackReason: null });
    return this;
  }

  /** Mean prediction of the trees for each row of `x`. */
  predict(x: Matrix): Float64Array {
    if (this.#trees.length === 0) throw new ForestError("predict called before fit");
    if (x.cols !== this.#nFeatures) {
      throw new ShapeError(`the forest was fitted on ${this.#nFeatures} features: got ${x.cols}`);
    }
    const out = new Float64Array(x.rows);
    // Tree by tree over all rows: one tree's arrays stay in cache while every row walks it.
    this.#trees.forEach((t, i) => {
      const packed = this.#packed[i];
      if (packed) addPackedPredictions(packed, { x, out });
      else addTreePredictions(t, { x, out });
    });
    for (let i = 0; i < out.length; i++) out[i] /= this.#trees.length;
    return out;
  }

  /**
   * Same result as `predict`, with large batches (at least PARALLEL_MIN_ROWS rows) spread over every
   * core (predict_workers.ts). Trees that cannot be packed are walked in this thread.
   */
  async predictParallel(x: Matrix, options: { workers?: number } = {}): Promise<Float64Array> {
    if (this.#trees.length === 0 || this.#packed.some((p) => p === null)) return this.predict(x);
    if (x.cols !== this.#nFeatures) {
      throw new ShapeError(`the forest was fitted on ${this.#nFeatures} features: got ${x.cols}`);
    }
    const { sums, workersUsed } = await sumPackedParallel(this.#packed as PackedTree[], { x, ...options });
    this.#lastPredictWorkers = workersUsed;
    for (let i = 0; i < sums.length; i++) sums[i] /= this.#trees.length;
    return sums;
  }

  /** Workers the last predictParallel used (0 = this thread). */
  get lastPredictWorkers(): number {
    return this.#lastPredictWorkers;
  }

  /** Impurity-based importance: each tree's variance decrease per feature, averaged, summing to 1. */
  featureImportances(): Float64Array {
    return this.#importances.slice();
  }

  /** The fitted trees (read-only use: the config search specialises them). */
  get trees(): readonly FlatTree[] {
    return this.#trees;
  }

  /** Number of features the forest was fitted on. */
  get nFeatures(): number {
    return this.#nFeatures;
  }

  /** How the last fit grew its trees (workers used, fallback reason). */
  get lastGrowReport(): GrowReport | null {
    return this.#lastGrow;
  }

  /** The fitted forest as plain JSON. */
  toJSON(): ForestJSON {
    if (this.#trees.length === 0) throw new ForestError("toJSON called before fit");
    return {
      kind: "RandomForestRegressor",
      params: { ...this.params },
      nFeatures: this.#nFeatures,
      featureImportances: Array.from(this.#importances),
      trees: this.#trees.map((t) => ({
        feature: Array.from(t.feature),
        threshold: Array.from(t.threshold),
        left: Array.from(t.left),
        right: Array.from(t.right),
        value: Array.from(t.value),
      })),
    };
  }

  /**
   * Load a forest saved by toJSON; it predicts exactly what the saved one did. Everything is checked
   * first (a model file may be hostile): kind, counts, hyperparameters, finite importances, and every
   * tree node by node (see treeFromJSON), so a loaded forest can never loop or read out of bounds.
   *
   * @throws {ForestError} naming the tree and node of the first problem.
   */
  static fromJSON(json: ForestJSON): RandomForestRegressor {
    const params = forestHeaderFromJSON(json);
    const forest = new RandomForestRegressor(params);
    forest.#nFeatures = json.nFeatures;
    forest.#importances = Float64Array.from(json.featureImportances);
    forest.#trees = json.trees.map((t, i) => treeFromJSON(t, i, json.nFeatures));
    forest.#packed = forest.#trees.map(packIfDepthFirst);
    return forest;
  }

  #prepare(x: Matrix, y: Float64Array) {
    if (x.rows !== y.length) throw new ShapeError(`fit: ${x.rows} rows of features but ${y.length} targets`);
    if (x.rows < 2 || x.cols < 1) throw new ShapeError(`fit: need at least 2 rows and 1 feature`);
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i])) throw new ShapeError(`fit: target ${i + 1} is ${y[i]}`);
    }
    const p = this.params;
    const columns = columnsOf(x);
    const maxFeatures = p.maxFeatures <= 1 ? Math.max(1, Math.floor(p.maxFeatures * x.cols)) : p.maxFeatures;
    const rng = createRng(p.seed);
    return {
      data: {
        nRows: x.rows,
        nFeatures: x.cols,
        columns,
        y,
        order: null, // sorted by growTree once per worker, in parallel (see TreeData.order)
      },
      params: {
        maxDepth: p.maxDepth ?? 2 ** 30,
        minSamplesSplit: p.minSamplesSplit,
        minSamplesLeaf: p.minSamplesLeaf,
        maxFeatures: Math.min(maxFeatures, x.cols),
        bootstrap: p.bootstrap,
        splitter: p.splitter,
      },
      seeds: Array.from({ length: p.nEstimators }, () => rng.nextU32()),
    };
  }

  #finish(trees: FlatTree[], nFeatures: number, report: GrowReport): void {
    const total = new Float64Array(nFeatures);
    for (const t of trees) {
      const dec = treeImpurityDecrease(t, nFeatures);
      // Each tree's importances are normalised before averaging, as scikit-learn does.
      let sum = 0;
      for (const v of dec) sum += v;
      if (sum > 0) { for (let j = 0; j < nFeatures; j++) total[j] += dec[j] / sum; }
    }
    let sum = 0;
    for (const v of total) sum += v;
    if (sum > 0) { for (let j = 0; j < nFeatures; j++) total[j] /= sum; }
    this.#trees = trees;
    this.#packed = trees.map(packIfDepthFirst);
    this.#nFeatures = nFeatures;
    this.#importances = total;
    this.#lastGrow = report;
  }
}

/** Most trees a loaded forest may have, and most nodes per tree (a forest on 8 million rows). */
export const MAX_TREES = 10_000;
export const MAX_TREE_NODES = 1 << 24;
/** Most features a loaded forest may have. */
export const MAX_FEATURES = 100_000;

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * One tree of a model file, checked node by node: equal-length arrays; at a leaf (left -1) right is -1
 * and the value finite; at an internal node both children come after it (ids in i+1..n-1, which also
 * rules out any cycle: every step of a walk goes to a higher id), the feature is a whole number in
 * 0..nFeatures-1, and threshold and value are finite.
 */
function treeFromJSON(t: TreeJSON, i: number, nFeatures: number): FlatTree {
  const where = `model JSON: tree ${i}`;
  const arrays = [t?.feature, t?.threshold, t?.left, t?.right, t?.value];
  if (!arrays.every(Array.isArray)) {
    throw new ForestError(`${where}: expected arrays feature, threshold, left, right and value`);
  }
  const n = t.value.length;
  if (arrays.some((a) => a.length !== n)) throw new ForestError(`${where}: arrays of different lengths`);
  if (n < 1 || n > MAX_TREE_NODES) {
    throw new ForestError(`${where}: ${n} nodes: expected 1..${MAX_TREE_NODES}`);
  }
  const tree: FlatTree = {
    nodeCount: n,
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    value: new Float64Array(n),
    impurity: new Float64Array(n),
    weightedSamples: new Float64Array(n),
  };
  for (let k = 0; k < n; k++) {
    const bad = (what: string) => new ForestError(`${where}, node ${k}: ${what}`);
    const l = t.left[k], r = t.right[k], f = t.feature[k], thr = t.threshold[k], v = t.value[k];
    if (!isFiniteNumber(v)) throw bad(`value ${v}: expected a finite number`);
    if (!isFiniteNumber(thr)) throw bad(`threshold ${thr}: expected a finite number`);
    tree.value[k] = v;
    if (l === -1 && r === -1) {
      tree.feature[k] = tree.left[k] = tree.right[k] = -1;
      continue;
    }
    const child = (c: unknown) => Number.isInteger(c) && (c as number) > k && (c as number) < n;
    if (!child(l) || !child(r)) {
      throw bad(
        `children ${l}, ${r}: expected ids in ${k + 1}..${n - 1} (after their parent), or -1, -1 at a leaf`,
      );
    }
    if (!Number.isInteger(f) || f < 0 || f >= nFeatures) {
      throw bad(`feature ${f}: expected 0..${nFeatures - 1}`);
    }
    tree.feature[k] = f;
    tree.threshold[k] = thr;
    tree.left[k] = l;
    tree.right[k] = r;
  }
  return tree;
}

/** Check the forest-wide fields of a model file and return its resolved hyperparameters. */
function forestHeaderFromJSON(json: ForestJSON): ForestParams {
  if (json?.kind !== "RandomForestRegressor" || !Array.isArray(json.trees) || json.trees.length === 0) {
    throw new ForestError("model JSON: expected kind RandomForestRegressor with at least one tree");
  }
  if (json.trees.length > MAX_TREES) {
    throw new ForestError(`model JSON: ${json.trees.length} trees: at most ${MAX_TREES}`);
  }
  const nf = json.nFeatures;
  if (!Number.isInteger(nf) || nf < 1 || nf > MAX_FEATURES) {
    throw new ForestError(`model JSON: nFeatures ${nf}: expected a whole number in 1..${MAX_FEATURES}`);
  }
  const imp = json.featureImportances;
  if (!Array.isArray(imp) || imp.length !== nf || !imp.every(isFiniteNumber)) {
    throw new ForestError(`model JSON: featureImportances: expected ${nf} finite numbers`);
  }
  if (typeof json.params !== "object" || json.params === null) {
    throw new ForestError("model JSON: params: missing");
  }
  return resolveParams(json.params);
}

/** The packed form of a tree, or null when its numbering is not depth-first (loaded from elsewhere). */
function packIfDepthFirst(tree: FlatTree): PackedTree | null {
  return leftIsNext(tree) ? packTree(tree) : null;
}

function growTreeHere(data: TreeData, params: TreeParams, seed: number): FlatTree {
  return growTree(data, { ...params, rng: createRng(seed) });
}
