/**
 * Reading what tools/vm/scenarios/bench_sched.sh left in out/: one {@link WorkloadRun} per round,
 * scheduler and workload, each either usable or carrying the one-line reason it is not (a failed or
 * ejected run is reported and left out of the medians, never silently averaged in), and every sign of an
 * ejection the guest saw ({@link Ejection}).
 *
 * The parsers of single files (cyclictest JSON, gamesim JSON, scx_gamer's stats lines and instruction
 * counts, dmesg) are exported for the tests; {@link readGuestResults} walks the folder.
 *
 * @module
 */

import * as path from "node:path";
import type { LatencyHistogram } from "./percentiles.ts";
import { isTcgThreads, TCG_THREADS, type TcgThreads } from "../vm/vm.ts";

/**
 * The schedulers the benchmark can compare, in table order:
 * - `eevdf`: the kernel's default, nothing loaded;
 * - `eevdf_idle`: the same with every background process under SCHED_IDLE (what a user would do by
 *   hand: the practical limit of "game first");
 * - `gamer`: scx_gamer with its defaults and stats off (what a user runs);
 * - `gamer_stats`: the same with `--stats` (the profiling the issue measured too);
 * - `bpfland`: upstream's scx_bpfland with its defaults, when the user gave a snapshot to build it from;
 * - `best`: scx_gamer with `--best-flags` (stats off), when given.
 */
export const SCHEDULERS = ["eevdf", "eevdf_idle", "gamer", "gamer_stats", "bpfland", "best"] as const;
/** One of {@link SCHEDULERS}. */
export type SchedulerId = typeof SCHEDULERS[number];

/** How each scheduler is named in tables. */
export const SCHEDULER_NAMES: Record<SchedulerId, string> = {
  eevdf: "EEVDF",
  eevdf_idle: "EEVDF+idle",
  gamer: "scx_gamer",
  gamer_stats: "scx_gamer+stats",
  bpfland: "scx_bpfland",
  best: "scx_gamer best",
};

/** The ops name sched_ext shows (`/sys/kernel/sched_ext/root/ops`) while a scheduler runs; null: none. */
export const SCHEDULER_OPS: Record<SchedulerId, string | null> = {
  eevdf: null,
  eevdf_idle: null,
  gamer: "gamer",
  gamer_stats: "gamer",
  bpfland: "bpfland",
  best: "gamer",
};

/** The background's scheduling policy under each scheduler, as gamesim reports it. */
export function backgroundPolicy(s: SchedulerId): "idle" | "other" {
  return s === "eevdf_idle" ? "idle" : "other";
}

/**
 * The workloads (names as the scenario writes them), in table order. The background is busy loops, as
 * many as the vCPUs times the load factor:
 * - `gs_0x`, `gs_1x`, `gs_2x`: the game alone, under 1x and under 2x busy loops;
 * - `ct_m`: cyclictest `-q -m -t1 -i 1000 -l N --policy=other` under 2x loops started 1 s before it (`-m`
 *   locks its memory first: the "game that loads" case);
 * - `ct`: the same without `-m`;
 * - `gs_burst`: the game with one busy loop and one bursty one (50 ms on, 50 ms off); not in the default
 *   set.
 * - `hv_0x`, `hv_2x`: a CPU-heavy game (60 fps, 12 ms of render work per frame, four 3 ms jobs: 1.4 of 2
 *   vCPUs) alone and under 2x busy loops; not in the default set. Whether a scheduler keeps the frames of
 *   a game that needs most of the machine, where the standard one (about 0.6 vCPUs) leaves most idle.
 * - `enc_3`: a 60 fps game (6 ms of render work per frame, two 2 ms jobs) beside three encoder-like
 *   processes (gamesim --encoders: 4 ms of CPU work in every 6 ms slot each); not in the default set.
 *   Background whose bursts are too short to look like busy loops: EEVDF shares the CPUs with it.
 */
