import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { TUNABLES } from "../lib/config.ts";
import { CandidateScorer } from "../lib/ml/candidate_scorer.ts";
import { columnMedians } from "../lib/ml/dataset.ts";
import { featureLayout } from "../lib/ml/features.ts";
import { RandomForestRegressor } from "../lib/ml/forest.ts";
import { createRng } from "../lib/ml/rng.ts";
import { StandardScaler } from "../lib/ml/scaler.ts";
import { syntheticDataset } from "./fixtures/dataset.ts";

const ds = syntheticDataset({ seed: 31, games: ["g"], perGame: 150 });
const layout = featureLayout(ds.featureNames);
const scaler = new StandardScaler().fit(ds.x);
const forest = new RandomForestRegressor({ nEstimators: 10, seed: 4 }).fitSync(scaler.transform(ds.x), ds.y);
const workload = columnMedians(ds.x);
const nd = TUNABLES.length;

/** `count` candidate rows: the training rows' own tunables (so every value is realistic). */
function candidates(count: number, seed: number): Float64Array {
  const rng = createRng(seed), raw = new Float64Array(count * nd);
  for (let k = 0; k < count; k++) {
    const r = rng.int(ds.x.rows);
    raw.set(ds.x.data.subarray(r * ds.x.cols, r * ds.x.cols + nd), k * nd);
  }
  return raw;
}

function direct(raw: Float64Array): number {
  const row = workload.slice();
  row.set(raw);
  return forest.predict(scaler.transform({ rows: 1, cols: row.length, data: row }))[0];
}

Deno.test("each elite's score is exactly the forest's prediction of that config on the workload", () => {
  const s = new CandidateScorer({ forest, scaler }, { layout, workload, sign: 1, keep: 6, cellCache: true });
  s.score(candidates(2000, 1), 2000);
  strictEqual(s.evaluated, 2000);
  strictEqual(s.elites.length, 6);
  for (const e of s.elites) strictEqual(e.score, direct(e.raw));
});

Deno.test("the cell cache walks fewer candidates and keeps exactly the same elites", () => {
  const raw = candidates(3000, 2);
  const cached = new CandidateScorer({ forest, scaler }, {
    layout,
    workload,
    sign: 1,
    keep: 8,
    cellCache: true,
  });
  const plain = new CandidateScorer({ forest, scaler }, {
    layout,
    workload,
    sign: 1,
    keep: 8,
    cellCache: false,
  });
  cached.score(raw, 3000);
  plain.score(raw, 3000);
  deepStrictEqual(cached.elites, plain.elites);
  strictEqual(plain.walked, 3000);
  ok(cached.walked < 3000, `walked ${cached.walked}`);
});

Deno.test("elites are distinct, best first; sign -1 keeps the lowest predictions", () => {
  const raw = candidates(1000, 3);
  const hi = new CandidateScorer({ forest, scaler }, { layout, workload, sign: 1, keep: 5, cellCache: true });
  const lo = new CandidateScorer({ forest, scaler }, {
    layout,
    workload,
    sign: -1,
    keep: 5,
    cellCache: true,
  });
  hi.score(raw, 1000);
  lo.score(raw, 1000);
  const keys = hi.elites.map((e) => e.raw.join());
  strictEqual(new Set(keys).size, 5);
  for (const s of [hi, lo]) for (let i = 1; i < 5; i++) ok(s.elites[i - 1].score >= s.elites[i].score);
  ok(-lo.elites[0].score < hi.elites[4].score, "the lowest prediction is below the fifth highest");
  for (const e of lo.elites) strictEqual(-e.score, direct(e.raw));
});

Deno.test("ties keep the candidate found first, and a repeated candidate is kept once", () => {
  // slice_lag_us never varies in the data, so no tree splits on it: 20000 and 20001 tie exactly.
  const a = candidates(1, 4), b = a.slice();
  b[TUNABLES.findIndex((t) => t.key === "slice_lag_us")] = 20001;
  const raw = new Float64Array(3 * nd);
  raw.set(b, 0);
  raw.set(a, nd);
  raw.set(b, 2 * nd);
  const s = new CandidateScorer({ forest, scaler }, { layout, workload, sign: 1, keep: 3, cellCache: false });
  s.score(raw, 3);
  strictEqual(s.elites.length, 2);
  deepStrictEqual(s.elites.map((e) => Array.from(e.raw)), [Array.from(b), Array.from(a)]);
  strictEqual(s.elites[0].score, s.elites[1].score);
});

Deno.test("a candidate whose prediction is not finite never becomes an elite", () => {
  const nan = {
    trees: forest.trees.map((t) => ({ ...t, value: t.value.map(() => NaN) })),
  } as unknown as RandomForestRegressor;
  const s = new CandidateScorer({ forest: nan, scaler }, {
    layout,
    workload,
    sign: 1,
    keep: 3,
    cellCache: true,
  });
  s.score(candidates(50, 5), 50);
  deepStrictEqual([s.evaluated, s.elites.length], [50, 0]);
});
