/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scx_gamer: a sched_ext scheduler for games. Policy version 2 (POLICY_VERSION in intf.h).
 *
 * What it optimises. A frame is late when one of the game's threads (render, its job workers, input,
 * audio, GPU submit, the compositor) wakes up and has to wait for a CPU. So the game must never wait behind
 * work that only wants throughput (a build, a shader cache, a video encode, a busy loop), and must never
 * lose to the kernel's default scheduler when nothing else runs. The model is what EEVDF does for tasks a
 * user marks SCHED_IDLE, applied automatically.
 *
 * 1. Two kinds of task. A task is BATCH when its policy says so (SCHED_IDLE, SCHED_BATCH), userspace
 *    classified it as background, or it behaves like it: it ran batch_burst_us of CPU without sleeping, or
 *    its average run per wake-up is that long, or half that long while it wants more than half a CPU (its
 *    runs as long as its sleeps: an encoder of 1.5 ms per 2 ms). Every other task is INTERACTIVE. The game's
 *    threads (all of them: job workers are on the frame's path, whatever userspace's name table calls them),
 *    classified critical threads (input, GPU submit, audio, compositor), kernel threads and scx_gamer itself
 *    never become batch unless their policy says so.
 *
 * 2. Batch runs only when no interactive task waits. Batch tasks share one queue ordered by weighted
 *    vruntime and get long slices (20 ms): few switches, high throughput. Among themselves they are fair
 *    as under EEVDF: a batch task waking with a vruntime earlier than the running batch task's by more
 *    than slice_us takes its CPU. An interactive wake-up that finds no idle CPU takes a CPU running batch
 *    work at once: the CPU it woke on first (no IPI), then its own CPU, then any batch CPU, found in O(1)
 *    in the batch_cpus mask and claimed with an atomic test-and-clear, so two wake-ups never take the same
 *    CPU. A CPU that runs batch work while interactive tasks wait gives it up at the next tick at the
 *    latest (a safety net for a lost race).
 *
 * 3. Interactive tasks among themselves: earliest deadline first, with a margin. The deadline is the
 *    task's weighted vruntime (a sleeper carries at most slice_lag_us of credit) plus its weighted
 *    expected burst (capped at slice_lag_us whatever the weight, so waits stay bounded). A wake-up
 *    preempts a CPU running interactive work only when its deadline is earlier by more than slice_us;
 *    the game's threads may preempt other interactive work but nothing else may preempt theirs except by
 *    the margin, a game thread never takes the CPU of the game thread that woke it (a render thread
 *    posting jobs goes on with its frame), and a game thread that started running less than parity_us
 *    (by default slice_us) ago keeps its CPU against the others (run to parity: a 1 kHz input thread's
 *    timer no longer takes the render thread's CPU at each wake-up) until that window ends, when a timer
 *    of that CPU lets the refused wake-up try again (unless the running task is a render thread that
 *    posted its jobs: that one keeps the CPU until the tick). When a slice ends the running task
 *    keeps the CPU while its deadline is not later than the queue head's by more than the margin, so a
 *    render thread is never handed over to a queued task at the tick. slice_us is both that margin and
 *    the interactive quantum.
 *    The game's frame work (its main, render, job and GPU-submit threads) never takes a CPU from its own
 *    frame work at a wake-up. One that has posted work since it woke (a render thread) keeps its CPU at
 *    a quantum's end too, until it sleeps, yields or has run slice_lag_us since it woke; queued, it keeps
 *    the deadline its wake-up gave it, and the jobs it posts queue behind it (frame_of, frame_deadline: a
 *    long render thread is not pushed behind its jobs). The jobs take turns by their deadlines, so jobs
 *    posted together end together.
 *    Moves of an interactive task to another CPU (to an idle one, or to take one) pass a limiter, at most
 *    mig_max per mig_window_ms; a refused move stays on the task's CPU when that CPU can take it now, else
 *    the task queues like any other (no CPU left idle for it).
 *
 * 4. Bounded unfairness. Virtual time is kept per task, apart from the deadline (inserting by deadline
 *    never changes a task's vruntime), and is charged as a task runs (at every dispatch decision, not only
 *    when it stops), so a running task never competes with a stale key. Each kind has its own clock; a
 *    task's vruntime stays within slice_lag_us of its clock (batch: at most one slice ahead), so nobody is
 *    owed, or owes, more than that. The input boost (input_window_us after a key, button, relative or
 *    absolute event; streams from accelerometers and gyros ignored) moves the deadlines of the game's
 *    input, GPU-submit and other game threads earlier by at most min(input_window_us, slice_lag_us). A
 *    starvation guard runs the task that has waited longest for one short, unpreemptible slice when that
 *    is STARVE_MS, far below the kernel's TIMEOUT_MS watchdog (not a queue's head: a light task's vruntime
 *    keeps it behind the others). Batch or interactive: bounded lag bounds a wait in virtual time only, and
 *    while tasks that sleep between short runs fill the CPUs that clock hardly moves (run_starved).
 *
 * 5. No ejection path. Tasks are inserted into the local queue of their own CPU only (SCX_DSQ_LOCAL), or
 *    into user queues, vtime-ordered but for the per-CPU resume queues (FIFO, a task or two); other CPUs are
 *    kicked, never written to. The kernel's default handling of exiting and migration-disabled tasks is
 *    kept. When an RT or deadline task takes a CPU, ops.cpu_release re-enqueues what waited in its local
 *    queue, and the task waiting to resume there is taken by the next CPU that has no batch work
 *    (take_stranded_resume). CPU hotplug ends the scheduler with the kernel's restart code, and the loader
 *    attaches it again (lib/sched/supervisor.ts).
 *
 * Costs. The unit is the kfunc or helper call (a clock read, a queue peek, a task-storage lookup): each
 * costs more than all the arithmetic around it (1-2 us under emulation, from bpf_stats run times), so a
 * callback reads the clock once and looks at a queue only when the answer can change its decision. No
 * loop over CPUs outside ops.init (but take_stranded_resume's, only while an RT or deadline task holds a
 * CPU and by a CPU with no batch work), no hash update per context switch, no periodic timer unless
 * wakeup_timer_us asks for one (and then only while interactive work waits; a CPU's parity timer is
 * one-shot, at most once per run, and only for a wake-up that will win). Idle CPUs are kicked when work
 * is queued. Counters and hot-path timing exist only when stats_on is set at load (const volatile: the
 * verifier prunes them otherwise). The game's smoothness (wake-up latency per thread class, wait behind
 * non-game work, render pacing) is recorded only while userspace sets smooth_on and a game is known.
 */
#include "common.h"
#include "intf.h"
#include "buckets.h"

char _license[] SEC("license") = "GPL";

/* ---- switches fixed at load (pruned by the verifier) ---- */

/* Count events and time the hot paths; off removes the code entirely. */
const volatile bool stats_on = false;

/* ---- policy tunables: writable, applied live (names, units and ranges: lib/config.ts) ---- */

/* Interactive quantum (x weight/100) and the EDF preemption margin, us. */
volatile u64 slice_us = 1000;
/* Most sleep credit a task carries, and the cap of the burst term in its deadline, us. */
volatile u64 slice_lag_us = 20000;
/* After an input event, game threads' deadlines move earlier by min(this, slice_lag_us) for this long, us. */
volatile u64 input_window_us = 2000;
/* Migration limiter window, ms. */
volatile u64 mig_window_ms = 50;
/* Most moves to another CPU per interactive task per window. */
volatile u64 mig_max = 3;
/* Prefer the idle CPU an address space last ran on. */
volatile bool mm_affinity = false;
/* Prefer a fully idle core (prev's first) over an idle SMT sibling. */
volatile bool avoid_smt = false;
/* Prefer idle CPUs of the highest capacity (hybrid CPUs). */
volatile bool preferred_idle_scan = false;
/* Refuse moves of interactive tasks across NUMA nodes. */
volatile bool enable_numa = false;
/* While interactive tasks wait and no CPU could be preempted, re-check this often, us; 0 = the tick only. */
volatile u64 wakeup_timer_us = 0;
/* CPU time without sleeping (or average run per wake-up) that makes a task batch, us. */
volatile u64 batch_burst_us = 2500;
/* A game thread keeps its CPU against the same game's wake-ups for this long into its run, us; 0 = slice_us. */
volatile u64 parity_us = 0;

/* ---- state shared with userspace ---- */

/* The game's process id (0: no game detected). */
volatile u32 game_tgid = 0;
/* scx_gamer's own process: interactive always (its stats, restarts and signals never starve). */
volatile u32 self_tgid = 0;
/* Bumped by userspace after it rewrites thread_class or game_tgid, so tasks re-read their class. */
volatile u64 class_gen = 0;
/* Record the game's smoothness (set by userspace while it collects or tunes). */
volatile bool smooth_on = false;
/* Report the game's threads' behaviour in game_threads (set by userspace when it first reads the map). */
volatile bool behaviour_on = false;
/* The game's render/present thread, whose wake intervals measure frame pacing (0: none). */
volatile u32 pace_tid = 0;
/* Set in ops.exit: why the scheduler stopped, and the kernel's debug dump. */
struct gamer_exit_info exit_info;
char exit_dump[EXIT_DUMP_LEN];

/*
 * BTF anchor: references the shared enums and structs no map or global uses (the event record goes
 * through the ring buffer, which has no value type), so they are part of the object's BTF,
 * where scripts/build_bpf.sh and the layout test read them. Never read here.
 */
struct gamer_intf_anchor {
	enum gamer_consts consts;
	enum gamer_dsq dsq;
	enum gamer_thread_class cls;
	enum gamer_hot_path path;
	enum gamer_bounds bounds;
	enum gamer_event_kind event;
	struct gamer_event record;
};
const volatile struct gamer_intf_anchor gamer_intf_anchor __attribute__((used));

/* ---- internal state ---- */

/* A game thread's behaviour is written to game_threads on its first wake-up and then every this many. */
#define BEHAVIOUR_EVERY	8

/* Virtual time "now" of interactive tasks: the largest vruntime of any that started running. */
static u64 vtime_now;
/* The same for batch tasks (their own clock: a hog's vruntime never shifts interactive credit). */
static u64 batch_vtime_now;

/*
 * CPU ids run below this (set once in ops.init). A cpumask kfunc that finds no CPU returns this or more,
 * and a kfunc given such a CPU ends the scheduler ("invalid CPU"), so a picked CPU is checked against it.
 */
static u32 nr_cpus;
/* CPUs an RT or deadline task holds, between ops.cpu_release and ops.cpu_acquire (take_stranded_resume). */
static u32 nr_cpus_released;
/* When the last input event arrived (bpf_ktime_get_ns), ns. */
static u64 last_input_ns;
/* The wakeup timer is armed (0/1): it re-arms itself only while interactive work waits. */
static u32 timer_armed;
/*
 * Pinned interactive tasks waiting in the CPUs' own queues, all CPUs together. While it is 0 no CPU's own
 * queue needs a look (a kfunc call each: see "Costs" at the top). A task is counted once, from its insert
 * until it runs, so this is never below the true number; one that leaves the scheduler while counted (moved
 * to another class) keeps it above 0, which costs only those looks.
 */
