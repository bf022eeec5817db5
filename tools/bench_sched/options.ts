/**
 * The command line of `deno task bench:sched`: flags, defaults, validation (one line per problem) and a
 * wall-time estimate, so the entry point only wires things together.
 *
 * @module
 */

import { parseArgs as parseUtilArgs } from "node:util";
import { UsageError as SchedUsageError } from "../../lib/cli/engine.ts";
import { parseConfigFlags } from "../../lib/cli/modes.ts";
import { isTcgThreads, TCG_THREADS, type TcgThreads } from "../vm/vm.ts";
import {
  DEFAULT_WORKLOADS,
  isCyclictest,
  runsUnder,
  SCHEDULER_OPS,
  type SchedulerId,
  SCHEDULERS,
  type WorkloadId,
  WORKLOADS,
} from "./guest_results.ts";

/** A bad command line; the message is the one line to print. */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

/** The schedulers every run compares unless `--schedulers` says otherwise (bpfland and best join when given). */
export const DEFAULT_SCHEDULERS: readonly SchedulerId[] = ["eevdf", "eevdf_idle", "gamer", "gamer_stats"];

/**
 * Rounds, seconds per run and workloads of the full and the quick benchmark. The quick one keeps the
 * workloads the targets are about most (the game alone, the game under 2x, cyclictest -m) and drops the
 * counters probe.
 */
export const PRESETS: Record<
  "full" | "quick",
  { rounds: number; durationS: number; workloads: readonly WorkloadId[] }
> = {
  full: { rounds: 4, durationS: 8, workloads: DEFAULT_WORKLOADS },
  quick: { rounds: 2, durationS: 4, workloads: ["gs_0x", "gs_2x", "ct_m"] },
};

/** What the benchmark was asked to do. */
export interface BenchOptions {
  rounds: number;
  /** Seconds per workload run (cyclictest: its loop count at 1 ms). */
  durationS: number;
  /** The schedulers compared, in table order, EEVDF first. */
  schedulers: SchedulerId[];
  /** scx_gamer flags of the "best" scheduler (validated against its own parser), or null: no such row. */
  bestFlags: string | null;
  /** A sched-ext/scx snapshot to build scx_bpfland from, or null: no bpfland row. */
  bpflandSrc: string | null;
  fps: number;
  /** The workloads run under each scheduler. */
  workloads: WorkloadId[];
  /** scx_gamer's --stats interval in the scx_gamer+stats row, s. */
  statsS: number;
  /**
   * After the rounds: load scx_gamer through the counters probe (what became of critical wake-ups in
   * cyclictest -m and the 2x game).
   */
  extras: boolean;
  /** The guest's out/ goes here; null: tools/vm/out/bench-<time>. */
  outDir: string | null;
  /** Read this earlier run's out/ instead of booting the VM. */
  from: string | null;
  /** Put the table into docs/benchmarks.md and the plot into docs/bench_sched.svg. */
  updateDocs: boolean;
  /** How QEMU runs the two vCPUs: taking turns on one host thread, or one thread each. */
  tcg: TcgThreads;
  help: boolean;
}

