/**
 * Run a shell script inside a real sched_ext kernel under QEMU and bring back its status, its console
 * log and the files it wrote to `out/`. The host kernel has no sched_ext; this is how tests and people
 * trying a scenario by hand get one.
 *
 * One run: build or reuse the initramfs layers (layers.ts), boot QEMU with TCG (the checked recipe
 * below), wait for the guest's start marker, optionally type on the emulated PS/2 keyboard through QMP,
 * wait for the end marker, then unpack out/ from the raw disk the guest wrote it to.
 *
 * Exit statuses: the script's own status when it ran to the end, else one of {@link VM_EXIT}. A kernel
 * Oops or panic before the scenario starts gets one retry of the boot (TCG under load has been seen to
 * crash early); after the scenario has started, it is reported as is.
 *
 * @module
 */

import * as path from "node:path";
import { baseLayers, findKernel, REPO_ROOT, runLayer, VmSetupError } from "./layers.ts";
import { type InputInjection, type InputStats, QmpClient, startInputEvents } from "./qmp.ts";

/** Exit statuses for the ways a run can fail outside the script. */
export const VM_EXIT = {
  /** QEMU did not start, or the guest never reached the scenario within the boot timeout. */
  bootFailure: 241,
  /** The guest kernel printed an Oops or panicked. */
  kernelCrash: 242,
  /** The scenario ran longer than its timeout. */
  timeout: 243,
  /** The harness itself failed: setup missing, bad option, or the guest vanished without a status. */
  harnessError: 244,
} as const;

/** How a run ended. */
export type VmOutcome = "completed" | "boot_failure" | "kernel_crash" | "timeout" | "no_status";

/** Options of {@link runInVm}. */
export interface VmOptions {
  /** Arguments passed to the script. Default none. */
  args?: string[];
  /** Seconds the scenario may run, from its start (boot not included). Default 300. */
  timeoutS?: number;
  /** Seconds the boot may take before it counts as failed. Default 120 (a boot takes ~5 s idle). */
  bootTimeoutS?: number;
  /** Host folder out/ is copied to. Default tools/vm/out/<run id>/. */
  outDir?: string;
  /** Environment variables exported to the script. */
  env?: Record<string, string>;
  /** Key events per second typed on the guest's PS/2 keyboard during the scenario. Default 0 (none). */
  inputRateHz?: number;
  /** QEMU qcode of the key typed. Default "shift". */
  inputKey?: string;
  /** Guest memory in MiB. Default 768 (Deno needs at least 320). */
  memMiB?: number;
  /** The scx_gamer bundle. Default dist/scx_gamer.js when it exists; null to leave it out. */
  bundle?: string | null;
  /** Extra files for the guest: guest path -> host path. */
  files?: Record<string, string>;
  /** Receives the guest console as it arrives (the CLI prints it). Default: kept in the result only. */
  onConsole?: (text: string) => void;
  /** Receives the guest console a whole line at a time ("\r" stripped), the harness's own lines included. */
  onConsoleLine?: (line: string) => void;
  /** Folder of the test kernel. Default .cache/kernel. */
  kernelDir?: string;
  /** Extra kernel command-line parameters, one per element (e.g. "loglevel=7"). */
  kernelArgs?: string[];
  /** How TCG runs the two vCPUs. Default "single", the checked recipe (see {@link TcgThreads}). */
  tcg?: TcgThreads;
}

/**
 * How QEMU's TCG runs the guest's vCPUs. "single": both take turns on one host thread (the checked
 * recipe, the tests' default): a wake-up sent to the other vCPU waits for its turn, and two vCPUs give one
 * CPU of capacity. "multi": each vCPU on its own host thread, running at once as on hardware (one
 * oops with a sched_ext scheduler enabled was seen under it once, so the tests stay on "single" but for
 * one that boots it). "icount": one host thread, and the guest's clock counts executed instructions
 * (`-icount shift=3`: 8 ns each) instead of following the host's: a duration measured in the guest (a BPF
 * program's run time from bpf_stats_enabled, a task's CPU time) is work done, the same from run to run
 * whatever else loads the host. For comparing costs, not for latencies a player would see.
 */
export type TcgThreads = "single" | "multi" | "icount";
export const TCG_THREADS: readonly TcgThreads[] = ["single", "multi", "icount"];

/** Is `text` one of {@link TCG_THREADS}? */
export function isTcgThreads(text: string | undefined): text is TcgThreads {
  return (TCG_THREADS as readonly (string | undefined)[]).includes(text);
}

