import assert from "node:assert/strict";
import { defaultConfig, sameConfig, TUNABLES } from "../lib/config.ts";
import {
  againstNeighbours,
  bestMeasured,
  judgePick,
  measure,
  measuredGains,
  neighbourNoise,
  normalQuantile,
} from "../lib/ml/evidence.ts";
import { createRng } from "../lib/ml/rng.ts";
import { formatEvidence, formatPickRank } from "../lib/ml/report.ts";
import { trainModel } from "../lib/ml/train.ts";
import { syntheticDataset } from "./fixtures/dataset.ts";

Deno.test("normalQuantile matches the standard normal table", () => {
  for (
    const [p, z] of [[0.5, 0], [0.975, 1.959964], [0.95, 1.644854], [0.001, -3.090232], [0.99999, 4.264891]]
  ) {
    assert.ok(Math.abs(normalQuantile(p) - z) < 1e-5, `${p}: ${normalQuantile(p)}`);
  }
});

Deno.test("measure: the noise of a mean from batch means; a drift between batches counts as noise", () => {
  assert.equal(measure([1, 2, 3, 4]), null, "fewer samples than batches");
  const flat = measure(Array(20).fill(3))!;
  assert.deepEqual([flat.samples, flat.mean, flat.se], [20, 3, 0]);
  // Alternating values average out within each batch of 4: no noise left in the batch means.
  assert.equal(measure(Array.from({ length: 20 }, (_, i) => i % 2))!.se, 0);
  // A slow drift (correlated samples) shows in the batch means, where an i.i.d. formula would shrink it.
  const drift = measure(Array.from({ length: 20 }, (_, i) => Math.floor(i / 4)))!;
  assert.ok(Math.abs(drift.se - Math.sqrt(2.5 / 5)) < 1e-12, `se ${drift.se}`);
});

/** Rows of 2 tunable columns (the first varies) + 1 workload column, 20 per config, y from `value`. */
function rows(configs: number[], value: (config: number, i: number) => number) {
  const data: number[] = [], y: number[] = [];
  const rng = createRng(3);
  for (const c of configs) {
    for (let i = 0; i < 20; i++) {
      data.push(c, 7, 42);
      y.push(value(c, i) + (rng.next() - 0.5) * 0.1);
    }
  }
  return {
    x: { rows: y.length, cols: 3, data: Float64Array.from(data) },
    y: Float64Array.from(y),
    tunables: 2,
  };
}

Deno.test("judgePick: a pick backed by its samples, one within the noise, and the cases that cannot be judged", () => {
  const clear = rows([1, 2, 3], (c) => (c === 2 ? 1 : 0));
  const judge = (
    d: ReturnType<typeof rows>,
    pick: number,
    defaults: number,
    direction: "max" | "min" = "max",
  ) => judgePick({ ...d, pick: [pick, 7], defaults: [defaults, 7], direction });
  const yes = judge(clear, 2, 1);
  assert.equal(yes.kind, "supported");
  assert.ok(yes.gain! > 0.9 && yes.margin! < 0.2, JSON.stringify(yes));
  assert.equal(yes.configs, 3);
  assert.deepEqual([...yes.measuredDefaults!], [1, 7]);
  assert.equal(judge(clear, 2, 1, "min").kind, "not_better", "lower is better: the pick is worse");
  assert.equal(judge(rows([1, 2, 3], () => 0), 2, 1).kind, "not_better", "noise only");
  assert.equal(judge(clear, 9, 1).kind, "pick_unmeasured");
  assert.equal(judge(clear, 2, 9).kind, "defaults_unmeasured");
  assert.equal(judge(clear, 1, 1).kind, "is_defaults");
  // A value the data never varied (the second column) does not tell configs apart.
  assert.equal(judgePick({ ...clear, pick: [2, 99], defaults: [1, 7], direction: "max" }).kind, "supported");
});

