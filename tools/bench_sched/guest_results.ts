/**
 * Reading what tools/vm/scenarios/bench_sched.sh left in out/: one {@link WorkloadRun} per round,
 * scheduler and workload, each either usable or carrying the one-line reason it is not (a failed or
 * ejected run is reported and left out of the medians, never silently averaged in).
 *
 * The parsers of single files (cyclictest JSON, gamesim JSON, scx_gamer's stats lines and instruction
 * counts) are exported for the tests; {@link readGuestResults} walks the folder.
 *
 * @module
 */

import * as path from "node:path";
import type { LatencyHistogram } from "./percentiles.ts";

/** The schedulers compared, in table order. */
export const SCHEDULERS = ["eevdf", "default", "best"] as const;
/** One of {@link SCHEDULERS}. */
export type SchedulerId = typeof SCHEDULERS[number];

/** The workloads run under each scheduler, in table order (names as the scenario writes them). */
export const WORKLOADS = ["ct", "gs_1x", "gs_2x", "gs_burst"] as const;
/** One of {@link WORKLOADS}. */
export type WorkloadId = typeof WORKLOADS[number];

/** The hot paths scx_gamer's stats line reports, in its order. */
export const HOT_PATH_NAMES = ["select_cpu", "enqueue", "dispatch"] as const;
/** One of {@link HOT_PATH_NAMES}. */
export type HotPathName = typeof HOT_PATH_NAMES[number];

/** A results file is not what the scenario writes; the message names the file and what was expected. */
export class BenchResultError extends Error {
  override name = "BenchResultError";
}

/** Wake-up latency of one gamesim thread role, us (nearest-rank percentiles; null without samples). */
export interface RoleLatency {
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  wakeups: number;
}

/** What one gamesim run measured. */
export interface GameFigures {
  input: RoleLatency;
  render: RoleLatency;
  /** Frames (presented + dropped) in the run. */
  frames: number;
  /** Share of frames that missed their slot, 0..1. */
  missedShare: number | null;
  frameTimeP99Us: number | null;
  /** Background hog loop iterations per second, all hogs together. */
  bgItersPerS: number;
}

/** One hot path's cost from scx_gamer's stats lines, ns: the median over the run's lines. */
export interface HotPathCost {
  avgNs: number;
  p99Ns: number;
}

/** scx_gamer's own figures during one workload run (medians over its stats lines). */
export interface HotPathFigures {
  paths: Record<HotPathName, HotPathCost>;
  preemptPerS: number;
  /** Stats lines the medians are over. */
  lines: number;
}

/** One parsed stats line. */
export interface StatsLine {
  paths: Record<HotPathName, HotPathCost>;
  preemptPerS: number;
}

/** Where the CPU went during a run's sampling window, in CPUs (1.0 = one whole CPU; all add up to the VM's). */
export interface CpuShares {
  /** The background load: gamesim's hogs, or cyclictest's busy loops. */
  background: number;
  /** scx_gamer's userspace process (0 under EEVDF). */
  scheduler: number;
  /** The game: gamesim's process, or cyclictest. */
  game: number;
  /**
   * Busy time not charged to those three: other processes, kernel threads, interrupts and softirqs
   * (the per-process figures include their own system time, so this is what is left).
   */
  other: number;
  /**
   * System, irq and softirq time of all processes (it overlaps the parts above, which include their
   * own system time): the kernel's share, scheduling included.
   */
  kernel: number;
  /** Idle and iowait. */
  idle: number;
}

/** One workload run under one scheduler in one round. */
export interface WorkloadRun {
  round: number;
  scheduler: SchedulerId;
  workload: WorkloadId;
  /** Why the run is not usable, or null when it is. */
  problem: string | null;
  /** cyclictest's latency histogram (workload "ct"). */
  latency: LatencyHistogram | null;
  /** gamesim's figures (the gs_* workloads). */
  game: GameFigures | null;
  /** scx_gamer's stats during the run (null under EEVDF, or without stats lines). */
  hot: HotPathFigures | null;
  /** CPU shares from the .cpu samples, or null when they are missing. */
  cpu: CpuShares | null;
}

