import assert from "node:assert/strict";
import { etaSeconds, formatSeconds, fractionDone, progressLine } from "../lib/modes/sweep_eta.ts";

Deno.test("durations print as seconds, minutes or hours", () => {
  assert.equal(formatSeconds(0), "0 s");
  assert.equal(formatSeconds(42.4), "42 s");
  assert.equal(formatSeconds(305), "5m 05s");
  assert.equal(formatSeconds(10_975), "3h 02m 55s");
  assert.equal(formatSeconds(-3), "0 s");
});

Deno.test("the ETA is the rest of the running config plus a settle and a run per config after it", () => {
  assert.equal(
    etaSeconds({ position: 0, total: 3, currentElapsedS: 100, durationS: 300, settleS: 5 }),
    200 + 2 * 305,
  );
  assert.equal(etaSeconds({ position: 2, total: 3, currentElapsedS: 290, durationS: 300, settleS: 5 }), 10);
});

Deno.test("the measured per-config overhead (start-up, stop) is added to every config left", () => {
  const p = { position: 0, total: 3, currentElapsedS: 10, durationS: 300, settleS: 5, overheadS: 30 };
  assert.equal(etaSeconds(p), 320 + 2 * 335);
  assert.equal(fractionDone(p), 10 / 330 / 3);
});

Deno.test("the ETA never goes below zero when a config overruns its duration", () => {
  assert.equal(etaSeconds({ position: 2, total: 3, currentElapsedS: 330, durationS: 300, settleS: 5 }), 0);
});

Deno.test("the fraction done counts the running config's progress", () => {
  assert.equal(
    fractionDone({ position: 1, total: 4, currentElapsedS: 150, durationS: 300, settleS: 5 }),
    1.5 / 4,
  );
  assert.equal(fractionDone({ position: 3, total: 4, currentElapsedS: 999, durationS: 300, settleS: 5 }), 1);
});

Deno.test("the progress line shows the bar, i/N, elapsed, ETA and the config", () => {
  const line = progressLine(
    { position: 1, total: 4, currentElapsedS: 150, durationS: 300, settleS: 5 },
    { elapsedS: 455, label: "slice_us=10", width: 8 },
  );
  assert.equal(line, "[###-----] 2/4  elapsed 7m 35s  ETA 12m 40s  slice_us=10");
});
