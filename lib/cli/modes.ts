/**
 * scx_gamer's command line: one flag table per mode, built on the one flag engine (`engine.ts`), and
 * the typed command each mode receives. Tunable flags come from the tunables table (`lib/config.ts`):
 * one value each when running, a comma-separated axis each when sweeping.
 *
 * | mode      | selected by                | does                                                     |
 * |-----------|----------------------------|----------------------------------------------------------|
 * | run        | (default)                  | load and attach the scheduler; stats, collection, socket |
 * | sweep      | `--sweep`                  | walk a grid of configs in one attach, collecting samples |
 * | monitor    | `--monitor [SECONDS]`      | the running instance's stats, read from its socket       |
 * | launch     | `run -- CMD [ARGS...]`     | announce this process tree as the game, then exec CMD    |
 * | export     | `--ml-export-csv FILE`     | every game's samples into one CSV                        |
 * | show-best  | `--ml-show-best GAME`      | a game's summary and best configuration                  |
 * | train      | `--ml-train CSV`           | train the forest, print and save the best configuration  |
 * | self-test  | `--self-test`              | check this build on this machine (libbpf, BPF object)    |
 * | help       | `-h`, `--help`             | this text                                                |
 * | help-stats | `--help-stats`             | every field of the stats line explained                  |
 * | version    | `-V`, `--version`          | the build's identity                                     |
 *
 * Run as a systemd service (`$STATE_DIRECTORY` set, see packaging/scx_gamer.service) the data
 * defaults move under the state directory: samples to `$STATE_DIRECTORY/ml_data`, models to
 * `$STATE_DIRECTORY/models`; by hand they are `./ml_data` and `ml/models`.
 *
 * @module
 */

import { findObjective, OBJECTIVES } from "../score.ts";
import { DEFAULT_SWEEP_GRID, flagOf, MAX_SWEEP_PASSES, type SchedConfig, TUNABLES } from "../config.ts";
import { buildGrid, type Grid, GridError, parseAxisFlag, type TunableKey } from "../grid.ts";
import { type CommandLine, type FlagSpec, type ModeSpec, parseCommandLine, UsageError } from "./engine.ts";

/** Where samples go by default when run by hand (relative to the working folder). */
export const DEFAULT_ML_DIR = "./ml_data";
/** Where trained models go by default when run by hand. */
export const DEFAULT_MODELS_DIR = "ml/models";
/** Where the running scheduler serves its control socket by default. */
export const DEFAULT_SOCKET = "/run/scx_gamer.sock";

/** Where {@link parseArgs} reads the environment from: `Deno.env` or a test's map. */
export interface EnvReader {
  get(key: string): string | undefined;
}

/** The state directory of a service whose unit has no StateDirectory= (its working folder is `/`). */
export const SERVICE_STATE_DIR = "/var/lib/scx_gamer";

/**
 * The state directory systemd gives a service (`StateDirectory=` sets `$STATE_DIRECTORY`; with
 * several, a colon-separated list whose first is ours); under a unit without one (systemd sets
 * INVOCATION_ID for every unit it starts) /var/lib/scx_gamer, never the service's working folder `/`;
 * null when not run as a service.
 */
export function stateDirectory(env: EnvReader = Deno.env): string | null {
  const first = env.get("STATE_DIRECTORY")?.split(":")[0] ?? "";
  if (first.startsWith("/")) return first.replace(/\/+$/, "") || "/";
  return (env.get("INVOCATION_ID") ?? "") !== "" ? SERVICE_STATE_DIR : null;
}

/** The default of `--ml-dir`: `$STATE_DIRECTORY/ml_data` under systemd, else `./ml_data`. */
export function defaultMlDir(env: EnvReader = Deno.env): string {
  const state = stateDirectory(env);
  return state === null ? DEFAULT_ML_DIR : `${state}/ml_data`;
}

/** The default of `--models-dir`: `$STATE_DIRECTORY/models` under systemd, else `ml/models`. */
export function defaultModelsDir(env: EnvReader = Deno.env): string {
  const state = stateDirectory(env);
  return state === null ? DEFAULT_MODELS_DIR : `${state}/models`;
}
/** Seconds between samples by default. */
export const DEFAULT_SAMPLE_INTERVAL_S = 5;

