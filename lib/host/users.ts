/**
 * Who is who on this host: a group's id by name (`--socket-group`), the owner of a process (an
 * announced game must belong to the player), and the player: the user who ran sudo, or the users
 * logged in at a seat (a local display), as systemd-logind records them. Only the player's programs
 * may become "the game" (and get the game's boosted deadlines and its name written into samples): another
 * local user must not steer the scheduler by naming a process `*.exe` or setting `SteamAppId`.
 *
 * Every reader takes its root as a parameter so tests pass fake trees; nothing here caches.
 *
 * @module
 */

import { join } from "node:path";

/** Where the account files and logind's state are (tests point these at fake trees). */
export interface HostRoots {
  /** Default "/etc". */
  etc?: string;
  /** Default "/run". */
  run?: string;
  /** Default "/proc". */
  proc?: string;
}

function readText(path: string, maxBytes = 1 << 20): string | null {
  try {
    const text = Deno.readTextFileSync(path);
    return text.length > maxBytes ? text.slice(0, maxBytes) : text;
  } catch {
    return null;
  }
}

/**
 * A group's id: a number is taken as it is, a name is looked up in `/etc/group`; null when there is
 * no such group. Groups only a directory service knows (LDAP, sssd) are not found: give their number.
 *
 * @example
 * ```ts
 * groupId("nogroup"); // 65534 on Debian
 * groupId("1000"); // 1000
 * ```
 */
export function groupId(name: string, roots: HostRoots = {}): number | null {
  if (/^\d{1,10}$/.test(name)) return Number(name);
  const text = readText(join(roots.etc ?? "/etc", "group"));
  for (const line of text?.split("\n") ?? []) {
    const f = line.split(":");
    if (f.length >= 3 && f[0] === name && /^\d{1,10}$/.test(f[2])) return Number(f[2]);
  }
  return null;
}

/** A group's name from `/etc/group`, or null. For messages. */
export function groupName(gid: number, roots: HostRoots = {}): string | null {
  const text = readText(join(roots.etc ?? "/etc", "group"));
  for (const line of text?.split("\n") ?? []) {
    const f = line.split(":");
    if (f.length >= 3 && f[2] === String(gid)) return f[0];
  }
  return null;
}

/**
 * The real uid of a process (`Uid:` in `/proc/PID/status`), or null when it is gone.
 *
 * @example
 * ```ts
 * processUid(Deno.pid); // 0 when run as root
 * ```
 */
export function processUid(pid: number, roots: HostRoots = {}): number | null {
  const text = readText(join(roots.proc ?? "/proc", String(pid), "status"), 64 * 1024);
  const m = text === null ? null : /^Uid:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * The uids of users with a session at a seat (a local display and input devices), from logind's
 * session records (`/run/systemd/sessions/*`: `UID=`, `SEAT=`, `CLASS=`); greeter and remote-only
 * sessions do not count. Empty without logind.
 */
export function seatUids(roots: HostRoots = {}): Set<number> {
  const dir = join(roots.run ?? "/run", "systemd", "sessions");
  const uids = new Set<number>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return uids;
  }
  for (const e of entries) {
    // Session files are plain KEY=VALUE; ".ref" FIFOs and temp files sit beside them.
    if (!e.isFile || e.name.includes(".")) continue;
    const text = readText(join(dir, e.name), 64 * 1024);
    if (text === null) continue;
    const field = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(text)?.[1] ?? "";
    const uid = field("UID");
    if (!/^\d{1,10}$/.test(uid) || field("SEAT") === "" || field("CLASS") === "greeter") continue;
    uids.add(Number(uid));
  }
  return uids;
}

/** Where {@link playerUids} reads SUDO_UID from: `Deno.env` or a test's map. */
export interface EnvReader {
  get(key: string): string | undefined;
}

/** Options of {@link playerUids}. */
export interface PlayerOptions extends HostRoots {
  /** Our own uid, the last resort. Default `Deno.uid()`. */
  selfUid?: number;
}

/**
 * The player: the user who ran sudo (SUDO_UID) when there is one; else the users at a seat (logind's
 * sessions, and the seat's active user); else, with no seat at all (a headless box, a VM), our own
 * uid. These are whose processes may be the game, detected or announced.
 *
 * @example
 * ```ts
 * detectGame("/proc", { uids: playerUids() });
 * ```
 */
export function playerUids(env: EnvReader = Deno.env, options: PlayerOptions = {}): Set<number> {
  const sudo = env.get("SUDO_UID");
  if (sudo !== undefined && /^\d{1,10}$/.test(sudo)) return new Set([Number(sudo)]);
  const uids = seatUids(options);
  const seat = readText(join(options.run ?? "/run", "systemd", "seats", "seat0"), 4096);
  const active = seat === null ? undefined : /^ACTIVE_UID=(\d{1,10})$/m.exec(seat)?.[1];
  if (active !== undefined) uids.add(Number(active));
  if (uids.size > 0) return uids;
  try {
    return new Set([options.selfUid ?? Deno.uid() ?? 0]);
  } catch {
    return new Set([0]);
  }
}
