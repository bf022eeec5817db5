/**
 * The benchmark's report as text: a header with the method in two lines, the results table (Markdown,
 * so the same text reads on a terminal and pastes into docs/benchmarks.md), scx_gamer's own costs, the
 * issue's targets and the plain reading of wins and losses. Pure: figures in, string out.
 *
 * @module
 */

import { HIST_BUCKETS } from "../../lib/sched/intf.ts";
import { bucketLowerNs } from "../../lib/sched/stats.ts";
import type { GuestResults, ProbeWindow, WorkloadId, WorkloadRun } from "./guest_results.ts";
import { histogramQuantile } from "./percentiles.ts";
import {
  checkTargets,
  consistent,
  type ContenderId,
  CONTENDERS,
  CPU_PARTS,
  type FigureDef,
  type FigureRow,
  FIGURES,
  type RatioSummary,
  summarizeCpuSplit,
  summarizeFigures,
  summarizeHotPaths,
  verdict,
  WORKLOAD_LABELS,
  WORKLOAD_SHORT,
} from "./summary.ts";

/** Lower bound of the stats histogram's open last bucket, ns: a p99 at or past it is only a bound. */
const HIST_TOP_NS = bucketLowerNs(HIST_BUCKETS - 1);

/** Options of {@link formatReport}. */
export interface ReportOptions {
  /** Where the best configuration's flags came from, shown next to them. */
  bestSource: string;
  /** Which scx_gamer build ran (bundle hash, commit), when recorded. */
  build?: string;
}

/** Format a figure's value in its unit's precision. */
export function formatValue(def: Pick<FigureDef, "unit">, v: number | null): string {
  if (v === null) return "-";
  if (def.unit === "us") return v >= 100 ? v.toFixed(0) : v.toFixed(1);
  if (def.unit === "ms") return v.toFixed(1);
  if (def.unit === "CPUs") return v.toFixed(2);
  return v.toFixed(1);
}

function formatRatio(def: FigureDef, r: RatioSummary | null): string {
  if (!r) return "-";
  const range = r.rounds > 1 ? ` [${r.min.toFixed(2)}-${r.max.toFixed(2)}]` : "";
  return `${r.median.toFixed(2)}${range} ${verdict(def, r)}${consistent(r) ? "*" : ""}`;
}

function fmtNs(ns: number | null): string {
  if (ns === null) return "-";
  const text = ns >= 1e6
    ? `${(ns / 1e6).toFixed(1)} ms`
    : ns >= 1e3
    ? `${(ns / 1e3).toFixed(1)} us`
    : `${ns.toFixed(0)} ns`;
  return ns >= HIST_TOP_NS ? `>=${(HIST_TOP_NS / 1e3).toFixed(1)} us` : text;
}

/** A Markdown table with padded columns (readable as plain text too). */
export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `|${
    widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")
  }|`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

function wins(rows: readonly FigureRow[], s: ContenderId): string {
  const pick = (want: string) =>
    rows.filter((r) => verdict(r.def, r.ratios[s]) === want).map((r) =>
      `${WORKLOAD_SHORT[r.def.workload]} ${r.def.label}${consistent(r.ratios[s]) ? "*" : ""}`
    );
  const list = (xs: string[]) => (xs.length ? xs.join("; ") : "none");
  return `wins on ${list(pick("win"))}. Loses on ${list(pick("loss"))}.`;
}

function insnLine(results: GuestResults): string {
  const { statsOn, statsOff } = results.insns;
  if (!statsOn) return "BPF instructions: not recorded.";
  if (!statsOff) {
    const on = Object.entries(statsOn).map(([n, v]) => `${n} ${v}`).join(", ");
    return `BPF program instructions (xlated) with stats on: ${on}; stats off was not loaded in this run.`;
  }
  const parts = Object.keys(statsOn).map((n) => `${n} ${statsOn[n]} -> ${statsOff[n] ?? "-"}`);
  return `BPF program instructions (xlated), stats on -> off: ${parts.join(", ")}.`;
}

