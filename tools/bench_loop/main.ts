/**
 * `deno task bench:loop [-- OPTIONS]`: does the learning loop make a game smoother? In one boot of the
 * sched_ext VM (tools/vm/scenarios/bench_loop.sh), through the product's own command line: sweep a grid
 * of configs over a game-shaped workload under background load, export, train (the game's profile is
 * saved), then measure fresh runs, each by the game's own report (gamesim: missed frames, wake-up
 * latencies): 12 random configs once each, then several rounds of the defaults, the learned profile
 * applied through `--ml-profiles` and the best of the random configs measured afresh, rotating which goes
 * first. Prints the table and the verdict of issue 13 (the profile beats the defaults and the best random
 * config on missed frames and p99 wake-up latency) and leaves report.md next to the guest's out/;
 * `--update-docs` refreshes docs/benchmarks.md.
 *
 * A benchmark, not a test: nothing in CI runs it. Exit status: 0 report made, 1 the run failed, 2 usage.
 *
 * @module
 */

import { existsSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
  configToArgs,
  DEFAULT_SWEEP_GRID,
  flagOf,
  MAX_SWEEP_PASSES,
  type SchedConfig,
  TUNABLES,
} from "../../lib/config.ts";
import { GridError, parseAxisFlag } from "../../lib/grid.ts";
import { createRng, type Rng } from "../../lib/ml/rng.ts";
import { printable } from "../../lib/host/terminal.ts";
import { EJECTION_LINE } from "../../lib/modes/attached.ts";
import { parseGamesimJson } from "../bench_sched/guest_results.ts";
import { REPO_ROOT } from "../vm/layers.ts";
import { isTcgThreads, runInVm, TCG_THREADS, type TcgThreads } from "../vm/vm.ts";
import { formatLoopReport, type LoopRun, summarizeLoop } from "./report.ts";

const SCENARIO = path.join(REPO_ROOT, "tools/vm/scenarios/bench_loop.sh");
const DOCS = path.join(REPO_ROOT, "docs/benchmarks.md");
const MARK_BEGIN = "<!-- bench:loop table: begin (written by deno task bench:loop -- --update-docs) -->";
const MARK_END = "<!-- bench:loop table: end -->";
const USAGE =
  `usage: deno task bench:loop [-- --rounds N] [--run-s S] [--sweep-s S] [--sweep-passes N] [--random N] [--seed N]
                         [--game="GAMESIM FLAGS"] [--tcg single|multi|icount] [--out DIR] [--from DIR]
                         [--update-docs] [--learn-only] [--grid="SWEEP GRID FLAGS"] [--calibrate=FLAG]
                         [--autotune-s S] [--autotune-pairs N]
  --game takes gamesim's flags after "=" (they start with "--"), e.g.
  --game="--fps 60 --frame-work-us 12000 --workers 4 --job-us 3000 --hogs 2" (a CPU-heavy game)
  --calibrate=--job-us first fits the game to the boot's speed: short runs under the defaults scale that
  flag's value in --game until the game misses 5-15% of its frames (at most 6 tries, about 5 min)
  --learn-only sweeps and trains, then stops (about 15 min): the trainer's verdict and pick, no fresh runs;
  a scout for a game before a whole run (about 85 min with --rounds 5)
  --grid replaces the sweep's default grid with scx_gamer --sweep's grid flags, e.g.
  --grid="--batch-burst-us 1000,2500,10000 --slice-us 250,1000,4000" (a game beside a video encoder)
  --sweep-passes N measures every grid config N times in windows apart (scx_gamer --sweep --passes)
  --autotune-s S after training, runs scx_gamer --ml-autotune on the game for S seconds (0: not at all), N
  pairs of 20 s windows a candidate (default 6): it tries first what the sweep measured above the defaults
  by less than the noise (the profile's toConfirm), and a config it keeps becomes the profile`;

/** A random config: each number log-uniform (or uniform when its range starts at 0) over its range, each switch a coin. */
export function randomConfig(rng: Rng): SchedConfig {
  const c: Record<string, number | boolean> = {};
  for (const t of TUNABLES) {
    if (t.kind === "switch") c[t.key] = rng.next() < 0.5;
    else {
      const lo = Math.max(1, t.min);
      const v = Math.round(Math.exp(Math.log(lo) + rng.next() * (Math.log(t.max) - Math.log(lo))));
      c[t.key] = Math.min(t.max, Math.max(t.min, v));
    }
  }
  return c as SchedConfig;
}

