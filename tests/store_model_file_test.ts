import { ok, rejects, strictEqual } from "node:assert/strict";
import {
  loadModel,
  type ModelFile,
  ModelFileError,
  modelFileName,
  saveModel,
} from "../lib/store/model_file.ts";

const model = {
  format: "scx_gamer-model",
  version: 1,
  scope: { game: "Half-Life 2", rows: 1, csv: "x" },
} as ModelFile;

Deno.test("a game's model file name is a lowercase slug plus 8 hex digits of its hash", async () => {
  const name = await modelFileName("Half-Life 2");
  ok(/^game-half-life_2-[0-9a-f]{8}\.json$/.test(name), name);
  strictEqual(await modelFileName(null), "global.json");
});

Deno.test("names that slug alike still get different files, and no name escapes the directory", async () => {
  ok((await modelFileName("Half-Life 2")) !== (await modelFileName("half-life 2")));
  const evil = await modelFileName("../../etc/passwd");
  ok(/^game-etc_passwd-[0-9a-f]{8}\.json$/.test(evil), evil);
  ok(/^game-game-[0-9a-f]{8}\.json$/.test(await modelFileName("///")));
});

Deno.test("a saved model loads back and no temp file is left behind", async () => {
  const dir = await Deno.makeTempDir();
  const path = await saveModel(`${dir}/models`, model);
  strictEqual((await loadModel(path)).scope.game, "Half-Life 2");
  const names = [];
  for await (const e of Deno.readDir(`${dir}/models`)) names.push(e.name);
  strictEqual(names.length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a symlink at the model's path is replaced, never written through", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/victim`, "keep");
  await Deno.mkdir(`${dir}/models`);
  await Deno.symlink(`${dir}/victim`, `${dir}/models/${await modelFileName("Half-Life 2")}`);
  const path = await saveModel(`${dir}/models`, model);
  strictEqual(await Deno.readTextFile(`${dir}/victim`), "keep");
  ok((await Deno.lstat(path)).isFile);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a models directory that is a symlink is refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/real`);
  await Deno.symlink(`${dir}/real`, `${dir}/models`);
  await rejects(
    saveModel(`${dir}/models`, model),
    (e: Error) => e instanceof ModelFileError && /symlink/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a JSON file that is not a model is refused on load", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/m.json`, "{}");
  await rejects(loadModel(`${dir}/m.json`), /not a scx_gamer model/);
  await Deno.remove(dir, { recursive: true });
});