/** The run's parameters as the scenario recorded them in plan.txt. */
export interface BenchPlan {
  rounds: number;
  durationS: number;
  statsS: number;
  bestFlags: string;
  fps: number;
  kernel: string;
  cpus: number;
  /** The guest's date (UTC, YYYY-MM-DD) at the start, or null when not recorded. */
  date: string | null;
  /** The workloads run under each scheduler, in order. */
  workloads: WorkloadId[];
}

/** What the scheduler's counters did over one workload run of the counters probe. */
export interface ProbeWindow {
  workload: string;
  seconds: number;
  /** Counter name -> increase over the window. */
  deltas: Record<string, number>;
}

/** Everything read from one benchmark's out/ folder. */
export interface GuestResults {
  plan: BenchPlan;
  runs: WorkloadRun[];
  /** BPF program -> xlated instructions, as loaded with stats on (default config) and stats off. */
  insns: { statsOn: Record<string, number> | null; statsOff: Record<string, number> | null };
  /** cyclictest under the default config with stats off (one run), when it was made. */
  statsOffLatency: LatencyHistogram | null;
  /** Problems that did not belong to one run (a scheduler that failed to stop, ...). */
  notes: string[];
  /** The host's 1-minute load average at the start of each scheduler block (host_load.txt), if recorded. */
  hostLoad: number[];
  /** The counters probe's windows (probe/counters.jsonl), empty when it did not run. */
  probe: ProbeWindow[];
}

/**
 * Parse the counters probe's file: "@@probe WORKLOAD" lines, each followed by one JSON line of
 * cumulative counters ({ t, counters }). The first and last reading under a label make its window.
 *
 * @example
 * ```ts
 * parseProbeWindows('@@probe ct\n{"t":1,"counters":{"enqueues":"10"}}\n@@probe ct\n{"t":3,"counters":{"enqueues":"50"}}');
 * // [{ workload: "ct", seconds: 2, deltas: { enqueues: 40 } }]
 * ```
 */
export function parseProbeWindows(text: string): ProbeWindow[] {
  const byLabel = new Map<string, { t: number; counters: Record<string, string> }[]>();
  let label = "";
  for (const raw of text.split("\n")) {
    const m = /^@@probe (\S+)/.exec(raw.trim());
    if (m) {
      label = m[1];
      continue;
    }
    try {
      const v = JSON.parse(raw);
      if (label && typeof v?.t === "number" && v.counters && typeof v.counters === "object") {
        byLabel.set(label, [...(byLabel.get(label) ?? []), v]);
      }
    } catch {
      // Not a counter line.
    }
  }
  const windows: ProbeWindow[] = [];
  for (const [workload, lines] of byLabel) {
    if (lines.length < 2) continue;
    const [a, b] = [lines[0], lines[lines.length - 1]];
    const deltas = Object.fromEntries(
      Object.keys(b.counters).map((k) => [k, Number(BigInt(b.counters[k]) - BigInt(a.counters[k] ?? "0"))]),
    );
    windows.push({ workload, seconds: b.t - a.t, deltas });
  }
  return windows;
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux/x86). */
const USER_HZ = 100;

/**
 * Parse a .cpu file: one line a second, "uptime background scheduler game user nice system idle iowait
 * irq softirq" (process CPU ticks, then /proc/stat's aggregate cpu fields). The window runs from the
 * first line to the last one before a tracked process was gone (its ticks read 0 from then on). Null
 * when that leaves fewer than two lines.
 *
 * @example
 * ```ts
 * parseCpuSamples("10 0 0 0 0 0 0 0 0 0 0\n15 800 50 100 950 0 40 0 0 0 10\n16 0 50 0 990 0 40 0 0 0 10\n");
 * // { background: 1.6, scheduler: 0.1, game: 0.2, other: 0, kernel: 0.1, idle: 0 } (to rounding; the
 * // last line is after the end)
 * ```
 */
