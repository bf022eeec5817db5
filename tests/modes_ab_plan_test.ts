import assert from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { AbPlan } from "../lib/modes/ab_plan.ts";
import type { Window, WindowResult } from "../lib/modes/window_driver.ts";

const num = TUNABLES.find((t) => t.kind === "number")!;
const a = defaultConfig();
const b = { ...defaultConfig(), [num.key]: num.max };

function result(
  window: Window,
  position: number,
  value: number | null,
): WindowResult & { value: number | null } {
  return { window, position, samples: [], startedAt: new Date(0), finishedAt: new Date(0), value };
}

function run(plan: AbPlan, values: (number | null)[]) {
  const order: string[] = [];
  let w = plan.next(null);
  let i = 0;
  while (w !== null) {
    order.push(w.label);
    w = plan.next(result(w, i, i < values.length ? values[i] : 1));
    i++;
  }
  return order;
}

Deno.test("windows come in counterbalanced pairs: A B, B A, A B, ...", () => {
  const plan = new AbPlan({
    a,
    b,
    pairs: 3,
    windowS: 10,
    settleS: 2,
    valueOf: (r) => (r as ReturnType<typeof result>).value,
  });
  assert.deepEqual(run(plan, []), ["A", "B", "B", "A", "A", "B"]);
  assert.equal(plan.pairsDone, 3);
});

Deno.test("each window's value lands on its side, paired by pair", () => {
  const plan = new AbPlan({
    a,
    b,
    pairs: 2,
    windowS: 10,
    settleS: 2,
    valueOf: (r) => (r as ReturnType<typeof result>).value,
  });
  run(plan, [10, 20, 21, 11]);
  assert.deepEqual(plan.values, { a: [10, 11], b: [20, 21] });
});

Deno.test("a window with no sample runs again, on the same side", () => {
  const plan = new AbPlan({
    a,
    b,
    pairs: 1,
    windowS: 10,
    settleS: 2,
    valueOf: (r) => (r as ReturnType<typeof result>).value,
  });
  assert.deepEqual(run(plan, [null, 10, 20]), ["A", "A", "B"]);
  assert.deepEqual(plan.values, { a: [10], b: [20] });
});

Deno.test("the windows carry the configs and timing", () => {
  const plan = new AbPlan({ a, b, pairs: 1, windowS: 7, settleS: 3, valueOf: () => 1 });
  const w = plan.next(null)!;
  assert.deepEqual(w.config, a);
  assert.equal(w.measureS, 7);
  assert.equal(w.settleS, 3);
  assert.deepEqual(plan.next(result(w, 0, 1))!.config, b);
});
