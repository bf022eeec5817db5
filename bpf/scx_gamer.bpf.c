/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scx_gamer: a sched_ext scheduler for games.
 *
 * What it optimises. A game is a handful of latency-critical threads (input, render/GPU submit, audio, the
 * main loop) among many that only want throughput (shader compilers, asset streamers, the browser, the
 * build in the background). A frame is late when one of the critical threads wakes up and has to wait for
 * a CPU. So the policy is: a critical wake-up never waits behind background work.
 *
 * How each callback decides.
 * - Ordering is earliest-deadline-first on virtual time. A task's virtual time advances by the CPU time it
 *   uses, scaled inversely by its weight; a task that slept may carry at most slice_lag_us of credit, so it
 *   runs soon after waking but cannot bank credit forever. Its deadline is its virtual time plus its
 *   average burst (runtime per wake-up): short-burst, frequently-waking (interactive) tasks get early
 *   deadlines, CPU hogs late ones. Inside an input window (input_window_us after a key/mouse/pad event,
 *   seen by a hook on the kernel's input core) game threads get the earliest deadline they may have.
 * - select_cpu (wake-up): locality first. Try the address space's last CPU (mm_affinity), an idle full core
 *   (avoid_smt), idle CPUs by capacity (preferred_idle_scan), then the kernel's idle picker. An idle CPU
 *   found here gets the task straight into its local queue (a direct dispatch, no shared queue). A move
 *   to another CPU passes the migration limiter: at most mig_max moves per mig_window_ms per task.
 * - enqueue: the task found no idle CPU at wake-up (or was preempted / used up its slice). Try idle CPUs
 *   once more; if there are none and the wake-up is critical (a classified game thread, or a task that
 *   behaves interactively), take a CPU that runs non-critical work, or else the CPU whose task has the
 *   latest deadline when that is later than the woken task's, and preempt it: the woken task is inserted
 *   at the head of that CPU's local queue with SCX_ENQ_PREEMPT, so it runs now instead of at the next
 *   tick. Everything else goes into one shared queue ordered by deadline.
 * - dispatch: a CPU whose local queue ran dry takes the earliest deadline from the shared queue; if that
 *   is empty too, the previous task keeps the CPU with a fresh slice.
 * - A BPF timer (wakeup_timer_us) kicks idle CPUs while tasks wait in the shared queue, so work never
 *   sits queued next to a sleeping CPU.
 *
 * Userspace tells the scheduler which process is the game (game_tgid) and classifies threads by name
 * (thread_class map: input, GPU submit, compositor, audio, network, storage, background). The policy
 * reads classes: game, input, GPU submit, audio and compositor threads are critical; background threads
 * never preempt and are always preemptible. scx_gamer's own process (self_tgid) is critical too, so its
 * stats, sampling and signal handling never starve behind background work.
 *
 * Tunables live in writable globals (.data), mmapped by userspace, so a new configuration applies to the
 * running scheduler at its next decision without a reload. Only stats_on is const volatile: with stats
 * off, the verifier prunes every counter and every latency probe at load, so statistics cost nothing.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "intf.h"

char _license[] SEC("license") = "GPL";

#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/* ---- switches fixed at load (pruned by the verifier) ---- */

/* Count events and time the hot paths; off removes the code entirely. */
const volatile bool stats_on = false;
/* Number of possible CPUs, set by userspace before load; bounds every CPU scan. */
const volatile u32 nr_cpus = 1;

/* ---- policy tunables: writable, applied live (names match lib/config.ts) ---- */

/* Base time slice, us. */
volatile u64 slice_us = 10;
/* Most virtual-time credit a sleeping task carries, us. */
volatile u64 slice_lag_us = 20000;
/* Input boost length after each input event, us; 0 disables the boost. */
volatile u64 input_window_us = 2000;
/* Migration limiter window, ms. */
volatile u64 mig_window_ms = 50;
/* Most migrations per task per window. */
volatile u64 mig_max = 3;
/* Prefer the CPU an address space last ran on. */
volatile bool mm_affinity = false;
/* Prefer a fully idle core over an idle SMT sibling. */
volatile bool avoid_smt = false;
/* Scan idle CPUs in preferred_cpus order (highest capacity first). */
volatile bool preferred_idle_scan = false;
/* Refuse wake-up moves across NUMA nodes. */
volatile bool enable_numa = false;
/* Idle-CPU kick timer period, us; 0 disables it. */
volatile u64 wakeup_timer_us = 500;

/* ---- state shared with userspace ---- */

/* The game's process id (0: no game detected). */
volatile u32 game_tgid = 0;
/*
 * scx_gamer's own process: always critical, so its stats, sampling and signal handling never starve
 * behind busy background work (a starved userspace also stops noticing an ejection).
 */
volatile u32 self_tgid = 0;
/* Bumped by userspace after it rewrites thread_class, so tasks re-read their class. */
volatile u64 class_gen = 0;
/* CPUs in preferred scan order, -1 terminated; filled by userspace from cpu_capacity. */
volatile s32 preferred_cpus[MAX_CPUS];
/* Set in ops.exit: why the scheduler stopped. */
struct gamer_exit_info exit_info;

/* ---- internal state ---- */

/* Virtual time of the most recently started task: the "now" of virtual time. */
static u64 vtime_now;
/* When the last input event arrived, ns. */
static u64 last_input_ns;

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
/* A task whose average burst is below this is interactive. */
#define INTERACTIVE_BURST_NS (1000ULL * NSEC_PER_USEC)
/* Slices never go below this: sched_ext checks slices at the tick, a shorter one only costs switches. */
#define MIN_SLICE_NS (50ULL * NSEC_PER_USEC)
#define MAX_SLICE_NS (20ULL * NSEC_PER_MSEC)

struct task_ctx {
	u64 last_run_at;	/* when it last started running, ns */
	u64 run_since_wake;	/* CPU time since its last wake-up, ns */
	u64 avg_burst;		/* moving average of run_since_wake at wake-up, ns */
	u64 mig_window_start;	/* start of the current migration window, ns */
	u64 mig_count;		/* migrations in the current window */
	u64 class_gen;		/* class_gen when cls was read */
	u8 cls;			/* enum gamer_thread_class */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Thread id -> enum gamer_thread_class, written by userspace. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_CLASSIFIED);
	__type(key, u32);
	__type(value, u8);
} thread_class SEC(".maps");