static u64 nr_pinned_queued;

/* CPUs running batch work: the O(1) victim set of interactive wake-ups. */
private(GAMER) struct bpf_cpumask __kptr *batch_cpus;
/* CPUs of the highest capacity (preferred_idle_scan). */
private(GAMER) struct bpf_cpumask __kptr *fast_cpus;

/* What a CPU runs, for preemption decisions. */
enum cpu_level {
	LVL_IDLE	= 0,	/* nothing of ours */
	LVL_BATCH	= 1,	/* a batch task: any interactive wake-up may take the CPU */
	LVL_INTER	= 2,	/* an interactive task: preempted only through the EDF margin */
	LVL_GAME	= 3,	/* one of the game's threads: as INTER, but other interactive work never preempts it */
	LVL_GUARD	= 4,	/* a task on a starvation-guard slice: not preempted */
	LVL_OTHER	= 5,	/* taken by a higher scheduling class (RT, deadline) */
};

struct cpu_ctx {
	u64 deadline;		/* deadline of the interactive task running here (claimed by CAS) */
	u64 run_start;		/* when it started */
	u64 last_stop_at;	/* smoothness: when the last task stopped here */
	u8 level;		/* enum cpu_level */
	u8 last_game;		/* smoothness: the last task that stopped here was the game's */
	u8 preempted;		/* a wake-up just took this CPU through its local queue */
	u8 poster;		/* the task running here is frame work that posted work this run (task_ctx.poster) */
	u8 resume_queued;	/* its resume queue may hold a task: set at a put-back, cleared when found empty */
	u32 frame_tgid;		/* the game's tgid while frame work runs here (frame_of), else 0 */
	u64 next_starve_walk;	/* when the starvation guard next looks from here (run_starved) */
	u64 parity_run;		/* run_start of the run its parity timer was armed for (retry_at_parity_end) */
	u64 pad2[1];		/* one cache line per CPU */
};

_Static_assert(sizeof(struct cpu_ctx) == 64, "struct cpu_ctx: one cache line per CPU");

struct cpu_ctx cpu_ctxs[MAX_CPUS];

struct task_ctx {
	u64 vtime;		/* weighted vruntime, ns of virtual time; never the deadline */
	u64 deadline;		/* the deadline it was last queued or started with */
	u64 last_run_at;	/* when it last started running */
	u64 run_since_wake;	/* CPU time since it last woke up */
	u64 avg_burst;		/* moving average of run_since_wake at wake-up */
	u64 slept_at;		/* when it last went to sleep (any task: task_is_busy) */
	u64 avg_sleep;		/* moving average of how long it slept before a wake-up */
	u64 enq_at;		/* when it was last queued (starvation guard) */
	u64 wake_at;		/* smoothness: when a game thread woke, until it runs */
	u64 last_wake_at;	/* smoothness: its previous wake-up (render pacing) */
	u64 last_start_at;	/* ... its previous wake-up from outside the game (a frame start) */
	u64 mig_window_start;	/* start of the current migration window */
	u64 class_gen;		/* class_gen when cls was read */
	u32 mig_count;		/* moves in the current window */
	s32 claimed;		/* a batch CPU select_cpu claimed for this wake-up, +1 (0: none) */
	u8 cls;			/* enum gamer_thread_class */
	u8 batch;		/* classified batch */
	u32 judged_under;	/* batch_burst_us its avg_burst was gathered under (judge_afresh) */
	u64 slice_end;		/* batch: when the slice it started with runs out */
	u8 guarded;		/* picked by the starvation guard for its next run */
	u8 stay;		/* the migration limiter keeps this wake-up on its CPU */
	u8 resumed;		/* batch: put back on its CPU after a preemption (see resume_after_preemption) */
	u64 game_wakeups;	/* wake-ups as a game thread while behaviour_on (report_behaviour) */
	u8 pinned_queued;	/* counted in nr_pinned_queued: waits in its CPU's own queue */
	u8 yielded;		/* called sched_yield(): gives its CPU up at this dispatch (gamer_yield) */
	u64 wake_dl;		/* frame work: the deadline its wake-up gave it (frame_deadline) */
	u8 poster;		/* frame work that woke its own game's frame work since it woke (frame_deadline) */
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

/* Wake-up latency of the game's threads, one histogram per thread class. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_CLASSES);
	__type(key, u32);
	__type(value, struct gamer_lat_hist);
} smooth_lat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct gamer_smooth);
} smooth SEC(".maps");

/* Process and scheduler events for userspace, which sleeps on this instead of polling. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_BYTES);
} events SEC(".maps");

struct wakeup_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct wakeup_timer);
} wakeup_timers SEC(".maps");

/* One per CPU: tries a game wake-up again when the CPU's run to parity ends (retry_at_parity_end). */
struct parity_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, u32);
	__type(value, struct parity_timer);
} parity_timers SEC(".maps");

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
	u32 b = 0;

	if (!h)
		return;
	/* log2 buckets: <100ns, then doubling up to >=102.4us. */
	if (ns >= HIST_BASE_NS)
		b = MIN(log2_u64(ns / HIST_BASE_NS) + 1, HIST_BUCKETS - 1);
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
#define PROF_START(name) u64 __prof_##name = stats_on ? bpf_ktime_get_ns() : 0
#define PROF_END(name)								\
	do {									\
		if (stats_on)							\
			hist_record(HIST_ID_##name, bpf_ktime_get_ns() - __prof_##name);	\
	} while (0)

/* ---- lookups ---- */

static __always_inline struct task_ctx *lookup_task_ctx(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, p, 0, 0);
}

static __always_inline struct cpu_ctx *lookup_cpu_ctx(s32 cpu)
{
	if (cpu < 0 || cpu >= MAX_CPUS)
		return NULL;
	return &cpu_ctxs[cpu & (MAX_CPUS - 1)];
}

static __always_inline u64 cpu_dsq(s32 cpu)
{
	return CPU_DSQ_BASE + (u64)cpu;
}

static __always_inline u64 resume_dsq(s32 cpu)
{
	return RESUME_DSQ_BASE + (u64)cpu;
}

/* A pinned task goes into its CPU's own queue: count it (once) until it runs. */
static __always_inline void count_pinned(struct task_ctx *tctx)
{
	if (tctx->pinned_queued)
		return;
	tctx->pinned_queued = 1;
	__sync_fetch_and_add(&nr_pinned_queued, 1);
}

static __always_inline void uncount_pinned(struct task_ctx *tctx)
{
	if (!tctx->pinned_queued)
		return;
	tctx->pinned_queued = 0;
	__sync_fetch_and_sub(&nr_pinned_queued, 1);
}

/* Does interactive work wait that @cpu could run: in the shared queue, or in its own? */
static __always_inline bool inter_waiting(s32 cpu)
{
	return scx_bpf_dsq_nr_queued(INTER_DSQ) > 0 ||
	       (nr_pinned_queued && scx_bpf_dsq_nr_queued(cpu_dsq(cpu)) > 0);
}

static __always_inline bool cpu_allowed(const struct task_struct *p, s32 cpu)
{
	return cpu >= 0 && bpf_cpumask_test_cpu(cpu, p->cpus_ptr);
}

static __always_inline bool is_game(const struct task_struct *p)
{
	u32 game = game_tgid;

	return game && p->tgid == game;
}

/* ---- classification ---- */

/* The task's class: from userspace's map when it classified the thread, else game or other; cached. */
static u8 task_class(struct task_struct *p, struct task_ctx *tctx)
{
	u64 gen = class_gen;
	u32 tid = p->pid;
	u8 *cls;

	if (tctx->class_gen == gen)
		return tctx->cls;
	cls = bpf_map_lookup_elem(&thread_class, &tid);
	if (cls && *cls < NR_CLASSES)
		tctx->cls = *cls;
	else
		tctx->cls = is_game(p) ? CLASS_GAME : CLASS_OTHER;
	tctx->class_gen = gen;
	return tctx->cls;
}

/* The game's threads and the classes on a frame's path (never batch, they may preempt other work). */
static __always_inline bool class_is_critical(u8 cls)
{
	return cls == CLASS_GAME || cls == CLASS_INPUT || cls == CLASS_GPU_SUBMIT ||
	       cls == CLASS_AUDIO || cls == CLASS_COMPOSITOR;
}

/* A thread of the game or of a class on a frame's path: it may preempt other interactive work. */
static __always_inline bool on_frame_path(struct task_struct *p, struct task_ctx *tctx)
{
	return is_game(p) || class_is_critical(task_class(p, tctx));
}

/* Threads an input event boosts. */
static __always_inline bool class_is_boosted(u8 cls)
{
	return cls == CLASS_GAME || cls == CLASS_INPUT || cls == CLASS_GPU_SUBMIT;
}

static __always_inline u64 batch_burst_ns(void)
{
	return CLAMP(batch_burst_us, BATCH_BURST_MIN_US, BATCH_BURST_MAX_US) * NSEC_PER_USEC;
}

/*
 * Does the task want more than half a CPU (its average run per wake-up at least as long as its average
 * sleep)? Such a task is throughput work even when its runs are short: an encoder of 1.5 ms per 2 ms slot
 * wants 75% of a CPU, and three of them beside a game on 2 CPUs want more than the machine has. Judged only
 * by its runs against a 2.5 ms threshold it was interactive, or batch after it fell behind its slots, by
 * luck: the game missed 2-52% of frames across boots with the same defaults. Sleep, not the time between
 * wake-ups: that includes the time it waited for a CPU, so an interactive encoder kept waiting by the game
 * looked light and stayed interactive (the game missed 95-99% of frames so).
 */
static __always_inline bool task_is_busy(struct task_ctx *tctx)
{
	return tctx->slept_at && tctx->avg_burst >= tctx->avg_sleep;
}

/*
 * Batch or interactive. @ran is CPU time of the current run not yet charged (0 outside a run). Honour the
 * policy first, then userspace's classes; behaviour decides the rest: a task is batch while its current or
 * average run reaches the threshold, or half of it while it wants more than half a CPU (task_is_busy). A
 * burst is CPU time since the task last slept or woke another task (end_burst_on_handoff), so a thread
 * handing work on is judged by its runs between hand-offs. No hysteresis on the run length: a task whose
 * start ran long (a program's first run, a nice-19 task of 2 ms every 100 ms) stayed batch while its runs
 * were above half the threshold, and a batch task beside interactive work runs only when that leaves it a
 * CPU. The moving averages (a wake-up moves them a quarter of the way) keep the class from flapping.
 */
