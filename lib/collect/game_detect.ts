/**
 * Finding the running game in a `/proc` tree.
 *
 * A process is a candidate when one of three signals marks it, strongest first:
 * 1. Wine/Proton: its argv0 basename or comm ends in ".exe" (case-insensitive) and it is not part of
 *    Wine's or a launcher's own machinery (wineserver, explorer.exe, services.exe, ...). Its exe link
 *    points at wine(64)-preloader, so the name comes from argv0 (a Windows path) or comm.
 * 2. Steam: its environment carries a Steam app id (`SteamAppId`, `STEAM_COMPAT_APP_ID`,
 *    `SteamGameId`; digits only, not "0"). Every child of a launched game inherits it, so the CPU
 *    ranking below picks the game out of its wrappers.
 * 3. Render node: it holds an open `/dev/dri/renderD*` fd. Desktop programs do that too, so
 *    compositors, browsers, terminals, chat clients and this scheduler are excluded by name, and
 *    this signal only counts when no Wine or Steam candidate exists.
 *
 * Among the candidates of the strongest signal present, the one using the most CPU wins. CPU use needs
 * two readings: the caller keeps the {@link CpuSnapshot} of the previous call and passes it back, so
 * detection is a pure function of what it read plus that state. Without a previous snapshot (the first
 * call) candidates rank by their total CPU time since start, and `cpu_pct` is reported as 0.
 *
 * Only processes of the player are candidates (forced ones included): the user who ran sudo, else the
 * seat's active user, else our own (`lib/host/users.ts`). Other users' processes are left out before
 * their command line or environment is read. `allUsers` (suggested flag: `--all-users`) widens it to
 * every user's processes, as before. A name longer than {@link MAX_GAME_NAME} characters (argv0 is the
 * process's to choose, up to its whole 16 KiB) is cut and marked with a hash of the whole.
 *
 * `forcedName` (the `--game` flag) picks the process whose name matches it (case-insensitive, with or
 * without ".exe", and a comm cut to 15 bytes matches a longer forced name it begins). If no process
 * matches, the busiest candidate is still returned under the forced name; if there is no candidate at
 * all, there is no game (null). A forced game always has source "forced"; its name is the process's own
 * game name when that is the same game (same {@link gameKey}), else the forced name without ".exe", so
 * one game is filed under one name whether or not it was forced.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { baseName, type ProcInfo, readProcess, readProcesses } from "../host/proc.ts";
import { playerUids } from "../host/users.ts";
import { sameGame } from "../game_key.ts";
import type { GameInfo } from "../types.ts";

/**
 * Clock ticks per second of the utime/stime fields in `/proc/PID/stat`. Linux fixes USER_HZ at 100
 * for this ABI on every architecture we run on, whatever the kernel's internal HZ is.
 */
export const CLOCK_TICKS_PER_SEC = 100;

/** CPU time of every process at one moment: the state detection carries from one call to the next. */
export interface CpuSnapshot {
  /** When it was read, in seconds on a monotonic clock. */
  at_s: number;
  /** pid -> utime + stime in clock ticks. */
  ticks: ReadonlyMap<number, number>;
}

/** What one detection found, and the snapshot to pass to the next call. */
export interface Detection {
  game: GameInfo | null;
  snapshot: CpuSnapshot;
}

/** Options of {@link detectGame} and {@link chooseGame}. */
export interface DetectOptions {
  /** The `--game` name: forces detection (see the module doc). */
  forcedName?: string | null;
  /** The snapshot the previous call returned; without it CPU use cannot be measured yet. */
  previous?: CpuSnapshot | null;
  /** The time of this reading in monotonic seconds. Default: `performance.now() / 1000`. */
  nowS?: number;
  /** Real uids whose processes may be the game. Default: the player's ({@link playerUids}). */
  uids?: ReadonlySet<number>;
  /** Every user's processes may be the game (suggested flag `--all-users`). Default false. */
  allUsers?: boolean;
}

