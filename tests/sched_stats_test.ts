import assert from "node:assert/strict";
import {
  bucketLowerNs,
  bucketUpperNs,
  formatStatsLine,
  helpStatsText,
  metricsBetween,
  parseProcStatCpu,
  quantileFromBuckets,
  STATS_FIELDS,
  zeroSnapshot,
} from "../lib/sched/stats.ts";
import { emptyThreadCounts } from "../lib/types.ts";

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

/** An interval with every figure non-zero: 2 s, 400 placements (75% direct), 50 migration tries. */
function busyInterval() {
  const a = zeroSnapshot(1000);
  const b = structuredClone(a);
  b.at_ms = 3000;
  b.counters.enqueues = 200n;
  b.counters.direct_dispatches = 300n;
  b.counters.dispatches = 100n;
  b.counters.mig_attempts = 50n;
  b.counters.mig_blocked = 5n;
  b.counters.mm_hint_tries = 10n;
  b.counters.mm_hint_hits = 4n;
  b.counters.preempt_kicks = 3000n;
  b.counters.input_events = 24n;
  b.hists.select_cpu = {
    buckets: [0n, 0n, 0n, 0n, 0n, 0n, 0n, 10n, 0n, 0n, 0n, 0n],
    sum_ns: 80_000n,
    count: 10n,
  };
  b.cpu = { busy: 93n, total: 100n };
  return metricsBetween(a, b);
}

Deno.test("the stats line is labelled in words: rates, game and its threads, cpu, limiter, cost", () => {
  const threads = { ...emptyThreadCounts(), input: 1, gpu_submit: 2, audio: 1 };
  const line = formatStatsLine(busyInterval(), {
    game: { name: "game.exe", tgid: 4242 },
    threads,
    samples: 12,
  });
  assert.match(line, /^placed 200\/s direct 75% enqueued 100\/s preempt 1\.5k\/s input 12\/s \| /);
  assert.match(line, / \| game game\.exe \(pid 4242\): input 1 gpu 2 audio 1 \| cpu 93% \| /);
  assert.match(line, / \| migrations blocked 10% mm hits 40% \| /);
  assert.match(
    line,
    / \| cost select_cpu 8\.0us enqueue 0ns dispatch 0ns, p99 \d+\.\dus 0ns 0ns \| samples 12$/,
  );
});

Deno.test("without a game the line says so, and parts not given are left out", () => {
  const idle = metricsBetween(zeroSnapshot(0), zeroSnapshot(1000));
  assert.match(formatStatsLine(idle, { game: null }), / \| game none \| cpu 0% /);
  const bare = formatStatsLine(idle);
  assert.doesNotMatch(bare, /game|samples/);
});

Deno.test("a game name from another process is escaped in the stats line", () => {
  const line = formatStatsLine(busyInterval(), { game: { name: "evil\x1b[2J\u009bname", tgid: 1 } });
  assert.match(line, /game evil\\x1b\[2J\\x9bname \(pid 1\)/);
  assert.ok(!line.includes("\x1b") && !line.includes("\u009b"), line);
});

Deno.test("--help-stats explains every label the stats line shows", () => {
  const help = helpStatsText();
  for (const f of STATS_FIELDS) assert.ok(help.includes(f.label) && help.includes(f.help), f.label);
  // Every word-label of a full line is one of the explained fields.
  const threads = { ...emptyThreadCounts(), input: 1 };
  const line = formatStatsLine(busyInterval(), { game: { name: "g", tgid: 9 }, threads, samples: 1 });
  const labels = new Set(STATS_FIELDS.flatMap((f) => f.label.split(" ")).filter((w) => /^[a-z_]+$/.test(w)));
  const words = line.replace(/game g \(pid 9\)/, "").match(/\b[a-z_]{2,}\b/g) ?? [];
  for (const w of words.filter((w) => !["us", "ns", "ms", "k"].includes(w))) {
    assert.ok(labels.has(w), `"${w}" is not explained by --help-stats`);
  }
});
