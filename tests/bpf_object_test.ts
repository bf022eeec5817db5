// The libbpf bindings against the real kernel: loads tests/bpf/probe.bpf.c (built by `deno task bpf`)
// and runs its BPF_PROG_TYPE_SYSCALL program. Needs root (CAP_BPF); without it these tests FAIL, loudly.
import assert from "node:assert/strict";
import { BpfObject, possibleCpus } from "../lib/bpf/object.ts";
import { BpfLookupError, LibbpfError } from "../lib/bpf/errors.ts";
import { libbpfVersion } from "../lib/bpf/ffi.ts";

const PROBE = new URL("../.cache/bpf/probe.bpf.o", import.meta.url);

function u32(n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
function u64(n: bigint): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}
function readU64(b: Uint8Array, off = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

async function withLoaded(fn: (obj: BpfObject) => void, rodata = 7n): Promise<void> {
  const obj = BpfObject.open(await Deno.readFile(PROBE), { name: "probe" });
  try {
    obj.setGlobal("rodata_tunable", rodata);
    obj.load();
    fn(obj);
  } finally {
    obj.close();
  }
}

function runProbe(obj: BpfObject): { ret: number; rodata: bigint; live: bigint; flag: bigint; hash: bigint } {
  const ctx = new Uint8Array(32);
  const ret = obj.program("probe").testRun(ctx);
  return {
    ret,
    rodata: readU64(ctx, 0),
    live: readU64(ctx, 8),
    flag: readU64(ctx, 16),
    hash: readU64(ctx, 24),
  };
}

Deno.test("libbpf is at least 1.4", () => {
  const [major, minor] = libbpfVersion().split(".").map(Number);
  assert.ok(major > 1 || (major === 1 && minor >= 4), `libbpf ${libbpfVersion()}`);
});

Deno.test("a const volatile value set before load is what the program sees", async () => {
  await withLoaded((obj) => {
    const r = runProbe(obj);
    assert.equal(r.ret, 42);
    assert.equal(r.rodata, 0x1234_5678_9abc_def0n);
  }, 0x1234_5678_9abc_def0n);
});

Deno.test("a writable global written after load reaches the program live, u64 bits intact", async () => {
  await withLoaded((obj) => {
    assert.equal(obj.getGlobal("live_tunable"), 11n);
    const big = 0x8000_0000_0000_0002n; // SCX_DSQ_LOCAL: above 2^53, a JS number would lose it
    obj.setGlobal("live_tunable", big);
    obj.setGlobal("live_flag", true);
    const r = runProbe(obj);
    assert.equal(r.live, big);
    assert.equal(r.flag, 1n);
  });
});

Deno.test("a .bss global written by the program is read back live", async () => {
  await withLoaded((obj) => {
    runProbe(obj);
    runProbe(obj);
    assert.equal(obj.getGlobal("probe_runs"), 2n);
  });
});

Deno.test("const volatile globals refuse writes after load", async () => {
  await withLoaded((obj) => {
    assert.throws(() => obj.setGlobal("rodata_tunable", 1n), /const volatile/);
  });
});

Deno.test("a value too big for the variable is refused", async () => {
  await withLoaded((obj) => {
    assert.throws(() => obj.setGlobal("live_flag", 256), RangeError);
  });
});

Deno.test("hash map update, lookup, keys and delete", async () => {
  await withLoaded((obj) => {
    const hash = obj.map("plain_hash");
    assert.equal(hash.keySize, 4);
    assert.equal(hash.lookup(u32(1)), null);
    hash.update(u32(1), u64(99n));
    hash.update(u32(2), u64(5n));
    assert.equal(readU64(hash.lookup(u32(1))!), 99n);
    assert.equal(runProbe(obj).hash, 99n);
    const keys = [...hash.keys()].map((k) => new DataView(k.buffer).getUint32(0, true)).sort();
    assert.deepEqual(keys, [1, 2]);
    assert.equal(hash.delete(u32(1)), true);
    assert.equal(hash.delete(u32(1)), false);
    assert.equal(hash.lookup(u32(1)), null);
  });
});

Deno.test("LRU hash and array maps round-trip values", async () => {
  await withLoaded((obj) => {
    const lru = obj.map("lru_hash");
    const v = new Uint8Array(4);
    new DataView(v.buffer).setInt32(0, -3, true);
    lru.update(u64(0xffff_8880_0000_1000n), v);
    assert.equal(new DataView(lru.lookup(u64(0xffff_8880_0000_1000n))!.buffer).getInt32(0, true), -3);
    const arr = obj.map("plain_array");
    arr.update(u32(3), u64(77n));
    assert.equal(readU64(arr.lookup(u32(3))!), 77n);
  });
});

Deno.test("per-CPU values have one slot per possible CPU and sum to the run count", async () => {
  await withLoaded((obj) => {
    for (let i = 0; i < 5; i++) runProbe(obj);
    const slots = obj.map("percpu_counter").lookupPerCpu(u32(0))!;
    assert.equal(slots.length, possibleCpus());
    assert.equal(slots.reduce((sum, s) => sum + readU64(s), 0n), 5n);
  });
});

Deno.test("unknown names raise BpfLookupError naming them", async () => {
  await withLoaded((obj) => {
    assert.throws(() => obj.map("nope"), (e) => e instanceof BpfLookupError && /nope/.test(e.message));
    assert.throws(() => obj.getGlobal("nope"), BpfLookupError);
    assert.throws(() => obj.program("nope"), BpfLookupError);
  });
});

Deno.test("a map key of the wrong size is refused before reaching the kernel", async () => {
  await withLoaded((obj) => {
    assert.throws(() => obj.map("plain_hash").lookup(new Uint8Array(8)), RangeError);
  });
});

Deno.test("a corrupt object fails to open with a LibbpfError carrying errno", () => {
  assert.throws(
    () => BpfObject.open(new TextEncoder().encode("not an ELF file at all"), { name: "junk" }),
    (e) => e instanceof LibbpfError && e.errno > 0 && /bpf_object__open_mem/.test(e.message),
  );
});

Deno.test("close is idempotent and detaches", async () => {
  const obj = BpfObject.open(await Deno.readFile(PROBE), { name: "probe" });
  obj.load();
  obj.close();
  obj.close();
  assert.throws(() => obj.map("plain_hash"), /closed/);
});

Deno.test("loadAsync verifies on a worker thread: timers run meanwhile, the object works after", async () => {
  const obj = BpfObject.open(await Deno.readFile(PROBE), { name: "probe" });
  try {
    obj.setGlobal("rodata_tunable", 9n);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const loading = obj.loadAsync();
    await new Promise((r) => setTimeout(r, 0));
    await loading;
    clearInterval(timer);
    assert.ok(obj.loaded);
    assert.ok(ticks >= 1, `${ticks} timer ticks while loading`);
    assert.equal(runProbe(obj).rodata, 9n);
  } finally {
    obj.close();
  }
});

Deno.test("a loaded program's info gives the kernel's id (as fdinfo names it) and its instruction counts", async () => {
  await withLoaded((obj) => {
    const prog = obj.program("probe");
    const info = prog.info();
    const fdinfo = Deno.readTextFileSync(`/proc/self/fdinfo/${prog.fd}`);
    assert.equal(info.id, Number(/^prog_id:\s+(\d+)$/m.exec(fdinfo)?.[1]));
    assert.ok(info.xlatedInsns > 0 && info.verifiedInsns > 0, JSON.stringify(info));
  });
});