export const WORKLOADS = [
  "gs_0x",
  "gs_1x",
  "gs_2x",
  "ct_m",
  "ct",
  "gs_burst",
  "hv_0x",
  "hv_2x",
  "enc_3",
] as const;
/** One of {@link WORKLOADS}. */
export type WorkloadId = typeof WORKLOADS[number];
/** The workloads a run makes unless told otherwise. */
export const DEFAULT_WORKLOADS: readonly WorkloadId[] = ["gs_0x", "gs_1x", "gs_2x", "ct_m", "ct"];

/** Is this workload cyclictest (else the game)? */
export function isCyclictest(w: WorkloadId): boolean {
  return w === "ct" || w === "ct_m";
}

/** Does the workload have a background load (all but a game alone)? */
export function hasBackground(w: WorkloadId): boolean {
  return w !== "gs_0x" && w !== "hv_0x";
}

/**
 * Does this scheduler run this workload? Everything runs everywhere except a game alone under
 * EEVDF+idle: with no background there is nothing to demote, so it would be EEVDF again.
 */
export function runsUnder(s: SchedulerId, w: WorkloadId): boolean {
  return !(s === "eevdf_idle" && !hasBackground(w));
}

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
  /**
   * Time waited runnable per wake-up, us (gamesim's runq_*: the kernel's run_delay across the sleep; the
   * scheduler's part of the latency). Absent from reports older than the figure; null without samples.
   */
  runqP50?: number | null;
  runqP99?: number | null;
}

/** gamesim's roles besides input and render. */
export const OTHER_ROLES = ["submit", "audio", "worker"] as const;
export type OtherRole = typeof OTHER_ROLES[number];

/** What one gamesim run measured. */
export interface GameFigures {
  input: RoleLatency;
  render: RoleLatency;
  /** The game's other threads, where the report has them (GPU submit, audio, job workers as one role). */
  others?: Partial<Record<OtherRole, RoleLatency>>;
  /** Frames (presented + dropped) in the run. */
  frames: number;
  /** Share of frames that missed their slot, 0..1. */
  missedShare: number | null;
  frameTimeP99Us: number | null;
  /** What the background processes did. */
  background: BackgroundFigures;
}

/** What gamesim's background processes did (the game's, or the busy loops of a cyclictest run). */
export interface BackgroundFigures {
  /** Loop iterations per second, all background processes together (0 when there were none). */
  itersPerS: number;
  /** Each background process's scheduling policy as it read it back from the kernel ("other", "idle"). */
  policies: string[];
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
  /** cyclictest's latency histogram (workloads "ct", "ct_m"). */
  latency: LatencyHistogram | null;
  /** gamesim's figures (the gs_* workloads). */
  game: GameFigures | null;
  /** The background load's throughput and policies (the game's hogs, or cyclictest's busy loops). */
  background: BackgroundFigures | null;
  /** scx_gamer's stats during the run (null without stats lines: every scheduler but scx_gamer+stats). */
  hot: HotPathFigures | null;
  /** CPU shares from the .cpu samples, or null when they are missing. */
  cpu: CpuShares | null;
}

/** The run's parameters as the scenario recorded them in plan.txt. */
export interface BenchPlan {
  rounds: number;
  durationS: number;
  statsS: number;
  /** scx_gamer flags of the "best" scheduler, or null when it did not run. */
  bestFlags: string | null;
  fps: number;
  /** The game's render work per frame, us. */
  frameWorkUs: number;
  /** gamesim flags the heavy game (hv_*) sets over the game's, or null: a run from before it had none. */
  heavyGame: string | null;
  /** gamesim flags the encoder workload (enc_3) sets over the game's, or null: a run from before it. */
  encoderGame: string | null;
  kernel: string;
  cpus: number;
  /** The guest's date (UTC, YYYY-MM-DD) at the start, or null when not recorded. */
  date: string | null;
  /** How TCG ran the vCPUs (tools/vm/vm.ts TcgThreads); "single" for runs that did not record it. */
  tcg: TcgThreads;
  /** The workloads run under each scheduler, in order. */
  workloads: WorkloadId[];
  /** The schedulers compared, in table order (EEVDF first). */
  schedulers: SchedulerId[];
}