/** The usage text. */
export const USAGE = `usage: deno task bench:sched [-- OPTIONS]
Benchmark scx_gamer against EEVDF in one boot of the sched_ext VM; prints one report.
  --quick              ${PRESETS.quick.rounds} rounds x ${PRESETS.quick.durationS} s per run of ${
  PRESETS.quick.workloads.join(", ")
}, no probe (~5 min)
  --rounds N           rounds, 1..20 (default ${PRESETS.full.rounds}; ~20 min in all, ~25 with bpfland)
  --duration S         seconds per workload run, 3..120 (default ${PRESETS.full.durationS})
  --workloads "..."    some of: ${WORKLOADS.join(" ")} (default ${DEFAULT_WORKLOADS.join(" ")})
  --schedulers "..."   some of: ${SCHEDULERS.join(" ")} (default ${DEFAULT_SCHEDULERS.join(" ")},
                       plus bpfland and best when given below; eevdf always runs: ratios are to it)
  --bpfland-src DIR    a sched-ext/scx snapshot (DIR/scheds/include, DIR/scheds/rust/scx_bpfland):
                       build scx_bpfland from it into .cache/ and add its row (see docs/benchmarks.md)
  --best-flags "..."   scx_gamer tunable flags of an extra "best" row (stats off), e.g. the trainer's
  --fps N              the game's frame rate, 10..240 (default 144; hv_* and enc_3 keep their 60)
  --stats S            scx_gamer's stats interval in the scx_gamer+stats row, 1..10 s (default 1)
  --no-extras          skip the counters probe after the rounds
  --tcg MODE           single: the vCPUs take turns on one host thread (default, as the tests run);
                       multi: at once on one host thread each, as two CPUs do (see docs/benchmarks.md;
                       at times the guest kernel dies as a scheduler attaches: tools/vm/README.md);
                       icount: the guest's clock counts instructions (costs, not latencies)
  --out DIR            where the guest's out/ is copied (default tools/vm/out/bench-<time>)
  --from DIR           report on an earlier run's out/ instead of booting the VM
  --update-docs        write the report into docs/benchmarks.md and the plot into docs/bench_sched.svg
  --help               this text`;

function intIn(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(v) || v < min || v > max) {
    throw new BenchUsageError(`${flag} '${raw}': expected a whole number in ${min}..${max}`);
  }
  return v;
}

/**
 * Check that `flags` are scx_gamer tunable flags its own parser accepts (so the guest cannot fail on
 * them minutes into the run) and return them normalised to single spaces.
 *
 * @throws {BenchUsageError} naming the flag and what was expected.
 */
export function validateBestFlags(flags: string): string {
  const argv = flags.trim().split(/\s+/).filter((t) => t);
  if (argv.length === 0) throw new BenchUsageError(`--best-flags '': expected scx_gamer tunable flags`);
  try {
    parseConfigFlags(argv);
  } catch (e) {
    if (!(e instanceof SchedUsageError)) throw e;
    const notTunable = /^unknown flag (\S+)/.exec(e.message);
    throw new BenchUsageError(
      notTunable
        ? `--best-flags '${flags}': expected only tunable flags (such as --slice-us), got ${notTunable[1]}`
        : `--best-flags: ${e.message}`,
    );
  }
  return argv.join(" ");
}

function parseList<T extends string>(flag: string, text: string, known: readonly T[]): T[] {
  const names = text.trim().split(/[\s,]+/).filter((w) => w);
  const bad = names.find((w) => !(known as readonly string[]).includes(w));
  if (bad !== undefined || names.length === 0) {
    throw new BenchUsageError(`${flag} '${text}': expected some of ${known.join(", ")}`);
  }
  return [...new Set(names)] as T[];
}

/**
 * The schedulers of a run, in table order: the ones asked for (or the defaults plus bpfland and best
 * when their sources were given), always with EEVDF.
 *
 * @throws {BenchUsageError} when bpfland or best is asked for without what it needs.
 */
export function chooseSchedulers(
  asked: readonly SchedulerId[] | null,
  given: { bpfland: boolean; best: boolean },
): SchedulerId[] {
  const want = new Set<SchedulerId>(asked ?? DEFAULT_SCHEDULERS);
  if (asked === null) {
    if (given.bpfland) want.add("bpfland");
    if (given.best) want.add("best");
  }
  if (want.has("bpfland") && !given.bpfland) {
    throw new BenchUsageError("--schedulers: bpfland needs --bpfland-src DIR (a sched-ext/scx snapshot)");
  }
  if (want.has("best") && !given.best) {
    throw new BenchUsageError('--schedulers: best needs --best-flags "..."');
  }
  want.add("eevdf");
  return SCHEDULERS.filter((s) => want.has(s));
}

