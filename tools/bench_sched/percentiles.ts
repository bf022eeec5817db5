/**
 * Order statistics for the benchmark: percentiles of a latency histogram and medians across rounds.
 * Pure functions over plain data.
 *
 * @module
 */

/** A latency histogram: bucket value (us, 1 us wide) -> count, plus samples beyond the last bucket. */
export interface LatencyHistogram {
  /** Bucket lower bound in us -> samples in [value, value + 1). */
  buckets: ReadonlyMap<number, number>;
  /** Samples that fell past the histogram's range; they count as `maxUs`. */
  overflow: number;
  /** The largest sample seen, us. */
  maxUs: number;
}

/** Total number of samples in a histogram, overflow included. */
export function histogramCount(h: LatencyHistogram): number {
  let n = h.overflow;
  for (const c of h.buckets.values()) n += c;
  return n;
}

/**
 * The q-quantile (0..1) of a histogram by nearest rank (the value of the ceil(q*n)-th smallest sample),
 * the same definition gamesim uses. Overflowed samples are taken at the histogram's maximum. Returns
 * null for an empty histogram.
 *
 * @example
 * ```ts
 * histogramQuantile({ buckets: new Map([[10, 98], [500, 2]]), overflow: 0, maxUs: 500 }, 0.99); // 500
 * ```
 */
export function histogramQuantile(h: LatencyHistogram, q: number): number | null {
  const n = histogramCount(h);
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil(q * n));
  const values = [...h.buckets.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const v of values) {
    seen += h.buckets.get(v)!;
    if (seen >= rank) return v;
  }
  return h.maxUs;
}

/** Merge histograms (pooling rounds for a plot); the maximum is the largest of all. */
export function mergeHistograms(parts: readonly LatencyHistogram[]): LatencyHistogram {
  const buckets = new Map<number, number>();
  let overflow = 0;
  let maxUs = 0;
  for (const p of parts) {
    for (const [v, c] of p.buckets) buckets.set(v, (buckets.get(v) ?? 0) + c);
    overflow += p.overflow;
    maxUs = Math.max(maxUs, p.maxUs);
  }
  return { buckets, overflow, maxUs };
}

/**
 * Median of the finite values (the mean of the middle two for an even count); null when there are none.
 *
 * @example
 * ```ts
 * median([3, null, 1, 2]); // 2
 * ```
 */
export function median(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}
