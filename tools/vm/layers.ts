/**
 * The guest's initramfs, built as concatenated cpio archives ("layers"). The kernel unpacks them in
 * order, each one over the last, so the large, rarely changing parts are built once and cached under
 * `.cache/vm/`, and each run only adds a small uncompressed layer:
 *
 * | layer     | holds                                                                  | rebuilt when        |
 * |-----------|------------------------------------------------------------------------|---------------------|
 * | `system`  | busybox, glibc and every library of deno/libbpf/cyclictest, libbpf,     | a host file changes |
 * |           | cyclictest, the kernel config (libbpf reads `__kconfig` from it), the   |                     |
 * |           | evdev and virtio_blk modules (decompressed)                             |                     |
 * | `deno`    | the Deno binary the host runs (so the bundle runs on the same version)  | deno changes        |
 * | `gamesim` | tools/gamesim.c compiled with `gcc -O2 -static -pthread`             | gamesim.c changes   |
 * | run       | /init, the scenario and its args/env, the scx_gamer bundle and wrapper  | every run           |
 *
 * A cached layer's file name carries a hash of its inputs (paths, sizes, mtimes, generated content), so a
 * stale layer is never used and concurrent runs never write the same file (temp file + rename).
 *
 * @module
 */

import * as path from "node:path";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { cpioBytes, cpioChunks, type CpioEntry } from "./cpio.ts";
import { fingerprintFiles, HostFileError, mirrorHostPath, sharedLibraries } from "./host_files.ts";

/** The repository root (tools/vm/ is two levels down). */
export const REPO_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Bumped whenever the layout of a cached layer changes, to invalidate every cached layer at once. */
const LAYER_FORMAT = 1;

/** Kernel modules the guest loads, relative to the modules tree's kernel/ folder (stored .ko.xz). */
const GUEST_MODULES = ["drivers/input/evdev.ko", "drivers/block/virtio_blk.ko"];

/** Host programs copied into the system layer with their libraries. */
const HOST_PROGRAMS = ["/usr/bin/cyclictest"];

/** Host libraries dlopen()ed in the guest (libbpf by lib/bpf), copied with their own dependencies. */
const HOST_LIBRARIES = ["/usr/lib/x86_64-linux-gnu/libbpf.so.1"];

/** Where the guest's busybox comes from (Debian's busybox-static). */
const BUSYBOX = "/bin/busybox";

/** The test kernel as laid out by scripts/kernel.sh. */
export interface KernelFiles {
  dir: string;
  vmlinuz: string;
  config: string;
  version: string;
  modulesDir: string;
}

/** The VM's kernel or a host tool is missing. */
export class VmSetupError extends Error {
  override name = "VmSetupError";
}

/**
 * Locate the test kernel prepared by scripts/kernel.sh (run `bash scripts/kernel.sh` or `deno task
 * setup` first; this never downloads anything itself).
 *
 * @throws {VmSetupError} when the kernel files are missing.
 */
export function findKernel(kernelDir: string = path.join(REPO_ROOT, ".cache/kernel")): KernelFiles {
  const need = ["vmlinuz", "config", "version"].map((f) => path.join(kernelDir, f));
  for (const f of need) {
    try {
      Deno.statSync(f);
    } catch {
      throw new VmSetupError(
        `${f}: missing: run 'bash scripts/kernel.sh' to fetch the sched_ext test kernel`,
      );
    }
  }
  const version = Deno.readTextFileSync(path.join(kernelDir, "version")).trim();
  return {
    dir: kernelDir,
    vmlinuz: need[0],
    config: need[1],
    version,
    modulesDir: path.join(kernelDir, "modules", version),
  };
}