/**
 * One line per counters-probe window: what became of the wake-ups that found no idle CPU and were
 * critical (preempted a CPU running non-critical work, or queued because no CPU was preemptible).
 */
export function formatProbe(windows: readonly ProbeWindow[]): string[] {
  return windows.filter((w) => w.seconds > 0).map((w) => {
    const rate = (k: string) => (w.deltas[k] ?? 0) / w.seconds;
    const crit = rate("critical_wakeups");
    const share = (x: number) => (crit > 0 ? ` (${(100 * x / crit).toFixed(0)}%)` : "");
    const placed = rate("direct_dispatches") + rate("dispatches");
    const direct = placed > 0 ? `${(100 * rate("direct_dispatches") / placed).toFixed(0)}%` : "-";
    return `- ${WORKLOAD_SHORT[w.workload as WorkloadId] ?? w.workload} (${w.seconds.toFixed(1)} s): ` +
      `${crit.toFixed(0)} critical wake-ups/s with no idle CPU; ${rate("preempt_kicks").toFixed(0)}/s` +
      `${share(rate("preempt_kicks"))} preempted a CPU, ${rate("critical_queued").toFixed(0)}/s` +
      `${share(rate("critical_queued"))} queued (no preemptible CPU); ${rate("enqueues").toFixed(0)} ` +
      `enqueues/s, ${direct} of placements direct, ${rate("boosted").toFixed(0)} input-boosted/s.`;
  });
}

function excluded(runs: readonly WorkloadRun[]): string[] {
  return runs.filter((r) => r.problem !== null).map((r) =>
    `- r${r.round} ${r.scheduler} ${r.workload}: ${r.problem}`
  );
}

/**
 * The whole report. `rows` defaults to {@link summarizeFigures} over the results' runs.
 */
