import assert from "node:assert/strict";
import { configToCommandLine, defaultConfig, type SchedConfig, TUNABLES } from "../lib/config.ts";
import { FLAGS } from "../lib/cli/flags.ts";
import { helpText, parseArgs, UsageError } from "../lib/cli/parse.ts";

function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    assert.ok(!e.message.includes("\n"), "one line");
    return e.message;
  }
  assert.fail(`parseArgs(${JSON.stringify(argv)}) should have failed`);
}

Deno.test("no flags runs the scheduler with the default config", () => {
  const opts = parseArgs([]);
  assert.equal(opts.mode, "run");
  assert.deepEqual(opts.config, defaultConfig());
  assert.equal(opts.stats, null);
  assert.equal(opts.mlSampleInterval, 5);
  assert.equal(opts.mlDir, "./ml_data");
});

Deno.test("tunable flags set the config, in both --flag value and --flag=value forms", () => {
  const opts = parseArgs(["--slice-us", "7", "--mig-max=2", "--avoid-smt", "--stats", "0.5"]);
  assert.equal(opts.config.slice_us, 7);
  assert.equal(opts.config.mig_max, 2);
  assert.equal(opts.config.avoid_smt, true);
  assert.equal(opts.config.mm_affinity, false);
  assert.equal(opts.stats, 0.5);
});

Deno.test("a config renders to a command line that parses back to the same config", () => {
  const configs: SchedConfig[] = [
    defaultConfig(),
    {
      ...defaultConfig(),
      slice_us: 7,
      input_window_us: 1500,
      mig_max: 2,
      mm_affinity: true,
      avoid_smt: true,
    },
    {
      slice_us: 100_000,
      slice_lag_us: 0,
      input_window_us: 0,
      mig_window_ms: 1,
      mig_max: 1000,
      mm_affinity: true,
      avoid_smt: true,
      preferred_idle_scan: true,
      enable_numa: true,
      wakeup_timer_us: 0,
      batch_burst_us: 500,
    },
  ];
  for (const config of configs) {
    const line = configToCommandLine(config, { stats: 1 });
    assert.ok(line.startsWith("sudo ./scx_gamer --stats 1 "));
    const argv = line.split(" ").slice(2);
    const opts = parseArgs(argv);
    assert.deepEqual(opts.config, config);
    assert.equal(opts.stats, 1);
  }
});

Deno.test("an unknown flag is named", () => {
  assert.match(usageError(["--slice", "5"]), /unknown flag --slice/);
});

Deno.test("a missing value names the flag and what it expects", () => {
  assert.match(usageError(["--slice-us"]), /--slice-us needs a value/);
  assert.match(usageError(["--ml-export-csv", "--verbose"]), /--ml-export-csv needs a value: expected FILE/);
});

Deno.test("a non-number names flag, value and the allowed range", () => {
  assert.match(
    usageError(["--slice-us", "fast"]),
    /--slice-us 'fast' is not a number: expected a whole number in 1\.\.100000 us/,
  );
  assert.match(usageError(["--mig-max", "2.5"]), /--mig-max '2.5' is not a whole number/);
});

Deno.test("out-of-range values name the range", () => {
  assert.match(
    usageError(["--slice-us", "0"]),
    /--slice-us 0 is out of range: expected a whole number in 1\.\.100000 us/,
  );
  assert.match(usageError(["--mig-max", "-1"]), /--mig-max -1 is out of range/);
});

Deno.test("zero or negative intervals are refused", () => {
  assert.match(usageError(["--stats", "0"]), /--stats 0 is out of range: expected a number greater than 0/);
  assert.match(
    usageError(["--ml-collect", "--ml-sample-interval", "-5"]),
    /--ml-sample-interval -5 is out of range/,
  );
});

Deno.test("two modes at once are refused", () => {
  assert.match(usageError(["--ml-export-csv", "a.csv", "--ml-train", "b.csv"]), /cannot be used together/);
});

Deno.test("a flag that does not fit the mode is refused", () => {
  assert.match(
    usageError(["--ml-export-csv", "a.csv", "--slice-us", "5"]),
    /--slice-us does not apply to --ml-export-csv/,
  );
  assert.match(usageError(["--analyze"]), /--analyze does not apply to running the scheduler/);
  assert.match(usageError(["--ml-sample-interval", "2"]), /needs --ml-collect/);
});

Deno.test("a repeated flag is refused", () => {
  assert.match(usageError(["--slice-us", "5", "--slice-us", "6"]), /more than once/);
});

Deno.test("a switch given a value is refused", () => {
  assert.match(usageError(["--avoid-smt=yes"]), /is a switch/);
});

Deno.test("--help wins over other flags and lists every flag with its default", () => {
  assert.equal(parseArgs(["--ml-train", "x.csv", "--help"]).mode, "help");
  const text = helpText("0.0.0");
  for (const f of FLAGS) assert.ok(text.includes(f.flag), `${f.flag} in --help`);
  for (const t of TUNABLES) if (t.kind === "number") assert.ok(text.includes(`[default: ${t.default}`));
});

Deno.test("modes carry their argument", () => {
  assert.deepEqual(
    (({ mode, modeArg, game, analyze }) => ({ mode, modeArg, game, analyze }))(
      parseArgs(["--ml-train", "data.csv", "--game", "cs2", "--analyze"]),
    ),
    { mode: "train", modeArg: "data.csv", game: "cs2", analyze: true },
  );
  assert.equal(parseArgs(["--ml-show-best", "game.exe"]).modeArg, "game.exe");
});
