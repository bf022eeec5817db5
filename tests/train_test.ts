import { TUNABLE_KEYS } from "../lib/config.ts";
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import { parseArgs } from "../lib/cli/parse.ts";
import { RandomForestRegressor } from "../lib/ml/forest.ts";
import { loadModel } from "../lib/ml/model_file.ts";
import { createRng } from "../lib/ml/rng.ts";
import { syntheticTrainingRows } from "../tools/bench_forest/synthetic.ts";
import { ORIGINAL_COLUMNS } from "../lib/store/columns.ts";
import { runTraining } from "../lib/ml/train_pipeline.ts";
import { main, parseTrainArgs, TrainUsageError } from "../ml/train.ts";
import { readTopology } from "../lib/topology.ts";

const dir = await Deno.makeTempDir({ prefix: "train_test_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const csvPath = `${dir}/training_data.csv`;
const { header, rows } = syntheticTrainingRows({
  rng: createRng(71),
  games: ["Alpha Game", "beta"],
  perGame: 60,
});
await Deno.writeTextFile(csvPath, stringify([header, ...rows]));
const fast = { forest: { nEstimators: 20 }, searchBudget: 20_000 };

Deno.test("training prints the best-configuration block last, and its command line parses back to the config", async () => {
  const lines: string[] = [];
  const result = await runTraining(csvPath, {
    ...fast,
    modelsDir: `${dir}/models`,
    out: (l) => lines.push(l),
  });
  const block = lines.join("\n").split("\n").slice(-5);
  strictEqual(block[0], "=== Best Configuration Found ===");
  ok(/^Performance Score: \d+\.\d\d$/.test(block[1]), block[1]);
  strictEqual(block[1], `Performance Score: ${result.best.score.toFixed(2)}`);
  deepStrictEqual(block.slice(2, 4), ["", "Command line:"]);
  ok(block[4].startsWith("sudo ./scx_gamer --stats 1 "));
  strictEqual(block[4], result.commandLine);
  const argv = block[4].split(" ").slice(2); // drop "sudo ./scx_gamer"
  const parsed = parseArgs(argv);
  strictEqual(parsed.mode, "run");
  deepStrictEqual(parsed.config, result.best.config);
});

Deno.test("training reports hold-out and 5-fold CV R² and MAE", async () => {
  const lines: string[] = [];
  const result = await runTraining(csvPath, {
    ...fast,
    modelsDir: `${dir}/models`,
    out: (l) => lines.push(l),
  });
  ok(lines.some((l) => /^Hold-out 80\/20: R² -?\d\.\d{4} {2}MAE \d+\.\d{4}$/.test(l)));
  ok(lines.some((l) => /^5-fold CV: +R² -?\d\.\d{4} {2}MAE \d+\.\d{4} {2}\(folds: /.test(l)));
  strictEqual(result.model.metrics.cv.folds.length, 5);
  strictEqual(result.model.metrics.holdout.testRows, 24);
  ok(result.model.metrics.cv.r2 > 0.5, `CV R² ${result.model.metrics.cv.r2}`);
});

Deno.test("a per-game model is saved under a path-safe name and loads back to identical predictions", async () => {
  const result = await runTraining(csvPath, {
    ...fast,
    game: "Alpha Game",
    modelsDir: `${dir}/models`,
    out: () => {},
  });
  ok(/\/game-alpha_game-[0-9a-f]{8}\.json$/.test(result.modelPath), result.modelPath);
  const saved = await loadModel(result.modelPath);
  strictEqual(saved.scope.game, "Alpha Game");
  strictEqual(saved.scope.rows, 60);
  deepStrictEqual(saved.best.config, result.best.config);
  strictEqual(saved.best.commandLine, result.commandLine);
  const x = {
    rows: 2,
    cols: saved.features.length,
    data: new Float64Array(2 * saved.features.length).fill(0.5),
  };
  const inMemory = RandomForestRegressor.fromJSON(result.model.forest).predict(x);
  deepStrictEqual(RandomForestRegressor.fromJSON(saved.forest).predict(x), inMemory);
});

Deno.test("the same seed trains to the same best config", async () => {
  const a = await runTraining(csvPath, { ...fast, seed: 5, modelsDir: `${dir}/m5a`, out: () => {} });
  const b = await runTraining(csvPath, { ...fast, seed: 5, modelsDir: `${dir}/m5b`, out: () => {} });
  strictEqual(a.commandLine, b.commandLine);
  strictEqual(a.best.score, b.best.score);
});

Deno.test("--analyze prints impurity and permutation importance as ranked tables with bars", async () => {
  const lines: string[] = [];
  await runTraining(csvPath, {
    ...fast,
    analyze: true,
    modelsDir: `${dir}/models`,
    out: (l) => lines.push(l),
  });
  const text = lines.join("\n");
  ok(text.includes("Impurity importance"));
  ok(text.includes("Permutation importance"));
  ok(/\n {3}1 {2}\S+ +\d\.\d{4} {2}#{30}\n/.test(text), "rank 1 has the full bar");
});

Deno.test("topology switches reach the printed command line when the data cannot decide them", async () => {
  const r = await runTraining(csvPath, {
    ...fast,
    topology: { smt: true, numaNodes: 2, hybrid: false },
    modelsDir: `${dir}/models`,
    out: () => {},
  });
  ok(r.commandLine.includes("--avoid-smt") && r.commandLine.includes("--enable-numa"));
  ok(!r.commandLine.includes("--preferred-idle-scan"));
});

Deno.test("an original 26-column CSV trains, with its score computed from the metrics", async () => {
  const keep = ORIGINAL_COLUMNS.map((c) => header.indexOf(c));
  const path = `${dir}/original.csv`;
  await Deno.writeTextFile(
    path,
    stringify([[...ORIGINAL_COLUMNS], ...rows.map((r) => keep.map((i) => r[i]))]),
  );
  const lines: string[] = [];
  const result = await runTraining(path, {
    ...fast,
    modelsDir: `${dir}/orig_models`,
    out: (l) => lines.push(l),
  });
  ok(lines[0].includes("(score computed from the metrics)"), lines[0]);
  deepStrictEqual(result.model.features.slice(TUNABLE_KEYS.length), [
    "cpu_util_pct",
    "input_handler_count",
    "gpu_submit_count",
    "compositor_count",
    "network_count",
  ]);
  deepStrictEqual(parseArgs(result.commandLine.split(" ").slice(2)).config, result.best.config);
});

Deno.test("train arguments: one CSV, --game, --analyze, --seed; anything else is a usage error", () => {
  deepStrictEqual(parseTrainArgs(["d.csv", "--game", "cs2", "--analyze"]), {
    csv: "d.csv",
    game: "cs2",
    analyze: true,
    seed: 0,
    modelsDir: "ml/models",
    help: false,
  });
  throws(
    () => parseTrainArgs([]),
    (e: Error) => e instanceof TrainUsageError && /expected one CSV file/.test(e.message),
  );
  throws(() => parseTrainArgs(["a.csv", "--bogus"]), TrainUsageError);
  throws(() => parseTrainArgs(["a.csv", "--seed", "x"]), /--seed 'x'/);
});

Deno.test("ml/train.ts exits 2 on a usage error and 1 on bad data", async () => {
  strictEqual(await main(["--nope"]), 2);
  strictEqual(await main([`${dir}/missing.csv`]), 1);
  await Deno.writeTextFile(`${dir}/short.csv`, stringify([header, ...rows.slice(0, 5)]));
  strictEqual(await main([`${dir}/short.csv`, "--models-dir", `${dir}/models`]), 1);
});

Deno.test("topology is read from a sysfs tree: SMT siblings, NUMA nodes, hybrid capacities", async () => {
  const sys = `${dir}/sys`;
  for (const [cpu, siblings, cap] of [["cpu0", "0,2", "1024"], ["cpu1", "1,3", "512"]]) {
    await Deno.mkdir(`${sys}/devices/system/cpu/${cpu}/topology`, { recursive: true });
    await Deno.writeTextFile(
      `${sys}/devices/system/cpu/${cpu}/topology/thread_siblings_list`,
      siblings + "\n",
    );
    await Deno.writeTextFile(`${sys}/devices/system/cpu/${cpu}/cpu_capacity`, cap + "\n");
  }
  await Deno.mkdir(`${sys}/devices/system/node/node0`, { recursive: true });
  await Deno.mkdir(`${sys}/devices/system/node/node1`, { recursive: true });
  deepStrictEqual(await readTopology(sys), { smt: true, numaNodes: 2, hybrid: true });
  deepStrictEqual(await readTopology(`${dir}/no-sys`), { smt: false, numaNodes: 1, hybrid: false });
});

Deno.test("a one-file bundle of ml/train.ts trains on workers and prints the same result as in-process", async () => {
  const bundle = `${dir}/train_bundle.js`;
  const root = new URL("..", import.meta.url).pathname;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", bundle, `${root}ml/train.ts`],
    cwd: root,
  }).output();
  strictEqual(built.code, 0, new TextDecoder().decode(built.stderr));
  const run = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      bundle,
      csvPath,
      "--game",
      "beta",
      "--seed",
      "3",
      "--models-dir",
      `${dir}/bundle_models`,
    ],
    cwd: dir,
  }).output();
  const stdout = new TextDecoder().decode(run.stdout);
  strictEqual(run.code, 0, new TextDecoder().decode(run.stderr));
  const cores = navigator.hardwareConcurrency;
  if (cores > 1) ok(/grown on \d+ workers/.test(stdout), stdout);
  const here = await runTraining(csvPath, {
    game: "beta",
    seed: 3,
    modelsDir: `${dir}/inproc_models`,
    topology: await readTopology(),
    out: () => {},
  });
  ok(stdout.trimEnd().endsWith(here.commandLine), stdout);
});
