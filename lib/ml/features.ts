/**
 * The trainer's feature table: which columns the forest learns from, and why.
 *
 * - Every tunable (lib/config.ts TUNABLES): what the search will choose.
 * - The workload: what the game and the machine ask of the scheduler, which the config does not change:
 *   CPU use, the game's thread count and CPU share, its threads per class, and the input event rate.
 *
 * Deliberately left out: the latencies, enqueue/dispatch rates and the three rates of the score. They
 * are outcomes of the config, not descriptions of the game. The search holds every non-tunable feature
 * at the game's median; if an outcome were a feature, the forest would explain the score by it (held
 * fixed) instead of by the tunables, and every config would predict alike (a target leak).
 *
 * A file from the original tool has only some workload columns; the layout uses those present.
 *
 * @module
 */

import { type SchedConfig, TUNABLE_KEYS } from "../config.ts";

/** Workload columns, in feature order (names as in lib/store/columns.ts). */
export const WORKLOAD_FEATURES: readonly string[] = [
  "cpu_util_pct",
  "game_thread_count",
  "game_cpu_pct",
  "input_events_per_sec",
  "input_handler_count",
  "gpu_submit_count",
  "compositor_count",
  "network_count",
  "other_count",
  "game_count",
  "audio_count",
  "storage_count",
  "background_count",
];

/**
 * Every column the forest may learn from, in matrix order: the tunables, then the workload. A data set
 * takes those its source has (every tunable is required; workload columns are optional).
 */
export const FEATURE_COLUMNS: readonly string[] = [...TUNABLE_KEYS, ...WORKLOAD_FEATURES];

/** The columns of the feature matrix. */
export interface FeatureLayout {
  /** Column names in matrix order: the tunables first, then the workload. */
  names: string[];
  /** Matrix column of each tunable. */
  tunableColumn: Record<keyof SchedConfig, number>;
  /** Matrix columns of the workload features. */
  workloadColumns: number[];
}

/**
 * The layout for a file with the given columns: every tunable (all are required columns) and the
 * workload features that are present.
 */
export function featureLayout(available: readonly string[]): FeatureLayout {
  const have = new Set(available);
  const missing = TUNABLE_KEYS.filter((k) => !have.has(k));
  if (missing.length > 0) throw new RangeError(`feature layout: tunable column ${missing[0]} is missing`);
  const workload = WORKLOAD_FEATURES.filter((c) => have.has(c));
  const names = [...TUNABLE_KEYS, ...workload];
  const tunableColumn = Object.fromEntries(TUNABLE_KEYS.map((k, i) => [k, i])) as Record<
    keyof SchedConfig,
    number
  >;
  return { names, tunableColumn, workloadColumns: workload.map((_, i) => TUNABLE_KEYS.length + i) };
}
