/**
 * `deno task bench:sched [-- OPTIONS]`: does scx_gamer make games smoother than the kernel's default? One
 * boot of the sched_ext VM runs EEVDF, EEVDF with the background demoted to SCHED_IDLE, scx_gamer with
 * stats off and on, and, when the user gives a snapshot to build it from, upstream's scx_bpfland, several
 * rounds, under the same workloads (tools/vm/scenarios/bench_sched.sh); this prints one report of medians,
 * ratios to EEVDF, issue 12's targets and the ejections to stdout, progress to stderr, and leaves
 * report.md, summary.json and bench_sched.svg next to the guest's out/. `--update-docs` also refreshes
 * docs/benchmarks.md's latest-results block and docs/bench_sched.svg.
 *
 * Exit status: 0 when the report was made, 1 when the run failed (no results to report, or the scheduler
 * object is not this checkout's), 2 on a bad command line (a `--bpfland-src` that does not build
 * included). A benchmark, not a test: nothing in CI runs it.
 *
 * @module
 */

import * as path from "node:path";
import { runInVm, type VmResult } from "../vm/vm.ts";
import { REPO_ROOT } from "../vm/layers.ts";
import { BenchResultError, readGuestResults, SCHEDULER_NAMES, type SchedulerId } from "./guest_results.ts";
import { type BenchOptions, BenchUsageError, estimateSeconds, parseBenchArgs, USAGE } from "./options.ts";
import { formatReport } from "./report.ts";
import { summarizeFigures } from "./summary.ts";
import { mergeHistograms } from "./percentiles.ts";
import { benchPlotSvg, type CurveSeries, type PlotData } from "./svg_plot.ts";
import type { GuestResults } from "./guest_results.ts";
import { BpflandSourceError, buildBpfland } from "./bpfland_build.ts";

/** The run produced nothing to report; the message says why. */
class BenchRunError extends Error {
  override name = "BenchRunError";
}

const SCENARIO = path.join(REPO_ROOT, "tools/vm/scenarios/bench_sched.sh");
const PROBE_SOURCE = path.join(REPO_ROOT, "tools/bench_sched/counters_probe.ts");
const BPFLAND_LOADER_SOURCE = path.join(REPO_ROOT, "tools/bench_sched/bpfland_loader.ts");
/** Which scx_gamer build ran ({@link buildIdentity}), kept next to the results. */
const BUILD_FILE = "build.txt";
/** Where scx_bpfland came from, kept next to the results. */
const BPFLAND_FILE = "bpfland.txt";
/** Where the guest finds the extra files. */
const GUEST = {
  probe: "/opt/extra/counters_probe.js",
  bpflandLoader: "/opt/extra/bpfland_loader.js",
  bpflandObject: "/opt/extra/bpfland.bpf.o",
  bpflandSettings: "/opt/extra/bpfland.json",
};
const DOCS = path.join(REPO_ROOT, "docs/benchmarks.md");
const DOCS_SVG = path.join(REPO_ROOT, "docs/bench_sched.svg");
/** docs/benchmarks.md's generated block sits between these lines. */
const MARK_BEGIN = "<!-- bench:sched table: begin (written by deno task bench:sched -- --update-docs) -->";
const MARK_END = "<!-- bench:sched table: end -->";
const COLORS: Record<SchedulerId, string> = {
  eevdf: "#4477aa",
  eevdf_idle: "#66ccee",
  gamer: "#ee7733",
  gamer_stats: "#cc3311",
  bpfland: "#228833",
  best: "#aa3377",
};
/** The compiler flags of scripts/build_bpf.sh, to compare the embedded object's code with bpf/'s. */
const BPF_CFLAGS = [
  ...["-target", "bpf", "-O2", "-g", "-mcpu=v3", "-fms-extensions", "-Wno-microsoft-anon-tag"],
  ...["-D__TARGET_ARCH_x86", "-Wno-unused-function", "-I", ".cache/bpf", "-I", "bpf"],
  ...["-I", "/usr/include/x86_64-linux-gnu"],
];

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

