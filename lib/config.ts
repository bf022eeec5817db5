/**
 * The scheduler's ten policy tunables: one table holds each one's type, default, unit, range and help.
 * Everything else (the CLI flags, the BPF globals, the CSV columns, the trainer's search space) is
 * derived from this table, so a tunable is added or changed in exactly one place.
 *
 * @module
 */

/** A numeric tunable: an integer with a unit and an inclusive range. */
export interface NumberTunable {
  kind: "number";
  /** snake_case name, identical to the BPF global and the CSV column. */
  key: NumericKey;
  unit: "us" | "ms" | "count";
  default: number;
  min: number;
  max: number;
  help: string;
}

/** A switch: off unless its flag is given. */
export interface SwitchTunable {
  kind: "switch";
  key: SwitchKey;
  default: boolean;
  help: string;
}

/** Names of the numeric tunables. */
export type NumericKey =
  | "slice_us"
  | "slice_lag_us"
  | "input_window_us"
  | "mig_window_ms"
  | "mig_max"
  | "wakeup_timer_us";

/** Names of the switch tunables. */
export type SwitchKey = "mm_affinity" | "avoid_smt" | "preferred_idle_scan" | "enable_numa";

/** A complete scheduler configuration: every tunable has a value. */
export type SchedConfig = { [K in NumericKey]: number } & { [K in SwitchKey]: boolean };

/** One row of the tunables table. */
export type Tunable = NumberTunable | SwitchTunable;

/**
 * The tunables table, in the order of the original tool's CSV export.
 *
 * Defaults are what a gaming scheduler ships: a short base slice so a woken game thread never waits
 * long behind a running one, a few milliseconds of input boost, and a migration limiter loose enough
 * for normal load balancing but tight enough to stop a render thread from bouncing between cores.
 */
export const TUNABLES: readonly Tunable[] = [
  {
    kind: "number",
    key: "slice_us",
    unit: "us",
    default: 10,
    min: 1,
    max: 100_000,
    help: "base time slice, scaled by task weight; the BPF side raises slices under 50 us to 50 us",
  },
  {
    kind: "number",
    key: "slice_lag_us",
    unit: "us",
    default: 20_000,
    min: 0,
    max: 1_000_000,
    help: "most virtual-time credit a sleeping task may carry into its next deadline",
  },
  {
    kind: "number",
    key: "input_window_us",
    unit: "us",
    default: 2_000,
    min: 0,
    max: 1_000_000,
    help: "after an input event, game and input threads get boosted deadlines for this long (0 = off)",
  },
  {
    kind: "number",
    key: "mig_window_ms",
    unit: "ms",
    default: 50,
    min: 1,
    max: 10_000,
    help: "length of the migration-limiter window",
  },
  {
    kind: "number",
    key: "mig_max",
    unit: "count",
    default: 3,
    min: 1,
    max: 1_000,
    help: "most migrations one task may make per window; further ones are blocked",
  },
  {
    kind: "switch",
    key: "mm_affinity",
    default: false,
    help: "prefer the CPU an address space last ran on (cache affinity for a game's threads)",
  },
  {
    kind: "switch",
    key: "avoid_smt",
    default: false,
    help: "prefer a fully idle core over an idle SMT sibling",
  },
  {
    kind: "switch",
    key: "preferred_idle_scan",
    default: false,
    help: "scan idle CPUs from highest capacity down (hybrid P/E-core CPUs)",
  },
  { kind: "switch", key: "enable_numa", default: false, help: "keep tasks on their NUMA node when possible" },
  {
    kind: "number",
    key: "wakeup_timer_us",
    unit: "us",
    default: 500,
    min: 0,
    max: 1_000_000,
    help: "period of the timer that kicks idle CPUs while tasks wait in the shared queue (0 = off)",
  },
];

/** The tunable keys in table order. */
export const TUNABLE_KEYS: readonly (keyof SchedConfig)[] = TUNABLES.map((t) => t.key);

