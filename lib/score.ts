/**
 * The performance score the trainer maximises. One definition, used by the collector, the CSV importer
 * (for files from the original tool without a score column) and the tests.
 *
 * @module
 */

/** The four metrics the score depends on. Rates are fractions in 0..1. */
export interface ScoreInputs {
  select_cpu_latency_ns: number;
  mm_hint_hit_rate: number;
  direct_dispatch_rate: number;
  migration_block_rate: number;
}

/**
 * Lowest select_cpu latency the score believes, in ns. An interval with no timed select_cpu calls
 * reports 0; without a floor that would score infinity and dominate every model.
 */
export const MIN_SCORED_LATENCY_NS = 1;

/**
 * `(10000 / select_cpu_latency_ns) * 10 + (mm_hint_hit_rate + direct_dispatch_rate) * 5 + (1 - migration_block_rate) * 2`
 *
 * A latency of zero or less (no calls timed) contributes nothing to the latency term rather than infinity.
 *
 * @example
 * ```ts
 * score({ select_cpu_latency_ns: 1000, mm_hint_hit_rate: 0.5, direct_dispatch_rate: 0.9, migration_block_rate: 0.1 });
 * // 100 + 7 + 1.8 = 108.8
 * ```
 */
export function score(m: ScoreInputs): number {
  const latencyTerm = m.select_cpu_latency_ns >= MIN_SCORED_LATENCY_NS
    ? (10_000 / m.select_cpu_latency_ns) * 10
    : 0;
  return latencyTerm + (m.mm_hint_hit_rate + m.direct_dispatch_rate) * 5 + (1 - m.migration_block_rate) * 2;
}
