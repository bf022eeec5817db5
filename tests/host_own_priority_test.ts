import assert from "node:assert/strict";
import { getPriority, setPriority } from "node:os";
import { readdirSync } from "node:fs";
import { OWN_NICE, setOwnNice } from "../lib/host/own_priority.ts";

Deno.test("setOwnNice lowers every thread of this process, and threads started later inherit it", async () => {
  const tids = () => readdirSync("/proc/self/task").map(Number);
  const before = new Map(tids().map((t) => [t, getPriority(t)]));
  try {
    assert.equal(setOwnNice(OWN_NICE), before.size);
    for (const t of tids()) assert.equal(getPriority(t), OWN_NICE, `thread ${t}`);
    // A worker started now is a new thread: it inherits the nice value of the thread that made it.
    const worker = new Worker("data:text/javascript,postMessage(0)", { type: "module" });
    await new Promise((done) => worker.onmessage = done);
    const fresh = tids().filter((t) => !before.has(t));
    try {
      assert.ok(fresh.length > 0, "the worker added a thread");
      for (const t of fresh) assert.equal(getPriority(t), OWN_NICE, `new thread ${t}`);
    } finally {
      worker.terminate();
    }
  } finally {
    // Back to where it was (root may lower nice again) so later tests run as before.
    for (const [t, nice] of before) {
      try {
        setPriority(t, nice);
      } catch { /* exited */ }
    }
  }
});

Deno.test("setOwnNice on a process that does not exist sets nothing and does not throw", () => {
  assert.equal(setOwnNice(OWN_NICE, "/nonexistent"), 0);
});
