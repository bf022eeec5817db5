import assert from "node:assert/strict";
import { choosePacingThread, type PacingCandidate } from "../lib/collect/pacing_thread.ts";
import { classifyThread } from "../lib/collect/thread_classes.ts";

/** A thread named `comm`, classified by its name (refined to `cls` when given), with its wake-ups. */
function thread(tid: number, comm: string, wakeups = 0, cls?: PacingCandidate["cls"]): PacingCandidate {
  const nameClass = classifyThread(comm, { isMainThread: tid === 100 });
  return { tid, comm, nameClass, cls: cls ?? nameClass, wakeups };
}

Deno.test("a GPU submit thread named render or present is the pacing thread, however busy the others", () => {
  const threads = [
    thread(100, "game.exe", 9000),
    thread(101, "dxvk-submit", 8000),
    thread(102, "RenderThread 0", 10),
    thread(103, "gdrv0", 9000),
  ];
  assert.equal(choosePacingThread(threads, 100), 102);
  assert.equal(choosePacingThread([thread(100, "g"), thread(104, "dxvk-present", 1)], 100), 104);
});

Deno.test("an audio thread named like a renderer is never the pacing thread", () => {
  const threads = [thread(100, "game.exe"), thread(101, "AudioRender", 5000)];
  assert.equal(threads[1].nameClass, "audio");
  assert.equal(choosePacingThread(threads, 100), 100);
});

Deno.test("without a render or present name the busiest GPU submit thread is chosen, then the lowest tid", () => {
  const threads = [thread(100, "game.exe"), thread(101, "dxvk-submit", 300), thread(102, "dxvk-queue", 700)];
  assert.equal(choosePacingThread(threads, 100), 102);
  const tie = [thread(100, "game.exe"), thread(103, "vkd3d_queue", 5), thread(102, "dxvk-queue", 5)];
  assert.equal(choosePacingThread(tie, 100), 102);
});

Deno.test("a thread named for GPU submission wins over one only its behaviour made gpu_submit", () => {
  const threads = [
    thread(100, "game.exe"),
    thread(101, "mystery", 90_000, "gpu_submit"),
    thread(102, "dxvk-submit", 100),
  ];
  assert.equal(choosePacingThread(threads, 100), 102);
  assert.equal(choosePacingThread([threads[0], threads[1]], 100), 101);
});

Deno.test("with no GPU submit thread the main thread paces; with no threads there is none", () => {
  assert.equal(choosePacingThread([thread(100, "game.exe"), thread(101, "InputThread", 900)], 100), 100);
  assert.equal(choosePacingThread([], 100), null);
});