/** Longest game name kept, in characters (samples carry it twice, file names are cut at 80 bytes). */
export const MAX_GAME_NAME = 128;

/**
 * A name cut to {@link MAX_GAME_NAME} characters: the first ones, "~" and 10 hex digits of the whole
 * name's SHA-256, so two long names that start alike stay apart.
 */
export function capName(name: string): string {
  const chars = [...name];
  if (chars.length <= MAX_GAME_NAME) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 10);
  return chars.slice(0, MAX_GAME_NAME - 11).join("") + "~" + hash;
}

/** This scheduler's own process: never the game, not even when forced. */
const SELF = /^(scx_gamer|deno)$/;

/**
 * Names (lower case, ".exe" removed) of processes that are never the game, with why. Matched against
 * a process's comm, exe basename and game name; a pattern is anchored at both ends.
 */
export const NOT_GAMES: readonly { pattern: RegExp; why: string }[] = [
  { pattern: SELF, why: "this scheduler itself" },
  {
    pattern:
      /^(wine|wine64|wineserver|wine-preloader|wine64-preloader|wineboot|winecfg|winedevice|winemenubuilder|explorer|services|plugplay|svchost|rpcss|tabtip|conhost|start|rundll32|cmd|regedit|mscorsvw|ngen|iexplore)$/,
    why: "Wine's own processes",
  },
  {
    pattern:
      /^(steam|steam\.sh|steamwebhelper|steamerrorreporter|steamservice|steam-runtime-.*|steam-launch-wrapper|gameoverlayui|reaper|pressure-vessel.*|srt-bwrap|bwrap|fossilize_replay|proton|umu-run)$/,
    why: "Steam and Proton machinery (fossilize_replay compiles shaders at full CPU)",
  },
  {
    pattern:
      /^(epicgameslauncher|eadesktop|easteamproxy|origin|ubisoftconnect|upc|uplaywebcore|galaxyclient|galaxyclient helper|battle\.net|agent|rockstarlauncher|launcherpatcher|socialclubhelper|easyanticheat.*|beservice|unitycrashhandler(32|64)|crashreportclient|crashpad_handler|lutris|heroic|bottles)$/,
    why: "launchers, anti-cheat services and crash handlers",
  },
  {
    pattern:
      /^(gamescope.*|kwin.*|mutter|gnome-shell|sway|hyprland|weston|xorg|x|xwayland|wayfire|labwc|river|niri|cosmic-comp|plasmashell|picom|compiz|xfwm4|marco|muffin|cinnamon|budgie-wm|xdg-desktop-portal.*)$/,
    why: "compositors and the desktop shell",
  },
  {
    pattern:
      /^(firefox.*|web content|isolated web co|gpu process|rdd process|socket process|privileged cont|webextensions|chrome|chromium.*|google-chrome.*|brave.*|vivaldi.*|opera|msedge|electron|code|discord|slack|spotify|obs|mpv|vlc)$/,
    why: "browsers, Electron apps and media players",
  },
  {
    pattern: /^(sh|bash|dash|zsh|fish|kitty|alacritty|wezterm.*|foot|konsole|gnome-terminal.*|xterm|tmux.*)$/,
    why: "shells and terminals (GPU-rendered terminals hold render nodes)",
  },
];

/** Wine candidates: a name ending in ".exe". */
const EXE_SUFFIX = /\.exe$/i;

/** The kernel cuts comm to 15 bytes. */
const COMM_MAX = 15;

type Signal = "wine" | "steam" | "render_node";

interface Candidate {
  proc: ProcInfo;
  name: string;
  signal: Signal;
  appId: string | null;
}

function stripExe(name: string): string {
  return name.replace(EXE_SUFFIX, "");
}

function isNotGame(name: string): boolean {
  const key = stripExe(name).toLowerCase();
  return NOT_GAMES.some((rule) => rule.pattern.test(key));
}