/** The sweep's grid flags: the default sweep grid, one comma list per tunable. */
function defaultGridFlags(): string {
  return Object.entries(DEFAULT_SWEEP_GRID)
    .map(([k, v]) => `${flagOf(k as keyof SchedConfig)} ${(v as readonly (number | boolean)[]).join(",")}`)
    .join(" ");
}

/**
 * Check a --grid value: pairs of a tunable's flag and its comma list, as `scx_gamer --sweep` takes them,
 * each checked against the tunables table here (a typo ends the run before a 15 min boot, not in it).
 * Returns the sweep's flags, or the one line that says what is wrong. The sweep adds its flags' axes to
 * the default grid, so an axis of the default grid the value leaves out is fixed at its default here: the
 * grid given is the whole grid (`--batch-burst-us 1000,2500` alone is 2 configs, not 54).
 */
export function checkGridFlags(text: string): { flags: string } | { error: string } {
  const words = text.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return { error: "--grid: expected a tunable's flag and its values, got nothing" };
  const seen = new Set<string>();
  for (let i = 0; i < words.length; i += 2) {
    const t = TUNABLES.find((t) => flagOf(t.key) === words[i]);
    if (!t) return { error: `--grid: '${words[i]}' is not a tunable's flag (${flagOf("slice_us")}, ...)` };
    if (seen.has(t.key)) return { error: `--grid: ${words[i]} is given twice` };
    seen.add(t.key);
    if (words[i + 1] === undefined) return { error: `--grid: ${words[i]} has no values` };
    try {
      parseAxisFlag(t.key, words[i + 1]);
    } catch (e) {
      if (e instanceof GridError) return { error: `--grid: ${e.message}` };
      throw e;
    }
  }
  const fixed = TUNABLES.filter((t) => t.key in DEFAULT_SWEEP_GRID && !seen.has(t.key))
    .map((t) => `${flagOf(t.key)} ${t.default}`);
  return { flags: [...words, ...fixed].join(" ") };
}

/** The kernel's reason if scx_gamer's log of a run says it ejected the scheduler, else undefined. */
export function ejectionOf(log: string): string | undefined {
  const line = log.split("\n").find((l) => l.startsWith(EJECTION_LINE));
  return line === undefined ? undefined : line.slice(EJECTION_LINE.length).trim();
}

/** A run's scx_gamer log; "" when the run left none. */
function runLog(out: string, kind: string, n: string): string {
  try {
    return Deno.readTextFileSync(path.join(out, "eval", `${kind}-${n}.log`));
  } catch {
    return "";
  }
}

function readRuns(out: string, randomFlags: readonly string[]): LoopRun[] {
  const order = Deno.readTextFileSync(path.join(out, "eval/order.txt")).trim().split("\n");
  return order.map((line) => {
    const [kind, n, pick] = line.split(" ");
    const file = path.join(out, "eval", `${kind}-${n}.json`);
    const ejected = ejectionOf(runLog(out, kind, n));
    return {
      kind: kind as LoopRun["kind"],
      n: Number(n),
      flags: kind === "random"
        ? randomFlags[Number(n) - 1]
        : kind === "best"
        ? randomFlags[Number(pick) - 1]
        : "",
      ...(kind === "best" ? { pick: Number(pick) } : {}),
      ...(ejected === undefined ? {} : { ejected }),
      figures: parseGamesimJson(Deno.readTextFileSync(file), file),
    };
  });
}

/** The flags the trainer saved as the profile: the line after "Command line:" (lib/ml/report.ts); "" if none. */
function learnedFlags(trainLog: string): string {
  const lines = trainLog.split("\n");
  const at = lines.lastIndexOf("Command line:");
  return at < 0 ? "" : (lines[at + 1] ?? "").trim().replace(/^sudo \.\/scx_gamer --stats \d+ ?/, "");
}

async function bundle(dir: string): Promise<string> {
  const file = path.join(dir, "scx_gamer.js");
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", file, path.join(REPO_ROOT, "main.ts")],
    cwd: REPO_ROOT,
  }).output();
  if (r.code !== 0) throw new Error(`bundling main.ts failed: ${new TextDecoder().decode(r.stderr)}`);
  return file;
}

