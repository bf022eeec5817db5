/**
 * A BPF object opened from memory through libbpf: set `const volatile` values before load, read and
 * write writable globals live after load (mmapped .data/.bss, found by name through BTF), look up maps
 * and programs, attach programs and struct_ops, and close everything on every path.
 *
 * @example
 * ```ts
 * const obj = BpfObject.open(bytes, { name: "scx_gamer" });
 * try {
 *   obj.setGlobal("stats_on", true); // .rodata, before load
 *   obj.load();
 *   obj.setGlobal("slice_us", 7n); // .data, live
 *   const link = obj.attachStructOps("gamer_ops");
 *   link.destroy();
 * } finally {
 *   obj.close();
 * }
 * ```
 *
 * @module
 */

import { dataSectionVars, enumValues, type MemberLocation, structLayout, type VarLocation } from "./btf.ts";
import { BpfLookupError, LibbpfError } from "./errors.ts";
import {
  check,
  checkPointer,
  cString,
  lastErrno,
  openLibbpf,
  readCString,
  strerror,
  takeLibbpfLog,
  withoutLibbpfLog,
} from "./ffi.ts";

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FAILED = 0xffffffffffffffffn;
const DATA_SECTIONS = [".rodata", ".data", ".bss"] as const;

/** Per-CPU map types: their values are one slot per possible CPU. */
const PERCPU_MAP_TYPES = new Set([5, /* PERCPU_HASH */ 6, /* PERCPU_ARRAY */ 10 /* LRU_PERCPU_HASH */]);

interface Section {
  map: Deno.PointerObject;
  /** Live memory of the section: libbpf's copy before load, the kernel map's mmap after. */
  bytes: Uint8Array;
  view: DataView;
  /** mmapped by us after load (to unmap on close). */
  mapped?: { ptr: Deno.PointerObject; length: number };
}

/** A link (attached program or struct_ops); destroying detaches. Idempotent. */
export class BpfLink {
  #ptr: Deno.PointerObject | null;
  constructor(ptr: Deno.PointerObject) {
    this.#ptr = ptr;
  }
  /** Is it still attached (not destroyed by us)? */
  get attached(): boolean {
    return this.#ptr !== null;
  }
  /** Detach. */
  destroy(): void {
    if (!this.#ptr) return;
    const ptr = this.#ptr;
    this.#ptr = null;
    check(openLibbpf().libbpf.bpf_link__destroy(ptr), "bpf_link__destroy");
  }
}

/** A map of a loaded object. Keys and values are raw bytes in the kernel's layout. */
export class BpfMap {
  readonly name: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly type: number;
  readonly maxEntries: number;
  readonly #ptr: Deno.PointerObject;

  constructor(ptr: Deno.PointerObject) {
    const { libbpf } = openLibbpf();
    this.#ptr = ptr;
    this.name = readCString(libbpf.bpf_map__name(ptr));
    this.keySize = libbpf.bpf_map__key_size(ptr);
    this.valueSize = libbpf.bpf_map__value_size(ptr);
    this.type = libbpf.bpf_map__type(ptr);
    this.maxEntries = libbpf.bpf_map__max_entries(ptr);
  }

  /** Per-CPU maps hold one value per possible CPU. */
  get perCpu(): boolean {
    return PERCPU_MAP_TYPES.has(this.type);
  }

  /** Bytes of one lookup's value: per-CPU values are 8-byte aligned slots, one per possible CPU. */
  get fullValueSize(): number {
    return this.perCpu ? Math.ceil(this.valueSize / 8) * 8 * possibleCpus() : this.valueSize;
  }

  /** The kernel's file descriptor of the map. */
  get fd(): number {
    return openLibbpf().libbpf.bpf_map__fd(this.#ptr);
  }

  #checkKey(key: Uint8Array<ArrayBuffer>): void {
    if (key.length !== this.keySize) {
      throw new RangeError(`map ${this.name}: key is ${key.length} bytes, expected ${this.keySize}`);
    }
  }

