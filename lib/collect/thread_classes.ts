/**
 * Thread classification: which class of work a game's thread does, from its name and, when the
 * scheduler has watched it, from how it behaves. The classes and their numeric ids are
 * `THREAD_CLASSES` in `lib/types.ts` (shared with the BPF side).
 *
 * @module
 */

import { readThreads } from "../host/proc.ts";
import { emptyThreadCounts, type ThreadClass, type ThreadCounts } from "../types.ts";

/** One row of the name table. */
export interface ThreadPattern {
  cls: ThreadClass;
  /** Tested against the thread's comm (at most 15 bytes), case-insensitive. */
  pattern: RegExp;
  /** Which engines or libraries name their threads like this. */
  why: string;
}

/**
 * The thread-name table. Rows are tried in order and the first match wins, so a more specific row
 * sits above a broader one that would also match (an "AudioRender" thread is audio, not render; a
 * dxvk shader compiler is background, not GPU submit; "io" must not catch "audio").
 * Names are at most 15 bytes (the kernel cuts them), which is why many rows match prefixes.
 */
export const THREAD_PATTERNS: readonly ThreadPattern[] = [
  { cls: "game", pattern: /^(gamethread|mainthread|main thread|unitymain)$/i, why: "engine main loops" },
  {
    cls: "input",
    pattern: /input|sdl.*joy|joystick|gamepad|(^|[^a-z])hid|evdev/i,
    why: "XInput/raw input, SDL joystick and HID threads, evdev readers",
  },
  {
    cls: "audio",
    pattern:
      /audio|^pulse|pipewire|^pw[-_]|alsa|fmod|wwise|xaudio|openal|^al[-_ ]|sound|^snd|mixer|^ak::|faudio|^cubeb/i,
    why: "PulseAudio/PipeWire/ALSA clients, FMOD, Wwise, XAudio2/FAudio, OpenAL",
  },
  {
    cls: "compositor",
    pattern: /gamescope|kwin|mutter|wayland|weston|^wl[-_ ]|compositor|^xorg/i,
    why: "compositor threads (gamescope, KWin, Mutter, Wayland event loops)",
  },
  {
    cls: "background",
    pattern: /dxvk-shader|shader ?comp|shadercomp|fossilize|pso ?comp|pipeline ?comp/i,
    why: "shader and pipeline compilers: heavy but not on the frame's critical path",
  },
  {
    cls: "gpu_submit",
    pattern:
      /dxvk|vkd3d|^vk|render|gl ?thread|^gdrv|radv|^nv|threaded-ml|present|swapchain|^rhi|gfx ?dev|^gfx|d3d|gpu|draw/i,
    why:
      "DXVK/VKD3D submit and queue threads, Vulkan/GL driver threads (Mesa gdrv, RADV, NVIDIA), RenderThread, RHIThread, Unity gfx device",
  },
  {
    cls: "network",
    pattern: /net|socket|http|grpc|curl|websock|ssl|tcp|udp|dns|download|upload|^steam ?net/i,
    why: "networking: Steam networking sockets, HTTP clients, gRPC, DNS resolvers",
  },
  {
    cls: "storage",
    pattern:
      /^io|(^|[^a-z])io([^a-z]|$)|aio|async ?(io|read)|^iou-|loader|loading|preload|stream|disk|(^|[^o])file|asset|decompress|oodle|zstd/i,
    why: "async I/O, io_uring workers, asset loaders and streamers, decompression",
  },
  {
    cls: "background",
    pattern: /background|^bg[-_ ]|compile|^cache/i,
    why: "threads that say they are background work, compilers and cache builders",
  },
  {
    cls: "game",
    pattern: /worker|pool|job|tbb|task|^tp[-_]|wrk/i,
    why:
      "job systems and thread pools (TBB, Unreal TaskGraph, Unity Job.Worker): each frame waits for its jobs, so they are on the frame's path",
  },
];

