import assert from "node:assert/strict";
import type {
  GameFigures,
  GuestResults,
  SchedulerId,
  WorkloadRun,
} from "../../tools/bench_sched/guest_results.ts";
import { formatProbe, formatReport, formatValue, markdownTable } from "../../tools/bench_sched/report.ts";

function game(inputP99: number, bg: number): GameFigures {
  const lat = { p50: 100, p99: inputP99, p999: inputP99, max: inputP99, wakeups: 10 };
  return { input: lat, render: lat, frames: 60, missedShare: 0.1, frameTimeP99Us: 17_000, bgItersPerS: bg };
}

function run(
  scheduler: SchedulerId,
  g: GameFigures,
  extra: Partial<Pick<WorkloadRun, "hot" | "problem">> = {},
): WorkloadRun {
  return {
    round: 0,
    scheduler,
    workload: "gs_2x",
    problem: null,
    latency: null,
    game: g,
    hot: null,
    cpu: {
      background: 1.5,
      scheduler: scheduler === "eevdf" ? 0 : 0.25,
      game: 0.2,
      other: 0.05,
      kernel: 0.3,
      idle: 0,
    },
    ...extra,
  };
}

function results(runs: WorkloadRun[]): GuestResults {
  return {
    plan: {
      rounds: 1,
      durationS: 4,
      statsS: 2,
      bestFlags: "--slice-us 5",
      fps: 60,
      kernel: "7.3",
      cpus: 2,
      date: "2026-11-25",
      workloads: ["gs_2x"],
    },
    runs,
    insns: { statsOn: { select_cpu: 466, dispatch: 158 }, statsOff: { select_cpu: 250, dispatch: 36 } },
    statsOffLatency: null,
    notes: [],
    hostLoad: [1.5, 6.25],
    probe: [],
  };
}

const hot = (ns: number) => ({
  paths: {
    select_cpu: { avgNs: ns, p99Ns: 150_000 },
    enqueue: { avgNs: ns, p99Ns: ns },
    dispatch: { avgNs: ns, p99Ns: ns },
  },
  preemptPerS: 42,
  lines: 2,
});

Deno.test("markdownTable pads columns: labels left, numbers right", () => {
  assert.equal(
    markdownTable(["a", "bb"], [["xyz", "1"], ["q", "22"]]),
    "| a   | bb |\n|:----|---:|\n| xyz |  1 |\n| q   | 22 |",
  );
});

Deno.test("formatValue: whole us from 100, one decimal below and for ms, % and M/s", () => {
  assert.equal(formatValue({ unit: "us" }, 1234.6), "1235");
  assert.equal(formatValue({ unit: "us" }, 12.34), "12.3");
  assert.equal(formatValue({ unit: "%" }, 7.25), "7.3");
  assert.equal(formatValue({ unit: "ms" }, null), "-");
});

Deno.test("formatReport prints the ratio, the verdict and the targets per contender", () => {
  const text = formatReport(
    results([run("eevdf", game(1000, 1e8)), run("default", game(400, 1e8)), run("best", game(2000, 1e8))]),
    { bestSource: "given" },
  );
  assert.match(
    text,
    /\| game, 4 hogs \(2x\): input wake-up p99 +\| +us \| +1000 \| +400 \| +2000 \| +0\.40 win \| +2\.00 loss \|/,
  );
  assert.match(text, /- default: .*game 2x input p99 0\.40 \(<= 0\.5x EEVDF\) met/);
  assert.match(text, /- best: .*game 2x input p99 2\.00 \(<= 0\.5x EEVDF\) NOT met/);
  assert.match(text, /kernel 7\.3, 2026-11-25/);
  assert.match(text, /^Method: /m);
  assert.match(text, /Excluded runs: none\./);
  assert.match(text, /at the start of each scheduler block: 1\.5-6\.3\./);
  assert.match(text, /game, 4 hogs \(2x\): background CPU share +\| CPUs \| +1\.50 \|/);
  assert.doesNotMatch(text, /cyclictest, 4 busy loops/, "only the workloads that ran have rows");
  assert.match(text, /\| game 2x +\| +default \| +1\.50 \| 0\.20 \| +0\.25 \| +0\.05 \| 0\.00 \| +0\.30 \|/);
});

Deno.test("formatReport shows a hot-path p99 in the histogram's open top bucket as a bound", () => {
  const text = formatReport(
    results([run("eevdf", game(1000, 1e8)), run("default", game(400, 1e8), { hot: hot(40_000) })]),
    { bestSource: "given" },
  );
  assert.match(text, /\| select_cpu +\| +40\.0 us \| +>=102\.4 us \| +- \| +- \|/);
  assert.match(text, /select_cpu 466 -> 250, dispatch 158 -> 36/);
  assert.match(text, /Preemptions of non-critical work per second: default 42, best -\./);
  assert.match(text, /scx_gamer's userspace \(Deno\) during the runs: default 0\.25, best - CPUs/);
});

Deno.test("formatReport lists excluded runs with their reason", () => {
  const text = formatReport(
    results([
      run("eevdf", game(1000, 1e8)),
      run("default", game(1, 1), { problem: "r0/default/gs_2x.state: x" }),
    ]),
    { bestSource: "given" },
  );
  assert.match(text, /Excluded runs \(1\):\n- r0 default gs_2x: r0\/default\/gs_2x\.state: x/);
});

Deno.test("formatProbe gives critical wake-ups per second and the preempted and queued shares", () => {
  const [line] = formatProbe([{
    workload: "ct",
    seconds: 2,
    deltas: {
      critical_wakeups: 1000,
      preempt_kicks: 250,
      critical_queued: 750,
      enqueues: 3000,
      direct_dispatches: 500,
      dispatches: 1500,
      boosted: 0,
    },
  }]);
  assert.equal(
    line,
    "- cyclictest (2.0 s): 500 critical wake-ups/s with no idle CPU; 125/s (25%) preempted a CPU, " +
      "375/s (75%) queued (no preemptible CPU); 1500 enqueues/s, 25% of placements direct, 0 input-boosted/s.",
  );
});
