/**
 * Checks before loading the scheduler, each failing with one clear line: root, a kernel with sched_ext,
 * no other sched_ext scheduler enabled, a usable libbpf, and every kfunc the scheduler object calls
 * present in the running kernel's BTF (naming the oldest kernel that has them all).
 *
 * @module
 */

import { join } from "node:path";
import { kernelHasFunction } from "../bpf/btf.ts";
import { openLibbpf } from "../bpf/ffi.ts";
import { printable } from "../host/terminal.ts";
import { KFUNCS } from "./intf.ts";

/**
 * The first mainline kernel with each kfunc the scheduler requires (bpf/common.h: called by its plain
 * name). tests/sched_preflight_test.ts fails when the object calls a required kfunc missing here.
 */
export const KFUNC_SINCE: Readonly<Record<string, readonly [number, number]>> = {
  bpf_rcu_read_lock: [6, 2],
  bpf_rcu_read_unlock: [6, 2],
  bpf_cpumask_create: [6, 3],
  bpf_cpumask_release: [6, 3],
  bpf_cpumask_set_cpu: [6, 3],
  bpf_cpumask_clear_cpu: [6, 3],
  bpf_cpumask_test_cpu: [6, 3],
  bpf_cpumask_test_and_clear_cpu: [6, 3],
  bpf_cpumask_empty: [6, 3],
  bpf_iter_num_new: [6, 4],
  bpf_iter_num_next: [6, 4],
  bpf_iter_num_destroy: [6, 4],
  bpf_cpumask_any_and_distribute: [6, 5],
  bpf_iter_scx_dsq_new: [6, 12],
  bpf_iter_scx_dsq_next: [6, 12],
  bpf_iter_scx_dsq_destroy: [6, 12],
  scx_bpf_cpuperf_cap: [6, 12],
  scx_bpf_create_dsq: [6, 12],
  scx_bpf_dsq_nr_queued: [6, 12],
  scx_bpf_dump_bstr: [6, 12],
  scx_bpf_error_bstr: [6, 12],
  scx_bpf_get_idle_cpumask: [6, 12],
  scx_bpf_get_idle_smtmask: [6, 12],
  scx_bpf_kick_cpu: [6, 12],
  scx_bpf_nr_cpu_ids: [6, 12],
  scx_bpf_pick_idle_cpu: [6, 12],
  scx_bpf_put_idle_cpumask: [6, 12],
  scx_bpf_reenqueue_local: [6, 12],
  scx_bpf_select_cpu_dfl: [6, 12],
  scx_bpf_task_cpu: [6, 12],
  scx_bpf_test_and_clear_cpu_idle: [6, 12],
  // 6.13 renamed dispatching to inserting and consuming to moving.
  scx_bpf_dsq_insert: [6, 13],
  scx_bpf_dsq_insert_vtime: [6, 13],
  scx_bpf_dsq_move: [6, 13],
  scx_bpf_dsq_move_to_local: [6, 13],
};

/** The kfuncs the scheduler cannot load without: plain names (optional ones carry a ___ flavour suffix). */
export function requiredKfuncs(kfuncs: readonly string[] = KFUNCS): string[] {
  return kfuncs.filter((k) => !k.includes("___"));
}

/** The oldest kernel with every one of `kfuncs`, as "major.minor" (unknown kfuncs are skipped). */
export function minimumKernel(kfuncs: readonly string[] = requiredKfuncs()): string {
  let best: readonly [number, number] = [6, 12];
  for (const k of kfuncs) {
    const v = KFUNC_SINCE[k];
    if (v && (v[0] > best[0] || (v[0] === best[0] && v[1] > best[1]))) best = v;
  }
  return best.join(".");
}

/** A reason the scheduler cannot be loaded here; the message is the one line to print. */
export class PreflightError extends Error {
  override name = "PreflightError";
}

/** Where to look (tests point these at fake trees). */
export interface PreflightOptions {
  /** Root of sysfs. Default "/sys". */
  sysRoot?: string;
  /** Effective uid. Default Deno.uid(). */
  uid?: number | null;
  /** Kernel release for messages. Default Deno.osRelease(). */
  kernelRelease?: string;
  /** Also check libbpf (default true). */
  checkLibbpf?: boolean;
  /** Does the running kernel have this function? Default: its BTF (tests inject one); null skips the check. */
  kernelHas?: ((name: string) => boolean) | null;
}

function readTrimmed(path: string): string | null {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return null;
  }
}

/** The state of sched_ext ("enabled", "disabled", ...) and the running scheduler's name, or null without sched_ext. */
export function schedExtState(sysRoot = "/sys"): { state: string; ops: string | null } | null {
  const dir = join(sysRoot, "kernel", "sched_ext");
  const state = readTrimmed(join(dir, "state"));
  if (state === null) return null;
  return { state, ops: readTrimmed(join(dir, "root", "ops")) };
}

/**
 * Run every check; throws the first failure.
 *
 * @throws {PreflightError}
 */
export function preflight(options: PreflightOptions = {}): void {
  const {
    sysRoot = "/sys",
    uid = Deno.uid(),
    kernelRelease = Deno.osRelease(),
    checkLibbpf = true,
    kernelHas = kernelHasFunction,
  } = options;
  if (uid !== 0) {
    throw new PreflightError(
      "scx_gamer must run as root (sudo ./scx_gamer ...): loading a sched_ext scheduler needs CAP_BPF and CAP_SYS_ADMIN",
    );
  }
  const ext = schedExtState(sysRoot);
  if (!ext) {
    throw new PreflightError(
      `this kernel (${kernelRelease}) has no sched_ext (${
        join(sysRoot, "kernel", "sched_ext")
      } is missing): ` +
        `scx_gamer needs Linux ${minimumKernel()} or newer built with CONFIG_SCHED_CLASS_EXT=y`,
    );
  }
  if (ext.state !== "disabled") {
    const who = ext.ops ? `'${printable(ext.ops)}'` : "another scheduler";
    // Named the ways the scx project's tools start one, so the line says how to stop it.
    throw new PreflightError(
      `a sched_ext scheduler is already running: ${who} (state ${ext.state}); stop it first: ` +
        "'systemctl stop scx' (the scx.service unit), 'scxctl stop' (scx_loader), or Ctrl-C where it was started",
    );
  }
  if (checkLibbpf) openLibbpf();
  if (kernelHas) {
    const missing = requiredKfuncs().filter((k) => !kernelHas(k));
    if (missing.length) {
      throw new PreflightError(
        `this kernel (${kernelRelease}) lacks ${
          missing.length === 1 ? "a kfunc" : "kfuncs"
        } scx_gamer calls ` +
          `(${missing.join(", ")}): it needs Linux ${minimumKernel()} or newer`,
      );
    }
  }
}
