/**
 * From runs to figures: the one table of what the benchmark reports ({@link FIGURES}), medians per
 * scheduler over rounds, paired per-round ratios to EEVDF, the targets and the win/loss reading.
 * Pure functions over the parsed runs.
 *
 * @module
 */

import {
  type CpuShares,
  type GameFigures,
  HOT_PATH_NAMES,
  type HotPathName,
  type RoleLatency,
  type SchedulerId,
  SCHEDULERS,
  type WorkloadId,
  type WorkloadRun,
} from "./guest_results.ts";
import { histogramQuantile, median } from "./percentiles.ts";

/** The two scx_gamer configurations, each compared with EEVDF. */
export const CONTENDERS = ["default", "best"] as const;
/** One of {@link CONTENDERS}. */
export type ContenderId = typeof CONTENDERS[number];

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

/** Short names of the workloads, for the reading's lists. */
export const WORKLOAD_SHORT: Record<WorkloadId, string> = {
  ct: "cyclictest",
  gs_1x: "game 1x",
  gs_2x: "game 2x",
  gs_burst: "game bursty",
};

/** What each workload is, for labels. */
export const WORKLOAD_LABELS: Record<WorkloadId, string> = {
  ct: "cyclictest, 4 busy loops (2x)",
  gs_1x: "game, 2 hogs (1x)",
  gs_2x: "game, 4 hogs (2x)",
  gs_burst: "game, 1 hog + bursty",
};

function ctQuantile(q: number): (run: WorkloadRun) => number | null {
  return (run) => (run.latency ? histogramQuantile(run.latency, q) : null);
}

function gameFigures(workload: WorkloadId): FigureDef[] {
  const game = (f: (g: GameFigures) => number | null) => (run: WorkloadRun) => run.game ? f(run.game) : null;
  const role = (name: "input" | "render", key: keyof RoleLatency, label: string): FigureDef => ({
    id: `${workload}.${name}_${key}`,
    workload,
    label: `${name} wake-up ${label}`,
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
    role("input", "p50", "p50"),
    role("input", "p99", "p99"),
    role("input", "p999", "p99.9"),
    role("render", "p50", "p50"),
    role("render", "p99", "p99"),
    role("render", "p999", "p99.9"),
    {
      id: `${workload}.bg`,
      workload,
      label: "background throughput",
      unit: "M/s",
      better: "higher",
      value: game((g) => g.bgItersPerS / 1e6),
    },
    bgShare(workload, "background CPU share"),
  ];
}

/** CPU time the background load got: what the scheduler gave it, whatever the host's emulation speed. */
function bgShare(workload: WorkloadId, label: string): FigureDef {
  return {
    id: `${workload}.bg_cpu`,
    workload,
    label,
    unit: "CPUs",
    better: "higher",
    value: (run) => run.cpu?.background ?? null,
  };
}

/** Every figure the benchmark reports, in table order. */
export const FIGURES: readonly FigureDef[] = [
  { id: "ct.p50", workload: "ct", label: "wake-up p50", unit: "us", better: "lower", value: ctQuantile(0.5) },
  {
    id: "ct.p99",
    workload: "ct",
    label: "wake-up p99",
    unit: "us",
    better: "lower",
    value: ctQuantile(0.99),
  },
  {
    id: "ct.p999",
    workload: "ct",
    label: "wake-up p99.9",
    unit: "us",
    better: "lower",
    value: ctQuantile(0.999),
  },
  {
    id: "ct.max",
    workload: "ct",
    label: "wake-up max",
    unit: "us",
    better: "lower",
    value: (run) => run.latency?.maxUs ?? null,
  },
  bgShare("ct", "busy loops CPU share"),
  ...gameFigures("gs_1x"),
  ...gameFigures("gs_2x"),
  ...gameFigures("gs_burst"),
];

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
  medians: Record<SchedulerId, number | null>;
  ratios: Record<ContenderId, RatioSummary | null>;
}

function usable(runs: readonly WorkloadRun[], scheduler: SchedulerId, workload: WorkloadId): WorkloadRun[] {
  return runs.filter((r) => r.scheduler === scheduler && r.workload === workload && r.problem === null);
}

/**
 * One row per figure: medians over the usable runs and the paired ratios (contender / EEVDF in the same
 * round, so a round where the host was busier counts against both).
 */
export function summarizeFigures(
  runs: readonly WorkloadRun[],
  figures: readonly FigureDef[] = FIGURES,
): FigureRow[] {
  return figures.map((def) => {
    const values = (s: SchedulerId) =>
      usable(runs, s, def.workload).map((r) => ({ round: r.round, v: def.value(r) }));
    const eevdf = new Map(values("eevdf").map((x) => [x.round, x.v]));
    const medians = {
      eevdf: median([...eevdf.values()]),
      default: median(values("default").map((x) => x.v)),
      best: median(values("best").map((x) => x.v)),
    };
    const ratio = (s: ContenderId): RatioSummary | null => {
      const rs: number[] = [];
      for (const { round, v } of values(s)) {
        const base = eevdf.get(round);
        if (v !== null && base !== null && base !== undefined && base > 0) rs.push(v / base);
      }
      if (rs.length === 0) return null;
      return { median: median(rs)!, min: Math.min(...rs), max: Math.max(...rs), rounds: rs.length };
    };
    return { def, medians, ratios: { default: ratio("default"), best: ratio("best") } };
  });
}

