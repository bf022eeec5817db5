import { ok, strictEqual } from "node:assert/strict";
import { permutationImportance } from "../lib/ml/importance.ts";
import type { Matrix } from "../lib/ml/matrix.ts";
import { createRng } from "../lib/ml/rng.ts";

// A known model: y = 3 * x0, x1 unused.
const model = { predict: (x: Matrix) => Float64Array.from({ length: x.rows }, (_, i) => 3 * x.data[i * 2]) };
const rng = createRng(1);
const rows = 200;
const data = new Float64Array(rows * 2).map(() => rng.next());
const x: Matrix = { rows, cols: 2, data };
const y = Float64Array.from({ length: rows }, (_, i) => 3 * data[i * 2]);

Deno.test("shuffling the feature the model uses costs R², shuffling an unused one costs nothing", () => {
  const imp = permutationImportance(model, { x, y }, { rng: createRng(2), repeats: 4 });
  strictEqual(imp.baseline, 1);
  ok(imp.mean[0] > 1, `drop ${imp.mean[0]}`); // about 2 for a uniform feature
  strictEqual(imp.mean[1], 0);
  strictEqual(imp.std[1], 0);
});

Deno.test("permutation importance leaves the caller's matrix unchanged", () => {
  const before = data.slice();
  permutationImportance(model, { x, y }, { rng: createRng(3) });
  ok(before.every((v, i) => v === data[i]));
});
