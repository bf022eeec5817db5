import assert from "node:assert/strict";
import { SampleRecorder, type SampleSink } from "../lib/collect/recorder.ts";
import { defaultConfig } from "../lib/config.ts";
import { metricsBetween, zeroSnapshot } from "../lib/sched/stats.ts";
import { emptyThreadCounts, type GameInfo, type Sample } from "../lib/types.ts";

class MemorySink implements SampleSink {
  samples: Sample[] = [];
  closed = 0;
  constructor(readonly path: string) {}
  add(s: Sample) {
    this.samples.push(s);
  }
  close() {
    this.closed++;
  }
}

const game: GameInfo = {
  name: "game",
  tgid: 5000,
  app_id: "12345",
  source: "wine",
  thread_count: 5,
  cpu_pct: 40,
};

function recorder(lines: string[], sinks: MemorySink[], add?: () => void) {
  let intervals = 0;
  const r = new SampleRecorder({
    nextMetrics: () => {
      intervals++;
      return metricsBetween(zeroSnapshot(0), zeroSnapshot(1000));
    },
    openSink: (g) => {
      const sink = new MemorySink(`mem:${g.name}`);
      if (add) sink.add = add;
      sinks.push(sink);
      return sink;
    },
    cpuModel: "Test CPU",
    log: (l) => lines.push(l),
    clock: () => 1_700_000_000,
  });
  return { r, intervals: () => intervals };
}

Deno.test("a sample carries the game, the config, the thread counts and the CPU model", () => {
  const sinks: MemorySink[] = [];
  const { r } = recorder([], sinks);
  r.switchGame(game);
  const counts = { ...emptyThreadCounts(), game: 1, input: 1 };
  const s = r.record(game, counts, { ...defaultConfig(), slice_us: 7 })!;
  assert.equal(s.game_name, "game");
  assert.equal(s.config.slice_us, 7);
  assert.equal(s.threads.input, 1);
  assert.equal(s.cpu_model, "Test CPU");
  assert.equal(s.timestamp, 1_700_000_000);
  assert.equal(sinks[0].samples.length, 1);
});

Deno.test("without a game the interval is consumed and nothing is recorded", () => {
  const { r, intervals } = recorder([], []);
  assert.equal(r.record(null, null, defaultConfig()), null);
  assert.equal(intervals(), 1);
  assert.equal(r.samples, 0);
});

Deno.test("a game change closes the old sink with a line and opens the new one; close saves once", async () => {
  const sinks: MemorySink[] = [];
  const lines: string[] = [];
  const { r } = recorder(lines, sinks);
  r.switchGame(game);
  r.switchGame({ ...game, name: "other", tgid: 6000 });
  assert.equal(sinks[0].closed, 1);
  assert.match(lines.join("\n"), /"game" exited; samples saved to mem:game/);
  await r.close("SIGINT");
  await r.close("SIGINT");
  assert.equal(sinks[1].closed, 1);
  assert.equal(lines.filter((l) => l.includes("(SIGINT)")).length, 1);
});

Deno.test("a failing sink is reported in one line each time and recording goes on", () => {
  const lines: string[] = [];
  const { r } = recorder(lines, [], () => {
    throw new Error("refusing to write through the symlink ml_data/x");
  });
  r.switchGame(game);
  r.record(game, emptyThreadCounts(), defaultConfig());
  r.record(game, emptyThreadCounts(), defaultConfig());
  assert.equal(lines.filter((l) => l.includes("symlink")).length, 2);
});

Deno.test("closing waits for a save still being written before the final save", async () => {
  const order: string[] = [];
  let release!: () => void;
  const inFlight = new Promise<void>((r) => (release = r));
  const r = new SampleRecorder({
    nextMetrics: () => metricsBetween(zeroSnapshot(0), zeroSnapshot(1000)),
    openSink: () => ({
      path: "mem",
      add: () => {},
      flush: async () => {
        await inFlight;
        order.push("flushed");
      },
      close: () => order.push("closed"),
    }),
    cpuModel: "Test CPU",
    log: () => {},
  });
  r.switchGame(game);
  const closing = r.close("SIGINT");
  order.push("asked");
  release();
  await closing;
  assert.deepEqual(order, ["asked", "flushed", "closed"]);
});

Deno.test("saved counts only samples durable in their sink: appends in flight are not counted", () => {
  let unsaved = 0;
  const r = new SampleRecorder({
    nextMetrics: () => metricsBetween(zeroSnapshot(0), zeroSnapshot(1000)),
    openSink: () => ({
      path: "mem",
      add: () => void unsaved++,
      close: () => void (unsaved = 0),
      get unsaved() {
        return unsaved;
      },
    }),
    cpuModel: "Test CPU",
    log: () => {},
  });
  r.switchGame(game);
  for (let i = 0; i < 3; i++) r.record(game, emptyThreadCounts(), defaultConfig());
  assert.equal(r.samples, 3);
  assert.equal(r.saved, 0, "three appends still being written");
  unsaved = 1;
  assert.equal(r.saved, 2);
  // A new game: the old sink's final save made all of its samples durable.
  r.switchGame({ ...game, name: "other", tgid: 6000 });
  r.record({ ...game, name: "other", tgid: 6000 }, emptyThreadCounts(), defaultConfig());
  assert.equal(r.samples, 4);
  assert.equal(r.saved, 3);
});

Deno.test("a sink that does not say what is unsaved counts every sample as saved", () => {
  const { r } = recorder([], []);
  r.switchGame(game);
  r.record(game, emptyThreadCounts(), defaultConfig());
  assert.equal(r.saved, 1);
});
