import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { columnsOf } from "../lib/ml/matrix.ts";
import { createRng } from "../lib/ml/rng.ts";
import { friedman1 } from "../tools/bench_forest/synthetic.ts";
import { GROW_FUNCTIONS, growTree, presortColumns, type TreeParams } from "../lib/ml/tree.ts";
import { growTrees, workerSource } from "../lib/ml/tree_workers.ts";

const { x, y } = friedman1(300, { rng: createRng(21) });
const columns = columnsOf(x);
const data = { nRows: x.rows, nFeatures: x.cols, columns, y, order: presortColumns(columns) };
const params: TreeParams = {
  maxDepth: 1e9,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 10,
  bootstrap: true,
  splitter: "presort",
};
const seeds = [5, 6, 7, 8, 9];
const expected = seeds.map((s) => growTree(data, { ...params, rng: createRng(s) }));

Deno.test("workers grow tree i from seed i, identical to growing it in this thread", async () => {
  const { trees, report } = await growTrees({ data, params, seeds }, { workers: 2 });
  deepStrictEqual(trees, expected);
  strictEqual(report.workersUsed, 2);
  strictEqual(report.fallbackReason, null);
});

Deno.test("when no worker can be created every tree is grown in this thread, with the reason reported", async () => {
  const real = globalThis.Worker;
  // deno-lint-ignore no-explicit-any
  (globalThis as any).Worker = class {
    constructor() {
      throw new Error("workers disabled for this test");
    }
  };
  try {
    const { trees, report } = await growTrees({ data, params, seeds }, { workers: 2 });
    deepStrictEqual(trees, expected);
    strictEqual(report.inThread, seeds.length);
    ok(report.fallbackReason?.includes("workers disabled for this test"));
  } finally {
    globalThis.Worker = real;
  }
});

Deno.test("a worker that fails hands its tree back and every tree is still grown", async () => {
  const real = globalThis.Worker;
  // A stand-in worker that accepts the job and then reports an error, as a crashed worker would.
  class FailingWorker {
    onmessage: ((e: MessageEvent) => void) | null = null;
    onerror: ((e: ErrorEvent) => void) | null = null;
    postMessage(msg: { kind: string }): void {
      if (msg.kind !== "grow") return;
      setTimeout(() => this.onerror?.(new ErrorEvent("error", { message: "simulated crash" })), 0);
    }
    terminate(): void {}
  }
  // deno-lint-ignore no-explicit-any
  (globalThis as any).Worker = FailingWorker;
  try {
    const { trees, report } = await growTrees({ data, params, seeds }, { workers: 2 });
    deepStrictEqual(trees, expected);
    strictEqual(report.workersUsed, 0);
    strictEqual(report.inThread, seeds.length);
    ok(report.fallbackReason?.includes("simulated crash"));
  } finally {
    globalThis.Worker = real;
  }
});

Deno.test("the worker program is self-contained text declaring createRng and every growing function", () => {
  const src = workerSource();
  ok(src.startsWith("function createRng("), src.slice(0, 40));
  for (const f of GROW_FUNCTIONS) ok(src.includes(`function ${f.name}(`), f.name);
  ok(!src.includes("import "));
  // It runs on its own: evaluated with no module scope, it grows the same tree as this thread.
  const grow = new Function("self", `${src}\nreturn ${growTree.name};`)({}) as typeof growTree;
  deepStrictEqual(grow({ ...data, order: null }, { ...params, rng: createRng(5) }), expected[0]);
});
