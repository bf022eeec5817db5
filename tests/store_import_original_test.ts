import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { ImportError, importOriginalSamples } from "../lib/store/import_original.ts";
import { readAllStores } from "../lib/store/store_dir.ts";
import { exportCsv } from "../lib/store/csv_export.ts";
import { COLUMN_NAMES } from "../lib/store/columns.ts";
import { score } from "../lib/score.ts";
import { tempDir } from "./fixtures/temp.ts";

/** One sample exactly as the original tool's serde wrote it. */
function original(i: number, game = "game.exe") {
  return {
    timestamp: 1_735_776_000 + i * 5,
    config: {
      slice_us: 10 + i,
      slice_lag_us: 20000,
      input_window_us: 2000,
      mig_window_ms: 50,
      mig_max: 3,
      mm_affinity: true,
      avoid_smt: false,
      preferred_idle_scan: true,
      enable_numa: false,
      wakeup_timer_us: 500,
    },
    metrics: {
      cpu_util_pct: 61.25,
      latency_select_cpu_avg_ns: 850 + i,
      latency_enqueue_avg_ns: 400,
      latency_dispatch_avg_ns: 900,
      latency_deadline_avg_ns: 150,
      enqueues_per_sec: 41000.0,
      dispatches_per_sec: 39500.0,
      migration_block_rate: 0.02,
      mm_hint_hit_rate: 0.6,
      direct_dispatch_rate: 0.85,
      input_handler_count: 2,
      gpu_submit_count: 4,
      compositor_count: 1,
      network_count: 3,
    },
    game: { tgid: 12345, name: game, is_wine: true, is_steam: false },
  };
}

function writeOriginal(dir: string, game: string, n: number): void {
  const doc = {
    game_name: game,
    samples: [...Array(n).keys()].map((i) => original(i, game)),
    best_config: original(0).config,
    best_score: 87.42,
  };
  // serde_json::to_string_pretty's layout.
  Deno.writeTextFileSync(join(dir, `${game.replace(/[/\\ :]/g, "_")}.json`), JSON.stringify(doc, null, 2));
}

Deno.test("importOriginalSamples brings the original tool's JSON files into the store, values intact", () => {
  const old = tempDir(), ml = tempDir();
  writeOriginal(old, "game.exe", 3);
  writeOriginal(old, "Other Game.exe", 2);
  const result = importOriginalSamples(old, ml, {
    cpuModel: "AMD Ryzen 7 7800X3D 8-Core Processor",
    log: () => {},
  });
  assert.deepEqual(result.games.map((g) => [g.game_name, g.imported]).sort(), [["Other Game.exe", 2], [
    "game.exe",
    3,
  ]]);
  const { games, warnings } = readAllStores(ml);
  assert.deepEqual(warnings, []);
  const doc = games.find((g) => g.doc.game_name === "game.exe")!.doc;
  assert.equal(doc.cpu_model, "AMD Ryzen 7 7800X3D 8-Core Processor");
  const s = doc.samples[1];
  assert.equal(s.timestamp, 1_735_776_005);
  assert.equal(s.config.slice_us, 11);
  assert.equal(s.config.mm_affinity, true);
  assert.equal(s.metrics.latency.select_cpu.avg_ns, 851);
  assert.equal(s.metrics.cpu_util_pct, 61.25);
  assert.equal(s.threads.gpu_submit, 4);
  assert.equal(s.game.source, "wine");
  assert.equal(
    s.score,
    score({
      select_cpu_latency_ns: 851,
      mm_hint_hit_rate: 0.6,
      direct_dispatch_rate: 0.85,
      migration_block_rate: 0.02,
    }),
  );
  // And they export in the original 26 columns like any sample.
  const out = join(tempDir(), "t.csv");
  exportCsv(ml, out, { owner: null, log: () => {} });
  const rows = parse(Deno.readTextFileSync(out)) as string[][];
  assert.equal(rows.length, 1 + 5);
  assert.equal(rows[1][COLUMN_NAMES.indexOf("latency_select_cpu_ns")], "850");
});

Deno.test("importing twice adds nothing the second time", () => {
  const old = tempDir(), ml = tempDir();
  writeOriginal(old, "game.exe", 4);
  importOriginalSamples(old, ml, { log: () => {} });
  const again = importOriginalSamples(old, ml, { log: () => {} });
  assert.deepEqual(again.games.map((g) => [g.imported, g.alreadyThere]), [[0, 4]]);
  assert.equal(readAllStores(ml).games[0].doc.samples.length, 4);
});

Deno.test("files that are not original samples are skipped with one line each; none at all is an error", () => {
  const old = tempDir(), ml = tempDir();
  Deno.writeTextFileSync(join(old, "notes.json"), '{"hello": 1}');
  Deno.writeTextFileSync(join(old, "broken.json"), "{");
  new Deno.Command("mkfifo", { args: [join(old, "fifo.json")] }).outputSync();
  const lines: string[] = [];
  assert.throws(() => importOriginalSamples(old, ml, { log: (l) => lines.push(l) }), ImportError);
  assert.equal(lines.length, 3);
  assert.ok(lines.some((l) => /fifo\.json: not a regular file/.test(l)));
  writeOriginal(old, "game.exe", 1);
  assert.equal(importOriginalSamples(old, ml, { log: () => {} }).games[0].imported, 1);
});

Deno.test("a folder to import that is missing or a file is one line in plain words, no OS error text", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(join(dir, "notes.txt"), "x");
  for (
    const [path, why] of [[join(dir, "none"), "no such file or directory"], [
      join(dir, "notes.txt"),
      "not a directory",
    ]]
  ) {
    assert.throws(() => importOriginalSamples(path, join(dir, "ml"), { log: () => {} }), (e: Error) => {
      assert.ok(e.message.startsWith(`cannot list ${path}: `) && e.message.includes(why), e.message);
      assert.ok(!/os error|readdir|ENO/.test(e.message), e.message);
      return e instanceof ImportError;
    });
  }
});
