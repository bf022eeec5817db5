/**
 * The only `Deno.dlopen` of libbpf.so.1 (and the few libc calls libbpf's API needs around it: mmap for
 * live globals, errno, vsnprintf for libbpf's log callback). Raw symbols only; lib/bpf/object.ts wraps them.
 *
 * @module
 */

import { LibbpfError, LibbpfUnavailableError } from "./errors.ts";

/** Oldest libbpf that can attach a sched_ext struct_ops scheduler (1.1 fails with -524). */
export const MIN_LIBBPF: readonly [number, number] = [1, 4];

const LIBBPF_SYMBOLS = {
  libbpf_major_version: { parameters: [], result: "u32" },
  libbpf_minor_version: { parameters: [], result: "u32" },
  libbpf_set_print: { parameters: ["function"], result: "pointer" },
  libbpf_strerror: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  libbpf_num_possible_cpus: { parameters: [], result: "i32" },
  bpf_object__open_mem: { parameters: ["buffer", "usize", "buffer"], result: "pointer" },
  bpf_object__load: { parameters: ["pointer"], result: "i32" },
  // The same call on a worker thread: loading (the verifier) takes seconds on a slow machine.
  bpf_object__load_async: {
    name: "bpf_object__load",
    parameters: ["pointer"],
    result: "i32",
    nonblocking: true,
  },
  bpf_object__close: { parameters: ["pointer"], result: "void" },
  bpf_object__btf: { parameters: ["pointer"], result: "pointer" },
  bpf_object__find_map_by_name: { parameters: ["pointer", "buffer"], result: "pointer" },
  bpf_object__find_program_by_name: { parameters: ["pointer", "buffer"], result: "pointer" },
  bpf_object__next_map: { parameters: ["pointer", "pointer"], result: "pointer" },
  bpf_object__next_program: { parameters: ["pointer", "pointer"], result: "pointer" },
  bpf_map__name: { parameters: ["pointer"], result: "pointer" },
  bpf_map__fd: { parameters: ["pointer"], result: "i32" },
  bpf_map__type: { parameters: ["pointer"], result: "i32" },
  bpf_map__key_size: { parameters: ["pointer"], result: "u32" },
  bpf_map__value_size: { parameters: ["pointer"], result: "u32" },
  bpf_map__max_entries: { parameters: ["pointer"], result: "u32" },
  bpf_map__initial_value: { parameters: ["pointer", "buffer"], result: "pointer" },
  bpf_map__lookup_elem: {
    parameters: ["pointer", "buffer", "usize", "buffer", "usize", "u64"],
    result: "i32",
  },
  bpf_map__update_elem: {
    parameters: ["pointer", "buffer", "usize", "buffer", "usize", "u64"],
    result: "i32",
  },
  bpf_map__delete_elem: { parameters: ["pointer", "buffer", "usize", "u64"], result: "i32" },
  bpf_map__get_next_key: { parameters: ["pointer", "buffer", "buffer", "usize"], result: "i32" },
  bpf_map__attach_struct_ops: { parameters: ["pointer"], result: "pointer" },
  bpf_program__name: { parameters: ["pointer"], result: "pointer" },
  bpf_program__fd: { parameters: ["pointer"], result: "i32" },
  bpf_program__set_autoload: { parameters: ["pointer", "bool"], result: "i32" },
  bpf_program__attach: { parameters: ["pointer"], result: "pointer" },
  bpf_link__destroy: { parameters: ["pointer"], result: "i32" },
  bpf_prog_test_run_opts: { parameters: ["i32", "buffer"], result: "i32" },
  bpf_prog_get_info_by_fd: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  ring_buffer__new: { parameters: ["i32", "function", "pointer", "pointer"], result: "pointer" },
  ring_buffer__free: { parameters: ["pointer"], result: "void" },
  ring_buffer__consume: { parameters: ["pointer"], result: "i32" },
  ring_buffer__epoll_fd: { parameters: ["pointer"], result: "i32" },
  btf__load_vmlinux_btf: { parameters: [], result: "pointer" },
  btf__new: { parameters: ["buffer", "u32"], result: "pointer" },
  btf__free: { parameters: ["pointer"], result: "void" },
  btf__find_by_name_kind: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  btf__type_by_id: { parameters: ["pointer", "u32"], result: "pointer" },
  btf__name_by_offset: { parameters: ["pointer", "u32"], result: "pointer" },
  btf__resolve_size: { parameters: ["pointer", "u32"], result: "i64" },
  btf__type_cnt: { parameters: ["pointer"], result: "u32" },
} as const;

