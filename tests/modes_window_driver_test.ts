import assert from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { type Window, WindowDriver, type WindowResult } from "../lib/modes/window_driver.ts";
import type { GameInfo, Sample } from "../lib/types.ts";

const num = TUNABLES.find((t) => t.kind === "number")!;
const windows: Window[] = [
  { config: { ...defaultConfig(), [num.key]: num.min }, label: "low", settleS: 2, measureS: 10 },
  { config: { ...defaultConfig(), [num.key]: num.max }, label: "high", settleS: 2, measureS: 10 },
];
const game: GameInfo = { name: "game", tgid: 42, app_id: null, source: "wine", thread_count: 5, cpu_pct: 50 };
const sample = {} as Sample;

function driver() {
  const started: string[] = [];
  const results: WindowResult[] = [];
  const d = new WindowDriver({
    next: (previous) => {
      if (previous) results.push(previous);
      return windows[previous === null ? 0 : previous.position + 1] ?? null;
    },
    onStart: (_i, w) => started.push(w.label),
    wallClock: () => new Date(0),
  });
  return { d, started, results };
}

Deno.test("the first window is applied at start and settles without recording", () => {
  const { d, started } = driver();
  const step = d.start(0);
  assert.deepEqual(step.apply, windows[0].config);
  assert.equal(step.recording, false);
  assert.equal(d.dueMs(), 2000);
  assert.deepEqual(started, ["low"]);
});

Deno.test("after settling a window is measured for its time while the game runs, then the next applies", () => {
  const { d, results } = driver();
  d.start(0);
  d.onGame(game, 0);
  assert.deepEqual(d.tick(2000), { recording: true });
  assert.equal(d.dueMs(), 12_000);
  d.onSample(sample);
  d.onSample(sample);
  const next = d.tick(12_000);
  assert.deepEqual(next.apply, windows[1].config);
  assert.equal(results.length, 1);
  assert.equal(results[0].samples.length, 2);
  assert.equal(results[0].window.label, "low");
});

Deno.test("without a game the measuring clock waits, and a game that quits pauses it", () => {
  const { d } = driver();
  d.start(0);
  assert.deepEqual(d.tick(2000), { recording: false });
  assert.equal(d.dueMs(), Infinity);
  assert.match(d.status(), /waiting for a game/);
  assert.deepEqual(d.onGame(game, 5000), { recording: false }); // the game settles first
  assert.equal(d.dueMs(), 7000);
  assert.deepEqual(d.tick(7000), { recording: true });
  assert.equal(d.dueMs(), 17_000);
  assert.deepEqual(d.onGame(null, 9000), { recording: false }); // 8 s left
  assert.equal(d.dueMs(), Infinity);
  d.onGame(game, 20_000);
  assert.equal(d.dueMs(), 22_000);
  d.tick(22_000);
  assert.equal(d.dueMs(), 30_000);
});

Deno.test("a game that appears during a window settles before its samples count, however late it came", () => {
  // The game's first seconds are its start, not the config: a sweep's first window measured them.
  const { d, results } = driver();
  d.start(0);
  assert.deepEqual(d.onGame(game, 1900), { recording: false }); // late in the config's settle: 2 s more
  assert.deepEqual(d.tick(2000), { recording: false });
  assert.equal(d.dueMs(), 3900);
  assert.match(d.status(), /settling/);
  d.onSample(sample); // the game's start: not counted
  assert.deepEqual(d.tick(3900), { recording: true });
  d.onSample(sample);
  d.tick(13_900);
  assert.equal(results[0].samples.length, 1);
});

Deno.test("samples while settling do not count", () => {
  const { d, results } = driver();
  d.start(0);
  d.onGame(game, 0);
  d.onSample(sample); // settling
  d.tick(2000);
  d.tick(12_000);
  assert.equal(results[0].samples.length, 0);
});

Deno.test("after the last window the driver is done", () => {
  const { d, results } = driver();
  d.start(0);
  d.onGame(game, 0);
  d.tick(2000);
  d.tick(12_000);
  d.tick(14_000);
  const end = d.tick(24_000);
  assert.equal(end.done, true);
  assert.equal(results.length, 2);
  assert.equal(d.current, null);
});
