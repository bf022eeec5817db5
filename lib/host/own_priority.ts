/**
 * This process's CPU priority. Once attached, scx_gamer's own work (finding the game, classifying its
 * threads, stats, learning) is never on a frame's path, yet under its own policy a thread that slept
 * for seconds wakes with an early deadline and, before, held a CPU for up to 10 ms (the batch threshold)
 * while the game's render thread waited. At nice {@link OWN_NICE} its deadlines are ten times later per
 * unit of CPU and its quantum a tenth, so the game's threads come first; it still runs before batch work,
 * so detection stays quick under load. The kernel's default scheduler weighs nice the same way.
 *
 * @module
 */

import { setPriority } from "node:os";
import { threadIds } from "./proc.ts";

/** The nice value scx_gamer's process runs at once attached. */
export const OWN_NICE = 10;

/**
 * Set every thread of this process to `nice` (Linux applies setpriority to one thread; threads started
 * later inherit their creator's). Best effort: a thread that exits meanwhile, or a nice value this user
 * may not set, is skipped. Returns how many threads were set.
 *
 * @example
 * ```ts
 * setOwnNice(OWN_NICE); // after attaching
 * ```
 */
export function setOwnNice(nice: number, procRoot = "/proc", pid = Deno.pid): number {
  let set = 0;
  for (const tid of threadIds(procRoot, pid)) {
    try {
      setPriority(tid, nice);
      set++;
    } catch { /* exited, or not permitted: leave it */ }
  }
  return set;
}
