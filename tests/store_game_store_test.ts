import assert from "node:assert/strict";
import { join } from "node:path";
import { AUTOSAVE_EVERY, GameStore, InvalidSampleError, StoreClosedError } from "../lib/store/game_store.ts";
import { safeName } from "../lib/store/safe_name.ts";
import { UnsafePathError } from "../lib/host/safe_fs.ts";
import { parseStoreDoc, STORE_SCHEMA } from "../lib/store/store_doc.ts";
import { readStoredGame } from "../lib/store/store_dir.ts";
import { formatJournalHeader } from "../lib/store/journal.ts";
import { makeSample } from "./fixtures/sample.ts";
import { tempDir } from "./fixtures/temp.ts";

const CPU = "AMD Ryzen 7 7800X3D 8-Core Processor";
const GAME = "Cyberpunk2077";
const FIXED_NOW = () => new Date("2025-11-25T13:54:00.123Z");

function open(ml: string, extra: Partial<Parameters<typeof GameStore.open>[1]> = {}): GameStore {
  return GameStore.open(ml, { cpuModel: CPU, gameName: GAME, owner: null, log: () => {}, ...extra });
}

function readDoc(path: string) {
  return parseStoreDoc(Deno.readTextFileSync(path), path);
}

/** What is durable on disk for a game: its samples file and journal together. */
function readStored(path: string) {
  const doc = readStoredGame(path);
  assert.ok(doc !== null, `nothing stored at ${path}`);
  return doc;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("GameStore files samples at {mlDir}/{safe cpu}/{safe game}.json", () => {
  const ml = tempDir();
  const store = open(ml, { gameName: "The Witcher 3" });
  assert.equal(store.path, join(ml, safeName(CPU), "The Witcher 3.json"));
});

Deno.test("GameStore autosaves at the 100th sample, not the 99th, into the journal", async () => {
  const ml = tempDir();
  const store = open(ml);
  for (let i = 0; i < AUTOSAVE_EVERY - 1; i++) assert.equal(store.add(makeSample(i)), false);
  assert.equal(exists(store.journalPath), false);
  assert.equal(store.unsaved, 99);
  assert.equal(store.add(makeSample(99)), true);
  await store.flush();
  assert.equal(exists(store.path), false);
  assert.equal(readStored(store.path).samples.length, 100);
  assert.equal(store.unsaved, 0);
  store.close();
  assert.equal(exists(store.journalPath), false);
  assert.equal(readDoc(store.path).samples.length, 100);
});

Deno.test("GameStore autosaves every N samples when configured", async () => {
  const ml = tempDir();
  const store = open(ml, { autosaveEvery: 3 });
  const saved = [0, 1, 2, 3, 4, 5].map((i) => store.add(makeSample(i)));
  assert.deepEqual(saved, [false, false, true, false, false, true]);
  await store.flush();
  assert.equal(readStored(store.path).samples.length, 6);
});

Deno.test("GameStore writes nothing before the first save", () => {
  const ml = tempDir();
  const store = open(ml);
  store.add(makeSample(0));
  assert.equal(exists(store.path), false);
});

Deno.test("GameStore saves atomically: the file parses, holds every sample and no temp file is left", () => {
  const ml = tempDir();
  const store = open(ml);
  const samples = [0, 1, 2, 3].map((i) => makeSample(i));
  for (const s of samples) store.add(s);
  store.saveSync();
  const doc = readDoc(store.path);
  assert.equal(doc.schema, STORE_SCHEMA);
  assert.equal(doc.game_name, GAME);
  assert.equal(doc.cpu_model, CPU);
  assert.deepEqual(doc.samples, samples);
  const names = [...Deno.readDirSync(join(store.path, ".."))].map((e) => e.name);
  assert.deepEqual(names, [`${GAME}.json`]);
});

Deno.test("GameStore writes one sample per line so appends show as added lines", () => {
  const ml = tempDir();
  const store = open(ml);
  for (let i = 0; i < 5; i++) store.add(makeSample(i));
  store.close();
  const lines = Deno.readTextFileSync(store.path).trimEnd().split("\n");
  const sampleLines = lines.filter((l) => l.startsWith('    {"timestamp"'));
  assert.equal(sampleLines.length, 5);
});

Deno.test("GameStore keeps the best score and its config, in memory and in the file", () => {
  const ml = tempDir();
  const store = open(ml);
  const samples = [0, 1, 2, 3, 4, 5, 6].map((i) => makeSample(i));
  for (const s of samples) store.add(s);
  const best = samples.reduce((a, b) => (b.score > a.score ? b : a));
  assert.equal(store.bestScore, best.score);
  assert.deepEqual(store.bestConfig, best.config);
  store.close();
  const raw = JSON.parse(Deno.readTextFileSync(store.path));
  assert.equal(raw.best_score, best.score);
  assert.deepEqual(raw.best_config, best.config);
});

Deno.test("GameStore reopened loads the existing file and appends to it", () => {
  const ml = tempDir();
  const first = open(ml);
  for (let i = 0; i < 3; i++) first.add(makeSample(i));
  first.close();
  const second = open(ml);
  assert.equal(second.samples.length, 3);
  assert.equal(second.unsaved, 0);
  second.add(makeSample(3));
  second.add(makeSample(4));
  second.close();
  assert.deepEqual(readDoc(second.path).samples, [0, 1, 2, 3, 4].map((i) => makeSample(i)));
});

Deno.test("GameStore keeps a corrupt file aside, says so in one line and starts fresh", () => {
  const ml = tempDir();
  const path = open(ml).path;
  Deno.writeTextFileSync(path, '{"schema": "scx_gamer.samples", "samples": [tru');
  const lines: string[] = [];
  const store = open(ml, { log: (l) => lines.push(l), now: FIXED_NOW });
  assert.equal(store.samples.length, 0);
  const aside = join(path, "..", `${GAME}.corrupt-20251125T135400Z.json`);
  assert.equal(Deno.readTextFileSync(aside), '{"schema": "scx_gamer.samples", "samples": [tru');
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes("\n"));
  assert.match(lines[0], /not valid JSON/);
  assert.ok(lines[0].includes(aside));
  store.add(makeSample(0));
  store.close();
  assert.equal(readDoc(path).samples.length, 1);
  assert.equal(Deno.readTextFileSync(aside), '{"schema": "scx_gamer.samples", "samples": [tru');
});

