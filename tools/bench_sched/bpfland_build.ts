/**
 * scx_bpfland for the benchmark's comparison row, built at benchmark time from a sched-ext/scx snapshot
 * the user fetched and named with `--bpfland-src DIR` (nothing of upstream is in this repository: no
 * source, no object, and without DIR the row is simply absent). The object goes to `.cache/bench_sched/`;
 * bpfland_loader.ts loads it in the guest through this project's libbpf binding.
 *
 * What upstream's Rust loader does and how it is reproduced here:
 * - `.rodata` from its command-line defaults ({@link BPFLAND_DEFAULTS}: 1 ms slice, 40 ms lag, the rest
 *   off), written before load;
 * - the sched_ext enum values (`__SCX_*` globals, read by scx_utils from the kernel's BTF) from the test
 *   kernel's own vmlinux.h, which is the guest's kernel;
 * - the struct_ops flags (ENQ_EXITING | ENQ_LAST | ENQ_MIGRATION_DISABLED | ALLOW_QUEUED_WAKEUP; the
 *   per-node idle flag only on NUMA machines, which the VM is not) compiled in by a wrapper that adds
 *   `.flags` to upstream's SCX_OPS_DEFINE: our loader cannot write the struct_ops map before load;
 * - topology (SMT, NUMA, CPU capacities), the primary domain (all CPUs) and cpufreq level (max) by the
 *   loader in the guest.
 * Not reproduced: the exit dump buffer (upstream's default 32 KiB; the reason and message still come
 * back) and `hotplug_seq` (no hotplug happens during the benchmark).
 *
 * @module
 */

import * as path from "node:path";
import { createHash } from "node:crypto";
import type { BpflandSettings } from "./bpfland_loader.ts";

/** `--bpfland-src` does not point at a usable snapshot, or it did not compile; the message says why. */
export class BpflandSourceError extends Error {
  override name = "BpflandSourceError";
}

/** Where the scheduler's BPF source sits in a sched-ext/scx snapshot. */
export const BPFLAND_MAIN = "scheds/rust/scx_bpfland/src/bpf/main.bpf.c";
/** The shared headers in a snapshot. */
export const SCX_INCLUDE = "scheds/include";

/**
 * `.rodata` of scx_bpfland as its Rust loader sets it with no options (scx_bpfland/src/main.rs `Opts`
 * defaults): slice_us 1000, slice_min_us 0, slice_us_lag 40000, throttle_us 0, every switch off,
 * primary domain "auto" (all CPUs on a machine without an energy profile).
 */
export const BPFLAND_DEFAULTS: Readonly<Record<string, bigint>> = {
  debug: 0n,
  slice_max: 1_000_000n,
  slice_min: 0n,
  slice_lag: 40_000_000n,
  throttle_ns: 0n,
  local_pcpu: 0n,
  local_kthreads: 0n,
  no_wake_sync: 0n,
  sticky_tasks: 0n,
  preferred_idle_scan: 0n,
  primary_all: 1n,
  timely_enabled: 0n,
};

/** `.bss` set after load: cpufreq level 1024 (max; upstream's default without `--cpufreq`). */
export const BPFLAND_LIVE: Readonly<Record<string, bigint>> = { cpufreq_perf_lvl: 1024n };

/** The struct_ops flags upstream sets on a machine with one NUMA node. */
const OPS_FLAGS =
  "SCX_OPS_ENQ_EXITING | SCX_OPS_ENQ_LAST | SCX_OPS_ENQ_MIGRATION_DISABLED | SCX_OPS_ALLOW_QUEUED_WAKEUP";

/**
 * The values of the kernel's sched_ext enumerators (`SCX_*`) in a vmlinux.h as bpftool writes it
 * ("\tNAME = VALUE[ULL|LL|U],").
 *
 * @example
 * ```ts
 * parseKernelEnums("enum x {\n\tSCX_DSQ_LOCAL = 9223372036854775810ULL,\n\tSCX_TASK_CURSOR = -2147483648,\n};");
 * // Map { "SCX_DSQ_LOCAL" => 9223372036854775810n, "SCX_TASK_CURSOR" => -2147483648n }
 * ```
 */
export function parseKernelEnums(vmlinuxH: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const m of vmlinuxH.matchAll(/^\s+(SCX_[A-Z0-9_]+) = (-?\d+)(?:ULL|LL|UL|U|L)?,?\s*$/gm)) {
    out.set(m[1], BigInt(m[2]));
  }
  return out;
}

/**
 * The loader's settings: upstream's defaults plus every kernel enum as its `__SCX_*` global (the object
 * declares the ones it uses; the loader skips the rest), values as u64 bit patterns.
 */
