import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { configToCommandLine, defaultConfig } from "../lib/config.ts";
import { RandomForestRegressor } from "../lib/ml/forest.ts";
import { createRng } from "../lib/ml/rng.ts";
import { StandardScaler } from "../lib/ml/scaler.ts";
import {
  loadModel,
  type ModelFile,
  ModelFileError,
  modelPath,
  parseModelFile,
  prepareModelsDir,
  saveModel,
} from "../lib/store/model_file.ts";
import { StoreIoError } from "../lib/host/safe_fs.ts";
import { printable } from "../lib/host/terminal.ts";
import { friedman1 } from "../tools/bench_forest/synthetic.ts";
import { otherUser } from "./fixtures/other_user.ts";
import { tempDir } from "./fixtures/temp.ts";
import { mountTmpfs } from "./fixtures/tmpfs.ts";

const { x, y } = friedman1(80, { rng: createRng(3), nFeatures: 5 });
const scaler = new StandardScaler().fit(x);
const forest = new RandomForestRegressor({ nEstimators: 3, seed: 1 }).fitSync(scaler.transform(x), y);
const MODEL: ModelFile = {
  format: "scx_gamer-model",
  version: 2,
  created: "2026-01-02T03:04:05.000Z",
  scope: { game: "Half-Life 2", gameKey: "half-life 2", cpuModel: "AMD Ryzen 7", rows: 80, source: "d.csv" },
  target: { name: "score", direction: "max" },
  features: ["a", "b", "c", "d", "e"],
  scaler: scaler.toJSON(),
  forest: forest.toJSON(),
  metrics: { holdout: { r2: 0.5, mae: 1, trainRows: 64, testRows: 16 }, cv: { folds: [], r2: 0.5, mae: 1 } },
  best: {
    config: defaultConfig(),
    predicted: 12.5,
    commandLine: configToCommandLine(defaultConfig()),
    unvaried: [],
    interpolated: [],
  },
  topology: { smt: false, numaNodes: 1, hybrid: false },
  workload: { e: 0.5 },
};
const text = (m: object) => JSON.stringify(m);

Deno.test("a model's path uses the store's safe names, the game by its key, with prefixes", () => {
  strictEqual(modelPath("m", MODEL.scope), "m/game-half-life 2@cpu-AMD Ryzen 7.json");
  strictEqual(
    modelPath("m", { game: "HALF-LIFE 2.exe", cpuModel: "AMD Ryzen 7" }),
    "m/game-half-life 2@cpu-AMD Ryzen 7.json",
  );
  strictEqual(modelPath("m", { game: null, cpuModel: null }), "m/global@all-cpus.json");
  ok(modelPath("m", { game: "global", cpuModel: null }) !== modelPath("m", { game: null, cpuModel: null }));
  const evil = modelPath("m", { game: "../../etc/passwd@x", cpuModel: "../x@y" });
  ok(/^m\/game-[^/@]+@cpu-[^/@]+\.json$/.test(evil), evil);
});

Deno.test("a saved model loads back to identical predictions, with the hash of its bytes, no temp left", async () => {
  const dir = tempDir();
  const saved = await saveModel(`${dir}/models`, MODEL);
  const loaded = loadModel(saved.path);
  strictEqual(loaded.sha256, saved.sha256);
  strictEqual(loaded.file.scope.game, "Half-Life 2");
  deepStrictEqual(loaded.forest.predict(loaded.scaler.transform(x)), forest.predict(scaler.transform(x)));
  deepStrictEqual([...Deno.readDirSync(`${dir}/models`)].map((e) => e.name), [
    "game-half-life 2@cpu-AMD Ryzen 7.json",
  ]);
});

