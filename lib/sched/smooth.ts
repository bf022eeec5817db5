/**
 * The game's smoothness as the scheduler measures it in the kernel (bpf/scx_gamer.bpf.c, recorded while
 * `smooth_on` is set and a game is known): cumulative snapshots, and the typed per-interval summary the
 * learning loop uses. Pure functions; reading the maps is lib/sched/scheduler.ts's job.
 *
 * Three things are measured for the game's threads:
 * - wake-up-to-run latency, one log-linear histogram (8 buckets per octave) per thread class: with one
 *   bucket per octave a p99 read up to twice the true one (input thread beside 7 ms jobs: 7.6-7.8 ms where
 *   gamesim measured 5.1-5.6; 4.7 ms now, same boot);
 * - how long they waited runnable in all, and the part of it during which the CPU they then got was
 *   running something that is not the game;
 * - frame pacing: the interval between successive frame starts of the render/present thread (its wake-ups
 *   from outside the game: a timer, an interrupt, the compositor), or between all its wake-ups when it
 *   has under MIN_STARTS_PER_S of those (one woken by the game's main thread each frame), in a log-linear
 *   histogram (8 buckets per octave), summarised as median, p99 and their ratio (1 = perfectly even). All
 *   wake-ups of a render thread that waits for its jobs mix hand-offs inside a frame into the intervals.
 *
 * @example
 * ```ts
 * const a = sched.smoothSnapshot();
 * // ... one sampling interval later
 * const s = smoothBetween(a, sched.smoothSnapshot());
 * s.latency.input?.p99_ns; // the input thread's wake-up p99 over the interval
 * s.pacing?.spread; // render wake interval p99 / median
 * ```
 *
 * @module
 */

import {
  type ClassLatency,
  type Pacing,
  type SmoothSummary,
  THREAD_CLASSES,
  type ThreadClass,
} from "../types.ts";
import { quantileOf, shareAbove } from "./histogram.ts";
import {
  BUCKET_SUB_SHIFT,
  LAT_BUCKETS,
  LAT_MIN_SHIFT,
  NR_CLASSES,
  PACE_BUCKETS,
  PACE_MIN_SHIFT,
  POLICY_VERSION,
} from "./intf.ts";

// The summary types cross module boundaries (Metrics carries a SmoothSummary), so lib/types.ts owns them.
export type { ClassLatency, Pacing, SmoothSummary };

/** A cumulative histogram summed over CPUs. */
export interface BucketsSnapshot {
  buckets: bigint[];
  count: bigint;
  sum_ns: bigint;
}

/** Everything cumulative the smoothness maps hold, at one instant. */
export interface SmoothSnapshot {
  /** performance.now() of the reading, ms. */
  at_ms: number;
  /** Wake-up latency per thread class id (index = enum gamer_thread_class). */
  lat: BucketsSnapshot[];
  /** Game-thread wake-ups that ran, their total wait, and the part behind non-game work. */
  waits: bigint;
  wait_ns: bigint;
  wait_behind_other_ns: bigint;
  /** Render-thread wake intervals. */
  pace: BucketsSnapshot;
  /** ... between its wake-ups from outside the game (frame starts). */
  starts: BucketsSnapshot;
  /** The render thread the kernel watches for pacing (its pace_tid), 0 when none. */
  pace_tid: number;
}

/** A snapshot of zeros (the state before the first reading). */
export function zeroSmooth(at_ms = 0): SmoothSnapshot {
  const empty = (n: number): BucketsSnapshot => ({ buckets: Array(n).fill(0n), count: 0n, sum_ns: 0n });
  return {
    at_ms,
    lat: Array.from({ length: NR_CLASSES }, () => empty(LAT_BUCKETS)),
    waits: 0n,
    wait_ns: 0n,
    wait_behind_other_ns: 0n,
    pace: empty(PACE_BUCKETS),
    starts: empty(PACE_BUCKETS),
    pace_tid: 0,
  };
}

/**
 * Frame starts per second from which pacing reads them alone (20 fps). A render thread woken by the game's
 * own main thread every frame has none (or a stray timer's); its pacing reads all its wake-ups.
 */
export const MIN_STARTS_PER_S = 20;

/** A frame start this many times the median interval after the previous one came late (Pacing.late_share). */
export const LATE_START_RATIO = 1.5;

/**
 * Bounds of bucket i of a log-linear histogram whose first octave is 2^minShift ns (bpf/buckets.h
 * log_linear_bucket): octave minShift + i / 8, linear sub-bucket i % 8 within it. The first bucket also
 * holds shorter values and the last longer ones (taken here at their nominal bounds).
 */
