import assert from "node:assert/strict";
import {
  histogramCount,
  histogramQuantile,
  type LatencyHistogram,
  median,
  mergeHistograms,
} from "../../tools/bench_sched/percentiles.ts";

function hist(entries: [number, number][], overflow = 0, maxUs?: number): LatencyHistogram {
  return { buckets: new Map(entries), overflow, maxUs: maxUs ?? Math.max(0, ...entries.map((e) => e[0])) };
}

Deno.test("histogramQuantile takes the nearest rank: p50 of 1..100 is 50, p99 is 99", () => {
  const h = hist(Array.from({ length: 100 }, (_, i) => [i + 1, 1] as [number, number]));
  assert.equal(histogramQuantile(h, 0.5), 50);
  assert.equal(histogramQuantile(h, 0.99), 99);
  assert.equal(histogramQuantile(h, 1), 100);
});

Deno.test("histogramQuantile counts overflowed samples at the recorded maximum", () => {
  const h = hist([[10, 98]], 2, 750_000);
  assert.equal(histogramQuantile(h, 0.98), 10);
  assert.equal(histogramQuantile(h, 0.99), 750_000);
  assert.equal(histogramCount(h), 100);
});

Deno.test("histogramQuantile of an empty histogram is null", () => {
  assert.equal(histogramQuantile(hist([]), 0.5), null);
});

Deno.test("mergeHistograms adds counts per bucket and keeps the largest maximum", () => {
  const m = mergeHistograms([hist([[5, 1], [7, 2]], 1, 900), hist([[7, 3]], 0, 7)]);
  assert.deepEqual([...m.buckets].sort((a, b) => a[0] - b[0]), [[5, 1], [7, 5]]);
  assert.equal(m.overflow, 1);
  assert.equal(m.maxUs, 900);
});

Deno.test("median ignores nulls and averages the middle two of an even count", () => {
  assert.equal(median([3, null, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([null, Number.NaN]), null);
});