export function formatReport(results: GuestResults, options: ReportOptions): string {
  const { plan, runs } = results;
  const rows = summarizeFigures(runs, FIGURES.filter((f) => plan.workloads.includes(f.workload)));
  const usableRounds = new Set(runs.filter((r) => r.problem === null).map((r) => r.round)).size;
  const out: string[] = [];
  out.push(
    `bench:sched: scx_gamer vs EEVDF on a ${plan.cpus}-vCPU sched_ext VM (QEMU TCG), kernel ${plan.kernel}${
      plan.date ? `, ${plan.date}` : ""
    }`,
    `${plan.rounds} rounds (${usableRounds} with usable runs) x ${plan.durationS} s per run; gamesim at ${plan.fps} fps; ` +
      `best = \`${plan.bestFlags}\` (${options.bestSource}); scx_gamer stats every ${plan.statsS} s` +
      `${options.build ? `; scx_gamer ${options.build}` : ""}.`,
    "Method: one boot; each round runs EEVDF, scx_gamer default and scx_gamer best in turn (order rotated per round), " +
      `each under the same ${plan.workloads.length} workloads, sched_ext state checked before and after every run.`,
    "Figures are medians over rounds; ratio = median of the per-round ratios to EEVDF in the same round " +
      "[range]; win/loss = at least 10% better/worse, * = same side of 1 in every round.",
    ...(results.hostLoad.length
      ? [
        `Host load average (1 min, ${
          Math.max(...results.hostLoad) > 2 ? "shared host, " : ""
        }2 cores) at the ` +
        `start of each scheduler block: ${Math.min(...results.hostLoad).toFixed(1)}-${
          Math.max(...results.hostLoad).toFixed(1)
        }.`,
      ]
      : []),
    "",
  );
  out.push(markdownTable(
    ["figure", "unit", "EEVDF", "default", "best", "default/EEVDF", "best/EEVDF"],
    rows.map((r) => [
      `${WORKLOAD_LABELS[r.def.workload]}: ${r.def.label}`,
      r.def.unit,
      formatValue(r.def, r.medians.eevdf),
      formatValue(r.def, r.medians.default),
      formatValue(r.def, r.medians.best),
      formatRatio(r.def, r.ratios.default),
      formatRatio(r.def, r.ratios.best),
    ]),
  ));

  const split = summarizeCpuSplit(runs, plan.workloads);
  if (split.length) {
    const head: Record<(typeof CPU_PARTS)[number], string> = {
      background: "background",
      game: "game",
      scheduler: "scx_gamer",
      other: "other",
      kernel: "of all: kernel",
      idle: "idle",
    };
    out.push(
      "",
      `Where the CPU went (CPUs of ${plan.cpus}, median over rounds; from process and /proc/stat ticks; ` +
        "game = gamesim or cyclictest; other = busy time charged to none of them; the last column, overlapping " +
        "the others, is all system + irq + softirq time, scheduling included):",
      "",
      markdownTable(
        ["workload", "scheduler", ...CPU_PARTS.map((p) => head[p])],
        split.map((r) => [
          WORKLOAD_SHORT[r.workload],
          r.scheduler,
          ...CPU_PARTS.map((p) => r.shares[p]?.toFixed(2) ?? "-"),
        ]),
      ),
    );
  }
  const hot = summarizeHotPaths(runs);
  out.push(
    "",
    "scx_gamer's hot paths (its own histograms, stats on; median over every run's stats lines; under TCG, " +
      "and a probe can span the other vCPU's turn, so absolute times are inflated):",
    "",
    markdownTable(
      ["hot path", "default avg", "default p99", "best avg", "best p99"],
      hot.rows.map((
        h,
      ) => [
        h.path,
        fmtNs(h.avgNs.default),
        fmtNs(h.p99Ns.default),
        fmtNs(h.avgNs.best),
        fmtNs(h.p99Ns.best),
      ]),
    ),
    "",
    `Preemptions of non-critical work per second: default ${
      hot.preemptPerS.default?.toFixed(0) ?? "-"
    }, best ${
      hot.preemptPerS.best?.toFixed(0) ?? "-"
    }. CPU used by scx_gamer's userspace (Deno) during the runs: ` +
      `default ${hot.userspaceCpus.default?.toFixed(2) ?? "-"}, best ${
        hot.userspaceCpus.best?.toFixed(2) ?? "-"
      } CPUs.`,
    insnLine(results),
  );
  const off = results.statsOffLatency;
  const onP99 = rows.find((r) => r.def.id === "ct.p99")?.medians.default ?? null;
  out.push(
    "With stats off there are no histograms, so the hot paths cannot be timed" +
      (off
        ? `; end to end, cyclictest p99 under the default config was ${
          histogramQuantile(off, 0.99)
        } us with ` +
          `stats off (one run) vs ${formatValue({ unit: "us" }, onP99)} us with stats on (median).`
        : "."),
    "",
    ...(results.probe.length
      ? [
        "What became of critical wake-ups (the default config loaded once more through the library, its " +
        "counters over one run of each workload):",
        ...formatProbe(results.probe),
        "",
      ]
      : []),
    "Targets under 2x background load (median ratio to EEVDF):",
  );
  const targets = checkTargets(rows);
  for (const s of CONTENDERS) {
    out.push(
      `- ${s}: ` +
        targets[s].map((t) =>
          `${t.label} ${t.ratio?.toFixed(2) ?? "-"} (${t.want}) ${t.met ? "met" : "NOT met"}`
        )
          .join("; "),
    );
  }
  out.push("", "Reading:");
  for (const s of CONTENDERS) out.push(`- scx_gamer ${s} ${wins(rows, s)}`);
  const bad = excluded(runs);
  out.push("", bad.length ? `Excluded runs (${bad.length}):` : "Excluded runs: none.", ...bad);
  if (results.notes.length) out.push("", "Notes:", ...results.notes.map((n) => `- ${n}`));
  return out.join("\n") + "\n";
}
