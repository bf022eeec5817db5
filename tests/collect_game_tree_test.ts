import assert from "node:assert/strict";
import { chooseInTree, treeMembers } from "../lib/collect/game_tree.ts";
import type { ProcInfo } from "../lib/host/proc.ts";

function proc(pid: number, ppid: number, comm: string, over: Partial<ProcInfo> = {}): ProcInfo {
  return {
    pid,
    ppid,
    comm,
    cmdline: [comm],
    exe: comm,
    env: {},
    uid: 0,
    threadCount: 1,
    cpuTicks: 0,
    hasRenderNode: false,
    threads: null,
    ...over,
  };
}

Deno.test("the tree is the announced process and its descendants, nobody else", () => {
  const ps = [
    proc(1, 0, "init"),
    proc(10, 1, "a"),
    proc(11, 10, "b"),
    proc(12, 11, "c"),
    proc(20, 1, "other"),
  ];
  assert.deepEqual([...treeMembers(ps, new Set([10]))].sort(), [10, 11, 12]);
  assert.deepEqual([...treeMembers(ps, new Set([99]))], [], "the announced process is gone: no tree");
});

Deno.test("children re-parented after a middle process exits stay members", () => {
  // 10 -> 11 -> 12; then 11 exits and 12 is re-parented to init (pid 1).
  const before = [proc(1, 0, "init"), proc(10, 1, "a"), proc(11, 10, "b"), proc(12, 11, "c")];
  const known = treeMembers(before, new Set([10]));
  const after = [proc(1, 0, "init"), proc(10, 1, "a"), proc(12, 1, "c"), proc(13, 12, "d")];
  assert.deepEqual([...treeMembers(after, known)].sort(), [10, 12, 13]);
});

const steamTree = () => [
  proc(1, 0, "systemd"),
  proc(100, 1, "scx_gamer", { cpuTicks: 50 }), // the launch wrapper before exec: never the game
  proc(101, 100, "reaper", { cpuTicks: 1 }),
  proc(102, 101, "pressure-vessel-wrap", { cpuTicks: 2 }),
  proc(103, 102, "wine64-preloader", { comm: "game.exe", cmdline: ["Z:\\game.exe"], cpuTicks: 400 }),
  proc(104, 102, "wineserver", { cpuTicks: 900 }),
  proc(105, 102, "fossilize_replay", { cpuTicks: 3000 }), // shader compile at full CPU: not the game
  proc(200, 1, "other.exe", { comm: "other.exe", cmdline: ["Z:\\other.exe"], cpuTicks: 9000 }),
];

Deno.test("inside the tree the game signals win over busier machinery; outside is never chosen", () => {
  const ps = steamTree();
  const d = chooseInTree(ps, treeMembers(ps, new Set([100])), { nowS: 1 });
  assert.equal(d.game?.tgid, 103);
  assert.equal(d.game?.name, "game");
  assert.equal(d.game?.source, "announced");
  assert.equal(d.snapshot.ticks.get(200), 9000, "the snapshot covers every process for the next scan");
});

Deno.test("a native game without any signal is found as the busiest non-machinery process", () => {
  const ps = [
    proc(1, 0, "systemd"),
    proc(300, 1, "sh", { exe: "dash", cpuTicks: 5 }),
    proc(301, 300, "native_game", { exe: "native_game", cpuTicks: 700 }),
    proc(302, 300, "helper", { exe: "helper", cpuTicks: 100 }),
  ];
  const previous = { at_s: 0, ticks: new Map([[301, 600], [302, 0]]) };
  const d = chooseInTree(ps, treeMembers(ps, new Set([300])), { nowS: 1, previous });
  // helper used 100 ticks in that second, native_game 100 too: the lower pid wins the tie.
  assert.equal(d.game?.tgid, 301);
  assert.equal(d.game?.cpu_pct, 100);
});

Deno.test("a tree of only launchers and this scheduler has no game yet", () => {
  const ps = [proc(1, 0, "systemd"), proc(400, 1, "scx_gamer"), proc(401, 400, "steam-launch-wrapper")];
  assert.equal(chooseInTree(ps, treeMembers(ps, new Set([400])), { nowS: 1 }).game, null);
});