const VERBOSE: FlagSpec = {
  flag: "--verbose",
  short: "-v",
  key: "verbose",
  kind: "switch",
  help: "print more detail (libbpf's log, the verifier's output on a load failure, stacks)",
};
const ML_DIR: FlagSpec = {
  flag: "--ml-dir",
  key: "ml_dir",
  kind: "string",
  metavar: "DIR",
  default: DEFAULT_ML_DIR,
  help: "where samples are stored: DIR/{cpu_model}/{game}.json (as a service: $STATE_DIRECTORY/ml_data)",
};
const SAMPLE_INTERVAL: FlagSpec = {
  flag: "--ml-sample-interval",
  key: "ml_sample_interval",
  kind: "number",
  metavar: "SECONDS",
  default: DEFAULT_SAMPLE_INTERVAL_S,
  min: 0,
  minExclusive: true,
  max: 3600,
  unit: "s",
  help: "seconds between training samples",
};
const STATS: FlagSpec = {
  flag: "--stats",
  key: "stats",
  kind: "number",
  metavar: "SECONDS",
  min: 0,
  minExclusive: true,
  max: 3600,
  unit: "s",
  help: "print a line of live scheduler statistics every SECONDS",
};
const SOCKET: FlagSpec = {
  flag: "--socket",
  key: "socket",
  kind: "string",
  metavar: "PATH",
  default: DEFAULT_SOCKET,
  help: "the control socket: served while the scheduler runs, read by --monitor and 'run --'",
};
const SOCKET_GROUP: FlagSpec = {
  flag: "--socket-group",
  key: "socket_group",
  kind: "string",
  metavar: "GROUP",
  help:
    "group whose members may use the control socket (mode 0660) [default: the sudo user's group, else root only]",
};
const STATS_JSON: FlagSpec = {
  flag: "--stats-json",
  key: "stats_json",
  kind: "switch",
  help: "write each stats interval as one JSON line (on stdout; other messages go to stderr)",
};
const GAME: FlagSpec = {
  flag: "--game",
  key: "game",
  kind: "string",
  metavar: "NAME",
  help: "the game: forces detection when running, picks the game's samples when training",
};
const CPU_MODEL: FlagSpec = {
  flag: "--cpu-model",
  key: "cpu_model",
  kind: "string",
  metavar: "NAME",
  help: "one CPU model's samples, or 'all' to merge [default: this machine's, when the data has it]",
};
const TARGET: FlagSpec = {
  flag: "--target",
  key: "target",
  kind: "string",
  metavar: "NAME",
  help: `the objective: ${
    OBJECTIVES.map((o) => o.name).join(", ")
  } [default: smooth_score when the data has it, else score]`,
};
const ALL_USERS: FlagSpec = {
  flag: "--all-users",
  key: "all_users",
  kind: "switch",
  help: "let any user's process be the game (default: only the player's: the sudo user, else the seat's)",
};

/** A tunable's flag when running: one value, checked against the tunables table. */
function tunableValueFlag(t: (typeof TUNABLES)[number]): FlagSpec {
  if (t.kind === "switch") return { flag: flagOf(t.key), key: t.key, kind: "switch", help: t.help };
  return {
    flag: flagOf(t.key),
    key: t.key,
    kind: "int",
    metavar: t.unit === "count" ? "N" : t.unit.toUpperCase(),
    default: t.default,
    min: t.min,
    max: t.max,
    unit: t.unit === "count" ? "" : t.unit,
    help: t.help,
  };
}

/** A tunable's flag when sweeping: the axis of values to try. */
function tunableAxisFlag(t: (typeof TUNABLES)[number]): FlagSpec {
  return {
    flag: flagOf(t.key),
    key: t.key,
    kind: "list",
    metavar: t.kind === "switch" ? "false,true" : "V1,V2,...",
    default: DEFAULT_SWEEP_GRID[t.key],
    parseList: (raw) => {
      try {
        return parseAxisFlag(t.key, raw);
      } catch (e) {
        if (e instanceof GridError) throw new UsageError(e.message);
        throw e;
      }
    },
    help: t.kind === "switch"
      ? t.help
      : `${t.help} (${t.min}..${t.max}${t.unit === "count" ? "" : " " + t.unit})`,
  };
}

