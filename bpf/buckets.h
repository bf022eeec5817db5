/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Histogram bucket functions of the smoothness measurement, shared by the scheduler and a test object
 * (tests/bpf/buckets.bpf.c), so the test runs these very lines against lib/sched/smooth.ts's bounds.
 */
#ifndef __SCX_GAMER_BUCKETS_H
#define __SCX_GAMER_BUCKETS_H

#include "common.h"
#include "intf.h"

/*
 * Log-linear bucket of @ns: 8 linear sub-buckets per power of two from 2^@min_shift ns, so a bucket is at
 * most 12.5% wide; shorter values go to the first bucket, longer ones to the last (@nr buckets).
 */
static __always_inline u32 log_linear_bucket(u64 ns, u32 min_shift, u32 nr)
{
	u32 o = log2_u64(ns);

	if (o < min_shift)
		return 0;
	return MIN(((o - min_shift) << BUCKET_SUB_SHIFT) + ((ns >> (o - BUCKET_SUB_SHIFT)) & ((1 << BUCKET_SUB_SHIFT) - 1)),
		   nr - 1);
}

/*
 * Wake-up latency bucket. One bucket per octave could not tell 4 ms from 8: a tail of 4.2-4.6 ms read as a
 * p99 of 7.3 ms, interpolated across [4.2, 8.4) ms (tests/sched_smooth_test.ts).
 */
static __always_inline u32 lat_bucket(u64 ns)
{
	return log_linear_bucket(ns, LAT_MIN_SHIFT, LAT_BUCKETS);
}

/* Pacing bucket: render-thread wake intervals from 2^PACE_MIN_SHIFT ns. */
static __always_inline u32 pace_bucket(u64 ns)
{
	return log_linear_bucket(ns, PACE_MIN_SHIFT, PACE_BUCKETS);
}

#endif /* __SCX_GAMER_BUCKETS_H */
