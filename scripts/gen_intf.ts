// scripts/build_bpf.sh runs this after compiling the scheduler:
//   deno run --allow-read --allow-write --allow-ffi scripts/gen_intf.ts OBJECT OUT_TS
// It reads bpf/intf.h's layouts and constants from the object's BTF and writes the TypeScript module
// lib/sched/intf.ts builds on (see lib/sched/intf_btf.ts).
import { readIntf, renderIntfModule } from "../lib/sched/intf_btf.ts";

const [objectPath, outPath] = Deno.args;
if (!objectPath || !outPath) {
  console.error("usage: gen_intf.ts OBJECT OUT_TS");
  Deno.exit(2);
}
const elf = Deno.readFileSync(objectPath);
const sha = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", elf)))
  .map((b) => b.toString(16).padStart(2, "0")).join("");
const tmp = `${outPath}.tmp`;
Deno.writeTextFileSync(tmp, renderIntfModule(readIntf(elf), sha));
Deno.renameSync(tmp, outPath);
