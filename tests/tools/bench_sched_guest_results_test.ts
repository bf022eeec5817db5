import assert from "node:assert/strict";
import * as path from "node:path";
import { formatStatsLine, metricsBetween, zeroSnapshot } from "../../lib/sched/stats.ts";
import {
  BenchResultError,
  hasBackground,
  kernelEjections,
  parseBackgroundJson,
  parseCpuSamples,
  parseCyclictestJson,
  parseGamesimJson,
  parseInsnCounts,
  parsePlan,
  parseProbeWindows,
  parseStatsLine,
  readGuestResults,
  runsUnder,
  statsLinesDuring,
  WORKLOADS,
} from "../../tools/bench_sched/guest_results.ts";

/** A stats line as scx_gamer prints it (made by its own formatter, so the parser follows the format). */
function statsLine(): string {
  const m = metricsBetween(zeroSnapshot(0), zeroSnapshot(4000));
  const lat = (avg: number, p99: number) => ({ avg_ns: avg, p50_ns: 0, p99_ns: p99, p999_ns: 0, count: 10 });
  m.latency.select_cpu = lat(72_600, 184_900);
  m.latency.enqueue = lat(310, 1_200_000);
  m.latency.dispatch = lat(155_900, 196_300);
  m.preempt_kicks_per_sec = 1500;
  return `[4.0s] ${formatStatsLine(m, { game: { name: "game", tgid: 42 }, threads: null })}`;
}
const STATS = statsLine();

function ctJson(hist: Record<string, number>, cycles: number, max: number): string {
  return JSON.stringify({ thread: { "0": { histogram: hist, cycles, min: 1, max, avg: 1 } } });
}

function bgJson(policy: string, n = 4, rate = 2e8): string {
  const hogs = Array.from({ length: n }, (_, i) => ({ name: "bg-hog", pid: 100 + i, policy, iterations: 1 }));
  return JSON.stringify({ config: { background_only: true }, background: { hogs, iterations_per_s: rate } });
}

function gsJson(missed = 0.25, bg = 5e7, policy = "other", hogs = 4): string {
  const role = {
    threads: [],
    wakeups: 100,
    lat_p50_us: 100,
    lat_p99_us: 900,
    lat_p999_us: 2000,
    lat_max_us: 3000,
  };
  return JSON.stringify({
    duration_s: 4,
    roles: {
      input: role,
      render: { ...role, frames: 240, missed_share: missed, frame_time_p99_us: 20000 },
      submit: role,
      audio: role,
      worker: role,
    },
    background: JSON.parse(bgJson(policy, hogs, bg)).background,
  });
}

const SCHEDS = ["eevdf", "eevdf_idle", "gamer", "gamer_stats", "bpfland"] as const;
const HEAVY = "--fps 60 --frame-work-us 12000 --workers 4 --job-us 3000";
const ENCODER = "--fps 60 --frame-work-us 6000 --workers 2 --job-us 2000 --encoders 3";
const PLAN = "rounds 1\nduration_s 4\nstats_s 1\nbest_flags\nfps 144\nframe_work_us 2500\nkernel 7.3\n" +
  `heavy_game ${HEAVY}\nencoder_game ${ENCODER}\n` +
  `cpus 2\ndate 2026-12-02\nworkloads ${WORKLOADS.join(" ")}\nschedulers ${SCHEDS.join(" ")}\n`;
const OPS: Record<string, string> = { gamer: "gamer_1", gamer_stats: "gamer_2", bpfland: "bpfland_3" };