static bool task_is_batch(struct task_struct *p, struct task_ctx *tctx, u64 ran)
{
	u64 threshold = batch_burst_ns();
	u64 burst;
	u8 cls;

	if (p->policy == SCHED_IDLE || p->policy == SCHED_BATCH)
		return true;
	/* The game's threads are all on the frame's path (job workers too, whatever their names say). */
	if (is_game(p))
		return false;
	cls = task_class(p, tctx);
	if (cls == CLASS_BACKGROUND)
		return true;
	if (class_is_critical(cls) || (p->flags & PF_KTHREAD) || (self_tgid && p->tgid == self_tgid))
		return false;
	burst = MAX(tctx->run_since_wake + ran, tctx->avg_burst);
	return burst >= threshold || (burst >= threshold / 2 && task_is_busy(tctx));
}

/*
 * After a live change of batch_burst_us (a sweep's next config, a profile applied when a game starts, an
 * A/B's other window), forget the run history a task gathered under the old value, as an attach with the
 * new one would find it. The history is not the task's alone: an encoder of 1.5 ms per 2 ms slot made batch
 * at 1 ms is preempted by every interactive wake-up, falls behind its slots, stops sleeping between them
 * and averages 2-4 ms per wake-up (measured in the VM), so under 2.5 ms it stayed batch for as long as the
 * old value's history lasted, and one attach's sweep measured 1 ms's behaviour in 2.5 ms's windows.
 * Called at a wake-up, where the average is updated. The run that wake-up ends began under the old value
 * and is dropped as well: folded in, one 5.7 ms run left a 1.4 ms average with no sleep averaged yet, over
 * half of 2.5 ms while busy, and the task was batch again at once (a CI run).
 * The game's threads start over too (their average is their deadlines' burst term): an attach would find
 * them so, and it is back within a few wake-ups.
 */
static __always_inline void judge_afresh(struct task_ctx *tctx)
{
	if (tctx->judged_under == batch_burst_us)
		return;
	tctx->judged_under = batch_burst_us;
	tctx->avg_burst = 0;
	tctx->avg_sleep = 0;
	tctx->run_since_wake = 0;
}

/* How long the task slept, into its average (task_is_busy); capped like a run. */
static __always_inline void note_sleep(struct task_ctx *tctx, u64 now)
{
	if (tctx->slept_at)
		tctx->avg_sleep = ewma(tctx->avg_sleep, MIN(now - tctx->slept_at, RUN_CAP_MS * NSEC_PER_MSEC));
}

/*
 * Switch a task between the two kinds. Each kind has its own virtual clock, so the task starts at the
 * other clock's "now": no credit carried over, no debt either.
 */
static void set_batch(struct task_ctx *tctx, bool batch)
{
	if (tctx->batch == batch)
		return;
	tctx->batch = batch;
	tctx->vtime = batch ? batch_vtime_now : vtime_now;
}

/* ---- slices, virtual time and deadlines ---- */

/*
 * Bound how far a task's vruntime may be from its kind's clock: at most @behind of credit (a sleeper) and
 * at most @ahead of debt (a long run, or one charged just before it changed kind). Both keep every wait
 * finite: nobody is owed, or owes, more than that.
 */
static __always_inline u64 clamp_vtime(struct task_ctx *tctx, u64 clock, u64 behind, u64 ahead)
{
	if (time_before(tctx->vtime, clock - behind))
		tctx->vtime = clock - behind;
	else if (time_before(clock + ahead, tctx->vtime))
		tctx->vtime = clock + ahead;
	return tctx->vtime;
}

/* Charge the CPU time since the task last started (or was last charged): vruntime and the current burst. */
static __always_inline void charge_run(struct task_struct *p, struct task_ctx *tctx, u64 now)
{
	u64 used = now - tctx->last_run_at;

	tctx->vtime += scale_by_task_weight_inverse(p, used);
	tctx->run_since_wake = MIN(tctx->run_since_wake + used, RUN_CAP_MS * NSEC_PER_MSEC);
	tctx->last_run_at = now;
}

static __always_inline u64 margin_ns(void)
{
	return slice_us * NSEC_PER_USEC;
}

/* Run to parity: parity_us, or the EDF margin when it is 0 (the behaviour from before it was a tunable). */
static __always_inline u64 parity_ns(void)
{
	return parity_us ? parity_us * NSEC_PER_USEC : margin_ns();
}

static __always_inline u64 lag_ns(void)
{
	return slice_lag_us * NSEC_PER_USEC;
}

/* The interactive quantum: slice_us scaled by weight. Below the tick it ends at the next tick. */
static __always_inline u64 inter_slice(const struct task_struct *p)
{
	return CLAMP(scale_by_task_weight(p, slice_us * NSEC_PER_USEC), SLICE_MIN_US * NSEC_PER_USEC,
		     SLICE_MAX_US * NSEC_PER_USEC);
}

static __always_inline bool input_window_active(void)
{
	u64 window = input_window_us * NSEC_PER_USEC;
	u64 last = last_input_ns;

	return window && last && bpf_ktime_get_ns() - last < window;
}

/*
 * An interactive task's deadline: its vruntime (within slice_lag_us of the clock) plus its expected burst,
 * weighted, the weighted burst capped at slice_lag_us. @ran is the current run not yet charged. The cap is
 * on the weighted term: a nice-19 task weighs 1/100 of nice 0, and a 20 ms burst weighted by that put its
 * deadline 2 s of virtual time ahead; under pipe ping-pong the clock advances slowly and a nice-19 kthread
 * waited 5 s, which ejects the scheduler. The game's threads inside an input window move earlier by
 * min(input_window_us, slice_lag_us).
 */
static u64 task_deadline(struct task_struct *p, struct task_ctx *tctx, u64 ran)
{
	PROF_START(deadline);
	u64 lag = lag_ns();
	u64 burst, deadline;

	clamp_vtime(tctx, vtime_now, lag, lag);
	burst = MAX(tctx->run_since_wake + ran, tctx->avg_burst);
	deadline = tctx->vtime + scale_by_task_weight_inverse(p, ran) +
		   MIN(scale_by_task_weight_inverse(p, burst), lag);
	if (input_window_active() && class_is_boosted(task_class(p, tctx))) {
		deadline -= MIN(input_window_us * NSEC_PER_USEC, lag);
		stat_inc(boosted);
	}
	PROF_END(deadline);
	return deadline;
}

/*
 * A batch task's queue key: its vruntime, at most slice_lag_us behind the batch clock and at most one
 * batch slice ahead of it, so a batch task waits at most about one slice per other batch task.
 */
static __always_inline u64 batch_key(struct task_ctx *tctx)
{
	return clamp_vtime(tctx, batch_vtime_now, lag_ns(), BATCH_SLICE_MS * NSEC_PER_MSEC);
}

/* ---- migration limiter ---- */

/* May an interactive task move from @from to @to now? At most mig_max moves per mig_window_ms. */
static bool move_allowed(struct task_ctx *tctx, s32 from, s32 to)
{
	u64 now, window = mig_window_ms * NSEC_PER_MSEC;

	if (from == to || from < 0)
		return true;
	if (enable_numa && cpu_node(from) != cpu_node(to))
		return false;
	stat_inc(mig_attempts);
	now = sched_now();
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

/* ---- idle CPUs ---- */

/* The idle CPU an address space last ran on, claimed. */
static s32 pick_mm_cpu(struct task_struct *p)
{
	u64 key = (u64)p->mm;
	s32 *cpu;

	if (!key)
		return -ENOENT;
	cpu = bpf_map_lookup_elem(&mm_last_cpu, &key);
	if (!cpu)
		return -ENOENT;
	stat_inc(mm_hint_tries);
	if (cpu_allowed(p, *cpu) && scx_bpf_test_and_clear_cpu_idle(*cpu)) {
		stat_inc(mm_hint_hits);
		return *cpu;
	}
	return -EBUSY;
}

/* An idle CPU of the highest capacity, claimed. */
static s32 pick_fast_cpu(struct task_struct *p)
{
	const struct cpumask *fast = cast_mask(fast_cpus);
	s32 cpu;

	if (!fast)
		return -ENOENT;
	cpu = scx_bpf_pick_idle_cpu(fast, 0);
	if (cpu >= 0 && !cpu_allowed(p, cpu)) {
		/* Claimed but not ours to use: let it re-enter idle so others find it. */
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return -EBUSY;
	}
	return cpu;
}

/* A fully idle core, prev's first, claimed. */
static s32 pick_idle_core(struct task_struct *p, s32 prev_cpu)
{
	const struct cpumask *smt = scx_bpf_get_idle_smtmask();
	bool prev_core_idle = bpf_cpumask_test_cpu(prev_cpu, smt);

	scx_bpf_put_idle_cpumask(smt);
	if (prev_core_idle && scx_bpf_test_and_clear_cpu_idle(prev_cpu))
		return prev_cpu;
	return scx_bpf_pick_idle_cpu(p->cpus_ptr, SCX_PICK_IDLE_CORE);
}

/* An idle CPU for a waking task, claimed, in the order the switches ask for; else the kernel's choice. */
static s32 pick_idle_cpu(struct task_struct *p, s32 prev_cpu, u64 wake_flags, bool *is_idle)
{
	s32 cpu = -ENOENT;

	if (mm_affinity)
		cpu = pick_mm_cpu(p);
	if (cpu < 0 && preferred_idle_scan)
		cpu = pick_fast_cpu(p);
	if (cpu < 0 && avoid_smt)
		cpu = pick_idle_core(p, prev_cpu);
	if (cpu >= 0) {
		*is_idle = true;
		return cpu;
	}
	return scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, is_idle);
}

/* Wake an idle CPU that may run @p, for work just queued in a shared queue (replaces a polling timer). */
static void kick_idle_cpu(struct task_struct *p)
{
	s32 cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);

	if (cpu >= 0) {
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		stat_inc(idle_kicks);
	}
}

/* ---- preemption ---- */

/* Take @cpu out of the batch set if it is in it: true means this wake-up owns the preemption. */
static __always_inline bool claim_batch_cpu(s32 cpu)
{
	struct bpf_cpumask *mask = batch_cpus;

	return mask && cpu >= 0 && bpf_cpumask_test_and_clear_cpu(cpu, mask);
}

/*
 * A CPU running batch work that @p may take, claimed: the CPU this wake-up runs on (no IPI), then @p's
 * own CPU, then any batch CPU @p may use. Moves of the task pass the migration limiter. -ENOENT if none.
 */
