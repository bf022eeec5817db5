/**
 * Frame times from MangoHud's logs: the ground truth of what a player saw, when they have it. MangoHud
 * (`mangohud %command%`, logging toggled with Shift+F2 or `autostart_log`) writes one CSV per logging
 * run into its `output_folder`, named `{program}_{YYYY-MM-DD_HH-MM-SS}.csv` when logging stops:
 *
 * ```
 * os,cpu,gpu,ram,kernel,driver,cpuscheduler        <- system info (newer versions add a "v1" preamble)
 * Linux,AMD Ryzen 7 7800X3D,...
 * fps,frametime,cpu_load,gpu_load,...,elapsed       <- the frame metrics header
 * 143.9,6.949,35,97,...,1000000                     <- one row per frame or per log_interval
 * ```
 *
 * `elapsed` is nanoseconds since logging started and `frametime` milliseconds (older versions wrote
 * microseconds; the unit is recognised from fps x frametime). Rows carry no wall clock, so a row's time is
 * the file's modification time (written when logging stopped) minus how long before the last row it
 * came. Samples are matched to the rows of their interval by that time.
 *
 * @module
 */

import { osReason, readInputFile } from "../host/safe_fs.ts";
import { parseDecimal } from "../numbers.ts";
import type { FrameStats } from "../types.ts";
import { printable } from "../host/terminal.ts";

/** One row of a frame log, placed in wall-clock time. */
export interface FrameRow {
  /** Unix time, seconds. */
  t: number;
  fps: number;
  frametimeMs: number;
}

/** A parsed log: its rows in time order. */
export interface FrameLog {
  /** Where it came from, for messages. */
  source: string;
  rows: FrameRow[];
}

/** A log that is not MangoHud's format. `message` is the one line to print. */
export class FrameLogError extends Error {
  override name = "FrameLogError";
}

function splitLine(line: string): string[] {
  return line.split(",").map((f) => f.trim());
}

/**
 * Parse a MangoHud log's text. `endUnixS` is when logging stopped (the file's modification time).
 *
 * @throws {FrameLogError} naming `source` when there is no frame header or a row is malformed.
 *
 * @example
 * ```ts
 * const log = parseMangoHudLog("os,cpu\nLinux,x\nfps,frametime,elapsed\n60,16.6,0\n60,16.7,16700000\n", 1000, "a.csv");
 * log.rows[1].t; // 1000
 * ```
 */
export function parseMangoHudLog(text: string, endUnixS: number, source: string): FrameLog {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => {
    const f = splitLine(l);
    return f[0] === "fps" && f.includes("elapsed");
  });
  if (headerAt < 0) {
    throw new FrameLogError(`${source}: not a MangoHud log (no "fps,...,elapsed" header line)`);
  }
  const header = splitLine(lines[headerAt]);
  const col = { fps: 0, frametime: header.indexOf("frametime"), elapsed: header.indexOf("elapsed") };
  const raw: { fps: number; frametime: number | null; elapsed: number }[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const f = splitLine(lines[i]);
    const fps = parseDecimal(f[col.fps] ?? "");
    const elapsed = parseDecimal(f[col.elapsed] ?? "");
    const frametime = col.frametime >= 0 ? parseDecimal(f[col.frametime] ?? "") : null;
    if (fps === null || elapsed === null || (col.frametime >= 0 && frametime === null)) {
      throw new FrameLogError(
        `${source}: line ${i + 1} is not a frame row (expected numbers under ${header.join(",")})`,
      );
    }
    raw.push({ fps, frametime, elapsed });
  }
  if (raw.length === 0) return { source, rows: [] };
  const msPerUnit = frametimeUnitMs(raw);
  const last = raw[raw.length - 1].elapsed;
  const rows = raw.map((r) => ({
    t: endUnixS - (last - r.elapsed) / 1e9,
    fps: r.fps,
    frametimeMs: r.frametime === null ? (r.fps > 0 ? 1000 / r.fps : Infinity) : r.frametime * msPerUnit,
  }));
  return { source, rows };
}

/** Milliseconds per unit of the frametime column: 1 (ms) or 0.001 (us), from fps x frametime ~ 1000 ms. */
function frametimeUnitMs(raw: readonly { fps: number; frametime: number | null }[]): number {
  const products = raw.filter((r) => r.frametime !== null && r.fps > 0).map((r) => r.fps * r.frametime!);
  if (products.length === 0) return 1;
  products.sort((a, b) => a - b);
  const median = products[Math.floor(products.length / 2)];
  return median > 100_000 ? 0.001 : 1;
}

