import assert from "node:assert/strict";
import * as path from "node:path";
import { formatStatsLine, metricsBetween, zeroSnapshot } from "../../lib/sched/stats.ts";
import {
  BenchResultError,
  parseCpuSamples,
  parseCyclictestJson,
  parseGamesimJson,
  parseInsnCounts,
  parsePlan,
  parseProbeWindows,
  parseStatsLine,
  readGuestResults,
  SCHEDULERS,
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

function gsJson(missed = 0.25, bg = 5e7): string {
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
    background: { hogs: [], total_iterations: 1, iterations_per_s: bg },
  });
}

const PLAN = "rounds 1\nduration_s 4\nstats_s 2\nbest_flags --slice-us 5 --mig-max 5\nfps 60\nkernel 7.3\n" +
  "cpus 2\ndate 2026-11-25\n";

/** A complete, healthy out/ folder of one round, as the scenario writes it. */
function fakeOut(): string {
  const dir = Deno.makeTempDirSync({ prefix: "bench_out_" });
  Deno.writeTextFileSync(path.join(dir, "plan.txt"), PLAN);
  for (const s of SCHEDULERS) {
    const d = path.join(dir, "r0", s);
    Deno.mkdirSync(d, { recursive: true });
    const state = s === "eevdf" ? "disabled none\ndisabled none\n" : "enabled gamer_1\nenabled gamer_1\n";
    let log = "scx_gamer: program instructions: select_cpu=466 enqueue=841\n";
    for (const w of WORKLOADS) {
      Deno.writeTextFileSync(path.join(d, `${w}.state`), state);
      Deno.writeTextFileSync(path.join(d, `${w}.rc`), "0\n");
      Deno.writeTextFileSync(
        path.join(d, `${w}.cpu`),
        "1.0 0 0 0 0 0 0 0 0 0 0\n5.0 600 40 80 720 0 40 40 0 0 0\n",
      );
      Deno.writeTextFileSync(
        path.join(d, `${w}.json`),
        w === "ct" ? ctJson({ "10": 9, "20": 1 }, 10, 20) : gsJson(),
      );
      log += `@@bench begin ${w}\n${STATS}\n${STATS}\n@@bench end ${w}\n`;
    }
    Deno.writeTextFileSync(path.join(d, "ct.policy"), "cyclictest policy : 0\ncyclictest policy : 0\n");
    if (s !== "eevdf") {
      Deno.writeTextFileSync(path.join(d, "gamer.log"), log);
      Deno.writeTextFileSync(path.join(d, "gamer.rc"), "0\n");
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

Deno.test("parseGamesimJson reads latencies, missed share, frame-time p99 and background rate", () => {
  const g = parseGamesimJson(gsJson(0.5, 1.5e8), "gs.json");
  assert.equal(g.missedShare, 0.5);
  assert.equal(g.frameTimeP99Us, 20000);
  assert.equal(g.bgItersPerS, 1.5e8);
  assert.deepEqual(g.input, { p50: 100, p99: 900, p999: 2000, max: 3000, wakeups: 100 });
  assert.throws(() => parseGamesimJson("{}", "gs.json"), /gs\.json: expected "roles"/);
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

Deno.test("parsePlan reads the workloads and refuses an unknown one", () => {
  assert.deepEqual(parsePlan(PLAN + "workloads ct gs_2x\n", "plan.txt").workloads, ["ct", "gs_2x"]);
  assert.deepEqual(parsePlan(PLAN, "plan.txt").workloads, [...WORKLOADS], "older plans ran all four");
  assert.throws(
    () => parsePlan(PLAN + "workloads ct gs_9x\n", "p.txt"),
    /p\.txt: workload 'gs_9x': expected some of/,
  );
});

Deno.test("parsePlan names the missing key", () => {
  assert.equal(parsePlan(PLAN, "plan.txt").bestFlags, "--slice-us 5 --mig-max 5");
  assert.throws(
    () => parsePlan("rounds 2\n", "out/plan.txt"),
    /^BenchResultError: out\/plan\.txt: expected a "duration_s" line/,
  );
});

Deno.test("readGuestResults reads every run of a healthy folder as usable", () =>
  withOut((dir) => {
    const r = readGuestResults(dir);
    assert.equal(r.runs.length, SCHEDULERS.length * WORKLOADS.length);
    assert.ok(r.runs.every((x) => x.problem === null), JSON.stringify(r.runs.filter((x) => x.problem)));
    assert.equal(r.runs.find((x) => x.scheduler === "default" && x.workload === "ct")!.hot!.lines, 1);
    assert.equal(r.runs.find((x) => x.scheduler === "eevdf")!.hot, null);
    assert.deepEqual(r.insns.statsOn, { select_cpu: 466, enqueue: 841 });
    assert.ok(
      Math.abs(r.runs[0].cpu!.background - 1.5) < 1e-9 && Math.abs(r.runs[0].cpu!.scheduler - 0.1) < 1e-9,
    );
    assert.deepEqual(r.hostLoad, []);
  }));

Deno.test("readGuestResults leaves out a run whose scheduler was ejected during it", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(path.join(dir, "r0/default/gs_2x.state"), "enabled gamer_1\ndisabled none\n");
    const run = readGuestResults(dir).runs.find((x) => x.scheduler === "default" && x.workload === "gs_2x")!;
    assert.equal(
      run.problem,
      "r0/default/gs_2x.state: sched_ext was 'disabled none' after the run, expected enabled, ops gamer",
    );
  }));

Deno.test("readGuestResults leaves out a cyclictest run whose thread was not SCHED_OTHER", () =>
  withOut((dir) => {
    Deno.writeTextFileSync(
      path.join(dir, "r0/eevdf/ct.policy"),
      "cyclictest policy : 0\ncyclictest policy : 1\n",
    );
    const run = readGuestResults(dir).runs.find((x) => x.scheduler === "eevdf" && x.workload === "ct")!;
    assert.match(run.problem!, /ct\.policy: not SCHED_OTHER \(policy 0\): cyclictest policy : 1/);
  }));

Deno.test("readGuestResults reports a run that never started or failed", () =>
  withOut((dir) => {
    Deno.removeSync(path.join(dir, "r0/best"), { recursive: true });
    Deno.writeTextFileSync(path.join(dir, "r0/eevdf/gs_1x.rc"), "1\n");
    const r = readGuestResults(dir);
    assert.match(r.runs.find((x) => x.scheduler === "best")!.problem!, /r0\/best\/ct\.state: missing/);
    assert.match(r.runs.find((x) => x.workload === "gs_1x")!.problem!, /exited with status 1/);
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
