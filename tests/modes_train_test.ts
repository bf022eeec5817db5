import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import { parseConfigFlags } from "../lib/cli/modes.ts";
import { createRng } from "../lib/ml/rng.ts";
import { ORIGINAL_COLUMNS } from "../lib/store/columns.ts";
import { loadModel } from "../lib/store/model_file.ts";
import { loadProfile } from "../lib/store/profile.ts";
import { policyNote, runTrainMode, type TrainModeOptions, TrainOptionError } from "../lib/modes/train.ts";
import { POLICY_VERSION } from "../lib/config.ts";
import { syntheticDataset } from "./fixtures/dataset.ts";
import { syntheticTrainingRows } from "../tools/bench_forest/synthetic.ts";
import { tempDir } from "./fixtures/temp.ts";
import { mountTmpfs } from "./fixtures/tmpfs.ts";

const dir = tempDir("modes_train_test_");
const csvPath = `${dir}/training_data.csv`;
const { header, rows } = syntheticTrainingRows({
  rng: createRng(71),
  games: ["Alpha Game.exe", "beta"],
  perGame: 60,
});
Deno.writeTextFileSync(csvPath, stringify([header, ...rows]));
const CPU = "Synthetic CPU 8-Core";

/** Fast, isolated options: few trees, temp folders, no host reads. */
function opts(extra: Partial<TrainModeOptions> = {}): TrainModeOptions & { lines: string[] } {
  const lines: string[] = [];
  return {
    csv: csvPath,
    forest: { nEstimators: 12 },
    searchBudget: 5_000,
    modelsDir: `${dir}/models`,
    mlDir: `${dir}/ml_data`,
    topology: { smt: false, numaNodes: 1, hybrid: false },
    hostCpuModel: CPU,
    owner: null,
    now: () => new Date("2026-01-02T03:04:05Z"),
    out: (l) => lines.push(...l.split("\n")),
    lines,
    ...extra,
  };
}

const gameRun = opts({ game: "alpha game", analyze: true });
const game = await runTrainMode(gameRun);