export function parseCpuSamples(text: string): CpuShares | null {
  const rows = text.trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number))
    .filter((r) => r.length === 11 && r.every(Number.isFinite));
  let end = 0;
  while (end + 1 < rows.length && [1, 2, 3].every((i) => rows[end + 1][i] >= rows[end][i])) end++;
  if (end === 0) return null;
  const [a, b] = [rows[0], rows[end]];
  const seconds = b[0] - a[0];
  if (!(seconds > 0)) return null;
  const cpus = (i: number) => (b[i] - a[i]) / USER_HZ / seconds;
  const [background, scheduler, game] = [cpus(1), cpus(2), cpus(3)];
  return {
    background,
    scheduler,
    game,
    other: Math.max(0, cpus(4) + cpus(5) + cpus(6) + cpus(9) + cpus(10) - background - scheduler - game),
    kernel: cpus(6) + cpus(9) + cpus(10),
    idle: cpus(7) + cpus(8),
  };
}

/**
 * Parse cyclictest's --json output (rt-tests 2.x) for its single measuring thread into a histogram.
 * Samples past the -h range are the difference between `cycles` and the histogram's sum.
 *
 * @throws {BenchResultError} when the text is not cyclictest JSON with one thread's histogram.
 */
export function parseCyclictestJson(text: string, file: string): LatencyHistogram {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new BenchResultError(`${file}: expected cyclictest --json output, got text that is not JSON`);
  }
  const thread = (doc as { thread?: Record<string, unknown> }).thread?.["0"] as
    | { histogram?: Record<string, number>; cycles?: number; max?: number }
    | undefined;
  if (!thread || typeof thread.histogram !== "object" || typeof thread.cycles !== "number") {
    throw new BenchResultError(`${file}: expected thread "0" with a histogram and cycles (run with -h)`);
  }
  const buckets = new Map<number, number>();
  let sum = 0;
  for (const [k, v] of Object.entries(thread.histogram)) {
    const us = Number(k);
    if (!Number.isInteger(us) || us < 0 || !Number.isInteger(v) || v < 0) {
      throw new BenchResultError(`${file}: histogram entry "${k}": ${v}: expected whole us -> count`);
    }
    if (v > 0) buckets.set(us, v);
    sum += v;
  }
  const maxUs = typeof thread.max === "number" ? thread.max : Math.max(0, ...buckets.keys());
  return { buckets, overflow: Math.max(0, thread.cycles - sum), maxUs };
}

function roleLatency(role: Record<string, unknown> | undefined, file: string, name: string): RoleLatency {
  if (!role || typeof role.wakeups !== "number") {
    throw new BenchResultError(`${file}: expected roles.${name} with wakeups and lat_* fields`);
  }
  const num = (k: string) => (typeof role[k] === "number" ? role[k] as number : null);
  return {
    p50: num("lat_p50_us"),
    p99: num("lat_p99_us"),
    p999: num("lat_p999_us"),
    max: num("lat_max_us"),
    wakeups: role.wakeups,
  };
}

/**
 * Parse gamesim's JSON report (documented at the top of tools/gamesim.c).
 *
 * @throws {BenchResultError} when a field the benchmark needs is missing.
 */
export function parseGamesimJson(text: string, file: string): GameFigures {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new BenchResultError(`${file}: expected gamesim's JSON report, got text that is not JSON`);
  }
  const roles = doc.roles as Record<string, Record<string, unknown>> | undefined;
  const bg = doc.background as { iterations_per_s?: unknown } | undefined;
  if (!roles || !bg || typeof bg.iterations_per_s !== "number") {
    throw new BenchResultError(`${file}: expected "roles" and "background.iterations_per_s"`);
  }
  const render = roles.render;
  const frames = render?.frames;
  if (typeof frames !== "number") throw new BenchResultError(`${file}: expected roles.render.frames`);
  const num = (k: string) => (typeof render[k] === "number" ? render[k] as number : null);
  return {
    input: roleLatency(roles.input, file, "input"),
    render: roleLatency(render, file, "render"),
    frames,
    missedShare: num("missed_share"),
    frameTimeP99Us: num("frame_time_p99_us"),
    bgItersPerS: bg.iterations_per_s,
  };
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6 };
const TIME = "([\\d.]+)(ns|us|ms)";
const COST_RE = new RegExp(
  `\\| cost select_cpu ${TIME} enqueue ${TIME} dispatch ${TIME}, p99 ${TIME} ${TIME} ${TIME}`,
);

