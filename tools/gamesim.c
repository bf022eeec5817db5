/*
 * gamesim: a process that looks and behaves like a game, for testing and benchmarking scx_gamer.
 *
 * What a detector sees. gamesim re-executes itself once so that the process looks like a Wine game:
 * argv[0] is `Z:\games\game.exe`, comm is `game.exe` (prctl PR_SET_NAME on the main thread) and the
 * environment carries SteamAppId=12345. Its threads are named the way real engines and DXVK name them:
 *
 *   InputThread   woken by input: blocking reads on --input-dev (an evdev node, e.g. the PS/2 keyboard
 *                 the VM harness types on), else a periodic timer at --input-hz (default 1 kHz).
 *   RenderThread  frame-paced at --fps. Each frame: post one job to every worker, do --frame-work-us of
 *                 CPU work, wait for the jobs, hand the frame to dxvk-submit.
 *   dxvk-submit   woken by the render thread once per frame; --submit-work-us of CPU work (short runs,
 *                 high wake rate: what a GPU submit thread looks like to a scheduler).
 *   AudioThread   fixed period (--audio-period-us, default 5 ms), --audio-work-us of work.
 *   WorkerThread  --workers of them, job-system style: all woken at once per frame, --job-us of work each.
 *
 * Background load runs in separate processes (own tgid, own cmdline, no SteamAppId) so they never look
 * like part of the game: --hogs N busy loops named `bg-hog`, with --bursty one `bg-bursty` that spins
 * 50 ms then sleeps 50 ms, --encoders N named `bg-encode` that each do --encode-us of CPU work (default
 * 4000) in every --encode-period-us slot (default 6000; what a software video encoder's threads look like
 * beside a game: too short a run to look like a busy loop, two thirds of a CPU each), and with
 * --pipe-pairs N pairs of `bg-pipe` processes bouncing one byte through two pipes as fast as they can
 * (hackbench-like: short runs, a wake-up per bounce). Each counts loop iterations (bounces for the pipes);
 * iterations per second is the throughput the scheduler leaves to the background. --hog-policy idle|batch
 * starts every background process under SCHED_IDLE/SCHED_BATCH (what a user would do by hand with
 * `chrt -i 0`); the report gives the policy each one ran under, read back from the kernel.
 * --background-only runs the background processes alone (no game, comm `gamesim-bg`), e.g. as the busy
 * loops of another benchmark.
 *
 * What is measured, all with CLOCK_MONOTONIC:
 *   - wake-up latency: actual wake time minus intended wake time. Periodic threads sleep with
 *     clock_nanosleep(TIMER_ABSTIME) to their slot, so the intended time is the slot. Threads woken by
 *     another thread (workers, dxvk-submit) use the time the waker posted the work. The input thread with
 *     an evdev node uses the kernel's timestamp of the first event of the batch (EVIOCSCLOCKID set to
 *     CLOCK_MONOTONIC). A periodic thread that falls more than a period behind skips to the next future
 *     slot (counted in missed_periods) rather than running back-to-back "zero latency" catch-up wakes.
 *   - time waited runnable per wake-up (runq): the growth of the thread's run_delay in its schedstat (the
 *     kernel's own account, kept for every scheduling class) from just before it slept to just after it
 *     woke. The part of the wake-up latency the scheduler owns: the latency above also holds the timer's
 *     lateness, which under emulation (TCG) is most of a periodic thread's p99.
 *   - frames: the run is cut into frame slots of 1/fps. A frame is missed when it completes after the end
 *     of its slot; a slot that passes entirely while the previous frame is still running is dropped and
 *     counts as missed too. frames = presented + dropped. frame time = time between completions.
 *   - CPU work is CPU time, not wall time: a thread spins until its CLOCK_THREAD_CPUTIME_ID advanced by
 *     the requested amount, so preemption stretches the frame exactly as it would in a real game.
 *
 * Start: hogs first (each reports ready once named), then the threads; when every thread is named and
 * their schedules begin, one line "gamesim: pid N (game.exe) running ..." goes to stderr, so a scenario
 * can wait for it before looking at /proc. duration_s is the measured window, from the common start to
 * the stop flag (joining the threads afterwards is not in it). SIGTERM or SIGINT ends the window early
 * and the report is still written.
 *
 * Output: one JSON object on stdout at the end (and in --json FILE): per role (input, render, submit,
 * audio, worker) the threads (name, tid), wakeups and latency p50/p99/p99.9/max/mean in microseconds,
 * runq_wakeups and runq p50/p99/max;
 * render adds frames, missed frames and share, frame-time p50/p99/max; background gives iterations and
 * iterations/s per background process (with its name and policy) and in total; cpu gives, over the window,
 * the seconds the game's threads and the background processes ran and waited runnable (schedstats) and the
 * machine's busy and idle seconds (/proc/stat). Percentiles are nearest-rank; a role without samples has
 * nulls. With --background-only there is no "roles" object. With --steady-after S each role also has
 * "steady": the same latency figures (and for render the missed share) over what came after the first S
 * seconds only, to tell a game's start (a loader looking at it, cold code) from its steady play.
 *
 * Build: gcc -O2 -static -pthread -o gamesim gamesim.c (the VM harness does this). Exit status: 0 on
 * success, 2 on a bad command line, 1 on a runtime failure; errors are one line on stderr.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/input.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GAME_ARGV0 "Z:\\games\\game.exe"
#define GAME_COMM "game.exe"
#define STEAM_APP_ID "12345"
#define REEXEC_ENV "GAMESIM_AS_GAME"
#define MAX_WORKERS 64
#define MAX_HOGS 64
#define MAX_PIPE_PAIRS 16
#define BURST_PERIOD_NS 100000000LL /* bursty hog: 100 ms cycle ... */
#define BURST_ON_NS 50000000LL      /* ... of which 50 ms spinning */
#define MAX_ENCODERS 16
#define STOP_POLL_MS 50             /* how often blocked threads look at the stop flag */

typedef int64_t ns_t;

struct options {
	double duration_s;
	int fps;
	int frame_work_us;
	int workers;
	int job_us;
	int submit_work_us;
	int audio_period_us;
	int audio_work_us;
	const char *input_dev;
	int input_hz;
	int input_work_us;
	int hogs;
	int bursty;
	int encoders;
	int encode_us;
	int encode_period_us;
	int pipe_pairs;
	const char *hog_policy;
	int background_only;
	double steady_after_s;
	const char *json_path;
};

static struct options opt = {
	.duration_s = 10,
	.fps = 144,
	.frame_work_us = 2000,
	.workers = 2,
	.job_us = 500,
	.submit_work_us = 50,
	.audio_period_us = 5000,
	.audio_work_us = 200,
	.input_dev = NULL,
	.input_hz = 1000,
	.input_work_us = 50,
	.hogs = 0,
	.bursty = 0,
	.encoders = 0,
	.encode_us = 4000,
	.encode_period_us = 6000,
	.pipe_pairs = 0,
	.hog_policy = "other",
	.background_only = 0,
	.json_path = NULL,
};

