/**
 * Grow many trees on every core with Web Workers, or in this thread when workers are unavailable.
 *
 * Why a Blob URL: the worker's program is built as text from the source of `createRng` and of the
 * growing functions (tree.ts GROW_FUNCTIONS, which use nothing but each other), so it needs no worker
 * module file. That keeps working when the entry point is
 * bundled into one file by `deno bundle` or embedded by `deno compile`, where a
 * `new URL("./worker.ts", import.meta.url)` would point at a file that does not exist. If a worker
 * cannot be created or fails, its trees are grown in this thread instead, so fitting never fails for
 * lack of workers. Each tree has its own seed and a fixed slot, so the forest is identical whatever
 * the number of workers and whichever finishes first.
 *
 * @module
 */

import { createRng } from "./rng.ts";
import { type FlatTree, GROW_FUNCTIONS, growTree, type TreeData, type TreeParams } from "./tree.ts";

/** How the trees were actually grown (reported by the benchmark and the trainer). */
export interface GrowReport {
  /** Workers that grew at least one tree. */
  workersUsed: number;
  /** Trees grown in this thread (fallback or by request). */
  inThread: number;
  /** Why workers were not used, when they were not. */
  fallbackReason: string | null;
}

/** Options of {@linkcode growTrees}. */
export interface GrowOptions {
  /** Worker count; 0 or 1 grows every tree in this thread. Default: one per core. */
  workers?: number;
}

/**
 * The worker's whole program, as text (see the module doc for why): each function's own source, a
 * declaration under the name it has in this build (a bundler may rename them, consistently).
 */
export function workerSource(): string {
  return [
    createRng.toString(),
    ...GROW_FUNCTIONS.map((f) => f.toString()),
    `let data = null, params = null;`,
    `self.onmessage = (event) => {`,
    `  const msg = event.data;`,
    `  if (msg.kind === "init") { data = msg.data; params = msg.params; return; }`,
    `  const t = ${growTree.name}(data, { ...params, rng: ${createRng.name}(msg.seed) });`,
    `  const buffers = [t.feature, t.threshold, t.left, t.right, t.value, t.impurity, t.weightedSamples]`,
    `    .map((a) => a.buffer);`,
    `  self.postMessage({ kind: "tree", index: msg.index, tree: t }, buffers);`,
    `};`,
  ].join("\n");
}

function defaultWorkers(): number {
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency;
  return Math.max(1, cores ?? 1);
}

/**
 * Grow `seeds.length` trees on `data`, tree i from `seeds[i]`.
 *
 * @returns the trees in seed order and how they were grown.
 */
export async function growTrees(
  input: { data: TreeData; params: TreeParams; seeds: readonly number[] },
  options: GrowOptions = {},
): Promise<{ trees: FlatTree[]; report: GrowReport }> {
  const { data, params, seeds } = input;
  const trees: (FlatTree | undefined)[] = new Array(seeds.length);
  const wanted = Math.min(options.workers ?? defaultWorkers(), seeds.length);
  const report: GrowReport = { workersUsed: 0, inThread: 0, fallbackReason: null };
  const growHere = (i: number) => {
    trees[i] = growTree(data, { ...params, rng: createRng(seeds[i]) });
    report.inThread++;
  };
  if (wanted <= 1) {
    seeds.forEach((_, i) => growHere(i));
    return { trees: trees as FlatTree[], report };
  }

  const queue = seeds.map((_, i) => i);
  let url: string | null = null;
  const workers: Worker[] = [];
  try {
    url = URL.createObjectURL(new Blob([workerSource()], { type: "text/javascript" }));
    for (let k = 0; k < wanted; k++) workers.push(new Worker(url, { type: "module", name: "scx-forest" }));
  } catch (err) {
    report.fallbackReason = `cannot create a worker: ${err instanceof Error ? err.message : String(err)}`;
  }

  const busy = new Set<number>();
  await Promise.all(workers.map((worker) =>
    new Promise<void>((done) => {
      let current = -1, grew = false;
      const finish = () => {
        worker.terminate();
        if (grew) report.workersUsed++;
        done();
      };
      const next = () => {
        const i = queue.shift();
        if (i === undefined) return finish();
        current = i;
        busy.add(i);
        worker.postMessage({ kind: "grow", index: i, seed: seeds[i] });
      };
      worker.onmessage = (event: MessageEvent<{ index: number; tree: FlatTree }>) => {
        trees[event.data.index] = event.data.tree;
        busy.delete(event.data.index);
        grew = true;
        next();
      };
      worker.onerror = (event: ErrorEvent) => {
        // A failed worker hands its tree back; the others (or this thread, below) grow it.
        event.preventDefault();
        report.fallbackReason = `a worker failed: ${event.message}`;
        if (current >= 0 && busy.delete(current)) queue.push(current);
        finish();
      };
      worker.postMessage({ kind: "init", data, params });
      next();
    })
  ));
  if (url) URL.revokeObjectURL(url);
  for (let i = 0; i < seeds.length; i++) if (!trees[i]) growHere(i);
  return { trees: trees as FlatTree[], report };
}
