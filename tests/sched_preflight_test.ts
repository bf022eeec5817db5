import assert from "node:assert/strict";
import { join } from "node:path";
import {
  KFUNC_SINCE,
  minimumKernel,
  preflight,
  PreflightError,
  requiredKfuncs,
} from "../lib/sched/preflight.ts";
import { KFUNCS } from "../lib/sched/intf.ts";
import { tempDir } from "./fixtures/temp.ts";

async function fakeSys(state: string | null, ops?: string): Promise<string> {
  const root = tempDir();
  if (state !== null) {
    await Deno.mkdir(join(root, "kernel", "sched_ext", "root"), { recursive: true });
    await Deno.writeTextFile(join(root, "kernel", "sched_ext", "state"), state + "\n");
    if (ops) await Deno.writeTextFile(join(root, "kernel", "sched_ext", "root", "ops"), ops + "\n");
  }
  return root;
}

function preflightError(opts: Parameters<typeof preflight>[0]): string {
  try {
    preflight({ checkLibbpf: false, kernelHas: () => true, ...opts });
  } catch (e) {
    assert.ok(e instanceof PreflightError);
    assert.ok(!e.message.includes("\n"));
    return e.message;
  }
  assert.fail("preflight should have failed");
}

Deno.test("not root is refused first, with a hint to use sudo", async () => {
  assert.match(preflightError({ uid: 1000, sysRoot: await fakeSys("disabled") }), /must run as root \(sudo/);
});

Deno.test("a kernel without sched_ext is named with what it needs", async () => {
  const msg = preflightError({ uid: 0, sysRoot: await fakeSys(null), kernelRelease: "6.1.0-test" });
  assert.match(msg, /this kernel \(6\.1\.0-test\) has no sched_ext/);
  assert.match(msg, /6\.13 or newer.*CONFIG_SCHED_CLASS_EXT=y/);
});

Deno.test("the minimum kernel is the newest first appearance among the kfuncs the object requires", () => {
  assert.equal(minimumKernel(), "6.13");
  assert.equal(minimumKernel(["bpf_cpumask_create", "scx_bpf_kick_cpu"]), "6.12");
  assert.equal(minimumKernel(["scx_bpf_dsq_insert"]), "6.13");
});

Deno.test("every kfunc the object requires has a first kernel recorded; optional ones are flavoured", () => {
  const required = requiredKfuncs();
  assert.ok(required.includes("scx_bpf_dsq_insert") && required.includes("scx_bpf_kick_cpu"));
  for (const k of required) assert.ok(KFUNC_SINCE[k], `KFUNC_SINCE has no entry for ${k}`);
  const optional = KFUNCS.filter((k) => k.includes("___"));
  assert.ok(optional.includes("scx_bpf_now___compat"), optional.join(" "));
  for (const k of optional) assert.ok(!required.includes(k));
});

Deno.test("a kernel without a kfunc the object calls is named with the kfunc and the minimum kernel", async () => {
  const msg = preflightError({
    uid: 0,
    sysRoot: await fakeSys("disabled"),
    kernelRelease: "6.12.9-test",
    kernelHas: (k) => !k.startsWith("scx_bpf_dsq_insert"),
  });
  assert.match(msg, /this kernel \(6\.12\.9-test\) lacks kfuncs scx_gamer calls/);
  assert.match(msg, /scx_bpf_dsq_insert, scx_bpf_dsq_insert_vtime/);
  assert.match(msg, /needs Linux 6\.13 or newer/);
});

Deno.test("another running scheduler is named, with how the scx tools stop it", async () => {
  const msg = preflightError({ uid: 0, sysRoot: await fakeSys("enabled", "bpfland_1.0.14_x86_64") });
  assert.match(msg, /^a sched_ext scheduler is already running: 'bpfland_1\.0\.14_x86_64'/);
  assert.match(msg, /'systemctl stop scx'/);
  assert.match(msg, /'scxctl stop'/);
  assert.ok(!msg.includes("\n"), "one line");
});

Deno.test("a running scheduler's name is escaped before it reaches the terminal", async () => {
  const msg = preflightError({ uid: 0, sysRoot: await fakeSys("enabled", "evil\x1b]0;pwn\x07") });
  assert.match(msg, /already running: 'evil\\x1b\]0;pwn\\x07'/);
});

Deno.test("a disabled sched_ext with root passes", async () => {
  preflight({ uid: 0, sysRoot: await fakeSys("disabled"), checkLibbpf: false, kernelHas: () => true });
});
