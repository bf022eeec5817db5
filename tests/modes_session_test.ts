import { join } from "node:path";
import assert from "node:assert/strict";
import { SampleRecorder, type SampleSink } from "../lib/collect/recorder.ts";
import { defaultConfig, POLICY_VERSION, type SchedConfig } from "../lib/config.ts";
import { smoothScore } from "../lib/score.ts";
import {
  type ConfigDriver,
  type DriverStep,
  metricsSource,
  runSession,
  type SessionEvent,
  type SessionOptions,
} from "../lib/modes/session.ts";
import type { Sample } from "../lib/types.ts";
import type { ControlCommand, ControlReply, StatsReport } from "../lib/modes/control.ts";
import { Inbox } from "../lib/modes/inbox.ts";
import { desktop, makeFakeProc, writeFakeProcess } from "./fixtures/fake_proc.ts";
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

/** A launcher (a shell script) and the game it started: the tree scx_gamer-run announces. */
const launcher = {
  pid: 6000,
  comm: "start.sh",
  cmdline: ["/bin/sh", "start.sh"],
  exe: "/usr/bin/dash",
  utime: 10,
};
const launched = {
  pid: 6001,
  ppid: 6000,
  comm: "native_game",
  cmdline: ["./native_game"],
  exe: "/opt/game/native_game",
  utime: 900,
  threads: [{ tid: 6001, comm: "native_game" }, { tid: 6002, comm: "AudioThread" }],
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
      nextMetrics: metricsSource(s),
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

Deno.test("with no game at the start the look at one is warmed up once, telling the scheduler nothing", async () => {
  const { sched, options } = setup({ procRoot: makeFakeProc(desktop()), durationS: 3 });
  await runSession(options);
  assert.equal(sched.behaviourReads, 1);
  assert.equal(sched.game, null);
  assert.equal(sched.classes.size, 0);
  // With a game at the start its own first look is the warm-up: none more.
  const withGame = setup({ durationS: 1 });
  await runSession(withGame.options);
  assert.equal(withGame.sched.behaviourReads, 1);
});

Deno.test("stats lines come at their interval, with the game", async () => {
  const { options, lines } = setup({ statsS: 2 });
  await runSession(options);
  const stats = lines.filter((l) => /^\[\d+\.\ds\]/.test(l));
  assert.equal(stats.length, 5);
  assert.match(stats[0], /^\[2\.0s\] placed .* \| game game \(pid 5000\): input 1 gpu 0 audio 0 \| cpu /);
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

Deno.test("collecting turns smoothness on and every sample carries the interval's smooth_score", async () => {
  const s = setup();
  await runSession({
    ...s.options,
    collect: { sampleIntervalS: 1, recorder: (x) => s.recorderFor(x as FakeScheduler) },
  });
  assert.equal(s.sched.smoothOn, true);
  assert.ok(s.samples.length > 0);
  for (const sample of s.samples) {
    // One fake second: 1000 wake-ups, 20 ms waited of which a quarter behind other work.
    assert.equal(sample.metrics.smooth?.all.count, 1000);
    assert.ok(Math.abs(sample.metrics.smooth!.wait_ms_per_s - 20) < 1e-9);
    assert.ok(Math.abs(sample.metrics.smooth!.wait_share_behind_other - 0.25) < 1e-9);
    assert.equal(sample.smooth_score, smoothScore(sample.metrics.smooth!));
    assert.ok(sample.smooth_score! > 0);
    assert.equal(sample.policy_version, POLICY_VERSION);
  }
});

Deno.test("without collecting smoothness is turned off (it costs every wake-up)", async () => {
  const { sched, options } = setup();
  await runSession(options);
  assert.equal(sched.smoothOn, false);
});

Deno.test("a driver that reads no samples leaves smoothness off (--ml-profiles: nobody reads it)", async () => {
  const driver: ConfigDriver = {
    start: () => ({ recording: true }),
    dueMs: () => Infinity,
    tick: () => ({ recording: true }),
  };
  const { sched, options } = setup({ driver });
  await runSession(options);
  assert.equal(sched.smoothOn, false);
});

Deno.test("a scheduler without smoothness counters gives samples with no smoothness", async () => {
  const s = setup();
  const plain = Object.assign(new FakeScheduler(), { smoothSnapshot: undefined, setSmoothness: undefined });
  const recorder = new SampleRecorder({
    nextMetrics: metricsSource(plain),
    openSink: () => ({ path: "mem", add: (x) => s.samples.push(x), close: () => {} }),
    cpuModel: "Test CPU",
    log: () => {},
  });
  await runSession({
    ...s.options,
    start: () => plain,
    collect: { sampleIntervalS: 1, recorder: () => recorder },
  });
  assert.ok(s.samples.length > 0);
  assert.ok(s.samples.every((x) => x.metrics.smooth === null && x.smooth_score === null));
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

Deno.test("--stats-json writes each interval as one JSON object with the game and the config", async () => {
  const { options, lines } = setup({ statsS: 2, statsFormat: "json" });
  await runSession(options);
  const records = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.equal(records.length, 5);
  assert.equal(records[0].t, 2);
  assert.equal(records[0].game.name, "game");
  assert.equal(records[0].game.tgid, 5000);
  assert.equal(records[0].threads.input, 1);
  assert.equal(records[0].config.slice_us, defaultConfig().slice_us);
  assert.equal(typeof records[0].metrics.enqueues_per_sec, "number");
  assert.ok(!lines.some((l) => l.startsWith("[")), "no text stats lines");
});

/** The fields of a successful reply. */
function okBody<T>(reply: ControlReply): T {
  assert.equal(reply.ok, true, JSON.stringify(reply));
  return reply as unknown as T;
}

/**
 * A virtual sleep that, when a post is scheduled before the sleep would end, jumps to it, posts (which
 * must abort the signal the session sleeps on) and returns: as a real socket command would wake it.
 */
function postingSleep(
  clock: ReturnType<typeof virtualTime>,
  inbox: Inbox<ControlCommand, ControlReply>,
  posts: { at: number; command: ControlCommand; reply?: Promise<ControlReply> }[],
) {
  const sleeps: number[] = [];
  const sleep = (ms: number, signal: AbortSignal) => {
    sleeps.push(clock.now());
    const due = posts.find((p) => p.reply === undefined && p.at <= clock.now() + ms);
    if (!due) return clock.sleep(ms);
    clock.sleep(due.at - clock.now());
    due.reply = inbox.post(due.command);
    assert.ok(signal.aborted, "posting aborts the signal the session sleeps on");
    return Promise.resolve();
  };
  return { sleep, sleeps };
}

Deno.test("with nothing posted the session sleeps exactly as without an inbox", async () => {
  const plain = setup({ durationS: 10 });
  const counted = { n: 0 };
  await runSession({ ...plain.options, sleep: (ms) => (counted.n++, plain.clock.sleep(ms)) });
  const withInbox = setup({ durationS: 10 });
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const { sleep, sleeps } = postingSleep(withInbox.clock, inbox, []);
  await runSession({ ...withInbox.options, inbox, sleep });
  assert.equal(sleeps.length, counted.n);
});

Deno.test("a posted command wakes the session at once and is answered there", async () => {
  const s = setup({ durationS: 10 });
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const posts: Parameters<typeof postingSleep>[2] = [{ at: 2500, command: { cmd: "stats" } }];
  const { sleep } = postingSleep(s.clock, inbox, posts);
  await runSession({ ...s.options, inbox, sleep, version: "9.9.9" });
  const reply = await posts[0].reply!;
  const stats = okBody<{ stats: StatsReport }>(reply).stats;
  assert.equal(stats.version, "9.9.9");
  // Answered at the moment it was posted (2.5 s), not at the loop's next due event (3 s).
  assert.equal(stats.uptime_s, 2.5);
  assert.equal(stats.game?.tgid, 5000);
  assert.equal(stats.threads?.input, 1);
  assert.equal(typeof stats.snapshot.counters.enqueues, "string");
});

Deno.test("the session wakes from a real sleep when a command is posted", async () => {
  const controller = new AbortController();
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const s = setup({ durationS: 60, signal: controller.signal, now: undefined, sleep: undefined });
  const ended = runSession({ ...s.options, inbox, now: () => performance.now(), sleep: undefined });
  await new Promise((r) => setTimeout(r, 100)); // the loop is asleep now, for up to a second
  const t0 = performance.now();
  const reply = await inbox.post({ cmd: "stats" });
  const waited = performance.now() - t0;
  controller.abort();
  await ended;
  assert.equal(reply.ok, true);
  // The loop's own next look is up to 1000 ms away; the command did not wait for it.
  assert.ok(waited < 500, `answered after ${waited.toFixed(0)} ms`);
});

Deno.test("apply from the socket changes the config live; set-game announces a process tree", async () => {
  const s = setup({ durationS: 10, procRoot: makeFakeProc([...desktop(), game, launcher, launched]) });
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const posts: Parameters<typeof postingSleep>[2] = [
    { at: 1500, command: { cmd: "apply", changes: { slice_us: 7 } } },
    { at: 2500, command: { cmd: "set-game", pid: 6000 } },
    { at: 3500, command: { cmd: "apply", config: { ...defaultConfig(), mig_max: 9 } } },
  ];
  const { sleep } = postingSleep(s.clock, inbox, posts);
  await runSession({ ...s.options, inbox, sleep });
  const [a, g, b] = await Promise.all(posts.map((p) => p.reply!));
  assert.deepEqual(s.sched.applied.map((c) => [c.slice_us, c.mig_max]), [[1000, 3], [7, 3], [1000, 9]]);
  assert.equal(okBody<{ config: SchedConfig }>(a).config.slice_us, 7);
  assert.equal(okBody<{ config: SchedConfig }>(b).config.mig_max, 9);
  // The scan had found game.exe (5000); the announced tree's busiest non-launcher process wins.
  const announced = okBody<{ game: { tgid: number; source: string } }>(g).game;
  assert.equal(announced.tgid, 6001);
  assert.equal(announced.source, "announced");
  assert.equal(s.sched.game, 6001);
  assert.ok(s.lines.includes("scx_gamer: process 6000 announced as the game"));
  assert.ok(s.lines.some((l) => /^scx_gamer: config applied from the control socket: --slice-us 7 /.test(l)));
});

Deno.test("a sweep refuses apply from the socket: its driver chooses the configs", async () => {
  const driver: ConfigDriver = {
    start: () => ({ recording: true }),
    dueMs: () => Infinity,
    tick: () => ({ recording: true }),
  };
  const s = setup({ durationS: 5, driver });
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const posts: Parameters<typeof postingSleep>[2] = [{
    at: 1000,
    command: { cmd: "apply", changes: { slice_us: 7 } },
  }];
  const { sleep } = postingSleep(s.clock, inbox, posts);
  await runSession({ ...s.options, inbox, sleep });
  const reply = await posts[0].reply!;
  assert.equal(reply.ok, false);
  assert.match((reply as { error: string }).error, /refused: this mode chooses the configs itself/);
  assert.equal(s.sched.applied.length, 1);
});

Deno.test("commands posted after the session ended are refused, not left hanging", async () => {
  const s = setup({ durationS: 1 });
  const inbox = new Inbox<ControlCommand, ControlReply>();
  await runSession({ ...s.options, inbox });
  await assert.rejects(inbox.post({ cmd: "stats" }), /duration/);
});

Deno.test("with an event ring buffer the game's exit is looked at at once, not at the next scan", async () => {
  const s = setup({ durationS: 30, watchMs: 60_000 });
  let calls = 0;
  const sched = Object.assign(s.sched, {
    waitEvents: (_ms: number) => {
      calls++;
      if (calls !== 3) return Promise.resolve([]);
      // The game quits: its /proc entry goes and the kernel reports its exit.
      Deno.removeSync(join(s.options.procRoot!, "5000"), { recursive: true });
      return Promise.resolve([{ kind: "exit" as const, tgid: 5000 }]);
    },
  });
  const seen: (number | null)[] = [];
  const setGame = sched.setGame.bind(sched);
  sched.setGame = (t: number | null) => {
    seen.push(t);
    if (t === null) assert.equal(calls, 3, "noticed right after the event, not at the 60 s scan");
    setGame(t);
  };
  await runSession({ ...s.options, start: () => sched });
  assert.deepEqual(seen, [5000, null]);
  // The player sees both changes, one line each.
  assert.deepEqual(s.lines.filter((l) => l.startsWith("scx_gamer: game")), [
    "scx_gamer: game: game (pid 5000), 2 threads",
    "scx_gamer: game game (pid 5000) is gone",
  ]);
});

/**
 * A session with an event ring buffer and no game at first: the game appears in /proc at 5 s, reported by
 * the ring buffer's wait, its drain, or not at all; "storm": by the wait, followed by 40 short programs
 * that start and end. Returns the virtual time at which the scheduler was told about it.
 */
async function gameFoundAt(reported: "wait" | "drain" | "none" | "storm"): Promise<number | null> {
  const s = setup({ durationS: 40, procRoot: makeFakeProc(desktop()) });
  let written = false;
  let foundAt: number | null = null;
  const byWait = reported === "wait" || reported === "storm";
  const start = () => {
    if (written || s.clock.now() < 5000) return [];
    written = true;
    writeFakeProcess(s.options.procRoot!, game);
    const exec = { kind: "exec" as const, tgid: game.pid };
    if (reported !== "storm") return [exec];
    // The launch's short helpers after it, each gone at once (more than the newest 16 kept to look at).
    const helpers = Array.from({ length: 40 }, (_, i) => 20_000 + i);
    return [
      exec,
      ...helpers.flatMap((tgid) => [{ kind: "exec" as const, tgid }, { kind: "exit" as const, tgid }]),
    ];
  };
  const sched = Object.assign(s.sched, {
    waitEvents: (_ms: number) => Promise.resolve(byWait ? start() : []),
    drainEvents: () => {
      if (byWait) return [];
      const events = start(); // the game appears at 5 s; "none" drops its report
      return reported === "drain" ? events : [];
    },
  });
  const setGame = sched.setGame.bind(sched);
  sched.setGame = (t: number | null) => {
    if (t === game.pid && foundAt === null) foundAt = s.clock.now();
    setGame(t);
  };
  await runSession({ ...s.options, start: () => sched });
  return foundAt;
}

Deno.test("a new program is looked at by the next game check; one nobody reported, by the 30 s scan", async () => {
  const quiet = await gameFoundAt("none");
  assert.ok(quiet !== null && quiet >= 30_000 && quiet < 31_000, `found at ${quiet} ms: the 30 s scan`);
  for (const how of ["wait", "drain", "storm"] as const) {
    const at = await gameFoundAt(how);
    // Checks every 2 s: the program reported at 5-6 s is looked at by the check at 6 or 8 s.
    assert.ok(at !== null && at >= 5000 && at <= 8000, `${how}: found at ${at} ms`);
  }
});

/**
 * A session with no game at first whose clock's sleeps end early when the ring buffer has news, as a real
 * wait on it does: a program's exec arrives at 5.1 s, in the middle of the wait between the checks at 4 and
 * 6 s, as `first` (written to /proc then); at `renameAt` it becomes `then`. Returns when the game was found.
 */
async function foundAfterExecMidWait(
  first: Parameters<typeof writeFakeProcess>[1],
  rename?: { at: number; then: Parameters<typeof writeFakeProcess>[1] },
): Promise<number | null> {
  const s = setup({ durationS: 10, procRoot: makeFakeProc(desktop()) });
  const execAt = 5100;
  let t = 0;
  let deliver: ((events: SessionEvent[]) => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) =>
      setTimeout(() => {
        if (deliver && t < execAt && t + ms >= execAt) {
          t = execAt;
          writeFakeProcess(s.options.procRoot!, first);
          deliver([{ kind: "exec", tgid: first.pid }]);
          deliver = null;
        } else {
          if (rename && t < rename.at && t + ms >= rename.at) {
            Deno.removeSync(join(s.options.procRoot!, String(first.pid)), { recursive: true });
            writeFakeProcess(s.options.procRoot!, rename.then);
          }
          t += ms;
        }
        resolve();
      }, 0)
    );
  let foundAt: number | null = null;
  const sched = Object.assign(s.sched, {
    // One wait in flight at a time (the session keeps it across sleeps); it resolves only with the exec.
    waitEvents: (_ms: number): Promise<SessionEvent[]> =>
      t < execAt ? new Promise((r) => (deliver = r)) : new Promise(() => {}),
  });
  const setGame = sched.setGame.bind(sched);
  sched.setGame = (tgid: number | null) => {
    if (tgid === first.pid && foundAt === null) foundAt = t;
    setGame(tgid);
  };
  await runSession({ ...s.options, start: () => sched, now: () => t, sleep });
  return foundAt;
}

Deno.test("with no game running, a reported new program is looked at within 250 ms, not at the next 2 s check", async () => {
  const at = await foundAfterExecMidWait(game);
  assert.ok(at !== null && at >= 5100 && at <= 5100 + 250, `found at ${at} ms`);
});

Deno.test("a Wine loader not yet named at its first look gets its second 250 ms later, not at the next check", async () => {
  const loader = { ...game, comm: "wine64-preloade", cmdline: ["/usr/bin/wine64-preloader"], environ: {} };
  const at = await foundAfterExecMidWait(loader, { at: 5200, then: game });
  assert.ok(at !== null && at > 5100 && at <= 5100 + 500, `found at ${at} ms`);
});

Deno.test("a supervisor's poll is asked instead of the exit record: a restart it served is no ejection", async () => {
  const s = setup({ durationS: 5 });
  let polls = 0;
  const sched = Object.assign(s.sched, {
    poll: () => {
      polls++;
      return Promise.resolve(null);
    },
  });
  sched.ejection = stall(); // the raw record says stopped; the supervisor says it is attached again
  const end = await runSession({ ...s.options, start: () => sched });
  assert.equal(end.reason, "duration");
  assert.ok(polls > 0);
});