/* Game thread id -> behaviour, read by userspace's classifier. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_GAME_THREADS);
	__type(key, u32);
	__type(value, struct gamer_thread_behaviour);
} game_threads SEC(".maps");

/* Address space -> the CPU it last ran on (mm_affinity). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, s32);
} mm_last_cpu SEC(".maps");

/* What each CPU runs now: may a critical wake-up preempt it, and how urgent is it? */
struct cpu_ctx {
	u64 preemptible;	/* the current task is not critical */
	u64 deadline;		/* the current task's deadline (virtual time) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, u32);
	__type(value, struct cpu_ctx);
} cpu_ctxs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct gamer_counters);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_HOT_PATHS);
	__type(key, u32);
	__type(value, struct gamer_hist);
} hists SEC(".maps");

struct wakeup_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct wakeup_timer);
} wakeup_timers SEC(".maps");

/* ---- statistics (pruned when stats_on is false) ---- */

#define stat_inc(field)							\
	do {								\
		if (stats_on) {						\
			u32 __zero = 0;					\
			struct gamer_counters *__c =			\
				bpf_map_lookup_elem(&counters, &__zero);	\
			if (__c)					\
				__c->field++;				\
		}							\
	} while (0)

static __always_inline void hist_record(u32 path, u64 ns)
{
	struct gamer_hist *h = bpf_map_lookup_elem(&hists, &path);
	u64 bound = HIST_BASE_NS;
	u32 b = 0;

	if (!h)
		return;
	/* log2 buckets: <100ns, then doubling up to >=102.4us. */
#pragma unroll
	for (int i = 0; i < HIST_BUCKETS - 1; i++) {
		if (ns >= bound) {
			b = i + 1;
			bound <<= 1;
		}
	}
	if (b < HIST_BUCKETS)
		h->buckets[b]++;
	h->sum_ns += ns;
	h->count++;
}

#define HIST_ID_select_cpu	HIST_SELECT_CPU
#define HIST_ID_enqueue		HIST_ENQUEUE
#define HIST_ID_dispatch	HIST_DISPATCH
#define HIST_ID_deadline	HIST_DEADLINE

/* Time a hot path: the probe exists only when stats_on (const volatile) is true at load. */
#define PROF_START_HIST(name) u64 __prof_##name = stats_on ? bpf_ktime_get_ns() : 0
#define PROF_END_HIST(name)							\
	do {									\
		if (stats_on)							\
			hist_record(HIST_ID_##name, bpf_ktime_get_ns() - __prof_##name);	\
	} while (0)

/* ---- helpers ---- */

/*
 * Loop over [0, n) with the kernel's open-coded number iterator, cheap for the verifier however many
 * CPUs there are. The body may `break`; it must not `return` (the iterator has to be destroyed).
 */
#define for_each_num(i, n)							\
	for (struct bpf_iter_num ___it, *___once = (bpf_iter_num_new(&___it, 0, (n)), &___it);	\
	     ___once; bpf_iter_num_destroy(&___it), ___once = (void *)0)		\
		for (int *___v; (___v = bpf_iter_num_next(&___it)) && ((i = *___v), 1);)

static __always_inline bool vtime_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

static __always_inline struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, p, 0, 0);
}

