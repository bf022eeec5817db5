/**
 * `deno task bench:forest [--full] [--no-sklearn]`: our random forest against scikit-learn's
 * RandomForestRegressor on the same make_friedman1-style data and the same folds, printed side by side,
 * then what each speed-up buys (presorting, workers, packed trees, the search's cell cache).
 *
 * The data (100,000 rows, 10 features, 5 informative, noise 1.0, seeded) is written once to
 * .cache/bench/friedman1_100000.csv; the 20,000-row runs use its first 20,000 rows. The fold of row i
 * is i % 5 for both sides. Each measured run is its own process, so peak memory is per run.
 * By default all 5 folds run at 20,000 rows and 1 fold at 100,000 (about 6 minutes on 2 cores);
 * --full runs 5 folds at 100,000 too (about 20 minutes).
 *
 * Sub-commands used by the orchestration: `gen` writes the CSV; `ours --rows N --folds K --workers W
 * [--splitter presort|sort] [--trees T]` prints one run's JSON.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { featureLayout } from "../../lib/ml/features.ts";
import { RandomForestRegressor } from "../../lib/ml/forest.ts";
import type { Matrix } from "../../lib/ml/matrix.ts";
import { r2Score } from "../../lib/ml/metrics.ts";
import { createRng } from "../../lib/ml/rng.ts";
import { StandardScaler } from "../../lib/ml/scaler.ts";
import { searchBestConfig, type SearchOptions } from "../../lib/ml/search.ts";
import { friedman1, syntheticTrainingRows } from "./synthetic.ts";
import { addTreePredictions } from "../../lib/ml/tree.ts";
import { columnMedians, distinctColumnValues } from "../../lib/ml/dataset.ts";
import { DEFAULT_SWEEP_GRID } from "../../lib/config.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const CACHE = `${ROOT}.cache/bench`;
const DATA = `${CACHE}/friedman1_100000.csv`;
const PYTHON = "/usr/bin/python3"; // Debian's python3-sklearn is installed for the system python
const SEED = 2024;

/** One measured run (either side). */
interface RunResult {
  fit_s: number[];
  /** CPU seconds of the whole process (every thread) during each fit: unlike wall time, not inflated
   * by other load on a shared machine. */
  fit_cpu_s: number[];
  predict_rows_per_s: number[];
  r2: number[];
  peak_mb: number;
  /** Ours only: one thread, packed trees / flat arrays (predict_rows_per_s uses every core). */
  predict_packed_rows_per_s?: number[];
  predict_flat_rows_per_s?: number[];
  /** Ours only: rows/s on the last fold's training rows, one thread and on every core. */
  predict_large?: { rows: number; single: number; parallel: number };
  workers_used?: number;
}

