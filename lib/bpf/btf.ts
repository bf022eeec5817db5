/**
 * BTF lookups by name: where each global variable sits in its data section, struct layouts, enum values,
 * the kernel functions an object calls, and what the running kernel has (functions, enums, struct
 * members). Offsets and constants always come from BTF, never from hand-kept tables.
 *
 * @module
 */

import { cString, openLibbpf, readCString } from "./ffi.ts";

const BTF_KIND_INT = 1;
const BTF_KIND_STRUCT = 4;
const BTF_KIND_ENUM = 6;
const BTF_KIND_FUNC = 12;
const BTF_KIND_VAR = 14;
const BTF_KIND_DATASEC = 15;
const BTF_KIND_ENUM64 = 19;
/** A FUNC's linkage (kept in vlen): an extern, resolved against the kernel at load (a kfunc). */
const BTF_FUNC_EXTERN = 2;

/** BTF kinds this module looks up. */
export const BtfKind = {
  INT: BTF_KIND_INT,
  STRUCT: BTF_KIND_STRUCT,
  ENUM: BTF_KIND_ENUM,
  FUNC: BTF_KIND_FUNC,
  DATASEC: BTF_KIND_DATASEC,
  ENUM64: BTF_KIND_ENUM64,
} as const;

/** One global variable: its section, byte offset and size. */
export interface VarLocation {
  section: string;
  offset: number;
  size: number;
}

/** A struct member: byte offset and size (bitfields are not supported). */
export interface MemberLocation {
  name: string;
  offset: number;
  /** Bytes (an array's whole size). */
  size: number;
}

interface RawType {
  nameOff: number;
  kind: number;
  vlen: number;
  sizeOrType: number;
  /** Pointer view on the type record, for the trailing entries. */
  view: Deno.UnsafePointerView;
}

function readType(btf: Deno.PointerObject, id: number): RawType | null {
  const { libbpf } = openLibbpf();
  const p = libbpf.btf__type_by_id(btf, id);
  if (!p) return null;
  const view = new Deno.UnsafePointerView(p);
  const info = view.getUint32(4);
  return {
    nameOff: view.getUint32(0),
    kind: (info >>> 24) & 0x1f,
    vlen: info & 0xffff,
    sizeOrType: view.getUint32(8),
    view,
  };
}

function nameOf(btf: Deno.PointerObject, nameOff: number): string {
  return readCString(openLibbpf().libbpf.btf__name_by_offset(btf, nameOff));
}

/** Id of a named type of a kind, or -1. */
export function findType(btf: Deno.PointerObject, name: string, kind: number): number {
  const id = openLibbpf().libbpf.btf__find_by_name_kind(btf, cString(name), kind);
  return id < 0 ? -1 : id;
}

/**
 * Every variable of the given data sections (".rodata", ".data", ".bss"), by name.
 * A section that the object does not have is skipped.
 */
export function dataSectionVars(
  btf: Deno.PointerObject,
  sections: readonly string[],
): Map<string, VarLocation> {
  const vars = new Map<string, VarLocation>();
  for (const section of sections) {
    const id = findType(btf, section, BTF_KIND_DATASEC);
    if (id < 0) continue;
    const sec = readType(btf, id)!;
    for (let i = 0; i < sec.vlen; i++) {
      // struct btf_var_secinfo { u32 type; u32 offset; u32 size; } follows the 12-byte btf_type.
      const base = 12 + i * 12;
      const varType = readType(btf, sec.view.getUint32(base));
      if (!varType || varType.kind !== BTF_KIND_VAR) continue;
      vars.set(nameOf(btf, varType.nameOff), {
        section,
        offset: sec.view.getUint32(base + 4),
        size: sec.view.getUint32(base + 8),
      });
    }
  }
  return vars;
}

/** Size and member offsets and sizes of a named struct (bitfields excluded), or null when absent. */
export function structLayout(
  btf: Deno.PointerObject,
  name: string,
): { size: number; members: MemberLocation[] } | null {
  const id = findType(btf, name, BTF_KIND_STRUCT);
  if (id < 0) return null;
  const { libbpf } = openLibbpf();
  const t = readType(btf, id)!;
  const kindFlag = (t.view.getUint32(4) >>> 31) === 1;
  const members: MemberLocation[] = [];
  for (let i = 0; i < t.vlen; i++) {
    // struct btf_member { u32 name_off; u32 type; u32 offset; } (offset in bits).
    const base = 12 + i * 12;
    const bits = t.view.getUint32(base + 8);
    const bitOffset = kindFlag ? bits & 0xffffff : bits;
    const size = Number(libbpf.btf__resolve_size(btf, t.view.getUint32(base + 4)));
    members.push({ name: nameOf(btf, t.view.getUint32(base)), offset: bitOffset / 8, size });
  }
  return { size: t.sizeOrType, members };
}