Deno.test("GameStore keeps a foreign JSON file aside without clobbering an earlier one kept aside", () => {
  const ml = tempDir();
  const path = open(ml).path;
  const dir = join(path, "..");
  const earlier = join(dir, `${GAME}.corrupt-20251125T135400Z.json`);
  Deno.writeTextFileSync(earlier, "earlier");
  Deno.writeTextFileSync(path, JSON.stringify({ schema: "someone.else", data: [1, 2, 3] }));
  const lines: string[] = [];
  open(ml, { log: (l) => lines.push(l), now: FIXED_NOW });
  assert.equal(Deno.readTextFileSync(earlier), "earlier");
  const second = join(dir, `${GAME}.corrupt-20251125T135400Z-2.json`);
  assert.deepEqual(JSON.parse(Deno.readTextFileSync(second)), { schema: "someone.else", data: [1, 2, 3] });
  assert.match(lines[0], /not a scx_gamer samples file/);
});

Deno.test("GameStore keeps aside a file of another game or with a malformed sample", () => {
  const ml = tempDir();
  const other = GameStore.open(ml, { cpuModel: CPU, gameName: "Other", owner: null, log: () => {} });
  other.add(makeSample(0, { game: "Other" }));
  other.close();
  const path = open(ml).path;
  Deno.copyFileSync(other.path, path);
  const lines: string[] = [];
  open(ml, { log: (l) => lines.push(l), now: FIXED_NOW });
  assert.match(lines[0], /holds game "Other"/);

  const bad = readDoc(other.path);
  (bad.samples[0].metrics as unknown as Record<string, unknown>).cpu_util_pct = null;
  Deno.writeTextFileSync(path, JSON.stringify(bad));
  const lines2: string[] = [];
  open(ml, { log: (l) => lines2.push(l), now: () => new Date("2025-11-26T00:00:00Z") });
  assert.match(lines2[0], /samples\[0\]\.metrics\.cpu_util_pct is null/);
});

Deno.test("GameStore refuses a symlinked samples file and never writes through it", () => {
  const ml = tempDir();
  const path = open(ml).path;
  const target = join(tempDir(), "victim");
  Deno.writeTextFileSync(target, "precious");
  Deno.symlinkSync(target, path);
  assert.throws(() => open(ml), (e: Error) => e instanceof UnsafePathError && e.message.includes(path));
  assert.equal(Deno.readTextFileSync(target), "precious");
});

