/**
 * The run mode: preflight, attach the scheduler with the config from the command line, keep it told
 * which process is the game, print stats lines, collect samples with `--ml-collect`, and detach on
 * SIGINT/SIGTERM or `--duration`; when the kernel ejects the scheduler, report why and exit 1.
 *
 * @module
 */

import type { RunCommand } from "../cli/modes.ts";
import { SampleRecorder } from "../collect/recorder.ts";
import { cpuModel } from "../collect/sample.ts";
import { preflight } from "../sched/preflight.ts";
import { Scheduler } from "../sched/scheduler.ts";
import { GameStore } from "../store/game_store.ts";
import { describeExit, metricsSource, type RunningScheduler, runSession } from "./session.ts";

/** An abort signal raised by SIGINT or SIGTERM (its reason names which); `dispose` removes the listeners. */
export function stopOnSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const handlers = signals.map((s) => [s, () => controller.abort(s)] as const);
  for (const [s, handler] of handlers) Deno.addSignalListener(s, handler);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const [s, handler] of handlers) Deno.removeSignalListener(s, handler);
    },
  };
}

/** A recorder filing samples into the store under `mlDir`, fed from the scheduler's snapshots. */
export function storeRecorder(mlDir: string, sched: RunningScheduler): SampleRecorder {
  return new SampleRecorder({
    nextMetrics: metricsSource(() => sched.snapshot()),
    openSink: (game, cpu) => GameStore.open(mlDir, { cpuModel: cpu, gameName: game.name }),
    cpuModel: cpuModel("/proc"),
    log: (l) => console.log(l),
  });
}

/** Start the embedded scheduler, saying so in one line. */
export function startScheduler(options: { stats: boolean; verbose: boolean }) {
  return (config: Parameters<typeof Scheduler.start>[0]): RunningScheduler => {
    const sched = Scheduler.start(config, options);
    console.log(
      `scx_gamer: attached (stats ${options.stats ? "on" : "off"}, input hook ${
        sched.inputHook ? "on" : "off"
      })`,
    );
    if (options.verbose) {
      // What the verifier kept: with stats off the profiling code is pruned at load.
      const insns = sched.programInsns().map((p) => `${p.name.replace(/^gamer_/, "")}=${p.xlatedInsns}`);
      console.log(`scx_gamer: program instructions: ${insns.join(" ")}`);
    }
    return sched;
  };
}

/** Run the scheduler until a signal, --duration, or ejection. Returns the exit code. */
export async function runMode(cmd: RunCommand): Promise<number> {
  preflight();
  const stop = stopOnSignals();
  try {
    const end = await runSession({
      start: startScheduler({ stats: cmd.statsS !== null || cmd.collect, verbose: cmd.verbose }),
      config: cmd.config,
      statsS: cmd.statsS,
      durationS: cmd.durationS,
      collect: cmd.collect
        ? { sampleIntervalS: cmd.sampleIntervalS, recorder: (sched) => storeRecorder(cmd.mlDir, sched) }
        : null,
      game: cmd.game,
      signal: stop.signal,
      log: (l) => console.log(l),
    });
    if (end.reason === "ejected") {
      console.error(`scx_gamer: the kernel stopped the scheduler: ${describeExit(end.exit!)}`);
      return 1;
    }
    const why = end.reason === "signal" ? String(stop.signal.reason) : end.reason;
    console.log(`scx_gamer: detached (${why}${end.exit ? `; ${end.exit.kindName}` : ""})`);
    return 0;
  } finally {
    stop.dispose();
  }
}
