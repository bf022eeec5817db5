import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { GameWatch } from "../lib/collect/game_watch.ts";
import { desktop, makeFakeProc, writeFakeProcess } from "./fixtures/fake_proc.ts";
import { FakeScheduler } from "./fixtures/fake_sched.ts";

const wineGame = {
  pid: 5000,
  comm: "game.exe",
  cmdline: ["Z:\\games\\game.exe"],
  exe: "/usr/bin/wine64-preloader",
  environ: { SteamAppId: "12345" },
  utime: 5000,
  threads: [
    { tid: 5000, comm: "game.exe" },
    { tid: 5001, comm: "InputThread" },
    { tid: 5002, comm: "dxvk-submit" },
    { tid: 5003, comm: "AudioThread" },
    { tid: 5004, comm: "mystery" },
  ],
};

Deno.test("the game is handed to the scheduler with its classified threads; 'other' is left to default", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const u = new GameWatch({ scheduler: sched, procRoot: proc }).update(0);
  assert.equal(u.changed, true);
  assert.equal(u.game?.name, "game");
  assert.equal(sched.game, 5000);
  assert.equal(sched.classes.get(5000), "game");
  assert.equal(sched.classes.get(5001), "input");
  assert.equal(sched.classes.get(5002), "gpu_submit");
  assert.equal(sched.classes.get(5003), "audio");
  assert.equal(sched.classes.has(5004), false);
  assert.equal(u.counts?.input, 1);
});

Deno.test("scheduler-observed behaviour refines an unknown thread (short runs, many wake-ups -> gpu_submit)", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc });
  sched.behaviour = [{ tid: 5004, avgRunNs: 20_000, wakeups: 0 }];
  watch.update(0);
  sched.behaviour = [{ tid: 5004, avgRunNs: 20_000, wakeups: 5000 }];
  const u = watch.update(10_000);
  assert.equal(u.changed, false);
  assert.equal(sched.classes.get(5004), "gpu_submit");
  assert.equal(u.counts?.gpu_submit, 2);
  assert.equal(u.counts?.other, 0);
});

Deno.test("a game that exits is noticed at once; a new game replaces it", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, rescanMs: 1e9 });
  watch.update(0);
  rmSync(join(proc, "5000"), { recursive: true });
  const gone = watch.update(100);
  assert.equal(gone.changed, true);
  assert.equal(gone.previous?.tgid, 5000);
  assert.equal(sched.game, null);
  writeFakeProcess(proc, {
    ...wineGame,
    pid: 6000,
    comm: "other.exe",
    cmdline: ["C:\\other.exe"],
    threads: undefined,
  });
  const next = watch.update(200);
  assert.equal(next.game?.name, "other");
  assert.equal(sched.game, 6000);
});

const launcher = {
  pid: 6000,
  comm: "start.sh",
  cmdline: ["/bin/sh", "start.sh"],
  exe: "/usr/bin/dash",
  utime: 1,
};
const nativeGame = {
  pid: 6001,
  ppid: 6000,
  comm: "native_game",
  cmdline: ["./native_game"],
  exe: "/opt/game/native_game",
  utime: 10,
  threads: [{ tid: 6001, comm: "native_game" }, { tid: 6002, comm: "InputThread" }],
};

Deno.test("an announced tree is the game while it lives, over the scan's choice", () => {
  const proc = makeFakeProc([...desktop(), wineGame, launcher, nativeGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc });
  assert.equal(watch.update(0).game?.tgid, 5000, "the scan finds the Wine game");
  watch.announce(6000);
  const u = watch.update(100);
  assert.equal(u.changed, true);
  assert.deepEqual([u.game?.tgid, u.game?.name, u.game?.source], [6001, "native_game", "announced"]);
  assert.equal(sched.game, 6001);
  assert.equal(sched.classes.get(6002), "input");
  assert.equal(watch.announced, 6000);
  // Later full scans (here every update: rescanMs 0) keep to the tree.
  const watch2 = new GameWatch({ scheduler: new FakeScheduler(), procRoot: proc, rescanMs: 0 });
  watch2.announce(6000);
  for (let t = 0; t < 5; t++) assert.equal(watch2.update(t * 1000).game?.tgid, 6001);
});