/**
 * Cut text that arrives in chunks (a console) into whole lines, "\r" stripped; `end` passes on an
 * unfinished last line.
 */
export function lineSplitter(onLine: (line: string) => void): { push(text: string): void; end(): void } {
  let partial = "";
  return {
    push(text) {
      partial += text;
      let nl: number;
      while ((nl = partial.indexOf("\n")) >= 0) {
        onLine(partial.slice(0, nl).replace(/\r$/, ""));
        partial = partial.slice(nl + 1);
      }
    },
    end() {
      if (partial) onLine(partial);
      partial = "";
    },
  };
}

/** The result of {@link runInVm}. */
export interface VmResult {
  /** The script's exit status, or one of {@link VM_EXIT}. */
  status: number;
  outcome: VmOutcome;
  /** One line saying how the run ended. */
  message: string;
  /** The guest console of the last boot attempt, plus the harness's own "[vm]" lines. */
  log: string;
  /** Where out/ was copied, or null when nothing came back. */
  outDir: string | null;
  /** Seconds from QEMU's start to the scenario's start (last attempt), or null when it never started. */
  bootSeconds: number | null;
  /** Seconds the scenario ran, or null when it never started. */
  scenarioSeconds: number | null;
  /** Seconds spent building or checking the initramfs layers. */
  buildSeconds: number;
  /** Seconds for the whole call. */
  totalSeconds: number;
  /** Boot attempts made (2 when the first crashed before the scenario started). */
  attempts: number;
  /** What the input injection did, or null when inputRateHz was 0. */
  input: InputStats | null;
}

/** A script to run: a path to a file, or its text. */
export type VmScript = string | { text: string };

/** An option of runInVm (or a flag of the CLI) is out of range. */
export class VmOptionError extends Error {
  override name = "VmOptionError";
}

/** Seconds the host waits past the guest's own scenario timeout before killing QEMU. */
const HOST_TIMEOUT_GRACE_S = 60;
/** Seconds QEMU gets to power off after the end marker. */
const POWEROFF_GRACE_S = 30;
/** Seconds of console kept after a crash line, for the trace, before QEMU is killed. */
const CRASH_TRACE_S = { beforeStart: 3, afterStart: 10 };
/** Size of the sparse raw disk out/ is written to. */
const OUT_DISK_BYTES = 512 * 1024 * 1024;

/** Kernel lines that mean the kernel itself broke (timestamped, so a script's echo cannot match). */
const CRASH_LINE =
  /^\[\s*\d+\.\d+\]\s*(Oops|Kernel panic - not syncing|BUG: unable to handle|BUG: kernel NULL pointer|general protection fault)/;

/** The checked recipe (see issue 4): TCG (single-threaded unless asked), q35, 2 vCPUs, serial console on stdio. */
export function qemuArgs(
  o: {
    kernel: string;
    initrd: string;
    memMiB: number;
    qmp: string;
    disk: string;
    kernelArgs: string[];
    tcg: TcgThreads;
  },
): string[] {
  const cmdline = ["console=ttyS0", "panic=-1", "quiet", ...o.kernelArgs].join(" ");
  const tcg = o.tcg === "icount" ? ["tcg,thread=single", "-icount", "shift=3"] : [`tcg,thread=${o.tcg}`];
  return [
    ...["-machine", "q35", "-accel", ...tcg, "-cpu", "max", "-smp", "2", "-m", `${o.memMiB}M`],
    ...["-kernel", o.kernel, "-initrd", o.initrd, "-append", cmdline],
    ...["-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nic", "none"],
    ...["-qmp", `unix:${o.qmp},server=on,wait=off`],
    ...["-drive", `file=${o.disk},format=raw,if=virtio`],
  ];
}

function checkNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new VmOptionError(`runInVm: ${name} ${value} is out of range: expected a number in ${min}..${max}`);
  }
  return value;
}