static atomic_int stop_flag;

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("gamesim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void bad_usage(const char *fmt, ...);

static ns_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ns_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static ns_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (ns_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_until(ns_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Spin until this thread has used `us` microseconds of CPU time (see the header: work is CPU time). */
static void cpu_work(int us)
{
	ns_t end = thread_cpu_ns() + (ns_t)us * 1000;
	volatile uint64_t sink = 0;
	while (thread_cpu_ns() < end)
		for (int i = 0; i < 64; i++)
			sink += i;
}

/* ---- samples ---------------------------------------------------------------------------------- */

/* A growable array of durations in ns; each thread owns its own, so no locking. */
struct samples {
	ns_t *v;
	size_t n, cap;
	/*
	 * Index of the first sample taken after --steady-after: SIZE_MAX while a thread's own samples wait for
	 * steady play (thread_begin), else 0. One writer: the owner.
	 */
	size_t steady_from;
};

/* Steady play starts here (--steady-after; 0: off). Written before the threads start, read-only after. */
static ns_t t_steady;

static void samples_init(struct samples *s, size_t expect)
{
	s->cap = expect + 1024;
	s->n = 0;
	s->steady_from = 0;
	s->v = malloc(s->cap * sizeof(*s->v));
	if (!s->v)
		die("out of memory for %zu samples", s->cap);
}

static void samples_add(struct samples *s, ns_t x)
{
	if (s->n == s->cap) {
		s->cap *= 2;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory for %zu samples", s->cap);
	}
	/* One clock read per sample until steady play starts, none after (and none without --steady-after). */
	if (s->steady_from == SIZE_MAX && now_ns() >= t_steady)
		s->steady_from = s->n;
	s->v[s->n++] = x;
}

static int cmp_ns(const void *a, const void *b)
{
	ns_t x = *(const ns_t *)a, y = *(const ns_t *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const struct samples *s, double p)
{
	double exact = p * (double)s->n;
	size_t rank = (size_t)exact;
	if ((double)rank < exact)
		rank++; /* ceil without libm */
	if (rank < 1)
		rank = 1;
	return (double)s->v[rank - 1] / 1000.0;
}

/* ---- thread state ------------------------------------------------------------------------------ */

struct thread_stat {
	char name[16];
	pid_t tid;
	struct samples lat;  /* wake-up latencies */
	struct samples runq; /* time waited runnable per wake-up (the kernel's run_delay; runq_since) */
	int schedstat_fd;    /* this thread's /proc/thread-self/schedstat; -1: no run-queue figures */
	uint64_t missed_periods;
	uint64_t events;     /* input events read (input thread with --input-dev) */
};

static struct thread_stat st_input, st_render, st_submit, st_audio, st_workers[MAX_WORKERS];

/* Frame accounting, owned by the render thread. */
static struct samples frame_times;
static uint64_t frames_presented, frames_late, frames_dropped;
/* The three counters when the first frame slot of steady play began (render thread's own; 0 without). */
static uint64_t steady_presented, steady_late, steady_dropped;
static int steady_frames_started;

/*
 * Start line: every thread names itself and reports ready; then main sets t_start and lets them go, so
 * slow thread creation (cold code under emulation) never shows up as late first frames, and anyone
 * watching sees every thread named by the time the "running" line is printed.
 */
static ns_t t_start;
static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static int threads_ready, started;

/* The job board: the render thread posts one job per worker per frame and waits for all of them. */
static pthread_mutex_t jobs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_posted = PTHREAD_COND_INITIALIZER;
static pthread_cond_t jobs_done = PTHREAD_COND_INITIALIZER;
static uint64_t jobs_gen;
static ns_t jobs_post_time;
static int jobs_pending;

/* The submit slot: one pending frame at a time; a frame handed over while one waits is coalesced. */
static pthread_mutex_t submit_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t submit_cv = PTHREAD_COND_INITIALIZER;
static int submit_pending;
static ns_t submit_post_time;
static uint64_t submit_coalesced;

static void thread_begin(struct thread_stat *s, const char *name, size_t expect)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	pthread_setname_np(pthread_self(), s->name);
	s->tid = (pid_t)syscall(SYS_gettid);
	samples_init(&s->lat, expect);
	samples_init(&s->runq, expect);
	s->schedstat_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	if (opt.steady_after_s > 0)
		s->lat.steady_from = s->runq.steady_from = SIZE_MAX;
	pthread_mutex_lock(&start_mu);
	threads_ready++;
	pthread_cond_broadcast(&start_cv);
	while (!started)
		pthread_cond_wait(&start_cv, &start_mu);
	pthread_mutex_unlock(&start_mu);
}

/*
 * The time this thread has waited runnable, in total (the second field of its schedstat: the kernel's
 * sched_info run_delay, kept by the core scheduler for every class); -1 when it cannot be read. One pread
 * of a file kept open: 0.4 us natively.
 */
static ns_t run_delay_ns(const struct thread_stat *s)
{
	char buf[96];
	if (s->schedstat_fd < 0)
		return -1;
	ssize_t n = pread(s->schedstat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *end;
	strtoull(buf, &end, 10);
	return (ns_t)strtoull(end, NULL, 10);
}

/*
 * Record how long the thread waited runnable since @before (run_delay_ns, read just before it went to
 * sleep): the part of its wake-up latency the scheduler owns. The wake-up latency proper starts at the
 * intended time, so it also holds the timer's own lateness, which under emulation is most of it.
 */
static void runq_since(struct thread_stat *s, ns_t before)
{
	ns_t now = run_delay_ns(s);
	if (before >= 0 && now >= before)
		samples_add(&s->runq, now - before);
}

static size_t expected(double per_s)
{
	return (size_t)(per_s * opt.duration_s * 1.2);
}

/*
 * A periodic thread: sleep to each slot, record lateness, work. If the work ends past the next slot,
 * skip to the first slot still in the future (see the header for why).
 */
static void run_periodic(struct thread_stat *s, ns_t period, int work_us)
{
	ns_t next = t_start + period;
	while (!atomic_load(&stop_flag)) {
		ns_t waited = run_delay_ns(s);
		sleep_until(next);
		samples_add(&s->lat, now_ns() - next);
		runq_since(s, waited);
		cpu_work(work_us);
		next += period;
		ns_t now = now_ns();
		if (next <= now) {
			ns_t behind = (now - next) / period + 1;
			s->missed_periods += (uint64_t)behind;
			next += behind * period;
		}
	}
}

static int input_fd = -1;

/* Open --input-dev in main, before anything starts, so a bad node fails the run up front. */
static void open_input_dev(void)
{
	input_fd = open(opt.input_dev, O_RDONLY | O_NONBLOCK);
	if (input_fd < 0)
		bad_usage("--input-dev %s: cannot open: %s", opt.input_dev, strerror(errno));
	int clk = CLOCK_MONOTONIC;
	if (ioctl(input_fd, EVIOCSCLOCKID, &clk) < 0)
		bad_usage("--input-dev %s: not an evdev node (EVIOCSCLOCKID: %s)", opt.input_dev,
			  strerror(errno));
}

static void *input_main(void *arg)
{
	(void)arg;
	thread_begin(&st_input, "InputThread", expected(opt.input_dev ? 1000 : opt.input_hz));
	if (!opt.input_dev) {
		run_periodic(&st_input, 1000000000LL / opt.input_hz, opt.input_work_us);
		return NULL;
	}
	int fd = input_fd;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct input_event ev[64];
	while (!atomic_load(&stop_flag)) {
		ns_t waited = run_delay_ns(&st_input);
		int r = poll(&pfd, 1, STOP_POLL_MS);
		if (r <= 0)
			continue;
		ssize_t n = read(fd, ev, sizeof(ev));
		ns_t wake = now_ns();
		if (n < (ssize_t)sizeof(ev[0]))
			continue;
		size_t count = (size_t)n / sizeof(ev[0]);
		ns_t first = (ns_t)ev[0].input_event_sec * 1000000000LL + (ns_t)ev[0].input_event_usec * 1000;
		samples_add(&st_input.lat, wake - first);
		runq_since(&st_input, waited);
		for (size_t i = 0; i < count; i++)
			if (ev[i].type == EV_KEY)
				st_input.events++;
		cpu_work(opt.input_work_us);
	}
	close(fd);
	return NULL;
}

static void *audio_main(void *arg)
{
	(void)arg;
	thread_begin(&st_audio, "AudioThread", expected(1e6 / opt.audio_period_us));
	run_periodic(&st_audio, (ns_t)opt.audio_period_us * 1000, opt.audio_work_us);
	return NULL;
}

static void *worker_main(void *arg)
{
	struct thread_stat *s = arg;
	thread_begin(s, "WorkerThread", expected(opt.fps));
	uint64_t seen = 0;
	pthread_mutex_lock(&jobs_mu);
	for (;;) {
		ns_t waited = run_delay_ns(s);
		while (jobs_gen == seen && !atomic_load(&stop_flag))
			pthread_cond_wait(&jobs_posted, &jobs_mu);
		if (atomic_load(&stop_flag))
			break;
		samples_add(&s->lat, now_ns() - jobs_post_time);
		runq_since(s, waited);
		seen = jobs_gen;
		pthread_mutex_unlock(&jobs_mu);
		cpu_work(opt.job_us);
		pthread_mutex_lock(&jobs_mu);
		if (--jobs_pending == 0)
			pthread_cond_signal(&jobs_done);
	}
	pthread_mutex_unlock(&jobs_mu);
	return NULL;
}

static void *submit_main(void *arg)
{
	(void)arg;
	thread_begin(&st_submit, "dxvk-submit", expected(opt.fps));
	pthread_mutex_lock(&submit_mu);
	for (;;) {
		ns_t waited = run_delay_ns(&st_submit);
		while (!submit_pending && !atomic_load(&stop_flag))
			pthread_cond_wait(&submit_cv, &submit_mu);
		if (atomic_load(&stop_flag))
			break;
		samples_add(&st_submit.lat, now_ns() - submit_post_time);
		runq_since(&st_submit, waited);
		submit_pending = 0;
		pthread_mutex_unlock(&submit_mu);
		cpu_work(opt.submit_work_us);
		pthread_mutex_lock(&submit_mu);
	}
	pthread_mutex_unlock(&submit_mu);
	return NULL;
}

static void render_frame(void)
{
	if (opt.workers > 0) {
		pthread_mutex_lock(&jobs_mu);
		jobs_pending = opt.workers;
		jobs_post_time = now_ns();
		jobs_gen++;
		pthread_cond_broadcast(&jobs_posted);
		pthread_mutex_unlock(&jobs_mu);
	}
	cpu_work(opt.frame_work_us);
	if (opt.workers > 0) {
		pthread_mutex_lock(&jobs_mu);
		while (jobs_pending > 0 && !atomic_load(&stop_flag))
			pthread_cond_wait(&jobs_done, &jobs_mu);
		pthread_mutex_unlock(&jobs_mu);
	}
	pthread_mutex_lock(&submit_mu);
	if (submit_pending) {
		submit_coalesced++;
	} else {
		submit_pending = 1;
		submit_post_time = now_ns();
	}
	pthread_cond_signal(&submit_cv);
	pthread_mutex_unlock(&submit_mu);
}

static void *render_main(void *arg)
{
	(void)arg;
	thread_begin(&st_render, "RenderThread", expected(opt.fps));
	samples_init(&frame_times, expected(opt.fps));
	ns_t period = 1000000000LL / opt.fps;
	ns_t last_done = 0;
	int64_t slot = 1;
	while (!atomic_load(&stop_flag)) {
		ns_t begin = t_start + slot * period;
		if (begin > now_ns()) {
			ns_t waited = run_delay_ns(&st_render);
			sleep_until(begin);
			samples_add(&st_render.lat, now_ns() - begin);
			runq_since(&st_render, waited);
		}
		if (atomic_load(&stop_flag))
			break;
		if (t_steady && !steady_frames_started && begin >= t_steady) {
			steady_frames_started = 1;
			steady_presented = frames_presented;
			steady_late = frames_late;
			steady_dropped = frames_dropped;
		}
		render_frame();
		ns_t done = now_ns();
		frames_presented++;
		if (done > begin + period)
			frames_late++;
		if (last_done)
			samples_add(&frame_times, done - last_done);
		last_done = done;
		slot++;
		/* Slots whose whole window passed during this frame were never started: dropped. */
		while (t_start + (slot + 1) * period <= done) {
			frames_dropped++;
			slot++;
		}
	}
	return NULL;
}

/* ---- background load (separate processes) ----------------------------------------------------- */

/* What a background process does; its comm is the kind's name. */
enum bg_kind { BG_HOG, BG_BURSTY, BG_PIPE_A, BG_PIPE_B, BG_ENCODE };
static const char *const bg_comm[] = { "bg-hog", "bg-bursty", "bg-pipe", "bg-pipe", "bg-encode" };
static const char *const bg_arg[] = { "busy", "bursty", "pipe-a", "pipe-b", "encode" };
#define BG_KINDS 5
/* In a pipe pair's children: the fd the byte arrives on and the fd it is sent back on. */
#define PIPE_IN_FD 3
#define PIPE_OUT_FD 4

static volatile sig_atomic_t hog_stop;

static void on_term(int sig)
{
	(void)sig;
	hog_stop = 1;
}

static int policy_of(const char *name)
{
	if (strcmp(name, "other") == 0)
		return SCHED_OTHER;
	if (strcmp(name, "batch") == 0)
		return SCHED_BATCH;
	if (strcmp(name, "idle") == 0)
		return SCHED_IDLE;
	return -1;
}

static const char *policy_name(int policy)
{
	switch (policy) {
	case SCHED_OTHER: return "other";
	case SCHED_BATCH: return "batch";
	case SCHED_IDLE: return "idle";
	case SCHED_FIFO: return "fifo";
	case SCHED_RR: return "rr";
	default: return "unknown";
	}
}

/*
 * Child mode (argv: NAME --hog-child KIND POLICY WORK_US PERIOD_US): take the scheduling policy, then spin
 * (busy), spin and sleep (bursty), do WORK_US of CPU work in every PERIOD_US slot (encode: a slot that
 * passes while the last one's work still runs is skipped, as an encoder drops a frame) or bounce one byte
 * through a pipe pair (pipe-a starts the ball, pipe-b returns it) until SIGTERM; then write "iterations
 * seconds policy" to stdout. The policy is read back from the kernel, so the report says what the process
 * ran under, not what was asked for.
 */
static int hog_main(const char *kind, const char *policy, ns_t work_ns, ns_t period_ns)
{
	enum bg_kind k = BG_HOG;
	for (int i = 0; i < BG_KINDS; i++)
		if (strcmp(kind, bg_arg[i]) == 0)
			k = (enum bg_kind)i;
	prctl(PR_SET_NAME, bg_comm[k]);
	/* No SA_RESTART: SIGTERM must end a pipe child's blocking read. */
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	/* A pipe child whose partner is gone gets EPIPE from write, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	int pol = policy_of(policy);
	struct sched_param sp = { .sched_priority = 0 };
	if (pol < 0 || sched_setscheduler(0, pol, &sp) < 0) {
		fprintf(stderr, "gamesim: %s: cannot take policy %s: %s\n", bg_comm[k], policy,
			pol < 0 ? "unknown policy" : strerror(errno));
		return 1;
	}
	/* Tell the game we are named and counting (it waits for this before starting its threads). */
	if (write(1, "R", 1) != 1)
		return 1;
	ns_t t0 = now_ns();
	uint64_t n = 0;
	char ball = 'b';
	ns_t slot = t0, work_end = thread_cpu_ns() + work_ns;
	if (k == BG_PIPE_A && write(PIPE_OUT_FD, &ball, 1) != 1)
		return 1;
	while (!hog_stop) {
		if (k == BG_PIPE_A || k == BG_PIPE_B) {
			if (read(PIPE_IN_FD, &ball, 1) != 1)
				continue; /* EINTR: hog_stop is set */
			n++;
			if (write(PIPE_OUT_FD, &ball, 1) != 1)
				continue;
			continue;
		}
		n++;
		__asm__ volatile("" : "+r"(n));
		if (k == BG_ENCODE && (n & 1023) == 0 && thread_cpu_ns() >= work_end) {
			ns_t now = now_ns();
			slot += period_ns;
			if (slot < now)
				slot += (now - slot) / period_ns * period_ns + period_ns;
			struct timespec ts = { .tv_sec = slot / 1000000000LL, .tv_nsec = slot % 1000000000LL };
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			work_end = thread_cpu_ns() + work_ns;
		}
		if (k == BG_BURSTY && (n & 1023) == 0) {
			ns_t phase = (now_ns() - t0) % BURST_PERIOD_NS;
			if (phase >= BURST_ON_NS) {
				ns_t wake = now_ns() + (BURST_PERIOD_NS - phase);
				struct timespec ts = { .tv_sec = wake / 1000000000LL, .tv_nsec = wake % 1000000000LL };
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
	}
	printf("%llu %.6f %s\n", (unsigned long long)n, (double)(now_ns() - t0) / 1e9,
	       policy_name(sched_getscheduler(0)));
	return 0;
}

struct hog {
	pid_t pid;
	int fd;
	enum bg_kind kind;
	unsigned long long iterations;
	double seconds;
	char policy[16];
};

static struct hog hogs[MAX_HOGS + 1 + 2 * MAX_PIPE_PAIRS + MAX_ENCODERS];
static int n_hogs;

/* Move fd to `to` in a child about to exec (to may already be taken by another of our fds: dup first). */
static void child_fd(int fd, int to)
{
	if (fd != to && dup2(fd, to) < 0)
		_exit(127);
}

/* Start one background process; pipe children get the fds their ball arrives on and leaves by. */
static void start_bg(enum bg_kind kind, int in_fd, int out_fd)
{
	int p[2];
	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* If the game dies (even by SIGKILL), its background load must not spin on forever. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Park every fd we keep above the ones we assign, so no dup2 below overwrites another. */
		int report = fcntl(p[1], F_DUPFD, 10);
		int in = in_fd >= 0 ? fcntl(in_fd, F_DUPFD, 10) : -1;
		int out = out_fd >= 0 ? fcntl(out_fd, F_DUPFD, 10) : -1;
		child_fd(report, 1);
		if (in >= 0)
			child_fd(in, PIPE_IN_FD);
		if (out >= 0)
			child_fd(out, PIPE_OUT_FD);
		/* A fresh exec with its own argv and no SteamAppId: a background process, not part of the game. */
		char work[16], period[16];
		snprintf(work, sizeof(work), "%d", opt.encode_us);
		snprintf(period, sizeof(period), "%d", opt.encode_period_us);
		char *argv[] = { (char *)bg_comm[kind], "--hog-child", (char *)bg_arg[kind], (char *)opt.hog_policy,
				 work, period, NULL };
		char *envp[] = { "PATH=/usr/bin:/bin", NULL };
		/* Only stdin, stdout, stderr and the pipe pair's fds survive the exec. */
		for (int fd = 3; fd < 1024; fd++)
			if (fd != PIPE_IN_FD && fd != PIPE_OUT_FD)
				close(fd);
		if (in < 0)
			close(PIPE_IN_FD);
		if (out < 0)
			close(PIPE_OUT_FD);
		execve("/proc/self/exe", argv, envp);
		_exit(127);
	}
	close(p[1]);
	char ready;
	if (read(p[0], &ready, 1) != 1 || ready != 'R')
		die("background process %s (pid %d) did not start", bg_comm[kind], pid);
	hogs[n_hogs++] = (struct hog){ .pid = pid, .fd = p[0], .kind = kind };
}

/* A pipe pair: two processes bouncing one byte through two pipes as fast as they can (hackbench-like). */
static void start_pipe_pair(void)
{
	int ab[2], ba[2];
	if (pipe(ab) < 0 || pipe(ba) < 0)
		die("pipe: %s", strerror(errno));
	start_bg(BG_PIPE_A, ba[0], ab[1]);
	start_bg(BG_PIPE_B, ab[0], ba[1]);
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
}

static void stop_hogs(void)
{
	for (int i = 0; i < n_hogs; i++)
		kill(hogs[i].pid, SIGTERM);
	for (int i = 0; i < n_hogs; i++) {
		char buf[128] = { 0 };
		ssize_t r = read(hogs[i].fd, buf, sizeof(buf) - 1);
		int status;
		waitpid(hogs[i].pid, &status, 0);
		if (r <= 0 ||
		    sscanf(buf, "%llu %lf %15s", &hogs[i].iterations, &hogs[i].seconds, hogs[i].policy) != 3)
			die("background process %d (%s, pid %d) reported nothing", i, bg_comm[hogs[i].kind],
			    hogs[i].pid);
		close(hogs[i].fd);
	}
}

/* ---- report ----------------------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* ---- where the CPUs went ------------------------------------------------------------------------ */

/*
 * CPU accounting over the measured window, from every task's schedstat (ns, exact, unlike /proc/stat's and
 * utime's tick sampling, which loses ticks under emulation): what the game's threads and the background
 * processes ran and waited runnable, the machine's idle time, and the rest by command name (the scheduler's
 * own process, kernel threads, a shell). So a report can say whether CPU the background lost went to the
 * game, to other work, or stayed idle. Tasks that start or end inside the window count what they ran in it
 * as far as it can be seen (a task that ended is gone from /proc with its time).
 */
#define ACCT_TASKS 4096
#define ACCT_TOP 4

struct task_acct {
	int pid, tid;
	char comm[16];
	unsigned long long run_ns, wait_ns;
};

struct acct_snap {
	struct task_acct t[ACCT_TASKS];
	int n;
	double idle_s;
	int ok;
};

static struct acct_snap acct_start, acct_end;
static double acct_window_s;

static void snap_task(struct acct_snap *a, int pid, int tid)
{
	char path[64], comm[32] = "";
	unsigned long long run, wait;
	FILE *f;

	if (a->n >= ACCT_TASKS)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	if (!(f = fopen(path, "r")))
		return;
	int ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
	fclose(f);
	if (!ok)
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	if ((f = fopen(path, "r"))) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = 0;
	struct task_acct *t = &a->t[a->n++];
	*t = (struct task_acct){ .pid = pid, .tid = tid, .run_ns = run, .wait_ns = wait };
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
}

static void acct_snapshot(struct acct_snap *a)
{
	a->n = 0;
	a->ok = 0;
	DIR *procs = opendir("/proc");
	struct dirent *p;
	if (!procs)
		return;
	while ((p = readdir(procs))) {
		int pid = atoi(p->d_name);
		char path[64];
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task", pid);
		DIR *tasks = opendir(path);
		struct dirent *t;
		if (!tasks)
			continue;
		while ((t = readdir(tasks)))
			if (atoi(t->d_name) > 0)
				snap_task(a, pid, atoi(t->d_name));
		closedir(tasks);
	}
	closedir(procs);
	/* Idle time is kept in ns by the tickless idle code; /proc/stat shows it in USER_HZ. */
	unsigned long long v[5];
	FILE *f = fopen("/proc/stat", "r");
	a->ok = a->n > 0 && f && fscanf(f, "cpu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4]) == 5;
	if (f)
		fclose(f);
	if (a->ok)
		a->idle_s = (double)(v[3] + v[4]) / (double)sysconf(_SC_CLK_TCK);
}

static int is_bg_pid(int pid)
{
	for (int i = 0; i < n_hogs; i++)
		if (hogs[i].pid == pid)
			return 1;
	return 0;
}

/* Is @tid one of role @r's threads (0 input, 1 render, 2 submit, 3 audio, 4 workers)? */
static int role_of_tid(int r, int tid)
{
	struct thread_stat *const single[4] = { &st_input, &st_render, &st_submit, &st_audio };

	if (r < 4)
		return single[r]->tid == tid;
	for (int i = 0; i < opt.workers; i++)
		if (st_workers[i].tid == tid)
			return 1;
	return 0;
}

/* The "cpu" record of the report: seconds over the window. */
static void json_cpu(FILE *f, double window_s)
{
	double game_run = 0, game_wait = 0, bg_run = 0, bg_wait = 0, other_run = 0, role_run[5] = { 0 };
	static const char *const roles[5] = { "input", "render", "submit", "audio", "worker" };
	/* Per command name; static: a busy machine has hundreds (each kworker's name is its own). */
	static struct { char comm[16]; double run; } top[ACCT_TASKS];
	int n_top = 0;
	int self = getpid();

	if (!acct_start.ok || !acct_end.ok) {
		fputs("  \"cpu\": null\n", f);
		return;
	}
	for (int i = 0; i < acct_end.n; i++) {
		struct task_acct *e = &acct_end.t[i];
		unsigned long long run0 = 0, wait0 = 0;
		/* The same task at the start; a tid reused by a new task (its time below the old one's) starts at 0. */
		for (int j = 0; j < acct_start.n; j++)
			if (acct_start.t[j].tid == e->tid && acct_start.t[j].pid == e->pid &&
			    acct_start.t[j].run_ns <= e->run_ns && acct_start.t[j].wait_ns <= e->wait_ns) {
				run0 = acct_start.t[j].run_ns;
				wait0 = acct_start.t[j].wait_ns;
				break;
			}
		double run = (double)(e->run_ns - run0) / 1e9, wait = (double)(e->wait_ns - wait0) / 1e9;
		if (e->pid == self) {
			game_run += run;
			game_wait += wait;
			for (int r = 0; r < 5; r++)
				if (role_of_tid(r, e->tid))
					role_run[r] += run;
		} else if (is_bg_pid(e->pid)) {
			bg_run += run;
			bg_wait += wait;
		} else {
			other_run += run;
			int k = 0;
			while (k < n_top && strcmp(top[k].comm, e->comm) != 0)
				k++;
			if (k == n_top && n_top < ACCT_TASKS) {
				snprintf(top[n_top].comm, sizeof(top[0].comm), "%s", e->comm);
				top[n_top++].run = 0;
			}
			if (k < n_top)
				top[k].run += run;
		}
	}
	fprintf(f,
		"  \"cpu\": {\"cpus\": %ld, \"window_s\": %.3f, \"game_run_s\": %.3f, \"game_wait_s\": %.3f, "
		"\"bg_run_s\": %.3f, \"bg_wait_s\": %.3f, \"other_run_s\": %.3f, \"idle_s\": %.2f, \"top_other\": [",
		sysconf(_SC_NPROCESSORS_ONLN), window_s, game_run, game_wait, bg_run, bg_wait, other_run,
		acct_end.idle_s - acct_start.idle_s);
	for (int shown = 0; shown < ACCT_TOP && shown < n_top; shown++) {
		int best = shown;
		for (int k = shown + 1; k < n_top; k++)
			if (top[k].run > top[best].run)
				best = k;
		if (best != shown) {
			__typeof__(top[0]) tmp = top[shown];
			top[shown] = top[best];
			top[best] = tmp;
		}
		fprintf(f, "%s{\"comm\": ", shown ? ", " : "");
		json_str(f, top[shown].comm);
		fprintf(f, ", \"run_s\": %.3f}", top[shown].run);
	}
	/* Run time of each role's threads: beside the work they were given, what waking and switching cost them. */
	fputs("], \"role_run_s\": {", f);
	for (int r = 0; r < 5; r++)
		fprintf(f, "%s\"%s\": %.3f", r ? ", " : "", roles[r], role_run[r]);
	fputs("}}\n", f);
}

static void json_latency(FILE *f, struct samples *s)
{
	fprintf(f, "\"wakeups\": %zu, ", s->n);
	if (s->n == 0) {
		fputs("\"lat_p50_us\": null, \"lat_p99_us\": null, \"lat_p999_us\": null, \"lat_max_us\": null, "
		      "\"lat_mean_us\": null",
		      f);
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_ns);
	double sum = 0;
	for (size_t i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	fprintf(f, "\"lat_p50_us\": %.1f, \"lat_p99_us\": %.1f, \"lat_p999_us\": %.1f, \"lat_max_us\": %.1f, "
		   "\"lat_mean_us\": %.1f",
		pct_us(s, 0.50), pct_us(s, 0.99), pct_us(s, 0.999), (double)s->v[s->n - 1] / 1000.0,
		sum / (double)s->n / 1000.0);
}

/* The time waited runnable per wake-up (runq_since): how many, p50, p99, max. */
static void json_runq(FILE *f, struct samples *s)
{
	fprintf(f, "\"runq_wakeups\": %zu, ", s->n);
	if (s->n == 0) {
		fputs("\"runq_p50_us\": null, \"runq_p99_us\": null, \"runq_max_us\": null", f);
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_ns);
	fprintf(f, "\"runq_p50_us\": %.1f, \"runq_p99_us\": %.1f, \"runq_max_us\": %.1f", pct_us(s, 0.50),
		pct_us(s, 0.99), (double)s->v[s->n - 1] / 1000.0);
}

static void json_threads(FILE *f, struct thread_stat *ts, int n)
{
	fputs("\"threads\": [", f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\": ", i ? ", " : "");
		json_str(f, ts[i].name);
		fprintf(f, ", \"tid\": %d}", ts[i].tid);
	}
	fputs("], ", f);
}

/*
 * A role's samples in one set (workers are one role), all of them or only the steady ones: its wake-up
 * latencies, or with @runq its times waited runnable.
 */
static struct samples merged_samples(struct thread_stat *ts, int n, int steady_only, int runq)
{
	struct samples out;
	samples_init(&out, 0);
	for (int i = 0; i < n; i++) {
		const struct samples *in = runq ? &ts[i].runq : &ts[i].lat;
		for (size_t j = steady_only ? in->steady_from : 0; j < in->n; j++)
			samples_add(&out, in->v[j]);
	}
	return out;
}

/* The "steady" object of a role: latencies (and render's missed share) after --steady-after only. */
static void json_steady(FILE *f, struct thread_stat *ts, int n)
{
	struct samples steady = merged_samples(ts, n, 1, 0), steady_runq = merged_samples(ts, n, 1, 1);
	fprintf(f, "\"steady\": {\"after_s\": %.3f, ", opt.steady_after_s);
	json_latency(f, &steady);
	fputs(", ", f);
	json_runq(f, &steady_runq);
	if (ts == &st_render) {
		uint64_t frames = frames_presented + frames_dropped - steady_presented - steady_dropped;
		uint64_t missed = frames_late + frames_dropped - steady_late - steady_dropped;
		if (!steady_frames_started)
			frames = missed = 0;
		fprintf(f, ", \"frames\": %llu, \"missed_share\": %.4f", (unsigned long long)frames,
			frames ? (double)missed / (double)frames : 0.0);
	}
	fputs("}, ", f);
	free(steady.v);
	free(steady_runq.v);
}

static void json_role(FILE *f, const char *role, struct thread_stat *ts, int n, int last)
{
	struct samples all = merged_samples(ts, n, 0, 0), all_runq = merged_samples(ts, n, 0, 1);
	uint64_t missed = 0;
	for (int i = 0; i < n; i++)
		missed += ts[i].missed_periods;
	fprintf(f, "    \"%s\": {", role);
	json_threads(f, ts, n);
	if (opt.steady_after_s > 0)
		json_steady(f, ts, n);
	json_latency(f, &all);
	fputs(", ", f);
	json_runq(f, &all_runq);
	if (ts == &st_input || ts == &st_audio)
		fprintf(f, ", \"missed_periods\": %llu", (unsigned long long)missed);
	if (ts == &st_input)
		fprintf(f, ", \"events\": %llu", (unsigned long long)st_input.events);
	if (ts == &st_submit)
		fprintf(f, ", \"coalesced\": %llu", (unsigned long long)submit_coalesced);
	if (ts == &st_render) {
		uint64_t frames = frames_presented + frames_dropped, missed_frames = frames_late + frames_dropped;
		fprintf(f,
			", \"frames\": %llu, \"presented\": %llu, \"dropped\": %llu, \"missed_frames\": %llu, "
			"\"missed_share\": %.4f",
			(unsigned long long)frames, (unsigned long long)frames_presented,
			(unsigned long long)frames_dropped, (unsigned long long)missed_frames,
			frames ? (double)missed_frames / (double)frames : 0.0);
		if (frame_times.n) {
			qsort(frame_times.v, frame_times.n, sizeof(ns_t), cmp_ns);
			fprintf(f, ", \"frame_time_p50_us\": %.1f, \"frame_time_p99_us\": %.1f, \"frame_time_max_us\": %.1f",
				pct_us(&frame_times, 0.5), pct_us(&frame_times, 0.99),
				(double)frame_times.v[frame_times.n - 1] / 1000.0);
		} else {
			fputs(", \"frame_time_p50_us\": null, \"frame_time_p99_us\": null, \"frame_time_max_us\": null", f);
		}
	}
	fprintf(f, "}%s\n", last ? "" : ",");
	free(all.v);
	free(all_runq.v);
}

static void write_report(FILE *f, double elapsed_s)
{
	fprintf(f, "{\n  \"gamesim\": 1,\n  \"pid\": %d,\n  \"duration_s\": %.3f,\n", getpid(), elapsed_s);
	fprintf(f,
		"  \"config\": {\"fps\": %d, \"frame_work_us\": %d, \"workers\": %d, \"job_us\": %d, "
		"\"submit_work_us\": %d, \"audio_period_us\": %d, \"audio_work_us\": %d, \"input\": ",
		opt.fps, opt.frame_work_us, opt.workers, opt.job_us, opt.submit_work_us, opt.audio_period_us,
		opt.audio_work_us);
	json_str(f, opt.input_dev ? opt.input_dev : "timer");
	fprintf(f,
		", \"input_hz\": %d, \"input_work_us\": %d, \"hogs\": %d, \"bursty\": %s, \"encoders\": %d, "
		"\"encode_us\": %d, \"encode_period_us\": %d, \"pipe_pairs\": %d, \"hog_policy\": \"%s\", "
		"\"background_only\": %s},\n",
		opt.input_dev ? 0 : opt.input_hz, opt.input_work_us, opt.hogs, opt.bursty ? "true" : "false",
		opt.encoders, opt.encode_us, opt.encode_period_us, opt.pipe_pairs, opt.hog_policy,
		opt.background_only ? "true" : "false");
	if (!opt.background_only) {
		fputs("  \"roles\": {\n", f);
		json_role(f, "input", &st_input, 1, 0);
		json_role(f, "render", &st_render, 1, 0);
		json_role(f, "submit", &st_submit, 1, 0);
		json_role(f, "audio", &st_audio, 1, 0);
		json_role(f, "worker", st_workers, opt.workers, 1);
		fputs("  },\n", f);
	}
	fputs("  \"background\": {\"hogs\": [", f);
	unsigned long long total = 0;
	double total_rate = 0;
	for (int i = 0; i < n_hogs; i++) {
		double rate = hogs[i].seconds > 0 ? (double)hogs[i].iterations / hogs[i].seconds : 0;
		total += hogs[i].iterations;
		total_rate += rate;
		fprintf(f, "%s\n    {\"name\": \"%s\", \"pid\": %d, \"policy\": \"%s\", \"iterations\": %llu, "
			   "\"seconds\": %.3f, \"iterations_per_s\": %.0f}",
			i ? "," : "", bg_comm[hogs[i].kind], hogs[i].pid, hogs[i].policy, hogs[i].iterations,
			hogs[i].seconds, rate);
	}
	fprintf(f, "%s], \"total_iterations\": %llu, \"iterations_per_s\": %.0f},\n", n_hogs ? "\n  " : "", total,
		total_rate);
	json_cpu(f, acct_window_s);
	fputs("}\n", f);
}

/* ---- command line ------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fputs("usage: gamesim [--duration S] [--fps N] [--frame-work-us US] [--workers N] [--job-us US]\n"
	      "               [--submit-work-us US] [--audio-period-us US] [--audio-work-us US]\n"
	      "               [--input-dev /dev/input/eventN | --input-hz HZ] [--input-work-us US]\n"
	      "               [--hogs N] [--bursty] [--pipe-pairs N]\n"
	      "               [--encoders N] [--encode-us US] [--encode-period-us US]\n"
	      "               [--hog-policy other|batch|idle]\n"
	      "               [--background-only] [--steady-after S] [--json FILE]\n"
	      "A game-like workload (comm game.exe); prints one JSON report at the end. See gamesim.c.\n",
	      f);
}

static void bad_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("gamesim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static int int_arg(const char *flag, const char *s, int lo, int hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		bad_usage("%s '%s': expected a whole number in %d..%d", flag, s, lo, hi);
	return (int)v;
}

static void parse_args(int argc, char **argv)
{
	enum { O_DURATION = 1, O_FPS, O_FRAME, O_WORKERS, O_JOB, O_SUBMIT, O_APERIOD, O_AWORK, O_IDEV, O_IHZ,
	       O_IWORK, O_HOGS, O_BURSTY, O_ENCODERS, O_ENCODE_US, O_ENCODE_PERIOD, O_PIPES, O_HOG_POLICY,
	       O_BG_ONLY, O_STEADY, O_JSON, O_HELP };
	static const struct option longopts[] = {
		{ "duration", required_argument, 0, O_DURATION },
		{ "fps", required_argument, 0, O_FPS },
		{ "frame-work-us", required_argument, 0, O_FRAME },
		{ "workers", required_argument, 0, O_WORKERS },
		{ "job-us", required_argument, 0, O_JOB },
		{ "submit-work-us", required_argument, 0, O_SUBMIT },
		{ "audio-period-us", required_argument, 0, O_APERIOD },
		{ "audio-work-us", required_argument, 0, O_AWORK },
		{ "input-dev", required_argument, 0, O_IDEV },
		{ "input-hz", required_argument, 0, O_IHZ },
		{ "input-work-us", required_argument, 0, O_IWORK },
		{ "hogs", required_argument, 0, O_HOGS },
		{ "bursty", no_argument, 0, O_BURSTY },
		{ "encoders", required_argument, 0, O_ENCODERS },
		{ "encode-us", required_argument, 0, O_ENCODE_US },
		{ "encode-period-us", required_argument, 0, O_ENCODE_PERIOD },
		{ "pipe-pairs", required_argument, 0, O_PIPES },
		{ "hog-policy", required_argument, 0, O_HOG_POLICY },
		{ "background-only", no_argument, 0, O_BG_ONLY },
		{ "steady-after", required_argument, 0, O_STEADY },
		{ "json", required_argument, 0, O_JSON },
		{ "help", no_argument, 0, O_HELP },
		{ 0, 0, 0, 0 },
	};
	opterr = 0;
	for (;;) {
		int idx = optind;
		int c = getopt_long(argc, argv, "", longopts, NULL);
		if (c == -1)
			break;
		char *end;
		switch (c) {
		case O_DURATION:
			opt.duration_s = strtod(optarg, &end);
			if (end == optarg || *end || !(opt.duration_s > 0 && opt.duration_s <= 86400))
				bad_usage("--duration '%s': expected seconds, a number in (0, 86400]", optarg);
			break;
		case O_FPS: opt.fps = int_arg("--fps", optarg, 1, 1000); break;
		case O_FRAME: opt.frame_work_us = int_arg("--frame-work-us", optarg, 0, 1000000); break;
		case O_WORKERS: opt.workers = int_arg("--workers", optarg, 0, MAX_WORKERS); break;
		case O_JOB: opt.job_us = int_arg("--job-us", optarg, 0, 1000000); break;
		case O_SUBMIT: opt.submit_work_us = int_arg("--submit-work-us", optarg, 0, 1000000); break;
		case O_APERIOD: opt.audio_period_us = int_arg("--audio-period-us", optarg, 100, 1000000); break;
		case O_AWORK: opt.audio_work_us = int_arg("--audio-work-us", optarg, 0, 1000000); break;
		case O_IDEV: opt.input_dev = optarg; break;
		case O_IHZ: opt.input_hz = int_arg("--input-hz", optarg, 1, 10000); break;
		case O_IWORK: opt.input_work_us = int_arg("--input-work-us", optarg, 0, 1000000); break;
		case O_HOGS: opt.hogs = int_arg("--hogs", optarg, 0, MAX_HOGS); break;
		case O_BURSTY: opt.bursty = 1; break;
		case O_ENCODERS: opt.encoders = int_arg("--encoders", optarg, 0, MAX_ENCODERS); break;
		case O_ENCODE_US: opt.encode_us = int_arg("--encode-us", optarg, 1, 1000000); break;
		case O_ENCODE_PERIOD: opt.encode_period_us = int_arg("--encode-period-us", optarg, 1, 1000000); break;
		case O_PIPES: opt.pipe_pairs = int_arg("--pipe-pairs", optarg, 0, MAX_PIPE_PAIRS); break;
		case O_HOG_POLICY:
			if (policy_of(optarg) < 0)
				bad_usage("--hog-policy '%s': expected other, batch or idle", optarg);
			opt.hog_policy = optarg;
			break;
		case O_BG_ONLY: opt.background_only = 1; break;
		case O_STEADY:
			opt.steady_after_s = strtod(optarg, &end);
			if (end == optarg || *end || !(opt.steady_after_s >= 0 && opt.steady_after_s <= 86400))
				bad_usage("--steady-after '%s': expected seconds, a number in [0, 86400]", optarg);
			break;
		case O_JSON: opt.json_path = optarg; break;
		case O_HELP: usage(stdout); exit(0);
		default:
			if (optopt)
				bad_usage("%s: missing value (see --help)", argv[idx]);
			bad_usage("unknown option '%s' (see --help)", argv[idx]);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s' (see --help)", argv[optind]);
	if (opt.encode_us > opt.encode_period_us)
		bad_usage("--encode-us %d: expected at most --encode-period-us (%d)", opt.encode_us,
			  opt.encode_period_us);
}

/* Re-exec once as the "game": Wine-like argv[0] and SteamAppId in the environment (see the header). */
static void become_game(int argc, char **argv)
{
	if (getenv(REEXEC_ENV))
		return;
	extern char **environ;
	size_t n_env = 0;
	while (environ[n_env])
		n_env++;
	char **envp = calloc(n_env + 3, sizeof(*envp));
	char **nargv = calloc((size_t)argc + 1, sizeof(*nargv));
	if (!envp || !nargv)
		die("out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n_env; i++)
		if (strncmp(environ[i], "SteamAppId=", 11) != 0)
			envp[k++] = environ[i];
	envp[k++] = "SteamAppId=" STEAM_APP_ID;
	envp[k++] = REEXEC_ENV "=1";
	nargv[0] = GAME_ARGV0;
	for (int i = 1; i < argc; i++)
		nargv[i] = argv[i];
	execve("/proc/self/exe", nargv, envp);
	die("cannot re-exec /proc/self/exe as the game: %s", strerror(errno));
}

/* SIGTERM or SIGINT ends the run early; the report is still written. */
static volatile sig_atomic_t term_flag;

static void on_main_term(int sig)
{
	(void)sig;
	term_flag = 1;
}

/*
 * Sleep until `end` or a SIGTERM/SIGINT. Only the main thread takes those signals (the game's threads
 * block them), so the signal interrupts this sleep instead of some thread's work, and nothing polls.
 */
static void wait_end(ns_t end)
{
	struct timespec ts = { .tv_sec = end / 1000000000LL, .tv_nsec = end % 1000000000LL };
	while (!term_flag && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void start_background(void)
{
	for (int i = 0; i < opt.hogs; i++)
		start_bg(BG_HOG, -1, -1);
	if (opt.bursty)
		start_bg(BG_BURSTY, -1, -1);
	for (int i = 0; i < opt.encoders; i++)
		start_bg(BG_ENCODE, -1, -1);
	for (int i = 0; i < opt.pipe_pairs; i++)
		start_pipe_pair();
}

static void finish(FILE *json, double elapsed)
{
	stop_hogs();
	write_report(stdout, elapsed);
	fflush(stdout);
	if (json) {
		write_report(json, elapsed);
		if (fclose(json) != 0)
			die("--json %s: write failed: %s", opt.json_path, strerror(errno));
	}
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "--hog-child") == 0)
		return hog_main(argv[2], argv[3], atoll(argv[4]) * 1000, atoll(argv[5]) * 1000);
	parse_args(argc, argv);
	if (!opt.background_only) {
		become_game(argc, argv);
		prctl(PR_SET_NAME, GAME_COMM);
	} else {
		prctl(PR_SET_NAME, "gamesim-bg");
	}
	/* No SA_RESTART: the signal must interrupt wait_end's sleep. */
	struct sigaction sa = { .sa_handler = on_main_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	/* Open the report file first: a bad path should fail before the run, not after it. */
	FILE *json = NULL;
	if (opt.json_path && !(json = fopen(opt.json_path, "w")))
		die("--json %s: cannot write: %s", opt.json_path, strerror(errno));
	if (opt.input_dev && !opt.background_only)
		open_input_dev();

	/* Background first, with the signals still open: children inherit the signal mask across exec. */
	start_background();

	if (opt.background_only) {
		ns_t t0 = now_ns();
		fprintf(stderr,
			"gamesim: pid %d (background only) running %.1f s: %d hogs%s, %d encoders, %d pipe pairs, "
			"policy %s\n",
			getpid(), opt.duration_s, opt.hogs, opt.bursty ? " + bursty" : "", opt.encoders, opt.pipe_pairs,
			opt.hog_policy);
		acct_snapshot(&acct_start);
		wait_end(t0 + (ns_t)(opt.duration_s * 1e9));
		acct_snapshot(&acct_end);
		acct_window_s = (double)(now_ns() - t0) / 1e9;
		finish(json, (double)(now_ns() - t0) / 1e9);
		return 0;
	}

	sigset_t term, old;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	pthread_t th[4 + MAX_WORKERS];
	int n = 0;
	pthread_create(&th[n++], NULL, input_main, NULL);
	pthread_create(&th[n++], NULL, render_main, NULL);
	pthread_create(&th[n++], NULL, submit_main, NULL);
	pthread_create(&th[n++], NULL, audio_main, NULL);
	for (int i = 0; i < opt.workers; i++)
		pthread_create(&th[n++], NULL, worker_main, &st_workers[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_lock(&start_mu);
	while (threads_ready < n)
		pthread_cond_wait(&start_cv, &start_mu);
	t_start = now_ns() + 10000000LL; /* their schedules start together, 10 ms from now */
	if (opt.steady_after_s > 0)
		t_steady = t_start + (ns_t)(opt.steady_after_s * 1e9);
	started = 1;
	pthread_cond_broadcast(&start_cv);
	pthread_mutex_unlock(&start_mu);
	fprintf(stderr,
		"gamesim: pid %d (%s) running %.1f s: %d fps, %d workers, input %s, %d hogs%s%s, %d encoders, "
		"policy %s\n",
		getpid(), GAME_COMM, opt.duration_s, opt.fps, opt.workers, opt.input_dev ? opt.input_dev : "timer",
		opt.hogs, opt.bursty ? " + bursty" : "", opt.pipe_pairs ? " + pipe pairs" : "", opt.encoders,
		opt.hog_policy);

	acct_snapshot(&acct_start);
	ns_t acct_t0 = now_ns();
	wait_end(t_start + (ns_t)(opt.duration_s * 1e9));
	/* Before the stop flag: a thread that has exited takes its time out of /proc. */
	acct_snapshot(&acct_end);
	acct_window_s = (double)(now_ns() - acct_t0) / 1e9;
	atomic_store(&stop_flag, 1);
	/* The measured window ends here; joining threads (and, under load, waiting for them) is not in it. */
	double elapsed = (double)(now_ns() - t_start) / 1e9;
	pthread_mutex_lock(&jobs_mu);
	pthread_cond_broadcast(&jobs_posted);
	pthread_cond_broadcast(&jobs_done);
	pthread_mutex_unlock(&jobs_mu);
	pthread_mutex_lock(&submit_mu);
	pthread_cond_broadcast(&submit_cv);
	pthread_mutex_unlock(&submit_mu);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	finish(json, elapsed);
	return 0;
}
