import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import { createRng } from "../lib/ml/rng.ts";
import { syntheticTrainingRows } from "../tools/bench_forest/synthetic.ts";
import { COLUMN_NAMES, ORIGINAL_COLUMNS } from "../lib/store/columns.ts";
import { CsvError, numericColumn, parseTrainingCsv, readTrainingCsv } from "../lib/store/csv_read.ts";
import { score } from "../lib/score.ts";

const full = syntheticTrainingRows({ rng: createRng(61), games: ["alpha", "beta"], perGame: 25 });
const csv = (header: string[], rows: string[][]) => stringify([header, ...rows]);
const clone = () => ({ header: [...full.header], rows: full.rows.map((r) => [...r]) });

function fails(text: string, pattern: RegExp, options: { game?: string } = {}) {
  throws(
    () => parseTrainingCsv(text, { file: "data.csv", ...options }),
    (e: Error) => e instanceof CsvError && pattern.test(e.message) && !e.message.includes("\n"),
  );
}

Deno.test("the full export is accepted as is, score included", () => {
  const t = parseTrainingCsv(csv(full.header, full.rows), { file: "data.csv" });
  deepStrictEqual(t.header, [...COLUMN_NAMES]);
  strictEqual(t.rows.length, 50);
  strictEqual(t.scoreComputed, false);
});

Deno.test("an original 26-column file gets its score computed from the four metrics", () => {
  const keep = ORIGINAL_COLUMNS.map((c) => full.header.indexOf(c));
  const t = parseTrainingCsv(csv([...ORIGINAL_COLUMNS], full.rows.map((r) => keep.map((i) => r[i]))), {
    file: "o.csv",
  });
  strictEqual(t.scoreComputed, true);
  strictEqual(t.header.at(-1), "score");
  const v = (row: string[], name: string) => Number(row[t.header.indexOf(name)]);
  for (const row of t.rows) {
    strictEqual(
      v(row, "score"),
      score({
        select_cpu_latency_ns: v(row, "latency_select_cpu_ns"),
        mm_hint_hit_rate: v(row, "mm_hint_hit_rate"),
        direct_dispatch_rate: v(row, "direct_dispatch_rate"),
        migration_block_rate: v(row, "migration_block_rate"),
      }),
    );
  }
});

Deno.test("an empty file is one error naming the file", () => {
  fails("", /^data\.csv: empty file/);
  fails("\n\n", /^data\.csv: empty file/);
});

Deno.test("a missing column is named, with the header as the row", () => {
  const { header, rows } = clone();
  const i = header.indexOf("mig_max");
  header.splice(i, 1);
  rows.forEach((r) => r.splice(i, 1));
  fails(csv(header, rows), /^data\.csv: header, column mig_max: missing/);
});

Deno.test("a non-numeric cell names the file, the 1-based data row and the column", () => {
  const { header, rows } = clone();
  rows[2][header.indexOf("slice_us")] = "fast";
  fails(csv(header, rows), /^data\.csv: row 3, column slice_us: 'fast' is not a number$/);
  rows[2][header.indexOf("slice_us")] = "";
  fails(csv(header, rows), /^data\.csv: row 3, column slice_us: '' is not a number$/);
});

Deno.test("a switch cell other than 0 or 1 is an error naming row and column", () => {
  const { header, rows } = clone();
  rows[0][header.indexOf("avoid_smt")] = "true";
  fails(csv(header, rows), /^data\.csv: row 1, column avoid_smt: 'true' is not a switch: expected 0 or 1$/);
});

Deno.test("a row with the wrong number of cells is an error naming the row", () => {
  const { header, rows } = clone();
  rows[4].pop();
  fails(csv(header, rows), /^data\.csv: row 5: has \d+ cells: expected \d+/);
});

Deno.test("fewer than 20 samples in the file is an error", () => {
  fails(csv(full.header, full.rows.slice(0, 19)), /^data\.csv: 19 samples in the file: at least 20/);
});

Deno.test("fewer than 20 samples for the chosen game is an error naming the game column", () => {
  fails(
    csv(full.header, full.rows.slice(0, 30)),
    /^data\.csv: 5 samples for game 'beta' \(column game_name\)/,
    { game: "beta" },
  );
  fails(csv(full.header, full.rows), /0 samples for game 'gamma'.*; games in the file: alpha, beta$/, {
    game: "gamma",
  });
  strictEqual(parseTrainingCsv(csv(full.header, full.rows), { file: "d", game: "alpha" }).rows.length, 50);
});

Deno.test("a missing file is one error naming the path", async () => {
  await rejects(
    readTrainingCsv("/nonexistent/data.csv"),
    (e: Error) =>
      e instanceof CsvError && /^\/nonexistent\/data\.csv: cannot read: no such file$/.test(e.message),
  );
});

Deno.test("numericColumn reads a validated column as doubles", () => {
  const t = parseTrainingCsv(csv(full.header, full.rows), { file: "d" });
  const slice = numericColumn(t, "slice_us");
  strictEqual(slice.length, 50);
  ok(slice.every((v, i) => v === Number(full.rows[i][full.header.indexOf("slice_us")])));
});
