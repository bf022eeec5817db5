/**
 * Game profiles: the best config trained for one game on one CPU model, saved beside the game's
 * samples at `{mlDir}/{safe CPU model}/profiles/{safe game key}.json` (a folder of its own, so export
 * and show-best, which read every `*.json` of the CPU folder as samples, never see a profile). The game
 * is named by its `gameKey`, so "Game.exe" and "game" share one profile.
 *
 * The file is a {@link GameProfile} as JSON with a format tag and version:
 * ```json
 * { "format": "scx_gamer-profile", "version": 1, "game": "Doom", "gameKey": "doom",
 *   "cpuModel": "AMD Ryzen 7 7800X3D 8-Core Processor",
 *   "config": { "slice_us": 10, ... }, "unmeasured": [],
 *   "objective": { "name": "smooth_score", "direction": "max", "predicted": 87.4 },
 *   "provenance": { "samples": 240, "trainedAt": "2026-01-02T03:04:05.000Z", "modelSha256": "ab12...",
 *                   "source": "training_data.csv", "cvR2": 0.61 },
 *   "workload": { "cpu_util_pct": 41.5, "game_count": 22, ... },
 *   "toConfirm": [{ "slice_us": 50, ... }] }
 * ```
 * `toConfirm` (optional) lists configs training could not separate from `config` by more than the noise,
 * which `--ml-autotune` tries first.
 * Writes go through the store's atomic writer; reads never follow a symlink, are size-capped, and
 * validate everything, the config against the tunables table above all.
 *
 * @module
 */

import { join } from "node:path";
import { type SchedConfig, TUNABLE_KEYS, validateConfig } from "../config.ts";
import { gameKey } from "../game_key.ts";
import {
  ensureRealDir,
  lstatOrNull,
  type Owner,
  readHeadNoFollow,
  UnsafePathError,
  writeFileAtomic,
} from "../host/safe_fs.ts";
import { findObjective } from "../score.ts";
import type { GameProfile } from "../types.ts";
import { printable } from "../host/terminal.ts";
import { safeName } from "./safe_name.ts";

/** The format tag of a profile file. */
export const PROFILE_FORMAT = "scx_gamer-profile";
/** Version of the profile format; bumped on any incompatible change. */
export const PROFILE_VERSION = 1;
/** The folder of profiles inside a CPU model's folder. */
export const PROFILES_DIR = "profiles";
/** Most configs a profile lists to confirm. */
export const MAX_TO_CONFIRM = 12;
/** Largest profile file read. */
export const MAX_PROFILE_BYTES = 1024 * 1024;

/** A profile file that cannot be used. `message` is the one line to print. */
export class ProfileError extends Error {
  override name = "ProfileError";
}

/** The folder of a CPU model's profiles. */
export function profilesDir(mlDir: string, cpuModel: string): string {
  return join(mlDir, safeName(cpuModel), PROFILES_DIR);
}

/** Which profile: a game (any spelling: matched by its key) on a CPU model. */
export interface ProfileKey {
  cpuModel: string;
  game: string;
}

/** Where the profile of `key.game` on `key.cpuModel` lives. */
export function profilePath(mlDir: string, key: ProfileKey): string {
  return join(profilesDir(mlDir, key.cpuModel), `${safeName(gameKey(key.game))}.json`);
}

/** The file text of a profile. */
export function formatProfile(profile: GameProfile): string {
  return JSON.stringify({ format: PROFILE_FORMAT, version: PROFILE_VERSION, ...profile }, null, 2) + "\n";
}

const isText = (v: unknown): v is string => typeof v === "string";
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The first problem of a config read from a file (missing, an unknown tunable, a value out of range), or null. */
function configProblem(c: unknown): string | null {
  if (typeof c !== "object" || c === null || Array.isArray(c)) return "missing";
  const extra = Object.keys(c).find((k) => !TUNABLE_KEYS.includes(k as never));
  if (extra !== undefined) return `unknown tunable ${JSON.stringify(extra)}`;
  return validateConfig(c as SchedConfig)[0] ?? null;
}

/** The first problem of a parsed profile, or null. */
function problemOf(p: GameProfile & { format?: unknown; version?: unknown }): string | null {
  if (p?.format !== PROFILE_FORMAT) return "not a scx_gamer profile (format)";
  if (p.version !== PROFILE_VERSION) return `format version ${p.version}: expected ${PROFILE_VERSION}`;
  if (!isText(p.game) || !isText(p.gameKey) || !isText(p.cpuModel)) {
    return "game, gameKey, cpuModel: expected text";
  }
  if (p.gameKey !== gameKey(p.game)) {
    return `gameKey ${JSON.stringify(p.gameKey)} is not the key of the game name`;
  }
  const bad = configProblem(p.config);
  if (bad !== null) return `config: ${bad}`;
  if (p.toConfirm !== undefined) {
    if (!Array.isArray(p.toConfirm) || p.toConfirm.length > MAX_TO_CONFIRM) {
      return `toConfirm: expected a list of at most ${MAX_TO_CONFIRM} configs`;
    }
    for (const [i, c] of p.toConfirm.entries()) {
      const problem = configProblem(c);
      if (problem !== null) return `toConfirm[${i}]: ${problem}`;
    }
  }
  if (!Array.isArray(p.unmeasured) || p.unmeasured.some((k) => !TUNABLE_KEYS.includes(k))) {
    return "unmeasured: expected a list of tunable names";
  }
  const o = findObjective(p.objective?.name);
  if (o === null || o.direction !== p.objective.direction || !isFiniteNumber(p.objective.predicted)) {
    return "objective: expected a known objective, its direction and a finite prediction";
  }
  const v = p.provenance;
  if (
    !v || !Number.isInteger(v.samples) || v.samples < 1 || !isText(v.trainedAt) ||
    !/^[0-9a-f]{64}$/.test(v.modelSha256) ||
    !isText(v.source) || !(v.cvR2 === null || isFiniteNumber(v.cvR2))
  ) {
    return "provenance: expected samples, trainedAt, modelSha256 (64 hex), source and a finite cvR2 (or null)";
  }
  const w = p.workload;
  if (typeof w !== "object" || w === null || Object.values(w).some((x) => !isFiniteNumber(x))) {
    return "workload: expected finite numbers by feature name";
  }
  return null;
}