Deno.test("GameStore refuses a symlinked CPU folder", () => {
  const ml = tempDir();
  const elsewhere = tempDir();
  Deno.symlinkSync(elsewhere, join(ml, safeName(CPU)));
  assert.throws(
    () => open(ml),
    (e: Error) => e instanceof UnsafePathError && e.message.includes(join(ml, safeName(CPU))),
  );
  assert.deepEqual([...Deno.readDirSync(elsewhere)], []);
});

Deno.test("GameStore refuses a symlinked ml dir", () => {
  const real = tempDir();
  const link = join(tempDir(), "ml_data");
  Deno.symlinkSync(real, link);
  assert.throws(() => open(link), UnsafePathError);
  assert.deepEqual([...Deno.readDirSync(real)], []);
});

Deno.test("GameStore refuses to save when the CPU folder was swapped for a symlink after opening", () => {
  const ml = tempDir();
  const store = open(ml);
  store.add(makeSample(0));
  const cpuDir = join(ml, safeName(CPU));
  const elsewhere = tempDir();
  Deno.removeSync(cpuDir, { recursive: true });
  Deno.symlinkSync(elsewhere, cpuDir);
  assert.throws(() => store.saveSync(), UnsafePathError);
  assert.deepEqual([...Deno.readDirSync(elsewhere)], []);
});

Deno.test("GameStore refuses a samples path that is a directory or a fifo", () => {
  const ml = tempDir();
  const path = open(ml).path;
  Deno.mkdirSync(path);
  assert.throws(() => open(ml), /not a regular file/);
  Deno.removeSync(path);
  new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.throws(() => open(ml), /not a regular file/);
});

Deno.test("GameStore gives hostile names distinct files, each directly inside the CPU folder", () => {
  const ml = tempDir();
  const names = ["../\n../pwn", "..\n..\nname", "../..", "..", ".", "", "a/b", "a\\b", "a_b", "/etc/passwd"];
  const paths = names.map((gameName) => open(ml, { cpuModel: "../cpu/\0model", gameName }).path);
  const cpuDirs = [...Deno.readDirSync(ml)];
  assert.equal(cpuDirs.length, 1);
  const cpuDir = join(ml, cpuDirs[0].name);
  assert.equal(new Set(paths).size, names.length);
  for (const p of paths) assert.equal(join(p, ".."), cpuDir);
  // And saving each really writes there.
  for (const gameName of names) {
    const store = open(ml, { cpuModel: "../cpu/\0model", gameName });
    store.add(makeSample(0, { game: gameName, cpu: "../cpu/\0model" }));
    store.close();
  }
  assert.equal([...Deno.readDirSync(cpuDir)].length, names.length);
});

Deno.test("GameStore gives created folders and files to the owner it is given", () => {
  const ml = join(tempDir(), "ml_data");
  const store = open(ml, { owner: { uid: 12345, gid: 23456 } });
  store.add(makeSample(0));
  store.close();
  for (const p of [ml, join(ml, safeName(CPU)), store.path]) {
    const st = Deno.lstatSync(p);
    assert.equal(st.uid, 12345, p);
    assert.equal(st.gid, 23456, p);
  }
  assert.equal(Deno.lstatSync(ml).mode! & 0o777, 0o755);
  assert.equal(Deno.lstatSync(store.path).mode! & 0o777, 0o644);
});

Deno.test("GameStore takes the owner from SUDO_UID and SUDO_GID when running as root", () => {
  const ml = tempDir();
  const env = new Map([["SUDO_UID", "4321"], ["SUDO_GID", "8765"]]);
  const store = GameStore.open(ml, { cpuModel: CPU, gameName: GAME, env, log: () => {} });
  store.add(makeSample(0));
  store.close();
  const st = Deno.lstatSync(store.path);
  const root = Deno.uid() === 0;
  assert.equal(st.uid, root ? 4321 : Deno.uid());
  assert.equal(st.gid, root ? 8765 : Deno.gid());
});

Deno.test("GameStore rejects a sample with a non-finite value and keeps nothing of it", () => {
  const ml = tempDir();
  const store = open(ml);
  const s = makeSample(0);
  s.metrics.latency.dispatch.p99_ns = Infinity;
  assert.throws(
    () => store.add(s),
    (e: Error) => e instanceof InvalidSampleError && /latency\.dispatch\.p99_ns/.test(e.message),
  );
  assert.equal(store.samples.length, 0);
});

