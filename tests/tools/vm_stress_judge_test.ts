import assert from "node:assert/strict";
import {
  judgeHotplug,
  judgeSteadyPhase,
  logDuring,
  MIN_SAMPLES,
  type MonitorSample,
  parseMonitor,
  parsePhases,
  parsePids,
  parseWork,
  type PhaseRecord,
  recovery,
} from "../../tools/vm/scenarios/stress_judge.ts";

/** Samples every 0.5 s from `from` to `to`, attached unless `bad(t)` says otherwise. */
function samples(
  from: number,
  to: number,
  bad: (t: number) => boolean = () => false,
  seq = 1,
): MonitorSample[] {
  const out: MonitorSample[] = [];
  for (let t = from; t <= to + 1e-9; t += 0.5) {
    out.push(
      bad(t)
        ? { t, state: "disabled", ops: "none", seq, cpu1: 1 }
        : { t, state: "enabled", ops: "gamer_1", seq, cpu1: 1 },
    );
  }
  return out;
}

function phase(extra: Partial<PhaseRecord> = {}): PhaseRecord {
  return {
    name: "pipes",
    begin: 100,
    end: 120,
    samples: samples(90, 130),
    dmesg: "",
    log: ["[5.0s] select_cpu 1us p50 1us p99 2us"],
    pids: { start: "321", end: "321" },
    ...extra,
  };
}

Deno.test("parseMonitor reads the five fields and skips torn lines", () => {
  const m = parseMonitor("12.5 enabled gamer_1 3 1\n12.6 enab\n12.7 disabled none 3 0\n");
  assert.deepEqual(m, [
    { t: 12.5, state: "enabled", ops: "gamer_1", seq: 3, cpu1: 1 },
    { t: 12.7, state: "disabled", ops: "none", seq: 3, cpu1: 0 },
  ]);
});

Deno.test("parsePhases gives each phase's span and the hotplug events", () => {
  const p = parsePhases(
    "loops begin 10.5\nloops end 31.0\nhotplug begin 40\nhotplug offline 40.1\nhotplug online 50.2\n",
  );
  assert.deepEqual(p.spans.get("loops"), { begin: 10.5, end: 31 });
  assert.deepEqual(p.spans.get("hotplug"), { begin: 40, end: null });
  assert.equal(p.offline, 40.1);
  assert.equal(p.online, 50.2);
});

Deno.test("parseWork, parsePids and logDuring read the scenario's small files", () => {
  assert.deepEqual(parseWork("forks 1200\nkbd_irqs 55\nbad\n"), { forks: 1200, kbd_irqs: 55 });
  assert.deepEqual(parsePids("loops 321\nloops 321\npipes 321\npipes gone\n", "pipes"), {
    start: "321",
    end: "gone",
  });
  assert.deepEqual(parsePids("", "x"), { start: null, end: null });
  const log = "a\n@@stress begin pipes\nb\nc\n@@stress end pipes\nd";
  assert.deepEqual(logDuring(log, "pipes"), ["b", "c"]);
  assert.deepEqual(logDuring(log, "loops"), []);
});

Deno.test("a phase attached throughout, with nothing in the logs, passes", () => {
  assert.deepEqual(judgeSteadyPhase(phase()), []);
});

Deno.test("a phase with one unattached sample, a changed enable_seq or a kernel stall fails, saying when", () => {
  const dropped = samples(90, 130, (t) => t >= 110 && t < 111);
  assert.deepEqual(judgeSteadyPhase(phase({ samples: dropped })), [
    "sched_ext not attached in 2 of 41 samples, first 'disabled none' at +10.0 s",
  ]);
  const reattached = [...samples(90, 110), ...samples(110.5, 130, () => false, 2)];
  assert.match(judgeSteadyPhase(phase({ samples: reattached }))[0], /enable_seq went 1 -> 2/);
  const stall = judgeSteadyPhase(phase({
    dmesg: 'sched_ext: BPF scheduler "gamer" disabled (runnable task stall)\n',
    log: ["scx_gamer: the kernel stopped the scheduler: stall (watchdog)"],
    pids: { start: "321", end: "gone" },
  }));
  assert.deepEqual(stall, [
    'kernel log: sched_ext: BPF scheduler "gamer" disabled (runnable task stall)',
    "scx_gamer's log: scx_gamer: the kernel stopped the scheduler: stall (watchdog)",
    "scx_gamer (pid 321) was gone at the end",
  ]);
});

Deno.test("a phase the monitor did not watch, or with no scx_gamer, fails rather than passing empty", () => {
  const few = judgeSteadyPhase(phase({ samples: samples(100, 100 + (MIN_SAMPLES - 2) * 0.5) }));
  assert.match(few[0], /^the monitor took \d+ samples in 20\.0 s$/);
  assert.deepEqual(judgeSteadyPhase(phase({ pids: { start: "", end: "gone" } })), [
    "no scx_gamer was running at the start",
  ]);
});

Deno.test("recovery: 0 when never detached, the time to the first good sample after the last bad one, null when it never came back", () => {
  assert.deepEqual(recovery(samples(0, 10), 0, 10), { seconds: 0, lastBad: null });
  const r = recovery(samples(0, 10, (t) => t >= 1 && t <= 3), 0, 10);
  assert.equal(r.seconds, 3.5);
  assert.equal(r.lastBad!.t, 3);
  assert.equal(recovery(samples(0, 10, (t) => t >= 1), 0, 10).seconds, null);
});

function hotplug(bad: (t: number) => boolean, extra: Partial<Parameters<typeof judgeHotplug>[0]> = {}) {
  return judgeHotplug({
    ...phase({ name: "hotplug", begin: 200, end: 221, samples: samples(195, 225, bad) }),
    offline: 200.5,
    online: 210.5,
    work: { offline_rc: 0, online_after_offline: 0, online_rc: 0, online_after_online: 1 },
    ...extra,
  });
}

Deno.test("hotplug passes when the scheduler is back within 5 s of each event, or never left", () => {
  assert.deepEqual(hotplug(() => false), []);
  assert.deepEqual(hotplug((t) => (t > 200.5 && t < 203) || (t > 210.5 && t < 212)), []);
});

Deno.test("hotplug fails when the scheduler does not come back, or comes back late", () => {
  const gone = hotplug((t) => t > 200.6, { pids: { start: "321", end: "gone" } });
  assert.deepEqual(gone, [
    "CPU 1 offline at +0.5 s: the scheduler was not attached again in 10.0 s (last sample 'disabled none' at +10.0 s)",
    "CPU 1 online at +10.5 s: the scheduler was not attached again in 10.5 s (last sample 'disabled none' at +10.5 s)",
    "scx_gamer (pid 321) was gone at the end",
  ]);
  assert.deepEqual(hotplug((t) => t > 200.5 && t < 207), [
    "CPU 1 offline: attached again only 6.5 s later (wanted within 5 s)",
  ]);
});

Deno.test("hotplug fails when CPU 1 never went offline: nothing was tested", () => {
  const p = hotplug(() => false, {
    work: { offline_rc: 1, online_after_offline: 1, online_rc: 0, online_after_online: 1 },
  });
  assert.deepEqual(p, ["CPU 1 did not go offline (echo 0: status 1, online then 1)"]);
  assert.deepEqual(hotplug(() => false, { offline: null }), [
    "the phase did not take CPU 1 offline and online",
  ]);
});
