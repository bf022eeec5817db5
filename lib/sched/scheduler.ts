/**
 * The loaded scheduler: load the embedded BPF object, set tunables, attach, apply configs live, read
 * statistics without stopping it, report why it exited, and always detach on the way out.
 *
 * @example
 * ```ts
 * preflight();
 * const sched = Scheduler.start(defaultConfig(), { stats: true });
 * try {
 *   sched.applyConfig({ ...defaultConfig(), slice_us: 7 }); // live, no reload
 *   const before = sched.snapshot();
 *   // ... later
 *   const metrics = metricsBetween(before, sched.snapshot());
 * } finally {
 *   sched.stop();
 * }
 * ```
 *
 * @module
 */

import { kernelEnumValues, kernelHasFunction, kernelStructMembers } from "../bpf/btf.ts";
import type { BpfLink, BpfMap } from "../bpf/object.ts";
import { BpfObject } from "../bpf/object.ts";
import { openLibbpf } from "../bpf/ffi.ts";
import { RingBuffer } from "../bpf/ring_buffer.ts";
import { type SchedConfig, TUNABLES, validateConfig } from "../config.ts";
import { SCX_GAMER_OBJECT_BASE64 } from "../bpf/generated/scx_gamer_object.ts";
import { HOT_PATHS, type HotPath, THREAD_CLASSES, type ThreadClass } from "../types.ts";
import {
  BEHAVIOUR_LAYOUT,
  COUNTER_FIELDS,
  type CounterName,
  ENUMS,
  EVENT_LAYOUT,
  EXIT_INFO_LAYOUT,
  EXIT_KINDS,
  HIST_BUCKETS,
  HIST_LAYOUT,
  HOT_PATH_INDEX,
  LAT_HIST_LAYOUT,
  SMOOTH_LAYOUT,
} from "./intf.ts";
import { type HistSnapshot, parseProcStatCpu, type StatsSnapshot } from "./stats.ts";
import { type BucketsSnapshot, type SmoothSnapshot, zeroSmooth } from "./smooth.ts";

/** Why the scheduler stopped, from sched_ext's exit info. */
export interface ExitInfo {
  kind: number;
  /** Human name of the kind ("unregistered", "stall (watchdog)", ...). */
  kindName: string;
  /** SCX_ECODE_* bits (u64): {@link SCX_ECODE_ACT_RESTART} asks the loader to attach again. */
  code: bigint;
  reason: string;
  message: string;
  /** The kernel's debug dump (runqueues, the stalled task, backtraces); empty when it gave none. */
  dump: string;
}

/** Exit-code bit: the kernel asks the loader to restart the scheduler (e.g. after a CPU hotplug). */
export const SCX_ECODE_ACT_RESTART = 1n << 48n;
/** Exit-code bit: the reason was a CPU hotplug. */
export const SCX_ECODE_RSN_HOTPLUG = 1n << 32n;

/** Does this exit ask for a restart (the kernel's SCX_ECODE_ACT_RESTART)? */
export function exitWantsRestart(info: ExitInfo): boolean {
  return (info.code & SCX_ECODE_ACT_RESTART) !== 0n;
}

/**
 * sched_ext ops flags scx_gamer asks for, by the kernel's enum names; each is set only when the running
 * kernel has it. None today, each for a measured reason:
 * - ALLOW_QUEUED_WAKEUP (bpfland sets it) defers a remote wake-up to an IPI on the target CPU; measured
 *   in the VM (3 rounds, same boot) it doubled the input thread's wake-up p99 under load.
 * - ENQ_EXITING, ENQ_MIGRATION_DISABLED: the kernel's own handling of exiting and migration-disabled tasks
 *   is kept; they never reach the BPF side, so can never eject it.
 * - BUILTIN_IDLE_PER_NODE: enable_numa is a live tunable, not a load-time layout.
 */
export const OPS_FLAGS: readonly string[] = [];

/** The ops flags value for this kernel: those of `names` its `enum scx_ops_flags` has (0 for the rest). */
export function kernelOpsFlags(
  kernelFlags: ReadonlyMap<string, bigint> | null,
  names: readonly string[] = OPS_FLAGS,
): bigint {
  let flags = 0n;
  for (const name of names) flags |= kernelFlags?.get(name) ?? 0n;
  return flags;
}

