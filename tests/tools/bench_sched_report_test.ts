import assert from "node:assert/strict";
import type {
  GameFigures,
  GuestResults,
  SchedulerId,
  WorkloadId,
  WorkloadRun,
} from "../../tools/bench_sched/guest_results.ts";
import {
  formatProbe,
  formatReport,
  formatTargets,
  formatValue,
  markdownTable,
} from "../../tools/bench_sched/report.ts";
import { checkTargets, summarizeFigures } from "../../tools/bench_sched/summary.ts";

function game(inputP99: number, bg: number, missed = 0.1): GameFigures {
  const lat = { p50: 100, p99: inputP99, p999: inputP99, max: inputP99, wakeups: 10 };
  return {
    input: lat,
    render: lat,
    frames: 60,
    missedShare: missed,
    frameTimeP99Us: 17_000,
    background: { itersPerS: bg, policies: [] },
  };
}

function run(
  scheduler: SchedulerId,
  g: GameFigures,
  extra: Partial<Pick<WorkloadRun, "hot" | "problem" | "workload">> = {},
): WorkloadRun {
  return {
    round: 0,
    scheduler,
    workload: "gs_2x",
    problem: null,
    latency: null,
    game: g,
    background: g.background,
    hot: null,
    cpu: {
      background: 1.5,
      scheduler: scheduler.startsWith("eevdf") ? 0 : 0.25,
      game: 0.2,
      other: 0.05,
      kernel: 0.3,
      idle: 0,
    },
    ...extra,
  };
}

const SCHEDS: SchedulerId[] = ["eevdf", "eevdf_idle", "gamer", "gamer_stats"];