Deno.test("a symlink at the model's path is replaced, never written through", async () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/victim`, "keep");
  const path = modelPath(`${dir}/models`, MODEL.scope);
  prepareModelsDir(`${dir}/models`, null);
  Deno.symlinkSync(`${dir}/victim`, path);
  await rejects(saveModel(`${dir}/models`, MODEL), /refusing to use .*symlink/);
  strictEqual(Deno.readTextFileSync(`${dir}/victim`), "keep");
});

Deno.test("a models directory that is a symlink, a file or empty is refused naming it", async () => {
  const dir = tempDir();
  Deno.mkdirSync(`${dir}/real`);
  Deno.symlinkSync(`${dir}/real`, `${dir}/models`);
  await rejects(
    saveModel(`${dir}/models`, MODEL),
    (e: Error) => e instanceof ModelFileError && /symlink/.test(e.message),
  );
  Deno.writeTextFileSync(`${dir}/notes.txt`, "x");
  throws(
    () => prepareModelsDir(`${dir}/notes.txt`, null),
    /models directory .*notes\.txt: .*not a directory/,
  );
  throws(() => prepareModelsDir(`${dir}/notes.txt/sub`, null), /models directory .*notes\.txt\/sub: /);
  throws(() => prepareModelsDir("", null), /^ModelFileError: models directory: expected a directory name/);
  deepStrictEqual([...Deno.readDirSync(`${dir}/real`)], [], "nothing was created through the symlink");
});

Deno.test("a models directory inside a folder another user can change is refused naming who owns it", async () => {
  const mallory = otherUser();
  const hers = `${tempDir()}/hers`;
  Deno.mkdirSync(hers);
  Deno.chownSync(hers, mallory.uid, mallory.gid);
  await rejects(
    saveModel(`${hers}/models`, MODEL),
    (e: Error) => e instanceof ModelFileError && e.message.includes(`hers: it belongs to uid ${mallory.uid}`),
  );
  deepStrictEqual([...Deno.readDirSync(hers)], [], "root made nothing in her folder");
});

Deno.test("temp files of a killed trainer are removed when training starts; a live process's are kept", async () => {
  const dir = tempDir();
  const folder = `${dir}/m`;
  prepareModelsDir(folder, null);
  const name = "game-half-life 2@cpu-AMD Ryzen 7.json";
  const legacy = (id: string) => `${folder}/${name}.tmp-${id}-0000-4000-8000-000000000000`;
  Deno.writeTextFileSync(`${folder}/.${name}.tmp-999999999-1-ab`, "stale: its process is gone");
  Deno.writeTextFileSync(legacy("0f3c0f3c"), "the older trainer's, two hours old");
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  Deno.utimeSync(legacy("0f3c0f3c"), twoHoursAgo, twoHoursAgo);
  Deno.writeTextFileSync(legacy("1a2b3c4d"), "the older trainer's, maybe still writing");
  Deno.writeTextFileSync(`${folder}/.${name}.tmp-${Deno.pid}-1-cd`, "ours, in flight");
  // Training prepares the models directory before it fits anything.
  prepareModelsDir(folder, null);
  const kept = [`.${name}.tmp-${Deno.pid}-1-cd`, legacy("1a2b3c4d").slice(folder.length + 1)];
  deepStrictEqual([...Deno.readDirSync(folder)].map((e) => e.name).sort(), kept.sort());
  await saveModel(folder, MODEL);
  deepStrictEqual([...Deno.readDirSync(folder)].map((e) => e.name).sort(), [...kept, name].sort());
});

Deno.test("a write that fails half-way (file size limit) names the path, keeps the old model, leaves no temp", async () => {
  const dir = tempDir();
  const saved = await saveModel(`${dir}/m`, MODEL);
  const before = Deno.readTextFileSync(saved.path);
  const big = {
    ...MODEL,
    forest: new RandomForestRegressor({ nEstimators: 40, seed: 2 }).fitSync(scaler.transform(x), y).toJSON(),
  };
  ok(text(big).length > 100_000 && before.length < 50_000);
  Deno.writeTextFileSync(`${dir}/big.json`, text(big));
  const script = `${dir}/save.ts`;
  const lib = new URL("../lib/store/model_file.ts", import.meta.url).href;
  Deno.writeTextFileSync(
    script,
    `import { saveModel } from "${lib}";\n` +
      `try { await saveModel(Deno.args[0], JSON.parse(Deno.readTextFileSync(Deno.args[1]))); }\n` +
      `catch (e) { console.error(e.message); Deno.exit(1); }\n`,
  );
  // Files may not grow past 50 KiB in the child (as a full disk stops a write part-way); SIGXFSZ is
  // ignored so the write fails with EFBIG instead of killing the process.
  const run = await new Deno.Command("bash", {
    args: [
      "-c",
      `trap '' XFSZ; ulimit -f 50; exec "$0" run -A "$@"`,
      Deno.execPath(),
      script,
      `${dir}/m`,
      `${dir}/big.json`,
    ],
  }).output();
  const err = new TextDecoder().decode(run.stderr);
  strictEqual(run.code, 1, err);
  ok(err.startsWith(`cannot write ${saved.path}: `) && /too large/i.test(err), err);
  strictEqual(Deno.readTextFileSync(saved.path), before);
  deepStrictEqual([...Deno.readDirSync(`${dir}/m`)].map((e) => e.name), [
    "game-half-life 2@cpu-AMD Ryzen 7.json",
  ]);
});

Deno.test("on a full disk (a real 64 KiB tmpfs) a save fails naming the path; the old model stays whole, no temp is left", async () => {
  const disk = mountTmpfs({ sizeKiB: 64 });
  try {
    const models = `${disk.dir}/m`;
    const saved = await saveModel(models, MODEL);
    const before = Deno.readTextFileSync(saved.path);
    const name = "game-half-life 2@cpu-AMD Ryzen 7.json";
    const fullDisk = (e: Error) =>
      e instanceof StoreIoError &&
      new RegExp(
        `^cannot (write|create a temp file next to) ${
          RegExp.escape(saved.path)
        }: no space left on the device$`,
      )
        .test(e.message);
    const intact = () => {
      strictEqual(Deno.readTextFileSync(saved.path), before);
      strictEqual(loadModel(saved.path).sha256, saved.sha256);
      deepStrictEqual([...Deno.readDirSync(models)].map((e) => e.name), [name]);
    };
    // A 150 KB model runs out of space part-way (the issue: a 40 KB invalid file replaced a good one).
    const big = {
      ...MODEL,
      forest: new RandomForestRegressor({ nEstimators: 40, seed: 2 }).fitSync(scaler.transform(x), y)
        .toJSON(),
    };
    ok(text(big).length > 100_000);
    await rejects(saveModel(models, big), fullDisk);
    intact();
    // No space at all: even a model the size of the old one cannot be written.
    disk.fill();
    await rejects(saveModel(models, { ...MODEL, created: "2026-02-03T04:05:06.000Z" }), fullDisk);
    intact();
  } finally {
    disk.close();
  }
});

/** One tree of three nodes (root split on feature 0, two leaves) with `edit` applied. */
function withTree(edit: Record<string, unknown>): string {
  const tree = {
    feature: [0, -1, -1],
    threshold: [0, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    value: [0, 1, 2],
    ...edit,
  };
  return text({ ...MODEL, forest: { ...MODEL.forest, trees: [tree] } });
}

Deno.test("hostile trees are refused at load with one line, never looping or reading out of bounds", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ right: [0, -1, -1] }, /tree 0, node 0: children 1, 0: expected ids in 1\.\.2/],
    [{ left: [0, -1, -1] }, /tree 0, node 0: children 0, 2/],
    [{ feature: [0, 0, -1], left: [1, 2, -1], right: [2, 0, -1] }, /tree 0, node 1: children 2, 0/],
    [{ right: [-5, -1, -1] }, /node 0: children 1, -5/],
    [{ right: [99999, -1, -1] }, /node 0: children 1, 99999/],
    [{ feature: [30, -1, -1] }, /node 0: feature 30: expected 0\.\.4/],
    [{ feature: [1.7, -1, -1] }, /node 0: feature 1\.7/],
    [{ feature: ["x", -1, -1] }, /node 0: feature x/],
    [{ threshold: [null, 0, 0] }, /node 0: threshold null: expected a finite number/],
    [{ value: [0, "abc", 2] }, /node 1: value abc: expected a finite number/],
    [{ value: [0, 1] }, /tree 0: arrays of different lengths/],
    [{ left: undefined }, /tree 0: expected arrays feature, threshold, left, right and value/],
    [{ left: [1, 5, -1] }, /node 1: a leaf \(left -1\) must have right -1|node 1: children 5, -1/],
  ];
  for (const [edit, pattern] of cases) {
    throws(
      () => parseModelFile(withTree(edit), "m.json"),
      (e: Error) =>
        e instanceof ModelFileError && e.message.startsWith("m.json: ") && pattern.test(e.message) &&
        !e.message.includes("\n"),
      JSON.stringify(edit),
    );
  }
});

Deno.test("a model whose other parts are bad is refused naming the part", () => {
  const bad: [object, RegExp][] = [
    [{ ...MODEL, version: 1 }, /format version 1: expected 2 \(retrain/],
    [{ ...MODEL, format: "x" }, /not a scx_gamer model file/],
    [{ ...MODEL, forest: { ...MODEL.forest, trees: [] } }, /at least one tree/],
    [
      { ...MODEL, forest: { ...MODEL.forest, nFeatures: 3 } },
      /fitted on 3 features, the file names 5|featureImportances/,
    ],
    [{ ...MODEL, forest: { ...MODEL.forest, featureImportances: undefined } }, /featureImportances/],
    [{ ...MODEL, forest: { ...MODEL.forest, params: { nEstimators: -1 } } }, /nEstimators -1/],
    [{ ...MODEL, scaler: { mean: [1], scale: [1] } }, /scaler: has 1 features, the file names 5/],
    [{ ...MODEL, scaler: { ...MODEL.scaler, scale: [0, 1, 1, 1, 1] } }, /scaler JSON: feature 1/],
    [
      { ...MODEL, best: { ...MODEL.best, config: { ...defaultConfig(), slice_us: -5 } } },
      /best config: --slice-us -5 is out of range/,
    ],
    [
      { ...MODEL, best: { ...MODEL.best, config: { ...defaultConfig(), mig_max: 1e21 } } },
      /--mig-max 1e\+21 is out of range/,
    ],
    [{ ...MODEL, target: { name: "bogus", direction: "max" } }, /target "bogus"/],
    [{ ...MODEL, workload: { e: "x" } }, /workload/],
  ];
  for (const [m, pattern] of bad) {
    throws(
      () => parseModelFile(text(m), "m.json"),
      (e: Error) => e instanceof ModelFileError && pattern.test(e.message),
      pattern.source,
    );
  }
  throws(() => parseModelFile("{", "m.json"), /^ModelFileError: m\.json: not valid JSON$/);
});

Deno.test("a model file's hostile text and name reach the message with their control characters escaped", () => {
  const csi = "\x1b[2J\u009b31m";
  for (const m of [{ ...MODEL, version: csi }, { ...MODEL, target: { name: csi, direction: "max" } }]) {
    throws(
      () => parseModelFile(text(m), `evil${csi}.json`),
      (e: Error) =>
        e instanceof ModelFileError && printable(e.message) === e.message && /\\x1b/.test(e.message),
    );
  }
});

Deno.test("loading refuses a symlink and a missing file with one line naming it", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/real.json`, text(MODEL));
  Deno.symlinkSync(`${dir}/real.json`, `${dir}/link.json`);
  throws(() => loadModel(`${dir}/link.json`), /link\.json: is a symlink/);
  throws(
    () => loadModel(`${dir}/none.json`),
    (e: Error) => e instanceof ModelFileError && /none\.json: no such file/.test(e.message),
  );
  strictEqual(loadModel(`${dir}/real.json`).file.best.predicted, 12.5);
});
