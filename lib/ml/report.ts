/**
 * The trainer's printed text: the best-configuration block (its exact shape is a promise to users and
 * scripts) and the ranked importance tables of --analyze.
 *
 * @module
 */

import { configToCommandLine, type SchedConfig } from "../config.ts";

/**
 * The block that ends a training run, e.g.
 * ```
 * === Best Configuration Found ===
 * Performance Score: 87.42
 *
 * Command line:
 * sudo ./scx_gamer --stats 1 --slice-us 7 ...
 * ```
 */
export function formatBestBlock(score: number, config: SchedConfig): string {
  return [
    "=== Best Configuration Found ===",
    `Performance Score: ${score.toFixed(2)}`,
    "",
    "Command line:",
    configToCommandLine(config, { stats: 1 }),
  ].join("\n");
}

/** One row of an importance table. */
export interface ImportanceRow {
  name: string;
  value: number;
  /** Spread (e.g. the std over permutation repeats), shown as ± when given. */
  spread?: number;
}

/**
 * A table ranked by value, largest first, with a text bar scaled to the largest value.
 *
 * @example
 * ```ts
 * formatImportanceTable("Impurity importance", [{ name: "slice_us", value: 0.6 }, { name: "mig_max", value: 0.4 }]);
 * ```
 */
export function formatImportanceTable(
  title: string,
  rows: readonly ImportanceRow[],
  options: { width?: number } = {},
): string {
  const { width = 30 } = options;
  const ranked = [...rows].sort((a, b) => b.value - a.value || a.name.localeCompare(b.name));
  const top = Math.max(...ranked.map((r) => r.value), 0);
  const nameWidth = Math.max(7, ...ranked.map((r) => r.name.length));
  const lines = [
    title,
    `${"rank".padStart(4)}  ${"feature".padEnd(nameWidth)}  ${"value".padStart(16)}  bar`,
  ];
  ranked.forEach((r, i) => {
    const len = top > 0 && r.value > 0 ? Math.round((r.value / top) * width) : 0;
    const shown = r.spread === undefined
      ? r.value.toFixed(4)
      : `${r.value.toFixed(4)} ± ${r.spread.toFixed(4)}`;
    lines.push(
      `${String(i + 1).padStart(4)}  ${r.name.padEnd(nameWidth)}  ${shown.padStart(16)}  ${"#".repeat(len)}`,
    );
  });
  return lines.join("\n");
}
