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

import { kernelHasFunction } from "../bpf/btf.ts";
import { type BpfLink, type BpfMap, BpfObject, possibleCpus } from "../bpf/object.ts";
import { type SchedConfig, TUNABLES, validateConfig } from "../config.ts";
import { SCX_GAMER_OBJECT_BASE64 } from "../bpf/generated/scx_gamer_object.ts";
import { HOT_PATHS, type HotPath, THREAD_CLASSES, type ThreadClass } from "../types.ts";
import {
  BEHAVIOUR_LAYOUT,
  COUNTER_FIELDS,
  type CounterName,
  EXIT_INFO_LAYOUT,
  EXIT_KINDS,
  HIST_BUCKETS,
  HIST_LAYOUT,
  HOT_PATH_INDEX,
  MAX_CPUS,
} from "./intf.ts";
import { type HistSnapshot, parseProcStatCpu, type StatsSnapshot } from "./stats.ts";

/** Why the scheduler stopped, from sched_ext's exit info. */
export interface ExitInfo {
  kind: number;
  /** Human name of the kind ("unregistered", "stall (watchdog)", ...). */
  kindName: string;
  code: bigint;
  reason: string;
  message: string;
}

/** Options for {@link Scheduler.start}. */
export interface StartOptions {
  /** Count events and time hot paths (const volatile: off prunes the code at load). */
  stats?: boolean;
  /** Print libbpf's log. */
  verbose?: boolean;
  /** Root of sysfs for topology (default "/sys"). */
  sysRoot?: string;
}

/** A game thread's behaviour as the scheduler saw it. */
export interface ThreadBehaviour {
  tid: number;
  avgRunNs: number;
  wakeups: number;
}

/** The compiled scheduler object embedded in this program. */
export function schedulerObjectBytes(): Uint8Array {
  const bin = atob(SCX_GAMER_OBJECT_BASE64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function u32Key(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function u64At(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

function cStringAt(b: Uint8Array, off: number, len: number): string {
  const bytes = b.subarray(off, off + len);
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end === -1 ? len : end));
}

/** CPUs ordered by capacity, highest first (hybrid CPUs); equal capacities keep id order. */
export function preferredCpuOrder(sysRoot: string, nrCpus: number): number[] {
  const caps = Array.from({ length: nrCpus }, (_, cpu) => {
    try {
      return Number(Deno.readTextFileSync(`${sysRoot}/devices/system/cpu/cpu${cpu}/cpu_capacity`).trim()) ||
        1024;
    } catch {
      return 1024;
    }
  });
  return caps.map((cap, cpu) => ({ cap, cpu })).sort((a, b) => b.cap - a.cap || a.cpu - b.cpu).map((c) =>
    c.cpu
  );
}

/** A loaded, attached scx_gamer scheduler. */
export class Scheduler {
  readonly #obj: BpfObject;
  readonly #link: BpfLink;
  readonly #counters: BpfMap;
  readonly #hists: BpfMap;
  readonly #classes: BpfMap;
  readonly #gameThreads: BpfMap;
  readonly stats: boolean;
  /** Whether the kernel input hook is attached (input boost works). */
  readonly inputHook: boolean;
  #classified = new Set<number>();
  #stopped: ExitInfo | null | undefined = undefined;

  private constructor(obj: BpfObject, link: BpfLink, stats: boolean, inputHook: boolean) {
    this.#obj = obj;
    this.#link = link;
    this.stats = stats;
    this.inputHook = inputHook;
    this.#counters = obj.map("counters");
    this.#hists = obj.map("hists");
    this.#classes = obj.map("thread_class");
    this.#gameThreads = obj.map("game_threads");
  }

  /**
   * Load the embedded object with `config`, attach it as the system's sched_ext scheduler.
   * Run {@link preflight} first for clear errors; this throws LibbpfError on a kernel refusal.
   */
  static start(config: SchedConfig, options: StartOptions = {}): Scheduler {
    const problems = validateConfig(config);
    if (problems.length) throw new RangeError(problems[0]);
    const { stats = false, verbose = false, sysRoot = "/sys" } = options;
    const obj = BpfObject.open(schedulerObjectBytes(), { name: "scx_gamer", verbose });
    try {
      const nrCpus = Math.min(possibleCpus(), MAX_CPUS);
      obj.setGlobal("stats_on", stats);
      obj.setGlobal("nr_cpus", nrCpus);
      obj.setGlobal("self_tgid", Deno.pid);
      writeConfig(obj, config);
      const order = new DataView(
        obj.globalBytes("preferred_cpus").buffer,
        obj.globalBytes("preferred_cpus").byteOffset,
      );
      const cpus = preferredCpuOrder(sysRoot, nrCpus);
      for (let i = 0; i < MAX_CPUS; i++) order.setInt32(i * 4, i < cpus.length ? cpus[i] : -1, true);

      // The input boost needs the kernel's input core; without it the scheduler still works.
      const inputHook = kernelHasFunction("input_event");
      if (!inputHook) obj.program("gamer_input_event").setAutoload(false);
      obj.load();
      const link = obj.attachStructOps("gamer_ops");
      let hooked = false;
      if (inputHook) {
        try {
          obj.attachProgram("gamer_input_event");
          hooked = true;
        } catch (e) {
          if (verbose) console.error(`scx_gamer: input hook not attached: ${(e as Error).message}`);
        }
      }
      return new Scheduler(obj, link, stats, hooked);
    } catch (e) {
      obj.close();
      throw e;
    }
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

  /** Tell the scheduler which process is the game (null: none). */
  setGame(tgid: number | null): void {
    this.#obj.setGlobal("game_tgid", tgid ?? 0);
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

  /** Game threads' behaviour (average run per wake-up, wake-ups) as observed by the scheduler. */
  threadBehaviour(): ThreadBehaviour[] {
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

  /** Why the kernel stopped the scheduler, or null while it runs. */
  exitInfo(): ExitInfo | null {
    const b = this.#obj.globalBytes("exit_info");
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const kind = view.getInt32(EXIT_INFO_LAYOUT.kind, true);
    if (kind === 0) return null;
    return {
      kind,
      kindName: EXIT_KINDS[kind] ?? `kind ${kind}`,
      code: view.getBigInt64(EXIT_INFO_LAYOUT.exit_code, true),
      reason: cStringAt(b, EXIT_INFO_LAYOUT.reason, EXIT_INFO_LAYOUT.reasonLen),
      message: cStringAt(b, EXIT_INFO_LAYOUT.msg, EXIT_INFO_LAYOUT.msgLen),
    };
  }

  /** Instruction counts of the loaded struct_ops programs (as translated: pruned code is gone). */
  programInsns(): { name: string; xlatedInsns: number }[] {
    return this.#obj.programs()
      .filter((p) => p.fd >= 0)
      .map((p) => ({ name: p.name, xlatedInsns: p.info().xlatedInsns }));
  }

  /** Has {@link stop} run? */
  get stopped(): boolean {
    return this.#stopped !== undefined;
  }

  /** Detach and free everything; returns the exit info (kind "unregistered" after a clean stop). Idempotent. */
  stop(): ExitInfo | null {
    if (this.#stopped !== undefined) return this.#stopped;
    let info: ExitInfo | null = null;
    try {
      this.#link.destroy();
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

function writeConfig(obj: BpfObject, config: SchedConfig): void {
  for (const t of TUNABLES) {
    obj.setGlobal(t.key, t.kind === "switch" ? config[t.key] as boolean : BigInt(config[t.key]));
  }
}