Deno.test("one game's run prints the scope and target, the metrics, and the best block last", () => {
  const lines = gameRun.lines;
  ok(
    lines[0].startsWith(
      `Training on 60 samples of Alpha Game.exe from ${csvPath}: 25 features; this machine's CPU model ${CPU}`,
    ),
    lines[0],
  );
  strictEqual(lines[1], "Target: score (default: the data has no smooth_score; higher is better)");
  ok(lines.some((l) => /^Hold-out 80\/20: R² -?\d\.\d{4} {2}MAE \d+\.\d{4}$/.test(l)));
  ok(lines.some((l) => /^5-fold CV: +R² -?\d\.\d{4} {2}MAE \d+\.\d{4} {2}\(folds: /.test(l)));
  ok(
    lines.some((l) => l.startsWith("Impurity importance")) &&
      lines.some((l) => l.startsWith("Permutation importance")),
  );
  // The switches no sample varied stay as the samples ran them (off); this topology suggests the same.
  deepStrictEqual(game.train.best.unvaried, ["avoid_smt", "preferred_idle_scan", "enable_numa"]);
  ok(game.train.best.unvaried.every((k) => game.train.best.config[k] === false));
  ok(!lines.some((l) => l.startsWith("Not swept")), lines.join("\n"));
  const block = lines.slice(-5);
  deepStrictEqual(block.slice(0, 4), [
    "=== Best Configuration Found ===",
    `Performance Score: ${game.train.best.predicted.toFixed(2)}`,
    "",
    "Command line:",
  ]);
  strictEqual(block[4], game.commandLine);
  deepStrictEqual(parseConfigFlags(block[4].split(" ").slice(4)), game.train.best.config);
});

Deno.test("the model is saved under the game's key and CPU model and loads back to identical predictions", () => {
  strictEqual(game.modelPath, `${dir}/models/game-alpha game@cpu-${CPU}.json`);
  ok(gameRun.lines.includes(`Model saved to ${game.modelPath}`));
  const loaded = loadModel(game.modelPath);
  strictEqual(loaded.sha256, game.modelSha256);
  deepStrictEqual(loaded.file.scope, {
    game: "Alpha Game.exe",
    gameKey: "alpha game",
    cpuModel: CPU,
    rows: 60,
    source: csvPath,
  });
  const x = { rows: 3, cols: 25, data: new Float64Array(75).map((_, i) => i % 7) };
  deepStrictEqual(
    loaded.forest.predict(loaded.scaler.transform(x)),
    game.train.forest.predict(game.train.scaler.transform(x)),
  );
});

Deno.test("the game's profile is saved beside its samples with the objective, provenance and workload", () => {
  const profile = loadProfile(`${dir}/ml_data`, { cpuModel: CPU, game: "Alpha Game" })!;
  strictEqual(game.profilePath, `${dir}/ml_data/${CPU}/profiles/alpha game.json`);
  deepStrictEqual(profile, game.profile);
  deepStrictEqual(profile.config, game.train.best.config);
  deepStrictEqual(profile.objective, {
    name: "score",
    direction: "max",
    predicted: game.train.best.predicted,
  });
  deepStrictEqual(profile.provenance, {
    samples: 60,
    trainedAt: "2026-01-02T03:04:05.000Z",
    modelSha256: game.modelSha256,
    source: csvPath,
    cvR2: game.train.cv.r2,
  });
  strictEqual(profile.workload.game_count, 20);
  deepStrictEqual(profile.unmeasured, [], "every value of the profile was measured");
  deepStrictEqual(profile.toConfirm ?? [], game.train.toConfirm, "what autotune is to confirm first");
  strictEqual(
    gameRun.lines.some((l) => l.startsWith("Measured above the defaults by less")),
    game.train.toConfirm.length > 0,
  );
});

Deno.test("every game merged saves a global model and says why no profile was saved", async () => {
  const run = opts();
  const r = await runTrainMode(run);
  strictEqual(r.modelPath, `${dir}/models/global@cpu-${CPU}.json`);
  strictEqual(r.profile, null);
  ok(run.lines.includes("No profile saved: profiles are per game (--game NAME)"));
});

Deno.test("an original 26-column CSV trains on every row, with its score computed", async () => {
  const keep = ORIGINAL_COLUMNS.map((c) => header.indexOf(c));
  const path = `${dir}/original.csv`;
  Deno.writeTextFileSync(path, stringify([[...ORIGINAL_COLUMNS], ...rows.map((r) => keep.map((i) => r[i]))]));
  const run = opts({ csv: path, game: "beta" });
  const r = await runTrainMode(run);
  ok(run.lines[0].endsWith("no cpu_model column: every sample used"), run.lines[0]);
  ok(run.lines[1].endsWith("higher is better), computed from the metrics"), run.lines[1]);
  strictEqual(
    run.lines[2],
    `Policy: the data is of policy version 1, which is older than this build's ${POLICY_VERSION}: ` +
      "its configs may behave differently now (collect new samples with --ml-collect)",
  );
  strictEqual(r.model.features.length, 17);
  ok(run.lines.includes("No profile saved: CPU models merged (--cpu-model NAME)"));
});

Deno.test("bad options fail before training, naming the flag", async () => {
  for (
    const [extra, pattern] of [
      [{ target: "nope" }, /^--target nope: not an objective/],
      [{ modelsDir: "" }, /^--models-dir: expected a value/],
      [{ seed: -1 }, /^--seed -1/],
    ] as const
  ) {
    await rejects(
      runTrainMode(opts(extra)),
      (e: Error) => e instanceof TrainOptionError && pattern.test(e.message),
    );
  }
});

Deno.test("bad data and a bad models or ml directory fail in a second, naming the file", async () => {
  Deno.writeTextFileSync(`${dir}/notes.txt`, "x");
  const started = performance.now();
  await rejects(
    runTrainMode(opts({ modelsDir: `${dir}/notes.txt`, forest: { nEstimators: 100 } })),
    /models directory .*notes\.txt/,
  );
  await rejects(
    runTrainMode(opts({ game: "gamma" })),
    /training_data\.csv: 0 samples for game 'gamma'.*games in the file/,
  );
  await rejects(runTrainMode(opts({ cpuModel: "Other" })), /--cpu-model 'Other': no samples of it/);
  await rejects(
    runTrainMode(opts({ game: "beta", mlDir: `${dir}/notes.txt`, forest: { nEstimators: 100 } })),
    /refusing to use .*notes\.txt: it is not a directory/,
  );
  await rejects(
    runTrainMode(opts({ csv: `${dir}/missing.csv` })),
    /^InputFileError: --ml-train .*missing\.csv: no such file$/,
  );
  ok(performance.now() - started < 5_000, "nothing was trained");
});

Deno.test("a full disk under the models or ml directory is one line naming the file in plain words; nothing unsaved is said saved", async () => {
  const disk = mountTmpfs({ sizeKiB: 256 });
  try {
    Deno.mkdirSync(`${disk.dir}/models`);
    Deno.mkdirSync(`${disk.dir}/ml_data/${CPU}/profiles`, { recursive: true });
    disk.fill();
    const noSpace = (path: string) => (e: Error) =>
      new RegExp(
        `^cannot (write|create a temp file next to) ${RegExp.escape(path)}: no space left on the device$`,
      )
        .test(e.message);
    const models = opts({ game: "beta", modelsDir: `${disk.dir}/models`, saveProfile: false });
    await rejects(runTrainMode(models), noSpace(`${disk.dir}/models/game-beta@cpu-${CPU}.json`));
    ok(!models.lines.some((l) => /saved/i.test(l)), models.lines.join("\n"));
    const profiles = opts({ game: "beta", mlDir: `${disk.dir}/ml_data` });
    await rejects(runTrainMode(profiles), noSpace(`${disk.dir}/ml_data/${CPU}/profiles/beta.json`));
    // The model went elsewhere and was saved; only the profile was not.
    ok(profiles.lines.at(-1)!.startsWith("Model saved to "), profiles.lines.join("\n"));
  } finally {
    disk.close();
  }
});

Deno.test("a file of several policies trains on the newest one's rows and says so in one line", async () => {
  const col = header.indexOf("policy_version");
  const path = `${dir}/policies.csv`;
  const mixed = rows.map((r, i) =>
    r.map((c, j) => (j === col ? String(i % 3 === 0 ? 1 : POLICY_VERSION) : c))
  );
  Deno.writeTextFileSync(path, stringify([header, ...mixed]));
  const run = opts({ csv: path, game: "beta", saveProfile: false });
  await runTrainMode(run);
  ok(run.lines[0].startsWith("Training on 40 samples of beta"), run.lines[0]);
  strictEqual(
    run.lines[2],
    `Policy: training on the rows of policy version ${POLICY_VERSION}, the newest in the file; ` +
      "40 rows of older policies (1) left out",
  );
});

Deno.test("the policy note is silent for one policy of this build's, and names both problems together", () => {
  const ds = syntheticDataset({ seed: 1, perGame: 5 });
  strictEqual(policyNote(ds), null);
  ds.policy = { version: POLICY_VERSION - 1, olderRows: 7, olderVersions: [POLICY_VERSION - 2] };
  strictEqual(
    policyNote(ds),
    `Policy: training on the rows of policy version ${POLICY_VERSION - 1}, the newest in the file; ` +
      `7 rows of older policies (${POLICY_VERSION - 2}) left out; it is older than this build's ` +
      `${POLICY_VERSION}: its configs may behave differently now (collect new samples with --ml-collect)`,
  );
});

Deno.test("a pick the sweep could not back leaves the configs that measured above the defaults in the profile", async () => {
  // One game swept over slice_us 250, 1000 (the default), 4000, 30 rows each, every other tunable at its
  // default, the objective noise only: the pick is not backed, and what measured above the defaults is
  // left for autotune.
  const defaults = parseConfigFlags([]);
  const rng = createRng(5);
  const table = rows.filter((r) => r[header.indexOf("game_name")] === "beta").slice(0, 60)
    .concat(rows.filter((r) => r[header.indexOf("game_name")] === "beta").slice(0, 30))
    .map((r, i) => {
      const row = [...r];
      for (const [k, v] of Object.entries(defaults)) {
        const j = header.indexOf(k);
        if (j >= 0) row[j] = String(Number(v));
      }
      row[header.indexOf("slice_us")] = String([250, 1000, 4000][Math.floor(i / 30)]);
      row[header.indexOf("score")] = String(50 + rng.next() * 4);
      return row;
    });
  const csv = `${dir}/sweep_like.csv`;
  Deno.writeTextFileSync(csv, stringify([header, ...table]));
  const run = opts({
    csv,
    game: "beta",
    target: "score",
    grid: { slice_us: [250, 1000, 4000] },
    mlDir: `${dir}/ml_sweep`,
  });
  const r = await runTrainMode(run);
  strictEqual(r.train.evidence.kind, "not_better");
  ok(r.train.toConfirm.length > 0, JSON.stringify(r.train.pickRank.gains));
  deepStrictEqual(
    loadProfile(`${dir}/ml_sweep`, { cpuModel: CPU, game: "beta" })?.toConfirm,
    r.train.toConfirm,
  );
  const line = run.lines.find((l) => l.startsWith("Measured above the defaults by less than the noise"));
  ok(line?.includes(`--slice-us ${r.train.toConfirm[0].slice_us} `), line);
});
