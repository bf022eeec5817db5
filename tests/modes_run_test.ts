import assert from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { baseConfig, storeProfiles } from "../lib/modes/run.ts";
import { saveProfile } from "../lib/store/profile.ts";
import { makeProfile } from "./fixtures/profile.ts";
import { tempDir } from "./fixtures/temp.ts";

const [a, b] = TUNABLES.filter((t) => t.kind === "number");

Deno.test("the base config is the defaults, then the --config file, then the tunable flags given", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/c.json`, JSON.stringify({ [a.key]: a.min, [b.key]: b.min }));
  const base = baseConfig({ configFile: `${dir}/c.json`, given: { [b.key]: b.max } });
  assert.equal(base[a.key], a.min);
  assert.equal(base[b.key], b.max);
  assert.deepEqual(baseConfig({ configFile: null, given: {} }), defaultConfig());
});

Deno.test("the store's profiles: a game's own by any spelling, a broken file reported and skipped", async () => {
  const ml = tempDir();
  await saveProfile(ml, makeProfile("Doom.exe"));
  const lines: string[] = [];
  const source = storeProfiles(ml, "Test CPU", (l) => lines.push(l));
  assert.equal(source.load("doom")?.game, "Doom.exe");
  assert.equal(source.load("quake"), null);
  Deno.writeTextFileSync(`${ml}/Test CPU/profiles/broken.json`, "{");
  assert.equal(source.list().length, 1);
  assert.match(lines.join("\n"), /broken\.json/);
});