function tool(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  try {
    const r = new Deno.Command(cmd, { args, cwd: REPO_ROOT, stdout: "piped", stderr: "piped" }).outputSync();
    const dec = new TextDecoder();
    return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

/**
 * Which source the embedded scheduler object was compiled from. `.cache/bpf` is shared between
 * worktrees, so the object a bundle embeds may come from another checkout: when its recorded source is
 * not this checkout's bpf/, this one's is compiled and the code (disassembly with relocations, which
 * carries no paths) compared.
 *
 * @throws {BenchRunError} when the code differs: the benchmark would measure someone else's scheduler.
 */
async function checkSchedulerObject(tmp: string): Promise<string> {
  const { SCX_GAMER_OBJECT_BASE64 } = await import("../../lib/bpf/generated/scx_gamer_object.ts");
  const bin = atob(SCX_GAMER_OBJECT_BASE64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  const embedded = path.join(tmp, "embedded.bpf.o");
  Deno.writeFileSync(embedded, bytes);
  const source = /[\x21-\x7e]*\/bpf\/scx_gamer\.bpf\.c/.exec(bin)?.[0] ?? "an unrecorded source";
  const mine = path.join(REPO_ROOT, "bpf/scx_gamer.bpf.c");
  if (source === mine) return "object built from this checkout's bpf/";
  const fresh = path.join(tmp, "fresh.bpf.o");
  const cc = tool("clang-16", [...BPF_CFLAGS, "-c", "bpf/scx_gamer.bpf.c", "-o", fresh]);
  if (!cc.ok) {
    throw new BenchRunError(
      `the embedded scheduler object was built from ${source}, and bpf/ here does not compile to compare ` +
        `(${cc.err.trim().split("\n")[0]}): rebuild with 'touch bpf/scx_gamer.bpf.c && deno task bundle'`,
    );
  }
  const code = (f: string) => tool("llvm-objdump-16", ["-d", "-r", f]).out.split("\n").slice(2).join("\n");
  if (code(embedded) !== code(fresh)) {
    throw new BenchRunError(
      `the embedded scheduler object was built from ${source} and its code differs from this checkout's ` +
        "bpf/ (the shared .cache/bpf holds another branch's build): rebuild with " +
        "'touch bpf/scx_gamer.bpf.c && deno task bundle'",
    );
  }
  return `object built from ${source}, same code as this checkout's bpf/`;
}

/**
 * What was measured: the bundle's hash and the commit it was built from, with a note when bpf/ or lib/
 * differ from that commit, and where the embedded BPF object came from.
 */
async function buildIdentity(bundle: string, tmp: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", Deno.readFileSync(bundle));
  const hash = [...new Uint8Array(digest)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("");
  const git = (args: string[]) => {
    const r = tool("git", args);
    return r.ok ? r.out.trim() : "";
  };
  const commit = git(["rev-parse", "--short", "HEAD"]) || "unknown";
  const dirty = git(["status", "--porcelain", "--", "bpf", "lib"]) ? ", bpf/ or lib/ modified" : "";
  return `bundle sha256 ${hash} (commit ${commit}${dirty}; ${await checkSchedulerObject(tmp)})`;
}

/** Bundle a TypeScript entry point into one file for the guest (it has Deno, not the repository). */
async function bundleFor(source: string, dir: string): Promise<string> {
  const file = path.join(dir, path.basename(source).replace(/\.ts$/, ".js"));
  const r = await new Deno.Command("deno", {
    args: ["bundle", "--quiet", "--output", file, source],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n")[0];
    throw new BenchRunError(`${source}: cannot be bundled: ${err}`);
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
  const tmp = await Deno.makeTempDir({ prefix: "bench_sched_" });
  const built: string[] = [];
  try {
    const files: Record<string, string> = {};
    const env: Record<string, string> = {
      BENCH_ROUNDS: String(o.rounds),
      BENCH_DURATION: String(o.durationS),
      BENCH_STATS: String(o.statsS),
      BENCH_FPS: String(o.fps),
      BENCH_SCHEDULERS: o.schedulers.join(" "),
      BENCH_WORKLOADS: o.workloads.join(" "),
      BENCH_BEST_FLAGS: o.bestFlags ?? "",
      BENCH_TCG: o.tcg,
    };
    let bpflandLine: string | null = null;
    if (o.bpflandSrc !== null) {
      const b = buildBpfland(o.bpflandSrc, {
        cacheDir: path.join(REPO_ROOT, ".cache/bench_sched"),
        kernelDir: path.join(REPO_ROOT, ".cache/kernel"),
      });
      built.push(b.object, b.settings);
      bpflandLine = b.source;
      files[GUEST.bpflandObject] = b.object;
      files[GUEST.bpflandSettings] = b.settings;
      files[GUEST.bpflandLoader] = await bundleFor(BPFLAND_LOADER_SOURCE, tmp);
      env.BENCH_BPFLAND_LOADER = GUEST.bpflandLoader;
      env.BENCH_BPFLAND_OBJ = GUEST.bpflandObject;
      env.BENCH_BPFLAND_SETTINGS = GUEST.bpflandSettings;
    }
    if (o.extras) {
      files[GUEST.probe] = await bundleFor(PROBE_SOURCE, tmp);
      env.BENCH_PROBE_JS = GUEST.probe;
    }
    const identity = await buildIdentity(bundle, tmp);
    const estimate = estimateSeconds(o);
    const t0 = performance.now();
    const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(0)}s`.padStart(5);
    console.error(
      `bench:sched: ${o.rounds} rounds x ${o.durationS} s per run; ${
        o.schedulers.map((s) => SCHEDULER_NAMES[s]).join(", ")
      }; ${o.workloads.join(" ")}; ${identity}; about ${
        Math.ceil(estimate / 60)
      } min; guest out/ -> ${outDir}`,
    );
    // The host's load at each scheduler block's start: the report states how shared the machine was.
    const hostLoad: string[] = [];
    const onConsoleLine = (l: string) => {
      if (l.startsWith("bench: ") || l.startsWith("[vm] ")) console.error(`[${elapsed()}] ${l}`);
      const block = /^bench: round (\d+) (\w+) begin/.exec(l);
      if (block) hostLoad.push(`${block[1]} ${block[2]} ${Deno.loadavg()[0].toFixed(2)}`);
    };
    const result: VmResult = await runInVm(SCENARIO, {
      files,
      env,
      // Generous: the host is shared and TCG slows down with it; a hung run still ends.
      timeoutS: estimate * 3 + 600,
      tcg: o.tcg,
      outDir,
      onConsoleLine,
    });
    if (result.outDir === null) {
      throw new BenchRunError(`bench:sched: no results came back: ${result.message}`);
    }
    Deno.writeTextFileSync(path.join(outDir, "host_load.txt"), hostLoad.join("\n") + "\n");
    Deno.writeTextFileSync(path.join(outDir, BUILD_FILE), identity + "\n");
    if (bpflandLine) Deno.writeTextFileSync(path.join(outDir, BPFLAND_FILE), bpflandLine + "\n");
    if (result.status !== 0) console.error(`bench:sched: ${result.message}; reporting what came back`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
    for (const f of built) await Deno.remove(f).catch(() => {});
  }
}

function readOptional(file: string): string | undefined {
  try {
    return Deno.readTextFileSync(file).trim();
  } catch {
    return undefined;
  }
}

function plotData(results: GuestResults): PlotData {
  const { schedulers, workloads } = results.plan;
  const rows = summarizeFigures(results.runs, schedulers);
  const med = (id: string, s: SchedulerId) => rows.find((r) => r.def.id === id)!.medians[s] ?? null;
  const ct = workloads.includes("ct_m") ? "ct_m" : "ct";
  const curves: CurveSeries[] = schedulers.map((s) => ({
    label: SCHEDULER_NAMES[s],
    color: COLORS[s],
    histogram: mergeHistograms(
      results.runs.filter((r) => r.scheduler === s && r.workload === ct && r.problem === null && r.latency)
        .map((r) => r.latency!),
    ),
  }));
  const bars = [["render p50", "render_p50"], ["render p99", "render_p99"], ["input p50", "input_p50"], [
    "input p99",
    "input_p99",
  ]];
  return {
    title: `scx_gamer vs EEVDF, ${results.plan.cpus}-vCPU sched_ext VM (TCG), ${results.plan.rounds} rounds`,
    curves: {
      title: `cyclictest${ct === "ct_m" ? " -m" : ""} wake-up latency, 2x busy loops (pooled rounds)`,
      series: curves,
    },
    bars: {
      title: "game + 2x busy loops: wake-up latency (median)",
      groups: bars.map(([g]) => g),
      series: schedulers.map((s) => ({
        label: SCHEDULER_NAMES[s],
        color: COLORS[s],
        values: bars.map(([, id]) => med(`gs_2x.${id}`, s)),
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
  const block = `${MARK_BEGIN}\n\n\`\`\`text\n${report.trimEnd()}\n\`\`\`\n\n` +
    "![cyclictest -m latency by percentile and the 2x game's wake-up latency per scheduler]" +
    "(bench_sched.svg)\n\n";
  Deno.writeTextFileSync(DOCS, doc.slice(0, a) + block + doc.slice(b));
  Deno.writeTextFileSync(DOCS_SVG, svg);
  console.error(
    `bench:sched: updated ${path.relative(REPO_ROOT, DOCS)} and ${path.relative(REPO_ROOT, DOCS_SVG)}`,
  );
}

/** Why scx_bpfland is or is not in a run, for the report. */
function bpflandNote(outDir: string, results: GuestResults): string {
  const source = readOptional(path.join(outDir, BPFLAND_FILE));
  if (results.plan.schedulers.includes("bpfland")) return source ?? "scx_bpfland: source not recorded";
  return "scx_bpfland: not run (no --bpfland-src DIR given; docs/benchmarks.md says how to fetch a " +
    "sched-ext/scx snapshot to build it from)";
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
    const report = formatReport(results, {
      build: readOptional(path.join(outDir, BUILD_FILE)),
      bpfland: bpflandNote(outDir, results),
    });
    console.log(report);
    const svg = benchPlotSvg(plotData(results));
    Deno.writeTextFileSync(path.join(outDir, "report.md"), report);
    Deno.writeTextFileSync(path.join(outDir, "bench_sched.svg"), svg);
    Deno.writeTextFileSync(
      path.join(outDir, "summary.json"),
      JSON.stringify(
        summarizeFigures(results.runs, results.plan.schedulers).map((r) => ({
          id: r.def.id,
          unit: r.def.unit,
          medians: r.medians,
          ratios: r.ratios,
        })),
        null,
        1,
      ) + "\n",
    );
    if (o.updateDocs) updateDocs(report, svg);
    return 0;
  } catch (e) {
    if (e instanceof BpflandSourceError) {
      console.error(`bench:sched: ${e.message}`);
      return 2;
    }
    if (e instanceof BenchRunError || e instanceof BenchResultError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
