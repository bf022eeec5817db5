/**
 * The training CSV's column table: the one place that says which columns exist, in which order, and
 * how each is read from a Sample. The first 26 are exactly the original tool's export, so its data and
 * scripts carry over; ours follow, each new one appended at the end so older exports stay a prefix.
 *
 * @module
 */

import { TUNABLES } from "../config.ts";
import {
  type ClassLatency,
  type GameInfo,
  HOT_PATHS,
  type Pacing,
  type Sample,
  type SmoothSummary,
  THREAD_CLASSES,
  type ThreadCounts,
} from "../types.ts";

/** A CSV cell value before quoting: numbers, text, or a boolean written as 0/1. */
export type Cell = number | string | boolean;

/** One column: its header name and how to read it from a sample. */
export interface Column {
  name: string;
  /** "text" columns are not features (names, models); every other column is numeric. */
  type: "number" | "switch" | "text";
  get: (s: Sample) => Cell;
  /** The cell is empty when the sample did not measure it (smoothness, MangoHud's frames). */
  optional?: true;
}

/** The original tool's 26 columns, in its order. */
export const ORIGINAL_COLUMNS: readonly string[] = [
  "timestamp",
  "game_name",
  "slice_us",
  "slice_lag_us",
  "input_window_us",
  "mig_window_ms",
  "mig_max",
  "mm_affinity",
  "avoid_smt",
  "preferred_idle_scan",
  "enable_numa",
  "wakeup_timer_us",
  "cpu_util_pct",
  "latency_select_cpu_ns",
  "latency_enqueue_ns",
  "latency_dispatch_ns",
  "latency_deadline_ns",
  "enqueues_per_sec",
  "dispatches_per_sec",
  "migration_block_rate",
  "mm_hint_hit_rate",
  "direct_dispatch_rate",
  "input_handler_count",
  "gpu_submit_count",
  "compositor_count",
  "network_count",
];

const tunableColumn = (t: (typeof TUNABLES)[number]): Column => ({
  name: t.key,
  type: t.kind === "switch" ? "switch" : "number",
  get: (s: Sample) => s.config[t.key],
});
/** The original tool's tunables keep their slot; tunables added since follow the original 26. */
const tunableColumns: Column[] = TUNABLES.filter((t) => ORIGINAL_COLUMNS.includes(t.key)).map(tunableColumn);
const newTunableColumns: Column[] = TUNABLES.filter((t) => !ORIGINAL_COLUMNS.includes(t.key)).map(
  tunableColumn,
);

const avgLatencyColumns: Column[] = HOT_PATHS.map((path) => ({
  name: `latency_${path}_ns`,
  type: "number",
  get: (s: Sample) => s.metrics.latency[path].avg_ns,
}));

const percentileColumns: Column[] = HOT_PATHS.flatMap((path) =>
  (["p50", "p99", "p999"] as const).map((p): Column => ({
    name: `latency_${path}_${p}_ns`,
    type: "number",
    get: (s: Sample) => s.metrics.latency[path][`${p}_ns`],
  }))
);

/** Classes the original tool exported, under its column names. */
const ORIGINAL_CLASS_COLUMNS = {
  input: "input_handler_count",
  gpu_submit: "gpu_submit_count",
  compositor: "compositor_count",
  network: "network_count",
} as const;

const extraClassColumns: Column[] = THREAD_CLASSES
  .filter((c) => !(c in ORIGINAL_CLASS_COLUMNS))
  .map((c) => ({ name: `${c}_count`, type: "number", get: (s: Sample) => s.threads[c] }));

/** The sample's smoothness when the game's threads woke in its interval (else nothing was measured). */
function smoothOf(s: Sample): SmoothSummary | null {
  const smooth = s.metrics.smooth ?? null;
  return smooth !== null && smooth.all.count > 0 ? smooth : null;
}

/** A wake-up latency in µs, or an empty cell when that class never woke. */
const wakeUs = (lat: ClassLatency | undefined, q: "p50_ns" | "p99_ns"): Cell =>
  lat === undefined || lat.count === 0 ? "" : lat[q] / 1000;

/** A frame pacing figure, or an empty cell without a measured render thread. */
const pace = (s: Sample, get: (p: Pacing) => number | undefined): Cell => {
  const p = smoothOf(s)?.pacing ?? null;
  return (p === null ? undefined : get(p)) ?? "";
};

/** A numeric column whose cell is empty when the sample did not measure it. */
const measured = (name: string, get: (s: Sample) => Cell): Column => ({
  name,
  type: "number",
  optional: true,
  get,
});

/**
 * The game's smoothness as the kernel measured it (lib/sched/smooth.ts), empty when not measured: the
 * sample is older than the measurement, the scheduler had none, or the game's threads never woke.
 */
