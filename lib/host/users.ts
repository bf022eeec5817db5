/**
 * Whose processes may be the game. The binary runs as root and scans every process, but only the
 * player's own programs should be able to become "the game" (and get the game's boosted deadlines and
 * its name written into samples): another local user must not be able to steer the scheduler by naming
 * a process `*.exe` or setting `SteamAppId`.
 *
 * @module
 */

import { readBounded } from "./proc.ts";

/** Where {@link playerUid} reads the environment. */
export interface EnvSource {
  get(key: string): string | undefined;
}

/** Options of {@link playerUid}. */
export interface PlayerOptions {
  /** logind's record of the first seat. Default "/run/systemd/seats/seat0". */
  seatFile?: string;
  /** Our own uid. Default `Deno.uid()`. */
  selfUid?: number;
}

/**
 * The player's uid: the user who ran sudo (SUDO_UID); else the user active on the first seat, as
 * logind records it (`ACTIVE_UID=` in /run/systemd/seats/seat0: the case of a systemd service); else
 * our own uid.
 *
 * @example
 * ```ts
 * const uids = new Set([playerUid(Deno.env)]);
 * detectGame("/proc", { uids });
 * ```
 */
export function playerUid(env: EnvSource = Deno.env, options: PlayerOptions = {}): number {
  const sudo = env.get("SUDO_UID");
  if (sudo !== undefined && /^\d{1,10}$/.test(sudo)) return Number(sudo);
  const seat = readBounded(options.seatFile ?? "/run/systemd/seats/seat0", 4096);
  const active = seat === null ? undefined : /^ACTIVE_UID=(\d{1,10})$/m.exec(seat)?.[1];
  if (active !== undefined) return Number(active);
  if (options.selfUid !== undefined) return options.selfUid;
  try {
    return Deno.uid() ?? 0;
  } catch {
    return 0;
  }
}
