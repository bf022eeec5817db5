import assert from "node:assert/strict";
import {
  formatMangoHudLog,
  FrameLogError,
  frameStatsBetween,
  parseMangoHudLog,
  readFrameLogs,
} from "../lib/store/frametimes.ts";
import { tempDir } from "./fixtures/temp.ts";

Deno.test("a MangoHud log's rows are placed in time back from when logging stopped", () => {
  const text = formatMangoHudLog([10, 10, 20], { cpu: "Test CPU" });
  const log = parseMangoHudLog(text, 1000, "game_2026-12-02_10-00-00.csv");
  assert.equal(log.rows.length, 3);
  assert.ok(Math.abs(log.rows[2].t - 1000) < 1e-9);
  assert.ok(Math.abs(log.rows[0].t - (1000 - 0.030)) < 1e-9);
  assert.ok(Math.abs(log.rows[2].frametimeMs - 20) < 1e-3);
});

Deno.test("the versioned preamble is skipped and microsecond frame times are recognised", () => {
  const text = [
    "v1",
    "0.7.2",
    "---------------------SYSTEM INFO---------------------",
    "os,cpu,gpu,ram,kernel,driver,cpuscheduler",
    "Linux,cpu,gpu,1,2,3,4",
    "--------------------FRAME METRICS--------------------",
    "fps,frametime,cpu_load,elapsed",
    "100,10000,5,0",
    "50,20000,5,20000000",
  ].join("\n");
  const log = parseMangoHudLog(text, 50, "x.csv");
  assert.deepEqual(log.rows.map((r) => r.frametimeMs), [10, 20]);
});

Deno.test("a file without a frame header, or with a bad row, is refused naming it", () => {
  assert.throws(
    () => parseMangoHudLog("a,b\n1,2\n", 0, "notes.csv"),
    (e: Error) => e instanceof FrameLogError && /notes\.csv: not a MangoHud log/.test(e.message),
  );
  assert.throws(
    () => parseMangoHudLog("fps,frametime,elapsed\n60,0x10,0\n", 0, "bad.csv"),
    /bad\.csv: line 2 is not a frame row/,
  );
});

Deno.test("a sample's interval gets mean fps, the 1% low and frame-time p99 of its rows", () => {
  // 199 frames at 10 ms then one 50 ms hitch, ending at t = 100 s.
  const log = parseMangoHudLog(formatMangoHudLog([...Array(199).fill(10), 50], { cpu: "c" }), 100, "g.csv");
  const s = frameStatsBetween([log], 97, 100.5)!;
  assert.equal(s.rows, 200);
  assert.ok(Math.abs(s.frametime_p99 - 10) < 1e-3, `p99 ${s.frametime_p99}`);
  assert.ok(Math.abs(s.fps_1pct_low - (20 + 100) / 2) < 1e-3, `1% low ${s.fps_1pct_low}`);
  assert.ok(s.fps > 99 && s.fps < 100);
  assert.equal(frameStatsBetween([log], 0, 50), null);
});

Deno.test("readFrameLogs reads the logs of a folder, skips summaries and reports foreign files", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(
    `${dir}/game_2026-12-02_10-00-00.csv`,
    formatMangoHudLog([16.6, 16.7], { cpu: "c" }),
  );
  Deno.writeTextFileSync(`${dir}/game_2026-12-02_10-00-00_summary.csv`, "0.1% Min FPS,1% Min FPS\n1,2\n");
  Deno.writeTextFileSync(`${dir}/notes.csv`, "a,b\n");
  const warnings: string[] = [];
  const logs = readFrameLogs(dir, { warn: (l) => warnings.push(l) });
  assert.equal(logs.length, 1);
  assert.equal(logs[0].rows.length, 2);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /notes\.csv/);
  assert.throws(() => readFrameLogs(`${dir}/missing`), /--ml-frametimes .*missing: cannot list it/);
});

Deno.test("MangoHud's own folder that does not exist yet gives no logs; a named one is an error", () => {
  const dir = tempDir();
  assert.deepEqual(readFrameLogs(`${dir}/none`, { missingOk: true }), []);
  assert.throws(() => readFrameLogs(`${dir}/none`), FrameLogError);
});

Deno.test("a --ml-frametimes folder that is missing or a file is one line in plain words, no OS error text", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/notes.txt`, "x");
  for (
    const [path, why] of [[`${dir}/none`, "no such file or directory"], [
      `${dir}/notes.txt`,
      "not a directory",
    ]]
  ) {
    assert.throws(() => readFrameLogs(path), (e: Error) => {
      assert.ok(e.message.startsWith(`--ml-frametimes ${path}: cannot list it (`), e.message);
      assert.ok(e.message.includes(why) && !/os error|readdir|ENO/.test(e.message), e.message);
      return e instanceof FrameLogError;
    });
  }
});
