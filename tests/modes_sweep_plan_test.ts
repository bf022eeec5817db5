import assert from "node:assert/strict";
import { parseConfigFlags } from "../lib/cli/modes.ts";
import { buildGrid } from "../lib/grid.ts";
import { configKey, formatPlan, makePlan, sweepSeconds } from "../lib/modes/sweep_plan.ts";

const grid = buildGrid({ slice_us: [5, 10], mig_max: [1, 3] });

Deno.test("a plan lists the grid's configs in order, labelled by the swept tunables", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  assert.deepEqual(plan.configs.map((p) => p.label), [
    "slice_us=5 mig_max=1",
    "slice_us=5 mig_max=3",
    "slice_us=10 mig_max=1",
    "slice_us=10 mig_max=3",
  ]);
  assert.deepEqual(plan.configs.map((p) => p.index), [0, 1, 2, 3]);
});

Deno.test("a config's key is its tunable flags, and parses back to the same config", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  const p = plan.configs[3];
  assert.equal(p.key, configKey(p.config));
  assert.match(p.key, /^--slice-us 10 .*--mig-max 3/);
  assert.deepEqual(parseConfigFlags(p.key.split(" ")), p.config);
});

Deno.test("every config of a plan has its own key", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  assert.equal(new Set(plan.configs.map((p) => p.key)).size, 4);
});

Deno.test("total time counts every config's settle and measured time", () => {
  assert.equal(sweepSeconds(36, { durationS: 300, settleS: 5 }), 36 * 305);
  assert.equal(sweepSeconds(0, { durationS: 300, settleS: 5 }), 0);
});

Deno.test("the dry-run text shows each config's flags, the count and the total time", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  const lines = formatPlan(plan, { finished: new Set() }).split("\n");
  assert.equal(lines.length, 6);
  assert.equal(lines[0], "Sweep plan: 4 configs, 1m 00s each, after 5 s of settling, in one attach");
  assert.match(lines[1], /^\[1\/4\] --slice-us 5 .*--mig-max 1/);
  assert.equal(lines[5], "4 configs, 0 already finished, 4 to run: about 4m 20s in total");
});

Deno.test("the dry-run text marks finished configs and leaves them out of the total", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  const text = formatPlan(plan, { finished: new Set([plan.configs[0].key]) });
  assert.match(text.split("\n")[1], /^\[1\/4\] finished, skipped: --slice-us 5 /);
  assert.match(text, /4 configs, 1 already finished, 3 to run: about 3m 15s in total$/);
});
