import { deepStrictEqual, throws } from "node:assert/strict";
import { columnsOf, matrixFromRows, selectRows, selectValues, ShapeError } from "../lib/ml/matrix.ts";

Deno.test("a matrix is row-major and its columns come out feature by feature", () => {
  const m = matrixFromRows([[1, 2], [3, 4], [5, 6]]);
  deepStrictEqual(Array.from(m.data), [1, 2, 3, 4, 5, 6]);
  deepStrictEqual(columnsOf(m).map((c) => Array.from(c)), [[1, 3, 5], [2, 4, 6]]);
});

Deno.test("selecting rows copies them in the order asked", () => {
  const m = matrixFromRows([[1, 2], [3, 4], [5, 6]]);
  deepStrictEqual(Array.from(selectRows(m, [2, 0]).data), [5, 6, 1, 2]);
  deepStrictEqual(Array.from(selectValues(Float64Array.of(7, 8, 9), [1, 1])), [8, 8]);
});

Deno.test("ragged rows are refused with the row named", () => {
  throws(
    () => matrixFromRows([[1, 2], [3]]),
    (e: Error) => e instanceof ShapeError && /row 2 has 1 values/.test(e.message),
  );
});