/**
 * What a run's learning said, from its train.log: the fit, the trainer's measured verdict on its pick, and
 * the flags it saved as the profile. All a --learn-only run has.
 */
export function learnSummary(trainLog: string): string[] {
  const lines = trainLog.split("\n");
  const kept = lines.filter((l) => /^(Hold-out|5-fold CV|Measured:)/.test(l.trim())).map((l) => l.trim());
  const flags = learnedFlags(trainLog);
  return [...kept, `Learned profile: ${flags ? `\`${flags}\`` : "none (training failed: see train.log)"}`];
}

/** Where the guest keeps scx_gamer's log of the autotune stage (absent when the run had none). */
const AUTOTUNE_LOG = "autotune.log";

/**
 * What the autotune stage decided, from its log: one line per candidate judged ("kept FLAGS (why)" or
 * "rejected FLAGS (why)"), and the flags of the last config it kept (the profile it left), or null.
 */
export function autotuneDecisions(log: string): { lines: string[]; kept: string | null } {
  const decided = log.split("\n").map((l) => l.match(/^scx_gamer: autotune "[^"]*": ((kept|rejected) (.*))$/))
    .filter((m) => m !== null);
  const kept = decided.filter((m) => m[2] === "kept").at(-1);
  return {
    lines: decided.map((m) => m[1]),
    kept: kept ? kept[3].replace(/ \(.*\)$/, "") : null,
  };
}

/** Where a run records how QEMU ran the vCPUs, for a later --from. */
const TCG_FILE = "tcg.txt";

/** Where a run records the game's gamesim flags, for a later --from (runs before it: the --game given). */
const GAME_FILE = "game.txt";

/** Where the guest records each calibration try: "TRY MISSED_SHARE GAMESIM FLAGS" per line. */
const CALIBRATION_FILE = "calibrate/tries.txt";

/**
 * The header's words on a calibrated game: how many tries, and the missed share of each (in %), or "" for
 * a run that was not calibrated.
 */
export function calibrationNote(tries: string | null): string {
  if (tries === null || tries === "") return "";
  const missed = tries.split("\n").map((l) => {
    const m = Number(l.split(" ")[1]);
    return Number.isFinite(m) ? `${(m * 100).toFixed(1)}%` : "no report";
  });
  return ` (fitted to the boot under the defaults: missed ${
    missed.join(", ")
  } in ${missed.length} tries of 15 s)`;
}

/** Where a run records its sweep grid's flags, for a later --from (runs before it: the default grid). */
const GRID_FILE = "grid.txt";

/** The command line's options, or the one line that says what is wrong with it. */
export function parseOptions(argv: string[]) {
  let o;
  try {
    o = parseArgs({
      // `deno task bench:loop -- --flag` passes the "--" on, as the docs write it.
      args: argv[0] === "--" ? argv.slice(1) : argv,
      options: {
        rounds: { type: "string", default: "3" },
        "run-s": { type: "string", default: "20" },
        "sweep-s": { type: "string", default: "20" },
        "sweep-passes": { type: "string", default: "1" },
        random: { type: "string", default: "12" },
        seed: { type: "string", default: "1" },
        game: { type: "string", default: "--fps 144 --frame-work-us 2500 --workers 2 --hogs 2" },
        tcg: { type: "string", default: "single" },
        out: { type: "string" },
        from: { type: "string" },
        "update-docs": { type: "boolean", default: false },
        "learn-only": { type: "boolean", default: false },
        grid: { type: "string" },
        calibrate: { type: "string" },
        "autotune-s": { type: "string", default: "0" },
        "autotune-pairs": { type: "string", default: "6" },
      },
    }).values;
  } catch (e) {
    return { error: `${(e as Error).message.split("\n")[0]}\n${USAGE}` };
  }
  for (
    const flag of ["rounds", "run-s", "sweep-s", "sweep-passes", "random", "seed", "autotune-s"] as const
  ) {
    const positive = flag !== "seed" && flag !== "autotune-s";
    if (!/^\d{1,6}$/.test(o[flag]) || (positive && Number(o[flag]) === 0)) {
      return { error: `--${flag}: expected a whole number${positive ? " above 0" : ""}, got '${o[flag]}'` };
    }
  }
  if (Number(o["sweep-passes"]) > MAX_SWEEP_PASSES) {
    return { error: `--sweep-passes: expected at most ${MAX_SWEEP_PASSES}, got '${o["sweep-passes"]}'` };
  }
  if (
    !/^\d{1,3}$/.test(o["autotune-pairs"]) || Number(o["autotune-pairs"]) < 3 ||
    Number(o["autotune-pairs"]) > 100
  ) {
    return { error: `--autotune-pairs: expected a whole number from 3 to 100, got '${o["autotune-pairs"]}'` };
  }
  if (!isTcgThreads(o.tcg)) return { error: `--tcg: expected ${TCG_THREADS.join(" or ")}, got '${o.tcg}'` };
  let grid = "";
  if (o.grid !== undefined) {
    const checked = checkGridFlags(o.grid);
    if ("error" in checked) return { error: checked.error };
    grid = checked.flags;
  }
  const calibrate = o.calibrate ?? "";
  if (o.calibrate !== undefined) {
    const words = o.game.trim().split(/\s+/);
    const at = words.indexOf(o.calibrate);
    if (at < 0 || !/^\d{1,9}$/.test(words[at + 1] ?? "")) {
      return {
        error:
          `--calibrate: expected one of --game's flags with a whole number after it (e.g. --job-us), got '${
            printable(o.calibrate)
          }'`,
      };
    }
  }
  return { options: { ...o, tcg: o.tcg, grid, calibrate } };
}