/** Options for {@link Scheduler.start}. */
export interface StartOptions {
  /** Count events and time hot paths (const volatile: off prunes the code at load). */
  stats?: boolean;
  /** Print libbpf's log. */
  verbose?: boolean;
  /** Root of sysfs, for sched_ext's hotplug_seq (default "/sys"). */
  sysRoot?: string;
}

/** Options for {@link Scheduler.prepare}. */
export interface PrepareOptions extends StartOptions {
  /**
   * Write sched_ext's hotplug_seq into the ops (default true): a hotplug before attach then fails the
   * attach with the restart code. Off for an instance meant to be attached again after hotplugs: the
   * supervisor's (lib/sched/supervisor.ts), whose policy reads the CPUs in ops.init, which the kernel runs
   * under its hotplug lock, so nothing it reads can go stale before the kernel watches hotplugs itself.
   */
  hotplugSeq?: boolean;
}

/** A game thread's behaviour as the scheduler saw it. */
export interface ThreadBehaviour {
  tid: number;
  avgRunNs: number;
  wakeups: number;
}

/** A process or scheduler event from the kernel (bpf/intf.h struct gamer_event). */
export interface SchedEvent {
  kind: "exec" | "exit" | "sched_exit";
  /** The process (0 for sched_exit). */
  tgid: number;
  /** sched_exit: the kernel's exit code (SCX_ECODE_* bits); else 0n. */
  code: bigint;
  comm: string;
}

const EVENT_KINDS: Record<number, SchedEvent["kind"]> = {
  [ENUMS.gamer_event_kind.EVENT_EXEC]: "exec",
  [ENUMS.gamer_event_kind.EVENT_EXIT]: "exit",
  [ENUMS.gamer_event_kind.EVENT_SCHED_EXIT]: "sched_exit",
};

/** Decode one event record. */
export function decodeEvent(record: Uint8Array): SchedEvent | null {
  if (record.length < EVENT_LAYOUT.size) return null;
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const kind = EVENT_KINDS[view.getUint32(EVENT_LAYOUT.kind, true)];
  if (!kind) return null;
  return {
    kind,
    tgid: view.getUint32(EVENT_LAYOUT.tgid, true),
    code: view.getBigInt64(EVENT_LAYOUT.code, true),
    comm: cStringAt(record, EVENT_LAYOUT.comm, EVENT_LAYOUT.commLen),
  };
}

let objectBytes: Uint8Array | null = null;

/** The compiled scheduler object embedded in this program (decoded once). */
export function schedulerObjectBytes(): Uint8Array {
  if (!objectBytes) {
    const bin = atob(SCX_GAMER_OBJECT_BASE64);
    objectBytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) objectBytes[i] = bin.charCodeAt(i);
  }
  return objectBytes;
}

/** How long each step of a start took, ms (the verifier's load dominates). */
export interface StartTimings {
  open: number;
  load: number;
  attach: number;
}

function u32Key(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function u64At(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

/** Add one CPU's slot of a histogram (its buckets, count and sum at these offsets) into `h`. */
function addBuckets(h: BucketsSnapshot, slot: Uint8Array, buckets: number, count: number, sum: number): void {
  for (let b = 0; b < h.buckets.length; b++) h.buckets[b] += u64At(slot, buckets + b * 8);
  h.count += u64At(slot, count);
  h.sum_ns += u64At(slot, sum);
}

function cStringAt(b: Uint8Array, off: number, len: number): string {
  const bytes = b.subarray(off, off + len);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end === -1 ? len : end));
}

/** A loaded, attached scx_gamer scheduler. */
export class Scheduler {
  readonly #obj: BpfObject;
  #link: BpfLink | null = null;
  readonly #verbose: boolean;
  readonly #counters: BpfMap;
  readonly #hists: BpfMap;
  readonly #classes: BpfMap;
  readonly #gameThreads: BpfMap;
  readonly #smoothLat: BpfMap;
  readonly #smooth: BpfMap;
  #events: RingBuffer | null = null;
  #eventQueue: SchedEvent[] = [];
  readonly stats: boolean;
  /** Whether the kernel input hook is attached (input boost works). */
  inputHook = false;
  /** How long this instance took to open, load and attach. */
  timings: StartTimings = { open: 0, load: 0, attach: 0 };
  /** Prepared without hotplug_seq: {@link relink} may attach it again after the kernel stopped it. */
  relinkable = false;
  #classified = new Set<number>();
  #stopped: ExitInfo | null | undefined = undefined;
  /** Offsets in struct task_ctx that taskBatchState reads (null: absent; undefined: not looked up yet). */
  #taskCtxAt: { batch: number; avg: number } | null | undefined = undefined;