/** A complete, healthy out/ folder of one round, as the scenario writes it. */
function fakeOut(): string {
  const dir = Deno.makeTempDirSync({ prefix: "bench_out_" });
  Deno.writeTextFileSync(path.join(dir, "plan.txt"), PLAN);
  for (const s of SCHEDS) {
    const d = path.join(dir, "r0", s);
    Deno.mkdirSync(d, { recursive: true });
    const state = s.startsWith("eevdf")
      ? "disabled none\ndisabled none\n"
      : `enabled ${OPS[s]}\nenabled ${OPS[s]}\n`;
    const policy = s === "eevdf_idle" ? "idle" : "other";
    let log = s === "gamer" ? "scx_gamer: program instructions: select_cpu=250 enqueue=497\n" : "";
    if (s === "gamer_stats") log = "scx_gamer: program instructions: select_cpu=466 enqueue=841\n";
    for (const w of WORKLOADS) {
      if (!runsUnder(s, w)) continue;
      Deno.writeTextFileSync(path.join(d, `${w}.state`), state);
      Deno.writeTextFileSync(path.join(d, `${w}.rc`), "0\n");
      Deno.writeTextFileSync(
        path.join(d, `${w}.cpu`),
        "1.0 0 0 0 0 0 0 0 0 0 0\n5.0 600 40 80 720 0 40 40 0 0 0\n",
      );
      const ct = w.startsWith("ct");
      Deno.writeTextFileSync(
        path.join(d, `${w}.json`),
        ct ? ctJson({ "10": 9, "20": 1 }, 10, 20) : gsJson(0.25, 5e7, policy, hasBackground(w) ? 4 : 0),
      );
      if (ct) {
        Deno.writeTextFileSync(path.join(d, `${w}.bg.json`), bgJson(policy));
        Deno.writeTextFileSync(path.join(d, `${w}.policy`), "cyclictest policy : 0\ncyclictest policy : 0\n");
      }
      log += `@@bench begin ${w}\n${s === "gamer_stats" ? `${STATS}\n${STATS}\n` : ""}@@bench end ${w}\n`;
    }
    const ops = s.startsWith("eevdf") ? "" : `sched_ext: BPF scheduler "${OPS[s].split("_")[0]}" enabled\n` +
      `sched_ext: BPF scheduler "${OPS[s].split("_")[0]}" disabled (unregistered from user space)\n`;
    Deno.writeTextFileSync(path.join(d, "dmesg.txt"), ops);
    if (!s.startsWith("eevdf")) {
      Deno.writeTextFileSync(path.join(d, "sched.log"), log);
      Deno.writeTextFileSync(path.join(d, "sched.rc"), "0\n");
    }
  }
  return dir;
}