  /** The value for a key (all CPUs' slots for a per-CPU map), or null when absent. */
  lookup(key: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> | null {
    this.#checkKey(key);
    const value = new Uint8Array(this.fullValueSize);
    const ret = openLibbpf().libbpf.bpf_map__lookup_elem(
      this.#ptr,
      key,
      BigInt(key.length),
      value,
      BigInt(value.length),
      0n,
    );
    if (ret === -2) return null; // -ENOENT
    check(ret, `lookup in map ${this.name}`);
    return value;
  }

  /** A per-CPU map's value split into one slot per possible CPU. */
  lookupPerCpu(key: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>[] | null {
    if (!this.perCpu) throw new TypeError(`map ${this.name} is not per-CPU`);
    const all = this.lookup(key);
    if (!all) return null;
    const stride = Math.ceil(this.valueSize / 8) * 8;
    return Array.from(
      { length: all.length / stride },
      (_, i) => all.subarray(i * stride, i * stride + this.valueSize),
    );
  }

  /** Insert or replace (flags: 0 any, 1 only new, 2 only existing). */
  update(key: Uint8Array<ArrayBuffer>, value: Uint8Array<ArrayBuffer>, flags = 0n): void {
    this.#checkKey(key);
    if (value.length !== this.fullValueSize) {
      throw new RangeError(
        `map ${this.name}: value is ${value.length} bytes, expected ${this.fullValueSize}`,
      );
    }
    check(
      openLibbpf().libbpf.bpf_map__update_elem(
        this.#ptr,
        key,
        BigInt(key.length),
        value,
        BigInt(value.length),
        flags,
      ),
      `update in map ${this.name}`,
    );
  }

  /** Delete a key; returns false when it was absent. */
  delete(key: Uint8Array<ArrayBuffer>): boolean {
    this.#checkKey(key);
    const ret = openLibbpf().libbpf.bpf_map__delete_elem(this.#ptr, key, BigInt(key.length), 0n);
    if (ret === -2) return false;
    check(ret, `delete in map ${this.name}`);
    return true;
  }

  /** Every key, in the kernel's iteration order. */
  *keys(): Generator<Uint8Array<ArrayBuffer>> {
    const { libbpf } = openLibbpf();
    let current: Uint8Array<ArrayBuffer> | null = null;
    for (;;) {
      const next: Uint8Array<ArrayBuffer> = new Uint8Array(this.keySize);
      const ret = libbpf.bpf_map__get_next_key(this.#ptr, current, next, BigInt(this.keySize));
      if (ret === -2) return;
      check(ret, `next key in map ${this.name}`);
      yield next;
      current = next;
    }
  }
}

/** A program of an object. */
export class BpfProgram {
  readonly name: string;
  readonly #ptr: Deno.PointerObject;
  constructor(ptr: Deno.PointerObject) {
    this.#ptr = ptr;
    this.name = readCString(openLibbpf().libbpf.bpf_program__name(ptr));
  }

  /** The program's fd (after load). */
  get fd(): number {
    return openLibbpf().libbpf.bpf_program__fd(this.#ptr);
  }

  /** Load it or not (before load): a hook the kernel lacks is switched off instead of failing the load. */
  setAutoload(autoload: boolean): void {
    check(openLibbpf().libbpf.bpf_program__set_autoload(this.#ptr, autoload), `set autoload of ${this.name}`);
  }

  /** Attach by its section (fentry, tracepoint, ...). */
  attach(): BpfLink {
    return new BpfLink(
      checkPointer(openLibbpf().libbpf.bpf_program__attach(this.#ptr), `attach ${this.name}`),
    );
  }

  /**
   * The kernel's id of the loaded program (what `/proc/PID/fdinfo` and bpftool name it by) and its
   * instruction counts after load: as translated by the verifier (dead code pruned) and as verified.
   */
  info(): { id: number; xlatedInsns: number; verifiedInsns: number } {
    const info = new Uint8Array(232);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, info.length, true);
    check(openLibbpf().libbpf.bpf_prog_get_info_by_fd(this.fd, info, len), `info of ${this.name}`);
    const view = new DataView(info.buffer);
    return {
      id: view.getUint32(4, true),
      xlatedInsns: view.getUint32(20, true) / 8,
      verifiedInsns: view.getUint32(216, true),
    };
  }

  /**
   * Run a BPF_PROG_TYPE_SYSCALL program once with `ctx` as its context (bpf_prog_test_run_opts).
   * Returns the program's return value; `ctx` receives what the program wrote into it.
   */
  testRun(ctx: Uint8Array<ArrayBuffer>): number {
    const opts = new Uint8Array(80);
    const view = new DataView(opts.buffer);
    view.setBigUint64(0, 80n, true); // sz
    const ctxPtr = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(ctx)));
    // Syscall programs take ctx_in only (ctx_out must be unset) and write the context back into it.
    view.setBigUint64(32, ctxPtr, true); // ctx_in
    view.setUint32(48, ctx.length, true); // ctx_size_in
    check(openLibbpf().libbpf.bpf_prog_test_run_opts(this.fd, opts), `test run of ${this.name}`);
    return view.getUint32(56, true); // retval
  }
}

/** Options for {@link BpfObject.open}. */
export interface OpenOptions {
  /** Object name; libbpf prefixes internal map names with it. Default "bpf_obj". */
  name?: string;
  /** Print libbpf's warnings as they come. */
  verbose?: boolean;
}

/** An opened (and, after {@link BpfObject.load}, loaded) BPF object. */
export class BpfObject {
  #obj: Deno.PointerObject | null;
  #loaded = false;
  #vars: Map<string, VarLocation> | null = null;
  #sections = new Map<string, Section>();
  #links: BpfLink[] = [];
  // libbpf keeps pointers into these for the object's lifetime.
  readonly #keepAlive: Uint8Array[];

  private constructor(obj: Deno.PointerObject, keepAlive: Uint8Array[]) {
    this.#obj = obj;
    this.#keepAlive = keepAlive;
  }

  /** Open an object from its ELF bytes (nothing touches the kernel until {@link load}). */
  static open(elf: Uint8Array, options: OpenOptions = {}): BpfObject {
    const { libbpf } = openLibbpf({ verbose: options.verbose });
    const bytes = new Uint8Array(elf); // a private copy libbpf may point into
    const name = cString(options.name ?? "bpf_obj");
    // struct bpf_object_open_opts: only { size_t sz; const char *object_name; } (sz says so).
    const opts = new Uint8Array(16);
    const view = new DataView(opts.buffer);
    view.setBigUint64(0, 16n, true);
    view.setBigUint64(8, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(name))), true);
    takeLibbpfLog();
    const obj = checkPointer(
      libbpf.bpf_object__open_mem(bytes, BigInt(bytes.length), opts),
      "bpf_object__open_mem",
    );
    return new BpfObject(obj, [bytes, name, opts]);
  }

  #handle(): Deno.PointerObject {
    if (!this.#obj) throw new Error("BPF object is closed");
    return this.#obj;
  }

  /** Has {@link load} succeeded? */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** Verify and load every program and create every map. */
  load(): void {
    const ret = openLibbpf().libbpf.bpf_object__load(this.#handle());
    if (ret < 0) throw new LibbpfError("bpf_object__load", -ret, strerror(ret), takeLibbpfLog());
    this.#loaded = true;
    this.#sections.clear(); // pre-load views pointed at libbpf's private copies
  }

  /**
   * {@link load} on a worker thread, so the event loop keeps running meanwhile. Nothing else may use this
   * object until it resolves. libbpf's log is off meanwhile (a failure reports its errno, not the
   * verifier's log: use {@link load} to see that).
   */
  async loadAsync(): Promise<void> {
    const handle = this.#handle();
    const ret = await withoutLibbpfLog(() => openLibbpf().libbpf.bpf_object__load_async(handle));
    if (ret < 0) throw new LibbpfError("bpf_object__load", -ret, strerror(ret), takeLibbpfLog());
    this.#loaded = true;
    this.#sections.clear();
  }

  /** A map by name (internal maps by section name: ".data", ".bss", ".rodata"). */
  map(name: string): BpfMap {
    const p = openLibbpf().libbpf.bpf_object__find_map_by_name(this.#handle(), cString(name));
    if (!p) throw new BpfLookupError(`BPF object has no map named ${name}`);
    return new BpfMap(p);
  }

  /** A program by its C function name. */
  program(name: string): BpfProgram {
    const p = openLibbpf().libbpf.bpf_object__find_program_by_name(this.#handle(), cString(name));
    if (!p) throw new BpfLookupError(`BPF object has no program named ${name}`);
    return new BpfProgram(p);
  }

  /** Every program. */
  programs(): BpfProgram[] {
    const { libbpf } = openLibbpf();
    const out: BpfProgram[] = [];
    for (
      let p = libbpf.bpf_object__next_program(this.#handle(), null);
      p;
      p = libbpf.bpf_object__next_program(this.#handle(), p)
    ) {
      out.push(new BpfProgram(p));
    }
    return out;
  }

  /** Attach a struct_ops map (e.g. a sched_ext scheduler); the link is destroyed on {@link close}. */
  attachStructOps(mapName: string): BpfLink {
    const p = openLibbpf().libbpf.bpf_object__find_map_by_name(this.#handle(), cString(mapName));
    if (!p) throw new BpfLookupError(`BPF object has no struct_ops map named ${mapName}`);
    const link = new BpfLink(
      checkPointer(openLibbpf().libbpf.bpf_map__attach_struct_ops(p), `attach struct_ops ${mapName}`),
    );
    this.#links.push(link);
    return link;
  }

  /** Attach a program by name; the link is destroyed on {@link close}. */
  attachProgram(name: string): BpfLink {
    const link = this.program(name).attach();
    this.#links.push(link);
    return link;
  }

  #btf(): Deno.PointerObject | null {
    return openLibbpf().libbpf.bpf_object__btf(this.#handle());
  }

  /** Size, member offsets and member sizes of a struct in the object's BTF (shared layouts). */
  structLayout(name: string): { size: number; members: MemberLocation[] } | null {
    const btf = this.#btf();
    return btf ? structLayout(btf, name) : null;
  }

  /** The constants of an enum in the object's BTF (shared constants), or null when absent. */
  enumValues(name: string): Map<string, bigint> | null {
    const btf = this.#btf();
    return btf ? enumValues(btf, name) : null;
  }

  /**
   * Write an integer member of a struct_ops map before load (e.g. `sched_ext_ops.flags`), at the offset the
   * object's BTF gives; libbpf carries it into the kernel's layout at load. `size` bytes: 4 or 8.
   */
  setStructOpsMember(mapName: string, structName: string, member: string, value: bigint): void {
    if (this.#loaded) throw new Error(`struct_ops ${mapName}.${member} can only be set before load`);
    const { bytes, m } = this.#structOpsMember(mapName, structName, member);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (m.size === 8) view.setBigUint64(m.offset, BigInt.asUintN(64, value), true);
    else if (m.size === 4) view.setUint32(m.offset, Number(BigInt.asUintN(32, value)), true);
    else throw new TypeError(`${structName}.${member} is ${m.size} bytes, not a 4- or 8-byte integer`);
  }

  /** Read an integer member of a struct_ops map's initial value (before load). */
  getStructOpsMember(mapName: string, structName: string, member: string): bigint {
    const { bytes, m } = this.#structOpsMember(mapName, structName, member);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (m.size === 8) return view.getBigUint64(m.offset, true);
    if (m.size === 4) return BigInt(view.getUint32(m.offset, true));
    throw new TypeError(`${structName}.${member} is ${m.size} bytes, not a 4- or 8-byte integer`);
  }

  #structOpsMember(mapName: string, structName: string, member: string) {
    const { libbpf } = openLibbpf();
    const map = libbpf.bpf_object__find_map_by_name(this.#handle(), cString(mapName));
    if (!map) throw new BpfLookupError(`BPF object has no struct_ops map named ${mapName}`);
    const m = this.structLayout(structName)?.members.find((x) => x.name === member);
    if (!m) throw new BpfLookupError(`struct ${structName} has no member ${member} in the object's BTF`);
    const sizeOut = new Uint8Array(8);
    const p = checkPointer(libbpf.bpf_map__initial_value(map, sizeOut), `initial value of ${mapName}`);
    const size = Number(new DataView(sizeOut.buffer).getBigUint64(0, true));
    if (m.offset + m.size > size) {
      throw new RangeError(`${structName}.${member} lies outside ${mapName}'s ${size} bytes`);
    }
    return { bytes: new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, size)), m };
  }

  #varLocation(name: string): VarLocation {
    if (!this.#vars) {
      const btf = openLibbpf().libbpf.bpf_object__btf(this.#handle());
      this.#vars = btf ? dataSectionVars(btf, DATA_SECTIONS) : new Map();
    }
    const loc = this.#vars.get(name);
    if (!loc) throw new BpfLookupError(`BPF object has no global variable named ${name}`);
    return loc;
  }

  #section(section: string): Section {
    const cached = this.#sections.get(section);
    if (cached) return cached;
    const { libbpf, libc } = openLibbpf();
    const map = openLibbpf().libbpf.bpf_object__find_map_by_name(this.#handle(), cString(section));
    if (!map) throw new BpfLookupError(`BPF object has no ${section} section`);
    let entry: Section;
    if (!this.#loaded) {
      // Before load: libbpf's private copy, which load() writes into the kernel map.
      const sizeOut = new Uint8Array(8);
      const p = checkPointer(libbpf.bpf_map__initial_value(map, sizeOut), `initial value of ${section}`);
      const size = Number(new DataView(sizeOut.buffer).getBigUint64(0, true));
      const bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, size));
      entry = { map, bytes, view: new DataView(bytes.buffer) };
    } else {
      // After load: map the kernel's memory itself, so reads and writes are live. libbpf 1.4 only
      // remaps internal maps for skeletons; bpf_object__load leaves them pointing at the old copy.
      const size = libbpf.bpf_map__value_size(map);
      const page = libc.getpagesize();
      const length = Math.ceil(size / page) * page;
      const writable = section !== ".rodata";
      const prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
      const ptr = libc.mmap(null, BigInt(length), prot, MAP_SHARED, libbpf.bpf_map__fd(map), 0n);
      if (!ptr || BigInt(Deno.UnsafePointer.value(ptr)) === MAP_FAILED) {
        const errno = lastErrno();
        throw new LibbpfError(`mmap of ${section}`, errno, strerror(errno));
      }
      const bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(ptr, size));
      entry = { map, bytes, view: new DataView(bytes.buffer), mapped: { ptr, length } };
    }
    this.#sections.set(section, entry);
    return entry;
  }

  /** The live bytes of a global variable (struct or array); writes go straight to the BPF program. */
  globalBytes(name: string): Uint8Array {
    const loc = this.#varLocation(name);
    const sec = this.#section(loc.section);
    return sec.bytes.subarray(loc.offset, loc.offset + loc.size);
  }

  /** Read an integer global (1, 2, 4 or 8 bytes) as an unsigned BigInt. */
  getGlobal(name: string): bigint {
    const loc = this.#varLocation(name);
    const { view } = this.#section(loc.section);
    switch (loc.size) {
      case 1:
        return BigInt(view.getUint8(loc.offset));
      case 2:
        return BigInt(view.getUint16(loc.offset, true));
      case 4:
        return BigInt(view.getUint32(loc.offset, true));
      case 8:
        return view.getBigUint64(loc.offset, true);
    }
    throw new TypeError(`global ${name} is ${loc.size} bytes, not an integer`);
  }

  /**
   * Write an integer or boolean global. `.rodata` (const volatile) only before load; `.data`/`.bss`
   * at any time (live after load). Values that do not fit the variable's size are refused.
   */
  setGlobal(name: string, value: bigint | number | boolean): void {
    const loc = this.#varLocation(name);
    if (loc.section === ".rodata" && this.#loaded) {
      throw new Error(`global ${name} is const volatile: set it before load`);
    }
    const v = typeof value === "boolean" ? (value ? 1n : 0n) : BigInt(value);
    const bits = BigInt(loc.size * 8);
    if (v < -(1n << (bits - 1n)) || v >= 1n << bits) {
      throw new RangeError(`global ${name} (${loc.size} bytes) cannot hold ${v}`);
    }
    const u = BigInt.asUintN(loc.size * 8, v);
    const { view } = this.#section(loc.section);
    switch (loc.size) {
      case 1:
        return view.setUint8(loc.offset, Number(u));
      case 2:
        return view.setUint16(loc.offset, Number(u), true);
      case 4:
        return view.setUint32(loc.offset, Number(u), true);
      case 8:
        return view.setBigUint64(loc.offset, u, true);
    }
    throw new TypeError(`global ${name} is ${loc.size} bytes, not an integer`);
  }

  /** Detach every link, unmap live globals and free the object. Safe to call more than once. */
  close(): void {
    if (!this.#obj) return;
    const { libbpf, libc } = openLibbpf();
    const errors: unknown[] = [];
    for (const link of this.#links.reverse()) {
      try {
        link.destroy();
      } catch (e) {
        errors.push(e);
      }
    }
    this.#links = [];
    for (const sec of this.#sections.values()) {
      if (sec.mapped) libc.munmap(sec.mapped.ptr, BigInt(sec.mapped.length));
    }
    this.#sections.clear();
    libbpf.bpf_object__close(this.#obj);
    this.#obj = null;
    this.#keepAlive.length = 0;
    if (errors.length) throw errors[0];
  }
}

let cpuCount = 0;
/** Number of possible CPUs (the slot count of per-CPU maps). */
export function possibleCpus(): number {
  if (!cpuCount) cpuCount = check(openLibbpf().libbpf.libbpf_num_possible_cpus(), "libbpf_num_possible_cpus");
  return cpuCount;
}
