/**
 * `--ml-show-best GAME`: a printable summary of one game's samples on this machine's CPU model (or one
 * chosen with `--cpu-model`, or all of them): how many, the averages of the key metrics, the best sample
 * and its config as a command line ready to paste. "Best" is by the objective training would choose
 * for this data (lib/score.ts defaultObjective: smooth_score once any sample measured it, else the
 * original score), and the summary names it. The game matches as collection and training match it:
 * ".exe" and case do not matter.
 *
 * @module
 */

import { configToCommandLine, type SchedConfig } from "../config.ts";
import { DEFAULT_OBJECTIVES, defaultObjective, objectiveSign } from "../score.ts";
import type { Objective, Sample } from "../types.ts";
import { sameGame } from "../game_key.ts";
import { printable } from "../host/terminal.ts";
import { columnValue } from "./columns.ts";
import { readAllStores, type StoredGame } from "./store_dir.ts";

/** A game name that matches nothing (or several games) under the ml dir. `message` is the one line to print. */
export class UnknownGameError extends Error {
  override name = "UnknownGameError";
}

/** One averaged metric. */
export interface MetricAverage {
  label: string;
  value: number;
  unit: "ns" | "/s" | "%" | "";
}

/** The summary of one game. */
export interface GameSummary {
  game_name: string;
  /** Samples across every CPU model. */
  samples: number;
  /** What "best" means here: the default objective of these samples. */
  objective: Objective;
  /** Samples, and the best value of the objective (null: none measured it), per CPU model, sorted by model. */
  perCpu: { cpu_model: string; samples: number; best: number | null }[];
  averages: MetricAverage[];
  /** The best sample: its objective value, its original score, and where and when it ran. */
  best: { value: number; score: number; config: SchedConfig; cpu_model: string; timestamp: number };
  /** The best config as the command line that runs it. */
  commandLine: string;
}

/** Options of {@link summarizeGame} and {@link showBest}. */
export interface ShowBestOptions {
  /** Where a skipped file's warning line goes. Default `console.error`. */
  log?: (line: string) => void;
  /** `--cpu-model`: one CPU model, or "all". Default: this machine's when the game has samples there. */
  cpuModel?: string | null;
  /** This machine's CPU model. Default: none (every CPU model is shown unless one is chosen). */
  hostCpuModel?: string | null;
}

/**
 * The metrics averaged, and how each reads from a sample (null: not measured there, left out of the
 * average; a metric no sample measured is not shown). Rates are shown in percent.
 */
const AVERAGED: readonly { label: string; unit: MetricAverage["unit"]; get: (s: Sample) => number | null }[] =
  [
    { label: "select_cpu latency", unit: "ns", get: (s) => s.metrics.latency.select_cpu.avg_ns },
    { label: "select_cpu latency p99", unit: "ns", get: (s) => s.metrics.latency.select_cpu.p99_ns },
    { label: "enqueue latency", unit: "ns", get: (s) => s.metrics.latency.enqueue.avg_ns },
    { label: "dispatch latency", unit: "ns", get: (s) => s.metrics.latency.dispatch.avg_ns },
    { label: "deadline latency", unit: "ns", get: (s) => s.metrics.latency.deadline.avg_ns },
    { label: "enqueues", unit: "/s", get: (s) => s.metrics.enqueues_per_sec },
    { label: "dispatches", unit: "/s", get: (s) => s.metrics.dispatches_per_sec },
    { label: "migration block rate", unit: "%", get: (s) => s.metrics.migration_block_rate * 100 },
    { label: "mm hint hit rate", unit: "%", get: (s) => s.metrics.mm_hint_hit_rate * 100 },
    { label: "direct dispatch rate", unit: "%", get: (s) => s.metrics.direct_dispatch_rate * 100 },
    { label: "CPU utilisation", unit: "%", get: (s) => s.metrics.cpu_util_pct },
    { label: "score", unit: "", get: (s) => s.score },
    { label: "smooth score", unit: "", get: (s) => s.smooth_score ?? null },
  ];

/**
 * The objective "best" is judged by: the default one of the objectives some sample measured (every
 * sample has a score, so null only without samples).
 */
function objectiveOf(samples: readonly Sample[]): Objective | null {
  const have = DEFAULT_OBJECTIVES.filter((name) => samples.some((s) => columnValue(s, name) !== null));
  return defaultObjective(have);
}

/** The best sample by `objective` (the first on a tie), with its value; null when none measured it. */
function bestBy(samples: readonly Sample[], objective: Objective): { sample: Sample; value: number } | null {
  const sign = objectiveSign(objective);
  let best: { sample: Sample; value: number } | null = null;
  for (const sample of samples) {
    const value = columnValue(sample, objective.name);
    if (value !== null && (best === null || sign * value > sign * best.value)) best = { sample, value };
  }
  return best;
}

function averagesOf(samples: readonly Sample[]): MetricAverage[] {
  return AVERAGED.flatMap(({ label, unit, get }) => {
    const values = samples.map(get).filter((v): v is number => v !== null);
    return values.length === 0
      ? []
      : [{ label, unit, value: values.reduce((a, v) => a + v, 0) / values.length }];
  });
}

/**
 * Pick the files of `game`: every file whose game is the same game ({@link sameGame}: ".exe" and case
 * folded, as collection and training fold them), on the chosen CPU model.
 */