static s32 claim_batch_victim(struct task_struct *p, struct task_ctx *tctx, s32 own_cpu)
{
	struct bpf_cpumask *mask = batch_cpus;
	s32 this_cpu = bpf_get_smp_processor_id();
	s32 cpu;

	if (!mask)
		return -ENOENT;
	if (this_cpu != own_cpu && cpu_allowed(p, this_cpu) &&
	    bpf_cpumask_test_cpu(this_cpu, cast_mask(mask)) && move_allowed(tctx, own_cpu, this_cpu) &&
	    claim_batch_cpu(this_cpu))
		return this_cpu;
	if (claim_batch_cpu(own_cpu))
		return own_cpu;
	cpu = bpf_cpumask_any_and_distribute(cast_mask(mask), p->cpus_ptr);
	if (cpu < 0 || cpu >= nr_cpus)
		return -ENOENT;
	if (!move_allowed(tctx, own_cpu, cpu) || !claim_batch_cpu(cpu))
		return -ENOENT;
	return cpu;
}

/*
 * x86's preempt count, a per-CPU int since Linux 6.15 (__weak: absent before, and then no wake-up counts
 * as a hand-off). Bits 8-27 count softirq, hardirq and NMI nesting: set, no task is doing what runs now.
 */
extern const int __preempt_count __ksym __weak;
#define IRQ_CONTEXT_MASK	0x0fffff00

static __always_inline bool in_task_context(void)
{
	if (!bpf_ksym_exists(&__preempt_count))
		return false;
	return !(*(int *)bpf_this_cpu_ptr(&__preempt_count) & IRQ_CONTEXT_MASK);
}

/*
 * Is @p being woken by a thread of its own process, from task context (a hand-off: a render thread posting
 * jobs, a job ending)? A timer, an interrupt or another process is not. A wake-up the kernel queues to an
 * idle CPU's wake list runs from that CPU's interrupt and reads as not.
 */
static __always_inline bool woken_by_own_process(struct task_struct *p)
{
	return in_task_context() && bpf_get_current_task_btf()->tgid == p->tgid;
}

/*
 * Does @cpu run the game thread that is waking @p, another of the game's? A thread that posts work (a render
 * thread waking its job workers) goes on with the frame it builds: taking its CPU would only push that
 * frame back, while the woken thread finds a CPU as soon as another game thread sleeps.
 */
static __always_inline bool woken_by_own_game(struct task_struct *p, s32 cpu)
{
	if (cpu != bpf_get_smp_processor_id() || !is_game(p) || !woken_by_own_process(p))
		return false;
	stat_inc(waker_kept);
	return true;
}

/*
 * Frame work keeps its CPU. The game's own threads that build frames (main, render, job and GPU-submit
 * threads; not input or audio, which are short and wait for no frame) run in parallel on the same frames:
 * handing a CPU from one to another does not make a frame's work any smaller, it only pushes back the
 * thread with the most left to do, and the frame waits for the last one. Deadlines favour short bursts, so
 * without this a render thread with 12 ms of work per frame gave its CPU to its own four 3 ms jobs and
 * missed 97-98% of its 60 fps frames (EEVDF 11-19%). So among them the running one keeps its CPU against
 * wake-ups, and one that has posted work since it woke (the render thread: frame_waker) at a quantum's
 * end too, until it sleeps, yields, or has run slice_lag_us since it woke, the bound every wait has. The
 * frame's other threads run on the other CPUs meanwhile. The jobs it posted do not keep theirs at a
 * quantum's end: run to their end, three 7 ms jobs on two CPUs finished two back to back, 14 ms after
 * they were posted, where taking turns ends them together (a 60 fps game with such jobs beside two busy
 * loops missed 29% of its frames, 5% with turns; docs/benchmarks.md, "Frame work's run"). Marking the
 * woken thread a job instead fails a late render thread, which then only its last job wakes.
 *
 * frame_of(): the game's tgid when @p is such a thread within that bound, else 0.
 */
static __always_inline u32 frame_of_run(struct task_struct *p, struct task_ctx *tctx, u64 run_since_wake)
{
	u8 cls;

	if (!is_game(p) || tctx->yielded || run_since_wake >= lag_ns())
		return 0;
	cls = task_class(p, tctx);
	return cls == CLASS_GAME || cls == CLASS_GPU_SUBMIT ? p->tgid : 0;
}

static __always_inline u32 frame_of(struct task_struct *p, struct task_ctx *tctx)
{
	return frame_of_run(p, tctx, tctx->run_since_wake);
}

/*
 * At @p's wake-up (@frame: frame_of() it): the context of the same game's frame work waking it from task
 * context, which is posting work, or NULL. Either way @p starts a run that has posted nothing yet.
 */
static struct task_ctx *frame_waker(struct task_struct *p, struct task_ctx *tctx, u32 frame)
{
	struct task_struct *cur;
	struct task_ctx *wctx;
	struct cpu_ctx *cctx;

	tctx->poster = 0;
	if (!frame || !in_task_context())
		return NULL;
	cur = bpf_get_current_task_btf();
	if (cur == p || cur->tgid != frame || !(wctx = lookup_task_ctx(cur)) || frame_of(cur, wctx) != frame)
		return NULL;
	/*
	 * The waker runs on this CPU: a parity retry spares it from now on (retry_at_parity_end). Written at
	 * its first post only: gamer_running copied the flag when this run started.
	 */
	if (!wctx->poster && (cctx = lookup_cpu_ctx(bpf_get_smp_processor_id())))
		cctx->poster = 1;
	wctx->poster = 1;
	return wctx;
}

/*
 * Frame work's place in the queue (@dl: its deadline by the rules above; @frame: frame_of() it). While it
 * runs, a frame-work thread that has posted work keeps the deadline its wake-up gave it, so put back after
 * a preemption it does not fall behind the jobs it posted since, and the jobs it posts come after it: a
 * thread the game's frame work wakes gets a deadline later than its waker's. Vruntime alone orders them
 * the other way (a render thread uses four times the CPU of each of its four jobs): preempted by its input
 * thread, a 12 ms render thread went back behind its own jobs and resumed after them.
 */
static u64 frame_deadline(struct task_struct *p, struct task_ctx *tctx, u64 dl, bool wakeup, u32 frame)
{
	struct task_ctx *wctx;

	/*
	 * wake_dl is this run's (set at every wake-up); 0 before the first one since attach. Only a thread
	 * that has posted work this run (a render thread) keeps it: jobs posted together take turns by their
	 * advancing deadlines, so they end together.
	 */
	if (!wakeup)
		return frame && tctx->poster && tctx->wake_dl && time_before(tctx->wake_dl, dl) ? tctx->wake_dl : dl;
	wctx = frame_waker(p, tctx, frame);
	if (wctx && !time_before(wctx->wake_dl, dl))
		dl = wctx->wake_dl + 1;
	tctx->wake_dl = dl;
	return dl;
}

/*
 * Run to parity keeps a game thread's CPU for parity_ns() into its run, not until the next tick. A wake-up
 * the window refused waits in the shared queue, and nothing looks at that CPU again before its task sleeps
 * or its slice's end is noticed at a tick (4 ms at HZ=250): beside a game's 7 ms jobs its input thread
 * waited 3.5 ms at p99 under the defaults where EEVDF kept it to 2.5, and 1.9 ms with this
 * (docs/benchmarks.md, "Run to parity ending when its window does, sparing the render thread"). So when
 * the wake-up would win the CPU at the window's end (the running task's deadline grows by what it runs,
 * the margin stays), that CPU's one-shot timer fires then and the queue's head tries again
 * (parity_timer_fn), once per run.
 *
 * Never against frame work that posted work this run (a render thread that handed out its jobs): there the
 * window lasts until the tick, as run to parity was meant to. Retried against a 12 ms render thread too,
 * the input thread cut it about once a millisecond and the heavy game missed 6.4% of its frames against
 * 4.6 (docs/benchmarks.md, "Run to parity ending when its window does: tried, and reverted").
 */
static void retry_at_parity_end(s32 cpu, struct cpu_ctx *cctx, u64 dl, u64 now)
{
	u64 run = cctx->run_start, armed = cctx->parity_run, end = run + parity_ns();
	struct parity_timer *t;
	u32 key = cpu;

	if (armed == run || !time_before(now, end) || !time_before(dl + margin_ns(), cctx->deadline + parity_ns()))
		return;
	if (cctx->poster) {
		stat_inc(parity_spared);
		return;
	}
	if (!__sync_bool_compare_and_swap(&cctx->parity_run, armed, run))
		return;
	t = bpf_map_lookup_elem(&parity_timers, &key);
	if (!t || bpf_timer_start(&t->timer, end - now, 0))
		cctx->parity_run = 0;
	else
		stat_inc(parity_timers);
}

/*
 * May a wake-up with deadline @dl (a game thread if @game; @frame: frame_of() the wakee) take @cpu from
 * the interactive task running there at @now? Only by the EDF margin, only the game may preempt the game,
 * and never the same game's frame work. Claims the CPU by swapping in its own deadline, so a second
 * wake-up compares against this one.
 */
static bool claim_edf_victim(s32 cpu, u64 dl, bool game, u32 frame, u64 now)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	u64 cur, live, margin;

	if (!cctx)
		return false;
	if (cctx->level == LVL_GAME && !game)
		return false;
	if (cctx->level != LVL_INTER && cctx->level != LVL_GAME)
		return false;
	/*
	 * Run to parity among the game's threads: one that just started keeps its CPU for parity_ns() (a
	 * 1 kHz input thread's timer would otherwise take the render thread's CPU several times a frame). A
	 * shorter window trades the game's frames for its input thread's latency where jobs fill the CPUs (a
	 * quarter of the quantum: input p50 0.53 -> 0.20 ms, missed frames 7.8% -> 11.6%), so it is per game.
	 */
	if (cctx->level == LVL_GAME && now - cctx->run_start < parity_ns()) {
		stat_inc(parity_kept);
		if (!(frame && cctx->frame_tgid == frame))
			retry_at_parity_end(cpu, cctx, dl, now);
		return false;
	}
	if (frame && cctx->frame_tgid == frame) {
		stat_inc(frame_kept);
		return false;
	}
	cur = cctx->deadline;
	/* The running task's deadline grows as it runs: charge what it ran since it started. */
	live = cur + (now - cctx->run_start);
	margin = (game && cctx->level == LVL_INTER) ? 0 : margin_ns();
	if (!time_before(dl + margin, live))
		return false;
	return __sync_bool_compare_and_swap(&cctx->deadline, cur, dl);
}

