/**
 * Seeded synthetic data for tests, the benchmark and demos (no data set is downloaded):
 * - `friedman1`: scikit-learn's make_friedman1 regression problem;
 * - `syntheticTrainingRows`: rows of a training CSV (our full column set) whose score has a known best
 *   configuration, so the pipeline can be checked end to end without a kernel.
 *
 * @module
 */

import { defaultConfig, POLICY_VERSION, type SchedConfig } from "../../lib/config.ts";
import { COLUMNS } from "../../lib/store/columns.ts";
import { score } from "../../lib/score.ts";
import { emptyThreadCounts, HOT_PATHS, type Sample } from "../../lib/types.ts";
import type { Matrix } from "../../lib/ml/matrix.ts";
import type { Rng } from "../../lib/ml/rng.ts";

/** A standard normal draw (Box-Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next(), v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * make_friedman1: x uniform in [0,1)^nFeatures (nFeatures >= 5), y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2
 * + 10 x3 + 5 x4 + noise * N(0, 1); the other features are pure noise.
 */
export function friedman1(
  n: number,
  options: { rng: Rng; nFeatures?: number; noise?: number },
): { x: Matrix; y: Float64Array } {
  const { rng, nFeatures = 10, noise = 1.0 } = options;
  if (nFeatures < 5) throw new RangeError(`friedman1 needs at least 5 features, got ${nFeatures}`);
  const data = new Float64Array(n * nFeatures), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * nFeatures;
    for (let j = 0; j < nFeatures; j++) data[o + j] = rng.next();
    y[i] = 10 * Math.sin(Math.PI * data[o] * data[o + 1]) + 20 * (data[o + 2] - 0.5) ** 2 + 10 * data[o + 3] +
      5 * data[o + 4] + noise * normal(rng);
  }
  return { x: { rows: n, cols: nFeatures, data }, y };
}

/** The config that the synthetic games score best with (before noise). */
export const SYNTHETIC_OPTIMUM: Pick<
  SchedConfig,
  "slice_us" | "input_window_us" | "mig_max" | "mm_affinity"
> = {
  slice_us: 7,
  input_window_us: 1500,
  mig_max: 2,
  mm_affinity: true,
};

/**
 * Training-CSV rows (header = every column of lib/store/columns.ts) for `games`, `perGame` samples
 * each. Configs vary slice_us 1..16, input_window_us 0..3000, mig_max 1..6 and mm_affinity; select_cpu
 * latency grows with the distance from {@linkcode SYNTHETIC_OPTIMUM}, so the score peaks there.
 */
export function syntheticTrainingRows(
  options: { rng: Rng; games?: readonly string[]; perGame?: number },
): { header: string[]; rows: string[][] } {
  const { rng, games = ["alpha", "beta"], perGame = 60 } = options;
  const rows: string[][] = [];
  games.forEach((game, g) => {
    const baseLatency = 800 + 200 * g;
    for (let k = 0; k < perGame; k++) {
      const config: SchedConfig = {
        ...defaultConfig(),
        slice_us: 1 + rng.int(16),
        input_window_us: 250 * rng.int(13),
        mig_max: 1 + rng.int(6),
        mm_affinity: rng.next() < 0.5,
      };
      const o = SYNTHETIC_OPTIMUM;
      const penalty = 0.01 * (config.slice_us - o.slice_us) ** 2 +
        0.3 * ((config.input_window_us - o.input_window_us) / 1000) ** 2 +
        0.05 * (config.mig_max - o.mig_max) ** 2;
      // Cache affinity shortens wakeup paths: a clear effect the model must pick up.
      const affinity = config.mm_affinity ? 0.93 : 1;
      const latency = baseLatency * affinity * (1 + penalty) * (1 + 0.02 * normal(rng));
      const lat = {
        avg_ns: latency,
        p50_ns: latency * 0.9,
        p99_ns: latency * 3,
        p999_ns: latency * 6,
        count: 1000,
      };
      const threads = { ...emptyThreadCounts(), game: 20 + 10 * g, input: 2, gpu_submit: 3, audio: 1 };
      const metrics = {
        interval_s: 5,
        latency: Object.fromEntries(HOT_PATHS.map((p) => [p, { ...lat }])) as Sample["metrics"]["latency"],
        enqueues_per_sec: 20_000 + 100 * rng.int(50),
        dispatches_per_sec: 19_000 + 100 * rng.int(50),
        migration_block_rate: Math.min(1, 0.05 * config.mig_max * rng.next()),
        mm_hint_hit_rate: config.mm_affinity ? 0.85 + 0.1 * rng.next() : 0.05 + 0.1 * rng.next(),
        direct_dispatch_rate: (config.mm_affinity ? 0.8 : 0.5) + 0.1 * rng.next(),
        cpu_util_pct: 40 + 20 * g + 5 * rng.next(),
        preempt_kicks_per_sec: 10 * rng.int(10),
        input_events_per_sec: 100 + rng.int(200),
        smooth: null,
      };
      const s = score({
        select_cpu_latency_ns: metrics.latency.select_cpu.avg_ns,
        mm_hint_hit_rate: metrics.mm_hint_hit_rate,
        direct_dispatch_rate: metrics.direct_dispatch_rate,
        migration_block_rate: metrics.migration_block_rate,
      });
      const sample: Sample = {
        timestamp: 1_700_000_000 + g * 10_000 + k * 5,
        game_name: game,
        cpu_model: "Synthetic CPU 8-Core",
        config,
        metrics,
        threads,
        game: {
          name: game,
          tgid: 1000 + g,
          app_id: null,
          source: "forced",
          thread_count: 30 + 10 * g,
          cpu_pct: 150,
        },
        policy_version: POLICY_VERSION,
        score: s,
        // Synthetic games are scored by the original formula only: no smoothness is simulated.
        smooth_score: null,
      };
      rows.push(COLUMNS.map((c) => {
        const v = c.get(sample);
        return typeof v === "boolean" ? (v ? "1" : "0") : String(v);
      }));
    }
  });
  return { header: COLUMNS.map((c) => c.name), rows };
}
