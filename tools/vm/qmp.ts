/**
 * A minimal client for QEMU's machine protocol (QMP) over a unix socket, and the input injector built
 * on it: key events sent through `input-send-event` reach the emulated i8042 PS/2 keyboard, so the guest
 * kernel runs its real input path (i8042 interrupt -> atkbd -> input_event -> evdev). The test kernel has
 * no uinput, and this path is the closer one to a real game anyway.
 *
 * @module
 */

/** QMP could not be reached or answered with an error. */
export class QmpError extends Error {
  override name = "QmpError";
}

/** The connection closed (QEMU exited or close() was called) before a command was answered. */
export class QmpClosedError extends QmpError {
  override name = "QmpClosedError";
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: QmpError) => void;
}

/** Options of {@link QmpClient.connect}. */
export interface QmpConnectOptions {
  /** Give up after this long. Default 30 000 ms: a loaded host slows QEMU's main loop. */
  timeoutMs?: number;
  /** Stop retrying once aborted (QEMU exited). */
  signal?: AbortSignal;
}

/** One QMP connection. Commands may be pipelined: replies are matched to commands by id. */
export class QmpClient {
  #conn: Deno.UnixConn;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #reader: Promise<void>;
  #closed = false;
  #encoder = new TextEncoder();

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    this.#reader = this.#readLoop();
  }

  /**
   * Connect to QEMU's `-qmp unix:PATH,server=on,wait=off` socket, retrying while QEMU creates it, and
   * leave capability negotiation mode.
   *
   * @throws {QmpError} when the socket does not answer within `timeoutMs`, or {@link QmpClosedError} once
   * `signal` is aborted.
   */
  static async connect(socketPath: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const deadline = performance.now() + timeoutMs;
    let lastError = "";
    while (performance.now() < deadline) {
      if (options.signal?.aborted) throw new QmpClosedError(`QMP socket ${socketPath}: QEMU is gone`);
      let conn: Deno.UnixConn;
      try {
        conn = await Deno.connect({ transport: "unix", path: socketPath });
      } catch (e) {
        lastError = (e as Error).message;
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const client = new QmpClient(conn);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        const left = Math.max(1, deadline - performance.now());
        timer = setTimeout(
          () => reject(new QmpError(`no answer to qmp_capabilities within ${timeoutMs} ms`)),
          left,
        );
      });
      try {
        await Promise.race([client.execute("qmp_capabilities"), timeout]);
        return client;
      } catch (e) {
        lastError = (e as Error).message;
        await client.close();
      } finally {
        clearTimeout(timer);
      }
    }
    throw new QmpError(`QMP socket ${socketPath}: not ready within ${timeoutMs} ms (${lastError})`);
  }

  /** Number of commands sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Send one command and wait for its reply's `return` value.
   *
   * @throws {QmpError} when QEMU answers with an error or the connection closes first.
   */
  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.#closed) return Promise.reject(new QmpClosedError(`QMP ${command}: connection closed`));
    const id = this.#nextId++;
    const line = JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id });
    const reply = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#writeAll(this.#encoder.encode(line + "\n")).catch((e) => this.#failAll(`write: ${e.message}`));
    return reply;
  }

  /** Close the connection; commands still waiting are rejected. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed by the peer.
      }
    }
    await this.#reader;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  #failAll(why: string): void {
    for (const [, p] of this.#pending) p.reject(new QmpClosedError(`QMP: ${why}`));
    this.#pending.clear();
  }

  async #readLoop(): Promise<void> {
    const decoder = new TextDecoder();
    const buf = new Uint8Array(64 * 1024);
    let text = "";
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        text += decoder.decode(buf.subarray(0, n), { stream: true });
        let nl: number;
        while ((nl = text.indexOf("\n")) >= 0) {
          const line = text.slice(0, nl).trim();
          text = text.slice(nl + 1);
          if (line) this.#onMessage(line);
        }
      }
    } catch {
      // The socket went away (QEMU exited or close() was called): fall through and fail what is left.
    }
    this.#closed = true;
    this.#failAll("connection closed");
  }

  #onMessage(line: string): void {
    let msg: { id?: number; return?: unknown; error?: { class?: string; desc?: string } };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof msg.id !== "number") return; // the greeting and asynchronous events
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    if (msg.error) p.reject(new QmpError(`QMP: ${msg.error.class ?? "error"}: ${msg.error.desc ?? ""}`));
    else p.resolve(msg.return);
  }
}

/** What an input injection did. */
export interface InputStats {
  /** Key events sent (each press and each release counts as one). */
  sent: number;
  /** Events QEMU accepted. */
  acked: number;
  /** Events not sent because too many were in flight (QEMU busy). */
  skipped: number;
  /** The first error QEMU returned, if any. */
  firstError: string | null;
}

