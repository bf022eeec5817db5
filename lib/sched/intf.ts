/**
 * TypeScript mirror of bpf/intf.h: the layouts userspace reads from the scheduler. A test checks every
 * offset here against the compiled object's BTF, so the two cannot drift apart silently.
 *
 * @module
 */

import type { HOT_PATHS } from "../types.ts";

/** Number of histogram buckets: <100ns, 100-200ns, ... 51.2-102.4us, >=102.4us. */
export const HIST_BUCKETS = 12;
/** Upper bound of the first bucket, ns; each next bucket doubles it. */
export const HIST_BASE_NS = 100;
/** CPUs the BPF side's per-CPU arrays and scans cover. */
export const MAX_CPUS = 512;

/** Fields of `struct gamer_counters`, in order; each is a u64. */
export const COUNTER_FIELDS = [
  "enqueues",
  "dispatches",
  "direct_dispatches",
  "select_cpus",
  "mig_attempts",
  "mig_blocked",
  "mm_hint_tries",
  "mm_hint_hits",
  "preempt_kicks",
  "idle_kicks",
  "input_events",
  "boosted",
  "critical_wakeups",
  "critical_queued",
] as const;

/** One counter's name. */
export type CounterName = typeof COUNTER_FIELDS[number];

/** Byte size of `struct gamer_counters`. */
export const COUNTERS_SIZE = COUNTER_FIELDS.length * 8;

/** `struct gamer_hist`: buckets[12], sum_ns, count (all u64). */
export const HIST_LAYOUT = {
  buckets: 0,
  sum_ns: HIST_BUCKETS * 8,
  count: HIST_BUCKETS * 8 + 8,
  size: HIST_BUCKETS * 8 + 16,
};

/** Index of each hot path in the `hists` map (enum gamer_hot_path). */
export const HOT_PATH_INDEX: Record<(typeof HOT_PATHS)[number], number> = {
  select_cpu: 0,
  enqueue: 1,
  dispatch: 2,
  deadline: 3,
};

/** `struct gamer_exit_info`. */
export const EXIT_INFO_LAYOUT = {
  kind: 0,
  exit_code: 8,
  reason: 16,
  reasonLen: 128,
  msg: 144,
  msgLen: 1024,
  size: 1168,
};

/** `struct gamer_thread_behaviour`. */
export const BEHAVIOUR_LAYOUT = { avg_run_ns: 0, wakeups: 8, last_seen_ns: 16, size: 24 };

/** sched_ext exit kinds worth naming (enum scx_exit_kind). */
export const EXIT_KINDS: Record<number, string> = {
  0: "none",
  1: "done",
  64: "unregistered",
  65: "unregistered by BPF",
  66: "unregistered by the kernel",
  67: "SysRq-S",
  1024: "error",
  1025: "BPF error",
  1026: "stall (watchdog)",
};
