import assert from "node:assert/strict";
import { join } from "node:path";
import { GameStore } from "../lib/store/game_store.ts";
import { UnsafePathError } from "../lib/host/safe_fs.ts";
import { isSamplesFileName, readAllStores } from "../lib/store/store_dir.ts";
import { makeSample } from "./fixtures/sample.ts";
import { tempDir } from "./fixtures/temp.ts";

function store(ml: string, cpu: string, game: string, n: number): void {
  const s = GameStore.open(ml, { cpuModel: cpu, gameName: game, owner: null, log: () => {} });
  for (let i = 0; i < n; i++) s.add(makeSample(i, { cpu, game }));
  s.close();
}

Deno.test("isSamplesFileName takes game files and leaves out temp files and files kept aside", () => {
  assert.equal(isSamplesFileName("Cyberpunk2077.json"), true);
  assert.equal(isSamplesFileName(".Cyberpunk2077.json.tmp-1-2-ab"), false);
  assert.equal(isSamplesFileName("Cyberpunk2077.corrupt-20250101T000000Z.json"), false);
  assert.equal(isSamplesFileName("README.md"), false);
});

Deno.test("readAllStores lists every game of every CPU model, sorted by folder then file", () => {
  const ml = tempDir();
  store(ml, "cpu B", "zeta", 1);
  store(ml, "cpu A", "beta", 2);
  store(ml, "cpu A", "alpha", 3);
  Deno.writeTextFileSync(join(ml, "README.md"), "notes");
  const { games, warnings } = readAllStores(ml);
  assert.deepEqual(games.map((g) => [g.doc.cpu_model, g.doc.game_name, g.doc.samples.length]), [
    ["cpu A", "alpha", 3],
    ["cpu A", "beta", 2],
    ["cpu B", "zeta", 1],
  ]);
  assert.deepEqual(warnings, []);
});

Deno.test("readAllStores gives an empty listing for a missing folder", () => {
  assert.deepEqual(readAllStores(join(tempDir(), "missing")), { games: [], warnings: [] });
});

Deno.test("readAllStores refuses a symlinked ml dir", () => {
  const real = tempDir();
  const link = join(tempDir(), "link");
  Deno.symlinkSync(real, link);
  assert.throws(() => readAllStores(link), UnsafePathError);
});

Deno.test("readAllStores warns about a symlinked game file and a corrupt one, and touches neither", () => {
  const ml = tempDir();
  store(ml, "cpu", "ok", 1);
  const victim = join(tempDir(), "victim.json");
  Deno.writeTextFileSync(victim, "{}");
  Deno.symlinkSync(victim, join(ml, "cpu", "link.json"));
  Deno.writeTextFileSync(join(ml, "cpu", "bad.json"), "[");
  const { games, warnings } = readAllStores(ml);
  assert.equal(games.length, 1);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^skipping .*bad\.json: not valid JSON/);
  assert.match(warnings[1], /link\.json: it is a symlink/);
  assert.equal(Deno.readTextFileSync(join(ml, "cpu", "bad.json")), "[");
  assert.equal(Deno.readTextFileSync(victim), "{}");
});

Deno.test("readAllStores warnings escape control characters of names and never echo file content", () => {
  const ml = tempDir();
  store(ml, "cpu", "ok", 1);
  const evil = "\x1b]0;PWNED\x07\x1b[2J\u009b31m";
  Deno.writeTextFileSync(join(ml, "cpu", `${evil}.json`), "{}");
  Deno.writeTextFileSync(join(ml, "cpu", "content.json"), "\x1b]0;OWNED\x07root:x:0:0:{");
  const { warnings } = readAllStores(ml);
  assert.equal(warnings.length, 2);
  for (const w of warnings) {
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(w, /[\x00-\x1f\x7f-\x9f]/);
    assert.doesNotMatch(w, /root:x|OWNED/);
  }
  assert.ok(warnings.some((w) => w.includes("\\x1b]0;PWNED\\x07")));
});
