import assert from "node:assert/strict";
import {
  BEHAVIOUR_THRESHOLDS,
  classifyThread,
  classifyThreads,
  refineByBehaviour,
  THREAD_PATTERNS,
} from "../lib/collect/thread_classes.ts";
import { THREAD_CLASSES, type ThreadClass } from "../lib/types.ts";
import { makeFakeProc } from "./fixtures/fake_proc.ts";

/** Real thread names seen in games (comm, so at most 15 bytes), and their class. */
const NAMED: [string, ThreadClass][] = [
  // input
  ["InputThread", "input"],
  ["XInputWorker", "input"],
  ["SDL_joystick", "input"],
  ["sdljoy", "input"],
  ["HIDAPI", "input"],
  ["SDL_hidapi", "input"],
  ["evdev-reader", "input"],
  ["RawInput", "input"],
  // GPU submission
  ["dxvk-submit", "gpu_submit"],
  ["dxvk-queue", "gpu_submit"],
  ["dxvk-frame", "gpu_submit"],
  ["dxvk-cs", "gpu_submit"],
  ["vkd3d_queue", "gpu_submit"],
  ["vkd3d_fence", "gpu_submit"],
  ["vk_present", "gpu_submit"],
  ["RenderThread 0", "gpu_submit"],
  ["RHIThread", "gpu_submit"],
  ["UnityGfxDeviceW", "gpu_submit"],
  ["gdrv0", "gpu_submit"],
  ["radv_queue", "gpu_submit"],
  ["threaded-ml", "gpu_submit"],
  ["nv_queue", "gpu_submit"],
  ["glthread", "gpu_submit"],
  ["gl thread", "gpu_submit"],
  // compositor
  ["gamescope-wl", "compositor"],
  ["kwin_wayland", "compositor"],
  ["wayland-event", "compositor"],
  // audio
  ["AudioThread", "audio"],
  ["AudioRenderer", "audio"],
  ["pulse-thread", "audio"],
  ["pw-data-loop", "audio"],
  ["alsa-sink", "audio"],
  ["FMOD mixer", "audio"],
  ["FMOD Studio", "audio"],
  ["Wwise Audio", "audio"],
  ["XAudio2", "audio"],
  ["OpenAL mixer", "audio"],
  ["SoundThread", "audio"],
  // network
  ["NetThread", "network"],
  ["SteamNetworking", "network"],
  ["Steam Net", "network"],
  ["SocketThread", "network"],
  ["HTTP Worker", "network"],
  ["grpc_global_tim", "network"],
  ["libcurl", "network"],
  // storage
  ["IOThread", "storage"],
  ["AsyncIO", "storage"],
  ["async-io", "storage"],
  ["iou-wrk-4242", "storage"],
  ["AssetLoader", "storage"],
  ["Loading.Preload", "storage"],
  ["AsyncReadManage", "storage"],
  ["StreamingThread", "storage"],
  ["disk_cache", "storage"],
  ["FileWatcher", "storage"],
  ["Oodle Worker", "storage"],
  // job systems: on the frame's path, so game threads
  ["Job.Worker 3", "game"],
  ["TaskGraphThread", "game"],
  ["tbb_worker", "game"],
  ["ThreadPool-7", "game"],
  ["WorkerThread", "game"],
  ["GameWorker", "game"],
  // background
  ["dxvk-shader-3", "background"],
  ["ShaderCompileWo", "background"],
  ["fossilize", "background"],
  ["BackgroundWorke", "background"],
  // game loops named by engines
  ["GameThread", "game"],
  ["UnityMain", "game"],
  // unrecognised
  ["witcher3.exe", "other"],
  ["Profiler", "other"],
  ["UnityChoreograp", "other"],
  ["", "other"],
];

Deno.test("classifyThread maps each name of the table to its class", () => {
  const wrong = NAMED
    .map(([comm, want]) => ({ comm, want, got: classifyThread(comm) }))
    .filter((r) => r.got !== r.want);
  assert.deepEqual(wrong, []);
});

Deno.test("classifyThread is case-insensitive", () => {
  assert.equal(classifyThread("DXVK-SUBMIT"), "gpu_submit");
  assert.equal(classifyThread("audiothread"), "audio");
});

Deno.test("classifyThread calls the main thread game whatever its name", () => {
  assert.equal(classifyThread("RenderThread", { isMainThread: true }), "game");
  assert.equal(classifyThread("witcher3.exe", { isMainThread: true }), "game");
});

Deno.test("the pattern table reaches every thread class except other", () => {
  const reached = new Set(THREAD_PATTERNS.map((r) => r.cls));
  assert.deepEqual(THREAD_CLASSES.filter((c) => c !== "other" && !reached.has(c)), []);
});

Deno.test("classifyThreads classifies and counts every thread of a process", () => {
  const root = makeFakeProc([{
    pid: 100,
    comm: "game.exe",
    threads: [
      { tid: 100, comm: "game.exe" },
      { tid: 101, comm: "dxvk-submit" },
      { tid: 102, comm: "dxvk-queue" },
      { tid: 103, comm: "AudioThread" },
      { tid: 104, comm: "Job.Worker 0" },
      { tid: 105, comm: "Job.Worker 1" },
      { tid: 106, comm: "game.exe" },
    ],
  }]);
  const { threads, counts } = classifyThreads(root, 100);
  assert.deepEqual(threads.map((t) => t.cls), [
    "game",
    "gpu_submit",
    "gpu_submit",
    "audio",
    "game",
    "game",
    "other",
  ]);
  assert.deepEqual(counts, {
    other: 1,
    game: 3,
    input: 0,
    gpu_submit: 2,
    compositor: 0,
    audio: 1,
    network: 0,
    storage: 0,
    background: 0,
  });
});

Deno.test("classifyThreads gives no threads and zero counts for a process that is gone", () => {
  const { threads, counts } = classifyThreads(makeFakeProc([]), 123);
  assert.deepEqual(threads, []);
  assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 0);
});

Deno.test("refineByBehaviour turns an unnamed thread with short frequent runs into gpu_submit", () => {
  assert.equal(refineByBehaviour("other", { avgRunNs: 20_000, wakeupsPerSec: 480 }), "gpu_submit");
  const t = BEHAVIOUR_THRESHOLDS;
  // Just outside either threshold: unchanged.
  assert.equal(
    refineByBehaviour("other", { avgRunNs: t.submitMaxAvgRunNs, wakeupsPerSec: 480 }),
    "other",
  );
  assert.equal(
    refineByBehaviour("other", { avgRunNs: 20_000, wakeupsPerSec: t.submitMinWakeupsPerSec - 1 }),
    "other",
  );
});

Deno.test("refineByBehaviour turns an unnamed thread with long rare runs into background", () => {
  assert.equal(refineByBehaviour("other", { avgRunNs: 8_000_000, wakeupsPerSec: 4 }), "background");
});

Deno.test("refineByBehaviour never overrides a class the name gave", () => {
  for (const cls of THREAD_CLASSES.filter((c) => c !== "other")) {
    assert.equal(refineByBehaviour(cls, { avgRunNs: 20_000, wakeupsPerSec: 1000 }), cls);
  }
});

Deno.test("refineByBehaviour leaves a thread unchanged when it has no observations", () => {
  assert.equal(refineByBehaviour("other", { avgRunNs: 0, wakeupsPerSec: 0 }), "other");
  assert.equal(refineByBehaviour("other", { avgRunNs: NaN, wakeupsPerSec: 500 }), "other");
});
