/**
 * The learning-loop benchmark's results: what each measured run gave (gamesim's own report), the
 * summary per kind of config (the defaults, the learned profile, the best of the random configs) and
 * the verdict of issue 13's "done when": the profile beats both the defaults and the best of 12 random
 * configs on missed frames and on the p99 wake-up latency of the game's threads. "Beats" means every run
 * of the profile did better than every run of the other side: medians of overlapping runs are no win (with
 * three runs each, two equal configs separate so by chance once in 20). The best random config is judged
 * by its fresh runs ("best"), not by the run that picked it: the best of 12 draws flatters its config.
 *
 * @module
 */

import type { GameFigures } from "../bench_sched/guest_results.ts";

/** One measured run. */
export interface LoopRun {
  /** best: the random config with the fewest missed frames, measured again in the rounds. */
  kind: "random" | "default" | "profile" | "best";
  /** Round (default, profile, best) or index (random), from 1. */
  n: number;
  /** The config's tunable flags (random and best runs), for the report. */
  flags: string;
  /** best runs: the index of the random config they measure. */
  pick?: number;
  figures: GameFigures;
}

/** The figures a comparison is made on (lower is better in each). */
export type LoopFigure = "missedPct" | "renderP99Ms" | "inputP99Ms";

/** Per kind: the median of each figure, and its best and worst run. */
export interface LoopFigures {
  /** Missed frames, percent. */
  missedPct: number;
  /** Wake-up latency p99 of the render and input threads, ms. */
  renderP99Ms: number;
  inputP99Ms: number;
  /** Each figure's lowest and highest value over the runs. */
  range: Record<LoopFigure, { min: number; max: number }>;
  runs: number;
}

/** The three rows and the verdicts. */
export interface LoopSummary {
  defaults: LoopFigures;
  profile: LoopFigures;
  /**
   * The random config with the fewest missed frames (ties: lower render p99), its flags and index; its
   * figures are from its fresh runs when there are any (fresh: true), else from the run that picked it.
   */
  bestRandom: LoopFigures & { flags: string; n: number; fresh: boolean; pickedMissedPct: number };
  randomRuns: number;
  verdicts: { figure: string; vsDefault: boolean; vsBestRandom: boolean }[];
}

function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length === 0
    ? NaN
    : v.length % 2
    ? v[(v.length - 1) / 2]
    : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

const FIGURES: Record<LoopFigure, (f: GameFigures) => number> = {
  missedPct: (f) => (f.missedShare ?? NaN) * 100,
  renderP99Ms: (f) => (f.render.p99 ?? NaN) / 1000,
  inputP99Ms: (f) => (f.input.p99 ?? NaN) / 1000,
};

function figuresOf(runs: readonly LoopRun[]): LoopFigures {
  const values = (k: LoopFigure) => runs.map((r) => FIGURES[k](r.figures));
  const range = (k: LoopFigure) => {
    const v = values(k);
    // A run without the figure (NaN) makes the range unknown, so it can win nothing.
    return v.some(Number.isNaN) ? { min: NaN, max: NaN } : { min: Math.min(...v), max: Math.max(...v) };
  };
  return {
    missedPct: median(values("missedPct")),
    renderP99Ms: median(values("renderP99Ms")),
    inputP99Ms: median(values("inputP99Ms")),
    range: {
      missedPct: range("missedPct"),
      renderP99Ms: range("renderP99Ms"),
      inputP99Ms: range("inputP99Ms"),
    },
    runs: runs.length,
  };
}

/**
 * Summarise the runs: medians per kind for the defaults and the profile, and the best single random run.
 *
 * @throws {RangeError} when a kind has no run.
 */
export function summarizeLoop(runs: readonly LoopRun[]): LoopSummary {
  const of = (k: LoopRun["kind"]) => runs.filter((r) => r.kind === k);
  const random = of("random");
  if (of("default").length === 0 || of("profile").length === 0 || random.length === 0) {
    throw new RangeError("bench:loop: every kind (default, profile, random) needs at least one run");
  }
  const fresh = of("best");
  // The guest picked the config its fresh runs measure; without them (runs before those existed), pick here.
  const picked = fresh.length > 0 ? random.find((r) => r.n === fresh[0].pick) : undefined;
  const best = picked ??
    [...random].sort((a, b) =>
      (a.figures.missedShare ?? Infinity) - (b.figures.missedShare ?? Infinity) ||
      (a.figures.render.p99 ?? Infinity) - (b.figures.render.p99 ?? Infinity)
    )[0];
  const defaults = figuresOf(of("default")), profile = figuresOf(of("profile"));
  const bestRandom = {
    ...figuresOf(fresh.length > 0 ? fresh : [best]),
    flags: best.flags,
    n: best.n,
    fresh: fresh.length > 0,
    pickedMissedPct: FIGURES.missedPct(best.figures),
  };
  // Every profile run better than every run of the other side (NaN compares false: no win).
  const beats = (key: LoopFigure) => ({
    vsDefault: profile.range[key].max < defaults.range[key].min,
    vsBestRandom: profile.range[key].max < bestRandom.range[key].min,
  });
  return {
    defaults,
    profile,
    bestRandom,
    randomRuns: random.length,
    verdicts: [
      { figure: "missed frames", ...beats("missedPct") },
      { figure: "render wake-up p99", ...beats("renderP99Ms") },
      { figure: "input wake-up p99", ...beats("inputP99Ms") },
    ],
  };
}

/** The report as markdown lines. */
export function formatLoopReport(
  s: LoopSummary,
  context: { profileFlags: string; header: string[] },
): string[] {
  const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  // The median, and the runs' range when there is more than one.
  const cell = (x: LoopFigures, k: LoopFigure, d: number) =>
    x.runs > 1 ? `${f(x[k], d)} [${f(x.range[k].min, d)}-${f(x.range[k].max, d)}]` : f(x[k], d);
  const row = (name: string, x: LoopFigures) =>
    `| ${name} | ${x.runs} | ${cell(x, "missedPct", 1)} | ${cell(x, "renderP99Ms", 2)} | ${
      cell(x, "inputP99Ms", 2)
    } |`;
  const yes = (b: boolean) => (b ? "yes" : "NO");
  return [
    ...context.header,
    "",
    "| config | runs | missed frames % | render wake-up p99 ms | input wake-up p99 ms |",
    "|:--|--:|--:|--:|--:|",
    row("defaults (median)", s.defaults),
    row(
      `best of ${s.randomRuns} random (#${s.bestRandom.n})${
        s.bestRandom.fresh ? ", fresh runs (median)" : ""
      }`,
      s.bestRandom,
    ),
    row("learned profile, --ml-profiles (median)", s.profile),
    "",
    `Learned profile: \`${context.profileFlags}\``,
    `Best random config: \`${s.bestRandom.flags}\` (${
      f(s.bestRandom.pickedMissedPct)
    }% missed in the run that picked it${s.bestRandom.fresh ? "" : "; not measured again"})`,
    "",
    "A win is every profile run better than every run it is compared with.",
    "",
    "| figure | profile beats the defaults | profile beats the best random |",
    "|:--|:--|:--|",
    ...s.verdicts.map((v) => `| ${v.figure} | ${yes(v.vsDefault)} | ${yes(v.vsBestRandom)} |`),
  ];
}