/**
 * Frame figures for rows in [fromS, toS) across logs, or null when no row falls there.
 *
 * @example
 * ```ts
 * frameStatsBetween([log], sample.timestamp - sample.metrics.interval_s, sample.timestamp);
 * ```
 */
export function frameStatsBetween(logs: readonly FrameLog[], fromS: number, toS: number): FrameStats | null {
  const rows = logs.flatMap((l) => l.rows.filter((r) => r.t >= fromS && r.t < toS));
  if (rows.length === 0) return null;
  const fps = rows.map((r) => r.fps).sort((a, b) => a - b);
  const lowCount = Math.max(1, Math.ceil(fps.length * 0.01));
  const frametimes = rows.map((r) => r.frametimeMs).sort((a, b) => a - b);
  const p99 = frametimes[Math.min(frametimes.length - 1, Math.ceil(frametimes.length * 0.99) - 1)];
  return {
    fps: fps.reduce((a, b) => a + b, 0) / fps.length,
    fps_1pct_low: fps.slice(0, lowCount).reduce((a, b) => a + b, 0) / lowCount,
    frametime_p99: p99,
    rows: rows.length,
  };
}

/**
 * Write a log in MangoHud's current format (for tests and the demo's synthetic game): `frametimesMs` are
 * consecutive frames, logged one row per frame (`log_interval=0`).
 */
export function formatMangoHudLog(frametimesMs: readonly number[], system: { cpu: string }): string {
  const lines = [
    "os,cpu,gpu,ram,kernel,driver,cpuscheduler",
    `Linux,${system.cpu},llvmpipe,16384,7.3.0,Mesa,scx_gamer`,
    "fps,frametime,cpu_load,gpu_load,cpu_temp,gpu_temp,gpu_core_clock,gpu_mem_clock,gpu_vram_used,gpu_power,ram_used,elapsed",
  ];
  let elapsedNs = 0;
  for (const ft of frametimesMs) {
    elapsedNs += Math.round(ft * 1e6);
    lines.push(`${(1000 / ft).toFixed(4)},${ft.toFixed(4)},30,90,50,60,1800,1000,2.1,120,8.5,${elapsedNs}`);
  }
  return lines.join("\n") + "\n";
}

/** MangoHud logs are a few MB per hour of play; anything far larger is not one. */
const MAX_LOG_BYTES = 256 << 20;

/** Options of {@link readFrameLogs}. */
export interface ReadFrameLogsOptions {
  /** Only logs written at or after this Unix time (a log ends when it is written). */
  sinceS?: number;
  /** Where a skipped file is reported. */
  warn?: (line: string) => void;
  /** A folder that does not exist gives no logs instead of an error. Default false. */
  missingOk?: boolean;
}

/**
 * Every MangoHud log in `dir` (`*.csv`, not the `*_summary.csv` files), parsed and placed in time. A file
 * that is not a MangoHud log is reported through `warn` and skipped, never fatal.
 *
 * @throws {FrameLogError} when `dir` cannot be listed.
 */
export function readFrameLogs(dir: string, options: ReadFrameLogsOptions = {}): FrameLog[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (options.missingOk && e instanceof Deno.errors.NotFound) return [];
    throw new FrameLogError(
      `--ml-frametimes ${printable(dir)}: cannot list it (${osReason(e)})`,
    );
  }
  const logs: FrameLog[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isFile || !e.name.endsWith(".csv") || e.name.endsWith("_summary.csv")) continue;
    const path = `${dir.replace(/\/+$/, "")}/${e.name}`;
    try {
      const mtime = Deno.statSync(path).mtime;
      const endS = (mtime ?? new Date(0)).getTime() / 1000;
      if (options.sinceS !== undefined && endS < options.sinceS) continue;
      const text = readInputFile(path, { what: "MangoHud log", maxBytes: MAX_LOG_BYTES });
      logs.push(parseMangoHudLog(text, endS, path));
    } catch (err) {
      options.warn?.(`scx_gamer: skipping ${printable(path)}: ${(err as Error).message}`);
    }
  }
  return logs;
}