/** The default configuration, built from the table. */
export function defaultConfig(): SchedConfig {
  const config: Record<string, number | boolean> = {};
  for (const t of TUNABLES) config[t.key] = t.default;
  return config as SchedConfig;
}

/** The CLI flag of a tunable: `slice_us` -> `--slice-us`. */
export function flagOf(key: keyof SchedConfig): string {
  return "--" + key.replaceAll("_", "-");
}

/**
 * Check every value of a config against the table; returns one message per problem (empty when valid).
 *
 * @example
 * ```ts
 * validateConfig({ ...defaultConfig(), slice_us: 0 }); // ["--slice-us 0 is out of range: expected 1..100000 us"]
 * ```
 */
export function validateConfig(config: SchedConfig): string[] {
  return configProblems(config).map((p) => p.message);
}

/** One problem of a config: which tunable, and the one line to print. */
export interface ConfigProblem {
  key: keyof SchedConfig;
  message: string;
}

/**
 * Every problem of a config, by tunable (readers that know where a tunable came from, a CSV column or
 * a file's key, name it without parsing the message).
 */
export function configProblems(config: SchedConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const t of TUNABLES) {
    const message = tunableValueProblem(t, config[t.key], flagOf(t.key));
    if (message !== null) problems.push({ key: t.key, message });
  }
  return problems;
}

/** How a tunable's range reads in messages: "1..100000 us", "true or false". */
export function tunableRangeText(t: Tunable): string {
  return t.kind === "switch"
    ? "true or false"
    : `${t.min}..${t.max}${t.unit === "count" ? "" : " " + t.unit}`;
}

/**
 * What is wrong with one value of a tunable, or null when it is valid: the one check every reader of a
 * config uses (flags, grids, stored samples, profiles, models). `where` names the flag or file position.
 *
 * @example
 * ```ts
 * tunableValueProblem(TUNABLES[0], -5, "--slice-us"); // "--slice-us -5 is out of range: expected ..."
 * ```
 */
export function tunableValueProblem(t: Tunable, value: unknown, where: string): string | null {
  if (t.kind === "switch") {
    return typeof value === "boolean"
      ? null
      : `${where} '${String(value)}' is not a switch value: expected true or false`;
  }
  if (typeof value !== "number") {
    return `${where} '${String(value)}' is not a whole number: expected ${tunableRangeText(t)}`;
  }
  if (!Number.isInteger(value)) {
    return `${where} ${value} is not a whole number: expected ${tunableRangeText(t)}`;
  }
  if (value < t.min || value > t.max) {
    return `${where} ${value} is out of range: expected ${tunableRangeText(t)}`;
  }
  return null;
}

/**
 * Render a config as the exact command line that runs it. Every numeric tunable is written out, so
 * the line means the same even if a later version changes a default; switches appear when on.
 *
 * @example
 * ```ts
 * configToCommandLine(defaultConfig(), { stats: 1 });
 * // "sudo ./scx_gamer --stats 1 --slice-us 10 --slice-lag-us 20000 ... --wakeup-timer-us 500"
 * ```
 */
export function configToCommandLine(
  config: SchedConfig,
  options: { stats?: number; program?: string } = {},
): string {
  const { stats = 1, program = "sudo ./scx_gamer" } = options;
  return [program, "--stats", String(stats), ...configToArgs(config)].join(" ");
}

/**
 * A config's tunable flags as argv: every numeric tunable written out, switches when on.
 *
 * @example
 * ```ts
 * configToArgs({ ...defaultConfig(), avoid_smt: true }); // ["--slice-us", "10", ..., "--avoid-smt", ...]
 * ```
 */
export function configToArgs(config: SchedConfig): string[] {
  const args: string[] = [];
  for (const t of TUNABLES) {
    const value = config[t.key];
    if (t.kind === "switch") {
      if (value === true) args.push(flagOf(t.key));
    } else {
      args.push(flagOf(t.key), String(value));
    }
  }
  return args;
}
