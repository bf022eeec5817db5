/**
 * Keeps scx_gamer attached. When the kernel stops the scheduler and asks for a restart (the exit code
 * carries SCX_ECODE_ACT_RESTART: a CPU went offline or online), the supervisor attaches it again by
 * itself: the same loaded instance through a new struct_ops link (nothing verified again), else a new
 * instance with back-off; and it re-applies what userspace had told the old one (config, game, thread
 * classes, smoothness switches). Any other exit (an error, a stall,
 * SysRq-S) is returned to the caller, with the kernel's debug dump. Counters stay cumulative across
 * restarts, so per-interval metrics never go negative.
 *
 * The run mode holds a Supervisor where it held a Scheduler: the same methods, plus {@link Supervisor.poll}.
 *
 * @example
 * ```ts
 * const sched = Supervisor.start(defaultConfig(), { onRestart: (why) => console.log(why.reason) });
 * try {
 *   for (;;) {
 *     const exit = await sched.poll(); // restarts inside when the kernel asks for it
 *     if (exit) break; // anything else: report it
 *     await new Promise((r) => setTimeout(r, 100));
 *   }
 * } finally {
 *   sched.stop();
 * }
 * ```
 *
 * @module
 */

import type { SchedConfig } from "../config.ts";
import type { ThreadClass } from "../types.ts";
import {
  type ExitInfo,
  exitWantsRestart,
  type SchedEvent,
  Scheduler,
  type StartOptions,
  type StartTimings,
  type ThreadBehaviour,
} from "./scheduler.ts";
import type { HistSnapshot, StatsSnapshot } from "./stats.ts";
import { schedExtState as readSchedExtState } from "./preflight.ts";
import type { SmoothSnapshot } from "./smooth.ts";

/** What the supervisor needs of a loaded scheduler (Scheduler; tests pass a fake). */
export type SchedulerLike = Pick<
  Scheduler,
  | "stats"
  | "inputHook"
  | "applyConfig"
  | "currentConfig"
  | "setGame"
  | "setThreadClasses"
  | "setSmoothness"
  | "setPacingThread"
  | "threadBehaviour"
  | "snapshot"
  | "smoothSnapshot"
  | "exitInfo"
  | "programInsns"
  | "waitEvents"
  | "drainEvents"
  | "timings"
  | "attach"
  | "relink"
  | "relinkable"
  | "stop"
>;

