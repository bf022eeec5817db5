/**
 * A writer for the cpio "newc" format, the format the kernel unpacks an initramfs from.
 *
 * Written here rather than driving the host's `cpio` tool so that an archive's owners, modes and layout
 * come from code (everything owned by root, no staging directory whose permissions leak in) and so a
 * layer can be streamed straight into a compressor without touching the disk twice.
 *
 * @module
 */

/** One member of an archive. Paths are absolute guest paths ("/usr/bin/deno"). */
export type CpioEntry =
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "file"; path: string; data: Uint8Array; mode?: number }
  | { kind: "symlink"; path: string; target: string };

/** A path that cannot go into an archive (empty, relative, or with `.`/`..` segments). */
export class CpioPathError extends Error {
  override name = "CpioPathError";
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const TRAILER = "TRAILER!!!";
const encoder = new TextEncoder();

/** The name as stored: relative to the archive root, as the kernel's own gen_init_cpio writes it. */
function storedName(path: string): string {
  const name = path.replace(/^\/+/, "");
  if (name === "" || name.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new CpioPathError(`cpio: bad archive path '${path}': expected an absolute path without . or ..`);
  }
  return name;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function padTo4(length: number): Uint8Array {
  return new Uint8Array((4 - (length % 4)) % 4);
}

function header(name: string, ino: number, mode: number, size: number, nlink: number): Uint8Array {
  const nameBytes = encoder.encode(name + "\0");
  // Fields: ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check.
  // mtime 0 keeps an archive byte-identical for identical inputs.
  const fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, nameBytes.length, 0];
  const head = encoder.encode("070701" + fields.map(hex8).join(""));
  const out = new Uint8Array(head.length + nameBytes.length);
  out.set(head);
  out.set(nameBytes, head.length);
  return out;
}

/**
 * Encode entries as one newc archive, chunk by chunk, ending with the trailer. Entries are consumed
 * lazily, so a generator that reads files on demand keeps memory to one file at a time.
 *
 * @throws {CpioPathError} on a path that is empty, relative after stripping, or has `.`/`..` segments.
 *
 * @example
 * ```ts
 * const chunks = [...cpioChunks([{ kind: "dir", path: "/bin" }, {
 *   kind: "file", path: "/bin/hello", data: new TextEncoder().encode("#!/bin/sh\necho hi\n"), mode: 0o755,
 * }])];
 * ```
 */
export function* cpioChunks(entries: Iterable<CpioEntry>): Generator<Uint8Array> {
  let ino = 1;
  let offset = 0;
  const emit = (bytes: Uint8Array): Uint8Array => {
    offset += bytes.length;
    return bytes;
  };
  for (const entry of entries) {
    const name = storedName(entry.path);
    let mode: number;
    let data: Uint8Array;
    if (entry.kind === "dir") {
      mode = S_IFDIR | (entry.mode ?? 0o755);
      data = new Uint8Array(0);
    } else if (entry.kind === "file") {
      mode = S_IFREG | (entry.mode ?? 0o644);
      data = entry.data;
    } else {
      mode = S_IFLNK | 0o777;
      data = encoder.encode(entry.target);
    }
    const head = header(name, ino++, mode, data.length, entry.kind === "dir" ? 2 : 1);
    yield emit(head);
    yield emit(padTo4(offset));
    if (data.length > 0) {
      yield emit(data);
      yield emit(padTo4(offset));
    }
  }
  yield emit(header(TRAILER, 0, 0, 0, 1));
  yield emit(padTo4(offset));
}

/**
 * Encode entries as one archive in memory (for small archives such as the per-run layer).
 *
 * @throws {CpioPathError} as {@link cpioChunks}.
 */
export function cpioBytes(entries: Iterable<CpioEntry>): Uint8Array {
  const chunks = [...cpioChunks(entries)];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