/**
 * Parse one line of scx_gamer's `--stats` output (lib/sched/stats.ts formatStatsLine: its `cost`
 * part, the average then the 99th percentile of each callback, and `preempt`); null for any other line.
 *
 * @example
 * ```ts
 * parseStatsLine("[2.0s] placed 826/s direct 40% enqueued 826/s preempt 1.5k/s input 0/s | cpu 100% | " +
 *   "migrations blocked 0% mm hits 0% | cost select_cpu 45.0us enqueue 61.7us dispatch 304ns, p99 166.4us 168.1us 1.2ms");
 * // { paths: { select_cpu: { avgNs: 45000, p99Ns: 166400 }, ... }, preemptPerS: 1500 }
 * ```
 */
export function parseStatsLine(line: string): StatsLine | null {
  if (!/^\[[\d.]+s\] placed /.test(line)) return null;
  const cost = COST_RE.exec(line);
  const preempt = /preempt ([\d.]+)(k?)\/s/.exec(line);
  if (!cost || !preempt) return null;
  const ns = (i: number) => Number(cost[i]) * UNIT_NS[cost[i + 1]];
  const paths = Object.fromEntries(
    HOT_PATH_NAMES.map((p, k) => [p, { avgNs: ns(1 + 2 * k), p99Ns: ns(7 + 2 * k) }]),
  ) as Record<HotPathName, HotPathCost>;
  return { paths, preemptPerS: Number(preempt[1]) * (preempt[2] ? 1000 : 1) };
}

/**
 * The stats lines scx_gamer printed while one workload ran: those between the scenario's
 * "@@bench begin W" and "@@bench end W" markers, without the first one (its interval began before the
 * workload did) unless it is the only one.
 */
export function statsLinesDuring(log: string, workload: string): StatsLine[] {
  const lines: StatsLine[] = [];
  let inside = false;
  for (const raw of log.split("\n")) {
    const line = raw.trim();
    if (line === `@@bench begin ${workload}`) {
      inside = true;
      lines.length = 0;
    } else if (line === `@@bench end ${workload}`) {
      break;
    } else if (inside) {
      const parsed = parseStatsLine(line);
      if (parsed) lines.push(parsed);
    }
  }
  return lines.length > 1 ? lines.slice(1) : lines;
}

/** Medians over stats lines; null without lines. */
export function summarizeStatsLines(lines: readonly StatsLine[]): HotPathFigures | null {
  if (lines.length === 0) return null;
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const paths = Object.fromEntries(HOT_PATH_NAMES.map((p) => [p, {
    avgNs: med(lines.map((l) => l.paths[p].avgNs)),
    p99Ns: med(lines.map((l) => l.paths[p].p99Ns)),
  }])) as Record<HotPathName, HotPathCost>;
  return { paths, preemptPerS: med(lines.map((l) => l.preemptPerS)), lines: lines.length };
}

/**
 * The `--verbose` line "scx_gamer: program instructions: select_cpu=466 enqueue=796 ..." as a record;
 * null when the log has none.
 */
export function parseInsnCounts(log: string): Record<string, number> | null {
  const line = log.split("\n").find((l) => l.includes("program instructions: "));
  if (!line) return null;
  const counts: Record<string, number> = {};
  for (const kv of line.split("program instructions: ")[1].trim().split(/\s+/)) {
    const [k, v] = kv.split("=");
    if (k && Number.isInteger(Number(v))) counts[k] = Number(v);
  }
  return Object.keys(counts).length ? counts : null;
}

