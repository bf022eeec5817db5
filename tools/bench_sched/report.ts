/**
 * The benchmark's report as text: a header with the method in a few lines, the medians and the ratios
 * to EEVDF (Markdown tables, so the same text reads on a terminal and pastes into docs/benchmarks.md),
 * issue 12's targets one line each, the ejections, where the CPU went, scx_gamer's own costs and the
 * plain reading of wins and losses. Pure: figures in, string out.
 *
 * @module
 */

import { HIST_BUCKETS } from "../../lib/sched/intf.ts";
import { bucketLowerNs } from "../../lib/sched/stats.ts";
import {
  type GuestResults,
  hasBackground,
  type ProbeWindow,
  SCHEDULER_NAMES,
  type SchedulerId,
  type WorkloadId,
  type WorkloadRun,
} from "./guest_results.ts";
import {
  checkTargets,
  consistent,
  CPU_PARTS,
  type FigureDef,
  type FigureRow,
  FIGURES,
  type RatioSummary,
  summarizeCpuSplit,
  summarizeFigures,
  summarizeHotPaths,
  type TargetResult,
  verdict,
  WORKLOAD_LABELS,
  WORKLOAD_SHORT,
} from "./summary.ts";

/** Lower bound of the stats histogram's open last bucket, ns: a p99 at or past it is only a bound. */
const HIST_TOP_NS = bucketLowerNs(HIST_BUCKETS - 1);

/** Options of {@link formatReport}. */
export interface ReportOptions {
  /** Which scx_gamer build ran (bundle hash, commit), when recorded. */
  build?: string;
  /** Where scx_bpfland came from, or why it did not run. */
  bpfland?: string;
}

/** Format a figure's value in its unit's precision. */
export function formatValue(def: Pick<FigureDef, "unit">, v: number | null | undefined): string {
  if (v === null || v === undefined) return "-";
  if (def.unit === "us") return v >= 100 ? v.toFixed(0) : v.toFixed(1);
  if (def.unit === "CPUs") return v.toFixed(2);
  return v.toFixed(1);
}

