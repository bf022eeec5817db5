// The supervisor's restart loop, against a fake scheduler (the real restart after a CPU hotplug is
// exercised in the VM: tests/vm/scheduler_vm_test.ts).
import assert from "node:assert/strict";
import { defaultConfig, type SchedConfig } from "../lib/config.ts";
import { type ExitInfo, SCX_ECODE_ACT_RESTART, SCX_ECODE_RSN_HOTPLUG } from "../lib/sched/scheduler.ts";
import { type SchedulerLike, Supervisor } from "../lib/sched/supervisor.ts";
import { zeroSnapshot } from "../lib/sched/stats.ts";
import { zeroSmooth } from "../lib/sched/smooth.ts";
import type { ThreadClass } from "../lib/types.ts";

const HOTPLUG: ExitInfo = {
  kind: 1026,
  kindName: "unregistered by the kernel",
  code: SCX_ECODE_ACT_RESTART | SCX_ECODE_RSN_HOTPLUG,
  reason: "cpu 1 going offline, restarting",
  message: "",
  dump: "",
};
const STALL: ExitInfo = { ...HOTPLUG, kind: 1026, kindName: "stall (watchdog)", code: 0n, reason: "stall" };

/** A scheduler instance as the supervisor sees it; records what it was told. */
class FakeScheduler implements SchedulerLike {
  readonly stats = true;
  readonly inputHook = false;
  readonly timings = { open: 0, load: 0, attach: 0 };
  attached = false;
  attachFails = false;
  exit: ExitInfo | null = null;
  stopped = false;
  config: SchedConfig;
  game: number | null = null;
  classes: ReadonlyMap<number, ThreadClass> = new Map();
  smooth = false;
  pace: number | null = null;
  enqueues = 0n;
  constructor(config: SchedConfig) {
    this.config = config;
  }
  applyConfig(c: SchedConfig) {
    this.config = c;
  }
  currentConfig() {
    return this.config;
  }
  setGame(tgid: number | null) {
    this.game = tgid;
  }
  setThreadClasses(c: ReadonlyMap<number, ThreadClass>) {
    this.classes = c;
  }
  setSmoothness(on: boolean) {
    this.smooth = on;
  }
  setPacingThread(tid: number | null) {
    this.pace = tid;
  }
  threadBehaviour() {
    return [];
  }
  snapshot() {
    const s = zeroSnapshot(performance.now());
    s.counters.enqueues = this.enqueues;
    return s;
  }
  smoothSnapshot() {
    const s = zeroSmooth(performance.now());
    s.waits = this.enqueues;
    return s;
  }
  exitInfo() {
    return this.exit;
  }
  programInsns() {
    return [];
  }
  /** Set to make waitEvents sleep until its timeout (a ring buffer with nothing in it). */
  quiet = false;
  waitEvents(timeoutMs: number) {
    if (!this.quiet) return Promise.resolve([]);
    return new Promise<never[]>((r) => setTimeout(() => r([]), timeoutMs));
  }
  drainEvents() {
    return [];
  }
  attach() {
    if (this.attachFails) throw new Error("EBUSY");
    this.attached = true;
  }
  /** Loaded without hotplug_seq (a spare): it can be attached again as it is. */
  relinkable = false;
  relinks = 0;
  relink() {
    if (!this.relinkable) throw new Error("not relinkable");
    this.exit = null;
    this.relinks++;
  }
  stop() {
    this.stopped = true;
    return this.exit;
  }
}