/** The Steam app id a process carries, or null. Only digits count: the environment is another user's data. */
export function steamAppId(proc: Pick<ProcInfo, "env">): string | null {
  for (const value of [proc.env.SteamAppId, proc.env.STEAM_COMPAT_APP_ID, proc.env.SteamGameId]) {
    if (value !== undefined && /^\d{1,20}$/.test(value) && !/^0+$/.test(value)) return value;
  }
  return null;
}

/** The Windows program name of a Wine process ("game.exe" from argv0 or comm), or null for a native one. */
function wineExeName(proc: Pick<ProcInfo, "cmdline" | "comm">): string | null {
  const argv0 = baseName(proc.cmdline[0] ?? "");
  if (EXE_SUFFIX.test(argv0)) return argv0;
  if (EXE_SUFFIX.test(proc.comm)) return proc.comm;
  return null;
}

/** The display name of a native process: its exe basename, else argv0's, else comm. */
function nativeName(proc: Pick<ProcInfo, "cmdline" | "comm" | "exe">): string {
  if (proc.exe) return proc.exe;
  const argv0 = baseName(proc.cmdline[0] ?? "");
  return argv0 !== "" ? argv0 : proc.comm;
}

/** Classify one process as a candidate, or null when no signal marks it or it is excluded. */
function candidateOf(proc: ProcInfo): Candidate | null {
  const appId = steamAppId(proc);
  const exeName = wineExeName(proc);
  if (exeName !== null) {
    const name = stripExe(exeName);
    // A Wine process's exe link is the preloader, so only its Windows name decides exclusion.
    if (name === "" || isNotGame(exeName) || isNotGame(proc.comm)) return null;
    return { proc, name, signal: "wine", appId };
  }
  const name = nativeName(proc);
  if (name === "" || isNotGame(name) || isNotGame(proc.comm) || (proc.exe !== null && isNotGame(proc.exe))) {
    return null;
  }
  if (appId !== null) return { proc, name, signal: "steam", appId };
  if (proc.hasRenderNode === true) return { proc, name, signal: "render_node", appId };
  return null;
}

/** Every name a process answers to, lower case, ".exe" removed: for matching `--game`. */
function namesOf(proc: ProcInfo): string[] {
  const names = [proc.comm, baseName(proc.cmdline[0] ?? ""), proc.exe ?? "", wineExeName(proc) ?? ""];
  return names.filter((n) => n !== "").map((n) => stripExe(n).toLowerCase());
}

function matchesForced(proc: ProcInfo, forced: string): boolean {
  const want = stripExe(forced).toLowerCase();
  if (want === "") return false;
  if (namesOf(proc).includes(want)) return true;
  // comm is cut to 15 bytes: "Cyberpunk2077.e" still names the forced "Cyberpunk2077".
  const comm = proc.comm.toLowerCase();
  return comm.length === COMM_MAX && want.startsWith(stripExe(comm));
}

/**
 * The name a forced game is filed under: the process's own game name when it is the same game as the
 * forced one (so `--game Game.exe` and detection share one file), else the forced name without ".exe".
 */
function forcedGameName(proc: ProcInfo, forced: string): string {
  const exeName = wineExeName(proc);
  const own = exeName !== null ? stripExe(exeName) : nativeName(proc);
  return sameGame(own, forced) ? own : stripExe(forced.trim());
}

function deltaTicks(proc: ProcInfo, previous: CpuSnapshot | null): number {
  const now = proc.cpuTicks ?? 0;
  if (previous === null) return now;
  const before = previous.ticks.get(proc.pid);
  // Not seen before (new process) or a reused pid (ticks went down): all its time is new.
  if (before === undefined || before > now) return now;
  return now - before;
}

const SIGNAL_STRENGTH: Record<Signal, number> = { wine: 2, steam: 2, render_node: 1 };

