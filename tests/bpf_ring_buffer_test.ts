// lib/bpf/ring_buffer.ts against the real kernel: tests/bpf/ringbuf.bpf.c (built by `deno task bpf`) writes
// records from a BPF_PROG_TYPE_SYSCALL program. Needs root (CAP_BPF); without it these tests FAIL, loudly.
import assert from "node:assert/strict";
import { BpfObject } from "../lib/bpf/object.ts";
import { RingBuffer } from "../lib/bpf/ring_buffer.ts";

const OBJECT = new URL("../.cache/bpf/ringbuf.bpf.o", import.meta.url);

async function withRing(fn: (obj: BpfObject, rb: RingBuffer, seen: bigint[]) => Promise<void>) {
  const obj = BpfObject.open(await Deno.readFile(OBJECT), { name: "ringbuf" });
  const seen: bigint[] = [];
  try {
    obj.load();
    const rb = new RingBuffer(
      obj.map("records_rb"),
      (r) => seen.push(new DataView(r.buffer, r.byteOffset, r.byteLength).getBigUint64(0, true)),
    );
    try {
      await fn(obj, rb, seen);
    } finally {
      rb.close();
    }
  } finally {
    obj.close();
  }
}

function emit(obj: BpfObject, count: number, first: bigint) {
  obj.setGlobal("records", count);
  obj.setGlobal("first", first);
  assert.equal(obj.program("emit").testRun(new Uint8Array(8)), 0);
}

Deno.test("a wait resolves when records arrive, and consume hands each one over in order", async () => {
  await withRing(async (obj, rb, seen) => {
    const waiting = rb.wait(5000);
    emit(obj, 3, 40n);
    assert.equal(await waiting, true);
    assert.equal(rb.consume(), 3);
    assert.deepEqual(seen, [40n, 41n, 42n]);
    assert.equal(rb.consume(), 0, "nothing twice");
  });
});

Deno.test("a wait with nothing to read times out with false", async () => {
  await withRing(async (_obj, rb) => {
    const started = performance.now();
    assert.equal(await rb.wait(100), false);
    assert.ok(performance.now() - started >= 90);
  });
});

Deno.test("closing while a wait sleeps is safe: the wait ends by its timeout, with false", async () => {
  await withRing(async (_obj, rb) => {
    const waiting = rb.wait(200);
    rb.close();
    assert.equal(await waiting, false);
    assert.equal(await rb.wait(1000), false, "a closed buffer never waits");
  });
});

Deno.test("waiting does not block the event loop: timers fire while poll sleeps", async () => {
  await withRing(async (obj, rb) => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const waiting = rb.wait(5000);
    await new Promise((r) => setTimeout(r, 150));
    clearInterval(timer);
    assert.ok(ticks >= 5, `${ticks} timer ticks during the wait`);
    emit(obj, 1, 7n);
    assert.equal(await waiting, true);
  });
});