function newRunId(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${
    p(d.getMinutes())
  }${p(d.getSeconds())}`;
  return `${stamp}-${crypto.randomUUID().slice(0, 6)}`;
}

/** Concatenate the layers into one initrd (QEMU takes one file; the kernel unpacks each archive in turn). */
function writeInitrd(dest: string, layers: string[], runLayerBytes: Uint8Array): void {
  const file = Deno.openSync(dest, { write: true, create: true, truncate: true });
  try {
    for (const layer of layers) {
      const data = Deno.readFileSync(layer);
      for (let at = 0; at < data.length;) at += file.writeSync(data.subarray(at));
      // Archives start 4-byte aligned; zero padding between them is skipped by the kernel.
      const pad = (4 - (data.length % 4)) % 4;
      if (pad) file.writeSync(new Uint8Array(pad));
    }
    for (let at = 0; at < runLayerBytes.length;) at += file.writeSync(runLayerBytes.subarray(at));
  } finally {
    file.close();
  }
}

interface Attempt {
  kind: "completed" | "boot_failure" | "crash" | "timeout" | "no_status";
  started: boolean;
  scriptStatus: number | null;
  guestTimedOut: boolean;
  outOk: boolean;
  bootSeconds: number | null;
  scenarioSeconds: number | null;
  detail: string;
  log: string;
  input: InputStats | null;
}

interface AttemptConfig {
  qemuArgs: string[];
  nonce: string;
  qmpPath: string;
  timeoutS: number;
  bootTimeoutS: number;
  inputRateHz: number;
  inputKey: string;
  onConsole: (text: string) => void;
}

/**
 * The QEMU to run: `qemu-system-x86_64` from PATH, or the program in SCXVM_QEMU (to compare another QEMU
 * build on the same scenario, e.g. a newer TCG).
 */
function qemuProgram(): string {
  return Deno.env.get("SCXVM_QEMU") || "qemu-system-x86_64";
}

async function bootOnce(cfg: AttemptConfig): Promise<Attempt> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(qemuProgram(), {
      args: cfg.qemuArgs,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw new VmSetupError(
      `${qemuProgram()}: cannot start: ${(e as Error).message} (run 'deno task setup')`,
    );
  }
  const stderrText = new Response(child.stderr).text();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const after = (seconds: number, fn: () => void): ReturnType<typeof setTimeout> => {
    const id = setTimeout(() => {
      timers.delete(id);
      fn();
    }, seconds * 1000);
    timers.add(id);
    return id;
  };
  let killedFor: "boot_timeout" | "timeout" | "crash" | "poweroff" | null = null;
  const kill = (why: typeof killedFor) => {
    killedFor ??= why;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  };

  let log = "";
  const note = (line: string) => {
    const text = `[vm] ${line}\n`;
    log += text;
    cfg.onConsole(text);
  };
  const startMarker = `@@SCXVM:${cfg.nonce}:START@@`;
  const endMarker = new RegExp(`@@SCXVM:${cfg.nonce}:END status=(\\d+) timeout=([01]) out=(ok|error)@@`);
  let startedAt: number | null = null;
  let endedAt: number | null = null;
  let end: RegExpMatchArray | null = null;
  let crash: string | null = null;
  let qmp: QmpClient | null = null;
  let injection: InputInjection | null = null;
  let input: InputStats | null = null;
  let inputStart: Promise<void> = Promise.resolve();
  const qemuGone = new AbortController();
  const stopInput = async () => {
    await inputStart;
    if (injection) {
      const running = injection;
      injection = null;
      input = await running.stop();
    }
  };

  const bootTimer = after(cfg.bootTimeoutS, () => {
    note(`no scenario start within ${cfg.bootTimeoutS} s: stopping QEMU`);
    kill("boot_timeout");
  });
  const onLine = (line: string) => {
    if (startedAt === null && line.includes(startMarker)) {
      startedAt = elapsed();
      clearTimeout(bootTimer);
      timers.delete(bootTimer);
      after(cfg.timeoutS + HOST_TIMEOUT_GRACE_S, () => {
        note(`the guest did not stop the scenario at its ${cfg.timeoutS} s timeout: killing QEMU`);
        kill("timeout");
      });
      if (cfg.inputRateHz > 0) {
        inputStart = QmpClient.connect(cfg.qmpPath, { signal: qemuGone.signal }).then((client) => {
          qmp = client;
          injection = startInputEvents(client, { rateHz: cfg.inputRateHz, key: cfg.inputKey });
        }, (e: Error) => note(`input injection unavailable: ${e.message}`));
      }
      return;
    }
    const m = end === null ? line.match(endMarker) : null;
    if (m) {
      end = m;
      endedAt = elapsed();
      void stopInput();
      after(POWEROFF_GRACE_S, () => kill("poweroff"));
      return;
    }
    if (crash === null && CRASH_LINE.test(line)) {
      crash = line.trim();
      after(startedAt === null ? CRASH_TRACE_S.beforeStart : CRASH_TRACE_S.afterStart, () => kill("crash"));
    }
  };

  const decoder = new TextDecoder();
  const lines = lineSplitter(onLine);
  for await (const chunk of child.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    log += text;
    cfg.onConsole(text);
    lines.push(text);
  }
  lines.end();
  const status = await child.status;
  qemuGone.abort();
  for (const id of timers) clearTimeout(id);
  timers.clear();
  await stopInput();
  if (qmp) await (qmp as QmpClient).close();
  if (input !== null) {
    const i = input as InputStats;
    note(
      `input: ${i.sent} key events sent at ${cfg.inputRateHz} Hz, ${i.acked} accepted, ${i.skipped} skipped` +
        (i.firstError ? ` (first error: ${i.firstError})` : ""),
    );
  }
  const stderr = (await stderrText).trim();

  const started = startedAt !== null;
  const scenarioSeconds = startedAt === null ? null : (endedAt ?? elapsed()) - startedAt;
  const base = {
    started,
    bootSeconds: startedAt,
    scenarioSeconds,
    log,
    input,
    scriptStatus: end ? Number(end[1]) : null,
    guestTimedOut: end ? end[2] === "1" : false,
    outOk: end ? end[3] === "ok" : false,
  };
  if (crash !== null) return { ...base, kind: "crash", detail: crash };
  if (end !== null) return { ...base, kind: base.guestTimedOut ? "timeout" : "completed", detail: "" };
  if (killedFor === "timeout") return { ...base, kind: "timeout", detail: "" };
  if (!started) {
    const why = killedFor === "boot_timeout"
      ? `no scenario start within ${cfg.bootTimeoutS} s`
      : `QEMU exited with status ${status.code} before the scenario started${
        stderr ? `: ${stderr.split("\n").slice(-1)[0]}` : ""
      }`;
    return { ...base, kind: "boot_failure", detail: why };
  }
  return {
    ...base,
    kind: "no_status",
    detail: `QEMU exited with status ${status.code} before the guest reported the scenario's status`,
  };
}

