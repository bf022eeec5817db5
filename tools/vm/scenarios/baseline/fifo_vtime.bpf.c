/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The smallest sched_ext scheduler worth measuring against, for tools/vm/scenarios/policy_probe.sh: what
 * any BPF scheduler costs on the test VM before policy. Wake-ups go to an idle CPU when the kernel's
 * picker finds one; everything else waits in one queue ordered by weighted vruntime (a sleeper carries at
 * most one slice of credit), 20 ms slices, no preemption. Not part of scx_gamer.
 */
#include "common.h"

char _license[] SEC("license") = "GPL";

#define QUEUE		0
#define SLICE_NS	(20ULL * NSEC_PER_MSEC)

static u64 vtime_now;

s32 BPF_STRUCT_OPS(base_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool idle = false;
	s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &idle);

	if (idle)
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SLICE_NS, 0);
	return cpu;
}

void BPF_STRUCT_OPS(base_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 vtime = p->scx.dsq_vtime;

	if (time_before(vtime, vtime_now - SLICE_NS))
		vtime = vtime_now - SLICE_NS;
	scx_bpf_dsq_insert_vtime(p, QUEUE, SLICE_NS, vtime, enq_flags);
}

void BPF_STRUCT_OPS(base_dispatch, s32 cpu, struct task_struct *prev)
{
	scx_bpf_dsq_move_to_local(QUEUE);
}

void BPF_STRUCT_OPS(base_running, struct task_struct *p)
{
	if (time_before(vtime_now, p->scx.dsq_vtime))
		vtime_now = p->scx.dsq_vtime;
}

void BPF_STRUCT_OPS(base_stopping, struct task_struct *p, bool runnable)
{
	p->scx.dsq_vtime += scale_by_task_weight_inverse(p, SLICE_NS - p->scx.slice);
}

void BPF_STRUCT_OPS(base_enable, struct task_struct *p)
{
	p->scx.dsq_vtime = vtime_now;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(base_init)
{
	return scx_bpf_create_dsq(QUEUE, -1);
}

SEC(".struct_ops.link")
struct sched_ext_ops base_ops = {
	.select_cpu	= (void *)base_select_cpu,
	.enqueue	= (void *)base_enqueue,
	.dispatch	= (void *)base_dispatch,
	.running	= (void *)base_running,
	.stopping	= (void *)base_stopping,
	.enable		= (void *)base_enable,
	.init		= (void *)base_init,
	.name		= "fifo_vtime",
};
