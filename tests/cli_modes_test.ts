import assert from "node:assert/strict";
import {
  configToCommandLine,
  DEFAULT_SWEEP_GRID,
  defaultConfig,
  type SchedConfig,
  TUNABLES,
} from "../lib/config.ts";
import { UsageError } from "../lib/cli/engine.ts";
import { helpText } from "../lib/cli/help.ts";
import {
  type EnvReader,
  MODES,
  parseArgs,
  parseConfigFlags,
  stateDirectory,
  sweepGrid,
} from "../lib/cli/modes.ts";
import { buildGrid, gridSize } from "../lib/grid.ts";

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

function run(argv: string[]) {
  const cmd = parseArgs(argv);
  if (cmd.mode !== "run") throw new Error(`expected run, got ${cmd.mode}`);
  return cmd;
}

Deno.test("no flags runs the scheduler with the default config", () => {
  const cmd = run([]);
  assert.deepEqual(cmd.config, defaultConfig());
  assert.equal(cmd.statsS, null);
  assert.equal(cmd.sampleIntervalS, 5);
  assert.equal(cmd.mlDir, "./ml_data");
});

Deno.test("tunable flags set the config, in both --flag value and --flag=value forms", () => {
  const cmd = run(["--slice-us", "7", "--mig-max=2", "--avoid-smt", "--stats", "0.5"]);
  assert.equal(cmd.config.slice_us, 7);
  assert.equal(cmd.config.mig_max, 2);
  assert.equal(cmd.config.avoid_smt, true);
  assert.equal(cmd.config.mm_affinity, false);
  assert.equal(cmd.statsS, 0.5);
});

Deno.test("-h, -V and -v are the short forms of --help, --version and --verbose", () => {
  assert.equal(parseArgs(["-h"]).mode, "help");
  assert.equal(parseArgs(["-V"]).mode, "version");
  assert.equal(run(["-v"]).verbose, true);
});

Deno.test("a config renders to a command line that parses back to the same config", () => {
  const every: Record<string, number | boolean> = {};
  for (const t of TUNABLES) every[t.key] = t.kind === "switch" ? true : t.max;
  const configs: SchedConfig[] = [
    defaultConfig(),
    { ...defaultConfig(), slice_us: 7, avoid_smt: true },
    every as SchedConfig,
  ];
  for (const config of configs) {
    const line = configToCommandLine(config, { stats: 1 });
    assert.ok(line.startsWith("sudo ./scx_gamer --stats 1 "));
    const cmd = run(line.split(" ").slice(2));
    assert.deepEqual(cmd.config, config);
    assert.equal(cmd.statsS, 1);
  }
});

Deno.test("an unknown flag is named; a flag of another mode says which", () => {
  assert.match(usageError(["--slice", "5"]), /unknown flag --slice/);
  assert.match(
    usageError(["--ml-export-csv", "a.csv", "--slice-us", "5"]),
    /--slice-us does not apply to --ml-export-csv/,
  );
  assert.match(usageError(["--analyze"]), /--analyze does not apply to running the scheduler/);
  assert.match(usageError(["--ml-sample-interval", "2"]), /needs --ml-collect/);
});

Deno.test("a missing value names the flag and what it expects", () => {
  assert.match(usageError(["--slice-us"]), /--slice-us needs a value/);
  assert.match(usageError(["--ml-export-csv", "--verbose"]), /--ml-export-csv needs a value: expected FILE/);
});

Deno.test("numbers are decimal only: hex, binary, empty and huge values are refused with the range", () => {
  assert.match(
    usageError(["--slice-us", "fast"]),
    /--slice-us 'fast' is not a number: expected a whole number in \d+\.\.\d+ us/,
  );
  assert.match(usageError(["--slice-us", "0x10"]), /--slice-us '0x10' is not a number/);
  assert.match(usageError(["--mig-max", "0b11"]), /--mig-max '0b11' is not a number/);
  assert.match(usageError(["--ml-train", "x.csv", "--seed", ""]), /--seed '' is not a number/);
  assert.match(usageError(["--stats", "1e999"]), /--stats '1e999' is not a number/);
  assert.match(usageError(["--mig-max", "2.5"]), /--mig-max '2.5' is not a whole number/);
});

