/**
 * Keeping the scheduler told which process is the game and what each of its threads does. It runs in
 * every run mode (the policy needs the game's threads to stay interactive whether or not samples are
 * collected): find the game, classify its threads by name, refine unknown ones by what the scheduler
 * saw them do, and hand both to the scheduler, with the thread whose wake-ups time the frames
 * (lib/collect/pacing_thread.ts). The scheduler is told only what changed: a new class map makes every
 * task re-read its class.
 *
 * A full `/proc` scan costs a few milliseconds on a desktop and 0.1-0.5 s of CPU under emulation,
 * so it is rare: while the game lives only its own threads are re-read, and only when their list
 * changed or every {@link CLASSIFY_MAX_AGE_MS}. When the caller reports new
 * programs ({@link GameWatch.noteExec}, from the scheduler's exec events), a scan waits for one that
 * could be the game (read on its own: a few files) and otherwise runs only every `rescanMs`; with no game
 * running, the game is chosen among those new programs alone (no scan found a candidate before them).
 *
 * A process tree can be announced as the game ({@link GameWatch.announce}, from `scx_gamer-run`):
 * while any process of that tree lives, the game is chosen inside it (lib/collect/game_tree.ts) and
 * the scan is not consulted; once the tree has exited, detection falls back to the scan.
 *
 * It knows no BPF and no files: the scheduler comes in as a small port, `/proc` as a root path.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import type { GameInfo, ThreadClass, ThreadCounts } from "../types.ts";
import { readProcesses, threadIds } from "../host/proc.ts";
import { playerUids } from "../host/users.ts";
import {
  type CpuSnapshot,
  detectAmong,
  detectGame,
  type Detection,
  lookAtProgram,
  renderNodeMatters,
} from "./game_detect.ts";
import { chooseInTree, treeMembers } from "./game_tree.ts";
import { choosePacingThread, type PacingCandidate } from "./pacing_thread.ts";
import { classifyThreads, refineByBehaviour } from "./thread_classes.ts";

/** Most new programs looked at in one update (each costs a few file reads). */
const EXEC_LOOKS_MAX = 16;
/** How long the player's uids are reused, ms (reading them costs more than looking at a program). */
const UIDS_MAX_AGE_MS = 10_000;
/**
 * Most time between two classifications of the game's threads while its thread list stays the same, ms.
 * Reading every thread's name and the scheduler's behaviour map cost 10-60 ms of CPU per update under
 * emulation, taken from the game it watches; a new or vanished thread still triggers one at once.
 */
const CLASSIFY_MAX_AGE_MS = 10_000;
/**
 * While a game runs, a new program is looked at only once it has lived this long, ms. A look costs ~0.25 ms
 * of CPU natively and 20-30 times that under emulation, and what starts while a game plays is mostly short
 * (a status bar's scripts, a shell's commands): gone by then, it costs one failed open. A game that starts
 * beside a running one is found this much later; with no game running, new programs are looked at at once.
 */
const SETTLE_WITH_GAME_MS = 4000;

/** What the watch needs of the running scheduler. */
export interface GameSchedulerPort {
  setGame(tgid: number | null): void;
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>): void;
  /** Per game thread: average run per wake-up (ns) and cumulative wake-ups. */
  threadBehaviour(): { tid: number; avgRunNs: number; wakeups: number }[];
  /** The thread whose wake intervals are the frame pacing (null: none). Optional. */
  setPacingThread?(tid: number | null): void;
}

/** How an update looks for the game: every process, or only new programs that may be the game. */
type Look = { kind: "scan" } | { kind: "candidates"; pids: number[] };

/** Options of {@link GameWatch}. */
export interface GameWatchOptions {
  scheduler: GameSchedulerPort;
  /** The `--game` name, or null to detect. */
  forcedGame?: string | null;
  /** Root of procfs (tests pass a fake tree). Default "/proc". */
  procRoot?: string;
  /** Milliseconds between full scans (a safety net: a game may change without an exec). Default 10 000. */
  rescanMs?: number;
  /**
   * Milliseconds between full scans while a game runs. Default `rescanMs`. With new programs reported a
   * scan beside a running game only looks for another game that no exec announced, and costs the game
   * 0.3-0.5 s of CPU under emulation each time (a few ms natively).
   */
  rescanWithGameMs?: number;
  /**
   * Every new program is reported through {@link GameWatch.noteExec}, so with no game an update scans
   * only for a program that may be the game, or when `rescanMs` has passed. Default false: with no game
   * every update scans.
   */
  execReported?: boolean;
  /** Any user's process may be the game, not only the player's (`--all-users`). Default false. */
  allUsers?: boolean;
}