  private constructor(obj: BpfObject, stats: boolean, verbose: boolean) {
    this.#obj = obj;
    this.stats = stats;
    this.#verbose = verbose;
    this.#counters = obj.map("counters");
    this.#hists = obj.map("hists");
    this.#classes = obj.map("thread_class");
    this.#gameThreads = obj.map("game_threads");
    this.#smoothLat = obj.map("smooth_lat");
    this.#smooth = obj.map("smooth");
  }

  /**
   * Load the embedded object with `config`, attach it as the system's sched_ext scheduler.
   * Run {@link preflight} first for clear errors; this throws LibbpfError on a kernel refusal.
   */
  static start(config: SchedConfig, options: PrepareOptions = {}): Scheduler {
    const sched = Scheduler.prepare(config, options);
    try {
      sched.attach();
    } catch (e) {
      sched.stop();
      throw e;
    }
    return sched;
  }

  /**
   * Load the embedded object with `config` (the verifier's work, seconds on a slow machine) without
   * attaching it: {@link attach} then takes a fraction of that. A prepared instance without
   * `hotplugSeq` can be attached after any number of CPU hotplugs (the policy reads the CPUs at attach).
   */
  static prepare(config: SchedConfig, options: PrepareOptions = {}): Scheduler {
    const { obj, t0 } = Scheduler.#open(config, options);
    try {
      const t1 = performance.now();
      obj.load();
      return Scheduler.#loaded(obj, options, t1 - t0, performance.now() - t1);
    } catch (e) {
      obj.close();
      throw e;
    }
  }

  /** {@link prepare} with the load on a worker thread: the event loop keeps running meanwhile. */
  static async prepareAsync(config: SchedConfig, options: PrepareOptions = {}): Promise<Scheduler> {
    const { obj, t0 } = Scheduler.#open(config, options);
    try {
      const t1 = performance.now();
      await obj.loadAsync();
      return Scheduler.#loaded(obj, options, t1 - t0, performance.now() - t1);
    } catch (e) {
      obj.close();
      throw e;
    }
  }

