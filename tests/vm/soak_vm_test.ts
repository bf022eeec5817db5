/**
 * Issue 15's soak on the real sched_ext kernel: for 10 minutes, and at least 5 kills, scx_gamer collects
 * samples of a game-shaped workload and is killed with SIGKILL at random moments, started again each time
 * (tools/vm/scenarios/soak.sh). Afterwards every game file parses, no sample a run had shown is missing
 * (its stats line counts only samples durable on disk, so none may be lost), no temp or lock file is
 * left, and sched_ext was back to disabled after every kill.
 */

import assert from "node:assert/strict";
import * as path from "node:path";
import { runInVm } from "../../tools/vm/vm.ts";
import { REPO_ROOT } from "../../tools/vm/layers.ts";
import { readAllStores } from "../../lib/store/store_dir.ts";

const SOAK_S = 600;
const SOAK_KILLS = 5;
/** The scenario stops starting runs after this, kills or not (rounds take 60-150 s under emulation). */
const SOAK_MAX_S = 1200;

function read(dir: string, name: string): string {
  try {
    return Deno.readTextFileSync(path.join(dir, name)).trim();
  } catch {
    return "";
  }
}

Deno.test("soak: kill -9 at random moments while collecting, restarted each time (issue 15)", async (t) => {
  const result = await runInVm(path.join(REPO_ROOT, "tools/vm/scenarios/soak.sh"), {
    env: { SOAK_S: String(SOAK_S), SOAK_KILLS: String(SOAK_KILLS), SOAK_MAX_S: String(SOAK_MAX_S) },
    timeoutS: SOAK_MAX_S + 900,
  });
  console.log(`VM: ${result.message}; scenario ${result.scenarioSeconds?.toFixed(1)} s`);
  assert.equal(result.status, 0, `${result.message}\n${result.log.slice(-4000)}`);
  const out = result.outDir!;
  const runs = read(out, "runs.txt").split("\n").filter((l) => l).map((l) => {
    const [run, seen, state] = l.split(" ");
    return { run: Number(run), seen: Number(seen), state };
  });
  console.log(
    `  ${runs.length} runs killed; samples shown before each kill: ${runs.map((r) => r.seen).join(" ")}`,
  );

  await t.step("the scheduler was killed several times, and sched_ext was disabled after every kill", () => {
    assert.ok(runs.length >= SOAK_KILLS, `only ${runs.length} runs in ${SOAK_MAX_S} s`);
    for (const r of runs) {
      assert.equal(r.state, "disabled", `run ${r.run}: sched_ext ${r.state} after the kill`);
    }
    assert.equal(read(out, "state_end.txt"), "disabled");
  });

  await t.step("every game file parses and no sample a run had shown is missing", () => {
    const { games, warnings } = readAllStores(path.join(out, "ml"));
    assert.deepEqual(warnings, []);
    const stored = games.reduce((n, g) => n + g.doc.samples.length, 0);
    // A run shows only durable samples, so a kill loses none of them; the clean last run adds its own.
    const shown = runs.reduce((n, r) => n + r.seen, 0);
    console.log(`  ${stored} samples stored, ${shown} shown durable before the kills`);
    assert.ok(stored >= shown, `${stored} stored < ${shown} shown`);
    assert.equal(read(out, "final.rc"), "0", read(out, "final.log").slice(-2000));
    assert.equal(read(out, "export.rc"), "0", read(out, "export.log"));
  });

  await t.step("no temp or lock file is left", () => {
    assert.equal(read(out, "temps.txt"), "");
  });
});
