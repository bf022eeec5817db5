/**
 * The command line of `deno task bench:sched`: flags, defaults, validation (one line per problem) and a
 * wall-time estimate, so the entry point only wires things together.
 *
 * @module
 */

import { parseArgs as parseUtilArgs } from "node:util";
import { UsageError as SchedUsageError } from "../../lib/cli/engine.ts";
import { parseConfigFlags } from "../../lib/cli/modes.ts";
import { type WorkloadId, WORKLOADS } from "./guest_results.ts";

/** A bad command line; the message is the one line to print. */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

/** The "best" configuration when none is given: shorter slices, a looser migration limiter. */
export const DEFAULT_BEST_FLAGS = "--slice-us 5 --mig-max 5";

/**
 * Rounds, seconds per run and workloads of the full and the quick benchmark. The quick one keeps the two
 * workloads the targets are about (2x load) and drops the extras (the stats-off load, the counters probe).
 */
export const PRESETS: Record<
  "full" | "quick",
  { rounds: number; durationS: number; workloads: WorkloadId[] }
> = {
  full: { rounds: 4, durationS: 8, workloads: [...WORKLOADS] },
  quick: { rounds: 2, durationS: 4, workloads: ["ct", "gs_2x"] },
};

/** What the benchmark was asked to do. */
export interface BenchOptions {
  rounds: number;
  /** Seconds per workload run. */
  durationS: number;
  /** scx_gamer flags of the "best" configuration, validated against its own parser. */
  bestFlags: string;
  /** Where bestFlags came from, for the report. */
  bestSource: string;
  fps: number;
  /** The workloads run under each scheduler. */
  workloads: WorkloadId[];
  /** scx_gamer's --stats interval, s. */
  statsS: number;
  /**
   * After the rounds: load scx_gamer with stats off (instruction counts, one cyclictest run) and through
   * the counters probe (what became of critical wake-ups in cyclictest and the 2x game).
   */
  extras: boolean;
  /** The guest's out/ goes here; null: tools/vm/out/bench-<time>. */
  outDir: string | null;
  /** Read this earlier run's out/ instead of booting the VM. */
  from: string | null;
  /** Put the table into docs/benchmarks.md and the plot into docs/bench_sched.svg. */
  updateDocs: boolean;
  help: boolean;
}

/** The usage text. */
export const USAGE = `usage: deno task bench:sched [-- OPTIONS]
Benchmark scx_gamer against EEVDF in one boot of the sched_ext VM; prints one table.
  --quick              ${PRESETS.quick.rounds} rounds x ${PRESETS.quick.durationS} s per run of ${
  PRESETS.quick.workloads.join(" and ")
}, no extras (~5 min)
  --rounds N           rounds, 1..20 (default ${PRESETS.full.rounds}; ~15-20 min in all)
  --duration S         seconds per workload run, 3..120 (default ${PRESETS.full.durationS})
  --best-flags "..."   scx_gamer tunable flags of the "best" configuration
                       (default "${DEFAULT_BEST_FLAGS}", a stand-in when no trained config is given)
  --workloads "..."    some of: ${WORKLOADS.join(" ")} (default all)
  --fps N              gamesim frame rate, 10..240 (default 60)
  --stats S            scx_gamer's stats interval, 1..10 s (default 2)
  --no-extras          skip the stats-off load and the counters probe after the rounds
  --out DIR            where the guest's out/ is copied (default tools/vm/out/bench-<time>)
  --from DIR           report on an earlier run's out/ instead of booting the VM
  --update-docs        write the table into docs/benchmarks.md and the plot into docs/bench_sched.svg
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

function parseWorkloadList(text: string): WorkloadId[] {
  const names = text.trim().split(/[\s,]+/).filter((w) => w);
  const known = new Set<string>(WORKLOADS);
  const bad = names.find((w) => !known.has(w));
  if (bad !== undefined || names.length === 0) {
    throw new BenchUsageError(`--workloads '${text}': expected some of ${WORKLOADS.join(", ")}`);
  }
  return [...new Set(names)] as WorkloadId[];
}

/**
 * Parse the benchmark's command line.
 *
 * @throws {BenchUsageError} on an unknown flag or a value out of range.
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
        fps: { type: "string" },
        workloads: { type: "string" },
        stats: { type: "string" },
        "no-extras": { type: "boolean" },
        out: { type: "string" },
        from: { type: "string" },
        "update-docs": { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new BenchUsageError(`${(e as Error).message.split("\n")[0]} (see --help)`);
  }
  const preset = values.quick ? PRESETS.quick : PRESETS.full;
  const given = values["best-flags"];
  return {
    rounds: intIn("--rounds", values.rounds, 1, 20) ?? preset.rounds,
    durationS: intIn("--duration", values.duration, 3, 120) ?? preset.durationS,
    bestFlags: validateBestFlags(given ?? DEFAULT_BEST_FLAGS),
    bestSource: given === undefined ? "default stand-in, no --best-flags given" : "given with --best-flags",
    fps: intIn("--fps", values.fps, 10, 240) ?? 60,
    workloads: values.workloads === undefined ? preset.workloads : parseWorkloadList(values.workloads),
    statsS: intIn("--stats", values.stats, 1, 10) ?? 2,
    extras: !values["no-extras"] && !values.quick,
    outDir: values.out ?? null,
    from: values.from ?? null,
    updateDocs: values["update-docs"] ?? false,
    help: values.help ?? false,
  };
}

/** Seconds a workload run takes beyond its duration (start, teardown, JSON), measured under TCG. */
const RUN_OVERHEAD_S = 7;
/** Seconds to load scx_gamer on a quiet VM and to stop it, measured under TCG. */
const LOAD_S = 30;
/** Seconds of boot and result copying. */
const BOOT_S = 40;

/** Rough wall time of a run, s: boot, 3 x the workloads and 2 scx_gamer loads per round, the extras. */
export function estimateSeconds(
  o: Pick<BenchOptions, "rounds" | "durationS" | "extras" | "workloads">,
): number {
  const round = 3 * o.workloads.length * (o.durationS + RUN_OVERHEAD_S) + 2 * LOAD_S;
  // Stats-off: one load and one cyclictest run; the probe: one load, cyclictest and the 2x game.
  const extras = 2 * LOAD_S + 3 * (o.durationS + RUN_OVERHEAD_S);
  return BOOT_S + o.rounds * round + (o.extras ? extras : 0);
}