Deno.test("out-of-range values and zero intervals name the range", () => {
  assert.match(usageError(["--mig-max", "-1"]), /--mig-max -1 is out of range/);
  assert.match(usageError(["--stats", "0"]), /--stats 0 is out of range: expected a number greater than 0/);
  assert.match(
    usageError(["--ml-collect", "--ml-sample-interval", "-5"]),
    /--ml-sample-interval -5 is out of range/,
  );
});

Deno.test("two modes at once, repeats and switch values are refused", () => {
  assert.match(usageError(["--ml-export-csv", "a.csv", "--ml-train", "b.csv"]), /cannot be used together/);
  assert.match(usageError(["--slice-us", "5", "--slice-us", "6"]), /more than once/);
  assert.match(usageError(["--avoid-smt=yes"]), /is a switch/);
  assert.match(usageError(["stray"]), /unexpected argument 'stray'/);
});

Deno.test("--help wins over other flags and lists every mode's flags with defaults", () => {
  assert.equal(parseArgs(["--ml-train", "x.csv", "--help"]).mode, "help");
  assert.equal(parseArgs(["--slice-us", "nonsense", "-h"]).mode, "help");
  const text = helpText("0.0.0");
  for (const m of MODES) {
    for (const f of [...(m.selector ? [m.selector] : []), ...m.flags]) {
      assert.ok(text.includes(f.flag), `${f.flag} in --help`);
    }
  }
  for (const t of TUNABLES) if (t.kind === "number") assert.ok(text.includes(`[default: ${t.default}`));
});

Deno.test("data modes carry their argument", () => {
  const train = parseArgs([
    ...["--ml-train", "data.csv", "--game", "cs2", "--analyze", "--seed", "7"],
    ...["--target", "score", "--cpu-model", "all", "--interpolate", "--ml-dir", "d"],
  ]);
  assert.deepEqual(train, {
    mode: "train",
    csvPath: "data.csv",
    game: "cs2",
    cpuModel: "all",
    target: "score",
    analyze: true,
    interpolate: true,
    mlDir: "d",
    seed: 7,
    modelsDir: "ml/models",
    verbose: false,
  });
  const best = parseArgs(["--ml-show-best", "game.exe"]);
  assert.equal(best.mode === "show-best" && best.game, "game.exe");
});

Deno.test("--sweep takes tunable axes, timing and state; without axes it sweeps the default grid's 27 configs", () => {
  const plain = parseArgs(["--sweep"]);
  if (plain.mode !== "sweep") throw new Error(plain.mode);
  assert.deepEqual(plain.axes, {});
  const grid = sweepGrid(plain, null);
  assert.deepEqual(grid, buildGrid(DEFAULT_SWEEP_GRID));
  assert.equal(gridSize(grid), 27);
  const cmd = parseArgs([
    "--sweep",
    "--slice-us",
    "5,10",
    "--duration",
    "60",
    "--settle",
    "2",
    "--ml-dir",
    "d",
  ]);
  if (cmd.mode !== "sweep") throw new Error(cmd.mode);
  assert.deepEqual(cmd.axes, { slice_us: [5, 10] });
  // A flag replaces its axis of the default grid; the other two stay: 2 x 3 x 3.
  assert.equal(gridSize(sweepGrid(cmd, null)), 18);
  assert.equal(cmd.durationS, 60);
  assert.equal(cmd.settleS, 2);
  assert.equal(cmd.stateFile, "d/sweep_state.json");
  assert.equal(cmd.passes, 1);
  const twice = parseArgs(["--sweep", "--passes", "2"]);
  assert.equal(twice.mode === "sweep" && twice.passes, 2);
  assert.match(usageError(["--sweep", "--passes", "0"]), /--passes/);
  assert.match(usageError(["--sweep", "--passes", "1.5"]), /--passes/);
  assert.match(usageError(["--sweep", "--slice-us", "5,5"]), /listed twice/);
  assert.match(usageError(["--sweep", "--slice-us", "0x5"]), /--slice-us/);
  assert.match(usageError(["--sweep", "--game=--help"]), /--game '--help': expected NAME, got a flag/);
});

