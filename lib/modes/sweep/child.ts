/**
 * Run one config: start the scheduler as a child process, wait until it has attached, let it run for
 * the config's duration, then stop THAT child with SIGINT (it saves its samples and detaches), escalating to SIGTERM and SIGKILL
 * of the same child only when it does not exit in time. Never signals anything but the child's pid.
 *
 * @module
 */

/** The scheduler command could not be started at all (not found, not executable). */
export class SchedulerStartError extends Error {
  override name = "SchedulerStartError";
}

/** Seconds to wait after each stop signal before sending the next, stronger one. */
export interface StopTimeouts {
  /** After SIGINT (the scheduler saves its samples and detaches). Default 30. */
  sigintS: number;
  /** After SIGTERM. Default 10. */
  sigtermS: number;
  /** After SIGKILL, before giving up on the child. Default 10. */
  sigkillS: number;
}

/** The defaults of {@link StopTimeouts}. */
export const DEFAULT_STOP_TIMEOUTS: StopTimeouts = { sigintS: 30, sigtermS: 10, sigkillS: 10 };

/** Options of {@link runChild}. */
export interface RunChildOptions {
  /** Seconds to let the child run, counted from when it has attached (see `attached`). */
  durationS: number;
  /**
   * Polled every 100 ms from the start until it returns true: the duration counts from then, so a
   * slow start (loading BPF under emulation takes tens of seconds) does not eat the config's samples.
   * Default: attached at once.
   */
  attached?: () => boolean;
  /** Seconds the child may take to attach before it is stopped and reported. Default 120. */
  attachTimeoutS?: number;
  /** Aborting stops the child early (the sweep was interrupted). */
  signal?: AbortSignal;
  /** Escalation timeouts; missing fields take {@link DEFAULT_STOP_TIMEOUTS}. */
  timeouts?: Partial<StopTimeouts>;
  /** Receives each line the child prints (for --verbose). */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
}

/** How one run of the child went. */
export interface ChildOutcome {
  /**
   * Why it ended: the sweep stopped it after the duration; it exited on its own first; it never
   * attached in time; or the sweep was interrupted.
   */
  ended: "duration" | "early_exit" | "attach_timeout" | "interrupted";
  /** Seconds from start until it attached, or null when it never did. */
  attachS: number | null;
  /** Its exit code, or null when a signal killed it. */
  exitCode: number | null;
  /** The signal that killed it, or null. */
  exitSignal: string | null;
  /** The strongest stop signal the sweep had to send, or null when it exited on its own. */
  stoppedWith: "SIGINT" | "SIGTERM" | "SIGKILL" | null;
  /** True when it was still running after SIGKILL's timeout (a process stuck in the kernel). */
  stuck: boolean;
  startedAt: Date;
  finishedAt: Date;
  /** Seconds from start to exit. */
  ranS: number;
  /** The last non-empty line the child wrote to stderr, or null. */
  lastStderr: string | null;
}

/** Read a stream line by line; resolves when it closes. */
async function readLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  for await (const chunk of stream) {
    partial += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      onLine(partial.slice(0, nl).replace(/\r$/, ""));
      partial = partial.slice(nl + 1);
    }
  }
  partial += decoder.decode();
  if (partial) onLine(partial);
}

/**
 * Wait `seconds`, or less when `signal` aborts; resolves to true when the time ran out.
 *
 * @example
 * ```ts
 * const ranOut = await waitOrAbort(5, controller.signal);
 * ```
 */
export function waitOrAbort(seconds: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(id);
      resolve(false);
    };
    const id = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.max(0, seconds * 1000));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Wait for `promise` at most `seconds`; true when it settled in time. Leaves no timer behind. */
async function settlesWithin(promise: Promise<unknown>, seconds: number): Promise<boolean> {
  const cancel = new AbortController();
  try {
    return await Promise.race([
      promise.then(() => true),
      waitOrAbort(seconds, cancel.signal).then(() => false),
    ]);
  } finally {
    cancel.abort();
  }
}