/**
 * The rounds the run in `out` made, read from its eval/order.txt (one default run per round): `--from`
 * re-reports a run without knowing the `--rounds` it was given.
 */
export function recordedRounds(out: string): number {
  return Deno.readTextFileSync(path.join(out, "eval/order.txt")).split("\n")
    .filter((l) => l.startsWith("default ")).length;
}

/** What a run recorded in `file` for a later --from, trimmed; null when the run is older than the record. */
function readRecorded(out: string, file: string): string | null {
  try {
    return Deno.readTextFileSync(path.join(out, file)).trim();
  } catch {
    return null;
  }
}

/** How the run in `out` ran its vCPUs; runs from before the option did not record it and ran single. */
function recordedTcg(out: string): TcgThreads {
  const text = readRecorded(out, TCG_FILE);
  return text !== null && isTcgThreads(text) ? text : "single";
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseOptions(argv);
  if (!parsed.options) {
    console.error(`bench:loop: ${parsed.error}`);
    return 2;
  }
  const o = parsed.options;
  const rng = createRng(Number(o.seed));
  const randomFlags = Array.from(
    { length: Number(o.random) },
    () => configToArgs(randomConfig(rng)).join(" "),
  );
  let out = o.from ?? "";
  if (!o.from) {
    const tmp = Deno.makeTempDirSync({ prefix: "bench_loop_" });
    const randomFile = path.join(tmp, "random.txt");
    Deno.writeTextFileSync(randomFile, randomFlags.join("\n") + "\n");
    out = path.resolve(o.out ?? path.join(REPO_ROOT, "tools/vm/out", `loop-${Date.now()}`));
    const sweep = `${o.grid || defaultGridFlags()} --duration ${o["sweep-s"]} --settle 2 --passes ${
      o["sweep-passes"]
    }`;
    const fresh = o["learn-only"]
      ? "learning only"
      : `${randomFlags.length} random configs; ${o.rounds} rounds of ${o["run-s"]} s`;
    console.error(`bench:loop: sweep ${sweep}; ${fresh}`);
    const result = await runInVm(SCENARIO, {
      env: {
        BL_SWEEP: sweep,
        BL_RANDOM: "/opt/bl/random.txt",
        BL_ROUNDS: o.rounds,
        BL_RUN_S: o["run-s"],
        BL_GAME: o.game,
        BL_CALIBRATE: o.calibrate,
        BL_LEARN_ONLY: o["learn-only"] ? "1" : "0",
        BL_AUTOTUNE_S: o["autotune-s"],
        BL_AUTOTUNE_PAIRS: o["autotune-pairs"],
        BL_EJECTION_LINE: EJECTION_LINE,
      },
      files: { "/opt/bl/random.txt": randomFile },
      bundle: await bundle(tmp),
      outDir: out,
      tcg: o.tcg,
      timeoutS: 7200,
      onConsoleLine: (l) => {
        if (l.startsWith("bench-loop: ")) console.error(l);
      },
    });
    // A run that brought nothing back (a crash before out/ was written) has no folder to write into.
    if (result.status !== 0 || result.outDir === null) {
      console.error(`bench:loop: ${result.message}\n${result.log.slice(-3000)}`);
      return 1;
    }
    Deno.writeTextFileSync(path.join(out, "random.txt"), randomFlags.join("\n") + "\n");
    Deno.writeTextFileSync(path.join(out, TCG_FILE), o.tcg + "\n");
    // The guest records the game as it ran it (calibrated); runs before that, the --game given.
    if (!existsSync(path.join(out, GAME_FILE))) {
      Deno.writeTextFileSync(path.join(out, GAME_FILE), o.game + "\n");
    }
    if (o.grid) Deno.writeTextFileSync(path.join(out, GRID_FILE), o.grid + "\n");
  }
  // A learning-only run (or one that stopped after learning) has no fresh runs to judge.
  if (o["learn-only"] || !existsSync(path.join(out, "eval/order.txt"))) {
    const report = learnSummary(Deno.readTextFileSync(path.join(out, "train.log"))).join("\n");
    Deno.writeTextFileSync(path.join(out, "report.md"), report + "\n");
    console.log(report);
    return 0;
  }
  if (o.from) {
    const recorded = Deno.readTextFileSync(path.join(out, "random.txt")).trim().split("\n");
    randomFlags.splice(0, randomFlags.length, ...recorded);
  }
  const summary = summarizeLoop(readRuns(out, randomFlags));
  const tcg = recordedTcg(out);
  // Runs from before game.txt: the --game given now; without grid.txt the run swept the default grid.
  const game = readRecorded(out, GAME_FILE) ?? o.game;
  const gridFlags = readRecorded(out, GRID_FILE);
  const grid = gridFlags === null ? "the default grid" : `the grid \`${gridFlags}\``;
  const rounds = recordedRounds(out);
  const calibration = calibrationNote(readRecorded(out, CALIBRATION_FILE));
  const passes = Number(o["sweep-passes"]);
  const autotuneLog = readRecorded(out, AUTOTUNE_LOG);
  const autotune = autotuneLog === null ? null : autotuneDecisions(autotuneLog);
  const header = [
    `bench:loop on the sched_ext VM (QEMU TCG, 2 vCPUs${tcg === "multi" ? ", one host thread each" : ""}), ${
      new Date().toISOString().slice(0, 10)
    }: gamesim ${game}${calibration};`,
    `learned from \`scx_gamer --sweep\` over ${grid} (${o["sweep-s"]} s per config${
      passes === 1 ? "" : `, ${passes} passes`
    }), --ml-train --game game;`,
    ...(autotune === null ? [] : [
      `then \`scx_gamer --ml-autotune\` on the game (${o["autotune-pairs"]} pairs of windows a candidate): ${
        autotune.lines.length === 0 ? "no candidate judged" : autotune.lines.join("; ")
      };`,
    ]),
    `then fresh ${
      o["run-s"]
    } s runs: ${randomFlags.length} random configs once each, ${rounds} rounds of defaults, profile${
      summary.bestRandom.fresh ? " and the best random config (rotating first)" : " (alternating first)"
    }.`,
  ];
  const report = formatLoopReport(summary, {
    profileFlags: autotune?.kept ?? learnedFlags(Deno.readTextFileSync(path.join(out, "train.log"))),
    header,
  }).join("\n");
  Deno.writeTextFileSync(path.join(out, "report.md"), report + "\n");
  console.log(report);
  if (o["update-docs"]) {
    const doc = Deno.readTextFileSync(DOCS);
    const a = doc.indexOf(MARK_BEGIN), b = doc.indexOf(MARK_END);
    if (a < 0 || b < a) {
      console.error(`bench:loop: ${DOCS} has no ${MARK_BEGIN} ... ${MARK_END} block`);
      return 1;
    }
    Deno.writeTextFileSync(
      DOCS,
      doc.slice(0, a + MARK_BEGIN.length) + "\n\n" + report + "\n\n" + doc.slice(b),
    );
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
