import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { checkTrustedPath, trustFromEnv, type TrustPolicy, UnsafePathError } from "../lib/host/trust.ts";
import { prepareDir, writeFileAtomicSync } from "../lib/host/safe_fs.ts";
import { GameStore } from "../lib/store/game_store.ts";
import { makeSample } from "./fixtures/sample.ts";
import { otherUser } from "./fixtures/other_user.ts";
import { tempDir } from "./fixtures/temp.ts";

const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
/** Root's policy with no sudo user, read after the other user exists (so messages can name her). */
const rootOnly = (): TrustPolicy => trustFromEnv(env({}), { self: { uid: 0, gid: 0 } });

/** A folder the other user can enter (tempDir is 0700). */
function openBase(): string {
  const base = tempDir();
  fs.chmodSync(base, 0o755);
  return base;
}

function unsafe(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UnsafePathError, `expected UnsafePathError, got ${err}`);
    return err.message;
  }
  assert.fail("expected UnsafePathError");
}

/** Every regular file under `dir` (symlinks not followed) with its owner. */
function filesUnder(dir: string): { path: string; uid: number }[] {
  const out: { path: string; uid: number }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const path = join(dir, name);
    const st = fs.lstatSync(path);
    if (st.isDirectory()) out.push(...filesUnder(path));
    else if (st.isFile()) out.push({ path, uid: st.uid });
  }
  return out;
}

