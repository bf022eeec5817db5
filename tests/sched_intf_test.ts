// bpf/intf.h, the generated TypeScript module and the tunables table must agree: everything here is read
// back from the compiled scheduler's BTF. Opening (not loading) the object needs no sched_ext kernel.
import assert from "node:assert/strict";
import { BpfObject } from "../lib/bpf/object.ts";
import {
  decodeEvent,
  exitWantsRestart,
  hotplugSeq,
  kernelOpsFlags,
  schedulerObjectBytes,
} from "../lib/sched/scheduler.ts";
import { readIntf } from "../lib/sched/intf_btf.ts";
import {
  BPF_BOUNDS,
  COUNTER_FIELDS,
  ENUMS,
  EVENT_LAYOUT,
  EXIT_DUMP_LEN,
  EXIT_INFO_LAYOUT,
  KFUNCS,
  POLICY_VERSION,
  STRUCTS,
  TIMEOUT_MS,
} from "../lib/sched/intf.ts";
import { POLICY_VERSION as CONFIG_POLICY_VERSION, TUNABLES } from "../lib/config.ts";
import { THREAD_CLASSES } from "../lib/types.ts";
import { tempDir } from "./fixtures/temp.ts";

function withObject(fn: (obj: BpfObject) => void) {
  const obj = BpfObject.open(schedulerObjectBytes(), { name: "scx_gamer" });
  try {
    fn(obj);
  } finally {
    obj.close();
  }
}

Deno.test("the tracked lib/sched/intf_generated.ts equals what the object's BTF says now (else: deno task bpf)", () => {
  const fresh = readIntf(schedulerObjectBytes());
  assert.deepEqual(fresh.structs, JSON.parse(JSON.stringify(STRUCTS)));
  assert.deepEqual(fresh.enums, JSON.parse(JSON.stringify(ENUMS)));
  assert.deepEqual(fresh.kfuncs, [...KFUNCS]);
});

Deno.test("struct gamer_counters is all u64, in the order COUNTER_FIELDS gives", () => {
  withObject((obj) => {
    const layout = obj.structLayout("gamer_counters")!;
    assert.deepEqual(
      layout.members.map((m) => [m.name, m.offset, m.size]),
      COUNTER_FIELDS.map((n, i) => [n, i * 8, 8]),
    );
  });
});

Deno.test("exit info: kind first, then the u64 exit code, reason and message strings", () => {
  assert.equal(EXIT_INFO_LAYOUT.kind, 0);
  assert.equal(EXIT_INFO_LAYOUT.exit_code, 8);
  assert.equal(EXIT_INFO_LAYOUT.reasonLen, ENUMS.gamer_consts.EXIT_REASON_LEN);
  assert.equal(EXIT_INFO_LAYOUT.msgLen, ENUMS.gamer_consts.EXIT_MSG_LEN);
});

Deno.test("thread class ids are the same on both sides", () => {
  const ids = Object.entries(ENUMS.gamer_thread_class).filter(([k]) => k !== "NR_CLASSES");
  assert.deepEqual(
    ids.map(([k, v]) => [k.replace(/^CLASS_/, "").toLowerCase(), v]),
    THREAD_CLASSES.map((c, i) => [c, i]),
  );
});

Deno.test("lib/config.ts's POLICY_VERSION is the object's", () => {
  assert.equal(CONFIG_POLICY_VERSION, POLICY_VERSION);
  assert.ok(POLICY_VERSION >= 2);
});

Deno.test("the tunables table records the BPF side's effective bounds as bpf/intf.h has them", () => {
  const slice = TUNABLES.find((t) => t.key === "slice_us");
  assert.ok(slice?.kind === "number" && slice.effective);
  assert.equal(slice.effective.min, BPF_BOUNDS.SLICE_MIN_US);
  assert.equal(slice.effective.max, BPF_BOUNDS.SLICE_MAX_US);
  const timer = TUNABLES.find((t) => t.key === "wakeup_timer_us");
  assert.ok(timer?.kind === "number" && timer.effective);
  assert.equal(timer.effective.min, BPF_BOUNDS.WAKEUP_TIMER_MIN_US);
  const burst = TUNABLES.find((t) => t.key === "batch_burst_us");
  assert.ok(burst?.kind === "number");
  assert.equal(burst.min, BPF_BOUNDS.BATCH_BURST_MIN_US);
  assert.equal(burst.max, BPF_BOUNDS.BATCH_BURST_MAX_US);
});