const RUN_FLAGS: readonly FlagSpec[] = [
  STATS,
  {
    flag: "--duration",
    key: "duration",
    kind: "number",
    metavar: "SECONDS",
    min: 0,
    minExclusive: true,
    max: 31_536_000,
    unit: "s",
    help: "detach and exit after SECONDS (default: run until Ctrl-C)",
  },
  { flag: "--ml-collect", key: "ml_collect", kind: "switch", help: "collect training samples while running" },
  SAMPLE_INTERVAL,
  ML_DIR,
  {
    flag: "--ml-profiles",
    key: "ml_profiles",
    kind: "switch",
    help:
      "apply a detected game's trained profile live (or the most similar game's); back to the base config when it exits",
  },
  {
    flag: "--ml-autotune",
    key: "ml_autotune",
    kind: "switch",
    help:
      "tune the running game live: candidates against the incumbent in interleaved windows, a winner saved as its profile (collects samples)",
  },
  {
    flag: "--autotune-window",
    key: "autotune_window",
    kind: "number",
    metavar: "SECONDS",
    default: 20,
    min: 1,
    max: 3600,
    unit: "s",
    help: "with --ml-autotune: how long each window measures one config",
  },
  {
    flag: "--autotune-pairs",
    key: "autotune_pairs",
    kind: "int",
    metavar: "N",
    default: 4,
    min: 3,
    max: 100,
    help: "with --ml-autotune: pairs of windows per candidate",
  },
  TARGET,
  {
    flag: "--config",
    key: "config",
    kind: "string",
    metavar: "FILE",
    help: "start from a saved config: a profile, or a JSON object of tunables (tunable flags override it)",
  },
  GAME,
  ALL_USERS,
  SOCKET,
  SOCKET_GROUP,
  STATS_JSON,
  ...TUNABLES.map(tunableValueFlag),
  VERBOSE,
];

const SWEEP_FLAGS: readonly FlagSpec[] = [
  {
    flag: "--grid",
    key: "grid",
    kind: "string",
    metavar: "FILE",
    help: 'JSON grid file, e.g. {"slice_us": [5, 10]}; tunable flags replace or add axes',
  },
  {
    flag: "--duration",
    key: "duration",
    kind: "number",
    metavar: "SECONDS",
    default: 300,
    min: 0,
    minExclusive: true,
    max: 86_400,
    unit: "s",
    help: "how long each config is measured, after its settle time",
  },
  {
    flag: "--settle",
    key: "settle",
    kind: "number",
    metavar: "SECONDS",
    default: 5,
    min: 0,
    max: 3600,
    unit: "s",
    help: "after applying a config, wait this long before measuring it",
  },
  {
    flag: "--passes",
    key: "passes",
    kind: "int",
    metavar: "N",
    default: 1,
    min: 1,
    max: MAX_SWEEP_PASSES,
    help: "measure every config N times, in windows apart (every other pass backwards)",
  },
  {
    flag: "--state",
    key: "state",
    kind: "string",
    metavar: "FILE",
    help: "sweep state file, for resuming [default: DIR/sweep_state.json]",
  },
  {
    flag: "--retry-failed",
    key: "retry_failed",
    kind: "switch",
    help: "run configs that failed earlier again",
  },
  {
    flag: "--dry-run",
    key: "dry_run",
    kind: "switch",
    help: "print the plan (configs, count, time) and exit",
  },
  STATS,
  SAMPLE_INTERVAL,
  ML_DIR,
  GAME,
  ALL_USERS,
  SOCKET,
  SOCKET_GROUP,
  STATS_JSON,
  ...TUNABLES.map(tunableAxisFlag),
  VERBOSE,
];

const HELP: FlagSpec = {
  flag: "--help",
  short: "-h",
  key: "help",
  kind: "switch",
  help: "print this help and exit",
};
const VERSION: FlagSpec = {
  flag: "--version",
  short: "-V",
  key: "version",
  kind: "switch",
  help: "print the version and build identity (commit, BPF object hash, libbpf found), and exit",
};
const HELP_STATS: FlagSpec = {
  flag: "--help-stats",
  key: "help_stats",
  kind: "switch",
  help: "explain every field of the stats line, and exit",
};

