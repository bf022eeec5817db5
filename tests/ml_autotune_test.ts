import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { autotuneDecision, gridNeighbours, nextCandidates } from "../lib/ml/autotune.ts";
import { columnMedians, distinctColumnValues } from "../lib/ml/dataset.ts";
import { featureLayout } from "../lib/ml/features.ts";
import { RandomForestRegressor } from "../lib/ml/forest.ts";
import { createRng } from "../lib/ml/rng.ts";
import { StandardScaler } from "../lib/ml/scaler.ts";
import { normal } from "../tools/bench_forest/synthetic.ts";
import { syntheticDataset } from "./fixtures/dataset.ts";

/** Interleaved windows of the incumbent and a candidate `gain` better, with window noise `sd` and scenes. */
function round(seed: number, n: number, o: { gain: number; sd: number; scene?: number }) {
  const rng = createRng(seed);
  const incumbent: number[] = [], candidate: number[] = [];
  for (let i = 0; i < n; i++) {
    const level = 60 + (o.scene ?? 0) * normal(rng);
    incumbent.push(level + o.sd * normal(rng));
    candidate.push(level + o.gain + o.sd * normal(rng));
  }
  return { incumbent, candidate };
}

Deno.test("a gain well above the incumbent's window-to-window noise is kept", () => {
  const d = autotuneDecision({ ...round(1, 10, { gain: 3, sd: 0.5 }), direction: "max" }, {
    rng: createRng(1),
  });
  ok(d.keep, d.reason);
  ok(d.gain > d.noise && d.low > 0, JSON.stringify(d));
  strictEqual(d.pairs, 10);
  ok(d.reason.includes("exceeds the incumbent's noise"), d.reason);
});

Deno.test("a gain within the incumbent's noise is not kept", () => {
  const d = autotuneDecision({ ...round(2, 10, { gain: 0.3, sd: 3 }), direction: "max" }, {
    rng: createRng(2),
  });
  ok(!d.keep, d.reason);
  ok(/within the incumbent's noise|not significant/.test(d.reason), d.reason);
});

Deno.test("no candidate is kept more often than the confidence allows when it is no better", () => {
  let kept = 0;
  for (let seed = 0; seed < 100; seed++) {
    const w = round(100 + seed, 8, { gain: 0, sd: 1, scene: 5 });
    if (autotuneDecision({ ...w, direction: "max" }, { rng: createRng(seed), resamples: 400 }).keep) kept++;
  }
  ok(kept <= 8, `${kept} of 100 equal candidates kept`);
});

Deno.test("for an objective to minimise, lower is the gain", () => {
  const w = round(3, 10, { gain: -2, sd: 0.3 }); // frame times 2 ms lower
  ok(autotuneDecision({ ...w, direction: "min" }, { rng: createRng(3) }).keep);
  ok(!autotuneDecision({ ...w, direction: "max" }, { rng: createRng(3) }).keep);
});

Deno.test("the incumbent may have one more window; too few pairs or a bad window are errors", () => {
  const w = round(4, 6, { gain: 3, sd: 0.5 });
  const d = autotuneDecision({ incumbent: [...w.incumbent, 60], candidate: w.candidate, direction: "max" }, {
    rng: createRng(4),
  });
  strictEqual(d.pairs, 6);
  throws(
    () => autotuneDecision({ incumbent: [1, 2], candidate: [1, 2], direction: "max" }, { rng: createRng(0) }),
    /candidate: 2 windows: at least 3/,
  );
  throws(
    () =>
      autotuneDecision({ incumbent: [1, 2], candidate: [1, 2, 3], direction: "max" }, { rng: createRng(0) }),
    /incumbent: 2 windows: at least 3/,
  );
  throws(
    () =>
      autotuneDecision({ incumbent: [1, 2, 3], candidate: [1, Infinity, 3], direction: "max" }, {
        rng: createRng(0),
      }),
    /window 2 is Infinity/,
  );
});

const GRID = { slice_us: [5, 10, 15, 20], input_window_us: [1000, 2000, 3000], mig_max: [1, 3, 5] };
const key = (c: object) => JSON.stringify(TUNABLES.map((t) => (c as Record<string, unknown>)[t.key]));

Deno.test("grid neighbours move one tunable to the next grid value on either side", () => {
  const incumbent = { ...defaultConfig(), slice_us: 10 }; // slice 10, window 2000, mig_max 3
  const got = gridNeighbours(incumbent, { grid: GRID, rng: createRng(1) }).map((
    c,
  ) => [c.slice_us, c.input_window_us, c.mig_max]);
  deepStrictEqual(
    got.map((v) => v.join()).sort(),
    ["10,1000,3", "10,2000,1", "10,2000,5", "10,3000,3", "15,2000,3", "5,2000,3"],
  );
  const off = gridNeighbours({ ...incumbent, slice_us: 12 }, {
    grid: { slice_us: [5, 10, 15] },
    rng: createRng(1),
  });
  deepStrictEqual(off.map((c) => c.slice_us).sort(), [10, 15]);
});

Deno.test("without a forest the next candidates are grid neighbours, never the incumbent or one tried", () => {
  const incumbent = { ...defaultConfig(), slice_us: 10 };
  const tried = [{ ...incumbent, slice_us: 5 }];
  const got = nextCandidates({ incumbent, tried, grid: GRID }, { rng: createRng(2), count: 10 });
  strictEqual(got.length, 5);
  ok(got.every((c) => c.source === "grid" && c.predicted === null));
  ok(!got.some((c) => key(c.config) === key(incumbent) || key(c.config) === key(tried[0])));
  deepStrictEqual(
    nextCandidates({ incumbent, tried, grid: GRID }, { rng: createRng(2), count: 10 }),
    got,
    "the same seed proposes the same configs",
  );
});

const ds = syntheticDataset({ seed: 9, games: ["g"], perGame: 120 });
const layout = featureLayout(ds.featureNames);
const scaler = new StandardScaler().fit(ds.x);
const forest = new RandomForestRegressor({ nEstimators: 15, seed: 2 }).fitSync(scaler.transform(ds.x), ds.y);
const searchInput = {
  layout,
  workload: columnMedians(ds.x),
  measured: distinctColumnValues(ds.x),
};

Deno.test("with a forest trained on enough samples, candidates come from its best predictions first", () => {
  const incumbent = defaultConfig();
  const model = { forest, scaler };
  const got = nextCandidates(
    { incumbent, grid: GRID, forest: { model, input: searchInput, samples: 120, direction: "max" } },
    { rng: createRng(3), count: 4, budget: 3000 },
  );
  strictEqual(got.length, 4);
  ok(got.every((c) => c.source === "forest" && c.predicted !== null));
  for (let i = 1; i < got.length; i++) ok(got[i - 1].predicted! >= got[i].predicted!);
  strictEqual(new Set(got.map((c) => key(c.config))).size, 4);
  const few = nextCandidates(
    { incumbent, grid: GRID, forest: { model, input: searchInput, samples: 12, direction: "max" } },
    { rng: createRng(3), count: 4 },
  );
  ok(few.every((c) => c.source === "grid"), "12 samples are too few to trust the forest");
});
