/**
 * Scheduler statistics: raw cumulative snapshots (as read from the BPF maps) turned into per-interval
 * Metrics. Pure functions: the reading itself is lib/sched/scheduler.ts's job.
 *
 * @module
 */

import { printable } from "../host/terminal.ts";
import { HOT_PATHS, type HotPath, type LatencySummary, type Metrics, type ThreadCounts } from "../types.ts";
import { quantileOf } from "./histogram.ts";
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
  return quantileOf(buckets, q, (i) => [bucketLowerNs(i), bucketUpperNs(i)]);
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
    // The smoothness maps are read apart (lib/sched/smooth.ts); whoever reads them fills this in.
    smooth: null,
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

function fmtPct(fraction: number): string {
  return `${(fraction * 100).toFixed(0)}%`;
}

/** What a stats line says beside the scheduler's own figures. Absent fields leave their part out. */
export interface StatsLineContext {
  /** The game (null: none found). Its name comes from another process and is escaped here. */
  game?: { name: string; tgid: number } | null;
  /** The game's threads per class, or null without a game. */
  threads?: ThreadCounts | null;
  /** Samples saved to disk so far (durable), when collecting. */
  samples?: number | null;
  /** A mode's own short status (a sweep's position), printed last. */
  status?: string | null;
}

/**
 * The labels of the stats line, each with what it means: `--help-stats` prints this table, so every
 * label the line shows is explained (a test checks that none is missing).
 */
export const STATS_FIELDS: readonly { label: string; help: string }[] = [
  { label: "[12.0s]", help: "seconds since the scheduler attached" },
  {
    label: "placed N/s",
    help: "tasks put on a CPU per second: every scheduling decision, direct or through the shared queue",
  },
  {
    label: "direct N%",
    help: "share of them put straight on a chosen CPU (idle, or being preempted) instead of the shared queue",
  },
  {
    label: "enqueued N/s",
    help:
      "tasks per second that reached the enqueue callback: no idle CPU picked at wake-up, or a slice ended",
  },
  {
    label: "preempt N/s",
    help: "background tasks pushed off a CPU per second so a waiting game, input or audio thread runs now",
  },
  { label: "input N/s", help: "keyboard, mouse and pad events per second seen by the kernel's input hook" },
  {
    label: "game NAME (pid N)",
    help:
      "the game the scheduler favours (found by scan, --game, or announced by scx_gamer-run); none: no game",
  },
  {
    label: "input N gpu N audio N",
    help: "the game's threads recognised as input, GPU submission and audio (boosted when they wake)",
  },
  { label: "cpu N%", help: "share of all CPUs' time not idle, over the interval" },
  {
    label: "migrations blocked N%",
    help: "share of CPU moves refused by the migration limiter (--mig-max per --mig-window-ms)",
  },
  {
    label: "mm hits N%",
    help: "share of address-space CPU hints that found that CPU idle and took it (--mm-affinity)",
  },
  {
    label: "cost select_cpu T enqueue T dispatch T",
    help: "average time spent in each scheduler callback (its own overhead), then the 99th percentiles",
  },
  { label: "samples N", help: "training samples saved to disk so far (--ml-collect)" },
];

/**
 * One line of `--stats` output, labelled in words (see {@link STATS_FIELDS} and `--help-stats`), e.g.
 * `placed 1.9k/s direct 42% enqueued 310/s preempt 726/s input 12/s | game game.exe (pid 4242): input 1
 * gpu 1 audio 1 | cpu 93% | migrations blocked 3% mm hits 0% | cost select_cpu 1.2us enqueue 900ns
 * dispatch 95ns, p99 4.1us 3.0us 210ns`.
 */
export function formatStatsLine(m: Metrics, context: StatsLineContext = {}): string {
  const parts = [
    `placed ${fmtRate(m.dispatches_per_sec)}/s direct ${fmtPct(m.direct_dispatch_rate)} enqueued ${
      fmtRate(m.enqueues_per_sec)
    }/s preempt ${fmtRate(m.preempt_kicks_per_sec)}/s input ${fmtRate(m.input_events_per_sec)}/s`,
  ];
  if (context.game !== undefined) {
    const g = context.game;
    const t = context.threads;
    parts.push(
      g === null
        ? "game none"
        : `game ${printable(g.name)} (pid ${g.tgid})${
          t ? `: input ${t.input} gpu ${t.gpu_submit} audio ${t.audio}` : ""
        }`,
    );
  }
  parts.push(`cpu ${m.cpu_util_pct.toFixed(0)}%`);
  parts.push(
    `migrations blocked ${fmtPct(m.migration_block_rate)} mm hits ${fmtPct(m.mm_hint_hit_rate)}`,
  );
  const paths = ["select_cpu", "enqueue", "dispatch"] as const;
  parts.push(
    `cost ${paths.map((p) => `${p} ${fmtNs(m.latency[p].avg_ns)}`).join(" ")}, p99 ${
      paths.map((p) => fmtNs(m.latency[p].p99_ns)).join(" ")
    }`,
  );
  if (context.samples !== undefined && context.samples !== null) parts.push(`samples ${context.samples}`);
  if (context.status) parts.push(printable(context.status));
  return parts.join(" | ");
}

/** The `--help-stats` text: an example line, then every field of it explained. */
export function helpStatsText(): string {
  return [
    "scx_gamer --stats SECONDS (and --monitor) print one line per interval; rates are per second over it:",
    "",
    "  [12.0s] placed 1.9k/s direct 42% enqueued 310/s preempt 726/s input 12/s | game game.exe (pid 4242):",
    "          input 1 gpu 1 audio 1 | cpu 93% | migrations blocked 3% mm hits 0% |",
    "          cost select_cpu 1.2us enqueue 900ns dispatch 95ns, p99 4.1us 3.0us 210ns | samples 12",
    "",
    ...STATS_FIELDS.flatMap((f) => [`  ${f.label}`, `      ${f.help}`]),
    "",
    "With --stats-json each interval is one JSON object instead (the same figures, unrounded).",
  ].join("\n");
}
