/**
 * The scheduler's policy tunables: one table holds each one's type, default, unit, range, help, and the
 * bounds the BPF side applies on top of the range. Everything else (the CLI flags, the BPF globals, the
 * CSV columns, the trainer's search space) is derived from this table, so a tunable is added or changed in
 * exactly one place. What each tunable does is the policy's (bpf/scx_gamer.bpf.c); the version of those
 * semantics is POLICY_VERSION.
 *
 * @module
 */

/**
 * The policy version these semantics belong to (bpf/intf.h POLICY_VERSION; tests/sched_intf_test.ts checks
 * that the object agrees). Samples carry it: data from another version measured other meanings.
 */
export const POLICY_VERSION = 2;

/**
 * Where the BPF side clamps a value beyond the table's range: each entry names the quantity clamped and its
 * effective interval in the tunable's unit (tests/sched_intf_test.ts checks these against bpf/intf.h).
 */
export interface EffectiveBounds {
  /** What is clamped, e.g. "quantum (x weight/100)". */
  what: string;
  min: number;
  max: number;
}

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
  /** Clamping the BPF side applies to a quantity derived from the value, when it does. */
  effective?: EffectiveBounds;
  /**
   * The policy version that added it, when not the first: configs stored under an older policy lack it
   * (the scheduler then had no such lever) and read it at its default.
   */
  sincePolicy?: number;
  /**
   * Added within a policy, with a default that is that policy's behaviour from before: a config stored
   * without it (under any policy) read at the default means what it meant when it was stored.
   */
  defaultIsOlderBehaviour?: true;
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
  | "wakeup_timer_us"
  | "batch_burst_us"
  | "parity_us";

/** Names of the switch tunables. */
export type SwitchKey = "mm_affinity" | "avoid_smt" | "preferred_idle_scan" | "enable_numa";

/** A complete scheduler configuration: every tunable has a value. */
export type SchedConfig = { [K in NumericKey]: number } & { [K in SwitchKey]: boolean };

/** One row of the tunables table. */
export type Tunable = NumberTunable | SwitchTunable;

/**
 * The tunables table: the original tool's ten in the order of its CSV export, then ours.
 *
 * Defaults are what a gaming scheduler ships: a 1 ms interactive quantum and preemption margin (the game's
 * wake-ups take CPUs from batch work at once whatever it is; the margin only decides between interactive
 * tasks), 20 ms of sleep credit, a 2 ms input boost, a migration limiter loose enough for load balancing but
 * tight enough to stop a render thread from bouncing between cores, and batch at 2.5 ms without sleeping
 * (or as the average run per wake-up): at 10 ms, a software encoder's threads beside a game (4 ms of work
 * every 6 ms, gamesim --encoders) stayed interactive and won the game's render thread's deadlines, and the
 * game missed 49% of its frames where EEVDF missed 15% (docs/benchmarks.md, "Encoder-like background").
 * The game's threads and the classes on a frame's path never become batch, whatever their bursts; a
 * desktop task of 2.5-10 ms per wake-up that does waits behind interactive work, by the starvation guard
 * at most STARVE_MS at a time (a nice-19 task beside pipe ping-pong: 0.11 s at worst).
 */
export const TUNABLES: readonly Tunable[] = [
  {
    kind: "number",
    key: "slice_us",
    unit: "us",
    default: 1000,
    min: 1,
    max: 100_000,
    help:
      "interactive quantum (scaled by weight) and the EDF margin: a wake-up preempts interactive work only " +
      "when its deadline is earlier by more than this; quanta below the tick end at the next tick",
    effective: { what: "quantum (x weight/100)", min: 10, max: 20_000 },
  },
  {
    kind: "number",
    key: "slice_lag_us",
    unit: "us",
    default: 20_000,
    min: 0,
    max: 1_000_000,
    help: "most sleep credit a task carries into its deadline, and the cap of the burst term in it",
  },
  {
    kind: "number",
    key: "input_window_us",
    unit: "us",
    default: 2_000,
    min: 0,
    max: 1_000_000,
    help:
      "after a key, button or pointer event (not motion sensors), the game's input, GPU-submit and other " +
      "game threads get deadlines earlier by min(this, slice_lag_us), for this long (0 = off)",
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
    help: "most moves to another CPU one interactive task may make per window (to an idle CPU or one it " +
      "preempts); further wake-ups stay on its CPU",
  },
  {
    kind: "switch",
    key: "mm_affinity",
    default: false,
    help: "prefer the idle CPU an address space last ran on (cache affinity for a game's threads)",
  },
  {
    kind: "switch",
    key: "avoid_smt",
    default: false,
    help: "prefer a fully idle core (the previous CPU's first) over an idle SMT sibling",
  },
  {
    kind: "switch",
    key: "preferred_idle_scan",
    default: false,
    help: "prefer idle CPUs of the highest capacity (hybrid P/E-core CPUs)",
  },
  {
    kind: "switch",
    key: "enable_numa",
    default: false,
    help: "keep interactive tasks on their NUMA node: moves across nodes are refused",
  },
  {
    kind: "number",
    key: "wakeup_timer_us",
    unit: "us",
    default: 0,
    min: 0,
    max: 1_000_000,
    help: "while interactive tasks wait because every CPU runs interactive work, re-check this often and " +
      "preempt a CPU whose task used up its quantum with a later deadline (0 = the tick only; at least 100 us)",
    effective: { what: "timer period (0: off)", min: 100, max: 1_000_000 },
  },
  {
    kind: "number",
    key: "batch_burst_us",
    unit: "us",
    default: 2_500,
    min: 500,
    max: 1_000_000,
    sincePolicy: 2,
    help:
      "CPU time without sleeping (or average run per wake-up) that makes a task batch: it then runs only " +
      "when no interactive task waits; half of this for a task wanting more than half a CPU (its runs as " +
      "long as its sleeps); the game's threads never become batch",
  },
  {
    kind: "number",
    key: "parity_us",
    unit: "us",
    default: 0,
    min: 0,
    max: 100_000,
    defaultIsOlderBehaviour: true,
    help: "a game thread keeps its CPU against the same game's other wake-ups for this long into its run " +
      "(run to parity; shorter: its input and audio threads wait less, its frame work is cut more often); " +
      "0 = slice_us",
  },
];

