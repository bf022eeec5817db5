import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { defaultConfig } from "../lib/config.ts";
import {
  formatProfile,
  listProfiles,
  loadProfile,
  parseProfile,
  ProfileError,
  profilePath,
  saveProfile,
} from "../lib/store/profile.ts";
import type { GameProfile } from "../lib/types.ts";
import { tempDir } from "./fixtures/temp.ts";

const CPU = "AMD Ryzen 7 7800X3D 8-Core Processor";
const PROFILE: GameProfile = {
  game: "Doom.exe",
  gameKey: "doom",
  cpuModel: CPU,
  config: { ...defaultConfig(), slice_us: 5 },
  unmeasured: ["avoid_smt"],
  objective: { name: "smooth_score", direction: "max", predicted: 87.4 },
  provenance: {
    samples: 240,
    trainedAt: "2026-01-02T03:04:05.000Z",
    modelSha256: "ab".repeat(32),
    source: "d.csv",
    cvR2: 0.61,
  },
  workload: { cpu_util_pct: 41.5, game_count: 22 },
};

Deno.test("a profile lives in the CPU folder's profiles/ folder, named by the game's key", () => {
  strictEqual(profilePath("ml", { cpuModel: CPU, game: "DOOM.exe" }), `ml/${CPU}/profiles/doom.json`);
  ok(!profilePath("ml", { cpuModel: "../../x", game: "../../etc/passwd" }).includes("../"));
});

Deno.test("a saved profile loads back equal, under any spelling of the game's name", async () => {
  const ml = tempDir();
  const path = await saveProfile(ml, PROFILE);
  strictEqual(path, profilePath(ml, { cpuModel: CPU, game: "doom" }));
  deepStrictEqual(loadProfile(ml, { cpuModel: CPU, game: "doom" }), PROFILE);
  deepStrictEqual(loadProfile(ml, { cpuModel: CPU, game: "Doom.EXE" }), PROFILE);
  strictEqual(loadProfile(ml, { cpuModel: CPU, game: "quake" }), null);
  strictEqual(loadProfile(ml, { cpuModel: "Other CPU", game: "doom" }), null);
  ok(formatProfile(PROFILE).startsWith('{\n  "format": "scx_gamer-profile",\n  "version": 1,'));
});

Deno.test("a profile's configs to confirm load back in order", async () => {
  const ml = tempDir();
  const toConfirm = [{ ...defaultConfig(), slice_us: 50 }, { ...defaultConfig(), parity_us: 4000 }];
  await saveProfile(ml, { ...PROFILE, toConfirm });
  deepStrictEqual(loadProfile(ml, { cpuModel: CPU, game: "doom" })?.toConfirm, toConfirm);
});

Deno.test("every profile of a CPU model is listed for borrowing; bad files are skipped with one line", async () => {
  const ml = tempDir();
  await saveProfile(ml, PROFILE);
  await saveProfile(ml, { ...PROFILE, game: "Quake", gameKey: "quake" });
  Deno.writeTextFileSync(`${ml}/${CPU}/profiles/broken.json`, "{");
  const { profiles, warnings } = listProfiles(ml, CPU);
  deepStrictEqual(profiles.map((p) => p.gameKey), ["doom", "quake"]);
  strictEqual(warnings.length, 1);
  ok(warnings[0].includes("broken.json: not valid JSON"), warnings[0]);
  deepStrictEqual(listProfiles(ml, "No CPU"), { profiles: [], warnings: [] });
});

Deno.test("a profile whose config is out of the tunables' ranges is refused on load and on save", async () => {
  const bad = (edit: object) => formatProfile({ ...PROFILE, ...edit } as GameProfile);
  const cases: [object, RegExp][] = [
    [{ config: { ...defaultConfig(), slice_us: -5 } }, /config: --slice-us -5 is out of range/],
    [{ config: { ...defaultConfig(), mig_max: 1e21 } }, /config: --mig-max 1e\+21 is out of range/],
    [{ config: { ...defaultConfig(), bogus: 1 } }, /config: unknown tunable "bogus"/],
    [{ gameKey: "quake" }, /gameKey "quake" is not the key of the game name/],
    [{ objective: { name: "score", direction: "min", predicted: 1 } }, /objective/],
    [{ provenance: { ...PROFILE.provenance, modelSha256: "x" } }, /provenance/],
    [{ workload: { game_count: "many" } }, /workload/],
    [{ unmeasured: ["nope"] }, /unmeasured/],
    [
      { toConfirm: [defaultConfig(), { ...defaultConfig(), slice_us: -5 }] },
      /toConfirm\[1\]: --slice-us -5 is out/,
    ],
    [{ toConfirm: [{ ...defaultConfig(), bogus: 1 }] }, /toConfirm\[0\]: unknown tunable "bogus"/],
    [{ toConfirm: defaultConfig() }, /toConfirm: expected a list of at most 12 configs/],
    [{ toConfirm: Array(13).fill(defaultConfig()) }, /toConfirm: expected a list/],
  ];
  for (const [edit, pattern] of cases) {
    throws(
      () => parseProfile(bad(edit), "p.json"),
      (e: Error) => e instanceof ProfileError && e.message.startsWith("p.json: ") && pattern.test(e.message),
      pattern.source,
    );
  }
  throws(
    () => parseProfile(JSON.stringify({ ...PROFILE, format: "scx_gamer-profile", version: 2 }), "p.json"),
    /version 2/,
  );
  await rejects(
    saveProfile(tempDir(), { ...PROFILE, config: { ...defaultConfig(), slice_us: 0 } }),
    ProfileError,
  );
});

Deno.test("a profile file that holds another game, a symlink or a huge file is refused", async () => {
  const ml = tempDir();
  const path = await saveProfile(ml, PROFILE);
  Deno.renameSync(path, profilePath(ml, { cpuModel: CPU, game: "quake" }));
  throws(() => loadProfile(ml, { cpuModel: CPU, game: "quake" }), /holds Doom\.exe on .*, not quake/);
  Deno.symlinkSync(
    profilePath(ml, { cpuModel: CPU, game: "quake" }),
    profilePath(ml, { cpuModel: CPU, game: "doom" }),
  );
  throws(() => loadProfile(ml, { cpuModel: CPU, game: "doom" }), /symlink/);
  Deno.removeSync(profilePath(ml, { cpuModel: CPU, game: "doom" }));
  Deno.writeTextFileSync(profilePath(ml, { cpuModel: CPU, game: "doom" }), " ".repeat(1024 * 1024 + 1));
  throws(() => loadProfile(ml, { cpuModel: CPU, game: "doom" }), /larger than the 1048576 bytes/);
});

Deno.test("saving refuses a CPU folder that is a symlink", async () => {
  const ml = tempDir();
  Deno.mkdirSync(`${ml}/elsewhere`);
  Deno.symlinkSync(`${ml}/elsewhere`, `${ml}/${CPU}`);
  await rejects(saveProfile(ml, PROFILE), /symlink/);
  deepStrictEqual([...Deno.readDirSync(`${ml}/elsewhere`)], []);
});
