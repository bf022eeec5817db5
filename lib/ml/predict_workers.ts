/**
 * Predict a large batch on every core: the rows are cut into one contiguous range per worker and each
 * worker walks every tree for its range. The packed trees live in SharedArrayBuffers (packed_tree.ts),
 * so no tree is copied; only the rows go out and the predictions come back. As with training
 * (tree_workers.ts), the worker is built from a Blob URL holding the source of a self-contained
 * function, so it works in a one-file bundle, and any failure falls back to this thread. The sums run
 * tree by tree in the same order as in this thread, so the result is identical to `predict`.
 *
 * @module
 */

import type { Matrix } from "./matrix.ts";
import { addPackedPredictions, type PackedTree } from "./packed_tree.ts";

/** Rows below which starting workers costs more than it saves. */
export const PARALLEL_MIN_ROWS = 4096;

/** The worker's whole program, as text. */
export function predictWorkerSource(): string {
  return [
    `const addPackedPredictions = ${addPackedPredictions.toString()};`,
    `self.onmessage = (event) => {`,
    `  const { trees, x } = event.data;`,
    `  const out = new Float64Array(x.rows);`,
    `  for (const t of trees) addPackedPredictions(t, { x, out });`,
    `  self.postMessage(out, [out.buffer]);`,
    `};`,
  ].join("\n");
}

function inThread(trees: readonly PackedTree[], x: Matrix): Float64Array {
  const out = new Float64Array(x.rows);
  for (const t of trees) addPackedPredictions(t, { x, out });
  return out;
}

/**
 * Sum of the packed trees' predictions for every row of `x` (divide by the tree count for the mean).
 *
 * @returns the sums, and how many workers computed them (0 = this thread).
 */
export async function sumPackedParallel(
  trees: readonly PackedTree[],
  options: { x: Matrix; workers?: number },
): Promise<{ sums: Float64Array; workersUsed: number }> {
  const { x } = options;
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ??
    1;
  const wanted = Math.min(options.workers ?? cores, Math.floor(x.rows / (PARALLEL_MIN_ROWS / 2)));
  if (wanted <= 1 || x.rows < PARALLEL_MIN_ROWS) return { sums: inThread(trees, x), workersUsed: 0 };

  let url: string | null = null;
  const workers: Worker[] = [];
  try {
    url = URL.createObjectURL(new Blob([predictWorkerSource()], { type: "text/javascript" }));
    for (let k = 0; k < wanted; k++) {
      workers.push(new Worker(url, { type: "module", name: "scx-forest-predict" }));
    }
    const per = Math.ceil(x.rows / wanted);
    const parts = await Promise.all(
      workers.map((worker, k) =>
        new Promise<Float64Array>((resolve, reject) => {
          const start = Math.min(x.rows, k * per), end = Math.min(x.rows, start + per);
          worker.onmessage = (e: MessageEvent<Float64Array>) => resolve(e.data);
          worker.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            reject(new Error(e.message));
          };
          const rows = { rows: end - start, cols: x.cols, data: x.data.slice(start * x.cols, end * x.cols) };
          worker.postMessage({ trees, x: rows });
        })
      ),
    );
    const sums = new Float64Array(x.rows);
    let at = 0;
    for (const part of parts) {
      sums.set(part, at);
      at += part.length;
    }
    return { sums, workersUsed: workers.length };
  } catch {
    // Workers unavailable or failed: the same sums, computed here.
    return { sums: inThread(trees, x), workersUsed: 0 };
  } finally {
    for (const w of workers) w.terminate();
    if (url) URL.revokeObjectURL(url);
  }
}
