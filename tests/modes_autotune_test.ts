import assert from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { autotunedProfile, autotuneDriver, type AutotuneOptions, workloadOf } from "../lib/modes/autotune.ts";
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

/** An autotune driver over the one profile `own` (of Doom), windows of 10 s after 1 s, 3 pairs a candidate. */
function driverOf(own: GameProfile, over: Partial<AutotuneOptions> = {}) {
  return autotuneDriver({
    base: defaultConfig(),
    profiles: { load: (g) => (g.toLowerCase().startsWith("doom") ? own : null), list: () => [own] },
    mlDir: "unused",
    cpuModel: "Test CPU",
    target: "score",
    windowS: 10,
    settleS: 1,
    pairs: 3,
    log: () => {},
    save: () => Promise.resolve("mem"),
    rng: createRng(1),
    ...over,
  });
}

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
  const d = driverOf(own, {
    log: (l) => lines.push(l),
    save: (p) => {
      saved.push(p);
      return Promise.resolve("mem");
    },
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

Deno.test("the driver tries the model's best, then the profile's configs to confirm, before any grid neighbour", () => {
  const confirm1 = { ...defaultConfig(), [num.key]: num.max };
  const confirm2 = { ...defaultConfig(), [num.key]: num.min };
  const modelBest = { ...defaultConfig(), slice_lag_us: 5000 };
  const own = makeProfile("Doom", { toConfirm: [confirm1, defaultConfig(), confirm2] });
  const candidates = (best: typeof modelBest | null) => {
    const d = driverOf(own, { modelBest: () => best });
    d.start();
    assert.deepEqual(d.onGame(game, 0, emptyThreadCounts())?.apply, defaultConfig(), "the incumbent first");
    // Each window: settle 1 s, measure 10 s with one sample; windows go I C, C I, I C for each candidate.
    const applied = [];
    for (let w = 0, t = 0; w < 12; w++) {
      d.tick(t += 1000);
      d.onSample(makeSample(w));
      const step = d.tick(t += 10_000);
      if (step.apply) applied.push(step.apply);
    }
    return applied.filter((c) => JSON.stringify(c) !== JSON.stringify(defaultConfig()));
  };
  // Model best, then the profile's list (the incumbent in it skipped), in that order: 12 windows are two
  // candidates of 3 pairs each.
  const distinct = (cs: object[]) => [...new Set(cs.map((c) => JSON.stringify(c)))].map((c) => JSON.parse(c));
  assert.deepEqual(distinct(candidates(modelBest)), [modelBest, confirm1]);
  assert.deepEqual(distinct(candidates(null)), [confirm1, confirm2], "no model: the profile's list first");
});