Deno.test("when the announced tree has exited, detection falls back to the scan", () => {
  const proc = makeFakeProc([...desktop(), wineGame, launcher, nativeGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, rescanMs: 1e9 });
  watch.announce(6000);
  assert.equal(watch.update(0).game?.tgid, 6001);
  rmSync(join(proc, "6001"), { recursive: true });
  rmSync(join(proc, "6000"), { recursive: true });
  const u = watch.update(100);
  assert.equal(u.game?.tgid, 5000);
  assert.equal(u.game?.source, "wine");
  assert.equal(watch.announced, null);
});

Deno.test("the game's own process executing another program is judged afresh: a new name is a new game", () => {
  // scx_gamer-run announces its own pid and then execs the command, which may exec again (gamesim becomes
  // game.exe; a launcher becomes the game): a look between the two must not keep the first name.
  const wrapper = {
    ...nativeGame,
    pid: 6000,
    ppid: 1,
    comm: "gamesim",
    cmdline: ["gamesim"],
    exe: "/usr/bin/gamesim",
    threads: undefined,
  };
  const proc = makeFakeProc([...desktop(), wrapper]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, rescanMs: 1e9, execReported: true });
  watch.announce(6000);
  assert.equal(watch.update(0).game?.name, "gamesim", "the announced process, as it is now");
  rmSync(join(proc, "6000"), { recursive: true });
  writeFakeProcess(proc, { ...wineGame, pid: 6000, ppid: 1, threads: undefined }); // it execs the game
  watch.noteExec(6000);
  const u = watch.update(250);
  assert.deepEqual([u.game?.tgid, u.game?.name, u.changed, u.previous?.name], [
    6000,
    "game",
    true,
    "gamesim",
  ]);
  assert.equal(sched.game, 6000);
  assert.equal(watch.update(2250).changed, false, "judged once per exec");
});

Deno.test("an announced launcher that has not started the game yet means no game, not the scan's", () => {
  const proc = makeFakeProc([...desktop(), wineGame, launcher]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc });
  watch.announce(6000);
  assert.equal(watch.update(0).game, null);
  writeFakeProcess(proc, nativeGame); // the launcher starts it
  const u = watch.update(2000);
  assert.equal(u.game?.tgid, 6001);
  assert.equal(sched.game, 6001);
});

Deno.test("the scheduler is told the pacing thread when it changes, and none when the game goes", () => {
  const proc = makeFakeProc([...desktop(), {
    ...wineGame,
    threads: [...wineGame.threads, { tid: 5005, comm: "dxvk-queue" }],
  }]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, rescanMs: 1e9 });
  watch.update(0);
  assert.equal(sched.pacing, 5002, "the lower tid of two idle submit threads");
  watch.update(10_000);
  assert.deepEqual(sched.pacingCalls, [5002], "no change, no call");
  sched.behaviour = [{ tid: 5002, avgRunNs: 20_000, wakeups: 100 }, {
    tid: 5005,
    avgRunNs: 20_000,
    wakeups: 900,
  }];
  watch.update(20_000);
  assert.deepEqual(sched.pacingCalls, [5002, 5005], "the busier one");
  rmSync(join(proc, "5000"), { recursive: true });
  watch.update(21_000);
  assert.deepEqual(sched.pacingCalls, [5002, 5005, null]);
  watch.update(22_000);
  assert.equal(sched.pacingCalls.length, 3);
});

Deno.test("a render thread paces over the submit threads; a game without any is paced by its main thread", () => {
  const render = {
    ...wineGame,
    threads: [...wineGame.threads, { tid: 5006, comm: "RenderThread" }],
  };
  const sched = new FakeScheduler();
  new GameWatch({ scheduler: sched, procRoot: makeFakeProc([...desktop(), render]) }).update(0);
  assert.equal(sched.pacing, 5006);
  const plain = {
    ...wineGame,
    threads: [{ tid: 5000, comm: "game.exe" }, { tid: 5001, comm: "InputThread" }],
  };
  const other = new FakeScheduler();
  new GameWatch({ scheduler: other, procRoot: makeFakeProc([...desktop(), plain]) }).update(0);
  assert.equal(other.pacing, 5000);
});