/** Options for {@link Supervisor.start}. */
export interface SupervisorOptions extends StartOptions {
  /**
   * Delays before successive attach attempts after a restart request, ms; the last repeats. Default
   * 0, 50, 100, 200, 400, 800, 1000: the kernel needs a moment to finish disabling the old instance.
   */
  backoffMs?: readonly number[];
  /** Attach attempts per restart before giving up (default 20: about 15 s with the default back-off). */
  maxAttempts?: number;
  /** Restarts allowed within {@link windowMs} before the supervisor stops trying (default 10). */
  maxRestarts?: number;
  /** Window of {@link maxRestarts}, ms (default 60000). */
  windowMs?: number;
  /** Told when a spare instance is loaded and ready, with how long its load took. */
  onSpareReady?: (loadMs: number) => void;
  /** Told about each restart: the exit that asked for it, how long re-attaching took, and how many tries. */
  onRestart?: (why: ExitInfo, tookMs: number, attempts: number) => void;
  /** sched_ext's state now ("disabled", "enabled", ...; default: read from sysfs under sysRoot). */
  schedExtState?: () => string | null;
  /**
   * Loads and attaches one instance (default Scheduler.start without hotplug_seq: the policy reads the CPUs
   * in ops.init, under the kernel's hotplug lock, so the instance can be attached again after any number of
   * hotplugs; see {@link Supervisor.poll}).
   */
  startFn?: (config: SchedConfig, options: StartOptions) => SchedulerLike;
  /**
   * Keep a spare instance loaded (not attached) for a restart that cannot re-link the running one. Default
   * false: a restart re-links the instance that ran (no load at all), and a spare's load is the verifier's
   * work, seconds of CPU under emulation that landed on the game (bench:sched measured the loader at 0.30
   * CPUs of 2 in an 8 s run with a spare, against 0.05 for scx_bpfland). The spare is prepared at the first
   * poll.
   */
  spare?: boolean;
  /**
   * Loads one instance without attaching it (default Scheduler.prepareAsync without hotplug_seq: the load
   * runs on a worker thread, so the run loop keeps noticing exits meanwhile).
   */
  prepareFn?: (config: SchedConfig, options: StartOptions) => SchedulerLike | Promise<SchedulerLike>;
  /** Waits (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_BACKOFF_MS = [0, 50, 100, 200, 400, 800, 1000];
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Scheduler.start without hotplug_seq, so the instance can be re-linked after a hotplug. */
const defaultStart = (c: SchedConfig, o: StartOptions) => Scheduler.start(c, { ...o, hotplugSeq: false });
/** Longest wait for sched_ext to report "disabled" before an attach attempt anyway, ms. */
const DISABLED_WAIT_MS = 5000;

/** Two cumulative histograms of the same layout added bucket by bucket (the hot paths' and smoothness'). */
function sumBuckets(a: HistSnapshot, b: HistSnapshot): HistSnapshot {
  return {
    buckets: a.buckets.map((v, i) => v + b.buckets[i]),
    count: a.count + b.count,
    sum_ns: a.sum_ns + b.sum_ns,
  };
}

function addSnapshots(a: StatsSnapshot, b: StatsSnapshot): StatsSnapshot {
  const counters = { ...a.counters };
  for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] += b.counters[k];
  const hists = { ...a.hists };
  for (const k of Object.keys(hists) as (keyof typeof hists)[]) hists[k] = sumBuckets(a.hists[k], b.hists[k]);
  return { ...b, counters, hists };
}

function addSmooth(a: SmoothSnapshot, b: SmoothSnapshot): SmoothSnapshot {
  return {
    at_ms: b.at_ms,
    lat: a.lat.map((h, i) => sumBuckets(h, b.lat[i])),
    waits: a.waits + b.waits,
    wait_ns: a.wait_ns + b.wait_ns,
    wait_behind_other_ns: a.wait_behind_other_ns + b.wait_behind_other_ns,
    pace: sumBuckets(a.pace, b.pace),
    starts: sumBuckets(a.starts, b.starts),
    pace_tid: b.pace_tid,
  };
}

/** An attached scheduler that comes back by itself when the kernel asks for a restart. */
export class Supervisor {
  #cur: SchedulerLike;
  #config: SchedConfig;
  readonly #options: SupervisorOptions;
  #game: number | null = null;
  #classes: ReadonlyMap<number, ThreadClass> = new Map();
  #smooth = false;
  #pace: number | null = null;
  /** Counters of the instances that are gone, added to the current one's. */
  #base: StatsSnapshot | null = null;
  #smoothBase: SmoothSnapshot | null = null;
  #restarts: number[] = [];
  #stopped = false;
  #spare: SchedulerLike | null = null;
  #sparePending: Promise<void> | null = null;
  #spareAfter = 0;
  /** Resolved when a restart swaps in a new instance, so a wait on the old one's ring buffer ends. */
  #swapped = Promise.withResolvers<void>();
  /** How many times the scheduler was attached again. */
  restartCount = 0;

  private constructor(cur: SchedulerLike, config: SchedConfig, options: SupervisorOptions) {
    this.#cur = cur;
    this.#config = config;
    this.#options = options;
  }

  /** Load and attach the scheduler (throws as Scheduler.start does when the first attach fails). */
  static start(config: SchedConfig, options: SupervisorOptions = {}): Supervisor {
    const startFn = options.startFn ?? defaultStart;
    return new Supervisor(startFn(config, options), config, options);
  }

  /** Whether statistics are compiled in. */
  get stats(): boolean {
    return this.#cur.stats;
  }