/** Every mode with its table, in --help order. */
export const MODES: readonly ModeSpec[] = [
  { mode: "run", summary: "Running the scheduler", flags: RUN_FLAGS },
  {
    mode: "sweep",
    summary: "Sweeping a grid of configurations in one attach (resumable)",
    selector: {
      flag: "--sweep",
      key: "sweep",
      kind: "switch",
      help: "walk a grid of configs, collecting samples",
    },
    flags: SWEEP_FLAGS,
  },
  {
    mode: "monitor",
    summary: "Watching the running scheduler (no root needed with --socket-group; attaches nothing)",
    selector: {
      flag: "--monitor",
      key: "monitor",
      kind: "optional-number",
      metavar: "SECONDS",
      default: 1,
      min: 0,
      minExclusive: true,
      max: 3600,
      unit: "s",
      help: "print the running instance's stats every SECONDS, read from its control socket, until Ctrl-C",
    },
    flags: [SOCKET, STATS_JSON],
  },
  {
    mode: "launch",
    subcommand: "run",
    summary:
      "Launching a game: scx_gamer run -- CMD [ARGS...] (Steam launch option: scx_gamer-run %command%)",
    flags: [SOCKET, VERBOSE],
  },
  {
    mode: "ab",
    summary: "Comparing two configs live (A/B)",
    selector: {
      flag: "--ml-ab",
      key: "ml_ab",
      kind: "pair",
      metavar: '"FLAGS A" "FLAGS B"',
      help: "alternate two configs (tunable flags, '' for the defaults) on the running game and compare them",
    },
    flags: [
      {
        flag: "--duration",
        key: "duration",
        kind: "number",
        metavar: "SECONDS",
        default: 600,
        min: 0,
        minExclusive: true,
        max: 86_400,
        unit: "s",
        help: "total time of the comparison, settle times included (at least 3 pairs of windows)",
      },
      {
        flag: "--window",
        key: "window",
        kind: "number",
        metavar: "SECONDS",
        default: 20,
        min: 1,
        max: 3600,
        unit: "s",
        help: "how long each window measures one config",
      },
      {
        flag: "--settle",
        key: "settle",
        kind: "number",
        metavar: "SECONDS",
        default: 2,
        min: 0,
        max: 600,
        unit: "s",
        help: "after each switch, wait this long before measuring",
      },
      TARGET,
      STATS,
      SAMPLE_INTERVAL,
      ML_DIR,
      GAME,
      ALL_USERS,
      SOCKET,
      SOCKET_GROUP,
      STATS_JSON,
      VERBOSE,
    ],
  },
  {
    mode: "export",
    summary: "Exporting samples",
    selector: {
      flag: "--ml-export-csv",
      key: "ml_export_csv",
      kind: "string",
      metavar: "FILE",
      help: "export every game's samples under --ml-dir into one training CSV",
    },
    flags: [
      ML_DIR,
      {
        flag: "--ml-frametimes",
        key: "ml_frametimes",
        kind: "string",
        metavar: "DIR",
        help:
          "MangoHud's frame logs: each sample gets fps, 1% low and frame-time p99 [default: MangoHud's output_folder]",
      },
      VERBOSE,
    ],
  },
  {
    mode: "show-best",
    summary: "Showing a game's best configuration",
    selector: {
      flag: "--ml-show-best",
      key: "ml_show_best",
      kind: "string",
      metavar: "GAME",
      help: "summarise a game's samples and print its best configuration",
    },
    flags: [ML_DIR, CPU_MODEL, VERBOSE],
  },
  {
    mode: "import",
    summary: "Importing the original tool's samples",
    selector: {
      flag: "--ml-import",
      key: "ml_import",
      kind: "string",
      metavar: "DIR",
      help: "add the original scx_gamer's JSON sample files in DIR to --ml-dir (under this machine's CPU)",
    },
    flags: [ML_DIR, VERBOSE],
  },
  {
    mode: "train",
    summary: "Training",
    selector: {
      flag: "--ml-train",
      key: "ml_train",
      kind: "string",
      metavar: "CSV",
      help: "train the model on CSV and print the best configuration",
    },
    flags: [
      GAME,
      CPU_MODEL,
      TARGET,
      { flag: "--analyze", key: "analyze", kind: "switch", help: "also print feature importance" },
      {
        flag: "--interpolate",
        key: "interpolate",
        kind: "switch",
        help: "let the search pick tunable values no sample measured (named in the output)",
      },
      ML_DIR,
      {
        flag: "--seed",
        key: "seed",
        kind: "int",
        metavar: "N",
        default: 0,
        min: 0,
        max: 0xffffffff,
        help: "seed of the random generator (splits, bootstrap, search)",
      },
      {
        flag: "--models-dir",
        key: "models_dir",
        kind: "string",
        metavar: "DIR",
        default: DEFAULT_MODELS_DIR,
        help: "where the trained model is saved (as a service: $STATE_DIRECTORY/models)",
      },
      VERBOSE,
    ],
  },
  {
    mode: "self-test",
    summary: "Checking this build on this machine",
    selector: {
      flag: "--self-test",
      key: "self_test",
      kind: "switch",
      help:
        "check libbpf and the embedded BPF object (opened, and loaded without attaching where the kernel has sched_ext)",
    },
    flags: [VERBOSE],
  },
  { mode: "help", selector: HELP, overrides: true, flags: [] },
  { mode: "help-stats", selector: HELP_STATS, overrides: true, flags: [] },
  { mode: "version", selector: VERSION, overrides: true, flags: [] },
];

