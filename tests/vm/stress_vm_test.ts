/**
 * Issue 12's stress suite on the real sched_ext kernel: one VM boot runs tools/vm/scenarios/stress.sh
 * (scx_gamer attached, a spinner and a game running throughout, the keyboard flooded with key events),
 * and each step judges one phase from what it recorded (tools/vm/scenarios/stress_judge.ts):
 * no ejection in any phase but hotplug, and after a hotplug the scheduler attached again within 5 s
 * with nobody restarting it. Each phase lasts at least 20 s; the whole run stays under ~6 minutes of VM
 * time on this shared host.
 *
 * The hotplug step needs the scheduler's restart (or CPU hotplug callbacks), which issue 12 asks for:
 * until that lands it fails, by design.
 */

import assert from "node:assert/strict";
import * as path from "node:path";
import { runInVm } from "../../tools/vm/vm.ts";
import { REPO_ROOT } from "../../tools/vm/layers.ts";
import {
  judgeHotplug,
  judgeSteadyPhase,
  logDuring,
  parseMonitor,
  parsePhases,
  parsePids,
  parseWork,
  type PhaseRecord,
  recovery,
} from "../../tools/vm/scenarios/stress_judge.ts";

const SCENARIO = path.join(REPO_ROOT, "tools/vm/scenarios/stress.sh");
const PHASE_S = 20;
/** How soon after each hotplug event the scheduler must be attached again (the phase watches 10 s). */
const HOTPLUG_WITHIN_S = 8;
/** Key events per second the host types during the whole run (QMP delivers ~400/s at most here). */
const INPUT_RATE_HZ = 300;
/**
 * The worst wake-up wait of a nice-19 task beside the pipe ping-pong. Once batch (it runs 2 ms per wake-up,
 * enough at a 2.5 ms threshold) it runs only by the starvation guard, which waits STARVE_MS (100 ms)
 * and now takes the batch task that waited longest: measured 0.11 s. When the guard took the batch queue's
 * head, where a light task's vruntime never is, it waited 2.4-2.8 s at that threshold (0.23-1.16 s at 10 ms,
 * the busy host's emulation slowing the whole guest); without the deadline cap the phase ejected instead.
 */
const NICE19_MAX_WAIT_MS = 1000;

/** What each steady phase must show it did, so a phase cannot pass because its load never ran. */
const WORK: Record<string, (w: Record<string, number>, dir: string) => string | null> = {
  loops: (w) =>
    w.loop_ticks > 0 && w.spinner_ticks > 0
      ? null
      : `busy loops used ${w.loop_ticks} ticks, the spinner ${w.spinner_ticks}`,
  pipes: (w, dir) => {
    if (w.pipes_rc !== 0) return `the ping-pong exited with status ${w.pipes_rc}`;
    const report = JSON.parse(Deno.readTextFileSync(path.join(dir, "pipes.json")));
    const pipes = report.background.hogs.filter((h: { name: string }) => h.name === "bg-pipe");
    const bounces = pipes.reduce((a: number, h: { iterations: number }) => a + h.iterations, 0);
    return pipes.length >= 4 && bounces > 1000 ? null : `${pipes.length} pipe processes, ${bounces} bounces`;
  },
  taskset: (w) => (w.taskset_calls >= 50 ? null : `only ${w.taskset_calls} affinity changes`),
  // These two prove the churn happened, not how fast: the shell loops driving them are background work to
  // the policy (under TCG one fork costs a shell over 10 ms of CPU, so it counts as batch) and run only
  // beside the game. Measured in one boot, 10 s each beside this game: EEVDF 353 forks and 120 nice
  // changes, scx_gamer 95 and 50 (docs/policy_v2.md).
  renice: (w) => (w.renice_calls >= 10 ? null : `only ${w.renice_calls} nice changes`),
  forks: (w) => (w.forks >= 50 ? null : `only ${w.forks} forks`),
  input: (w) => (w.kbd_irqs >= 10 * PHASE_S ? null : `only ${w.kbd_irqs} keyboard interrupts`),
};

function read(dir: string, name: string): string {
  try {
    return Deno.readTextFileSync(path.join(dir, name));
  } catch {
    return "";
  }
}

