/**
 * `--config FILE`: a saved config to start from. The file is either a game's profile (what training
 * saves, lib/store/profile.ts; its config is taken) or a JSON object of tunables, e.g.
 * `{"slice_us": 500, "mig_max": 3}`, where tunables left out keep their defaults. Every value is
 * checked against the tunables table; the file is read as any file a user names (regular, size-capped).
 *
 * @module
 */

import { type SchedConfig, type Tunable, TUNABLES, tunableValueProblem } from "../config.ts";
import { readInputFile } from "../host/safe_fs.ts";
import { printable } from "../host/terminal.ts";
import { parseProfile, PROFILE_FORMAT } from "./profile.ts";

/** A config file that cannot be used. `message` is the one line to print. */
export class ConfigFileError extends Error {
  override name = "ConfigFileError";
}

/** A config file is a few hundred bytes; a profile a few KiB. */
const MAX_CONFIG_BYTES = 1 << 20;

/**
 * The tunables a config file sets (a profile sets all of them).
 *
 * @throws {ConfigFileError} naming the file and what is wrong (unknown tunable, value out of range).
 *
 * @example
 * ```ts
 * const config = { ...defaultConfig(), ...readConfigFile("best.json") };
 * ```
 */
export function readConfigFile(path: string): Partial<SchedConfig> {
  let text: string;
  try {
    text = readInputFile(path, { what: "--config", maxBytes: MAX_CONFIG_BYTES });
  } catch (e) {
    throw new ConfigFileError((e as Error).message);
  }
  return parseConfigText(text, path);
}

/** The tunables of a config file's text (see {@link readConfigFile}). */
export function parseConfigText(text: string, path: string): Partial<SchedConfig> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ConfigFileError(
      `--config ${printable(path)}: not valid JSON: expected a profile or {"tunable": value}`,
    );
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new ConfigFileError(`--config ${printable(path)}: expected a profile or a JSON object of tunables`);
  }
  if ((doc as { format?: unknown }).format === PROFILE_FORMAT) {
    try {
      return parseProfile(text, path).config;
    } catch (e) {
      throw new ConfigFileError(`--config ${(e as Error).message}`);
    }
  }
  const out: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(doc)) {
    const t: Tunable | undefined = TUNABLES.find((t) => t.key === key);
    if (!t) {
      throw new ConfigFileError(
        `--config ${printable(path)}: "${printable(key)}" is not a tunable: expected one of ${
          TUNABLES.map((x) => x.key).join(", ")
        }`,
      );
    }
    const problem = tunableValueProblem(t, value, `--config ${printable(path)}: "${key}"`);
    if (problem !== null) throw new ConfigFileError(problem);
    out[key] = value as number | boolean;
  }
  return out as Partial<SchedConfig>;
}
