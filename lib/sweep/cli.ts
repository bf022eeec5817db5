/**
 * The command line of `deno task sweep`: one flag table (sweep options, plus one list flag per tunable
 * from the tunables table), the parser, and the usage text. Every error is one line naming the flag,
 * the value and what is allowed; the caller prints it and exits with status 2.
 *
 * @module
 */

import { join } from "node:path";
import { flagOf, TUNABLES } from "../config.ts";
import { FLAGS } from "../cli/flags.ts";
import {
  buildGrid,
  DEFAULT_GRID_VALUES,
  type Grid,
  GridError,
  parseAxisFlag,
  parseGridJson,
  type TunableKey,
} from "./grid.ts";

/** A bad sweep command line. `message` is the one line to print. */
export class SweepUsageError extends Error {
  override name = "SweepUsageError";
}

/** The parsed sweep command line. */
export interface SweepArgs {
  grid: Grid;
  /** Seconds each config runs. Default 300. */
  durationS: number;
  /** Seconds between configs. Default 5. */
  settleS: number;
  game: string | null;
  /** Default: scx_gamer's own --ml-dir default. */
  mlDir: string;
  /** Default: scx_gamer's own --ml-sample-interval default. */
  sampleIntervalS: number;
  /** Default {mlDir}/sweep_state.json. */
  stateFile: string;
  /** The scheduler command split into words, or null for the default (see `defaultScheduler`). */
  scheduler: string[] | null;
  dryRun: boolean;
  retryFailed: boolean;
  sysRoot: string;
  /** Seconds the scheduler may take to attach. Default 120. */
  attachTimeoutS: number;
  /** Seconds to wait after SIGINT (and again after SIGTERM) before the next signal. */
  stopTimeoutS: number;
  verbose: boolean;
  help: boolean;
}

type Kind = "float" | "string" | "switch";

interface SweepFlag {
  flag: string;
  kind: Kind;
  metavar?: string;
  /** Numbers: lower bound, exclusive when `minExclusive`. */
  min?: number;
  minExclusive?: boolean;
  max?: number;
  help: string;
}

const scxFlag = (key: string) => FLAGS.find((f) => f.key === key)!;

/** Defaults shared with scx_gamer's own flag table, so the sweep collects exactly like a manual run. */
const DEFAULT_ML_DIR = scxFlag("ml_dir").default as string;
const DEFAULT_SAMPLE_INTERVAL = scxFlag("ml_sample_interval").default as number;

/** The sweep's own options (tunable list flags are added from the tunables table). */
export const SWEEP_FLAGS: readonly SweepFlag[] = [
  { flag: "--grid", kind: "string", metavar: "FILE", help: 'JSON grid file: {"slice_us": [5, 10], ...}' },
  {
    flag: "--duration",
    kind: "float",
    metavar: "SECONDS",
    min: 0,
    minExclusive: true,
    max: 86_400,
    help: "how long each config runs, from its attach [default: 300]",
  },
  {
    flag: "--settle",
    kind: "float",
    metavar: "SECONDS",
    min: 0,
    max: 3600,
    help: "rest between configs [default: 5]",
  },
  {
    flag: "--game",
    kind: "string",
    metavar: "NAME",
    help: "force the game's name (else scx_gamer detects it)",
  },
  { flag: "--ml-dir", kind: "string", metavar: "DIR", help: `where samples go [default: ${DEFAULT_ML_DIR}]` },
  {
    flag: "--sample-interval",
    kind: "float",
    metavar: "SECONDS",
    min: 0,
    minExclusive: true,
    max: 3600,
    help: `seconds between samples [default: ${DEFAULT_SAMPLE_INTERVAL}]`,
  },
  {
    flag: "--state",
    kind: "string",
    metavar: "FILE",
    help: "sweep state file [default: DIR/sweep_state.json]",
  },
  {
    flag: "--scheduler",
    kind: "string",
    metavar: "CMD",
    help:
      "how to run scx_gamer [default: ./scx_gamer, else deno run -A --unstable-ffi dist/scx_gamer.js, else scx_gamer]",
  },
  {
    flag: "--attach-timeout",
    kind: "float",
    metavar: "SECONDS",
    min: 0,
    minExclusive: true,
    max: 3600,
    help: "a config whose scheduler has not attached after this long fails [default: 120]",
  },
  {
    flag: "--stop-timeout",
    kind: "float",
    metavar: "SECONDS",
    min: 0,
    minExclusive: true,
    max: 3600,
    help: "wait this long after SIGINT (then after SIGTERM) before the next signal [default: 30]",
  },
  { flag: "--sys-root", kind: "string", metavar: "DIR", help: "root of sysfs (tests) [default: /sys]" },
  {
    flag: "--dry-run",
    kind: "switch",
    help: "print the plan (each command line, count, total time) and exit",
  },
  { flag: "--retry-failed", kind: "switch", help: "run configs that failed in an earlier run again" },
  { flag: "--verbose", kind: "switch", help: "print the scheduler's own output" },
  { flag: "--help", kind: "switch", help: "print this help and exit" },
];

