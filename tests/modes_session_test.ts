import assert from "node:assert/strict";
import { SampleRecorder, type SampleSink } from "../lib/collect/recorder.ts";
import { defaultConfig, type SchedConfig } from "../lib/config.ts";
import {
  type ConfigDriver,
  type DriverStep,
  metricsSource,
  runSession,
  type SessionOptions,
} from "../lib/modes/session.ts";
import type { Sample } from "../lib/types.ts";
import { desktop, makeFakeProc } from "./fixtures/fake_proc.ts";
import { FakeScheduler, stall } from "./fixtures/fake_sched.ts";

const game = {
  pid: 5000,
  comm: "game.exe",
  cmdline: ["Z:\\games\\game.exe"],
  exe: "/usr/bin/wine64-preloader",
  environ: { SteamAppId: "12345" },
  utime: 5000,
  threads: [{ tid: 5000, comm: "game.exe" }, { tid: 5001, comm: "InputThread" }],
};

/** A virtual clock: sleeping advances it, so a session of minutes runs in milliseconds. */
function virtualTime() {
  let t = 0;
  return {
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
    at: () => t,
  };
}

function setup(over: Partial<SessionOptions> = {}) {
  const sched = new FakeScheduler();
  const lines: string[] = [];
  const samples: Sample[] = [];
  const clock = virtualTime();
  const sink: SampleSink = {
    path: "mem",
    add: (s) => samples.push(s),
    close: () => lines.push("sink closed"),
  };
  const options: SessionOptions = {
    start: (config) => {
      sched.applied.push(config);
      return sched;
    },
    config: defaultConfig(),
    statsS: null,
    durationS: 10,
    game: null,
    signal: new AbortController().signal,
    procRoot: makeFakeProc([...desktop(), game]),
    log: (l) => lines.push(l),
    now: clock.now,
    sleep: clock.sleep,
    ...over,
  };
  const recorderFor = (s: FakeScheduler) =>
    new SampleRecorder({
      nextMetrics: metricsSource(() => s.snapshot()),
      openSink: () => sink,
      cpuModel: "Test CPU",
      log: (l) => lines.push(l),
    });
  return { sched, lines, samples, clock, options, recorderFor };
}

Deno.test("the session tells the scheduler the game even without collecting, and ends at --duration", async () => {
  const { sched, options, clock } = setup();
  const end = await runSession(options);
  assert.equal(end.reason, "duration");
  assert.equal(sched.game, 5000);
  assert.equal(sched.classes.get(5001), "input");
  assert.equal(sched.stopped, 1);
  assert.ok(clock.at() >= 10_000 && clock.at() < 11_000, `ended at ${clock.at()} ms`);
});

Deno.test("stats lines come at their interval, with the game", async () => {
  const { options, lines } = setup({ statsS: 2 });
  await runSession(options);
  const stats = lines.filter((l) => /^\[\d+\.\ds\]/.test(l));
  assert.equal(stats.length, 5);
  assert.match(stats[0], /^\[2\.0s\] .*game: "game" \(pid 5000\)/);
});

Deno.test("collecting records a sample per interval and saves at the end", async () => {
  const s = setup();
  const end = await runSession({
    ...s.options,
    collect: { sampleIntervalS: 1, recorder: (x) => s.recorderFor(x as FakeScheduler) },
  });
  assert.equal(end.samples, 10);
  assert.equal(s.samples.length, 10);
  assert.ok(s.lines.includes("sink closed"));
});

Deno.test("an ejection ends the session with the kernel's record, after saving", async () => {
  const s = setup({ durationS: null });
  let polls = 0;
  const sleep = (ms: number) => {
    if (++polls === 5) s.sched.ejection = stall();
    return s.clock.sleep(ms);
  };
  const end = await runSession({
    ...s.options,
    sleep,
    collect: { sampleIntervalS: 1, recorder: (x) => s.recorderFor(x as FakeScheduler) },
  });
  assert.equal(end.reason, "ejected");
  assert.equal(end.exit?.kindName, "stall (watchdog)");
  assert.ok(
    s.lines.some((l) =>
      /samples saved to mem \(scheduler ejected: stall \(watchdog\): runnable task stall: x\)/.test(l)
    ),
  );
  assert.equal(s.sched.stopped, 1);
});

Deno.test("a stop signal ends the session at once", async () => {
  const controller = new AbortController();
  const s = setup({ durationS: null, signal: controller.signal });
  const sleep = (ms: number) => {
    if (s.clock.at() > 3000) controller.abort();
    return s.clock.sleep(ms);
  };
  const end = await runSession({ ...s.options, sleep });
  assert.equal(end.reason, "signal");
  assert.ok(s.clock.at() < 6000);
});

Deno.test("a driver's configs are applied live, settle intervals are not recorded, and its end ends the session", async () => {
  const a: SchedConfig = { ...defaultConfig(), slice_us: 5 };
  const b: SchedConfig = { ...defaultConfig(), slice_us: 20 };
  const seen: number[] = [];
  let due = 3000;
  const driver: ConfigDriver = {
    start: (): DriverStep => ({ apply: a, recording: false }),
    dueMs: () => due,
    tick: (now): DriverStep => {
      if (now < 6000) {
        due = 6000;
        return { recording: true };
      }
      if (now < 9000) {
        due = 9000;
        return { apply: b, recording: true };
      }
      due = Infinity;
      return { recording: false, done: true };
    },
    onSample: (sample) => seen.push(sample.config.slice_us),
  };
  const s = setup({ durationS: null, driver });
  const end = await runSession({
    ...s.options,
    collect: { sampleIntervalS: 1, recorder: (x) => s.recorderFor(x as FakeScheduler) },
  });
  assert.equal(end.reason, "done");
  assert.deepEqual(s.sched.applied.map((c) => c.slice_us), [5, 20]);
  assert.deepEqual(s.samples.map((x) => x.config.slice_us), [5, 5, 5, 20, 20, 20]);
  assert.deepEqual(seen, [5, 5, 5, 20, 20, 20]);
});
