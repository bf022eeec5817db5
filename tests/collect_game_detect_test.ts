import { join } from "node:path";
import assert from "node:assert/strict";
import {
  capName,
  chooseGame,
  detectGame,
  lookAtProgram,
  MAX_GAME_NAME,
  renderNodeMatters,
} from "../lib/collect/game_detect.ts";
import { otherUser } from "./fixtures/other_user.ts";
import { readProcesses } from "../lib/host/proc.ts";
import { desktop, type FakeProcess, makeFakeProc } from "./fixtures/fake_proc.ts";

const PRELOADER = "/usr/lib/wine/x86_64-unix/wine64-preloader";

/** Wine's own processes around a game, as Proton starts them. */
function wineMachinery(): FakeProcess[] {
  const wine = (pid: number, exe: string, utime: number): FakeProcess => ({
    pid,
    comm: exe,
    cmdline: [`C:\\windows\\system32\\${exe}`],
    exe: PRELOADER,
    environ: { SteamAppId: "292030", WINEPREFIX: "/home/u/.steam/compatdata/292030/pfx" },
    utime,
  });
  return [
    {
      pid: 2000,
      comm: "wineserver",
      cmdline: ["/usr/lib/wine/wineserver"],
      exe: "/usr/lib/wine/wineserver",
      environ: { SteamAppId: "292030" },
      utime: 9000,
    },
    // explorer.exe holds a render node and burns more CPU than the game: still not the game.
    { ...wine(2010, "explorer.exe", 50000), fds: ["/dev/dri/renderD128"] },
    wine(2011, "services.exe", 300),
    wine(2012, "winedevice.exe", 200),
    wine(2013, "plugplay.exe", 100),
    wine(2014, "rpcss.exe", 100),
  ];
}

function witcher(utime: number): FakeProcess {
  return {
    pid: 2100,
    comm: "witcher3.exe",
    cmdline: ["Z:\\home\\u\\Games\\The Witcher 3\\bin\\x64\\witcher3.exe", "-dx12"],
    exe: PRELOADER,
    environ: { SteamAppId: "292030", STEAM_COMPAT_APP_ID: "292030" },
    utime,
    stime: 1000,
    threads: [
      { tid: 2100, comm: "witcher3.exe" },
      { tid: 2101, comm: "dxvk-submit" },
      { tid: 2102, comm: "dxvk-queue" },
    ],
    fds: ["/dev/dri/renderD128"],
  };
}

Deno.test("detectGame finds a Wine game by its .exe argv0 among Wine's own processes", () => {
  const root = makeFakeProc([...desktop(), ...wineMachinery(), witcher(20000)]);
  const { game } = detectGame(root, { nowS: 10 });
  assert.deepEqual(game, {
    name: "witcher3",
    tgid: 2100,
    app_id: "292030",
    source: "wine",
    thread_count: 3,
    cpu_pct: 0,
  });
});

Deno.test("detectGame names a Wine game whose comm is cut to 15 bytes from its argv0", () => {
  const root = makeFakeProc([...wineMachinery(), {
    pid: 2200,
    comm: "Cyberpunk2077.e",
    cmdline: ["Z:\\games\\Cyberpunk 2077\\bin\\x64\\Cyberpunk2077.exe"],
    exe: PRELOADER,
    utime: 100,
  }]);
  assert.equal(detectGame(root, { nowS: 1 }).game?.name, "Cyberpunk2077");
});

/** A Steam native game started through Steam's wrappers. */
function steamNative(): FakeProcess[] {
  const env = { SteamAppId: "570", SteamGameId: "570" };
  return [
    {
      pid: 3000,
      comm: "steam",
      cmdline: ["/home/u/.steam/ubuntu12_32/steam"],
      exe: "/home/u/.steam/ubuntu12_32/steam",
      utime: 30000,
    },
    {
      pid: 3001,
      comm: "steamwebhelper",
      cmdline: ["./steamwebhelper"],
      exe: "/home/u/.steam/ubuntu12_64/steamwebhelper",
      utime: 60000,
      fds: ["/dev/dri/renderD128"],
    },
    {
      pid: 3100,
      comm: "reaper",
      cmdline: ["reaper", "SteamLaunch"],
      exe: "/steam/reaper",
      environ: env,
      utime: 5,
    },
    {
      pid: 3101,
      comm: "bash",
      cmdline: ["/bin/bash", "dota.sh"],
      exe: "/usr/bin/bash",
      environ: env,
      utime: 3,
    },
    {
      pid: 3102,
      comm: "dota2",
      cmdline: ["/games/dota 2 beta/game/bin/linuxsteamrt64/dota2", "-vulkan"],
      exe: "/games/dota 2 beta/game/bin/linuxsteamrt64/dota2",
      environ: env,
      utime: 15000,
      threads: [{ tid: 3102, comm: "dota2" }, { tid: 3103, comm: "RenderThread" }],
      fds: ["/dev/dri/renderD128"],
    },
  ];
}

