import assert from "node:assert/strict";
import { defaultScheduler, parseSweepArgs, sweepUsage, SweepUsageError } from "../lib/sweep/cli.ts";
import { gridSize } from "../lib/sweep/grid.ts";

function usageError(argv: string[], files: Record<string, string> = {}): string {
  try {
    parseSweepArgs(argv, { readFile: (p) => files[p] ?? Deno.readTextFileSync(p) });
  } catch (e) {
    assert.ok(e instanceof SweepUsageError, `expected SweepUsageError, got ${e}`);
    assert.ok(!e.message.includes("\n"), "one line");
    return e.message;
  }
  assert.fail(`parseSweepArgs(${JSON.stringify(argv)}) should have failed`);
}

Deno.test("no flags give the original grid, 300 s per config, 5 s settle and scx_gamer's ml defaults", () => {
  const a = parseSweepArgs([]);
  assert.equal(gridSize(a.grid), 36);
  assert.equal(a.durationS, 300);
  assert.equal(a.settleS, 5);
  assert.equal(a.mlDir, "./ml_data");
  assert.equal(a.sampleIntervalS, 5);
  assert.equal(a.stateFile, "ml_data/sweep_state.json");
  assert.equal(a.scheduler, null);
  assert.equal(a.game, null);
  assert.equal(a.sysRoot, "/sys");
  assert.equal(a.dryRun, false);
});

Deno.test("a tunable flag replaces its axis and keeps the other default axes", () => {
  const a = parseSweepArgs(["--slice-us", "5,10", "--mig-max=3"]);
  assert.deepEqual(a.grid.map((x) => [x.key, x.values]), [
    ["slice_us", [5, 10]],
    ["input_window_us", [1000, 2000, 3000]],
    ["mig_max", [3]],
  ]);
});

Deno.test("a tunable flag outside the default grid adds an axis", () => {
  const a = parseSweepArgs(["--avoid-smt", "false,true"]);
  assert.equal(gridSize(a.grid), 72);
});

Deno.test("a grid file is the whole grid, and tunable flags replace or add its axes", () => {
  const files = { "g.json": '{"slice_us": [5, 10], "mig_max": [1, 3]}' };
  const a = parseSweepArgs(["--grid", "g.json", "--mig-max", "5"], { readFile: (p) => files[p as "g.json"] });
  assert.deepEqual(a.grid.map((x) => [x.key, x.values]), [["slice_us", [5, 10]], ["mig_max", [5]]]);
});

Deno.test("options set the duration, settle, game, ml dir, interval, state and scheduler", () => {
  const a = parseSweepArgs([
    ...["--duration", "2.5", "--settle", "0", "--game", "game.exe", "--ml-dir", "/tmp/ml/"],
    ...["--sample-interval", "1", "--scheduler", " deno run -A x.js ", "--dry-run", "--retry-failed"],
    ...["--sys-root", "/tmp/sys", "--stop-timeout", "3", "--verbose"],
  ]);
  assert.equal(a.durationS, 2.5);
  assert.equal(a.settleS, 0);
  assert.equal(a.game, "game.exe");
  assert.equal(a.mlDir, "/tmp/ml/");
  assert.equal(a.stateFile, "/tmp/ml/sweep_state.json");
  assert.equal(a.sampleIntervalS, 1);
  assert.deepEqual(a.scheduler, ["deno", "run", "-A", "x.js"]);
  assert.equal(a.dryRun, true);
  assert.equal(a.retryFailed, true);
  assert.equal(a.sysRoot, "/tmp/sys");
  assert.equal(a.stopTimeoutS, 3);
  assert.equal(a.verbose, true);
  assert.equal(parseSweepArgs(["--state", "s.json"]).stateFile, "s.json");
});

Deno.test("a tunable value out of range names the flag, the value and the range", () => {
  assert.equal(usageError(["--slice-us", "5,0"]), "--slice-us 0 is out of range: expected 1..100000 us");
});

Deno.test("a bad grid file value names the file, the key and the range", () => {
  assert.equal(
    usageError(["--grid", "g.json"], { "g.json": '{"input_window_us": [-1]}' }),
    'g.json: "input_window_us" -1 is out of range: expected 0..1000000 us',
  );
});

Deno.test("a grid file that cannot be read is named", () => {
  assert.match(
    usageError(["--grid", "/nonexistent/grid.json"]),
    /^--grid \/nonexistent\/grid\.json: cannot be read/,
  );
});

Deno.test("bad option values, unknown flags, repeats and missing values are refused", () => {
  assert.equal(
    usageError(["--duration", "0"]),
    "--duration 0 is out of range: expected a number greater than 0 and at most 86400 (seconds)",
  );
  assert.equal(
    usageError(["--settle", "x"]),
    "--settle 'x' is not a number: expected a number in 0..3600 (seconds)",
  );
  assert.equal(
    usageError(["--sample-interval", "-1"]),
    "--sample-interval -1 is out of range: expected a number greater than 0 and at most 3600 (seconds)",
  );
  assert.equal(usageError(["--slice"]), "unknown flag --slice (see --help)");
  assert.equal(usageError(["--game", "a", "--game", "b"]), "--game is given more than once");
  assert.equal(usageError(["--game", "--dry-run"]), "--game needs a value: expected NAME");
  assert.equal(usageError(["--dry-run=yes"]), "--dry-run is a switch and takes no value");
  assert.equal(usageError(["slice"]), "unexpected argument 'slice': every option is a --flag (see --help)");
  assert.equal(usageError(["--ml-dir="]), "--ml-dir: expected DIR, got an empty value");
});

Deno.test("the usage text lists every tunable and the default grid", () => {
  const text = sweepUsage();
  assert.match(text, /--slice-us +1\.\.100000 us \[default: 250,500,1000,4000\]/);
  assert.match(text, /--wakeup-timer-us/);
  assert.match(text, /--dry-run/);
});

Deno.test("the default scheduler is ./scx_gamer, else the bundle, else scx_gamer on PATH", () => {
  const deno = "/usr/bin/deno";
  assert.deepEqual(defaultScheduler({ exists: () => true, deno }), ["./scx_gamer"]);
  assert.deepEqual(defaultScheduler({ exists: (p) => p === "dist/scx_gamer.js", deno }), [
    deno,
    "run",
    "-A",
    "--unstable-ffi",
    "dist/scx_gamer.js",
  ]);
  assert.deepEqual(defaultScheduler({ exists: () => false, deno }), ["scx_gamer"]);
});