/** The usage text of `deno task sweep`. */
export function sweepUsage(): string {
  const lines = [
    "usage: deno task sweep [--TUNABLE V1,V2,...]... [--grid FILE] [--duration S] [--settle S] [options]",
    "",
    "Runs scx_gamer with --ml-collect once per config of a grid, to collect training samples for each.",
    "Without --grid the grid is the original one, --slice-us 250,500,1000,4000 x --input-window-us 1000,2000,3000",
    "x --mig-max 1,3,5 (36 configs); a tunable flag replaces its axis (one value fixes it). With --grid the",
    "file is the grid and tunable flags replace or add axes. Rerunning resumes: finished configs are skipped.",
    "",
    "Tunables (comma-separated values; switches take true,false):",
  ];
  for (const t of TUNABLES) {
    const range = t.kind === "switch"
      ? "true,false"
      : `${t.min}..${t.max}${t.unit === "count" ? "" : " " + t.unit}`;
    const def = DEFAULT_GRID_VALUES[t.key];
    lines.push(`  ${flagOf(t.key).padEnd(26)} ${range}${def ? ` [default: ${def.join(",")}]` : ""}`);
  }
  lines.push("", "Options:");
  for (const f of SWEEP_FLAGS) {
    lines.push(`  ${`${f.flag}${f.metavar ? " " + f.metavar : ""}`.padEnd(26)} ${f.help}`);
  }
  lines.push(
    "",
    "Exit status: 0 swept, 1 stopped by an error, 2 bad command line, 130 interrupted (rerun to resume).",
  );
  return lines.join("\n");
}

function parseNumber(spec: SweepFlag, raw: string): number {
  const value = Number(raw.trim());
  const range = spec.minExclusive
    ? `a number greater than ${spec.min} and at most ${spec.max}`
    : `a number in ${spec.min}..${spec.max}`;
  if (raw.trim() === "" || !Number.isFinite(value)) {
    throw new SweepUsageError(`${spec.flag} '${raw}' is not a number: expected ${range} (seconds)`);
  }
  const low = spec.minExclusive ? value <= spec.min! : value < spec.min!;
  if (low || value > spec.max!) {
    throw new SweepUsageError(`${spec.flag} ${raw} is out of range: expected ${range} (seconds)`);
  }
  return value;
}

/** Options of {@link parseSweepArgs}. */
export interface ParseSweepOptions {
  /** Reads a --grid file (tests pass a map). Default Deno.readTextFileSync. */
  readFile?: (path: string) => string;
}

/**
 * Parse the sweep's argv. Accepts `--flag value` and `--flag=value`.
 *
 * @throws {SweepUsageError} on an unknown flag, a bad value, a repeated flag, or a bad grid (flag or file).
 *
 * @example
 * ```ts
 * const args = parseSweepArgs(["--slice-us", "5,10", "--duration", "60"]);
 * args.grid; // [{ key: "slice_us", values: [5, 10] }, { key: "input_window_us", ... }, { key: "mig_max", ... }]
 * ```
 */
