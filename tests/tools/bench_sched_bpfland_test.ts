import assert from "node:assert/strict";
import * as path from "node:path";
import {
  BPFLAND_DEFAULTS,
  BPFLAND_MAIN,
  bpflandSettings,
  BpflandSourceError,
  buildBpfland,
  parseKernelEnums,
  wrapperSource,
} from "../../tools/bench_sched/bpfland_build.ts";
import { parseCpuList } from "../../tools/bench_sched/bpfland_loader.ts";
import { REPO_ROOT } from "../../tools/vm/layers.ts";

const KERNEL_DIR = path.join(REPO_ROOT, ".cache/kernel");

function run(cmd: string, args: string[]): string {
  const r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  assert.ok(r.success, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  return new TextDecoder().decode(r.stdout);
}

/**
 * A stand-in snapshot with the layout of sched-ext/scx (not its code): a common header that defines
 * SCX_OPS_DEFINE the way upstream's does, and a scheduler that uses it.
 */
function fakeSnapshot(): string {
  const dir = Deno.makeTempDirSync({ prefix: "fake_scx_" });
  const inc = path.join(dir, "scheds/include/scx");
  Deno.mkdirSync(inc, { recursive: true });
  Deno.mkdirSync(path.join(dir, path.dirname(BPFLAND_MAIN)), { recursive: true });
  Deno.writeTextFileSync(
    path.join(inc, "common.bpf.h"),
    [
      "#ifndef FAKE_COMMON",
      "#define FAKE_COMMON",
      '#include "vmlinux.h"',
      "#include <bpf/bpf_helpers.h>",
      '#define SCX_OPS_DEFINE(__name, ...) SEC(".struct_ops.link") struct sched_ext_ops __name = { __VA_ARGS__, };',
      "#endif",
      "",
    ].join("\n"),
  );
  Deno.writeTextFileSync(
    path.join(dir, BPFLAND_MAIN),
    [
      "#include <scx/common.bpf.h>",
      'char _license[] SEC("license") = "GPL";',
      "const volatile u64 slice_max = 1;",
      'SCX_OPS_DEFINE(fake_ops, .timeout_ms = 5000, .name = "fake");',
      "",
    ].join("\n"),
  );
  return dir;
}

Deno.test("parseKernelEnums reads sched_ext's enumerators as bpftool writes them, signed and unsigned", () => {
  const h = [
    "enum scx_dsq_id_flags {",
    "\tSCX_DSQ_FLAG_BUILTIN = 9223372036854775808ULL,",
    "\tSCX_DSQ_LOCAL = 9223372036854775810ULL,",
    "};",
    "enum scx_task_state {",
    "\tSCX_TASK_CURSOR = -2147483648,",
    "\tSCX_TASK_NONE = 0,",
    "\tNOT_SCX = 3,",
    "};",
  ].join("\n");
  assert.deepEqual(
    [...parseKernelEnums(h)],
    [
      ["SCX_DSQ_FLAG_BUILTIN", 9223372036854775808n],
      ["SCX_DSQ_LOCAL", 9223372036854775810n],
      ["SCX_TASK_CURSOR", -2147483648n],
      ["SCX_TASK_NONE", 0n],
    ],
  );
});

Deno.test("bpflandSettings: upstream's defaults, and each enum as its __SCX_ global's u64 bit pattern", () => {
  const s = bpflandSettings(new Map([["SCX_SLICE_DFL", 20_000_000n], ["SCX_TASK_CURSOR", -1n]]));
  assert.equal(s.rodata.slice_max, "1000000", "1 ms slice");
  assert.equal(s.rodata.slice_lag, "40000000", "40 ms lag");
  assert.equal(s.rodata.sticky_tasks, "0", "the BPF default is on; the Rust loader's default is off");
  assert.equal(s.rodata.__SCX_SLICE_DFL, "20000000");
  assert.equal(s.rodata.__SCX_TASK_CURSOR, "18446744073709551615");
  assert.deepEqual(s.live, { cpufreq_perf_lvl: "1024" });
  assert.equal(Object.keys(BPFLAND_DEFAULTS).length + 2, Object.keys(s.rodata).length);
});

Deno.test("the wrapper adds upstream's ops flags to SCX_OPS_DEFINE and then compiles upstream's file", () => {
  const w = wrapperSource();
  assert.match(w, /#undef SCX_OPS_DEFINE/);
  assert.match(
    w,
    /\.flags = SCX_OPS_ENQ_EXITING \| SCX_OPS_ENQ_LAST \| SCX_OPS_ENQ_MIGRATION_DISABLED \| SCX_OPS_ALLOW_QUEUED_WAKEUP/,
  );
  assert.ok(w.indexOf("#include <scx/common.bpf.h>") < w.indexOf("#undef"), "upstream's macro defined first");
  assert.ok(w.trimEnd().endsWith('#include "main.bpf.c"'));
});

Deno.test("buildBpfland names what is missing when the folder is not a sched-ext/scx snapshot", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assert.throws(
      () => buildBpfland(dir, { cacheDir: dir, kernelDir: KERNEL_DIR }),
      (e) =>
        e instanceof BpflandSourceError &&
        /^--bpfland-src .*: no file scheds\/rust\/scx_bpfland\/src\/bpf\/main\.bpf\.c: expected a sched-ext\/scx snapshot \(git archive HEAD scheds\/include scheds\/rust\/scx_bpfland \| tar x\)$/
          .test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("buildBpfland compiles a snapshot against the test kernel with the ops flags set in the object", () => {
  const src = fakeSnapshot();
  const cache = Deno.makeTempDirSync();
  try {
    const b = buildBpfland(src, { cacheDir: cache, kernelDir: KERNEL_DIR });
    assert.match(b.source, /^scx_bpfland from .*fake_scx_.* \(main\.bpf\.c sha256 [0-9a-f]{12}\)$/);
    const settings = JSON.parse(Deno.readTextFileSync(b.settings));
    assert.ok(Number(settings.rodata.__SCX_DSQ_LOCAL) > 2 ** 62, "enum values from the kernel's vmlinux.h");
    // Where `flags` sits in struct sched_ext_ops (the object's BTF), and its value in the ops section.
    const btf = run("bpftool", ["btf", "dump", "file", b.object]);
    const ops = btf.slice(btf.indexOf("STRUCT 'sched_ext_ops'"));
    const bits = Number(/'flags' type_id=\d+ bits_offset=(\d+)/.exec(ops)![1]);
    const dump = run("llvm-objdump-16", ["-s", "-j", ".struct_ops.link", b.object]);
    const bytes = dump.split("\n").filter((l) => /^ [0-9a-f]{4} /.test(l)).flatMap((l) =>
      l.slice(6, 41).trim().split(/\s+/).join("").match(/../g)!.map((h) => parseInt(h, 16))
    );
    const flags = new DataView(Uint8Array.from(bytes).buffer).getBigUint64(bits / 8, true);
    assert.equal(
      flags,
      2n | 4n | 16n | 32n,
      "ENQ_LAST | ENQ_EXITING | ENQ_MIGRATION_DISABLED | ALLOW_QUEUED_WAKEUP",
    );
    assert.deepEqual(
      [...Deno.readDirSync(cache)].map((e) => e.name).sort(),
      [
        path.basename(b.object),
        path.basename(b.settings),
      ].sort(),
      "only the object and its settings are left behind",
    );
  } finally {
    Deno.removeSync(src, { recursive: true });
    Deno.removeSync(cache, { recursive: true });
  }
});

Deno.test("buildBpfland reports a compile error in one line", () => {
  const src = fakeSnapshot();
  try {
    Deno.writeTextFileSync(path.join(src, BPFLAND_MAIN), "#include <scx/common.bpf.h>\nnot C;\n");
    assert.throws(
      () => buildBpfland(src, { cacheDir: src, kernelDir: KERNEL_DIR }),
      (e) =>
        e instanceof BpflandSourceError &&
        /^compiling .*main\.bpf\.c: clang-16 failed: .*error/.test(e.message),
    );
  } finally {
    Deno.removeSync(src, { recursive: true });
  }
});

Deno.test("parseCpuList reads sysfs CPU lists", () => {
  assert.deepEqual(parseCpuList("0-3,6\n"), [0, 1, 2, 3, 6]);
  assert.deepEqual(parseCpuList("1"), [1]);
  assert.deepEqual(parseCpuList(""), []);
});
