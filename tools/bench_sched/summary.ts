/**
 * From runs to figures: the one table of what the benchmark reports ({@link FIGURES}), medians per
 * scheduler over rounds, paired per-round ratios to EEVDF, issue 12's targets ({@link TARGETS}) and the
 * win/loss reading. Pure functions over the parsed runs.
 *
 * @module
 */

import {
  type CpuShares,
  type GameFigures,
  hasBackground,
  HOT_PATH_NAMES,
  type HotPathName,
  isCyclictest,
  type SchedulerId,
  type WorkloadId,
  type WorkloadRun,
  WORKLOADS,
} from "./guest_results.ts";
import { histogramQuantile, median } from "./percentiles.ts";

/** One reported figure: where it comes from and which direction is better. */
export interface FigureDef {
  /** Stable id, e.g. "gs_2x.input_p99". */
  id: string;
  workload: WorkloadId;
  label: string;
  unit: "us" | "ms" | "%" | "M/s" | "CPUs";
  better: "lower" | "higher";
  /** The figure of one usable run, in `unit`; null when the run has no such sample. */
  value: (run: WorkloadRun) => number | null;
}

/** Short names of the workloads, for lists and the CPU table. */
export const WORKLOAD_SHORT: Record<WorkloadId, string> = {
  gs_0x: "game alone",
  gs_1x: "game 1x",
  gs_2x: "game 2x",
  ct_m: "cyclictest -m 2x",
  ct: "cyclictest 2x",
  gs_burst: "game bursty",
  hv_0x: "heavy game alone",
  hv_2x: "heavy game 2x",
  enc_3: "game + 3 encoders",
};

/** What each workload is, for labels (1x = as many busy loops as vCPUs). */
export const WORKLOAD_LABELS: Record<WorkloadId, string> = {
  gs_0x: "game alone",
  gs_1x: "game + 1x busy loops",
  gs_2x: "game + 2x busy loops",
  ct_m: "cyclictest -m + 2x loops",
  ct: "cyclictest + 2x loops",
  gs_burst: "game + 1 busy + 1 bursty",
  hv_0x: "heavy game alone",
  hv_2x: "heavy game + 2x busy loops",
  enc_3: "60 fps game + 3 encoder-like processes",
};

function ctQuantile(workload: WorkloadId, q: number, id: string, label: string): FigureDef {
  return {
    id: `${workload}.${id}`,
    workload,
    label,
    unit: "us",
    better: "lower",
    value: (run) => (run.latency ? histogramQuantile(run.latency, q) : null),
  };
}

/** The background's throughput and CPU share: what the scheduler left to it. */
function backgroundFigures(workload: WorkloadId): FigureDef[] {
  return [
    {
      id: `${workload}.bg`,
      workload,
      label: "background throughput",
      unit: "M/s",
      better: "higher",
      value: (run) => (run.background ? run.background.itersPerS / 1e6 : null),
    },
    {
      id: `${workload}.bg_cpu`,
      workload,
      label: "background CPU share",
      unit: "CPUs",
      better: "higher",
      value: (run) => run.cpu?.background ?? null,
    },
  ];
}

function gameFigures(workload: WorkloadId): FigureDef[] {
  const game = (f: (g: GameFigures) => number | null) => (run: WorkloadRun) => run.game ? f(run.game) : null;
  const role = (name: "input" | "render", key: "p50" | "p99"): FigureDef => ({
    id: `${workload}.${name}_${key}`,
    workload,
    label: `${name} wake-up ${key}`,
    unit: "us",
    better: "lower",
    value: game((g) => (g[name].wakeups > 0 ? g[name][key] : null)),
  });
  return [
    {
      id: `${workload}.missed`,
      workload,
      label: "missed frames",
      unit: "%",
      better: "lower",
      value: game((g) => (g.missedShare === null ? null : 100 * g.missedShare)),
    },
    {
      id: `${workload}.frame_p99`,
      workload,
      label: "frame time p99",
      unit: "ms",
      better: "lower",
      value: game((g) => (g.frameTimeP99Us === null ? null : g.frameTimeP99Us / 1000)),
    },
    role("render", "p50"),
    role("render", "p99"),
    {
      id: `${workload}.render_waits`,
      workload,
      label: "frames the render thread waited for",
      unit: "%",
      better: "higher",
      value: game((g) => (g.frames > 0 ? Math.min(100, 100 * g.render.wakeups / g.frames) : null)),
    },
    role("input", "p50"),
    role("input", "p99"),
    ...(hasBackground(workload) ? backgroundFigures(workload) : []),
  ];
}

/** Every figure the benchmark reports, in table order. */
export const FIGURES: readonly FigureDef[] = WORKLOADS.flatMap((w) =>
  isCyclictest(w)
    ? [
      ctQuantile(w, 0.5, "p50", "wake-up p50"),
      ctQuantile(w, 0.99, "p99", "wake-up p99"),
      ctQuantile(w, 0.999, "p999", "wake-up p99.9"),
      ...backgroundFigures(w),
    ]
    : gameFigures(w)
);