/** What one update found. */
export interface WatchUpdate {
  game: GameInfo | null;
  /** Thread counts per class of the game, or null without a game. */
  counts: ThreadCounts | null;
  /** The game is not the one of the previous update (a new game, or none any more). */
  changed: boolean;
  /** The game of the previous update when it changed. */
  previous: GameInfo | null;
}

/** Detection and classification, one {@link update} at a time. */
export class GameWatch {
  readonly #scheduler: GameSchedulerPort;
  readonly #forced: string | null;
  readonly #procRoot: string;
  readonly #rescanMs: number;
  readonly #rescanWithGameMs: number;
  readonly #allUsers: boolean;
  readonly #execReported: boolean;
  /** Processes that executed a new program since the last update, oldest first. */
  #execs = new Set<number>();
  /** The game's own process executed a new program since the last update: it is looked at again. */
  #gameExeced = false;
  /** Wine loaders of the last update not yet named: looked at once more (Wine names itself a moment after exec). */
  #execsAgain: number[] = [];
  /** New programs held back while a game runs, with the update that first saw them (ms), oldest first. */
  #execsLater = new Map<number, number>();
  /** The player's uids, read at most every {@link UIDS_MAX_AGE_MS} (logind's files, SUDO_UID). */
  #uids: { set: ReadonlySet<number>; at: number } | null = null;
  #cpu: CpuSnapshot | null = null;
  #game: GameInfo | null = null;
  #counts: ThreadCounts | null = null;
  #wakeups = new Map<number, number>();
  /** What the scheduler was last told: the class map and the pacing thread. */
  #toldClasses: ReadonlyMap<number, ThreadClass> = new Map();
  #toldPacing: number | null = null;
  #lastScanMs = -Infinity;
  /** When the game's threads were last classified, and their ids then. */
  #classified: { at: number; tids: string } | null = null;
  /** The announced tree: its root pid and every member seen so far, or null. */
  #announced: { root: number; members: Set<number> } | null = null;

  constructor(options: GameWatchOptions) {
    this.#scheduler = options.scheduler;
    this.#forced = options.forcedGame ?? null;
    this.#procRoot = options.procRoot ?? "/proc";
    this.#rescanMs = options.rescanMs ?? 10_000;
    this.#rescanWithGameMs = options.rescanWithGameMs ?? this.#rescanMs;
    this.#allUsers = options.allUsers ?? false;
    this.#execReported = options.execReported ?? false;
  }

  /** The game of the last update, or null. */
  get game(): GameInfo | null {
    return this.#game;
  }

  /**
   * No game, and new programs of the last update are waiting for their second look (a Wine loader names
   * itself a moment after its exec): the caller may bring the next update forward.
   */
  get lookAgainPending(): boolean {
    return this.#game === null && this.#execsAgain.length > 0;
  }

  /** Thread counts per class of the last update's game, or null. */
  get counts(): ThreadCounts | null {
    return this.#counts;
  }

  /** The root pid of the announced process tree while it lives, else null. */
  get announced(): number | null {
    return this.#announced?.root ?? null;
  }

  /**
   * Take the process tree rooted at `pid` as the game from the next {@link update} on, until every
   * process of it has exited. A later announcement replaces an earlier one. The caller has checked
   * that the process may be announced (its owner); this only records it.
   */
  announce(pid: number): void {
    this.#announced = { root: pid, members: new Set([pid]) };
    this.#lastScanMs = -Infinity;
  }

