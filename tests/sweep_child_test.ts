import assert from "node:assert/strict";
import { runChild, SchedulerStartError, waitOrAbort } from "../lib/modes/sweep/child.ts";
import { FAKE_EJECT_LINE, fakeRuns, fakeSchedulerCommand } from "./fixtures/fake_scheduler.ts";
import { tempDir } from "./fixtures/temp.ts";

const FAST = { sigintS: 2, sigtermS: 2, sigkillS: 5 };
/** Seconds each fake runs once it has started (its start marker is written after its signal handlers). */
const RUN_S = 1;
/** The fake's "attach": its start marker, so a slow Deno start on a loaded machine never loses a signal. */
const started = (dir: string) => () => fakeRuns(dir).length > 0;

Deno.test("a child still running at the end of the duration is stopped with SIGINT and exits 0", async () => {
  const dir = tempDir();
  const r = await runChild([...fakeSchedulerCommand({ FAKE_SCHED_DIR: dir }), "--ml-collect"], {
    durationS: RUN_S,
    attached: started(dir),
    timeouts: FAST,
  });
  assert.equal(r.ended, "duration");
  assert.equal(r.stoppedWith, "SIGINT");
  assert.equal(r.exitCode, 0);
  assert.ok(
    r.attachS !== null && r.ranS >= r.attachS + RUN_S,
    `attached after ${r.attachS} s, ran ${r.ranS} s`,
  );
  const [run] = fakeRuns(dir);
  assert.equal(run.gotSigint, true);
  assert.deepEqual(run.argv, ["--ml-collect"]);
});

Deno.test("a child that exits early is reported with its code and its last stderr line", async () => {
  const dir = tempDir();
  const r = await runChild(
    [...fakeSchedulerCommand({ FAKE_SCHED_DIR: dir, FAKE_SCHED_EJECT: "--slice-us 15" }), "--slice-us", "15"],
    { durationS: 60, timeouts: FAST },
  );
  assert.equal(r.ended, "early_exit");
  assert.equal(r.exitCode, 1);
  assert.equal(r.stoppedWith, null);
  assert.equal(r.lastStderr, FAKE_EJECT_LINE);
  assert.ok(r.ranS < 30);
});

Deno.test("a child that ignores SIGINT is escalated to SIGTERM", async () => {
  const dir = tempDir();
  const r = await runChild(fakeSchedulerCommand({ FAKE_SCHED_DIR: dir, FAKE_SCHED_IGNORE: "SIGINT" }), {
    durationS: RUN_S,
    attached: started(dir),
    timeouts: FAST,
  });
  assert.equal(r.stoppedWith, "SIGTERM");
  assert.equal(r.exitCode, 0);
  const [run] = fakeRuns(dir);
  assert.equal(run.gotSigint, true);
  assert.equal(run.gotSigterm, true);
});

Deno.test("a child that ignores SIGINT and SIGTERM is killed with SIGKILL", async () => {
  const dir = tempDir();
  const r = await runChild(
    fakeSchedulerCommand({ FAKE_SCHED_DIR: dir, FAKE_SCHED_IGNORE: "SIGINT,SIGTERM" }),
    {
      durationS: RUN_S,
      attached: started(dir),
      timeouts: FAST,
    },
  );
  assert.equal(r.stoppedWith, "SIGKILL");
  assert.equal(r.exitCode, null);
  assert.equal(r.exitSignal, "SIGKILL");
  assert.equal(r.stuck, false);
});

Deno.test("aborting stops the running child with SIGINT and reports it interrupted", async () => {
  const dir = tempDir();
  const controller = new AbortController();
  const running = runChild(fakeSchedulerCommand({ FAKE_SCHED_DIR: dir }), {
    durationS: 60,
    timeouts: FAST,
    signal: controller.signal,
  });
  for (let i = 0; i < 200 && fakeRuns(dir).length === 0; i++) await waitOrAbort(0.05);
  controller.abort();
  const r = await running;
  assert.equal(r.ended, "interrupted");
  assert.equal(r.stoppedWith, "SIGINT");
  assert.equal(r.exitCode, 0);
  assert.ok(r.ranS < 30);
  assert.equal(fakeRuns(dir)[0].gotSigint, true);
});

Deno.test("the duration counts from the attach, not from the start", async () => {
  const dir = tempDir();
  const t0 = performance.now();
  const r = await runChild(fakeSchedulerCommand({ FAKE_SCHED_DIR: dir }), {
    durationS: 1,
    attached: () => performance.now() - t0 >= 1500 && fakeRuns(dir).length > 0,
    timeouts: FAST,
  });
  assert.equal(r.ended, "duration");
  assert.ok(r.attachS !== null && r.attachS >= 1.5, `attached after ${r.attachS} s`);
  assert.ok(r.ranS >= 2.5, `ran ${r.ranS} s`);
  assert.equal(fakeRuns(dir)[0].gotSigint, true);
});

Deno.test("a child that never attaches is stopped at the attach timeout", async () => {
  const dir = tempDir();
  const r = await runChild(fakeSchedulerCommand({ FAKE_SCHED_DIR: dir }), {
    durationS: 60,
    attached: () => false,
    attachTimeoutS: RUN_S,
    timeouts: FAST,
  });
  assert.equal(r.ended, "attach_timeout");
  assert.equal(r.attachS, null);
  assert.equal(r.stoppedWith, "SIGINT");
  assert.ok(r.ranS < 30);
});

Deno.test("the child's output lines reach onLine", async () => {
  const dir = tempDir();
  const lines: string[] = [];
  await runChild(
    fakeSchedulerCommand({ FAKE_SCHED_DIR: dir, FAKE_SCHED_EJECT: "--mig-max 3" }).concat("--mig-max", "3"),
    {
      durationS: 60,
      onLine: (stream, line) => lines.push(`${stream}: ${line}`),
    },
  );
  assert.ok(lines.includes("stdout: scx_gamer: attached (fake)"), lines.join("\n"));
  assert.ok(lines.includes(`stderr: ${FAKE_EJECT_LINE}`));
});

Deno.test("a scheduler command that does not exist is a start error, not a failed config", async () => {
  await assert.rejects(
    runChild(["/nonexistent/scx_gamer"], { durationS: 1 }),
    (e: Error) =>
      e instanceof SchedulerStartError &&
      /^cannot start the scheduler '\/nonexistent\/scx_gamer'/.test(e.message),
  );
});

Deno.test("waitOrAbort resolves true when the time runs out and false when aborted", async () => {
  assert.equal(await waitOrAbort(0.01), true);
  const c = new AbortController();
  const waiting = waitOrAbort(60, c.signal);
  c.abort();
  assert.equal(await waiting, false);
  assert.equal(await waitOrAbort(60, c.signal), false);
});
