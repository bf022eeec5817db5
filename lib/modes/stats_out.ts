/**
 * How one stats interval is written out, the same in every mode that prints them (run, sweep,
 * `--monitor`): a labelled text line (lib/sched/stats.ts's formatStatsLine, prefixed by the seconds
 * since the scheduler attached), or with `--stats-json` one JSON object per line with the same figures
 * unrounded, for programs to read.
 *
 * @module
 */

import type { SchedConfig } from "../config.ts";
import { safeJson } from "../host/safe_json.ts";
import { formatStatsLine } from "../sched/stats.ts";
import type { GameInfo, Metrics, ThreadCounts } from "../types.ts";

/** One interval as the modes know it. */
export interface StatsView {
  /** Seconds since the scheduler attached, at the end of the interval. */
  uptimeS: number;
  metrics: Metrics;
  game: GameInfo | null;
  threads: ThreadCounts | null;
  /** Samples recorded so far, or null when not collecting. */
  samples: number | null;
  /** A mode's own status (a sweep's position), or null. */
  status: string | null;
  /** The config running, when known. */
  config: SchedConfig | null;
}

/** The two ways of writing an interval. */
export type StatsFormat = "text" | "json";

/**
 * The text line: `[12.0s] placed 1.9k/s ... | game game.exe (pid 4242): input 1 gpu 1 audio 1 | ...`.
 */
export function statsTextLine(v: StatsView): string {
  return `[${v.uptimeS.toFixed(1)}s] ${
    formatStatsLine(v.metrics, { game: v.game, threads: v.threads, samples: v.samples, status: v.status })
  }`;
}

/**
 * The JSON line: `{"t":12.0,"metrics":{...},"game":{...}|null,"threads":{...}|null,"samples":N|null,
 * "status":...,"config":{...}}`, terminal-safe (names from other processes are escaped).
 *
 * @example
 * ```ts
 * JSON.parse(statsJsonLine(view)).metrics.enqueues_per_sec;
 * ```
 */
export function statsJsonLine(v: StatsView): string {
  return safeJson({
    t: Math.round(v.uptimeS * 1000) / 1000,
    metrics: v.metrics,
    game: v.game,
    threads: v.threads,
    samples: v.samples,
    status: v.status,
    config: v.config,
  });
}

/** The line for `format`. */
export function statsLine(v: StatsView, format: StatsFormat): string {
  return format === "json" ? statsJsonLine(v) : statsTextLine(v);
}
