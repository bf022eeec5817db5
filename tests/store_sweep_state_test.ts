import assert from "node:assert/strict";
import { join } from "node:path";
import { buildGrid } from "../lib/modes/sweep/grid.ts";
import { makePlan } from "../lib/modes/sweep/plan.ts";
import {
  emptyState,
  type FinishedConfig,
  finishedKeys,
  loadState,
  parseState,
  pendingConfigs,
  saveState,
  SweepStateError,
} from "../lib/store/sweep_state.ts";
import { tempDir } from "./fixtures/temp.ts";

const plan = makePlan(buildGrid({ slice_us: [5, 10, 15] }), { durationS: 60, settleS: 5 });

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
  state.configs[plan.configs[0].key] = entry("done");
  state.configs[plan.configs[1].key] = entry("failed", "scx_gamer: ejected");
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
    /refusing to use .*sweep_state\.json: it is a symlink/,
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

Deno.test("resume skips every finished config, done or failed", () => {
  const state = emptyState();
  state.configs[plan.configs[0].key] = entry("done");
  state.configs[plan.configs[2].key] = entry("failed", "rejected");
  assert.deepEqual(pendingConfigs(plan, state).map((p) => p.label), ["slice_us=10"]);
});

Deno.test("with retryFailed, failed configs run again and done ones stay skipped", () => {
  const state = emptyState();
  state.configs[plan.configs[0].key] = entry("done");
  state.configs[plan.configs[2].key] = entry("failed", "rejected");
  assert.deepEqual(pendingConfigs(plan, state, { retryFailed: true }).map((p) => p.label), [
    "slice_us=10",
    "slice_us=15",
  ]);
  assert.deepEqual(finishedKeys(state, { retryFailed: true }), new Set([plan.configs[0].key]));
});

Deno.test("a state from a different grid only skips the configs both grids share", () => {
  const other = makePlan(buildGrid({ slice_us: [10, 20] }), { durationS: 60, settleS: 5 });
  const state = emptyState();
  for (const p of other.configs) state.configs[p.key] = entry("done");
  assert.deepEqual(pendingConfigs(plan, state).map((p) => p.label), ["slice_us=5", "slice_us=15"]);
});

Deno.test("a malformed entry's key is shown with its control characters escaped", () => {
  const text = JSON.stringify({ version: 1, configs: { "\x1b]0;PWN\x07\x1b[2J\u009b": { status: "x" } } });
  const message = stateError(() => parseState(text, "s\x1b[2J.json"));
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(message, /[\x00-\x1f\x7f-\x9f]/);
  assert.match(message, /the entry for '\\x1b\]0;PWN\\x07\\x1b\[2J\\x9b' is malformed/);
});
