import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { CollectSession, type SampleSink, type SchedulerPort } from "../lib/collect/session.ts";
import { defaultConfig } from "../lib/config.ts";
import { zeroSnapshot } from "../lib/sched/stats.ts";
import { metricsBetween } from "../lib/sched/stats.ts";
import type { Sample, ThreadClass } from "../lib/types.ts";
import { desktop, makeFakeProc, writeFakeProcess } from "./fixtures/fake_proc.ts";

const wineGame = {
  pid: 5000,
  comm: "game.exe",
  cmdline: ["Z:\\games\\game.exe"],
  exe: "/usr/bin/wine64-preloader",
  environ: { SteamAppId: "12345" },
  utime: 5000,
  threads: [
    { tid: 5000, comm: "game.exe" },
    { tid: 5001, comm: "InputThread" },
    { tid: 5002, comm: "dxvk-submit" },
    { tid: 5003, comm: "AudioThread" },
    { tid: 5004, comm: "mystery" },
  ],
};

class FakeScheduler implements SchedulerPort {
  game: number | null = null;
  classes = new Map<number, ThreadClass>();
  behaviour = [{ tid: 5004, avgRunNs: 20_000, wakeups: 0 }];
  setGame(tgid: number | null) {
    this.game = tgid;
  }
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>) {
    this.classes = new Map(classes);
  }
  threadBehaviour() {
    return this.behaviour;
  }
}

class MemorySink implements SampleSink {
  samples: Sample[] = [];
  closed = false;
  constructor(readonly path: string) {}
  add(s: Sample) {
    this.samples.push(s);
  }
  close() {
    this.closed = true;
  }
}

function session(procRoot: string, sched: FakeScheduler, sinks: MemorySink[], lines: string[] = []) {
  return new CollectSession({
    scheduler: sched,
    config: defaultConfig(),
    intervalS: 1,
    procRoot,
    log: (l) => lines.push(l),
    nextMetrics: () => metricsBetween(zeroSnapshot(0), zeroSnapshot(1000)),
    openSink: (game) => {
      const sink = new MemorySink(`mem:${game.name}`);
      sinks.push(sink);
      return sink;
    },
  });
}

Deno.test("a sample is taken only when the interval is due", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sinks: MemorySink[] = [];
  const s = session(proc, new FakeScheduler(), sinks);
  s.tick(0);
  s.tick(500);
  assert.equal(s.samples, 0);
  s.tick(1000);
  assert.equal(s.samples, 1);
  s.tick(1500);
  s.tick(2000);
  assert.equal(s.samples, 2);
});

Deno.test("the game is handed to the scheduler with its classified threads; 'other' is left to default", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const sinks: MemorySink[] = [];
  const s = session(proc, sched, sinks);
  s.sampleNow();
  assert.equal(sched.game, 5000);
  assert.equal(sched.classes.get(5000), "game");
  assert.equal(sched.classes.get(5001), "input");
  assert.equal(sched.classes.get(5002), "gpu_submit");
  assert.equal(sched.classes.get(5003), "audio");
  assert.equal(sched.classes.has(5004), false);
  const sample = sinks[0].samples[0];
  assert.equal(sample.game_name, "game");
  assert.equal(sample.threads.input, 1);
  assert.equal(sample.cpu_model, "AMD Ryzen 7 7800X3D 8-Core Processor");
});

Deno.test("scheduler-observed behaviour refines an unknown thread (short runs, many wake-ups -> gpu_submit)", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const sinks: MemorySink[] = [];
  const s = session(proc, sched, sinks);
  s.sampleNow(1);
  sched.behaviour = [{ tid: 5004, avgRunNs: 20_000, wakeups: 500 }];
  s.sampleNow(1);
  assert.equal(sched.classes.get(5004), "gpu_submit");
  assert.equal(sinks[0].samples[1].threads.gpu_submit, 2);
  assert.equal(sinks[0].samples[1].threads.other, 0);
});

Deno.test("a game that exits closes its sink; a new game opens a new one", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const sinks: MemorySink[] = [];
  const lines: string[] = [];
  const s = session(proc, sched, sinks, lines);
  s.sampleNow();
  rmSync(join(proc, "5000"), { recursive: true });
  s.sampleNow();
  assert.equal(sinks[0].closed, true);
  assert.equal(sched.game, null);
  assert.match(lines.join("\n"), /"game" exited; samples saved to mem:game/);
  writeFakeProcess(proc, {
    ...wineGame,
    pid: 6000,
    comm: "other.exe",
    cmdline: ["C:\\other.exe"],
    threads: undefined,
  });
  s.sampleNow();
  assert.equal(sinks.length, 2);
  assert.equal(sinks[1].path, "mem:other");
  assert.equal(sched.game, 6000);
});

Deno.test("close saves the current game's samples once", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sinks: MemorySink[] = [];
  const lines: string[] = [];
  const s = session(proc, new FakeScheduler(), sinks, lines);
  s.sampleNow();
  s.close("SIGINT");
  s.close("SIGINT");
  assert.equal(sinks[0].closed, true);
  assert.equal(lines.filter((l) => l.includes("(SIGINT)")).length, 1);
});

Deno.test("a failing sink is reported in one line and the session goes on", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const lines: string[] = [];
  const s = new CollectSession({
    scheduler: new FakeScheduler(),
    config: defaultConfig(),
    intervalS: 1,
    procRoot: proc,
    log: (l) => lines.push(l),
    nextMetrics: () => metricsBetween(zeroSnapshot(0), zeroSnapshot(1000)),
    openSink: () => ({
      path: "x",
      add: () => {
        throw new Error("refusing to write through the symlink ml_data/x");
      },
      close: () => {},
    }),
  });
  s.sampleNow();
  s.sampleNow();
  assert.equal(lines.filter((l) => l.includes("symlink")).length, 2);
});