/**
 * Choose the game among already-read processes: the pure half of {@link detectGame}.
 *
 * @example
 * ```ts
 * const first = chooseGame(readProcesses("/proc"), { nowS: 0 });
 * const second = chooseGame(readProcesses("/proc"), { nowS: 5, previous: first.snapshot });
 * second.game?.cpu_pct; // CPU use over those 5 s
 * ```
 */
export function chooseGame(all: readonly ProcInfo[], options: DetectOptions = {}): Detection {
  const uids = allowedUids(options);
  const processes = uids === null ? all : all.filter((p) => p.uid !== null && uids.has(p.uid));
  const nowS = options.nowS ?? performance.now() / 1000;
  const previous = options.previous ?? null;
  const ticks = new Map<number, number>();
  for (const p of processes) if (p.cpuTicks !== null) ticks.set(p.pid, p.cpuTicks);
  const snapshot: CpuSnapshot = { at_s: nowS, ticks };

  const elapsedS = previous === null ? 0 : nowS - previous.at_s;
  const measured = previous !== null && elapsedS > 0;
  const cpuPct = (p: ProcInfo) =>
    measured ? (deltaTicks(p, previous) / CLOCK_TICKS_PER_SEC / elapsedS) * 100 : 0;
  // Ties break towards the lower pid, so the result never depends on listing order.
  const busiest = <T>(items: T[], procOf: (t: T) => ProcInfo): T | undefined =>
    items.reduce<T | undefined>((best, item) => {
      if (best === undefined) return item;
      const a = deltaTicks(procOf(item), measured ? previous : null);
      const b = deltaTicks(procOf(best), measured ? previous : null);
      if (a !== b) return a > b ? item : best;
      return procOf(item).pid < procOf(best).pid ? item : best;
    }, undefined);

  const candidates = processes.map(candidateOf).filter((c): c is Candidate => c !== null);
  const strongest = Math.max(0, ...candidates.map((c) => SIGNAL_STRENGTH[c.signal]));
  const best = busiest(candidates.filter((c) => SIGNAL_STRENGTH[c.signal] === strongest), (c) => c.proc);

  const info = (
    proc: ProcInfo,
    name: string,
    source: GameInfo["source"],
    appId: string | null,
  ): GameInfo => ({
    name: capName(name),
    tgid: proc.pid,
    app_id: appId,
    source,
    thread_count: proc.threadCount,
    cpu_pct: cpuPct(proc),
  });

  const forced = options.forcedName ?? null;
  if (forced !== null && forced !== "") {
    // The user named it, so only this scheduler itself is off limits.
    const matching = processes.filter((p) => matchesForced(p, forced) && !SELF.test(p.comm.toLowerCase()));
    const chosen = busiest(matching, (p) => p) ?? best?.proc;
    const game = chosen === undefined
      ? null
      : info(chosen, forcedGameName(chosen, forced), "forced", steamAppId(chosen));
    return { game, snapshot };
  }
  const game = best === undefined ? null : info(best.proc, best.name, best.signal, best.appId);
  return { game, snapshot };
}

/**
 * Detect the running game under `procRoot` (e.g. "/proc"). Pass the returned snapshot back as
 * `previous` on the next call so CPU use can be measured.
 *
 * @example
 * ```ts
 * let previous: CpuSnapshot | null = null;
 * const { game, snapshot } = detectGame("/proc", { previous, forcedName: null });
 * previous = snapshot;
 * ```
 */
export function detectGame(procRoot: string, options: DetectOptions = {}): Detection {
  const uids = allowedUids(options);
  return chooseGame(readProcesses(procRoot, { checkRenderNode: renderNodeMatters, uids }), {
    ...options,
    uids: uids ?? undefined,
  });
}