/** The constants of a named enum (32- or 64-bit), in declaration order, or null when absent. */
export function enumValues(btf: Deno.PointerObject, name: string): Map<string, bigint> | null {
  let id = findType(btf, name, BTF_KIND_ENUM);
  if (id < 0) id = findType(btf, name, BTF_KIND_ENUM64);
  if (id < 0) return null;
  const t = readType(btf, id)!;
  const signed = (t.view.getUint32(4) >>> 31) === 1;
  const values = new Map<string, bigint>();
  for (let i = 0; i < t.vlen; i++) {
    if (t.kind === BTF_KIND_ENUM) {
      // struct btf_enum { u32 name_off; s32 val; }
      const base = 12 + i * 8;
      const raw = t.view.getUint32(base + 4);
      values.set(nameOf(btf, t.view.getUint32(base)), BigInt(signed ? raw | 0 : raw));
    } else {
      // struct btf_enum64 { u32 name_off; u32 val_lo32; u32 val_hi32; }
      const base = 12 + i * 12;
      const raw = (BigInt(t.view.getUint32(base + 8)) << 32n) | BigInt(t.view.getUint32(base + 4));
      values.set(nameOf(btf, t.view.getUint32(base)), signed ? BigInt.asIntN(64, raw) : raw);
    }
  }
  return values;
}

/**
 * Names of the extern functions (kfuncs) a BTF declares. Use the BTF as compiled (see
 * {@link elfKfuncs}): libbpf rewrites extern declarations when it opens an object.
 */
export function externFunctions(btf: Deno.PointerObject): string[] {
  const { libbpf } = openLibbpf();
  const out: string[] = [];
  const count = libbpf.btf__type_cnt(btf);
  for (let id = 1; id < count; id++) {
    const t = readType(btf, id);
    if (t && t.kind === BTF_KIND_FUNC && t.vlen === BTF_FUNC_EXTERN) out.push(nameOf(btf, t.nameOff));
  }
  return out;
}

/** The bytes of a named section of a 64-bit little-endian ELF file, or null when absent. */
export function elfSection(elf: Uint8Array, name: string): Uint8Array | null {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 64 || v.getUint32(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new TypeError("not a 64-bit little-endian ELF object");
  }
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const header = (i: number) => shoff + i * shentsize;
  const strtab = Number(v.getBigUint64(header(v.getUint16(0x3e, true)) + 0x18, true));
  const want = new TextEncoder().encode(name + "\0");
  for (let i = 0; i < shnum; i++) {
    const at = strtab + v.getUint32(header(i), true);
    if (want.every((b, k) => elf[at + k] === b)) {
      const offset = Number(v.getBigUint64(header(i) + 0x18, true));
      return elf.subarray(offset, offset + Number(v.getBigUint64(header(i) + 0x20, true)));
    }
  }
  return null;
}

/** The kfuncs a compiled BPF object calls, read from its .BTF section as the compiler wrote it. */
export function elfKfuncs(elf: Uint8Array): string[] {
  const raw = elfSection(elf, ".BTF");
  if (!raw) return [];
  const { libbpf } = openLibbpf();
  const btf = libbpf.btf__new(new Uint8Array(raw), raw.length);
  if (!btf) throw new TypeError("the object's .BTF section does not parse");
  try {
    return externFunctions(btf);
  } finally {
    libbpf.btf__free(btf);
  }
}

let vmlinux: Deno.PointerObject | null | undefined;

/** The running kernel's BTF, loaded once per process (null when the kernel has none). */
function kernelBtf(): Deno.PointerObject | null {
  if (vmlinux === undefined) vmlinux = openLibbpf().libbpf.btf__load_vmlinux_btf();
  return vmlinux;
}

/** Does the running kernel's BTF have this function (e.g. to decide whether a hook can attach)? */
export function kernelHasFunction(name: string): boolean {
  const btf = kernelBtf();
  return btf !== null && findType(btf, name, BTF_KIND_FUNC) >= 0;
}

/** A kernel enum's constants (e.g. `scx_ops_flags`), or null when the kernel has no such enum. */
export function kernelEnumValues(name: string): Map<string, bigint> | null {
  const btf = kernelBtf();
  return btf ? enumValues(btf, name) : null;
}

/** Member names of a kernel struct (e.g. `sched_ext_ops`), or null when the kernel has no such struct. */
export function kernelStructMembers(name: string): string[] | null {
  const btf = kernelBtf();
  return btf ? structLayout(btf, name)?.members.map((m) => m.name) ?? null : null;
}
