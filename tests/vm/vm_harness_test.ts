/**
 * The VM harness (tools/vm/vm.ts) on the real sched_ext test kernel under QEMU, nothing mocked.
 *
 * VM time is what CI pays for, so one boot serves every check of a normal run (the shared scenario
 * below); only the timeout and the kernel crash need boots of their own, and the boot failure costs
 * QEMU's start-up only.
 */

import assert from "node:assert/strict";
import * as path from "node:path";
import { runInVm, VM_EXIT } from "../../tools/vm/vm.ts";
import { REPO_ROOT } from "../../tools/vm/layers.ts";

/** The scenario every "normal run" test reads from: one boot, several checks. */
const SHARED_SCENARIO = `
set -u
cat /sys/kernel/sched_ext/state > out/sched_ext_state
mkdir -p out/sub
printf 'first line\\nsecond: %s\\n' "$1" > out/sub/args.txt
printf '%s\\n' "$#" "$2" > out/argc.txt
scx_gamer --probe "with space" > out/wrapper.txt 2>&1
echo "wrapper exit $?" >> out/wrapper.txt
gamesim --duration 2 --hogs 1 --workers 2 --input-dev "$VM_KBD_EVDEV" --json out/gamesim.json > out/gamesim.stdout 2> out/gamesim.stderr &
game=$!
# The observer must not be starved by the workload it watches (gamesim keeps the default nice).
renice -n -15 -p $$ > /dev/null
# gamesim says "running" once every thread is named and its schedule has started.
while kill -0 $game 2>/dev/null && ! grep -q running out/gamesim.stderr; do sleep 0.05; done
cat /proc/$game/task/*/comm > out/game_threads.txt
grep -h '^bg-' /proc/[0-9]*/comm > out/hogs.txt
cat /proc/$game/comm > out/game_comm.txt
tr '\\0' ' ' < /proc/$game/cmdline > out/game_cmdline.txt
tr '\\0' '\\n' < /proc/$game/environ | grep '^SteamAppId=' > out/game_env.txt
wait $game
echo "gamesim exit $?" > out/gamesim_status.txt
exit 7
`;

/** A stand-in for the scx_gamer bundle: runs under the wrapper's flags and opens the guest's libbpf. */
const PROBE_BUNDLE = `
const lib = Deno.dlopen("libbpf.so.1", {
  libbpf_major_version: { parameters: [], result: "u32" },
  libbpf_minor_version: { parameters: [], result: "u32" },
}).symbols;
console.log(\`libbpf \${lib.libbpf_major_version()}.\${lib.libbpf_minor_version()} args=\${JSON.stringify(Deno.args)}\`);
`;

const INPUT_RATE_HZ = 200;