/* Preempt @cpu for @p: into @p's own CPU's local queue directly, or through the shared queue and a kick. */
static __always_inline void preempt_cpu(struct task_struct *p, struct task_ctx *tctx, u64 dl, s32 cpu,
					s32 own_cpu, u64 enq_flags)
{
	struct cpu_ctx *cctx;

	stat_inc(preempt_kicks);
	if (cpu == own_cpu) {
		/* The task's own CPU: at the head of its local queue, no other CPU written to. */
		cctx = lookup_cpu_ctx(cpu);
		/*
		 * A task expected to sleep within its quantum lets the batch task it displaces resume here
		 * right after (resume_after_preemption); a longer one would hand the CPU to it at the tick.
		 */
		if (cctx)
			cctx->preempted = MAX(tctx->avg_burst, tctx->run_since_wake) < inter_slice(p);
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, inter_slice(p), enq_flags | SCX_ENQ_PREEMPT);
		stat_inc(direct_dispatches);
		if (cpu == bpf_get_smp_processor_id())
			stat_inc(local_preempts);
		return;
	}
	scx_bpf_dsq_insert_vtime(p, INTER_DSQ, inter_slice(p), dl, enq_flags);
	scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
	if (cpu == bpf_get_smp_processor_id())
		stat_inc(local_preempts);
}

/* ---- the wakeup timer (wakeup_timer_us): a safety net while interactive work waits ---- */

/*
 * The timer's period, ns (0: off). At least WAKEUP_TIMER_MIN_US: at 1 us the timer fired as fast as the CPU
 * could run it while tasks waited, and attaching took 3.7 minutes under emulation instead of 3 s.
 */
static __always_inline u64 wakeup_period_ns(void)
{
	return wakeup_timer_us ? MAX(wakeup_timer_us, WAKEUP_TIMER_MIN_US) * NSEC_PER_USEC : 0;
}

static void arm_wakeup_timer(void)
{
	struct wakeup_timer *t;
	u64 period = wakeup_period_ns();
	u32 key = 0;

	if (!period || timer_armed || !__sync_bool_compare_and_swap(&timer_armed, 0, 1))
		return;
	t = bpf_map_lookup_elem(&wakeup_timers, &key);
	if (!t || bpf_timer_start(&t->timer, period, 0))
		timer_armed = 0;
}

/*
 * While interactive tasks wait in the shared queue: wake an idle CPU, else preempt a batch CPU, else
 * preempt the head's CPU if its interactive task used up its quantum and runs with a later deadline.
 * Stops itself when the queue is empty.
 */
static int wakeup_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	u64 period = wakeup_period_ns();
	struct task_struct *head = dsq_peek(INTER_DSQ);
	struct cpu_ctx *cctx;
	s32 cpu;

	if (!period || !head) {
		timer_armed = 0;
		return 0;
	}
	cpu = scx_bpf_pick_idle_cpu(head->cpus_ptr, 0);
	if (cpu >= 0) {
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		stat_inc(idle_kicks);
	} else {
		struct bpf_cpumask *mask = batch_cpus;

		cpu = mask ? bpf_cpumask_any_and_distribute(cast_mask(mask), head->cpus_ptr) : nr_cpus;
		if (cpu < nr_cpus && claim_batch_cpu(cpu)) {
			scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
			stat_inc(preempt_kicks);
		} else {
			u64 now = sched_now();

			cpu = scx_bpf_task_cpu(head);
			cctx = lookup_cpu_ctx(cpu);
			if (cctx && (cctx->level == LVL_INTER || cctx->level == LVL_GAME) &&
			    now - cctx->run_start >= margin_ns() &&
			    claim_edf_victim(cpu, head->scx.dsq_vtime, false, 0, now)) {
				scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
				stat_inc(edf_preempts);
			}
		}
	}
	bpf_timer_start(timer, period, 0);
	return 0;
}

/*
 * The parity window of @key's CPU ended (retry_at_parity_end): the queue's head takes the CPU if it wins it
 * by the rules of a wake-up. Nothing to do when the run it was armed for has ended: that CPU's dispatch
 * already served the queue.
 */
static int parity_timer_fn(void *map, int *key, struct parity_timer *t)
{
	s32 cpu = *key;
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	struct task_struct *head;
	struct task_ctx *hctx;

	/* The run it was armed for is over, or its task has posted work since (retry_at_parity_end). */
	if (!cctx || cctx->parity_run != cctx->run_start || cctx->poster)
		return 0;
	head = dsq_peek(INTER_DSQ);
	if (!head || !cpu_allowed(head, cpu) || !(hctx = lookup_task_ctx(head)))
		return 0;
	if (claim_edf_victim(cpu, head->scx.dsq_vtime, on_frame_path(head, hctx), frame_of(head, hctx),
			     sched_now())) {
		scx_bpf_kick_cpu(cpu, SCX_KICK_PREEMPT);
		stat_inc(parity_retries);
	}
	return 0;
}

/* ---- callbacks ---- */

s32 BPF_STRUCT_OPS(gamer_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	PROF_START(select_cpu);
	struct task_ctx *tctx = lookup_task_ctx(p);
	bool is_idle = false;
	s32 cpu, victim;

	stat_inc(select_cpus);
	if (!tctx)
		return prev_cpu;
	tctx->claimed = 0;
	tctx->stay = 0;
	cpu = pick_idle_cpu(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle && !tctx->batch && !move_allowed(tctx, prev_cpu, cpu)) {
		/*
		 * The limiter refuses the move: release the idle CPU (it must re-enter idle to be found again)
		 * and stay, if the previous CPU can take the task now (idle, batch work, or a later deadline).
		 */
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		cpu = prev_cpu;
		is_idle = scx_bpf_test_and_clear_cpu_idle(prev_cpu);
		tctx->stay = !is_idle;
	}
	if (is_idle) {
		if (tctx->batch) {
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, BATCH_SLICE_MS * NSEC_PER_MSEC, 0);
		} else {
			tctx->deadline = task_deadline(p, tctx, 0);
			tctx->wake_dl = tctx->deadline;
			/*
			 * select_cpu runs before runnable() closes the last burst, and this wake-up starts a
			 * run: a job worker whose last job ran 7 ms read as past a 2 ms slice_lag_us here, so
			 * the render thread that posted it to an idle CPU was not marked a poster.
			 */
			frame_waker(p, tctx, frame_of_run(p, tctx, 0));
			scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, inter_slice(p), 0);
		}
		stat_inc(direct_dispatches);
		goto out;
	}
	/* Nothing idle: an interactive wake-up goes where batch work runs and takes that CPU. */
	if (!tctx->batch && !tctx->stay) {
		victim = claim_batch_victim(p, tctx, prev_cpu);
		if (victim >= 0) {
			tctx->claimed = victim + 1;
			cpu = victim;
		}
	}
out:
	PROF_END(select_cpu);
	return cpu;
}

/*
 * May a batch task waking with vruntime @key take its own CPU from the batch task running there? Among
 * themselves batch tasks are fair as under EEVDF: a sleeper behind by more than the margin preempts.
 * Never interactive work. Claims the CPU in the batch set.
 */
static bool claim_batch_wakeup(s32 cpu, u64 key, u64 now)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);

	if (!cctx || cctx->level != LVL_BATCH)
		return false;
	if (!time_before(key + margin_ns(), cctx->deadline + (now - cctx->run_start)))
		return false;
	return claim_batch_cpu(cpu);
}

/* Is any CPU idle (in the kernel's idle mask)? */
static __always_inline bool any_cpu_idle(void)
{
	const struct cpumask *idle = scx_bpf_get_idle_cpumask();
	bool empty = bpf_cpumask_empty(idle);

	scx_bpf_put_idle_cpumask(idle);
	return !empty;
}

/*
 * A batch task preempted on its CPU by a wake-up goes back to that CPU's resume queue, with what is left
 * of its slice: when the task that took the CPU is done and no interactive work waits, the batch task
 * resumes there ahead of the batch queue, with no trip through the shared queue, and keeps its cache.
 * Not the CPU's local queue: the kernel runs that without asking ops.dispatch, so a loop put back there
 * ran ahead of game threads that queued while it waited (beside 4 loops, before 22% of the job workers'
 * wake-ups and 7.6% of the input thread's, p50 711 us; gamer_running's kick came only after it started).
 * Only while no interactive work waits now, and the slice still ends on time (the queue order among batch
 * tasks holds). Not for interactive tasks: put back so (a render thread preempted by its
 * input thread or its job workers), the game beside 4 loops missed 13% of frames instead of 3.9%, and 51%
 * with its job workers' p99 wait at 22 ms where they could still take their waker's CPU (docs/benchmarks.md).
 */
static bool resume_after_preemption(struct task_struct *p, struct task_ctx *tctx, s32 cpu, u64 now)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	u64 left;

	if (!cctx || !cctx->preempted || cpu != bpf_get_smp_processor_id())
		return false;
	cctx->preempted = 0;
	left = tctx->slice_end - now;
	if ((s64)left < (s64)(SLICE_MIN_US * NSEC_PER_USEC))
		return false;
	if (inter_waiting(cpu))
		return false;
	/* An idle CPU could run it now: the shared queue and a kick, as for any batch task. */
	if (any_cpu_idle())
		return false;
	tctx->resumed = 1;
	cctx->resume_queued = 1;
	scx_bpf_dsq_insert(p, resume_dsq(cpu), left, 0);
	stat_inc(batch_resumes);
	return true;
}

/* A batch task: the batch queue and an idle CPU woken if there is one; interactive work is never preempted. */
static void enqueue_batch(struct task_struct *p, struct task_ctx *tctx, s32 cpu, u64 enq_flags, u64 now)
{
	u64 key = batch_key(tctx);

	stat_inc(batch_enqueues);
	if (!(enq_flags & SCX_ENQ_WAKEUP) && resume_after_preemption(p, tctx, cpu, now))
		return;
	if ((enq_flags & SCX_ENQ_WAKEUP) && claim_batch_wakeup(cpu, key, now)) {
		struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);

		if (cctx)
			cctx->preempted = 1;
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, BATCH_SLICE_MS * NSEC_PER_MSEC, enq_flags | SCX_ENQ_PREEMPT);
		stat_inc(direct_dispatches);
		return;
	}
	scx_bpf_dsq_insert_vtime(p, BATCH_DSQ, BATCH_SLICE_MS * NSEC_PER_MSEC, key, enq_flags);
	kick_idle_cpu(p);
}

