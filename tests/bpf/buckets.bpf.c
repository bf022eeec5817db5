/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test object for the smoothness histograms (tests/sched_smooth_test.ts): a BPF_PROG_TYPE_SYSCALL program
 * that runs the scheduler's own bucket functions (bpf/buckets.h) on values userspace writes into
 * values_ns, so the test checks the C against lib/sched/smooth.ts's bucket bounds. Loads on any kernel
 * with BPF and BTF.
 */
#include "buckets.h"

char _license[] SEC("license") = "GPL";

#define NR_VALUES 32

u64 values_ns[NR_VALUES];
u32 lat_out[NR_VALUES];
u32 pace_out[NR_VALUES];

SEC("syscall")
int buckets(void *ctx)
{
	for (int i = 0; i < NR_VALUES; i++) {
		lat_out[i] = lat_bucket(values_ns[i]);
		pace_out[i] = pace_bucket(values_ns[i]);
	}
	return 0;
}