/** Options of {@link classifyThread}. */
export interface ClassifyOptions {
  /** The thread is the process's main thread (tid == tgid): always "game". */
  isMainThread?: boolean;
}

/**
 * Classify one thread by its name. The main thread is always "game"; otherwise the first matching
 * row of {@link THREAD_PATTERNS}, else "other".
 *
 * @example
 * ```ts
 * classifyThread("dxvk-submit"); // "gpu_submit"
 * classifyThread("game.exe", { isMainThread: true }); // "game"
 * ```
 */
export function classifyThread(comm: string, options: ClassifyOptions = {}): ThreadClass {
  if (options.isMainThread) return "game";
  return THREAD_PATTERNS.find((row) => row.pattern.test(comm))?.cls ?? "other";
}

/** A classified thread. */
export interface ClassifiedThread {
  tid: number;
  comm: string;
  cls: ThreadClass;
}

/** The threads of one process with their classes, and the count per class. */
export interface ThreadClassification {
  threads: ClassifiedThread[];
  counts: ThreadCounts;
}

/**
 * Classify every thread of process `tgid` under `procRoot`. A process that is gone gives no threads
 * and zero counts.
 */
export function classifyThreads(procRoot: string, tgid: number): ThreadClassification {
  const counts = emptyThreadCounts();
  const threads = readThreads(procRoot, tgid).map(({ tid, comm }) => {
    const cls = classifyThread(comm, { isMainThread: tid === tgid });
    counts[cls]++;
    return { tid, comm, cls };
  });
  return { threads, counts };
}

/** What the scheduler observed of one thread over an interval. */
export interface ThreadBehaviour {
  /** Average time the thread ran each time it was scheduled, in ns. */
  avgRunNs: number;
  /** How often it woke up per second. */
  wakeupsPerSec: number;
}

/**
 * Thresholds of {@link refineByBehaviour}. A GPU submit thread wakes once or more per frame (60..500+
 * fps), hands a command buffer to the driver and sleeps again, so it runs in short bursts at a high
 * rate. A background worker does the opposite: long runs, few wake-ups.
 */
export const BEHAVIOUR_THRESHOLDS = {
  /** Runs shorter than this on average (50 us) ... */
  submitMaxAvgRunNs: 50_000,
  /** ... at least this often look like GPU submission (above 60 fps with margin). */
  submitMinWakeupsPerSec: 200,
  /** Runs longer than this on average (5 ms) ... */
  backgroundMinAvgRunNs: 5_000_000,
  /** ... at most this often look like background work. */
  backgroundMaxWakeupsPerSec: 20,
} as const;

/**
 * Refine a name-based class with observed behaviour. Only "other" (a name we did not recognise) is
 * refined: names are the stronger evidence, and an input thread also wakes often and runs briefly.
 * Short frequent runs become "gpu_submit", long rare runs "background"; see {@link BEHAVIOUR_THRESHOLDS}.
 *
 * @example
 * ```ts
 * refineByBehaviour("other", { avgRunNs: 20_000, wakeupsPerSec: 480 }); // "gpu_submit"
 * refineByBehaviour("audio", { avgRunNs: 20_000, wakeupsPerSec: 480 }); // "audio"
 * ```
 */
export function refineByBehaviour(cls: ThreadClass, behaviour: ThreadBehaviour): ThreadClass {
  if (cls !== "other") return cls;
  const t = BEHAVIOUR_THRESHOLDS;
  const { avgRunNs, wakeupsPerSec } = behaviour;
  if (!Number.isFinite(avgRunNs) || !Number.isFinite(wakeupsPerSec) || avgRunNs <= 0) return cls;
  if (avgRunNs < t.submitMaxAvgRunNs && wakeupsPerSec >= t.submitMinWakeupsPerSec) return "gpu_submit";
  if (avgRunNs > t.backgroundMinAvgRunNs && wakeupsPerSec <= t.backgroundMaxWakeupsPerSec) {
    return "background";
  }
  return cls;
}