Deno.test("root never writes outside an ml dir another user owns while she swaps its CPU folder for a symlink", async () => {
  const mallory = otherUser();
  const base = openBase();
  const victim = join(base, "victim");
  fs.mkdirSync(victim, { mode: 0o755 });
  const secret = join(victim, "Game.json");
  fs.writeFileSync(secret, "TOP-SECRET root data\n", { mode: 0o600 });
  const shared = join(base, "shared_ml");
  fs.mkdirSync(shared);
  fs.mkdirSync(join(shared, "cpu"));
  fs.symlinkSync(victim, join(shared, "evil"));
  for (const p of [shared, join(shared, "cpu"), join(shared, "evil")]) {
    fs.lchownSync(p, mallory.uid, mallory.gid);
  }

  const swapper = mallory.spawn([
    "/usr/bin/python3",
    new URL("./fixtures/swapper.py", import.meta.url).pathname,
    join(shared, "cpu"),
    join(shared, "evil"),
    "3",
  ]);
  // Root's side, as the collector does it: open the game's store and save after every sample.
  const errors = new Map<string, number>();
  let saves = 0;
  const end = performance.now() + 2500;
  for (let i = 0; performance.now() < end; i++) {
    try {
      const store = GameStore.open(shared, {
        cpuModel: "cpu",
        gameName: "Game",
        owner: null,
        autosaveEvery: 1,
        log: () => {},
      });
      store.add(makeSample(i, { game: "Game", cpu: "cpu" }));
      store.close();
      saves++;
    } catch (err) {
      const key = (err as Error).name;
      errors.set(key, (errors.get(key) ?? 0) + 1);
    }
  }
  const out = await swapper.output();
  const swaps = Number(/swaps (\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? 0);
  const victimFiles = fs.readdirSync(victim);
  const rootFiles = filesUnder(base).filter((f) => f.uid === 0 && f.path !== secret);
  console.log(
    `swaps ${swaps}; root saves ${saves}; errors ${JSON.stringify(Object.fromEntries(errors))}; ` +
      `victim folder ${victimFiles.length} file(s); files root made under the base: ${rootFiles.length}`,
  );
  assert.ok(swaps > 100, `the swapper ran (${swaps} swaps)`);
  assert.equal(fs.readFileSync(secret, "utf8"), "TOP-SECRET root data\n");
  assert.deepEqual(victimFiles, ["Game.json"]);
  assert.deepEqual(rootFiles, []);
  assert.equal(saves, 0);
  assert.deepEqual([...errors.keys()], ["UnsafePathError"]);
});

Deno.test("an ml dir another user owns is refused with who owns it and what is expected", () => {
  const mallory = otherUser();
  const base = openBase();
  const ml = join(base, "ml");
  fs.mkdirSync(ml);
  fs.chownSync(ml, mallory.uid, mallory.gid);
  const message = unsafe(() => prepareDir(ml, { trust: rootOnly() }));
  assert.match(message, new RegExp(`ml: it belongs to uid ${mallory.uid} \\(${mallory.name}\\)`));
  assert.match(message, /expected a folder only uid 0 \(root\) can change/);
});

Deno.test("a root-owned ml dir inside a folder another user owns is refused (parents are checked)", () => {
  const mallory = otherUser();
  const base = openBase();
  const parent = join(base, "hers");
  fs.mkdirSync(join(parent, "ml"), { recursive: true });
  fs.chownSync(parent, mallory.uid, mallory.gid);
  assert.match(
    unsafe(() => prepareDir(join(parent, "ml"), { trust: rootOnly() })),
    /hers: it belongs to uid/,
  );
  assert.match(
    unsafe(() => writeFileAtomicSync(join(parent, "ml", "x.csv"), "x", { trust: rootOnly() })),
    /hers: it belongs to uid/,
  );
  assert.equal(fs.existsSync(join(parent, "ml", "x.csv")), false);
});

Deno.test("a symlink another user owns is never followed, even in a sticky folder", () => {
  const mallory = otherUser();
  const base = openBase();
  const sticky = join(base, "tmp");
  fs.mkdirSync(sticky);
  fs.chmodSync(sticky, 0o1777);
  const target = join(base, "etc");
  fs.mkdirSync(target);
  fs.symlinkSync(target, join(sticky, "link"));
  fs.lchownSync(join(sticky, "link"), mallory.uid, mallory.gid);
  assert.match(
    unsafe(() => prepareDir(join(sticky, "link", "ml_data"), { trust: rootOnly() })),
    /refusing to follow .*link: the symlink belongs to uid/,
  );
  assert.equal(fs.existsSync(join(target, "ml_data")), false);
});

Deno.test("a root-owned folder in a sticky world-writable folder like /tmp is accepted", () => {
  const base = openBase();
  const sticky = join(base, "tmp");
  fs.mkdirSync(sticky);
  fs.chmodSync(sticky, 0o1777);
  const { path, created } = prepareDir(join(sticky, "ml"), { trust: rootOnly() });
  assert.equal(created, true);
  assert.equal(path, join(sticky, "ml"));
  // A world-writable folder without the sticky bit is not.
  fs.chmodSync(sticky, 0o777);
  assert.match(
    unsafe(() => prepareDir(join(sticky, "ml"), { trust: rootOnly() })),
    /every user can write it/,
  );
});

Deno.test("a root-owned symlink on the way is followed and the path resolved", () => {
  const base = openBase();
  fs.mkdirSync(join(base, "real"));
  fs.symlinkSync(join(base, "real"), join(base, "alias"));
  assert.equal(
    checkTrustedPath(join(base, "alias", "ml", "cpu"), rootOnly()),
    join(base, "real", "ml", "cpu"),
  );
});

Deno.test("a group-writable folder passes only when no untrusted account is in its group", () => {
  const base = openBase();
  const dir = join(base, "home");
  fs.mkdirSync(dir);
  fs.chownSync(dir, 1000, 1000);
  fs.chmodSync(dir, 0o775);
  const sudo = env({ SUDO_UID: "1000", SUDO_GID: "1000" });
  const self = { uid: 0, gid: 0 };
  const privateGroup = {
    passwd: "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/:/bin/sh\n",
    group: "root:x:0:\nalice:x:1000:\nbob:x:1001:\n",
  };
  assert.equal(checkTrustedPath(dir, trustFromEnv(sudo, { self, accounts: privateGroup })), dir);
  const shared = { ...privateGroup, group: "root:x:0:\nalice:x:1000:bob\nbob:x:1001:\n" };
  assert.match(
    unsafe(() => checkTrustedPath(dir, trustFromEnv(sudo, { self, accounts: shared }))),
    /group 1000 can write it and has members other than/,
  );
  const primary = { ...privateGroup, passwd: privateGroup.passwd + "carol:x:1002:1000::/:/bin/sh\n" };
  assert.throws(
    () => checkTrustedPath(dir, trustFromEnv(sudo, { self, accounts: primary })),
    UnsafePathError,
  );
});

Deno.test("the sudo user's own folders are trusted, another user's are not", () => {
  const base = openBase();
  const dir = join(base, "mine");
  fs.mkdirSync(dir);
  fs.chownSync(dir, 1000, 1000);
  const self = { uid: 0, gid: 0 };
  const accounts = { passwd: "", group: "" };
  assert.equal(
    checkTrustedPath(dir, trustFromEnv(env({ SUDO_UID: "1000", SUDO_GID: "1000" }), { self, accounts })),
    dir,
  );
  assert.throws(
    () =>
      checkTrustedPath(dir, trustFromEnv(env({ SUDO_UID: "1001", SUDO_GID: "1001" }), { self, accounts })),
    UnsafePathError,
  );
});

Deno.test("an empty path is refused with what was expected", () => {
  assert.match(unsafe(() => prepareDir("")), /expected a folder name, got an empty one/);
  assert.match(unsafe(() => writeFileAtomicSync("", "x")), /expected a file name, got an empty one/);
});