/** Where the control socket is and who may use it (every mode that attaches serves one). */
export interface SocketOptions {
  socket: string;
  /** `--socket-group` as given (a name or a number), or null for the default. */
  socketGroup: string | null;
}

/** What `run` receives. */
export interface RunCommand extends SocketOptions {
  mode: "run";
  /** The tunable flags over the defaults (a --config file goes between the two: see `given`). */
  config: SchedConfig;
  /** The tunables given as flags, which win over a --config file. */
  given: Partial<SchedConfig>;
  /** `--config FILE`, or null. */
  configFile: string | null;
  /** `--ml-profiles`: apply games' profiles live. */
  profiles: boolean;
  /** `--ml-autotune` and its window length (s) and pairs per candidate, or null. */
  autotune: { windowS: number; pairs: number } | null;
  /** The objective for --ml-autotune, or null for the default. */
  target: string | null;
  /** Seconds between stats lines, or null for none. */
  statsS: number | null;
  /** Seconds to run before detaching, or null for until a signal. */
  durationS: number | null;
  collect: boolean;
  sampleIntervalS: number;
  mlDir: string;
  game: string | null;
  /** Any user's process may be the game (`--all-users`), not only the player's. */
  allUsers: boolean;
  /** Stats intervals as JSON lines. */
  statsJson: boolean;
  verbose: boolean;
}

/** What `--ml-ab` receives. */
export interface AbCommand extends SocketOptions {
  mode: "ab";
  a: SchedConfig;
  b: SchedConfig;
  /** The two flag lists as given, for the report. */
  flags: readonly [string, string];
  durationS: number;
  windowS: number;
  settleS: number;
  /** An objective of lib/score.ts, or null for the default. */
  target: string | null;
  statsS: number | null;
  sampleIntervalS: number;
  mlDir: string;
  game: string | null;
  allUsers: boolean;
  statsJson: boolean;
  verbose: boolean;
}

/** What `--ml-import` receives. */
export interface ImportCommand {
  mode: "import";
  dir: string;
  mlDir: string;
  verbose: boolean;
}

/** What `--monitor` receives. */
export interface MonitorCommand {
  mode: "monitor";
  intervalS: number;
  socket: string;
  statsJson: boolean;
}

/** What `scx_gamer run -- CMD` receives. */
export interface LaunchCommand {
  mode: "launch";
  socket: string;
  /** The command to run as the game, argv[0] first. */
  command: readonly string[];
  verbose: boolean;
}

/** What `--self-test` receives. */
export interface SelfTestCommand {
  mode: "self-test";
  verbose: boolean;
}

