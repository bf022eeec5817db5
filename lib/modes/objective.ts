/**
 * A window's worth of a live comparison (A/B, autotune): which objective to judge configs on, and a
 * window's value on it, read from its samples through the CSV column table.
 *
 * @module
 */

import { findObjective } from "../score.ts";
import { columnValue } from "../store/columns.ts";
import type { Objective, Sample } from "../types.ts";
import type { WindowResult } from "./window_driver.ts";

/** The objective named, or the default for these samples: smooth_score when they carry it, else score. */
export function chooseObjective(name: string | null, samples: readonly Sample[]): Objective {
  if (name !== null) return findObjective(name)!;
  const smooth = samples.some((s) => columnValue(s, "smooth_score") !== null);
  return findObjective(smooth ? "smooth_score" : "score")!;
}

/** A window's value: the mean objective over its samples, or null when none has a value. */
export function windowValue(result: WindowResult, objective: Objective): number | null {
  const values = result.samples.map((s) => columnValue(s, objective.name)).filter((v): v is number =>
    v !== null
  );
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
