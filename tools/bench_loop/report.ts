/**
 * The learning-loop benchmark's results: what each measured run gave (gamesim's own report), the
 * summary per kind of config (the defaults, the learned profile, the best of the random configs) and
 * the verdict of issue 13's "done when": the profile beats both the defaults and the best of 12 random
 * configs on missed frames and on the p99 wake-up latency of the game's threads.
 *
 * @module
 */

import type { GameFigures } from "../bench_sched/guest_results.ts";

/** One measured run. */
export interface LoopRun {
  kind: "random" | "default" | "profile";
  /** Round (default, profile) or index (random), from 1. */
  n: number;
  /** The config's tunable flags (random runs), for the report. */
  flags: string;
  figures: GameFigures;
}

/** The figures a comparison is made on, per kind. */
export interface LoopFigures {
  /** Missed frames, percent. */
  missedPct: number;
  /** Wake-up latency p99 of the render and input threads, ms. */
  renderP99Ms: number;
  inputP99Ms: number;
  runs: number;
}

/** The three rows and the verdicts. */
export interface LoopSummary {
  defaults: LoopFigures;
  profile: LoopFigures;
  /** The random config with the fewest missed frames (ties: lower render p99), and its flags. */
  bestRandom: LoopFigures & { flags: string; n: number };
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

function figuresOf(runs: readonly LoopRun[]): LoopFigures {
  return {
    missedPct: median(runs.map((r) => (r.figures.missedShare ?? NaN) * 100)),
    renderP99Ms: median(runs.map((r) => (r.figures.render.p99 ?? NaN) / 1000)),
    inputP99Ms: median(runs.map((r) => (r.figures.input.p99 ?? NaN) / 1000)),
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
  const best =
    [...random].sort((a, b) =>
      (a.figures.missedShare ?? Infinity) - (b.figures.missedShare ?? Infinity) ||
      (a.figures.render.p99 ?? Infinity) - (b.figures.render.p99 ?? Infinity)
    )[0];
  const defaults = figuresOf(of("default")), profile = figuresOf(of("profile"));
  const bestRandom = { ...figuresOf([best]), flags: best.flags, n: best.n };
  const beats = (key: keyof Omit<LoopFigures, "runs">) => ({
    vsDefault: profile[key] < defaults[key],
    vsBestRandom: profile[key] < bestRandom[key],
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
  const row = (name: string, x: LoopFigures) =>
    `| ${name} | ${x.runs} | ${f(x.missedPct)} | ${f(x.renderP99Ms, 2)} | ${f(x.inputP99Ms, 2)} |`;
  const yes = (b: boolean) => (b ? "yes" : "NO");
  return [
    ...context.header,
    "",
    "| config | runs | missed frames % | render wake-up p99 ms | input wake-up p99 ms |",
    "|:--|--:|--:|--:|--:|",
    row("defaults (median)", s.defaults),
    row(`best of ${s.randomRuns} random (#${s.bestRandom.n})`, s.bestRandom),
    row("learned profile, --ml-profiles (median)", s.profile),
    "",
    `Learned profile: \`${context.profileFlags}\``,
    `Best random config: \`${s.bestRandom.flags}\``,
    "",
    "| figure | profile beats the defaults | profile beats the best random |",
    "|:--|:--|:--|",
    ...s.verdicts.map((v) => `| ${v.figure} | ${yes(v.vsDefault)} | ${yes(v.vsBestRandom)} |`),
  ];
}