/** A hot path's cost under one contender: medians over all its usable runs' stats, ns. */
export interface HotPathRow {
  path: HotPathName;
  avgNs: Record<ContenderId, number | null>;
  p99Ns: Record<ContenderId, number | null>;
}

/** scx_gamer's own costs: per hot path, preemptions per second and its userspace's CPU share. */
export interface HotPathSummary {
  rows: HotPathRow[];
  preemptPerS: Record<ContenderId, number | null>;
  /** CPUs used by scx_gamer's userspace process while the workloads ran (median over runs). */
  userspaceCpus: Record<ContenderId, number | null>;
}

/** scx_gamer's own costs, pooled over all workloads' usable runs. */
export function summarizeHotPaths(runs: readonly WorkloadRun[]): HotPathSummary {
  const hot = (s: ContenderId) => runs.filter((r) => r.scheduler === s && r.problem === null && r.hot);
  const pick = (s: ContenderId, f: (r: WorkloadRun) => number) => median(hot(s).map(f));
  const rows = HOT_PATH_NAMES.map((path) => ({
    path,
    avgNs: {
      default: pick("default", (r) => r.hot!.paths[path].avgNs),
      best: pick("best", (r) => r.hot!.paths[path].avgNs),
    },
    p99Ns: {
      default: pick("default", (r) => r.hot!.paths[path].p99Ns),
      best: pick("best", (r) => r.hot!.paths[path].p99Ns),
    },
  }));
  const cpu = (s: ContenderId) =>
    median(runs.filter((r) => r.scheduler === s && r.problem === null).map((r) => r.cpu?.scheduler ?? null));
  return {
    rows,
    preemptPerS: {
      default: pick("default", (r) => r.hot!.preemptPerS),
      best: pick("best", (r) => r.hot!.preemptPerS),
    },
    userspaceCpus: { default: cpu("default"), best: cpu("best") },
  };
}

/** The targets under 2x background load, as ratio bounds on figures. */
export const TARGETS: readonly {
  figure: string;
  label: string;
  bound: "at_most" | "at_least";
  ratio: number;
}[] = [
  { figure: "ct.p99", label: "cyclictest p99 (4 loops = 2x)", bound: "at_most", ratio: 0.5 },
  { figure: "gs_2x.input_p99", label: "game 2x input p99", bound: "at_most", ratio: 0.5 },
  { figure: "gs_2x.missed", label: "game 2x missed frames", bound: "at_most", ratio: 0.5 },
  { figure: "gs_2x.bg", label: "game 2x background throughput", bound: "at_least", ratio: 0.9 },
];

/** One target checked for one contender. */
export interface TargetResult {
  label: string;
  want: string;
  ratio: number | null;
  met: boolean;
}

/** Check {@link TARGETS} against the rows, per contender. */
export function checkTargets(rows: readonly FigureRow[]): Record<ContenderId, TargetResult[]> {
  const byId = new Map(rows.map((r) => [r.def.id, r]));
  const check = (s: ContenderId) =>
    TARGETS.map((t) => {
      const ratio = byId.get(t.figure)?.ratios[s]?.median ?? null;
      const met = ratio !== null && (t.bound === "at_most" ? ratio <= t.ratio : ratio >= t.ratio);
      return { label: t.label, want: `${t.bound === "at_most" ? "<=" : ">="} ${t.ratio}x EEVDF`, ratio, met };
    });
  return { default: check("default"), best: check("best") };
}

/** How a contender fared on one figure. */
export type Verdict = "win" | "loss" | "even";

/** Ratios within this factor of 1 (either way) read as even: below the benchmark's resolution. */
export const EVEN_BAND = 0.1;

/**
 * Win, loss or even for a ratio: a win is at least {@link EVEN_BAND} better than EEVDF in the figure's
 * direction, a loss at least as much worse.
 */
export function verdict(def: FigureDef, ratio: RatioSummary | null): Verdict | null {
  if (!ratio) return null;
  const gain = def.better === "lower" ? 1 - ratio.median : ratio.median - 1;
  if (gain >= EVEN_BAND) return "win";
  if (gain <= -EVEN_BAND) return "loss";
  return "even";
}

/** True when every round's ratio lies on the same side of 1 (the sign of the difference is not noise). */
export function consistent(ratio: RatioSummary | null): boolean {
  return ratio !== null && ratio.rounds > 1 && (ratio.max < 1 || ratio.min > 1);
}

/** The parts of {@link CpuShares}, in the order the report shows them. */
export const CPU_PARTS = ["background", "game", "scheduler", "other", "idle", "kernel"] as const;

/** Where the CPU went in one workload under one scheduler: the median of each part over rounds. */
export interface CpuSplitRow {
  workload: WorkloadId;
  scheduler: SchedulerId;
  shares: Record<keyof CpuShares, number | null>;
}

/** One row per workload and scheduler that has CPU samples. */
export function summarizeCpuSplit(
  runs: readonly WorkloadRun[],
  workloads: readonly WorkloadId[],
): CpuSplitRow[] {
  const rows: CpuSplitRow[] = [];
  for (const workload of workloads) {
    for (const scheduler of SCHEDULERS) {
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