/** A supervisor over fakes: `fail` attach attempts fail before each success. */
function supervised(
  options: {
    fail?: number;
    maxRestarts?: number;
    maxAttempts?: number;
    states?: string[];
    spare?: boolean;
    spareFails?: boolean;
  } = {},
) {
  const instances: FakeScheduler[] = [];
  const spares: FakeScheduler[] = [];
  const sleeps: number[] = [];
  const restarts: number[] = [];
  let failures = 0;
  const sup = Supervisor.start(defaultConfig(), {
    maxRestarts: options.maxRestarts,
    maxAttempts: options.maxAttempts,
    startFn: (config) => {
      if (instances.length > 0 && failures < (options.fail ?? 0)) {
        failures++;
        throw new Error("EBUSY: the old scheduler is still disabling");
      }
      failures = 0;
      const s = new FakeScheduler(config);
      instances.push(s);
      return s;
    },
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    onRestart: (why) => restarts.push(Number(why.code >> 48n)),
    schedExtState: () => options.states?.shift() ?? "disabled",
    spare: options.spare ?? false,
    prepareFn: (config) => {
      const s = new FakeScheduler(config);
      s.relinkable = true;
      s.attachFails = options.spareFails ?? false;
      spares.push(s);
      return s;
    },
  });
  return { sup, instances, spares, sleeps, restarts };
}

Deno.test("by default no spare is loaded: its verification would cost the game CPU", async () => {
  let prepared = 0;
  const sup = Supervisor.start(defaultConfig(), {
    startFn: (c) => new FakeScheduler(c),
    prepareFn: (c) => {
      prepared++;
      return new FakeScheduler(c);
    },
  });
  await sup.poll();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(prepared, 0);
  sup.stop();
});

Deno.test("while the scheduler runs, poll reports nothing and attaches nothing", async () => {
  const { sup, instances } = supervised();
  assert.equal(await sup.poll(), null);
  assert.equal(instances.length, 1);
});

Deno.test("a restart request (CPU hotplug) attaches a new instance that gets everything userspace set", async () => {
  const { sup, instances, restarts } = supervised();
  const config = { ...defaultConfig(), slice_us: 250 };
  sup.applyConfig(config);
  sup.setGame(4242);
  sup.setThreadClasses(new Map([[4243, "input"]]));
  sup.setSmoothness(true);
  sup.setPacingThread(4244);
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null, "served, not reported");
  assert.equal(instances.length, 2);
  assert.ok(instances[0].stopped, "the old instance is detached and freed");
  const now = instances[1];
  assert.equal(now.config.slice_us, 250);
  assert.equal(now.game, 4242);
  assert.equal(now.classes.get(4243), "input");
  assert.equal(now.smooth, true);
  assert.equal(now.pace, 4244);
  assert.equal(sup.restartCount, 1);
  assert.deepEqual(restarts, [1]);
});

Deno.test("a wait on the replaced instance's events ends at the restart, not at its timeout", async () => {
  const { sup, instances } = supervised();
  instances[0].quiet = true;
  const t0 = performance.now();
  const waiting = sup.waitEvents(5_000);
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null);
  assert.deepEqual(await waiting, []);
  assert.ok(performance.now() - t0 < 2_000, "woken by the restart");
  await new Promise((r) => setTimeout(r, 0));
});

Deno.test("counters stay cumulative across a restart, so interval deltas never go negative", async () => {
  const { sup, instances } = supervised();
  instances[0].enqueues = 1000n;
  const before = sup.snapshot();
  instances[0].exit = HOTPLUG;
  await sup.poll();
  instances[1].enqueues = 5n;
  const after = sup.snapshot();
  assert.equal(after.counters.enqueues - before.counters.enqueues, 5n);
  assert.equal(sup.smoothSnapshot().waits, 1005n);
});

Deno.test("an error or a stall is reported, not hidden by a restart", async () => {
  const { sup, instances } = supervised();
  instances[0].exit = STALL;
  assert.deepEqual(await sup.poll(), STALL);
  assert.equal(instances.length, 1);
});

Deno.test("failed attaches are retried with growing back-off until one succeeds", async () => {
  const { sup, instances, sleeps } = supervised({ fail: 3 });
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null);
  assert.equal(instances.length, 2);
  assert.deepEqual(sleeps, [0, 50, 100, 200]);
});

Deno.test("an attach waits until the kernel reports the old instance disabled", async () => {
  const states = ["disabling", "disabling", "disabling", "disabled"];
  const { sup, instances, sleeps } = supervised({ states });
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null);
  assert.deepEqual(sleeps, [0, 10, 10, 10]);
});