/** Run `fn` on a fresh fake out/ folder and remove it afterwards. */
function withOut(fn: (dir: string) => void): void {
  const dir = fakeOut();
  try {
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("parseCyclictestJson counts cycles missing from the histogram as overflow", () => {
  const h = parseCyclictestJson(ctJson({ "12": 3, "40": 0, "900": 1 }, 6, 450_000), "ct.json");
  assert.deepEqual([...h.buckets], [[12, 3], [900, 1]]);
  assert.equal(h.overflow, 2);
  assert.equal(h.maxUs, 450_000);
});

Deno.test("parseCyclictestJson names the file when the histogram is missing", () => {
  assert.throws(
    () => parseCyclictestJson(JSON.stringify({ thread: { "0": { cycles: 3 } } }), "r0/eevdf/ct.json"),
    (e) => e instanceof BenchResultError && /^r0\/eevdf\/ct\.json: expected thread "0"/.test(e.message),
  );
  assert.throws(() => parseCyclictestJson("not json", "x.json"), /x\.json: expected cyclictest --json/);
});

Deno.test("parseGamesimJson reads latencies, missed share, frame-time p99, background rate and policies", () => {
  const g = parseGamesimJson(gsJson(0.5, 1.5e8, "idle", 2), "gs.json");
  assert.equal(g.missedShare, 0.5);
  assert.equal(g.frameTimeP99Us, 20000);
  assert.deepEqual(g.background, { itersPerS: 1.5e8, policies: ["idle", "idle"] });
  assert.deepEqual(g.input, { p50: 100, p99: 900, p999: 2000, max: 3000, wakeups: 100 });
  assert.deepEqual(Object.keys(g.others ?? {}), ["submit", "audio", "worker"]);
  assert.equal(g.others?.worker?.p99, 900);
  const noAudio = JSON.parse(gsJson());
  delete noAudio.roles.audio;
  assert.deepEqual(Object.keys(parseGamesimJson(JSON.stringify(noAudio), "gs.json").others ?? {}), [
    "submit",
    "worker",
  ]);
  // The time waited runnable per wake-up, where the report has it (gamesim's runq_*; older ones do not).
  const withWaits = JSON.parse(gsJson());
  Object.assign(withWaits.roles.render, {
    runq_wakeups: 100,
    runq_p50_us: 3,
    runq_p99_us: 450,
    runq_max_us: 900,
  });
  const waits = parseGamesimJson(JSON.stringify(withWaits), "gs.json");
  assert.deepEqual([waits.render.runqP50, waits.render.runqP99], [3, 450]);
  assert.equal(waits.input.runqP99, undefined);
  assert.throws(() => parseGamesimJson("{}", "gs.json"), /gs\.json: expected "roles"/);
  assert.throws(() => parseGamesimJson("[1", "gs.json"), /gs\.json: expected gamesim's JSON report/);
});

Deno.test("parseBackgroundJson reads a --background-only report; a game report without background fails", () => {
  assert.deepEqual(parseBackgroundJson(bgJson("other", 3, 9e7), "ct.bg.json"), {
    itersPerS: 9e7,
    policies: ["other", "other", "other"],
  });
  assert.throws(
    () => parseBackgroundJson(JSON.stringify({ roles: {} }), "ct.bg.json"),
    /ct\.bg\.json: expected "background" with "hogs" and "iterations_per_s"/,
  );
});

Deno.test("kernelEjections keeps a disable for any reason but the loader's, and sched_ext error lines", () => {
  const log = [
    '[ 37.9] sched_ext: BPF scheduler "gamer" enabled',
    '[ 46.0] sched_ext: BPF scheduler "gamer" disabled (unregistered from user space)',
    '[ 50.1] sched_ext: BPF scheduler "gamer" disabled (runnable task stall)',
    "[ 50.1] sched_ext: gamer: runnable task stall (kworker/1:1[40] failed to run for 5.2s)",
    '[ 60.0] sched_ext: BPF scheduler "bpfland" disabled (unregistered from the main kernel)',
    "[ 61.0] virtio_blk virtio0: [vda] error-free",
  ].join("\n");
  assert.deepEqual(
    kernelEjections(log),
    [
      'sched_ext: BPF scheduler "gamer" disabled (runnable task stall)',
      "sched_ext: gamer: runnable task stall (kworker/1:1[40] failed to run for 5.2s)",
      'sched_ext: BPF scheduler "bpfland" disabled (unregistered from the main kernel)',
    ].map((l, i) => `[ ${["50.1", "50.1", "60.0"][i]}] ${l}`),
  );
  assert.deepEqual(kernelEjections(""), []);
});

Deno.test("parseStatsLine converts ns/us/ms to ns and k/s rates", () => {
  const l = parseStatsLine(STATS)!;
  assert.deepEqual(l.paths.select_cpu, { avgNs: 72_600, p99Ns: 184_900 });
  assert.deepEqual(l.paths.enqueue, { avgNs: 310, p99Ns: 1_200_000 });
  assert.equal(l.preemptPerS, 1500);
  assert.equal(parseStatsLine("scx_gamer: attached (stats on)"), null);
});

Deno.test("statsLinesDuring keeps the lines between a workload's markers, minus the first", () => {
  const other = STATS.replace("preempt 1.5k/s", "preempt 7/s");
  const log = [STATS, "@@bench begin gs_2x", other, STATS, STATS, "@@bench end gs_2x", other].join("\n");
  const lines = statsLinesDuring(log, "gs_2x");
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.preemptPerS === 1500));
  assert.equal(statsLinesDuring(`@@bench begin ct\n${other}\n@@bench end ct`, "ct").length, 1);
});

Deno.test("parseInsnCounts reads the --verbose instruction line", () => {
  assert.deepEqual(parseInsnCounts("x\nscx_gamer: program instructions: select_cpu=250 dispatch=36\n"), {
    select_cpu: 250,
    dispatch: 36,
  });
  assert.equal(parseInsnCounts("scx_gamer: attached"), null);
});

Deno.test("parseCpuSamples splits the window's CPU time into background, game, scx_gamer, the rest, idle", () => {
  const c = parseCpuSamples("10 0 0 0 0 0 0 0 0 0 0\n15 800 50 100 1000 0 40 50 0 0 10\n")!;
  const want = { background: 1.6, scheduler: 0.1, game: 0.2, other: 0.2, kernel: 0.1, idle: 0.1 };
  for (const [k, v] of Object.entries(want)) {
    assert.ok(Math.abs(c[k as keyof typeof c] - v) < 1e-9, `${k}: ${c[k as keyof typeof c]} != ${v}`);
  }
});

Deno.test("parseCpuSamples needs two samples and time between them", () => {
  assert.equal(parseCpuSamples("10 0 0 0 0 0 0 0 0 0 0\n"), null);
  assert.equal(parseCpuSamples("10 0 0 0 0 0 0 0 0 0 0\n10 1 0 0 0 0 0 0 0 0 0\n"), null);
  assert.equal(parseCpuSamples("10 0 0\n16 5 5\n"), null, "not the 11-field format");
  assert.equal(parseCpuSamples("10 252 0 149 0 0 0 0 0 0 0\n15 0 0 0 9 0 9 9 0 0 0\n"), null, "game gone");
});

Deno.test("parseCpuSamples ends the window at the last line before a process was gone", () => {
  const c = parseCpuSamples(
    "10 0 0 0 0 0 0 0 0 0 0\n11 100 0 20 120 0 0 0 0 0 0\n12 200 0 40 240 0 0 0 0 0 0\n13 0 0 0 300 0 0 90 0 0 0\n",
  )!;
  assert.equal(c.background, 1);
  assert.equal(c.idle, 0, "the line after the end, with its idle time, is not in the window");
});

Deno.test("parsePlan reads the workloads and schedulers and refuses an unknown one", () => {
  const p = parsePlan(PLAN, "plan.txt");
  assert.deepEqual(p.workloads, [...WORKLOADS]);
  assert.deepEqual(p.schedulers, [...SCHEDS]);
  assert.equal(p.frameWorkUs, 2500);
  assert.equal(p.heavyGame, HEAVY);
  assert.equal(p.encoderGame, ENCODER);
  assert.equal(
    parsePlan(PLAN.replace(/encoder_game .*\n/, ""), "plan.txt").encoderGame,
    null,
    "before enc_3",
  );
  assert.equal(
    parsePlan(PLAN.replace(/heavy_game .*\n/, ""), "plan.txt").heavyGame,
    null,
    "a plan from before hv_*",
  );
  assert.equal(p.bestFlags, null, "an empty best_flags line: no best row");
  assert.equal(p.tcg, "single", "a plan without a tcg line ran before the option: single-threaded");
  assert.equal(parsePlan(PLAN + "tcg multi\n", "plan.txt").tcg, "multi");
  assert.throws(() => parsePlan(PLAN + "tcg kvm\n", "p.txt"), /p\.txt: "tcg kvm": expected single or multi/);
  assert.throws(
    () => parsePlan(PLAN.replace(/workloads .*\n/, "workloads ct gs_9x\n"), "p.txt"),
    /p\.txt: workload 'gs_9x': expected some of/,
  );
  assert.throws(
    () => parsePlan(PLAN.replace(/schedulers .*\n/, "schedulers gamer eevdf\n"), "p.txt"),
    /p\.txt: schedulers 'gamer eevdf': expected eevdf first/,
  );
});

Deno.test("parsePlan names the missing key; a plan from the older benchmark has no schedulers line", () => {
  assert.throws(
    () => parsePlan("rounds 2\n", "out/plan.txt"),
    /^BenchResultError: out\/plan\.txt: expected a "schedulers" line/,
  );
  assert.throws(
    () => parsePlan(PLAN.replace("duration_s 4\n", ""), "out/plan.txt"),
    /out\/plan\.txt: expected a "duration_s" line/,
  );
});

Deno.test("readGuestResults reads every run of a healthy folder as usable, without ejections", () =>
  withOut((dir) => {
    const r = readGuestResults(dir);
    assert.equal(r.runs.length, SCHEDS.length * WORKLOADS.length - 2, "no gs_0x or hv_0x under EEVDF+idle");
    assert.ok(r.runs.every((x) => x.problem === null), JSON.stringify(r.runs.filter((x) => x.problem)));
    assert.equal(r.runs.find((x) => x.scheduler === "gamer_stats" && x.workload === "ct")!.hot!.lines, 1);
    assert.equal(r.runs.find((x) => x.scheduler === "gamer")!.hot, null);
    assert.deepEqual(r.insns.statsOn, { select_cpu: 466, enqueue: 841 });
    assert.deepEqual(r.insns.statsOff, { select_cpu: 250, enqueue: 497 });
    const ct = r.runs.find((x) => x.scheduler === "eevdf_idle" && x.workload === "ct_m")!;
    assert.deepEqual(ct.background, { itersPerS: 2e8, policies: ["idle", "idle", "idle", "idle"] });
    assert.ok(
      Math.abs(r.runs[0].cpu!.background - 1.5) < 1e-9 && Math.abs(r.runs[0].cpu!.scheduler - 0.1) < 1e-9,
    );
    assert.deepEqual(r.ejections, []);
    assert.equal(r.dmesgBlocks, SCHEDS.length);
    assert.deepEqual(r.hostLoad, []);
  }));

Deno.test("readGuestResults reads the heavy game's runs as games: hv_0x alone, hv_2x under 2x loops", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(path.join(dir, "r0/gamer/hv_2x.json"), gsJson(0.5, 3e7, "other", 4));
    const r = readGuestResults(dir);
    const at = (s: string, w: string) => r.runs.find((x) => x.scheduler === s && x.workload === w);
    const alone = at("gamer", "hv_0x")!;
    assert.equal(alone.problem, null);
    assert.equal(alone.game!.frames, 240);
    assert.deepEqual(alone.background!.policies, [], "the heavy game alone has no busy loops");
    const loaded = at("gamer", "hv_2x")!;
    assert.equal(loaded.problem, null);
    assert.equal(loaded.game!.missedShare, 0.5, "hv_2x's figures come from hv_2x.json");
    assert.deepEqual(loaded.background, { itersPerS: 3e7, policies: ["other", "other", "other", "other"] });
    assert.equal(at("eevdf_idle", "hv_0x"), undefined, "nothing to demote: not run under EEVDF+idle");
    assert.deepEqual(at("eevdf_idle", "hv_2x")!.background!.policies, ["idle", "idle", "idle", "idle"]);
    // The encoders are background: the game beside them runs under EEVDF+idle too, demoted there.
    assert.equal(at("gamer", "enc_3")!.problem, null);
    assert.deepEqual(at("eevdf_idle", "enc_3")!.background!.policies, ["idle", "idle", "idle", "idle"]);
  }));

