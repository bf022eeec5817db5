// The CLI as a user runs it: the entry point and the one-file bundle, as separate processes.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { libbpfVersion } from "../lib/bpf/ffi.ts";
import { stringify } from "csv-stringify/sync";
import { printable } from "../lib/host/terminal.ts";
import { readTopology } from "../lib/host/topology.ts";
import { createRng } from "../lib/ml/rng.ts";
import { runTrainMode } from "../lib/modes/train.ts";
import { formatMangoHudLog } from "../lib/store/frametimes.ts";
import { GameStore } from "../lib/store/game_store.ts";
import { makeSample } from "./fixtures/sample.ts";
import { syntheticTrainingRows } from "../tools/bench_forest/synthetic.ts";
import { tempDir } from "./fixtures/temp.ts";
import denoJson from "../deno.json" with { type: "json" };

const root = new URL("..", import.meta.url).pathname;

async function run(args: string[], options: { entry?: string; cwd?: string } = {}) {
  const entry = options.entry ?? join(root, "main.ts");
  const out = await new Deno.Command("deno", {
    args: ["run", "-A", "--unstable-ffi", entry, ...args],
    cwd: options.cwd ?? root,
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

async function git(args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args: ["-C", root, ...args] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/** What --version must print for the embedded object and this machine's libbpf. */
async function expectedIdentity(commit: string): Promise<string> {
  const { SCX_GAMER_OBJECT_SHA256 } = await import("../lib/bpf/generated/scx_gamer_object.ts");
  return `scx_gamer ${denoJson.version} (commit ${commit}, bpf ${SCX_GAMER_OBJECT_SHA256.slice(0, 12)}, ` +
    `libbpf ${libbpfVersion()})`;
}

Deno.test("--version names the checkout's commit, the embedded BPF object's hash and libbpf", async () => {
  const sha = await git(["rev-parse", "--short=12", "HEAD"]);
  const dirty = (await git(["status", "--porcelain", "--untracked-files=no"])) !== "";
  for (const flag of ["--version", "-V"]) {
    const r = await run([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), await expectedIdentity(dirty ? `${sha}-modified` : sha));
  }
});

Deno.test("--help-stats explains the stats line", async () => {
  const r = await run(["--help-stats"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^scx_gamer --stats SECONDS \(and --monitor\) print one line per interval/);
  assert.ok(r.stdout.includes("\n  migrations blocked N%\n      share of CPU moves refused"), r.stdout);
});

Deno.test("--self-test checks libbpf, opens the embedded object and loads it, or names why the kernel cannot", async () => {
  const r = await run(["--self-test"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^self-test: libbpf \d+\.\d+: ok$/m);
  assert.match(r.stdout, /^self-test: BPF object: opens, \d+ programs, globals found: ok$/m);
  if (!existsSync("/sys/kernel/sched_ext")) {
    assert.match(r.stdout, /^self-test: BPF load: skipped: this kernel has no sched_ext/m);
  } else {
    assert.match(r.stdout, /^self-test: BPF load: verified and loaded, not attached: ok$/m);
  }
});

Deno.test("a source checkout where `deno task bpf` never ran says which task builds the object, in one line", async () => {
  // The tracked files only, as after `git clone`: no generated BPF object, no build stamp, no .git.
  const dir = tempDir("fresh_clone_");
  // Tracked and new (not ignored) files: what a commit of this tree would hold.
  for (const file of (await git(["ls-files", "--cached", "--others", "--exclude-standard"])).split("\n")) {
    if (!Deno.lstatSync(join(root, file)).isFile) continue;
    Deno.mkdirSync(dirname(join(dir, file)), { recursive: true });
    Deno.copyFileSync(join(root, file), join(dir, file));
  }
  assert.ok(!existsSync(join(dir, "lib/bpf/generated")));
  const attach = await run(["--stats", "1"], { entry: join(dir, "main.ts"), cwd: dir });
  assert.equal(attach.code, 1);
  assert.equal(
    attach.stderr.trim(),
    "scx_gamer: the BPF scheduler object is not built (lib/bpf/generated/scx_gamer_object.ts): run `deno task bpf` first",
  );
  const help = await run(["--help"], { entry: join(dir, "main.ts"), cwd: dir });
  assert.equal(help.code, 0, help.stderr);
  const version = await run(["--version"], { entry: join(dir, "main.ts"), cwd: dir });
  assert.match(version.stdout.trim(), /^scx_gamer [\d.]+ \(commit unknown, bpf not built, libbpf /);
});

Deno.test("a bad flag exits 2 with one line on stderr", async () => {
  const r = await run(["--slice-us", "-3"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /^scx_gamer: --slice-us -3 is out of range/);
});

Deno.test("running the scheduler gives one clear line when it cannot attach, and detaches cleanly when it can", async () => {
  const state = (() => {
    try {
      return Deno.readTextFileSync("/sys/kernel/sched_ext/state").trim();
    } catch {
      return null;
    }
  })();
  const r = await run(["--duration", "1"]);
  if (state === null) {
    // This kernel has no sched_ext (the development host; the VM tests cover the other case).
    assert.equal(r.code, 1);
    assert.match(
      r.stderr.trim(),
      /^scx_gamer: this kernel \(.+\) has no sched_ext .* CONFIG_SCHED_CLASS_EXT=y$/,
    );
  } else if (state !== "disabled") {
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^scx_gamer: a sched_ext scheduler is already running/);
  } else {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^scx_gamer: attached/m);
    assert.match(r.stdout, /^scx_gamer: detached \(duration/m);
  }
});

Deno.test("exporting an empty data folder is an error naming it, and writes no file", async () => {
  const dir = tempDir();
  const csv = join(dir, "out.csv");
  const r = await run(["--ml-export-csv", csv, "--ml-dir", join(dir, "ml_data")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ml_data/);
  assert.throws(() => Deno.statSync(csv));
});

Deno.test("the one-file bundle runs away from the source tree and carries the BPF object", async () => {
  const bundle = join(root, "dist", "scx_gamer.js");
  const dir = tempDir();
  const copy = join(dir, "scx_gamer.js");
  await Deno.copyFile(bundle, copy);
  const help = await run(["--help"], { entry: copy, cwd: dir });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--ml-collect/);
  // The bundle names the commit stamped when it was made (scripts/build_info.sh), not a guess.
  const { BUILD_COMMIT } = await import("../lib/generated/build_info.ts");
  const version = await run(["--version"], { entry: copy, cwd: dir });
  assert.equal(version.stdout.trim(), await expectedIdentity(BUILD_COMMIT ?? "unknown"));
  const text = await Deno.readTextFile(copy);
  assert.match(text, /SCX_GAMER_OBJECT_BASE64/);
  const b64 = /SCX_GAMER_OBJECT_BASE64 =\s*"([A-Za-z0-9+/=]+)"/.exec(text)![1];
  const elf = atob(b64.slice(0, 8));
  assert.equal(elf.slice(1, 4), "ELF");
});

Deno.test("--ml-import brings the original tool's sample files into --ml-dir and says how many", async () => {
  const old = tempDir();
  const ml = join(tempDir(), "ml_data");
  const config = {
    slice_us: 10,
    slice_lag_us: 20000,
    input_window_us: 2000,
    mig_window_ms: 50,
    mig_max: 3,
    mm_affinity: false,
    avoid_smt: false,
    preferred_idle_scan: false,
    enable_numa: false,
    wakeup_timer_us: 500,
  };
  const sample = (i: number) => ({
    timestamp: 1_735_776_000 + i,
    config,
    metrics: {
      cpu_util_pct: 50,
      latency_select_cpu_avg_ns: 800,
      latency_enqueue_avg_ns: 400,
      latency_dispatch_avg_ns: 900,
      latency_deadline_avg_ns: 150,
      enqueues_per_sec: 4000,
      dispatches_per_sec: 3900,
      migration_block_rate: 0.02,
      mm_hint_hit_rate: 0.6,
      direct_dispatch_rate: 0.85,
      input_handler_count: 1,
      gpu_submit_count: 2,
      compositor_count: 0,
      network_count: 1,
    },
    game: { tgid: 1, name: "game.exe", is_wine: true, is_steam: false },
  });
  const doc = { game_name: "game.exe", samples: [sample(0), sample(1)], best_config: config, best_score: 80 };
  Deno.writeTextFileSync(join(old, "game.exe.json"), JSON.stringify(doc, null, 2));
  const r = await run(["--ml-import", old, "--ml-dir", ml]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /game\.exe: 2 samples imported, 0 already there/);
  const again = await run(["--ml-import", old, "--ml-dir", ml]);
  assert.match(again.stdout, /game\.exe: 0 samples imported, 2 already there/);
});

Deno.test("the one-file bundle trains on workers and prints what training in-process prints", async () => {
  const dir = tempDir();
  const csv = join(dir, "training.csv");
  const { header, rows } = syntheticTrainingRows({
    rng: createRng(71),
    games: ["Alpha Game", "beta"],
    perGame: 60,
  });
  Deno.writeTextFileSync(csv, stringify([header, ...rows]));
  const bundle = join(dir, "scx_gamer.js");
  await Deno.copyFile(join(root, "dist", "scx_gamer.js"), bundle);
  const args = [
    "--ml-train",
    csv,
    "--game",
    "beta",
    "--seed",
    "3",
    "--models-dir",
    join(dir, "m"),
    "--ml-dir",
    join(dir, "ml"),
  ];
  const r = await run(args, { entry: bundle, cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  if (navigator.hardwareConcurrency > 1) assert.match(r.stdout, /grown on \d+ workers/);
  assert.match(r.stdout, /Profile of beta saved to /);
  const here = await runTrainMode({
    csv,
    game: "beta",
    seed: 3,
    modelsDir: join(dir, "m2"),
    mlDir: join(dir, "ml2"),
    topology: await readTopology(),
    out: () => {},
  });
  assert.ok(r.stdout.trimEnd().endsWith(here.commandLine), r.stdout);
});

Deno.test("a bad training option exits 2, bad training data 1, each with one line", async () => {
  const dir = tempDir();
  const csv = join(dir, "t.csv");
  const { header, rows } = syntheticTrainingRows({ rng: createRng(5), games: ["g"], perGame: 5 });
  Deno.writeTextFileSync(csv, stringify([header, ...rows]));
  const bad = await run(["--ml-train", csv, "--target", "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.trim(), /^scx_gamer: --target 'nope': expected one of smooth_score, score/);
  const short = await run(["--ml-train", csv, "--models-dir", join(dir, "m"), "--ml-dir", join(dir, "ml")]);
  assert.equal(short.code, 1);
  assert.equal(short.stderr.trim().split("\n").length, 1, short.stderr);
  const zero = await run(["--ml-train", "/dev/zero"]);
  assert.equal(zero.code, 1);
  assert.match(zero.stderr, /\/dev\/zero: not a regular file/);
});

Deno.test("an error quoting a hostile file's name or text reaches the terminal with its controls escaped", async () => {
  const dir = tempDir();
  const csv = join(dir, "evil\x1b]0;owned\x07.csv");
  // A header naming one column twice, the column a clear-screen sequence and a one-character C1 CSI.
  Deno.writeTextFileSync(csv, "a,\x1b[2J\u009b31m,\x1b[2J\u009b31m\n1,2,3\n");
  const r = await run(["--ml-train", csv, "--models-dir", join(dir, "m"), "--ml-dir", join(dir, "ml")]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.equal(printable(r.stderr.trim()), r.stderr.trim(), "nothing left for a terminal to act on");
  assert.match(r.stderr, /evil\\x1b\]0;owned\\x07\.csv/);
});

Deno.test("MangoHud logs join the export, and the trainer can target frame-time p99", async () => {
  const ml = join(tempDir(), "ml_data");
  const logs = tempDir();
  const t0 = 1_764_078_840;
  const store = GameStore.open(ml, { cpuModel: "Test CPU", gameName: "Doom", owner: null, log: () => {} });
  for (let i = 0; i < 40; i++) {
    store.add(
      makeSample(i, {
        cpu: "Test CPU",
        game: "Doom",
        timestamp: t0 + 5 * (i + 1),
        config: { mig_max: 1 + (i % 4) },
      }),
    );
  }
  store.close();
  // 200 s of frames, a slower stretch in the middle; logging stopped at the last sample's time.
  const frames = Array.from({ length: 20_000 }, (_, k) => (k > 8000 && k < 9000 ? 16 : 10));
  const log = join(logs, "Doom_2025-11-25_14-00-00.csv");
  Deno.writeTextFileSync(log, formatMangoHudLog(frames, { cpu: "Test CPU" }));
  Deno.utimeSync(log, t0 + 200, t0 + 200);
  const csv = join(tempDir(), "training.csv");
  const exp = await run(["--ml-export-csv", csv, "--ml-dir", ml, "--ml-frametimes", logs]);
  assert.equal(exp.code, 0, exp.stderr);
  assert.match(exp.stdout, /1 MangoHud log\(s\), 40 of 40 samples matched/);
  const train = await run([
    "--ml-train",
    csv,
    "--target",
    "frametime_p99",
    "--models-dir",
    join(tempDir(), "m"),
    "--ml-dir",
    ml,
  ]);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /frametime_p99/);
});
