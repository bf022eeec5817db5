/**
 * The build's identity for `--version`, as scx tools print theirs: the version (deno.json), the git
 * commit the build was made from, the embedded BPF object's hash, and the libbpf this machine has.
 *
 * The commit: run from a source checkout (`deno run main.ts`) it is asked of git, since the code
 * running is the working tree; the bundle and the binary carry the one scripts/build_info.sh stamped
 * into lib/generated/build_info.ts when they were made. The BPF object and the stamp are imported
 * only when asked for, so a checkout where neither was built still runs (`--help`, data modes).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import denoJson from "../../deno.json" with { type: "json" };
import { libbpfVersion } from "../bpf/ffi.ts";
import { embeddedObjectBytes } from "./bpf_object.ts";

/** The product version (from deno.json). */
export const VERSION: string = denoJson.version;

/** What `--version` prints. */
export interface BuildIdentity {
  version: string;
  /** Short commit, "-modified" when built with uncommitted changes; null when unknown. */
  commit: string | null;
  /** First 12 hex digits of the embedded BPF object's sha256; null when the object is not built. */
  bpfSha256: string | null;
  /** libbpf's "major.minor", or why it is unusable ("not found", "1.2 (too old)"). */
  libbpf: string;
}

/** The repository root when this code runs from a source checkout, else null (bundle, binary). */
function sourceRoot(): string | null {
  if (!import.meta.url.startsWith("file:") || !import.meta.url.endsWith("/lib/modes/version.ts")) return null;
  const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  // A compiled binary's modules live in a virtual folder without the checkout's .git.
  return existsSync(join(root, ".git")) ? root : null;
}

async function git(root: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command("git", {
      args: ["-C", root, ...args],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null; // no git here
  }
}

/** The commit of this build (see the module doc), or null. */
export async function buildCommit(): Promise<string | null> {
  const root = sourceRoot();
  if (root !== null) {
    const sha = await git(root, ["rev-parse", "--short=12", "HEAD"]);
    if (sha !== null) {
      const changes = await git(root, ["status", "--porcelain", "--untracked-files=no"]);
      return changes ? `${sha}-modified` : sha;
    }
  }
  try {
    return (await import("../generated/build_info.ts")).BUILD_COMMIT;
  } catch {
    return null; // not stamped: a checkout run before any bundle or build
  }
}

/** libbpf's version, or why it cannot be used. */
export function libbpfStatus(): string {
  try {
    return libbpfVersion();
  } catch (e) {
    const old = /libbpf (\d+\.\d+) is too old/.exec((e as Error).message);
    return old ? `${old[1]} (too old: needs 1.4)` : "not found";
  }
}

/** Everything `--version` prints. */
export async function buildIdentity(): Promise<BuildIdentity> {
  const bytes = await embeddedObjectBytes().catch(() => null);
  return {
    version: VERSION,
    commit: await buildCommit(),
    bpfSha256: bytes === null ? null : createHash("sha256").update(bytes).digest("hex").slice(0, 12),
    libbpf: libbpfStatus(),
  };
}

/**
 * The `--version` line.
 *
 * @example
 * ```ts
 * formatVersion({ version: "0.1.0", commit: "4bbc990cf4d0", bpfSha256: "1a2b3c4d5e6f", libbpf: "1.4" });
 * // "scx_gamer 0.1.0 (commit 4bbc990cf4d0, bpf 1a2b3c4d5e6f, libbpf 1.4)"
 * ```
 */
export function formatVersion(id: BuildIdentity): string {
  const libbpf = id.libbpf === "not found" ? "libbpf not found" : `libbpf ${id.libbpf}`;
  return `scx_gamer ${id.version} (commit ${id.commit ?? "unknown"}, bpf ${
    id.bpfSha256 ?? "not built"
  }, ${libbpf})`;
}
