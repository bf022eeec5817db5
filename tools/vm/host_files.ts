/**
 * Copying host programs into the guest: a host path becomes archive entries that reproduce it exactly,
 * symlinks included, and a dynamically linked program brings the shared libraries `ldd` names.
 *
 * Mirroring the host's layout (merged /usr, /lib64/ld-linux-x86-64.so.2 and its chain of links) is what
 * lets the host's own binaries (deno, cyclictest, libbpf) run unchanged in the guest: the paths baked into
 * them by the dynamic linker are the host's paths.
 *
 * @module
 */

import * as path from "node:path";
import type { CpioEntry } from "./cpio.ts";

/** A host file the guest needs is missing or unusable. */
export class HostFileError extends Error {
  override name = "HostFileError";
}

/**
 * Archive entries that recreate `hostPath` in the guest at the same path: every directory on the way,
 * every symlink met while resolving it (as a symlink), and the final file with its mode. `seen` holds
 * the guest paths already emitted into the same archive, so shared prefixes and libraries appear once.
 *
 * @throws {HostFileError} when the path does not exist or is not a regular file in the end.
 */
export function mirrorHostPath(hostPath: string, seen: Set<string>): CpioEntry[] {
  const out: CpioEntry[] = [];
  mirrorInto(path.resolve(hostPath), seen, out, 0);
  return out;
}

function mirrorInto(absPath: string, seen: Set<string>, out: CpioEntry[], depth: number): void {
  if (depth > 40) throw new HostFileError(`${absPath}: too many levels of symbolic links`);
  const parts = absPath.split("/").filter((p) => p !== "");
  let current = "";
  for (let i = 0; i < parts.length; i++) {
    current += "/" + parts[i];
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(current);
    } catch {
      throw new HostFileError(`${current}: missing on the host (needed in the VM guest)`);
    }
    const last = i === parts.length - 1;
    if (info.isSymlink) {
      const target = Deno.readLinkSync(current);
      if (!seen.has(current)) {
        seen.add(current);
        out.push({ kind: "symlink", path: current, target });
      }
      // Continue from wherever the link points, with the rest of the path appended.
      const resolved = path.resolve(path.dirname(current), target, ...parts.slice(i + 1));
      mirrorInto(resolved, seen, out, depth + 1);
      return;
    }
    if (!last) {
      if (!info.isDirectory) throw new HostFileError(`${current}: not a directory`);
      if (!seen.has(current)) {
        seen.add(current);
        out.push({ kind: "dir", path: current, mode: (info.mode ?? 0o755) & 0o7777 });
      }
      continue;
    }
    if (!info.isFile) throw new HostFileError(`${current}: not a regular file`);
    if (!seen.has(current)) {
      seen.add(current);
      out.push({
        kind: "file",
        path: current,
        data: Deno.readFileSync(current),
        mode: (info.mode ?? 0o644) & 0o7777,
      });
    }
  }
}

/**
 * The shared libraries a host ELF file loads, as `ldd` resolves them (the dynamic loader included);
 * an empty list for a static binary.
 *
 * @throws {HostFileError} when a library is not found.
 */
export function sharedLibraries(elfPath: string): string[] {
  const res = new Deno.Command("ldd", { args: [elfPath], stdout: "piped", stderr: "piped" }).outputSync();
  const text = new TextDecoder().decode(res.stdout) + new TextDecoder().decode(res.stderr);
  if (/not a dynamic executable|statically linked/.test(text)) return [];
  if (!res.success) throw new HostFileError(`${elfPath}: ldd failed: ${text.trim().split("\n")[0]}`);
  const libs: string[] = [];
  for (const line of text.split("\n")) {
    const missing = line.match(/^\s*(\S+) => not found/);
    if (missing) {
      throw new HostFileError(`${elfPath}: needs ${missing[1]}, which is not installed on the host`);
    }
    const m = line.match(/^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)/);
    if (m) libs.push(m[1]);
  }
  return libs;
}

/**
 * A cheap fingerprint of host files for cache keys: real path, size and modification time of each
 * (hashing 100+ MB of binaries on every run would cost more than the boot).
 *
 * @throws {HostFileError} when a file is missing.
 */
export function fingerprintFiles(paths: string[]): string {
  return paths.map((p) => {
    try {
      const real = Deno.realPathSync(p);
      const st = Deno.statSync(real);
      return `${p}->${real}:${st.size}:${st.mtime?.getTime() ?? 0}`;
    } catch {
      throw new HostFileError(`${p}: missing on the host (needed in the VM guest)`);
    }
  }).join("\n");
}