static __always_inline bool cpu_allowed(struct task_struct *p, s32 cpu)
{
	return cpu >= 0 && bpf_cpumask_test_cpu(cpu, p->cpus_ptr);
}

/* The task's class: from userspace's map when it classified the thread, else game or other. */
static u8 task_class(struct task_struct *p, struct task_ctx *tctx)
{
	u64 gen = class_gen;
	u32 tid = p->pid;
	u8 *cls;

	if (tctx->class_gen == gen && gen)
		return tctx->cls;
	cls = bpf_map_lookup_elem(&thread_class, &tid);
	if (cls && *cls < NR_CLASSES)
		tctx->cls = *cls;
	else
		tctx->cls = (game_tgid && p->tgid == game_tgid) ? CLASS_GAME : CLASS_OTHER;
	tctx->class_gen = gen;
	return tctx->cls;
}

/* Average burst, counting a hog that never sleeps by its current run. */
static __always_inline u64 task_burst(struct task_ctx *tctx)
{
	return tctx->run_since_wake > tctx->avg_burst ? tctx->run_since_wake : tctx->avg_burst;
}

static bool class_is_critical(u8 cls)
{
	return cls == CLASS_GAME || cls == CLASS_INPUT || cls == CLASS_GPU_SUBMIT ||
	       cls == CLASS_AUDIO || cls == CLASS_COMPOSITOR;
}

/* Critical: a game-critical thread, or any non-background task that behaves interactively. */
static bool task_is_critical(struct task_struct *p, struct task_ctx *tctx)
{
	u8 cls = task_class(p, tctx);

	if (self_tgid && p->tgid == self_tgid)
		return true;
	if (cls == CLASS_BACKGROUND)
		return false;
	return class_is_critical(cls) || task_burst(tctx) < INTERACTIVE_BURST_NS;
}

static __always_inline bool input_window_active(u64 now)
{
	u64 window = input_window_us * NSEC_PER_USEC;

	return window && last_input_ns && now - last_input_ns < window;
}

static __always_inline u64 task_slice(struct task_struct *p)
{
	u64 slice = slice_us * NSEC_PER_USEC * p->scx.weight / 100;

	if (slice < MIN_SLICE_NS)
		return MIN_SLICE_NS;
	return slice > MAX_SLICE_NS ? MAX_SLICE_NS : slice;
}

/*
 * Deadline: virtual time (credit capped at slice_lag_us) plus the weighted average burst, so short
 * bursts sort first. Critical game threads inside an input window take the earliest allowed deadline.
 */