/**
 * Parse the benchmark's command line.
 *
 * @throws {BenchUsageError} on an unknown flag, a value out of range or a scheduler without its source.
 */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  // The value of --best-flags starts with "--"; node's parser would take it for a flag, so join it.
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === "--best-flags") args.splice(i, 2, `--best-flags=${args[i + 1]}`);
  }
  let values;
  try {
    ({ values } = parseUtilArgs({
      args,
      options: {
        quick: { type: "boolean" },
        rounds: { type: "string" },
        duration: { type: "string" },
        "best-flags": { type: "string" },
        "bpfland-src": { type: "string" },
        fps: { type: "string" },
        workloads: { type: "string" },
        schedulers: { type: "string" },
        stats: { type: "string" },
        "no-extras": { type: "boolean" },
        out: { type: "string" },
        from: { type: "string" },
        "update-docs": { type: "boolean" },
        tcg: { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new BenchUsageError(`${(e as Error).message.split("\n")[0]} (see --help)`);
  }
  const preset = values.quick ? PRESETS.quick : PRESETS.full;
  const best = values["best-flags"] === undefined ? null : validateBestFlags(values["best-flags"]);
  const bpflandSrc = values["bpfland-src"] ?? null;
  if (bpflandSrc === "") throw new BenchUsageError("--bpfland-src: expected a folder");
  const tcg = values.tcg ?? "single";
  if (!isTcgThreads(tcg)) throw new BenchUsageError(`--tcg '${tcg}': expected ${TCG_THREADS.join(" or ")}`);
  return {
    rounds: intIn("--rounds", values.rounds, 1, 20) ?? preset.rounds,
    durationS: intIn("--duration", values.duration, 3, 120) ?? preset.durationS,
    schedulers: chooseSchedulers(
      values.schedulers === undefined ? null : parseList("--schedulers", values.schedulers, SCHEDULERS),
      { bpfland: bpflandSrc !== null, best: best !== null },
    ),
    bestFlags: best,
    bpflandSrc,
    fps: intIn("--fps", values.fps, 10, 240) ?? 144,
    workloads: values.workloads === undefined
      ? [...preset.workloads]
      : parseList("--workloads", values.workloads, WORKLOADS),
    statsS: intIn("--stats", values.stats, 1, 10) ?? 1,
    extras: !values["no-extras"] && !values.quick,
    outDir: values.out ?? null,
    from: values.from ?? null,
    updateDocs: values["update-docs"] ?? false,
    tcg,
    help: values.help ?? false,
  };
}

/** Seconds a game run takes beyond its duration (start, teardown, JSON), measured under TCG (host load 5-9). */
const RUN_OVERHEAD_S = 2;
/** cyclictest also waits for its loops, 1 s before it, mlockall, and its histogram dump. */
const CT_OVERHEAD_S = 9;
/** Seconds to load a scheduler's userspace (Deno) on a quiet VM and to stop it, measured under TCG. */
const LOAD_S = 20;
/** Seconds of boot and result copying. */
const BOOT_S = 40;

/** Rough wall time of a run, s: boot, every scheduler's runs and loads per round, the probe. */
export function estimateSeconds(
  o: Pick<BenchOptions, "rounds" | "durationS" | "extras" | "workloads" | "schedulers">,
): number {
  const run = (w: WorkloadId) => o.durationS + (isCyclictest(w) ? CT_OVERHEAD_S : RUN_OVERHEAD_S);
  let round = 0;
  for (const s of o.schedulers) {
    if (SCHEDULER_OPS[s] !== null) round += LOAD_S;
    for (const w of o.workloads) if (runsUnder(s, w)) round += run(w);
  }
  // The probe: one load, cyclictest -m and the 2x game.
  const extras = LOAD_S + run("ct_m") + run("gs_2x");
  return BOOT_S + o.rounds * round + (o.extras ? extras : 0);
}
