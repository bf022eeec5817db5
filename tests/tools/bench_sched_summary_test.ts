import assert from "node:assert/strict";
import type {
  GameFigures,
  SchedulerId,
  WorkloadId,
  WorkloadRun,
} from "../../tools/bench_sched/guest_results.ts";
import {
  checkTargets,
  consistent,
  type FigureDef,
  FIGURES,
  summarizeCpuSplit,
  summarizeFigures,
  summarizeHotPaths,
  verdict,
} from "../../tools/bench_sched/summary.ts";

function game(missedShare: number, inputP99: number, bg: number, p50 = 100): GameFigures {
  const lat = { p50, p99: inputP99, p999: inputP99 * 2, max: inputP99 * 3, wakeups: 50 };
  return {
    input: lat,
    render: lat,
    frames: 100,
    missedShare,
    frameTimeP99Us: 20_000,
    background: { itersPerS: bg, policies: [] },
  };
}

function gsRun(
  round: number,
  scheduler: SchedulerId,
  g: GameFigures,
  problem: string | null = null,
  workload: WorkloadId = "gs_2x",
): WorkloadRun {
  return {
    round,
    scheduler,
    workload,
    problem,
    latency: null,
    game: g,
    background: g.background,
    hot: null,
    cpu: null,
  };
}

const byId = (id: string): FigureDef => FIGURES.find((f) => f.id === id)!;
const ALL: SchedulerId[] = ["eevdf", "eevdf_idle", "gamer", "gamer_stats", "bpfland"];

Deno.test("summarizeFigures takes medians over rounds per scheduler", () => {
  const runs = [
    gsRun(0, "eevdf", game(0.2, 1000, 1e8)),
    gsRun(1, "eevdf", game(0.4, 3000, 1e8)),
    gsRun(2, "eevdf", game(0.3, 2000, 1e8)),
  ];
  const row = summarizeFigures(runs, ALL, [byId("gs_2x.input_p99"), byId("gs_2x.missed")]);
  assert.equal(row[0].medians.eevdf, 2000);
  assert.ok(Math.abs(row[1].medians.eevdf! - 30) < 1e-9, "missed share in %");
  assert.equal(row[0].medians.gamer, null);
  assert.equal(row[0].ratios.eevdf, undefined, "EEVDF has no ratio to itself");
});

Deno.test("summarizeFigures pairs each contender's run with EEVDF's of the same round", () => {
  // Round 1 ran on a busier host: both doubled. Paired ratios stay 0.5; the medians alone would not say so.
  const runs = [
    gsRun(0, "eevdf", game(0.2, 1000, 1e8)),
    gsRun(0, "gamer", game(0.2, 500, 1e8)),
    gsRun(1, "eevdf", game(0.2, 4000, 1e8)),
    gsRun(1, "gamer", game(0.2, 2000, 1e8)),
  ];
  const [row] = summarizeFigures(runs, ALL, [byId("gs_2x.input_p99")]);
  assert.deepEqual(row.ratios.gamer, { median: 0.5, min: 0.5, max: 0.5, rounds: 2 });
  assert.equal(row.ratios.bpfland, null);
});

Deno.test("summarizeFigures leaves out runs with a problem", () => {
  const runs = [
    gsRun(0, "eevdf", game(0.2, 1000, 1e8)),
    gsRun(0, "gamer", game(0.2, 500, 1e8), "ejected"),
  ];
  const [row] = summarizeFigures(runs, ALL, [byId("gs_2x.input_p99")]);
  assert.equal(row.medians.gamer, null);
  assert.equal(row.ratios.gamer, null);
});

