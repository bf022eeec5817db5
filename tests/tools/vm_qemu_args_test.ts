import assert from "node:assert/strict";
import { qemuArgs, runInVm, VmOptionError } from "../../tools/vm/vm.ts";

const BASE = {
  kernel: "k",
  initrd: "i",
  memMiB: 768,
  qmp: "q.sock",
  disk: "d.img",
  kernelArgs: ["loglevel=7"],
};

Deno.test("qemuArgs: the checked recipe runs both vCPUs on one host thread; multi gives each its own", () => {
  const single = qemuArgs({ ...BASE, tcg: "single" });
  assert.equal(single[single.indexOf("-accel") + 1], "tcg,thread=single");
  assert.equal(single[single.indexOf("-smp") + 1], "2");
  assert.equal(single[single.indexOf("-append") + 1], "console=ttyS0 panic=-1 quiet loglevel=7");
  const multi = qemuArgs({ ...BASE, tcg: "multi" });
  assert.equal(multi[multi.indexOf("-accel") + 1], "tcg,thread=multi");
  assert.deepEqual(
    multi.filter((a) => !a.startsWith("tcg,")),
    single.filter((a) => !a.startsWith("tcg,")),
    "nothing else changes",
  );
});

Deno.test("runInVm refuses an unknown TCG mode before it boots anything", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => runInVm({ text: "exit 0" }, { tcg: "kvm" as any }),
    (e: unknown) => e instanceof VmOptionError && /tcg 'kvm': expected single or multi/.test(e.message),
  );
});
