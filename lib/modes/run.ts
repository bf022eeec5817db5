/**
 * The run mode: preflight, attach the scheduler with the config from the command line, serve the
 * control socket, keep the scheduler told which process is the game, print stats lines (text, or JSON
 * with `--stats-json`), collect samples with `--ml-collect`, and detach on SIGINT/SIGTERM or
 * `--duration`; when the kernel ejects the scheduler, report why and exit 1.
 *
 * Output is plain lines (no colour, nothing redrawn), so it reads the same in a terminal and in the
 * journal when run as a service. With `--stats-json`, stdout carries only the JSON lines and every
 * other message goes to stderr.
 *
 * @module
 */

import type { RunCommand } from "../cli/modes.ts";
import { defaultConfig, type SchedConfig } from "../config.ts";
import { printable } from "../host/terminal.ts";
import { detectionWorkload } from "../store/columns.ts";
import { readConfigFile } from "../store/config_file.ts";
import { listProfiles, loadProfile } from "../store/profile.ts";
import { ProfileDriver, type ProfileSource } from "./profile_driver.ts";
import { autotuneDriver } from "./autotune.ts";
import { defaultModelsDir } from "../cli/modes.ts";
import { loadModel, modelPath } from "../store/model_file.ts";
import { SampleRecorder } from "../collect/recorder.ts";
import { cpuModel } from "../collect/sample.ts";
import { preflight } from "../sched/preflight.ts";
import type { Scheduler } from "../sched/scheduler.ts";
import { GameStore } from "../store/game_store.ts";
import { loadSchedulerModule } from "./bpf_object.ts";
import type { ControlCommand, ControlReply } from "./control.ts";
import { Inbox } from "./inbox.ts";
import { serveControl } from "./serve_control.ts";
import { describeExit, metricsSource, type RunningScheduler, runSession } from "./session.ts";
import { VERSION } from "./version.ts";

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
export function storeRecorder(
  mlDir: string,
  sched: RunningScheduler,
  log: (line: string) => void = console.log,
): SampleRecorder {
  return new SampleRecorder({
    nextMetrics: metricsSource(() => sched.snapshot()),
    openSink: (game, cpu) => GameStore.open(mlDir, { cpuModel: cpu, gameName: game.name }),
    cpuModel: cpuModel("/proc"),
    log,
  });
}

/** Where a mode's messages go: stdout, or stderr when stdout carries `--stats-json` lines. */
export function messageLog(statsJson: boolean): (line: string) => void {
  return statsJson ? (l) => console.error(l) : (l) => console.log(l);
}

/** Start the embedded scheduler (the class from {@link loadSchedulerModule}), saying so in one line. */
export function startScheduler(
  scheduler: typeof Scheduler,
  options: { stats: boolean; verbose: boolean; log?: (line: string) => void },
) {
  const log = options.log ?? console.log;
  return (config: Parameters<typeof Scheduler.start>[0]): RunningScheduler => {
    const sched = scheduler.start(config, options);
    log(
      `scx_gamer: attached (stats ${options.stats ? "on" : "off"}, input hook ${
        sched.inputHook ? "on" : "off"
      })`,
    );
    if (options.verbose) {
      // What the verifier kept: with stats off the profiling code is pruned at load.
      const insns = sched.programInsns().map((p) => `${p.name.replace(/^gamer_/, "")}=${p.xlatedInsns}`);
      log(`scx_gamer: program instructions: ${insns.join(" ")}`);
    }
    return sched;
  };
}

/** The config outside games: the defaults, then a --config file, then the tunable flags given. */
export function baseConfig(cmd: Pick<RunCommand, "configFile" | "given">): SchedConfig {
  const file = cmd.configFile === null ? {} : readConfigFile(cmd.configFile);
  return { ...defaultConfig(), ...file, ...cmd.given };
}

/** The profiles of this CPU model under `mlDir`, for {@link ProfileDriver}; a bad file is reported, not fatal. */
export function storeProfiles(mlDir: string, cpu: string, log: (line: string) => void): ProfileSource {
  return {
    load: (game) => {
      try {
        return loadProfile(mlDir, { cpuModel: cpu, game });
      } catch (e) {
        log(`scx_gamer: ${printable((e as Error).message)}`);
        return null;
      }
    },
    list: () => {
      const { profiles, warnings } = listProfiles(mlDir, cpu);
      for (const w of warnings) log(`scx_gamer: ${w}`);
      return profiles;
    },
  };
}

/** Seconds an autotune window settles after a switch before it measures. */
export const AUTOTUNE_SETTLE_S = 2;

/** The trained model's best config for a game on this CPU, or null when training left none (or it is unreadable). */
export function trainedBest(modelsDir: string, game: string, cpu: string): SchedConfig | null {
  try {
    return loadModel(modelPath(modelsDir, { game, cpuModel: cpu })).file.best.config;
  } catch {
    return null; // no model yet, or one that does not load: the grid's neighbours are the candidates
  }
}

/** Run the scheduler until a signal, --duration, or ejection. Returns the exit code. */
export async function runMode(cmd: RunCommand): Promise<number> {
  // The object first: a checkout that never ran `deno task bpf` is told so wherever it runs.
  const { Scheduler } = await loadSchedulerModule();
  const base = baseConfig(cmd);
  preflight();
  const log = messageLog(cmd.statsJson);
  const cpu = cpuModel("/proc");
  const profiles = storeProfiles(cmd.mlDir, cpu, log);
  const driver = cmd.autotune
    ? autotuneDriver({
      base,
      profiles,
      mlDir: cmd.mlDir,
      cpuModel: cpu,
      target: cmd.target,
      windowS: cmd.autotune.windowS,
      settleS: AUTOTUNE_SETTLE_S,
      pairs: cmd.autotune.pairs,
      modelBest: (game) => trainedBest(defaultModelsDir(), game, cpu),
      log,
    })
    : cmd.profiles
    ? new ProfileDriver({ profiles, base, workloadOf: detectionWorkload, log })
    : null;
  const collect = cmd.collect || cmd.autotune !== null;
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const server = await serveControl(cmd, { inbox, log });
  const stop = stopOnSignals();
  try {
    const end = await runSession({
      start: startScheduler(Scheduler, {
        stats: cmd.statsS !== null || collect,
        verbose: cmd.verbose,
        log,
      }),
      config: base,
      statsS: cmd.statsS,
      durationS: cmd.durationS,
      collect: collect
        ? {
          sampleIntervalS: cmd.sampleIntervalS,
          recorder: (sched) => storeRecorder(cmd.mlDir, sched, log),
        }
        : null,
      driver,
      loadProfile: (game) => {
        const profile = profiles.load(game);
        if (profile === null) throw new Error(`no profile of "${printable(game)}" on this CPU model`);
        return profile.config;
      },
      game: cmd.game,
      allUsers: cmd.allUsers,
      signal: stop.signal,
      log,
      statsFormat: cmd.statsJson ? "json" : "text",
      emitStats: (l) => console.log(l),
      inbox,
      version: VERSION,
    });
    if (end.reason === "ejected") {
      console.error(`scx_gamer: the kernel stopped the scheduler: ${describeExit(end.exit!)}`);
      return 1;
    }
    const why = end.reason === "signal" ? String(stop.signal.reason) : end.reason;
    log(`scx_gamer: detached (${why}${end.exit ? `; ${end.exit.kindName}` : ""})`);
    return 0;
  } finally {
    stop.dispose();
    await server.close();
  }
}
