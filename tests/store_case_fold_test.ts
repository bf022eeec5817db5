import assert from "node:assert/strict";
import { join } from "node:path";
import { GameStore } from "../lib/store/game_store.ts";
import { foldsCase } from "../lib/host/case_fold.ts";
import { readAllStores } from "../lib/store/store_dir.ts";
import { makeSample } from "./fixtures/sample.ts";
import { tempDir } from "./fixtures/temp.ts";

/** Run a command; throw with its output when it fails. */
function run(cmd: string, args: string[]): void {
  const out = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * A real exFAT file system (mkfs.exfat from exfatprogs, mounted with exfat-fuse through a loop device;
 * scripts/setup.sh installs both), unmounted and detached by `close`.
 */
function mountExfat(): { dir: string; close: () => void } {
  const base = tempDir();
  const image = join(base, "exfat.img");
  Deno.writeFileSync(image, new Uint8Array(0));
  Deno.truncateSync(image, 16 * 1024 * 1024);
  run("mkfs.exfat", [image]);
  const out = new Deno.Command("losetup", { args: ["--find", "--show", image], stdout: "piped" })
    .outputSync();
  assert.ok(out.success, "losetup could not attach the image");
  const loop = new TextDecoder().decode(out.stdout).trim();
  const dir = join(base, "mnt");
  Deno.mkdirSync(dir);
  try {
    // umask=022: a folder only root can write, as the store requires of every folder it writes in.
    run("mount.exfat-fuse", ["-o", "umask=022", loop, dir]);
  } catch (err) {
    run("losetup", ["-d", loop]);
    throw err;
  }
  return {
    dir,
    close: () => {
      run("umount", [dir]);
      run("losetup", ["-d", loop]);
    },
  };
}

function collect(
  ml: string,
  game: string,
  from: number,
  n: number,
  options: { caseInsensitive?: boolean } = {},
) {
  const store = GameStore.open(ml, {
    cpuModel: "cpu",
    gameName: game,
    owner: null,
    log: (l) => logs.push(l),
    ...options,
  });
  for (let i = from; i < from + n; i++) store.add(makeSample(i, { game, cpu: "cpu" }));
  store.close();
}

const logs: string[] = [];

Deno.test("on a real exFAT file system Game and game keep their own files, round after round", () => {
  const fsys = mountExfat();
  try {
    const ml = join(fsys.dir, "ml_data");
    logs.length = 0;
    for (let round = 0; round < 3; round++) {
      collect(ml, "Game", round * 10, 3);
      collect(ml, "game", 1000 + round * 10, 2);
      collect(ml, "GAME", 2000 + round * 10, 1);
    }
    assert.equal(foldsCase(join(ml, "cpu")), true);
    const { games, warnings } = readAllStores(ml);
    assert.deepEqual(warnings, []);
    assert.deepEqual(logs, [], "nothing was moved aside");
    const count = Object.fromEntries(games.map((g) => [g.doc.game_name, g.doc.samples.length]));
    assert.deepEqual(count, { Game: 9, game: 6, GAME: 3 });
    for (const g of games) assert.ok(g.doc.samples.every((s) => s.game_name === g.doc.game_name));
    const names = [...Deno.readDirSync(join(ml, "cpu"))].map((e) => e.name);
    assert.equal(names.length, 3);
    assert.ok(!names.some((n) => n.includes(".corrupt-")), names.join());
  } finally {
    fsys.close();
  }
});

Deno.test("a case-sensitive folder keeps plain names; the probe leaves nothing behind", () => {
  const ml = tempDir();
  collect(ml, "Game", 0, 1);
  assert.equal(foldsCase(join(ml, "cpu")), false);
  assert.deepEqual([...Deno.readDirSync(join(ml, "cpu"))].map((e) => e.name), ["Game.json"]);
});

Deno.test("with case folding injected, names with capitals get their hash and lower-case ones stay plain", () => {
  const ml = tempDir();
  collect(ml, "Game", 0, 1, { caseInsensitive: true });
  collect(ml, "game", 1, 1, { caseInsensitive: true });
  const names = [...Deno.readDirSync(join(ml, "cpu"))].map((e) => e.name).sort();
  assert.equal(names.length, 2);
  assert.match(names[0], /^Game-[0-9a-f]{10}\.json$/);
  assert.equal(names[1], "game.json");
});

Deno.test("a plain file holding a game that differs only in case is left alone: the newcomer takes the hashed name", () => {
  const ml = tempDir();
  collect(ml, "Game", 0, 2);
  // As if the folder folded case: "game" finds Game's file under its own plain name.
  Deno.renameSync(join(ml, "cpu", "Game.json"), join(ml, "cpu", "game.json"));
  logs.length = 0;
  collect(ml, "game", 100, 1);
  assert.deepEqual(logs, []);
  const { games } = readAllStores(ml);
  const count = Object.fromEntries(games.map((g) => [g.doc.game_name, g.doc.samples.length]));
  assert.deepEqual(count, { Game: 2, game: 1 });
});
