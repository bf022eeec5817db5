import assert from "node:assert/strict";
import { join } from "node:path";
import { groupId, groupName, playerUids, processUid, seatUids } from "../lib/host/users.ts";
import { tempDir } from "./fixtures/temp.ts";

function fakeRoots() {
  const root = tempDir("users_");
  const etc = join(root, "etc"), run = join(root, "run"), proc = join(root, "proc");
  Deno.mkdirSync(etc);
  Deno.mkdirSync(join(run, "systemd", "sessions"), { recursive: true });
  Deno.mkdirSync(join(proc, "42"), { recursive: true });
  Deno.writeTextFileSync(join(etc, "group"), "root:x:0:\ngames:x:60:alice\nalice:x:1000:\n");
  Deno.writeTextFileSync(
    join(proc, "42", "status"),
    "Name:\tgame\nUmask:\t0022\nUid:\t1000\t1000\t1000\t1000\n",
  );
  const session = (id: string, text: string) =>
    Deno.writeTextFileSync(join(run, "systemd", "sessions", id), text);
  session("2", "UID=1000\nUSER=alice\nACTIVE=1\nSTATE=active\nTYPE=wayland\nCLASS=user\nSEAT=seat0\n");
  session("5", "UID=1001\nUSER=bob\nACTIVE=1\nSTATE=active\nTYPE=tty\nCLASS=user\nREMOTE=1\n"); // ssh: no seat
  session("c1", "UID=117\nUSER=gdm\nCLASS=greeter\nSEAT=seat0\n");
  Deno.writeTextFileSync(join(run, "systemd", "sessions", "2.ref"), "");
  return { etc, run, proc };
}

Deno.test("a group is found by name or taken by number; unknown names are null", () => {
  const roots = fakeRoots();
  assert.equal(groupId("games", roots), 60);
  assert.equal(groupId("1234", roots), 1234);
  assert.equal(groupId("nosuch", roots), null);
  assert.equal(groupName(60, roots), "games");
  assert.equal(groupName(61, roots), null);
});

Deno.test("a process's owner is its real uid; a vanished process has none", () => {
  const roots = fakeRoots();
  assert.equal(processUid(42, roots), 1000);
  assert.equal(processUid(43, roots), null);
  assert.equal(processUid(Deno.pid), Deno.uid(), "the real /proc");
});

Deno.test("seat users are logind's sessions with a seat, greeters and remote logins left out", () => {
  assert.deepEqual([...seatUids(fakeRoots())], [1000]);
  assert.deepEqual([...seatUids({ run: tempDir() })], [], "no logind");
});

Deno.test("the player is the sudo user when there is one, else the seat users", () => {
  const roots = fakeRoots();
  const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });
  assert.deepEqual([...playerUids(env({ SUDO_UID: "1005" }), roots)], [1005]);
  assert.deepEqual([...playerUids(env({}), roots)], [1000]);
});