function unpackOut(disk: string, outDir: string): void {
  Deno.mkdirSync(outDir, { recursive: true });
  // The guest wrote `tar -cf /dev/vda out`: a plain tar at the start of the raw disk, zeros after it.
  const res = new Deno.Command("tar", {
    args: ["-xf", disk, "-C", outDir, "--strip-components=1", "--no-same-owner", "--no-same-permissions"],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!res.success) {
    const err = new TextDecoder().decode(res.stderr).trim().split("\n")[0];
    throw new VmSetupError(`out/: cannot unpack the guest's archive from ${disk}: ${err}`);
  }
}

/**
 * Boot the sched_ext test kernel and run `script` (busybox sh) in the guest's /work with `args`.
 * In the guest: scx_gamer (the bundle), gamesim, cyclictest, deno and busybox on PATH; /proc, /sys,
 * /dev, /tmp and (when the kernel has them) debugfs, tracefs, bpffs and cgroup2 mounted; evdev loaded
 * and the PS/2 keyboard's node in $VM_KBD_EVDEV. Files the script writes under out/ come back to
 * `outDir`.
 *
 * @throws {VmOptionError} on an option out of range.
 * @throws {VmSetupError} when the kernel, QEMU or a host tool is missing (nothing was booted).
 *
 * @example
 * ```ts
 * const r = await runInVm({ text: "cat /sys/kernel/sched_ext/state > out/state; exit 3" });
 * r.status; // 3
 * await Deno.readTextFile(`${r.outDir}/state`); // "disabled\n"
 * ```
 */
export async function runInVm(script: VmScript, options: VmOptions = {}): Promise<VmResult> {
  const t0 = performance.now();
  const timeoutS = checkNumber("timeoutS", options.timeoutS ?? 300, 1, 86_400);
  const bootTimeoutS = checkNumber("bootTimeoutS", options.bootTimeoutS ?? 120, 5, 3_600);
  const inputRateHz = checkNumber("inputRateHz", options.inputRateHz ?? 0, 0, 10_000);
  const memMiB = checkNumber("memMiB", options.memMiB ?? 768, 320, 16_384);
  const consoleLines = lineSplitter(options.onConsoleLine ?? (() => {}));
  const onConsole = (text: string) => {
    options.onConsole?.(text);
    consoleLines.push(text);
  };
  const kernelArgs = options.kernelArgs ?? [];
  const tcg = options.tcg ?? "single";
  if (!isTcgThreads(tcg)) {
    throw new VmOptionError(`runInVm: tcg '${tcg}': expected ${TCG_THREADS.join(" or ")}`);
  }
  for (const arg of kernelArgs) {
    if (!/^[^\s"']+$/.test(arg)) {
      throw new VmOptionError(
        `runInVm: kernel argument '${arg}': expected one parameter without spaces or quotes`,
      );
    }
  }
  let scriptText: string;
  if (typeof script === "string") {
    try {
      scriptText = Deno.readTextFileSync(script);
    } catch {
      throw new VmOptionError(`runInVm: script ${script}: cannot be read`);
    }
  } else {
    scriptText = script.text;
  }
  let bundle: string | null = null;
  if (options.bundle !== null) {
    const candidate = options.bundle ?? path.join(REPO_ROOT, "dist/scx_gamer.js");
    try {
      Deno.statSync(candidate);
      bundle = candidate;
    } catch {
      if (options.bundle !== undefined) throw new VmOptionError(`runInVm: bundle ${candidate}: missing`);
    }
  }

  const kernel = findKernel(options.kernelDir);
  const layers = await baseLayers(kernel);
  const runId = newRunId();
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const runBytes = runLayer({
    script: scriptText,
    args: options.args ?? [],
    env: options.env ?? {},
    nonce,
    timeoutS,
    bundle,
    files: options.files ?? {},
  });
  const buildSeconds = (performance.now() - t0) / 1000;

  const work = await Deno.makeTempDir({ prefix: "scx_vm_" });
  try {
    const initrd = path.join(work, "initrd.img");
    const disk = path.join(work, "out.img");
    writeInitrd(initrd, layers, runBytes);
    let attempt: Attempt | null = null;
    let attempts = 0;
    let earlierLog = "";
    while (attempts < 2) {
      attempts++;
      const qmpPath = path.join(work, `qmp${attempts}.sock`);
      const f = Deno.openSync(disk, { write: true, create: true, truncate: true });
      f.truncateSync(OUT_DISK_BYTES);
      f.close();
      attempt = await bootOnce({
        qemuArgs: qemuArgs({ kernel: kernel.vmlinuz, initrd, memMiB, qmp: qmpPath, disk, kernelArgs, tcg }),
        nonce,
        qmpPath,
        timeoutS,
        bootTimeoutS,
        inputRateHz,
        inputKey: options.inputKey ?? "shift",
        onConsole,
      });
      if (attempt.kind === "crash" && !attempt.started && attempts === 1) {
        const line =
          `[vm] the kernel crashed before the scenario started (${attempt.detail}): booting once more\n`;
        onConsole(line);
        earlierLog = attempt.log + line;
        continue;
      }
      break;
    }
    const a = attempt as Attempt;
    let outDir: string | null = null;
    if (a.scriptStatus !== null && a.outOk) {
      outDir = path.resolve(options.outDir ?? path.join(REPO_ROOT, "tools/vm/out", runId));
      unpackOut(disk, outDir);
    }
    const timing = `boot ${a.bootSeconds?.toFixed(1) ?? "-"} s, scenario ${
      a.scenarioSeconds?.toFixed(1) ?? "-"
    } s`;
    let status: number;
    let outcome: VmOutcome;
    let message: string;
    switch (a.kind) {
      case "completed":
        status = a.scriptStatus as number;
        outcome = "completed";
        message = `vm: scenario exited with status ${status} (${timing})`;
        break;
      case "timeout":
        status = VM_EXIT.timeout;
        outcome = "timeout";
        message = `vm: scenario timed out after ${timeoutS} s (${timing})`;
        break;
      case "crash":
        status = VM_EXIT.kernelCrash;
        outcome = "kernel_crash";
        message = `vm: kernel crash ${a.started ? "during the scenario" : "during boot, twice"}: ${a.detail}`;
        break;
      case "boot_failure":
        status = VM_EXIT.bootFailure;
        outcome = "boot_failure";
        message = `vm: boot failed: ${a.detail}`;
        break;
      default:
        status = VM_EXIT.harnessError;
        outcome = "no_status";
        message = `vm: ${a.detail}`;
    }
    if (a.scriptStatus !== null && !a.outOk) message += " (out/ could not be copied back)";
    const log = earlierLog + a.log + `[vm] ${message}\n`;
    onConsole(`[vm] ${message}\n`);
    consoleLines.end();
    return {
      status,
      outcome,
      message,
      log,
      outDir,
      bootSeconds: a.bootSeconds,
      scenarioSeconds: a.scenarioSeconds,
      buildSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      attempts,
      input: a.input,
    };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}
