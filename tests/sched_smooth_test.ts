// The smoothness summary's math, and the BPF side's bucket functions (bpf/buckets.h, run through
// tests/bpf/buckets.bpf.c as built by `deno task bpf`; loading it needs root) against the bounds the
// summary assumes.
import assert from "node:assert/strict";
import { smoothScore } from "../lib/score.ts";
import { BpfObject } from "../lib/bpf/object.ts";
import {
  latBucketBounds,
  paceBucketBounds,
  smoothBetween,
  type SmoothSnapshot,
  zeroSmooth,
} from "../lib/sched/smooth.ts";
import { LAT_BUCKETS, PACE_BUCKETS, POLICY_VERSION } from "../lib/sched/intf.ts";
import { THREAD_CLASSES } from "../lib/types.ts";

/** Values the test object takes at once (NR_VALUES in tests/bpf/buckets.bpf.c). */
const NR_VALUES = 32;
const BUCKETS_OBJECT = new URL("../.cache/bpf/buckets.bpf.o", import.meta.url);

/** Run bpf/buckets.h's lat_bucket() and pace_bucket() on up to 32 values, in the kernel. */
function bpfBuckets(values: readonly number[]): { lat: number[]; pace: number[] } {
  assert.ok(values.length <= NR_VALUES);
  const obj = BpfObject.open(Deno.readFileSync(BUCKETS_OBJECT), { name: "buckets" });
  try {
    obj.load();
    const input = obj.globalBytes("values_ns");
    const inView = new DataView(input.buffer, input.byteOffset, input.byteLength);
    values.forEach((v, i) => inView.setBigUint64(i * 8, BigInt(v), true));
    assert.equal(obj.program("buckets").testRun(new Uint8Array(8)), 0);
    const read = (name: string) => {
      const b = obj.globalBytes(name);
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      return values.map((_, i) => v.getUint32(i * 4, true));
    };
    return { lat: read("lat_out"), pace: read("pace_out") };
  } finally {
    obj.close();
  }
}

/** A wake-up latency tail, ns. */
const TAIL = [4_200_000, 4_300_000, 4_400_000, 4_600_000];
const SAMPLES = [
  0,
  500,
  1023,
  1024,
  1500,
  2048,
  99_999,
  131_071,
  131_072,
  150_000,
  1_000_000,
  6_944_444,
  6_944_445,
  16_666_667,
  20_833_333,
  33_333_333,
  100_000_000,
  123_456_789,
  536_870_911,
  536_870_912,
  4_294_967_296,
  2 ** 40,
  30_000,
  500_000,
  3_000_000,
  50_000_000,
  200_000,
  ...TAIL,
];
const kernel = bpfBuckets(SAMPLES);
const latBucket = (ns: number) => kernel.lat[SAMPLES.indexOf(ns)];
const paceBucket = (ns: number) => kernel.pace[SAMPLES.indexOf(ns)];

const CLASS = (name: string) => THREAD_CLASSES.indexOf(name as (typeof THREAD_CLASSES)[number]);

function withLatency(s: SmoothSnapshot, cls: string, ns: number, n = 1): void {
  const h = s.lat[CLASS(cls)];
  h.buckets[latBucket(ns)] += BigInt(n);
  h.count += BigInt(n);
  h.sum_ns += BigInt(ns * n);
}

function withPace(s: SmoothSnapshot, ns: number, n = 1, hist: "pace" | "starts" = "pace"): void {
  s[hist].buckets[paceBucket(ns)] += BigInt(n);
  s[hist].count += BigInt(n);
  s[hist].sum_ns += BigInt(ns * n);
}

Deno.test("latency buckets are 8 per octave from 1.024us and contiguous; the kernel's bucket holds the value", () => {
  for (let i = 0; i + 1 < LAT_BUCKETS; i++) assert.equal(latBucketBounds(i)[1], latBucketBounds(i + 1)[0]);
  assert.deepEqual(latBucketBounds(0), [1024, 1024 + 128]);
  assert.equal(latBucketBounds(LAT_BUCKETS - 1)[1], 2 ** 32, "22 octaves: up to 4.3 s");
  for (const ns of SAMPLES) {
    const b = latBucket(ns);
    const [lo, hi] = latBucketBounds(b);
    if (b === 0) assert.ok(ns < hi, `${ns} in the first bucket`);
    else if (b === LAT_BUCKETS - 1) assert.ok(ns >= lo, `${ns} in the last bucket`);
    else {
      assert.ok(ns >= lo && ns < hi, `${ns} in bucket ${b} [${lo}, ${hi})`);
      assert.ok((hi - lo) / lo <= 0.125 + 1e-9, "resolution within 12.5 %");
    }
  }
});

