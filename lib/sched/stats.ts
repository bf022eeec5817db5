/**
 * Scheduler statistics: raw cumulative snapshots (as read from the BPF maps) turned into per-interval
 * Metrics. Pure functions: the reading itself is lib/sched/scheduler.ts's job.
 *
 * @module
 */

import { HOT_PATHS, type HotPath, type LatencySummary, type Metrics } from "../types.ts";
import { COUNTER_FIELDS, type CounterName, HIST_BASE_NS, HIST_BUCKETS } from "./intf.ts";

/** One hot path's cumulative histogram (summed over CPUs). */
export interface HistSnapshot {
  buckets: bigint[];
  sum_ns: bigint;
  count: bigint;
}

/** Everything cumulative the scheduler exposes, at one instant. */
export interface StatsSnapshot {
  /** CLOCK_MONOTONIC-style timestamp of the reading, ms (performance.now()). */
  at_ms: number;
  counters: Record<CounterName, bigint>;
  hists: Record<HotPath, HistSnapshot>;
  /** Cumulative CPU time from /proc/stat: busy and total jiffies over all CPUs. */
  cpu: { busy: bigint; total: bigint };
}

/** A snapshot of zeros (the state before the first reading). */
export function zeroSnapshot(at_ms = 0): StatsSnapshot {
  return {
    at_ms,
    counters: Object.fromEntries(COUNTER_FIELDS.map((f) => [f, 0n])) as Record<CounterName, bigint>,
    hists: Object.fromEntries(
      HOT_PATHS.map((p) => [p, { buckets: Array(HIST_BUCKETS).fill(0n), sum_ns: 0n, count: 0n }]),
    ) as Record<HotPath, HistSnapshot>,
    cpu: { busy: 0n, total: 0n },
  };
}

/** Lower bound of bucket i, ns. */
export function bucketLowerNs(i: number): number {
  return i === 0 ? 0 : HIST_BASE_NS * 2 ** (i - 1);
}

/** Upper bound of bucket i, ns (the open last bucket is taken as twice its lower bound). */
export function bucketUpperNs(i: number): number {
  return HIST_BASE_NS * 2 ** i;
}

/**
 * The q-quantile (0..1) of a histogram, interpolated linearly inside the bucket it falls in.
 * Returns 0 for an empty histogram.
 *
 * @example
 * ```ts
 * quantileFromBuckets([0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0.5); // 150 (inside 100..200 ns)
 * ```
 */
export function quantileFromBuckets(buckets: readonly number[], q: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] === 0) continue;
    if (seen + buckets[i] >= rank) {
      const within = (rank - seen) / buckets[i];
      const lo = bucketLowerNs(i);
      return lo + within * (bucketUpperNs(i) - lo);
    }
    seen += buckets[i];
  }
  return bucketUpperNs(buckets.length - 1);
}

function latencyDelta(prev: HistSnapshot, next: HistSnapshot): LatencySummary {
  const buckets = next.buckets.map((b, i) => Number(b - prev.buckets[i]));
  const count = Number(next.count - prev.count);
  const sum = Number(next.sum_ns - prev.sum_ns);
  return {
    avg_ns: count > 0 ? sum / count : 0,
    p50_ns: quantileFromBuckets(buckets, 0.5),
    p99_ns: quantileFromBuckets(buckets, 0.99),
    p999_ns: quantileFromBuckets(buckets, 0.999),
    count,
  };
}

function ratio(num: bigint, den: bigint): number {
  return den > 0n ? Number(num) / Number(den) : 0;
}

/**
 * Metrics over the interval between two cumulative snapshots: deltas, never totals (averaging
 * cumulative counters makes every recent change invisible).
 */
export function metricsBetween(prev: StatsSnapshot, next: StatsSnapshot): Metrics {
  const seconds = Math.max((next.at_ms - prev.at_ms) / 1000, 1e-9);
  const d = (f: CounterName) => next.counters[f] - prev.counters[f];
  const latency = Object.fromEntries(
    HOT_PATHS.map((p) => [p, latencyDelta(prev.hists[p], next.hists[p])]),
  ) as Record<HotPath, LatencySummary>;
  // A task is placed either directly (select_cpu/enqueue into a local queue) or through the shared queue.
  const placed = d("direct_dispatches") + d("dispatches");
  return {
    interval_s: seconds,
    latency,
    enqueues_per_sec: Number(d("enqueues")) / seconds,
    dispatches_per_sec: Number(placed) / seconds,
    migration_block_rate: ratio(d("mig_blocked"), d("mig_attempts")),
    mm_hint_hit_rate: ratio(d("mm_hint_hits"), d("mm_hint_tries")),
    direct_dispatch_rate: ratio(d("direct_dispatches"), placed),
    cpu_util_pct: 100 * ratio(next.cpu.busy - prev.cpu.busy, next.cpu.total - prev.cpu.total),
    preempt_kicks_per_sec: Number(d("preempt_kicks")) / seconds,
    input_events_per_sec: Number(d("input_events")) / seconds,
  };
}

/**
 * Parse the aggregate "cpu" line of /proc/stat into busy and total jiffies (idle + iowait are not busy).
 *
 * @throws {Error} when the text has no aggregate cpu line.
 */
export function parseProcStatCpu(text: string): { busy: bigint; total: bigint } {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no aggregate 'cpu' line");
  const fields = line.trim().split(/\s+/).slice(1, 9).map((f) => BigInt(f));
  const total = fields.reduce((a, b) => a + b, 0n);
  const idle = (fields[3] ?? 0n) + (fields[4] ?? 0n);
  return { busy: total - idle, total };
}

function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(1)}ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)}us`;
  return `${Math.round(ns)}ns`;
}

function fmtRate(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
}

/** One line of `--stats` output. */
export function formatStatsLine(m: Metrics, extra = ""): string {
  const lat = (p: HotPath) => {
    const l = m.latency[p];
    return `${p} ${fmtNs(l.avg_ns)} p50 ${fmtNs(l.p50_ns)} p99 ${fmtNs(l.p99_ns)}`;
  };
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  return [
    `${lat("select_cpu")} | ${lat("enqueue")} | ${lat("dispatch")}`,
    `enq ${fmtRate(m.enqueues_per_sec)}/s disp ${fmtRate(m.dispatches_per_sec)}/s`,
    `direct ${pct(m.direct_dispatch_rate)} mm ${pct(m.mm_hint_hit_rate)} migblk ${
      pct(m.migration_block_rate)
    }`,
    `preempt ${fmtRate(m.preempt_kicks_per_sec)}/s input ${fmtRate(m.input_events_per_sec)}/s cpu ${
      m.cpu_util_pct.toFixed(0)
    }%`,
    ...(extra ? [extra] : []),
  ].join(" | ");
}