/** What the scheduler's counters did over one workload run of the counters probe. */
export interface ProbeWindow {
  workload: string;
  seconds: number;
  /** Counter name -> increase over the window. */
  deltas: Record<string, number>;
}

/** A sign that the kernel stopped a scheduler, or that a block did not run as planned. */
export interface Ejection {
  round: number;
  scheduler: SchedulerId;
  /** The file it was read from, relative to out/. */
  file: string;
  /** The line as found. */
  line: string;
}

/** Everything read from one benchmark's out/ folder. */
export interface GuestResults {
  plan: BenchPlan;
  runs: WorkloadRun[];
  /** BPF program -> xlated instructions of scx_gamer's default config, loaded with stats on and off. */
  insns: { statsOn: Record<string, number> | null; statsOff: Record<string, number> | null };
  /** Every sign of an ejection: state checks, the loaders' logs and exit status, the kernel's log. */
  ejections: Ejection[];
  /** Scheduler blocks whose kernel log (dmesg.txt) was read. */
  dmesgBlocks: number;
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
    ...("runq_wakeups" in role ? { runqP50: num("runq_p50_us"), runqP99: num("runq_p99_us") } : {}),
  };
}

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    const doc = JSON.parse(text);
    if (doc && typeof doc === "object") return doc;
  } catch {
    // Reported below.
  }
  throw new BenchResultError(`${file}: expected gamesim's JSON report, got text that is not a JSON object`);
}

function backgroundOf(doc: Record<string, unknown>, file: string): BackgroundFigures {
  const bg = doc.background as { iterations_per_s?: unknown; hogs?: unknown } | undefined;
  if (!bg || typeof bg.iterations_per_s !== "number" || !Array.isArray(bg.hogs)) {
    throw new BenchResultError(`${file}: expected "background" with "hogs" and "iterations_per_s"`);
  }
  const policies = (bg.hogs as { policy?: unknown }[]).map((h) => String(h.policy ?? "unknown"));
  return { itersPerS: bg.iterations_per_s, policies };
}

/**
 * Parse the report of gamesim's `--background-only` mode (the busy loops of a cyclictest run): the
 * background processes' throughput and policies.
 *
 * @throws {BenchResultError} when the background part is missing.
 */
export function parseBackgroundJson(text: string, file: string): BackgroundFigures {
  return backgroundOf(parseJson(text, file), file);
}

/**
 * Parse gamesim's JSON report (documented at the top of tools/gamesim.c).
 *
 * @throws {BenchResultError} when a field the benchmark needs is missing.
 */
