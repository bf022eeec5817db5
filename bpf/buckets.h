/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Histogram bucket functions of the smoothness measurement, shared by the scheduler and a test object
 * (tests/bpf/buckets.bpf.c), so the test runs these very lines against lib/sched/smooth.ts's bounds.
 */
#ifndef __SCX_GAMER_BUCKETS_H
#define __SCX_GAMER_BUCKETS_H

#include "common.h"
#include "intf.h"

/* Wake-up latency bucket: 0 below 2^LAT_BASE_SHIFT ns, then one per power of two. */
static __always_inline u32 lat_bucket(u64 ns)
{
	if (ns < (1ULL << LAT_BASE_SHIFT))
		return 0;
	return MIN(log2_u64(ns) - LAT_BASE_SHIFT + 1, LAT_BUCKETS - 1);
}

/* Pacing bucket: 8 linear sub-buckets per power of two from 2^PACE_MIN_SHIFT ns; the ends absorb the rest. */
static __always_inline u32 pace_bucket(u64 ns)
{
	u32 o = log2_u64(ns);

	if (o < PACE_MIN_SHIFT)
		return 0;
	return MIN(((o - PACE_MIN_SHIFT) << PACE_SUB_SHIFT) +
		   ((ns >> (o - PACE_SUB_SHIFT)) & ((1 << PACE_SUB_SHIFT) - 1)), PACE_BUCKETS - 1);
}

#endif /* __SCX_GAMER_BUCKETS_H */
