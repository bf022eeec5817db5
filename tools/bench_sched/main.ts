/**
 * `deno task bench:sched [-- OPTIONS]`: does scx_gamer make games smoother? One boot of the sched_ext VM
 * runs EEVDF, scx_gamer's default configuration and a "best" one in turn, several rounds, under the same
 * workloads (tools/vm/scenarios/bench_sched.sh); this prints one table of medians and ratios to EEVDF to
 * stdout, progress to stderr, and leaves report.md, summary.json and bench_sched.svg next to the guest's
 * out/. `--update-docs` also refreshes docs/benchmarks.md's table and docs/bench_sched.svg.
 *
 * Exit status: 0 when the report was made, 1 when the run failed (no results to report), 2 on a bad
 * command line. A benchmark, not a test: nothing in CI runs it.
 *
 * @module
 */

import * as path from "node:path";
import { runInVm, type VmResult } from "../vm/vm.ts";
import { REPO_ROOT } from "../vm/layers.ts";
import { BenchResultError, readGuestResults, SCHEDULERS } from "./guest_results.ts";
import { type BenchOptions, BenchUsageError, estimateSeconds, parseBenchArgs, USAGE } from "./options.ts";
import { formatReport } from "./report.ts";
import { summarizeFigures } from "./summary.ts";
import { mergeHistograms } from "./percentiles.ts";
import { benchPlotSvg, type CurveSeries, type PlotData } from "./svg_plot.ts";
import type { GuestResults } from "./guest_results.ts";

/** The run produced nothing to report; the message says why. */
class BenchRunError extends Error {
  override name = "BenchRunError";
}

const SCENARIO = path.join(REPO_ROOT, "tools/vm/scenarios/bench_sched.sh");
const PROBE_SOURCE = path.join(REPO_ROOT, "tools/bench_sched/counters_probe.ts");
/** Where bestFlags came from, kept next to the results for a later --from. */
const BEST_SOURCE_FILE = "best_source.txt";
/** Which scx_gamer build ran ({@link buildIdentity}), kept next to the results. */
const BUILD_FILE = "build.txt";
/** Where the bundled counters probe lands in the guest. */
const PROBE_GUEST = "/opt/extra/counters_probe.js";
const DOCS = path.join(REPO_ROOT, "docs/benchmarks.md");
const DOCS_SVG = path.join(REPO_ROOT, "docs/bench_sched.svg");
/** docs/benchmarks.md's generated block sits between these lines. */
const MARK_BEGIN = "<!-- bench:sched table: begin (written by deno task bench:sched -- --update-docs) -->";
const MARK_END = "<!-- bench:sched table: end -->";
const COLORS = { eevdf: "#4477aa", default: "#ee7733", best: "#228833" } as const;
const NAMES = { eevdf: "EEVDF", default: "scx_gamer default", best: "scx_gamer best" } as const;

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/**
 * What was measured: the bundle's hash and the commit it was built from, with a note when bpf/ or lib/
 * differ from that commit (the tree is shared; the bundle is rebuilt from it on every run).
 */