/** What `--sweep` receives. */
export interface SweepCommand extends SocketOptions {
  mode: "sweep";
  /** The grid from the defaults, --grid's file (read by the mode) and the tunable flags. */
  axes: Partial<Record<TunableKey, readonly (number | boolean)[]>>;
  gridFile: string | null;
  durationS: number;
  settleS: number;
  /** How many times the grid runs (every other pass backwards). */
  passes: number;
  stateFile: string;
  retryFailed: boolean;
  dryRun: boolean;
  statsS: number | null;
  sampleIntervalS: number;
  mlDir: string;
  game: string | null;
  /** Any user's process may be the game (`--all-users`). */
  allUsers: boolean;
  statsJson: boolean;
  verbose: boolean;
}

/** What the data modes receive. */
export interface ExportCommand {
  mode: "export";
  csvPath: string;
  mlDir: string;
  /** `--ml-frametimes DIR`, or null for MangoHud's configured folder (when it has one). */
  frametimes: string | null;
  verbose: boolean;
}

/** What `--ml-show-best` receives. */
export interface ShowBestCommand {
  mode: "show-best";
  game: string;
  mlDir: string;
  /** One CPU model, "all", or null for this machine's. */
  cpuModel: string | null;
  verbose: boolean;
}

/** What `--ml-train` receives. */
export interface TrainCommand {
  mode: "train";
  csvPath: string;
  game: string | null;
  /** One CPU model, "all", or null for this machine's. */
  cpuModel: string | null;
  /** An objective of lib/score.ts, or null for the default. */
  target: string | null;
  analyze: boolean;
  interpolate: boolean;
  seed: number;
  modelsDir: string;
  /** The samples store, where the game's profile is saved. */
  mlDir: string;
  verbose: boolean;
}

/** A parsed, typed command line. */
export type Command =
  | RunCommand
  | SweepCommand
  | ExportCommand
  | ShowBestCommand
  | TrainCommand
  | AbCommand
  | ImportCommand
  | MonitorCommand
  | LaunchCommand
  | SelfTestCommand
  | { mode: "help" }
  | { mode: "help-stats" }
  | { mode: "version" };

/** Options of {@link parseArgs}. */
export interface ParseOptions {
  /** The environment (`$STATE_DIRECTORY` moves the data defaults). Default Deno.env. */
  env?: EnvReader;
}

function reader(line: CommandLine) {
  const v = line.values;
  return {
    has: (key: string) => v.has(key),
    str: (key: string) => (v.get(key) as string | undefined) ?? null,
    num: (key: string) => (v.get(key) as number | undefined) ?? null,
    bool: (key: string) => v.get(key) === true,
  };
}

function socketOptions(line: CommandLine): SocketOptions {
  const r = reader(line);
  return { socket: r.str("socket") ?? DEFAULT_SOCKET, socketGroup: r.str("socket_group") };
}

function statsJson(line: CommandLine): boolean {
  const r = reader(line);
  if (r.bool("stats_json") && !r.has("stats")) {
    throw new UsageError("--stats-json needs --stats SECONDS (how often to write a line)");
  }
  return r.bool("stats_json");
}

/** The smallest number of window pairs an A/B comparison runs. */
export const MIN_AB_PAIRS = 3;

function abCommand(line: CommandLine, env: EnvReader): AbCommand {
  const r = reader(line);
  const [fa, fb] = line.values.get("ml_ab") as readonly string[];
  const side = (flags: string, name: string) => {
    try {
      return parseConfigFlags(flags.trim().split(/\s+/).filter((w) => w !== ""));
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`--ml-ab ${name} '${flags}': ${e.message}`);
      throw e;
    }
  };
  const durationS = r.num("duration") ?? 600, windowS = r.num("window") ?? 20, settleS = r.num("settle") ?? 2;
  const pairs = Math.floor(durationS / (2 * (windowS + settleS)));
  if (pairs < MIN_AB_PAIRS) {
    throw new UsageError(
      `--duration ${durationS} holds ${pairs} pairs of ${windowS} s windows (+ ${settleS} s settle): at least ${MIN_AB_PAIRS} are needed (a longer --duration or a shorter --window)`,
    );
  }
  return {
    mode: "ab",
    a: side(fa, "A"),
    b: side(fb, "B"),
    flags: [fa, fb],
    durationS,
    windowS,
    settleS,
    target: objectiveName(r.str("target")),
    statsS: r.num("stats"),
    sampleIntervalS: r.num("ml_sample_interval") ?? DEFAULT_SAMPLE_INTERVAL_S,
    mlDir: r.str("ml_dir") ?? defaultMlDir(env),
    game: r.str("game"),
    allUsers: r.bool("all_users"),
    statsJson: statsJson(line),
    ...socketOptions(line),
    verbose: r.bool("verbose"),
  };
}

