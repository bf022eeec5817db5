import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import {
  checkMagnitudes,
  columnMedians,
  DatasetError,
  distinctColumnValues,
  resolveCpuModel,
  scopeData,
  selectScope,
} from "../lib/ml/dataset.ts";
import { syntheticDataset } from "./fixtures/dataset.ts";

const CPU = "Synthetic CPU 8-Core";
const ds = syntheticDataset({
  seed: 1,
  games: ["Alpha.exe", "alpha", "beta"],
  perGame: 20,
  edit: (header, rows) => rows.slice(40).forEach((r) => (r[header.indexOf("cpu_model")] = "Other CPU")),
});

Deno.test("a game is matched by its key: Alpha.exe and alpha are one game", () => {
  const scope = selectScope(ds, { game: "ALPHA" });
  strictEqual(scope.rows.length, 40);
  strictEqual(scope.game, "Alpha.exe");
  strictEqual(scope.gameKey, "alpha");
});

Deno.test("a CPU model keeps only its rows; null merges every CPU model", () => {
  strictEqual(selectScope(ds, { cpuModel: CPU }).rows.length, 40);
  strictEqual(selectScope(ds, {}).rows.length, 60);
  strictEqual(selectScope(ds, { cpuModel: "Other CPU", minSamples: 1 }).cpuModel, "Other CPU");
});

Deno.test("too few rows in scope is one line naming the file, the game, the CPU and what the data has", () => {
  throws(
    () => selectScope(ds, { game: "beta", cpuModel: CPU }),
    (e: Error) =>
      e instanceof DatasetError && !e.message.includes("\n") &&
      e.message.startsWith("synthetic.csv: 0 samples for game 'beta' (column game_name) on CPU model") &&
      e.message.includes("games in the file: Alpha.exe, alpha, beta") && e.message.includes("Other CPU"),
  );
});

Deno.test("the CPU model defaults to this machine's when the data has it", () => {
  strictEqual(resolveCpuModel(ds, { host: "Other CPU" }).cpuModel, "Other CPU");
  const merged = resolveCpuModel(ds, { host: "Unknown CPU" });
  strictEqual(merged.cpuModel, null);
  ok(merged.note.includes("merged"), merged.note);
  strictEqual(resolveCpuModel(ds, { requested: "all", host: CPU }).cpuModel, null);
  strictEqual(resolveCpuModel(ds, { requested: CPU }).cpuModel, CPU);
  throws(() => resolveCpuModel(ds, { requested: "Nope" }), /--cpu-model 'Nope': no samples of it; it has /);
});

Deno.test("data without a cpu_model column trains on every row", () => {
  const original = { ...ds, cpuModel: ds.cpuModel.map(() => null) };
  deepStrictEqual(resolveCpuModel(original, { host: CPU }).cpuModel, null);
});

Deno.test("a value whose square would overflow is refused, naming the row and column", () => {
  const y = ds.y.slice();
  y[7] = 1e308;
  throws(
    () => checkMagnitudes({ ...ds, y }, selectScope(ds).rows),
    /synthetic\.csv: row 8, column score: 1e\+308 is too large to train on/,
  );
  const data = ds.x.data.slice();
  data[3 * ds.x.cols + 1] = -2e100;
  throws(
    () => checkMagnitudes({ ...ds, x: { ...ds.x, data } }, [3]),
    (e: Error) =>
      e instanceof DatasetError && e.message.includes(`row 4, column ${ds.featureNames[1]}: -2e+100`),
  );
  checkMagnitudes(ds, selectScope(ds).rows); // the synthetic data is fine
  // Rows left out by the reader shift the numbering: the message names the row of the file.
  const shifted = { ...ds, y, sourceRow: ds.sourceRow.map((r) => r + 10) };
  throws(() => checkMagnitudes(shifted, [7]), /synthetic\.csv: row 18, column score/);
});

Deno.test("the scope's matrix and target are its rows, in order", () => {
  const scope = selectScope(ds, { game: "beta", minSamples: 1 });
  const { x, y } = scopeData(ds, scope);
  strictEqual(x.rows, 20);
  deepStrictEqual(Array.from(y), Array.from(ds.y.slice(40)));
  deepStrictEqual(
    Array.from(x.data.subarray(0, x.cols)),
    Array.from(ds.x.data.subarray(40 * x.cols, 41 * x.cols)),
  );
});

Deno.test("column medians take the middle value, or the mean of the two middle ones", () => {
  const x = { rows: 4, cols: 2, data: Float64Array.of(1, 10, 9, 30, 3, 20, 100, 40) };
  deepStrictEqual(Array.from(columnMedians(x)), [6, 25]);
  deepStrictEqual(Array.from(columnMedians(x, [0, 1, 2])), [3, 20]);
});

Deno.test("distinct column values are sorted and unique", () => {
  const x = { rows: 4, cols: 2, data: Float64Array.of(5, 1, 3, 1, 5, 0, 10, 1) };
  deepStrictEqual(distinctColumnValues(x).map((c) => Array.from(c)), [[3, 5, 10], [0, 1]]);
});
