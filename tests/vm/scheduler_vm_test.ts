// scx_gamer on a real sched_ext kernel: one VM boot runs tools/vm/scenarios/scheduler.sh, and each
// step below judges one behaviour from what the scenario recorded under out/.
import assert from "node:assert/strict";
import { join } from "node:path";
import { runInVm } from "../../tools/vm/vm.ts";
import { tempDir } from "../fixtures/temp.ts";
import { parse as parseCsv } from "csv-parse/sync";

const here = new URL(".", import.meta.url).pathname;
const root = join(here, "..", "..");

function read(dir: string, name: string): string {
  return Deno.readTextFileSync(join(dir, name)).trim();
}

/** How long each step of the scenario took, from the guest uptimes in out/steps.txt ("" if none). */
function stepDurations(dir: string | null | undefined): string {
  let text = "";
  try {
    if (dir) text = Deno.readTextFileSync(join(dir, "steps.txt"));
  } catch { /* the scenario never started */ }
  const marks = text.trim().split("\n").filter(Boolean).map((l) => {
    const [t, name] = l.split(" ");
    return { t: Number(t), name };
  });
  const spans = marks.slice(0, -1).map((m, i) => `${m.name} ${(marks[i + 1].t - m.t).toFixed(1)} s`);
  const last = marks.at(-1);
  if (last && last.name !== "end") spans.push(`${last.name} (not finished)`);
  return spans.join(", ");
}

function insnCounts(log: string): Record<string, number> {
  const line = log.split("\n").find((l) => l.includes("program instructions:"));
  assert.ok(line, `no instruction counts in:\n${log}`);
  return Object.fromEntries(
    line.split("program instructions: ")[1].split(" ").map((kv) => {
      const [k, v] = kv.split("=");
      return [k, Number(v)];
    }),
  );
}