async function buildIdentity(bundle: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", Deno.readFileSync(bundle));
  const hash = [...new Uint8Array(digest)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("");
  const git = (args: string[]) => {
    const r = new Deno.Command("git", { args, cwd: REPO_ROOT, stdout: "piped", stderr: "null" }).outputSync();
    return r.success ? new TextDecoder().decode(r.stdout).trim() : "";
  };
  const commit = git(["rev-parse", "--short", "HEAD"]) || "unknown";
  const dirty = git(["status", "--porcelain", "--", "bpf", "lib"]) ? ", bpf/ or lib/ modified" : "";
  return `bundle sha256 ${hash} (commit ${commit}${dirty})`;
}

/** Bundle the counters probe into one file for the guest (it has Deno, not the repository). */
async function bundleProbe(dir: string): Promise<string> {
  const file = path.join(dir, "counters_probe.js");
  const r = await new Deno.Command("deno", {
    args: ["bundle", "--quiet", "--output", file, PROBE_SOURCE],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n")[0];
    throw new BenchRunError(`${PROBE_SOURCE}: cannot be bundled: ${err}`);
  }
  return file;
}

async function runGuest(o: BenchOptions, outDir: string): Promise<void> {
  const bundle = path.join(REPO_ROOT, "dist/scx_gamer.js");
  try {
    Deno.statSync(bundle);
  } catch {
    throw new BenchRunError(`${bundle}: missing: run 'deno task bench:sched', which bundles first`);
  }
  const identity = await buildIdentity(bundle);
  const estimate = estimateSeconds(o);
  const t0 = performance.now();
  const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`.padStart(5);
  console.error(
    `bench:sched: ${o.rounds} rounds x ${o.durationS} s per run, best = ${o.bestFlags}; ${identity}; ` +
      `about ${Math.ceil(estimate / 60)} min; guest out/ -> ${outDir}`,
  );
  let partial = "";
  // The host's load at each scheduler block's start: the report states how shared the machine was.
  const hostLoad: string[] = [];
  const onConsole = (text: string) => {
    partial += text;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const l = line.replace(/\r$/, "");
      if (l.startsWith("bench: ") || l.startsWith("[vm] ")) console.error(`[${elapsed()}] ${l}`);
      const block = /^bench: round (\d+) (\w+) begin/.exec(l);
      if (block) hostLoad.push(`${block[1]} ${block[2]} ${Deno.loadavg()[0].toFixed(2)}`);
    }
  };
  const tmp = await Deno.makeTempDir({ prefix: "bench_sched_" });
  let result: VmResult;
  try {
    const probe = o.extras ? await bundleProbe(tmp) : null;
    result = await runInVm(SCENARIO, {
      args: [
        String(o.rounds),
        String(o.durationS),
        String(o.statsS),
        o.bestFlags,
        o.extras ? "1" : "0",
        o.workloads.join(" "),
        ...(probe ? [PROBE_GUEST] : []),
      ],
      files: probe ? { [PROBE_GUEST]: probe } : {},
      env: { BENCH_FPS: String(o.fps) },
      // Generous: the host is shared and TCG slows down with it; a hung run still ends.
      timeoutS: estimate * 2 + 300,
      outDir,
      onConsole,
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
  if (result.outDir === null) {
    throw new BenchRunError(`bench:sched: no results came back: ${result.message}`);
  }
  Deno.writeTextFileSync(path.join(outDir, "host_load.txt"), hostLoad.join("\n") + "\n");
  Deno.writeTextFileSync(path.join(outDir, BEST_SOURCE_FILE), o.bestSource + "\n");
  Deno.writeTextFileSync(path.join(outDir, BUILD_FILE), identity + "\n");
  if (result.status !== 0) console.error(`bench:sched: ${result.message}; reporting what came back`);
}

function plotData(results: GuestResults): PlotData {
  const rows = summarizeFigures(results.runs);
  const med = (id: string) => rows.find((r) => r.def.id === id)!.medians;
  const curves: CurveSeries[] = SCHEDULERS.map((s) => ({
    label: NAMES[s],
    color: COLORS[s],
    histogram: mergeHistograms(
      results.runs.filter((r) => r.scheduler === s && r.workload === "ct" && r.problem === null && r.latency)
        .map((r) => r.latency!),
    ),
  }));
  if (results.statsOffLatency) {
    curves.push(
      {
        label: "scx_gamer default, stats off (1 run)",
        color: COLORS.default,
        dashed: true,
        histogram: results.statsOffLatency,
      } as typeof curves[number],
    );
  }
  return {
    title: `scx_gamer vs EEVDF, ${results.plan.cpus}-vCPU sched_ext VM (TCG), ${results.plan.rounds} rounds`,
    curves: { title: "cyclictest wake-up latency, 4 busy loops (pooled rounds)", series: curves },
    bars: {
      title: "game, 4 hogs (2x): input wake-up latency (median)",
      groups: ["p50", "p99", "p99.9"],
      series: SCHEDULERS.map((s) => ({
        label: NAMES[s],
        color: COLORS[s],
        values: ["gs_2x.input_p50", "gs_2x.input_p99", "gs_2x.input_p999"].map((id) => med(id)[s]),
      })),
    },
  };
}

function updateDocs(report: string, svg: string): void {
  let doc: string;
  try {
    doc = Deno.readTextFileSync(DOCS);
  } catch {
    throw new BenchRunError(`${DOCS}: missing: expected the benchmark notes with the table markers`);
  }
  const a = doc.indexOf(MARK_BEGIN);
  const b = doc.indexOf(MARK_END);
  if (a < 0 || b < a) {
    throw new BenchRunError(`${DOCS}: expected the lines '${MARK_BEGIN}' and '${MARK_END}'`);
  }
  const block = `${MARK_BEGIN}\n\n\`\`\`text\n${report.trimEnd()}\n\`\`\`\n\n`;
  Deno.writeTextFileSync(DOCS, doc.slice(0, a) + block + doc.slice(b));
  Deno.writeTextFileSync(DOCS_SVG, svg);
  console.error(
    `bench:sched: updated ${path.relative(REPO_ROOT, DOCS)} and ${path.relative(REPO_ROOT, DOCS_SVG)}`,
  );
}

async function main(argv: string[]): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseBenchArgs(argv);
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    console.error(`bench:sched: ${e.message}`);
    return 2;
  }
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const outDir = path.resolve(
      o.from ?? o.outDir ?? path.join(REPO_ROOT, "tools/vm/out", `bench-${stamp()}`),
    );
    if (o.from === null) await runGuest(o, outDir);
    const results = readGuestResults(outDir);
    let bestSource = o.bestSource;
    if (o.from !== null) {
      try {
        bestSource = Deno.readTextFileSync(path.join(outDir, BEST_SOURCE_FILE)).trim();
      } catch {
        bestSource = "source not recorded";
      }
    }
    let build: string | undefined;
    try {
      build = Deno.readTextFileSync(path.join(outDir, BUILD_FILE)).trim();
    } catch {
      build = undefined; // Runs made before the build was recorded.
    }
    const report = formatReport(results, { bestSource, build });
    console.log(report);
    const svg = benchPlotSvg(plotData(results));
    Deno.writeTextFileSync(path.join(outDir, "report.md"), report);
    Deno.writeTextFileSync(path.join(outDir, "bench_sched.svg"), svg);
    Deno.writeTextFileSync(
      path.join(outDir, "summary.json"),
      JSON.stringify(
        summarizeFigures(results.runs).map((r) => ({ id: r.def.id, unit: r.def.unit, ...r, def: undefined })),
        null,
        1,
      ) + "\n",
    );
    if (o.updateDocs) updateDocs(report, svg);
    return 0;
  } catch (e) {
    if (e instanceof BenchRunError || e instanceof BenchResultError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
