import assert from "node:assert/strict";
import type { GameFigures } from "../../tools/bench_sched/guest_results.ts";
import {
  formatLoopReport,
  type LoopRun,
  type LoopSummary,
  signTestP,
  summarizeLoop,
} from "../../tools/bench_loop/report.ts";
import {
  autotuneDecisions,
  calibrationNote,
  checkGridFlags,
  ejectionOf,
  learnSummary,
  parseOptions,
  randomConfig,
  recordedRounds,
} from "../../tools/bench_loop/main.ts";
import { createRng } from "../../lib/ml/rng.ts";
import { TUNABLES, validateConfig } from "../../lib/config.ts";

function figures(missed: number, renderUs: number, inputUs: number, otherUs = renderUs): GameFigures {
  const role = (p99: number) => ({
    p50: p99 / 4,
    p99,
    p999: p99 * 2,
    max: p99 * 3,
    wakeups: 100,
    runqP50: p99 / 8,
    runqP99: p99 / 2,
  });
  return {
    input: role(inputUs),
    render: role(renderUs),
    others: { submit: role(otherUs), audio: role(otherUs + 100), worker: role(otherUs + 200) },
    frames: 1000,
    missedShare: missed,
    frameTimeP99Us: 7000,
    background: { itersPerS: 1e6, policies: [] },
  };
}

/** A verdict's all-runs rule alone (the round-by-round counts have their own test). */
const verdict = (s: LoopSummary, i: number) => {
  const { figure, vsDefault, vsBestRandom } = s.verdicts[i];
  return { figure, vsDefault, vsBestRandom };
};

const run = (kind: LoopRun["kind"], n: number, f: GameFigures, flags = ""): LoopRun => ({
  kind,
  n,
  flags,
  figures: f,
});