void BPF_STRUCT_OPS(gamer_enqueue, struct task_struct *p, u64 enq_flags)
{
	PROF_START(enqueue);
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p), victim, this_cpu;
	bool wakeup = enq_flags & (SCX_ENQ_WAKEUP | SCX_ENQ_REENQ);
	struct cpu_ctx *cctx;
	s32 claimed;
	bool game;
	u32 frame;
	u64 dl, now;

	stat_inc(enqueues);
	if (!tctx) {
		scx_bpf_error("%s[%d] has no task context", p->comm, p->pid);
		return;
	}
	/* One clock read per call (see "Costs" at the top). */
	now = sched_now();
	tctx->enq_at = now;
	claimed = tctx->claimed;
	tctx->claimed = 0;
	if (tctx->batch) {
		enqueue_batch(p, tctx, cpu, enq_flags, now);
		goto out;
	}
	game = on_frame_path(p, tctx);
	frame = frame_of(p, tctx);
	dl = frame_deadline(p, tctx, task_deadline(p, tctx, 0), wakeup, frame);
	tctx->deadline = dl;
	if (wakeup)
		stat_inc(critical_wakeups);

	/* select_cpu claimed a batch CPU and the task was moved there: take it. */
	if (wakeup && claimed == cpu + 1) {
		cctx = lookup_cpu_ctx(cpu);
		if (cctx && cctx->level != LVL_INTER && cctx->level != LVL_GAME && cctx->level != LVL_OTHER) {
			preempt_cpu(p, tctx, dl, cpu, cpu, enq_flags);
			goto out;
		}
	}

	/* Kept on its CPU by the migration limiter: that CPU if it can be taken now, else as any other task. */
	if (tctx->stay) {
		tctx->stay = 0;
		if (wakeup && (claim_batch_cpu(cpu) || claim_edf_victim(cpu, dl, game, frame, now))) {
			preempt_cpu(p, tctx, dl, cpu, cpu, enq_flags);
			goto out;
		}
	}

	/* Pinned: its CPU's own queue, or that CPU at once. */
	if (p->nr_cpus_allowed == 1) {
		if (wakeup && (claim_batch_cpu(cpu) || claim_edf_victim(cpu, dl, game, frame, now))) {
			preempt_cpu(p, tctx, dl, cpu, cpu, enq_flags);
			goto out;
		}
		count_pinned(tctx);
		scx_bpf_dsq_insert_vtime(p, cpu_dsq(cpu), inter_slice(p), dl, enq_flags);
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		goto out;
	}

	if (wakeup) {
		victim = claim_batch_victim(p, tctx, cpu);
		if (victim >= 0) {
			preempt_cpu(p, tctx, dl, victim, cpu, enq_flags);
			goto out;
		}
		/* Every CPU runs interactive work: EDF with a margin, on the task's CPU or this one. */
		this_cpu = bpf_get_smp_processor_id();
		if (!woken_by_own_game(p, cpu) && claim_edf_victim(cpu, dl, game, frame, now)) {
			stat_inc(edf_preempts);
			preempt_cpu(p, tctx, dl, cpu, cpu, enq_flags);
			goto out;
		}
		if (this_cpu != cpu && cpu_allowed(p, this_cpu) && !woken_by_own_game(p, this_cpu) &&
		    claim_edf_victim(this_cpu, dl, game, frame, now)) {
			stat_inc(edf_preempts);
			preempt_cpu(p, tctx, dl, this_cpu, cpu, enq_flags);
			goto out;
		}
		stat_inc(critical_queued);
	}
	scx_bpf_dsq_insert_vtime(p, INTER_DSQ, inter_slice(p), dl, enq_flags);
	kick_idle_cpu(p);
	if (wakeup)
		arm_wakeup_timer();
out:
	PROF_END(enqueue);
}

/* What the starvation guard's walk found: the oldest enq_at of all, and the oldest task @cpu may run. */
struct starve_walk {
	u64 oldest_at;
	u64 pick_at;
	u64 pick_dsq;
	s32 pick_pid;
};

static __always_inline void starve_walk_dsq(struct starve_walk *w, u64 dsq_id, s32 cpu)
{
	struct task_struct *p;

	bpf_for_each(scx_dsq, p, dsq_id, 0) {
		struct task_ctx *tctx = lookup_task_ctx(p);

		if (!tctx)
			continue;
		if (time_before(tctx->enq_at, w->oldest_at))
			w->oldest_at = tctx->enq_at;
		if (time_before(tctx->enq_at, w->pick_at) && cpu_allowed(p, cpu)) {
			w->pick_at = tctx->enq_at;
			w->pick_pid = p->pid;
			w->pick_dsq = dsq_id;
		}
	}
}

/*
 * Run the task that has waited longest, if that is STARVE_MS, on @cpu now for one guarded slice. Not a
 * queue's head: a light (high-nice) task's vruntime keeps it behind the others, and while interactive work
 * fills every CPU batch work runs only here, so waiting for the head would make it wait for every other
 * batch task's share first (a nice-19 task with 2 ms bursts beside pipe ping-pong waited 2.4-2.8 s so).
 * Interactive tasks too: a wake-up's vruntime is at most slice_lag_us behind the clock, but the clock moves
 * only as the tasks at its front run, and while tasks that sleep between short runs fill every CPU
 * (encoders of 1.5 ms per 2 ms slot beside a game) each of their wake-ups starts behind the clock and comes
 * first, and a task that seldom sleeps stays at the front and waits. With slice_lag_us at 541 ms (a random
 * config of bench:loop) khugepaged at nice 19 waited 5.8 s so, and the kernel's watchdog ejected us.
 * The walk is O(tasks queued) and runs when someone may be starving: no task queued where this CPU looks
 * (the shared queues and its own pinned queue) can have waited STARVE_MS before the oldest enq_at its last
 * walk saw plus that much. Each CPU keeps its own time for that: with one for all, a CPU that always
 * dispatched just after another's walk would never look at its own pinned queue.
 */
static bool run_starved(s32 cpu, u64 now)
{
	u64 starve = STARVE_MS * NSEC_PER_MSEC;
	struct starve_walk w = { .oldest_at = now, .pick_at = now, .pick_pid = -1 };
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	struct task_struct *p;

	if (!cctx || time_before(now, cctx->next_starve_walk))
		return false;
	starve_walk_dsq(&w, BATCH_DSQ, cpu);
	starve_walk_dsq(&w, INTER_DSQ, cpu);
	if (nr_pinned_queued)
		starve_walk_dsq(&w, cpu_dsq(cpu), cpu);
	if (cctx->resume_queued)
		starve_walk_dsq(&w, resume_dsq(cpu), cpu);
	/* Walk again at the next dispatch while someone starves (it may be for another CPU to take). */
	cctx->next_starve_walk = now - w.oldest_at >= starve ? now : w.oldest_at + starve;
	if (w.pick_pid < 0 || now - w.pick_at < starve)
		return false;
	bpf_for_each(scx_dsq, p, w.pick_dsq, 0) {
		struct task_ctx *tctx;

		if (p->pid != w.pick_pid)
			continue;
		tctx = lookup_task_ctx(p);
		if (!tctx)
			break;
		tctx->guarded = 1;
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0))
			return true;
		tctx->guarded = 0;
		break;
	}
	return false;
}

/*
 * The interactive queue whose head comes first for @cpu: its own queue or the shared one. Returns the
 * queue id and that head's deadline, or -ENOENT when both are empty.
 */
static s64 first_inter_dsq(s32 cpu, u64 *dl, struct task_struct **headp)
{
	struct task_struct *own = nr_pinned_queued ? dsq_peek(cpu_dsq(cpu)) : NULL;
	struct task_struct *shared = dsq_peek(INTER_DSQ);

	if (own && (!shared || !time_before(shared->scx.dsq_vtime, own->scx.dsq_vtime))) {
		*dl = own->scx.dsq_vtime;
		*headp = own;
		return cpu_dsq(cpu);
	}
	if (shared) {
		*dl = shared->scx.dsq_vtime;
		*headp = shared;
		return INTER_DSQ;
	}
	return -ENOENT;
}

/*
 * At a quantum's end, @head's deadline beating @prev's: does @prev, frame work, keep its CPU against @head,
 * the same game's frame work? Only a poster does; a job gives its turn (frame_turns).
 */
static bool frame_keeps_cpu(struct task_struct *prev, struct task_ctx *pctx, struct task_struct *head)
{
	struct task_ctx *hctx;
	u32 frame = frame_of(prev, pctx);

	if (!frame || !head || head->tgid != frame)
		return false;
	hctx = lookup_task_ctx(head);
	if (!hctx || frame_of(head, hctx) != frame)
		return false;
	if (!pctx->poster) {
		stat_inc(frame_turns);
		return false;
	}
	stat_inc(frame_kept);
	return true;
}

/* Keep @prev on the CPU for another slice; @key is its deadline (interactive) or vruntime (batch) now. */
static __always_inline void keep_prev(struct task_struct *prev, struct task_ctx *pctx, s32 cpu, u64 key,
				      u64 now)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	u64 slice = pctx->batch ? BATCH_SLICE_MS * NSEC_PER_MSEC : inter_slice(prev);

	task_set_slice(prev, slice);
	pctx->slice_end = now + slice;
	if (cctx) {
		cctx->deadline = key;
		cctx->run_start = now;
		cctx->frame_tgid = pctx->batch ? 0 : frame_of(prev, pctx);
	}
	stat_inc(prev_kept);
}

/*
 * Run the task waiting in @cpu's resume queue, if any. A flag, not a queue look, so that a CPU going idle,
 * the common dispatch, pays no kfunc for it; set at the put-back and cleared only when the queue is found
 * empty, so a second task parked behind the first (the guard ran another batch task here) is not left
 * behind. Left set when another CPU took the task (the guard, a stranded take), it costs one empty look.
 */
static __always_inline bool run_resumed(s32 cpu)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);

	if (!cctx || !cctx->resume_queued)
		return false;
	if (scx_bpf_dsq_move_to_local(resume_dsq(cpu)))
		return true;
	cctx->resume_queued = 0;
	return false;
}

/*
 * A batch task waiting in the resume queue of a CPU an RT or deadline task holds (ops.cpu_release): run it
 * here rather than when that CPU comes back. Its local queue went back to our queues at the release; the
 * resume queue cannot (no queue moves in that callback). Looked for only while some CPU is held, by a CPU
 * with no other batch work, and only where that CPU's flag says a task may wait (a read, not a kfunc; the
 * flag is that CPU's to clear).
 */
static bool take_stranded_resume(void)
{
	struct cpu_ctx *c;
	s32 i;

	bpf_for(i, 0, nr_cpus) {
		c = lookup_cpu_ctx(i);
		if (c && c->level == LVL_OTHER && c->resume_queued &&
		    scx_bpf_dsq_move_to_local(resume_dsq(i))) {
			stat_inc(stranded_resumes);
			return true;
		}
	}
	return false;
}