Deno.test("detectGame finds a Steam native game by its app id and render node, not Steam's wrappers", () => {
  const root = makeFakeProc([...desktop(), ...steamNative()]);
  assert.deepEqual(detectGame(root, { nowS: 1 }).game, {
    name: "dota2",
    tgid: 3102,
    app_id: "570",
    source: "steam",
    thread_count: 2,
    cpu_pct: 0,
  });
});

Deno.test("detectGame finds a native game by its render node when nothing marks it otherwise", () => {
  const root = makeFakeProc([...desktop(), {
    pid: 4000,
    comm: "supertuxkart",
    cmdline: ["supertuxkart"],
    exe: "/usr/games/supertuxkart",
    utime: 2000,
    fds: ["/dev/dri/card1", "/dev/dri/renderD129"],
  }]);
  const { game } = detectGame(root, { nowS: 1 });
  assert.equal(game?.name, "supertuxkart");
  assert.equal(game?.source, "render_node");
  assert.equal(game?.app_id, null);
});

Deno.test("detectGame reports no game on a desktop of compositor, browser, shell and itself", () => {
  assert.equal(detectGame(makeFakeProc(desktop()), { nowS: 1 }).game, null);
});

Deno.test("detectGame prefers a Wine or Steam game over a busier render-node-only process", () => {
  const root = makeFakeProc([...wineMachinery(), witcher(10), {
    pid: 4000,
    comm: "blender",
    cmdline: ["blender"],
    exe: "/usr/bin/blender",
    utime: 900000,
    fds: ["/dev/dri/renderD128"],
  }]);
  assert.equal(detectGame(root, { nowS: 1 }).game?.name, "witcher3");
});

function twoGames(utimeA: number, utimeB: number): string {
  const game = (pid: number, name: string, utime: number): FakeProcess => ({
    pid,
    comm: name,
    cmdline: [name],
    exe: `/games/${name}`,
    environ: { SteamAppId: String(pid) },
    utime,
  });
  return makeFakeProc([game(5000, "alpha", utimeA), game(5001, "beta", utimeB)]);
}

Deno.test("detectGame ranks by CPU used since the previous snapshot and reports it in percent of a CPU", () => {
  // First reading: alpha has used more CPU since it started.
  const first = detectGame(twoGames(10_000, 2_000), { nowS: 100 });
  assert.equal(first.game?.name, "alpha");
  assert.equal(first.snapshot.ticks.get(5000), 10_000);
  // Five seconds later alpha used 50 ticks (10 %), beta 250 ticks (50 %).
  const second = detectGame(twoGames(10_050, 2_250), { nowS: 105, previous: first.snapshot });
  assert.equal(second.game?.name, "beta");
  assert.equal(second.game?.cpu_pct, 50);
});

Deno.test("chooseGame counts all ticks of a reused pid whose ticks went down", () => {
  const procs = readProcesses(twoGames(300, 200));
  const previous = { at_s: 0, ticks: new Map([[5000, 99_999], [5001, 100]]) };
  const { game } = chooseGame(procs, { nowS: 10, previous });
  // alpha (pid reused): 300 new ticks = 30 %; beta: 100 ticks = 10 %.
  assert.equal(game?.name, "alpha");
  assert.equal(game?.cpu_pct, 30);
});

Deno.test("detectGame ignores an app id of 0 or one that is not digits", () => {
  const root = makeFakeProc([
    { pid: 10, comm: "tool", cmdline: ["tool"], exe: "/bin/tool", environ: { SteamAppId: "0" }, utime: 50 },
    {
      pid: 11,
      comm: "tool2",
      cmdline: ["tool2"],
      exe: "/bin/tool2",
      environ: { SteamAppId: "12; rm" },
      utime: 50,
    },
  ]);
  assert.equal(detectGame(root, { nowS: 1 }).game, null);
});

