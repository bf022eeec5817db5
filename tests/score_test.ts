import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  defaultObjective,
  findObjective,
  OBJECTIVES,
  objectiveSign,
  score,
  smoothScore,
} from "../lib/score.ts";
import type { SmoothSummary } from "../lib/types.ts";

Deno.test("the score is the original formula", () => {
  const s = score({
    select_cpu_latency_ns: 1000,
    mm_hint_hit_rate: 0.5,
    direct_dispatch_rate: 0.9,
    migration_block_rate: 0.1,
  });
  ok(Math.abs(s - 108.8) < 1e-12, String(s));
});

Deno.test("a select_cpu latency of zero adds nothing rather than infinity", () => {
  strictEqual(
    score({
      select_cpu_latency_ns: 0,
      mm_hint_hit_rate: 0,
      direct_dispatch_rate: 0,
      migration_block_rate: 1,
    }),
    0,
  );
});

Deno.test("the objective table names each objective once, with a direction and a description", () => {
  const names = OBJECTIVES.map((o) => o.name);
  strictEqual(new Set(names).size, names.length);
  for (const o of OBJECTIVES) {
    ok((o.direction === "max" || o.direction === "min") && o.description.length > 10);
  }
  strictEqual(findObjective("frametime_p99")?.direction, "min");
  strictEqual(findObjective("smooth_score")?.direction, "max");
  strictEqual(findObjective("latency_select_cpu_ns"), null);
});

Deno.test("the default objective is smooth_score when the data has it, else score, else none", () => {
  strictEqual(defaultObjective(["score", "smooth_score"])?.name, "smooth_score");
  strictEqual(defaultObjective(["slice_us", "score"])?.name, "score");
  strictEqual(defaultObjective(["frametime_p99"]), null);
});

Deno.test("the sign is +1 for an objective to maximise and -1 for one to minimise", () => {
  deepStrictEqual([objectiveSign(findObjective("score")!), objectiveSign(findObjective("frametime_p99")!)], [
    1,
    -1,
  ]);
});

function summary(over: Partial<SmoothSummary> = {}): SmoothSummary {
  return {
    interval_s: 5,
    policy_version: 2,
    latency: {},
    all: { count: 1000, avg_ns: 500_000, p50_ns: 300_000, p99_ns: 2_000_000 },
    wait_ms_per_s: 50,
    wait_share_behind_other: 0.4,
    pacing: { count: 600, mean_ns: 8e6, median_ns: 8e6, p99_ns: 10e6, spread: 1.25 },
    ...over,
  };
}

const close = (a: number | null, b: number) => ok(a !== null && Math.abs(a - b) < 1e-9, `${a} != ${b}`);

Deno.test("smooth_score is 100 / (1 + p99 ms + behind ms/s / 10 + 10 * (spread - 1))", () => {
  // cost = 2 + (50 * 0.4) / 10 + 10 * 0.25 = 6.5
  close(smoothScore(summary()), 100 / 7.5);
});

Deno.test("smooth_score without a measured render thread has no pacing term", () => {
  // cost = 2 + 2 = 4
  close(smoothScore(summary({ pacing: null })), 20);
});

Deno.test("smooth_score: pacing more even than its median costs nothing, and nothing late scores 100", () => {
  const perfect = summary({
    all: { count: 10, avg_ns: 0, p50_ns: 0, p99_ns: 0 },
    wait_ms_per_s: 0,
    pacing: { count: 10, mean_ns: 1, median_ns: 1, p99_ns: 1, spread: 0.9 },
  });
  close(smoothScore(perfect), 100);
});

Deno.test("smooth_score: waiting behind the game's own threads is not charged", () => {
  // cost = 1 (p99) + 0 (no share behind other work) + 0 (no pacing)
  const s = summary({
    all: { count: 10, avg_ns: 0, p50_ns: 0, p99_ns: 1_000_000 },
    wait_ms_per_s: 400,
    wait_share_behind_other: 0,
    pacing: null,
  });
  close(smoothScore(s), 50);
});

Deno.test("smooth_score charges each 1% of frames that started late as 1 ms, where the spread saturates", () => {
  const pacing = {
    count: 60,
    mean_ns: 17e6,
    median_ns: 16.7e6,
    p99_ns: 33.4e6,
    spread: 2,
    from: "starts" as const,
  };
  // cost = 2 + 2 + 10 * 1 + 5 (5% late) = 19, and with 11% late 25: the spread alone cannot tell them apart.
  close(smoothScore(summary({ pacing: { ...pacing, late_share: 0.05 } })), 100 / 20);
  close(smoothScore(summary({ pacing: { ...pacing, late_share: 0.11 } })), 100 / 26);
  close(smoothScore(summary({ pacing })), 100 / 15); // a sample without the figure: no term
});

Deno.test("smooth_score is null when the game's threads never woke in the interval", () => {
  strictEqual(smoothScore(summary({ all: { count: 0, avg_ns: 0, p50_ns: 0, p99_ns: 0 } })), null);
});
