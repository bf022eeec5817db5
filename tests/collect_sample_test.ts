import assert from "node:assert/strict";
import { defaultConfig, POLICY_VERSION } from "../lib/config.ts";
import { smoothScore } from "../lib/score.ts";
import { buildSample, cpuModel, UNKNOWN_CPU } from "../lib/collect/sample.ts";
import { emptyThreadCounts, type GameInfo, type Metrics } from "../lib/types.ts";
import { makeFakeProc } from "./fixtures/fake_proc.ts";
import { makeSample, makeSmooth } from "./fixtures/sample.ts";

function metrics(selectCpuAvgNs: number): Metrics {
  const lat = (avg: number) => ({ avg_ns: avg, p50_ns: avg, p99_ns: avg * 3, p999_ns: avg * 5, count: 100 });
  return {
    interval_s: 5,
    latency: { select_cpu: lat(selectCpuAvgNs), enqueue: lat(500), dispatch: lat(800), deadline: lat(90) },
    enqueues_per_sec: 40_000,
    dispatches_per_sec: 38_000,
    migration_block_rate: 0.1,
    mm_hint_hit_rate: 0.5,
    direct_dispatch_rate: 0.9,
    cpu_util_pct: 55,
    preempt_kicks_per_sec: 12,
    input_events_per_sec: 250,
    smooth: null,
  };
}

const game: GameInfo = {
  name: "dota2",
  tgid: 3102,
  app_id: "570",
  source: "steam",
  thread_count: 60,
  cpu_pct: 180,
};

Deno.test("buildSample scores (10000/select_cpu)*10 + (mm+direct)*5 + (1-migration)*2", () => {
  const s = buildSample({
    timestamp: 1_764_078_840.5,
    cpuModel: "AMD Ryzen 7 7800X3D 8-Core Processor",
    config: defaultConfig(),
    metrics: metrics(1000),
    game,
    threads: emptyThreadCounts(),
  });
  // 100 + 7 + 1.8
  assert.ok(Math.abs(s.score - 108.8) < 1e-9);
  assert.equal(s.game_name, "dota2");
  assert.equal(s.cpu_model, "AMD Ryzen 7 7800X3D 8-Core Processor");
  assert.equal(s.timestamp, 1_764_078_840.5);
});

Deno.test("buildSample stamps this build's policy and scores the smoothness when it was measured", () => {
  const parts = { timestamp: 1, cpuModel: "x", config: defaultConfig(), game, threads: emptyThreadCounts() };
  const without = buildSample({ ...parts, metrics: metrics(1000) });
  assert.equal(without.policy_version, POLICY_VERSION);
  assert.equal(without.smooth_score, null);
  const smooth = makeSmooth(3);
  const s = buildSample({ ...parts, metrics: { ...metrics(1000), smooth } });
  assert.equal(s.smooth_score, smoothScore(smooth));
  assert.ok(s.smooth_score! > 0 && s.smooth_score! < 100);
  assert.deepEqual(s.metrics.smooth, smooth);
});

Deno.test("buildSample gives a zero select_cpu latency no latency term instead of infinity", () => {
  const s = buildSample({
    timestamp: 1,
    cpuModel: "x",
    config: defaultConfig(),
    metrics: metrics(0),
    game,
    threads: emptyThreadCounts(),
  });
  assert.ok(Math.abs(s.score - 8.8) < 1e-9);
});

Deno.test("buildSample copies its parts so later changes by the caller never alter the sample", () => {
  const config = defaultConfig();
  const m = metrics(1000);
  const s = buildSample({
    timestamp: 1,
    cpuModel: "x",
    config,
    metrics: m,
    game,
    threads: emptyThreadCounts(),
  });
  config.slice_us = 999;
  m.latency.select_cpu.avg_ns = 1;
  assert.equal(s.config.slice_us, defaultConfig().slice_us);
  assert.equal(s.metrics.latency.select_cpu.avg_ns, 1000);
});

Deno.test("the sample helper builds samples whose scores vary with the index", () => {
  const scores = new Set([0, 1, 2, 3, 4].map((i) => makeSample(i).score));
  assert.equal(scores.size, 5);
});

Deno.test("cpuModel reads the first model name line with whitespace collapsed", () => {
  const root = makeFakeProc([], {
    cpuinfo:
      "processor\t: 0\nmodel name\t:   Intel(R) Core(TM)   i7-12700K  \nflags\t: fpu\n\nprocessor\t: 1\nmodel name\t: other\n",
  });
  assert.equal(cpuModel(root), "Intel(R) Core(TM) i7-12700K");
});

Deno.test("cpuModel falls back to unknown-cpu without a model name line or without cpuinfo", () => {
  assert.equal(
    cpuModel(makeFakeProc([], { cpuinfo: "processor\t: 0\nCPU implementer\t: 0x41\n" })),
    UNKNOWN_CPU,
  );
  const root = makeFakeProc([]);
  Deno.removeSync(`${root}/cpuinfo`);
  assert.equal(cpuModel(root), UNKNOWN_CPU);
});

Deno.test("cpuModel reads this machine's /proc/cpuinfo", () => {
  const model = cpuModel("/proc");
  assert.ok(model.length > 0);
  assert.ok(!model.includes("\n"));
});