Deno.test("the profile is compared run by run with the defaults and the best single random run", () => {
  const runs = [
    run("random", 1, figures(0.2, 4000, 3000), "--a"),
    run("random", 2, figures(0.05, 3000, 2500), "--b"),
    run("random", 3, figures(0.05, 5000, 2000), "--c"),
    run("default", 1, figures(0.10, 3500, 2600)),
    run("default", 2, figures(0.12, 3600, 2700)),
    run("default", 3, figures(0.30, 9000, 9000)),
    run("profile", 1, figures(0.03, 2000, 1500)),
    run("profile", 2, figures(0.04, 2100, 1600)),
  ];
  const s = summarizeLoop(runs);
  assert.equal(s.bestRandom.flags, "--b", "fewest missed, then the lower render p99");
  assert.ok(Math.abs(s.defaults.missedPct - 12) < 1e-9);
  assert.ok(Math.abs(s.profile.missedPct - 3.5) < 1e-9);
  assert.deepEqual(s.verdicts.map((v) => [v.figure, v.vsDefault, v.vsBestRandom]), [
    ["missed frames", true, true],
    ["render wake-up p99", true, true],
    ["input wake-up p99", true, true],
    ["GPU-submit wake-up p99", true, true],
    ["audio wake-up p99", true, true],
    ["job-worker wake-up p99", true, true],
    ["render waited runnable p99", true, true],
    ["input waited runnable p99", true, true],
    ["GPU-submit waited runnable p99", true, true],
    ["audio waited runnable p99", true, true],
    ["job-worker waited runnable p99", true, true],
  ]);
  const text = formatLoopReport(s, { profileFlags: "--x 1", header: ["h"] }).join("\n");
  assert.match(
    text,
    /\| learned profile, --ml-profiles \(median\) \| 2 \| 3\.5 \[3\.0-4\.0\] \| 2\.05 \[2\.00-2\.10\] \| 1\.55 \[1\.50-1\.60\] \|/,
  );
  assert.match(text, /\| best of 3 random \(#2\) \| 1 \| 5\.0 \| 3\.00 \| 2\.50 \|/);
  // The other threads' table: GPU submit, audio (+0.1 ms) and workers (+0.2 ms) of each run.
  assert.match(
    text,
    /\| learned profile, --ml-profiles \(median\) \| 2\.05 \[2\.00-2\.10\] \| 2\.15 \[2\.10-2\.20\] \| 2\.25 \[2\.20-2\.30\] \|/,
  );
  // The waits table: half of each latency (render, input, submit, audio, workers).
  assert.match(
    text,
    /\| learned profile, --ml-profiles \(median\) \| 1\.02 \[1\.00-1\.05\] \| 0\.78 \[0\.75-0\.80\] \| 1\.02 \[1\.00-1\.05\] \| 1\.08 \[1\.05-1\.10\] \| 1\.13 \[1\.10-1\.15\] \|/,
  );
  assert.match(
    text,
    /Best random config: `--b` \(5\.0% missed in the run that picked it; not measured again\)/,
  );
  assert.match(text, /\| missed frames \| yes \| yes \|/);
});

Deno.test("the best random config is judged by its fresh runs, not by the run that picked it", () => {
  const runs = [
    run("random", 1, figures(0.2, 4000, 3000), "--a"),
    run("random", 2, figures(0.01, 3000, 2500), "--b"),
    run("default", 1, figures(0.10, 3500, 2600)),
    run("profile", 1, figures(0.03, 2000, 1500)),
    run("profile", 2, figures(0.04, 2100, 1600)),
    { ...run("best", 1, figures(0.06, 2500, 2000), "--b"), pick: 2 },
    { ...run("best", 2, figures(0.08, 2600, 2100), "--b"), pick: 2 },
  ];
  const s = summarizeLoop(runs);
  assert.equal(s.bestRandom.n, 2);
  assert.equal(s.bestRandom.fresh, true);
  assert.equal(s.bestRandom.runs, 2);
  assert.ok(Math.abs(s.bestRandom.missedPct - 7) < 1e-9, "the median of its fresh runs");
  assert.ok(Math.abs(s.bestRandom.pickedMissedPct - 1) < 1e-9);
  // Against its picking run (1% missed) the profile would lose; against its fresh runs it wins.
  assert.deepEqual(verdict(s, 0), { figure: "missed frames", vsDefault: true, vsBestRandom: true });
  const text = formatLoopReport(s, { profileFlags: "", header: [] }).join("\n");
  assert.match(text, /\| best of 2 random \(#2\), fresh runs \(median\) \| 2 \| 7\.0 \[6\.0-8\.0\] \|/);
  assert.match(text, /Best random config: `--b` \(1\.0% missed in the run that picked it\)/);
});

Deno.test("a better median over overlapping runs is no win", () => {
  const s = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000)),
    run("default", 1, figures(0.04, 2000, 2000)),
    run("default", 2, figures(0.10, 3000, 3000)),
    run("default", 3, figures(0.12, 3100, 3100)),
    run("profile", 1, figures(0.05, 1000, 1000)),
    run("profile", 2, figures(0.06, 1100, 1100)),
    run("profile", 3, figures(0.07, 1200, 1200)),
  ]);
  assert.ok(s.profile.missedPct < s.defaults.missedPct, "the median is better ...");
  assert.deepEqual(verdict(s, 0), { figure: "missed frames", vsDefault: false, vsBestRandom: true });
  assert.deepEqual(verdict(s, 1), { figure: "render wake-up p99", vsDefault: true, vsBestRandom: true });
});

Deno.test("round by round, the runs of one round are paired and counted, ejected runs left out", () => {
  const s = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000), "--b"),
    run("default", 1, figures(0.04, 2000, 2000)),
    run("default", 2, figures(0.10, 3000, 3000)),
    run("default", 3, figures(0.12, 3100, 3100)),
    { ...run("default", 4, figures(0.50, 3100, 3100)), ejected: "x" },
    run("profile", 1, figures(0.05, 1000, 1000)),
    run("profile", 2, figures(0.06, 1100, 1100)),
    run("profile", 3, figures(0.07, 1200, 1200)),
    run("profile", 4, figures(0.07, 1200, 1200)),
    { ...run("best", 1, figures(0.05, 900, 900), "--b"), pick: 1 },
    { ...run("best", 3, figures(0.08, 900, 900), "--b"), pick: 1 },
  ]);
  // Missed frames: round 1 lost (5 against 4), 2 and 3 won, round 4's default ejected.
  assert.deepEqual(s.verdicts[0].roundsVsDefault, { lower: 2, rounds: 3 });
  // Against the best random: round 1 a tie (not lower), round 3 won, rounds 2 and 4 have no best run.
  assert.deepEqual(s.verdicts[0].roundsVsBestRandom, { lower: 1, rounds: 2 });
  assert.deepEqual(s.verdicts[1].roundsVsBestRandom, { lower: 0, rounds: 2 });
  const text = formatLoopReport(s, { profileFlags: "", header: [] }).join("\n");
  assert.match(text, /\| missed frames \| NO \| NO \| 2 of 3 \(p 0\.500\) \| 1 of 2 \(p 0\.750\) \|/);
});