Deno.test("when no attach succeeds, the restart request is reported", async () => {
  const { sup, instances } = supervised({ fail: 1000, maxAttempts: 5 });
  instances[0].exit = HOTPLUG;
  assert.deepEqual(await sup.poll(), HOTPLUG);
});

Deno.test("a restart storm is cut off: more than maxRestarts in the window is reported", async () => {
  const { sup, instances } = supervised({ maxRestarts: 2 });
  for (let i = 0; i < 2; i++) {
    instances.at(-1)!.exit = HOTPLUG;
    assert.equal(await sup.poll(), null);
  }
  instances.at(-1)!.exit = HOTPLUG;
  assert.deepEqual(await sup.poll(), HOTPLUG);
  assert.equal(instances.length, 3);
});

Deno.test("stop detaches the current instance and ends supervision", async () => {
  const { sup, instances } = supervised();
  sup.stop();
  assert.ok(instances[0].stopped);
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null, "no restart after stop");
  assert.equal(instances.length, 1);
});

Deno.test("with a spare, a restart attaches the instance loaded ahead (no load on the restart path)", async () => {
  const { sup, instances, spares } = supervised({ spare: true });
  assert.equal(await sup.poll(), null);
  assert.equal(spares.length, 1, "the first poll prepares a spare");
  assert.equal(spares[0].attached, false);
  sup.setGame(7);
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null);
  assert.equal(instances.length, 1, "no fresh load");
  assert.equal(spares[0].attached, true);
  assert.equal(spares[0].game, 7, "state re-applied to the spare");
  assert.equal(spares[0].config.slice_us, defaultConfig().slice_us);
  await sup.poll();
  assert.equal(spares.length, 2, "a new spare is prepared after use");
  sup.stop();
  assert.ok(spares[1].stopped, "stop frees the spare too");
});

Deno.test("a spare still loading is waited for: the restart attaches it, no second load beside it", async () => {
  let release = () => {};
  const instances: FakeScheduler[] = [];
  const spares: FakeScheduler[] = [];
  const sup = Supervisor.start(defaultConfig(), {
    startFn: (c) => {
      const s = new FakeScheduler(c);
      instances.push(s);
      return s;
    },
    spare: true,
    prepareFn: (c) =>
      new Promise((r) =>
        release = () => {
          const s = new FakeScheduler(c);
          spares.push(s);
          r(s);
        }
      ),
    schedExtState: () => "disabled",
    sleep: () => Promise.resolve(),
  });
  await sup.poll(); // the spare starts loading, and takes its time
  instances[0].exit = HOTPLUG;
  const restarted = sup.poll();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(instances.length, 1, "no fresh load while the spare loads");
  release();
  assert.equal(await restarted, null);
  assert.equal(instances.length, 1);
  assert.ok(spares[0].attached, "the spare was attached");
  sup.stop();
});

Deno.test("a spare once attached is attached again as it is at the next hotplug: no load, counters continue", async () => {
  const { sup, instances, spares } = supervised({ spare: true });
  await sup.poll(); // the spare loads
  await new Promise((r) => setTimeout(r, 0));
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null);
  const spare = spares[0];
  assert.ok(spare.attached);
  spare.enqueues = 5n;
  sup.setGame(77);
  spare.exit = HOTPLUG;
  assert.equal(await sup.poll(), null, "served by a relink");
  assert.equal(spare.relinks, 1);
  assert.equal(spare.stopped, false, "the same instance runs on");
  assert.equal(instances.length, 1, "nothing loaded");
  assert.equal(spare.game, 77, "what userspace set is told again");
  assert.equal(sup.restartCount, 2);
  assert.equal(sup.snapshot().counters.enqueues, 5n, "the same maps: not counted twice");
  sup.stop();
});

Deno.test("a spare that fails to attach is dropped and a fresh instance is loaded", async () => {
  const { sup, instances, spares } = supervised({ spare: true, spareFails: true });
  await sup.poll();
  instances[0].exit = HOTPLUG;
  assert.equal(await sup.poll(), null);
  assert.ok(spares[0].stopped);
  assert.equal(instances.length, 2);
});
