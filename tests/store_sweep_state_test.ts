import assert from "node:assert/strict";
import { join } from "node:path";
import {
  claimState,
  emptyState,
  type FinishedConfig,
  finishedKeys,
  loadState,
  parseState,
  saveState,
  SweepStateError,
} from "../lib/store/sweep_state.ts";
import { otherUser } from "./fixtures/other_user.ts";
import { tempDir } from "./fixtures/temp.ts";

function entry(status: "done" | "failed", reason: string | null = null): FinishedConfig {
  return {
    status,
    reason,
    exitCode: status === "done" ? 0 : 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    ranS: 60,
    attachS: 2,
  };
}

function stateError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SweepStateError, `expected SweepStateError, got ${e}`);
    assert.ok(!e.message.includes("\n"), "one line");
    return e.message;
  }
  assert.fail("expected a SweepStateError");
}

Deno.test("a missing state file reads as nothing finished", () => {
  assert.deepEqual(loadState(join(tempDir(), "sweep_state.json")), emptyState());
});

Deno.test("a saved state reads back the same", () => {
  const file = join(tempDir(), "sweep_state.json");
  const state = emptyState();
  state.configs["--slice-us 5"] = entry("done");
  state.configs["--slice-us 10"] = entry("failed", "scx_gamer: ejected");
  saveState(file, state);
  assert.deepEqual(loadState(file), state);
});

Deno.test("saving replaces the file by rename and leaves no temp file behind", () => {
  const dir = tempDir();
  const file = join(dir, "sweep_state.json");
  saveState(file, emptyState());
  const inodeBefore = Deno.statSync(file).ino;
  const state = emptyState();
  state.configs["--slice-us 5"] = entry("done");
  saveState(file, state);
  assert.notEqual(Deno.statSync(file).ino, inodeBefore, "a new file was renamed into place");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["sweep_state.json"]);
});

Deno.test("saving refuses a symlink in the state file's place and leaves its target alone", () => {
  const dir = tempDir();
  const target = join(dir, "target.txt");
  Deno.writeTextFileSync(target, "precious");
  const file = join(dir, "sweep_state.json");
  Deno.symlinkSync(target, file);
  assert.match(
    stateError(() => saveState(file, emptyState())),
    /refusing to (use|read) .*sweep_state\.json: it is a symlink/,
  );
  assert.equal(Deno.readTextFileSync(target), "precious");
  assert.ok(Deno.lstatSync(file).isSymlink);
});

Deno.test("loading refuses a symlink in the state file's place", () => {
  const dir = tempDir();
  const target = join(dir, "other.json");
  Deno.writeTextFileSync(target, JSON.stringify(emptyState()));
  const file = join(dir, "sweep_state.json");
  Deno.symlinkSync(target, file);
  assert.match(stateError(() => loadState(file)), /refusing to read .*sweep_state\.json: it is a symlink/);
});

Deno.test("a state file that is not JSON or not a sweep state is refused with its name", () => {
  assert.match(
    stateError(() => parseState("{", "s.json")),
    /^s\.json: not a sweep state file \(not valid JSON\)/,
  );
  assert.match(
    stateError(() => parseState('{"version": 2, "configs": {}}', "s.json")),
    /^s\.json: not a sweep state file/,
  );
  assert.match(
    stateError(() =>
      parseState('{"version": 1, "configs": {"--slice-us 5": {"status": "maybe"}}}', "s.json")
    ),
    /^s\.json: the entry for '--slice-us 5' is malformed/,
  );
});

Deno.test("a state entry without attachS (an older state) still reads", () => {
  const text = JSON.stringify({
    version: 1,
    configs: { "--slice-us 5": { ...entry("done"), attachS: undefined } },
  });
  assert.equal(parseState(text, "s.json").configs["--slice-us 5"].status, "done");
});

Deno.test("finished keys are done configs and failed ones (unless retried), never empty ones", () => {
  const state = emptyState();
  state.configs["--a"] = entry("done");
  state.configs["--b"] = entry("failed", "rejected");
  state.configs["--c"] = { ...entry("done"), status: "empty", samples: 0 };
  assert.deepEqual(finishedKeys(state), new Set(["--a", "--b"]));
  assert.deepEqual(finishedKeys(state, { retryFailed: true }), new Set(["--a"]));
});