/**
 * Does a config written under `policy` lack `t` legitimately (it came with a later policy, or later within
 * the policy with a default that keeps the older behaviour)? It then reads `t` at its default.
 */
export function tunableMayBeAbsent(t: Tunable, policy: number): boolean {
  if (t.kind !== "number") return false;
  return t.defaultIsOlderBehaviour === true || (t.sincePolicy !== undefined && policy < t.sincePolicy);
}

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
 * // "sudo ./scx_gamer --stats 1 --slice-us 1000 --slice-lag-us 20000 ... --batch-burst-us 2500 --parity-us 0"
 * ```
 */
export function configToCommandLine(
  config: SchedConfig,
  options: { stats?: number; program?: string } = {},
): string {
  const { stats = 1, program = "sudo ./scx_gamer" } = options;
  return [program, "--stats", String(stats), ...configToArgs(config)].join(" ");
}

/** Whether two configs run the same scheduler settings (every tunable equal, whatever the key order). */
export function sameConfig(a: SchedConfig, b: SchedConfig): boolean {
  return TUNABLE_KEYS.every((k) => a[k] === b[k]);
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

/**
 * The default sweep grid (27 configs): the three tunables that change most what a game feels under the
 * policy. `slice_us` is the interactive quantum and the EDF preemption margin, 50 us to a tick: at 50 us
 * the game's input thread waited runnable 0.32-0.34 ms at p99 beside a 144 Hz game's frame work where
 * 250-4000 us left it 0.52-0.59, and 1.1-1.3 ms beside a 12 ms render thread where 1000 left it 2.9 and
 * 4000 3.1, with no frame or frame time worse (docs/benchmarks.md, "Latest runs"); 4000 won nothing and
 * left the input thread the longest waits. `parity_us` is how long a game thread keeps its CPU against the
 * game's own short threads: 0 follows the quantum (50 us at the smallest, which a game beside encoders
 * learned twice: input p99 1.5 ms in the kernel's histogram where 4000 gave 3.9), 4000 keeps frame work
 * on its CPU the longest (its frame starts the most even in the same sweep): a trade-off only the game
 * decides (at a 1 ms quantum 0 and 1000 are the same config: the defaults, measured twice).
 * `slice_lag_us` bounds the sleep credit, the burst term of deadlines and how long the game's render
 * thread keeps its CPU against its own frame work. Its axis spans both sides of the trade-off measured
 * before jobs took turns among themselves: a game whose job workers run 7 ms each (three on two CPUs)
 * missed 37.5% of its frames at 20 ms and 14% at 2 ms, where a game with a 12 ms render thread missed 11%
 * at 20 ms and 98% at 2 ms (docs/benchmarks.md, "Frame work's run"); 80 ms helped no game measured (a
 * 30 fps game with 25 ms of render work: 3.3% at 20 ms, 7% at 80 ms). Left at their defaults:
 * `batch_burst_us`, whose room is below its default, not above (beside an encoder's 4 ms runs the game
 * missed 49% of its frames at 10 ms and 1-2.5% at 2.5 ms; beside encoders of 1.5 ms runs 5.7-52% at 2.5 ms
 * and 1.7-3.7% at 1 ms; beside busy loops any value gives the same figures: they never sleep; a game beside
 * an encoder sweeps it with a grid of its own, docs/benchmarks.md "A game beside a shorter-burst encoder"),
 * and the input window, which only matters with real input events the sweep's workload may not have.
 */
export const DEFAULT_SWEEP_GRID: Readonly<Partial<Record<keyof SchedConfig, readonly (number | boolean)[]>>> =
  {
    slice_us: [50, 250, 1000],
    slice_lag_us: [2_000, 5_000, 20_000],
    parity_us: [0, 1000, 4000],
  };

/** Most passes a sweep takes (`--sweep --passes`): 20 windows of every config is a study, not a sweep. */
export const MAX_SWEEP_PASSES = 20;
