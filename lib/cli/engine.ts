/**
 * The one flag engine. A command line is a mode (chosen by at most one mode flag, or a subcommand) and
 * that mode's flags; each mode has one table of {@link FlagSpec} rows, and this module parses argv
 * against the tables, checks every value (numbers through the one decimal grammar, ranges, repeats,
 * flags of another mode) and renders `--help` from the same rows. Every error is one line naming the
 * flag, the value and what is allowed; the caller prints it and exits with status 2.
 *
 * @example
 * ```ts
 * const modes: ModeSpec[] = [{ mode: "run", flags: [{ flag: "--stats", key: "stats", kind: "number", min: 0, help: "" }] }];
 * const line = parseCommandLine(["--stats", "2"], modes);
 * line.values.get("stats"); // 2
 * ```
 *
 * @module
 */

import { parseDecimal } from "../numbers.ts";

/** A bad command line. `message` is the one line to print. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** What a flag's value is. */
export type FlagKind =
  | "switch" /* no value */
  | "int" /* a whole number */
  | "number" /* a decimal number */
  | "string"
  | "optional-number" /* a number when the next word is one, else none (`--monitor [SECS]`) */
  | "list" /* comma-separated words, checked by `parseList` */
  | "pair" /* the next two words as they are, e.g. two quoted flag lists (`--ml-ab "..." "..."`) */;

/** A parsed value. */
export type FlagValue = boolean | number | string | readonly (number | boolean)[] | readonly string[] | null;

/** One row of a mode's flag table. */
export interface FlagSpec {
  /** The flag as typed, e.g. `--ml-sample-interval`. */
  flag: string;
  /** One-letter alias, e.g. `-v`. */
  short?: string;
  /** The key in {@link CommandLine.values}. */
  key: string;
  kind: FlagKind;
  /** Placeholder shown in --help, e.g. SECONDS. */
  metavar?: string;
  /** Shown in --help; the mode's options builder applies it. */
  default?: number | string | boolean | readonly (number | boolean)[];
  /** Inclusive lower bound for numbers (exclusive when `minExclusive`). */
  min?: number;
  minExclusive?: boolean;
  max?: number;
  /** Unit shown after numbers: "us", "s", ... */
  unit?: string;
  /** For "list": parse the comma-separated words (throw UsageError with a message naming the flag). */
  parseList?: (raw: string) => readonly (number | boolean)[];
  help: string;
}

/** One mode: the flag (or subcommand) that selects it and its table. */
export interface ModeSpec {
  mode: string;
  /** The flag that selects the mode (null: the default mode). */
  selector?: FlagSpec;
  /** A subcommand word that selects the mode (`scx_gamer run -- CMD`); its words after `--` are kept. */
  subcommand?: string;
  /** Mode flags that win over every other (help, version): given anywhere, they select their mode. */
  overrides?: boolean;
  /** One line saying what the mode does (its --help section title). */
  summary?: string;
  flags: readonly FlagSpec[];
}

/** A parsed command line. */
export interface CommandLine {
  mode: string;
  /** Values by key; the selector's value is under its own key. */
  values: ReadonlyMap<string, FlagValue>;
  /** The words after `--` of a subcommand. */
  command: readonly string[];
}

function describeRange(spec: FlagSpec): string {
  const unit = spec.unit ? ` ${spec.unit}` : "";
  if (spec.minExclusive) {
    const upper = spec.max !== undefined ? ` and at most ${spec.max}` : "";
    return `a number greater than ${spec.min}${upper}${unit}`;
  }
  const what = spec.kind === "int" ? "a whole number" : "a number";
  if (spec.min === undefined && spec.max === undefined) return what;
  return `${what} in ${spec.min ?? "-inf"}..${spec.max ?? "inf"}${unit}`;
}

/**
 * Check one number against a spec's kind and range.
 *
 * @throws {UsageError} naming the flag, the raw value and the allowed range.
 */
export function parseNumberValue(spec: FlagSpec, raw: string): number {
  const value = parseDecimal(raw.trim());
  if (value === null) {
    throw new UsageError(`${spec.flag} '${raw}' is not a number: expected ${describeRange(spec)}`);
  }
  if (spec.kind === "int" && !Number.isInteger(value)) {
    throw new UsageError(`${spec.flag} '${raw}' is not a whole number: expected ${describeRange(spec)}`);
  }
  const belowMin = spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min);
  if (belowMin || (spec.max !== undefined && value > spec.max)) {
    throw new UsageError(`${spec.flag} ${raw} is out of range: expected ${describeRange(spec)}`);
  }
  return value;
}

function parseValue(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.kind) {
    case "string":
      if (raw === "") throw new UsageError(`${spec.flag}: expected ${spec.metavar}, got an empty value`);
      // `--game=--help` is a mistyped line, not a game called "--help".
      if (raw.startsWith("--")) {
        throw new UsageError(`${spec.flag} '${raw}': expected ${spec.metavar}, got a flag`);
      }
      return raw;
    case "list": {
      if (raw === "") throw new UsageError(`${spec.flag}: expected ${spec.metavar}, got an empty value`);
      return spec.parseList!(raw);
    }
    default:
      return parseNumberValue(spec, raw);
  }
}

