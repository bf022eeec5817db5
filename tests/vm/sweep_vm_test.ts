/**
 * `scx_gamer --sweep` for real: one VM boot runs scripts/demo_guest.sh, which sweeps 2 configs of the
 * real scheduler in one attach (each applied live, settled 1 s, measured 8 s while the game runs) over
 * gamesim and exports the CSV; the steps below judge what came back in out/. Nothing is mocked: the
 * scheduler attaches to the sched_ext test kernel, and saves the samples it collected.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { readAllStores } from "../../lib/store/store_dir.ts";
import { buildGrid } from "../../lib/grid.ts";
import { makePlan } from "../../lib/modes/sweep_plan.ts";
import { loadState } from "../../lib/store/sweep_state.ts";
import { runInVm } from "../../tools/vm/vm.ts";
import { defaultConfig } from "../../lib/config.ts";
import { REPO_ROOT } from "../../tools/vm/layers.ts";

const SLICES = [500, 2000];
// One value, the default, fixes each of the default grid's other axes: 2 configs.
const DEFAULTS = defaultConfig();
const SWEEP_ARGS = [
  ...[
    "--slice-us",
    SLICES.join(","),
    "--slice-lag-us",
    String(DEFAULTS.slice_lag_us),
    "--input-window-us",
    "2000",
    "--mig-max",
    "3",
  ],
  ...["--parity-us", String(DEFAULTS.parity_us)],
  ...["--duration", "8", "--settle", "1", "--ml-sample-interval", "1"],
];

async function bundle(entry: string, output: string): Promise<void> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", output, join(REPO_ROOT, entry)],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 0, `deno bundle ${entry}: ${new TextDecoder().decode(r.stderr)}`);
}

Deno.test("a sweep of 2 configs (and 2 reference windows of the defaults) on the sched_ext kernel", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "sweep_vm_test_" });
  try {
    // This test's own bundles of the current source, so it never races another run over dist/.
    const scxJs = join(tmp, "scx_gamer.js");
    await bundle("main.ts", scxJs);

    const started = performance.now();
    const result = await runInVm(join(REPO_ROOT, "scripts/demo_guest.sh"), {
      args: SWEEP_ARGS,
      bundle: scxJs,
      outDir: join(tmp, "out"),
      inputRateHz: 30,
      timeoutS: 900,
    });
    const wall = (performance.now() - started) / 1000;
    console.log(
      `VM sweep: ${result.message}; boot ${result.bootSeconds?.toFixed(1)} s, scenario ` +
        `${result.scenarioSeconds?.toFixed(1)} s, wall ${wall.toFixed(1)} s`,
    );
    assert.equal(result.status, 0, `${result.message}\n${result.log.slice(-6000)}`);
    const out = result.outDir!;
    const plan = makePlan(buildGrid({ slice_us: SLICES, input_window_us: [2000], mig_max: [3] }), {
      durationS: 8,
      settleS: 1,
    });

    await t.step(
      "both configs and the defaults' reference windows around them were measured, recorded done",
      () => {
        assert.deepEqual(plan.configs.map((p) => p.reference), [true, false, false, true]);
        const state = loadState(join(out, "ml", "sweep_state.json"));
        for (const p of plan.configs) {
          const entry = state.configs[p.key];
          assert.ok(entry, `no state entry for ${p.label}`);
          assert.equal(entry.status, "done", `${p.label}: ${entry.reason}`);
          assert.ok((entry.samples ?? 0) >= 1, `${p.label}: ${entry.samples} samples`);
          console.log(`  ${p.label}: ${entry.samples} samples`);
        }
      },
    );

    await t.step("the sweep attached once, printed plain progress lines and its summary", () => {
      const log = Deno.readTextFileSync(join(out, "sweep.log"));
      assert.equal(log.match(/^scx_gamer: attached/gm)?.length, 1, "one attach for the whole sweep");
      const rest = `slice_lag_us=${DEFAULTS.slice_lag_us} input_window_us=2000 mig_max=3 ` +
        `parity_us=${DEFAULTS.parity_us}`;
      assert.match(log, /^\[1\/4\] defaults \(reference 1\/2\) applied$/m);
      assert.match(log, new RegExp(`^\\[2/4\\] slice_us=500 ${rest} applied$`, "m"));
      assert.match(log, new RegExp(`^\\[3/4\\] slice_us=2000 ${rest} done, \\d+ samples$`, "m"));
      assert.match(log, /^\[4\/4\] defaults \(reference 2\/2\) done, \d+ samples$/m);
      assert.match(log, /^sweep: finished: 4 done, 0 empty \(of 4\)/m);
      assert.doesNotMatch(log, /\r/);
    });

    await t.step("samples of both configs landed in the ml dir, for the game", () => {
      const { games, warnings } = readAllStores(join(out, "ml"));
      assert.deepEqual(warnings, []);
      assert.equal(games.length, 1, games.map((g) => g.path).join(", "));
      const doc = games[0].doc;
      assert.equal(doc.game_name, "game"); // forced as game.exe: filed under the name detection gives it
      for (const slice of SLICES) {
        const n = doc.samples.filter((s) => s.config.slice_us === slice).length;
        assert.ok(n >= 1, `no samples with slice_us=${slice}`);
        console.log(`  slice_us=${slice}: ${n} samples`);
      }
    });

    await t.step(
      "scx_gamer --ml-export-csv made a CSV with rows from both configs and the reference windows",
      () => {
        const rows = parseCsv(Deno.readTextFileSync(join(out, "training.csv")), { columns: true }) as Record<
          string,
          string
        >[];
        const slices = new Set(rows.map((r) => Number(r.slice_us)));
        // The reference windows ran the defaults' slice between the grid's two.
        assert.deepEqual(
          [...slices].sort((a, b) => a - b),
          [...SLICES, DEFAULTS.slice_us].sort((a, b) => a - b),
        );
        assert.ok(rows.every((r) => r.game_name === "game"));
      },
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