Deno.test("readGuestResults leaves out a run whose scheduler was ejected during it, and counts it", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(path.join(dir, "r0/gamer/gs_2x.state"), "enabled gamer_1\ndisabled none\n");
    const r = readGuestResults(dir);
    const run = r.runs.find((x) => x.scheduler === "gamer" && x.workload === "gs_2x")!;
    assert.equal(
      run.problem,
      "r0/gamer/gs_2x.state: sched_ext was 'disabled none' after the run, expected enabled, ops gamer",
    );
    assert.deepEqual(r.ejections.map((e) => [e.scheduler, e.file]), [["gamer", "r0/gamer/gs_2x.state"]]);
  }));

Deno.test("readGuestResults finds an ejection in the kernel log, the loader's log and its exit status", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(
      path.join(dir, "r0/bpfland/dmesg.txt"),
      'sched_ext: BPF scheduler "bpfland" disabled (runnable task stall)\n',
    );
    Deno.writeTextFileSync(
      path.join(dir, "r0/gamer_stats/sched.log"),
      "scx_gamer: the kernel stopped the scheduler: stall (watchdog)\n",
    );
    Deno.writeTextFileSync(path.join(dir, "r0/gamer_stats/sched.rc"), "1\n");
    const e = readGuestResults(dir).ejections;
    assert.deepEqual(e.map((x) => x.file), [
      "r0/gamer_stats/sched.log",
      "r0/gamer_stats/sched.rc",
      "r0/bpfland/dmesg.txt",
    ]);
    assert.match(e[2].line, /runnable task stall/);
  }));

