import assert from "node:assert/strict";
import { join } from "node:path";
import { parseArgs } from "../lib/cli/parse.ts";
import type { ChildOutcome } from "../lib/modes/sweep/child.ts";
import { waitOrAbort } from "../lib/modes/sweep/child.ts";
import { buildGrid } from "../lib/modes/sweep/grid.ts";
import { makePlan, type SweepPlan } from "../lib/modes/sweep/plan.ts";
import { createProgress } from "../lib/modes/sweep/progress.ts";
import { MAX_SAME_FAILURES, recordOf, runSweep, type SweepOptions } from "../lib/modes/sweep/run_sweep.ts";
import { loadState } from "../lib/store/sweep_state.ts";
import {
  FAKE_EJECT_LINE,
  fakeRuns,
  fakeSchedulerCommand,
  type FakeSchedulerEnv,
} from "./fixtures/fake_scheduler.ts";
import { tempDir } from "./fixtures/temp.ts";

/** Seconds each config runs once the fake reports sched_ext "enabled" (after its signal handlers are in). */
const RUN_S = 1;

const LIMITS = { durationS: 300, attachTimeoutS: 120 };

function outcome(over: Partial<ChildOutcome>): ChildOutcome {
  return {
    ended: "duration",
    attachS: 1.5,
    exitCode: 0,
    exitSignal: null,
    stoppedWith: "SIGINT",
    stuck: false,
    startedAt: new Date("2026-01-01T00:00:00Z"),
    finishedAt: new Date("2026-01-01T00:05:00Z"),
    ranS: 300.0004,
    lastStderr: null,
    ...over,
  };
}

interface Setup {
  dir: string;
  fakeDir: string;
  sysRoot: string;
  log: () => string;
  options: SweepOptions;
}

function setup(fake: Partial<FakeSchedulerEnv> = {}, over: Partial<SweepOptions> = {}): Setup {
  const dir = tempDir();
  const fakeDir = join(dir, "fake");
  const sysRoot = join(dir, "sys");
  Deno.mkdirSync(fakeDir);
  Deno.mkdirSync(join(sysRoot, "kernel/sched_ext"), { recursive: true });
  Deno.writeTextFileSync(join(sysRoot, "kernel/sched_ext/state"), "disabled\n");
  let out = "";
  const options: SweepOptions = {
    scheduler: fakeSchedulerCommand({ FAKE_SCHED_DIR: fakeDir, FAKE_SCHED_SYS_ROOT: sysRoot, ...fake }),
    stateFile: join(dir, "sweep_state.json"),
    mlDir: join(dir, "ml"),
    sampleIntervalS: 1,
    game: "game.exe",
    sysRoot,
    timeouts: { sigintS: 2, sigtermS: 2, sigkillS: 5 },
    detachTimeoutS: 1,
    progress: createProgress({ tty: false, write: (t) => (out += t), durationS: RUN_S, settleS: 0 }),
    ...over,
  };
  return { dir, fakeDir, sysRoot, log: () => out, options };
}

const plan3: SweepPlan = makePlan(buildGrid({ slice_us: [5, 10, 15] }), { durationS: RUN_S, settleS: 0 });

Deno.test("a run stopped by SIGINT after the duration with status 0 is done", () => {
  assert.deepEqual(recordOf(outcome({}), LIMITS), {
    status: "done",
    reason: null,
    exitCode: 0,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:05:00.000Z",
    ranS: 300,
    attachS: 1.5,
  });
});

Deno.test("a scheduler that never attached fails, naming the timeout and its last line", () => {
  const r = recordOf(outcome({ ended: "attach_timeout", attachS: null, lastStderr: "loading..." }), LIMITS);
  assert.equal(r?.status, "failed");
  assert.equal(r?.reason, "the scheduler did not attach within 120 s (its last line: loading...)");
  assert.equal(r?.attachS, null);
});