  /**
   * A process executed a new program (it may be the game): looked at by the next {@link update}. In a
   * storm of programs (a build, a fork loop) only the newest are kept; the rescan covers the rest.
   */
  noteExec(tgid: number): void {
    // The game became another program (a launcher that execs the game, a Wine loader): judged afresh.
    if (tgid === this.#game?.tgid) {
      this.#gameExeced = true;
      return;
    }
    this.#execs.delete(tgid);
    this.#execs.add(tgid);
    if (this.#execs.size > EXEC_LOOKS_MAX) this.#execs.delete(this.#execs.values().next().value!);
  }

  /**
   * A process ended: no look at it, and no room taken from the living. A game's launch (a Steam runtime's
   * helpers, a shell loop beside it) runs many short programs; counted while gone, they pushed the game's
   * own exec out of the newest {@link EXEC_LOOKS_MAX} and left it to the next rescan, up to 30 s later.
   */
  noteExit(tgid: number): void {
    this.#execs.delete(tgid);
    this.#execsLater.delete(tgid);
    this.#execsAgain = this.#execsAgain.filter((pid) => pid !== tgid);
  }

  /**
   * Whether this update looks for the game, and how: a full scan (the game vanished, the safety net is due,
   * or a candidate appeared beside a running game), only the new programs that may be the game (no game
   * runs), or not at all (null).
   */
  #lookDue(nowMs: number, alive: boolean): Look | null {
    const due = this.#settled(nowMs, this.#game !== null && alive);
    // The game itself is no news (its own exec, looked at again, would scan for nothing).
    const execs = [...new Set([...this.#execsAgain, ...due])].filter((pid) => pid !== this.#game?.tgid);
    // Before a scan every new program keeps its second look; only the look below narrows it down.
    this.#execsAgain = due;
    const scan: Look = { kind: "scan" };
    if (this.#game !== null && !alive) return scan;
    if (this.#gameExeced) {
      this.#gameExeced = false;
      return scan;
    }
    const rescanMs = this.#game !== null ? this.#rescanWithGameMs : this.#rescanMs;
    if (nowMs - this.#lastScanMs >= rescanMs) return scan;
    if (this.#game === null && !this.#execReported) return scan;
    // A launch inside the announced tree has no name to judge it by yet: any new program may be the game.
    if (this.#announced !== null && this.#game === null && execs.length > 0) return scan;
    if (execs.length === 0) return null;
    const options = { forcedName: this.#forced, allUsers: this.#allUsers, uids: this.#playerUids(nowMs) };
    // Only a Wine loader still to name itself is worth a second look; any other program is judged once.
    this.#execsAgain = [];
    const candidates: number[] = [];
    for (const pid of execs) {
      const look = lookAtProgram(this.#procRoot, pid, options);
      // Beside a running game a candidate is weighed against it, and the CPU use of all: a full scan.
      if (look === "candidate" && this.#game !== null) return scan;
      if (look === "candidate") candidates.push(pid);
      if (look === "again" && due.includes(pid)) this.#execsAgain.push(pid);
    }
    return candidates.length > 0 ? { kind: "candidates", pids: candidates } : null;
  }

  /**
   * The new programs to look at now: all of them with no game running; while one runs, those first seen
   * {@link SETTLE_WITH_GAME_MS} ago or more (the rest wait, the newest {@link EXEC_LOOKS_MAX} kept).
   */
  #settled(nowMs: number, gameRunning: boolean): number[] {
    const fresh = [...this.#execs];
    this.#execs.clear();
    if (!gameRunning) {
      const all = [...new Set([...this.#execsLater.keys(), ...fresh])];
      this.#execsLater.clear();
      return all;
    }
    for (const pid of fresh) if (!this.#execsLater.has(pid)) this.#execsLater.set(pid, nowMs);
    for (const pid of this.#execsLater.keys()) {
      if (this.#execsLater.size <= EXEC_LOOKS_MAX) break;
      this.#execsLater.delete(pid);
    }
    const due: number[] = [];
    for (const [pid, seenMs] of this.#execsLater) {
      if (nowMs - seenMs < SETTLE_WITH_GAME_MS) continue;
      this.#execsLater.delete(pid);
      due.push(pid);
    }
    return due;
  }

  /** The player's uids (null with allUsers), read again when older than {@link UIDS_MAX_AGE_MS}. */
  #playerUids(nowMs: number): ReadonlySet<number> | undefined {
    if (this.#allUsers) return undefined;
    if (this.#uids === null || nowMs - this.#uids.at >= UIDS_MAX_AGE_MS) {
      this.#uids = { set: playerUids(), at: nowMs };
    }
    return this.#uids.set;
  }

  /**
   * One look for the game: among the new programs that may be it, or a full one (inside the announced tree
   * while it lives, else the scan).
   */
  #detect(look: Look, nowMs: number): Detection {
    const options = { forcedName: this.#forced, previous: this.#cpu, allUsers: this.#allUsers };
    if (look.kind === "candidates") {
      return detectAmong(this.#procRoot, look.pids, { ...options, uids: this.#playerUids(nowMs) });
    }
    if (this.#announced !== null) {
      const processes = readProcesses(this.#procRoot, { checkRenderNode: renderNodeMatters });
      const members = treeMembers(processes, this.#announced.members);
      if (members.size > 0) {
        this.#announced.members = members;
        return chooseInTree(processes, members, { previous: this.#cpu });
      }
      this.#announced = null; // the announced game has exited: back to scanning
    }
    return detectGame(this.#procRoot, options);
  }

  /**
   * Look at `pid` (our own process) as at a new program and classify its threads once, keeping nothing and
   * telling the scheduler nothing, so that this code is compiled before a game starts. The first look at a
   * game otherwise pays for it in the game's first seconds: under emulation that look took 170-220 ms of
   * the loader's CPU, 125-150 ms after a warm-up, and the render thread's wake-up p99 fell with it
   * (docs/benchmarks.md). What it finds is thrown away, and so is an error (a process gone, a fake /proc).
   */
  warmUp(pid: number): void {
    try {
      this.#scheduler.threadBehaviour();
      lookAtProgram(this.#procRoot, pid, { allUsers: true });
      detectAmong(this.#procRoot, [pid], { allUsers: true });
      classifyThreads(this.#procRoot, pid);
    } catch {
      // Only a warm-up: the real look reports its own errors.
    }
  }

  /** Find the game (rescanning when due or when it is gone), classify its threads, tell the scheduler. */
  update(nowMs: number): WatchUpdate {
    const previous = this.#game;
    let game = previous;
    const alive = game !== null && existsSync(join(this.#procRoot, String(game.tgid), "task"));
    const look = this.#lookDue(nowMs, alive);
    if (look !== null) {
      const detection = this.#detect(look, nowMs);
      this.#cpu = detection.snapshot;
      if (look.kind === "scan") this.#lastScanMs = nowMs;
      game = detection.game;
    }
    // The same process under another name is another game to the store and the profiles.
    const changed = (game?.tgid ?? null) !== (previous?.tgid ?? null) || game?.name !== previous?.name;
    if (changed) {
      this.#wakeups.clear();
      this.#classified = null;
      this.#scheduler.setGame(game?.tgid ?? null);
    }
    this.#game = game;
    if (game) {
      this.#classifyWhenDue(game.tgid, nowMs);
    } else {
      this.#counts = null;
      this.#tell(new Map(), null);
    }
    return { game, counts: this.#counts, changed, previous: changed ? previous : null };
  }

  /** Classify the game's threads when they are new, their list changed, or the last look is old; else keep the counts. */
  #classifyWhenDue(tgid: number, nowMs: number): void {
    const tids = threadIds(this.#procRoot, tgid).join(",");
    const last = this.#classified;
    if (last !== null && last.tids === tids && nowMs - last.at < CLASSIFY_MAX_AGE_MS) return;
    this.#counts = this.#classify(tgid, last === null ? 0 : (nowMs - last.at) / 1000);
    this.#classified = { at: nowMs, tids };
  }

  /**
   * Classify the game's threads, refined by behaviour over the `elapsedS` seconds since the last
   * classification, and hand the classes and the pacing thread to the scheduler.
   */
  #classify(tgid: number, elapsedS: number): ThreadCounts {
    const behaviour = new Map(this.#scheduler.threadBehaviour().map((b) => [b.tid, b]));
    const { threads, counts } = classifyThreads(this.#procRoot, tgid);
    const classes = new Map<number, ThreadClass>();
    const candidates: PacingCandidate[] = [];
    for (const t of threads) {
      let cls = t.cls;
      const b = behaviour.get(t.tid);
      if (b) {
        const prev = this.#wakeups.get(t.tid);
        this.#wakeups.set(t.tid, b.wakeups);
        if (prev !== undefined && elapsedS > 0) {
          const wakeupsPerSec = Math.max(0, b.wakeups - prev) / elapsedS;
          cls = refineByBehaviour(cls, { avgRunNs: b.avgRunNs, wakeupsPerSec });
        }
      }
      if (cls !== t.cls) {
        counts[t.cls]--;
        counts[cls]++;
      }
      // "other" threads of the game are left out: the scheduler treats them as game threads.
      if (cls !== "other") classes.set(t.tid, cls);
      candidates.push({ tid: t.tid, comm: t.comm, nameClass: t.cls, cls, wakeups: b?.wakeups ?? 0 });
    }
    this.#tell(classes, choosePacingThread(candidates, tgid));
    return counts;
  }

  /** Tell the scheduler the classes and the pacing thread, each only when it changed. */
  #tell(classes: ReadonlyMap<number, ThreadClass>, pacing: number | null): void {
    if (!sameClasses(classes, this.#toldClasses)) {
      this.#scheduler.setThreadClasses(classes);
      this.#toldClasses = classes;
    }
    if (pacing !== this.#toldPacing && this.#scheduler.setPacingThread) {
      this.#scheduler.setPacingThread(pacing);
      this.#toldPacing = pacing;
    }
  }
}

/** The same threads with the same classes. */
function sameClasses(a: ReadonlyMap<number, ThreadClass>, b: ReadonlyMap<number, ThreadClass>): boolean {
  if (a.size !== b.size) return false;
  for (const [tid, cls] of a) if (b.get(tid) !== cls) return false;
  return true;
}