async function generate(): Promise<void> {
  try {
    await Deno.stat(DATA);
    return;
  } catch { /* not there yet */ }
  await Deno.mkdir(CACHE, { recursive: true });
  const { x, y } = friedman1(100_000, { rng: createRng(SEED), nFeatures: 10, noise: 1.0 });
  const lines = [[...Array.from({ length: 10 }, (_, j) => `x${j}`), "y"].join(",")];
  for (let i = 0; i < x.rows; i++) {
    lines.push([...x.data.subarray(i * 10, i * 10 + 10), y[i]].map((v) => String(v)).join(","));
  }
  const tmp = `${DATA}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, lines.join("\n") + "\n");
  await Deno.rename(tmp, DATA);
}

async function loadRows(rows: number): Promise<{ x: Matrix; y: Float64Array }> {
  const lines = (await Deno.readTextFile(DATA)).split("\n").slice(1, rows + 1);
  const x = new Float64Array(rows * 10), y = new Float64Array(rows);
  lines.forEach((line, i) => {
    const cells = line.split(",");
    for (let j = 0; j < 10; j++) x[i * 10 + j] = Number(cells[j]);
    y[i] = Number(cells[10]);
  });
  return { x: { rows, cols: 10, data: x }, y };
}

/** User + system CPU seconds of this process, all threads (workers included), from /proc. */
function cpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}

function peakMb(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function runOurs(
  rows: number,
  folds: number,
  workers: number,
  splitter: "presort" | "sort",
  trees: number,
) {
  const { x, y } = await loadRows(rows);
  const out: RunResult = {
    fit_s: [],
    fit_cpu_s: [],
    predict_rows_per_s: [],
    r2: [],
    peak_mb: 0,
    predict_packed_rows_per_s: [],
    predict_flat_rows_per_s: [],
  };
  for (let k = 0; k < folds; k++) {
    const train: number[] = [], test: number[] = [];
    for (let i = 0; i < rows; i++) (i % 5 === k ? test : train).push(i);
    const pick = (idx: number[]) => {
      const d = new Float64Array(idx.length * 10);
      idx.forEach((r, i) => d.set(x.data.subarray(r * 10, r * 10 + 10), i * 10));
      return { x: { rows: idx.length, cols: 10, data: d }, y: Float64Array.from(idx, (r) => y[r]) };
    };
    const tr = pick(train), te = pick(test);
    const forest = new RandomForestRegressor({
      nEstimators: trees,
      maxFeatures: 1.0,
      seed: k,
      splitter,
      workers,
    });
    let t = performance.now();
    const cpu = cpuSeconds();
    await forest.fit(tr.x, tr.y);
    out.fit_s.push((performance.now() - t) / 1000);
    out.fit_cpu_s.push(cpuSeconds() - cpu);
    out.workers_used = forest.lastGrowReport?.workersUsed ?? 0;
    // Best of two timings for each way, alternated, so none gains from JIT warm-up or warm caches.
    let pred: Float64Array = new Float64Array(0);
    let parallelS = Infinity, packedS = Infinity, flatS = Infinity;
    for (let rep = 0; rep < 2; rep++) {
      t = performance.now();
      pred = await forest.predictParallel(te.x, { workers });
      parallelS = Math.min(parallelS, (performance.now() - t) / 1000);
      t = performance.now();
      forest.predict(te.x);
      packedS = Math.min(packedS, (performance.now() - t) / 1000);
      // The same trees walked through the flat arrays instead of the packed records.
      const flat = new Float64Array(te.x.rows);
      t = performance.now();
      for (const tree of forest.trees) addTreePredictions(tree, { x: te.x, out: flat });
      flatS = Math.min(flatS, (performance.now() - t) / 1000);
    }
    out.predict_rows_per_s.push(te.x.rows / parallelS);
    out.predict_packed_rows_per_s!.push(te.x.rows / packedS);
    out.predict_flat_rows_per_s!.push(te.x.rows / flatS);
    out.r2.push(r2Score(te.y, pred));
    if (k === folds - 1) {
      // One thread against every core on a batch large enough for predictParallel to use workers
      // (a 4,000-row test fold is below its threshold and stays in this thread).
      let parallel = Infinity, single = Infinity;
      for (let rep = 0; rep < 2; rep++) {
        t = performance.now();
        await forest.predictParallel(tr.x, { workers });
        parallel = Math.min(parallel, (performance.now() - t) / 1000);
        t = performance.now();
        forest.predict(tr.x);
        single = Math.min(single, (performance.now() - t) / 1000);
      }
      out.predict_large = { rows: tr.x.rows, single: tr.x.rows / single, parallel: tr.x.rows / parallel };
    }
  }
  out.peak_mb = peakMb();
  return out;
}

function loadAverage(): string {
  return Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
}

async function child(cmd: string, args: string[]): Promise<RunResult | null> {
  const res = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" }).output();
  if (res.code !== 0) {
    console.error(
      `bench: ${cmd} ${args.join(" ")} failed: ${
        new TextDecoder().decode(res.stderr).trim().split("\n").at(-1)
      }`,
    );
    return null;
  }
  return JSON.parse(new TextDecoder().decode(res.stdout).trim().split("\n").at(-1)!);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const fmtInt = (v: number) => Math.round(v).toLocaleString("en-US");

function searchTiming(): string[] {
  const { header, rows } = syntheticTrainingRows({ rng: createRng(SEED), games: ["a", "b"], perGame: 1500 });
  const layout = featureLayout(header);
  const x: Matrix = {
    rows: rows.length,
    cols: layout.names.length,
    data: Float64Array.from(rows.flatMap((r) => layout.names.map((n) => Number(r[header.indexOf(n)])))),
  };
  const y = Float64Array.from(rows, (r) => Number(r[header.indexOf("score")]));
  const scaler = new StandardScaler().fit(x);
  const forest = new RandomForestRegressor({ nEstimators: 100, seed: 1, workers: 1 }).fitSync(
    scaler.transform(x),
    y,
  );
  const input = {
    layout,
    workload: columnMedians(x),
    measured: distinctColumnValues(x),
    topology: { smt: true, numaNodes: 1, hybrid: false },
  };
  // Any whole value in the measured ranges ("range"), the widest space, as before measured-only search.
  const options = { budget: 100_000, grid: DEFAULT_SWEEP_GRID, candidates: "range" as const };
  const timed = (o: SearchOptions) => {
    const t = performance.now();
    return { ...searchBestConfig({ forest, scaler }, input, o), seconds: (performance.now() - t) / 1000 };
  };
  const cached = timed(options);
  const plain = timed({ ...options, cellCache: false });
  const measured = timed({ ...options, candidates: "measured" });
  const nodes = forest.trees.reduce((a, t) => a + t.nodeCount, 0);
  return [
    `Config search: 100,000 configs, forest of 100 trees (${
      fmtInt(nodes)
    } nodes) on ${x.rows} synthetic samples`,
    `  specialised + packed trees, cell cache:  ${cached.seconds.toFixed(3)} s  (${
      fmtInt(cached.walked)
    } distinct walks)` +
    `  ${cached.seconds < 1 ? "under" : "OVER"} the 1 s target`,
    `  specialised + packed trees, no cache:    ${plain.seconds.toFixed(3)} s  (same best: ${
      cached.predicted === plain.predicted ? "yes" : "no"
    })`,
    `  measured values only (the trainer's default), cell cache: ${measured.seconds.toFixed(3)} s`,
  ];
}