export function parseSweepArgs(argv: readonly string[], options: ParseSweepOptions = {}): SweepArgs {
  const readFile = options.readFile ?? ((p: string) => Deno.readTextFileSync(p));
  const values = new Map<string, string | boolean>();
  const axes: Partial<Record<TunableKey, (number | boolean)[]>> = {};
  const tunableByFlag = new Map(TUNABLES.map((t) => [flagOf(t.key), t.key]));

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      throw new SweepUsageError(`unexpected argument '${arg}': every option is a --flag (see --help)`);
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const spec = SWEEP_FLAGS.find((f) => f.flag === name);
    const tunable = tunableByFlag.get(name);
    if (!spec && !tunable) throw new SweepUsageError(`unknown flag ${name} (see --help)`);
    if (values.has(name)) throw new SweepUsageError(`${name} is given more than once`);
    if (spec?.kind === "switch") {
      if (eq !== -1) throw new SweepUsageError(`${name} is a switch and takes no value`);
      values.set(name, true);
      continue;
    }
    let raw: string | undefined = eq !== -1 ? arg.slice(eq + 1) : argv[i + 1];
    if (eq === -1) {
      // A following flag is not a value (a mistyped command line must not swallow it).
      if (raw === undefined || raw.startsWith("--")) {
        throw new SweepUsageError(`${name} needs a value: expected ${spec?.metavar ?? "V1,V2,..."}`);
      }
      i++;
    }
    raw = raw as string;
    if (raw === "") {
      throw new SweepUsageError(`${name}: expected ${spec?.metavar ?? "V1,V2,..."}, got an empty value`);
    }
    values.set(name, raw);
    if (tunable) {
      try {
        axes[tunable] = parseAxisFlag(tunable, raw);
      } catch (e) {
        if (e instanceof GridError) throw new SweepUsageError(e.message);
        throw e;
      }
    } else if (spec!.kind === "float") {
      parseNumber(spec!, raw);
    }
  }

  const str = (flag: string) => values.get(flag) as string | undefined;
  const num = (flag: string, fallback: number) => {
    const raw = str(flag);
    return raw === undefined ? fallback : parseNumber(SWEEP_FLAGS.find((f) => f.flag === flag)!, raw);
  };
  let grid: Grid;
  try {
    let base: Partial<Record<TunableKey, readonly (number | boolean)[]>> = DEFAULT_GRID_VALUES;
    const gridFile = str("--grid");
    if (gridFile !== undefined) {
      let text: string;
      try {
        text = readFile(gridFile);
      } catch (e) {
        throw new SweepUsageError(
          `--grid ${gridFile}: cannot be read (${(e as Error).message.split("\n")[0]})`,
        );
      }
      base = parseGridJson(text, gridFile);
    }
    grid = buildGrid({ ...base, ...axes });
  } catch (e) {
    if (e instanceof GridError) throw new SweepUsageError(e.message);
    throw e;
  }
  const mlDir = str("--ml-dir") ?? DEFAULT_ML_DIR;
  const scheduler = str("--scheduler")?.trim().split(/\s+/) ?? null;
  if (scheduler !== null && scheduler[0] === "") throw new SweepUsageError("--scheduler: expected a command");
  return {
    grid,
    durationS: num("--duration", 300),
    settleS: num("--settle", 5),
    game: str("--game") ?? null,
    mlDir,
    sampleIntervalS: num("--sample-interval", DEFAULT_SAMPLE_INTERVAL),
    stateFile: str("--state") ?? join(mlDir, "sweep_state.json"),
    scheduler,
    dryRun: values.has("--dry-run"),
    retryFailed: values.has("--retry-failed"),
    sysRoot: str("--sys-root") ?? "/sys",
    attachTimeoutS: num("--attach-timeout", 120),
    stopTimeoutS: num("--stop-timeout", 30),
    verbose: values.has("--verbose"),
    help: values.has("--help"),
  };
}

/**
 * The scheduler command when --scheduler is not given: a compiled `./scx_gamer` in the working
 * folder, else the bundle `dist/scx_gamer.js` run by this same Deno, else `scx_gamer` on PATH (the
 * VM guest's wrapper).
 */
export function defaultScheduler(
  options: { exists: (path: string) => boolean; deno: string },
): string[] {
  if (options.exists("./scx_gamer")) return ["./scx_gamer"];
  if (options.exists("dist/scx_gamer.js")) {
    return [options.deno, "run", "-A", "--unstable-ffi", "dist/scx_gamer.js"];
  }
  return ["scx_gamer"];
}