Deno.test("bestMeasured: of the forest's favourites, the one its own samples measured best", () => {
  const d = rows([1, 2, 3], (c) => [0, 5, 1, 3][c]);
  const best = (candidates: number[], direction: "max" | "min" = "max") =>
    bestMeasured({ ...d, candidates: candidates.map((c) => [c, 7]), defaults: [1, 7], direction });
  const r = best([3, 1, 9, 2]);
  assert.equal(r.index, 1, "config 1 averaged 5, above config 3's 3 and config 2's 1");
  assert.deepEqual(r.measured.map((m) => m && Math.round(m.mean)), [3, 5, null, 1], "9 never ran");
  // One window of the defaults: each gain is the plain difference from their mean (config 1's 5).
  assert.deepEqual(r.gains.map((g) => g === null ? null : Math.round(g)), [-2, 0, null, -4]);
  assert.equal(r.paired, false);
  assert.equal(best([3, 1, 2], "min").index, 2, "lower is better");
  assert.equal(best([3, 1]).index, 1);
  assert.equal(best([9, 8]).index, 0, "nothing measured: the forest's first");
  assert.equal(best([9, 3]).index, 1, "the forest's first never ran: the first that did");
  // Too few samples is not measured: config 4 ran 3 rows only.
  const short = rows([1], () => 0);
  const x = {
    ...short.x,
    rows: 23,
    data: Float64Array.from([...short.x.data, 4, 7, 42, 4, 7, 42, 4, 7, 42]),
  };
  const y = Float64Array.from([...short.y, 99, 99, 99]);
  const tooShort = bestMeasured({
    x,
    y,
    tunables: 2,
    candidates: [[1, 7], [4, 7]],
    defaults: [1, 7],
    direction: "max",
  });
  assert.equal(tooShort.index, 0);
});

Deno.test("the pick's line says when the samples moved it off the forest's first, and nothing otherwise", () => {
  const m = (mean: number) => ({ samples: 20, mean, se: 0.1 });
  const rank = (index: number, measured: ReturnType<typeof m>[], paired = false) => ({
    index,
    measured,
    gains: measured.map((x) => x === null ? null : x.mean - 6),
    paired,
  });
  assert.equal(formatPickRank(rank(0, [m(6), m(7)])), null);
  assert.equal(
    formatPickRank(rank(2, [m(6.08), null!, m(7.03), m(1)], true)),
    "Of the forest's 4 best configs, its 3rd measured best (7.03 over 20 samples, +1.03 over the defaults' " +
      "windows beside its own; its first 6.08 over 20 samples, +0.08): that one is the pick.",
  );
  assert.match(
    formatPickRank(rank(1, [null!, m(2)]))!,
    /its 2nd measured best \(2\.00 over 20 samples, -4\.00 over the defaults; its first never ran as a whole\)/,
  );
});

Deno.test("neighbourNoise: a window mean's noise from neighbouring windows, which a slow drift barely moves", () => {
  assert.equal(neighbourNoise([1, 2]), null, "two windows");
  // Differences 1, 1: half their mean square is 0.5.
  assert.equal(neighbourNoise([1, 2, 3]), Math.sqrt(0.5));
  // A steady drift of 1 per window is a spread of 1.58 around the mean, and 0.71 between neighbours.
  assert.equal(neighbourNoise([1, 2, 3, 4, 5]), Math.sqrt(0.5));
  // Windows that jump back and forth are noise whichever way it is counted.
  assert.equal(neighbourNoise([1, 3, 1, 3]), Math.sqrt(2));
});

Deno.test("againstNeighbours: each window against the defaults' windows just before and after it", () => {
  const w = (start: number, value: number, n = 5) => ({ start, values: Array(n).fill(value) });
  const defaults = [w(0, 1), w(20, 3), w(60, 5), w(80, 99, 2)];
  // At 10: 4 - (1 + 3) / 2 = 2. At 40: 4 - (3 + 5) / 2 = 0. The 2-row window at 80 is too short to count.
  const r = againstNeighbours([w(10, 4), w(40, 4)], defaults)!;
  assert.equal(r.difference, 1);
  // Each pick window weighs 1/2; the defaults at 0 and 60 weigh 1/4, the one at 20 (beside both) 1/2.
  assert.equal(r.weights, 0.25 + 0.25 + 0.0625 + 0.25 + 0.0625);
  // After the last reference there is one neighbour: 7 - 5.
  assert.deepEqual(againstNeighbours([w(90, 7)], defaults), { difference: 2, weights: 2 });
  assert.equal(againstNeighbours([w(10, 4, 3)], defaults), null, "the window is too short");
  assert.equal(againstNeighbours([w(10, 4)], [w(0, 1, 3)]), null, "no reference long enough");
});

Deno.test("bestMeasured: with the defaults in windows, a config that ran as the load rose does not win by it", () => {
  // Windows of 20 rows: defaults, config 2, defaults, config 3, defaults; the load lifts every window by
  // 0.5 more than the one before. Config 2 gains 0.5 over its neighbours, config 3 0.4, yet config 3's mean
  // is the higher (1.9 against 1.0), as it ran later.
  const d = rows([1, 2, 1, 3, 1], (c) => (c === 2 ? 0.5 : c === 3 ? 0.4 : 0));
  d.y.forEach((v, row) => d.y[row] = v + 0.5 * Math.floor(row / 20));
  const r = bestMeasured({ ...d, candidates: [[3, 7], [2, 7]], defaults: [1, 7], direction: "max" });
  assert.equal(r.paired, true);
  assert.equal(r.index, 1, JSON.stringify(r));
  assert.ok(r.measured[0]!.mean > r.measured[1]!.mean);
  assert.ok(Math.abs(r.gains[1]! - 0.5) < 0.05 && Math.abs(r.gains[0]! - 0.4) < 0.05, `${r.gains}`);
});

