import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { matrixFromRows } from "../lib/ml/matrix.ts";
import { StandardScaler } from "../lib/ml/scaler.ts";

Deno.test("the scaler centres on the mean and divides by the population standard deviation", () => {
  const s = new StandardScaler().fit(matrixFromRows([[1, 10], [3, 10], [5, 10]]));
  deepStrictEqual(s.toJSON(), { mean: [3, 10], scale: [Math.sqrt(8 / 3), 1] });
  const t = s.transform(matrixFromRows([[3, 10], [5, 12]]));
  deepStrictEqual(Array.from(t.data), [0, 0, 2 / Math.sqrt(8 / 3), 2]);
});

Deno.test("a zero-variance feature keeps scale 1 and maps to 0 instead of NaN", () => {
  const t = new StandardScaler().fitTransform(matrixFromRows([[7], [7]]));
  deepStrictEqual(Array.from(t.data), [0, 0]);
});

Deno.test("a scaler loaded from JSON transforms exactly like the fitted one", () => {
  const x = matrixFromRows([[0.1, 2e6], [0.7, 3e6], [0.2, 9e6]]);
  const s = new StandardScaler().fit(x);
  const loaded = StandardScaler.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
  deepStrictEqual(loaded.transform(x), s.transform(x));
  strictEqual(loaded.transformValue(1, 3e6), s.transform(x).data[3]);
});

Deno.test("using a scaler before fit or on another width is an error", () => {
  throws(() => new StandardScaler().transform(matrixFromRows([[1]])), /before fit/);
  throws(
    () => new StandardScaler().fit(matrixFromRows([[1, 2]])).transform(matrixFromRows([[1]])),
    /2 features: got 1/,
  );
});

Deno.test("values whose sums overflow are refused instead of scaling everything to NaN", () => {
  throws(
    () => new StandardScaler().fit(matrixFromRows([[1, 1e308], [2, 1e308]])),
    /StandardScaler\.fit: feature 2 overflows \(mean Infinity/,
  );
  throws(() => new StandardScaler().fit(matrixFromRows([[-1e308], [1e308], [1e308]])), /feature 1 overflows/);
});

Deno.test("a loaded scaler must have finite means and finite positive scales", () => {
  strictEqual(StandardScaler.fromJSON({ mean: [1, 2], scale: [1, 3] }).nFeatures, 2);
  throws(
    () => StandardScaler.fromJSON({ mean: [1, 2], scale: [1, 0] }),
    /feature 2: expected a finite mean and a finite scale above 0/,
  );
  throws(() => StandardScaler.fromJSON({ mean: [NaN], scale: [1] }), /feature 1/);
  throws(() => StandardScaler.fromJSON({ mean: ["1"], scale: [1] } as never), /feature 1/);
  throws(() => StandardScaler.fromJSON({ mean: [1], scale: [1, 2] }), /equal length/);
});
