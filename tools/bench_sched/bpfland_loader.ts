/**
 * Runs inside the sched_ext VM (bundled by tools/bench_sched/main.ts): loads and attaches scx_bpfland,
 * compiled on the host from a sched-ext/scx snapshot the user gave with `--bpfland-src` (see
 * bpfland_build.ts), through this project's own libbpf binding, the way upstream's Rust loader would with
 * its default options, and keeps it attached until SIGINT or SIGTERM, or until the kernel stops it.
 *
 * Usage: deno run -A --unstable-ffi bpfland_loader.js OBJECT SETTINGS_JSON
 *
 * SETTINGS_JSON ({@link BpflandSettings}) carries what the host knows: the `.rodata` values of upstream's
 * command-line defaults and the kernel's enum values (upstream reads them from the kernel's BTF at load;
 * the host reads them from the same kernel's vmlinux.h). What depends on the machine (SMT, NUMA, CPU
 * capacities and their order) is read here, from sysfs, as scx_utils' topology does.
 *
 * Output lines: "bpfland: attached (...)" once attached; on the way out "bpfland: detached (...)" (exit 0)
 * or "bpfland: the kernel stopped the scheduler: KIND: REASON: MESSAGE" (exit 1), the same words as
 * scx_gamer's, so the benchmark reads both logs alike.
 *
 * @module
 */

import { BpfObject } from "../../lib/bpf/object.ts";
import { BpfLookupError } from "../../lib/bpf/errors.ts";

/** What the host passes to the loader (written by bpfland_build.ts). */
export interface BpflandSettings {
  /** `.rodata` globals to set before load: name -> value (decimal string: they may be u64). */
  rodata: Record<string, string>;
  /** `.bss`/`.data` globals to set after load (writable, live): name -> value. */
  live: Record<string, string>;
}

/** sched_ext exit kinds (enum scx_exit_kind) the kernel may record. */
const EXIT_KINDS: Record<number, string> = {
  0: "none",
  1: "done",
  64: "unregistered",
  65: "unregistered (BPF)",
  66: "unregistered (kernel)",
  67: "sysrq",
  1024: "error",
  1025: "error (BPF)",
  1026: "stall (watchdog)",
};

/** The CPUs in a sysfs list such as "0-3,6". */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(",").filter((p) => p)) {
    const [a, b] = part.split("-").map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

function readSys(p: string): string | null {
  try {
    return Deno.readTextFileSync(p).trim();
  } catch {
    return null;
  }
}

/** The machine as upstream's topology sees it: CPUs, capacities, SMT and NUMA nodes with CPUs. */
function topology(): { cpus: number[]; capacity: Map<number, number>; smt: boolean; nodes: number } {
  const cpus = parseCpuList(readSys("/sys/devices/system/cpu/online") ?? "0");
  const capacity = new Map(cpus.map((c) => {
    const raw = Number(readSys(`/sys/devices/system/cpu/cpu${c}/cpu_capacity`));
    return [c, raw > 0 ? raw : 1024];
  }));
  const smt = cpus.some((c) =>
    parseCpuList(readSys(`/sys/devices/system/cpu/cpu${c}/topology/thread_siblings_list`) ?? `${c}`)
      .length > 1
  );
  let nodes = 0;
  try {
    for (const e of Deno.readDirSync("/sys/devices/system/node")) {
      if (/^node\d+$/.test(e.name) && (readSys(`/sys/devices/system/node/${e.name}/cpulist`) ?? "")) nodes++;
    }
  } catch {
    nodes = 1;
  }
  return { cpus, capacity, smt, nodes: Math.max(1, nodes) };
}

function cpuArg(cpu: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, cpu, true);
  return b;
}

function readExit(obj: BpfObject): { kind: number; reason: string; message: string } {
  // struct user_exit_info { int kind; s64 exit_code; char reason[128]; char msg[1024]; }
  const b = obj.globalBytes("uei");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const text = (off: number, len: number) => {
    const s = b.subarray(off, off + len);
    const end = s.indexOf(0);
    return new TextDecoder().decode(s.subarray(0, end < 0 ? len : end));
  };
  return { kind: view.getInt32(0, true), reason: text(16, 128), message: text(144, 1024) };
}