Deno.test("the thread classes are handed over only when they change", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, rescanMs: 1e9 });
  watch.update(0);
  watch.update(10_000);
  watch.update(20_000);
  assert.equal(sched.classCalls.length, 1);
  // 5004 starts behaving like a GPU submit thread: a new map.
  sched.behaviour = [{ tid: 5004, avgRunNs: 20_000, wakeups: 0 }];
  watch.update(30_000);
  sched.behaviour = [{ tid: 5004, avgRunNs: 20_000, wakeups: 5000 }];
  watch.update(40_000);
  assert.equal(sched.classCalls.length, 2);
  assert.equal(sched.classCalls[1].get(5004), "gpu_submit");
  rmSync(join(proc, "5000"), { recursive: true });
  watch.update(41_000);
  watch.update(42_000);
  assert.equal(sched.classCalls.length, 3);
  assert.equal(sched.classCalls[2].size, 0, "the game went: no classes");
});

Deno.test("the game's threads are classified again only when their list changes, or every 10 s", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, rescanMs: 1e9 });
  watch.update(0);
  assert.equal(sched.behaviourReads, 1, "a new game is classified at once");
  watch.update(2000);
  watch.update(4000);
  assert.equal(sched.behaviourReads, 1, "same threads, classified 4 s ago: not again");
  // A thread appears (the engine starts its workers): classified at the next update.
  Deno.mkdirSync(join(proc, "5000", "task", "5007"), { recursive: true });
  Deno.writeTextFileSync(join(proc, "5000", "task", "5007", "comm"), "InputThread\n");
  const grown = watch.update(6000);
  assert.equal(sched.behaviourReads, 2);
  assert.equal(grown.counts?.input, 2, "the new thread is counted");
  assert.equal(sched.classes.get(5007), "input");
  watch.update(8000);
  assert.equal(sched.behaviourReads, 2);
  watch.update(16_000);
  assert.equal(sched.behaviourReads, 3, "10 s after the last one: again (threads may rename themselves)");
  assert.equal(watch.counts?.input, 2, "between classifications the last counts stand");
});

/** A desktop's /proc and a watch told of every new program, updated once at 0 ms. */
function reportedWatch(rescanMs: number): { root: string; watch: GameWatch } {
  const root = makeFakeProc(desktop());
  const watch = new GameWatch({
    scheduler: new FakeScheduler(),
    procRoot: root,
    execReported: true,
    rescanMs,
  });
  assert.equal(watch.update(0).game, null, "the first update scans: nothing yet");
  return { root, watch };
}

Deno.test("with new programs reported, a scan waits for one that may be the game or for the rescan", () => {
  const { root: proc, watch } = reportedWatch(30_000);
  writeFakeProcess(proc, { ...wineGame, threads: undefined });
  assert.equal(watch.update(1000).game, null, "no program reported: no scan, so the game is not seen yet");
  watch.noteExec(1300); // a shell ran a new program
  assert.equal(watch.update(2000).game, null, "a program that cannot be the game triggers no scan");
  watch.noteExec(5000);
  assert.equal(watch.update(3000).game?.tgid, 5000, "the game's own exec triggers the scan");
  // The rescan is the safety net: a game no exec announced (started before, or missed) is still found.
  const { root, watch: net } = reportedWatch(30_000);
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  assert.equal(net.update(29_000).game, null);
  assert.equal(net.update(30_000).game?.tgid, 5000, "the rescan finds a game no exec announced");
});

