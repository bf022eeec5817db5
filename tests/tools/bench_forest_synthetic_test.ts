import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { createRng } from "../../lib/ml/rng.ts";
import { friedman1, syntheticTrainingRows } from "../../tools/bench_forest/synthetic.ts";
import { COLUMN_NAMES } from "../../lib/store/columns.ts";
import { score } from "../../lib/score.ts";

Deno.test("friedman1 follows the make_friedman1 formula when noise is 0", () => {
  const { x, y } = friedman1(50, { rng: createRng(1), noise: 0 });
  for (let i = 0; i < 50; i++) {
    const r = x.data.subarray(i * 10, i * 10 + 10);
    const f = 10 * Math.sin(Math.PI * r[0] * r[1]) + 20 * (r[2] - 0.5) ** 2 + 10 * r[3] + 5 * r[4];
    strictEqual(y[i], f);
  }
});

Deno.test("friedman1 is reproducible from its seed", () => {
  deepStrictEqual(friedman1(20, { rng: createRng(2) }), friedman1(20, { rng: createRng(2) }));
});

Deno.test("synthetic training rows carry every export column and a score computed from their metrics", () => {
  const { header, rows } = syntheticTrainingRows({ rng: createRng(3), games: ["a"], perGame: 5 });
  deepStrictEqual(header, [...COLUMN_NAMES]);
  for (const row of rows) {
    const v = (name: string) => Number(row[header.indexOf(name)]);
    const expected = score({
      select_cpu_latency_ns: v("latency_select_cpu_ns"),
      mm_hint_hit_rate: v("mm_hint_hit_rate"),
      direct_dispatch_rate: v("direct_dispatch_rate"),
      migration_block_rate: v("migration_block_rate"),
    });
    ok(Math.abs(v("score") - expected) < 1e-9);
  }
});