async function main(args: string[]): Promise<number> {
  const [objectPath, settingsPath] = args;
  if (!objectPath || !settingsPath) {
    console.error("usage: bpfland_loader.js OBJECT SETTINGS_JSON");
    return 2;
  }
  const settings = JSON.parse(Deno.readTextFileSync(settingsPath)) as BpflandSettings;
  const obj = BpfObject.open(Deno.readFileSync(objectPath), { name: "scx_bpfland" });
  let stop: string | null = null;
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => stop ??= sig);
  try {
    for (const [name, value] of Object.entries(settings.rodata)) {
      try {
        obj.setGlobal(name, BigInt(value));
      } catch (e) {
        // The kernel's enums are offered whole; the object declares only the ones it uses.
        if (!(e instanceof BpfLookupError)) throw e;
      }
    }
    const topo = topology();
    obj.setGlobal("smt_enabled", topo.smt);
    obj.setGlobal("numa_enabled", topo.nodes > 1);
    // Upstream: CPUs sorted by capacity, highest first; cpu_capacity indexed by CPU id.
    const order = [...topo.cpus].sort((a, b) => topo.capacity.get(b)! - topo.capacity.get(a)!);
    const pref = obj.globalBytes("preferred_cpus");
    const cap = obj.globalBytes("cpu_capacity");
    const prefView = new DataView(pref.buffer, pref.byteOffset, pref.byteLength);
    const capView = new DataView(cap.buffer, cap.byteOffset, cap.byteLength);
    const maxCpus = pref.length / 8; // upstream's MAX_CPUS
    order.slice(0, maxCpus).forEach((cpu, i) => {
      prefView.setBigUint64(i * 8, BigInt(cpu), true);
      if (cpu < maxCpus) capView.setBigUint64(cpu * 8, BigInt(topo.capacity.get(cpu)!), true);
    });
    obj.load();
    for (const [name, value] of Object.entries(settings.live)) obj.setGlobal(name, BigInt(value));
    // The primary domain: cleared, then every CPU (upstream's default "auto" on a machine without an
    // energy profile), through the object's own syscall programs.
    const primary = obj.program("enable_primary_cpu");
    for (const cpu of [-1, ...topo.cpus]) {
      const ret = primary.testRun(cpuArg(cpu));
      if (ret !== 0) throw new Error(`enable_primary_cpu(${cpu}) returned ${ret}`);
    }
    if (topo.smt) {
      const sibling = obj.program("enable_sibling_cpu");
      for (const cpu of topo.cpus) {
        const list = parseCpuList(
          readSys(`/sys/devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`) ?? `${cpu}`,
        );
        for (const other of list.filter((c) => c !== cpu)) {
          const arg = new Uint8Array(8);
          new DataView(arg.buffer).setInt32(0, cpu, true);
          new DataView(arg.buffer).setInt32(4, other, true);
          sibling.testRun(arg);
        }
      }
    }
    const link = obj.attachStructOps("bpfland_ops");
    console.log(
      `bpfland: attached (${topo.cpus.length} CPUs, SMT ${
        topo.smt ? "on" : "off"
      }, NUMA nodes ${topo.nodes})`,
    );
    while (stop === null && readExit(obj).kind === 0) await new Promise((r) => setTimeout(r, 200));
    if (stop === null) {
      const info = readExit(obj);
      const kind = EXIT_KINDS[info.kind] ?? `kind ${info.kind}`;
      const what = [kind, info.reason, info.message].filter((s) => s).join(": ");
      console.error(`bpfland: the kernel stopped the scheduler: ${what}`);
      return 1;
    }
    // Detaching runs the scheduler's exit callback before it returns, so the record is there to read.
    link.destroy();
    const info = readExit(obj);
    console.log(`bpfland: detached (${stop}; ${EXIT_KINDS[info.kind] ?? `kind ${info.kind}`})`);
    return 0;
  } finally {
    obj.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