/**
 * Parse plan.txt ("key value" lines).
 *
 * @throws {BenchResultError} when a key is missing or a number is not one.
 */
export function parsePlan(text: string, file: string): BenchPlan {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const at = line.indexOf(" ");
    if (at > 0) kv.set(line.slice(0, at), line.slice(at + 1).trim());
    else if (line.trim()) kv.set(line.trim(), "");
  }
  const str = (k: string) => {
    const v = kv.get(k);
    if (v === undefined) throw new BenchResultError(`${file}: expected a "${k}" line`);
    return v;
  };
  const num = (k: string) => {
    const v = Number(str(k));
    if (!Number.isFinite(v)) throw new BenchResultError(`${file}: "${k} ${str(k)}": expected a number`);
    return v;
  };
  return {
    rounds: num("rounds"),
    durationS: num("duration_s"),
    statsS: num("stats_s"),
    bestFlags: str("best_flags"),
    fps: num("fps"),
    kernel: str("kernel"),
    cpus: num("cpus"),
    date: kv.get("date") || null,
    workloads: parseWorkloads(kv.get("workloads"), file),
  };
}

function parseWorkloads(text: string | undefined, file: string): WorkloadId[] {
  if (text === undefined) return [...WORKLOADS];
  const names = text.trim().split(/\s+/).filter((w) => w);
  const known = new Set<string>(WORKLOADS);
  const bad = names.find((w) => !known.has(w));
  if (bad !== undefined || names.length === 0) {
    throw new BenchResultError(`${file}: workload '${bad ?? ""}': expected some of ${WORKLOADS.join(", ")}`);
  }
  return names as WorkloadId[];
}

function readText(file: string): string | null {
  try {
    return Deno.readTextFileSync(file);
  } catch {
    return null;
  }
}

/** What a state snapshot must say: nothing loaded for EEVDF, scx_gamer's ops for the others. */
function stateProblem(text: string | null, scheduler: SchedulerId, rel: string): string | null {
  if (text === null) return `${rel}: missing (the run did not start)`;
  const lines = text.trim().split("\n");
  if (lines.length < 2) return `${rel}: no snapshot after the run (it did not finish)`;
  for (const [i, line] of lines.entries()) {
    const when = i === 0 ? "before" : "after";
    const ok = scheduler === "eevdf" ? line.startsWith("disabled") : /^enabled gamer/.test(line);
    if (!ok) {
      const want = scheduler === "eevdf" ? "disabled" : "enabled, ops gamer";
      return `${rel}: sched_ext was '${line.trim()}' ${when} the run, expected ${want}`;
    }
  }
  return null;
}

/** The cyclictest threads' policies ("comm policy : N" lines): a problem unless all are SCHED_OTHER. */
function policyProblem(text: string | null, rel: string): string | null {
  if (text === null) return `${rel}: missing: the thread policy was not checked`;
  const lines = text.trim().split("\n").filter((l) => l.trim());
  const policies = lines.map((l) => /policy\s*:\s*(\d+)/.exec(l));
  if (policies.length === 0 || policies.some((m) => m === null)) {
    return `${rel}: expected "comm policy : N" for each cyclictest thread, got '${lines.join("; ")}'`;
  }
  const bad = lines.filter((_, i) => policies[i]![1] !== "0");
  return bad.length ? `${rel}: not SCHED_OTHER (policy 0): ${bad.join("; ")}` : null;
}