Deno.test("a p99 in a tail of 4.2-4.6 ms reads within 12.5% of it (one bucket per octave read 7.3 ms)", () => {
  // 96% of wake-ups at 0.2 ms, 4% spread over 4.2-4.6 ms: the p99 (nearest rank) is 4.4 ms.
  const s = zeroSmooth(0), e = zeroSmooth(1000);
  withLatency(e, "input", 200_000, 960);
  for (const ns of TAIL) withLatency(e, "input", ns, 10);
  const p99 = smoothBetween(s, e).latency.input!.p99_ns;
  assert.ok(Math.abs(p99 - 4_400_000) / 4_400_000 < 0.125, `p99 ${p99}`);
});

Deno.test("pacing buckets are 8 per octave and contiguous; the kernel's bucket holds the value", () => {
  for (let i = 0; i + 1 < PACE_BUCKETS; i++) assert.equal(paceBucketBounds(i)[1], paceBucketBounds(i + 1)[0]);
  assert.deepEqual(paceBucketBounds(0), [131_072, 131_072 + 16_384]);
  for (const ns of SAMPLES) {
    const b = paceBucket(ns);
    const [lo, hi] = paceBucketBounds(b);
    if (b === 0) assert.ok(ns < hi, `${ns} in the first bucket`);
    else if (b === PACE_BUCKETS - 1) assert.ok(ns >= lo, `${ns} in the last bucket`);
    else {
      assert.ok(ns >= lo && ns < hi, `${ns} in bucket ${b} [${lo}, ${hi})`);
      assert.ok((hi - lo) / lo <= 0.125 + 1e-9, "resolution within 12.5 %");
    }
  }
  assert.ok(paceBucket(6_944_444) > 0 && paceBucket(6_944_444) < PACE_BUCKETS - 1, "144 Hz is resolved");
});

Deno.test("per-class latency is the interval's delta: history before it does not count", () => {
  const a = zeroSmooth(0);
  withLatency(a, "input", 50_000_000, 1000); // a bad past
  const b = structuredClone(a);
  b.at_ms = 2000;
  withLatency(b, "input", 30_000, 99);
  withLatency(b, "input", 3_000_000, 1);
  withLatency(b, "game", 500_000, 10);
  const s = smoothBetween(a, b);
  assert.equal(s.interval_s, 2);
  assert.equal(s.policy_version, POLICY_VERSION);
  assert.equal(s.latency.input!.count, 100);
  assert.ok(
    s.latency.input!.p50_ns >= 16_384 && s.latency.input!.p50_ns < 32_768,
    `${s.latency.input!.p50_ns}`,
  );
  assert.ok(s.latency.input!.p99_ns < 65_536, "99 of 100 fast wake-ups keep p99 in their bucket");
  assert.equal(s.latency.game!.count, 10);
  assert.equal(s.latency.audio, undefined, "classes that did not wake are absent");
  assert.equal(s.all.count, 110);
  assert.ok(Math.abs(s.all.avg_ns - (99 * 30_000 + 3_000_000 + 10 * 500_000) / 110) < 1e-6);
});

Deno.test("the wait behind non-game work is a share of all the waiting, per second of interval", () => {
  const a = zeroSmooth(1000);
  const b = zeroSmooth(3000);
  b.waits = 400n;
  b.wait_ns = 200_000_000n; // 200 ms of waiting in 2 s
  b.wait_behind_other_ns = 50_000_000n;
  const s = smoothBetween(a, b);
  assert.equal(s.wait_ms_per_s, 100);
  assert.equal(s.wait_share_behind_other, 0.25);
  assert.equal(smoothBetween(a, zeroSmooth(2000)).wait_share_behind_other, 0, "no waits: 0, not NaN");
});