Deno.test("a config from tunable flags only; any other flag is refused", () => {
  assert.equal(parseConfigFlags(["--slice-us", "7"]).slice_us, 7);
  assert.throws(() => parseConfigFlags(["--stats", "1"]), /unknown flag --stats/);
});

Deno.test("the control socket flags: --socket moves it, --socket-group names who may use it", () => {
  const plain = run([]);
  assert.equal(plain.socket, "/run/scx_gamer.sock");
  assert.equal(plain.socketGroup, null);
  const moved = run(["--socket", "/tmp/x.sock", "--socket-group", "games"]);
  assert.deepEqual([moved.socket, moved.socketGroup], ["/tmp/x.sock", "games"]);
  const sweep = parseArgs(["--sweep", "--socket", "/tmp/y.sock"]);
  assert.equal(sweep.mode === "sweep" && sweep.socket, "/tmp/y.sock");
});

Deno.test("--stats-json needs --stats, and says so", () => {
  assert.equal(run(["--stats", "1", "--stats-json"]).statsJson, true);
  assert.equal(
    usageError(["--stats-json"]),
    "--stats-json needs --stats SECONDS (how often to write a line)",
  );
});

Deno.test("--monitor takes an optional interval (default 1 s), the socket and --stats-json, nothing else", () => {
  assert.deepEqual(parseArgs(["--monitor"]), {
    mode: "monitor",
    intervalS: 1,
    socket: "/run/scx_gamer.sock",
    statsJson: false,
  });
  assert.deepEqual(parseArgs(["--monitor", "0.5", "--stats-json", "--socket", "/tmp/s"]), {
    mode: "monitor",
    intervalS: 0.5,
    socket: "/tmp/s",
    statsJson: true,
  });
  assert.match(
    usageError(["--monitor", "0"]),
    /--monitor 0 is out of range: expected a number greater than 0/,
  );
  assert.match(usageError(["--monitor", "--slice-us", "5"]), /--slice-us does not apply to --monitor/);
  assert.match(usageError(["--monitor", "--stats", "1"]), /--stats does not apply to --monitor/);
});

Deno.test("'run -- CMD' is the launch subcommand: its command is kept word for word", () => {
  assert.deepEqual(parseArgs(["run", "--", "/games/game", "--fullscreen", "-w", "--help"]), {
    mode: "launch",
    socket: "/run/scx_gamer.sock",
    command: ["/games/game", "--fullscreen", "-w", "--help"],
    verbose: false,
  });
  const moved = parseArgs(["run", "--socket", "/tmp/s", "-v", "--", "game"]);
  assert.deepEqual(moved.mode === "launch" && [moved.socket, moved.verbose, moved.command], [
    "/tmp/s",
    true,
    ["game"],
  ]);
  assert.match(usageError(["run", "--slice-us", "5", "--", "game"]), /--slice-us does not apply to 'run'/);
});

Deno.test("--help-stats and --self-test are modes of their own", () => {
  assert.equal(parseArgs(["--help-stats"]).mode, "help-stats");
  assert.equal(parseArgs(["--stats", "1", "--help-stats"]).mode, "help-stats");
  assert.deepEqual(parseArgs(["--self-test", "-v"]), { mode: "self-test", verbose: true });
});

