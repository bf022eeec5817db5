/**
 * What every mode that attaches the scheduler (run, sweep, A/B) does around its session: load the
 * embedded object (a checkout without `deno task bpf` is told so), preflight, serve the control socket,
 * turn SIGINT/SIGTERM into a stop, run the session with the mode's config, driver and collection, report
 * an ejection, and always close the socket. The modes only say what is theirs.
 *
 * @module
 */

import type { SocketOptions } from "../cli/modes.ts";
import type { SchedConfig } from "../config.ts";
import { SampleRecorder } from "../collect/recorder.ts";
import { cpuModel } from "../collect/sample.ts";
import { preflight } from "../sched/preflight.ts";
import type { Supervisor } from "../sched/supervisor.ts";
import { GameStore } from "../store/game_store.ts";
import { loadSupervisorModule } from "./bpf_object.ts";
import type { ControlCommand, ControlReply } from "./control.ts";
import { Inbox } from "./inbox.ts";
import { serveControl } from "./serve_control.ts";
import {
  type ConfigDriver,
  describeExit,
  metricsSource,
  type RunningScheduler,
  runSession,
  type SessionEnd,
} from "./session.ts";
import { VERSION } from "./version.ts";
import type { ExitInfo } from "../sched/scheduler.ts";
import { printable } from "../host/terminal.ts";
import { OWN_NICE, setOwnNice } from "../host/own_priority.ts";

/** The options every attached mode's command carries. */
export interface AttachedCommand extends SocketOptions {
  statsS: number | null;
  statsJson: boolean;
  sampleIntervalS: number;
  mlDir: string;
  game: string | null;
  allUsers: boolean;
  verbose: boolean;
}

/** What a mode adds. */
export interface AttachedOptions {
  config: SchedConfig;
  durationS: number | null;
  /** Record samples into the store under the command's --ml-dir. */
  collect: boolean;
  /** Count events and time hot paths even without --stats (a sweep, an A/B). Default: when collecting or printing stats. */
  stats?: boolean;
  driver?: ConfigDriver | null;
  loadProfile?: ((game: string) => SchedConfig) | null;
  /** Where the mode's messages go. */
  log: (line: string) => void;
}

/** How an attached mode ended: the session's end, and the signal's name when one stopped it. */
export interface AttachedEnd extends SessionEnd {
  signalName: string | null;
}

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

/** Where a mode's messages go: stdout, or stderr when stdout carries `--stats-json` lines. */
export function messageLog(statsJson: boolean): (line: string) => void {
  return statsJson ? (l) => console.error(l) : (l) => console.log(l);
}

/**
 * A recorder filing samples into the store under `mlDir`, fed from the scheduler's snapshots (its stats
 * and its smoothness counters, so every sample carries its smooth_score). Every sample is autosaved at
 * once (an append to the game's journal off the loop, about a millisecond on a disk that keeps up), so a
 * crash or a kill -9 loses only the samples not yet durable: the one being written and any queued behind a
 * slow append. The stats line's `samples N` counts durable samples only, so it never shows one a kill can
 * take away.
 */
export function storeRecorder(
  mlDir: string,
  sched: RunningScheduler,
  log: (line: string) => void = console.log,
): SampleRecorder {
  return new SampleRecorder({
    nextMetrics: metricsSource(sched),
    openSink: (game, cpu) => GameStore.open(mlDir, { cpuModel: cpu, gameName: game.name, autosaveEvery: 1 }),
    cpuModel: cpuModel("/proc"),
    log,
  });
}

/**
 * Start the embedded scheduler under its supervisor (the class from {@link loadSupervisorModule}), saying
 * so in one line. The supervisor attaches it again by itself when the kernel asks for a restart (a CPU
 * went offline or online), and says so too.
 */
export function startScheduler(
  supervisor: typeof Supervisor,
  options: { stats: boolean; verbose: boolean; log?: (line: string) => void },
) {
  const log = options.log ?? console.log;
  return (config: SchedConfig): RunningScheduler => {
    const sched = supervisor.start(config, {
      ...options,
      onRestart: (why, tookMs, attempts) =>
        log(
          `scx_gamer: attached again after the kernel stopped it (${describeExit(why)}) in ${
            Math.round(tookMs)
          } ms${attempts > 1 ? ` (${attempts} tries)` : ""}`,
        ),
    });
    // Attached: from here on the game's threads come before this process's own work.
    setOwnNice(OWN_NICE);
    log(
      `scx_gamer: attached (stats ${options.stats ? "on" : "off"}, input hook ${
        sched.inputHook ? "on" : "off"
      })`,
    );
    if (options.verbose) {
      // What the verifier kept: with stats off the profiling code is pruned at load.
      const programs = sched.programInsns().map((p) => ({ ...p, name: p.name.replace(/^gamer_/, "") }));
      log(`scx_gamer: program instructions: ${programs.map((p) => `${p.name}=${p.xlatedInsns}`).join(" ")}`);
      // The kernel's ids, by which /proc/PID/fdinfo reports each program's run time (kernel.bpf_stats_enabled).
      log(`scx_gamer: program ids: ${programs.map((p) => `${p.name}=${p.id}`).join(" ")}`);
    }
    return sched;
  };
}

/** How the line that reports an ejection begins (tools/bench_loop reads it from a run's log). */
export const EJECTION_LINE = "scx_gamer: the kernel stopped the scheduler: ";

/**
 * An ejection on stderr: one line saying why, then the kernel's debug dump (the scheduler's state and
 * each CPU's queue at the moment it stopped), which is what a bug report needs.
 */
function reportEjection(exit: ExitInfo): void {
  console.error(`${EJECTION_LINE}${describeExit(exit)}`);
  // The dump names tasks by their comm, which any process chooses: each line is made printable.
  const dump = exit.dump.trim();
  if (dump !== "") {
    console.error(`scx_gamer: the kernel's debug dump:\n${dump.split("\n").map(printable).join("\n")}`);
  }
}

/**
 * Attach, run the session until it ends, detach. An ejection is reported here (one line, and the
 * kernel's debug dump when it gave one); everything else is the mode's to report.
 */
export async function runAttached(cmd: AttachedCommand, o: AttachedOptions): Promise<AttachedEnd> {
  // The object first: a checkout that never ran `deno task bpf` is told so wherever it runs.
  const { Supervisor } = await loadSupervisorModule();
  preflight();
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const server = await serveControl(cmd, { inbox, log: o.log });
  const stop = stopOnSignals();
  try {
    const end = await runSession({
      start: startScheduler(Supervisor, {
        stats: o.stats ?? (cmd.statsS !== null || o.collect),
        verbose: cmd.verbose,
        log: o.log,
      }),
      config: o.config,
      statsS: cmd.statsS,
      durationS: o.durationS,
      collect: o.collect
        ? { sampleIntervalS: cmd.sampleIntervalS, recorder: (s) => storeRecorder(cmd.mlDir, s, o.log) }
        : null,
      driver: o.driver ?? null,
      loadProfile: o.loadProfile ?? null,
      game: cmd.game,
      allUsers: cmd.allUsers,
      signal: stop.signal,
      log: o.log,
      statsFormat: cmd.statsJson ? "json" : "text",
      emitStats: (l) => console.log(l),
      inbox,
      version: VERSION,
    });
    if (end.reason === "ejected") reportEjection(end.exit!);
    return { ...end, signalName: end.reason === "signal" ? String(stop.signal.reason) : null };
  } finally {
    stop.dispose();
    await server.close();
  }
}
