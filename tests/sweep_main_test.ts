import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitOrAbort } from "../lib/modes/sweep/child.ts";
import { loadState } from "../lib/store/sweep_state.ts";
import { fakeRuns, fakeSchedulerCommand } from "./fixtures/fake_scheduler.ts";
import { tempDir } from "./fixtures/temp.ts";

const SWEEP = fileURLToPath(new URL("../lib/modes/sweep/main.ts", import.meta.url));

function sweepCommand(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SWEEP, ...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  });
}

async function sweep(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await sweepCommand(args).output();
  const dec = new TextDecoder();
  return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
}

/** The fake scheduler with a fake sysfs: it reports "enabled" once its signal handlers are in place. */
function fakeArgs(dir: string): string[] {
  const fakeDir = join(dir, "fake");
  const sysRoot = join(dir, "sys");
  Deno.mkdirSync(fakeDir, { recursive: true });
  Deno.mkdirSync(join(sysRoot, "kernel/sched_ext"), { recursive: true });
  Deno.writeTextFileSync(join(sysRoot, "kernel/sched_ext/state"), "disabled\n");
  const fake = fakeSchedulerCommand({ FAKE_SCHED_DIR: fakeDir, FAKE_SCHED_SYS_ROOT: sysRoot });
  return [
    ...["--scheduler", fake.join(" ")],
    ...["--ml-dir", join(dir, "ml"), "--sys-root", sysRoot, "--settle", "0"],
  ];
}

Deno.test("--dry-run prints every config's command line, the count and the total time", async () => {
  const dir = tempDir();
  const r = await sweep([
    ...[
      "--slice-us",
      "5,10",
      "--input-window-us",
      "2000",
      "--mig-max",
      "1,3",
      "--duration",
      "4",
      "--settle",
      "1",
    ],
    ...["--ml-dir", join(dir, "ml"), "--scheduler", "scx_gamer", "--dry-run"],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 6);
  assert.match(
    lines[1],
    /^\[1\/4\] scx_gamer --ml-collect --ml-sample-interval 5 --ml-dir \S+ --slice-us 5 .*--mig-max 1 /,
  );
  assert.equal(lines[5], "4 configs, 0 already finished, 4 to run: about 19 s in total");
  assert.throws(() => Deno.statSync(join(dir, "ml")), "a dry run creates nothing");
});

Deno.test("a bad command line exits 2 with one line naming the flag", async () => {
  const r = await sweep(["--mig-max", "0"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "sweep: --mig-max 0 is out of range: expected 1..1000\n");
  assert.equal(r.stdout, "");
});

Deno.test("a sweep prints plain progress lines when not on a terminal, and a rerun skips what finished", async () => {
  const dir = tempDir();
  const args = [
    ...fakeArgs(dir),
    "--slice-us",
    "5,10",
    "--input-window-us",
    "2000",
    "--mig-max",
    "3",
    "--duration",
    "1",
  ];
  const r = await sweep(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sweep: 2 configs to run, about 2 s\n/);
  assert.match(r.stdout, /\n\[1\/2\] slice_us=5 input_window_us=2000 mig_max=3 started\n/);
  assert.match(r.stdout, /\n\[2\/2\] slice_us=10 input_window_us=2000 mig_max=3 done in \d+ s\n/);
  assert.match(r.stdout, /\nsweep: finished: 2 done, 0 failed \(of 2 in the grid\)\n/);
  assert.ok(!r.stdout.includes("\r"));
  const again = await sweep(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /sweep: 0 configs to run, 2 already finished \(skipped\)/);
  assert.equal(fakeRuns(join(dir, "fake")).length, 2);
});

Deno.test("--verbose prints the scheduler's own lines, stamped with the sweep's clock", async () => {
  const dir = tempDir();
  const r = await sweep(
    [...fakeArgs(dir), "--slice-us", "5", "--input-window-us", "2000", "--mig-max", "3"].concat(
      ["--duration", "1", "--verbose"],
    ),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n {2}\| \+\d+\.\ds scx_gamer: attached \(fake\)\n/);
  assert.match(r.stdout, /\n {2}\| \+\d+\.\ds scx_gamer: detached \(SIGINT\)\n/);
});

Deno.test("SIGINT to the sweep stops the child with SIGINT, keeps that config unfinished and exits 130", async () => {
  const dir = tempDir();
  const child = sweepCommand([...fakeArgs(dir), "--slice-us", "5,10", "--duration", "120"]).spawn();
  const fakeDir = join(dir, "fake");
  for (let i = 0; i < 400 && fakeRuns(fakeDir).length === 0; i++) await waitOrAbort(0.05);
  assert.equal(fakeRuns(fakeDir).length, 1, "the first config started");
  child.kill("SIGINT");
  const r = await child.output();
  const stdout = new TextDecoder().decode(r.stdout);
  assert.equal(r.code, 130, stdout);
  const runs = fakeRuns(fakeDir);
  assert.equal(runs.length, 1, "no further config started");
  assert.equal(runs[0].gotSigint, true);
  assert.deepEqual(loadState(join(dir, "ml", "sweep_state.json")).configs, {});
  assert.match(
    stdout,
    /\[ 1\/18\] slice_us=5 input_window_us=1000 mig_max=1 interrupted: stopped, not marked finished\n/,
  );
  assert.match(
    stdout,
    /sweep: to resume, run the same command again: deno task sweep --scheduler '.*' --ml-dir /,
  );
});

Deno.test("a state file that is a symlink stops the sweep with one line and exit 1", async () => {
  const dir = tempDir();
  Deno.mkdirSync(join(dir, "ml"));
  Deno.writeTextFileSync(join(dir, "target"), "{}");
  Deno.symlinkSync(join(dir, "target"), join(dir, "ml", "sweep_state.json"));
  const r = await sweep([...fakeArgs(dir), "--slice-us", "5", "--duration", "1"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^sweep: refusing to read .*sweep_state\.json: it is a symlink.*\n$/);
  assert.equal(fakeRuns(join(dir, "fake")).length, 0);
});