  /** How long the current instance took to open, load and attach, ms. */
  get timings(): StartTimings {
    return this.#cur.timings;
  }

  /** Whether the kernel input hook is attached. */
  get inputHook(): boolean {
    return this.#cur.inputHook;
  }

  /**
   * Check whether the kernel stopped the scheduler. A restart request is served here (this resolves once
   * the scheduler is attached again) and yields null; any other exit is returned, as is a restart request
   * the supervisor could not serve (too many in the window, or no attach succeeded).
   */
  async poll(): Promise<ExitInfo | null> {
    if (this.#stopped) return null;
    const info = this.#cur.exitInfo();
    if (!info) {
      this.#prepareSpare();
      return null;
    }
    if (!exitWantsRestart(info)) return info;
    const now = performance.now();
    const { maxRestarts = 10, windowMs = 60_000 } = this.#options;
    this.#restarts = this.#restarts.filter((t) => now - t < windowMs);
    if (this.#restarts.length >= maxRestarts) return info;
    this.#restarts.push(now);
    return await this.#restart(info) ? null : info;
  }

  /** Start loading a spare instance if there is none (after a failure, retry no sooner than 10 s later). */
  #prepareSpare(): void {
    const { spare = false, prepareFn = (c, o) => Scheduler.prepareAsync(c, { ...o, hotplugSeq: false }) } =
      this.#options;
    if (!spare || this.#spare || this.#sparePending || performance.now() < this.#spareAfter) return;
    this.#sparePending = (async () => {
      try {
        const s = await prepareFn(this.#config, this.#options);
        if (this.#stopped) s.stop();
        else {
          this.#spare = s;
          this.#options.onSpareReady?.(s.timings.load);
        }
      } catch {
        this.#spareAfter = performance.now() + 10_000;
      } finally {
        this.#sparePending = null;
      }
    })();
  }

  async #restart(why: ExitInfo): Promise<boolean> {
    const started = performance.now();
    const { backoffMs = DEFAULT_BACKOFF_MS, maxAttempts = 20, sleep = defaultSleep } = this.#options;
    // An instance loaded without hotplug_seq (the supervisor's own, or an attached spare) is attached
    // again as it is: no load at all. Its counters continue in the same maps.
    if (this.#cur.relinkable) {
      await this.#waitDisabled();
      try {
        this.#cur.relink();
        return this.#attached(why, started, 1);
      } catch {
        // fall back to another instance
      }
    }
    // Keep what the old instance counted, then let it go.
    try {
      const last = this.#cur.snapshot();
      this.#base = this.#base ? addSnapshots(this.#base, last) : last;
      const lastSmooth = this.#cur.smoothSnapshot();
      this.#smoothBase = this.#smoothBase ? addSmooth(this.#smoothBase, lastSmooth) : lastSmooth;
    } finally {
      this.#cur.stop();
    }
    const startFn = this.#options.startFn ?? defaultStart;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      await sleep(backoffMs[Math.min(attempt, backoffMs.length - 1)]);
      await this.#waitDisabled();
      if (this.#stopped) return true;
      // A spare still loading is waited for: its verification is under way, and a second load beside it
      // would halve both (seen in the VM: 21.6 s to come back after a CPU came online, against 2.5 s).
      if (this.#sparePending) await this.#sparePending;
      try {
        this.#cur = this.#takeSpare() ?? startFn(this.#config, this.#options);
      } catch {
        continue; // the old instance may still be disabling, or CPUs are still changing: try again
      }
      return this.#attached(why, started, attempt + 1);
    }
    return false;
  }

  /**
   * Wait until the kernel is done with the old instance, which it tears down asynchronously (and, for a
   * hotplug, after the CPU changed): an attach meanwhile would fail.
   */
  async #waitDisabled(): Promise<void> {
    const {
      sleep = defaultSleep,
      schedExtState = () => readSchedExtState(this.#options.sysRoot)?.state ?? null,
    } = this.#options;
    for (let waited = 0; waited < DISABLED_WAIT_MS && schedExtState() !== "disabled"; waited += 10) {
      await sleep(10);
    }
  }

  /** The current instance is attached again: tell it everything userspace had set, and say so. */
  #attached(why: ExitInfo, started: number, attempts: number): boolean {
    this.#reapply();
    this.restartCount++;
    this.#swapped.resolve();
    this.#swapped = Promise.withResolvers<void>();
    this.#options.onRestart?.(why, performance.now() - started, attempts);
    return true;
  }

  /** Attach the spare, if one is ready and it attaches (a failed spare is dropped). */
  #takeSpare(): SchedulerLike | null {
    const spare = this.#spare;
    this.#spare = null;
    if (!spare) return null;
    try {
      spare.attach();
      return spare;
    } catch {
      spare.stop();
      return null;
    }
  }

