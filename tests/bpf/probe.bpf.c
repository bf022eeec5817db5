/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test object for the libbpf bindings (tests/bpf_object_test.ts). It loads on any kernel with BPF and
 * BTF (no sched_ext needed): one map of each kind the scheduler uses, a const volatile tunable, live
 * .data/.bss globals, and a BPF_PROG_TYPE_SYSCALL program that reports them back when test-run.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

/* Set before load; read back by the probe. */
const volatile u64 rodata_tunable = 7;
/* Writable from userspace after load (.data: non-zero initial value). */
volatile u64 live_tunable = 11;
/* Written by the probe, read by userspace (.bss). */
volatile u64 probe_runs;
volatile u8 live_flag;

struct probe_ctx {
	u64 rodata_seen;
	u64 live_seen;
	u64 flag_seen;
	u64 hash_value_seen;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} plain_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, s32);
} lru_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} plain_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} percpu_counter SEC(".maps");

SEC("syscall")
int probe(struct probe_ctx *ctx)
{
	u32 zero = 0, key = 1;
	u64 *counter = bpf_map_lookup_elem(&percpu_counter, &zero);
	u64 *v;

	if (counter)
		(*counter)++;
	probe_runs++;
	ctx->rodata_seen = rodata_tunable;
	ctx->live_seen = live_tunable;
	ctx->flag_seen = live_flag;
	v = bpf_map_lookup_elem(&plain_hash, &key);
	ctx->hash_value_seen = v ? *v : 0;
	return 42;
}