async function orchestrate(full: boolean, withSklearn: boolean): Promise<void> {
  await generate();
  const self = new URL(import.meta.url).pathname;
  const deno = (args: string[]) => child(Deno.execPath(), ["run", "--allow-all", self, "ours", ...args]);
  const cores = navigator.hardwareConcurrency;
  const sizes = [
    { rows: 20_000, folds: 5 },
    { rows: 100_000, folds: full ? 5 : 1 },
  ];
  const lines: string[] = [];
  const say = (l = "") => {
    lines.push(l);
    console.error(l);
  };
  say(
    `Random forest benchmark: make_friedman1 (10 features, 5 informative, noise 1.0, seed ${SEED}), 100 trees,`,
  );
  say(
    `max_features=1.0, min_samples_leaf=1, bootstrap; ${cores} cores; fold of row i = i % 5 for both sides;`,
  );
  say(`20,000 rows: all 5 folds; 100,000 rows: ${full ? "all 5 folds" : "fold 0 only (--full runs all 5)"}.`);
  say(
    `Fit s = mean seconds per fold; predict = rows/s on the fold's test rows (ours: predictParallel on every`,
  );
  say(
    `core, as sklearn's n_jobs=2 uses 2 threads; batches under 4,096 rows, like the 4,000-row test folds at`,
  );
  say(`20,000 rows, stay in one thread); R² = mean over folds run; peak MB = the run's peak RSS;`);
  say(
    `fit CPU s = CPU seconds of all the run's threads per fit (the work done, not inflated by other load).`,
  );
  say(`Load average at start: ${loadAverage()} (the machine is shared: other load slows both sides alike).`);
  say("");
  say(
    `${"rows".padEnd(8)}${"model".padEnd(34)}${"fit s/fold".padStart(11)}${"fit CPU s".padStart(10)}${
      "predict rows/s".padStart(16)
    }${"R²".padStart(9)}${"peak MB".padStart(9)}`,
  );
  for (const { rows, folds } of sizes) {
    const runs: [string, RunResult | null][] = [];
    if (withSklearn) {
      for (const jobs of [1, 2]) {
        runs.push([
          `scikit-learn 1.2 n_jobs=${jobs}`,
          await child(PYTHON, [
            `${ROOT}tools/bench_forest/sklearn_ref.py`,
            DATA,
            String(rows),
            String(folds),
            String(jobs),
          ]),
        ]);
      }
    }
    const ours = await deno(["--rows", String(rows), "--folds", String(folds), "--workers", String(cores)]);
    runs.push([`scx_gamer forest (${ours?.workers_used ?? "?"} workers)`, ours]);
    for (const [name, r] of runs) {
      if (!r) {
        say(`${String(rows).padEnd(8)}${name.padEnd(34)}  (failed, see above)`);
        continue;
      }
      say(
        `${String(rows).padEnd(8)}${name.padEnd(34)}${mean(r.fit_s).toFixed(2).padStart(11)}${
          mean(r.fit_cpu_s).toFixed(2).padStart(10)
        }${fmtInt(mean(r.predict_rows_per_s)).padStart(16)}${mean(r.r2).toFixed(4).padStart(9)}${
          r.peak_mb.toFixed(0).padStart(9)
        }`,
      );
    }
    const sk2 = runs.find(([n]) => n.includes("n_jobs=2"))?.[1],
      sk1 = runs.find(([n]) => n.includes("n_jobs=1"))?.[1];
    if (ours && sk2 && sk1) {
      say(
        `${"".padEnd(8)}ratios ours/sklearn: fit time ${
          (mean(ours.fit_s) / mean(sk2.fit_s)).toFixed(2)
        }x of n_jobs=2 (CPU ${(mean(ours.fit_cpu_s) / mean(sk2.fit_cpu_s)).toFixed(2)}x) ` +
          `(${(mean(ours.fit_s) / mean(sk1.fit_s)).toFixed(2)}x of n_jobs=1), predict ${
            (mean(ours.predict_rows_per_s) / mean(sk2.predict_rows_per_s)).toFixed(2)
          }x ` +
          `of n_jobs=2, R² ${(mean(ours.r2) - mean(sk2.r2) >= 0 ? "+" : "")}${
            (mean(ours.r2) - mean(sk2.r2)).toFixed(4)
          }, memory ${(ours.peak_mb / sk2.peak_mb).toFixed(2)}x`,
      );
    }
  }

  say("");
  say(
    "What each speed-up buys (20,000 rows, fold 0, 40 trees; fit s per tree, predict on the 4,000 test rows):",
  );
  const sort1 = await deno([
    "--rows",
    "20000",
    "--folds",
    "1",
    "--workers",
    "1",
    "--splitter",
    "sort",
    "--trees",
    "40",
  ]);
  const pre1 = await deno(["--rows", "20000", "--folds", "1", "--workers", "1", "--trees", "40"]);
  const preN = await deno(["--rows", "20000", "--folds", "1", "--workers", String(cores), "--trees", "40"]);
  const perTree = (r: RunResult | null) => (r ? mean(r.fit_s) / 40 : NaN);
  say(`  sort rows at every node (scikit-learn's method), 1 thread: ${perTree(sort1).toFixed(4)} s/tree`);
  say(
    `  presorted index arrays, 1 thread:                         ${perTree(pre1).toFixed(4)} s/tree  (${
      (perTree(sort1) / perTree(pre1)).toFixed(2)
    }x)`,
  );
  say(
    `  presorted + ${cores} workers:                                 ${perTree(preN).toFixed(4)} s/tree  (${
      (perTree(pre1) / perTree(preN)).toFixed(2)
    }x more)`,
  );
  if (preN?.predict_flat_rows_per_s && preN?.predict_packed_rows_per_s) {
    const flat = mean(preN.predict_flat_rows_per_s), packed = mean(preN.predict_packed_rows_per_s);
    say(`  predict, 1 thread, flat parallel arrays: ${fmtInt(flat).padStart(9)} rows/s`);
    say(
      `  predict, 1 thread, packed 16-byte nodes: ${fmtInt(packed).padStart(9)} rows/s  (${
        (packed / flat).toFixed(2)
      }x)`,
    );
  }
  const large = preN?.predict_large;
  if (large) {
    say(
      `  predict ${fmtInt(large.rows)} rows, packed, 1 thread: ${
        fmtInt(large.single).padStart(9)
      } rows/s; on ${cores} ` +
        `workers: ${fmtInt(large.parallel)} rows/s (${(large.parallel / large.single).toFixed(2)}x)`,
    );
  }
  say("");
  for (const l of searchTiming()) say(l);
  say(`Load average at end: ${loadAverage()}`);
  await Deno.mkdir(CACHE, { recursive: true });
  await Deno.writeTextFile(`${CACHE}/last_report.txt`, lines.join("\n") + "\n");
  console.log(lines.join("\n"));
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      rows: { type: "string", default: "20000" },
      folds: { type: "string", default: "5" },
      workers: { type: "string", default: String(navigator.hardwareConcurrency) },
      splitter: { type: "string", default: "presort" },
      trees: { type: "string", default: "100" },
      full: { type: "boolean", default: false },
      "no-sklearn": { type: "boolean", default: false },
    },
  });
  const cmd = positionals[0] ?? "all";
  if (cmd === "gen") await generate();
  else if (cmd === "ours") {
    const splitter = values.splitter === "sort" ? "sort" : "presort";
    console.log(JSON.stringify(
      await runOurs(
        Number(values.rows),
        Number(values.folds),
        Number(values.workers),
        splitter,
        Number(values.trees),
      ),
    ));
  } else await orchestrate(values.full, !values["no-sklearn"]);
}
