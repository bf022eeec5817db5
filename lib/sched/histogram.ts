/**
 * Quantiles and tail shares of the kernel's histograms: bucket counts and a function giving each bucket's
 * bounds, interpolated linearly inside the bucket a value falls in. One place for the arithmetic the
 * scheduler's call-cost histograms (stats.ts) and the game's wake-up and pacing histograms (smooth.ts) share.
 *
 * @module
 */

/**
 * The share (0..1) of a histogram's values above `threshold`, counting the bucket it falls in linearly;
 * 0 when empty.
 *
 * @example
 * ```ts
 * shareAbove([2, 2], 15, (i) => [i * 10, i * 10 + 10]); // 0.25
 * ```
 */
export function shareAbove(
  buckets: readonly number[],
  threshold: number,
  bounds: (i: number) => [number, number],
): number {
  let total = 0, above = 0;
  buckets.forEach((n, i) => {
    total += n;
    const [lo, hi] = bounds(i);
    if (lo >= threshold) above += n;
    else if (hi > threshold) above += n * (hi - threshold) / (hi - lo);
  });
  return total > 0 ? above / total : 0;
}

/**
 * The q-quantile (0..1) of a histogram, interpolated linearly inside its bucket; 0 when empty.
 *
 * @example
 * ```ts
 * quantileOf([0, 4, 0], 0.5, (i) => [i * 10, i * 10 + 10]); // 15
 * ```
 */
export function quantileOf(
  buckets: readonly number[],
  q: number,
  bounds: (i: number) => [number, number],
): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] === 0) continue;
    if (seen + buckets[i] >= rank) {
      const [lo, hi] = bounds(i);
      return lo + ((rank - seen) / buckets[i]) * (hi - lo);
    }
    seen += buckets[i];
  }
  return bounds(buckets.length - 1)[1];
}
