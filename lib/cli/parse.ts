/**
 * Command-line parsing and validation, generated from the flag table. Every error is one line that
 * names the flag, the value and what is allowed; the caller prints it and exits with status 2.
 *
 * @module
 */

import { type SchedConfig, TUNABLES } from "../config.ts";
import { findFlag, FLAGS, type FlagSpec, type Mode } from "./flags.ts";

/** A bad command line. `message` is the one line to print. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The parsed command line. */
export interface CliOptions {
  mode: Mode;
  config: SchedConfig;
  /** Seconds between stats lines, or null for no stats. */
  stats: number | null;
  /** Seconds to run before detaching, or null for until a signal. */
  duration: number | null;
  mlCollect: boolean;
  mlSampleInterval: number;
  mlDir: string;
  /** The mode's argument: CSV path for export/train, game for show-best. */
  modeArg: string | null;
  game: string | null;
  analyze: boolean;
  verbose: boolean;
  /** Flags given explicitly (by key), to tell a default from a choice. */
  given: ReadonlySet<string>;
}

type Value = number | string | boolean;

function describeRange(spec: FlagSpec): string {
  const unit = spec.unit ? ` ${spec.unit}` : "";
  if (spec.minExclusive) {
    return `a number greater than ${spec.min}${
      spec.max !== undefined ? ` and at most ${spec.max}` : ""
    }${unit}`;
  }
  return `${spec.type === "int" ? "a whole number" : "a number"} in ${spec.min}..${spec.max}${unit}`;
}

function parseValue(spec: FlagSpec, raw: string): Value {
  if (spec.type === "string") {
    if (raw === "") throw new UsageError(`${spec.flag}: expected ${spec.metavar}, got an empty value`);
    return raw;
  }
  const trimmed = raw.trim();
  const value = Number(trimmed);
  if (trimmed === "" || !Number.isFinite(value)) {
    throw new UsageError(`${spec.flag} '${raw}' is not a number: expected ${describeRange(spec)}`);
  }
  if (spec.type === "int" && !Number.isInteger(value)) {
    throw new UsageError(`${spec.flag} '${raw}' is not a whole number: expected ${describeRange(spec)}`);
  }
  const belowMin = spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min);
  const aboveMax = spec.max !== undefined && value > spec.max;
  if (belowMin || aboveMax) {
    throw new UsageError(`${spec.flag} ${raw} is out of range: expected ${describeRange(spec)}`);
  }
  return value;
}

/**
 * Parse argv (without the program name). Accepts `--flag value` and `--flag=value`.
 *
 * @throws {UsageError} on an unknown flag, a missing or bad value, a repeated flag, two modes at once,
 * or a flag that does not fit the chosen mode.
 *
 * @example
 * ```ts
 * const opts = parseArgs(["--stats", "1", "--slice-us", "7", "--avoid-smt"]);
 * opts.config.slice_us; // 7
 * ```
 */