Deno.test("the sign test: the chance of as many lower rounds between equal configs", () => {
  assert.equal(signTestP({ lower: 7, rounds: 7 }), 1 / 128);
  assert.equal(signTestP({ lower: 6, rounds: 7 }), 8 / 128);
  assert.equal(signTestP({ lower: 0, rounds: 7 }), 1);
  assert.equal(signTestP({ lower: 2, rounds: 3 }), 0.5);
  assert.equal(signTestP({ lower: 0, rounds: 0 }), 1);
});

Deno.test("a run without a figure wins nothing on it", () => {
  const noInput = figures(0.01, 1000, 1000);
  noInput.input.p99 = null;
  const s = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000)),
    run("default", 1, figures(0.10, 3000, 3000)),
    run("profile", 1, figures(0.01, 1000, 1000)),
    run("profile", 2, noInput),
  ]);
  assert.deepEqual(verdict(s, 2), { figure: "input wake-up p99", vsDefault: false, vsBestRandom: false });
  assert.deepEqual(verdict(s, 0), { figure: "missed frames", vsDefault: true, vsBestRandom: true });
});

Deno.test("a profile that loses says NO", () => {
  const s = summarizeLoop([
    run("random", 1, figures(0.01, 1000, 1000)),
    run("default", 1, figures(0.10, 3000, 3000)),
    run("profile", 1, figures(0.05, 2000, 2000)),
  ]);
  assert.deepEqual(verdict(s, 0), { figure: "missed frames", vsDefault: true, vsBestRandom: false });
  assert.match(
    formatLoopReport(s, { profileFlags: "", header: [] }).join("\n"),
    /\| missed frames \| yes \| NO \|/,
  );
});

Deno.test("an ejected run measures no config: left out of the figures, never the best, and named", () => {
  const why = "runtime error: invalid CPU 2";
  const s = summarizeLoop([
    // The ejected config's game ran under the kernel's default and did best: it must not be the pick.
    { ...run("random", 1, figures(0.001, 500, 500), "--enable-numa"), ejected: why },
    run("random", 2, figures(0.2, 4000, 3000), "--b"),
    run("default", 1, figures(0.10, 3000, 3000)),
    { ...run("default", 2, figures(0.90, 9000, 9000)), ejected: why },
    run("profile", 1, figures(0.05, 2000, 2000)),
  ]);
  assert.equal(s.bestRandom.n, 2);
  assert.ok(Math.abs(s.defaults.missedPct - 10) < 1e-9, "the ejected default run is left out");
  assert.equal(s.defaults.runs, 1);
  assert.deepEqual(s.ejected.map((e) => [e.kind, e.n]), [["random", 1], ["default", 2]]);
  assert.deepEqual(verdict(s, 0), { figure: "missed frames", vsDefault: true, vsBestRandom: true });
  const text = formatLoopReport(s, { profileFlags: "", header: [] }).join("\n");
  assert.match(text, /\| best of 2 random \(1 ejected\) \(#2\) \|/);
  assert.match(text, /- random #1 `--enable-numa`: runtime error: invalid CPU 2/);
  assert.match(text, /- default round 2: runtime error: invalid CPU 2/);
});

Deno.test("a profile the kernel ejected in any run wins nothing", () => {
  const s = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000)),
    run("default", 1, figures(0.10, 3000, 3000)),
    run("profile", 1, figures(0.01, 1000, 1000)),
    { ...run("profile", 2, figures(0.01, 1000, 1000)), ejected: "stall (watchdog)" },
  ]);
  assert.ok(s.verdicts.every((v) => !v.vsDefault && !v.vsBestRandom), JSON.stringify(s.verdicts));
  // Every run of a kind ejected: no figures, so no win either (not a win over an empty range).
  const all = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000)),
    run("default", 1, figures(0.10, 3000, 3000)),
    { ...run("default", 2, figures(0.10, 3000, 3000)), ejected: "x" },
    { ...run("profile", 1, figures(0.01, 1000, 1000)), ejected: "x" },
  ]);
  assert.ok(Number.isNaN(all.profile.missedPct));
  assert.ok(all.verdicts.every((v) => !v.vsDefault && !v.vsBestRandom));
});

