import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import { InputFileError } from "../lib/host/safe_fs.ts";
import { FEATURE_COLUMNS } from "../lib/ml/features.ts";
import { createRng } from "../lib/ml/rng.ts";
import { score } from "../lib/score.ts";
import { COLUMN_NAMES, ORIGINAL_COLUMNS } from "../lib/store/columns.ts";
import { CsvError, parseTrainingCsv, readTrainingDataset, tableToDataset } from "../lib/store/csv_read.ts";
import { syntheticTrainingRows } from "../tools/bench_forest/synthetic.ts";
import { tempDir } from "./fixtures/temp.ts";

const full = syntheticTrainingRows({ rng: createRng(61), games: ["alpha", "beta"], perGame: 25 });
const csv = (header: string[], rows: string[][]) => stringify([header, ...rows]);
const clone = () => ({ header: [...full.header], rows: full.rows.map((r) => [...r]) });
const dataset = (text: string, target?: string) =>
  tableToDataset(parseTrainingCsv(text, { file: "data.csv" }), { features: FEATURE_COLUMNS, target });

function fails(text: string, pattern: RegExp, target?: string) {
  throws(
    () => dataset(text, target),
    (e: Error) => e instanceof CsvError && pattern.test(e.message) && !e.message.includes("\n"),
  );
}

function withCell(column: string, row: number, value: string): string {
  const { header, rows } = clone();
  rows[row][header.indexOf(column)] = value;
  return csv(header, rows);
}

Deno.test("the full export becomes a numeric data set: features, score as the target, game and CPU per row", () => {
  const t = parseTrainingCsv(csv(full.header, full.rows), { file: "data.csv" });
  deepStrictEqual(t.header, [...COLUMN_NAMES]);
  strictEqual(t.scoreComputed, false);
  const ds = tableToDataset(t, { features: FEATURE_COLUMNS });
  deepStrictEqual(ds.featureNames, [...FEATURE_COLUMNS]);
  deepStrictEqual([ds.x.rows, ds.x.cols], [50, FEATURE_COLUMNS.length]);
  strictEqual(ds.target.name, "score");
  deepStrictEqual(ds.objectives, ["score"]);
  const at = (name: string) => full.header.indexOf(name);
  strictEqual(ds.y[7], Number(full.rows[7][at("score")]));
  strictEqual(
    ds.x.data[7 * ds.x.cols + ds.featureNames.indexOf("mig_max")],
    Number(full.rows[7][at("mig_max")]),
  );
  strictEqual(ds.game[30], "beta");
  strictEqual(ds.cpuModel[0], "Synthetic CPU 8-Core");
});

Deno.test("an original 26-column file gets its score computed from the four metrics, and no CPU model", () => {
  const keep = ORIGINAL_COLUMNS.map((c) => full.header.indexOf(c));
  const ds = dataset(csv([...ORIGINAL_COLUMNS], full.rows.map((r) => keep.map((i) => r[i]))));
  ok(ds.targetComputed);
  strictEqual(ds.cpuModel[0], null);
  const v = (r: number, name: string) => Number(full.rows[r][full.header.indexOf(name)]);
  for (let r = 0; r < 50; r++) {
    strictEqual(
      ds.y[r],
      score({
        select_cpu_latency_ns: v(r, "latency_select_cpu_ns"),
        mm_hint_hit_rate: v(r, "mm_hint_hit_rate"),
        direct_dispatch_rate: v(r, "direct_dispatch_rate"),
        migration_block_rate: v(r, "migration_block_rate"),
      }),
    );
  }
});

Deno.test("smooth_score is the default target when present; --target picks another; rows without it are left out", () => {
  const { header, rows } = clone();
  const smoothCol = header.indexOf("smooth_score");
  const ftCol = header.indexOf("frametime_p99");
  rows.forEach((r, i) => {
    r[smoothCol] = String(i);
    r[ftCol] = i < 5 ? "" : String(16 + i / 10);
  });
  const text = csv(header, rows);
  const smooth = dataset(text);
  strictEqual(smooth.target.name, "smooth_score");
  strictEqual(smooth.y[9], 9);
  deepStrictEqual(smooth.objectives, ["smooth_score", "score", "frametime_p99"]);
  const ft = dataset(text, "frametime_p99");
  strictEqual(ft.target.direction, "min");
  deepStrictEqual([ft.x.rows, ft.dropped, ft.y[0], ft.game.length, ft.sourceRow[0]], [45, 5, 16.5, 45, 6]);
});