/**
 * A sweep's rows in file order: the defaults (config 1) in windows between the others, each window 20 rows
 * whose values wobble little inside it but whose mean moves by `drift[w]` from window to window.
 */
function sweepWithReferences(pickGain: number) {
  const order = [1, 2, 3, 1, 4, 5, 1, 6, 7, 1];
  const drift = [0, 0.6, -0.2, 0.5, -0.6, 0.7, -0.3, -0.4, 0.3, 0.2];
  const windowOf = (row: number) => Math.floor(row / 20);
  const d = rows(order, (c) => (c === 5 ? pickGain : 0));
  d.y.forEach((v, row) => d.y[row] = v + drift[windowOf(row)]);
  return d;
}

Deno.test("judgePick: with the defaults in several windows, the gain over the windows beside the pick must beat their noise", () => {
  const judge = (gain: number) => {
    const d = sweepWithReferences(gain);
    return judgePick({ ...d, pick: [5, 7], defaults: [1, 7], direction: "max" });
  };
  // The defaults' windows drift by 0, 0.5, -0.3, 0.2 and the pick's window by 0.7: with no gain of its own it
  // sits 0.6 above its neighbours' 0.5 and -0.3, far past the +-0.05 wobble inside a window that batch
  // means see, and within the noise between neighbouring windows (0.44 a window; 1.31 at 5% over 7 configs).
  const lucky = judge(0);
  assert.equal(lucky.defaultsWindows, 4);
  assert.equal(lucky.marginFrom, "windows");
  assert.equal(lucky.paired, true);
  assert.ok(
    Math.abs(lucky.gain! - 0.6) < 0.05 && Math.abs(lucky.margin! - 1.31) < 0.02,
    JSON.stringify(lucky),
  );
  assert.equal(lucky.kind, "not_better", JSON.stringify(lucky));
  const withinOnly = judgePick({
    ...rows([1, 5], (c) => (c === 5 ? 0.7 : 0)),
    pick: [5, 7],
    defaults: [1, 7],
    direction: "max",
  });
  assert.equal(withinOnly.kind, "supported", "a like gain, the defaults in one window: batch means only");
  assert.equal(withinOnly.marginFrom, "batches");
  assert.equal(withinOnly.paired, false);
  assert.equal(withinOnly.defaultsWindows, 1);
  // A gain well past the spread still counts.
  const real = judge(4);
  assert.equal(real.kind, "supported", JSON.stringify(real));
  assert.equal(real.marginFrom, "windows");
});

/** The mean objective of the rows of a trained scope that ran `slice_us`. */
function meanOf(r: Awaited<ReturnType<typeof trainModel>>, slice: number): number {
  const i = r.pickRank.measured.findIndex((_, k) => r.forestPick.top[k].config.slice_us === slice);
  return r.pickRank.measured[i]!.mean;
}

/** One game's rows: every tunable at its default but slice_us, swept over 250, 1000 (the default), 4000. */
function sweepLike(gain250: number, noiseSeed = 17) {
  const defaults = defaultConfig();
  return syntheticDataset({
    seed: 9,
    games: ["alpha"],
    perGame: 90,
    edit: (header, table) => {
      const rng = createRng(noiseSeed);
      table.forEach((r, i) => {
        for (const t of TUNABLES) r[header.indexOf(t.key)] = String(Number(defaults[t.key]));
        const slice = [250, 1000, 4000][Math.floor(i / 30)];
        r[header.indexOf("slice_us")] = String(slice);
        r[header.indexOf("score")] = String(50 + (slice === 250 ? gain250 : 0) + rng.next() * 4);
      });
    },
  });
}

