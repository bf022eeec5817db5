/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Layouts and constants shared by the BPF scheduler and userspace. Userspace never copies them by hand:
 * scripts/build_bpf.sh reads them back from the compiled object's BTF and generates the TypeScript module
 * (lib/sched/intf_generated.ts) that lib/sched uses, and a test re-reads the BTF and compares.
 * Every struct and enum here must be reachable from the object's BTF: gamer_intf_anchor in
 * scx_gamer.bpf.c references the ones no map or global uses.
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
	/*
	 * The policy's version: samples carry it so data collected under one policy is never mixed with
	 * another's. Bump it whenever what a tunable does changes.
	 */
	POLICY_VERSION		= 2,
	MAX_CPUS		= 512,	/* CPUs the per-CPU tables cover (a power of two) */
	HIST_BUCKETS		= 12,	/* hot-path timing: <100ns, 100-200ns, ... 51.2-102.4us, >=102.4us */
	HIST_BASE_NS		= 100,	/* upper bound of the first hot-path bucket */
	LAT_MIN_SHIFT		= 10,	/* wake-up latency: first octave 2^10 ns = 1.024us (and anything shorter) */
	LAT_BUCKETS		= 176,	/* 22 octaves (1.024us..4.3s) x 8; the ends absorb the rest */
	BUCKET_SUB_SHIFT	= 3,	/* both histograms: 2^3 = 8 linear sub-buckets per octave (<= 12.5% wide) */
	PACE_MIN_SHIFT		= 17,	/* first pacing octave: 2^17 ns = 131us */
	PACE_BUCKETS		= 96,	/* 12 octaves (131us..537ms) x 8; the ends absorb the rest */
	EXIT_REASON_LEN		= 128,
	EXIT_MSG_LEN		= 1024,
	EXIT_DUMP_LEN		= 32768,	/* the kernel's debug dump kept on exit (ops.exit_dump_len) */
	MAX_CLASSIFIED		= 8192,	/* threads userspace may classify at once */
	MAX_GAME_THREADS	= 1024,	/* game threads whose behaviour is reported */
	TIMEOUT_MS		= 5000,	/* the kernel's watchdog: a task runnable this long ejects us */
	EVENTS_BYTES		= 65536,	/* the event ring buffer */
	COMM_LEN		= 16,
};

/* What an event record reports (struct gamer_event.kind). */
enum gamer_event_kind {
	EVENT_EXEC		= 1,	/* a process executed a new program (game detection) */
	EVENT_EXIT		= 2,	/* a process ended (its last thread) */
	EVENT_SCHED_EXIT	= 3,	/* the kernel stopped the scheduler: exit_info is complete */
};

/*
 * The BPF side's effective bounds and fixed constants. lib/config.ts's tunables table records the bounds
 * that clamp a tunable, and the layout test checks them against these values.
 */
enum gamer_bounds {
	SLICE_MIN_US		= 10,	/* the interactive quantum's floor (slice_us x weight/100) */
	SLICE_MAX_US		= 20000,	/* ... and its cap */
	BATCH_SLICE_MS		= 20,	/* a batch task's slice (preempted at once by interactive work) */
	GUARD_SLICE_US		= 1000,	/* the slice the starvation guard gives a starved task */
	STARVE_MS		= 100,	/* the longest a queued task waits before the guard runs it */
	BATCH_BURST_MIN_US	= 500,	/* batch_burst_us is clamped to this ... */
	BATCH_BURST_MAX_US	= 1000000,	/* ... and this */
	RUN_CAP_MS		= 1000,	/* CPU time since the last wake-up saturates here */
	WAKEUP_TIMER_MIN_US	= 100,	/* a nonzero wakeup_timer_us is raised to this period */
};

