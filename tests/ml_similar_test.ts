import { ok, strictEqual } from "node:assert/strict";
import { defaultConfig } from "../lib/config.ts";
import { gameKey } from "../lib/game_key.ts";
import { mostSimilarProfile } from "../lib/ml/similar.ts";
import type { GameProfile } from "../lib/types.ts";

function profile(game: string, workload: Record<string, number>): GameProfile {
  return {
    game,
    gameKey: gameKey(game),
    cpuModel: "CPU",
    config: defaultConfig(),
    unmeasured: [],
    objective: { name: "score", direction: "max", predicted: 1 },
    provenance: {
      samples: 20,
      trainedAt: "2026-01-01T00:00:00.000Z",
      modelSha256: "0".repeat(64),
      source: "x",
      cvR2: 0.5,
    },
    workload,
  };
}

const shooter = profile("Shooter", { game_count: 40, game_cpu_pct: 300, input_events_per_sec: 900 });
const strategy = profile("Strategy", { game_count: 12, game_cpu_pct: 150, input_events_per_sec: 50 });
const idle = profile("Idle", { game_count: 4, game_cpu_pct: 20, input_events_per_sec: 5 });
const all = [idle, shooter, strategy];

Deno.test("a new game borrows from the known game whose workload is nearest", () => {
  strictEqual(
    mostSimilarProfile({ game_count: 36, game_cpu_pct: 280, input_events_per_sec: 700 }, all)?.profile,
    shooter,
  );
  strictEqual(
    mostSimilarProfile({ game_count: 10, game_cpu_pct: 160, input_events_per_sec: 80 }, all)?.profile,
    strategy,
  );
});

Deno.test("features are standardised: a large unit does not drown the others", () => {
  // Raw distances would pick Shooter (input rate, in hundreds, dominates: 400 away vs 450); scaled, the
  // thread count and CPU use that match Strategy exactly weigh as much, and Strategy is nearest.
  const near = mostSimilarProfile({ game_count: 12, game_cpu_pct: 150, input_events_per_sec: 500 }, all);
  strictEqual(near?.profile, strategy);
  ok(near!.distance > 0);
});

Deno.test("only shared features are compared; a game's own profile can be excluded", () => {
  const partial = profile("Partial", { game_count: 40 });
  const near = mostSimilarProfile({ game_count: 40, game_cpu_pct: 20 }, [partial, idle]);
  ok(near !== null);
  strictEqual(mostSimilarProfile(shooter.workload, all)?.profile, shooter);
  strictEqual(mostSimilarProfile(shooter.workload, all)?.distance, 0);
  ok(mostSimilarProfile(shooter.workload, all, { exclude: "shooter" })?.profile !== shooter);
});

Deno.test("no profile sharing a feature gives null; ties go to the first game key", () => {
  strictEqual(mostSimilarProfile({ audio_count: 2 }, all), null);
  strictEqual(mostSimilarProfile({}, all), null);
  const a = profile("A", { game_count: 10 }), b = profile("B", { game_count: 30 });
  strictEqual(mostSimilarProfile({ game_count: 20 }, [b, a])?.profile, a);
});
