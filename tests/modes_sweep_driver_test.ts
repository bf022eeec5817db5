import assert from "node:assert/strict";
import { buildGrid } from "../lib/grid.ts";
import { type ConfigOutcome, SweepDriver } from "../lib/modes/sweep_driver.ts";
import { makePlan } from "../lib/modes/sweep_plan.ts";
import type { GameInfo } from "../lib/types.ts";

const plan = makePlan(buildGrid({ slice_us: [5, 10] }), { durationS: 10, settleS: 2 });
const game: GameInfo = { name: "game", tgid: 42, app_id: null, source: "wine", thread_count: 5, cpu_pct: 50 };

function driver() {
  const started: string[] = [];
  const finished: ConfigOutcome[] = [];
  const d = new SweepDriver({
    pending: plan.configs,
    durationS: 10,
    settleS: 2,
    onStart: (_i, p) => started.push(p.label),
    onFinish: (o) => finished.push(o),
    wallClock: () => new Date(0),
  });
  return { d, started, finished };
}

Deno.test("the first config is applied at start and settles without recording", () => {
  const { d, started } = driver();
  const step = d.start(0);
  assert.deepEqual(step.apply, plan.configs[0].config);
  assert.equal(step.recording, false);
  assert.equal(d.dueMs(), 2000);
  assert.deepEqual(started, ["slice_us=5"]);
});

Deno.test("after settling a config is measured for its duration while the game runs, then the next applies", () => {
  const { d, finished } = driver();
  d.start(0);
  d.onGame(game, 0);
  assert.deepEqual(d.tick(2000), { recording: true });
  assert.equal(d.dueMs(), 12_000);
  d.onSample();
  d.onSample();
  const next = d.tick(12_000);
  assert.deepEqual(next.apply, plan.configs[1].config);
  assert.equal(finished.length, 1);
  assert.equal(finished[0].samples, 2);
  assert.equal(finished[0].planned.label, "slice_us=5");
});

Deno.test("without a game the measuring clock waits, and a game that quits pauses it", () => {
  const { d } = driver();
  d.start(0);
  assert.deepEqual(d.tick(2000), { recording: false });
  assert.equal(d.dueMs(), Infinity);
  assert.match(d.status(), /waiting for a game/);
  assert.deepEqual(d.onGame(game, 5000), { recording: true });
  assert.equal(d.dueMs(), 15_000);
  assert.deepEqual(d.onGame(null, 9000), { recording: false }); // 6 s left
  assert.equal(d.dueMs(), Infinity);
  d.onGame(game, 20_000);
  assert.equal(d.dueMs(), 26_000);
});

Deno.test("samples outside the measuring phase do not count", () => {
  const { d, finished } = driver();
  d.start(0);
  d.onGame(game, 0);
  d.onSample(); // settling
  d.tick(2000);
  d.tick(12_000);
  assert.equal(finished[0].samples, 0);
});

Deno.test("after the last config the driver is done", () => {
  const { d, finished } = driver();
  d.start(0);
  d.onGame(game, 0);
  d.tick(2000);
  d.tick(12_000);
  d.tick(14_000);
  const end = d.tick(24_000);
  assert.equal(end.done, true);
  assert.equal(finished.length, 2);
  assert.equal(d.current, null);
});