Deno.test("a target that is not an objective, or not in the file, is one line naming --target", () => {
  fails(
    csv(full.header, full.rows),
    /^--target latency_select_cpu_ns: not an objective: expected one of smooth_score, score/,
    "latency_select_cpu_ns",
  );
  fails(
    csv(full.header, full.rows),
    /^data\.csv: --target fps: the file has no fps values in its column \(its objectives: score\)$/,
    "fps",
  );
});

Deno.test("an empty file, or a header with no rows, is one error naming the file", () => {
  fails("", /^data\.csv: empty file/);
  fails("\n\n", /^data\.csv: empty file/);
  fails(csv(full.header, []), /^data\.csv: a header line and no data rows$/);
});

Deno.test("a missing column is named, with the header as the row", () => {
  const { header, rows } = clone();
  const i = header.indexOf("mig_max");
  header.splice(i, 1);
  rows.forEach((r) => r.splice(i, 1));
  fails(csv(header, rows), /^data\.csv: header, column mig_max: missing/);
});

Deno.test("numbers are plain decimals: no hex, binary, empty cell, NaN or infinity; padding is allowed", () => {
  for (const bad of ["fast", "", "0x10", "0b11", "NaN", "Infinity", "1e400", "1_000"]) {
    fails(
      withCell("latency_enqueue_ns", 2, bad),
      new RegExp(
        `^data\\.csv: row 3, column latency_enqueue_ns: '${bad}' is not a number: expected a decimal`,
      ),
    );
  }
  strictEqual(
    dataset(withCell("cpu_util_pct", 0, " 12 ")).x.data[FEATURE_COLUMNS.indexOf("cpu_util_pct")],
    12,
  );
});

Deno.test("a switch cell other than 0 or 1 is an error naming row and column", () => {
  fails(
    withCell("avoid_smt", 0, "true"),
    /^data\.csv: row 1, column avoid_smt: 'true' is not a switch: expected 0 or 1$/,
  );
});

Deno.test("a tunable out of the tunables table's range, or not whole, is refused naming the row and column", () => {
  fails(
    withCell("slice_us", 4, "-5"),
    /^data\.csv: row 5, column slice_us: --slice-us -5 is out of range: expected 1\.\.100000 us$/,
  );
  fails(
    withCell("mig_max", 0, "1e21"),
    /^data\.csv: row 1, column mig_max: --mig-max 1e\+21 is out of range/,
  );
  fails(
    withCell("slice_us", 1, "7.5"),
    /^data\.csv: row 2, column slice_us: --slice-us 7\.5 is not a whole number: expected 1\.\.100000 us$/,
  );
});

Deno.test("a row with the wrong number of cells is an error naming the row", () => {
  const { header, rows } = clone();
  rows[4].pop();
  fails(csv(header, rows), /^data\.csv: row 5: has \d+ cells: expected \d+/);
});

Deno.test("a huge but finite value passes the reader (the trainer refuses it with its row and column)", () => {
  strictEqual(dataset(withCell("score", 0, "1e308")).y[0], 1e308);
});

Deno.test("files: a missing file, a FIFO and /dev/zero are one line each, without blocking", async () => {
  const opts = { features: FEATURE_COLUMNS, what: "--ml-train" };
  throws(
    () => readTrainingDataset("/nonexistent/data.csv", opts),
    (e: Error) =>
      e instanceof InputFileError && e.message === "--ml-train /nonexistent/data.csv: no such file",
  );
  const fifo = `${tempDir()}/fifo.csv`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  strictEqual(made.code, 0);
  throws(() => readTrainingDataset(fifo, opts), /--ml-train .*fifo\.csv: not a regular file/);
  throws(() => readTrainingDataset("/dev/zero", opts), /--ml-train \/dev\/zero: not a regular file/);
});

