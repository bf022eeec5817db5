import assert from "node:assert/strict";
import { join } from "node:path";
import {
  baseName,
  isVanished,
  parseStat,
  readProcess,
  readProcesses,
  readThreads,
} from "../lib/host/proc.ts";
import { KTHREAD_FLAGS, makeFakeProc, writeFakeProcess } from "./fixtures/fake_proc.ts";

Deno.test("parseStat finds utime and stime after the last ')' when comm holds spaces and parentheses", () => {
  const stat = "42 (my (evil) game) S 1 42 42 0 -1 4194560 0 0 0 0 150 50 0 0 20 0 7 0 999";
  const f = parseStat(stat);
  assert.ok(f);
  assert.equal(f.state, "S");
  assert.equal(f.ppid, 1);
  assert.equal(f.utime, 150);
  assert.equal(f.stime, 50);
  assert.equal(f.numThreads, 7);
});

Deno.test("parseStat returns null for truncated or malformed text", () => {
  assert.equal(parseStat("42 (game S 1 2"), null);
  assert.equal(parseStat("42 (game) S 1 2 3"), null);
  assert.equal(parseStat("42 (game) S x 42 42 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0"), null);
});

Deno.test("baseName splits Windows and Unix paths", () => {
  assert.equal(baseName("Z:\\home\\u\\Games\\witcher3.exe"), "witcher3.exe");
  assert.equal(baseName("/usr/bin/wine64-preloader"), "wine64-preloader");
  assert.equal(baseName("game"), "game");
});

Deno.test("readProcess reads comm, cmdline, exe basename, ticks, thread count and only the Steam variables", () => {
  const root = makeFakeProc([{
    pid: 500,
    comm: "hl2_linux",
    cmdline: ["/games/hl2_linux", "-game", "cstrike"],
    exe: "/games/hl2_linux (deleted)",
    environ: { HOME: "/home/u", SteamAppId: "240", SteamGameId: "240", SECRET_TOKEN: "x" },
    utime: 300,
    stime: 45,
    threads: [{ tid: 500, comm: "hl2_linux" }, { tid: 501, comm: "RenderThread" }],
    fds: ["/dev/dri/renderD128"],
  }]);
  const p = readProcess(root, 500, { readThreads: true });
  assert.ok(p);
  assert.equal(p.comm, "hl2_linux");
  assert.deepEqual(p.cmdline, ["/games/hl2_linux", "-game", "cstrike"]);
  assert.equal(p.exe, "hl2_linux");
  assert.deepEqual(p.env, { SteamAppId: "240", SteamGameId: "240" });
  assert.equal(p.cpuTicks, 345);
  assert.equal(p.threadCount, 2);
  assert.equal(p.hasRenderNode, true);
  assert.deepEqual(p.threads, [{ tid: 500, comm: "hl2_linux" }, { tid: 501, comm: "RenderThread" }]);
});

Deno.test("readProcess tolerates a missing exe link and reports no render node for a card-only fd", () => {
  const root = makeFakeProc([{ pid: 7, comm: "foo", cmdline: ["foo"], fds: ["/dev/dri/card0"] }]);
  const p = readProcess(root, 7);
  assert.ok(p);
  assert.equal(p.exe, null);
  assert.equal(p.hasRenderNode, false);
  assert.equal(p.threads, null);
});

Deno.test("readProcess returns null for a vanished process", () => {
  const root = makeFakeProc([]);
  assert.equal(readProcess(root, 31337), null);
});

Deno.test("readProcess keeps a process whose comm, cmdline and environ files vanished after stat", () => {
  const root = makeFakeProc([{ pid: 8, comm: "half", cmdline: ["half"], exe: "/bin/half" }]);
  for (const f of ["comm", "cmdline", "environ"]) Deno.removeSync(join(root, "8", f));
  Deno.removeSync(join(root, "8", "fd"), { recursive: true });
  const p = readProcess(root, 8);
  assert.ok(p);
  assert.equal(p.comm, "");
  assert.deepEqual(p.cmdline, []);
  assert.deepEqual(p.env, {});
  assert.equal(p.hasRenderNode, false);
});

Deno.test("readProcesses skips kernel threads, zombies and non-numeric entries", () => {
  const root = makeFakeProc([
    { pid: 1, comm: "init", cmdline: ["/sbin/init"] },
    { pid: 2, comm: "kthreadd", flags: KTHREAD_FLAGS },
    { pid: 3, comm: "defunct", state: "Z" },
    { pid: 10, comm: "game", cmdline: ["./game"] },
  ]);
  Deno.mkdirSync(join(root, "self"));
  assert.deepEqual(readProcesses(root).map((p) => p.pid), [1, 10]);
});

Deno.test("readProcess bounds the environment it reads: a variable past 256 KiB is not seen", () => {
  const root = makeFakeProc([]);
  writeFakeProcess(root, {
    pid: 9,
    comm: "big",
    cmdline: ["big"],
    environ: { PADDING: "x".repeat(300 * 1024), SteamAppId: "440" },
  });
  assert.deepEqual(readProcess(root, 9)?.env, {});
});

Deno.test("readProcess keeps hostile bytes of comm and cmdline as data", () => {
  const root = makeFakeProc([{ pid: 66, comm: "../\nevil)", cmdline: ["../../x\ny", "a b"] }]);
  const p = readProcess(root, 66);
  assert.equal(p?.comm, "../\nevil)");
  assert.deepEqual(p?.cmdline, ["../../x\ny", "a b"]);
});

Deno.test("readThreads returns an empty list for a process that is gone", () => {
  assert.deepEqual(readThreads(makeFakeProc([]), 5), []);
});

Deno.test("readProcess reads this test's own process from the real /proc", () => {
  const self = readProcess("/proc", Deno.pid, { readThreads: true });
  assert.ok(self);
  assert.ok(self.cpuTicks !== null && self.cpuTicks >= 0);
  assert.ok(self.threadCount >= 1);
  // task/ lists threads by tid, and tids wrap: one suite run had a thread 385 listed before the main thread
  // 32614. The count (stat) and the list (task/) are two reads, and Deno's blocking-pool threads come and
  // go between them, so the list is checked for the main thread, not for its place or the same length.
  assert.ok(self.threads && self.threads.length >= 1, `threads: ${JSON.stringify(self.threads)}`);
  assert.ok(self.threads.some((t) => t.tid === Deno.pid), `no main thread among ${self.threads.length}`);
});

Deno.test("readProcess skips the fd scan when checkRenderNode says no, reporting null", () => {
  const root = makeFakeProc([{ pid: 12, comm: "g", cmdline: ["g"], fds: ["/dev/dri/renderD128"] }]);
  assert.equal(readProcess(root, 12, { checkRenderNode: (p) => p.comm !== "g" })?.hasRenderNode, null);
  assert.equal(readProcess(root, 12, { checkRenderNode: () => true })?.hasRenderNode, true);
});

Deno.test("an exiting process's ESRCH, which Deno reports without a code, counts as vanished", () => {
  assert.equal(isVanished(new Error("No such process (os error 3): open '/proc/287/environ'")), true);
  assert.equal(isVanished(new Error("Input/output error (os error 5)")), false);
  assert.equal(isVanished(new Deno.errors.NotFound("gone")), true);
});