Deno.test("with no game running, the game is chosen among the new programs alone; beside one, by a scan", () => {
  const { root, watch } = reportedWatch(30_000);
  // A Steam game no exec announced (a scan would choose it: the same signal, far busier) and a new Wine game.
  writeFakeProcess(root, { ...wineGame, pid: 4000, utime: 90_000, threads: undefined });
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  watch.noteExec(5000);
  assert.equal(watch.update(1000).game?.tgid, 5000, "only the new program was read, not every process");
  assert.equal(watch.update(30_000).game?.tgid, 4000, "the rescan reads them all and takes the busier");
  // Two new candidates at once are weighed against each other as a scan would: the stronger signal wins.
  const { root: r2, watch: w2 } = reportedWatch(1e9);
  writeFakeProcess(r2, { ...wineGame, pid: 6000, environ: {}, threads: undefined });
  writeFakeProcess(r2, { ...wineGame, threads: undefined });
  w2.noteExec(6000);
  w2.noteExec(5000);
  assert.equal(w2.update(1000).game?.tgid, 5000, "a Steam app id outweighs a Wine name alone");
  // Beside a running game a new candidate asks for a full scan (its CPU use is weighed against all).
  writeFakeProcess(r2, { ...wineGame, pid: 4000, utime: 90_000, threads: undefined });
  writeFakeProcess(r2, { ...wineGame, pid: 7000, utime: 0, threads: undefined });
  w2.noteExec(7000);
  assert.equal(w2.update(2000).game?.tgid, 5000, "beside a game a new program waits 4 s before a look");
  assert.equal(w2.update(6000).game?.tgid, 4000, "then the scan sees the busier game no exec announced");
});

Deno.test("while a game runs the safety-net scan is rarer: a busier game no exec announced waits for it", () => {
  const root = makeFakeProc(desktop());
  const watch = new GameWatch({
    scheduler: new FakeScheduler(),
    procRoot: root,
    execReported: true,
    rescanMs: 30_000,
    rescanWithGameMs: 300_000,
  });
  assert.equal(watch.update(0).game, null);
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  watch.noteExec(5000);
  assert.equal(watch.update(1000).game?.tgid, 5000);
  writeFakeProcess(root, { ...wineGame, pid: 4000, utime: 90_000, threads: undefined });
  assert.equal(watch.update(31_000).game?.tgid, 5000, "no scan after 30 s beside a running game");
  assert.equal(watch.update(299_000).game?.tgid, 5000);
  assert.equal(watch.update(300_000).game?.tgid, 4000, "the scan after 300 s sees the busier game");
  // With no game the scan comes back to its own interval.
  rmSync(join(root, "4000"), { recursive: true });
  rmSync(join(root, "5000"), { recursive: true });
  assert.equal(watch.update(302_000).game, null, "the game is gone: a scan finds none");
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  assert.equal(watch.update(331_000).game, null);
  assert.equal(
    watch.update(332_000).game?.tgid,
    5000,
    "30 s after the last scan, with no game, the next one",
  );
});

Deno.test("a storm of new programs keeps only the newest few to look at", () => {
  const { root, watch } = reportedWatch(1e9);
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  watch.noteExec(5000);
  for (let pid = 20_000; pid < 20_016; pid++) watch.noteExec(pid); // 16 programs that are gone already
  assert.equal(watch.update(1000).game, null, "the game's exec was pushed out by 16 newer ones");
  for (let pid = 20_000; pid < 20_015; pid++) watch.noteExec(pid);
  watch.noteExec(5000);
  assert.equal(watch.update(2000).game?.tgid, 5000, "among the newest 16 it is looked at");
});

Deno.test("programs that ended take no room: a launch's short helpers do not push the game out", () => {
  const { root, watch } = reportedWatch(1e9);
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  watch.noteExec(5000);
  for (let pid = 20_000; pid < 20_040; pid++) {
    watch.noteExec(pid);
    watch.noteExit(pid);
  }
  assert.equal(watch.update(1000).game?.tgid, 5000, "40 programs came and went; the game is still looked at");
  // Beside a running game new programs wait to settle: one that ends meanwhile is dropped, not looked at.
  writeFakeProcess(root, { ...wineGame, pid: 7000, utime: 90_000, threads: undefined });
  watch.noteExec(7000);
  assert.equal(watch.update(2000).game?.tgid, 5000, "still settling");
  watch.noteExit(7000);
  assert.equal(watch.update(7000).game?.tgid, 5000, "it ended before its look: no scan for it");
});

