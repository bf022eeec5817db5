import { deepStrictEqual } from "node:assert/strict";
import { readTopology } from "../lib/host/topology.ts";
import { tempDir } from "./fixtures/temp.ts";

Deno.test("topology is read from a sysfs tree: SMT siblings, NUMA nodes, hybrid capacities", async () => {
  const sys = `${tempDir()}/sys`;
  for (const [cpu, siblings, cap] of [["cpu0", "0,2", "1024"], ["cpu1", "1,3", "512"]]) {
    await Deno.mkdir(`${sys}/devices/system/cpu/${cpu}/topology`, { recursive: true });
    await Deno.writeTextFile(
      `${sys}/devices/system/cpu/${cpu}/topology/thread_siblings_list`,
      siblings + "\n",
    );
    await Deno.writeTextFile(`${sys}/devices/system/cpu/${cpu}/cpu_capacity`, cap + "\n");
  }
  await Deno.mkdir(`${sys}/devices/system/node/node0`, { recursive: true });
  await Deno.mkdir(`${sys}/devices/system/node/node1`, { recursive: true });
  deepStrictEqual(await readTopology(sys), { smt: true, numaNodes: 2, hybrid: true });
  deepStrictEqual(await readTopology(`${sys}/no-such`), { smt: false, numaNodes: 1, hybrid: false });
});
