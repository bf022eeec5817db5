/**
 * A small inbox that lets other tasks (the control socket's connections) hand work to a loop that
 * sleeps until its next due event (the session), and wake it: posting aborts the signal the loop
 * sleeps on, so a command is handled at once, and with nothing posted the loop sleeps as long as it
 * planned. The loop answers each message; the poster awaits that answer.
 *
 * @example
 * ```ts
 * const inbox = new Inbox<string, number>();
 * const answer = inbox.post("ping"); // wakes the loop
 * for (const m of inbox.take()) m.reply(m.message.length); // in the loop
 * await answer; // 4
 * ```
 *
 * @module
 */

/** One message waiting for the loop, with the way to answer it. */
export interface Posted<M, R> {
  message: M;
  reply(answer: R): void;
}

/** The inbox refuses messages once closed; the message is the reason given to {@link Inbox.close}. */
export class InboxClosedError extends Error {
  override name = "InboxClosedError";
}

/** A queue of messages for one loop, with a wake-up signal. */
export class Inbox<M, R> {
  #queue: { message: M; resolve: (r: R) => void; reject: (e: Error) => void }[] = [];
  #wake = new AbortController();
  #closed: string | null = null;

  /** Queue a message and wake the loop; resolves with the loop's answer. */
  post(message: M): Promise<R> {
    if (this.#closed !== null) return Promise.reject(new InboxClosedError(this.#closed));
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      this.#wake.abort();
    });
  }

  /** Aborted while a message waits: the loop sleeps on it (with its other reasons to wake). */
  get signal(): AbortSignal {
    return this.#wake.signal;
  }

  /** Messages waiting now. */
  get size(): number {
    return this.#queue.length;
  }

  /** Take every waiting message (in order) and re-arm the wake-up signal. */
  take(): Posted<M, R>[] {
    const taken = this.#queue.splice(0, this.#queue.length);
    if (this.#wake.signal.aborted) this.#wake = new AbortController();
    return taken.map((q) => ({ message: q.message, reply: q.resolve }));
  }

  /** Refuse every waiting and later message with `reason` (the loop has ended). Idempotent. */
  close(reason: string): void {
    this.#closed ??= reason;
    for (const q of this.#queue.splice(0, this.#queue.length)) q.reject(new InboxClosedError(this.#closed));
  }
}