  #reapply(): void {
    this.#cur.applyConfig(this.#config);
    this.#cur.setGame(this.#game);
    if (this.#classes.size) this.#cur.setThreadClasses(this.#classes);
    this.#cur.setSmoothness(this.#smooth);
    this.#cur.setPacingThread(this.#pace);
  }

  /** Apply a config live; it also applies after any restart. */
  applyConfig(config: SchedConfig): void {
    this.#cur.applyConfig(config);
    this.#config = config;
  }

  /** The configuration the scheduler runs with now. */
  currentConfig(): SchedConfig {
    return this.#cur.currentConfig();
  }

  /** See Scheduler.setGame. */
  setGame(tgid: number | null): void {
    this.#game = tgid;
    this.#cur.setGame(tgid);
  }

  /** See Scheduler.setThreadClasses. */
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>): void {
    this.#classes = new Map(classes);
    this.#cur.setThreadClasses(classes);
  }

  /** See Scheduler.setSmoothness. */
  setSmoothness(on: boolean): void {
    this.#smooth = on;
    this.#cur.setSmoothness(on);
  }

  /** See Scheduler.setPacingThread. */
  setPacingThread(tid: number | null): void {
    this.#pace = tid;
    this.#cur.setPacingThread(tid);
  }

  /** See Scheduler.threadBehaviour. */
  threadBehaviour(): ThreadBehaviour[] {
    return this.#cur.threadBehaviour();
  }

  /** Cumulative statistics, continued across restarts. */
  snapshot(procStatPath?: string): StatsSnapshot {
    const now = this.#cur.snapshot(procStatPath);
    return this.#base ? addSnapshots(this.#base, now) : now;
  }

  /** Cumulative smoothness counters, continued across restarts. */
  smoothSnapshot(): SmoothSnapshot {
    const now = this.#cur.smoothSnapshot();
    return this.#smoothBase ? addSmooth(this.#smoothBase, now) : now;
  }

  /** The current instance's exit info (null while it runs). */
  exitInfo(): ExitInfo | null {
    return this.#cur.exitInfo();
  }

  /**
   * See Scheduler.waitEvents (the current instance's; a sched_exit event means: call {@link poll}). A
   * wait still on an instance a restart replaced ends at the restart, not at its timeout.
   */
  waitEvents(timeoutMs: number): Promise<SchedEvent[]> {
    const swapped = this.#swapped.promise.then((): SchedEvent[] => []);
    return Promise.race([this.#cur.waitEvents(timeoutMs), swapped]);
  }

  /** See Scheduler.drainEvents (the current instance's). */
  drainEvents(): SchedEvent[] {
    return this.#cur.drainEvents();
  }

  /** See Scheduler.programInsns. */
  programInsns(): { name: string; id: number; xlatedInsns: number; verifiedInsns: number }[] {
    return this.#cur.programInsns();
  }

  /** Detach for good (idempotent); returns the current instance's exit info. */
  stop(): ExitInfo | null {
    this.#stopped = true;
    this.#spare?.stop();
    this.#spare = null;
    return this.#cur.stop();
  }
}