Deno.test("GameStore rejects a sample of another game", () => {
  const store = open(tempDir());
  assert.throws(() => store.add(makeSample(0, { game: "Other" })), InvalidSampleError);
});

Deno.test("GameStore keeps its own copy of an added sample", () => {
  const ml = tempDir();
  const store = open(ml);
  const s = makeSample(0);
  store.add(s);
  s.config.slice_us = 12345;
  assert.equal(store.samples[0].config.slice_us, makeSample(0).config.slice_us);
});

Deno.test("GameStore merges samples another writer saved since it read the file", () => {
  const ml = tempDir();
  const a = open(ml);
  a.add(makeSample(1));
  const b = open(ml);
  b.add(makeSample(0));
  b.close();
  a.add(makeSample(2));
  a.close();
  assert.deepEqual(readDoc(a.path).samples, [0, 1, 2].map((i) => makeSample(i)));
});

Deno.test("GameStore async save never overwrites a newer synchronous save", async () => {
  const ml = tempDir();
  const store = open(ml);
  store.add(makeSample(0));
  store.add(makeSample(1));
  const pending = store.save();
  store.add(makeSample(2));
  store.saveSync();
  await pending;
  assert.deepEqual(readDoc(store.path).samples, [0, 1, 2].map((i) => makeSample(i)));
  assert.equal(store.unsaved, 0);
  const names = [...Deno.readDirSync(join(store.path, ".."))].map((e) => e.name);
  assert.deepEqual(names, [`${GAME}.json`]);
  assert.deepEqual(readDoc(store.path).samples, [0, 1, 2].map((i) => makeSample(i)));
});

Deno.test("GameStore async save writes the file", async () => {
  const ml = tempDir();
  const store = open(ml);
  store.add(makeSample(0));
  await store.save();
  assert.equal(readDoc(store.path).samples.length, 1);
});

Deno.test("GameStore refuses samples after close, and closing twice is harmless", () => {
  const store = open(tempDir());
  store.close();
  store.close();
  assert.throws(() => store.add(makeSample(0)), StoreClosedError);
});

Deno.test("GameStore rejects an autosave interval below 1", () => {
  assert.throws(() => open(tempDir(), { autosaveEvery: 0 }), RangeError);
});

Deno.test("GameStore with no samples saves a valid empty file with no best", () => {
  const store = open(tempDir());
  store.close();
  const doc = readDoc(store.path);
  assert.equal(doc.samples.length, 0);
  assert.equal(doc.best_score, null);
  assert.equal(doc.best_config, null);
});

Deno.test("GameStore keeps aside a file that turned corrupt since its last save, then writes all it holds", () => {
  const ml = tempDir();
  const lines: string[] = [];
  const store = open(ml, { log: (l) => lines.push(l), now: FIXED_NOW });
  store.add(makeSample(0));
  store.saveSync();
  Deno.writeTextFileSync(store.path, "garbage");
  store.add(makeSample(1));
  store.saveSync();
  assert.equal(readDoc(store.path).samples.length, 2);
  assert.equal(
    Deno.readTextFileSync(join(store.path, "..", `${GAME}.corrupt-20251125T135400Z.json`)),
    "garbage",
  );
  assert.equal(lines.length, 1);
});

Deno.test("GameStore recreates its file, with every sample it holds, after the file was deleted", () => {
  const ml = tempDir();
  const store = open(ml);
  store.add(makeSample(0));
  store.saveSync();
  Deno.removeSync(store.path);
  store.add(makeSample(1));
  store.saveSync();
  assert.equal(readDoc(store.path).samples.length, 2);
});

Deno.test("GameStore recreates its CPU folder when it was deleted between saves", () => {
  const ml = tempDir();
  const store = open(ml);
  store.add(makeSample(0));
  store.saveSync();
  Deno.removeSync(join(ml, safeName(CPU)), { recursive: true });
  store.add(makeSample(1));
  store.close();
  assert.equal(readDoc(store.path).samples.length, 2);
});

// ---- several processes, kill -9, journal ----

const WRITER = new URL("./fixtures/store_writer.ts", import.meta.url).pathname;

function writer(args: string[], stdout: "piped" | "null" = "null"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", WRITER, ...args],
    stdout,
    stderr: "piped",
  }).spawn();
}

function timestampsIn(ml: string): number[] {
  const doc = readStoredGame(join(ml, "cpu", "Game.json"));
  return (doc?.samples ?? []).map((s) => s.timestamp);
}

