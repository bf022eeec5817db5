/**
 * The plain-data values that cross module boundaries on the data path:
 * kernel -> lib/bpf -> lib/sched (Metrics) -> lib/collect (GameInfo, Sample) -> lib/store -> lib/ml.
 *
 * @module
 */

import type { SchedConfig } from "./config.ts";

/**
 * Thread classes, in the order of their numeric ids (the ids are shared with the BPF side through
 * `bpf/intf.h`: `enum gamer_thread_class`). Index = id.
 */
export const THREAD_CLASSES = [
  "other",
  "game",
  "input",
  "gpu_submit",
  "compositor",
  "audio",
  "network",
  "storage",
  "background",
] as const;

/** One thread class name. */
export type ThreadClass = typeof THREAD_CLASSES[number];

/** How many threads of the game (and of its helper processes) fall into each class. */
export type ThreadCounts = Record<ThreadClass, number>;

/** A zeroed ThreadCounts. */
export function emptyThreadCounts(): ThreadCounts {
  return Object.fromEntries(THREAD_CLASSES.map((c) => [c, 0])) as ThreadCounts;
}

/** Latency summary of one hot path over one interval, in nanoseconds (from the log2 histogram). */
export interface LatencySummary {
  avg_ns: number;
  p50_ns: number;
  p99_ns: number;
  p999_ns: number;
  /** Number of timed calls in the interval. */
  count: number;
}

/** The hot paths the scheduler times. */
export const HOT_PATHS = ["select_cpu", "enqueue", "dispatch", "deadline"] as const;

/** One hot path name. */
export type HotPath = typeof HOT_PATHS[number];

/** The scheduler's metrics over one interval (deltas, never cumulative totals). */
export interface Metrics {
  /** Length of the interval in seconds. */
  interval_s: number;
  latency: Record<HotPath, LatencySummary>;
  enqueues_per_sec: number;
  dispatches_per_sec: number;
  /** Fractions in 0..1. */
  migration_block_rate: number;
  mm_hint_hit_rate: number;
  direct_dispatch_rate: number;
  /** Share of CPU time not idle, 0..100, over all CPUs. */
  cpu_util_pct: number;
  /** Preemption kicks sent to CPUs running background work. */
  preempt_kicks_per_sec: number;
  /** Input events seen by the kernel hook. */
  input_events_per_sec: number;
}

/** The detected game. */
export interface GameInfo {
  /** Display name as found (comm, exe basename or Steam name); made path-safe only by the store. */
  name: string;
  tgid: number;
  /** Steam app id when the environment carries one. */
  app_id: string | null;
  /** How it was recognised. */
  source: "wine" | "steam" | "render_node" | "forced" | "announced";
  thread_count: number;
  /** CPU use of the game's process over the last interval, in percent of one CPU. */
  cpu_pct: number;
}

/** One training sample, as stored per game and exported as one CSV row. */
export interface Sample {
  /** Unix time in seconds (float). */
  timestamp: number;
  game_name: string;
  cpu_model: string;
  config: SchedConfig;
  metrics: Metrics;
  threads: ThreadCounts;
  game: GameInfo;
  score: number;
}