Deno.test("scx_gamer on a sched_ext kernel", async (t) => {
  const bundleDir = tempDir("scheduler_vm_test_");
  const tunablesJs = join(bundleDir, "tunables.js");
  const bundle = await new Deno.Command("deno", {
    args: [
      "bundle",
      "--quiet",
      "--output",
      tunablesJs,
      join(here, "../../tools/vm/scenarios", "tunables.ts"),
    ],
    cwd: root,
  }).output();
  assert.equal(bundle.code, 0, new TextDecoder().decode(bundle.stderr));

  const started = performance.now();
  const result = await runInVm(join(here, "../../tools/vm/scenarios", "scheduler.sh"), {
    args: ["/opt/extra/tunables.js"],
    files: { "/opt/extra/tunables.js": tunablesJs },
    inputRateHz: 50,
    timeoutS: 900,
  });
  const wall = (performance.now() - started) / 1000;
  console.log(
    `VM: ${result.message}; boot ${result.bootSeconds?.toFixed(1)} s, scenario ` +
      `${result.scenarioSeconds?.toFixed(1)} s, wall ${wall.toFixed(1)} s`,
  );
  const steps = stepDurations(result.outDir);
  console.log(`steps: ${steps}`);
  assert.equal(result.status, 0, `${result.message}\nsteps: ${steps}\n${result.log.slice(-4000)}`);
  const out = result.outDir!;

  await t.step("the kernel offers sched_ext and nothing is attached before we start", () => {
    assert.equal(read(out, "state_before.txt"), "disabled");
  });

  await t.step("scx_gamer attaches: state enabled and root/ops names it", () => {
    assert.equal(read(out, "state_during.txt"), "enabled");
    assert.match(read(out, "ops_during.txt"), /^gamer/);
  });

  await t.step("a second instance while one runs is refused with one line naming the running one", () => {
    assert.equal(read(out, "second.rc"), "1");
    assert.match(read(out, "second.log"), /already running: 'gamer/);
    assert.equal(read(out, "state_after_second.txt"), "enabled", "the first one still runs");
  });

  await t.step("SIGINT detaches cleanly: exit 0, state back to disabled, no ejection or stall", () => {
    const log = read(out, "run.log");
    assert.equal(read(out, "run.rc"), "0", log);
    assert.equal(read(out, "state_after_run.txt"), "disabled");
    assert.match(log, /detached \(SIGINT; unregistered\)/);
    assert.doesNotMatch(log, /kernel stopped the scheduler|collecting failed/);
    assert.doesNotMatch(read(out, "dmesg.txt"), /stall|watchdog failed|error/i);
  });

  await t.step(
    "a CPU going offline and online again: the scheduler is back by itself, twice",
    () => {
      const log = read(out, "hotplug.log");
      for (const what of ["offline", "online"]) {
        const took = read(out, `hotplug_${what}.txt`);
        assert.notEqual(took, "never", `not attached again after cpu1 went ${what}:\n${log}`);
        // How soon is a figure (issue 12's target: 5 s); the bound only catches "not by itself".
        console.log(`  cpu1 ${what}: attached again ${took} s after the write`);
        assert.ok(Number(took) < 15, `cpu1 ${what}: attached again after ${took} s`);
        const [before, after] = read(out, `hotplug_seq_${what}.txt`).split(" ").map(Number);
        assert.ok(after > before, "the kernel counted the hotplug");
      }
      assert.equal(
        (log.match(
          /attached again after the kernel stopped it \(.*cpu \d+ going (offline|online).*\) in \d+ ms/g,
        ) ??
          []).length,
        2,
        log,
      );
      assert.equal(read(out, "hotplug_cpus.txt"), "0-1");
      assert.equal(read(out, "hotplug.rc"), "0", log);
      assert.match(log, /detached \(SIGINT; unregistered\)/);
    },
  );

  await t.step("--duration detaches by itself", () => {
    assert.match(read(out, "nostats.log"), /detached \(duration; unregistered\)/);
    assert.equal(read(out, "state_after_nostats.txt"), "disabled");
  });

  await t.step(
    "the stats line is live and plausible: placements, enqueues and callback costs populated",
    () => {
      const lines = read(out, "run.log").split("\n").filter((l) => /^\[\d+\.\d+s\] placed /.test(l));
      assert.ok(lines.length >= 5, `only ${lines.length} stats lines`);
      const last = lines.at(-1)!;
      const enq = Number(/ enqueued ([\d.]+)(k?)\/s/.exec(last)![1]);
      const placed = Number(/^\[[\d.]+s\] placed ([\d.]+)(k?)\/s/.exec(last)![1]);
      assert.ok(enq > 0 && placed > 0, last);
      assert.doesNotMatch(last, /cost select_cpu 0ns/, "select_cpu histogram populated");
      assert.match(
        last,
        / \| game game \(pid \d+\): input [1-9]\d* gpu [1-9]\d* audio [1-9]/,
        "game and its threads",
      );
    },
  );

  await t.step("the game is detected and its threads classified in the collected samples", () => {
    const cpuDirs = [...Deno.readDirSync(join(out, "ml"))].filter((e) => e.isDirectory);
    assert.equal(cpuDirs.length, 1);
    const doc = JSON.parse(Deno.readTextFileSync(join(out, "ml", cpuDirs[0].name, "game.json")));
    assert.ok(doc.samples.length >= 5, `${doc.samples.length} samples`);
    const s = doc.samples.at(-1);
    assert.equal(s.game_name, "game");
    assert.equal(s.game.app_id, "12345");
    assert.ok(
      s.threads.input >= 1 && s.threads.gpu_submit >= 1 && s.threads.audio >= 1,
      JSON.stringify(s.threads),
    );
    assert.ok(s.metrics.enqueues_per_sec > 0 && s.metrics.latency.select_cpu.count > 0);
    assert.ok(Number.isFinite(s.score) && s.score > 0);
  });

  await t.step("--ml-export-csv turns the samples into a CSV with the original 26 columns first", () => {
    assert.equal(read(out, "export.rc"), "0", read(out, "export.log"));
    const rows = parseCsv(Deno.readTextFileSync(join(out, "train.csv")), { columns: true }) as Record<
      string,
      string
    >[];
    assert.ok(rows.length >= 5);
    assert.equal(rows[0].game_name, "game");
    assert.ok(Number(rows[0].enqueues_per_sec) > 0);
  });

  await t.step("stats off prunes the profiling: fewer instructions in every timed hot path", () => {
    assert.equal(read(out, "nostats.rc"), "0", read(out, "nostats.log"));
    const on = insnCounts(read(out, "run.log"));
    const off = insnCounts(read(out, "nostats.log"));
    console.log(
      `instructions stats on/off: ${Object.keys(on).map((k) => `${k} ${on[k]}/${off[k]}`).join(", ")}`,
    );
    for (const path of ["select_cpu", "enqueue", "dispatch"]) {
      assert.ok(off[path] < on[path] * 0.8, `${path}: ${off[path]} vs ${on[path]}`);
    }
  });

  const tunables = JSON.parse(Deno.readTextFileSync(join(out, "tunables.json")));
  const phase = (name: string) => tunables.phases.find((p: { name: string }) => p.name === name);
  console.log(`tunables phases: ${JSON.stringify(tunables.phases)}`);

  await t.step("a config applied live is read back and nothing ejects the scheduler", () => {
    assert.equal(read(out, "tunables.rc"), "0", read(out, "tunables.log"));
    assert.equal(phase("mig_max_1").config.mig_max, 1);
    assert.equal(phase("mm_affinity_on").config.mm_affinity, true);
    assert.equal(phase("enable_numa_on").config.enable_numa, true);
    for (const p of tunables.phases) assert.equal(p.ejected, false);
  });

  await t.step(
    "a live change of batch_burst_us judges every task afresh, from no run history",
    () => {
      // An encoder of 1.8 ms per 20 ms slot, batch at 1000 us. Here its runs look 2-6 ms long (batch beside
      // the busy loop it falls behind its slots, and with the vCPUs taking turns on one host thread the guest
      // charges a task the other's turn), an average that would keep it batch at 2500. What must show is the
      // judgement starting over (bpf judge_afresh): after the change its average starts from nothing, 0,
      // then a quarter of a run, 7/16 of one, under 2500 us for two wake-ups at least (40 ms and more) where
      // the polls see it. Not whether a poll saw it interactive: that lasts only until its run reaches 2.5
      // ms, a window of a few ms that polls every 20-60 ms under emulation catch by luck (2 of 41 polls
      // here; a CI run on a slower host failed this step). Without the reset its average began where
      // 1000's left it.
      const r = tunables.batchRejudged;
      console.log(`batch re-judged: ${JSON.stringify(r)}`);
      assert.ok(r.encoder !== null, "the encoder never started");
      assert.equal(r.at1000.batch, true, JSON.stringify(r));
      assert.ok(r.at2500.avg_run_us[0] < 2500, JSON.stringify(r));
      assert.equal(r.back1000.batch, true, JSON.stringify(r));
    },
  );

  await t.step(
    "a task using most of a CPU in short runs is batch at half the threshold; the same runs at a small share stay interactive",
    () => {
      // Two encoders of 4.5 ms runs at an 8 ms threshold, the game stopped: one every 6 ms (75% of a CPU), one
      // every 60 ms (7.5%). Judged by run length alone both were interactive (bpf task_is_busy).
      const r = tunables.byShare;
      console.log(`judged by share: ${JSON.stringify(r)}`);
      assert.ok(r.busy !== null && r.busy.polls > 0, "the encoders never started");
      assert.ok(r.busy.batch_polls > r.busy.polls / 2, JSON.stringify(r));
      assert.ok(r.light.batch_polls < r.light.polls / 2, JSON.stringify(r));
    },
  );

  await t.step("mig_max 1 blocks a larger share of migrations than 5, and 1000 blocks none", () => {
    assert.equal(phase("mig_max_1000").mig_blocked, 0);
    assert.ok(phase("mig_max_1").mig_attempts > 0, "the workload migrates");
    assert.ok(
      phase("mig_max_1").migration_block_rate > phase("mig_max_5").migration_block_rate,
      `${phase("mig_max_1").migration_block_rate} vs ${phase("mig_max_5").migration_block_rate}`,
    );
  });

  await t.step(
    "a wake-up by a running task ends its burst (the game hands work on); the busy loop stays batch",
    () => {
      // The render thread posts jobs to its workers with futex wake-ups from task context: counted. The busy
      // loop wakes no one and keeps being classed batch (its enqueues go to the batch queue).
      assert.ok(phase("mig_max_1000").handoffs > 0, JSON.stringify(phase("mig_max_1000")));
      assert.ok(phase("mig_max_1000").batch_enqueues > 0, JSON.stringify(phase("mig_max_1000")));
    },
  );

  await t.step(
    "the render thread's job workers leave its CPU alone, at their wake-up and at its quantum's end, and take turns on the other; so do game wake-ups in a game thread's first quantum; a loop preempted by a wake-up resumes on its CPU",
    () => {
      // Render posts two jobs while the busy loop holds the other CPU: one worker takes the loop's CPU, the
      // other waits rather than take render's, and render's 4 ms of frame work outlast its 1 ms quantum
      // with that worker queued: frame work keeps its CPU (frame_kept). The two 3 ms jobs, which posted
      // nothing, give each other the CPU at their quanta's ends (frame_turns). The input thread's timer
      // wake-ups leave a game thread that just started alone (run to parity). The loop, preempted by the
      // game's wake-ups, goes back to its own CPU's local queue instead of through the shared one.
      const p = phase("mig_max_1000");
      assert.ok(p.waker_kept > 0, JSON.stringify(p));
      assert.ok(p.frame_kept > 0, JSON.stringify(p));
      assert.ok(p.frame_turns > 0, JSON.stringify(p));
      assert.ok(p.parity_kept > 0, JSON.stringify(p));
      assert.ok(p.batch_resumes > 0, JSON.stringify(p));
    },
  );

  await t.step(
    "parity_us sets the window of run to parity live: 1 us keeps almost no game thread's CPU, 20 ms more",
    () => {
      // The default (0) is the margin, slice_us: 1 ms. The input thread's 1 kHz timer lands inside a 20 ms
      // window at nearly every wake-up onto a game thread's CPU, inside a 1 us one almost never.
      const base = phase("mig_max_1000").parity_kept, none = phase("parity_1us"), wide = phase("parity_20ms");
      assert.equal(none.config.parity_us, 1);
      assert.ok(
        none.parity_kept * 2 < base,
        `parity_kept: ${none.parity_kept} at 1 us vs ${base} at the default`,
      );
      assert.ok(
        wide.parity_kept > base,
        `parity_kept: ${wide.parity_kept} at 20 ms vs ${base} at the default`,
      );
    },
  );

  await t.step(
    "a wake-up that run to parity refused takes the CPU when the window ends: the input thread, not frame work, never from the render thread",
    () => {
      // Unclassified, every game thread is frame work, which never takes the CPU of the game's own frame
      // work: next to no timer is armed. (Not none: a game thread that yielded, or ran slice_lag_us
      // since it woke, is no longer frame work, and a slow boot stretches a run now and then: 1 timer
      // in a run here where the classified phase armed 86.) Classified, the input thread's 1 kHz
      // wake-ups that find both CPUs running the render thread or its jobs in their first quantum arm
      // the CPU's timer against a job, and take the CPU when it fires instead of at the next tick;
      // against the render thread, which posted its jobs at its frame's start, they are spared.
      const p = phase("mig_max_1000"), c = phase("classified");
      assert.ok(p.parity_timers * 10 <= c.parity_timers, `${JSON.stringify(p)}\n${JSON.stringify(c)}`);
      assert.ok(p.parity_spared * 10 <= c.parity_spared, `${JSON.stringify(p)}\n${JSON.stringify(c)}`);
      assert.ok(c.parity_spared > 0, JSON.stringify(c));
      assert.ok(c.parity_timers > 0, JSON.stringify(c));
      assert.ok(c.parity_retries > 0, JSON.stringify(c));
      assert.ok(c.parity_retries <= c.parity_timers, JSON.stringify(c));
    },
  );

  await t.step(
    "an RT task taking CPUs while loops wait in their resume queues ejects nothing",
    () => {
      // A SCHED_FIFO encoder (6 ms per 15 ms) takes CPUs from the game and the loop (ops.cpu_release). A
      // loop preempted by a game thread waits in its CPU's resume queue, which the release cannot empty;
      // the other CPU, with no batch work of its own, may take it (bpf take_stranded_resume). Those takes
      // are printed, not asserted: the sequence is rare and its count varied from 0 to 12 between runs.
      const p = phase("rt_encoder");
      assert.ok(p, `no SCHED_FIFO encoder: ${tunables.phases.map((q: { name: string }) => q.name)}`);
      console.log(`RT phase: ${p.cpu_releases} releases, ${p.stranded_resumes} stranded loops taken`);
      assert.ok(p.cpu_releases > 0, JSON.stringify(p));
      assert.equal(p.ejected, false);
    },
  );

  await t.step("mm_affinity on consults the address-space CPU hint; off never does", () => {
    assert.equal(phase("mig_max_1000").mm_hint_tries, 0);
    assert.ok(phase("mm_affinity_on").mm_hint_tries > 0);
  });

  await t.step("smoothness is measured in the kernel while switched on, and not after", () => {
    const { smooth } = tunables;
    assert.ok(smooth.render > 0, "render thread found");
    assert.ok(smooth.on.all.count > 0, JSON.stringify(smooth.on));
    assert.ok(smooth.on.latency.game?.count > 0, "the game's threads woke and were timed");
    // The render thread wakes twice a frame (at its 60 fps slot by a timer, and when its jobs are done, by
    // a worker): pacing reads the frame starts alone, one per 16.7 ms.
    const pacing = smooth.on.pacing;
    assert.equal(pacing?.from, "starts", JSON.stringify(pacing));
    // Not all its wake-ups (a median near 8 ms): one per frame at most, so never under the 16.7 ms period by
    // more than a bucket's width. A slow host's frames start late (a CI run, the loops running then: median
    // 19.2 ms, 47% late), so the bound above is two periods, not one.
    assert.ok(pacing.median_ns > 14e6 && pacing.median_ns < 2 * 16.7e6, JSON.stringify(pacing));
    assert.equal(smooth.on.policy_version, 2);
    assert.equal(smooth.off_waits, 0, "switched off: nothing recorded");
  });

  await t.step("a new program is reported through the event ring buffer", () => {
    assert.ok(
      tunables.events.some((e: { kind: string; comm: string }) => e.kind === "exec" && e.comm === "true"),
      JSON.stringify(tunables.events),
    );
  });

  await t.step("a new program wakes userspace only while no game runs", () => {
    const { game, none } = tunables.execWake;
    // With a game the exec is read when the wait times out; with none the wait ends with the exec, far
    // before its 30 s timeout (under emulation a spawn takes up to a second).
    assert.ok(game.got && game.ms >= game.timeout_ms - 50, JSON.stringify(tunables.execWake));
    assert.ok(none.got && none.ms < none.timeout_ms / 3, JSON.stringify(tunables.execWake));
  });

  await t.step("real kernel input events reach the hook, and only an input window boosts", () => {
    assert.equal(tunables.inputHook, true);
    assert.ok(tunables.game > 0, "game found by the live script");
    // What the host's QMP typing did, to tell a guest that saw none from keys never sent (once, 2026-12-07:
    // no phase saw any, the hook on).
    assert.ok(
      phase("input_window_50ms").input_events > 0,
      "typed keys seen by fentry/input_event; " +
        `the host's typing: ${JSON.stringify(result.input)}; the guest's input devices: ${
          JSON.stringify(tunables.inputDevices)
        }`,
    );
    assert.equal(phase("input_window_0").boosted, 0);
    assert.ok(phase("input_window_50ms").boosted > 0);
  });
});
