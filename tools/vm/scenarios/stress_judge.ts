/**
 * Judging what tools/vm/scenarios/stress.sh recorded (issue 12's stress suite): the parsers of its
 * files and one function per kind of phase that returns the problems found, each one line naming what
 * was seen and when. An empty list means the phase passed. Used by tests/vm/stress_vm_test.ts.
 *
 * @module
 */

import { kernelEjections } from "../../bench_sched/guest_results.ts";

/** One line of monitor.txt: the scheduler's state at one instant. */
export interface MonitorSample {
  /** Uptime, s. */
  t: number;
  state: string;
  /** /sys/kernel/sched_ext/root/ops, "none" when no scheduler is loaded. */
  ops: string;
  /** /sys/kernel/sched_ext/enable_seq: how many times a scheduler was enabled since boot. */
  seq: number;
  /** CPU 1's online flag. */
  cpu1: number;
}

/** Parse monitor.txt ("uptime state ops enable_seq cpu1_online" lines; torn lines are skipped). */
export function parseMonitor(text: string): MonitorSample[] {
  const out: MonitorSample[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 5) continue;
    const [t, seq, cpu1] = [Number(f[0]), Number(f[3]), Number(f[4])];
    if (![t, seq, cpu1].every(Number.isFinite)) continue;
    out.push({ t, state: f[1], ops: f[2], seq, cpu1 });
  }
  return out;
}

/** When each phase ran, and when the hotplug phase took CPU 1 off and on. */
export interface PhaseTimes {
  spans: Map<string, { begin: number; end: number | null }>;
  offline: number | null;
  online: number | null;
}

/** Parse phases.txt ("NAME begin|end UPTIME", "hotplug offline|online UPTIME"). */
export function parsePhases(text: string): PhaseTimes {
  const spans = new Map<string, { begin: number; end: number | null }>();
  let offline: number | null = null;
  let online: number | null = null;
  for (const line of text.split("\n")) {
    const m = /^(\S+) (begin|end|offline|online) ([\d.]+)$/.exec(line.trim());
    if (!m) continue;
    const t = Number(m[3]);
    if (m[2] === "begin") spans.set(m[1], { begin: t, end: null });
    else if (m[2] === "end" && spans.has(m[1])) spans.get(m[1])!.end = t;
    else if (m[2] === "offline") offline = t;
    else if (m[2] === "online") online = t;
  }
  return { spans, offline, online };
}

