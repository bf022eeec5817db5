import assert from "node:assert/strict";
import { defaultConfig } from "../lib/config.ts";
import { statsJsonLine, statsLine, statsTextLine, type StatsView } from "../lib/modes/stats_out.ts";
import { metricsBetween, zeroSnapshot } from "../lib/sched/stats.ts";
import { emptyThreadCounts } from "../lib/types.ts";

function view(name = "game.exe"): StatsView {
  return {
    uptimeS: 12.04,
    metrics: metricsBetween(zeroSnapshot(0), zeroSnapshot(1000)),
    game: { name, tgid: 4242, app_id: null, source: "announced", thread_count: 9, cpu_pct: 93.5 },
    threads: { ...emptyThreadCounts(), input: 1, gpu_submit: 1, audio: 1 },
    samples: 3,
    status: null,
    config: defaultConfig(),
  };
}

Deno.test("the text line starts with the seconds since attach and shows the game with its threads", () => {
  const line = statsTextLine(view());
  assert.match(line, /^\[12\.0s\] placed 0\/s /);
  assert.match(line, / \| game game\.exe \(pid 4242\): input 1 gpu 1 audio 1 \| /);
  assert.match(line, / \| samples 3$/);
  assert.equal(statsLine(view(), "text"), line);
});

Deno.test("the JSON line holds every figure unrounded, and is one terminal-safe line", () => {
  const line = statsJsonLine(view("evil\u009b2J"));
  assert.ok(!line.includes("\n") && !line.includes("\u009b"), line);
  const r = JSON.parse(line);
  assert.equal(r.t, 12.04);
  assert.equal(r.game.name, "evil\u009b2J");
  assert.equal(r.game.cpu_pct, 93.5);
  assert.equal(r.threads.gpu_submit, 1);
  assert.deepEqual(r.config, defaultConfig());
  assert.equal(r.metrics.latency.select_cpu.count, 0);
  assert.equal(statsLine(view(), "json"), statsJsonLine(view()));
});
