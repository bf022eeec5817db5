import assert from "node:assert/strict";
import { lineSplitter, qemuArgs, runInVm, VmOptionError } from "../../tools/vm/vm.ts";

const BASE = {
  kernel: "k",
  initrd: "i",
  memMiB: 768,
  qmp: "q.sock",
  disk: "d.img",
  kernelArgs: ["loglevel=7"],
};

Deno.test("qemuArgs: the checked recipe runs both vCPUs on one host thread; multi gives each its own; icount counts instructions", () => {
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
  const icount = qemuArgs({ ...BASE, tcg: "icount" });
  assert.equal(icount[icount.indexOf("-accel") + 1], "tcg,thread=single", "icount needs one host thread");
  assert.equal(icount[icount.indexOf("-icount") + 1], "shift=3", "the guest's clock: 8 ns per instruction");
  assert.deepEqual(
    icount.filter((a) => !a.startsWith("tcg,") && a !== "-icount" && a !== "shift=3"),
    single.filter((a) => !a.startsWith("tcg,")),
    "nothing else changes",
  );
});

Deno.test("runInVm refuses an unknown TCG mode before it boots anything", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => runInVm({ text: "exit 0" }, { tcg: "kvm" as any }),
    (e: unknown) =>
      e instanceof VmOptionError && /tcg 'kvm': expected single or multi or icount/.test(e.message),
  );
});

Deno.test("lineSplitter passes on whole console lines, however the chunks split them", () => {
  const seen: string[] = [];
  const lines = lineSplitter((l) => {
    if (l.startsWith("bench-loop: ")) seen.push(l);
  });
  for (
    const chunk of ["[ 1.0] boot\r\nbench-loop: lear", "ning: gamesim\r\nother\nbench", "-loop: measured\n"]
  ) {
    lines.push(chunk);
  }
  assert.deepEqual(seen, ["bench-loop: learning: gamesim", "bench-loop: measured"]);
});