Deno.test("training recommends the forest's pick only when its samples beat the defaults' beyond the noise", async () => {
  const fast = { forest: { nEstimators: 12 }, searchBudget: 2_000, grid: { slice_us: [250, 1000, 4000] } };
  const real = await trainModel(sweepLike(10), fast);
  assert.equal(real.evidence.kind, "supported");
  assert.equal(real.best.config.slice_us, 250);
  assert.equal(real.pickRank.measured.filter((m) => m !== null).length, 3, "the sweep ran all three");
  assert.deepEqual(real.toConfirm, [], "a backed pick leaves nothing to confirm");
  // Noise only; the pick is whichever of the three measured best, and it is not backed over the defaults.
  const moved: number[] = [], confirmed: number[] = [];
  const defaults = defaultConfig();
  for (const noiseSeed of [20, 21, 22]) {
    const noise = await trainModel(sweepLike(0, noiseSeed), fast);
    if (noise.pickRank.index > 0) moved.push(noiseSeed);
    const means = noise.pickRank.measured.map((m) => m?.mean ?? -Infinity);
    assert.equal(noise.pickRank.index, means.indexOf(Math.max(...means)));
    assert.equal(noise.forestPick.config, noise.forestPick.top[noise.pickRank.index].config);
    assert.notEqual(noise.evidence.kind, "supported", `seed ${noiseSeed}: ${JSON.stringify(noise.evidence)}`);
    assert.deepEqual(noise.best.config, defaultConfig(), "the defaults as measured are recommended");
    // Left to confirm: each config that measured above the defaults, best gain first, never the defaults.
    const above = [250, 4000]
      .map((slice) => ({ slice, gain: meanOf(noise, slice) - meanOf(noise, defaults.slice_us) }))
      .filter((c) => c.gain > 0)
      .sort((a, b) => b.gain - a.gain);
    assert.deepEqual(noise.toConfirm.map((c) => c.slice_us), above.map((c) => c.slice), `seed ${noiseSeed}`);
    assert.ok(noise.toConfirm.every((c) => sameConfig(c, { ...defaults, slice_us: c.slice_us })));
    confirmed.push(noise.toConfirm.length);
  }
  // With seeds 20 and 21 the forest's first (4000) measured worst of the three: the samples moved the pick.
  assert.deepEqual(moved, [20, 21]);
  assert.ok(confirmed.some((n) => n > 0), `some seed leaves a config to confirm: ${confirmed}`);
  const noise = await trainModel(sweepLike(0, 20), fast);
  assert.deepEqual(noise.best.interpolated, []);
  // The switches no sample varied are still named (kept as the samples ran them: the defaults here).
  assert.deepEqual(noise.best.unvaried, noise.forestPick.unvaried);
});

Deno.test("the verdict line says where the noise came from", () => {
  const base = {
    kind: "not_better" as const,
    pick: { samples: 20, mean: 6.3, se: 0.05 },
    defaults: { samples: 100, mean: 6.0, se: 0.05 },
    gain: 0.3,
    margin: 0.9,
    configs: 27,
    measuredDefaults: null,
  };
  const pick = { ...defaultConfig(), slice_us: 4000 };
  assert.match(
    formatEvidence({ ...base, defaultsWindows: 5, paired: true, marginFrom: "windows" }, pick),
    /the defaults 6\.00 over 100 samples; against the defaults' windows beside its own: \+0\.30, within the noise \(0\.90; 5% over 27 configs, from the differences between the defaults' 5 windows\)\. Recommended: the defaults as measured, not \(--slice-us 4000 /,
  );
  assert.match(
    formatEvidence({ ...base, defaultsWindows: 1, paired: false, marginFrom: "batches" }, pick),
    /the defaults 6\.00 over 100 samples: \+0\.30, within the noise \(0\.90; 5% over 27 configs, within windows: the defaults ran in 1 window\)/,
  );
  assert.match(
    formatEvidence({ ...base, defaultsWindows: 6, paired: true, marginFrom: "batches" }, pick),
    /\(0\.90; 5% over 27 configs, within windows, above the differences between the defaults' 6 windows\)/,
  );
});

Deno.test("measuredGains: every measured config but the defaults, with its gain as judgePick measures it", () => {
  const d = rows([1, 2, 3], (c) => [0, 5, 1, 3][c]);
  const plain = measuredGains({ ...d, defaults: [1, 7], direction: "max" });
  assert.deepEqual(plain.map((g) => [...g.values]), [[2, 7], [3, 7]]);
  assert.deepEqual(plain.map((g) => Math.round(g.gain)), [-4, -2], "one window of the defaults: the means");
  assert.deepEqual(
    measuredGains({ ...d, defaults: [1, 7], direction: "min" }).map((g) => Math.round(g.gain)),
    [4, 2],
  );
  assert.deepEqual(measuredGains({ ...d, defaults: [9, 7], direction: "max" }), [], "the defaults never ran");
  // The defaults in windows around each config, the load rising: gains against the windows beside each.
  const drift = rows([1, 2, 1, 3, 1], (c) => (c === 2 ? 0.5 : c === 3 ? 0.4 : 0));
  drift.y.forEach((v, row) => drift.y[row] = v + 0.5 * Math.floor(row / 20));
  const paired = measuredGains({ ...drift, defaults: [1, 7], direction: "max" });
  assert.ok(
    Math.abs(paired[0].gain - 0.5) < 0.05 && Math.abs(paired[1].gain - 0.4) < 0.05,
    `${paired.map((g) => g.gain)}`,
  );
});
