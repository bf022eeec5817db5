import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { GameWatch } from "../lib/collect/game_watch.ts";
import type { ThreadClass } from "../lib/types.ts";
import { desktop, makeFakeProc, writeFakeProcess } from "./fixtures/fake_proc.ts";

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
    { tid: 5003, comm: "RenderThread" },
  ],
};

class FakeScheduler {
  game: number | null = null;
  classes = new Map<number, ThreadClass>();
  classUpdates = 0;
  setGame(tgid: number | null) {
    this.game = tgid;
  }
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>) {
    this.classes = new Map(classes);
    this.classUpdates++;
  }
}

Deno.test("a running game is found and its threads classified, without sampling anything", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const lines: string[] = [];
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, log: (l) => lines.push(l) });
  watch.tick(0);
  assert.equal(sched.game, 5000);
  assert.equal(sched.classes.get(5001), "input");
  assert.equal(sched.classes.get(5002), "gpu_submit");
  assert.equal(sched.classes.get(5003), "gpu_submit", "a render thread is on the frame's path");
  assert.match(lines[0], /game "game" \(pid 5000, wine\)/);
  assert.match(watch.statusLine(), /game: "game"\(5000\)/);
});

Deno.test("looks are spaced by everyMs, and unchanged classes are not sent again", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, everyMs: 1000, log: () => {} });
  watch.tick(0);
  const updates = sched.classUpdates;
  watch.tick(500);
  watch.tick(1000);
  assert.equal(sched.classUpdates, updates, "same classes: nothing sent");
  Deno.mkdirSync(join(proc, "5000", "task", "5009"));
  Deno.writeTextFileSync(join(proc, "5000", "task", "5009", "comm"), "AudioThread\n");
  watch.tick(1500); // not due yet
  assert.equal(sched.classes.has(5009), false);
  watch.tick(2000);
  assert.equal(sched.classes.get(5009), "audio");
});

Deno.test("when the game exits the scheduler is told there is none", () => {
  const proc = makeFakeProc([...desktop(), wineGame]);
  const sched = new FakeScheduler();
  const lines: string[] = [];
  const watch = new GameWatch({ scheduler: sched, procRoot: proc, everyMs: 1, log: (l) => lines.push(l) });
  watch.tick(0);
  rmSync(join(proc, "5000"), { recursive: true });
  watch.tick(10);
  assert.equal(sched.game, null);
  assert.equal(sched.classes.size, 0);
  assert.match(lines.at(-1)!, /"game" exited/);
  assert.equal(watch.game, null);
});

Deno.test("no game on the desktop: nothing is set", () => {
  const sched = new FakeScheduler();
  new GameWatch({ scheduler: sched, procRoot: makeFakeProc(desktop()), log: () => {} }).tick(0);
  assert.equal(sched.game, null);
});

Deno.test("with process events, /proc is rescanned when a process started or ended, not by the clock", () => {
  const proc = makeFakeProc(desktop());
  const sched = new FakeScheduler();
  let changed = false;
  const watch = new GameWatch({
    scheduler: sched,
    procRoot: proc,
    everyMs: 1,
    log: () => {},
    processesChanged: () => changed,
  });
  watch.tick(0); // first look: the clock says a scan is due
  writeFakeProcess(proc, wineGame);
  watch.tick(10);
  assert.equal(sched.game, null, "no event: no rescan");
  changed = true;
  watch.tick(20);
  assert.equal(sched.game, 5000, "an exec event: rescanned");
});
