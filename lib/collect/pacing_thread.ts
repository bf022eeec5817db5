/**
 * Which of the game's threads measures its frame pacing. The scheduler times the interval between
 * successive wake-ups of one thread (lib/sched/smooth.ts); for that to be the frame time, the thread
 * must wake once per frame: the render or present thread, which hands each frame to the GPU. Pure:
 * it sees the classified threads and their wake-up counts, never /proc or the scheduler.
 *
 * @module
 */

import type { ThreadClass } from "../types.ts";

/** One of the game's threads, as the watch classified it. */
export interface PacingCandidate {
  tid: number;
  comm: string;
  /** The class from its name alone (lib/collect/thread_classes.ts classifyThread). */
  nameClass: ThreadClass;
  /** The class the scheduler is told (the name's, refined by behaviour). */
  cls: ThreadClass;
  /** Wake-ups the scheduler counted for it so far (0 when not seen). */
  wakeups: number;
}

/**
 * A name that says the thread renders or presents frames (Unreal's RenderThread, DXVK's present
 * thread, engines' "Renderer"/"Present" threads). Only threads whose name already classifies as
 * gpu_submit are tested, so "AudioRender" (audio) never counts.
 */
export const FRAME_THREAD_NAME = /render|present/i;

/** Candidate order, best first: see {@link choosePacingThread}. */
function rank(t: PacingCandidate): [number, number, number, number] {
  const named = t.nameClass === "gpu_submit";
  return [named && FRAME_THREAD_NAME.test(t.comm) ? 0 : 1, named ? 0 : 1, -t.wakeups, t.tid];
}

function before(a: PacingCandidate, b: PacingCandidate): boolean {
  const ra = rank(a), rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] < rb[i];
  return false;
}

/**
 * The pacing thread of a game (`tgid`) with these threads, or null when it has none:
 * 1. a thread named like a GPU submit thread (the gpu_submit name patterns) whose name says render or
 *    present ({@link FRAME_THREAD_NAME});
 * 2. else any thread named like a GPU submit thread;
 * 3. else a thread the scheduler's observations made gpu_submit (short runs, many wake-ups);
 * 4. else the main thread (tid == tgid): single-threaded renderers present from it.
 * Within a step the busiest wins (most wake-ups counted: cumulative, so the choice does not flap from
 * one interval to the next), then the lowest tid.
 *
 * @example
 * ```ts
 * choosePacingThread([
 *   { tid: 10, comm: "game.exe", nameClass: "game", cls: "game", wakeups: 900 },
 *   { tid: 11, comm: "dxvk-submit", nameClass: "gpu_submit", cls: "gpu_submit", wakeups: 5000 },
 *   { tid: 12, comm: "RenderThread", nameClass: "gpu_submit", cls: "gpu_submit", wakeups: 4000 },
 * ], 10); // 12
 * ```
 */
export function choosePacingThread(threads: readonly PacingCandidate[], tgid: number): number | null {
  let best: PacingCandidate | null = null;
  for (const t of threads) {
    if (t.cls === "gpu_submit" && (best === null || before(t, best))) best = t;
  }
  if (best !== null) return best.tid;
  return threads.some((t) => t.tid === tgid) ? tgid : null;
}