/** A contender's ratio to EEVDF: the median of the per-round ratios and their range. */
export interface RatioSummary {
  median: number;
  min: number;
  max: number;
  /** Rounds where both had a usable run. */
  rounds: number;
}

/** One row of the results table. */
export interface FigureRow {
  def: FigureDef;
  /** Median over rounds per scheduler (null without usable runs). */
  medians: Partial<Record<SchedulerId, number | null>>;
  /** Each contender's ratio to EEVDF (EEVDF itself has none). */
  ratios: Partial<Record<SchedulerId, RatioSummary | null>>;
}

function usable(runs: readonly WorkloadRun[], scheduler: SchedulerId, workload: WorkloadId): WorkloadRun[] {
  return runs.filter((r) => r.scheduler === scheduler && r.workload === workload && r.problem === null);
}

/**
 * One row per figure: medians over the usable runs of each scheduler and the paired ratios of each
 * contender (its run / EEVDF's run in the same round, so a round where the host was busier counts
 * against both). `schedulers` lists EEVDF first.
 */
export function summarizeFigures(
  runs: readonly WorkloadRun[],
  schedulers: readonly SchedulerId[],
  figures: readonly FigureDef[] = FIGURES,
): FigureRow[] {
  return figures.map((def) => {
    const values = (s: SchedulerId) =>
      usable(runs, s, def.workload).map((r) => ({ round: r.round, v: def.value(r) }));
    const eevdf = new Map(values("eevdf").map((x) => [x.round, x.v]));
    const medians: FigureRow["medians"] = {};
    const ratios: FigureRow["ratios"] = {};
    for (const s of schedulers) {
      medians[s] = median(values(s).map((x) => x.v));
      if (s === "eevdf") continue;
      const rs: number[] = [];
      for (const { round, v } of values(s)) {
        const base = eevdf.get(round);
        if (v !== null && base !== null && base !== undefined && base > 0) rs.push(v / base);
      }
      ratios[s] = rs.length
        ? { median: median(rs)!, min: Math.min(...rs), max: Math.max(...rs), rounds: rs.length }
        : null;
    }
    return { def, medians, ratios };
  });
}

/** A hot path's cost under one scheduler with stats: medians over all its usable runs' stats, ns. */
export interface HotPathRow {
  path: HotPathName;
  avgNs: number | null;
  p99Ns: number | null;
}

/** One scheduler's own costs, from its stats lines: per hot path, and preemptions per second. */
export interface HotPathSummary {
  scheduler: SchedulerId;
  rows: HotPathRow[];
  preemptPerS: number | null;
}

/** The costs of every scheduler that printed stats lines, pooled over all workloads' usable runs. */
export function summarizeHotPaths(runs: readonly WorkloadRun[]): HotPathSummary[] {
  const withStats = [...new Set(runs.filter((r) => r.hot && r.problem === null).map((r) => r.scheduler))];
  return withStats.map((scheduler) => {
    const hot = runs.filter((r) => r.scheduler === scheduler && r.problem === null && r.hot);
    const pick = (f: (r: WorkloadRun) => number) => median(hot.map(f));
    return {
      scheduler,
      rows: HOT_PATH_NAMES.map((path) => ({
        path,
        avgNs: pick((r) => r.hot!.paths[path].avgNs),
        p99Ns: pick((r) => r.hot!.paths[path].p99Ns),
      })),
      preemptPerS: pick((r) => r.hot!.preemptPerS),
    };
  });
}

/** One of issue 12's targets, as a bound on a figure's median or on its ratio to EEVDF. */
export interface TargetDef {
  /** The target in the words, with the bound. */
  label: string;
  figure: string;
  /** "ratio": the median per-round ratio to EEVDF; "value": the median figure itself. */
  on: "ratio" | "value";
  bound: "at_most" | "at_least";
  limit: number;
}

