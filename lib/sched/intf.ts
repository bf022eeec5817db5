/**
 * What userspace shares with the BPF scheduler, in the forms lib/sched uses. Every value comes from
 * lib/sched/intf_generated.ts, which scripts/build_bpf.sh generates from the compiled object's BTF
 * (bpf/intf.h): nothing here is a hand copy, and tests/sched_intf_test.ts re-reads the object to prove the
 * generated module is in step with it.
 *
 * @module
 */

import type { HOT_PATHS } from "../types.ts";
import { ENUMS, KFUNCS, STRUCTS } from "./intf_generated.ts";

export { ENUMS, KFUNCS, STRUCTS };

const C = ENUMS.gamer_consts;

/**
 * The scheduler policy's version. Samples carry it so data collected under one policy is never mixed with
 * another's (the old policy, before this constant existed, is version 1).
 */
export const POLICY_VERSION: number = C.POLICY_VERSION;
/** Number of hot-path histogram buckets: <100ns, 100-200ns, ... 51.2-102.4us, >=102.4us. */
export const HIST_BUCKETS: number = C.HIST_BUCKETS;
/** Upper bound of the first hot-path bucket, ns; each next bucket doubles it. */
export const HIST_BASE_NS: number = C.HIST_BASE_NS;
/** Wake-up latency histogram: LAT_BUCKETS buckets, 2^BUCKET_SUB_SHIFT per octave from 2^LAT_MIN_SHIFT ns. */
export const LAT_BUCKETS: number = C.LAT_BUCKETS;
/** See {@link LAT_BUCKETS}. */
export const LAT_MIN_SHIFT: number = C.LAT_MIN_SHIFT;
/** Frame-pacing histogram: PACE_BUCKETS buckets, 2^BUCKET_SUB_SHIFT per octave from 2^PACE_MIN_SHIFT ns. */
export const PACE_BUCKETS: number = C.PACE_BUCKETS;
/** log2 of the linear sub-buckets per octave of both histograms. */
export const BUCKET_SUB_SHIFT: number = C.BUCKET_SUB_SHIFT;
/** See {@link PACE_BUCKETS}. */
export const PACE_MIN_SHIFT: number = C.PACE_MIN_SHIFT;
/** CPUs the BPF side's per-CPU tables cover. */
export const MAX_CPUS: number = C.MAX_CPUS;
/** The kernel's watchdog period the scheduler asks for, ms. */
export const TIMEOUT_MS: number = C.TIMEOUT_MS;
/** Bytes of the kernel's debug dump kept when the scheduler exits. */
export const EXIT_DUMP_LEN: number = C.EXIT_DUMP_LEN;

/** The BPF side's effective bounds and fixed constants (bpf/intf.h enum gamer_bounds). */
export const BPF_BOUNDS = ENUMS.gamer_bounds;

/** Fields of `struct gamer_counters`, in order; each is a u64. */
export const COUNTER_FIELDS = STRUCTS.gamer_counters.members.map((m) => m.name);

/** One counter's name. */
export type CounterName = typeof STRUCTS.gamer_counters.members[number]["name"];

/** Byte size of `struct gamer_counters`. */
export const COUNTERS_SIZE: number = STRUCTS.gamer_counters.size;

/** Byte offsets of a struct's members by name, and its size. */
function offsets<S extends { size: number; members: readonly { name: string; offset: number }[] }>(
  s: S,
): Record<S["members"][number]["name"], number> & { size: number } {
  return Object.assign(
    Object.fromEntries(s.members.map((m) => [m.name, m.offset])),
    { size: s.size },
  ) as Record<S["members"][number]["name"], number> & { size: number };
}

/** `struct gamer_hist`: member offsets and size. */
export const HIST_LAYOUT = offsets(STRUCTS.gamer_hist);
/** `struct gamer_lat_hist`: member offsets and size. */
export const LAT_HIST_LAYOUT = offsets(STRUCTS.gamer_lat_hist);
/** `struct gamer_smooth`: member offsets and size. */
export const SMOOTH_LAYOUT = offsets(STRUCTS.gamer_smooth);
/** `struct gamer_thread_behaviour`: member offsets and size. */
export const BEHAVIOUR_LAYOUT = offsets(STRUCTS.gamer_thread_behaviour);

function memberSize(s: { members: readonly { name: string; size: number }[] }, name: string): number {
  return s.members.find((m) => m.name === name)!.size;
}

/** `struct gamer_exit_info`: member offsets, the two strings' lengths, and size. */
export const EXIT_INFO_LAYOUT = {
  ...offsets(STRUCTS.gamer_exit_info),
  reasonLen: memberSize(STRUCTS.gamer_exit_info, "reason"),
  msgLen: memberSize(STRUCTS.gamer_exit_info, "msg"),
};

/** `struct gamer_event` (one ring-buffer record): member offsets, the comm length, and size. */
export const EVENT_LAYOUT = {
  ...offsets(STRUCTS.gamer_event),
  commLen: memberSize(STRUCTS.gamer_event, "comm"),
};

/** Index of each hot path in the `hists` map (enum gamer_hot_path). */
export const HOT_PATH_INDEX: Record<(typeof HOT_PATHS)[number], number> = {
  select_cpu: ENUMS.gamer_hot_path.HIST_SELECT_CPU,
  enqueue: ENUMS.gamer_hot_path.HIST_ENQUEUE,
  dispatch: ENUMS.gamer_hot_path.HIST_DISPATCH,
  deadline: ENUMS.gamer_hot_path.HIST_DEADLINE,
};

/** Number of thread classes (enum gamer_thread_class). */
export const NR_CLASSES: number = ENUMS.gamer_thread_class.NR_CLASSES;

/** Human names of the kernel's exit kinds, keyed by enum scx_exit_kind's names. */
const EXIT_KIND_NAMES: Record<string, string> = {
  SCX_EXIT_NONE: "none",
  SCX_EXIT_DONE: "done",
  SCX_EXIT_UNREG: "unregistered",
  SCX_EXIT_UNREG_BPF: "unregistered by BPF",
  SCX_EXIT_UNREG_KERN: "unregistered by the kernel",
  SCX_EXIT_SYSRQ: "SysRq-S",
  SCX_EXIT_ERROR: "error",
  SCX_EXIT_ERROR_BPF: "BPF error",
  SCX_EXIT_ERROR_STALL: "stall (watchdog)",
};

/** sched_ext exit kinds by value: a human name where one is known, else the enum's own name. */
export const EXIT_KINDS: Record<number, string> = Object.fromEntries(
  Object.entries(ENUMS.scx_exit_kind).map(([name, value]) => [
    value,
    EXIT_KIND_NAMES[name] ?? name.replace(/^SCX_EXIT_/, "").toLowerCase(),
  ]),
);
