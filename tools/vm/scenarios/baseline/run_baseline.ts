// Loads tools/vm/scenarios/baseline/fifo_vtime.bpf.o (path as the first argument) as the system's sched_ext
// scheduler until SIGINT: the "any BPF scheduler" row of policy_probe.sh. Prints "attached" once attached.
import { BpfObject } from "../../../../lib/bpf/object.ts";

const obj = BpfObject.open(Deno.readFileSync(Deno.args[0]), { name: "fifo_vtime" });
obj.load();
obj.attachStructOps("base_ops");
console.log("baseline: attached");
await new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", () => resolve()));
obj.close();
console.log("baseline: detached");
