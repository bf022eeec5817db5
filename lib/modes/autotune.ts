/**
 * What `--ml-autotune` wires together for the run mode: per game, an {@link AutotunePlan} whose incumbent
 * is the game's profile (else the base config), whose candidates are the trained model's best config
 * (when training left one for the game) and then the incumbent's neighbours on the sweep grid, judged by
 * lib/ml/autotune.ts's rule on the objective; a kept candidate is saved as the game's profile at once,
 * with what it was measured on.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { configToArgs, DEFAULT_SWEEP_GRID, sameConfig, type SchedConfig } from "../config.ts";
import { gameKey } from "../game_key.ts";
import { defaultOwner } from "../host/safe_fs.ts";
import { printable } from "../host/terminal.ts";
import { autotuneDecision, type Candidate, nextCandidates } from "../ml/autotune.ts";
import { WORKLOAD_FEATURES } from "../ml/features.ts";
import { createRng, type Rng } from "../ml/rng.ts";
import { findObjective } from "../score.ts";
import { columnValue } from "../store/columns.ts";
import { saveProfile } from "../store/profile.ts";
import type { GameInfo, GameProfile, Objective, Sample } from "../types.ts";
import { chooseObjective, windowValue } from "./objective.ts";
import { AutotuneDriver } from "./autotune_driver.ts";
import { AutotunePlan } from "./autotune_plan.ts";
import type { ProfileSource } from "./profile_driver.ts";

/** Most candidates tried per game and session. */
export const MAX_CANDIDATES = 12;

/** Options of {@link autotuneDriver}. */
export interface AutotuneOptions {
  base: SchedConfig;
  profiles: ProfileSource;
  mlDir: string;
  cpuModel: string;
  /** An objective of lib/score.ts, or null for the default (smooth_score when samples carry it). */
  target: string | null;
  windowS: number;
  settleS: number;
  pairs: number;
  /** The trained model's best config for a game, when training left one. */
  modelBest?: (game: string) => SchedConfig | null;
  log: (line: string) => void;
  /** Saves a kept config as the game's profile. Default: lib/store/profile.ts's saveProfile. */
  save?: (profile: GameProfile) => Promise<string>;
  rng?: Rng;
  now?: () => Date;
}

/** The median of each workload feature over samples (what a profile records of its game). */
export function workloadOf(samples: readonly Sample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of WORKLOAD_FEATURES) {
    const v = samples.map((s) => columnValue(s, f)).filter((x): x is number => x !== null).sort((a, b) =>
      a - b
    );
    if (v.length > 0) out[f] = v[Math.floor(v.length / 2)];
  }
  return out;
}

/** The profile of a config the autotuner kept, with what it was measured on. */
export function autotunedProfile(parts: {
  game: string;
  cpuModel: string;
  config: SchedConfig;
  objective: Objective;
  windows: { incumbent: readonly number[]; candidate: readonly number[]; samples: number };
  against: SchedConfig;
  workload: Record<string, number>;
  at: Date;
}): GameProfile {
  const { windows } = parts;
  const evidence = JSON.stringify({ config: parts.config, against: parts.against, windows });
  return {
    game: parts.game,
    gameKey: gameKey(parts.game),
    cpuModel: parts.cpuModel,
    config: parts.config,
    unmeasured: [],
    objective: {
      name: parts.objective.name,
      direction: parts.objective.direction,
      predicted: windows.candidate.reduce((a, b) => a + b, 0) / windows.candidate.length,
    },
    provenance: {
      samples: Math.max(1, windows.samples),
      trainedAt: parts.at.toISOString(),
      modelSha256: createHash("sha256").update(evidence).digest("hex"),
      source: `autotune: ${windows.candidate.length} window pairs against ${
        configToArgs(parts.against).join(" ")
      }`,
      cvR2: null,
    },
    workload: parts.workload,
  };
}

/** The `--ml-autotune` driver for the run mode (see the module doc). */
export function autotuneDriver(o: AutotuneOptions): AutotuneDriver {
  const rng = o.rng ?? createRng(Date.now() >>> 0);
  const save = o.save ?? ((p: GameProfile) => saveProfile(o.mlDir, p, { owner: defaultOwner() }));
  const planFor = (game: GameInfo) => {
    const profile = o.profiles.load(game.name);
    const incumbent = profile?.config ?? o.base;
    let objective: Objective | null = o.target === null ? null : findObjective(o.target);
    const seen: Sample[] = [];
    // The trained model's best first, then what training left to confirm (lib/ml/train.ts toConfirm).
    const fromTraining = [o.modelBest?.(game.name) ?? null, ...(profile?.toConfirm ?? [])]
      .filter((c) => c !== null);
    o.log(`scx_gamer: tuning "${printable(game.name)}" from ${configToArgs(incumbent).join(" ")}`);
    return new AutotunePlan({
      incumbent,
      pairs: o.pairs,
      windowS: o.windowS,
      settleS: o.settleS,
      nextCandidate: (inc, tried) => pickCandidate(inc, tried, { fromTraining, rng }),
      valueOf: (result) => {
        objective ??= chooseObjective(null, result.samples);
        seen.push(...result.samples.slice(-20));
        if (seen.length > 200) seen.splice(0, seen.length - 200);
        return windowValue(result, objective);
      },
      decide: (inc, cand) =>
        autotuneDecision({ incumbent: inc, candidate: cand, direction: objective!.direction }, { rng }),
      onDecision: (candidate, decision, windows, against) => {
        const flags = configToArgs(candidate.config).join(" ");
        o.log(
          `scx_gamer: autotune "${printable(game.name)}": ${
            decision.keep ? "kept" : "rejected"
          } ${flags} (${decision.reason})`,
        );
        if (!decision.keep) return;
        const profile = autotunedProfile({
          game: game.name,
          cpuModel: o.cpuModel,
          config: candidate.config,
          objective: objective!,
          windows,
          against,
          workload: workloadOf(seen),
          at: (o.now ?? (() => new Date()))(),
        });
        save(profile).then(
          (path) => o.log(`scx_gamer: profile of "${printable(game.name)}" saved to ${printable(path)}`),
          (e) =>
            o.log(
              `scx_gamer: the profile of "${printable(game.name)}" could not be saved: ${
                printable((e as Error).message)
              }`,
            ),
        );
      },
    });
  };
  return new AutotuneDriver({ base: o.base, planFor });
}

/**
 * The next candidate: the first of `fromTraining` (the trained model's best, then the profile's configs to
 * confirm) that is neither the incumbent nor tried, then the incumbent's grid neighbours.
 */
function pickCandidate(
  incumbent: SchedConfig,
  tried: readonly SchedConfig[],
  o: { fromTraining: readonly SchedConfig[]; rng: Rng },
): Candidate | null {
  if (tried.length >= MAX_CANDIDATES) return null;
  const next = o.fromTraining.find((c) => !sameConfig(c, incumbent) && !tried.some((t) => sameConfig(t, c)));
  if (next !== undefined) return { config: next, source: "forest", predicted: null };
  return nextCandidates({ incumbent, tried, grid: DEFAULT_SWEEP_GRID }, { rng: o.rng, count: 1 })[0] ?? null;
}
