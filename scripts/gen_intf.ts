// scripts/build_bpf.sh runs this after compiling the scheduler:
//   deno run --allow-read --allow-write --allow-ffi scripts/gen_intf.ts OBJECT OUT_TS
// It reads bpf/intf.h's layouts and constants from the object's BTF and writes the TypeScript module
// lib/sched/intf.ts builds on (see lib/sched/intf_btf.ts). The file is rewritten only when its text
// changes, so rebuilding the object does not touch a tracked file for nothing.
import { readIntf, renderIntfModule } from "../lib/sched/intf_btf.ts";

const [objectPath, outPath] = Deno.args;
if (!objectPath || !outPath) {
  console.error("usage: gen_intf.ts OBJECT OUT_TS");
  Deno.exit(2);
}
const text = renderIntfModule(readIntf(Deno.readFileSync(objectPath)));
let old: string | null = null;
try {
  old = Deno.readTextFileSync(outPath);
} catch {
  // first build
}
if (old !== text) {
  const tmp = `${outPath}.tmp`;
  Deno.writeTextFileSync(tmp, text);
  Deno.renameSync(tmp, outPath);
}
