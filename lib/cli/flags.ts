/**
 * The one flag table of the product. Parsing, validation and `--help` are all generated from it;
 * tunable flags come from the tunables table in `lib/config.ts`.
 *
 * @module
 */

import { flagOf, TUNABLES } from "../config.ts";

/** What a flag's value is. */
export type FlagType = "switch" | "int" | "float" | "string";

/** One row of the flag table. */
export interface FlagSpec {
  /** The flag as typed, e.g. `--ml-sample-interval`. */
  flag: string;
  /** The key in the parsed options (`CliOptions.values`). */
  key: string;
  type: FlagType;
  /** Placeholder shown in --help, e.g. SECONDS. */
  metavar?: string;
  default?: number | string | boolean;
  /** Inclusive lower bound, for numbers. */
  min?: number;
  /** True when the lower bound itself is not allowed (intervals must be > 0). */
  minExclusive?: boolean;
  max?: number;
  unit?: string;
  help: string;
  /** A flag that selects a mode; at most one mode flag per invocation. */
  mode?: Mode;
  /** Group heading in --help. */
  group: "run" | "ml" | "tunables" | "general";
}

/** What the invocation does. `run` loads the scheduler (and collects with --ml-collect). */
export type Mode = "run" | "export" | "show-best" | "train" | "help" | "version";

const tunableFlags: FlagSpec[] = TUNABLES.map((t) =>
  t.kind === "switch"
    ? { flag: flagOf(t.key), key: t.key, type: "switch", default: t.default, help: t.help, group: "tunables" }
    : {
      flag: flagOf(t.key),
      key: t.key,
      type: "int",
      metavar: t.unit === "count" ? "N" : t.unit.toUpperCase(),
      default: t.default,
      min: t.min,
      max: t.max,
      unit: t.unit === "count" ? "" : t.unit,
      help: t.help,
      group: "tunables",
    }
);

/** Every flag, in --help order. */
export const FLAGS: readonly FlagSpec[] = [
  {
    flag: "--stats",
    key: "stats",
    type: "float",
    metavar: "SECONDS",
    min: 0,
    minExclusive: true,
    max: 3600,
    unit: "s",
    help: "print a line of live scheduler statistics every SECONDS",
    group: "run",
  },
  {
    flag: "--duration",
    key: "duration",
    type: "float",
    metavar: "SECONDS",
    min: 0,
    minExclusive: true,
    max: 31_536_000,
    unit: "s",
    help: "detach and exit after SECONDS (default: run until Ctrl-C)",
    group: "run",
  },
  {
    flag: "--ml-collect",
    key: "ml_collect",
    type: "switch",
    default: false,
    help: "collect training samples while running",
    group: "ml",
  },
  {
    flag: "--ml-sample-interval",
    key: "ml_sample_interval",
    type: "float",
    metavar: "SECONDS",
    default: 5.0,
    min: 0,
    minExclusive: true,
    max: 3600,
    unit: "s",
    help: "seconds between training samples",
    group: "ml",
  },
  {
    flag: "--ml-dir",
    key: "ml_dir",
    type: "string",
    metavar: "DIR",
    default: "./ml_data",
    help: "where samples are stored: DIR/{cpu_model}/{game}.json",
    group: "ml",
  },
  {
    flag: "--ml-export-csv",
    key: "ml_export_csv",
    type: "string",
    metavar: "FILE",
    mode: "export",
    help: "export every game's samples under --ml-dir into one training CSV",
    group: "ml",
  },
  {
    flag: "--ml-show-best",
    key: "ml_show_best",
    type: "string",
    metavar: "GAME",
    mode: "show-best",
    help: "summarise a game's samples and print its best configuration",
    group: "ml",
  },
  {
    flag: "--ml-train",
    key: "ml_train",
    type: "string",
    metavar: "CSV",
    mode: "train",
    help: "train the model on CSV and print the best configuration",
    group: "ml",
  },
  {
    flag: "--game",
    key: "game",
    type: "string",
    metavar: "NAME",
    help: "the game: forces detection when collecting, picks the per-game model when training",
    group: "ml",
  },
  {
    flag: "--analyze",
    key: "analyze",
    type: "switch",
    default: false,
    help: "with --ml-train: print feature importance",
    group: "ml",
  },
  ...tunableFlags,
  {
    flag: "--verbose",
    key: "verbose",
    type: "switch",
    default: false,
    help: "print more detail",
    group: "general",
  },
  {
    flag: "--version",
    key: "version",
    type: "switch",
    default: false,
    mode: "version",
    help: "print the version and exit",
    group: "general",
  },
  {
    flag: "--help",
    key: "help",
    type: "switch",
    default: false,
    mode: "help",
    help: "print this help and exit",
    group: "general",
  },
];

/** Look a flag up by its spelling. */
export function findFlag(flag: string): FlagSpec | undefined {
  return FLAGS.find((f) => f.flag === flag);
}