Deno.test("a run's log names an ejection by scx_gamer's own line, and nothing else", () => {
  const log =
    "scx_gamer: attached\nscx_gamer: the kernel stopped the scheduler: runtime error: invalid CPU 2\n" +
    "scx_gamer: the kernel's debug dump:\n...";
  assert.equal(ejectionOf(log), "runtime error: invalid CPU 2");
  assert.equal(ejectionOf("scx_gamer: attached\nscx_gamer: detached\n"), undefined);
  assert.equal(ejectionOf("game: the kernel stopped the scheduler: quoted elsewhere"), undefined);
});

Deno.test("random configs are valid, seeded, and spread over each range", () => {
  const a = createRng(7), b = createRng(7);
  const configs = Array.from({ length: 50 }, () => randomConfig(a));
  assert.deepEqual(configs[0], randomConfig(b));
  for (const c of configs) assert.deepEqual(validateConfig(c), []);
  const num = TUNABLES.find((t) => t.kind === "number" && t.max / Math.max(1, t.min) > 100)!;
  const values = configs.map((c) => c[num.key] as number);
  assert.ok(Math.min(...values) < Math.max(...values) / 10, `${num.key} spread: ${values}`);
});

Deno.test("bench:loop --tcg: single unless asked, multi when given, anything else one line", () => {
  assert.equal(parseOptions([]).options?.tcg, "single");
  assert.equal(parseOptions(["--", "--tcg", "multi"]).options?.tcg, "multi");
  const bad = parseOptions(["--tcg", "kvm"]);
  assert.equal(bad.options, undefined);
  assert.equal(bad.error, "--tcg: expected single or multi or icount, got 'kvm'");
});

Deno.test("bench:loop --sweep-passes: 1 unless asked, a whole number up to the sweep's own bound", () => {
  assert.equal(parseOptions([]).options?.["sweep-passes"], "1");
  assert.equal(parseOptions(["--sweep-passes", "2"]).options?.["sweep-passes"], "2");
  assert.equal(
    parseOptions(["--sweep-passes", "0"]).error,
    "--sweep-passes: expected a whole number above 0, got '0'",
  );
  assert.equal(parseOptions(["--sweep-passes", "21"]).error, "--sweep-passes: expected at most 20, got '21'");
});

Deno.test("bench:loop --game takes gamesim's flags after '=', and the usage says so when given a space", () => {
  const heavy = "--fps 60 --frame-work-us 12000 --workers 4 --job-us 3000 --hogs 2";
  assert.equal(parseOptions([`--game=${heavy}`]).options?.game, heavy);
  const spaced = parseOptions(["--game", heavy]);
  assert.equal(spaced.options, undefined);
  assert.match(spaced.error ?? "", /--game="--fps 60/);
});

Deno.test("the game's other threads are judged too; a run without them (an older report) wins nothing on them", () => {
  const old = figures(0.01, 1000, 1000);
  delete old.others;
  const s = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000)),
    run("default", 1, figures(0.10, 3000, 3000, 2000)),
    run("profile", 1, figures(0.01, 1000, 1000, 3000)),
    run("profile", 2, old),
  ]);
  assert.deepEqual(s.verdicts.slice(3, 6).map((v) => [v.figure, v.vsDefault]), [
    ["GPU-submit wake-up p99", false],
    ["audio wake-up p99", false],
    ["job-worker wake-up p99", false],
  ]);
  const text = formatLoopReport(s, { profileFlags: "", header: [] }).join("\n");
  assert.match(
    text,
    /\| learned profile, --ml-profiles \(median\) \| - \[-\--\] \| - \[-\--\] \| - \[-\--\] \|/,
  );
  // Where every run has them, a profile whose other threads wake later loses on them.
  const t = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000)),
    run("default", 1, figures(0.10, 3000, 3000, 2000)),
    run("profile", 1, figures(0.01, 1000, 1000, 3000)),
  ]);
  assert.deepEqual(t.verdicts.map((v) => v.vsDefault), [
    ...[true, true, true, false, false, false],
    ...[true, true, false, false, false],
  ]);
});

Deno.test("a run from before gamesim measured the waits wins nothing on them, and the table says '-'", () => {
  const older = figures(0.01, 1000, 1000);
  for (const role of [older.input, older.render, ...Object.values(older.others!)]) {
    delete role.runqP50;
    delete role.runqP99;
  }
  const s = summarizeLoop([
    run("random", 1, figures(0.5, 9000, 9000)),
    run("default", 1, figures(0.10, 3000, 3000)),
    run("profile", 1, figures(0.01, 1000, 1000)),
    run("profile", 2, older),
  ]);
  assert.deepEqual(s.verdicts.map((v) => v.vsDefault), [...Array(6).fill(true), ...Array(5).fill(false)]);
  const text = formatLoopReport(s, { profileFlags: "", header: [] }).join("\n");
  assert.match(text, /\| learned profile, --ml-profiles \(median\) (\| - \[---\] ){5}\|$/m);
});