/* The dispatch queues. Interactive queues are ordered by deadline, the batch queue by vruntime. */
enum gamer_dsq {
	INTER_DSQ		= 0,	/* interactive tasks that may run on any allowed CPU */
	BATCH_DSQ		= 1,	/* batch tasks: run only when no interactive task waits */
	CPU_DSQ_BASE		= 2,	/* + cpu: interactive tasks that must stay on that CPU */
	RESUME_DSQ_BASE		= CPU_DSQ_BASE + MAX_CPUS,	/* + cpu: the batch task preempted there, to resume first */
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

/* Timed hot paths: index into the hists map. */
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
	u64 dispatches;		/* tasks moved from a shared queue to a CPU */
	u64 direct_dispatches;	/* tasks inserted straight into a local queue */
	u64 select_cpus;	/* ops.select_cpu calls */
	u64 mig_attempts;	/* interactive wake-ups that wanted another CPU */
	u64 mig_blocked;	/* ... refused by the migration limiter */
	u64 mm_hint_tries;	/* wake-ups that had an address-space CPU hint */
	u64 mm_hint_hits;	/* ... whose hinted CPU was idle and taken */
	u64 preempt_kicks;	/* wake-ups that preempted a CPU (batch work or a later deadline) */
	u64 idle_kicks;		/* idle CPUs woken for queued work */
	u64 input_events;	/* input events seen by the kernel hook (sensor streams excluded) */
	u64 boosted;		/* interactive deadlines shortened by an input window */
	u64 critical_wakeups;	/* interactive wake-ups that found no idle CPU */
	u64 critical_queued;	/* ... and no CPU to preempt either: they wait in a queue */
	u64 batch_enqueues;	/* enqueues of batch tasks */
	u64 local_preempts;	/* preemptions of the waking task's own CPU (no cross-CPU kick) */
	u64 edf_preempts;	/* preemptions of interactive work with a later deadline (EDF margin) */
	u64 prev_kept;		/* dispatches that kept the running task (its deadline came first) */
	u64 guard_runs;		/* batch tasks run by the starvation guard */
	u64 tick_preempts;	/* batch slices cut at the tick because interactive work waited */
	u64 cpu_releases;	/* CPUs taken by a higher scheduling class (RT, DL) */
	u64 sensor_events;	/* input events ignored as sensor streams (accelerometers, gyros) */
	u64 batch_resumes;	/* preempted batch tasks put back on their CPU (no shared-queue round trip) */
	u64 handoffs;		/* wake-ups by a running task, which end its burst as a sleep would */
	u64 waker_kept;		/* game wake-ups that left their game waker's CPU alone */
	u64 parity_kept;	/* game wake-ups that left a game thread's CPU alone in its first quantum */
	u64 frame_kept;		/* frame work that kept its CPU against its own game's (quantum end, wake-up) */
	u64 frame_turns;	/* jobs (frame work that posted nothing) that took turns at a quantum's end */
	u64 parity_timers;	/* parity timers armed: a refused wake-up would win when the window ends */
	u64 parity_retries;	/* ... that fired, and the queue's head took the CPU */
	u64 parity_spared;	/* ... not armed: the running task posted work this run (a render thread) */
	u64 stranded_resumes;	/* preempted batch tasks resumed elsewhere: an RT or DL task held their CPU */
};

/* Behaviour of one game thread, for userspace's classifier. */
struct gamer_thread_behaviour {
	u64 avg_run_ns;		/* moving average of run time per wake-up */
	u64 wakeups;		/* cumulative wake-ups (written on the first, then every BEHAVIOUR_EVERY-th) */
	u64 last_seen_ns;
};

/* Wake-up-to-run latency of the game's threads of one class (per CPU, cumulative). */
struct gamer_lat_hist {
	u64 buckets[LAT_BUCKETS];	/* log-linear: LAT_MIN_SHIFT octaves, 8 sub-buckets each */
	u64 count;
	u64 sum_ns;
};

/* Smoothness of the game as the scheduler sees it (per CPU, cumulative; collected while smooth_on). */
struct gamer_smooth {
	u64 waits;		/* game-thread wake-ups that ran */
	u64 wait_ns;		/* their total wake-up-to-run wait */
	u64 wait_behind_other_ns; /* ... the part spent while the CPU they got ran non-game work */
	u64 pace_count;		/* render-thread wake intervals recorded */
	u64 pace_sum_ns;
	u64 pace_buckets[PACE_BUCKETS];	/* log-linear: PACE_MIN_SHIFT octaves, 8 sub-buckets each */
	/* ... between its wake-ups from outside the game (a timer, an interrupt, the compositor: frame starts) */
	u64 start_count;
	u64 start_sum_ns;
	u64 start_buckets[PACE_BUCKETS];
};

/* One record of the event ring buffer, so userspace can sleep until something happens. */
struct gamer_event {
	u32 kind;		/* enum gamer_event_kind */
	u32 tgid;		/* the process (0 for EVENT_SCHED_EXIT) */
	s64 code;		/* EVENT_SCHED_EXIT: the exit code (SCX_ECODE_*); else 0 */
	char comm[COMM_LEN];	/* the process's command name */
};

/* Why the scheduler stopped, copied from sched_ext's exit info in ops.exit (the dump is separate). */
struct gamer_exit_info {
	s32 kind;		/* enum scx_exit_kind; 0 while running */
	s32 pad;
	s64 exit_code;		/* SCX_ECODE_*: e.g. ACT_RESTART | RSN_HOTPLUG after a CPU hotplug */
	char reason[EXIT_REASON_LEN];
	char msg[EXIT_MSG_LEN];
};

#endif /* __SCX_GAMER_INTF_H */
