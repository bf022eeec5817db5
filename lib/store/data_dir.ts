/**
 * Where samples go when the user names no `--ml-dir`: `./ml_data` when scx_gamer is run by hand, the
 * service's state directory when systemd runs it (`StateDirectory=scx_gamer` sets $STATE_DIRECTORY to
 * `/var/lib/scx_gamer`; a unit without it still gets that folder), never the service's working
 * directory `/`.
 *
 * @module
 */

/** Where {@link defaultDataDir} reads the environment. */
export interface DataDirEnv {
  get(key: string): string | undefined;
}

/** The data folder of a service with no StateDirectory. */
export const SERVICE_DATA_DIR = "/var/lib/scx_gamer";

/** The data folder when run by hand: relative to where the user stands, so it can be committed. */
export const MANUAL_DATA_DIR = "./ml_data";

/**
 * The default data folder (see the module doc). systemd sets INVOCATION_ID for every unit it starts,
 * and $STATE_DIRECTORY (a colon-separated list; the first is ours) when the unit asks for one.
 *
 * @example
 * ```ts
 * defaultDataDir(new Map([["STATE_DIRECTORY", "/var/lib/scx_gamer"]])); // "/var/lib/scx_gamer"
 * defaultDataDir(new Map()); // "./ml_data"
 * ```
 */
export function defaultDataDir(env: DataDirEnv = Deno.env): string {
  const state = env.get("STATE_DIRECTORY")?.split(":")[0];
  if (state !== undefined && state.startsWith("/")) return state;
  const invocation = env.get("INVOCATION_ID");
  if (invocation !== undefined && invocation !== "") return SERVICE_DATA_DIR;
  return MANUAL_DATA_DIR;
}