Deno.test("readGuestResults checks the ops name: scx_gamer's state does not pass for scx_bpfland", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(path.join(dir, "r0/bpfland/ct_m.state"), "enabled gamer_9\nenabled gamer_9\n");
    const run = readGuestResults(dir).runs.find((x) => x.scheduler === "bpfland" && x.workload === "ct_m")!;
    assert.match(
      run.problem!,
      /sched_ext was 'enabled gamer_9' before the run, expected enabled, ops bpfland/,
    );
  }));

Deno.test("readGuestResults leaves out a run whose background did not run under the scheduler's policy", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(path.join(dir, "r0/eevdf_idle/gs_2x.json"), gsJson(0.25, 5e7, "other"));
    Deno.writeTextFileSync(path.join(dir, "r0/eevdf/ct.bg.json"), bgJson("idle"));
    const runs = readGuestResults(dir).runs;
    assert.equal(
      runs.find((x) => x.scheduler === "eevdf_idle" && x.workload === "gs_2x")!.problem,
      "r0/eevdf_idle/gs_2x.json: background processes ran under other, expected idle",
    );
    assert.equal(
      runs.find((x) => x.scheduler === "eevdf" && x.workload === "ct")!.problem,
      "r0/eevdf/ct.bg.json: background processes ran under idle, expected other",
    );
  }));