Deno.test("a learning-only run reports the fit, the trainer's verdict and the saved profile from train.log", () => {
  assert.equal(parseOptions(["--learn-only"]).options?.["learn-only"], true);
  assert.equal(parseOptions([]).options?.["learn-only"], false);
  const log = [
    "Training on 636 samples of game from /work/out/train.csv: 25 features",
    "Hold-out 80/20: R² 0.4037  MAE 0.6146",
    "5-fold CV:      R² 0.4520  MAE 0.5873  (folds: 0.406, 0.320, 0.428, 0.579, 0.528)",
    "Measured: the forest's pick averaged 3.81 over 20 samples, the defaults 2.79 over 94 samples: +1.03, above the noise",
    "",
    "=== Best Configuration Found ===",
    "Command line:",
    "sudo ./scx_gamer --stats 1 --slice-us 250 --parity-us 1000",
  ].join("\n");
  assert.deepEqual(learnSummary(log), [
    "Hold-out 80/20: R² 0.4037  MAE 0.6146",
    "5-fold CV:      R² 0.4520  MAE 0.5873  (folds: 0.406, 0.320, 0.428, 0.579, 0.528)",
    "Measured: the forest's pick averaged 3.81 over 20 samples, the defaults 2.79 over 94 samples: +1.03, above the noise",
    "Learned profile: `--slice-us 250 --parity-us 1000`",
  ]);
  assert.deepEqual(learnSummary("scx_gamer: --ml-train: no samples"), [
    "Learned profile: none (training failed: see train.log)",
  ]);
});

Deno.test("bench:loop --grid takes the sweep's grid flags, checked here; without it the default grid", () => {
  assert.equal(parseOptions([]).options?.grid, "");
  const grid = "--batch-burst-us 1000,2500,10000  --slice-us 250,1000";
  // The sweep adds its axes to the default grid: the default grid's other axes are fixed at their defaults.
  assert.equal(
    parseOptions([`--grid=${grid}`]).options?.grid,
    "--batch-burst-us 1000,2500,10000 --slice-us 250,1000 --slice-lag-us 20000 --parity-us 0",
  );
  assert.deepEqual(checkGridFlags("--slice-us 0,5"), {
    error: "--grid: --slice-us 0 is out of range: expected 1..100000 us",
  });
  assert.deepEqual(checkGridFlags("--slice-usec 5"), {
    error: "--grid: '--slice-usec' is not a tunable's flag (--slice-us, ...)",
  });
  assert.deepEqual(checkGridFlags("--slice-us 5 --slice-us 6"), {
    error: "--grid: --slice-us is given twice",
  });
  assert.deepEqual(checkGridFlags("--slice-us"), { error: "--grid: --slice-us has no values" });
  assert.deepEqual(checkGridFlags("  "), {
    error: "--grid: expected a tunable's flag and its values, got nothing",
  });
  assert.equal(parseOptions(["--grid=--avoid-smt maybe"]).options, undefined);
});

