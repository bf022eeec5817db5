import { deepStrictEqual, notDeepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { abCompare, bootstrapMeans, quantile } from "../lib/ml/ab.ts";
import { createRng, type Rng } from "../lib/ml/rng.ts";
import { normal } from "../tools/bench_forest/synthetic.ts";

/** Interleaved windows: a scene level shared by each pair, B shifted by `shift`, window noise `sd`. */
function windows(rng: Rng, n: number, o: { shift: number; sd: number; scene: number }) {
  const a: number[] = [], b: number[] = [];
  for (let i = 0; i < n; i++) {
    const level = 100 + o.scene * normal(rng);
    a.push(level + o.sd * normal(rng));
    b.push(level + o.shift + o.sd * normal(rng));
  }
  return { a, b };
}

Deno.test("every pair moving by the same amount gives that difference with a zero-width interval", () => {
  const r = abCompare({ a: [10, 12, 11, 13], b: [11, 13, 12, 14] }, { rng: createRng(0) });
  deepStrictEqual([r.difference, r.low, r.high, r.pairs, r.meanA, r.meanB], [1, 1, 1, 4, 11.5, 12.5]);
  ok(r.method.startsWith("paired bootstrap, 95% percentile interval"), r.method);
});

Deno.test("a real shift is found and its interval excludes zero; swapping A and B flips the sign", () => {
  const w = windows(createRng(1), 40, { shift: 1, sd: 0.5, scene: 0 });
  const r = abCompare(w, { rng: createRng(2) });
  ok(r.low > 0 && r.low < 1 && r.high > 1, `[${r.low}, ${r.high}]`);
  const s = abCompare({ a: w.b, b: w.a }, { rng: createRng(2) });
  ok(Math.abs(s.difference + r.difference) < 1e-12 && s.high < 0);
});

Deno.test("pairing cancels scene changes shared by a pair of windows", () => {
  // Scenes move the level by ~50 between pairs; the config's effect is 0.5 with noise 0.2.
  const w = windows(createRng(3), 20, { shift: 0.5, sd: 0.2, scene: 50 });
  const r = abCompare(w, { rng: createRng(4) });
  ok(r.low > 0.2 && r.high < 0.8, `[${r.low}, ${r.high}]`);
});

Deno.test("with no effect, the 95% interval excludes zero in about 5% of experiments", () => {
  const rng = createRng(5);
  let misses = 0;
  const runs = 300;
  for (let k = 0; k < runs; k++) {
    const r = abCompare(windows(rng, 20, { shift: 0, sd: 1, scene: 10 }), { rng, resamples: 500 });
    if (r.low > 0 || r.high < 0) misses++;
  }
  // Percentile intervals run a little narrow with 20 pairs: between 2% and 12% is the expected band.
  ok(misses >= 0.02 * runs && misses <= 0.12 * runs, `${misses} of ${runs}`);
});

Deno.test("the same seed gives the same interval; another seed a slightly different one", () => {
  const w = windows(createRng(6), 12, { shift: 0.3, sd: 1, scene: 0 });
  const a = abCompare(w, { rng: createRng(7) }), b = abCompare(w, { rng: createRng(7) });
  deepStrictEqual(a, b);
  notDeepStrictEqual([a.low, a.high], [abCompare(w, { rng: createRng(8) }).low, a.high]);
});

Deno.test("unequal lengths, fewer than 3 pairs, a non-finite window and a bad confidence are errors", () => {
  const rng = createRng(0);
  throws(() => abCompare({ a: [1, 2, 3], b: [1, 2] }, { rng }), /3 windows of A and 2 of B/);
  throws(() => abCompare({ a: [1, 2], b: [1, 2] }, { rng }), /at least 3 are needed/);
  throws(() => abCompare({ a: [1, NaN, 3], b: [1, 2, 3] }, { rng }), /window 2 is NaN/);
  throws(() => abCompare({ a: [1, 2, 3], b: [1, 2, 3] }, { rng, confidence: 1 }), /confidence 1/);
});

Deno.test("quantiles interpolate between ranks; bootstrap means of a constant are that constant", () => {
  strictEqual(quantile(Float64Array.of(0, 10), 0.25), 2.5);
  strictEqual(quantile(Float64Array.of(1, 2, 3), 0.5), 2);
  deepStrictEqual(Array.from(bootstrapMeans([4, 4, 4], { rng: createRng(1), resamples: 3 })), [4, 4, 4]);
});