Deno.test("forcedName picks the matching process case-insensitively, with or without .exe, filed under its own name", () => {
  const root = makeFakeProc([...desktop(), ...steamNative(), ...wineMachinery(), witcher(10)]);
  const { game } = detectGame(root, { forcedName: "WITCHER3.EXE", nowS: 1 });
  assert.equal(game?.tgid, 2100);
  // The name detection would give it: forced or not, one game is one file.
  assert.equal(game?.name, "witcher3");
  const alone = makeFakeProc([...desktop(), ...wineMachinery(), witcher(10)]);
  assert.equal(detectGame(alone, { nowS: 1 }).game?.name, "witcher3");
  assert.equal(game?.source, "forced");
  assert.equal(game?.app_id, "292030");
});

Deno.test("forcedName matches a comm cut to 15 bytes", () => {
  const root = makeFakeProc([{
    pid: 77,
    comm: "hollow_knight.x",
    cmdline: ["./hollow_knight.x86_64"],
    utime: 5,
  }]);
  assert.equal(detectGame(root, { forcedName: "hollow_knight.x86_64_demo", nowS: 1 }).game?.tgid, 77);
});

Deno.test("forcedName that matches nothing labels the busiest candidate with the forced name", () => {
  const root = makeFakeProc([...desktop(), ...steamNative()]);
  const { game } = detectGame(root, { forcedName: "My Game", nowS: 1 });
  assert.equal(game?.tgid, 3102);
  assert.equal(game?.name, "My Game");
  assert.equal(game?.source, "forced");
});

Deno.test("forcedName with no match and no candidate gives no game", () => {
  assert.equal(detectGame(makeFakeProc(desktop()), { forcedName: "nothing", nowS: 1 }).game, null);
});

Deno.test("forcedName never picks the scheduler itself", () => {
  const { game } = detectGame(makeFakeProc(desktop()), { forcedName: "scx_gamer", nowS: 1 });
  assert.equal(game, null);
});

Deno.test("a hostile game name with ../ and newlines comes back as data, byte for byte", () => {
  // comm may hold any byte but NUL; ending in .exe makes it a Wine candidate named after its comm.
  const root = makeFakeProc([...desktop(), {
    pid: 6666,
    comm: "../\n../pwn.exe",
    cmdline: ["not-a-path\n"],
    utime: 500,
  }, {
    pid: 6667,
    comm: "tool",
    cmdline: ["tool"],
    exe: "/home/mallory/..\n..\nname",
    environ: { SteamAppId: "480" },
    utime: 100,
  }]);
  assert.equal(detectGame(root, { nowS: 1 }).game?.name, "../\n../pwn");
  assert.equal(detectGame(root, { nowS: 1, forcedName: "tool" }).game?.tgid, 6667);
});

Deno.test("renderNodeMatters skips Wine, Steam and excluded processes but not an unknown native one", () => {
  const procs = readProcesses(makeFakeProc([...desktop(), ...steamNative(), witcher(5)]));
  const scanned = procs.filter(renderNodeMatters).map((p) => p.comm);
  assert.deepEqual(scanned, ["systemd"]);
});

// ---- whose processes may be the game ----

Deno.test("another user's process is never a candidate, and its environment is never read", () => {
  const other = 4242;
  const root = makeFakeProc([
    { pid: 100, comm: "Evil Game.exe", cmdline: ["C:\\Evil Game.exe"], utime: 900, uid: other },
    { pid: 200, comm: "steamgame", environ: { SteamAppId: "570" }, utime: 800, uid: other },
    { pid: 300, comm: "Mine.exe", cmdline: ["C:\\Mine.exe"], utime: 10 },
  ]);
  // Were their environments read, this directory in place of a file would fail the scan.
  for (const pid of [100, 200]) {
    Deno.removeSync(join(root, String(pid), "environ"));
    Deno.mkdirSync(join(root, String(pid), "environ"));
  }
  const mine = new Set([Deno.uid() ?? 0]);
  assert.equal(detectGame(root, { uids: mine }).game?.tgid, 300);
  assert.equal(readProcesses(root, { uids: mine }).map((p) => p.pid).join(), "300");
});