static u64 task_deadline(struct task_struct *p, struct task_ctx *tctx, u64 now)
{
	PROF_START_HIST(deadline);
	u64 lag = slice_lag_us * NSEC_PER_USEC;
	u64 vtime = p->scx.dsq_vtime;
	u64 floor = vtime_now - lag;
	u64 deadline;

	if (vtime_before(vtime, floor))
		vtime = floor;
	p->scx.dsq_vtime = vtime;
	if (input_window_active(now) && class_is_critical(task_class(p, tctx))) {
		stat_inc(boosted);
		deadline = floor;
	} else {
		deadline = vtime + task_burst(tctx) * 100 / (p->scx.weight ?: 1);
	}
	PROF_END_HIST(deadline);
	return deadline;
}

/* The migration limiter: may the task move now? Counts attempts and refusals. */
static bool migration_allowed(struct task_ctx *tctx, u64 now)
{
	u64 window = mig_window_ms * NSEC_PER_MSEC;

	stat_inc(mig_attempts);
	if (now - tctx->mig_window_start >= window) {
		tctx->mig_window_start = now;
		tctx->mig_count = 0;
	}
	if (tctx->mig_count >= mig_max) {
		stat_inc(mig_blocked);
		return false;
	}
	tctx->mig_count++;
	return true;
}

static s32 pick_mm_cpu(struct task_struct *p)
{
	struct mm_struct *mm = p->mm;
	u64 key = (u64)mm;
	s32 *cpu;

	if (!mm)
		return -1;
	cpu = bpf_map_lookup_elem(&mm_last_cpu, &key);
	if (!cpu)
		return -1;
	stat_inc(mm_hint_tries);
	if (cpu_allowed(p, *cpu) && scx_bpf_test_and_clear_cpu_idle(*cpu)) {
		stat_inc(mm_hint_hits);
		return *cpu;
	}
	return -1;
}

static s32 pick_preferred_cpu(struct task_struct *p)
{
	s32 cpu = -1;
	int i = 0;

	s32 found = -1;

	for_each_num(i, nr_cpus) {
		if (i < 0 || i >= MAX_CPUS)
			break;
		cpu = preferred_cpus[i];
		if (cpu < 0)
			break;
		if (cpu_allowed(p, cpu) && scx_bpf_test_and_clear_cpu_idle(cpu)) {
			found = cpu;
			break;
		}
	}
	return found;
}

/*
 * A CPU a critical wake-up may preempt: one running non-critical work (prev_cpu first), else the one
 * whose current task has the latest deadline, if that is later than the woken task's (as EEVDF would).
 */
static s32 pick_victim_cpu(struct task_struct *p, s32 prev_cpu, u64 deadline)
{
	struct cpu_ctx *cctx;
	u32 key = prev_cpu;
	s32 found = -1, latest = -1;
	u64 latest_deadline = deadline;
	int i = 0;

	cctx = bpf_map_lookup_elem(&cpu_ctxs, &key);
	if (cctx && cctx->preemptible && cpu_allowed(p, prev_cpu))
		return prev_cpu;
	for_each_num(i, nr_cpus) {
		key = i;
		cctx = bpf_map_lookup_elem(&cpu_ctxs, &key);
		if (!cctx || !cpu_allowed(p, i))
			continue;
		if (cctx->preemptible) {
			found = i;
			break;
		}
		if (vtime_before(latest_deadline, cctx->deadline)) {
			latest_deadline = cctx->deadline;
			latest = i;
		}
	}
	return found >= 0 ? found : latest;
}

static void insert_local(struct task_struct *p, s32 cpu, u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL_ON | cpu, task_slice(p), enq_flags);
	stat_inc(direct_dispatches);
}

/* ---- callbacks ---- */