function results(runs: WorkloadRun[], workloads: WorkloadId[] = ["gs_2x"]): GuestResults {
  return {
    plan: {
      rounds: 1,
      durationS: 4,
      statsS: 1,
      bestFlags: null,
      fps: 144,
      frameWorkUs: 2500,
      heavyGame: null,
      encoderGame: null,
      kernel: "7.3",
      cpus: 2,
      date: "2026-12-02",
      tcg: "single",
      workloads,
      schedulers: SCHEDS,
    },
    runs,
    insns: { statsOn: { select_cpu: 466, dispatch: 158 }, statsOff: { select_cpu: 250, dispatch: 36 } },
    ejections: [],
    dmesgBlocks: 4,
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

const FOUR = [
  run("eevdf", game(1000, 1e8, 0.5)),
  run("eevdf_idle", game(300, 9e7, 0.02)),
  run("gamer", game(400, 7e7, 0.04)),
  run("gamer_stats", game(2000, 1e8, 0.3)),
];

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

Deno.test("formatReport: medians of every scheduler, then each contender's ratio with its verdict", () => {
  const text = formatReport(results(FOUR));
  assert.match(
    text,
    /\| game \+ 2x busy loops: input wake-up p99 +\| +us \| +1000 \| +300 \| +400 \| +2000 \|/,
  );
  assert.match(
    text,
    /\| game \+ 2x busy loops: input wake-up p99 +\| +0\.30 win \| +0\.40 win \| +2\.00 loss \|/,
  );
  assert.match(text, /kernel 7\.3, 2026-12-02/);
  assert.match(text, /\(QEMU TCG, vCPUs taking turns on one host thread\)/);
  assert.match(text, /144 fps with 2\.5 ms of render work per frame/);
  assert.match(
    text,
    /Schedulers: EEVDF \(nothing loaded\); EEVDF\+idle .*scx_gamer\+stats \(defaults, --stats 1\)\./,
  );
  assert.match(text, /^Method: /m);
  assert.match(text, /Excluded runs: none\./);
  assert.match(text, /at the start of each scheduler block: 1\.5-6\.3\./);
  assert.match(text, /game \+ 2x busy loops: background CPU share +\| CPUs \| +1\.50 \|/);
  assert.doesNotMatch(text, /cyclictest -m \+ 2x loops|game alone:/, "only the workloads that ran have rows");
  assert.match(
    text,
    /\| game 2x +\| +scx_gamer \| +1\.50 \| 0\.20 \| +0\.25 \| +0\.05 \| 0\.00 \| +0\.30 \|/,
  );
});

Deno.test("formatReport: one line per target with every contender, and the ejection check", () => {
  const text = formatReport(results(FOUR));
  assert.match(
    text,
    /^- game 2x: missed frames <= 5% \(EEVDF 50\.0%\): EEVDF\+idle 2\.0% met; scx_gamer 4\.0% met; scx_gamer\+stats 30\.0% NOT met$/m,
  );
  assert.match(
    text,
    /^- game 2x: input wake-up p99 <= 0\.5x EEVDF's: EEVDF\+idle 0\.30x met; scx_gamer 0\.40x met; scx_gamer\+stats 2\.00x NOT met$/m,
  );
  assert.match(
    text,
    /^- game 2x: background throughput >= 0\.6x EEVDF's: EEVDF\+idle 0\.90x met; scx_gamer 0\.70x met;/m,
  );
  assert.doesNotMatch(text, /game alone:/, "no game-alone run: no game-alone target");
  assert.match(
    text,
    /^Ejections: none \(sched_ext state and ops checked before and after each of 4 runs; the kernel log of 4 scheduler blocks/m,
  );
  const ejected = formatReport({
    ...results(FOUR),
    ejections: [{ round: 0, scheduler: "gamer", file: "r0/gamer/dmesg.txt", line: "disabled (stall)" }],
  });
  assert.match(
    ejected,
    /^Ejections \(1 signs; .*\):\n- r0 scx_gamer: r0\/gamer\/dmesg\.txt: disabled \(stall\)$/m,
  );
});

Deno.test("formatTargets says 'no data' where a contender has no usable run", () => {
  const rows = summarizeFigures([run("eevdf", game(1000, 1e8))], SCHEDS);
  const lines = formatTargets(checkTargets(rows, ["gamer"]), ["gamer"]);
  assert.ok(
    lines.some((l) => /^- game 2x: input wake-up p99 <= 0\.5x EEVDF's: scx_gamer no data$/.test(l)),
    lines.join("\n"),
  );
});

Deno.test("formatReport shows a hot-path p99 in the histogram's open top bucket as a bound", () => {
  const text = formatReport(
    results([run("eevdf", game(1000, 1e8)), run("gamer_stats", game(400, 1e8), { hot: hot(40_000) })]),
  );
  assert.match(text, /\| select_cpu +\| +40\.0 us \| >=102\.4 us \|/);
  assert.match(text, /stats on -> off: select_cpu 466 -> 250, dispatch 158 -> 36/);
  assert.match(text, /Preemptions of non-critical work per second: scx_gamer\+stats 42\./);
});

Deno.test("formatReport lists excluded runs with their reason, and says why bpfland is absent", () => {
  const text = formatReport(
    results([
      run("eevdf", game(1000, 1e8)),
      run("gamer", game(1, 1), { problem: "r0/gamer/gs_2x.state: x" }),
    ]),
    { bpfland: "scx_bpfland: not run (no --bpfland-src DIR given)" },
  );
  assert.match(text, /Excluded runs \(1\):\n- r0 scx_gamer gs_2x: r0\/gamer\/gs_2x\.state: x/);
  assert.match(text, /^scx_bpfland: not run \(no --bpfland-src DIR given\)\.$/m);
});

Deno.test("formatReport notes that EEVDF+idle has no game-alone run", () => {
  const text = formatReport(
    results([...FOUR, run("eevdf", game(900, 0), { workload: "gs_0x" })], ["gs_0x", "gs_2x"]),
  );
  assert.match(text, /EEVDF\+idle has no 'game alone' run/);
  assert.match(text, /\| game alone: missed frames +\| +% \| +10\.0 \| +- \| +- \| +- \|/);
});

Deno.test("formatReport names the heavy game's rows and gives its flags", () => {
  const heavy = (s: SchedulerId, w: WorkloadId, g: GameFigures) => run(s, g, { workload: w });
  const r = results([
    heavy("eevdf", "hv_0x", game(800, 0, 0.2)),
    heavy("gamer", "hv_0x", game(400, 0, 0.1)),
    heavy("eevdf", "hv_2x", game(4000, 1e8, 0.6)),
    heavy("eevdf_idle", "hv_2x", game(900, 5e7, 0.3)),
    heavy("gamer", "hv_2x", game(1000, 6e7, 0.3)),
  ], ["hv_0x", "hv_2x"]);
  const flags = "--fps 60 --frame-work-us 12000 --workers 4 --job-us 3000";
  const text = formatReport({ ...r, plan: { ...r.plan, heavyGame: flags } });
  assert.match(
    text,
    /5 ms audio; the heavy game: the same with `--fps 60 --frame-work-us 12000 --workers 4 --job-us 3000`; 1x = 2 busy/,
  );
  assert.match(text, /\| heavy game alone: missed frames +\| +% \| +20\.0 \| +- \| +10\.0 \| +- \|/);
  assert.match(
    text,
    /\| heavy game \+ 2x busy loops: render wake-up p99 +\| +us \| +4000 \| +900 \| +1000 \| +- \|/,
  );
  assert.match(
    text,
    /\| heavy game \+ 2x busy loops: input wake-up p99 +\| +0\.23 win \| +0\.25 win \| +- \|/,
    "and its ratios to EEVDF",
  );
  assert.match(text, /\| heavy game \+ 2x busy loops: background throughput +\| +M\/s \| +100\.0 \|/);
  assert.doesNotMatch(text, /heavy game alone: background/, "the heavy game alone has no background");
  assert.match(text, /EEVDF\+idle has no 'game alone' run/);
  assert.match(text, /^\| heavy game 2x +\| +EEVDF \| +1\.50 \|/m, "the CPU table's short name");
  assert.doesNotMatch(text, /enc_3: the same/, "no encoder runs, no encoder flags");
  assert.match(text, /scx_gamer wins on .*heavy game alone missed frames/);
  assert.doesNotMatch(formatReport(r), /the heavy game:/, "a plan from before hv_* has no flags to give");
});

Deno.test("formatProbe gives critical wake-ups per second and the preempted and queued shares", () => {
  const [line] = formatProbe([{
    workload: "ct_m",
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
    "- cyclictest -m 2x (2.0 s): 500 critical wake-ups/s with no idle CPU; 125/s (25%) preempted a CPU, " +
      "375/s (75%) queued (no preemptible CPU); 1500 enqueues/s, 25% of placements direct, 0 input-boosted/s.",
  );
});

Deno.test("formatProbe falls back to the busiest counters when the scheduler's counters have other names", () => {
  const [line] = formatProbe([{ workload: "gs_2x", seconds: 2, deltas: { a: 10, b: 40, c: 0 } }]);
  assert.equal(line, "- game 2x (2.0 s): b 20/s, a 5/s, c 0/s.");
});

Deno.test("formatReport's first line says how TCG ran the vCPUs", () => {
  const r = results(FOUR);
  const text = formatReport({ ...r, plan: { ...r.plan, tcg: "multi" } });
  assert.match(
    text.split("\n")[0],
    /2-vCPU sched_ext VM \(QEMU TCG, one host thread per vCPU\), kernel 7\.3/,
  );
});

Deno.test("formatReport names the encoder workload's rows and gives its flags", () => {
  const enc = (s: SchedulerId, g: GameFigures) => run(s, g, { workload: "enc_3" });
  const r = results([
    enc("eevdf", game(3000, 1e8, 0.15)),
    enc("eevdf_idle", game(900, 5e7, 0.01)),
    enc("gamer", game(1000, 6e7, 0.03)),
  ], ["enc_3"]);
  const flags = "--fps 60 --frame-work-us 6000 --workers 2 --job-us 2000 --encoders 3";
  const text = formatReport({ ...r, plan: { ...r.plan, encoderGame: flags } });
  assert.match(text, /5 ms audio; enc_3: the same with `--fps 60 .* --encoders 3`; 1x = 2 busy/);
  assert.match(text, /\| 60 fps game \+ 3 encoder-like processes: missed frames +\| +% \| +15\.0 \|/);
  assert.doesNotMatch(text, /EEVDF\+idle has no 'game alone' run/, "the encoders are background to demote");
});