void BPF_STRUCT_OPS(gamer_dispatch, s32 cpu, struct task_struct *prev)
{
	PROF_START(dispatch);
	struct task_ctx *pctx = NULL;
	struct task_struct *head = NULL;
	u64 now = 0, head_dl = 0, prev_key = 0;
	s64 dsq;

	/*
	 * A CPU going idle with nothing queued is the common case: that path looks at the shared queue's head
	 * (at its own queue's only when a pinned task waits somewhere) and tries the batch queue. A look at the
	 * batch queue's head before that move changed nothing measurable (bpf_stats under icount).
	 */
	if (prev && (prev->scx.flags & SCX_TASK_QUEUED)) {
		pctx = lookup_task_ctx(prev);
		/* prev ran until now: charge it, so it competes with what it really used (not a frozen key). */
		if (pctx) {
			now = sched_now();
			charge_run(prev, pctx, now);
			prev_key = pctx->batch ? batch_key(pctx) : task_deadline(prev, pctx, 0);
		}
	}
	dsq = first_inter_dsq(cpu, &head_dl, &head);

	/*
	 * 1. The starvation guard: work that waited too long runs first, whatever else waits. With no prev to
	 * keep and no interactive work queued the batch queue's head runs next anyway (step 3): no look needed
	 * then, the idle CPU's common case.
	 */
	if ((dsq >= 0 || pctx) && run_starved(cpu, now ?: sched_now())) {
		stat_inc(guard_runs);
		stat_inc(dispatches);
		goto out;
	}

	/* 2. Interactive work, earliest deadline first; an interactive prev keeps the CPU unless beaten by the margin. */
	if (pctx && !pctx->batch &&
	    (dsq < 0 || !time_before(head_dl + margin_ns(), prev_key) || frame_keeps_cpu(prev, pctx, head))) {
		keep_prev(prev, pctx, cpu, prev_key, now);
		goto out;
	}
	if (dsq >= 0) {
		if (scx_bpf_dsq_move_to_local(dsq) ||
		    scx_bpf_dsq_move_to_local(dsq == INTER_DSQ ? cpu_dsq(cpu) : INTER_DSQ)) {
			stat_inc(dispatches);
			goto out;
		}
	}
	if (pctx && !pctx->batch) {
		keep_prev(prev, pctx, cpu, prev_key, now);
		goto out;
	}

	/*
	 * 3. Batch work: first the task preempted here, then by vruntime (a batch prev keeps the CPU while it
	 * is not behind the queue's head), then one stranded on a CPU an RT or deadline task holds.
	 */
	if (run_resumed(cpu)) {
		stat_inc(dispatches);
		goto out;
	}
	if (pctx && pctx->batch) {
		head = dsq_peek(BATCH_DSQ);
		if (!head || !time_before(head->scx.dsq_vtime, prev_key)) {
			keep_prev(prev, pctx, cpu, prev_key, now);
			goto out;
		}
	}
	if (scx_bpf_dsq_move_to_local(BATCH_DSQ) || (nr_cpus_released && take_stranded_resume())) {
		stat_inc(dispatches);
		goto out;
	}
	if (pctx)
		keep_prev(prev, pctx, cpu, prev_key, now);
out:
	PROF_END(dispatch);
}

void BPF_STRUCT_OPS(gamer_tick, struct task_struct *p)
{
	s32 cpu = bpf_get_smp_processor_id();
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	struct task_ctx *tctx;
	u64 now;

	if (!cctx)
		return;
	if (cctx->level == LVL_BATCH) {
		/* Interactive work waits (a kick lost a race): the batch slice ends now. */
		if (inter_waiting(cpu)) {
			task_set_slice(p, 0);
			stat_inc(tick_preempts);
		}
		return;
	}
	if (cctx->level != LVL_INTER)
		return;
	/*
	 * A task that runs on without sleeping becomes batch here, not only when it next stops. What it ran
	 * so far is charged first, on the interactive clock, so it does not enter the batch queue in debt.
	 */
	tctx = lookup_task_ctx(p);
	if (!tctx)
		return;
	now = sched_now();
	charge_run(p, tctx, now);
	if (task_is_batch(p, tctx, 0)) {
		set_batch(tctx, true);
		cctx->level = LVL_BATCH;
		cctx->deadline = tctx->vtime;
		cctx->run_start = now;
		if (batch_cpus)
			bpf_cpumask_set_cpu(cpu, batch_cpus);
	}
}

static __always_inline void pace_record(u64 *buckets, u64 *count, u64 *sum_ns, u64 interval)
{
	u32 b = pace_bucket(interval);

	if (b < PACE_BUCKETS)
		buckets[b]++;
	(*count)++;
	*sum_ns += interval;
}

/*
 * The game's smoothness at a wake-up: render pacing. Every wake-up of the pacing thread, and apart those
 * from outside the game: a render thread that waits for its jobs wakes twice a frame (at 60 fps, intervals
 * of 8.5 ms on average, 12.6 at the median), and only the wake-ups by a timer, an interrupt or another
 * process (the compositor) start frames. Userspace picks which to read (lib/sched/smooth.ts).
 */
static void smooth_wakeup(struct task_struct *p, struct task_ctx *tctx, u64 now)
{
	struct gamer_smooth *s;
	u32 zero = 0;
	u64 interval;
	bool start;

	tctx->wake_at = now;
	if (p->pid != pace_tid)
		return;
	start = !woken_by_own_process(p);
	s = bpf_map_lookup_elem(&smooth, &zero);
	interval = now - tctx->last_wake_at;
	tctx->last_wake_at = now;
	if (s && interval <= NSEC_PER_SEC)
		pace_record(s->pace_buckets, &s->pace_count, &s->pace_sum_ns, interval);
	if (!start)
		return;
	interval = now - tctx->last_start_at;
	tctx->last_start_at = now;
	if (s && interval <= NSEC_PER_SEC)
		pace_record(s->start_buckets, &s->start_count, &s->start_sum_ns, interval);
}

/* The game's smoothness when one of its threads runs after a wake-up: latency, and what it waited behind. */
static void smooth_running(struct task_struct *p, struct task_ctx *tctx, struct cpu_ctx *cctx, u64 now)
{
	struct gamer_lat_hist *h;
	struct gamer_smooth *s;
	u32 zero = 0, cls, b;
	u64 wait;

	wait = now - tctx->wake_at;
	cls = task_class(p, tctx);
	tctx->wake_at = 0;
	if ((s64)wait < 0)
		wait = 0;
	h = bpf_map_lookup_elem(&smooth_lat, &cls);
	if (h) {
		b = lat_bucket(wait);
		if (b < LAT_BUCKETS)
			h->buckets[b]++;
		h->count++;
		h->sum_ns += wait;
	}
	s = bpf_map_lookup_elem(&smooth, &zero);
	if (!s)
		return;
	s->waits++;
	s->wait_ns += wait;
	/* The CPU it got ran something else after it woke: it waited behind that; count it if non-game. */
	if (!cctx->last_game && time_before(now - wait, cctx->last_stop_at))
		s->wait_behind_other_ns += wait;
}

/*
 * The running task woke @wakee: its burst ends here, as if it had slept. A thread that hands work on (a
 * render thread posting jobs and frames) is on someone's path even when it never sleeps, which is what it
 * does once it falls behind; classed batch by its run length it would fall further behind (an undetected
 * game under 4 busy loops missed 89% of frames, 41% with this). A busy loop wakes no one. Timers and IPIs
 * wake tasks on behalf of nobody, so wake-ups from interrupt context do not count.
 */
static void end_burst_on_handoff(struct task_struct *wakee, u64 now)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct task_ctx *wctx;

	if (cur == wakee || !cur->pid || (cur->flags & PF_KTHREAD) || !in_task_context())
		return;
	wctx = lookup_task_ctx(cur);
	if (!wctx)
		return;
	charge_run(cur, wctx, now);
	wctx->run_since_wake = 0;
	stat_inc(handoffs);
}

/*
 * Report a game thread's behaviour to userspace's classifier: on its first wake-up, then every
 * BEHAVIOUR_EVERY-th (a hash lookup per wake-up cost a 1 kHz input thread 1000 calls a second; the
 * classifier reads the map every few seconds and wants rates, which a lag of a few wake-ups does not move).
 */
static void report_behaviour(struct task_struct *p, struct task_ctx *tctx)
{
	struct gamer_thread_behaviour *b, fresh = {};
	u32 tid = p->pid;

	if (tctx->game_wakeups++ % BEHAVIOUR_EVERY)
		return;
	b = bpf_map_lookup_elem(&game_threads, &tid);
	if (!b) {
		bpf_map_update_elem(&game_threads, &tid, &fresh, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&game_threads, &tid);
		if (!b)
			return;
	}
	b->avg_run_ns = tctx->avg_burst;
	b->wakeups = tctx->game_wakeups;
	b->last_seen_ns = sched_now();
}

void BPF_STRUCT_OPS(gamer_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx;
	u64 now;

	/* Only a real wake-up closes a burst (not a requeue for affinity, policy or nice changes). */
	if (!(enq_flags & SCX_ENQ_WAKEUP))
		return;
	now = sched_now();
	end_burst_on_handoff(p, now);
	tctx = lookup_task_ctx(p);
	if (!tctx)
		return;
	judge_afresh(tctx);
	note_sleep(tctx, now);
	tctx->avg_burst = ewma(tctx->avg_burst, tctx->run_since_wake);
	tctx->run_since_wake = 0;
	set_batch(tctx, task_is_batch(p, tctx, 0));

	if (!is_game(p))
		return;
	if (smooth_on)
		smooth_wakeup(p, tctx, now);
	if (behaviour_on)
		report_behaviour(p, tctx);
}

/* A starvation-guard slice (run_starved): short, and no wake-up takes it away. */
static __always_inline void run_guarded(struct task_struct *p, struct task_ctx *tctx, struct cpu_ctx *cctx)
{
	tctx->guarded = 0;
	cctx->level = LVL_GUARD;
	task_set_slice(p, MIN(p->scx.slice, GUARD_SLICE_US * NSEC_PER_USEC));
}

void BPF_STRUCT_OPS(gamer_running, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu = bpf_get_smp_processor_id();
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	u64 now = sched_now();

	if (!tctx || !cctx)
		return;
	uncount_pinned(tctx);
	tctx->yielded = 0;
	tctx->last_run_at = now;
	cctx->run_start = now;
	/* A preemption mark is for the task that was put back just before this one starts: no longer current. */
	cctx->preempted = 0;
	if (tctx->batch) {
		if (time_before(batch_vtime_now, tctx->vtime))
			batch_vtime_now = tctx->vtime;
		/* Resumed from a resume queue: what is left of the slice it was preempted in, not a new one. */
		if (tctx->resumed)
			tctx->resumed = 0;
		else
			tctx->slice_end = now + p->scx.slice;
		if (tctx->guarded) {
			run_guarded(p, tctx, cctx);
		} else {
			cctx->level = LVL_BATCH;
			cctx->deadline = tctx->vtime;
			if (batch_cpus)
				bpf_cpumask_set_cpu(cpu, batch_cpus);
		}
	} else {
		if (time_before(vtime_now, tctx->vtime))
			vtime_now = tctx->vtime;
		cctx->deadline = tctx->deadline;
		if (tctx->guarded)
			run_guarded(p, tctx, cctx);
		else
			cctx->level = on_frame_path(p, tctx) ? LVL_GAME : LVL_INTER;
	}
	cctx->frame_tgid = tctx->batch ? 0 : frame_of(p, tctx);
	cctx->poster = !tctx->batch && tctx->poster;
	if (smooth_on && tctx->wake_at && is_game(p))
		smooth_running(p, tctx, cctx, now);
	if (mm_affinity && p->mm) {
		u64 key = (u64)p->mm;
		s32 *last = bpf_map_lookup_elem(&mm_last_cpu, &key);

		/* Written only when it changes: no hash update per context switch. */
		if (!last)
			bpf_map_update_elem(&mm_last_cpu, &key, &cpu, BPF_ANY);
		else if (*last != cpu)
			*last = cpu;
	}
}

