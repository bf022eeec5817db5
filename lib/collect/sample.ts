/**
 * Turning one interval's metrics, config, game and thread counts into a training sample, and reading
 * the CPU model the samples are filed under.
 *
 * @module
 */

import { join } from "node:path";
import { POLICY_VERSION, type SchedConfig } from "../config.ts";
import { score, smoothScore } from "../score.ts";
import type { GameInfo, Metrics, Sample, ThreadCounts } from "../types.ts";
import { readBounded } from "../host/proc.ts";

/** What one sample is built from. */
export interface SampleParts {
  /** Unix time in seconds (float). */
  timestamp: number;
  cpuModel: string;
  config: SchedConfig;
  metrics: Metrics;
  game: GameInfo;
  threads: ThreadCounts;
}

/**
 * Build a Sample of this build's policy with both its scores (lib/score.ts): the original score from the
 * select_cpu average latency and the rates, and the smooth score from the kernel's smoothness summary
 * (null without one). Every part is copied, so later changes to the caller's objects never alter a
 * stored sample.
 *
 * @example
 * ```ts
 * const s = buildSample({ timestamp: Date.now() / 1000, cpuModel, config, metrics, game, threads });
 * s.score; // (10000 / metrics.latency.select_cpu.avg_ns) * 10 + ...
 * s.smooth_score; // smoothScore(metrics.smooth), or null when smoothness was not measured
 * ```
 */
export function buildSample(parts: SampleParts): Sample {
  const { metrics } = parts;
  return structuredClone({
    timestamp: parts.timestamp,
    game_name: parts.game.name,
    cpu_model: parts.cpuModel,
    config: parts.config,
    metrics,
    threads: parts.threads,
    game: parts.game,
    policy_version: POLICY_VERSION,
    score: score({
      select_cpu_latency_ns: metrics.latency.select_cpu.avg_ns,
      mm_hint_hit_rate: metrics.mm_hint_hit_rate,
      direct_dispatch_rate: metrics.direct_dispatch_rate,
      migration_block_rate: metrics.migration_block_rate,
    }),
    smooth_score: metrics.smooth ? smoothScore(metrics.smooth) : null,
  });
}

/** The CPU model used when cpuinfo has no "model name" line (some ARM kernels) or cannot be read. */
export const UNKNOWN_CPU = "unknown-cpu";

/**
 * The CPU model from `{procRoot}/cpuinfo`'s first "model name" line, whitespace collapsed, or
 * "unknown-cpu". The store makes it path-safe.
 *
 * @example
 * ```ts
 * cpuModel("/proc"); // "AMD Ryzen 7 7800X3D 8-Core Processor"
 * ```
 */
export function cpuModel(procRoot = "/proc"): string {
  // The first CPU's block comes first; 64 KiB holds it with room to spare.
  const text = readBounded(join(procRoot, "cpuinfo"), 64 * 1024) ?? "";
  const line = text.split("\n").find((l) => /^model name\s*:/.test(l));
  const model = line?.slice(line.indexOf(":") + 1).replace(/\s+/g, " ").trim() ?? "";
  return model === "" ? UNKNOWN_CPU : model;
}