Deno.test("even frame pacing has a spread near 1; one long interval in fifty shows in p99", () => {
  const even = zeroSmooth(1000);
  withPace(even, 6_944_444, 144);
  const s = smoothBetween(zeroSmooth(0), even);
  assert.ok(s.pacing);
  assert.equal(s.pacing.count, 144);
  assert.ok(Math.abs(s.pacing.median_ns - 6_944_444) / 6_944_444 < 0.07, `${s.pacing.median_ns}`);
  assert.ok(s.pacing.spread >= 1 && s.pacing.spread < 1.1, `${s.pacing.spread}`);
  const hitched = zeroSmooth(1000);
  withPace(hitched, 6_944_444, 98);
  withPace(hitched, 20_833_333, 2);
  const h = smoothBetween(zeroSmooth(0), hitched);
  assert.ok(h.pacing!.spread > 2.5, `${h.pacing!.spread}`);
});

Deno.test("pacing reads frame starts when there are 20 a second, else every wake-up", () => {
  // 60 fps, the render thread woken again by its jobs in each frame: its wake-ups mix 4.2 ms hand-offs in.
  const twice = zeroSmooth(1000);
  withPace(twice, 4_200_000, 60);
  withPace(twice, 16_666_667, 60);
  withPace(twice, 16_666_667, 59, "starts");
  withPace(twice, 33_333_333, 1, "starts"); // one late frame
  const s = smoothBetween(zeroSmooth(0), twice).pacing!;
  assert.equal(s.from, "starts");
  assert.equal(s.count, 60);
  assert.ok(Math.abs(s.median_ns - 16_666_667) / 16_666_667 < 0.07, `${s.median_ns}`);
  assert.ok(s.spread > 1.5, `one frame in 60 twice as long: ${s.spread}`);
  assert.ok(Math.abs(s.late_share! - 1 / 60) < 1e-9, `late share ${s.late_share}`);
  // Woken by the game's main thread every frame, a stray timer's wake-up twice in the second: all wake-ups.
  const handed = zeroSmooth(1000);
  withPace(handed, 16_666_667, 60);
  withPace(handed, 536_870_911, 2, "starts");
  const h = smoothBetween(zeroSmooth(0), handed).pacing!;
  assert.equal(h.from, "wakeups");
  assert.equal(h.late_share, undefined, "hand-offs would pass for late frames");
  assert.ok(Math.abs(h.median_ns - 16_666_667) / 16_666_667 < 0.07, `${h.median_ns}`);
});

Deno.test("no render thread set, or one set during the interval: no pacing figure", () => {
  const b = zeroSmooth(1000);
  withPace(b, 6_944_444, 1);
  assert.equal(smoothBetween(zeroSmooth(0), b).pacing, null);
  const found = { ...zeroSmooth(1000), pace_tid: 7 }; // watched from this reading on
  assert.equal(smoothBetween(zeroSmooth(0), found).pacing, null);
});

Deno.test("the same render thread all interval and at most one wake-up: no frame started, every start late", () => {
  // A heavy game's render thread cut short runs on behind its frames and never sleeps: read as "nothing
  // measured", its sweep config scored as the smoothest of the grid.
  const before = { ...zeroSmooth(0), pace_tid: 7 };
  const after = { ...zeroSmooth(1000), pace_tid: 7 };
  withLatency(after, "game", 3_000_000, 10);
  withPace(after, 536_870_911, 1);
  const s = smoothBetween(before, after);
  assert.equal(s.pacing?.from, "stalled");
  assert.equal(s.pacing?.late_share, 1);
  assert.equal(s.pacing?.median_ns, 1e9, "the whole interval");
  assert.ok(smoothScore(s)! < 1, `a stalled second scores ${smoothScore(s)}`);
  // Another thread taken as the render thread meanwhile: not a stall of either.
  assert.equal(smoothBetween({ ...before, pace_tid: 8 }, after).pacing, null);
  // Nothing of the game measured (smoothness off, or the game asleep): no figure, not a stall.
  assert.equal(smoothBetween(before, { ...zeroSmooth(1000), pace_tid: 7 }).pacing, null);
});
