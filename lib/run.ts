/**
 * The run mode: preflight, load and attach the scheduler, print live stats, feed the collector, and
 * detach on SIGINT/SIGTERM, on --duration, or report the reason when the kernel ejects the scheduler.
 *
 * @module
 */

import type { CliOptions } from "./cli/parse.ts";
import { CollectSession } from "./collect/session.ts";
import { GameWatch } from "./collect/game_watch.ts";
import { GameStore } from "./store/game_store.ts";
import { preflight } from "./sched/preflight.ts";
import type { ExitInfo } from "./sched/scheduler.ts";
import { Supervisor } from "./sched/supervisor.ts";
import { formatStatsLine, metricsBetween, type StatsSnapshot } from "./sched/stats.ts";

/** How often the loop wakes to check for signals, ejection and due work, ms. */
const TICK_MS = 100;

function describeExit(info: ExitInfo): string {
  const parts = [info.kindName];
  if (info.reason) parts.push(info.reason);
  if (info.message) parts.push(info.message);
  return parts.join(": ");
}

/** Run the scheduler until a signal, --duration, or ejection. Returns the exit code. */
export async function runScheduler(opts: CliOptions): Promise<number> {
  preflight();
  const wantStats = opts.stats !== null || opts.mlCollect;
  // The supervisor attaches the scheduler again by itself when the kernel asks (CPU hotplug).
  const sched = Supervisor.start(opts.config, {
    stats: wantStats,
    verbose: opts.verbose,
    onSpareReady: (ms) =>
      opts.verbose && console.log(`scx_gamer: spare instance loaded (${ms.toFixed(0)} ms)`),
    onRestart: (why, ms, attempts) =>
      console.log(
        `scx_gamer: attached again after ${ms.toFixed(0)} ms, ${attempts} attempt(s), load ${
          sched.timings.load.toFixed(0)
        } ms (${why.message || why.reason || why.kindName})`,
      ),
  });
  let stopRequested: string | null = null;
  const onSignal = (name: string) => () => stopRequested ??= name;
  const handlers = [["SIGINT", onSignal("SIGINT")], ["SIGTERM", onSignal("SIGTERM")]] as const;
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);

  let collector: CollectSession | null = null;
  let ejected: ExitInfo | null = null;
  try {
    console.log(
      `scx_gamer: attached (stats ${wantStats ? "on" : "off"}, input hook ${sched.inputHook ? "on" : "off"})`,
    );
    if (opts.verbose) {
      // What the verifier kept: with stats off the profiling code is pruned at load.
      const insns = sched.programInsns().map((p) => `${p.name.replace(/^gamer_/, "")}=${p.xlatedInsns}`);
      console.log(`scx_gamer: program instructions: ${insns.join(" ")}`);
    }
    if (opts.mlCollect) {
      let samplePrev = sched.snapshot();
      collector = new CollectSession({
        scheduler: sched,
        config: opts.config,
        intervalS: opts.mlSampleInterval,
        forcedGame: opts.game,
        nextMetrics: () => {
          const next = sched.snapshot();
          const metrics = metricsBetween(samplePrev, next);
          samplePrev = next;
          return metrics;
        },
        openSink: (game, cpuModel) => GameStore.open(opts.mlDir, { cpuModel, gameName: game.name }),
      });
    }
    // Game awareness in every run mode: the policy protects the game's threads only when it knows them.
    const watch = collector ? null : new GameWatch({
      scheduler: sched,
      forcedGame: opts.game,
      // The event ring buffer says when a process started or ended: no periodic /proc scans otherwise.
      processesChanged: () => sched.drainEvents().some((e) => e.kind !== "sched_exit"),
    });
    const started = performance.now();
    let statsPrev: StatsSnapshot = sched.snapshot();
    let statsDue = started + (opts.stats ?? Infinity) * 1000;
    while (!stopRequested) {
      await new Promise((r) => setTimeout(r, TICK_MS));
      const now = performance.now();
      ejected = await sched.poll();
      if (ejected) break;
      if (now >= statsDue) {
        const next = sched.snapshot();
        const extra = collector?.statusLine() ?? watch?.statusLine() ?? "";
        console.log(
          `[${((now - started) / 1000).toFixed(1)}s] ${
            formatStatsLine(metricsBetween(statsPrev, next), extra)
          }`,
        );
        statsPrev = next;
        statsDue += opts.stats! * 1000;
      }
      try {
        collector?.tick(now);
        watch?.tick(now);
      } catch (e) {
        // Collection must never take the scheduler down with it: report, keep scheduling, retry next time.
        console.error(`scx_gamer: collecting failed this interval: ${(e as Error).message}`);
      }
      if (opts.duration !== null && now - started >= opts.duration * 1000) stopRequested = "duration";
    }
  } finally {
    // Save before detaching: the data must survive whatever detaching does.
    try {
      collector?.close(ejected ? `scheduler ejected: ${describeExit(ejected)}` : stopRequested ?? "error");
    } finally {
      const info = sched.stop();
      for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
      if (ejected) {
        console.error(`scx_gamer: the kernel stopped the scheduler: ${describeExit(ejected)}`);
        if (ejected.dump) console.error(ejected.dump.trimEnd());
      } else {console.log(
          `scx_gamer: detached (${stopRequested ?? "error"}${info ? `; ${info.kindName}` : ""})`,
        );}
    }
  }
  return ejected ? 1 : 0;
}
