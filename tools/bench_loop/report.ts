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

import type { GameFigures, OtherRole, RoleLatency } from "../bench_sched/guest_results.ts";

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
  /**
   * The kernel's reason when it stopped the scheduler during the run: the game then ran (in part) under
   * the kernel's default, so the run measures no config. Left out of every figure and named in the report.
   */
  ejected?: string;
  figures: GameFigures;
}

/**
 * The figures a comparison is made on (lower is better in each): missed frames (percent) and the wake-up
 * latency p99 (ms) of each of the game's kinds of thread: the render and input threads (the main table),
 * then GPU submit, audio and the job workers (one figure for all of them); then, per kind of thread, the
 * p99 of the time each wake-up waited runnable (the kernel's run_delay): the scheduler's own part of the
 * latency, which for the timer-driven threads under emulation is a small part (their timers fire late).
 */
export type LoopFigure =
  | "missedPct"
  | "renderP99Ms"
  | "inputP99Ms"
  | "submitP99Ms"
  | "audioP99Ms"
  | "workerP99Ms"
  | "renderWaitP99Ms"
  | "inputWaitP99Ms"
  | "submitWaitP99Ms"
  | "audioWaitP99Ms"
  | "workerWaitP99Ms";

/** Per kind: the median of each figure, and its best and worst run. */
export type LoopFigures = Record<LoopFigure, number> & {
  /** Each figure's lowest and highest value over the runs. */
  range: Record<LoopFigure, { min: number; max: number }>;
  runs: number;
};

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
  /** The runs the kernel ejected the scheduler in, in run order (left out of the figures). */
  ejected: { kind: LoopRun["kind"]; n: number; flags: string; why: string }[];
  verdicts: {
    figure: string;
    vsDefault: boolean;
    vsBestRandom: boolean;
    /** Round by round: in how many rounds the profile's run was lower than the defaults' run. */
    roundsVsDefault: RoundCount;
    /** The same against the best random config's fresh runs (none when it has none). */
    roundsVsBestRandom: RoundCount;
  }[];
}

/**
 * A paired comparison: the rounds where both sides measured the figure, and those where the profile's run
 * was lower. Runs of one round ran back to back, so a change of the emulator's speed within a boot hits both
 * sides of a pair alike, where the all-runs rule above compares across the boot.
 */
export interface RoundCount {
  lower: number;
  rounds: number;
}

/**
 * The one-sided sign test: the chance of `lower` or more lower rounds of `rounds` if the two configs were
 * equal (each round a coin toss). 7 of 7 is 0.008, 6 of 7 0.06.
 */
export function signTestP({ lower, rounds }: RoundCount): number {
  let tail = 0, choose = 1; // choose = C(rounds, i), built up from i = 0
  for (let i = 0; i <= rounds; i++) {
    if (i >= lower) tail += choose;
    choose = (choose * (rounds - i)) / (i + 1);
  }
  return tail / 2 ** rounds;
}