/** Issue 12's targets ("Targets" section), one line each in the report. */
export const TARGETS: readonly TargetDef[] = [
  {
    label: "game alone: missed frames <= EEVDF's",
    figure: "gs_0x.missed",
    on: "ratio",
    bound: "at_most",
    limit: 1,
  },
  {
    label: "game alone: render wake-up p99 <= EEVDF's",
    figure: "gs_0x.render_p99",
    on: "ratio",
    bound: "at_most",
    limit: 1,
  },
  {
    label: "game alone: input wake-up p99 <= EEVDF's",
    figure: "gs_0x.input_p99",
    on: "ratio",
    bound: "at_most",
    limit: 1,
  },
  { label: "game 2x: missed frames <= 5%", figure: "gs_2x.missed", on: "value", bound: "at_most", limit: 5 },
  {
    label: "game 2x: render wake-up p50 <= 0.5 ms",
    figure: "gs_2x.render_p50",
    on: "value",
    bound: "at_most",
    limit: 500,
  },
  {
    label: "game 2x: input wake-up p50 <= 0.5 ms",
    figure: "gs_2x.input_p50",
    on: "value",
    bound: "at_most",
    limit: 500,
  },
  {
    label: "game 2x: render wake-up p99 <= 0.5x EEVDF's",
    figure: "gs_2x.render_p99",
    on: "ratio",
    bound: "at_most",
    limit: 0.5,
  },
  {
    label: "game 2x: input wake-up p99 <= 0.5x EEVDF's",
    figure: "gs_2x.input_p99",
    on: "ratio",
    bound: "at_most",
    limit: 0.5,
  },
  {
    label: "game 2x: background throughput >= 0.6x EEVDF's",
    figure: "gs_2x.bg",
    on: "ratio",
    bound: "at_least",
    limit: 0.6,
  },
  {
    label: "cyclictest -m 2x: p50 <= EEVDF's",
    figure: "ct_m.p50",
    on: "ratio",
    bound: "at_most",
    limit: 1,
  },
  {
    label: "cyclictest -m 2x: p99 <= EEVDF's",
    figure: "ct_m.p99",
    on: "ratio",
    bound: "at_most",
    limit: 1,
  },
  {
    label: "cyclictest 2x (no -m): p50 <= EEVDF's",
    figure: "ct.p50",
    on: "ratio",
    bound: "at_most",
    limit: 1,
  },
  {
    label: "cyclictest 2x (no -m): p99 <= EEVDF's",
    figure: "ct.p99",
    on: "ratio",
    bound: "at_most",
    limit: 1,
  },
];

/** One target checked for one scheduler: the figure it was judged on, and whether it holds. */
export interface TargetCheck {
  /** The ratio or the value, per the target; null when the runs to judge it are missing. */
  figure: number | null;
  /** null: no data (never counted as met). */
  met: boolean | null;
}

/** One target over every contender. */
export interface TargetResult {
  def: TargetDef;
  row: FigureRow;
  checks: Partial<Record<SchedulerId, TargetCheck>>;
}

/**
 * Check {@link TARGETS} against the rows for each contender. A target whose figure was not measured in
 * this run (its workload left out) is not listed.
 */
export function checkTargets(rows: readonly FigureRow[], contenders: readonly SchedulerId[]): TargetResult[] {
  const byId = new Map(rows.map((r) => [r.def.id, r]));
  const out: TargetResult[] = [];
  for (const def of TARGETS) {
    const row = byId.get(def.figure);
    if (!row) continue;
    const checks: TargetResult["checks"] = {};
    for (const s of contenders) {
      const figure = def.on === "ratio" ? row.ratios[s]?.median ?? null : row.medians[s] ?? null;
      const met = figure === null
        ? null
        : def.bound === "at_most"
        ? figure <= def.limit
        : figure >= def.limit;
      checks[s] = { figure, met };
    }
    out.push({ def, row, checks });
  }
  return out;
}

/** How a contender fared on one figure. */
export type Verdict = "win" | "loss" | "even";

/** Ratios within this factor of 1 (either way) read as even: below the benchmark's resolution. */
export const EVEN_BAND = 0.1;

/**
 * Win, loss or even for a ratio: a win is at least {@link EVEN_BAND} better than EEVDF in the figure's
 * direction, a loss at least as much worse.
 */
export function verdict(def: FigureDef, ratio: RatioSummary | null | undefined): Verdict | null {
  if (!ratio) return null;
  const gain = def.better === "lower" ? 1 - ratio.median : ratio.median - 1;
  if (gain >= EVEN_BAND) return "win";
  if (gain <= -EVEN_BAND) return "loss";
  return "even";
}

/** True when every round's ratio lies on the same side of 1 (the sign of the difference is not noise). */
export function consistent(ratio: RatioSummary | null | undefined): boolean {
  return !!ratio && ratio.rounds > 1 && (ratio.max < 1 || ratio.min > 1);
}

/** The parts of {@link CpuShares}, in the order the report shows them. */
export const CPU_PARTS = ["background", "game", "scheduler", "other", "idle", "kernel"] as const;

/** Where the CPU went in one workload under one scheduler: the median of each part over rounds. */
export interface CpuSplitRow {
  workload: WorkloadId;
  scheduler: SchedulerId;
  shares: Record<keyof CpuShares, number | null>;
}

/** One row per workload and scheduler that has CPU samples, in the order given. */
export function summarizeCpuSplit(
  runs: readonly WorkloadRun[],
  workloads: readonly WorkloadId[],
  schedulers: readonly SchedulerId[],
): CpuSplitRow[] {
  const rows: CpuSplitRow[] = [];
  for (const workload of workloads) {
    for (const scheduler of schedulers) {
      const cpu = usable(runs, scheduler, workload).map((r) => r.cpu).filter((c): c is CpuShares =>
        c !== null
      );
      if (cpu.length === 0) continue;
      const shares = Object.fromEntries(CPU_PARTS.map((p) => [p, median(cpu.map((c) => c[p]))])) as Record<
        keyof CpuShares,
        number | null
      >;
      rows.push({ workload, scheduler, shares });
    }
  }
  return rows;
}