for (const mode of ["sync", "async"]) {
  Deno.test(`two processes saving one game file after every sample never lose one (${mode})`, async () => {
    const ml = tempDir();
    const n = 120;
    const [a, b] = [writer([ml, "0", String(n), mode]), writer([ml, "100000", String(n), mode])];
    const [ra, rb] = await Promise.all([a.output(), b.output()]);
    assert.ok(
      ra.success && rb.success,
      new TextDecoder().decode(ra.stderr) + new TextDecoder().decode(rb.stderr),
    );
    const ts = timestampsIn(ml).sort((x, y) => x - y);
    const want = [...Array(n).keys()].flatMap((i) => [1_000_000 + i, 1_100_000 + i]).sort((x, y) => x - y);
    assert.deepEqual(ts, want);
    // Both closed: everything is folded into the samples file, no journal, lock or temp file is left.
    assert.deepEqual([...Deno.readDirSync(join(ml, "cpu"))].map((e) => e.name), ["Game.json"]);
  });
}

Deno.test("a held lock makes another process's save wait, then fail naming the holder's pid", async () => {
  const ml = tempDir();
  const store = open(ml, { cpuModel: "cpu", gameName: "Game" });
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-check",
      new URL("./fixtures/hold_lock.ts", import.meta.url).pathname,
      store.path,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /locked/);
  store.add(makeSample(0, { cpu: "cpu", game: "Game" }));
  const started = performance.now();
  assert.throws(
    () => GameStore.open(ml, { cpuModel: "cpu", gameName: "Game", owner: null, lockWaitMs: 300 }),
    (e: Error) =>
      e.name === "LockBusyError" && e.message.includes(`locked by pid ${holder.pid} (deno)`) &&
      e.message.includes("Game.json"),
  );
  assert.ok(performance.now() - started >= 300);
  await holder.stdin.close();
  reader.releaseLock();
  await holder.stdout.cancel();
  await holder.status;
  // Released: the save goes through.
  store.close();
  assert.equal(readDoc(store.path).samples.length, 1);
});

Deno.test("kill -9 at random moments: the files parse and every sample of a completed autosave is kept", async () => {
  const ml = tempDir();
  let next = 0;
  let lastDurable = -1;
  for (let round = 0; round < 6; round++) {
    const child = writer([ml, String(next), "0", "forever", "7"], "piped");
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const killAt = performance.now() + 400 + Math.random() * 900;
    while (performance.now() < killAt) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, killAt - performance.now()))),
      ]);
      if (chunk === null || chunk.done) break;
      text += chunk.value;
    }
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
    const durable = [...text.matchAll(/durable (\d+)/g)].map((m) => Number(m[1]));
    if (durable.length > 0) lastDurable = Math.max(lastDurable, ...durable);
    const ts = new Set(timestampsIn(ml));
    for (let i = 0; i <= lastDurable; i++) {
      assert.ok(
        ts.has(1_000_000 + i),
        `round ${round}: sample ${i} was autosaved (<= ${lastDurable}) but is gone`,
      );
    }
    next = Math.max(next, lastDurable + 1, ...[...ts].map((t) => t - 1_000_000 + 1));
  }
  assert.ok(lastDurable > 20, `the writer got going (${lastDurable})`);
  // The next store to open folds the journal in and removes what killed writers left.
  const store = GameStore.open(ml, { cpuModel: "cpu", gameName: "Game", owner: null, log: () => {} });
  store.close();
  const names = [...Deno.readDirSync(join(ml, "cpu"))].map((e) => e.name);
  assert.deepEqual(names, ["Game.json"]);
  assert.ok(readDoc(store.path).samples.length > lastDurable);
});

Deno.test("an append cut short is cut off and the next append starts on a clean line", async () => {
  const ml = tempDir();
  const a = open(ml, { autosaveEvery: 2 });
  a.add(makeSample(0));
  a.add(makeSample(1));
  await a.flush();
  // What a writer killed half-way through an append leaves: a line without its end.
  Deno.writeTextFileSync(a.journalPath, JSON.stringify(makeSample(2)).slice(0, 300), { append: true });
  a.add(makeSample(3));
  a.add(makeSample(4));
  await a.flush();
  const lines = Deno.readTextFileSync(a.journalPath).split("\n");
  assert.equal(lines.at(-1), "");
  for (const line of lines.slice(0, -1)) JSON.parse(line);
  const logs: string[] = [];
  const b = open(ml, { log: (l) => logs.push(l) });
  assert.deepEqual(b.samples, [0, 1, 3, 4].map((i) => makeSample(i)));
  assert.deepEqual(logs, []);
  assert.equal(exists(b.journalPath), false);
});