function logLinearBounds(i: number, minShift: number): [number, number] {
  const sub = 2 ** BUCKET_SUB_SHIFT;
  const octave = minShift + Math.floor(i / sub);
  const width = 2 ** (octave - BUCKET_SUB_SHIFT);
  const lo = 2 ** octave + (i % sub) * width;
  return [lo, lo + width];
}

/** Bounds of wake-up latency bucket i, ns (8 per octave from 1.024 us). */
export function latBucketBounds(i: number): [number, number] {
  return logLinearBounds(i, LAT_MIN_SHIFT);
}

/** Bounds of pacing bucket i, ns (8 per octave from 131 us). */
export function paceBucketBounds(i: number): [number, number] {
  return logLinearBounds(i, PACE_MIN_SHIFT);
}

function delta(
  prev: BucketsSnapshot,
  next: BucketsSnapshot,
): { buckets: number[]; count: number; sum: number } {
  return {
    buckets: next.buckets.map((b, i) => Number(b - prev.buckets[i])),
    count: Number(next.count - prev.count),
    sum: Number(next.sum_ns - prev.sum_ns),
  };
}

function classLatency(d: { buckets: number[]; count: number; sum: number }): ClassLatency {
  return {
    count: d.count,
    avg_ns: d.count > 0 ? d.sum / d.count : 0,
    p50_ns: quantileOf(d.buckets, 0.5, latBucketBounds),
    p99_ns: quantileOf(d.buckets, 0.99, latBucketBounds),
  };
}

/**
 * The game's smoothness over the interval between two cumulative snapshots: deltas, never totals.
 */
export function smoothBetween(prev: SmoothSnapshot, next: SmoothSnapshot): SmoothSummary {
  const seconds = Math.max((next.at_ms - prev.at_ms) / 1000, 1e-9);
  const latency: Partial<Record<ThreadClass, ClassLatency>> = {};
  const all = { buckets: Array(LAT_BUCKETS).fill(0), count: 0, sum: 0 };
  next.lat.forEach((h, cls) => {
    const d = delta(prev.lat[cls], h);
    if (d.count <= 0) return;
    latency[THREAD_CLASSES[cls] ?? "other"] = classLatency(d);
    d.buckets.forEach((b, i) => all.buckets[i] += b);
    all.count += d.count;
    all.sum += d.sum;
  });
  const waitNs = Number(next.wait_ns - prev.wait_ns);
  const behindNs = Number(next.wait_behind_other_ns - prev.wait_behind_other_ns);
  const starts = delta(prev.starts, next.starts);
  const useStarts = starts.count > 1 && starts.count / seconds >= MIN_STARTS_PER_S;
  const pace = useStarts ? starts : delta(prev.pace, next.pace);
  let pacing: Pacing | null = null;
  const watched = next.pace_tid !== 0 && prev.pace_tid === next.pace_tid && all.count > 0;
  if (watched && pace.count <= 1) {
    // The same render thread all interval, the game's other threads measured, and no interval between two
    // of its wake-ups: no frame started. Read as "nothing measured", a heavy game's render thread cut short
    // and running on behind its frames (99.7% missed) scored as the smoothest config of a sweep.
    const ns = seconds * 1e9;
    pacing = {
      count: pace.count,
      mean_ns: ns,
      median_ns: ns,
      p99_ns: ns,
      spread: 1,
      from: "stalled",
      late_share: 1,
    };
  } else if (pace.count > 1) {
    const median = quantileOf(pace.buckets, 0.5, paceBucketBounds);
    const p99 = quantileOf(pace.buckets, 0.99, paceBucketBounds);
    pacing = {
      count: pace.count,
      mean_ns: pace.sum / pace.count,
      median_ns: median,
      p99_ns: p99,
      spread: median > 0 ? p99 / median : 0,
      from: useStarts ? "starts" : "wakeups",
    };
    if (useStarts) pacing.late_share = shareAbove(pace.buckets, LATE_START_RATIO * median, paceBucketBounds);
  }
  return {
    interval_s: seconds,
    policy_version: POLICY_VERSION,
    latency,
    all: classLatency(all),
    wait_ms_per_s: waitNs / 1e6 / seconds,
    wait_share_behind_other: waitNs > 0 ? Math.min(1, behindNs / waitNs) : 0,
    pacing,
  };
}
