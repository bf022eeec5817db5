import assert from "node:assert/strict";
import {
  bucketLowerNs,
  bucketUpperNs,
  formatStatsLine,
  metricsBetween,
  parseProcStatCpu,
  quantileFromBuckets,
  zeroSnapshot,
} from "../lib/sched/stats.ts";

Deno.test("buckets are log2 from <100ns to >=102.4us", () => {
  assert.equal(bucketLowerNs(0), 0);
  assert.equal(bucketUpperNs(0), 100);
  assert.equal(bucketLowerNs(1), 100);
  assert.equal(bucketLowerNs(11), 102_400);
});

Deno.test("a quantile interpolates inside its bucket", () => {
  const b = Array(12).fill(0);
  b[1] = 10; // all in 100..200ns
  assert.equal(quantileFromBuckets(b, 0.5), 150);
  assert.equal(quantileFromBuckets(b, 1), 200);
  assert.equal(quantileFromBuckets(Array(12).fill(0), 0.99), 0);
});

Deno.test("p99 lands in the tail bucket when 1 in 50 calls is slow", () => {
  const b = Array(12).fill(0);
  b[2] = 98; // 200..400ns
  b[6] = 2; // 3.2..6.4us
  assert.ok(quantileFromBuckets(b, 0.5) < 400);
  const p99 = quantileFromBuckets(b, 0.99);
  assert.ok(p99 >= 3200 && p99 <= 6400, `p99 ${p99}`);
});

Deno.test("metrics are per-interval deltas, not cumulative totals", () => {
  const a = zeroSnapshot(1000);
  a.counters.enqueues = 1_000_000n; // a long history before the interval
  a.hists.select_cpu = {
    buckets: [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 1000n],
    sum_ns: 500_000_000n,
    count: 1000n,
  };
  const b = structuredClone(a);
  b.at_ms = 3000; // 2 s later
  b.counters.enqueues += 400n;
  b.counters.direct_dispatches = 300n;
  b.counters.dispatches = 100n;
  b.counters.mig_attempts = 50n;
  b.counters.mig_blocked = 5n;
  b.counters.mm_hint_tries = 10n;
  b.counters.mm_hint_hits = 4n;
  b.hists.select_cpu.buckets[2] += 10n;
  b.hists.select_cpu.sum_ns += 3000n;
  b.hists.select_cpu.count += 10n;
  b.cpu = { busy: 50n, total: 200n };
  const m = metricsBetween(a, b);
  assert.equal(m.interval_s, 2);
  assert.equal(m.enqueues_per_sec, 200);
  assert.equal(m.dispatches_per_sec, 200);
  assert.equal(m.direct_dispatch_rate, 0.75);
  assert.equal(m.migration_block_rate, 0.1);
  assert.equal(m.mm_hint_hit_rate, 0.4);
  assert.equal(m.latency.select_cpu.avg_ns, 300); // not the 500us history
  assert.equal(m.latency.select_cpu.count, 10);
  assert.equal(m.cpu_util_pct, 25);
});

Deno.test("rates of an idle interval are 0, not NaN", () => {
  const m = metricsBetween(zeroSnapshot(0), zeroSnapshot(1000));
  for (
    const v of [m.migration_block_rate, m.mm_hint_hit_rate, m.direct_dispatch_rate, m.latency.enqueue.avg_ns]
  ) {
    assert.equal(v, 0);
  }
});

Deno.test("/proc/stat's cpu line gives busy and total jiffies", () => {
  const text = "cpu  100 5 50 800 45 0 0 0 0 0\ncpu0 50 2 25 400 20 0 0 0 0 0\n";
  assert.deepEqual(parseProcStatCpu(text), { busy: 155n, total: 1000n });
  assert.throws(() => parseProcStatCpu("intr 1 2 3"), /no aggregate 'cpu' line/);
});

Deno.test("the stats line shows latency, rates and utilisation", () => {
  const line = formatStatsLine(metricsBetween(zeroSnapshot(0), zeroSnapshot(1000)), "game none");
  assert.match(line, /select_cpu 0ns p50 0ns p99 0ns/);
  assert.match(line, /direct 0% mm 0% migblk 0%/);
  assert.match(line, /game none$/);
});