Deno.test("every tunable is a writable global of the scheduler, with its default", () => {
  withObject((obj) => {
    for (const t of TUNABLES) {
      const value = obj.getGlobal(t.key); // before load: the object's initial value
      assert.equal(value, BigInt(t.default), `${t.key} default in bpf/scx_gamer.bpf.c`);
      obj.setGlobal(t.key, value); // writable (not const volatile) even before load
    }
  });
});

Deno.test("stats_on is const volatile and off by default; smoothness is off until asked for", () => {
  withObject((obj) => {
    assert.equal(obj.getGlobal("stats_on"), 0n);
    assert.equal(obj.getGlobal("smooth_on"), 0n);
  });
});

Deno.test("the ops carry the watchdog timeout and the debug dump length of bpf/intf.h", () => {
  withObject((obj) => {
    assert.equal(obj.getStructOpsMember("gamer_ops", "sched_ext_ops", "timeout_ms"), BigInt(TIMEOUT_MS));
    assert.equal(
      obj.getStructOpsMember("gamer_ops", "sched_ext_ops", "exit_dump_len"),
      BigInt(EXIT_DUMP_LEN),
    );
    assert.equal(obj.globalBytes("exit_dump").length, EXIT_DUMP_LEN);
    // flags are the loader's to set; the object leaves them 0.
    assert.equal(obj.getStructOpsMember("gamer_ops", "sched_ext_ops", "flags"), 0n);
  });
});

Deno.test("an event record decodes by the generated layout; unknown kinds and short records do not", () => {
  const rec = new Uint8Array(EVENT_LAYOUT.size);
  const view = new DataView(rec.buffer);
  view.setUint32(EVENT_LAYOUT.kind, ENUMS.gamer_event_kind.EVENT_SCHED_EXIT, true);
  view.setBigInt64(EVENT_LAYOUT.code, (1n << 48n) | (1n << 32n), true);
  rec.set(new TextEncoder().encode("game.exe"), EVENT_LAYOUT.comm);
  assert.deepEqual(decodeEvent(rec), {
    kind: "sched_exit",
    tgid: 0,
    code: (1n << 48n) | (1n << 32n),
    comm: "game.exe",
  });
  view.setUint32(EVENT_LAYOUT.kind, ENUMS.gamer_event_kind.EVENT_EXEC, true);
  view.setUint32(EVENT_LAYOUT.tgid, 4242, true);
  assert.equal(decodeEvent(rec)?.kind, "exec");
  assert.equal(decodeEvent(rec)?.tgid, 4242);
  view.setUint32(EVENT_LAYOUT.kind, 99, true);
  assert.equal(decodeEvent(rec), null);
  assert.equal(decodeEvent(rec.subarray(0, 8)), null);
});

Deno.test("ops flags are taken by name from the kernel's enum; a flag this kernel lacks is 0", () => {
  const kernel = new Map([["SCX_OPS_ENQ_LAST", 2n], ["SCX_OPS_ALLOW_QUEUED_WAKEUP", 32n]]);
  assert.equal(kernelOpsFlags(kernel, ["SCX_OPS_ALLOW_QUEUED_WAKEUP", "SCX_OPS_NOT_IN_THIS_KERNEL"]), 32n);
  assert.equal(kernelOpsFlags(null, ["SCX_OPS_ALLOW_QUEUED_WAKEUP"]), 0n);
  assert.equal(kernelOpsFlags(kernel), 0n, "scx_gamer asks for none today");
});

Deno.test("hotplug_seq is read from sysfs when the kernel publishes it", async () => {
  const root = tempDir();
  assert.equal(hotplugSeq(root), null);
  await Deno.mkdir(`${root}/kernel/sched_ext`, { recursive: true });
  await Deno.writeTextFile(`${root}/kernel/sched_ext/hotplug_seq`, "17\n");
  assert.equal(hotplugSeq(root), 17n);
});

Deno.test("only an exit code with SCX_ECODE_ACT_RESTART asks for a restart", () => {
  const exit = { kind: 66, kindName: "", reason: "", message: "", dump: "" };
  assert.equal(exitWantsRestart({ ...exit, code: (1n << 48n) | (1n << 32n) }), true);
  assert.equal(exitWantsRestart({ ...exit, code: 1n << 32n }), false);
  assert.equal(exitWantsRestart({ ...exit, code: 0n }), false);
});
