import assert from "node:assert/strict";
import { configToCommandLine } from "../lib/config.ts";
import { GameStore } from "../lib/store/game_store.ts";
import { formatStoreDoc, parseStoreDoc } from "../lib/store/store_doc.ts";
import { showBest, summarizeGame, UnknownGameError } from "../lib/store/show_best.ts";
import type { Sample } from "../lib/types.ts";
import { makeSample } from "./fixtures/sample.ts";
import { tempDir } from "./fixtures/temp.ts";

const AMD = "AMD Ryzen 7 7800X3D 8-Core Processor";
const INTEL = "Intel(R) Core(TM) i7-12700K";

function store(ml: string, cpu: string, game: string, samples: Sample[]): void {
  const s = GameStore.open(ml, { cpuModel: cpu, gameName: game, owner: null, log: () => {} });
  for (const x of samples) s.add(x);
  s.close();
}

const quiet = { log: () => {} };

/**
 * Cyberpunk on two CPUs (the best sample on Intel, with a distinctive config), and a second game. The
 * samples predate smoothness, so "best" is by score.
 */
function fill(ml: string): { all: Sample[]; best: Sample } {
  const amd = [0, 1, 2].map((i) => makeSample(i, { cpu: AMD, smooth: false }));
  const best = makeSample(3, {
    cpu: INTEL,
    config: { slice_us: 42, mig_max: 7, enable_numa: true },
    smooth: false,
  });
  best.score = 600;
  const intel = [makeSample(4, { cpu: INTEL, smooth: false }), best];
  store(ml, AMD, "Cyberpunk2077", amd);
  store(ml, INTEL, "Cyberpunk2077", intel);
  store(ml, AMD, "Dota 2", [makeSample(9, { cpu: AMD, game: "Dota 2" })]);
  return { all: [...amd, ...intel], best };
}

Deno.test("summarizeGame counts samples across CPU models and averages the key metrics", () => {
  const ml = tempDir();
  const { all } = fill(ml);
  const summary = summarizeGame(ml, "Cyberpunk2077", quiet);
  assert.equal(summary.samples, 5);
  assert.deepEqual(summary.perCpu.map((c) => [c.cpu_model, c.samples]), [[AMD, 3], [INTEL, 2]]);
  const avg = (f: (s: Sample) => number) => all.reduce((a, s) => a + f(s), 0) / all.length;
  const get = (label: string) => summary.averages.find((a) => a.label === label)!.value;
  assert.equal(get("select_cpu latency"), avg((s) => s.metrics.latency.select_cpu.avg_ns));
  assert.equal(get("enqueues"), avg((s) => s.metrics.enqueues_per_sec));
  assert.equal(get("migration block rate"), avg((s) => s.metrics.migration_block_rate * 100));
  assert.equal(get("score"), avg((s) => s.score));
});

Deno.test("summarizeGame reports the best score and its config as a ready command line", () => {
  const ml = tempDir();
  const { best } = fill(ml);
  const summary = summarizeGame(ml, "Cyberpunk2077", quiet);
  assert.equal(summary.best.score, 600);
  assert.equal(summary.best.cpu_model, INTEL);
  assert.deepEqual(summary.best.config, best.config);
  assert.equal(summary.commandLine, configToCommandLine(best.config));
  assert.match(summary.commandLine, /--slice-us 42 .*--mig-max 7 .*--enable-numa/);
});

Deno.test("showBest prints the count, averages, best score and best command line", () => {
  const ml = tempDir();
  const { best } = fill(ml);
  const text = showBest(ml, "Cyberpunk2077", quiet);
  const lines = text.split("\n");
  assert.equal(lines[0], "Game: Cyberpunk2077");
  assert.equal(lines[1], "Samples: 5");
  assert.equal(lines[2], "Best by: score (no sample measured smooth_score; higher is better)");
  assert.ok(lines.includes("Averages:"));
  assert.ok(!lines.some((l) => l.includes("smooth score")), "no average of what nothing measured");
  assert.ok(lines.some((l) => /^ {2}select_cpu latency +[\d,.]+ ns$/.test(l)), text);
  assert.ok(lines.some((l) => /^ {2}migration block rate +[\d.]+ %$/.test(l)), text);
  assert.ok(lines.some((l) => l.startsWith(`Best score: 600.00 (on ${INTEL}, sample of `)), text);
  assert.equal(lines.at(-2), "Best config:");
  assert.equal(lines.at(-1), `  ${configToCommandLine(best.config)}`);
});

Deno.test("showBest matches the game as collection and training do: .exe and case do not matter", () => {
  const ml = tempDir();
  fill(ml);
  assert.equal(summarizeGame(ml, "cyberpunk2077", quiet).game_name, "Cyberpunk2077");
  assert.equal(summarizeGame(ml, "Cyberpunk2077.exe", quiet).game_name, "Cyberpunk2077");
  assert.equal(summarizeGame(ml, "DOTA 2", quiet).samples, 1);
});

Deno.test("files of one game under names differing only in case or .exe are one game", () => {
  const ml = tempDir();
  store(ml, AMD, "Doom", [makeSample(0, { game: "Doom" })]);
  store(ml, AMD, "DOOM.exe", [makeSample(1, { game: "DOOM.exe" }), makeSample(2, { game: "DOOM.exe" })]);
  assert.equal(summarizeGame(ml, "doom", quiet).samples, 3);
});

