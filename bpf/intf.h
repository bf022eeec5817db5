/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layouts shared by the BPF scheduler and userspace. The TypeScript side (lib/sched/intf.ts) mirrors
 * these and a test checks both against the object's BTF, so userspace never guesses an offset.
 */
#ifndef __SCX_GAMER_INTF_H
#define __SCX_GAMER_INTF_H

#ifndef __VMLINUX_H__
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef int s32;
typedef long long s64;
#endif

enum gamer_consts {
	MAX_CPUS		= 512,	/* CPUs the per-CPU arrays and scans cover */
	HIST_BUCKETS		= 12,	/* <100ns, 100-200ns, ... 51.2-102.4us, >=102.4us */
	HIST_BASE_NS		= 100,	/* upper bound of the first bucket */
	EXIT_REASON_LEN		= 128,
	EXIT_MSG_LEN		= 1024,
	MAX_CLASSIFIED		= 8192,	/* threads userspace may classify at once */
	MAX_GAME_THREADS	= 1024,	/* game threads whose behaviour is reported */
	SHARED_DSQ		= 0,	/* the deadline-ordered queue used under saturation */
};

/* Thread classes; ids match THREAD_CLASSES in lib/types.ts. */
enum gamer_thread_class {
	CLASS_OTHER		= 0,
	CLASS_GAME		= 1,	/* the game's main thread and unclassified game threads */
	CLASS_INPUT		= 2,
	CLASS_GPU_SUBMIT	= 3,
	CLASS_COMPOSITOR	= 4,
	CLASS_AUDIO		= 5,
	CLASS_NETWORK		= 6,
	CLASS_STORAGE		= 7,
	CLASS_BACKGROUND	= 8,
	NR_CLASSES		= 9,
};

/* Timed hot paths: index into the hist map. */
enum gamer_hot_path {
	HIST_SELECT_CPU		= 0,
	HIST_ENQUEUE		= 1,
	HIST_DISPATCH		= 2,
	HIST_DEADLINE		= 3,
	NR_HOT_PATHS		= 4,
};

/* One hot path's latency histogram (per CPU; userspace sums the CPUs). */
struct gamer_hist {
	u64 buckets[HIST_BUCKETS];
	u64 sum_ns;
	u64 count;
};

/* Event counters (per CPU, cumulative; userspace turns them into per-interval deltas). */
struct gamer_counters {
	u64 enqueues;		/* ops.enqueue calls */
	u64 dispatches;		/* tasks moved from the shared queue to a CPU */
	u64 direct_dispatches;	/* tasks inserted straight into a local queue */
	u64 select_cpus;	/* ops.select_cpu calls */
	u64 mig_attempts;	/* wake-ups that wanted another CPU */
	u64 mig_blocked;	/* ... refused by the migration limiter */
	u64 mm_hint_tries;	/* wake-ups that had an address-space CPU hint */
	u64 mm_hint_hits;	/* ... whose hinted CPU was idle and taken */
	u64 preempt_kicks;	/* CPUs kicked to preempt background work */
	u64 idle_kicks;		/* idle CPUs woken for queued work */
	u64 input_events;	/* input events seen by the kernel hook */
	u64 boosted;		/* enqueues inside an input window */
	u64 critical_wakeups;	/* critical wake-ups that found no idle CPU */
	u64 critical_queued;	/* ... and no CPU to preempt either: they wait in the shared queue */
};

/* Behaviour of one game thread, for userspace's classifier. */
struct gamer_thread_behaviour {
	u64 avg_run_ns;		/* moving average of run time per wake-up */
	u64 wakeups;		/* cumulative wake-ups */
	u64 last_seen_ns;
};

/* Why the scheduler stopped, copied from sched_ext's exit info in ops.exit. */
struct gamer_exit_info {
	s32 kind;		/* enum scx_exit_kind; 0 while running */
	s32 pad;
	s64 exit_code;
	char reason[EXIT_REASON_LEN];
	char msg[EXIT_MSG_LEN];
};

#endif /* __SCX_GAMER_INTF_H */
