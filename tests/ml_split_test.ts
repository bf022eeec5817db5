import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { createRng } from "../lib/ml/rng.ts";
import { kFold, permutation, trainTestSplit } from "../lib/ml/split.ts";

Deno.test("5-fold CV test folds are disjoint, cover every row once and differ in size by at most one", () => {
  const n = 103;
  const folds = kFold(n, { rng: createRng(1), k: 5 });
  strictEqual(folds.length, 5);
  const seen = new Int32Array(n);
  for (const f of folds) for (const i of f.test) seen[i]++;
  ok(seen.every((c) => c === 1));
  const sizes = folds.map((f) => f.test.length);
  ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
});

Deno.test("each fold trains on exactly the rows outside its test fold", () => {
  for (const f of kFold(50, { rng: createRng(2) })) {
    const test = new Set(f.test);
    strictEqual(f.train.length + f.test.length, 50);
    ok(Array.from(f.train).every((i) => !test.has(i)));
  }
});

Deno.test("the 80/20 split holds out a fifth of the rows, disjoint from the training rows", () => {
  const { train, test } = trainTestSplit(100, { rng: createRng(3) });
  strictEqual(test.length, 20);
  strictEqual(train.length, 80);
  deepStrictEqual([...train, ...test].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("splits reproduce with the same seed and shuffle differently with another", () => {
  deepStrictEqual(kFold(40, { rng: createRng(4) }), kFold(40, { rng: createRng(4) }));
  ok(!permutation(40, createRng(4)).every((v, i) => v === permutation(40, createRng(5))[i]));
});

Deno.test("impossible splits are refused", () => {
  throws(() => kFold(3, { rng: createRng(0), k: 5 }), RangeError);
  throws(() => trainTestSplit(1, { rng: createRng(0) }), RangeError);
});