/**
 * Run `argv` for `options.durationS` seconds and stop it (see the module doc). Resolves once the child
 * has exited (or, in the rare case it survives SIGKILL, once that timeout has passed).
 *
 * @throws {SchedulerStartError} when the program cannot be started.
 *
 * @example
 * ```ts
 * const r = await runChild(["scx_gamer", "--ml-collect", "--slice-us", "5"], { durationS: 300 });
 * r.ended; // "duration"
 * ```
 */
export async function runChild(argv: readonly string[], options: RunChildOptions): Promise<ChildOutcome> {
  const timeouts = { ...DEFAULT_STOP_TIMEOUTS, ...options.timeouts };
  const startedAt = new Date();
  const t0 = performance.now();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw new SchedulerStartError(`cannot start the scheduler '${argv[0]}': ${(e as Error).message}`);
  }

  let lastStderr: string | null = null;
  const readers = Promise.all([
    readLines(child.stdout, (line) => options.onLine?.("stdout", line)),
    readLines(child.stderr, (line) => {
      if (line.trim() !== "") lastStderr = line.trim();
      options.onLine?.("stderr", line);
    }),
  ]).catch(() => {/* a closed pipe ends the output; the exit status is what counts */});

  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  // Every wait below ends early when the child exits or the sweep is interrupted.
  const timer = new AbortController();
  const abortTimer = () => timer.abort();
  options.signal?.addEventListener("abort", abortTimer, { once: true });
  const attachTimeoutS = options.attachTimeoutS ?? 120;
  let attachS: number | null = null;
  let attachTimedOut = false;
  const elapsed = () => (performance.now() - t0) / 1000;
  while (!exited && !timer.signal.aborted) {
    if (!options.attached || options.attached()) {
      attachS = elapsed();
      break;
    }
    if (elapsed() >= attachTimeoutS) {
      attachTimedOut = true;
      break;
    }
    await Promise.race([status, waitOrAbort(0.1, timer.signal)]);
  }
  if (attachS !== null) await Promise.race([status, waitOrAbort(options.durationS, timer.signal)]);
  timer.abort();
  options.signal?.removeEventListener("abort", abortTimer);

  // An interruption wins even when the child already exited: a Ctrl-C on the terminal reaches the
  // whole process group, so the child may have stopped on its own SIGINT a moment before the sweep.
  const ended: ChildOutcome["ended"] = options.signal?.aborted
    ? "interrupted"
    : exited
    ? "early_exit"
    : attachTimedOut
    ? "attach_timeout"
    : "duration";
  let stoppedWith: ChildOutcome["stoppedWith"] = null;
  let stuck = false;
  if (!exited) {
    const steps = [["SIGINT", timeouts.sigintS], ["SIGTERM", timeouts.sigtermS], [
      "SIGKILL",
      timeouts.sigkillS,
    ]] as const;
    for (const [sig, waitS] of steps) {
      if (exited) break;
      try {
        // The child's own pid only: a broad kill could hit an unrelated scheduler or the game.
        child.kill(sig);
        stoppedWith = sig;
      } catch {
        break; // It exited between the check and the kill.
      }
      const gone = await settlesWithin(status, waitS);
      if (gone) break;
      if (sig === "SIGKILL") stuck = true;
    }
  }
  if (stuck) {
    return {
      ended,
      attachS,
      exitCode: null,
      exitSignal: null,
      stoppedWith,
      stuck,
      startedAt,
      finishedAt: new Date(),
      ranS: (performance.now() - t0) / 1000,
      lastStderr,
    };
  }
  const s = await status;
  const ranS = (performance.now() - t0) / 1000;
  // A grandchild could keep the pipes open after the child exits; the output is not worth waiting for.
  await settlesWithin(readers, 2);
  return {
    ended,
    attachS,
    exitCode: s.signal ? null : s.code,
    exitSignal: s.signal,
    stoppedWith,
    stuck: false,
    startedAt,
    finishedAt: new Date(),
    ranS,
    lastStderr,
  };
}