Deno.test("the game alone has no background figures; cyclictest has its loops' throughput", () => {
  assert.equal(FIGURES.find((f) => f.id === "gs_0x.bg"), undefined);
  assert.equal(FIGURES.find((f) => f.id === "hv_0x.bg_cpu"), undefined, "the heavy game alone neither");
  assert.ok(byId("gs_0x.render_p99") && byId("ct_m.bg") && byId("ct.bg_cpu"));
  assert.ok(byId("hv_0x.missed") && byId("hv_2x.input_p99") && byId("hv_2x.bg"));
  const ct: WorkloadRun = {
    ...gsRun(0, "eevdf", game(0, 1, 1)),
    workload: "ct_m",
    game: null,
    background: { itersPerS: 3e8, policies: ["other"] },
  };
  assert.equal(byId("ct_m.bg").value(ct), 300);
});

Deno.test("the share of frames the render thread waited for shows how many frames its latency covers", () => {
  const g = game(0.2, 1000, 1e8);
  assert.equal(
    byId("gs_2x.render_waits").value(gsRun(0, "eevdf", { ...g, render: { ...g.render, wakeups: 25 } })),
    25,
  );
  assert.equal(byId("gs_2x.render_waits").value(gsRun(0, "eevdf", { ...g, frames: 0 })), null);
});

Deno.test("a role without wake-ups has no latency figure", () => {
  const g = game(0.2, 1000, 1e8);
  const run = gsRun(0, "eevdf", { ...g, render: { ...g.render, wakeups: 0 } });
  assert.equal(byId("gs_2x.render_p99").value(run), null);
  assert.equal(byId("gs_2x.input_p99").value(run), 1000);
});

Deno.test("the background CPU share comes from the run's CPU samples, independent of iterations", () => {
  const cpu = { background: 1.75, scheduler: 0, game: 0.2, other: 0.05, kernel: 0.3, idle: 0 };
  const run = { ...gsRun(0, "eevdf", game(0.2, 1000, 1e8)), cpu };
  assert.equal(byId("gs_2x.bg_cpu").value(run), 1.75);
  assert.equal(byId("gs_2x.bg_cpu").value(gsRun(0, "eevdf", game(0.2, 1000, 1e8))), null);
});

Deno.test("verdict reads lower-is-better and higher-is-better figures in their direction", () => {
  const r = (median: number) => ({ median, min: median, max: median, rounds: 1 });
  assert.equal(verdict(byId("gs_2x.input_p99"), r(0.5)), "win");
  assert.equal(verdict(byId("gs_2x.input_p99"), r(1.05)), "even");
  assert.equal(verdict(byId("gs_2x.bg"), r(0.5)), "loss");
  assert.equal(verdict(byId("gs_2x.bg"), r(1.2)), "win");
  assert.equal(verdict(byId("gs_2x.bg"), null), null);
});

Deno.test("consistent needs every round on one side of 1", () => {
  assert.equal(consistent({ median: 0.6, min: 0.4, max: 0.9, rounds: 3 }), true);
  assert.equal(consistent({ median: 0.6, min: 0.4, max: 1.2, rounds: 3 }), false);
  assert.equal(consistent({ median: 0.6, min: 0.6, max: 0.6, rounds: 1 }), false);
});