/**
 * Parse and validate a profile file's text.
 *
 * @throws {ProfileError} naming `path` and the first problem.
 */
export function parseProfile(text: string, path: string): GameProfile {
  let json: GameProfile & { format?: unknown; version?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProfileError(`${printable(path)}: not valid JSON`);
  }
  const problem = problemOf(json);
  if (problem !== null) throw new ProfileError(`${printable(path)}: ${problem}`);
  const { format: _f, version: _v, ...profile } = json;
  return profile;
}

/**
 * Make sure the profiles folder of `cpuModel` exists as a real directory (the ml dir, the CPU folder
 * and `profiles/`, created with the store's safe mkdir and owned by `owner`); returns it. Call it before
 * a long training run so that a bad ml dir fails at once.
 *
 * @throws {UnsafePathError} / {StoreIoError} (lib/host/safe_fs.ts) naming the folder that cannot be used.
 */
export function prepareProfilesDir(
  mlDir: string,
  options: { cpuModel: string; owner: Owner | null },
): string {
  const { cpuModel, owner } = options;
  const dir = profilesDir(mlDir, cpuModel);
  for (const d of [mlDir, join(mlDir, safeName(cpuModel)), dir]) ensureRealDir(d, owner);
  return dir;
}

/**
 * Save `profile` atomically at {@link profilePath}, creating the folders (real, owned by `owner`).
 * Returns the path.
 *
 * @throws {ProfileError} when the profile is not valid (its config out of range, ...).
 * @throws {UnsafePathError} / {StoreIoError} (lib/host/safe_fs.ts) naming the path when it cannot be written.
 */
export async function saveProfile(
  mlDir: string,
  profile: GameProfile,
  options: { owner?: Owner | null } = {},
): Promise<string> {
  const owner = options.owner ?? null;
  const problem = problemOf({ format: PROFILE_FORMAT, version: PROFILE_VERSION, ...profile });
  if (problem !== null) throw new ProfileError(`profile of ${printable(profile.game)}: ${problem}`);
  prepareProfilesDir(mlDir, { cpuModel: profile.cpuModel, owner });
  const path = profilePath(mlDir, profile);
  await writeFileAtomic(path, formatProfile(profile), { owner });
  return path;
}

function readProfileFile(path: string): GameProfile | null {
  const text = readHeadNoFollow(path, MAX_PROFILE_BYTES + 1);
  if (text === null) return null;
  if (new TextEncoder().encode(text).length > MAX_PROFILE_BYTES) {
    throw new ProfileError(
      `${printable(path)}: larger than the ${MAX_PROFILE_BYTES} bytes a profile may have`,
    );
  }
  return parseProfile(text, path);
}

/**
 * The profile of `game` on `cpuModel`, or null when there is none.
 *
 * @throws {ProfileError} / {UnsafePathError} when the file exists but is not a valid profile.
 */
export function loadProfile(mlDir: string, key: ProfileKey): GameProfile | null {
  const { cpuModel, game } = key;
  const profile = readProfileFile(profilePath(mlDir, key));
  if (profile !== null && (profile.gameKey !== gameKey(game) || profile.cpuModel !== cpuModel)) {
    throw new ProfileError(
      `${printable(profilePath(mlDir, key))}: holds ${printable(profile.game)} on ` +
        `${printable(profile.cpuModel)}, not ${printable(game)} on ${printable(cpuModel)}`,
    );
  }
  return profile;
}

/**
 * Every valid profile of `cpuModel` (to borrow from, see lib/ml/similar.ts), sorted by game key, and one
 * warning line per file skipped.
 */
export function listProfiles(
  mlDir: string,
  cpuModel: string,
): { profiles: GameProfile[]; warnings: string[] } {
  const dir = profilesDir(mlDir, cpuModel);
  const out = { profiles: [] as GameProfile[], warnings: [] as string[] };
  const st = lstatOrNull(dir);
  if (st === null) return out;
  if (!st.isDirectory() || st.isSymbolicLink()) {
    out.warnings.push(`skipping ${printable(dir)}: not a real directory`);
    return out;
  }
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    n.endsWith(".json") && !n.startsWith(".")
  );
  for (const name of names.sort()) {
    try {
      const p = readProfileFile(join(dir, name));
      if (p !== null && p.cpuModel === cpuModel) out.profiles.push(p);
    } catch (err) {
      if (!(err instanceof ProfileError || err instanceof UnsafePathError)) throw err;
      out.warnings.push(`skipping ${printable(err.message)}`);
    }
  }
  out.profiles.sort((a, b) => (a.gameKey < b.gameKey ? -1 : a.gameKey > b.gameKey ? 1 : 0));
  return out;
}
