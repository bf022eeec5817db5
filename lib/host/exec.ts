/**
 * Replacing this process with another program (execvp), which Deno has no API for: the launch
 * option (`scx_gamer run -- CMD`) announces its own pid as the game and then becomes the game, so the
 * announced pid is the game's root process, as with `exec` in a shell.
 *
 * Before exec the signal state is made what a freshly started program expects: Deno's runtime ignores
 * SIGPIPE, and ignored signals stay ignored across exec, so it and every other signal are set back to
 * their default action and none is left blocked. Deno opens its own files close-on-exec, so the game
 * inherits only stdin, stdout and stderr.
 *
 * @module
 */

const LIBC = {
  execvp: { parameters: ["buffer", "buffer"], result: "i32" },
  signal: { parameters: ["i32", "usize"], result: "usize" },
  sigprocmask: { parameters: ["i32", "buffer", "pointer"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
} as const;

/** exec failed; `message` is the one line to print, `errno` says why (ENOENT: no such program). */
export class ExecError extends Error {
  override name = "ExecError";
  readonly errno: number;
  constructor(message: string, errno: number) {
    super(message);
    this.errno = errno;
  }
}

const SIG_DFL = 0n;
const SIG_SETMASK = 2;
/** Signals 1..64 except SIGKILL (9) and SIGSTOP (19), whose action cannot be changed. */
const RESETTABLE = Array.from({ length: 64 }, (_, i) => i + 1).filter((s) => s !== 9 && s !== 19);

/** The argument strings of an exec in progress (see {@link execReplace}). */
let _pinned: Uint8Array[] | null = null;

function cString(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * Replace this process with `argv[0]` (looked up on PATH like a shell does) run with `argv`, in this
 * process's environment. Returns only by throwing.
 *
 * @throws {ExecError} when the program cannot be run (not found, not executable); the process is
 * unchanged then, apart from its signal actions being the defaults.
 *
 * @example
 * ```ts
 * execReplace(["/usr/bin/env", "true"]); // never returns
 * ```
 */
export function execReplace(argv: readonly string[]): never {
  if (argv.length === 0) throw new RangeError("execReplace: no program given");
  const libc = Deno.dlopen("libc.so.6", LIBC).symbols;
  const args = argv.map(cString);
  const pointers = new BigUint64Array(args.length + 1);
  // libc reads the strings through raw addresses: keep them reachable until execvp has returned.
  _pinned = args;
  args.forEach((a, i) => pointers[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(a))));
  for (const sig of RESETTABLE) libc.signal(sig, SIG_DFL);
  // The empty signal set: the kernel's sigset is 8 bytes, glibc's 128; zeros either way.
  libc.sigprocmask(SIG_SETMASK, new Uint8Array(128), null);
  libc.execvp(args[0], new Uint8Array(pointers.buffer));
  const errnoPtr = libc.__errno_location();
  const errno = errnoPtr ? new Deno.UnsafePointerView(errnoPtr).getInt32() : 0;
  const text = libc.strerror(errno);
  const why = text ? Deno.UnsafePointerView.getCString(text) : `errno ${errno}`;
  _pinned = null;
  throw new ExecError(`${argv[0]}: ${why}`, errno);
}