export function parseArgs(argv: readonly string[]): CliOptions {
  const values = new Map<string, Value>();
  let mode: Mode = "run";
  let modeFlag: string | null = null;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      throw new UsageError(`unexpected argument '${arg}': every option is a --flag (see --help)`);
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const spec = findFlag(name);
    if (!spec) throw new UsageError(`unknown flag ${name} (see --help)`);
    if (values.has(spec.key)) throw new UsageError(`${spec.flag} is given more than once`);

    let value: Value;
    if (spec.type === "switch") {
      if (eq !== -1) throw new UsageError(`${spec.flag} is a switch and takes no value`);
      value = true;
    } else {
      let raw: string | undefined;
      if (eq !== -1) raw = arg.slice(eq + 1);
      else {
        raw = argv[i + 1];
        // A following flag is not a value, but a negative number is (so its range error is clear).
        if (raw === undefined || /^--?[a-z]/i.test(raw)) {
          throw new UsageError(`${spec.flag} needs a value: expected ${spec.metavar}`);
        }
        i++;
      }
      value = parseValue(spec, raw);
    }
    if (spec.mode) {
      if (
        modeFlag && spec.mode !== "help" && spec.mode !== "version" && mode !== "help" && mode !== "version"
      ) {
        throw new UsageError(`${spec.flag} and ${modeFlag} cannot be used together: pick one mode`);
      }
      // --help and --version win over everything else.
      if (!modeFlag || spec.mode === "help" || (spec.mode === "version" && mode !== "help")) {
        mode = spec.mode;
        modeFlag = spec.flag;
      }
    }
    values.set(spec.key, value);
  }

  const given = new Set(values.keys());
  const get = <T extends Value>(key: string): T | undefined => values.get(key) as T | undefined;
  const defaultOf = (key: string) => FLAGS.find((f) => f.key === key)!.default;

  const config: Record<string, Value> = {};
  for (const t of TUNABLES) config[t.key] = get(t.key) ?? t.default;

  if (mode !== "help" && mode !== "version") checkModeFlags(mode, given);

  const modeArgKey = { export: "ml_export_csv", "show-best": "ml_show_best", train: "ml_train" } as Record<
    string,
    string
  >;
  return {
    mode,
    config: config as SchedConfig,
    stats: get<number>("stats") ?? null,
    duration: get<number>("duration") ?? null,
    mlCollect: get<boolean>("ml_collect") ?? false,
    mlSampleInterval: get<number>("ml_sample_interval") ?? (defaultOf("ml_sample_interval") as number),
    mlDir: get<string>("ml_dir") ?? (defaultOf("ml_dir") as string),
    modeArg: modeArgKey[mode] ? get<string>(modeArgKey[mode]) ?? null : null,
    game: get<string>("game") ?? null,
    analyze: get<boolean>("analyze") ?? false,
    verbose: get<boolean>("verbose") ?? false,
    given,
  };
}

/** Reject flags that mean nothing in the chosen mode, so a typo'd invocation never silently does less. */
function checkModeFlags(mode: Mode, given: ReadonlySet<string>): void {
  const runOnly = ["stats", "duration", "ml_collect", "ml_sample_interval", ...TUNABLES.map((t) => t.key)];
  const allowed: Record<Exclude<Mode, "help" | "version">, string[]> = {
    run: [...runOnly, "ml_dir", "game", "verbose"],
    export: ["ml_export_csv", "ml_dir", "verbose"],
    "show-best": ["ml_show_best", "ml_dir", "verbose"],
    train: ["ml_train", "game", "analyze", "verbose"],
  };
  const ok = new Set(allowed[mode as keyof typeof allowed]);
  for (const key of given) {
    if (!ok.has(key)) {
      const flag = FLAGS.find((f) => f.key === key)!.flag;
      const modeName = mode === "run" ? "running the scheduler" : FLAGS.find((f) => f.mode === mode)!.flag;
      throw new UsageError(`${flag} does not apply to ${modeName}`);
    }
  }
  if (given.has("ml_sample_interval") && !given.has("ml_collect")) {
    throw new UsageError("--ml-sample-interval needs --ml-collect");
  }
}

/** The generated --help text. */
export function helpText(version: string): string {
  const groups: Record<FlagSpec["group"], string> = {
    run: "Running the scheduler",
    ml: "Machine learning",
    tunables: "Scheduler tunables (applied live; defaults shown)",
    general: "General",
  };
  const lines = [
    `scx_gamer ${version}: a sched_ext CPU scheduler for games that tunes itself`,
    "",
    "usage: sudo ./scx_gamer [--stats SECONDS] [--ml-collect] [tunables...]",
    "       ./scx_gamer --ml-export-csv FILE | --ml-show-best GAME | --ml-train CSV [--game NAME] [--analyze]",
  ];
  for (const [group, title] of Object.entries(groups)) {
    lines.push("", `${title}:`);
    for (const f of FLAGS.filter((f) => f.group === group)) {
      const left = `  ${f.flag}${f.metavar ? " " + f.metavar : ""}`;
      const def = f.default !== undefined && f.type !== "switch"
        ? ` [default: ${f.default}${f.unit ? " " + f.unit : ""}]`
        : "";
      const range = f.type === "int" && f.min !== undefined ? ` (${f.min}..${f.max})` : "";
      lines.push(`${left.padEnd(30)} ${f.help}${range}${def}`);
    }
  }
  return lines.join("\n");
}