s32 BPF_STRUCT_OPS(gamer_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	PROF_START_HIST(select_cpu);
	struct task_ctx *tctx = lookup_task_ctx(p);
	bool is_idle = false;
	u64 now = bpf_ktime_get_ns();
	s32 cpu = -1;

	stat_inc(select_cpus);
	if (mm_affinity)
		cpu = pick_mm_cpu(p);
	if (cpu < 0 && avoid_smt) {
		cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, SCX_PICK_IDLE_CORE);
	}
	if (cpu < 0 && preferred_idle_scan)
		cpu = pick_preferred_cpu(p);
	if (cpu >= 0)
		is_idle = true;
	else
		cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	if (cpu != prev_cpu && tctx) {
		bool refuse = enable_numa && scx_bpf_cpu_node(cpu) != scx_bpf_cpu_node(prev_cpu);

		if (refuse || !migration_allowed(tctx, now)) {
			/* The idle CPU we claimed and don't use must re-enter idle to be found again. */
			if (is_idle)
				scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
			cpu = prev_cpu;
			is_idle = scx_bpf_test_and_clear_cpu_idle(prev_cpu);
		}
	}
	if (is_idle) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(p), 0);
		stat_inc(direct_dispatches);
	}
	PROF_END_HIST(select_cpu);
	return cpu;
}

void BPF_STRUCT_OPS(gamer_enqueue, struct task_struct *p, u64 enq_flags)
{
	PROF_START_HIST(enqueue);
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 prev_cpu = scx_bpf_task_cpu(p), cpu;
	u64 now = bpf_ktime_get_ns();

	stat_inc(enqueues);
	if (!tctx) {
		scx_bpf_dsq_insert(p, SHARED_DSQ, task_slice(p), enq_flags);
		goto out;
	}
	/* Not saturated: an idle CPU takes the task directly. */
	if (cpu_allowed(p, prev_cpu) && scx_bpf_test_and_clear_cpu_idle(prev_cpu)) {
		insert_local(p, prev_cpu, enq_flags);
		scx_bpf_kick_cpu(prev_cpu, SCX_KICK_IDLE);
		goto out;
	}
	cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
	if (cpu >= 0) {
		insert_local(p, cpu, enq_flags);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		goto out;
	}
	/* Saturated: a critical wake-up preempts background work instead of waiting for the tick. */
	if ((enq_flags & SCX_ENQ_WAKEUP) && task_is_critical(p, tctx)) {
		u64 deadline = task_deadline(p, tctx, now);

		stat_inc(critical_wakeups);
		cpu = pick_victim_cpu(p, prev_cpu, deadline);
		if (cpu >= 0) {
			/* Mark it taken at once so concurrent wake-ups spread to other victims. */
			u32 key = cpu;
			struct cpu_ctx *cctx = bpf_map_lookup_elem(&cpu_ctxs, &key);

			if (cctx) {
				cctx->preemptible = 0;
				cctx->deadline = deadline;
			}
			insert_local(p, cpu, enq_flags | SCX_ENQ_PREEMPT);
			stat_inc(preempt_kicks);
			goto out;
		}
		stat_inc(critical_queued);
	}
	scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, task_slice(p), task_deadline(p, tctx, now), enq_flags);
out:
	PROF_END_HIST(enqueue);
}

void BPF_STRUCT_OPS(gamer_dispatch, s32 cpu, struct task_struct *prev)
{
	PROF_START_HIST(dispatch);
	if (scx_bpf_dsq_move_to_local(SHARED_DSQ))
		stat_inc(dispatches);
	else if (prev && (prev->scx.flags & SCX_TASK_QUEUED))
		prev->scx.slice = task_slice(prev);
	PROF_END_HIST(dispatch);
}

void BPF_STRUCT_OPS(gamer_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	struct gamer_thread_behaviour *b, fresh = {};
	u32 tid = p->pid;

	if (!tctx)
		return;
	/* A wake-up closes a burst: fold it into the moving average (7/8 old, 1/8 new). */
	tctx->avg_burst = (tctx->avg_burst * 7 + tctx->run_since_wake) / 8;
	tctx->run_since_wake = 0;

	if (!game_tgid || p->tgid != game_tgid)
		return;
	b = bpf_map_lookup_elem(&game_threads, &tid);
	if (!b) {
		bpf_map_update_elem(&game_threads, &tid, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&game_threads, &tid);
		if (!b)
			return;
	}
	b->avg_run_ns = tctx->avg_burst;
	b->wakeups++;
	b->last_seen_ns = bpf_ktime_get_ns();
}

