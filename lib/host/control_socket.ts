/**
 * The control socket's transport: a Unix stream socket carrying newline-delimited text, one request
 * line answered by one reply line, any number of requests per connection. What the lines mean is the
 * caller's (lib/modes/control.ts); this module owns the socket file, its owner and mode, connections,
 * limits, and the client side.
 *
 * The socket file is created under a temporary name, given mode 0660 and owner root:GROUP, and only
 * then renamed into place, so there is no moment at which it is reachable with looser permissions. A
 * socket file left by a crashed instance (nobody answers on it) is replaced; a live one, or anything
 * that is not a socket, is refused with one line. On close the file is removed if it is still ours.
 *
 * @example
 * ```ts
 * const server = await ControlServer.open({ path: "/run/x.sock", gid: null, handle: (l) => Promise.resolve(l) });
 * const client = await ControlClient.connect("/run/x.sock");
 * await client.request("hello"); // "hello"
 * client.close();
 * await server.close();
 * ```
 *
 * @module
 */

import * as fs from "node:fs";
import { basename, dirname, join } from "node:path";

/** Why a control socket could not be served or reached; `message` is the one line to print. */
export class ControlSocketError extends Error {
  override name = "ControlSocketError";
  /** What went wrong, for callers that explain it their own way. */
  readonly code: "absent" | "refused" | "denied" | "timeout" | "closed" | "too-long" | "in-use" | "other";
  constructor(code: ControlSocketError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

/** Mode of the socket file: owner and group may connect (connecting needs write permission). */
export const SOCKET_MODE = 0o660;
/** Longest request or reply line, bytes; a longer one is refused and its connection closed. */
export const MAX_LINE_BYTES = 64 * 1024;
/** Most connections served at once; more are answered with `busyReply` and closed. */
export const MAX_CONNECTIONS = 32;

/** Options of {@link ControlServer.open}. */
export interface ControlServerOptions {
  path: string;
  /** Group that may connect (owner root:gid, mode 0660); null: root only (root:root). */
  gid: number | null;
  /** Answer one request line (without its newline) with one reply line. Never throws to the transport. */
  handle: (line: string) => Promise<string>;
  /** The reply to a line that is too long or a connection over the limit (the caller's format). */
  refuse?: (why: string) => string;
  /** A connection idle this long is closed. Default 10 minutes. */
  idleMs?: number;
}

function errCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message.replace(/ \(os error \d+\)$/, "") : String(e);
}

/** Turn a connect failure into a {@link ControlSocketError} saying what it means. */
function connectError(path: string, e: unknown): ControlSocketError {
  switch (errCode(e)) {
    case "ENOENT":
      return new ControlSocketError("absent", `${path} does not exist`);
    case "ECONNREFUSED":
      return new ControlSocketError("refused", `nothing answers on ${path}`);
    case "EACCES":
    case "EPERM":
      return new ControlSocketError("denied", `${path}: permission denied`);
    default:
      return new ControlSocketError("other", `cannot connect to ${path}: ${describe(e)}`);
  }
}

async function connectUnix(path: string, timeoutMs: number): Promise<Deno.UnixConn> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ControlSocketError("timeout", `${path}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const attempt = Deno.connect({ transport: "unix", path });
  try {
    return await Promise.race([attempt, timeout]);
  } catch (e) {
    // A late connection after a timeout must not leak.
    attempt.then((c) => c.close(), () => {});
    if (e instanceof ControlSocketError) throw e;
    throw connectError(path, e);
  } finally {
    clearTimeout(timer);
  }
}

/** Splits a byte stream into lines, refusing any longer than {@link MAX_LINE_BYTES}. */
class LineReader {
  #pending = new Uint8Array(0);
  readonly #conn: Deno.Conn;
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next line without its newline; null at end of stream. */
  async next(): Promise<string | null> {
    const buf = new Uint8Array(4096);
    while (true) {
      const nl = this.#pending.indexOf(10);
      if (nl >= 0) {
        const line = this.#pending.subarray(0, nl);
        this.#pending = this.#pending.slice(nl + 1);
        return this.#decoder.decode(line).replace(/\r$/, "");
      }
      if (this.#pending.length > MAX_LINE_BYTES) {
        throw new ControlSocketError("too-long", `a line longer than ${MAX_LINE_BYTES} bytes`);
      }
      const n = await this.#conn.read(buf);
      if (n === null) return null;
      const joined = new Uint8Array(this.#pending.length + n);
      joined.set(this.#pending);
      joined.set(buf.subarray(0, n), this.#pending.length);
      this.#pending = joined;
    }
  }
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const data = new TextEncoder().encode(text);
  for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
}

/** A served control socket. */
export class ControlServer {
  readonly path: string;
  readonly #listener: Deno.Listener;
  readonly #options: ControlServerOptions;
  readonly #conns = new Set<Deno.Conn>();
  readonly #ino: number | null;
  #closed = false;
  readonly #accepting: Promise<void>;

  private constructor(
    path: string,
    listener: Deno.Listener,
    options: ControlServerOptions,
    ino: number | null,
  ) {
    this.path = path;
    this.#listener = listener;
    this.#options = options;
    this.#ino = ino;
    this.#accepting = this.#accept();
  }

  /**
   * Serve `options.path`.
   *
   * @throws {ControlSocketError} when the path is in use by a live server, is not a socket, or its
   * folder does not allow creating it.
   */
  static async open(options: ControlServerOptions): Promise<ControlServer> {
    const { path } = options;
    await clearStale(path);
    const tmp = join(dirname(path), `.${basename(path)}.${Deno.pid}.tmp`);
    try {
      fs.rmSync(tmp, { force: true });
    } catch { /* nothing there */ }
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ transport: "unix", path: tmp });
    } catch (e) {
      throw new ControlSocketError("other", `cannot create the control socket ${path}: ${describe(e)}`);
    }
    try {
      fs.chmodSync(tmp, SOCKET_MODE);
      fs.chownSync(tmp, 0, options.gid ?? 0);
      fs.renameSync(tmp, path);
    } catch (e) {
      listener.close();
      try {
        fs.rmSync(tmp, { force: true });
      } catch { /* already gone */ }
      throw new ControlSocketError("other", `cannot set up the control socket ${path}: ${describe(e)}`);
    }
    let ino: number | null = null;
    try {
      ino = fs.lstatSync(path).ino;
    } catch { /* removed meanwhile: close() will find nothing of ours */ }
    return new ControlServer(path, listener, options, ino);
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#conns.size >= MAX_CONNECTIONS) {
          const refuse = this.#options.refuse?.(`too many connections (${MAX_CONNECTIONS})`);
          void (refuse === undefined ? Promise.resolve() : writeAll(conn, refuse + "\n"))
            .catch(() => {}).finally(() => conn.close());
          continue;
        }
        this.#conns.add(conn);
        void this.#serve(conn).finally(() => {
          this.#conns.delete(conn);
          try {
            conn.close();
          } catch { /* already closed */ }
        });
      }
    } catch (e) {
      if (!this.#closed) throw e;
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const reader = new LineReader(conn);
    const idleMs = this.#options.idleMs ?? 600_000;
    let timer = setTimeout(() => conn.close(), idleMs);
    try {
      while (true) {
        let line: string | null;
        try {
          line = await reader.next();
        } catch (e) {
          if (e instanceof ControlSocketError && e.code === "too-long") {
            const refuse = this.#options.refuse?.(e.message);
            if (refuse !== undefined) await writeAll(conn, refuse + "\n");
          }
          return;
        }
        if (line === null) return;
        clearTimeout(timer);
        timer = setTimeout(() => conn.close(), idleMs);
        if (line.trim() === "") continue;
        await writeAll(conn, (await this.#options.handle(line)) + "\n");
      }
    } catch {
      // The peer went away or the idle timer closed the connection: nothing to answer.
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop serving: close every connection and remove the socket file if it is still ours. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await this.#accepting.catch(() => {});
    try {
      if (this.#ino !== null && fs.lstatSync(this.path).ino === this.#ino) fs.rmSync(this.path);
    } catch { /* already removed */ }
  }
}

/** Remove a socket file nobody answers on; refuse a live one and anything that is not a socket. */
async function clearStale(path: string): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (e) {
    if (errCode(e) === "ENOENT") return;
    throw new ControlSocketError("other", `cannot inspect ${path}: ${describe(e)}`);
  }
  if (!st.isSocket()) {
    throw new ControlSocketError(
      "in-use",
      `${path} exists and is not a socket: remove it or choose another --socket`,
    );
  }
  try {
    const conn = await connectUnix(path, 1000);
    conn.close();
  } catch (e) {
    if (e instanceof ControlSocketError && e.code === "refused") {
      fs.rmSync(path, { force: true });
      return;
    }
    throw new ControlSocketError("in-use", `${path} is in use and does not answer: ${(e as Error).message}`);
  }
  throw new ControlSocketError(
    "in-use",
    `${path} is served by another process (another scx_gamer?): stop it or choose another --socket`,
  );
}

/** Options of {@link ControlClient.connect}. */
export interface ClientOptions {
  /** Most milliseconds for connecting and for each reply. Default 5000. */
  timeoutMs?: number;
}

/** One connection to a control socket, for requests in turn. */
export class ControlClient {
  readonly path: string;
  readonly #conn: Deno.UnixConn;
  readonly #reader: LineReader;
  readonly #timeoutMs: number;

  private constructor(path: string, conn: Deno.UnixConn, timeoutMs: number) {
    this.path = path;
    this.#conn = conn;
    this.#reader = new LineReader(conn);
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Connect to `path`.
   *
   * @throws {ControlSocketError} code "absent" (no file), "refused" (nobody serving), "denied" (not
   * root nor in the socket's group), "timeout", or "other".
   */
  static async connect(path: string, options: ClientOptions = {}): Promise<ControlClient> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return new ControlClient(path, await connectUnix(path, timeoutMs), timeoutMs);
  }

  /**
   * Send one line and return the reply line.
   *
   * @throws {ControlSocketError} code "closed" when the server went away, "timeout" without a reply.
   */
  async request(line: string): Promise<string> {
    if (line.includes("\n")) throw new RangeError("a request is one line");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new ControlSocketError("timeout", `${this.path}: no reply within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([
        (async () => {
          await writeAll(this.#conn, line + "\n");
          return await this.#reader.next();
        })(),
        timeout,
      ]);
      if (reply === null) {
        throw new ControlSocketError("closed", `${this.path}: the scheduler closed the connection`);
      }
      return reply;
    } catch (e) {
      if (e instanceof ControlSocketError) throw e;
      throw new ControlSocketError("closed", `${this.path}: the connection failed: ${describe(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Close the connection. Idempotent. */
  close(): void {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}
