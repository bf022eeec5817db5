/**
 * A BPF ring buffer read from userspace without polling in a loop: {@link RingBuffer.wait} sleeps in
 * poll(2) on libbpf's epoll fd, on a worker thread (a nonblocking FFI call), so the event loop stays free;
 * {@link RingBuffer.consume} then hands every record to the callback on the calling thread.
 *
 * @example
 * ```ts
 * const rb = new RingBuffer(obj.map("events"), (record) => seen.push(record.slice()));
 * try {
 *   if (await rb.wait(1000)) rb.consume(); // records, or a timeout after 1 s
 * } finally {
 *   rb.close();
 * }
 * ```
 *
 * @module
 */

import { check, checkPointer, openLibbpf } from "./ffi.ts";
import type { BpfMap } from "./object.ts";

const POLLIN = 1;

/** A consumer of one BPF_MAP_TYPE_RINGBUF map. */
export class RingBuffer {
  #rb: Deno.PointerObject | null;
  readonly #callback: Deno.UnsafeCallback<
    { readonly parameters: readonly ["pointer", "pointer", "usize"]; readonly result: "i32" }
  >;
  readonly #pollfd = new Uint8Array(8);
  #waiting: Promise<number> | null = null;

  /** `onRecord` gets a view of each record, valid only during the call (copy what you keep). */
  constructor(map: BpfMap, onRecord: (record: Uint8Array) => void) {
    const { libbpf } = openLibbpf();
    this.#callback = new Deno.UnsafeCallback(
      { parameters: ["pointer", "pointer", "usize"], result: "i32" } as const,
      (_ctx, data, size) => {
        if (data) onRecord(new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(data, Number(size))));
        return 0;
      },
    );
    try {
      this.#rb = checkPointer(
        libbpf.ring_buffer__new(map.fd, this.#callback.pointer, null, null),
        `ring buffer on map ${map.name}`,
      );
    } catch (e) {
      this.#callback.close();
      throw e;
    }
    const view = new DataView(this.#pollfd.buffer);
    view.setInt32(0, libbpf.ring_buffer__epoll_fd(this.#rb), true);
    view.setInt16(4, POLLIN, true);
  }

  #handle(): Deno.PointerObject {
    if (!this.#rb) throw new Error("ring buffer is closed");
    return this.#rb;
  }

  /**
   * Wait until a record is ready or `timeoutMs` passes (-1: no limit), without blocking the event loop.
   * Resolves true when records are ready. One wait at a time; a second call shares the first.
   */
  wait(timeoutMs: number): Promise<boolean> {
    if (!this.#rb) return Promise.resolve(false);
    this.#waiting ??= openLibbpf().libc.poll(this.#pollfd, 1n, Math.trunc(timeoutMs)).finally(() => {
      this.#waiting = null;
    });
    // Ready only when POLLIN came back on a buffer still open (closing may end the poll with POLLNVAL).
    return this.#waiting.then((n) =>
      n > 0 && this.#rb !== null && (new DataView(this.#pollfd.buffer).getInt16(6, true) & POLLIN) !== 0
    );
  }

  /** Hand every ready record to the callback now; returns how many there were. */
  consume(): number {
    return check(openLibbpf().libbpf.ring_buffer__consume(this.#handle()), "ring_buffer__consume");
  }

  /**
   * Free the ring buffer. Idempotent. A wait still sleeping resolves by its timeout (poll holds its own
   * reference to the file, so freeing under it is safe); it never calls back into the freed buffer.
   */
  close(): void {
    if (!this.#rb) return;
    openLibbpf().libbpf.ring_buffer__free(this.#rb);
    this.#rb = null;
    this.#callback.close();
  }
}
