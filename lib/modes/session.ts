/**
 * The running scheduler's session: what every mode that attaches the scheduler shares (run, sweep, and
 * later profiles, autotune and A/B). It starts the scheduler, keeps it told which process is the game
 * ({@link GameWatch}, in every mode), prints stats lines, records samples when collecting, lets a
 * {@link ConfigDriver} change the config live, notices an ejection, and always detaches.
 *
 * The loop sleeps until the next thing is due (a stats line, a game check, a sample, the driver, the
 * end), never on a fixed short tick; it also looks at the scheduler's exit record at least once a
 * second, so an ejection is reported promptly. Commands from the control socket arrive through an
 * {@link Inbox} whose signal wakes the loop at once; the loop runs them between its duties
 * (lib/modes/control.ts) and answers, so nothing else ever touches the scheduler.
 *
 * Everything with an effect comes in through {@link SessionOptions} (the scheduler's start function,
 * the /proc root, the clock, the sleep, the log), so the loop is tested with fakes and no kernel.
 *
 * @module
 */

import { configToArgs, type SchedConfig } from "../config.ts";
import { GameWatch } from "../collect/game_watch.ts";
import type { SampleRecorder } from "../collect/recorder.ts";
import { metricsBetween, type StatsSnapshot } from "../sched/stats.ts";
import type { ExitInfo } from "../sched/scheduler.ts";
import type { GameInfo, Metrics, Sample, ThreadClass, ThreadCounts } from "../types.ts";
import {
  type ControlCommand,
  ControlError,
  type ControlReply,
  type ControlTarget,
  encodeSnapshot,
  executeCommand,
} from "./control.ts";
import type { Inbox } from "./inbox.ts";
import { type StatsFormat, statsLine } from "./stats_out.ts";

/** The running scheduler as the session uses it (lib/sched's Scheduler in the product). */
export interface RunningScheduler {
  applyConfig(config: SchedConfig): void;
  setGame(tgid: number | null): void;
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>): void;
  threadBehaviour(): { tid: number; avgRunNs: number; wakeups: number }[];
  snapshot(): StatsSnapshot;
  /** Why the kernel stopped it, or null while it runs. */
  exitInfo(): ExitInfo | null;
  /** Detach; returns the final exit record. Idempotent. */
  stop(): ExitInfo | null;
}

/** What a driver says at a step. */
export interface DriverStep {
  /** A config to apply now (the interval being sampled restarts). */
  apply?: SchedConfig;
  /** Whether samples taken from now on count (false while a new config settles). */
  recording: boolean;
  /** The driver has finished: the session ends ("done"). */
  done?: boolean;
}

/** Something that changes the config over time: a sweep, a profile switcher, an autotuner, an A/B. */
export interface ConfigDriver {
  /** The first step, taken before the loop starts. */
  start(nowMs: number): DriverStep;
  /** When the driver next wants {@link tick} (monotonic ms), or Infinity. */
  dueMs(): number;
  tick(nowMs: number): DriverStep;
  /** A sample was recorded under the driver's current config. */
  onSample?(sample: Sample): void;
  /** The game changed (null: none). */
  onGame?(game: GameInfo | null, nowMs: number, counts: ThreadCounts | null): DriverStep | null;
  /** A short status for the stats line. */
  status?(): string;
}