Deno.test("checkTargets: ratio bounds to EEVDF and value bounds, per contender; missing data is no data", () => {
  const runs = [
    gsRun(0, "eevdf", game(0.40, 1000, 1e8, 900)),
    gsRun(0, "gamer", game(0.04, 400, 0.65e8, 450)),
    gsRun(0, "bpfland", game(0.06, 600, 0.5e8, 520)),
    gsRun(0, "eevdf", game(0.01, 800, 0, 200), null, "gs_0x"),
    gsRun(0, "gamer", game(0.02, 700, 0, 300), null, "gs_0x"),
  ];
  const results = checkTargets(summarizeFigures(runs, ALL), ["gamer", "bpfland"]);
  const met = (label: string) => {
    const t = results.find((x) => x.def.label === label)!;
    return [t.checks.gamer!.met, t.checks.bpfland!.met];
  };
  assert.deepEqual(met("game 2x: missed frames <= 5%"), [true, false]);
  assert.deepEqual(met("game 2x: render wake-up p50 <= 0.5 ms"), [true, false]);
  assert.deepEqual(met("game 2x: input wake-up p99 <= 0.5x EEVDF's"), [true, false]);
  assert.deepEqual(met("game 2x: background throughput >= 0.6x EEVDF's"), [true, false]);
  assert.deepEqual(met("game alone: missed frames <= EEVDF's"), [false, null], "2% vs 1%; no bpfland run");
  assert.deepEqual(met("game alone: input wake-up p99 <= EEVDF's"), [true, null]);
  const missed = results.find((x) => x.def.label === "game 2x: missed frames <= 5%")!;
  assert.ok(Math.abs(missed.checks.gamer!.figure! - 4) < 1e-9, "a value target is judged on the median, %");
  const ratio = results.find((x) => x.def.label === "game 2x: input wake-up p99 <= 0.5x EEVDF's")!;
  assert.equal(ratio.checks.gamer!.figure, 0.4);
  assert.ok(results.some((x) => x.def.figure === "ct_m.p99"), "every target is listed while its row exists");
  assert.deepEqual(
    results.find((x) => x.def.figure === "ct_m.p99")!.checks.gamer,
    { figure: null, met: null },
    "no cyclictest runs: no data, never assumed met",
  );
});

Deno.test("checkTargets lists only the targets whose figure is in the rows", () => {
  const rows = summarizeFigures([], ALL, [byId("gs_2x.missed")]);
  assert.deepEqual(checkTargets(rows, ["gamer"]).map((t) => t.def.figure), ["gs_2x.missed"]);
});

Deno.test("summarizeHotPaths pools a scheduler's stats over its usable runs; schedulers without stats have none", () => {
  const hot = (ns: number, preempt: number) => ({
    paths: {
      select_cpu: { avgNs: ns, p99Ns: 2 * ns },
      enqueue: { avgNs: ns, p99Ns: 2 * ns },
      dispatch: { avgNs: ns, p99Ns: 2 * ns },
    },
    preemptPerS: preempt,
    lines: 3,
  });
  const runs: WorkloadRun[] = [
    { ...gsRun(0, "gamer_stats", game(0, 1, 1)), hot: hot(1000, 10) },
    { ...gsRun(1, "gamer_stats", game(0, 1, 1)), hot: hot(3000, 30) },
    { ...gsRun(2, "gamer_stats", game(0, 1, 1), "ejected"), hot: hot(9e6, 900) },
    gsRun(0, "gamer", game(0, 1, 1)),
  ];
  const s = summarizeHotPaths(runs);
  assert.deepEqual(s.map((x) => x.scheduler), ["gamer_stats"]);
  assert.equal(s[0].rows[0].avgNs, 2000);
  assert.equal(s[0].rows[0].p99Ns, 4000);
  assert.equal(s[0].preemptPerS, 20);
});

Deno.test("summarizeCpuSplit gives the median of each part per workload and scheduler", () => {
  const cpu = (bg: number) => ({
    background: bg,
    scheduler: 0.1,
    game: 0.3,
    other: 0.2,
    kernel: 0.4,
    idle: 0,
  });
  const runs: WorkloadRun[] = [
    { ...gsRun(0, "gamer", game(0, 1, 1)), cpu: cpu(1.0) },
    { ...gsRun(1, "gamer", game(0, 1, 1)), cpu: cpu(1.4) },
    { ...gsRun(2, "gamer", game(0, 1, 1)), cpu: cpu(1.3) },
    gsRun(0, "eevdf", game(0, 1, 1)), // no CPU samples: no row
  ];
  const rows = summarizeCpuSplit(runs, ["ct", "gs_2x"], ALL);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].scheduler, "gamer");
  assert.equal(rows[0].shares.background, 1.3);
  assert.equal(rows[0].shares.other, 0.2);
});
