import assert from "node:assert/strict";
import { configToArgs, defaultConfig, TUNABLES } from "../lib/config.ts";
import { gameKey } from "../lib/game_key.ts";
import { ProfileDriver } from "../lib/modes/profile_driver.ts";
import { detectionWorkload } from "../lib/store/columns.ts";
import { emptyThreadCounts, type GameInfo, type GameProfile } from "../lib/types.ts";
import { makeProfile } from "./fixtures/profile.ts";

const num = TUNABLES.find((t) => t.kind === "number")!;
const game = (name: string, threads = 40, cpu = 300): GameInfo => ({
  name,
  tgid: 4242,
  app_id: null,
  source: "wine",
  thread_count: threads,
  cpu_pct: cpu,
});
const counts = { ...emptyThreadCounts(), game: 30, input: 1, gpu_submit: 2, audio: 1 };

function driver(profiles: GameProfile[], base = defaultConfig()) {
  const lines: string[] = [];
  const d = new ProfileDriver({
    profiles: {
      load: (g) => profiles.find((p) => p.gameKey === gameKey(g)) ?? null,
      list: () => profiles,
    },
    base,
    workloadOf: detectionWorkload,
    log: (l) => lines.push(l),
  });
  return { d, lines };
}

Deno.test("a game with a profile gets it applied live, with one line naming the game and the flags", () => {
  const config = { ...defaultConfig(), [num.key]: num.min };
  const { d, lines } = driver([makeProfile("Doom", { config })]);
  assert.deepEqual(d.start().apply, defaultConfig());
  const step = d.onGame(game("DOOM"), 0, counts);
  assert.deepEqual(step?.apply, config);
  assert.equal(lines.length, 1);
  assert.equal(lines[0], `scx_gamer: profile of "DOOM" applied: ${configToArgs(config).join(" ")}`);
  assert.equal(d.applied?.borrowed, false);
});

Deno.test("when the game exits the base config returns, and the line says so", () => {
  const base = { ...defaultConfig(), [num.key]: num.max };
  const { d, lines } = driver(
    [makeProfile("Doom", { config: { ...defaultConfig(), [num.key]: num.min } })],
    base,
  );
  d.onGame(game("Doom"), 0, counts);
  const back = d.onGame(null, 1, null);
  assert.deepEqual(back?.apply, base);
  assert.match(lines[1], /^scx_gamer: "Doom" exited: back to /);
  assert.equal(d.applied, null);
  assert.equal(d.onGame(null, 2, null), null, "nothing to undo twice");
});

Deno.test("a game with no profile borrows the most similar known game's, and the line names it", () => {
  const small = makeProfile("Indie", {
    config: { ...defaultConfig(), [num.key]: num.min },
    workload: { game_thread_count: 8, game_cpu_pct: 40, gpu_submit_count: 1 },
  });
  const big = makeProfile("Cyberpunk2077", {
    config: { ...defaultConfig(), [num.key]: num.max },
    workload: { game_thread_count: 60, game_cpu_pct: 350, gpu_submit_count: 3 },
  });
  const { d, lines } = driver([small, big]);
  const step = d.onGame(game("NewOpenWorld", 55, 320), 0, counts);
  assert.deepEqual(step?.apply, big.config);
  assert.match(
    lines[0],
    /^scx_gamer: "NewOpenWorld" has no profile yet: borrowed the profile of "Cyberpunk2077"/,
  );
  assert.equal(d.applied?.borrowed, true);
  assert.match(d.status(), /borrowed from "Cyberpunk2077"/);
});

Deno.test("with no profile at all the base config stays and the line says so", () => {
  const { d, lines } = driver([]);
  assert.equal(d.onGame(game("Doom"), 0, counts), null);
  assert.match(lines[0], /no profile for "Doom" or a game like it/);
});

Deno.test("a hostile game name is escaped in the line", () => {
  const { d, lines } = driver([]);
  d.onGame(game("evil\x1b[2J"), 0, counts);
  assert.ok(!lines[0].includes("\x1b"));
});

/** A driver told `--game forced`, with one profile: Doom's, at the lowest value of a number tunable. */
function forcedDriver(forced: string) {
  const config = { ...defaultConfig(), [num.key]: num.min };
  const lines: string[] = [];
  const d = new ProfileDriver({
    profiles: {
      load: (g) => (gameKey(g) === "doom" ? makeProfile("Doom", { config }) : null),
      list: () => [],
    },
    base: defaultConfig(),
    workloadOf: detectionWorkload,
    log: (l) => lines.push(l),
    forcedGame: forced,
  });
  return { d, lines, config };
}

Deno.test("with --game the game's profile applies from the start, once", () => {
  const { d, lines, config } = forcedDriver("Doom");
  assert.deepEqual(d.start().apply, config);
  assert.equal(d.onGame(game("Doom"), 0, counts), null, "no second apply when it appears");
  assert.equal(lines.length, 1);
});

Deno.test("with --game Doom.exe the profile is not applied again when the game is detected as Doom", () => {
  const { d, lines, config } = forcedDriver("Doom.exe");
  assert.deepEqual(d.start().apply, config);
  assert.equal(d.onGame(game("doom"), 0, counts), null, "one game, one apply");
  assert.deepEqual(lines, [`scx_gamer: profile of "Doom.exe" applied: ${configToArgs(config).join(" ")}`]);
});
