import assert from "node:assert/strict";
import type { GameFigures, SchedulerId, WorkloadRun } from "../../tools/bench_sched/guest_results.ts";
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

function game(missedShare: number, inputP99: number, bg: number): GameFigures {
  const lat = { p50: 100, p99: inputP99, p999: inputP99 * 2, max: inputP99 * 3, wakeups: 50 };
  return { input: lat, render: lat, frames: 100, missedShare, frameTimeP99Us: 20_000, bgItersPerS: bg };
}

function gsRun(
  round: number,
  scheduler: SchedulerId,
  g: GameFigures,
  problem: string | null = null,
): WorkloadRun {
  return { round, scheduler, workload: "gs_2x", problem, latency: null, game: g, hot: null, cpu: null };
}

const byId = (id: string): FigureDef => FIGURES.find((f) => f.id === id)!;

Deno.test("summarizeFigures takes medians over rounds per scheduler", () => {
  const runs = [
    gsRun(0, "eevdf", game(0.2, 1000, 1e8)),
    gsRun(1, "eevdf", game(0.4, 3000, 1e8)),
    gsRun(2, "eevdf", game(0.3, 2000, 1e8)),
  ];
  const row = summarizeFigures(runs, [byId("gs_2x.input_p99"), byId("gs_2x.missed")]);
  assert.equal(row[0].medians.eevdf, 2000);
  assert.ok(Math.abs(row[1].medians.eevdf! - 30) < 1e-9, "missed share in %");
  assert.equal(row[0].medians.default, null);
});

Deno.test("summarizeFigures pairs each contender's run with EEVDF's of the same round", () => {
  // Round 1 ran on a busier host: both doubled. Paired ratios stay 0.5; the medians alone would not say so.
  const runs = [
    gsRun(0, "eevdf", game(0.2, 1000, 1e8)),
    gsRun(0, "default", game(0.2, 500, 1e8)),
    gsRun(1, "eevdf", game(0.2, 4000, 1e8)),
    gsRun(1, "default", game(0.2, 2000, 1e8)),
  ];
  const [row] = summarizeFigures(runs, [byId("gs_2x.input_p99")]);
  assert.deepEqual(row.ratios.default, { median: 0.5, min: 0.5, max: 0.5, rounds: 2 });
  assert.equal(row.ratios.best, null);
});

Deno.test("summarizeFigures leaves out runs with a problem", () => {
  const runs = [
    gsRun(0, "eevdf", game(0.2, 1000, 1e8)),
    gsRun(0, "default", game(0.2, 500, 1e8), "ejected"),
  ];
  const [row] = summarizeFigures(runs, [byId("gs_2x.input_p99")]);
  assert.equal(row.medians.default, null);
  assert.equal(row.ratios.default, null);
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

Deno.test("checkTargets: half the latency and missed frames, at least 90% of the throughput", () => {
  const runs = [
    gsRun(0, "eevdf", game(0.4, 1000, 1e8)),
    gsRun(0, "default", game(0.1, 400, 0.95e8)),
    gsRun(0, "best", game(0.3, 400, 0.5e8)),
  ];
  const t = checkTargets(summarizeFigures(runs));
  const met = (s: "default" | "best") => Object.fromEntries(t[s].map((x) => [x.label, x.met]));
  assert.deepEqual(met("default"), {
    "cyclictest p99 (4 loops = 2x)": false, // no cyclictest runs: not met, never assumed
    "game 2x input p99": true,
    "game 2x missed frames": true,
    "game 2x background throughput": true,
  });
  assert.equal(met("best")["game 2x missed frames"], false);
  assert.equal(met("best")["game 2x background throughput"], false);
});

Deno.test("summarizeHotPaths pools a contender's stats over its usable runs", () => {
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
    { ...gsRun(0, "default", game(0, 1, 1)), hot: hot(1000, 10) },
    { ...gsRun(1, "default", game(0, 1, 1)), hot: hot(3000, 30) },
    { ...gsRun(2, "default", game(0, 1, 1), "ejected"), hot: hot(9e6, 900) },
  ];
  const s = summarizeHotPaths(runs);
  assert.equal(s.rows[0].avgNs.default, 2000);
  assert.equal(s.rows[0].p99Ns.default, 4000);
  assert.equal(s.rows[0].avgNs.best, null);
  assert.equal(s.preemptPerS.default, 20);
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
    { ...gsRun(0, "default", game(0, 1, 1)), cpu: cpu(1.0) },
    { ...gsRun(1, "default", game(0, 1, 1)), cpu: cpu(1.4) },
    { ...gsRun(2, "default", game(0, 1, 1)), cpu: cpu(1.3) },
    gsRun(0, "eevdf", game(0, 1, 1)), // no CPU samples: no row
  ];
  const rows = summarizeCpuSplit(runs, ["ct", "gs_2x"]);
  assert.equal(rows.length, 1);
  assert.equal(rows[0].scheduler, "default");
  assert.equal(rows[0].shares.background, 1.3);
  assert.equal(rows[0].shares.other, 0.2);
});