function median(values: readonly number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v.length === 0
    ? NaN
    : v.length % 2
    ? v[(v.length - 1) / 2]
    : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

/**
 * One kind of the game's threads in a run, as ms (NaN where the run has none): its wake-up p99, or the
 * p99 of its waits runnable.
 */
const roleMs = (role: "render" | "input" | OtherRole, key: "p99" | "runqP99") => (f: GameFigures) => {
  const r: RoleLatency | undefined = role === "render" || role === "input" ? f[role] : f.others?.[role];
  return (r?.[key] ?? NaN) / 1000;
};

/** Each figure from one run, and its name in the verdicts. */
const FIGURES: Record<LoopFigure, { of: (f: GameFigures) => number; name: string }> = {
  missedPct: { of: (f) => (f.missedShare ?? NaN) * 100, name: "missed frames" },
  renderP99Ms: { of: roleMs("render", "p99"), name: "render wake-up p99" },
  inputP99Ms: { of: roleMs("input", "p99"), name: "input wake-up p99" },
  submitP99Ms: { of: roleMs("submit", "p99"), name: "GPU-submit wake-up p99" },
  audioP99Ms: { of: roleMs("audio", "p99"), name: "audio wake-up p99" },
  workerP99Ms: { of: roleMs("worker", "p99"), name: "job-worker wake-up p99" },
  renderWaitP99Ms: { of: roleMs("render", "runqP99"), name: "render waited runnable p99" },
  inputWaitP99Ms: { of: roleMs("input", "runqP99"), name: "input waited runnable p99" },
  submitWaitP99Ms: { of: roleMs("submit", "runqP99"), name: "GPU-submit waited runnable p99" },
  audioWaitP99Ms: { of: roleMs("audio", "runqP99"), name: "audio waited runnable p99" },
  workerWaitP99Ms: { of: roleMs("worker", "runqP99"), name: "job-worker waited runnable p99" },
};
const FIGURE_KEYS = Object.keys(FIGURES) as LoopFigure[];

/** The figures of the runs that measured their config (an ejected run measured the kernel's default). */
function figuresOf(all: readonly LoopRun[]): LoopFigures {
  const runs = all.filter((r) => r.ejected === undefined);
  const values = (k: LoopFigure) => runs.map((r) => FIGURES[k].of(r.figures));
  const range = (k: LoopFigure) => {
    const v = values(k);
    // A run without the figure (NaN), or no run, makes the range unknown, so it can win nothing.
    return v.length === 0 || v.some(Number.isNaN)
      ? { min: NaN, max: NaN }
      : { min: Math.min(...v), max: Math.max(...v) };
  };
  const medians = Object.fromEntries(FIGURE_KEYS.map((k) => [k, median(values(k))])) as Record<
    LoopFigure,
    number
  >;
  const ranges = Object.fromEntries(FIGURE_KEYS.map((k) => [k, range(k)])) as LoopFigures["range"];
  return { ...medians, range: ranges, runs: runs.length };
}

/**
 * Summarise the runs: medians per kind for the defaults and the profile, and the best single random run.
 *
 * @throws {RangeError} when a kind has no run.
 */
export function summarizeLoop(runs: readonly LoopRun[]): LoopSummary {
  const of = (k: LoopRun["kind"]) => runs.filter((r) => r.kind === k);
  const random = of("random"), defaultRuns = of("default"), profileRuns = of("profile");
  if (defaultRuns.length === 0 || profileRuns.length === 0 || random.length === 0) {
    throw new RangeError("bench:loop: every kind (default, profile, random) needs at least one run");
  }
  const fresh = of("best");
  // The guest picked the config its fresh runs measure; without them (runs before those existed), pick
  // here, among the configs that kept the scheduler attached.
  const picked = fresh.length > 0 ? random.find((r) => r.n === fresh[0].pick) : undefined;
  const measured = random.filter((r) => r.ejected === undefined);
  const best = picked ??
    [...(measured.length > 0 ? measured : random)].sort((a, b) =>
      (a.figures.missedShare ?? Infinity) - (b.figures.missedShare ?? Infinity) ||
      (a.figures.render.p99 ?? Infinity) - (b.figures.render.p99 ?? Infinity)
    )[0];
  const defaults = figuresOf(defaultRuns), profile = figuresOf(profileRuns);
  const bestRandom = {
    ...figuresOf(fresh.length > 0 ? fresh : [best]),
    flags: best.flags,
    n: best.n,
    fresh: fresh.length > 0,
    pickedMissedPct: FIGURES.missedPct.of(best.figures),
  };
  // Every profile run better than every run of the other side (NaN compares false: no win). A profile the
  // kernel ejected in any run wins nothing, whatever its other runs measured.
  const profileHeld = profileRuns.every((r) => r.ejected === undefined);
  // Round by round: a round counts where both runs measured their config and the figure.
  const byRound = (key: LoopFigure, other: readonly LoopRun[]): RoundCount => {
    let lower = 0, rounds = 0;
    for (const p of profileRuns) {
      const o = other.find((r) => r.n === p.n);
      if (!o || p.ejected !== undefined || o.ejected !== undefined) continue;
      const a = FIGURES[key].of(p.figures), b = FIGURES[key].of(o.figures);
      if (Number.isNaN(a) || Number.isNaN(b)) continue;
      rounds++;
      if (a < b) lower++;
    }
    return { lower, rounds };
  };
  const beats = (key: LoopFigure) => ({
    figure: FIGURES[key].name,
    vsDefault: profileHeld && profile.range[key].max < defaults.range[key].min,
    vsBestRandom: profileHeld && profile.range[key].max < bestRandom.range[key].min,
    roundsVsDefault: byRound(key, defaultRuns),
    roundsVsBestRandom: byRound(key, fresh),
  });
  return {
    defaults,
    profile,
    bestRandom,
    randomRuns: random.length,
    ejected: runs.filter((r) => r.ejected !== undefined)
      .map((r) => ({ kind: r.kind, n: r.n, flags: r.flags, why: r.ejected! })),
    verdicts: FIGURE_KEYS.map(beats),
  };
}

/** The report as markdown lines. */
export function formatLoopReport(
  s: LoopSummary,
  context: { profileFlags: string; header: string[] },
): string[] {
  const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : "-");
  // The median, and the runs' range when there is more than one.
  const cell = (x: LoopFigures, k: LoopFigure) => {
    const d = k === "missedPct" ? 1 : 2;
    return x.runs > 1 ? `${f(x[k], d)} [${f(x.range[k].min, d)}-${f(x.range[k].max, d)}]` : f(x[k], d);
  };
  const ejectedRandom = s.ejected.filter((e) => e.kind === "random").length;
  const kinds: [string, LoopFigures][] = [
    ["defaults (median)", s.defaults],
    [
      `best of ${s.randomRuns} random${
        ejectedRandom > 0 ? ` (${ejectedRandom} ejected)` : ""
      } (#${s.bestRandom.n})${s.bestRandom.fresh ? ", fresh runs (median)" : ""}`,
      s.bestRandom,
    ],
    ["learned profile, --ml-profiles (median)", s.profile],
  ];
  const table = (head: string, keys: LoopFigure[], runs: boolean) => [
    `| config |${runs ? " runs |" : ""} ${head} |`,
    `|:--|${runs ? "--:|" : ""}${keys.map(() => "--:").join("|")}|`,
    ...kinds.map(([name, x]) =>
      `| ${name} |${runs ? ` ${x.runs} |` : ""} ${keys.map((k) => cell(x, k)).join(" | ")} |`
    ),
  ];
  const yes = (b: boolean) => (b ? "yes" : "NO");
  const rounds = (c: RoundCount) =>
    c.rounds === 0 ? "-" : `${c.lower} of ${c.rounds} (p ${signTestP(c).toFixed(3)})`;
  return [
    ...context.header,
    "",
    ...table(
      "missed frames % | render wake-up p99 ms | input wake-up p99 ms",
      ["missedPct", "renderP99Ms", "inputP99Ms"],
      true,
    ),
    "",
    "The game's other threads, wake-up p99 ms:",
    "",
    ...table("GPU submit | audio | job workers", ["submitP99Ms", "audioP99Ms", "workerP99Ms"], false),
    "",
    "Time each wake-up waited runnable, p99 ms (the kernel's run_delay: the scheduler's part of the latency):",
    "",
    ...table(
      "render | input | GPU submit | audio | job workers",
      ["renderWaitP99Ms", "inputWaitP99Ms", "submitWaitP99Ms", "audioWaitP99Ms", "workerWaitP99Ms"],
      false,
    ),
    "",
    `Learned profile: \`${context.profileFlags}\``,
    `Best random config: \`${s.bestRandom.flags}\` (${
      f(s.bestRandom.pickedMissedPct)
    }% missed in the run that picked it${s.bestRandom.fresh ? "" : "; not measured again"})`,
    ...(s.ejected.length === 0 ? [] : [
      "",
      "Ejected by the kernel (left out of the figures; the game ran under the kernel's default):",
      "",
      ...s.ejected.map((e) =>
        `- ${e.kind} ${e.kind === "random" ? "#" : "round "}${e.n}${
          e.flags ? ` \`${e.flags}\`` : ""
        }: ${e.why}`
      ),
    ]),
    "",
    "A win is every profile run better than every run it is compared with. The last two columns pair the",
    "runs of each round (run back to back): the rounds where the profile's run was lower, and the sign",
    "test's chance of that many if the two configs were equal.",
    "",
    "| figure | profile beats the defaults | profile beats the best random | lower than the defaults, by round | lower than the best random, by round |",
    "|:--|:--|:--|:--|:--|",
    ...s.verdicts.map((v) =>
      `| ${v.figure} | ${yes(v.vsDefault)} | ${yes(v.vsBestRandom)} | ${rounds(v.roundsVsDefault)} | ${
        rounds(v.roundsVsBestRandom)
      } |`
    ),
  ];
}