Deno.test("stress suite: scx_gamer under load, churn, an input flood and CPU hotplug (issue 12)", async (t) => {
  const started = performance.now();
  const result = await runInVm(SCENARIO, {
    env: { STRESS_PHASE_S: String(PHASE_S) },
    inputRateHz: INPUT_RATE_HZ,
    timeoutS: 720,
    onConsoleLine: (line) => {
      if (line.startsWith("stress: ")) console.log(`  ${line.trim()}`);
    },
  });
  const wall = (performance.now() - started) / 1000;
  console.log(
    `VM: ${result.message}; boot ${result.bootSeconds?.toFixed(1)} s, scenario ` +
      `${result.scenarioSeconds?.toFixed(1)} s, wall ${wall.toFixed(1)} s; input ${
        JSON.stringify(result.input)
      }`,
  );
  assert.equal(result.status, 0, `${result.message}\n${result.log.slice(-4000)}`);
  const out = result.outDir!;
  const samples = parseMonitor(read(out, "monitor.txt"));
  const times = parsePhases(read(out, "phases.txt"));
  const log = read(out, "gamer.log");
  const restarts = read(out, "restarts.txt").trim().split("\n").filter((l) => l);
  const names = ["loops", "pipes", "taskset", "renice", "forks", "input"];

  const record = (name: string): PhaseRecord => {
    const span = times.spans.get(name);
    assert.ok(span && span.end !== null, `phase ${name} did not run to its end: ${read(out, "phases.txt")}`);
    return {
      name,
      begin: span.begin,
      end: span.end,
      samples,
      dmesg: read(out, `${name}/dmesg.txt`),
      log: logDuring(log, name),
      pids: parsePids(read(out, "gamer.pid"), name),
    };
  };

  await t.step("scx_gamer attached before the phases, and the game ran and read the key flood", () => {
    assert.ok(samples.length > 0, "no monitor samples");
    const first = times.spans.get(names[0])?.begin ?? Infinity;
    assert.ok(
      samples.some((s) => s.t < first && s.state === "enabled" && s.ops.startsWith("gamer")),
      `not attached before the first phase:\n${log.slice(0, 2000)}`,
    );
    assert.equal(read(out, "game.rc").trim(), "0", read(out, "game.err"));
    const game = JSON.parse(read(out, "game.json"));
    assert.ok(game.roles.render.frames > 0, "the game rendered frames");
    assert.ok(game.roles.input.events > 0, `the game read ${game.roles.input.events} key events`);
    assert.ok(result.input && result.input.acked > 0, `input: ${JSON.stringify(result.input)}`);
  });

  for (const [i, name] of names.entries()) {
    await t.step(`${name}: at least ${PHASE_S} s with no ejection, and its load ran`, () => {
      const rec = record(name);
      const problems = judgeSteadyPhase(rec);
      if (rec.end - rec.begin < PHASE_S) problems.push(`ran ${(rec.end - rec.begin).toFixed(1)} s`);
      const work = WORK[name](parseWork(read(out, `${name}/work.txt`)), path.join(out, name));
      if (work) problems.push(`its load did not run: ${work}`);
      const next = names[i + 1] ?? "hotplug";
      const restart = restarts.find((l) => l.startsWith(`${next} `));
      if (restart) problems.push(`scx_gamer was gone before the next phase: ${restart}`);
      assert.deepEqual(problems, [], `${name}:\n${problems.join("\n")}\n${rec.log.slice(-20).join("\n")}`);
    });
  }

  // A nice-19 task's deadline once lay 2 s of virtual time ahead of the clock (its burst term weighted x100),
  // and under pipe ping-pong the clock moves slowly: khugepaged waited 5.2 s and the kernel ejected the
  // scheduler in this phase (reproduced with the cap removed; the phase's ejection check above fails). The
  // weighted term is capped now; this step bounds a user task's worst wait the same way.
  await t.step(`pipes: a nice-19 task beside the ping-pong waits at most ${NICE19_MAX_WAIT_MS} ms`, () => {
    const work = parseWork(read(out, "pipes/work.txt"));
    assert.equal(work.nice19_rc, 0, read(out, "pipes/nice19.err"));
    const audio = JSON.parse(read(out, "pipes/nice19.json")).roles.audio;
    console.log(
      `  pipes: nice-19 task: ${audio.wakeups} wake-ups, wait p99 ${audio.lat_p99_us} us, max ${audio.lat_max_us} us`,
    );
    assert.ok(audio.wakeups > 0, "the nice-19 task never woke");
    assert.ok(audio.lat_max_us < NICE19_MAX_WAIT_MS * 1000, `worst wait ${audio.lat_max_us} us`);
  });

  // Coming back by itself is the function judged here, within HOTPLUG_WITHIN_S of each event (emulation
  // stretches every step); how fast is a figure, printed for the notes (issue 12's target is 5 s).
  await t.step("hotplug: CPU 1 off and on; attached again by itself each time, nobody restarting it", () => {
    const rec = record("hotplug");
    const problems = judgeHotplug({
      ...rec,
      offline: times.offline,
      online: times.online,
      work: parseWork(read(out, "hotplug/work.txt")),
    }, HOTPLUG_WITHIN_S);
    const events: [string, number | null, number | null][] = [
      ["offline", times.offline, times.online],
      ["online", times.online, rec.end],
    ];
    for (const [what, from, to] of events) {
      if (from === null || to === null) continue;
      const back = recovery(rec.samples, from, to).seconds;
      console.log(
        `  hotplug: CPU 1 ${what}: attached again ${back === null ? "never" : `${back.toFixed(1)} s`} later`,
      );
    }
    if (rec.end - rec.begin < PHASE_S) problems.push(`ran ${(rec.end - rec.begin).toFixed(1)} s`);
    assert.deepEqual(
      problems,
      [],
      `hotplug:\n${problems.join("\n")}\nkernel: ${read(out, "hotplug/dmesg.txt")}\nscx_gamer: ${
        rec.log.slice(-10).join("\n")
      }`,
    );
  });
});