void BPF_STRUCT_OPS(gamer_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	s32 cpu = bpf_get_smp_processor_id();
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);
	u64 now = sched_now();

	if (!tctx || !cctx)
		return;
	charge_run(p, tctx, now);
	if (cctx->level == LVL_BATCH && batch_cpus)
		bpf_cpumask_clear_cpu(cpu, batch_cpus);
	cctx->level = LVL_IDLE;
	cctx->frame_tgid = 0;
	if (smooth_on) {
		cctx->last_stop_at = now;
		cctx->last_game = is_game(p);
	}
	if (!runnable)
		tctx->slept_at = now;
	set_batch(tctx, task_is_batch(p, tctx, 0));
}

/*
 * sched_yield(): the kernel would only end the slice; the mark also tells dispatch that this thread gives
 * its CPU up, so frame work does not keep it (a job system's yield loop waits for another game thread).
 */
bool BPF_STRUCT_OPS(gamer_yield, struct task_struct *from, struct task_struct *to)
{
	struct task_ctx *tctx = lookup_task_ctx(from);

	if (tctx)
		tctx->yielded = 1;
	task_set_slice(from, 0);
	return false;
}

void BPF_STRUCT_OPS(gamer_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);

	/* An RT or deadline task took the CPU: what waited in its local queue goes back to our queues. */
	if (cctx && cctx->level != LVL_OTHER) {
		cctx->level = LVL_OTHER;
		__sync_fetch_and_add(&nr_cpus_released, 1);
	}
	stat_inc(cpu_releases);
	scx_bpf_reenqueue_local();
}

void BPF_STRUCT_OPS(gamer_cpu_acquire, s32 cpu, struct scx_cpu_acquire_args *args)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);

	if (cctx && cctx->level == LVL_OTHER) {
		cctx->level = LVL_IDLE;
		__sync_fetch_and_sub(&nr_cpus_released, 1);
	}
}

/* Sleepable: the task context is allocated with GFP_KERNEL, so memory pressure does not fail a fork. */
s32 BPF_STRUCT_OPS_SLEEPABLE(gamer_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ctx *tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!tctx)
		return -ENOMEM;
	tctx->class_gen = ~0ULL;
	tctx->batch = p->policy == SCHED_IDLE || p->policy == SCHED_BATCH;
	tctx->vtime = tctx->batch ? batch_vtime_now : vtime_now;
	return 0;
}

void BPF_STRUCT_OPS(gamer_dump, struct scx_dump_ctx *dctx)
{
	scx_bpf_dump("gamer: policy %d vtime_now %llu batch_vtime_now %llu game %u inter %d batch %d pinned %llu",
		     POLICY_VERSION, vtime_now, batch_vtime_now, game_tgid,
		     scx_bpf_dsq_nr_queued(INTER_DSQ), scx_bpf_dsq_nr_queued(BATCH_DSQ), nr_pinned_queued);
}

void BPF_STRUCT_OPS(gamer_dump_cpu, struct scx_dump_ctx *dctx, s32 cpu, bool idle)
{
	struct cpu_ctx *cctx = lookup_cpu_ctx(cpu);

	if (!cctx || idle)
		return;
	scx_bpf_dump("gamer: cpu %d level %u deadline %llu queued %d", cpu, cctx->level, cctx->deadline,
		     scx_bpf_dsq_nr_queued(cpu_dsq(cpu)));
}

void BPF_STRUCT_OPS(gamer_dump_task, struct scx_dump_ctx *dctx, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	scx_bpf_dump("gamer: class %u batch %u vtime %llu deadline %llu run %llu avg_burst %llu",
		     tctx->cls, tctx->batch, tctx->vtime, tctx->deadline, tctx->run_since_wake,
		     tctx->avg_burst);
}

/* The CPUs of the highest capacity, for preferred_idle_scan. */
static s32 init_fast_cpus(void)
{
	struct bpf_cpumask *mask;
	u32 cap, max_cap = 0;
	s32 i, err;

	err = cpumask_alloc(&fast_cpus);
	if (err)
		return err;
	bpf_for(i, 0, nr_cpus) {
		cap = scx_bpf_cpuperf_cap(i);
		if (cap > max_cap)
			max_cap = cap;
	}
	bpf_rcu_read_lock();
	mask = fast_cpus;
	if (mask) {
		bpf_for(i, 0, nr_cpus) {
			if (scx_bpf_cpuperf_cap(i) >= max_cap)
				bpf_cpumask_set_cpu(i, mask);
		}
	}
	bpf_rcu_read_unlock();
	return 0;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(gamer_init)
{
	struct wakeup_timer *t;
	u32 key = 0;
	s32 err, i;

	nr_cpus = scx_bpf_nr_cpu_ids();
	if (nr_cpus > MAX_CPUS) {
		scx_bpf_error("%u CPU ids: this build covers %d", nr_cpus, MAX_CPUS);
		return -E2BIG;
	}
	err = scx_bpf_create_dsq(INTER_DSQ, -1) ?: scx_bpf_create_dsq(BATCH_DSQ, -1);
	if (err) {
		scx_bpf_error("cannot create the shared queues: %d", err);
		return err;
	}
	bpf_for(i, 0, nr_cpus) {
		err = scx_bpf_create_dsq(cpu_dsq(i), cpu_node(i)) ?: scx_bpf_create_dsq(resume_dsq(i), cpu_node(i));
		if (err) {
			scx_bpf_error("cannot create the queue of CPU %d: %d", i, err);
			return err;
		}
	}
	err = cpumask_alloc(&batch_cpus) ?: init_fast_cpus();
	if (err)
		return err;
	t = bpf_map_lookup_elem(&wakeup_timers, &key);
	if (!t) {
		scx_bpf_error("no wakeup timer slot");
		return -ENOENT;
	}
	bpf_timer_init(&t->timer, &wakeup_timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&t->timer, wakeup_timer_fn);
	bpf_for(i, 0, nr_cpus) {
		struct parity_timer *pt;
		u32 k = i;

		pt = bpf_map_lookup_elem(&parity_timers, &k);
		if (!pt) {
			scx_bpf_error("no parity timer for CPU %d", i);
			return -ENOENT;
		}
		bpf_timer_init(&pt->timer, &parity_timers, CLOCK_MONOTONIC);
		bpf_timer_set_callback(&pt->timer, parity_timer_fn);
	}
	return 0;
}

/* One event into the ring buffer; a full buffer drops it (userspace rescans what it missed). */
static void emit_event(u32 kind, u32 tgid, s64 code, const char *comm, u64 flags)
{
	struct gamer_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return;
	e->kind = kind;
	e->tgid = tgid;
	e->code = code;
	if (comm)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	else
		e->comm[0] = 0;
	bpf_ringbuf_submit(e, flags);
}

void BPF_STRUCT_OPS(gamer_exit, struct scx_exit_info *ei)
{
	RECORD_EXIT(exit_info, exit_dump, ei);
	/* Wake userspace now: the record is complete. */
	emit_event(EVENT_SCHED_EXIT, 0, ei->exit_code, NULL, BPF_RB_FORCE_WAKEUP);
}

/* With no game running, the least time between two wake-ups of userspace for new programs, ms. */
#define EXEC_WAKE_GAP_MS	250
static u64 last_exec_wake;

/*
 * A new program: userspace's game detection looks at it. While a game runs userspace is not woken for it
 * (it reads these at its next game check, every 2 s): a busy machine starting programs must not keep it
 * awake beside the game (each wake-up cost ~40 ms of CPU under emulation). With no game it is woken, at
 * most every EXEC_WAKE_GAP_MS: until the game is found its render thread is scheduled like any program,
 * batch if it runs batch_burst_us per frame, and a check every 2 s found it 0-2 s late.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(gamer_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	u64 flags = BPF_RB_NO_WAKEUP;
	u64 now;

	if (!game_tgid) {
		now = bpf_ktime_get_ns();
		if (now - last_exec_wake >= EXEC_WAKE_GAP_MS * NSEC_PER_MSEC) {
			last_exec_wake = now;
			flags = BPF_RB_FORCE_WAKEUP;
		}
	}
	emit_event(EVENT_EXEC, p->tgid, 0, p->comm, flags);
	return 0;
}

/* A process ended (its last thread). Only the game's end wakes userspace: it returns to the defaults. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(gamer_process_exit, struct task_struct *p)
{
	if (p->pid == p->tgid)
		emit_event(EVENT_EXIT, p->tgid, 0, p->comm,
			   p->tgid == game_tgid ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
	return 0;
}

/* An accelerometer or gyro (a gamepad's motion sensors): it streams while the pad lies still. */
static __always_inline bool input_is_sensor(struct input_dev *dev)
{
	return BPF_CORE_READ(dev, propbit[0]) & (1UL << INPUT_PROP_ACCELEROMETER);
}

/* Input core hook: key, button, relative and absolute events open the input window; sensors do not. */
SEC("fentry/input_event")
int BPF_PROG(gamer_input_event, struct input_dev *dev, unsigned int type, unsigned int code, int value)
{
	if (type != EV_KEY && type != EV_REL && type != EV_ABS)
		return 0;
	if (type == EV_ABS && input_is_sensor(dev)) {
		stat_inc(sensor_events);
		return 0;
	}
	last_input_ns = bpf_ktime_get_ns();
	stat_inc(input_events);
	return 0;
}

SEC(".struct_ops.link")
struct sched_ext_ops gamer_ops = {
	.select_cpu	= (void *)gamer_select_cpu,
	.enqueue	= (void *)gamer_enqueue,
	.dispatch	= (void *)gamer_dispatch,
	.tick		= (void *)gamer_tick,
	.runnable	= (void *)gamer_runnable,
	.running	= (void *)gamer_running,
	.stopping	= (void *)gamer_stopping,
	.yield		= (void *)gamer_yield,
	.cpu_acquire	= (void *)gamer_cpu_acquire,
	.cpu_release	= (void *)gamer_cpu_release,
	.init_task	= (void *)gamer_init_task,
	.dump		= (void *)gamer_dump,
	.dump_cpu	= (void *)gamer_dump_cpu,
	.dump_task	= (void *)gamer_dump_task,
	.init		= (void *)gamer_init,
	.exit		= (void *)gamer_exit,
	/* flags and hotplug_seq are written by the loader from what the running kernel has. */
	.timeout_ms	= TIMEOUT_MS,
	.exit_dump_len	= EXIT_DUMP_LEN,
	.name		= "gamer",
};
