/**
 * `scx_gamer --monitor [SECONDS]`: the running instance's stats, read from its control socket every
 * SECONDS and printed like its own `--stats` lines (or JSON lines with `--stats-json`), until Ctrl-C.
 * It attaches nothing and needs no root: only access to the socket (root, or the socket's group).
 *
 * The server's figures are cumulative; each line is the difference of two readings, so the interval
 * is the monitor's own whatever the scheduler's `--stats` is. A restarted scheduler (another pid, or
 * its uptime gone back) starts a fresh baseline.
 *
 * Exit status: 0 on Ctrl-C; 1 when no scheduler can be reached, or when it stops while watched.
 *
 * @module
 */

import type { MonitorCommand } from "../cli/modes.ts";
import { ControlClient, ControlSocketError } from "../host/control_socket.ts";
import { printable } from "../host/terminal.ts";
import { groupName } from "../host/users.ts";
import { metricsBetween, type StatsSnapshot } from "../sched/stats.ts";
import { ControlError, decodeStatsReply, type StatsReport } from "./control.ts";
import { statsLine } from "./stats_out.ts";

/**
 * Most milliseconds to wait for a reply. The scheduler answers between its duties, within a second on
 * any ordinary machine; a machine saturated by starting programs (or an emulated one) can take
 * seconds, which is slow, not stopped.
 */
export const MONITOR_REPLY_TIMEOUT_MS = 30_000;

/** Options of {@link monitorMode} (tests pass their own). */
export interface MonitorOptions {
  /** Ends the monitor (SIGINT/SIGTERM in the product). */
  signal: AbortSignal;
  /** Where stats lines go. Default stdout. */
  out?: (line: string) => void;
  /** Where messages go. Default stderr with --stats-json, else stdout. */
  message?: (line: string) => void;
  /** Where errors go. Default stderr. */
  error?: (line: string) => void;
}

/** Why the socket cannot be used, as one line with what to do about it. */
export function explainSocketError(e: ControlSocketError, socket: string): string {
  switch (e.code) {
    case "absent":
    case "refused":
      return `no scx_gamer is running (${
        printable(e.message)
      }); start it with 'sudo scx_gamer' or 'systemctl start scx_gamer'`;
    case "denied": {
      let group = "";
      try {
        const gid = Deno.lstatSync(socket).gid;
        if (gid !== null && gid !== 0) group = groupName(gid) ?? String(gid);
      } catch { /* the socket vanished: say nothing of its group */ }
      return `${printable(socket)}: permission denied: run as root${
        group ? ` or as a member of group ${printable(group)}` : ""
      } (the scheduler's --socket-group sets who may connect)`;
    }
    default:
      return printable(e.message);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** A request, abandoned (null) when the monitor is stopped meanwhile. */
function unlessStopped<T>(p: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Watch the running scheduler; returns the exit status. */
export async function monitorMode(cmd: MonitorCommand, options: MonitorOptions): Promise<number> {
  const out = options.out ?? ((l: string) => console.log(l));
  const message = options.message ?? (cmd.statsJson ? (l: string) => console.error(l) : out);
  const error = options.error ?? ((l: string) => console.error(l));
  const format = cmd.statsJson ? "json" : "text";
  let client: ControlClient | null = null;
  try {
    client = await ControlClient.connect(cmd.socket, { timeoutMs: MONITOR_REPLY_TIMEOUT_MS });
    const ask = async () => decodeStatsReply(await client!.request('{"cmd":"stats"}'));
    let prev: { report: StatsReport; snapshot: StatsSnapshot } | null = await unlessStopped(
      ask(),
      options.signal,
    );
    if (prev === null) return 0;
    message(
      `scx_gamer --monitor: scheduler pid ${prev.report.pid} (${
        printable(prev.report.version || "version unknown")
      }) at ${printable(cmd.socket)}, a line every ${cmd.intervalS} s; Ctrl-C to stop`,
    );
    while (!options.signal.aborted) {
      await sleep(cmd.intervalS * 1000, options.signal);
      if (options.signal.aborted) break;
      const next = await unlessStopped(ask(), options.signal);
      if (next === null) break;
      if (next.report.pid !== prev.report.pid || next.report.uptime_s < prev.report.uptime_s) {
        message(`scx_gamer --monitor: the scheduler restarted (pid ${next.report.pid})`);
        prev = next;
        continue;
      }
      const r = next.report;
      out(statsLine({
        uptimeS: r.uptime_s,
        metrics: metricsBetween(prev.snapshot, next.snapshot),
        game: r.game,
        threads: r.threads,
        samples: r.samples,
        status: r.status,
        config: r.config,
      }, format));
      prev = next;
    }
    return 0;
  } catch (e) {
    if (e instanceof ControlSocketError) {
      const why = e.code === "closed"
        ? `the scheduler stopped: ${printable(e.message)}`
        : e.code === "timeout"
        ? `the scheduler did not answer: ${printable(e.message)}`
        : explainSocketError(e, cmd.socket);
      error(`scx_gamer: ${why}`);
      return 1;
    }
    if (e instanceof ControlError) {
      error(`scx_gamer: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    client?.close();
  }
}
