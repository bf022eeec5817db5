// bpf/intf.h and lib/sched/intf.ts must agree: read the layouts from the compiled scheduler's BTF.
// Opening (not loading) the object needs no sched_ext kernel.
import assert from "node:assert/strict";
import { BpfObject } from "../lib/bpf/object.ts";
import { schedulerObjectBytes } from "../lib/sched/scheduler.ts";
import {
  BEHAVIOUR_LAYOUT,
  COUNTER_FIELDS,
  COUNTERS_SIZE,
  EXIT_INFO_LAYOUT,
  HIST_LAYOUT,
} from "../lib/sched/intf.ts";
import { TUNABLES } from "../lib/config.ts";

function withObject(fn: (obj: BpfObject) => void) {
  const obj = BpfObject.open(schedulerObjectBytes(), { name: "scx_gamer" });
  try {
    fn(obj);
  } finally {
    obj.close();
  }
}

Deno.test("struct gamer_counters matches COUNTER_FIELDS field for field", () => {
  withObject((obj) => {
    const layout = obj.structLayout("gamer_counters")!;
    assert.equal(layout.size, COUNTERS_SIZE);
    assert.deepEqual(layout.members, COUNTER_FIELDS.map((name, i) => ({ name, offset: i * 8 })));
  });
});

Deno.test("struct gamer_hist, gamer_exit_info and gamer_thread_behaviour match their TS layouts", () => {
  withObject((obj) => {
    const hist = obj.structLayout("gamer_hist")!;
    assert.equal(hist.size, HIST_LAYOUT.size);
    assert.deepEqual(hist.members.map((m) => [m.name, m.offset]), [["buckets", 0], [
      "sum_ns",
      HIST_LAYOUT.sum_ns,
    ], [
      "count",
      HIST_LAYOUT.count,
    ]]);
    const exit = obj.structLayout("gamer_exit_info")!;
    assert.equal(exit.size, EXIT_INFO_LAYOUT.size);
    const off = Object.fromEntries(exit.members.map((m) => [m.name, m.offset]));
    assert.equal(off.kind, EXIT_INFO_LAYOUT.kind);
    assert.equal(off.exit_code, EXIT_INFO_LAYOUT.exit_code);
    assert.equal(off.reason, EXIT_INFO_LAYOUT.reason);
    assert.equal(off.msg, EXIT_INFO_LAYOUT.msg);
    const beh = obj.structLayout("gamer_thread_behaviour")!;
    assert.equal(beh.size, BEHAVIOUR_LAYOUT.size);
    assert.deepEqual(beh.members.map((m) => m.offset), [0, 8, 16]);
  });
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

Deno.test("stats_on is const volatile and off by default", () => {
  withObject((obj) => {
    assert.equal(obj.getGlobal("stats_on"), 0n);
  });
});
