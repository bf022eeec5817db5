/**
 * The running scheduler's session: what every mode that attaches the scheduler shares (run, sweep, and
 * later profiles, autotune and A/B). It starts the scheduler, keeps it told which process is the game
 * ({@link GameWatch}, in every mode), prints stats lines, records samples when collecting, lets a
 * {@link ConfigDriver} change the config live, notices an ejection, and always detaches.
 *
 * The loop sleeps until the next thing is due (a stats line, a game check, a sample, the driver, the
 * end), never on a fixed short tick. It sleeps on the scheduler's event ring buffer when it has one
 * (the kernel's exit record and the game's exit wake it at once; new programs wait in the buffer for the
 * next game check, so a machine starting programs does not keep it awake); without one it looks at the
 * exit record at least once a second. Commands from the control socket arrive through an
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
import { printable } from "../host/terminal.ts";
import { smoothBetween, type SmoothSnapshot } from "../sched/smooth.ts";
import { metricsBetween, type StatsSnapshot } from "../sched/stats.ts";
import type { ExitInfo, SchedEvent } from "../sched/scheduler.ts";
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

/** What the session reads of a scheduler event. */
export type SessionEvent = Pick<SchedEvent, "kind" | "tgid">;

/** The running scheduler as the session uses it (lib/sched's Scheduler in the product). */
export interface RunningScheduler {
  applyConfig(config: SchedConfig): void;
  setGame(tgid: number | null): void;
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>): void;
  threadBehaviour(): { tid: number; avgRunNs: number; wakeups: number }[];
  snapshot(): StatsSnapshot;
  /** Why the kernel stopped it, or null while it runs. */
  exitInfo(): ExitInfo | null;
  /**
   * Like exitInfo, but a supervisor serves a restart request here (CPU hotplug) and answers null once
   * attached again (lib/sched/supervisor.ts). Optional: without it exitInfo is read.
   */
  poll?(): Promise<ExitInfo | null>;
  /**
   * Wait up to `timeoutMs` for events; returns every event that arrived meanwhile. Only the scheduler's
   * own exit and the game's exit need wake it (new programs are read at the next game check). Optional.
   */
  waitEvents?(timeoutMs: number): Promise<SessionEvent[]>;
  /** The events that arrived since the last read, without waiting. Optional (with waitEvents). */
  drainEvents?(): SessionEvent[];
  /** Detach; returns the final exit record. Idempotent. */
  stop(): ExitInfo | null;
  /**
   * Measure the game's smoothness in the kernel (a little work per wake-up while on). Optional: a
   * scheduler without it gives samples with no smoothness (metrics.smooth null).
   */
  setSmoothness?(on: boolean): void;
  /** The thread whose wake intervals are the game's frame pacing, or null for none. Optional. */
  setPacingThread?(tid: number | null): void;
  /** The smoothness counters now, cumulative (lib/sched/smooth.ts). Optional. */
  smoothSnapshot?(): SmoothSnapshot;
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
  /**
   * A sample was recorded under the driver's current config. Only while the session collects: a driver that
   * reads samples needs its mode to collect (sweep, autotune and A/B do), which is also what turns the
   * scheduler's smoothness measurement on.
   */
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
  /**
   * Milliseconds between game checks: the game's threads are re-read and, when the scheduler reports new
   * programs, each is looked at on its own (a few files). Default 2000.
   */
  watchMs?: number;
  /**
   * Milliseconds between full `/proc` scans when the scheduler reports new programs (a safety net; without
   * reports every check with no game scans). Default 30 000, and 300 000 while a game runs; a value given
   * is used for both. A full scan costs tens of milliseconds on a desktop and ~30x that under emulation,
   * where a scan every 2 s cost 0.6 CPUs of 2 (bench:sched).
   */
  rescanMs?: number;
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

/** Longest sleep between looks at the exit record when the scheduler has no event ring buffer, ms. */
const EXIT_CHECK_MS = 1000;
/** Longest sleep on the event ring buffer (a safety net: the kernel's exit is an event), ms. */
const EVENT_WAIT_MAX_MS = 10_000;
/** Milliseconds between game checks. */
const WATCH_MS = 2000;
/**
 * With no game running, a reported new program is looked at this soon after the last check instead of at
 * the next one, ms (the scheduler wakes us for one then, at most every 250 ms: bpf gamer_exec). Until the
 * game is found its threads are scheduled like any program's, and a render thread that runs longer than
 * batch_burst_us per frame is batch then: the 60 fps game beside 3 encoders missed 1-2.5% of its frames
 * in its first seconds, found 0.5-2 s after its start. A storm of programs (a build) with no game costs at
 * most one look at the newest 16 per this interval instead of per WATCH_MS.
 */
