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

/** Wake-up latency of one class over an interval, ns. */
export interface ClassLatency {
  count: number;
  avg_ns: number;
  p50_ns: number;
  p99_ns: number;
}

/** Frame pacing over an interval, from the render thread's wake intervals. */
export interface Pacing {
  count: number;
  mean_ns: number;
  median_ns: number;
  p99_ns: number;
  /** p99 / median: 1 when every frame starts on time, 2 when 1 in 100 intervals is twice as long. */
  spread: number;
  /**
   * Which intervals: "starts", between the wake-ups from outside the game (a timer, an interrupt, the
   * compositor: frame starts), or "wakeups", between all its wake-ups (also hand-offs by the game's own
   * threads inside a frame; the only figure before 2026-12-06, absent in samples from then), or "stalled":
   * the thread the kernel watched all interval woke at most once while the game's other threads were
   * measured, so no frame started (it ran on behind its frames, or slept through them); then every
   * interval figure is the interval itself and late_share is 1.
   */
  from?: "starts" | "wakeups" | "stalled";
  /**
   * Share (0..1) of frame-start intervals longer than LATE_START_RATIO x the median: at a steady frame
   * rate, the frames that started late (each missed frame delays the next start). Only from "starts"
   * (hand-offs inside a frame make every other interval short) and "stalled" (1); absent otherwise and in
   * older samples.
   */
  late_share?: number;
}

/**
 * The game's smoothness over one interval (deltas of two of the kernel's cumulative snapshots; computed by
 * lib/sched/smooth.ts smoothBetween).
 */
export interface SmoothSummary {
  interval_s: number;
  /** The policy that produced it (bpf/intf.h POLICY_VERSION). */
  policy_version: number;
  /** Per thread class that woke in the interval. */
  latency: Partial<Record<ThreadClass, ClassLatency>>;
  /** All the game's threads together. */
  all: ClassLatency;
  /** Runnable wait of the game's threads per second of the interval, ms/s (up to 1000 per thread). */
  wait_ms_per_s: number;
  /** Share of that wait spent while the CPU they got ran non-game work, 0..1. */
  wait_share_behind_other: number;
  /** Null when no render thread was set or it did not wake twice. */
  pacing: Pacing | null;
}

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
  /**
   * The game's smoothness as the kernel measured it over the same interval, or null when it was not
   * measured (no scheduler support, smoothness off, or a sample stored before it existed).
   */
  smooth: SmoothSummary | null;
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

/** What the frames of one sample's interval say, from MangoHud's logs (lib/store/frametimes.ts). */
export interface FrameStats {
  /** Mean frames per second over the interval's log rows. */
  fps: number;
  /** MangoHud's "1% low": the mean fps of the slowest 1% of rows (at least one). */
  fps_1pct_low: number;
  /** The 99th percentile of frame time, ms (nearest rank). */
  frametime_p99: number;
  /** Log rows the figures come from. */
  rows: number;
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
  /**
   * The scheduler policy that produced the sample (lib/config.ts POLICY_VERSION): the same config means
   * different behaviour under another policy, so training keeps versions apart. Samples stored before
   * the field existed are version 1.
   */
  policy_version: number;
  /** The original tool's formula (lib/score.ts score). */
  score: number;
  /** lib/score.ts smoothScore of `metrics.smooth`, or null when smoothness was not measured. */
  smooth_score: number | null;
  /** Frame times matched from MangoHud's logs at export (never stored; absent without logs). */
  frames?: FrameStats;
}

/** The machine's CPU topology, read at the edge (lib/host/topology.ts) and passed to the trainer as data. */
export interface Topology {
  /** Some core has more than one hardware thread. */
  smt: boolean;
  numaNodes: number;
  /** Cores of different capacity (P/E cores). */
  hybrid: boolean;
}

/** The topology assumed when none is known: no SMT, one NUMA node, not hybrid. */
export const NO_TOPOLOGY: Topology = { smt: false, numaNodes: 1, hybrid: false };

/** Whether an objective is better higher ("max") or lower ("min"). */
export type ObjectiveDirection = "max" | "min";

/** One objective the trainer can optimise: a numeric column and its direction (table: lib/score.ts). */
export interface Objective {
  /** The column name in the training CSV. */
  name: string;
  direction: ObjectiveDirection;
  /** One line for `--help` and reports. */
  description: string;
}

/**
 * A training data set as numbers: what lib/store/csv_read.ts makes of a CSV and lib/ml trains on.
 * `sourceRow[i]` says which data row of the source row i came from, for messages.
 */
export interface Dataset {
  /** Where it came from (a path), for messages. */
  source: string;
  /** Names of the feature columns, in matrix column order: the tunables first, then the workload. */
  featureNames: string[];
  /** The features, row-major: `x.data[i * x.cols + j]` is feature j of row i. */
  x: { rows: number; cols: number; data: Float64Array };
  /** The objective `y` holds. */
  target: Objective;
  /** The target value of every row. */
  y: Float64Array;
  /** True when the target was computed from other columns (the original 26-column file's score). */
  targetComputed: boolean;
  /** Every objective of the table that the source has a column for (or computed), in table order. */
  objectives: string[];
  /** Per row: the game name as written (display name; match with `gameKey`). */
  game: string[];
  /** Per row: the CPU model, or null when the source has no cpu_model column (the original layout). */
  cpuModel: (string | null)[];
  /** Per row: its 1-based data row in the source (the header not counted). */
  sourceRow: Int32Array;
  /** Rows of the source (of its newest policy) left out because their target was not measured (an empty cell). */
  dropped: number;
  /**
   * The scheduler policy the rows are of: the newest `policy_version` in the source (1 for a source
   * without the column). Rows of older policies are left out: the same config behaved differently there.
   */
  policy: {
    version: number;
    /** Rows of older policies left out. */
    olderRows: number;
    /** Which older versions the source held, ascending. */
    olderVersions: number[];
  };
}

/** A config trained for one game on one CPU model, applied when that game runs (lib/store/profile.ts). */
export interface GameProfile {
  /** The game's display name as trained on. */
  game: string;
  /** Its key (`gameKey`), what the profile is matched by. */
  gameKey: string;
  cpuModel: string;
  config: SchedConfig;
  /** Tunables whose value in `config` no sample measured (set from the topology, or interpolated). */
  unmeasured: (keyof SchedConfig)[];
  /** What the config was chosen on, and the forest's prediction of it (in the objective's unit). */
  objective: { name: string; direction: ObjectiveDirection; predicted: number };
  /** Where it came from. */
  provenance: {
    /** Samples of this game (and CPU model) the forest saw, or the autotuner measured. */
    samples: number;
    /** ISO 8601 time of training (or of the autotuner's decision). */
    trainedAt: string;
    /** SHA-256 (hex) of the saved model file the config was searched on, or of the autotuner's windows. */
    modelSha256: string;
    /** The training data (a path as given), or "autotune: ..." for a config kept live. */
    source: string;
    /** Mean 5-fold CV R² of the model; null for a profile the autotuner measured live. */
    cvR2: number | null;
  };
  /**
   * The game's workload: the median of each workload feature the forest used (thread-class counts, CPU
   * use, input rate, ...), by column name; how a new game finds the most similar known one.
   */
  workload: Record<string, number>;
  /**
   * Configs training ranked above `config` that the sweep could not separate from it: their samples
   * measured better, by less than the noise. `--ml-autotune` tries them first, each against the profile's
   * config in interleaved windows (longer and paired, which the sweep's two windows a config are not).
   * Absent when there are none.
   */
  toConfirm?: SchedConfig[];
}