Deno.test("showBest shows this machine's CPU model when the game has samples there, else every one", () => {
  const ml = tempDir();
  fill(ml);
  const all = summarizeGame(ml, "Cyberpunk2077", quiet).samples;
  const amd = summarizeGame(ml, "Cyberpunk2077", { ...quiet, hostCpuModel: AMD });
  assert.deepEqual(amd.perCpu.map((c) => c.cpu_model), [AMD]);
  assert.ok(amd.samples < all);
  assert.equal(summarizeGame(ml, "Cyberpunk2077", { ...quiet, hostCpuModel: "Other CPU" }).samples, all);
  assert.equal(
    summarizeGame(ml, "Cyberpunk2077", { ...quiet, hostCpuModel: AMD, cpuModel: "all" }).samples,
    all,
  );
  assert.throws(
    () => summarizeGame(ml, "Cyberpunk2077", { ...quiet, cpuModel: "Nope" }),
    /has no samples on CPU model "Nope": it has /,
  );
});

Deno.test("showBest rejects an unknown game in one line listing the known games", () => {
  const ml = tempDir();
  fill(ml);
  assert.throws(
    () => showBest(ml, "Portal", quiet),
    (e: Error) =>
      e instanceof UnknownGameError &&
      e.message === `unknown game "Portal" under ${ml}: known games are "Cyberpunk2077", "Dota 2"`,
  );
});

Deno.test("showBest says there are no games under an empty or missing folder", () => {
  const ml = tempDir();
  assert.throws(() => showBest(ml, "x", quiet), /no games under .*: collect some with --ml-collect first/);
  assert.throws(() => showBest(`${ml}/missing`, "x", quiet), UnknownGameError);
});

Deno.test("showBest says a known game has no samples yet", () => {
  const ml = tempDir();
  store(ml, AMD, "Fresh", []);
  assert.throws(() => showBest(ml, "Fresh", quiet), /game "Fresh" has no samples yet/);
});

Deno.test("a stored config out of the tunables' ranges is skipped with one line, never printed as the best", () => {
  const ml = tempDir();
  store(ml, AMD, "Cyberpunk2077", [makeSample(0, { cpu: AMD, smooth: false })]);
  const intel = GameStore.open(ml, {
    cpuModel: INTEL,
    gameName: "Cyberpunk2077",
    owner: null,
    log: () => {},
  });
  intel.add(makeSample(1, { cpu: INTEL, smooth: false }));
  intel.close();
  const path = intel.path;
  // A hand edit (or another program) writes a config no scheduler accepts, as the best sample.
  const doc = parseStoreDoc(Deno.readTextFileSync(path), path);
  Object.assign(doc.samples[0].config, { slice_us: -5, mig_max: 1e21 });
  doc.samples[0].score = 10_000;
  Deno.writeTextFileSync(path, formatStoreDoc(doc));
  const warnings: string[] = [];
  const text = showBest(ml, "Cyberpunk2077", { log: (l) => warnings.push(l) });
  assert.ok(!text.includes("--slice-us -5") && !text.includes("1e+21"), text);
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /samples\[0\]\.config\.slice_us -5 is out of range: expected 1\.\.100000 us/);
  assert.ok(warnings[0].includes(path), warnings[0]);
});

Deno.test("showBest escapes control characters of a hostile game name", () => {
  const ml = tempDir();
  const name = "evil\x1b[2J\nname";
  store(ml, AMD, name, [makeSample(0, { game: name })]);
  const text = showBest(ml, name, quiet);
  assert.ok(text.startsWith("Game: evil\\x1b[2J\\x0aname\n"));
  assert.ok(!text.includes("\x1b"));
});

Deno.test("once samples measured smoothness the best is by smooth_score, not the higher score, and says so", () => {
  const ml = tempDir();
  const old = makeSample(0, { smooth: false });
  old.score = 900;
  const smooth = [1, 2, 3].map((i) => makeSample(i));
  const best = smooth.reduce((a, b) => (b.smooth_score! > a.smooth_score! ? b : a));
  store(ml, AMD, "Cyberpunk2077", [old, ...smooth]);
  store(ml, INTEL, "Cyberpunk2077", [makeSample(4, { cpu: INTEL, smooth: false })]);
  const summary = summarizeGame(ml, "Cyberpunk2077", quiet);
  assert.equal(summary.objective.name, "smooth_score");
  assert.equal(summary.best.value, best.smooth_score);
  assert.equal(summary.best.score, best.score);
  assert.equal(summary.best.timestamp, best.timestamp);
  assert.equal(summary.commandLine, configToCommandLine(best.config));
  const text = showBest(ml, "Cyberpunk2077", quiet);
  const lines = text.split("\n");
  assert.equal(lines[2], "Best by: smooth_score (the samples measured it; higher is better)");
  assert.ok(lines.includes(`  ${AMD}: 4 samples, best smooth_score ${best.smooth_score!.toFixed(2)}`), text);
  assert.ok(lines.includes(`  ${INTEL}: 1 samples, none measured smooth_score`), text);
  assert.ok(
    lines.some((l) =>
      l.startsWith(`Best smooth_score: ${best.smooth_score!.toFixed(2)} (on ${AMD}, sample of `) &&
      l.endsWith(`; score ${best.score.toFixed(2)})`)
    ),
    text,
  );
  const avg = summary.averages.find((a) => a.label === "smooth score")!.value;
  assert.equal(avg, smooth.reduce((a, s) => a + s.smooth_score!, 0) / smooth.length);
});