Deno.test("allUsers widens the candidates to every user's processes", () => {
  const root = makeFakeProc([
    { pid: 100, comm: "Theirs.exe", cmdline: ["C:\\Theirs.exe"], utime: 900, uid: 4242 },
    { pid: 300, comm: "Mine.exe", cmdline: ["C:\\Mine.exe"], utime: 10 },
  ]);
  assert.equal(detectGame(root, { allUsers: true }).game?.tgid, 100);
  assert.equal(detectGame(root, { uids: new Set([4242]) }).game?.tgid, 100);
});

Deno.test("a forced name never picks another user's process", () => {
  const root = makeFakeProc([
    { pid: 100, comm: "cs2", utime: 900, uid: 4242, fds: ["/dev/dri/renderD128"] },
    { pid: 300, comm: "cs2", utime: 10 },
  ]);
  assert.equal(detectGame(root, { forcedName: "cs2", uids: new Set([Deno.uid() ?? 0]) }).game?.tgid, 300);
});

Deno.test("a 16 KiB argv0 name is cut to 128 characters with a hash of the whole", () => {
  const long = "A".repeat(16_000) + ".exe";
  const root = makeFakeProc([{ pid: 100, comm: "A.exe", cmdline: [long], utime: 5 }]);
  const name = detectGame(root).game?.name ?? "";
  assert.equal([...name].length, MAX_GAME_NAME);
  assert.match(name, /^A{117}~[0-9a-f]{10}$/);
  assert.notEqual(capName("A".repeat(200) + "1"), capName("A".repeat(200) + "2"));
  assert.equal(capName("Cyberpunk2077"), "Cyberpunk2077");
});

Deno.test("a real process of another user named *.exe with a Steam app id is not chosen as root's game", async () => {
  const mallory = otherUser();
  const child = mallory.spawn([
    "/usr/bin/env",
    "SteamAppId=570",
    "/bin/bash",
    "-c",
    'exec -a "Evil Game.exe" /bin/sleep 20',
  ]);
  try {
    // Wait until the exec has happened (its argv0 shows the new name).
    for (let i = 0; i < 200; i++) {
      const argv0 = Deno.readTextFileSync(`/proc/${child.pid}/cmdline`).split("\0")[0];
      if (argv0 === "Evil Game.exe") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const player = new Set([Deno.uid() ?? 0]);
    const everyone = detectGame("/proc", { allUsers: true, forcedName: "Evil Game" });
    assert.equal(everyone.game?.tgid, child.pid, "with every user's processes it is the game");
    const detected = detectGame("/proc", { uids: player, forcedName: "Evil Game" });
    assert.notEqual(detected.game?.tgid, child.pid);
    assert.equal(readProcesses("/proc", { uids: player }).some((p) => p.pid === child.pid), false);
  } finally {
    child.kill("SIGKILL");
    await child.output();
  }
});

Deno.test("lookAtProgram judges one new program alone: candidates and the forced name, never others' or ours", () => {
  const mine = new Set([Deno.uid() ?? 0]);
  const root = makeFakeProc([
    ...desktop(),
    { pid: 300, comm: "Mine.exe", cmdline: ["C:\\Mine.exe"], utime: 10 },
    { pid: 301, comm: "steamgame", environ: { SteamAppId: "570" } },
    { pid: 302, comm: "Theirs.exe", cmdline: ["C:\\Theirs.exe"], uid: 4242 },
    { pid: 303, comm: "mytool", exe: "/usr/bin/mytool" },
    { pid: 304, comm: "scx_gamer", exe: "/usr/bin/scx_gamer" },
    {
      pid: 305,
      comm: "wine64-preloade",
      cmdline: ["/usr/bin/wine64-preloader"],
      exe: "/usr/bin/wine64-preloader",
    },
  ]);
  const look = (pid: number, forcedName: string | null = null) =>
    lookAtProgram(root, pid, { uids: mine, forcedName });
  assert.equal(look(300), "candidate", "a Wine program");
  assert.equal(look(301), "candidate", "a Steam app");
  assert.equal(look(1300), "not", "a shell");
  assert.equal(look(302), "not", "another user's program");
  assert.equal(look(303), "not", "an unmarked native program");
  assert.equal(look(303, "MyTool"), "candidate", "... unless it is the forced game");
  assert.equal(look(304, "scx_gamer"), "not", "never this scheduler");
  assert.equal(look(305), "again", "a Wine loader that has not named itself yet");
  assert.equal(look(99_999), "not", "gone already");
  assert.equal(lookAtProgram(root, 302, { allUsers: true }), "candidate", "--all-users widens it");
});
