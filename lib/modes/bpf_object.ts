/**
 * Reaching the embedded BPF scheduler object from the modes. It is generated (`deno task bpf` writes
 * lib/bpf/generated/scx_gamer_object.ts) and a fresh source checkout does not have it, so it is
 * imported only where it is needed, and its absence is one line naming the task that builds it
 * instead of a module-not-found stack. The bundle and the binary carry it (the bundler inlines these
 * imports), so there it is always found.
 *
 * @module
 */

/** The BPF object was not built; `message` is the one line to print. */
export class BpfObjectMissingError extends Error {
  override name = "BpfObjectMissingError";
}

const MISSING_LINE =
  "the BPF scheduler object is not built (lib/bpf/generated/scx_gamer_object.ts): run `deno task bpf` first";

/** Is `e` the generated object's module (or one importing it) failing to resolve? */
function isMissingObject(e: unknown): boolean {
  const text = e instanceof Error ? e.message : String(e);
  return /generated\/scx_gamer_object\.ts/.test(text) && /not found|cannot find|no such file/i.test(text);
}

async function guarded<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (isMissingObject(e)) throw new BpfObjectMissingError(MISSING_LINE);
    throw e;
  }
}

/**
 * The scheduler module (lib/sched/scheduler.ts, which embeds the object).
 *
 * @throws {BpfObjectMissingError} when the object was not built.
 */
export function loadSchedulerModule(): Promise<typeof import("../sched/scheduler.ts")> {
  return guarded(() => import("../sched/scheduler.ts"));
}

/**
 * The supervisor module (lib/sched/supervisor.ts: the scheduler, attached again after a CPU hotplug).
 *
 * @throws {BpfObjectMissingError} when the object was not built.
 */
export function loadSupervisorModule(): Promise<typeof import("../sched/supervisor.ts")> {
  return guarded(() => import("../sched/supervisor.ts"));
}

/**
 * The embedded object's bytes.
 *
 * @throws {BpfObjectMissingError} when the object was not built.
 */
export async function embeddedObjectBytes(): Promise<Uint8Array> {
  const { schedulerObjectBytes } = await loadSchedulerModule();
  return schedulerObjectBytes();
}
