/**
 * Which known game a new game resembles, by the workload features the forest uses (thread-class
 * counts, CPU use, input rate, ...), so that a game with no profile yet can start from the profile of
 * the most similar one.
 *
 * Distance: over the features both the new game and a profile have, each difference is divided by
 * that feature's standard deviation across the new game and every profile having it (so thread counts,
 * percentages and event rates weigh alike), and the distance is the root mean square of those scaled
 * differences. A feature on which everyone agrees (zero spread) carries no information and is skipped.
 * Ties go to the profile whose game key sorts first.
 *
 * @module
 */

import type { GameProfile } from "../types.ts";

/** The chosen profile, how far it is, and the features compared. */
export interface SimilarProfile {
  profile: GameProfile;
  /** Root mean square of the standardised differences (0 = the same workload). */
  distance: number;
  /** Features compared. */
  features: string[];
}

function spread(values: readonly number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
}

/** Each feature's standard deviation over the query and the profiles that have it. */
function featureScales(
  workload: Readonly<Record<string, number>>,
  profiles: readonly GameProfile[],
): Map<string, number> {
  const scales = new Map<string, number>();
  for (const [name, value] of Object.entries(workload)) {
    if (!Number.isFinite(value)) continue;
    const values = [value, ...profiles.map((p) => p.workload[name]).filter((v) => Number.isFinite(v))];
    scales.set(name, spread(values));
  }
  return scales;
}

/**
 * The profile whose workload is nearest to `workload` (see the module doc), or null when no profile
 * shares a feature with it. Profiles of `options.exclude` (a game key) are not candidates.
 *
 * @example
 * ```ts
 * const near = mostSimilarProfile({ game_count: 40, game_cpu_pct: 310 }, profiles);
 * near?.profile.game; // the known game whose threads and CPU use look most alike
 * ```
 */
export function mostSimilarProfile(
  workload: Readonly<Record<string, number>>,
  profiles: readonly GameProfile[],
  options: { exclude?: string | null } = {},
): SimilarProfile | null {
  const candidates = profiles.filter((p) => p.gameKey !== (options.exclude ?? null));
  const scales = featureScales(workload, candidates);
  let best: SimilarProfile | null = null;
  for (const profile of candidates) {
    const features = [...scales.keys()].filter((f) => Number.isFinite(profile.workload[f]));
    if (features.length === 0) continue;
    let sum = 0, used = 0;
    for (const f of features) {
      const s = scales.get(f)!;
      if (s === 0) continue;
      sum += ((workload[f] - profile.workload[f]) / s) ** 2;
      used++;
    }
    const distance = used === 0 ? 0 : Math.sqrt(sum / used);
    const better = best === null || distance < best.distance ||
      (distance === best.distance && profile.gameKey < best.profile.gameKey);
    if (better) best = { profile, distance, features };
  }
  return best;
}