const smoothColumns: Column[] = [
  // Wake-up-to-run latency of all the game's threads, µs.
  measured("wake_p50_us", (s) => wakeUs(smoothOf(s)?.all, "p50_ns")),
  measured("wake_p99_us", (s) => wakeUs(smoothOf(s)?.all, "p99_ns")),
  // The same p99 for the input and gpu_submit threads alone (empty when that class never woke).
  measured("wake_input_p99_us", (s) => wakeUs(smoothOf(s)?.latency.input, "p99_ns")),
  measured("wake_gpu_p99_us", (s) => wakeUs(smoothOf(s)?.latency.gpu_submit, "p99_ns")),
  // ms per second the game's threads waited runnable, and the share of it behind non-game work (0..1).
  measured("wait_ms_per_s", (s) => smoothOf(s)?.wait_ms_per_s ?? ""),
  measured("wait_behind_share", (s) => smoothOf(s)?.wait_share_behind_other ?? ""),
  // The render thread's wake intervals (the frame time), ms, and their p99 / median (1 = even).
  measured("pace_median_ms", (s) => pace(s, (p) => p.median_ns / 1e6)),
  measured("pace_p99_ms", (s) => pace(s, (p) => p.p99_ns / 1e6)),
  measured("pace_spread", (s) => pace(s, (p) => p.spread)),
  // The share of frames that started late (0..1; empty unless pacing read frame starts).
  measured("pace_late_share", (s) => pace(s, (p) => p.late_share)),
  // lib/score.ts smoothScore of the above: the default objective.
  measured("smooth_score", (s) => s.smooth_score ?? ""),
];

/** Every column of the export, in order. */
export const COLUMNS: readonly Column[] = [
  { name: "timestamp", type: "number", get: (s) => s.timestamp },
  { name: "game_name", type: "text", get: (s) => s.game_name },
  ...tunableColumns,
  { name: "cpu_util_pct", type: "number", get: (s) => s.metrics.cpu_util_pct },
  ...avgLatencyColumns,
  { name: "enqueues_per_sec", type: "number", get: (s) => s.metrics.enqueues_per_sec },
  { name: "dispatches_per_sec", type: "number", get: (s) => s.metrics.dispatches_per_sec },
  { name: "migration_block_rate", type: "number", get: (s) => s.metrics.migration_block_rate },
  { name: "mm_hint_hit_rate", type: "number", get: (s) => s.metrics.mm_hint_hit_rate },
  { name: "direct_dispatch_rate", type: "number", get: (s) => s.metrics.direct_dispatch_rate },
  ...Object.entries(ORIGINAL_CLASS_COLUMNS).map(([cls, name]): Column => ({
    name,
    type: "number",
    get: (s) => s.threads[cls as keyof typeof ORIGINAL_CLASS_COLUMNS],
  })),
  // ---- ours, after the original 26 ----
  { name: "cpu_model", type: "text", get: (s) => s.cpu_model },
  ...newTunableColumns,
  ...percentileColumns,
  ...extraClassColumns,
  { name: "game_thread_count", type: "number", get: (s) => s.game.thread_count },
  { name: "game_cpu_pct", type: "number", get: (s) => s.game.cpu_pct },
  { name: "preempt_kicks_per_sec", type: "number", get: (s) => s.metrics.preempt_kicks_per_sec },
  { name: "input_events_per_sec", type: "number", get: (s) => s.metrics.input_events_per_sec },
  { name: "score", type: "number", get: (s) => s.score },
  // Ground truth when MangoHud logged the frames (matched at export; empty cells otherwise).
  measured("fps", (s) => s.frames?.fps ?? ""),
  measured("fps_1pct_low", (s) => s.frames?.fps_1pct_low ?? ""),
  measured("frametime_p99", (s) => s.frames?.frametime_p99 ?? ""),
  // The scheduler policy the sample ran under (a file without this column is all policy 1).
  { name: "policy_version", type: "number", get: (s) => s.policy_version ?? 1 },
  ...smoothColumns,
];

/** Column names, in order. */
export const COLUMN_NAMES: readonly string[] = COLUMNS.map((c) => c.name);

/** The workload columns known as soon as a game is detected: its threads per class, thread count and CPU use. */
const DETECTION_COLUMNS: ReadonlySet<string> = new Set([
  ...Object.values(ORIGINAL_CLASS_COLUMNS),
  ...extraClassColumns.map((c) => c.name),
  "game_thread_count",
  "game_cpu_pct",
]);

/**
 * A just-detected game's workload under the training CSV's column names (read through the same column
 * table, so the names cannot drift): what a game with no profile is compared by to borrow the profile
 * of the most similar known game.
 *
 * @example
 * ```ts
 * detectionWorkload(game, counts); // { input_handler_count: 1, ..., game_thread_count: 40, game_cpu_pct: 310 }
 * ```
 */
export function detectionWorkload(game: GameInfo, counts: ThreadCounts): Record<string, number> {
  const partial = { game, threads: counts } as Pick<Sample, "game" | "threads"> as Sample;
  const out: Record<string, number> = {};
  for (const c of COLUMNS) if (DETECTION_COLUMNS.has(c.name)) out[c.name] = Number(c.get(partial));
  return out;
}

/**
 * A sample's value in a numeric column (an objective such as `score` or `smooth_score`, a metric), or
 * null when the column is unknown, text, or the sample has no finite value there (not measured).
 *
 * @example
 * ```ts
 * columnValue(sample, "score"); // 108.8
 * ```
 */
export function columnValue(sample: Sample, name: string): number | null {
  const column = COLUMNS.find((c) => c.name === name);
  if (!column || column.type === "text") return null;
  const cell = column.get(sample);
  // An empty cell is "not measured", not 0 (which Number("") would make of it).
  if (cell === "") return null;
  const value = Number(cell);
  return Number.isFinite(value) ? value : null;
}