/** "key value" lines (work.txt) as numbers. */
export function parseWork(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** The lines of scx_gamer's log between "@@stress begin NAME" and "@@stress end NAME". */
export function logDuring(log: string, name: string): string[] {
  const lines = log.split("\n");
  const a = lines.indexOf(`@@stress begin ${name}`);
  if (a < 0) return [];
  const b = lines.indexOf(`@@stress end ${name}`, a);
  return lines.slice(a + 1, b < 0 ? lines.length : b);
}

/** Log lines that say the scheduler was stopped or failed. */
export function logEjections(lines: readonly string[]): string[] {
  return lines.map((l) => l.trim()).filter((l) => /kernel stopped the scheduler|stall|error/i.test(l));
}

/** gamer.pid: "NAME PID" at a phase's start and "NAME PID|gone" at its end. */
export function parsePids(text: string, name: string): { start: string | null; end: string | null } {
  const mine = text.split("\n").map((l) => l.trim().split(/\s+/)).filter((f) => f[0] === name);
  return { start: mine[0]?.[1] ?? null, end: mine[1]?.[1] ?? null };
}

function attached(s: MonitorSample, ops: string): boolean {
  return s.state === "enabled" && s.ops.startsWith(ops);
}

function at(s: MonitorSample, t0: number): string {
  return `'${s.state} ${s.ops}' at +${(s.t - t0).toFixed(1)} s`;
}

/** Everything recorded about one phase. */
export interface PhaseRecord {
  name: string;
  begin: number;
  end: number;
  samples: readonly MonitorSample[];
  /** The kernel's sched_ext lines logged during the phase. */
  dmesg: string;
  /** scx_gamer's log lines during the phase. */
  log: readonly string[];
  /** scx_gamer's pid at the phase's start, and at its end ("gone" when it had exited). */
  pids: { start: string | null; end: string | null };
  /** The ops name that must stay attached. Default "gamer". */
  ops?: string;
}

/** Fewer monitor samples than this in a phase means the phase was not watched. */
export const MIN_SAMPLES = 10;

/**
 * A phase that must not eject: sched_ext enabled with the scheduler's ops in every sample, enable_seq
 * unchanged (no detach and re-attach in between), no ejection in the kernel log or scx_gamer's, and the
 * same scx_gamer alive at the end.
 */
export function judgeSteadyPhase(p: PhaseRecord): string[] {
  const ops = p.ops ?? "gamer";
  const problems: string[] = [];
  const inside = p.samples.filter((s) => s.t >= p.begin && s.t <= p.end);
  if (inside.length < MIN_SAMPLES) {
    problems.push(`the monitor took ${inside.length} samples in ${(p.end - p.begin).toFixed(1)} s`);
  }
  const bad = inside.filter((s) => !attached(s, ops));
  if (bad.length) {
    problems.push(
      `sched_ext not attached in ${bad.length} of ${inside.length} samples, first ${at(bad[0], p.begin)}`,
    );
  }
  const seqs = [...new Set(inside.map((s) => s.seq))];
  if (seqs.length > 1) {
    problems.push(`enable_seq went ${seqs.join(" -> ")}: the scheduler was stopped and attached again`);
  }
  for (const line of kernelEjections(p.dmesg)) problems.push(`kernel log: ${line}`);
  for (const line of logEjections(p.log)) problems.push(`scx_gamer's log: ${line}`);
  if (p.pids.start === null || p.pids.start === "") problems.push("no scx_gamer was running at the start");
  else if (p.pids.end !== p.pids.start) {
    problems.push(
      `scx_gamer (pid ${p.pids.start}) was ${p.pids.end === "gone" ? "gone" : p.pids.end} at the end`,
    );
  }
  return problems;
}

/** How the scheduler came through one hotplug event. */
export interface Recovery {
  /** Seconds from the event to the first sample after the last unattached one (0: never left). */
  seconds: number | null;
  /** The last sample that was not attached, if any. */
  lastBad: MonitorSample | null;
}

/**
 * From `from` to `to`: when the scheduler was attached for good. Null seconds when the last sample of
 * the window is still not attached (it never came back in the window).
 */
export function recovery(
  samples: readonly MonitorSample[],
  from: number,
  to: number,
  ops = "gamer",
): Recovery {
  const window = samples.filter((s) => s.t >= from && s.t <= to);
  let lastBadIndex = -1;
  window.forEach((s, i) => {
    if (!attached(s, ops)) lastBadIndex = i;
  });
  if (lastBadIndex < 0) return { seconds: 0, lastBad: null };
  const lastBad = window[lastBadIndex];
  const next = window[lastBadIndex + 1];
  return { seconds: next ? next.t - from : null, lastBad };
}

/** Everything recorded about the hotplug phase. */
export interface HotplugRecord extends PhaseRecord {
  offline: number | null;
  online: number | null;
  work: Record<string, number>;
}

/**
 * The hotplug phase: CPU 1 really went offline and came back, and after each of the two events the
 * scheduler was attached again within `withinS` seconds and stayed so, with nobody restarting its
 * process (the same scx_gamer alive at the end).
 */
export function judgeHotplug(p: HotplugRecord, withinS = 5): string[] {
  const ops = p.ops ?? "gamer";
  const problems: string[] = [];
  if (p.offline === null || p.online === null) return ["the phase did not take CPU 1 offline and online"];
  if (p.work.offline_rc !== 0 || p.work.online_after_offline !== 0) {
    problems.push(
      `CPU 1 did not go offline (echo 0: status ${p.work.offline_rc}, online then ${p.work.online_after_offline})`,
    );
  }
  if (p.work.online_rc !== 0 || p.work.online_after_online !== 1) {
    problems.push(
      `CPU 1 did not come back online (echo 1: status ${p.work.online_rc}, online then ${p.work.online_after_online})`,
    );
  }
  for (const [what, from, to] of [["offline", p.offline, p.online], ["online", p.online, p.end]] as const) {
    if (to - from < withinS + 1) {
      problems.push(
        `CPU 1 ${what}: only ${(to - from).toFixed(1)} s watched, too short to judge ${withinS} s`,
      );
      continue;
    }
    const r = recovery(p.samples, from, to, ops);
    if (r.seconds === null) {
      problems.push(
        `CPU 1 ${what} at +${(from - p.begin).toFixed(1)} s: the scheduler was not attached again in ` +
          `${(to - from).toFixed(1)} s (last sample ${at(r.lastBad!, from)})`,
      );
    } else if (r.seconds > withinS) {
      problems.push(
        `CPU 1 ${what}: attached again only ${r.seconds.toFixed(1)} s later (wanted within ${withinS} s)`,
      );
    }
  }
  // The kernel stopping the scheduler at a hotplug is expected (it asks for a restart); only coming back
  // by itself, in time, counts. So neither its log nor the kernel's is judged here.
  if (p.pids.start === null || p.pids.start === "") problems.push("no scx_gamer was running at the start");
  else if (p.pids.end !== p.pids.start) {
    problems.push(
      `scx_gamer (pid ${p.pids.start}) was ${p.pids.end === "gone" ? "gone" : p.pids.end} at the end`,
    );
  }
  return problems;
}