Deno.test("readGuestResults leaves out a cyclictest run whose thread was not SCHED_OTHER", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(
      path.join(dir, "r0/eevdf/ct_m.policy"),
      "cyclictest policy : 0\ncyclictest policy : 1\n",
    );
    const run = readGuestResults(dir).runs.find((x) => x.scheduler === "eevdf" && x.workload === "ct_m")!;
    assert.match(run.problem!, /ct_m\.policy: not SCHED_OTHER \(policy 0\): cyclictest policy : 1/);
  }));

Deno.test("readGuestResults leaves out a cyclictest run whose measuring thread's policy was not read", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(path.join(dir, "r0/gamer/ct.policy"), "cyclictest policy : 0\n");
    const run = readGuestResults(dir).runs.find((x) => x.scheduler === "gamer" && x.workload === "ct")!;
    assert.match(run.problem!, /ct\.policy: expected "comm policy : N" for both cyclictest threads/);
  }));

Deno.test("readGuestResults reports a run that never started, failed, or whose loops did not report", () =>
  withOut((dir) => {
    Deno.removeSync(path.join(dir, "r0/bpfland"), { recursive: true });
    Deno.writeTextFileSync(path.join(dir, "r0/eevdf/gs_1x.rc"), "1\n");
    Deno.removeSync(path.join(dir, "r0/gamer/ct.bg.json"));
    const r = readGuestResults(dir);
    assert.match(
      r.runs.find((x) => x.scheduler === "bpfland")!.problem!,
      /r0\/bpfland\/gs_0x\.state: missing/,
    );
    assert.match(r.runs.find((x) => x.workload === "gs_1x")!.problem!, /exited with status 1/);
    assert.match(
      r.runs.find((x) => x.scheduler === "gamer" && x.workload === "ct")!.problem!,
      /ct\.bg\.json: missing: the busy loops did not report/,
    );
    assert.equal(r.dmesgBlocks, SCHEDS.length - 1);
  }));

Deno.test("readGuestResults refuses a folder without plan.txt", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.throws(
      () => readGuestResults(dir),
      /plan\.txt: missing: expected the output folder of a bench:sched run/,
    );
  } finally {
    Deno.removeSync(dir);
  }
});

Deno.test("parseProbeWindows takes the first and last reading under each label", () => {
  const line = (t: number, enq: string) => JSON.stringify({ t, counters: { enqueues: enq, boosted: "0" } });
  const text = [
    "@@probe ct",
    line(1, "10"),
    "@@probe ct",
    line(3, "50"),
    "@@probe gs_2x",
    line(4, "60"),
    "noise",
  ]
    .join("\n");
  assert.deepEqual(parseProbeWindows(text), [{
    workload: "ct",
    seconds: 2,
    deltas: { enqueues: 40, boosted: 0 },
  }]);
  assert.deepEqual(parseProbeWindows(""), []);
});