export function parseGamesimJson(text: string, file: string): GameFigures {
  const doc = parseJson(text, file);
  const roles = doc.roles as Record<string, Record<string, unknown>> | undefined;
  if (!roles) throw new BenchResultError(`${file}: expected "roles" (a game's report)`);
  const background = backgroundOf(doc, file);
  const render = roles.render;
  const frames = render?.frames;
  if (typeof frames !== "number") throw new BenchResultError(`${file}: expected roles.render.frames`);
  const num = (k: string) => (typeof render[k] === "number" ? render[k] as number : null);
  const others: Partial<Record<OtherRole, RoleLatency>> = {};
  for (const name of OTHER_ROLES) if (roles[name]) others[name] = roleLatency(roles[name], file, name);
  return {
    input: roleLatency(roles.input, file, "input"),
    render: roleLatency(render, file, "render"),
    others,
    frames,
    missedShare: num("missed_share"),
    frameTimeP99Us: num("frame_time_p99_us"),
    background,
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
 * @throws {BenchResultError} when a key is missing, a number is not one, or a workload or scheduler is
 * unknown (a plan from before issue 12's benchmark has no "schedulers" line).
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
  const schedulers = parseList(str("schedulers"), SCHEDULERS, "scheduler", file);
  if (schedulers[0] !== "eevdf") {
    throw new BenchResultError(`${file}: schedulers '${str("schedulers")}': expected eevdf first`);
  }
  return {
    rounds: num("rounds"),
    durationS: num("duration_s"),
    statsS: num("stats_s"),
    bestFlags: kv.get("best_flags") || null,
    fps: num("fps"),
    frameWorkUs: num("frame_work_us"),
    heavyGame: kv.get("heavy_game") || null,
    encoderGame: kv.get("encoder_game") || null,
    kernel: str("kernel"),
    cpus: num("cpus"),
    date: kv.get("date") || null,
    tcg: parseTcg(kv.get("tcg"), file),
    workloads: parseList(str("workloads"), WORKLOADS, "workload", file),
    schedulers,
  };
}

/** plan.txt's "tcg" line; runs from before the option have none and ran single-threaded. */
function parseTcg(text: string | undefined, file: string): TcgThreads {
  if (text === undefined) return "single";
  if (!isTcgThreads(text)) {
    throw new BenchResultError(`${file}: "tcg ${text}": expected ${TCG_THREADS.join(" or ")}`);
  }
  return text;
}

function parseList<T extends string>(text: string, known: readonly T[], what: string, file: string): T[] {
  const names = text.trim().split(/\s+/).filter((w) => w);
  const bad = names.find((w) => !(known as readonly string[]).includes(w));
  if (bad !== undefined || names.length === 0) {
    throw new BenchResultError(`${file}: ${what} '${bad ?? ""}': expected some of ${known.join(", ")}`);
  }
  return names as T[];
}

function readText(file: string): string | null {
  try {
    return Deno.readTextFileSync(file);
  } catch {
    return null;
  }
}

/** What a state snapshot must say: nothing loaded for EEVDF, the scheduler's ops for the others. */
function stateProblem(text: string | null, scheduler: SchedulerId, rel: string): string | null {
  if (text === null) return `${rel}: missing (the run did not start)`;
  const lines = text.trim().split("\n");
  if (lines.length < 2) return `${rel}: no snapshot after the run (it did not finish)`;
  const ops = SCHEDULER_OPS[scheduler];
  for (const [i, line] of lines.entries()) {
    const when = i === 0 ? "before" : "after";
    const ok = ops === null ? line.startsWith("disabled") : line.startsWith(`enabled ${ops}`);
    if (!ok) {
      const want = ops === null ? "disabled" : `enabled, ops ${ops}`;
      return `${rel}: sched_ext was '${line.trim()}' ${when} the run, expected ${want}`;
    }
  }
  return null;
}

/**
 * The cyclictest threads' policies ("comm policy : N" lines, main thread and measuring thread): a problem
 * unless there are both and all are SCHED_OTHER.
 */
function policyProblem(text: string | null, rel: string): string | null {
  if (text === null) return `${rel}: missing: the thread policy was not checked`;
  const lines = text.trim().split("\n").filter((l) => l.trim());
  const policies = lines.map((l) => /policy\s*:\s*(\d+)/.exec(l));
  if (policies.length < 2 || policies.some((m) => m === null)) {
    return `${rel}: expected "comm policy : N" for both cyclictest threads, got '${lines.join("; ")}'`;
  }
  const bad = lines.filter((_, i) => policies[i]![1] !== "0");
  return bad.length ? `${rel}: not SCHED_OTHER (policy 0): ${bad.join("; ")}` : null;
}

/** The background must have run under the scheduler's policy (SCHED_IDLE for EEVDF+idle only). */
function backgroundProblem(bg: BackgroundFigures, scheduler: SchedulerId, rel: string): string | null {
  const want = backgroundPolicy(scheduler);
  const bad = bg.policies.filter((p) => p !== want);
  return bad.length
    ? `${rel}: background processes ran under ${[...new Set(bad)].join(", ")}, expected ${want}`
    : null;
}

/**
 * The kernel log lines that mean a scheduler was stopped by the kernel rather than by its loader: a
 * "disabled (...)" for any reason but "unregistered from user space", and sched_ext's error and stall
 * lines.
 *
 * @example
 * ```ts
 * kernelEjections('sched_ext: BPF scheduler "gamer" disabled (unregistered from user space)'); // []
 * kernelEjections('sched_ext: BPF scheduler "gamer" disabled (runnable task stall)'); // [that line]
 * ```
 */
export function kernelEjections(dmesg: string): string[] {
  return dmesg.split("\n").map((l) => l.trim()).filter((l) => {
    const disabled = /sched_ext: BPF scheduler "[^"]*" disabled \((.*)\)/.exec(l);
    if (disabled) return disabled[1] !== "unregistered from user space";
    return /sched_ext/.test(l) && /stall|error|watchdog/i.test(l);
  });
}

function readWorkload(
  outDir: string,
  at: { round: number; scheduler: SchedulerId; workload: WorkloadId },
  schedLog: string | null,
): WorkloadRun {
  const relDir = `r${at.round}/${at.scheduler}`;
  const dir = path.join(outDir, relDir);
  const rel = (ext: string) => `${relDir}/${at.workload}.${ext}`;
  const run: WorkloadRun = {
    ...at,
    problem: null,
    latency: null,
    game: null,
    background: null,
    hot: null,
    cpu: null,
  };
  if (schedLog !== null) run.hot = summarizeStatsLines(statsLinesDuring(schedLog, at.workload));
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
    if (isCyclictest(at.workload)) {
      const policy = policyProblem(readText(path.join(dir, `${at.workload}.policy`)), rel("policy"));
      if (policy) return fail(policy);
      run.latency = parseCyclictestJson(json, rel("json"));
      const bg = readText(path.join(dir, `${at.workload}.bg.json`));
      if (bg === null) return fail(`${rel("bg.json")}: missing: the busy loops did not report`);
      run.background = parseBackgroundJson(bg, rel("bg.json"));
    } else {
      run.game = parseGamesimJson(json, rel("json"));
      run.background = run.game.background;
    }
  } catch (e) {
    if (e instanceof BenchResultError) return fail(e.message);
    throw e;
  }
  const bgRel = isCyclictest(at.workload) ? rel("bg.json") : rel("json");
  const policy = backgroundProblem(run.background, at.scheduler, bgRel);
  return policy ? fail(policy) : run;
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
  const ejections: Ejection[] = [];
  const insns: GuestResults["insns"] = { statsOn: null, statsOff: null };
  let dmesgBlocks = 0;
  for (let round = 0; round < plan.rounds; round++) {
    for (const scheduler of plan.schedulers) {
      const relDir = `r${round}/${scheduler}`;
      const eject = (file: string, line: string) =>
        ejections.push({ round, scheduler, file: `${relDir}/${file}`, line });
      let log: string | null = null;
      if (SCHEDULER_OPS[scheduler] !== null) {
        log = readText(path.join(outDir, relDir, "sched.log"));
        if (log !== null) {
          if (scheduler === "gamer_stats") insns.statsOn ??= parseInsnCounts(log);
          if (scheduler === "gamer") insns.statsOff ??= parseInsnCounts(log);
          const stopped = log.split("\n").find((l) => l.includes("kernel stopped the scheduler"));
          if (stopped) eject("sched.log", stopped.trim());
        }
        const rc = readText(path.join(outDir, relDir, "sched.rc"))?.trim();
        if (rc !== undefined && rc !== "0") {
          eject("sched.rc", `the scheduler's loader exited with status ${rc}`);
        }
      }
      const dmesg = readText(path.join(outDir, relDir, "dmesg.txt"));
      if (dmesg !== null) {
        dmesgBlocks++;
        for (const line of kernelEjections(dmesg)) eject("dmesg.txt", line);
      }
      for (const workload of plan.workloads) {
        if (!runsUnder(scheduler, workload)) continue;
        const run = readWorkload(outDir, { round, scheduler, workload }, log);
        runs.push(run);
        if (run.problem?.includes(".state: sched_ext was")) {
          eject(`${workload}.state`, run.problem.slice(run.problem.indexOf(": ") + 2));
        }
      }
    }
  }
  return {
    plan,
    runs,
    insns,
    ejections,
    dmesgBlocks,
    notes,
    probe: parseProbeWindows(readText(path.join(outDir, "probe", "counters.jsonl")) ?? ""),
    hostLoad: (readText(path.join(outDir, "host_load.txt")) ?? "").split("\n").map((l) =>
      Number(l.split(" ").pop())
    )
      .filter((v) => Number.isFinite(v) && v > 0),
  };
}