/** A running injection. */
export interface InputInjection {
  /** Stop sending (releasing the key if it is down) and report. */
  stop(): Promise<InputStats>;
}

/** Options of {@link startInputEvents}. */
export interface InputOptions {
  /** Key events per second, alternating press and release. */
  rateHz: number;
  /** QEMU key code (qcode). Default "shift": it types nothing on the guest's virtual terminal. */
  key?: string;
  /** Most events waiting for QEMU's reply before new ones are skipped. Default 64. */
  maxInFlight?: number;
}

/** Seconds of backlog the sender catches up on after a stall; older events are dropped, not replayed. */
const MAX_BACKLOG_S = 0.1;

/**
 * Send key events at `rateHz` until stopped. The schedule is absolute (event n is due at n/rate s), so
 * timer jitter does not lower the average rate.
 *
 * @example
 * ```ts
 * const qmp = await QmpClient.connect("/tmp/vm/qmp.sock");
 * const input = startInputEvents(qmp, { rateHz: 500 });
 * // ... the guest reads /dev/input/eventN ...
 * const stats = await input.stop();
 * ```
 */
export function startInputEvents(client: QmpClient, options: InputOptions): InputInjection {
  const key = options.key ?? "shift";
  const maxInFlight = options.maxInFlight ?? 64;
  const stats: InputStats = { sent: 0, acked: 0, skipped: 0, firstError: null };
  let stopped = false;
  let down = false;
  const sendOne = (press: boolean): Promise<void> => {
    stats.sent++;
    return client.execute("input-send-event", {
      events: [{ type: "key", data: { down: press, key: { type: "qcode", data: key } } }],
    }).then(() => {
      stats.acked++;
    }, (e: Error) => {
      // Events cut off by the VM powering off (closed socket, or "VM not running" once the scenario is
      // over and stop() was called) are not errors of the injection.
      if (!stopped && !(e instanceof QmpClosedError)) stats.firstError ??= e.message;
    });
  };
  const maxBacklog = Math.max(4, Math.ceil(options.rateHz * MAX_BACKLOG_S));
  const t0 = performance.now();
  let due = 0;
  const loop = (async () => {
    while (!stopped) {
      const target = Math.floor(((performance.now() - t0) / 1000) * options.rateHz);
      // Behind by more than the backlog (the host stalled): drop the excess rather than flood the guest.
      if (target - due > maxBacklog) {
        stats.skipped += target - due - maxBacklog;
        due = target - maxBacklog;
      }
      for (; due < target; due++) {
        if (client.inFlight >= maxInFlight) {
          stats.skipped++;
          continue;
        }
        down = !down;
        void sendOne(down);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  return {
    async stop(): Promise<InputStats> {
      stopped = true;
      await loop;
      if (down) {
        // Release the key so the guest does not see it held; the VM may already be powering off, so a
        // failure here is not an injection error.
        await client.execute("input-send-event", {
          events: [{ type: "key", data: { down: false, key: { type: "qcode", data: key } } }],
        }).catch(() => {});
      }
      // Give outstanding replies a moment; QEMU answers in microseconds unless it is gone.
      const until = performance.now() + 2000;
      while (client.inFlight > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
      return { ...stats };
    },
  };
}