function runCommand(line: CommandLine, env: EnvReader): RunCommand {
  const r = reader(line);
  const config: Record<string, number | boolean> = {};
  const given: Record<string, number | boolean> = {};
  for (const t of TUNABLES) {
    const value = line.values.get(t.key) as number | boolean | undefined;
    if (value !== undefined) given[t.key] = value;
    config[t.key] = value ?? t.default;
  }
  if (r.has("ml_sample_interval") && !r.bool("ml_collect") && !r.bool("ml_autotune")) {
    throw new UsageError("--ml-sample-interval needs --ml-collect (or --ml-autotune)");
  }
  for (const key of ["autotune_window", "autotune_pairs", "target"]) {
    if (r.has(key) && !r.bool("ml_autotune")) {
      throw new UsageError(`--${key.replaceAll("_", "-")} needs --ml-autotune`);
    }
  }
  return {
    mode: "run",
    config: config as SchedConfig,
    given: given as Partial<SchedConfig>,
    configFile: r.str("config"),
    profiles: r.bool("ml_profiles"),
    autotune: r.bool("ml_autotune")
      ? { windowS: r.num("autotune_window") ?? 20, pairs: r.num("autotune_pairs") ?? 4 }
      : null,
    target: objectiveName(r.str("target")),
    statsS: r.num("stats"),
    durationS: r.num("duration"),
    collect: r.bool("ml_collect"),
    sampleIntervalS: r.num("ml_sample_interval") ?? DEFAULT_SAMPLE_INTERVAL_S,
    mlDir: r.str("ml_dir") ?? defaultMlDir(env),
    game: r.str("game"),
    allUsers: r.bool("all_users"),
    statsJson: statsJson(line),
    ...socketOptions(line),
    verbose: r.bool("verbose"),
  };
}

function sweepCommand(line: CommandLine, env: EnvReader): SweepCommand {
  const r = reader(line);
  const axes: Partial<Record<TunableKey, readonly (number | boolean)[]>> = {};
  for (const t of TUNABLES) {
    const values = line.values.get(t.key) as readonly (number | boolean)[] | undefined;
    if (values) axes[t.key] = values;
  }
  const mlDir = r.str("ml_dir") ?? defaultMlDir(env);
  const gridFile = r.str("grid");
  if (gridFile === null) {
    // Without a file the grid is fully known now: check its size before any work starts.
    try {
      buildGrid({ ...DEFAULT_SWEEP_GRID, ...axes });
    } catch (e) {
      if (e instanceof GridError) throw new UsageError(e.message);
      throw e;
    }
  }
  return {
    mode: "sweep",
    axes,
    gridFile,
    durationS: r.num("duration") ?? 300,
    settleS: r.num("settle") ?? 5,
    passes: r.num("passes") ?? 1,
    stateFile: r.str("state") ?? `${mlDir.replace(/\/+$/, "")}/sweep_state.json`,
    retryFailed: r.bool("retry_failed"),
    dryRun: r.bool("dry_run"),
    statsS: r.num("stats"),
    sampleIntervalS: r.num("ml_sample_interval") ?? DEFAULT_SAMPLE_INTERVAL_S,
    mlDir,
    game: r.str("game"),
    allUsers: r.bool("all_users"),
    statsJson: statsJson(line),
    ...socketOptions(line),
    verbose: r.bool("verbose"),
  };
}