Deno.test("an empty entry with a sample count reads back; a negative count is refused", () => {
  const ok = { ...entry("done"), status: "empty", samples: 0 };
  assert.equal(
    parseState(JSON.stringify({ version: 1, configs: { "--a": ok } }), "s.json").configs["--a"].status,
    "empty",
  );
  const bad = { ...ok, samples: -1 };
  assert.match(
    stateError(() => parseState(JSON.stringify({ version: 1, configs: { "--a": bad } }), "s.json")),
    /malformed/,
  );
});

Deno.test("a malformed entry's key is shown with its control characters escaped", () => {
  const text = JSON.stringify({ version: 1, configs: { "\x1b]0;PWN\x07\x1b[2J\u009b": { status: "x" } } });
  const message = stateError(() => parseState(text, "s\x1b[2J.json"));
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(message, /[\x00-\x1f\x7f-\x9f]/);
  assert.match(message, /the entry for '\\x1b\]0;PWN\\x07\\x1b\[2J\\x9b' is malformed/);
});

Deno.test("two sweeps saving one state file keep every finished config of both", async () => {
  const file = join(tempDir(), "sweep_state.json");
  const run = (prefix: string) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-check",
        new URL("./fixtures/state_writer.ts", import.meta.url).pathname,
        file,
        prefix,
        "40",
      ],
      stderr: "piped",
    }).output();
  const [a, b] = await Promise.all([run("a"), run("b")]);
  assert.ok(a.success && b.success, new TextDecoder().decode(a.stderr) + new TextDecoder().decode(b.stderr));
  const keys = Object.keys(loadState(file).configs).sort();
  assert.equal(keys.length, 80);
  assert.deepEqual(keys.filter((k) => k.startsWith("a-")).length, 40);
  assert.deepEqual([...Deno.readDirSync(join(file, ".."))].map((e) => e.name), ["sweep_state.json"]);
});

Deno.test("a state file claimed by a running sweep is refused with its pid", async () => {
  const file = join(tempDir(), "sweep_state.json");
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-check",
      new URL("./fixtures/hold_lock.ts", import.meta.url).pathname,
      file + ".sweep",
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = holder.stdout.getReader();
  await reader.read();
  assert.throws(
    () => claimState(file),
    (e: Error) =>
      e instanceof SweepStateError &&
      e.message.includes(`sweep_state.json is locked by pid ${holder.pid} (deno)`),
  );
  await holder.stdin.close();
  reader.releaseLock();
  await holder.stdout.cancel();
  await holder.status;
  const claim = claimState(file);
  claim.release();
});

Deno.test("a FIFO or an oversized file as the state file is refused at once with one line", () => {
  const dir = tempDir();
  const fifo = join(dir, "fifo.json");
  new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
  assert.match(
    stateError(() => loadState(fifo)),
    /fifo\.json: it is not a regular file; expected a sweep state file/,
  );
  const big = join(dir, "big.json");
  Deno.writeTextFileSync(big, " ".repeat(64 * 1024 * 1024 + 1));
  assert.match(stateError(() => loadState(big)), /big\.json: 67108865 bytes is more than the 67108864/);
});

Deno.test("a state file in a folder another user can change is refused before anything, its lock included, is made there", () => {
  const mallory = otherUser();
  const hers = join(tempDir(), "hers");
  Deno.mkdirSync(hers);
  Deno.chownSync(hers, mallory.uid, mallory.gid);
  const file = join(hers, "sweep_state.json");
  const refused = (e: Error) =>
    e instanceof SweepStateError && e.message.includes(`hers: it belongs to uid ${mallory.uid}`);
  assert.throws(() => saveState(file, emptyState()), refused);
  assert.throws(() => claimState(file), refused);
  assert.deepEqual([...Deno.readDirSync(hers)], [], "root made nothing in her folder");
});