Deno.test("a new program is looked at in two checks: a Wine game names itself a moment after its exec", () => {
  const { root, watch } = reportedWatch(1e9);
  const preloader = {
    ...wineGame,
    comm: "wine64-preloade",
    cmdline: ["/usr/bin/wine64-preloader"],
    threads: undefined,
  };
  writeFakeProcess(root, preloader);
  assert.equal(watch.lookAgainPending, false);
  watch.noteExec(5000);
  assert.equal(watch.update(2000).game, null, "not yet a candidate");
  assert.equal(watch.lookAgainPending, true, "the caller may look again soon");
  rmSync(join(root, "5000"), { recursive: true });
  writeFakeProcess(root, { ...wineGame, threads: undefined }); // Wine rewrote its argv and comm
  assert.equal(watch.update(4000).game?.tgid, 5000, "the second look finds it");
  assert.equal(watch.lookAgainPending, false);
});

Deno.test("a program other than a Wine loader is looked at once: renamed later, it waits for the rescan", () => {
  const { root, watch } = reportedWatch(30_000);
  writeFakeProcess(root, {
    pid: 5000,
    comm: "launcher",
    cmdline: ["/opt/game/launcher"],
    threads: undefined,
  });
  watch.noteExec(5000);
  assert.equal(watch.update(2000).game, null, "not a candidate, and not a Wine loader");
  assert.equal(watch.lookAgainPending, false, "nothing to look at again");
  rmSync(join(root, "5000"), { recursive: true });
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  assert.equal(watch.update(4000).game, null, "no second look: each look costs the game CPU");
  assert.equal(watch.update(30_000).game?.tgid, 5000, "the rescan finds it");
});

Deno.test("the game's own exec, looked at again once it is the game, triggers no second scan", () => {
  const { root, watch } = reportedWatch(1e9);
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  watch.noteExec(5000);
  assert.equal(watch.update(2000).game?.tgid, 5000);
  // A busier Wine game now exists; only a scan would pick it, and nothing asks for one.
  writeFakeProcess(root, { ...wineGame, pid: 5100, utime: 90_000, threads: undefined });
  assert.equal(watch.update(4000).game?.tgid, 5000, "no scan: the look-again skips the game's own pid");
  watch.noteExec(5100);
  assert.equal(watch.update(6000).game?.tgid, 5000, "while a game runs a new program waits 4 s");
  assert.equal(watch.update(8000).game?.tgid, 5000);
  assert.equal(watch.update(10_000).game?.tgid, 5100, "then a new candidate's exec does scan");
});

Deno.test("while a game runs, a new program is looked at only once it has lived 4 s; gone by then, never", () => {
  const { root, watch } = reportedWatch(1e9);
  writeFakeProcess(root, { ...wineGame, threads: undefined });
  watch.noteExec(5000);
  assert.equal(watch.update(2000).game?.tgid, 5000, "no game yet: looked at at once");
  // A busier Wine game's exec (a scan would pick it), first seen at 4000 ms: held back, then gone by 8000.
  writeFakeProcess(root, { ...wineGame, pid: 5100, utime: 90_000, threads: undefined });
  watch.noteExec(5100);
  assert.equal(watch.update(4000).game?.tgid, 5000, "held back: no look, no scan");
  assert.equal(watch.update(6000).game?.tgid, 5000, "still held back");
  rmSync(join(root, "5100"), { recursive: true });
  assert.equal(watch.update(8000).game?.tgid, 5000, "gone by its look: no scan");
  // The game exits: what waited is looked at at once, as with no game.
  writeFakeProcess(root, { ...wineGame, pid: 5200, utime: 90_000, threads: undefined });
  watch.noteExec(5200);
  rmSync(join(root, "5000"), { recursive: true });
  assert.equal(watch.update(9000).game?.tgid, 5200, "the game gone, a new candidate is found at once");
});

Deno.test("warmUp looks at a process and classifies its threads without keeping or telling anything", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, execReported: true });
  watch.warmUp(wineGame.pid);
  // A pid that is not there (a process gone) is no error either.
  watch.warmUp(424242);
  assert.equal(watch.game, null);
  assert.equal(watch.counts, null);
  assert.equal(sched.game, null);
  assert.deepEqual(sched.classCalls, []);
  assert.deepEqual(sched.pacingCalls, []);
  // What the real look finds afterwards is what it finds without the warm-up.
  watch.noteExec(wineGame.pid);
  const u = watch.update(0);
  assert.equal(u.changed, true);
  assert.equal(u.game?.tgid, wineGame.pid);
  assert.equal(sched.classes.get(5001), "input");
});