Deno.test("a journal a writer was killed creating (empty, or its header torn) is removed, not kept aside", () => {
  for (const torn of ["", formatJournalHeader(GAME, CPU).slice(0, 40)]) {
    const ml = tempDir();
    const a = open(ml);
    a.add(makeSample(0));
    a.close();
    Deno.writeTextFileSync(a.journalPath, torn);
    const logs: string[] = [];
    const b = open(ml, { log: (l) => logs.push(l) });
    assert.deepEqual(b.samples, [makeSample(0)]);
    assert.deepEqual(logs, []);
    assert.deepEqual([...Deno.readDirSync(join(b.path, ".."))].map((e) => e.name), [`${GAME}.json`]);
  }
});

Deno.test("a journal without a complete line that is not this store's header is kept aside", () => {
  const ml = tempDir();
  const a = open(ml);
  a.close();
  Deno.writeTextFileSync(a.journalPath, "someone else's words");
  const logs: string[] = [];
  open(ml, { log: (l) => logs.push(l) });
  assert.equal(logs.length, 1);
  assert.match(logs[0], /not a scx_gamer journal.*kept it as .*\.corrupt-/);
  const names = [...Deno.readDirSync(join(a.path, ".."))].map((e) => e.name).sort();
  assert.equal(names.length, 2);
  assert.equal(
    Deno.readTextFileSync(join(a.path, "..", names.find((n) => n.includes(".corrupt-"))!)),
    "someone else's words",
  );
});

Deno.test("an autosave appends only the new samples: the samples file is not rewritten", async () => {
  const ml = tempDir();
  const first = open(ml);
  for (let i = 0; i < 500; i++) first.add(makeSample(i));
  first.close();
  const before = Deno.statSync(first.path);
  const store = open(ml, { autosaveEvery: 10 });
  for (let i = 500; i < 510; i++) store.add(makeSample(i));
  await store.flush();
  const after = Deno.statSync(store.path);
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
  const journal = Deno.readTextFileSync(store.journalPath);
  assert.equal(journal.split("\n").length - 1, 1 + 10);
  assert.ok(journal.length < 20 * JSON.stringify(makeSample(0)).length);
});

Deno.test("temp files a killed writer left are removed when a store opens; a live writer's are kept", () => {
  const ml = tempDir();
  const store = open(ml);
  store.close();
  const dir = join(store.path, "..");
  const dead = join(dir, `.${GAME}.json.tmp-999999999-3-abc`);
  const live = join(dir, `.${GAME}.json.tmp-${Deno.pid}-7-def`);
  Deno.writeTextFileSync(dead, "partial");
  Deno.writeTextFileSync(live, "in progress");
  open(ml).close();
  assert.equal(exists(dead), false);
  assert.equal(exists(live), true);
});

Deno.test("a failed autosave is one log line; the samples stay and the next save writes them", async () => {
  const ml = tempDir();
  const logs: string[] = [];
  const store = open(ml, { autosaveEvery: 1, log: (l) => logs.push(l) });
  Deno.mkdirSync(store.journalPath);
  store.add(makeSample(0));
  await store.flush().catch(() => {});
  assert.equal(logs.length, 1);
  assert.match(
    logs[0],
    /autosave of Cyberpunk2077 failed: cannot open .*Cyberpunk2077\.journal: it is a directory; its 1 samples stay/,
  );
  assert.equal(store.unsaved, 1);
  Deno.removeSync(store.journalPath);
  store.close();
  assert.equal(readDoc(store.path).samples.length, 1);
});

Deno.test("a journal a writer was killed creating (no complete header line) reads as no journal", () => {
  const ml = tempDir();
  const store = open(ml);
  store.add(makeSample(0));
  store.close();
  for (const torn of ["", '{"schema":"scx_gamer.jour']) {
    Deno.writeTextFileSync(store.journalPath, torn);
    assert.deepEqual(readStored(store.path).samples.map((s) => s.timestamp), [makeSample(0).timestamp]);
  }
  Deno.removeSync(store.path);
  assert.equal(readStoredGame(store.path), null);
});