Deno.test("a valid file on disk reads into the same data set as its text", () => {
  const path = `${tempDir()}/d.csv`;
  Deno.writeTextFileSync(path, csv(full.header, full.rows));
  const ds = readTrainingDataset(path, { features: FEATURE_COLUMNS });
  strictEqual(ds.source, path);
  deepStrictEqual(ds.y, dataset(csv(full.header, full.rows)).y);
});

/** The synthetic export with some rows' policy_version set (by row index). */
function withPolicies(
  versions: (row: number) => string,
  edit?: (header: string[], rows: string[][]) => void,
) {
  const { header, rows } = clone();
  const col = header.indexOf("policy_version");
  rows.forEach((r, i) => (r[col] = versions(i)));
  edit?.(header, rows);
  return csv(header, rows);
}

Deno.test("the smoothness columns may be empty (not measured) and are not features", () => {
  const { header, rows } = clone();
  const measuredCols = [
    "wake_p50_us",
    "wake_p99_us",
    "wake_input_p99_us",
    "wake_gpu_p99_us",
    "wait_ms_per_s",
    "wait_behind_share",
    "pace_median_ms",
    "pace_p99_ms",
    "pace_spread",
  ];
  for (const name of measuredCols) strictEqual(rows[0][header.indexOf(name)], "", name);
  rows[3][header.indexOf("pace_spread")] = "1.25";
  const t = parseTrainingCsv(csv(header, rows), { file: "data.csv" });
  ok(Number.isNaN(t.numbers.get("wake_p99_us")![0]));
  strictEqual(t.numbers.get("pace_spread")![3], 1.25);
  ok(measuredCols.every((c) => !FEATURE_COLUMNS.includes(c)));
  fails(withCell("pace_spread", 1, "wide"), /^data\.csv: row 2, column pace_spread: 'wide' is not a number/);
});

Deno.test("a file without policy_version is policy 1 throughout; a bad one names row and column", () => {
  const keep = ORIGINAL_COLUMNS.map((c) => full.header.indexOf(c));
  const original = csv([...ORIGINAL_COLUMNS], full.rows.map((r) => keep.map((i) => r[i])));
  const t = parseTrainingCsv(original, { file: "data.csv" });
  ok(t.numbers.get("policy_version")!.every((v) => v === 1));
  deepStrictEqual(dataset(original).policy, { version: 1, olderRows: 0, olderVersions: [] });
  for (const bad of ["0", "1.5", "-2"]) {
    fails(
      withCell("policy_version", 4, bad),
      /^data\.csv: row 5, column policy_version: -?[\d.]+ is not a policy version: expected a whole number from 1$/,
    );
  }
  fails(withCell("policy_version", 4, ""), /^data\.csv: row 5, column policy_version: '' is not a number/);
});

Deno.test("with several policy versions only the newest one's rows are trained on, and the rest counted", () => {
  const ds = dataset(withPolicies((i) => (i < 20 ? "1" : i < 30 ? "3" : "2")));
  deepStrictEqual(ds.policy, { version: 3, olderRows: 40, olderVersions: [1, 2] });
  strictEqual(ds.x.rows, 10);
  deepStrictEqual([...ds.sourceRow], [21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  strictEqual(ds.dropped, 0);
});

Deno.test("the default target is chosen from the newest policy's rows", () => {
  // smooth_score only in the old policy's rows: the newest rows have score only.
  const text = withPolicies((i) => (i < 25 ? "1" : "2"), (header, rows) => {
    rows.forEach((r, i) => (r[header.indexOf("smooth_score")] = i < 25 ? "50" : ""));
  });
  const ds = dataset(text);
  strictEqual(ds.target.name, "score");
  deepStrictEqual(ds.objectives, ["score"]);
  strictEqual(ds.x.rows, 25);
});