function readWorkload(
  outDir: string,
  at: { round: number; scheduler: SchedulerId; workload: WorkloadId },
  gamerLog: string | null,
): WorkloadRun {
  const relDir = `r${at.round}/${at.scheduler}`;
  const dir = path.join(outDir, relDir);
  const rel = (ext: string) => `${relDir}/${at.workload}.${ext}`;
  const run: WorkloadRun = { ...at, problem: null, latency: null, game: null, hot: null, cpu: null };
  if (gamerLog !== null) run.hot = summarizeStatsLines(statsLinesDuring(gamerLog, at.workload));
  const cpu = readText(path.join(dir, `${at.workload}.cpu`));
  if (cpu !== null) run.cpu = parseCpuSamples(cpu);
  const fail = (problem: string) => ({ ...run, problem });

  const state = stateProblem(readText(path.join(dir, `${at.workload}.state`)), at.scheduler, rel("state"));
  if (state) return fail(state);
  const rc = readText(path.join(dir, `${at.workload}.rc`))?.trim();
  if (rc !== "0") return fail(`${rel("rc")}: the workload exited with status ${rc ?? "unknown"}`);
  const json = readText(path.join(dir, `${at.workload}.json`));
  if (json === null) return fail(`${rel("json")}: missing`);
  try {
    if (at.workload === "ct") {
      const policy = policyProblem(readText(path.join(dir, "ct.policy")), rel("policy"));
      if (policy) return fail(policy);
      run.latency = parseCyclictestJson(json, rel("json"));
    } else {
      run.game = parseGamesimJson(json, rel("json"));
    }
  } catch (e) {
    if (e instanceof BenchResultError) return fail(e.message);
    throw e;
  }
  return run;
}

/**
 * Read a benchmark's out/ folder.
 *
 * @throws {BenchResultError} when it has no readable plan.txt (it is not a benchmark's output).
 */
export function readGuestResults(outDir: string): GuestResults {
  const planFile = path.join(outDir, "plan.txt");
  const planText = readText(planFile);
  if (planText === null) {
    throw new BenchResultError(`${planFile}: missing: expected the output folder of a bench:sched run`);
  }
  const plan = parsePlan(planText, planFile);
  const runs: WorkloadRun[] = [];
  const notes: string[] = [];
  let statsOn: Record<string, number> | null = null;
  for (let round = 0; round < plan.rounds; round++) {
    for (const scheduler of SCHEDULERS) {
      let log: string | null = null;
      if (scheduler !== "eevdf") {
        const relDir = `r${round}/${scheduler}`;
        log = readText(path.join(outDir, relDir, "gamer.log"));
        if (log !== null) {
          if (scheduler === "default") statsOn ??= parseInsnCounts(log);
          const ejected = log.split("\n").find((l) => l.includes("kernel stopped the scheduler"));
          if (ejected) notes.push(`${relDir}/gamer.log: ${ejected.trim()}`);
        }
        const rc = readText(path.join(outDir, relDir, "gamer.rc"))?.trim();
        if (rc !== undefined && rc !== "0") {
          notes.push(`${relDir}/gamer.rc: scx_gamer exited with status ${rc}`);
        }
      }
      for (const workload of plan.workloads) {
        runs.push(readWorkload(outDir, { round, scheduler, workload }, log));
      }
    }
  }
  const offLog = readText(path.join(outDir, "nostats", "gamer.log"));
  let statsOffLatency: LatencyHistogram | null = null;
  const offJson = readText(path.join(outDir, "nostats", "ct.json"));
  const offState = offJson === null
    ? null
    : stateProblem(readText(path.join(outDir, "nostats", "ct.state")), "default", "nostats/ct.state");
  if (offState) notes.push(`${offState}: the stats-off run is left out`);
  else if (offJson !== null) {
    try {
      statsOffLatency = parseCyclictestJson(offJson, "nostats/ct.json");
    } catch (e) {
      if (!(e instanceof BenchResultError)) throw e;
      notes.push(e.message);
    }
  }
  return {
    plan,
    runs,
    insns: { statsOn, statsOff: offLog === null ? null : parseInsnCounts(offLog) },
    statsOffLatency,
    notes,
    probe: parseProbeWindows(readText(path.join(outDir, "probe", "counters.jsonl")) ?? ""),
    hostLoad: (readText(path.join(outDir, "host_load.txt")) ?? "").split("\n").map((l) =>
      Number(l.split(" ").pop())
    )
      .filter((v) => Number.isFinite(v) && v > 0),
  };
}