void BPF_STRUCT_OPS(gamer_running, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	u32 cpu = bpf_get_smp_processor_id();
	struct cpu_ctx *cctx;

	if (!tctx)
		return;
	tctx->last_run_at = bpf_ktime_get_ns();
	if (vtime_before(vtime_now, p->scx.dsq_vtime))
		vtime_now = p->scx.dsq_vtime;

	cctx = bpf_map_lookup_elem(&cpu_ctxs, &cpu);
	if (cctx) {
		cctx->preemptible = !task_is_critical(p, tctx);
		cctx->deadline = p->scx.dsq_vtime + task_burst(tctx) * 100 / (p->scx.weight ?: 1);
	}

	if (mm_affinity && p->mm) {
		u64 key = (u64)p->mm;
		s32 val = cpu;

		bpf_map_update_elem(&mm_last_cpu, &key, &val, BPF_ANY);
	}
}

void BPF_STRUCT_OPS(gamer_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	u64 used;

	if (!tctx)
		return;
	used = bpf_ktime_get_ns() - tctx->last_run_at;
	tctx->run_since_wake += used;
	p->scx.dsq_vtime += used * 100 / (p->scx.weight ?: 1);
}

void BPF_STRUCT_OPS(gamer_enable, struct task_struct *p)
{
	p->scx.dsq_vtime = vtime_now;
}

s32 BPF_STRUCT_OPS(gamer_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	if (!bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE))
		return -12; /* -ENOMEM */
	return 0;
}

/* Kick idle CPUs while work waits in the shared queue; re-arms itself every wakeup_timer_us. */
static int wakeup_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	u64 period = wakeup_timer_us * NSEC_PER_USEC;
	s32 queued = scx_bpf_dsq_nr_queued(SHARED_DSQ);
	int i = 0;

	if (period && queued > 0) {
		for_each_num(i, nr_cpus) {
			if (queued <= 0)
				break;
			if (scx_bpf_test_and_clear_cpu_idle(i)) {
				scx_bpf_kick_cpu(i, SCX_KICK_IDLE);
				stat_inc(idle_kicks);
				queued--;
			}
		}
	}
	/* While disabled, poll the tunable every 10 ms so enabling it live works. */
	bpf_timer_start(timer, period ?: 10 * NSEC_PER_MSEC, 0);
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(gamer_init)
{
	struct wakeup_timer *t;
	u32 key = 0;
	s32 err;

	err = scx_bpf_create_dsq(SHARED_DSQ, -1);
	if (err)
		return err;
	t = bpf_map_lookup_elem(&wakeup_timers, &key);
	if (!t)
		return -2; /* -ENOENT */
	bpf_timer_init(&t->timer, &wakeup_timers, 1 /* CLOCK_MONOTONIC */);
	bpf_timer_set_callback(&t->timer, wakeup_timer_fn);
	return bpf_timer_start(&t->timer, 10 * NSEC_PER_MSEC, 0);
}

void BPF_STRUCT_OPS(gamer_exit, struct scx_exit_info *ei)
{
	exit_info.exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
	bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
	/* kind last: userspace treats a non-zero kind as "exit info complete". */
	exit_info.kind = ei->kind;
}

/* Input core hook: any key, button, relative or absolute event opens the input window. */
SEC("fentry/input_event")
int BPF_PROG(gamer_input_event, struct input_dev *dev, unsigned int type, unsigned int code, int value)
{
	/* EV_KEY = 1, EV_REL = 2, EV_ABS = 3; EV_SYN and friends carry no user intent. */
	if (type < 1 || type > 3)
		return 0;
	last_input_ns = bpf_ktime_get_ns();
	stat_inc(input_events);
	return 0;
}

SEC(".struct_ops.link")
struct sched_ext_ops gamer_ops = {
	.select_cpu	= (void *)gamer_select_cpu,
	.enqueue	= (void *)gamer_enqueue,
	.dispatch	= (void *)gamer_dispatch,
	.runnable	= (void *)gamer_runnable,
	.running	= (void *)gamer_running,
	.stopping	= (void *)gamer_stopping,
	.enable		= (void *)gamer_enable,
	.init_task	= (void *)gamer_init_task,
	.init		= (void *)gamer_init,
	.exit		= (void *)gamer_exit,
	.timeout_ms	= 5000,
	.name		= "gamer",
};