/** A word that is a flag, not a value (a negative number is a value, so its range error is clear). */
function looksLikeFlag(word: string | undefined): boolean {
  return word === undefined || /^--?[a-z]/i.test(word);
}

function findSpec(flags: readonly FlagSpec[], name: string): FlagSpec | undefined {
  return flags.find((f) => f.flag === name || f.short === name);
}

/** Which mode argv selects: a subcommand first word, an override flag anywhere, else one selector. */
function chooseMode(argv: readonly string[], modes: readonly ModeSpec[]): ModeSpec {
  const sub = modes.find((m) => m.subcommand !== undefined && m.subcommand === argv[0]);
  if (sub) return sub;
  const names = argv.map((a) => (a.startsWith("--") ? a.split("=")[0] : a));
  for (const m of modes.filter((m) => m.overrides)) {
    if (names.some((n) => n === m.selector!.flag || n === m.selector!.short)) return m;
  }
  let chosen: ModeSpec | null = null;
  for (const name of names) {
    const m = modes.find((m) => m.selector && (m.selector.flag === name || m.selector.short === name));
    if (!m || m === chosen) continue;
    if (chosen) {
      throw new UsageError(
        `${m.selector!.flag} and ${chosen.selector!.flag} cannot be used together: pick one mode`,
      );
    }
    chosen = m;
  }
  const fallback = modes.find((m) => !m.selector && !m.subcommand);
  if (!chosen && !fallback) throw new UsageError("no mode given (see --help)");
  return chosen ?? fallback!;
}

/** How the mode is named in "does not apply to ..." messages. */
function modeName(m: ModeSpec): string {
  if (m.subcommand) return `'${m.subcommand}'`;
  return m.selector ? m.selector.flag : "running the scheduler";
}

/**
 * Parse argv (without the program name) against the mode tables. Accepts `--flag value`,
 * `--flag=value` and one-letter aliases (`-v`).
 *
 * @throws {UsageError} on an unknown flag, a flag of another mode, a missing or bad value, a repeated
 * flag, or two modes at once.
 */
export function parseCommandLine(argv: readonly string[], modes: readonly ModeSpec[]): CommandLine {
  const spec = chooseMode(argv, modes);
  // --help and --version answer whatever else the line says.
  if (spec.overrides) return { mode: spec.mode, values: new Map(), command: [] };
  const flags = spec.selector ? [spec.selector, ...spec.flags] : spec.flags;
  const values = new Map<string, FlagValue>();
  let command: string[] = [];
  let i = spec.subcommand ? 1 : 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--" && spec.subcommand) {
      command = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith("-")) {
      throw new UsageError(`unexpected argument '${arg}': every option is a --flag (see --help)`);
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const row = findSpec(flags, name);
    if (!row) {
      if (modes.some((m) => findSpec(m.flags, name))) {
        throw new UsageError(`${name} does not apply to ${modeName(spec)}`);
      }
      throw new UsageError(`unknown flag ${name} (see --help)`);
    }
    if (values.has(row.key)) throw new UsageError(`${row.flag} is given more than once`);
    if (row.kind === "switch") {
      if (eq !== -1) throw new UsageError(`${row.flag} is a switch and takes no value`);
      values.set(row.key, true);
      continue;
    }
    if (eq !== -1) {
      if (row.kind === "pair") {
        throw new UsageError(`${row.flag} takes two values after it, not ${row.flag}=...`);
      }
      values.set(row.key, parseValue(row, arg.slice(eq + 1)));
      continue;
    }
    const next = argv[i + 1];
    if (row.kind === "pair") {
      // Two words whatever they look like: each is typically a quoted list of flags.
      if (argv.length < i + 3) throw new UsageError(`${row.flag} needs two values: expected ${row.metavar}`);
      values.set(row.key, [argv[i + 1], argv[i + 2]]);
      i += 2;
      continue;
    }
    if (row.kind === "optional-number") {
      const value = next !== undefined && !looksLikeFlag(next) ? parseNumberValue(row, next) : null;
      if (value !== null) i++;
      values.set(row.key, value);
      continue;
    }
    if (looksLikeFlag(next)) throw new UsageError(`${row.flag} needs a value: expected ${row.metavar}`);
    values.set(row.key, parseValue(row, next!));
    i++;
  }
  if (spec.subcommand && command.length === 0) {
    throw new UsageError(
      `'${spec.subcommand}' needs a command after --: scx_gamer ${spec.subcommand} -- CMD [ARGS...]`,
    );
  }
  return { mode: spec.mode, values, command };
}

/** One flag's --help line. */
export function helpLine(f: FlagSpec): string {
  const names = f.short ? `${f.short}, ${f.flag}` : `    ${f.flag}`;
  const value = f.metavar ? (f.kind === "optional-number" ? ` [${f.metavar}]` : ` ${f.metavar}`) : "";
  const left = `  ${names}${value}`;
  const range = (f.kind === "int" || f.kind === "number") && f.min !== undefined && f.max !== undefined &&
      !f.minExclusive
    ? ` (${f.min}..${f.max})`
    : "";
  const shown = Array.isArray(f.default) ? f.default.join(",") : f.default;
  const def = f.default !== undefined && f.kind !== "switch"
    ? ` [default: ${shown}${f.unit ? " " + f.unit : ""}]`
    : "";
  return `${left.padEnd(34)} ${f.help}${range}${def}`;
}