Deno.test("one boot of a normal scenario", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "vm_harness_test_" });
  try {
    const bundle = path.join(tmp, "probe.js");
    await Deno.writeTextFile(bundle, PROBE_BUNDLE);
    const result = await runInVm({ text: SHARED_SCENARIO }, {
      args: ['it\'s "quoted"', "two words"],
      outDir: path.join(tmp, "out"),
      bundle,
      inputRateHz: INPUT_RATE_HZ,
      timeoutS: 120,
    });
    console.log(
      `shared run: ${result.message}; build ${result.buildSeconds.toFixed(1)} s, total ${
        result.totalSeconds.toFixed(1)
      } s`,
    );
    const outFile = (name: string): Promise<string> => {
      assert.ok(result.outDir, `out/ did not come back: ${result.message}\n${result.log.slice(-3000)}`);
      return Deno.readTextFile(path.join(result.outDir, name));
    };

    await t.step("the script's exit status is the harness's status", () => {
      assert.equal(result.outcome, "completed", `${result.message}\n${result.log.slice(-3000)}`);
      assert.equal(result.status, 7);
      assert.ok(result.bootSeconds !== null && result.bootSeconds > 0 && result.bootSeconds < 120);
    });

    await t.step("the guest runs a sched_ext kernel (/sys/kernel/sched_ext/state exists)", async () => {
      assert.equal((await outFile("sched_ext_state")).trim(), "disabled");
    });

    await t.step("files written under out/ come back with their content, folders and the args", async () => {
      assert.equal(await outFile("sub/args.txt"), `first line\nsecond: it's "quoted"\n`);
      assert.equal(await outFile("argc.txt"), "2\ntwo words\n");
    });

    await t.step("scx_gamer in the guest runs the bundle with FFI and the host's libbpf", async () => {
      const host = Deno.realPathSync("/usr/lib/x86_64-linux-gnu/libbpf.so.1").match(/libbpf\.so\.(\d+\.\d+)/);
      assert.ok(host, "host libbpf version");
      assert.equal(
        await outFile("wrapper.txt"),
        `libbpf ${host[1]} args=["--probe","with space"]\nwrapper exit 0\n`,
      );
    });

    await t.step(
      "gamesim looks like a Wine game: comm, cmdline, app id, thread names, separate hogs",
      async () => {
        assert.equal((await outFile("game_comm.txt")).trim(), "game.exe");
        assert.match(await outFile("game_cmdline.txt"), /^Z:\\games\\game\.exe --duration 2 /);
        assert.equal((await outFile("game_env.txt")).trim(), "SteamAppId=12345");
        assert.deepEqual(
          (await outFile("game_threads.txt")).trim().split("\n").sort(),
          [
            "AudioThread",
            "InputThread",
            "RenderThread",
            "WorkerThread",
            "WorkerThread",
            "dxvk-submit",
            "game.exe",
          ],
        );
        assert.equal((await outFile("hogs.txt")).trim(), "bg-hog");
      },
    );

    await t.step("gamesim runs ~2 s and its JSON report parses with plausible numbers", async () => {
      assert.equal((await outFile("gamesim_status.txt")).trim(), "gamesim exit 0");
      const report = JSON.parse(await outFile("gamesim.json"));
      assert.deepEqual(
        JSON.parse(await outFile("gamesim.stdout")),
        report,
        "stdout and --json carry one report",
      );
      assert.ok(report.duration_s >= 1.9 && report.duration_s < 4, `duration ${report.duration_s}`);
      for (const role of ["input", "render", "submit", "audio", "worker"]) {
        const r = report.roles[role];
        assert.ok(r.wakeups > 0, `${role}: no wakeups`);
        const lat = [r.lat_p50_us, r.lat_p99_us, r.lat_p999_us, r.lat_max_us];
        assert.ok(
          lat[0] >= 0 && lat.every((v, i) => i === 0 || v >= lat[i - 1]),
          `${role}: latencies ${lat}`,
        );
        assert.ok(r.lat_max_us < 2e6, `${role}: max latency ${r.lat_max_us} us`);
      }
      const render = report.roles.render;
      const slots = report.duration_s * report.config.fps;
      // Slots are counted up to the last frame's completion, which may come after the stop under load.
      assert.ok(
        render.frames > 0.8 * slots && render.frames < 1.2 * slots,
        `frames ${render.frames} of ~${slots}`,
      );
      assert.equal(render.frames, render.presented + render.dropped);
      assert.ok(render.missed_share >= 0 && render.missed_share <= 1);
      assert.ok(
        render.frame_time_p99_us >= 1e6 / report.config.fps * 0.5,
        `frame time ${render.frame_time_p99_us}`,
      );
      const audio = report.roles.audio;
      const audioSlots = report.duration_s * 1e6 / report.config.audio_period_us;
      // Every 5 ms slot is either a wakeup or a missed period; a slot or two at the edges may go either way.
      const accounted = audio.wakeups + audio.missed_periods;
      assert.ok(
        Math.abs(accounted - audioSlots) <= 3 + 0.02 * audioSlots,
        `audio: ${accounted} of ${audioSlots} slots`,
      );
      assert.equal(report.roles.worker.threads.length, 2);
      const hogs = report.background.hogs;
      assert.equal(hogs.length, 1);
      assert.ok(hogs[0].iterations > 0 && hogs[0].iterations_per_s > 0, "hog made progress");
      assert.equal(report.background.total_iterations, hogs[0].iterations);
    });

    await t.step("keyboard events typed through QMP reach the guest's evdev node", async () => {
      const notes = result.log.split("\n").filter((l) => l.startsWith("[vm]")).join("\n");
      assert.ok(result.input && result.input.acked > 0, `input: ${JSON.stringify(result.input)}\n${notes}`);
      const report = JSON.parse(await outFile("gamesim.json"));
      assert.match(report.config.input, /^\/dev\/input\/event\d+$/);
      // ~2 s at 200 Hz is ~400 events; TCG and QMP may lag, so ask for a quarter.
      assert.ok(
        report.roles.input.events >= INPUT_RATE_HZ * 2 / 4,
        `events read: ${report.roles.input.events}`,
      );
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "a scenario past its timeout gets the timeout status and still returns out/",
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "vm_harness_test_" });
    try {
      const result = await runInVm({ text: "echo before > out/before.txt\nsleep 600\n" }, {
        timeoutS: 3,
        outDir: path.join(tmp, "out"),
        bundle: null,
      });
      console.log(`timeout run: ${result.message}; total ${result.totalSeconds.toFixed(1)} s`);
      assert.equal(result.outcome, "timeout", result.message);
      assert.equal(result.status, VM_EXIT.timeout);
      assert.equal(await Deno.readTextFile(path.join(tmp, "out/before.txt")), "before\n");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test("a kernel panic in the guest gets the kernel-crash status", async () => {
  const result = await runInVm({ text: "echo c > /proc/sysrq-trigger\nsleep 30\n" }, {
    bundle: null,
    timeoutS: 60,
  });
  console.log(`crash run: ${result.message}; total ${result.totalSeconds.toFixed(1)} s`);
  assert.equal(result.outcome, "kernel_crash", result.message);
  assert.equal(result.status, VM_EXIT.kernelCrash);
  assert.match(result.message, /Kernel panic - not syncing: sysrq triggered crash/);
  assert.equal(result.attempts, 1, "a crash after the scenario started is not retried");
});

Deno.test("a kernel crash before the scenario starts is retried once, then reported as a crash", async () => {
  // rdinit pointing nowhere makes the kernel panic at the end of every boot ("No working init found").
  const result = await runInVm({ text: "exit 0\n" }, { bundle: null, kernelArgs: ["rdinit=/missing"] });
  console.log(`early crash run: ${result.message}; total ${result.totalSeconds.toFixed(1)} s`);
  assert.equal(result.outcome, "kernel_crash", result.message);
  assert.equal(result.status, VM_EXIT.kernelCrash);
  assert.equal(result.attempts, 2);
  assert.match(result.message, /^vm: kernel crash during boot, twice: .*Kernel panic - not syncing/);
  assert.match(result.log, /booting once more/);
});

Deno.test("a kernel QEMU cannot boot gets the boot-failure status", async () => {
  const real = path.join(REPO_ROOT, ".cache/kernel");
  const fake = await Deno.makeTempDir({ prefix: "vm_harness_kernel_" });
  try {
    const version = (await Deno.readTextFile(path.join(real, "version"))).trim();
    await Deno.writeTextFile(path.join(fake, "vmlinuz"), "not a kernel\n");
    await Deno.copyFile(path.join(real, "config"), path.join(fake, "config"));
    await Deno.copyFile(path.join(real, "version"), path.join(fake, "version"));
    await Deno.mkdir(path.join(fake, "modules"));
    await Deno.symlink(path.join(real, "modules", version), path.join(fake, "modules", version));
    const result = await runInVm({ text: "exit 0\n" }, { kernelDir: fake, bundle: null });
    assert.equal(result.outcome, "boot_failure", result.message);
    assert.equal(result.status, VM_EXIT.bootFailure);
    assert.match(result.message, /^vm: boot failed: QEMU exited with status \d+ before the scenario started/);
  } finally {
    await Deno.remove(fake, { recursive: true });
  }
});
