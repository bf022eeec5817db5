/**
 * BTF lookups by name: where each global variable sits in its data section, and whether the running
 * kernel has a function or type. Offsets always come from BTF at run time, never from hand-kept tables.
 *
 * @module
 */

import { cString, openLibbpf, readCString } from "./ffi.ts";

const BTF_KIND_INT = 1;
const BTF_KIND_STRUCT = 4;
const BTF_KIND_FUNC = 12;
const BTF_KIND_VAR = 14;
const BTF_KIND_DATASEC = 15;

/** BTF kinds this module looks up. */
export const BtfKind = {
  INT: BTF_KIND_INT,
  STRUCT: BTF_KIND_STRUCT,
  FUNC: BTF_KIND_FUNC,
  DATASEC: BTF_KIND_DATASEC,
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

/** Size and member offsets of a named struct (bitfields excluded), or null when absent. */
export function structLayout(
  btf: Deno.PointerObject,
  name: string,
): { size: number; members: MemberLocation[] } | null {
  const id = findType(btf, name, BTF_KIND_STRUCT);
  if (id < 0) return null;
  const t = readType(btf, id)!;
  const kindFlag = (t.view.getUint32(4) >>> 31) === 1;
  const members: MemberLocation[] = [];
  for (let i = 0; i < t.vlen; i++) {
    // struct btf_member { u32 name_off; u32 type; u32 offset; } (offset in bits).
    const base = 12 + i * 12;
    const bits = t.view.getUint32(base + 8);
    const bitOffset = kindFlag ? bits & 0xffffff : bits;
    members.push({ name: nameOf(btf, t.view.getUint32(base)), offset: bitOffset / 8 });
  }
  return { size: t.sizeOrType, members };
}

/** Does the running kernel's BTF have this function (e.g. to decide whether a hook can attach)? */
export function kernelHasFunction(name: string): boolean {
  const { libbpf } = openLibbpf();
  const btf = libbpf.btf__load_vmlinux_btf();
  if (!btf) return false;
  try {
    return findType(btf, name, BTF_KIND_FUNC) >= 0;
  } finally {
    libbpf.btf__free(btf);
  }
}
