import assert from "node:assert/strict";
import { parseArgs } from "../lib/cli/parse.ts";
import { buildGrid } from "../lib/sweep/grid.ts";
import { commandFor, configKey, formatPlan, makePlan, shellWord, sweepSeconds } from "../lib/sweep/plan.ts";

const grid = buildGrid({ slice_us: [5, 10], mig_max: [1, 3] });
const collect = { mlDir: "ml data", sampleIntervalS: 1, game: "game.exe", scheduler: ["scx_gamer"] };

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
  assert.match(
    p.key,
    /^--slice-us 10 --slice-lag-us 20000 .*--mig-max 3 --wakeup-timer-us 0 --batch-burst-us 10000$/,
  );
  assert.deepEqual(parseArgs(p.key.split(" ")).config, p.config);
});

Deno.test("every config of a plan has its own key", () => {
  const plan = makePlan(buildGrid({ slice_us: [5, 10], avoid_smt: [false, true] }), {
    durationS: 1,
    settleS: 0,
  });
  assert.equal(new Set(plan.configs.map((p) => p.key)).size, 4);
});

Deno.test("the command collects into the ml dir for the game, with no --duration, and is a valid scx_gamer run", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  const argv = commandFor(plan.configs[1], collect);
  assert.deepEqual(argv.slice(0, 8), [
    "scx_gamer",
    "--ml-collect",
    "--ml-sample-interval",
    "1",
    "--ml-dir",
    "ml data",
    "--game",
    "game.exe",
  ]);
  assert.ok(!argv.includes("--duration"));
  const opts = parseArgs(argv.slice(1));
  assert.equal(opts.mode, "run");
  assert.equal(opts.mlCollect, true);
  assert.deepEqual(opts.config, plan.configs[1].config);
});

Deno.test("without a game the command lets the scheduler detect it", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  assert.ok(!commandFor(plan.configs[0], { ...collect, game: null }).includes("--game"));
});

Deno.test("total time counts every run and the rests between them", () => {
  assert.equal(sweepSeconds(36, { durationS: 300, settleS: 5 }), 36 * 300 + 35 * 5);
  assert.equal(sweepSeconds(1, { durationS: 300, settleS: 5 }), 300);
  assert.equal(sweepSeconds(0, { durationS: 300, settleS: 5 }), 0);
});

Deno.test("the dry-run text shows each command line, the count and the total time", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  const lines = formatPlan(plan, { ...collect, finished: new Set() }).split("\n");
  assert.equal(lines.length, 6);
  assert.equal(lines[0], "Sweep plan: 4 configs, 1m 00s each, 5 s settle between configs");
  assert.match(
    lines[1],
    /^\[1\/4\] scx_gamer --ml-collect --ml-sample-interval 1 --ml-dir 'ml data' --game game\.exe --slice-us 5 /,
  );
  assert.equal(lines[5], "4 configs, 0 already finished, 4 to run: about 4m 15s in total");
});

Deno.test("the dry-run text marks finished configs and leaves them out of the total", () => {
  const plan = makePlan(grid, { durationS: 60, settleS: 5 });
  const text = formatPlan(plan, { ...collect, finished: new Set([plan.configs[0].key]) });
  assert.match(text.split("\n")[1], /^\[1\/4\] finished, skipped: scx_gamer /);
  assert.match(text, /4 configs, 1 already finished, 3 to run: about 3m 10s in total$/);
});

Deno.test("shell words are quoted only when they need it", () => {
  assert.equal(shellWord("--ml-dir"), "--ml-dir");
  assert.equal(shellWord("a b"), "'a b'");
  assert.equal(shellWord("it's"), `'it'\\''s'`);
});