Deno.test("as a service ($STATE_DIRECTORY set) samples and models default to the state directory", () => {
  const service = { get: (k: string) => (k === "STATE_DIRECTORY" ? "/var/lib/scx_gamer" : undefined) };
  const byHand: EnvReader = { get: (_k: string) => undefined };
  const runAs = (env: EnvReader) => parseArgs([], { env });
  assert.equal((runAs(service) as { mlDir: string }).mlDir, "/var/lib/scx_gamer/ml_data");
  assert.equal((runAs(byHand) as { mlDir: string }).mlDir, "./ml_data");
  const train = parseArgs(["--ml-train", "x.csv"], { env: service });
  assert.equal(train.mode === "train" && train.modelsDir, "/var/lib/scx_gamer/models");
  const sweep = parseArgs(["--sweep"], { env: service });
  assert.equal(sweep.mode === "sweep" && sweep.stateFile, "/var/lib/scx_gamer/ml_data/sweep_state.json");
  const exp = parseArgs(["--ml-export-csv", "x.csv"], { env: service });
  assert.equal(exp.mode === "export" && exp.mlDir, "/var/lib/scx_gamer/ml_data");
  // --ml-dir still wins, and a list of state directories means the first.
  assert.equal((parseArgs(["--ml-dir", "/data"], { env: service }) as { mlDir: string }).mlDir, "/data");
  const env = (vars: Record<string, string>): EnvReader => ({ get: (k) => vars[k] });
  assert.equal(stateDirectory(env({ STATE_DIRECTORY: "/var/lib/a:/var/lib/b" })), "/var/lib/a");
  assert.equal(stateDirectory(env({ STATE_DIRECTORY: "relative" })), null);
  // A unit without StateDirectory= still keeps its data out of its working folder, /.
  assert.equal(stateDirectory(env({ INVOCATION_ID: "abc" })), "/var/lib/scx_gamer");
  assert.equal(stateDirectory(env({})), null);
});

Deno.test("--all-users widens game candidates when running and sweeping; --ml-import takes a folder", () => {
  assert.equal(run(["--all-users"]).allUsers, true);
  assert.equal(run([]).allUsers, false);
  const sweep = parseArgs(["--sweep", "--all-users"]);
  assert.equal(sweep.mode === "sweep" && sweep.allUsers, true);
  const imp = parseArgs(["--ml-import", "old", "--ml-dir", "d"]);
  assert.deepEqual(imp, { mode: "import", dir: "old", mlDir: "d", verbose: false });
  assert.match(usageError(["--ml-import", "old", "--slice-us", "5"]), /does not apply to --ml-import/);
});

Deno.test("--ml-profiles and --config FILE; the tunable flags given are kept apart from the defaults", () => {
  const cmd = run(["--ml-profiles", "--config", "best.json", "--mig-max", "2"]);
  assert.equal(cmd.profiles, true);
  assert.equal(cmd.configFile, "best.json");
  assert.deepEqual(cmd.given, { mig_max: 2 });
  assert.equal(run([]).profiles, false);
});

Deno.test("--ml-ab takes two flag lists; each is checked; too short a duration for 3 pairs is refused", () => {
  const cmd = parseArgs([
    "--ml-ab",
    "",
    "--slice-us 500",
    "--duration",
    "120",
    "--window",
    "10",
    "--settle",
    "2",
  ]);
  if (cmd.mode !== "ab") throw new Error(cmd.mode);
  assert.deepEqual(cmd.a, defaultConfig());
  assert.equal(cmd.b.slice_us, 500);
  assert.deepEqual(cmd.flags, ["", "--slice-us 500"]);
  assert.match(
    usageError(["--ml-ab", "--slice-us 0", ""]),
    /^--ml-ab A '--slice-us 0': --slice-us 0 is out of range/,
  );
  assert.match(usageError(["--ml-ab", "", "--stats 1"]), /^--ml-ab B '--stats 1': unknown flag --stats/);
  assert.match(usageError(["--ml-ab", "", "", "--duration", "30"]), /at least 3 are needed/);
  assert.match(usageError(["--ml-ab", "x"]), /--ml-ab needs two values/);
});

Deno.test("--ml-autotune takes its window, pairs and target; they need it", () => {
  const cmd = run(["--ml-autotune", "--autotune-window", "15", "--autotune-pairs", "5", "--target", "score"]);
  assert.deepEqual(cmd.autotune, { windowS: 15, pairs: 5 });
  assert.equal(cmd.target, "score");
  assert.equal(run([]).autotune, null);
  assert.match(usageError(["--autotune-window", "15"]), /--autotune-window needs --ml-autotune/);
  assert.match(usageError(["--target", "score"]), /--target needs --ml-autotune/);
  assert.match(usageError(["--ml-autotune", "--autotune-pairs", "2"]), /--autotune-pairs 2 is out of range/);
});