function formatRatio(def: FigureDef, r: RatioSummary | null | undefined): string {
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

function wins(rows: readonly FigureRow[], s: SchedulerId): string {
  const pick = (want: string) =>
    rows.filter((r) => verdict(r.def, r.ratios[s]) === want).map((r) =>
      `${WORKLOAD_SHORT[r.def.workload]} ${r.def.label}${consistent(r.ratios[s]) ? "*" : ""}`
    );
  const list = (xs: string[]) => (xs.length ? xs.join("; ") : "none");
  return `wins on ${list(pick("win"))}. Loses on ${list(pick("loss"))}.`;
}

function insnLine(results: GuestResults): string {
  const { statsOn, statsOff } = results.insns;
  if (!statsOn && !statsOff) return "scx_gamer's BPF instructions: not recorded (neither scx_gamer row ran).";
  const names = Object.keys(statsOn ?? statsOff!);
  const parts = names.map((n) => `${n} ${statsOn?.[n] ?? "-"} -> ${statsOff?.[n] ?? "-"}`);
  return `scx_gamer's BPF program instructions (xlated), stats on -> off: ${parts.join(", ")}.`;
}

/**
 * One line per counters-probe window: what became of the wake-ups that found no idle CPU and were
 * critical (preempted a CPU running non-critical work, or queued because no CPU was preemptible). A
 * scheduler whose counters have other names gets its ten busiest counters instead.
 */
export function formatProbe(windows: readonly ProbeWindow[]): string[] {
  return windows.filter((w) => w.seconds > 0).map((w) => {
    const rate = (k: string) => (w.deltas[k] ?? 0) / w.seconds;
    const name = `- ${WORKLOAD_SHORT[w.workload as WorkloadId] ?? w.workload} (${w.seconds.toFixed(1)} s): `;
    const known = ["critical_wakeups", "preempt_kicks", "critical_queued", "enqueues"];
    if (!known.every((k) => k in w.deltas)) {
      const busiest = Object.keys(w.deltas).sort((a, b) => w.deltas[b] - w.deltas[a]).slice(0, 10);
      return name + busiest.map((k) => `${k} ${rate(k).toFixed(0)}/s`).join(", ") + ".";
    }
    const crit = rate("critical_wakeups");
    const share = (x: number) => (crit > 0 ? ` (${(100 * x / crit).toFixed(0)}%)` : "");
    const placed = rate("direct_dispatches") + rate("dispatches");
    const direct = placed > 0 ? `${(100 * rate("direct_dispatches") / placed).toFixed(0)}%` : "-";
    return name +
      `${crit.toFixed(0)} critical wake-ups/s with no idle CPU; ${rate("preempt_kicks").toFixed(0)}/s` +
      `${share(rate("preempt_kicks"))} preempted a CPU, ${rate("critical_queued").toFixed(0)}/s` +
      `${share(rate("critical_queued"))} queued (no preemptible CPU); ${rate("enqueues").toFixed(0)} ` +
      `enqueues/s, ${direct} of placements direct, ${rate("boosted").toFixed(0)} input-boosted/s.`;
  });
}

/**
 * One line per target: the bound, then each contender's figure and whether it holds ("no data" when the
 * runs to judge it are missing). Value targets also give EEVDF's figure for scale.
 */
export function formatTargets(
  targets: readonly TargetResult[],
  contenders: readonly SchedulerId[],
): string[] {
  return targets.map(({ def, row, checks }) => {
    const show = (v: number) =>
      def.on === "ratio"
        ? `${v.toFixed(2)}x`
        : `${formatValue(row.def, v)}${row.def.unit === "%" ? "%" : ` ${row.def.unit}`}`;
    const parts = contenders.map((s) => {
      const c = checks[s];
      if (!c || c.figure === null || c.met === null) return `${SCHEDULER_NAMES[s]} no data`;
      return `${SCHEDULER_NAMES[s]} ${show(c.figure)} ${c.met ? "met" : "NOT met"}`;
    });
    const base = def.on === "value" && row.medians.eevdf != null ? ` (EEVDF ${show(row.medians.eevdf)})` : "";
    return `- ${def.label}${base}: ${parts.join("; ")}`;
  });
}

function excluded(runs: readonly WorkloadRun[]): string[] {
  return runs.filter((r) => r.problem !== null).map((r) =>
    `- r${r.round} ${SCHEDULER_NAMES[r.scheduler]} ${r.workload}: ${r.problem}`
  );
}

function ejectionLines(results: GuestResults): string[] {
  const runs = results.runs.length;
  if (results.ejections.length === 0) {
    return [
      `Ejections: none (sched_ext state and ops checked before and after each of ${runs} runs; the ` +
      `kernel log of ${results.dmesgBlocks} scheduler blocks and every loader's log read).`,
    ];
  }
  return [
    `Ejections (${results.ejections.length} signs; state checked in ${runs} runs, kernel log of ` +
    `${results.dmesgBlocks} scheduler blocks read):`,
    ...results.ejections.map((e) => `- r${e.round} ${SCHEDULER_NAMES[e.scheduler]}: ${e.file}: ${e.line}`),
  ];
}

/** The whole report. */
export function formatReport(results: GuestResults, options: ReportOptions = {}): string {
  const { plan, runs } = results;
  const scheds = plan.schedulers;
  const contenders = scheds.filter((s) => s !== "eevdf");
  const rows = summarizeFigures(runs, scheds, FIGURES.filter((f) => plan.workloads.includes(f.workload)));
  const usableRounds = new Set(runs.filter((r) => r.problem === null).map((r) => r.round)).size;
  const describe: Record<SchedulerId, string> = {
    eevdf: "EEVDF (nothing loaded)",
    eevdf_idle: "EEVDF+idle (EEVDF, every background process under SCHED_IDLE)",
    gamer: "scx_gamer (defaults, stats off)",
    gamer_stats: `scx_gamer+stats (defaults, --stats ${plan.statsS})`,
    bpfland: "scx_bpfland (upstream defaults)",
    best: `scx_gamer best (\`${plan.bestFlags ?? "?"}\`, stats off)`,
  };
  // The hv_* and enc_3 rows are other games: say how each differs, in the guest's own flags.
  const otherGames =
    (plan.heavyGame && plan.workloads.some((w) => w.startsWith("hv_"))
      ? `; the heavy game: the same with \`${plan.heavyGame}\``
      : "") +
    (plan.encoderGame && plan.workloads.includes("enc_3")
      ? `; enc_3: the same with \`${plan.encoderGame}\``
      : "");
  const out: string[] = [];
  out.push(
    `bench:sched: scx_gamer vs EEVDF on a ${plan.cpus}-vCPU sched_ext VM (QEMU TCG, ${
      plan.tcg === "multi" ? "one host thread per vCPU" : "vCPUs taking turns on one host thread"
    }), kernel ${plan.kernel}${plan.date ? `, ${plan.date}` : ""}`,
    `${plan.rounds} rounds (${usableRounds} with usable runs) x ${plan.durationS} s per run; the game: ` +
      `${plan.fps} fps with ${(plan.frameWorkUs / 1000).toFixed(1)} ms of render work per frame, 2 job ` +
      `workers, 1 kHz input, 5 ms audio${otherGames}; 1x = ${plan.cpus} busy loops (one per vCPU)` +
      `${options.build ? `; scx_gamer ${options.build}` : ""}.`,
    `Schedulers: ${scheds.map((s) => describe[s]).join("; ")}.`,
    ...(options.bpfland ? [`${options.bpfland}.`] : []),
    "Method: one boot; each round runs every scheduler in turn (order rotated per round), each under the " +
      `same ${plan.workloads.length} workloads; sched_ext state checked before and after every run, the ` +
      "kernel log read after every scheduler.",
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
  const label = (r: FigureRow) => `${WORKLOAD_LABELS[r.def.workload]}: ${r.def.label}`;
  out.push(markdownTable(
    ["figure (median)", "unit", ...scheds.map((s) => SCHEDULER_NAMES[s])],
    rows.map((r) => [label(r), r.def.unit, ...scheds.map((s) => formatValue(r.def, r.medians[s]))]),
  ));
  if (contenders.length) {
    out.push(
      "",
      markdownTable(
        ["ratio to EEVDF", ...contenders.map((s) => SCHEDULER_NAMES[s])],
        rows.map((r) => [label(r), ...contenders.map((s) => formatRatio(r.def, r.ratios[s]))]),
      ),
    );
  }
  if (scheds.includes("eevdf_idle") && !plan.workloads.every(hasBackground)) {
    out.push("", "EEVDF+idle has no 'game alone' run: with no background there is nothing to demote.");
  }
  const targets = checkTargets(rows, contenders);
  if (targets.length) {
    out.push(
      "",
      "Targets (issue 12; Nx = median per-round ratio to EEVDF, else the median itself):",
      ...formatTargets(targets, contenders),
    );
  }
  out.push("", ...ejectionLines(results));

  const split = summarizeCpuSplit(runs, plan.workloads, scheds);
  if (split.length) {
    const head: Record<(typeof CPU_PARTS)[number], string> = {
      background: "background",
      game: "game",
      scheduler: "loader",
      other: "other",
      kernel: "of all: kernel",
      idle: "idle",
    };
    out.push(
      "",
      `Where the CPU went (CPUs of ${plan.cpus}, median over rounds; from process and /proc/stat ticks; ` +
        "game = gamesim or cyclictest; loader = the scheduler's userspace process (Deno); other = busy time " +
        "charged to none of them; the last column, overlapping the others, is all system + irq + softirq " +
        "time, scheduling included):",
      "",
      markdownTable(
        ["workload", "scheduler", ...CPU_PARTS.map((p) => head[p])],
        split.map((r) => [
          WORKLOAD_SHORT[r.workload],
          SCHEDULER_NAMES[r.scheduler],
          ...CPU_PARTS.map((p) => r.shares[p]?.toFixed(2) ?? "-"),
        ]),
      ),
    );
  }
  const hot = summarizeHotPaths(runs);
  if (hot.length) {
    out.push(
      "",
      "scx_gamer's hot paths (its own histograms, stats on; median over every run's stats lines; under TCG, " +
        "and a probe can span the other vCPU's turn, so absolute times are inflated):",
      "",
      markdownTable(
        ["hot path", ...hot.flatMap((h) => [`${SCHEDULER_NAMES[h.scheduler]} avg`, "p99"])],
        hot[0].rows.map((row, i) => [
          row.path,
          ...hot.flatMap((h) => [fmtNs(h.rows[i].avgNs), fmtNs(h.rows[i].p99Ns)]),
        ]),
      ),
      "",
      `Preemptions of non-critical work per second: ${
        hot.map((h) => `${SCHEDULER_NAMES[h.scheduler]} ${h.preemptPerS?.toFixed(0) ?? "-"}`).join(", ")
      }.`,
    );
  }
  out.push("", insnLine(results));
  if (results.probe.length) {
    out.push(
      "",
      "What became of critical wake-ups (scx_gamer's default config loaded once more through the library " +
        "with stats on, its counters over one run of each workload):",
      ...formatProbe(results.probe),
    );
  }
  out.push("", "Reading:");
  for (const s of contenders) out.push(`- ${SCHEDULER_NAMES[s]} ${wins(rows, s)}`);
  const bad = excluded(runs);
  out.push("", bad.length ? `Excluded runs (${bad.length}):` : "Excluded runs: none.", ...bad);
  if (results.notes.length) out.push("", "Notes:", ...results.notes.map((n) => `- ${n}`));
  return out.join("\n") + "\n";
}
