import assert from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { autotunedProfile, autotuneDriver, workloadOf } from "../lib/modes/autotune.ts";
import { findObjective } from "../lib/score.ts";
import { formatProfile, parseProfile } from "../lib/store/profile.ts";
import { emptyThreadCounts, type GameInfo, type GameProfile } from "../lib/types.ts";
import { createRng } from "../lib/ml/rng.ts";
import { makeSample } from "./fixtures/sample.ts";
import { makeProfile } from "./fixtures/profile.ts";

const num = TUNABLES.find((t) => t.kind === "number")!;
const game: GameInfo = {
  name: "Doom.exe",
  tgid: 42,
  app_id: null,
  source: "wine",
  thread_count: 30,
  cpu_pct: 200,
};

Deno.test("an autotuned profile records the measured windows and validates like a trained one", () => {
  const profile = autotunedProfile({
    game: "Doom.exe",
    cpuModel: "Test CPU",
    config: { ...defaultConfig(), [num.key]: num.min },
    objective: findObjective("score")!,
    windows: { incumbent: [10, 11, 10], candidate: [12, 13, 12], samples: 30 },
    against: defaultConfig(),
    workload: workloadOf([makeSample(0), makeSample(1), makeSample(2)]),
    at: new Date(0),
  });
  assert.equal(profile.objective.predicted, 37 / 3);
  assert.equal(profile.provenance.cvR2, null);
  assert.match(profile.provenance.source, /^autotune: 3 window pairs against /);
  assert.deepEqual(parseProfile(formatProfile(profile), "p.json"), profile);
  assert.ok(Object.keys(profile.workload).includes("game_thread_count"));
});

Deno.test("the driver starts a game from its profile and tries candidates against it", () => {
  const own = makeProfile("Doom", { config: { ...defaultConfig(), [num.key]: num.max } });
  const lines: string[] = [];
  const saved: GameProfile[] = [];
  const d = autotuneDriver({
    base: defaultConfig(),
    profiles: { load: (g) => (g.toLowerCase().startsWith("doom") ? own : null), list: () => [own] },
    mlDir: "unused",
    cpuModel: "Test CPU",
    target: "score",
    windowS: 10,
    settleS: 1,
    pairs: 3,
    log: (l) => lines.push(l),
    save: (p) => {
      saved.push(p);
      return Promise.resolve("mem");
    },
    rng: createRng(1),
  });
  assert.deepEqual(d.start().apply, defaultConfig());
  const first = d.onGame(game, 0, emptyThreadCounts());
  assert.deepEqual(first?.apply, own.config);
  assert.equal(first?.recording, false, "settling");
  assert.match(lines[0], /^scx_gamer: tuning "Doom\.exe" from /);
  assert.match(d.status(), /autotune: candidate 1/);
  const back = d.onGame(null, 5, null);
  assert.deepEqual(back?.apply, defaultConfig(), "the game exited: the base config returns");
});