export function bpflandSettings(enums: ReadonlyMap<string, bigint>): BpflandSettings {
  const rodata: Record<string, string> = {};
  for (const [k, v] of Object.entries(BPFLAND_DEFAULTS)) rodata[k] = v.toString();
  for (const [k, v] of enums) rodata[`__${k}`] = BigInt.asUintN(64, v).toString();
  const live = Object.fromEntries(Object.entries(BPFLAND_LIVE).map(([k, v]) => [k, v.toString()]));
  return { rodata, live };
}

/** The C wrapper compiled instead of main.bpf.c: upstream's file, with the flags added to its ops. */
export function wrapperSource(): string {
  return [
    "/* Written by scx_gamer's bench:sched from the user's sched-ext/scx snapshot; not part of scx_gamer. */",
    "#include <scx/common.bpf.h>",
    "#undef SCX_OPS_DEFINE",
    "#define SCX_OPS_DEFINE(__name, ...) \\",
    '\tSEC(".struct_ops.link") struct sched_ext_ops __name = { __VA_ARGS__, \\',
    `\t\t.flags = ${OPS_FLAGS}, };`,
    '#include "main.bpf.c"',
    "",
  ].join("\n");
}

/** What {@link buildBpfland} produced. */
export interface BpflandBuild {
  /** The BPF object (DWARF stripped; BTF kept). */
  object: string;
  /** The loader's settings, JSON. */
  settings: string;
  /** One line naming the source: its folder and main.bpf.c's hash. */
  source: string;
}

function run(cmd: string, args: string[], what: string): void {
  let r: Deno.CommandOutput;
  try {
    r = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  } catch (e) {
    throw new BpflandSourceError(`${what}: cannot run ${cmd}: ${(e as Error).message}`);
  }
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").filter((l) => /error/.test(l))
      .slice(0, 2).join(" | ");
    throw new BpflandSourceError(`${what}: ${cmd} failed: ${err || `exit ${r.code}`}`);
  }
}

/**
 * Compile scx_bpfland from the snapshot at `srcDir` (the folder holding `scheds/`) against the test
 * kernel's vmlinux.h, into `cacheDir`.
 *
 * @throws {BpflandSourceError} when the snapshot is incomplete or does not compile.
 */
export function buildBpfland(
  srcDir: string,
  options: { cacheDir: string; kernelDir: string },
): BpflandBuild {
  const main = path.join(srcDir, BPFLAND_MAIN);
  const include = path.join(srcDir, SCX_INCLUDE);
  for (const [p, what] of [[main, "file"], [path.join(include, "scx/common.bpf.h"), "file"]]) {
    try {
      if (!Deno.statSync(p).isFile) throw new Error();
    } catch {
      throw new BpflandSourceError(
        `--bpfland-src ${srcDir}: no ${what} ${
          path.relative(srcDir, p)
        }: expected a sched-ext/scx snapshot ` +
          "(git archive HEAD scheds/include scheds/rust/scx_bpfland | tar x)",
      );
    }
  }
  const vmlinuxH = path.join(options.kernelDir, "vmlinux.h");
  let kernelHeader: string;
  try {
    kernelHeader = Deno.readTextFileSync(vmlinuxH);
  } catch {
    throw new BpflandSourceError(`${vmlinuxH}: missing: run 'bash scripts/kernel.sh' first`);
  }
  const hash = createHash("sha256").update(Deno.readFileSync(main)).digest("hex").slice(0, 12);
  Deno.mkdirSync(options.cacheDir, { recursive: true });
  const base = path.join(options.cacheDir, `bpfland-${hash}-${Deno.pid}`);
  const wrapper = `${base}.wrapper.bpf.c`;
  Deno.writeTextFileSync(wrapper, wrapperSource());
  try {
    run("clang-16", [
      ...["-target", "bpf", "-O2", "-g", "-mcpu=v3", "-D__TARGET_ARCH_x86"],
      ...["-I", options.kernelDir, "-I", include, "-I", path.join(include, "bpf-compat")],
      ...["-I", path.dirname(main), "-I", "/usr/include/x86_64-linux-gnu"],
      ...["-c", wrapper, "-o", `${base}.full.o`],
    ], `compiling ${main}`);
    run("llvm-strip-16", ["-g", "-o", `${base}.o`, `${base}.full.o`], "stripping the bpfland object");
  } finally {
    for (const f of [wrapper, `${base}.full.o`]) {
      try {
        Deno.removeSync(f);
      } catch {
        // Not written.
      }
    }
  }
  const settings = `${base}.json`;
  Deno.writeTextFileSync(settings, JSON.stringify(bpflandSettings(parseKernelEnums(kernelHeader))) + "\n");
  return {
    object: `${base}.o`,
    settings,
    source: `scx_bpfland from ${path.resolve(srcDir)} (main.bpf.c sha256 ${hash})`,
  };
}
