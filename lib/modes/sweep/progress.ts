/**
 * What the sweep tells the person watching it. Both kinds print the same plain lines when a config
 * starts and ends ("[3/36] slice_us=10 ... started", "... done in 300 s"); on a terminal a one-line bar
 * (config i/N, elapsed, ETA) is also redrawn in place below them once a second.
 *
 * @module
 */

import { formatSeconds, progressLine, type SweepPosition } from "./eta.ts";
import type { PlannedConfig } from "./plan.ts";
import type { FinishedConfig } from "../../store/sweep_state.ts";

/** The events of a sweep, in order: begin, then per config started -> finished (or interrupted), end. */
export interface SweepProgress {
  /** `total` configs will run; `skipped` were finished by an earlier run. */
  begin(info: { total: number; skipped: number; estimateS: number }): void;
  /** Config `position` (from 0) of this run started. */
  started(position: number, planned: PlannedConfig): void;
  /** The config ended and was recorded. */
  finished(position: number, planned: PlannedConfig, record: FinishedConfig): void;
  /** The config was stopped because the sweep was interrupted (it is not recorded). */
  interrupted(position: number, planned: PlannedConfig): void;
  /** A line that is not about one config (a warning, the reason the sweep stopped). */
  note(line: string): void;
  /** The sweep is over: stop redrawing. */
  end(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Redraw a progress bar in place (a terminal). */
  tty: boolean;
  /** Writes text as is (no newline added). */
  write: (text: string) => void;
  /** Seconds each config runs and settles, for the ETA. */
  durationS: number;
  settleS: number;
  /** Monotonic clock in ms. Default performance.now. */
  now?: () => number;
  /** Bar redraw period in ms. Default 1000. */
  redrawMs?: number;
}

function position(i: number, total: number): string {
  return `[${String(i + 1).padStart(String(total).length)}/${total}]`;
}

/** The line that says how a config ended. */
export function finishedLine(
  i: number,
  total: number,
  planned: PlannedConfig,
  record: FinishedConfig,
): string {
  const took = `${Math.round(record.ranS)} s`;
  return record.status === "done"
    ? `${position(i, total)} ${planned.label} done in ${took}`
    : `${position(i, total)} ${planned.label} failed after ${took}: ${record.reason ?? "no reason given"}`;
}

/**
 * A progress printer: plain lines, plus the redrawn bar when `tty` is set.
 *
 * @example
 * ```ts
 * const progress = createProgress({ tty: Deno.stdout.isTerminal(), write: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)), durationS: 300, settleS: 5 });
 * ```
 */
export function createProgress(options: ProgressOptions): SweepProgress {
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  let total = 0;
  let current: { i: number; label: string; since: number } | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let barShown = false;
  // Start-up and stop time of the full runs so far, for the ETA.
  const overheads: number[] = [];

  const clearBar = () => {
    if (barShown) options.write("\r\x1b[2K");
    barShown = false;
  };
  const drawBar = () => {
    if (!options.tty || current === null) return;
    const p: SweepPosition = {
      position: current.i,
      total,
      currentElapsedS: (now() - current.since) / 1000,
      durationS: options.durationS,
      settleS: options.settleS,
      overheadS: overheads.length ? overheads.reduce((a, b) => a + b, 0) / overheads.length : 0,
    };
    options.write(`\r\x1b[2K${progressLine(p, { elapsedS: (now() - t0) / 1000, label: current.label })}`);
    barShown = true;
  };
  const line = (text: string) => {
    clearBar();
    options.write(text + "\n");
    drawBar();
  };

  return {
    begin(info) {
      total = info.total;
      const skipped = info.skipped > 0 ? `, ${info.skipped} already finished (skipped)` : "";
      line(
        `sweep: ${info.total} config${info.total === 1 ? "" : "s"} to run${skipped}, about ${
          formatSeconds(info.estimateS)
        }`,
      );
      if (options.tty) timer = setInterval(drawBar, options.redrawMs ?? 1000);
    },
    started(i, planned) {
      current = { i, label: planned.label, since: now() };
      line(`${position(i, total)} ${planned.label} started`);
    },
    finished(i, planned, record) {
      if (record.status === "done" && current !== null) {
        overheads.push(Math.max(0, (now() - current.since) / 1000 - options.durationS));
      }
      line(finishedLine(i, total, planned, record));
    },
    interrupted(i, planned) {
      current = null;
      line(`${position(i, total)} ${planned.label} interrupted: stopped, not marked finished`);
    },
    note(text) {
      line(text);
    },
    end() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      clearBar();
    },
  };
}
