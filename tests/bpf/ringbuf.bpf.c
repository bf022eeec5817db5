/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test object for lib/bpf/ring_buffer.ts (tests/bpf_ring_buffer_test.ts): a ring buffer and a
 * BPF_PROG_TYPE_SYSCALL program that writes `records` records into it, each one u64 counting up from
 * `first`. Loads on any kernel with BPF and BTF.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} records_rb SEC(".maps");

u32 records;
u64 first;

SEC("syscall")
int emit(void *ctx)
{
	for (u32 i = 0; i < 64 && i < records; i++) {
		u64 v = first + i;

		bpf_ringbuf_output(&records_rb, &v, sizeof(v), 0);
	}
	return 0;
}