/**
 * {@link detectGame} over the given processes only: when no game runs and new programs that may be the game
 * have appeared, the game is among them (a scan found no candidate before they started), and reading a few
 * processes instead of all of them keeps a game's launch cheap (a full scan costs 0.2-0.3 s of CPU under
 * emulation, taken from the game as it starts). The snapshot covers those processes only.
 */
export function detectAmong(
  procRoot: string,
  pids: readonly number[],
  options: DetectOptions = {},
): Detection {
  const uids = allowedUids(options);
  const read = (pid: number) => readProcess(procRoot, pid, { checkRenderNode: renderNodeMatters, uids });
  const processes = pids.map(read).filter((p) => p !== null);
  return chooseGame(processes, { ...options, uids: uids ?? undefined });
}

/** What one look at a new program found: it may be the game, it is not, or it may be once it has named itself. */
export type ProgramLook = "candidate" | "not" | "again";

/** A Wine loader (wine, wine64, wine64-preloader...): it renames itself to the Windows program a moment after its exec. */
const WINE_LOADER = /^wine/i;

/**
 * One process, read on its own: could it be the game? A candidate of detection or a match of the forced
 * name is "candidate"; a Wine loader that has not named itself yet is "again" (worth a second look);
 * anything else, a process that is gone, another user's (see `allUsers`) or this scheduler is "not".
 * The cheap test on a new program the scheduler reported, which decides whether a full scan is worth it
 * (under emulation one costs 0.1-0.5 s of CPU).
 */
export function lookAtProgram(procRoot: string, pid: number, options: DetectOptions = {}): ProgramLook {
  const proc = readProcess(procRoot, pid, { checkRenderNode: renderNodeMatters, uids: allowedUids(options) });
  if (proc === null || SELF.test(proc.comm.toLowerCase())) return "not";
  const forced = options.forcedName ?? null;
  if (candidateOf(proc) !== null || (forced !== null && forced !== "" && matchesForced(proc, forced))) {
    return "candidate";
  }
  return WINE_LOADER.test(proc.comm) || WINE_LOADER.test(proc.exe ?? "") ? "again" : "not";
}

/** The uids whose processes may be the game, or null for every user's. */
function allowedUids(options: DetectOptions): ReadonlySet<number> | null {
  if (options.allUsers === true) return null;
  return options.uids ?? playerUids();
}

/**
 * Whether a render node could make this process a candidate: not for Wine or Steam processes (already
 * candidates) nor for excluded ones. Skipping the rest keeps a desktop's fd scan short.
 */
export function renderNodeMatters(proc: Omit<ProcInfo, "hasRenderNode" | "threads">): boolean {
  if (wineExeName(proc) !== null || steamAppId(proc) !== null) return false;
  const name = nativeName(proc);
  return name !== "" && !isNotGame(name) && !isNotGame(proc.comm) &&
    !(proc.exe !== null && isNotGame(proc.exe));
}

/**
 * The name detection gives a process (its Windows program name without ".exe" for a Wine process, else
 * its native name), or null when it is never the game: this scheduler, Wine's or Steam's machinery,
 * launchers, compositors, browsers, shells (see {@link NOT_GAMES}). For choosing within a process tree
 * the user announced, where every process is a candidate.
 *
 * @example
 * ```ts
 * gameNameOf({ comm: "game.exe", cmdline: ["Z:\\game.exe"], exe: "wine64-preloader" }); // "game"
 * gameNameOf({ comm: "bash", cmdline: ["bash"], exe: "bash" }); // null
 * ```
 */
export function gameNameOf(proc: Pick<ProcInfo, "cmdline" | "comm" | "exe">): string | null {
  const exeName = wineExeName(proc);
  if (exeName !== null) {
    const name = stripExe(exeName);
    return name === "" || isNotGame(exeName) || isNotGame(proc.comm) ? null : name;
  }
  const name = nativeName(proc);
  if (name === "" || isNotGame(name) || isNotGame(proc.comm) || (proc.exe !== null && isNotGame(proc.exe))) {
    return null;
  }
  return name;
}
