import { strictEqual, throws } from "node:assert/strict";
import { meanAbsoluteError, r2Score } from "../lib/ml/metrics.ts";

Deno.test("R² is 1 - SS_res/SS_tot", () => {
  // mean 2, SS_tot 2, SS_res 0.25 + 0 + 0.25 = 0.5
  strictEqual(r2Score([1, 2, 3], [1.5, 2, 2.5]), 0.75);
  strictEqual(r2Score([1, 2, 3], [2, 2, 2]), 0);
});

Deno.test("R² of a constant truth is 1 when matched and 0 otherwise", () => {
  strictEqual(r2Score([4, 4], [4, 4]), 1);
  strictEqual(r2Score([4, 4], [4, 5]), 0);
});

Deno.test("MAE is the mean absolute difference", () => {
  strictEqual(meanAbsoluteError([1, 2, 3], [2, 2, 1]), 1);
});

Deno.test("scores of vectors of different lengths are an error", () => {
  throws(() => r2Score([1, 2], [1]), /equal, non-empty/);
  throws(() => meanAbsoluteError([], []), /equal, non-empty/);
});