  static #open(config: SchedConfig, options: PrepareOptions): { obj: BpfObject; t0: number } {
    const problems = validateConfig(config);
    if (problems.length) throw new RangeError(problems[0]);
    const { stats = false, verbose = false, sysRoot = "/sys", hotplugSeq = true } = options;
    const t0 = performance.now();
    const obj = BpfObject.open(schedulerObjectBytes(), { name: "scx_gamer", verbose });
    try {
      obj.setGlobal("stats_on", stats);
      obj.setGlobal("self_tgid", Deno.pid);
      writeConfig(obj, config);
      writeOps(obj, hotplugSeq ? sysRoot : null);
      // The input boost needs the kernel's input core; without it the scheduler still works.
      if (!kernelHasFunction("input_event")) obj.program("gamer_input_event").setAutoload(false);
      return { obj, t0 };
    } catch (e) {
      obj.close();
      throw e;
    }
  }

  static #loaded(obj: BpfObject, options: PrepareOptions, openMs: number, loadMs: number): Scheduler {
    const sched = new Scheduler(obj, options.stats ?? false, options.verbose ?? false);
    sched.timings = { open: openMs, load: loadMs, attach: 0 };
    sched.relinkable = options.hotplugSeq === false;
    return sched;
  }

  /** Attach a prepared instance as the system's sched_ext scheduler (once). */
  attach(): void {
    if (this.#link) throw new Error("the scheduler is already attached");
    if (this.#stopped !== undefined) throw new Error("the scheduler was stopped");
    const t0 = performance.now();
    this.#link = this.#obj.attachStructOps("gamer_ops");
    // Process exec/exit events for userspace's event loop (cheap: one record per exec or exit).
    for (const prog of ["gamer_exec", "gamer_process_exit"]) {
      try {
        this.#obj.attachProgram(prog);
      } catch (e) {
        if (this.#verbose) console.error(`scx_gamer: ${prog} not attached: ${(e as Error).message}`);
      }
    }
    if (this.#obj.program("gamer_input_event").fd >= 0) {
      try {
        this.#obj.attachProgram("gamer_input_event");
        this.inputHook = true;
      } catch (e) {
        if (this.#verbose) console.error(`scx_gamer: input hook not attached: ${(e as Error).message}`);
      }
    }
    this.timings.attach = performance.now() - t0;
  }

  /**
   * Attach this instance again after the kernel stopped it and asked for a restart (a CPU hotplug): the
   * programs and maps stay loaded, so nothing is verified again (seconds under emulation); only the
   * struct_ops link is made anew (libbpf accepts a struct_ops map that was attached before), and ops.init
   * builds the queues and masks again. Counters continue in the same maps. Only an instance prepared
   * without hotplug_seq ({@link relinkable}): the kernel refuses one whose sequence a hotplug has passed.
   *
   * @throws {Error} when this instance cannot be attached again; LibbpfError when the kernel refuses.
   */
  relink(): void {
    if (!this.relinkable) {
      throw new Error("prepared with hotplug_seq: a new instance is needed after a hotplug");
    }
    if (this.#stopped !== undefined) throw new Error("the scheduler was stopped");
    this.#link?.destroy();
    this.#link = null;
    // The old exit record would read as an exit of the new attach.
    this.#obj.globalBytes("exit_info").fill(0);
    this.#obj.globalBytes("exit_dump").fill(0);
    const t0 = performance.now();
    this.#link = this.#obj.attachStructOps("gamer_ops");
    this.timings.attach = performance.now() - t0;
  }

  /** Write a new configuration into the running scheduler; it applies at the next scheduling decision. */
  applyConfig(config: SchedConfig): void {
    const problems = validateConfig(config);
    if (problems.length) throw new RangeError(problems[0]);
    writeConfig(this.#obj, config);
  }

  /** The configuration the scheduler runs with now (read back from its globals). */
  currentConfig(): SchedConfig {
    const config: Record<string, number | boolean> = {};
    for (const t of TUNABLES) {
      const v = this.#obj.getGlobal(t.key);
      config[t.key] = t.kind === "switch" ? v !== 0n : Number(v);
    }
    return config as SchedConfig;
  }

  /**
   * How the scheduler judges process `pid` (its main thread) now, read from its task storage through a
   * pidfd: batch or not, and its average run per wake-up, the behaviour that decides it; null when the
   * process is gone, has no state yet, or libc has no pidfd_open. The kernel's own view, for tests and
   * diagnostics: userspace's classes are only one of its inputs.
   */
  taskBatchState(pid: number): { batch: boolean; avgRunNs: bigint } | null {
    const { libc } = openLibbpf();
    // The object's BTF is walked once: a test polls this every few milliseconds.
    if (this.#taskCtxAt === undefined) {
      const members = this.#obj.structLayout("task_ctx")?.members;
      const batch = members?.find((m) => m.name === "batch");
      const avg = members?.find((m) => m.name === "avg_burst");
      this.#taskCtxAt = batch && avg ? { batch: batch.offset, avg: avg.offset } : null;
    }
    const at = this.#taskCtxAt;
    if (!libc.pidfd_open || at === null) return null;
    const pidfd = libc.pidfd_open(pid, 0);
    if (pidfd < 0) return null;
    try {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setInt32(0, pidfd, true);
      const value = this.#obj.map("task_ctxs").lookup(key);
      if (value === null) return null;
      const view = new DataView(value.buffer);
      return { batch: value[at.batch] !== 0, avgRunNs: view.getBigUint64(at.avg, true) };
    } finally {
      libc.close(pidfd);
    }
  }

  /** Tell the scheduler which process is the game (null: none); every task re-reads its class. */
  setGame(tgid: number | null): void {
    this.#obj.setGlobal("game_tgid", tgid ?? 0);
    this.#obj.setGlobal("class_gen", this.#obj.getGlobal("class_gen") + 1n);
  }

  /**
   * Record the game's smoothness (wake-up latency per class, wait behind non-game work, render pacing)
   * from now on, or stop. Off costs one branch per wake-up; it records only while a game is set.
   */
  setSmoothness(on: boolean): void {
    this.#obj.setGlobal("smooth_on", on);
  }

  /** The game's render/present thread, whose wake intervals measure frame pacing (null: none). */
  setPacingThread(tid: number | null): void {
    this.#obj.setGlobal("pace_tid", tid ?? 0);
  }

  /** Cumulative smoothness counters now (see lib/sched/smooth.ts for per-interval summaries). */
  smoothSnapshot(): SmoothSnapshot {
    const s = zeroSmooth();
    s.lat.forEach((h, cls) => {
      for (const slot of this.#smoothLat.lookupPerCpu(u32Key(cls)) ?? []) {
        addBuckets(h, slot, LAT_HIST_LAYOUT.buckets, LAT_HIST_LAYOUT.count, LAT_HIST_LAYOUT.sum_ns);
      }
    });
    s.at_ms = performance.now();
    s.pace_tid = Number(this.#obj.getGlobal("pace_tid"));
    for (const slot of this.#smooth.lookupPerCpu(u32Key(0)) ?? []) {
      s.waits += u64At(slot, SMOOTH_LAYOUT.waits);
      s.wait_ns += u64At(slot, SMOOTH_LAYOUT.wait_ns);
      s.wait_behind_other_ns += u64At(slot, SMOOTH_LAYOUT.wait_behind_other_ns);
      addBuckets(
        s.pace,
        slot,
        SMOOTH_LAYOUT.pace_buckets,
        SMOOTH_LAYOUT.pace_count,
        SMOOTH_LAYOUT.pace_sum_ns,
      );
      addBuckets(
        s.starts,
        slot,
        SMOOTH_LAYOUT.start_buckets,
        SMOOTH_LAYOUT.start_count,
        SMOOTH_LAYOUT.start_sum_ns,
      );
    }
    return s;
  }

  /** Replace the thread classification (tid -> class); threads not listed fall back to game/other. */
  setThreadClasses(classes: ReadonlyMap<number, ThreadClass>): void {
    for (const tid of this.#classified) {
      if (!classes.has(tid)) this.#classes.delete(u32Key(tid));
    }
    for (const [tid, cls] of classes) {
      this.#classes.update(u32Key(tid), Uint8Array.of(THREAD_CLASSES.indexOf(cls)));
    }
    this.#classified = new Set(classes.keys());
    this.#obj.setGlobal("class_gen", this.#obj.getGlobal("class_gen") + 1n);
  }

  /**
   * Game threads' behaviour (average run per wake-up, wake-ups) as observed by the scheduler. The BPF side
   * records it only once someone asks: the first call switches it on (and finds nothing yet).
   */
  threadBehaviour(): ThreadBehaviour[] {
    if (this.#obj.getGlobal("behaviour_on") === 0n) this.#obj.setGlobal("behaviour_on", true);
    const out: ThreadBehaviour[] = [];
    for (const key of this.#gameThreads.keys()) {
      const v = this.#gameThreads.lookup(key);
      if (!v) continue;
      out.push({
        tid: new DataView(key.buffer).getUint32(0, true),
        avgRunNs: Number(u64At(v, BEHAVIOUR_LAYOUT.avg_run_ns)),
        wakeups: Number(u64At(v, BEHAVIOUR_LAYOUT.wakeups)),
      });
    }
    return out;
  }

  /** Cumulative statistics now (a few map lookups: well under a millisecond). */
  snapshot(procStatPath = "/proc/stat"): StatsSnapshot {
    const counters = Object.fromEntries(COUNTER_FIELDS.map((f) => [f, 0n])) as Record<CounterName, bigint>;
    for (const slot of this.#counters.lookupPerCpu(u32Key(0)) ?? []) {
      COUNTER_FIELDS.forEach((f, i) => counters[f] += u64At(slot, i * 8));
    }
    const hists = {} as Record<HotPath, HistSnapshot>;
    for (const path of HOT_PATHS) {
      const h: HistSnapshot = { buckets: Array(HIST_BUCKETS).fill(0n), sum_ns: 0n, count: 0n };
      for (const slot of this.#hists.lookupPerCpu(u32Key(HOT_PATH_INDEX[path])) ?? []) {
        for (let b = 0; b < HIST_BUCKETS; b++) h.buckets[b] += u64At(slot, HIST_LAYOUT.buckets + b * 8);
        h.sum_ns += u64At(slot, HIST_LAYOUT.sum_ns);
        h.count += u64At(slot, HIST_LAYOUT.count);
      }
      hists[path] = h;
    }
    let cpu = { busy: 0n, total: 0n };
    try {
      cpu = parseProcStatCpu(Deno.readTextFileSync(procStatPath));
    } catch { /* no /proc/stat: utilisation reads 0 */ }
    return { at_ms: performance.now(), counters, hists, cpu };
  }

  /**
   * Sleep until the kernel wakes us (the scheduler's own exit, the game's exit) or `timeoutMs` passes,
   * without blocking the event loop; returns every event that arrived meanwhile (maybe none). New programs
   * and other processes' exits do not wake (bpf/scx_gamer.bpf.c): they are returned at the next wake-up
   * or {@link drainEvents}.
   */
  async waitEvents(timeoutMs: number): Promise<SchedEvent[]> {
    if (this.#stopped !== undefined) return [];
    const rb = this.#ring();
    if (!this.#eventQueue.length) await rb.wait(timeoutMs);
    if (this.#stopped === undefined) rb.consume();
    return this.#eventQueue.splice(0);
  }

  /** The events that arrived since the last call, without waiting (one syscall-free ring read). */
  drainEvents(): SchedEvent[] {
    if (this.#stopped !== undefined) return [];
    this.#ring().consume();
    return this.#eventQueue.splice(0);
  }

  #ring(): RingBuffer {
    return this.#events ??= new RingBuffer(this.#obj.map("events"), (r) => {
      const e = decodeEvent(r);
      if (e) this.#eventQueue.push(e);
    });
  }

  /** Why the kernel stopped the scheduler, or null while it runs. */
  exitInfo(): ExitInfo | null {
    const b = this.#obj.globalBytes("exit_info");
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const kind = view.getInt32(EXIT_INFO_LAYOUT.kind, true);
    if (kind === 0) return null;
    const dump = this.#obj.globalBytes("exit_dump");
    return {
      kind,
      kindName: EXIT_KINDS[kind] ?? `kind ${kind}`,
      code: view.getBigUint64(EXIT_INFO_LAYOUT.exit_code, true),
      reason: cStringAt(b, EXIT_INFO_LAYOUT.reason, EXIT_INFO_LAYOUT.reasonLen),
      message: cStringAt(b, EXIT_INFO_LAYOUT.msg, EXIT_INFO_LAYOUT.msgLen),
      dump: cStringAt(dump, 0, dump.length),
    };
  }

  /**
   * Instruction counts of the loaded programs: as translated (pruned code is gone) and as the verifier
   * walked them (its cost at load).
   */
  programInsns(): { name: string; id: number; xlatedInsns: number; verifiedInsns: number }[] {
    return this.#obj.programs()
      .filter((p) => p.fd >= 0)
      .map((p) => ({ name: p.name, ...p.info() }));
  }

  /** Has {@link stop} run? */
  get stopped(): boolean {
    return this.#stopped !== undefined;
  }

  /** Detach and free everything; returns the exit info (kind "unregistered" after a clean stop). Idempotent. */
  stop(): ExitInfo | null {
    if (this.#stopped !== undefined) return this.#stopped;
    let info: ExitInfo | null = null;
    this.#events?.close();
    try {
      this.#link?.destroy();
    } finally {
      try {
        info = this.exitInfo();
      } catch { /* object unusable: nothing to report */ }
      this.#obj.close();
      this.#stopped = info;
    }
    return info;
  }
}

/**
 * Before load: the ops fields the running kernel decides. Flags from {@link OPS_FLAGS} that it has, and
 * (with a sysfs root) sched_ext's hotplug_seq, so a CPU hotplug between here and attach fails the attach
 * with the restart code instead of leaving the scheduler with a stale view of the CPUs.
 */
function writeOps(obj: BpfObject, sysRoot: string | null): void {
  obj.setStructOpsMember(
    "gamer_ops",
    "sched_ext_ops",
    "flags",
    kernelOpsFlags(kernelEnumValues("scx_ops_flags")),
  );
  if (sysRoot === null || !kernelStructMembers("sched_ext_ops")?.includes("hotplug_seq")) return;
  const seq = hotplugSeq(sysRoot);
  if (seq !== null) obj.setStructOpsMember("gamer_ops", "sched_ext_ops", "hotplug_seq", seq);
}

/** sched_ext's CPU hotplug sequence number, or null where the kernel does not publish it. */
export function hotplugSeq(sysRoot = "/sys"): bigint | null {
  try {
    return BigInt(Deno.readTextFileSync(`${sysRoot}/kernel/sched_ext/hotplug_seq`).trim());
  } catch {
    return null;
  }
}

function writeConfig(obj: BpfObject, config: SchedConfig): void {
  for (const t of TUNABLES) {
    obj.setGlobal(t.key, t.kind === "switch" ? config[t.key] as boolean : BigInt(config[t.key]));
  }
}
