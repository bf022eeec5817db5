/**
 * Keeps scx_gamer attached. When the kernel stops the scheduler and asks for a restart (the exit code
 * carries SCX_ECODE_ACT_RESTART: a CPU went offline or online, or a hotplug raced the attach), the
 * supervisor loads and attaches it again by itself, with back-off, and re-applies what userspace had told
 * the old instance (config, game, thread classes, smoothness switches). Any other exit (an error, a stall,
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
  type ThreadBehaviour,
} from "./scheduler.ts";
import type { StatsSnapshot } from "./stats.ts";
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
  /** Told about each restart: the exit that asked for it, and how long re-attaching took. */
  onRestart?: (why: ExitInfo, tookMs: number) => void;
  /** Loads and attaches one instance (default Scheduler.start). */
  startFn?: (config: SchedConfig, options: StartOptions) => SchedulerLike;
  /** Waits (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_BACKOFF_MS = [0, 50, 100, 200, 400, 800, 1000];

function addSnapshots(a: StatsSnapshot, b: StatsSnapshot): StatsSnapshot {
  const counters = { ...a.counters };
  for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] += b.counters[k];
  const hists = structuredClone(a.hists);
  for (const k of Object.keys(hists) as (keyof typeof hists)[]) {
    hists[k].buckets = hists[k].buckets.map((x, i) => x + b.hists[k].buckets[i]);
    hists[k].sum_ns += b.hists[k].sum_ns;
    hists[k].count += b.hists[k].count;
  }
  return { ...b, counters, hists };
}

function addSmooth(a: SmoothSnapshot, b: SmoothSnapshot): SmoothSnapshot {
  const sum = (x: SmoothSnapshot["pace"], y: SmoothSnapshot["pace"]) => ({
    buckets: x.buckets.map((v, i) => v + y.buckets[i]),
    count: x.count + y.count,
    sum_ns: x.sum_ns + y.sum_ns,
  });
  return {
    at_ms: b.at_ms,
    lat: a.lat.map((h, i) => sum(h, b.lat[i])),
    waits: a.waits + b.waits,
    wait_ns: a.wait_ns + b.wait_ns,
    wait_behind_other_ns: a.wait_behind_other_ns + b.wait_behind_other_ns,
    pace: sum(a.pace, b.pace),
  };
}

/** An attached scheduler that comes back by itself when the kernel asks for a restart. */
export class Supervisor {
  #cur: SchedulerLike;
  readonly #config: { value: SchedConfig };
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
  /** How many times the scheduler was attached again. */
  restartCount = 0;

  private constructor(cur: SchedulerLike, config: SchedConfig, options: SupervisorOptions) {
    this.#cur = cur;
    this.#config = { value: config };
    this.#options = options;
  }

  /** Load and attach the scheduler (throws as Scheduler.start does when the first attach fails). */
  static start(config: SchedConfig, options: SupervisorOptions = {}): Supervisor {
    const startFn = options.startFn ?? ((c, o) => Scheduler.start(c, o));
    return new Supervisor(startFn(config, options), config, options);
  }

  /** Whether statistics are compiled in. */
  get stats(): boolean {
    return this.#cur.stats;
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
    if (!info) return null;
    if (!exitWantsRestart(info)) return info;
    const now = performance.now();
    const { maxRestarts = 10, windowMs = 60_000 } = this.#options;
    this.#restarts = this.#restarts.filter((t) => now - t < windowMs);
    if (this.#restarts.length >= maxRestarts) return info;
    this.#restarts.push(now);
    return await this.#restart(info) ? null : info;
  }

  async #restart(why: ExitInfo): Promise<boolean> {
    const started = performance.now();
    const {
      backoffMs = DEFAULT_BACKOFF_MS,
      maxAttempts = 20,
      sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
      startFn = (c: SchedConfig, o: StartOptions) => Scheduler.start(c, o),
    } = this.#options;
    // Keep what the old instance counted, then let it go.
    try {
      const last = this.#cur.snapshot();
      this.#base = this.#base ? addSnapshots(this.#base, last) : last;
      const lastSmooth = this.#cur.smoothSnapshot();
      this.#smoothBase = this.#smoothBase ? addSmooth(this.#smoothBase, lastSmooth) : lastSmooth;
    } finally {
      this.#cur.stop();
    }
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      await sleep(backoffMs[Math.min(attempt, backoffMs.length - 1)]);
      if (this.#stopped) return true;
      try {
        this.#cur = startFn(this.#config.value, this.#options);
      } catch {
        continue; // the old instance may still be disabling, or CPUs are still changing: try again
      }
      this.#reapply();
      this.restartCount++;
      this.#options.onRestart?.(why, performance.now() - started);
      return true;
    }
    return false;
  }

  #reapply(): void {
    this.#cur.setGame(this.#game);
    if (this.#classes.size) this.#cur.setThreadClasses(this.#classes);
    this.#cur.setSmoothness(this.#smooth);
    this.#cur.setPacingThread(this.#pace);
  }

  /** Apply a config live; it also applies after any restart. */
  applyConfig(config: SchedConfig): void {
    this.#cur.applyConfig(config);
    this.#config.value = config;
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

  /** See Scheduler.waitEvents (the current instance's; a sched_exit event means: call {@link poll}). */
  waitEvents(timeoutMs: number): Promise<SchedEvent[]> {
    return this.#cur.waitEvents(timeoutMs);
  }

  /** See Scheduler.programInsns. */
  programInsns(): { name: string; xlatedInsns: number }[] {
    return this.#cur.programInsns();
  }

  /** Detach for good (idempotent); returns the current instance's exit info. */
  stop(): ExitInfo | null {
    this.#stopped = true;
    return this.#cur.stop();
  }
}