/** How a cached layer is described: a name, the fingerprint of its inputs, and how to produce it. */
interface LayerRecipe {
  name: string;
  fingerprint: string;
  /** Work to do before the entries can be listed (e.g. compiling); runs only on a cache miss. */
  prepare?: () => Promise<void>;
  entries: () => Iterable<CpioEntry>;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function runTool(cmd: string, args: string[], what: string): Uint8Array {
  let res: Deno.CommandOutput;
  try {
    res = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).outputSync();
  } catch (e) {
    throw new VmSetupError(`${what}: cannot run ${cmd}: ${(e as Error).message} (run 'deno task setup')`);
  }
  if (!res.success) {
    const err = new TextDecoder().decode(res.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new VmSetupError(`${what}: ${cmd} failed: ${err}`);
  }
  return res.stdout;
}

function dirs(paths: string[], seen: Set<string>): CpioEntry[] {
  const out: CpioEntry[] = [];
  for (const p of paths) {
    if (seen.has(p)) continue;
    seen.add(p);
    out.push({ kind: "dir", path: p, mode: p === "/tmp" ? 0o1777 : 0o755 });
  }
  return out;
}

function text(p: string, content: string, mode = 0o644): CpioEntry {
  return { kind: "file", path: p, data: new TextEncoder().encode(content), mode };
}

/** Every library the guest's dynamically linked programs need, resolved on the host. */
function guestLibraries(denoPath: string): string[] {
  const libs = new Set<string>();
  for (const elf of [denoPath, ...HOST_PROGRAMS, ...HOST_LIBRARIES]) {
    for (const lib of sharedLibraries(elf)) libs.add(lib);
  }
  for (const lib of HOST_LIBRARIES) libs.add(lib);
  return [...libs].sort();
}

function systemRecipe(kernel: KernelFiles, denoPath: string): LayerRecipe {
  const libs = guestLibraries(denoPath);
  const modules = GUEST_MODULES.map((m) => path.join(kernel.modulesDir, "kernel", m + ".xz"));
  const applets = new TextDecoder().decode(runTool(BUSYBOX, ["--list"], "busybox applets")).split("\n")
    .map((s) => s.trim()).filter((s) => s !== "" && s !== "busybox");
  const etc = {
    "/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "/etc/group": "root:x:0:\nnogroup:x:65534:\n",
    "/etc/hosts": "127.0.0.1 localhost scx-vm\n",
    "/etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
  };
  const fingerprint = [
    `format ${LAYER_FORMAT}`,
    fingerprintFiles([BUSYBOX, ...HOST_PROGRAMS, ...libs, kernel.config, ...modules]),
    applets.join(","),
    JSON.stringify(etc),
    kernel.version,
  ].join("\n");
  return {
    name: "system",
    fingerprint,
    entries: function* () {
      const seen = new Set<string>();
      yield* dirs(
        ["/bin", "/sbin", "/usr", "/usr/bin", "/usr/sbin", "/etc", "/proc", "/sys", "/dev", "/tmp"],
        seen,
      );
      yield* dirs(["/run", "/root", "/work", "/opt", "/boot", "/mnt", "/var", "/var/tmp"], seen);
      yield { kind: "file", path: "/bin/busybox", data: Deno.readFileSync(BUSYBOX), mode: 0o755 };
      for (const applet of applets) yield { kind: "symlink", path: `/bin/${applet}`, target: "busybox" };
      for (const [p, content] of Object.entries(etc)) yield text(p, content);
      for (const file of [...libs, ...HOST_PROGRAMS]) yield* mirrorHostPath(file, seen);
      yield { kind: "file", path: `/boot/config-${kernel.version}`, data: Deno.readFileSync(kernel.config) };
      const modRoot = `/lib/modules/${kernel.version}/kernel`;
      for (let i = 0; i < modules.length; i++) {
        const guestPath = `${modRoot}/${GUEST_MODULES[i]}`;
        const parents: string[] = [];
        for (let d = path.dirname(guestPath); d !== "/" && !seen.has(d); d = path.dirname(d)) {
          parents.unshift(d);
        }
        // /lib is the host's merged-usr symlink by now; its subfolders are new.
        yield* dirs(parents.filter((d) => d !== "/lib"), seen);
        yield {
          kind: "file",
          path: guestPath,
          data: runTool("xz", ["-dc", modules[i]], `module ${modules[i]}`),
        };
      }
    },
  };
}

function denoRecipe(denoPath: string): LayerRecipe {
  return {
    name: "deno",
    fingerprint: `format ${LAYER_FORMAT}\n${fingerprintFiles([denoPath])}`,
    entries: function* () {
      yield* dirs(["/usr", "/usr/bin"], new Set());
      yield { kind: "file", path: "/usr/bin/deno", data: Deno.readFileSync(denoPath), mode: 0o755 };
    },
  };
}

function gamesimRecipe(cacheDir: string): LayerRecipe {
  const source = path.join(REPO_ROOT, "tools/gamesim.c");
  const sourceText = Deno.readTextFileSync(source);
  const flags = ["-O2", "-static", "-pthread", "-Wall", "-Wextra", "-Werror"];
  const hash = sha256(`${sourceText}\n${flags.join(" ")}`).slice(0, 16);
  const binary = path.join(cacheDir, `gamesim-${hash}`);
  return {
    name: "gamesim",
    fingerprint: `format ${LAYER_FORMAT}\n${hash}`,
    prepare: () => {
      const tmp = `${binary}.tmp${Deno.pid}`;
      runTool("gcc", [...flags, "-o", tmp, source], "compiling tools/gamesim.c");
      Deno.renameSync(tmp, binary);
      return Promise.resolve();
    },
    entries: function* () {
      yield* dirs(["/usr", "/usr/bin"], new Set());
      yield { kind: "file", path: "/usr/bin/gamesim", data: Deno.readFileSync(binary), mode: 0o755 };
    },
  };
}

/** Write a recipe's archive, zstd-compressed, to `dest` through a temp file and a rename. */
async function writeCompressed(recipe: LayerRecipe, dest: string): Promise<void> {
  const tmp = `${dest}.tmp${Deno.pid}`;
  let child: Deno.ChildProcess;
  try {
    // zstd decompresses fast in the guest at any level; -9 keeps the deno layer near 40 MB.
    child = new Deno.Command("zstd", { args: ["-q", "-9", "-T0", "-f", "-o", tmp], stdin: "piped" }).spawn();
  } catch (e) {
    throw new VmSetupError(`initramfs layer ${recipe.name}: cannot run zstd: ${(e as Error).message}`);
  }
  const writer = child.stdin.getWriter();
  try {
    for (const chunk of cpioChunks(recipe.entries())) {
      await writer.ready;
      await writer.write(chunk);
    }
  } finally {
    await writer.close();
  }
  const status = await child.status;
  if (!status.success) throw new VmSetupError(`initramfs layer ${recipe.name}: zstd failed (${status.code})`);
  Deno.renameSync(tmp, dest);
}

/** Return the cached layer's path, building it (and removing older builds of that layer) if needed. */
async function cachedLayer(recipe: LayerRecipe, cacheDir: string): Promise<string> {
  const hash = sha256(recipe.fingerprint).slice(0, 16);
  const dest = path.join(cacheDir, `${recipe.name}-${hash}.cpio.zst`);
  try {
    Deno.statSync(dest);
    return dest;
  } catch {
    // Not built yet for these inputs.
  }
  await recipe.prepare?.();
  await writeCompressed(recipe, dest);
  for (const entry of Deno.readDirSync(cacheDir)) {
    const stale = entry.name.startsWith(`${recipe.name}-`) && entry.name.endsWith(".cpio.zst") &&
      path.join(cacheDir, entry.name) !== dest;
    if (stale) Deno.removeSync(path.join(cacheDir, entry.name));
  }
  return dest;
}

/** Options of {@link baseLayers}. */
export interface BaseLayerOptions {
  /** Where layers are cached. Default `.cache/vm` in the repository. */
  cacheDir?: string;
  /** The Deno binary to put in the guest. Default: the one running this code. */
  denoPath?: string;
}

/**
 * The cached base layers, in unpack order, building any that are missing or stale.
 *
 * @throws {VmSetupError} or {@link HostFileError} when a host tool or file is missing.
 */
export async function baseLayers(kernel: KernelFiles, options: BaseLayerOptions = {}): Promise<string[]> {
  const cacheDir = options.cacheDir ?? path.join(REPO_ROOT, ".cache/vm");
  const denoPath = Deno.realPathSync(options.denoPath ?? Deno.execPath());
  Deno.mkdirSync(cacheDir, { recursive: true });
  const recipes = [systemRecipe(kernel, denoPath), denoRecipe(denoPath), gamesimRecipe(cacheDir)];
  const out: string[] = [];
  for (const recipe of recipes) out.push(await cachedLayer(recipe, cacheDir));
  return out;
}

/** What goes into the per-run layer. */
export interface RunLayerSpec {
  /** The scenario script's text. */
  script: string;
  args: string[];
  env: Record<string, string>;
  /** Marks the console lines of this run (see guest/init.sh). */
  nonce: string;
  /** The guest-side scenario timeout in seconds. */
  timeoutS: number;
  /** Path of the scx_gamer bundle, or null when it has not been built. */
  bundle: string | null;
  /** Extra files: guest path -> host path. */
  files: Record<string, string>;
}

/** A guest environment variable name or value that cannot be passed. */
export class VmEnvError extends Error {
  override name = "VmEnvError";
}

/** Quote a string for sh: single quotes, with embedded single quotes closed, escaped and reopened. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

const WRAPPER_BUILT = `#!/bin/sh
# scx_gamer in the VM: the bundle built on the host (deno task bundle), run by the same Deno, with the V8
# flags the binary is compiled with (scripts/compile.sh).
exec deno run -A --unstable-ffi --v8-flags=--no-memory-reducer /opt/scx_gamer/scx_gamer.js "$@"
`;
const WRAPPER_MISSING = `#!/bin/sh
echo "scx_gamer: dist/scx_gamer.js was not built on the host: run 'deno task bundle' (deno task vm does)" >&2
exit 127
`;

/**
 * The per-run layer, uncompressed (it is small, and compressing it would cost more than it saves).
 *
 * @throws {VmEnvError} on an environment variable name that is not a shell identifier.
 * @throws {HostFileError} when the bundle or an extra file is missing.
 */
export function runLayer(spec: RunLayerSpec): Uint8Array {
  const lines = [
    "# Generated by tools/vm/layers.ts for one run.",
    `export VM_NONCE=${shellQuote(spec.nonce)}`,
    `export VM_TIMEOUT_S=${Math.max(1, Math.ceil(spec.timeoutS))}`,
  ];
  for (const [name, value] of Object.entries(spec.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new VmEnvError(`env '${name}': expected a shell variable name ([A-Za-z_][A-Za-z0-9_]*)`);
    }
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  lines.push(`set -- ${spec.args.map(shellQuote).join(" ")}`.trimEnd());
  const initText = Deno.readTextFileSync(path.join(REPO_ROOT, "tools/vm/guest/init.sh"));
  const read = (p: string): Uint8Array => {
    try {
      return Deno.readFileSync(p);
    } catch {
      throw new HostFileError(`${p}: missing (needed in the VM guest)`);
    }
  };
  const entries: CpioEntry[] = [
    text("/init", initText, 0o755),
    ...dirs(["/opt", "/opt/run", "/opt/scx_gamer", "/usr", "/usr/bin"], new Set()),
    text("/opt/run/env.sh", lines.join("\n") + "\n"),
    text("/opt/run/scenario.sh", spec.script, 0o755),
    text("/usr/bin/scx_gamer", spec.bundle ? WRAPPER_BUILT : WRAPPER_MISSING, 0o755),
  ];
  if (spec.bundle) {
    entries.push({ kind: "file", path: "/opt/scx_gamer/scx_gamer.js", data: read(spec.bundle) });
  }
  const seen = new Set(entries.map((e) => e.path));
  for (const [guestPath, hostPath] of Object.entries(spec.files)) {
    const parents: string[] = [];
    for (let d = path.posix.dirname(guestPath); d !== "/" && !seen.has(d); d = path.posix.dirname(d)) {
      parents.unshift(d);
    }
    entries.push(...dirs(parents, seen));
    const data = read(hostPath);
    entries.push({
      kind: "file",
      path: guestPath,
      data,
      mode: (Deno.statSync(hostPath).mode ?? 0o644) & 0o777,
    });
  }
  return cpioBytes(entries);
}