Deno.test("--from reports the rounds the run made, read from its order of runs", () => {
  const out = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${out}/eval`);
    const order = [
      "random 1",
      "random 2",
      "default 1",
      "profile 1",
      "best 1 2",
      "profile 2",
      "best 2 2",
      "default 2",
    ];
    Deno.writeTextFileSync(`${out}/eval/order.txt`, order.join("\n") + "\n");
    assert.equal(recordedRounds(out), 2);
  } finally {
    Deno.removeSync(out, { recursive: true });
  }
});

Deno.test("bench:loop --calibrate names one of --game's numeric flags; anything else is one line", () => {
  const heavy = "--fps 60 --frame-work-us 12000 --workers 4 --job-us 3000 --hogs 2";
  assert.equal(parseOptions([`--game=${heavy}`, "--calibrate=--job-us"]).options?.calibrate, "--job-us");
  assert.equal(parseOptions([`--game=${heavy}`]).options?.calibrate, "");
  for (const flag of ["--encode-us", "--fps60", "\x1b[2J"]) {
    const bad = parseOptions([`--game=${heavy}`, `--calibrate=${flag}`]);
    assert.equal(bad.options, undefined);
    assert.match(
      bad.error ?? "",
      /^--calibrate: expected one of --game's flags with a whole number after it/,
    );
    assert.ok(!(bad.error ?? "").includes("\x1b"), "the escape reaches the terminal");
  }
});

Deno.test("a calibrated run's header gives each try's missed share; an uncalibrated one says nothing", () => {
  assert.equal(calibrationNote(null), "");
  assert.equal(calibrationNote(""), "");
  assert.equal(
    calibrationNote("1 0.4512 --job-us 3000\n2 0.0875 --job-us 1500"),
    " (fitted to the boot under the defaults: missed 45.1%, 8.8% in 2 tries of 15 s)",
  );
  assert.match(calibrationNote("1 none --job-us 3000"), /missed no report in 1 tries/);
});

/** A shell function of the guest's bench_loop.sh, by name: its definition up to the `}` that closes it. */
function scenarioFunction(name: string): string {
  const script = Deno.readTextFileSync(new URL("../../tools/vm/scenarios/bench_loop.sh", import.meta.url));
  const found = script.match(new RegExp(`^${name}\\(\\) \\{[^\\n]*\\n(?:.*\\n)*?\\}\\n`, "m"));
  assert.ok(found, `bench_loop.sh defines ${name}()`);
  return found[0];
}

Deno.test("calibration's arithmetic runs in the guest's busybox: a turn in direction halves the step", () => {
  // The guest's shell and awk are busybox's (tools/vm/layers.ts), whose awk has no sqrt(): run them there.
  const steps = `${scenarioFunction("scaled_game")}${scenarioFunction("calibrate_next")}
BL_GAME_BASE="--fps 60 --job-us 7000 --workers 3"
scale=1 step=2 dir=0
for m in 0.94 0.044 0.18 0.10; do
  next=$(calibrate_next $m $scale $step $dir)
  [ "$next" = done ] && { echo done; break; }
  scale=$(echo "$next" | cut -d' ' -f1) step=$(echo "$next" | cut -d' ' -f2) dir=$(echo "$next" | cut -d' ' -f3)
  scaled_game --job-us $scale
done`;
  const run = new Deno.Command("busybox", { args: ["sh", "-c", steps], stdout: "piped", stderr: "piped" })
    .outputSync();
  const err = new TextDecoder().decode(run.stderr);
  assert.equal(err, "", err);
  // 7000 missed 94%: halve. 3500 missed 4.4%: grow by sqrt(2). 4950 missed 18%: shrink by 2^(1/4). In the band.
  assert.deepEqual(new TextDecoder().decode(run.stdout).trim().split("\n"), [
    "--fps 60 --job-us 3500 --workers 3",
    "--fps 60 --job-us 4950 --workers 3",
    "--fps 60 --job-us 4162 --workers 3",
    "done",
  ]);
});

Deno.test("the autotune stage's options, and what its log says it decided", () => {
  assert.equal(parseOptions([]).options?.["autotune-s"], "0", "off unless asked");
  assert.equal(parseOptions(["--autotune-s", "840"]).options?.["autotune-pairs"], "6");
  assert.match(
    parseOptions(["--autotune-pairs", "2"]).error!,
    /--autotune-pairs: expected a whole number from 3 to 100, got '2'/,
  );
  assert.match(parseOptions(["--autotune-s", "x"]).error!, /--autotune-s: expected a whole number, got 'x'/);
  const log = [
    'scx_gamer: tuning "game.exe" from --slice-us 1000 --parity-us 0',
    'scx_gamer: autotune "game.exe": rejected --slice-us 50 --parity-us 1000 (gain 0.1 is within the incumbent\'s noise 0.5)',
    'scx_gamer: autotune "game.exe": kept --slice-us 10 --parity-us 1000 (gain 0.9 [0.4, 1.3] exceeds the incumbent\'s noise 0.5)',
    'scx_gamer: profile of "game.exe" saved to /work/out/ml/x/profiles/game.json',
    'scx_gamer: autotune "game.exe": rejected --slice-us 250 --parity-us 1000 (gain -0.2 is within the incumbent\'s noise 0.5)',
  ].join("\n");
  const d = autotuneDecisions(log);
  assert.equal(d.kept, "--slice-us 10 --parity-us 1000", "the last kept config is the profile left");
  assert.deepEqual(d.lines.map((l) => l.split(" (")[0]), [
    "rejected --slice-us 50 --parity-us 1000",
    "kept --slice-us 10 --parity-us 1000",
    "rejected --slice-us 250 --parity-us 1000",
  ]);
  assert.deepEqual(autotuneDecisions(log.split("\n")[0]), { lines: [], kept: null });
});
