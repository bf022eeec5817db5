/**
 * The game inside a process tree the user announced (`scx_gamer-run %command%` tells the scheduler
 * "this process and its descendants are the game"). Within the tree the busiest process that could be
 * a game wins: a Wine `.exe` or Steam-marked one first (the same signals as {@link chooseGame}), else
 * any process that is not launcher, Wine or Steam machinery, a shell or this scheduler. A tree whose
 * processes are all machinery (the launcher before it has started the game) has no game yet.
 *
 * Membership follows parent links, and is remembered: when a process in the middle of the tree exits,
 * its children are re-parented (to init or a subreaper) but stay members because they were seen as
 * members before. The tree has exited when none of its members is left.
 *
 * Pure functions of already-read processes; `/proc` is read by the caller.
 *
 * @module
 */

import type { ProcInfo } from "../host/proc.ts";
import type { GameInfo } from "../types.ts";
import {
  chooseGame,
  CLOCK_TICKS_PER_SEC,
  type CpuSnapshot,
  type Detection,
  gameNameOf,
  steamAppId,
} from "./game_detect.ts";

/**
 * The members of the tree now: the known members still alive, and every descendant of one.
 *
 * @example
 * ```ts
 * treeMembers([{ pid: 10, ppid: 1 }, { pid: 11, ppid: 10 }, { pid: 12, ppid: 11 }, { pid: 20, ppid: 1 }], new Set([10]));
 * // Set {10, 11, 12}
 * ```
 */
export function treeMembers(
  processes: readonly Pick<ProcInfo, "pid" | "ppid">[],
  known: ReadonlySet<number>,
): Set<number> {
  const alive = new Set(processes.map((p) => p.pid));
  const members = new Set([...known].filter((pid) => alive.has(pid)));
  const children = new Map<number, number[]>();
  for (const p of processes) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const stack = [...members];
  while (stack.length > 0) {
    for (const child of children.get(stack.pop()!) ?? []) {
      if (!members.has(child)) {
        members.add(child);
        stack.push(child);
      }
    }
  }
  return members;
}

/** Options of {@link chooseInTree}. */
export interface TreeOptions {
  /** The snapshot the previous detection returned (CPU use is measured against it). */
  previous?: CpuSnapshot | null;
  /** Now, monotonic seconds. Default performance.now() / 1000. */
  nowS?: number;
}

/**
 * Choose the game among the members of an announced tree. The snapshot covers every process given
 * (not only the tree's), so the next full scan measures everyone's CPU use against it.
 */
export function chooseInTree(
  processes: readonly ProcInfo[],
  members: ReadonlySet<number>,
  options: TreeOptions = {},
): Detection {
  const nowS = options.nowS ?? performance.now() / 1000;
  const previous = options.previous ?? null;
  const ticks = new Map<number, number>();
  for (const p of processes) if (p.cpuTicks !== null) ticks.set(p.pid, p.cpuTicks);
  const snapshot: CpuSnapshot = { at_s: nowS, ticks };
  const tree = processes.filter((p) => members.has(p.pid));

  const signalled = chooseGame(tree, { previous, nowS }).game;
  if (signalled !== null) return { game: { ...signalled, source: "announced" }, snapshot };

  const elapsedS = previous === null ? 0 : nowS - previous.at_s;
  const delta = (p: ProcInfo): number => {
    const now = p.cpuTicks ?? 0;
    const before = previous?.ticks.get(p.pid);
    return before === undefined || before > now ? now : now - before;
  };
  let best: { proc: ProcInfo; name: string } | null = null;
  for (const proc of tree) {
    const name = gameNameOf(proc);
    if (name === null) continue;
    if (
      best === null || delta(proc) > delta(best.proc) ||
      (delta(proc) === delta(best.proc) && proc.pid < best.proc.pid)
    ) {
      best = { proc, name };
    }
  }
  if (best === null) return { game: null, snapshot };
  const game: GameInfo = {
    name: best.name,
    tgid: best.proc.pid,
    app_id: steamAppId(best.proc),
    source: "announced",
    thread_count: best.proc.threadCount,
    cpu_pct: previous !== null && elapsedS > 0
      ? (delta(best.proc) / CLOCK_TICKS_PER_SEC / elapsedS) * 100
      : 0,
  };
  return { game, snapshot };
}