const LIBC_SYMBOLS = {
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  vsnprintf: { parameters: ["buffer", "usize", "pointer", "pointer"], result: "i32" },
  getpagesize: { parameters: [], result: "i32" },
  // On a worker thread (nonblocking): the caller awaits readiness without blocking the event loop.
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  // A task's storage is looked up from userspace by a pidfd; glibc has the wrapper from 2.36 on.
  pidfd_open: { parameters: ["i32", "u32"], result: "i32", optional: true },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/** libbpf's symbols. */
export type Libbpf = Deno.DynamicLibrary<typeof LIBBPF_SYMBOLS>["symbols"];
/** libc's symbols used here. */
export type Libc = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let libbpf: Libbpf | null = null;
let printPointer: Deno.PointerValue = null;
let libc: Libc | null = null;
const logLines: string[] = [];
let verboseLog = false;

/** Keep this many of libbpf's most recent log lines for error messages (the verifier log's tail). */
const LOG_KEEP = 60;

/**
 * Open libbpf.so.1 once, check its version and route its log into a ring buffer.
 *
 * @throws {LibbpfUnavailableError} when the library is missing or older than {@link MIN_LIBBPF}.
 */
export function openLibbpf(options: { verbose?: boolean } = {}): { libbpf: Libbpf; libc: Libc } {
  verboseLog = options.verbose ?? verboseLog;
  if (libbpf && libc) return { libbpf, libc };
  try {
    libc = Deno.dlopen("libc.so.6", LIBC_SYMBOLS).symbols;
  } catch (e) {
    throw new LibbpfUnavailableError(`cannot open libc.so.6: ${(e as Error).message}`);
  }
  let lib: Libbpf;
  try {
    lib = Deno.dlopen("libbpf.so.1", LIBBPF_SYMBOLS).symbols;
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    throw new LibbpfUnavailableError(
      `libbpf.so.1 is missing or unusable (${why}): install libbpf >= ${MIN_LIBBPF.join(".")} ` +
        `(Debian/Ubuntu: apt install libbpf1; Fedora/Arch: install the libbpf package)`,
    );
  }
  const version = [lib.libbpf_major_version(), lib.libbpf_minor_version()];
  if (version[0] < MIN_LIBBPF[0] || (version[0] === MIN_LIBBPF[0] && version[1] < MIN_LIBBPF[1])) {
    throw new LibbpfUnavailableError(
      `libbpf ${version.join(".")} is too old: scx_gamer needs libbpf >= ${MIN_LIBBPF.join(".")} ` +
        `(older versions cannot attach a sched_ext scheduler); on Debian bookworm install libbpf1 from bookworm-backports`,
    );
  }
  // Thread-safe: libbpf logs from whichever thread loads an object (see bpf_object__load_async).
  const printCallback = Deno.UnsafeCallback.threadSafe(
    { parameters: ["i32", "pointer", "pointer"], result: "i32" } as const,
    (level, fmt, args) => {
      // LIBBPF_DEBUG (2) is thousands of lines per load: formatting them costs seconds on a slow machine.
      if (level > 1) return 0;
      const buf = new Uint8Array(4096);
      const n = libc!.vsnprintf(buf, BigInt(buf.length), fmt, args);
      const text = new TextDecoder().decode(buf.subarray(0, Math.max(0, Math.min(n, buf.length - 1))));
      for (const line of text.split("\n")) {
        if (line === "") continue;
        logLines.push(line);
        if (verboseLog && level <= 1) console.error(`libbpf: ${line}`);
      }
      if (logLines.length > LOG_KEEP) logLines.splice(0, logLines.length - LOG_KEEP);
      return 0;
    },
  );
  // The callback lives as long as the process: libbpf may log at any call. It must not keep the event
  // loop alive by itself.
  printCallback.unref();
  printPointer = printCallback.pointer;
  lib.libbpf_set_print(printPointer);
  libbpf = lib;
  return { libbpf, libc };
}

/**
 * Run `fn` with libbpf's logging off, e.g. around a load on a worker thread, where every log line would be
 * a round trip to the main thread; errors still come back as return codes.
 */
export async function withoutLibbpfLog<T>(fn: () => Promise<T>): Promise<T> {
  const { libbpf } = openLibbpf();
  libbpf.libbpf_set_print(null);
  try {
    return await fn();
  } finally {
    libbpf.libbpf_set_print(printPointer);
  }
}

/** libbpf's version as "major.minor". */
export function libbpfVersion(): string {
  const { libbpf } = openLibbpf();
  return `${libbpf.libbpf_major_version()}.${libbpf.libbpf_minor_version()}`;
}

/** Take (and clear) libbpf's recent log lines. */
export function takeLibbpfLog(): string[] {
  return logLines.splice(0, logLines.length);
}

/** The calling thread's errno, read right after a failed call. */
export function lastErrno(): number {
  const { libc } = openLibbpf();
  const p = libc.__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

/** A NUL-terminated C string. */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0");
}

/** Read a C string (null -> ""). */
export function readCString(p: Deno.PointerValue): string {
  return p ? Deno.UnsafePointerView.getCString(p) : "";
}

/** libbpf's text for an error number (positive or negative). */
export function strerror(err: number): string {
  const { libbpf } = openLibbpf();
  const buf = new Uint8Array(256);
  libbpf.libbpf_strerror(Math.abs(err), buf, BigInt(buf.length));
  return readCString(Deno.UnsafePointer.of(buf));
}

/** Throw a LibbpfError for `op` when `ret` is negative (libbpf returns -errno). */
export function check(ret: number, op: string): number {
  if (ret < 0) throw new LibbpfError(op, -ret, strerror(ret), takeLibbpfLog());
  return ret;
}

/** Throw a LibbpfError for `op` when a pointer-returning call gave NULL (libbpf sets errno). */
export function checkPointer<T extends Deno.PointerValue>(p: T, op: string): NonNullable<T> {
  if (p === null) {
    const errno = lastErrno() || 22;
    throw new LibbpfError(op, errno, strerror(errno), takeLibbpfLog());
  }
  return p as NonNullable<T>;
}