Deno.test("an early non-zero exit fails with the scheduler's last stderr line", () => {
  const r = recordOf(
    outcome({ ended: "early_exit", exitCode: 1, stoppedWith: null, lastStderr: "ejected!" }),
    LIMITS,
  );
  assert.equal(r?.status, "failed");
  assert.equal(r?.reason, "ejected!");
  assert.equal(r?.exitCode, 1);
});

Deno.test("an early exit with no message, or with status 0, fails with what the sweep saw", () => {
  const r = recordOf(
    outcome({ ended: "early_exit", exitCode: 0, stoppedWith: null, ranS: 3, lastStderr: "noise" }),
    LIMITS,
  );
  assert.equal(r?.reason, "the scheduler exited with status 0 after 3 s, before the 300 s duration");
  const k = recordOf(
    outcome({ ended: "early_exit", exitCode: null, exitSignal: "SIGSEGV", stoppedWith: null, ranS: 3 }),
    LIMITS,
  );
  assert.equal(k?.reason, "the scheduler was killed by SIGSEGV after 3 s, before the 300 s duration");
});

Deno.test("a run that needed SIGTERM or SIGKILL fails: its last samples may be lost", () => {
  assert.equal(
    recordOf(outcome({ stoppedWith: "SIGKILL", exitCode: null, exitSignal: "SIGKILL" }), LIMITS)?.reason,
    "the scheduler did not exit on SIGINT: stopped with SIGKILL",
  );
  assert.equal(recordOf(outcome({ stoppedWith: "SIGTERM" }), LIMITS)?.status, "failed");
});

Deno.test("a non-zero exit when stopped fails with the last stderr line", () => {
  const r = recordOf(
    outcome({ exitCode: 1, lastStderr: "scx_gamer: the kernel stopped the scheduler: x" }),
    LIMITS,
  );
  assert.equal(r?.status, "failed");
  assert.equal(r?.reason, "scx_gamer: the kernel stopped the scheduler: x");
});

Deno.test("an interrupted run is not recorded", () => {
  assert.equal(recordOf(outcome({ ended: "interrupted" }), LIMITS), null);
});

Deno.test("a sweep of 3 configs runs all three, stops each with SIGINT and records them", async () => {
  const s = setup();
  const summary = await runSweep(plan3, s.options);
  assert.equal(summary.outcome, "completed");
  assert.deepEqual([summary.done, summary.failed, summary.skipped], [3, 0, 0]);
  const runs = fakeRuns(s.fakeDir);
  assert.equal(runs.length, 3);
  assert.ok(runs.every((r) => r.gotSigint));
  for (const [i, run] of runs.entries()) {
    const opts = parseArgs(run.argv);
    assert.equal(opts.mlCollect, true);
    assert.equal(opts.mlDir, s.options.mlDir);
    assert.equal(opts.game, "game.exe");
    assert.deepEqual(opts.config, plan3.configs[i].config);
  }
  const state = loadState(s.options.stateFile);
  assert.deepEqual(Object.keys(state.configs).sort(), plan3.configs.map((p) => p.key).sort());
  assert.ok(Object.values(state.configs).every((e) => e.status === "done" && e.ranS >= RUN_S));
  assert.ok(Object.values(state.configs).every((e) => typeof e.attachS === "number" && e.attachS < e.ranS));
  assert.match(s.log(), /\[1\/3\] slice_us=5 started\n\[1\/3\] slice_us=5 done in \d+ s\n/);
});

Deno.test("rerunning a finished sweep runs nothing", async () => {
  const s = setup();
  await runSweep(plan3, s.options);
  const before = Deno.readTextFileSync(s.options.stateFile);
  const again = setup();
  const summary = await runSweep(plan3, { ...again.options, stateFile: s.options.stateFile });
  assert.equal(summary.outcome, "completed");
  assert.deepEqual([summary.done, summary.failed, summary.skipped], [0, 0, 3]);
  assert.equal(fakeRuns(again.fakeDir).length, 0);
  assert.equal(Deno.readTextFileSync(s.options.stateFile), before);
});