/** Options of {@link runSession}. */
export interface SessionOptions {
  /** Load and attach the scheduler with a config. */
  start: (config: SchedConfig) => RunningScheduler;
  config: SchedConfig;
  /** Seconds between stats lines, or null. */
  statsS: number | null;
  /** Seconds before detaching, or null. */
  durationS: number | null;
  /** When collecting: a sample every `sampleIntervalS`, by a recorder made for the attached scheduler. */
  collect?: { sampleIntervalS: number; recorder: (sched: RunningScheduler) => SampleRecorder } | null;
  driver?: ConfigDriver | null;
  /** The `--game` name, or null to detect. */
  game: string | null;
  /** Any user's process may be the game (`--all-users`). Default false. */
  allUsers?: boolean;
  /** Stop request (SIGINT, SIGTERM): the session ends at once with this reason. */
  signal: AbortSignal;
  procRoot?: string;
  /** Milliseconds between game checks. Default 2000. */
  watchMs?: number;
  log: (line: string) => void;
  /** How stats lines are written. Default "text". */
  statsFormat?: StatsFormat;
  /** Where stats lines go. Default `log`. */
  emitStats?: (line: string) => void;
  /** Commands from the control socket; posting wakes the loop. */
  inbox?: Inbox<ControlCommand, ControlReply> | null;
  /** The version the `stats` command reports. */
  version?: string;
  /** Loads a game's profile for `load-profile`; null (the default) while profiles are not supported. */
  loadProfile?: ((game: string) => SchedConfig) | null;
  /** Monotonic ms. Default performance.now. */
  now?: () => number;
  /** Sleep until `ms` from now, or until aborted. Default setTimeout. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** How the session ended. */
export interface SessionEnd {
  reason: "signal" | "duration" | "done" | "ejected";
  /** The kernel's exit record when ejected, else the detach's (kind "unregistered"), if any. */
  exit: ExitInfo | null;
  samples: number;
}

/** Longest sleep between looks at the exit record, ms. */
const EXIT_CHECK_MS = 1000;

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The exit record as one line: "kind: reason: message". */
export function describeExit(info: ExitInfo): string {
  return [info.kindName, info.reason, info.message].filter((p) => p !== "").join(": ");
}

/** One periodic duty of the loop. */
interface Due {
  at: number;
  every: number;
}

function schedule(every: number | null, now: number): Due {
  return every === null ? { at: Infinity, every: Infinity } : { at: now + every, every };
}

function advance(d: Due, now: number): void {
  d.at += d.every;
  if (d.at < now) d.at = now + d.every; // fell behind: skip, do not burst
}

/**
 * Run the scheduler until a signal, the duration, the driver's end, or an ejection. Always detaches
 * and closes the recorder (saving first: the data must survive whatever detaching does).
 */
export async function runSession(o: SessionOptions): Promise<SessionEnd> {
  const now = o.now ?? (() => performance.now());
  const sleep = o.sleep ?? defaultSleep;
  let config = o.config;
  let recording = true;
  const driverStart = o.driver?.start(now());
  if (driverStart?.apply) config = driverStart.apply;
  if (driverStart) recording = driverStart.recording;

  const emitStats = o.emitStats ?? o.log;
  const sched = o.start(config);
  let reason: SessionEnd["reason"] | null = null;
  let ejected: ExitInfo | null = null;
  let detached: ExitInfo | null = null;
  let rec: { recorder: SampleRecorder; sampleIntervalS: number } | null = null;
  try {
    rec = o.collect
      ? { recorder: o.collect.recorder(sched), sampleIntervalS: o.collect.sampleIntervalS }
      : null;
    const watch = new GameWatch({
      scheduler: sched,
      forcedGame: o.game,
      procRoot: o.procRoot,
      allUsers: o.allUsers,
    });
    const t0 = now();
    const stats = schedule(o.statsS === null ? null : o.statsS * 1000, t0);
    const watchDue = schedule(o.watchMs ?? 2000, t0);
    const sample = schedule(rec ? rec.sampleIntervalS * 1000 : null, t0);
    const endAt = o.durationS === null ? Infinity : t0 + o.durationS * 1000;
    let statsPrev = sched.snapshot();
    rec?.recorder.restartInterval();

    const applyStep = (step: DriverStep | null, at: number) => {
      if (!step) return;
      if (step.apply) {
        config = step.apply;
        sched.applyConfig(config);
        rec?.recorder.restartInterval();
        sample.at = at + sample.every;
      }
      recording = step.recording;
      if (step.done) reason ??= "done";
    };
    const checkGame = (at: number) => {
      const update = watch.update(at);
      if (!update.changed) return;
      rec?.recorder.switchGame(update.game);
      applyStep(o.driver?.onGame?.(update.game, at, update.counts) ?? null, at);
    };

    const target: ControlTarget = {
      report: () => ({
        pid: Deno.pid,
        version: o.version ?? "",
        uptime_s: (now() - t0) / 1000,
        config,
        game: watch.game,
        threads: watch.counts,
        announced: watch.announced,
        samples: rec ? rec.recorder.samples : null,
        status: o.driver?.status?.() ?? null,
        snapshot: encodeSnapshot(sched.snapshot()),
      }),
      config: () => config,
      apply: (next) => {
        if (o.driver) {
          throw new ControlError("apply: refused: this mode chooses the configs itself (a sweep is running)");
        }
        applyStep({ apply: next, recording }, now());
        // Said in the log (the journal, as a service): a config changed from outside is worth knowing.
        o.log(`scx_gamer: config applied from the control socket: ${configToArgs(next).join(" ")}`);
      },
      setGame: (pid) => {
        watch.announce(pid);
        checkGame(now());
        o.log(`scx_gamer: process ${pid} announced as the game`);
        return watch.game;
      },
      loadProfile: o.loadProfile ?? null,
    };

    checkGame(t0);
    while (reason === null) {
      const next = Math.min(stats.at, watchDue.at, sample.at, o.driver?.dueMs() ?? Infinity, endAt);
      const t = now();
      // A command waiting is handled now; otherwise sleep until something is due, or a command comes.
      if (next > t && !(o.inbox && o.inbox.size > 0)) {
        const wake = o.inbox ? AbortSignal.any([o.signal, o.inbox.signal]) : o.signal;
        await sleep(Math.min(next - t, EXIT_CHECK_MS), wake);
      }
      const at = now();
      if (o.signal.aborted) reason = "signal";
      ejected = sched.exitInfo();
      if (ejected) reason = "ejected";
      if (reason !== null) break;
      for (const m of o.inbox?.take() ?? []) m.reply(executeCommand(m.message, target));
      if (at >= watchDue.at) {
        checkGame(at);
        advance(watchDue, at);
      }
      if (at >= sample.at && rec) {
        // While a new config settles its intervals are thrown away: they would mix two configs.
        if (recording) {
          const s = rec.recorder.record(watch.game, watch.counts, config);
          if (s) o.driver?.onSample?.(s);
        } else rec.recorder.restartInterval();
        advance(sample, at);
      }
      if (at >= (o.driver?.dueMs() ?? Infinity)) applyStep(o.driver!.tick(at), at);
      if (at >= stats.at) {
        const next = sched.snapshot();
        emitStats(statsLine({
          uptimeS: (at - t0) / 1000,
          metrics: metricsBetween(statsPrev, next),
          game: watch.game,
          threads: watch.counts,
          samples: rec ? rec.recorder.samples : null,
          status: o.driver?.status?.() ?? null,
          config,
        }, o.statsFormat ?? "text"));
        statsPrev = next;
        advance(stats, at);
      }
      if (at >= endAt) reason = "duration";
    }
  } finally {
    o.inbox?.close(reason === null ? "error" : reason);
    try {
      rec?.recorder.close(
        ejected ? `scheduler ejected: ${describeExit(ejected)}` : reason ?? "error",
      );
    } finally {
      detached = sched.stop();
    }
  }
  return { reason: reason!, exit: ejected ?? detached, samples: rec?.recorder.samples ?? 0 };
}

/** Metrics between successive snapshots, for a recorder: keeps its own baseline. */
export function metricsSource(read: () => StatsSnapshot): () => Metrics {
  let prev = read();
  return () => {
    const next = read();
    const m = metricsBetween(prev, next);
    prev = next;
    return m;
  };
}
