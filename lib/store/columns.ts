/**
 * The training CSV's column table: the one place that says which columns exist, in which order, and
 * how each is read from a Sample. The first 26 are exactly the original tool's export, so its data and
 * scripts carry over; ours follow.
 *
 * @module
 */

import { TUNABLES } from "../config.ts";
import { HOT_PATHS, type Sample, THREAD_CLASSES } from "../types.ts";

/** A CSV cell value before quoting: numbers, text, or a boolean written as 0/1. */
export type Cell = number | string | boolean;

/** One column: its header name and how to read it from a sample. */
export interface Column {
  name: string;
  /** "text" columns are not features (names, models); every other column is numeric. */
  type: "number" | "switch" | "text";
  get: (s: Sample) => Cell;
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
];

/** Column names, in order. */
export const COLUMN_NAMES: readonly string[] = COLUMNS.map((c) => c.name);
