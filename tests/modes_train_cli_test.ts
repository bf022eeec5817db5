import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import { readTopology } from "../lib/host/topology.ts";
import { createRng } from "../lib/ml/rng.ts";
import { main, parseTrainArgs, TrainUsageError } from "../lib/modes/train_cli.ts";
import { runTrainMode } from "../lib/modes/train.ts";
import { syntheticTrainingRows } from "../tools/bench_forest/synthetic.ts";
import { tempDir } from "./fixtures/temp.ts";

const dir = tempDir("train_cli_test_");
const csvPath = `${dir}/training_data.csv`;
const { header, rows } = syntheticTrainingRows({
  rng: createRng(71),
  games: ["Alpha Game", "beta"],
  perGame: 60,
});
Deno.writeTextFileSync(csvPath, stringify([header, ...rows]));

Deno.test("train arguments: one CSV and the train flags; anything else is a usage error", () => {
  deepStrictEqual(
    parseTrainArgs(["d.csv", "--game", "cs2", "--analyze", "--target", "score", "--cpu-model", "all"]),
    {
      csv: "d.csv",
      game: "cs2",
      cpuModel: "all",
      target: "score",
      analyze: true,
      seed: 0,
      modelsDir: "ml/models",
      mlDir: "ml_data",
      interpolate: false,
      help: false,
    },
  );
  throws(
    () => parseTrainArgs([]),
    (e: Error) => e instanceof TrainUsageError && /expected one CSV file/.test(e.message),
  );
  throws(() => parseTrainArgs(["a.csv", "--bogus"]), TrainUsageError);
  for (const seed of ["x", "", "0x10", "-1", "4294967296", "1.5"]) {
    throws(() => parseTrainArgs(["a.csv", `--seed=${seed}`]), new RegExp(`--seed '${seed}'`));
  }
});

Deno.test("exit 2 on a usage error or a bad option value, 1 on bad data, each with one line", async () => {
  strictEqual(await main(["--nope"]), 2);
  strictEqual(await main([csvPath, "--target", "nope"]), 2);
  strictEqual(await main([csvPath, "--models-dir", ""]), 2);
  strictEqual(await main([`${dir}/missing.csv`]), 1);
  Deno.writeTextFileSync(`${dir}/short.csv`, stringify([header, ...rows.slice(0, 5)]));
  strictEqual(await main([`${dir}/short.csv`, "--models-dir", `${dir}/models`, "--ml-dir", `${dir}/ml`]), 1);
  strictEqual(await main(["/dev/zero"]), 1);
});

Deno.test("a one-file bundle trains on workers and prints the same result as in-process", async () => {
  const bundle = `${dir}/train_bundle.js`;
  const root = new URL("..", import.meta.url).pathname;
  const built = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", bundle, `${root}lib/modes/train_cli.ts`],
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
  if (navigator.hardwareConcurrency > 1) ok(/grown on \d+ workers/.test(stdout), stdout);
  ok(stdout.includes(`Profile of beta saved to ml_data/Synthetic CPU 8-Core/profiles/beta.json`), stdout);
  const here = await runTrainMode({
    csv: csvPath,
    game: "beta",
    seed: 3,
    modelsDir: `${dir}/inproc_models`,
    mlDir: `${dir}/inproc_ml`,
    topology: await readTopology(),
    out: () => {},
  });
  ok(stdout.trimEnd().endsWith(here.commandLine), stdout);
});
