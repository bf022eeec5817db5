/**
 * Checks before loading the scheduler, each failing with one clear line: root, a kernel with sched_ext,
 * no other sched_ext scheduler enabled, and a usable libbpf.
 *
 * @module
 */

import { join } from "node:path";
import { openLibbpf } from "../bpf/ffi.ts";
import { printable } from "../host/terminal.ts";

/** A reason the scheduler cannot be loaded here; the message is the one line to print. */
export class PreflightError extends Error {
  override name = "PreflightError";
}

/** Where to look (tests point these at fake trees). */
export interface PreflightOptions {
  /** Root of sysfs. Default "/sys". */
  sysRoot?: string;
  /** Effective uid. Default Deno.uid(). */
  uid?: number | null;
  /** Kernel release for messages. Default Deno.osRelease(). */
  kernelRelease?: string;
  /** Also check libbpf (default true). */
  checkLibbpf?: boolean;
}

function readTrimmed(path: string): string | null {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return null;
  }
}

/** The state of sched_ext ("enabled", "disabled", ...) and the running scheduler's name, or null without sched_ext. */
export function schedExtState(sysRoot = "/sys"): { state: string; ops: string | null } | null {
  const dir = join(sysRoot, "kernel", "sched_ext");
  const state = readTrimmed(join(dir, "state"));
  if (state === null) return null;
  return { state, ops: readTrimmed(join(dir, "root", "ops")) };
}

/**
 * Run every check; throws the first failure.
 *
 * @throws {PreflightError}
 */
export function preflight(options: PreflightOptions = {}): void {
  const { sysRoot = "/sys", uid = Deno.uid(), kernelRelease = Deno.osRelease(), checkLibbpf = true } =
    options;
  if (uid !== 0) {
    throw new PreflightError(
      "scx_gamer must run as root (sudo ./scx_gamer ...): loading a sched_ext scheduler needs CAP_BPF and CAP_SYS_ADMIN",
    );
  }
  const ext = schedExtState(sysRoot);
  if (!ext) {
    throw new PreflightError(
      `this kernel (${kernelRelease}) has no sched_ext (${
        join(sysRoot, "kernel", "sched_ext")
      } is missing): ` +
        "scx_gamer needs Linux 6.12 or newer built with CONFIG_SCHED_CLASS_EXT=y",
    );
  }
  if (ext.state !== "disabled") {
    const who = ext.ops ? `'${printable(ext.ops)}'` : "another scheduler";
    // Named the ways the scx project's tools start one, so the line says how to stop it.
    throw new PreflightError(
      `a sched_ext scheduler is already running: ${who} (state ${ext.state}); stop it first: ` +
        "'systemctl stop scx' (the scx.service unit), 'scxctl stop' (scx_loader), or Ctrl-C where it was started",
    );
  }
  if (checkLibbpf) openLibbpf();
}