/**
 * Parse argv (without the program name) into a typed command.
 *
 * @throws {UsageError} with the one line to print (exit status 2).
 *
 * @example
 * ```ts
 * const cmd = parseArgs(["--stats", "1", "--slice-us", "7"]);
 * if (cmd.mode === "run") cmd.config.slice_us; // 7
 * ```
 */
export function parseArgs(argv: readonly string[], options: ParseOptions = {}): Command {
  const env = options.env ?? Deno.env;
  const line = parseCommandLine(argv, MODES);
  const r = reader(line);
  switch (line.mode) {
    case "run":
      return runCommand(line, env);
    case "sweep":
      return sweepCommand(line, env);
    case "ab":
      return abCommand(line, env);
    case "monitor":
      return {
        mode: "monitor",
        intervalS: r.num("monitor") ?? 1,
        socket: r.str("socket") ?? DEFAULT_SOCKET,
        statsJson: r.bool("stats_json"),
      };
    case "launch":
      return {
        mode: "launch",
        socket: r.str("socket") ?? DEFAULT_SOCKET,
        command: line.command,
        verbose: r.bool("verbose"),
      };
    case "self-test":
      return { mode: "self-test", verbose: r.bool("verbose") };
    case "export":
      return {
        mode: "export",
        csvPath: r.str("ml_export_csv")!,
        mlDir: r.str("ml_dir") ?? defaultMlDir(env),
        frametimes: r.str("ml_frametimes"),
        verbose: r.bool("verbose"),
      };
    case "show-best":
      return {
        mode: "show-best",
        game: r.str("ml_show_best")!,
        mlDir: r.str("ml_dir") ?? defaultMlDir(env),
        cpuModel: r.str("cpu_model"),
        verbose: r.bool("verbose"),
      };
    case "import":
      return {
        mode: "import",
        dir: r.str("ml_import")!,
        mlDir: r.str("ml_dir") ?? defaultMlDir(env),
        verbose: r.bool("verbose"),
      };
    case "train":
      return {
        mode: "train",
        csvPath: r.str("ml_train")!,
        game: r.str("game"),
        cpuModel: r.str("cpu_model"),
        target: objectiveName(r.str("target")),
        analyze: r.bool("analyze"),
        interpolate: r.bool("interpolate"),
        seed: r.num("seed") ?? 0,
        modelsDir: r.str("models_dir") ?? defaultModelsDir(env),
        mlDir: r.str("ml_dir") ?? defaultMlDir(env),
        verbose: r.bool("verbose"),
      };
    case "help":
    case "help-stats":
    case "version":
      return { mode: line.mode };
  }
  throw new Error(`no command for mode ${line.mode}`);
}

/** A `--target` name checked against the objectives table (null: the default). */
function objectiveName(name: string | null): string | null {
  if (name !== null && findObjective(name) === null) {
    throw new UsageError(`--target '${name}': expected one of ${OBJECTIVES.map((o) => o.name).join(", ")}`);
  }
  return name;
}

/** The grid a sweep command describes, given its --grid file's parsed axes (null: no file). */
export function sweepGrid(
  command: Pick<SweepCommand, "axes">,
  fileAxes: Partial<Record<TunableKey, readonly (number | boolean)[]>> | null,
): Grid {
  return buildGrid({ ...(fileAxes ?? DEFAULT_SWEEP_GRID), ...command.axes });
}

const CONFIG_ONLY: readonly ModeSpec[] = [{ mode: "config", flags: TUNABLES.map(tunableValueFlag) }];

/**
 * A config from tunable flags only (a recommended command line, `--best-flags`, a profile's flags):
 * every other flag is refused, unset tunables keep their defaults.
 *
 * @throws {UsageError} naming the flag when one is not a tunable or its value is bad.
 *
 * @example
 * ```ts
 * parseConfigFlags(["--slice-us", "7", "--avoid-smt"]).slice_us; // 7
 * ```
 */
export function parseConfigFlags(argv: readonly string[]): SchedConfig {
  const line = parseCommandLine(argv, CONFIG_ONLY);
  const config: Record<string, number | boolean> = {};
  for (const t of TUNABLES) {
    config[t.key] = (line.values.get(t.key) as number | boolean | undefined) ?? t.default;
  }
  return config as SchedConfig;
}
