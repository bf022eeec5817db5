/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The small toolbox every part of scx_gamer's BPF side uses: named helpers of the kind sched-ext/scx's
 * common.bpf.h and compat.bpf.h provide (struct_ops section macros, a bounded loop, weight scaling,
 * scx_bpf_error()/scx_bpf_dump() with printf-style arguments, exit-info recording with the kernel's debug
 * dump), written for this project, plus compatibility wrappers for the kfuncs that differ between the
 * kernels scx_gamer supports.
 *
 * Kfunc naming rule (the loader's preflight relies on it). A kfunc called by its plain name is REQUIRED:
 * the object cannot load without it, and lib/sched/preflight.ts checks the running kernel's BTF for
 * every plain-named kfunc the object references and names the oldest kernel that has them all. A kfunc
 * the object can do without is declared here with a `___compat` flavour suffix (libbpf drops the suffix
 * when it resolves the name in the kernel), weak, and only ever called behind bpf_ksym_exists() with a
 * fallback.
 */
#ifndef __SCX_GAMER_COMMON_H
#define __SCX_GAMER_COMMON_H

#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm-generic/errno-base.h>

/* ---- callbacks ---- */

#define BPF_STRUCT_OPS(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)
#define BPF_STRUCT_OPS_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/* ---- constants the kernel headers do not give a BPF program ---- */

#define NSEC_PER_USEC		1000ULL
#define NSEC_PER_MSEC		1000000ULL
#define NSEC_PER_SEC		1000000000ULL
#define CLOCK_MONOTONIC		1
#define PF_KTHREAD		0x00200000	/* include/linux/sched.h */
#define SCHED_BATCH		3		/* include/uapi/linux/sched.h */
#define SCHED_IDLE		5
#define EV_KEY			0x01		/* include/uapi/linux/input-event-codes.h */
#define EV_REL			0x02
#define EV_ABS			0x03
#define INPUT_PROP_ACCELEROMETER 0x06		/* the device is an accelerometer or gyro */
/* A task's weight at nice 0 as sched_ext reports it (p->scx.weight: 1..10000, nice 0 = 100). */
#define WEIGHT_NICE0		100

extern int LINUX_KERNEL_VERSION __kconfig;
#define KERNEL_VER(a, b, c)	(((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))

/* ---- small arithmetic ---- */

#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#define CLAMP(v, lo, hi)	MIN(MAX((v), (lo)), (hi))

/* Wrap-safe ordering of u64 clocks (virtual time, deadlines). */
static __always_inline bool time_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

/* @v scaled by the task's weight: heavier (lower nice) tasks get proportionally more. */
static __always_inline u64 scale_by_task_weight(const struct task_struct *p, u64 v)
{
	return v * p->scx.weight / WEIGHT_NICE0;
}

/* @v scaled by the inverse of the task's weight: virtual time runs slower for heavier tasks. */
static __always_inline u64 scale_by_task_weight_inverse(const struct task_struct *p, u64 v)
{
	return v * WEIGHT_NICE0 / (p->scx.weight ?: 1);
}

/* floor(log2(v)) for v > 0 (0 for 0), without a loop. */
static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

/* Exponentially weighted moving average: 3/4 old, 1/4 new. */
static __always_inline u64 ewma(u64 old, u64 sample)
{
	return (old * 3 + sample) / 4;
}

/*
 * Loops: bpf_for(i, start, end) from libbpf's bpf_helpers.h (the kernel's open-coded number iterator: the
 * verifier checks the body once however large end is, and i is proven to be in [start, end)).
 */

/* ---- scx_bpf_error() / scx_bpf_exit() / scx_bpf_dump() with printf-style arguments ---- */

#define ___scx_bstr_args(fmt, args...)						\
	static char ___fmt[] = fmt;						\
	unsigned long long ___param[___bpf_narg(args) ?: 1] = {};		\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")			\
	___bpf_fill(___param, args);						\
	_Pragma("GCC diagnostic pop")

#define ___SCX_STR(x)		#x
#define ___SCX_LINE(x)		___SCX_STR(x)

/* Stop the scheduler with an error the loader prints: for states that must never happen. */
#define scx_bpf_error(fmt, args...)						\
	({									\
		___scx_bstr_args(__FILE__ ":" ___SCX_LINE(__LINE__) ": " fmt, ##args) \
		scx_bpf_error_bstr(___fmt, ___param, sizeof(___param));	\
	})

/* One line into the kernel's debug dump (ops.dump, ops.dump_task). */
#define scx_bpf_dump(fmt, args...)						\
	({									\
		___scx_bstr_args(fmt, ##args)					\
		scx_bpf_dump_bstr(___fmt, ___param, sizeof(___param));		\
	})

/* ---- exit info: why the kernel stopped the scheduler, with its debug dump ---- */

/*
 * Copy sched_ext's exit info into the shared struct gamer_exit_info and the dump buffer. kind is written
 * last, through a full barrier: userspace treats a non-zero kind as "the record is complete".
 */
#define RECORD_EXIT(info, dump_buf, ei)						\
	({									\
		bpf_probe_read_kernel_str((info).reason, sizeof((info).reason), (ei)->reason); \
		bpf_probe_read_kernel_str((info).msg, sizeof((info).msg), (ei)->msg); \
		bpf_probe_read_kernel_str((dump_buf), sizeof(dump_buf), (ei)->dump); \
		(info).exit_code = (ei)->exit_code;				\
		__sync_val_compare_and_swap(&(info).kind, (info).kind, (ei)->kind); \
	})

/* ---- optional kfuncs (see the naming rule above) ---- */

u64 scx_bpf_now___compat(void) __ksym __weak;
struct task_struct *scx_bpf_dsq_peek___compat(u64 dsq_id) __ksym __weak;
bool scx_bpf_task_set_slice___compat(struct task_struct *p, u64 slice) __ksym __weak;
int scx_bpf_cpu_node___compat(s32 cpu) __ksym __weak;

/* The rq clock when the kernel offers it (6.14+: cheaper, and stable within a callback), else ktime. */
static __always_inline u64 sched_now(void)
{
	return bpf_ksym_exists(scx_bpf_now___compat) ? scx_bpf_now___compat() : bpf_ktime_get_ns();
}

/* The iterator bpf_for_each() declares, for scx_bpf_dsq_move() on the task it is at. */
#define BPF_FOR_EACH_ITER	(&___it)

/*
 * The first task of a user DSQ, or NULL. The lockless peek kfunc (6.19) could return a stale task before
 * 7.1; there, and where it is missing, walk the DSQ with its iterator (6.12) and take the first task.
 */
static __always_inline struct task_struct *dsq_peek(u64 dsq_id)
{
	struct bpf_iter_scx_dsq it;
	struct task_struct *p = NULL;

	if (bpf_ksym_exists(scx_bpf_dsq_peek___compat) && LINUX_KERNEL_VERSION >= KERNEL_VER(7, 1, 0))
		return scx_bpf_dsq_peek___compat(dsq_id);
	if (!bpf_iter_scx_dsq_new(&it, dsq_id, 0))
		p = bpf_iter_scx_dsq_next(&it);
	bpf_iter_scx_dsq_destroy(&it);
	return p;
}

/* Give a task a new slice: through the kfunc where the kernel checks the caller's authority (6.19). */
static __always_inline void task_set_slice(struct task_struct *p, u64 slice)
{
	if (bpf_ksym_exists(scx_bpf_task_set_slice___compat))
		scx_bpf_task_set_slice___compat(p, slice);
	else
		p->scx.slice = slice;
}

/* The NUMA node of a CPU (6.15), or 0 where the kernel cannot say. */
static __always_inline int cpu_node(s32 cpu)
{
	return bpf_ksym_exists(scx_bpf_cpu_node___compat) ? scx_bpf_cpu_node___compat(cpu) : 0;
}

/* ---- kptr cpumasks ---- */

/* Create a cpumask and store it in the kptr @slot (only in ops.init). */
static __always_inline int cpumask_alloc(struct bpf_cpumask __kptr **slot)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return -ENOMEM;
	mask = bpf_kptr_xchg(slot, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* A bpf_cpumask where the kfuncs want a const struct cpumask. */
#define cast_mask(m)		((const struct cpumask *)(m))

/* Globals holding kptrs live in their own data section, as sched-ext/scx's private() does. */
#define private(name)		SEC(".data." #name) __hidden __attribute__((aligned(8)))

#endif /* __SCX_GAMER_COMMON_H */
