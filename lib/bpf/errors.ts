/**
 * Typed errors of the libbpf bindings.
 *
 * @module
 */

/** libbpf.so.1 cannot be used: missing, or too old. The message is the one line to print. */
export class LibbpfUnavailableError extends Error {
  override name = "LibbpfUnavailableError";
}

/** A libbpf call failed. Carries the operation, errno, libbpf's message and its recent log lines. */
export class LibbpfError extends Error {
  override name = "LibbpfError";
  /** Which call failed, e.g. "bpf_object__load". */
  readonly op: string;
  /** Positive errno. */
  readonly errno: number;
  /** libbpf's recent log (for a load failure: the verifier's log tail). */
  readonly log: string[];

  constructor(op: string, errno: number, text: string, log: string[] = []) {
    super(`${op} failed: ${text} (errno ${errno})`);
    this.op = op;
    this.errno = errno;
    this.log = log;
  }
}

/** A name (map, program, global variable) that the object does not have. */
export class BpfLookupError extends Error {
  override name = "BpfLookupError";
}