Deno.test("an ejected config is recorded with its reason and the sweep continues", async () => {
  const s = setup({ FAKE_SCHED_EJECT: "--slice-us 10" });
  const summary = await runSweep(plan3, s.options);
  assert.equal(summary.outcome, "completed");
  assert.deepEqual([summary.done, summary.failed], [2, 1]);
  assert.equal(fakeRuns(s.fakeDir).length, 3);
  const state = loadState(s.options.stateFile);
  const ejected = state.configs[plan3.configs[1].key];
  assert.equal(ejected.status, "failed");
  assert.equal(ejected.reason, FAKE_EJECT_LINE);
  assert.equal(ejected.exitCode, 1);
  assert.equal(state.configs[plan3.configs[2].key].status, "done");
  assert.match(
    s.log(),
    /\[2\/3\] slice_us=10 failed after \d+ s: scx_gamer: the kernel stopped the scheduler/,
  );
});

Deno.test(`the sweep stops after ${MAX_SAME_FAILURES} configs in a row fail for the same reason`, async () => {
  const plan = makePlan(buildGrid({ slice_us: [5, 10, 15, 20] }), { durationS: RUN_S, settleS: 0 });
  const s = setup({ FAKE_SCHED_EJECT: "--ml-collect" });
  const summary = await runSweep(plan, s.options);
  assert.equal(summary.outcome, "aborted");
  assert.match(
    summary.abortReason!,
    /^3 configs in a row failed with the same reason \(scx_gamer: the kernel stopped/,
  );
  assert.equal(fakeRuns(s.fakeDir).length, 3);
  assert.equal(Object.keys(loadState(s.options.stateFile).configs).length, 3);
});

Deno.test("interrupting the sweep stops the running child with SIGINT and leaves that config unrecorded", async () => {
  const controller = new AbortController();
  const s = setup({}, { signal: controller.signal });
  const plan = makePlan(buildGrid({ slice_us: [5, 10, 15] }), { durationS: 60, settleS: 0 });
  const sweeping = runSweep(plan, s.options);
  for (let i = 0; i < 200 && fakeRuns(s.fakeDir).length === 0; i++) await waitOrAbort(0.05);
  controller.abort();
  const summary = await sweeping;
  assert.equal(summary.outcome, "interrupted");
  assert.equal(summary.interruptedLabel, "slice_us=5");
  const runs = fakeRuns(s.fakeDir);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].gotSigint, true);
  assert.deepEqual(loadState(s.options.stateFile).configs, {});
});

Deno.test("a scheduler that leaves sched_ext enabled stops the sweep after recording its config", async () => {
  const s = setup({ FAKE_SCHED_STAY_ENABLED: "1" });
  const summary = await runSweep(plan3, s.options);
  assert.equal(summary.outcome, "aborted");
  assert.match(summary.abortReason!, /^sched_ext is still enabled 1 s after the scheduler exited/);
  assert.equal(fakeRuns(s.fakeDir).length, 1);
  assert.equal(loadState(s.options.stateFile).configs[plan3.configs[0].key].status, "done");
});

Deno.test("the sweep does not start a config while another sched_ext scheduler is enabled", async () => {
  const s = setup();
  Deno.writeTextFileSync(join(s.sysRoot, "kernel/sched_ext/state"), "enabled\n");
  Deno.mkdirSync(join(s.sysRoot, "kernel/sched_ext/root"));
  Deno.writeTextFileSync(join(s.sysRoot, "kernel/sched_ext/root/ops"), "other\n");
  const summary = await runSweep(plan3, s.options);
  assert.equal(summary.outcome, "aborted");
  assert.match(summary.abortReason!, /^sched_ext is enabled \(scheduler other\) before config slice_us=5/);
  assert.equal(fakeRuns(s.fakeDir).length, 0);
});

Deno.test("without a sched_ext state file (no sched_ext in sysfs) the sweep runs anyway", async () => {
  const s = setup();
  const plan = makePlan(buildGrid({ slice_us: [5] }), { durationS: RUN_S, settleS: 0 });
  const summary = await runSweep(plan, { ...s.options, sysRoot: join(s.dir, "nowhere") });
  assert.equal(summary.outcome, "completed");
  assert.equal(summary.done, 1);
});
