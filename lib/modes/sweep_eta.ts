/**
 * Time arithmetic of the sweep's progress: how long is left, how to print a duration, the one-line
 * progress bar. Pure functions of numbers.
 *
 * @module
 */

/**
 * A duration for people: `42 s` under a minute, `5m 05s` under an hour, `3h 02m 55s` beyond.
 *
 * @example
 * ```ts
 * formatSeconds(10_975); // "3h 02m 55s"
 * ```
 */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${pad(m)}m ${pad(s % 60)}s` : `${m}m ${pad(s % 60)}s`;
}

/** Where the sweep is, for {@link etaSeconds}. */
export interface SweepPosition {
  /** Index of the running config among the configs run this time, from 0. */
  position: number;
  /** Number of configs run this time (finished ones from an earlier run are not counted). */
  total: number;
  /** Seconds the running config has run so far. */
  currentElapsedS: number;
  /** Seconds each config runs. */
  durationS: number;
  /** Seconds between two configs. */
  settleS: number;
  /**
   * Seconds a config takes beyond its duration (start-up until attached, stopping, saving), as
   * measured on the configs run so far. Default 0.
   */
  overheadS?: number;
}

/**
 * Seconds left: the rest of the running config, then a settle and a full run for every config after it.
 * Each config runs a fixed time, so the plan (plus the measured per-config overhead) predicts better
 * than an average of wall times would (an ejected config ends early and would make it too optimistic).
 *
 * @example
 * ```ts
 * etaSeconds({ position: 0, total: 3, currentElapsedS: 100, durationS: 300, settleS: 5 }); // 810
 * ```
 */
export function etaSeconds(p: SweepPosition): number {
  const perConfig = p.durationS + (p.overheadS ?? 0);
  const current = Math.max(0, perConfig - p.currentElapsedS);
  const after = Math.max(0, p.total - p.position - 1);
  return current + after * (p.settleS + perConfig);
}

/** Share of the sweep done, 0..1, counting the running config's progress. */
export function fractionDone(p: SweepPosition): number {
  if (p.total <= 0) return 1;
  const perConfig = p.durationS + (p.overheadS ?? 0);
  const current = perConfig > 0 ? Math.min(1, p.currentElapsedS / perConfig) : 1;
  return Math.min(1, (p.position + current) / p.total);
}

/**
 * The terminal's one-line progress bar, e.g.
 * `[#####---------------] 3/36  elapsed 12m 05s  ETA 2h 45m 10s  slice_us=10 mig_max=3`.
 */
export function progressLine(
  p: SweepPosition,
  options: { elapsedS: number; label: string; width?: number },
): string {
  const width = options.width ?? 20;
  const filled = Math.round(fractionDone(p) * width);
  const bar = "#".repeat(filled) + "-".repeat(width - filled);
  return `[${bar}] ${p.position + 1}/${p.total}  elapsed ${formatSeconds(options.elapsedS)}  ETA ${
    formatSeconds(etaSeconds(p))
  }  ${options.label}`;
}
