import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { defaultObjective, findObjective, OBJECTIVES, objectiveSign, score } from "../lib/score.ts";

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
