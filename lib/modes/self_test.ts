/**
 * `scx_gamer --self-test`: does this build work on this machine? One line per check:
 * - libbpf: found, and new enough;
 * - the embedded BPF object: opens through libbpf (ELF, BTF, programs) and its globals are found;
 * - loading it (verifier, maps) without attaching: where the kernel has sched_ext and we are root.
 *   Elsewhere the load is reported as skipped with the reason: the object's struct_ops part needs
 *   the kernel's `struct sched_ext_ops`, so no part of it loads on a kernel without sched_ext.
 *
 * Nothing is attached, so it is safe while another scheduler runs. Exit status 0 when every check that
 * could run passed, 1 otherwise.
 *
 * @module
 */

import { kernelHasFunction } from "../bpf/btf.ts";
import { BpfObject } from "../bpf/object.ts";
import type { SelfTestCommand } from "../cli/modes.ts";
import { printable } from "../host/terminal.ts";
import { schedExtState } from "../sched/preflight.ts";
import { embeddedObjectBytes } from "./bpf_object.ts";
import { buildIdentity, formatVersion, libbpfStatus } from "./version.ts";

/** Options of {@link selfTestMode}. */
export interface SelfTestOptions {
  out?: (line: string) => void;
  /** Root of sysfs (whether sched_ext is there). Default "/sys". */
  sysRoot?: string;
}

/** Run the checks; returns the exit status. */
export async function selfTestMode(cmd: SelfTestCommand, options: SelfTestOptions = {}): Promise<number> {
  const out = options.out ?? ((l: string) => console.log(l));
  out(`self-test: ${formatVersion(await buildIdentity())}`);
  const libbpf = libbpfStatus();
  if (!/^\d+\.\d+$/.test(libbpf)) {
    out(`self-test: libbpf: FAILED: ${libbpf === "not found" ? "libbpf.so.1 not found" : libbpf}`);
    return 1;
  }
  out(`self-test: libbpf ${libbpf}: ok`);

  let obj: BpfObject;
  try {
    obj = BpfObject.open(await embeddedObjectBytes(), { name: "scx_gamer", verbose: cmd.verbose });
  } catch (e) {
    out(`self-test: BPF object: FAILED: ${printable((e as Error).message)}`);
    return 1;
  }
  try {
    const programs = obj.programs().map((p) => p.name);
    obj.setGlobal("stats_on", true); // a const volatile: found through the object's BTF
    obj.globalBytes("exit_info"); // a writable global the scheduler reports its exit through
    out(`self-test: BPF object: opens, ${programs.length} programs, globals found: ok`);

    const ext = schedExtState(options.sysRoot);
    if (ext === null) {
      out("self-test: BPF load: skipped: this kernel has no sched_ext (its struct_ops need sched_ext_ops)");
      return 0;
    }
    if (Deno.uid() !== 0) {
      out("self-test: BPF load: skipped: loading BPF needs root (run with sudo)");
      return 0;
    }
    if (!kernelHasFunction("input_event")) obj.program("gamer_input_event").setAutoload(false);
    obj.load();
    out(`self-test: BPF load: verified and loaded, not attached: ok`);
    return 0;
  } catch (e) {
    out(`self-test: BPF object: FAILED: ${printable((e as Error).message)}`);
    if (cmd.verbose && "log" in (e as object) && Array.isArray((e as { log: unknown }).log)) {
      out((e as { log: string[] }).log.join("\n"));
    }
    return 1;
  } finally {
    obj.close();
  }
}