const EXEC_LOOK_MS = 250;
/** Milliseconds between full /proc scans when new programs are reported. */
const RESCAN_MS = 30_000;
/** The same while a game runs: every new program is still looked at, so a scan is only the safety net. */
const RESCAN_WITH_GAME_MS = 300_000;

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

/** One attached session's state and duties; {@link runSession} drives it. */
class Session {
  readonly #o: SessionOptions;
  readonly #sched: RunningScheduler;
  readonly #now: () => number;
  readonly #watch: GameWatch;
  readonly #rec: { recorder: SampleRecorder; sampleIntervalS: number } | null;
  readonly #t0: number;
  readonly #stats: Due;
  readonly #watchDue: Due;
  #lastWatchAt = -Infinity;
  readonly #sample: Due;
  readonly #endAt: number;
  #statsPrev: StatsSnapshot;
  config: SchedConfig;
  #recording: boolean;
  reason: SessionEnd["reason"] | null = null;
  ejected: ExitInfo | null = null;
  /** The ring buffer wait in flight, if any. */
  #events: Promise<SessionEvent[]> | null = null;

  constructor(
    o: SessionOptions,
    sched: RunningScheduler,
    first: { config: SchedConfig; recording: boolean },
  ) {
    this.#o = o;
    this.#sched = sched;
    this.#now = o.now ?? (() => performance.now());
    this.config = first.config;
    this.#recording = first.recording;
    this.#rec = o.collect
      ? { recorder: o.collect.recorder(sched), sampleIntervalS: o.collect.sampleIntervalS }
      : null;
    // With exec events every new program is reported, so a full /proc scan waits for one that may be
    // the game, and otherwise runs only as the safety net (lib/collect/game_watch.ts).
    const events = Boolean(sched.waitEvents);
    this.#watch = new GameWatch({
      scheduler: sched,
      forcedGame: o.game,
      procRoot: o.procRoot,
      allUsers: o.allUsers,
      execReported: events,
      rescanMs: events ? o.rescanMs ?? RESCAN_MS : undefined,
      rescanWithGameMs: events ? o.rescanMs ?? RESCAN_WITH_GAME_MS : undefined,
    });
    // Samples are what the learning loop optimises and what the drivers that compare configs read (a sweep,
    // autotune and A/B all collect). Without a recorder nobody reads it, and measuring costs the game's
    // wake-ups: the profile driver reads no sample, and with it on, bench:loop's runs of a profile missed
    // more frames than the defaults' runs of the same config in 20 of 24 rounds (docs/benchmarks.md, run M).
    sched.setSmoothness?.(Boolean(o.collect));
    this.#t0 = this.#now();
    this.#stats = schedule(o.statsS === null ? null : o.statsS * 1000, this.#t0);
    this.#watchDue = schedule(o.watchMs ?? WATCH_MS, this.#t0);
    this.#sample = schedule(this.#rec ? this.#rec.sampleIntervalS * 1000 : null, this.#t0);
    this.#endAt = o.durationS === null ? Infinity : this.#t0 + o.durationS * 1000;
    this.#statsPrev = sched.snapshot();
    this.#rec?.recorder.restartInterval();
  }

  get recorder(): SampleRecorder | null {
    return this.#rec?.recorder ?? null;
  }

  /** Run until a reason to end. */
  async loop(): Promise<void> {
    this.#checkGame(this.#t0);
    // No game yet: compile the look at one now, not in the game's first seconds.
    if (this.#watch.game === null) this.#watch.warmUp(Deno.pid);
    while (this.reason === null) {
      await this.#wait();
      const at = this.#now();
      if (this.#o.signal.aborted) this.reason = "signal";
      this.ejected = this.#sched.poll ? await this.#sched.poll() : this.#sched.exitInfo();
      if (this.ejected) this.reason = "ejected";
      if (this.reason !== null) break;
      this.#duties(at);
    }
  }

  /** Sleep until the next duty, a command, a signal, or (with a ring buffer) an event. */
  async #wait(): Promise<void> {
    const o = this.#o;
    const next = Math.min(
      this.#stats.at,
      this.#watchDue.at,
      this.#sample.at,
      o.driver?.dueMs() ?? Infinity,
      this.#endAt,
    );
    const t = this.#now();
    // A command waiting is handled now.
    if (next <= t || (o.inbox && o.inbox.size > 0)) return;
    const wake = o.inbox ? AbortSignal.any([o.signal, o.inbox.signal]) : o.signal;
    const ms = Math.min(next - t, this.#sched.waitEvents ? EVENT_WAIT_MAX_MS : EXIT_CHECK_MS);
    const sleep = () => (o.sleep ?? defaultSleep)(ms, wake).then(() => null);
    if (!this.#sched.waitEvents) return void await sleep();
    // One wait on the ring buffer at a time: one still pending when the sleep won (a signal, a command, a
    // duty) is raced again next time, so no event is lost. Events already there win over the sleep.
    this.#events ??= this.#sched.waitEvents(ms);
    const arrived = this.#events.then((events) => ({ events }));
    const won = await Promise.race([arrived, sleep()]);
    if (won === null) return;
    this.#events = null;
    this.#onEvents(won.events, t);
  }

  /** Bring the game check forward to EXEC_LOOK_MS after the last one (or to `t`, if that is later). */
  #lookSoon(t: number): void {
    this.#watchDue.at = Math.min(this.#watchDue.at, Math.max(t, this.#lastWatchAt + EXEC_LOOK_MS));
  }

  /** Note new programs, and ended ones, for the game check; the game's exit brings the check forward to now. */
  #onEvents(events: readonly SessionEvent[], t: number): void {
    for (const e of events) {
      if (e.kind === "exec") {
        this.#watch.noteExec(e.tgid);
        // No game yet: it may be this one, looked at soon rather than at the next check.
        if (this.#watch.game === null) this.#lookSoon(t);
      }
      if (e.kind !== "exit") continue;
      if (e.tgid === this.#watch.game?.tgid) this.#watchDue.at = Math.min(this.#watchDue.at, t);
      else this.#watch.noteExit(e.tgid);
    }
  }

  #duties(at: number): void {
    const o = this.#o;
    for (const m of o.inbox?.take() ?? []) m.reply(executeCommand(m.message, this.#target()));
    if (at >= this.#watchDue.at) {
      this.#onEvents(this.#sched.drainEvents?.() ?? [], at);
      this.#checkGame(at);
      this.#lastWatchAt = at;
      advance(this.#watchDue, at);
      // A Wine loader not yet named: its second look comes as soon as a new program's first would.
      if (this.#watch.lookAgainPending) this.#lookSoon(at);
    }
    if (at >= this.#sample.at && this.#rec) {
      this.#takeSample();
      advance(this.#sample, at);
    }
    if (at >= (o.driver?.dueMs() ?? Infinity)) this.applyStep(o.driver!.tick(at), at);
    if (at >= this.#stats.at) {
      this.#printStats(at);
      advance(this.#stats, at);
    }
    if (at >= this.#endAt) this.reason = "duration";
  }

  applyStep(step: DriverStep | null, at: number): void {
    if (!step) return;
    if (step.apply) {
      this.config = step.apply;
      this.#sched.applyConfig(this.config);
      this.#rec?.recorder.restartInterval();
      this.#sample.at = at + this.#sample.every;
    }
    this.#recording = step.recording;
    if (step.done) this.reason ??= "done";
  }

  #checkGame(at: number): void {
    const update = this.#watch.update(at);
    if (!update.changed) return;
    // One line per change, so a player (and a benchmark's log) can see what the scheduler takes as the game.
    const named = (g: GameInfo) => `${printable(g.name)} (pid ${g.tgid})`;
    if (update.previous) this.#o.log(`scx_gamer: game ${named(update.previous)} is gone`);
    if (update.game) {
      this.#o.log(`scx_gamer: game: ${named(update.game)}, ${update.game.thread_count} threads`);
    }
    this.#rec?.recorder.switchGame(update.game);
    this.applyStep(this.#o.driver?.onGame?.(update.game, at, update.counts) ?? null, at);
  }

  #takeSample(): void {
    const rec = this.#rec!;
    // While a new config settles its intervals are thrown away: they would mix two configs.
    if (!this.#recording) return rec.recorder.restartInterval();
    const s = rec.recorder.record(this.#watch.game, this.#watch.counts, this.config);
    if (s) this.#o.driver?.onSample?.(s);
  }

  #printStats(at: number): void {
    const next = this.#sched.snapshot();
    (this.#o.emitStats ?? this.#o.log)(statsLine({
      uptimeS: (at - this.#t0) / 1000,
      metrics: metricsBetween(this.#statsPrev, next),
      game: this.#watch.game,
      threads: this.#watch.counts,
      samples: this.#rec ? this.#rec.recorder.saved : null,
      status: this.#o.driver?.status?.() ?? null,
      config: this.config,
    }, this.#o.statsFormat ?? "text"));
    this.#statsPrev = next;
  }

  /** What the control socket's commands act on. */
  #target(): ControlTarget {
    const o = this.#o;
    return {
      report: () => ({
        pid: Deno.pid,
        version: o.version ?? "",
        uptime_s: (this.#now() - this.#t0) / 1000,
        config: this.config,
        game: this.#watch.game,
        threads: this.#watch.counts,
        announced: this.#watch.announced,
        samples: this.#rec ? this.#rec.recorder.saved : null,
        status: o.driver?.status?.() ?? null,
        snapshot: encodeSnapshot(this.#sched.snapshot()),
      }),
      config: () => this.config,
      apply: (next) => {
        if (o.driver) throw new ControlError("apply: refused: this mode chooses the configs itself");
        this.applyStep({ apply: next, recording: this.#recording }, this.#now());
        // Said in the log (the journal, as a service): a config changed from outside is worth knowing.
        o.log(`scx_gamer: config applied from the control socket: ${configToArgs(next).join(" ")}`);
      },
      setGame: (pid) => {
        this.#watch.announce(pid);
        this.#checkGame(this.#now());
        o.log(`scx_gamer: process ${pid} announced as the game`);
        return this.#watch.game;
      },
      loadProfile: o.loadProfile ?? null,
    };
  }
}

/**
 * Run the scheduler until a signal, the duration, the driver's end, or an ejection. Always detaches
 * and closes the recorder (saving first: the data must survive whatever detaching does).
 */
export async function runSession(o: SessionOptions): Promise<SessionEnd> {
  const now = o.now ?? (() => performance.now());
  const first = o.driver?.start(now());
  const config = first?.apply ?? o.config;
  const sched = o.start(config);
  let session: Session | null = null;
  let detached: ExitInfo | null = null;
  try {
    session = new Session(o, sched, { config, recording: first?.recording ?? true });
    await session.loop();
  } finally {
    const reason = session?.reason ?? null;
    o.inbox?.close(reason ?? "error");
    try {
      const ejected = session?.ejected;
      await session?.recorder?.close(
        ejected ? `scheduler ejected: ${describeExit(ejected)}` : reason ?? "error",
      );
    } finally {
      detached = sched.stop();
    }
  }
  return {
    reason: session.reason!,
    exit: session.ejected ?? detached,
    samples: session.recorder?.samples ?? 0,
  };
}

/** What {@link metricsSource} reads: the scheduler's stats and, when it measures them, its smoothness. */
export type MetricsReadings = Pick<RunningScheduler, "snapshot" | "smoothSnapshot">;

/** Both cumulative readings at one instant (smooth null when the scheduler has no smoothness). */
function readBoth(sched: MetricsReadings): { stats: StatsSnapshot; smooth: SmoothSnapshot | null } {
  return { stats: sched.snapshot(), smooth: sched.smoothSnapshot?.() ?? null };
}

/**
 * Metrics between successive readings, for a recorder: keeps its own baseline. `metrics.smooth` is the
 * smoothness over the same interval, or null when the scheduler has no smoothness counters.
 *
 * @example
 * ```ts
 * const next = metricsSource(sched);
 * // ... one sampling interval later
 * next().smooth?.all.p99_ns; // the game's wake-up p99 over the interval
 * ```
 */
export function metricsSource(sched: MetricsReadings): () => Metrics {
  let prev = readBoth(sched);
  return () => {
    const next = readBoth(sched);
    const m = metricsBetween(prev.stats, next.stats);
    m.smooth = prev.smooth && next.smooth ? smoothBetween(prev.smooth, next.smooth) : null;
    prev = next;
    return m;
  };
}
