import assert from "node:assert/strict";
import { buildGrid } from "../lib/grid.ts";
import { parseArgs, type SweepCommand } from "../lib/cli/modes.ts";
import type { AttachedCommand, AttachedEnd } from "../lib/modes/attached.ts";
import { pendingConfigs, readGrid, recordOf, sweepMode } from "../lib/modes/sweep.ts";
import { makePlan } from "../lib/modes/sweep_plan.ts";
import { emptyState, type FinishedConfig } from "../lib/store/sweep_state.ts";
import { UsageError } from "../lib/cli/engine.ts";
import type { Sample } from "../lib/types.ts";
import { tempDir } from "./fixtures/temp.ts";
import { mountTmpfs } from "./fixtures/tmpfs.ts";

// The grid's configs only; the reference windows of the defaults have their own test.
const plan = makePlan(buildGrid({ slice_us: [5, 10, 15] }), { durationS: 60, settleS: 5, referenceEvery: 0 });

function entry(status: FinishedConfig["status"], reason: string | null = null): FinishedConfig {
  return {
    status,
    reason,
    exitCode: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    ranS: 60,
  };
}

Deno.test("resume skips done and failed configs and runs empty ones again", () => {
  const state = emptyState();
  state.configs[plan.configs[0].key] = entry("done");
  state.configs[plan.configs[1].key] = entry("empty", "no sample");
  state.configs[plan.configs[2].key] = entry("failed", "rejected");
  assert.deepEqual(pendingConfigs(plan, state).map((p) => p.label), ["slice_us=10"]);
  assert.deepEqual(pendingConfigs(plan, state, { retryFailed: true }).map((p) => p.label), [
    "slice_us=10",
    "slice_us=15",
  ]);
});

Deno.test("a state from a different grid only skips the configs both grids share", () => {
  const other = makePlan(buildGrid({ slice_us: [10, 20] }), { durationS: 60, settleS: 5, referenceEvery: 0 });
  const state = emptyState();
  for (const p of other.configs) state.configs[p.key] = entry("done");
  assert.deepEqual(pendingConfigs(plan, state).map((p) => p.label), ["slice_us=5", "slice_us=15"]);
});

Deno.test("a resumed sweep skips the reference windows it finished, each by its place", () => {
  const withReferences = makePlan(buildGrid({ slice_us: [5, 10, 15] }), {
    durationS: 60,
    settleS: 5,
    referenceEvery: 2,
  });
  const state = emptyState();
  for (const p of withReferences.configs.slice(0, 3)) state.configs[p.key] = entry("done");
  assert.deepEqual(pendingConfigs(withReferences, state).map((p) => p.label), [
    "defaults (reference 2/3)",
    "slice_us=15",
    "defaults (reference 3/3)",
  ]);
});

Deno.test("a config with samples is recorded done, one without is empty with the reason", () => {
  const window = { config: plan.configs[0].config, label: "x", settleS: 5, measureS: 60 };
  const base = { window, position: 0, startedAt: new Date(0), finishedAt: new Date(60_000) };
  const done = recordOf({ ...base, samples: Array(12).fill({} as Sample) });
  assert.equal(done.status, "done");
  assert.equal(done.samples, 12);
  assert.equal(done.reason, null);
  assert.equal(done.ranS, 60);
  const empty = recordOf({ ...base, samples: [] });
  assert.equal(empty.status, "empty");
  assert.match(empty.reason!, /no game/);
});

Deno.test("a grid file is read through the input-file checks and merged with the flags", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/g.json`, '{"slice_us": [5, 10], "mig_max": 2}');
  const grid = readGrid({ gridFile: `${dir}/g.json`, axes: { mig_max: [1, 3] } });
  assert.deepEqual(grid.map((a) => [a.key, a.values]), [["slice_us", [5, 10]], ["mig_max", [1, 3]]]);
  new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).outputSync();
  assert.throws(
    () => readGrid({ gridFile: `${dir}/fifo`, axes: {} }),
    (e: Error) => e instanceof UsageError && /--grid .*fifo: not a regular file/.test(e.message),
  );
  Deno.writeTextFileSync(`${dir}/hex.json`, '{"slice_us": ["0x10"]}');
  assert.throws(() => readGrid({ gridFile: `${dir}/hex.json`, axes: {} }), UsageError);
});

/** A sweep of one config with `extra` flags (its data under `dir` unless given), and a scheduler that counts its starts. */
function sweepOf(dir: string, extra: string[]) {
  const mlDir = extra.includes("--ml-dir") ? [] : ["--ml-dir", `${dir}/ml`];
  const cmd = parseArgs(["--sweep", "--slice-us", "250", ...mlDir, ...extra]) as SweepCommand;
  const started: AttachedCommand[] = [];
  const runAttached = (c: AttachedCommand) => {
    started.push(c);
    return Promise.resolve({ reason: "done", exit: null, samples: 0, signalName: null } as AttachedEnd);
  };
  return { cmd, started, options: { runAttached } };
}

Deno.test("a bad --state or --ml-dir is refused in one line naming it before the first config starts", async () => {
  const dir = tempDir();
  const disk = mountTmpfs({ sizeKiB: 64 });
  try {
    disk.remountReadOnly();
    Deno.writeTextFileSync(`${dir}/notes.txt`, "x");
    Deno.mkdirSync(`${dir}/a_folder`);
    Deno.mkdirSync(`${dir}/real`);
    Deno.symlinkSync(`${dir}/real`, `${dir}/link`);
    const cases: [string[], string, RegExp][] = [
      [
        ["--state", `${dir}/missing/state.json`],
        `${dir}/missing/state.json`,
        /the folder .*missing does not exist/,
      ],
      [["--state", `${disk.dir}/state.json`], `${disk.dir}/state.json`, /the file system is read-only/],
      [["--state", `${dir}/a_folder`], "a_folder", /not a regular file/],
      [["--state", `${dir}/link`], "link", /symlink/],
      [["--ml-dir", `${dir}/notes.txt`], "notes.txt", /not a directory/],
      // With the state file elsewhere, the data folder is still checked before anything runs.
      [["--ml-dir", `${dir}/notes.txt`, "--state", `${dir}/s.json`], "notes.txt", /not a directory/],
      [["--ml-dir", `${dir}/link`, "--state", `${dir}/s.json`], "link", /symlink/],
      [
        ["--ml-dir", `${disk.dir}/ml`, "--state", `${dir}/s.json`],
        `${disk.dir}/ml`,
        /the file system is read-only/,
      ],
    ];
    for (const [flags, names, why] of cases) {
      const { cmd, started, options } = sweepOf(dir, flags);
      await assert.rejects(sweepMode(cmd, options), (e: Error) => {
        assert.ok(!e.message.includes("\n") && e.message.includes(names) && why.test(e.message), e.message);
        return true;
      });
      assert.equal(started.length, 0, `${flags.join(" ")}: nothing may start`);
    }
  } finally {
    disk.close();
  }
  // The same sweep with usable paths starts, once, after writing its state file.
  const ok = sweepOf(dir, ["--state", `${dir}/state.json`]);
  assert.equal(await sweepMode(ok.cmd, ok.options), 0);
  assert.equal(ok.started.length, 1);
  assert.ok(Deno.statSync(`${dir}/state.json`).isFile);
});
