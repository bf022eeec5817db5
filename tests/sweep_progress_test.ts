import assert from "node:assert/strict";
import { buildGrid } from "../lib/modes/sweep/grid.ts";
import { makePlan } from "../lib/modes/sweep/plan.ts";
import { createProgress, finishedLine } from "../lib/modes/sweep/progress.ts";
import type { FinishedConfig } from "../lib/store/sweep_state.ts";

const plan = makePlan(buildGrid({ slice_us: [5, 10, 15] }), { durationS: 300, settleS: 5 });
const done: FinishedConfig = {
  status: "done",
  reason: null,
  exitCode: 0,
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:05:00.000Z",
  ranS: 300.2,
};

Deno.test("off a terminal the progress is plain lines: started, done in N s, failed with the reason", () => {
  let out = "";
  const p = createProgress({ tty: false, write: (t) => (out += t), durationS: 300, settleS: 5 });
  p.begin({ total: 3, skipped: 1, estimateS: 910 });
  p.started(0, plan.configs[1]);
  p.finished(0, plan.configs[1], done);
  p.started(1, plan.configs[2]);
  p.finished(1, plan.configs[2], { ...done, status: "failed", reason: "scx_gamer: ejected", ranS: 2 });
  p.started(2, plan.configs[0]);
  p.interrupted(2, plan.configs[0]);
  p.end();
  assert.equal(
    out,
    [
      "sweep: 3 configs to run, 1 already finished (skipped), about 15m 10s",
      "[1/3] slice_us=10 started",
      "[1/3] slice_us=10 done in 300 s",
      "[2/3] slice_us=15 started",
      "[2/3] slice_us=15 failed after 2 s: scx_gamer: ejected",
      "[3/3] slice_us=5 started",
      "[3/3] slice_us=5 interrupted: stopped, not marked finished",
      "",
    ].join("\n"),
  );
  assert.ok(!out.includes("\r"), "no redraws off a terminal");
});

Deno.test("on a terminal the bar is redrawn in place and cleared before each plain line", async () => {
  let out = "";
  let clock = 0;
  const p = createProgress({
    tty: true,
    write: (t) => (out += t),
    durationS: 300,
    settleS: 5,
    now: () => clock,
    redrawMs: 5,
  });
  p.begin({ total: 3, skipped: 0, estimateS: 910 });
  p.started(0, plan.configs[0]);
  clock = 150_000;
  await new Promise((r) => setTimeout(r, 30));
  p.end();
  const redraws = out.split("\r\x1b[2K").filter((s) => s.startsWith("[#"));
  assert.ok(redraws.length >= 1, "the bar was drawn");
  assert.equal(
    redraws.at(-1),
    `[${"#".repeat(3)}${"-".repeat(17)}] 1/3  elapsed 2m 30s  ETA 12m 40s  slice_us=5`,
  );
  assert.ok(out.endsWith("\r\x1b[2K"), "the bar is cleared at the end");
});

Deno.test("after a full run the bar's ETA includes the start-up and stop time it measured", async () => {
  let out = "";
  let clock = 0;
  const p = createProgress({
    tty: true,
    write: (t) => (out += t),
    durationS: 300,
    settleS: 5,
    now: () => clock,
    redrawMs: 5,
  });
  p.begin({ total: 3, skipped: 0, estimateS: 910 });
  p.started(0, plan.configs[0]);
  clock = 330_000; // 300 s run + 30 s to start and stop
  p.finished(0, plan.configs[0], done);
  p.started(1, plan.configs[1]);
  await new Promise((r) => setTimeout(r, 30));
  p.end();
  const last = out.split("\r\x1b[2K").filter((s) => s.startsWith("[")).at(-1)!;
  assert.ok(last.endsWith(" 2/3  elapsed 5m 30s  ETA 11m 05s  slice_us=10"), last);
});

Deno.test("the finished line of a failed config without a reason says so", () => {
  const line = finishedLine(0, 1, plan.configs[0], { ...done, status: "failed", reason: null, ranS: 1 });
  assert.equal(line, "[1/1] slice_us=5 failed after 1 s: no reason given");
});
