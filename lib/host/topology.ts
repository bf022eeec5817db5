/**
 * The machine's CPU topology from sysfs, read at the edge and passed to the trainer as plain data
 * (lib/ml decides nothing from files). `sysRoot` lets tests pass a fake tree.
 *
 * @module
 */

import { NO_TOPOLOGY, type Topology } from "../types.ts";

async function readText(path: string): Promise<string | null> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return null;
  }
}

/**
 * The machine's topology from sysfs (`sysRoot` lets tests pass a fake tree). Unknown parts fall back
 * to NO_TOPOLOGY's values: no SMT, one node, not hybrid.
 */
export async function readTopology(sysRoot = "/sys"): Promise<Topology> {
  const cpuDir = `${sysRoot}/devices/system/cpu`;
  let smt = (await readText(`${cpuDir}/smt/active`)) === "1";
  const capacities = new Set<string>();
  try {
    for await (const e of Deno.readDir(cpuDir)) {
      if (!/^cpu\d+$/.test(e.name)) continue;
      const siblings = await readText(`${cpuDir}/${e.name}/topology/thread_siblings_list`);
      if (siblings && /[,-]/.test(siblings)) smt = true;
      const cap = await readText(`${cpuDir}/${e.name}/cpu_capacity`);
      if (cap) capacities.add(cap);
    }
  } catch { /* no cpu directory: keep the defaults */ }
  let numaNodes = 0;
  try {
    for await (const e of Deno.readDir(`${sysRoot}/devices/system/node`)) {
      if (/^node\d+$/.test(e.name)) numaNodes++;
    }
  } catch { /* kernels without NUMA support have no node directory */ }
  // Intel hybrid parts expose separate core and atom PMUs; ARM-style ones differ in cpu_capacity.
  const hybrid = capacities.size > 1 ||
    ((await readText(`${sysRoot}/devices/cpu_atom/type`)) !== null &&
      (await readText(`${sysRoot}/devices/cpu_core/type`)) !== null);
  return { ...NO_TOPOLOGY, smt, numaNodes: Math.max(1, numaNodes), hybrid };
}