function matchGame(stores: StoredGame[], game: string, mlDir: string, cpu: CpuChoice): StoredGame[] {
  const same = stores.filter((g) => sameGame(g.doc.game_name, game));
  const shown = (list: string[]) => list.map((n) => `"${printable(n)}"`).join(", ");
  if (same.length === 0) {
    const known = [...new Set(stores.map((g) => g.doc.game_name))].sort();
    if (known.length === 0) {
      throw new UnknownGameError(`no games under ${mlDir}: collect some with --ml-collect first`);
    }
    throw new UnknownGameError(
      `unknown game "${printable(game)}" under ${mlDir}: known games are ${shown(known)}`,
    );
  }
  const cpus = [...new Set(same.map((g) => g.doc.cpu_model))].sort();
  const want = cpu.cpuModel ??
    (cpu.hostCpuModel !== null && cpus.includes(cpu.hostCpuModel) ? cpu.hostCpuModel : "all");
  if (want === "all") return same;
  const chosen = same.filter((g) => g.doc.cpu_model === want);
  if (chosen.length === 0) {
    throw new UnknownGameError(
      `game "${printable(game)}" has no samples on CPU model "${printable(want)}": it has ${
        shown(cpus)
      } (or --cpu-model all)`,
    );
  }
  return chosen;
}

/** Which CPU model's samples to show. */
interface CpuChoice {
  /** A CPU model, "all", or null for this machine's when the data has it (else all). */
  cpuModel: string | null;
  hostCpuModel: string | null;
}

/**
 * Summarise one game's samples.
 *
 * @throws {UnknownGameError} when no game (or several, ignoring case) matches, or it has no samples.
 */
export function summarizeGame(mlDir: string, game: string, options: ShowBestOptions = {}): GameSummary {
  const log = options.log ?? ((line: string) => console.error(line));
  const listing = readAllStores(mlDir);
  for (const warning of listing.warnings) log(warning);
  const files = matchGame(listing.games, game, mlDir, {
    cpuModel: options.cpuModel ?? null,
    hostCpuModel: options.hostCpuModel ?? null,
  });
  const samples = files.flatMap((f) => f.doc.samples);
  const objective = objectiveOf(samples);
  const best = objective === null ? null : bestBy(samples, objective);
  if (objective === null || best === null) {
    throw new UnknownGameError(
      `game "${printable(files[0].doc.game_name)}" has no samples yet under ${mlDir}`,
    );
  }
  const perCpu = files
    .filter((f) => f.doc.samples.length > 0)
    .map((f) => ({
      cpu_model: f.doc.cpu_model,
      samples: f.doc.samples.length,
      best: bestBy(f.doc.samples, objective)?.value ?? null,
    }))
    .sort((a, b) => a.cpu_model.localeCompare(b.cpu_model));
  const { sample } = best;
  return {
    game_name: files[0].doc.game_name,
    samples: samples.length,
    objective,
    perCpu,
    averages: averagesOf(samples),
    best: {
      value: best.value,
      score: sample.score,
      config: { ...sample.config },
      cpu_model: sample.cpu_model,
      timestamp: sample.timestamp,
    },
    commandLine: configToCommandLine(sample.config),
  };
}

function formatNumber(value: number, unit: MetricAverage["unit"]): string {
  const digits = unit === "%" || unit === "" ? 2 : Math.abs(value) >= 100 ? 0 : 1;
  const text = value.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
  return unit === "" ? text : unit === "%" ? `${text} %` : `${text} ${unit}`;
}

/** The line that says which objective "best" means, and why that one. */
function objectiveLine(objective: Objective): string {
  const why = objective.name === "smooth_score"
    ? "the samples measured it"
    : "no sample measured smooth_score";
  const better = objective.direction === "max" ? "higher" : "lower";
  return `Best by: ${objective.name} (${why}; ${better} is better)`;
}

/** Render a summary as the lines `--ml-show-best` prints. */
export function formatSummary(summary: GameSummary): string {
  const name = summary.objective.name;
  const lines = [
    `Game: ${printable(summary.game_name)}`,
    `Samples: ${summary.samples}`,
    objectiveLine(summary.objective),
  ];
  for (const cpu of summary.perCpu) {
    const best = cpu.best === null ? `none measured ${name}` : `best ${name} ${cpu.best.toFixed(2)}`;
    lines.push(`  ${printable(cpu.cpu_model)}: ${cpu.samples} samples, ${best}`);
  }
  lines.push("Averages:");
  const width = Math.max(...summary.averages.map((a) => a.label.length));
  for (const a of summary.averages) {
    lines.push(`  ${a.label.padEnd(width)}  ${formatNumber(a.value, a.unit)}`);
  }
  const date = new Date(summary.best.timestamp * 1000);
  const when = Number.isNaN(date.getTime())
    ? `t=${summary.best.timestamp}`
    : date.toISOString().replace(/\.\d+Z$/, "Z");
  const score = name === "score" ? "" : `; score ${summary.best.score.toFixed(2)}`;
  lines.push(
    `Best ${name}: ${summary.best.value.toFixed(2)} (on ${
      printable(summary.best.cpu_model)
    }, sample of ${when}${score})`,
    "Best config:",
    `  ${summary.commandLine}`,
  );
  return lines.join("\n");
}

/**
 * The printable summary of one game (see {@link summarizeGame} and {@link formatSummary}).
 *
 * @example
 * ```ts
 * console.log(showBest("./ml_data", "cyberpunk2077"));
 * // Game: Cyberpunk2077
 * // Samples: 240
 * // ...
 * // Best config:
 * //   sudo ./scx_gamer --stats 1 --slice-us 10 ...
 * ```
 */
export function showBest(mlDir: string, game: string, options: ShowBestOptions = {}): string {
  return formatSummary(summarizeGame(mlDir, game, options));
}
