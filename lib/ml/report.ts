/**
 * The trainer's printed text: the best-configuration block (its exact shape is a promise to users and
 * scripts) and the ranked importance tables of --analyze.
 *
 * @module
 */

import { configToArgs, configToCommandLine, flagOf, type SchedConfig, type SwitchKey } from "../config.ts";
import { type Evidence, type MeasuredRank, MIN_WINDOWS } from "./evidence.ts";
import { switchesFromTopology } from "./search_space.ts";
import type { Objective, Topology } from "../types.ts";

/**
 * The block that ends a training run, e.g.
 * ```
 * === Best Configuration Found ===
 * Performance Score: 87.42
 *
 * Command line:
 * sudo ./scx_gamer --stats 1 --slice-us 7 ...
 * ```
 * The second line says "Performance Score" for the original score (the shape scripts of the original
 * tool read) and "Predicted NAME: VALUE (higher|lower is better)" for any other objective.
 */
export function formatBestBlock(
  best: { predicted: number; config: SchedConfig },
  objective: Objective,
): string {
  const value = best.predicted.toFixed(2);
  return [
    "=== Best Configuration Found ===",
    objective.name === "score"
      ? `Performance Score: ${value}`
      : `Predicted ${objective.name}: ${value} (${
        objective.direction === "max" ? "higher" : "lower"
      } is better)`,
    "",
    "Command line:",
    configToCommandLine(best.config, { stats: 1 }),
  ].join("\n");
}

/**
 * The lines that say what of the best config was not decided by measurement (empty when all of it was):
 * interpolated numeric values, and switches the data never varied (kept as the samples ran them) where
 * this machine's topology suggests the other value, as something to sweep.
 */
export function formatUnmeasured(
  best: {
    config: SchedConfig;
    unvaried: readonly SwitchKey[];
    interpolated: readonly (keyof SchedConfig)[];
  },
  topology: Topology,
): string[] {
  const lines: string[] = [];
  const suggested = switchesFromTopology(topology);
  const worthSweeping = best.unvaried.filter((k) => suggested[k] !== best.config[k]);
  if (worthSweeping.length > 0) {
    const each = (f: (k: SwitchKey) => string, sep = ", ") => worthSweeping.map(f).join(sep);
    lines.push(
      `Not swept, kept as measured: ${each((k) => `${k}=${onOff(best.config[k])}`)}; ` +
        `this machine's topology suggests ${each((k) => `${k}=${onOff(suggested[k])}`)}: ` +
        `sweep ${each((k) => `${flagOf(k)} false,true`, " ")} to measure it`,
    );
  }
  if (best.interpolated.length > 0) {
    lines.push(
      `Interpolated (no sample measured these values): ${
        best.interpolated.map((k) => `${k} ${best.config[k]}`).join(", ")
      }`,
    );
  }
  return lines;
}

function onOff(v: boolean | number): string {
  return v ? "on" : "off";
}

/**
 * The line that says whether the measurements back the forest's pick over the defaults, and so which
 * config is recommended (lib/ml/evidence.ts), e.g. "Measured: the forest's pick averaged 1.06 over 20
 * samples, the defaults 1.03 over 20: +0.03, within the noise (0.25; 5% over 27 configs). Recommended:
 * the defaults as measured."
 */
export function formatEvidence(e: Evidence, forestPick: SchedConfig): string {
  const pickArgs = configToArgs(forestPick).join(" ");
  const n = (m: { samples: number; mean: number }) => `${m.mean.toFixed(2)} over ${m.samples} samples`;
  switch (e.kind) {
    case "is_defaults":
      return "Measured: the forest's pick is the defaults.";
    case "defaults_unmeasured":
      return "Measured: no sample ran the defaults, so the forest's pick is not checked against them " +
        "(a sweep whose grid holds the defaults can check it).";
    case "pick_unmeasured":
      return `Measured: the forest's pick (${pickArgs}) never ran as a whole for ${
        e.pick === null ? "enough samples" : "long"
      }, so nothing shows it beats the defaults. Recommended: the defaults as measured.`;
    default: {
      const gain = `${e.gain! >= 0 ? "+" : ""}${e.gain!.toFixed(2)}`;
      const noise = `${e.margin!.toFixed(2)}; 5% over ${e.configs} configs, ${marginSource(e)}`;
      const against = e.paired ? "; against the defaults' windows beside its own" : "";
      return `Measured: the forest's pick averaged ${n(e.pick!)}, the defaults ${n(e.defaults!)}` +
        `${against}: ${gain}, ` +
        (e.kind === "supported"
          ? `above the noise (${noise}). Recommended: the forest's pick.`
          : `within the noise (${noise}). Recommended: the defaults as measured, not (${pickArgs}).`);
    }
  }
}

/**
 * The line that says which of the forest's best few configs is checked against the defaults, when the
 * samples moved it off the forest's first (lib/ml/train.ts measuredAmongTop); null when they did not.
 * E.g. "Of the forest's 8 best configs, its 3rd measured best (7.03 over 20 samples, +0.95 over the
 * defaults' windows beside its own; its first 6.08 over 20 samples, +0.02): that one is the pick."
 */
export function formatPickRank(rank: MeasuredRank): string | null {
  if (rank.index === 0) return null;
  const gainOf = (i: number) => {
    const g = rank.gains[i];
    return g === null ? "" : `, ${g >= 0 ? "+" : ""}${g.toFixed(2)}`;
  };
  const over = rank.paired ? " over the defaults' windows beside its own" : " over the defaults";
  const n = (i: number, first: boolean) => {
    const m = rank.measured[i];
    if (m === null) return "never ran as a whole";
    const gain = gainOf(i);
    return `${m.mean.toFixed(2)} over ${m.samples} samples${gain}${gain && first ? over : ""}`;
  };
  const nth = ordinal(rank.index + 1);
  return `Of the forest's ${rank.measured.length} best configs, its ${nth} measured best ` +
    `(${n(rank.index, true)}; its first ${n(0, false)}): that one is the pick.`;
}

/**
 * The line that names the configs left for `--ml-autotune` to confirm (lib/ml/train.ts toConfirm), or
 * null when there are none. E.g. "Measured above the defaults by less than the noise, for --ml-autotune to
 * confirm first (saved in the profile): --slice-us 50 ...; --slice-us 250 ...".
 */
export function formatToConfirm(configs: readonly SchedConfig[]): string | null {
  if (configs.length === 0) return null;
  return "Measured above the defaults by less than the noise, for --ml-autotune to confirm first (saved in " +
    `the profile): ${configs.map((c) => configToArgs(c).join(" ")).join("; ")}`;
}

/** 1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st. */
function ordinal(k: number): string {
  const teen = k % 100 >= 11 && k % 100 <= 13;
  return `${k}${teen ? "th" : ["th", "st", "nd", "rd"][k % 10] ?? "th"}`;
}

/** Where a verdict's margin came from, for its `Measured:` line. */
function marginSource(e: Evidence): string {
  const k = e.defaultsWindows;
  if (e.marginFrom === "windows") return `from the differences between the defaults' ${k} windows`;
  if (k < MIN_WINDOWS) return `within windows: the defaults ran in ${k} window${k === 1 ? "" : "s"}`;
  return `within windows, above the differences between the defaults' ${k} windows`;
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
