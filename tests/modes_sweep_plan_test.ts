import assert from "node:assert/strict";
import { parseConfigFlags } from "../lib/cli/modes.ts";
import { buildGrid } from "../lib/grid.ts";
import { defaultConfig } from "../lib/config.ts";
import { configKey, formatPlan, makePlan, REFERENCE_EVERY, sweepSeconds } from "../lib/modes/sweep_plan.ts";

const grid = buildGrid({ slice_us: [5, 10], mig_max: [1, 3] });
// The grid's configs alone (the reference windows of the defaults have their own tests below).
const timing = { durationS: 60, settleS: 5, referenceEvery: 0 };

Deno.test("a plan lists the grid's configs in order, labelled by the swept tunables", () => {
  const plan = makePlan(grid, timing);
  assert.deepEqual(plan.configs.map((p) => p.label), [
    "slice_us=5 mig_max=1",
    "slice_us=5 mig_max=3",
    "slice_us=10 mig_max=1",
    "slice_us=10 mig_max=3",
  ]);
  assert.deepEqual(plan.configs.map((p) => p.index), [0, 1, 2, 3]);
});

Deno.test("a config's key is its tunable flags, and parses back to the same config", () => {
  const plan = makePlan(grid, timing);
  const p = plan.configs[3];
  assert.equal(p.key, configKey(p.config));
  assert.match(p.key, /^--slice-us 10 .*--mig-max 3/);
  assert.deepEqual(parseConfigFlags(p.key.split(" ")), p.config);
});

Deno.test("every config of a plan has its own key", () => {
  const plan = makePlan(grid, timing);
  assert.equal(new Set(plan.configs.map((p) => p.key)).size, 4);
});

Deno.test("total time counts every config's settle and measured time", () => {
  assert.equal(sweepSeconds(36, { durationS: 300, settleS: 5 }), 36 * 305);
  assert.equal(sweepSeconds(0, { durationS: 300, settleS: 5 }), 0);
});

Deno.test("the dry-run text shows each config's flags, the count and the total time", () => {
  const plan = makePlan(grid, timing);
  const lines = formatPlan(plan, { finished: new Set() }).split("\n");
  assert.equal(lines.length, 6);
  assert.equal(lines[0], "Sweep plan: 4 configs, 1m 00s each, after 5 s of settling, in one attach");
  assert.match(lines[1], /^\[1\/4\] --slice-us 5 .*--mig-max 1/);
  assert.equal(lines[5], "4 configs, 0 already finished, 4 to run: about 4m 20s in total");
});

Deno.test("the dry-run text marks finished configs and leaves them out of the total", () => {
  const plan = makePlan(grid, timing);
  const text = formatPlan(plan, { finished: new Set([plan.configs[0].key]) });
  assert.match(text.split("\n")[1], /^\[1\/4\] finished, skipped: --slice-us 5 /);
  assert.match(text, /4 configs, 1 already finished, 3 to run: about 3m 15s in total$/);
});

Deno.test("the defaults run as reference windows before the first config, between configs and after the last", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5, referenceEvery: 2 });
  assert.deepEqual(plan.configs.map((p) => p.label), [
    "defaults (reference 1/3)",
    "slice_us=5 mig_max=1",
    "slice_us=5 mig_max=3",
    "defaults (reference 2/3)",
    "slice_us=10 mig_max=1",
    "slice_us=10 mig_max=3",
    "defaults (reference 3/3)",
  ]);
  assert.deepEqual(plan.configs.map((p) => p.index), [0, 1, 2, 3, 4, 5, 6]);
  const references = plan.configs.filter((p) => p.reference);
  for (const r of references) {
    assert.deepEqual(r.config, defaultConfig());
    // Each keeps its own state entry, and its key still ends in the flags it ran.
    assert.ok(r.key.endsWith(`: ${configKey(defaultConfig())}`), r.key);
  }
  assert.equal(new Set(plan.configs.map((p) => p.key)).size, 7);
});

Deno.test("the default grid of 27 configs gets five reference windows; the dry run says so", () => {
  const big = buildGrid({ slice_us: [1, 2, 3], slice_lag_us: [1, 2, 3], mig_max: [1, 2, 3] });
  const plan = makePlan(big, { durationS: 20, settleS: 2 });
  assert.equal(REFERENCE_EVERY, 8);
  assert.equal(plan.configs.filter((p) => p.reference).length, 5);
  assert.deepEqual(plan.configs.flatMap((p, i) => p.reference ? [i] : []), [0, 9, 18, 27, 31]);
  assert.match(
    formatPlan(plan, { finished: new Set() }).split("\n")[0],
    /^Sweep plan: 32 configs \(27 of the grid, 5 reference windows of the defaults\), 20 s each/,
  );
});

Deno.test("a second pass runs the grid again backwards, each window under its own key", () => {
  const plan = makePlan(grid, { ...timing, passes: 2 });
  assert.deepEqual(plan.configs.map((p) => p.label), [
    "slice_us=5 mig_max=1",
    "slice_us=5 mig_max=3",
    "slice_us=10 mig_max=1",
    "slice_us=10 mig_max=3",
    "slice_us=10 mig_max=3 (pass 2/2)",
    "slice_us=10 mig_max=1 (pass 2/2)",
    "slice_us=5 mig_max=3 (pass 2/2)",
    "slice_us=5 mig_max=1 (pass 2/2)",
  ]);
  // The first pass keeps the one-pass keys (a one-pass state resumes as it), the second its own.
  assert.deepEqual(
    plan.configs.slice(0, 4).map((p) => p.key),
    makePlan(grid, timing).configs.map((p) => p.key),
  );
  assert.equal(plan.configs[4].key, `pass 2/2: ${configKey(plan.configs[3].config)}`);
  assert.deepEqual(plan.configs[4].config, plan.configs[3].config);
  assert.equal(new Set(plan.configs.map((p) => p.key)).size, 8);
});

Deno.test("reference windows of the defaults keep their pace across passes", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5, referenceEvery: 3, passes: 3 });
  const labels = plan.configs.map((p) => p.label);
  // 12 grid windows: a reference before the 1st, 4th, 7th and 10th, at the turns (before the 5th and
  // 9th) and after the last.
  assert.equal(labels.length, 19);
  assert.deepEqual(labels.filter((l) => l.startsWith("defaults")).length, 7);
  assert.equal(labels[0], "defaults (reference 1/7)");
  assert.equal(labels[4], "defaults (reference 2/7)");
  assert.equal(labels[18], "defaults (reference 7/7)");
  // At a turn the same config would run twice back to back: a reference window keeps them apart.
  const turn = labels.indexOf("slice_us=10 mig_max=3 (pass 2/3)");
  assert.equal(labels[turn - 2], "slice_us=10 mig_max=3");
  assert.match(labels[turn - 1], /^defaults \(reference/);
  assert.match(
    formatPlan(plan, { finished: new Set() }),
    /^Sweep plan: 19 configs \(4 of the grid x 3 passes, 7 reference windows of the defaults\)/,
  );
  // The third pass runs forwards again.
  assert.equal(labels.filter((l) => l.endsWith("(pass 3/3)"))[0], "slice_us=5 mig_max=1 (pass 3/3)");
});
