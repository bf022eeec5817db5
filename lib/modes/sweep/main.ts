/**
 * `deno task sweep [--TUNABLE V1,V2,...] [--grid FILE] [--duration S] [--settle S] [options]`: run
 * scx_gamer with --ml-collect once per config of a grid, so every config gets training samples.
 * Resumable (a state file records finished configs), interruptible (Ctrl-C stops the running config
 * cleanly; rerun to resume), and robust to a config the kernel rejects (recorded with its reason).
 * The work is in lib/sweep/; this file reads flags, wires signals and prints, at the edge.
 *
 * Exit status: 0 swept, 1 stopped by an error, 2 bad command line, 130 interrupted.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { defaultScheduler, parseSweepArgs, type SweepArgs, sweepUsage, SweepUsageError } from "./cli.ts";
import { SchedulerStartError } from "./child.ts";
import { formatPlan, makePlan, shellWord } from "./plan.ts";
import { createProgress } from "./progress.ts";
import { finishedKeys, loadState, SweepStateError } from "../../store/sweep_state.ts";
import { runSweep, type SweepSummary } from "./run_sweep.ts";
import {
  BadOwnerError,
  ensureRealDir,
  ownerFromEnv,
  StoreIoError,
  UnsafePathError,
} from "../../host/safe_fs.ts";

/** The exit status of an interrupted sweep (128 + SIGINT, what a shell reports for Ctrl-C). */
export const EXIT_INTERRUPTED = 130;

const encoder = new TextEncoder();
const write = (text: string) => {
  Deno.stdout.writeSync(encoder.encode(text));
};

function summaryLines(summary: SweepSummary, args: SweepArgs, argv: readonly string[]): string[] {
  const counts = `${summary.done} done, ${summary.failed} failed${
    summary.skipped ? `, ${summary.skipped} finished earlier` : ""
  } (of ${summary.planned} in the grid)`;
  const where = `state: ${args.stateFile}; samples: ${args.mlDir}`;
  const resume = `deno task sweep ${argv.map(shellWord).join(" ")}`.trimEnd();
  switch (summary.outcome) {
    case "completed": {
      const lines = [`sweep: finished: ${counts}`, `sweep: ${where}`];
      if (summary.failed > 0) {
        lines.push(
          "sweep: failed configs are recorded with their reason in the state file; --retry-failed runs them again",
        );
      }
      return lines;
    }
    case "interrupted":
      return [
        `sweep: interrupted${
          summary.interruptedLabel
            ? ` during ${summary.interruptedLabel} (stopped with SIGINT, its samples saved)`
            : ""
        }: ${counts}`,
        `sweep: ${where}`,
        `sweep: to resume, run the same command again: ${resume}`,
      ];
    case "aborted":
      return [`sweep: stopped: ${summary.abortReason}`, `sweep: ${counts}; ${where}`];
  }
}

/** Run the sweep CLI with `argv`; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let args: SweepArgs;
  try {
    args = parseSweepArgs(argv);
  } catch (e) {
    if (e instanceof SweepUsageError) {
      console.error(`sweep: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(sweepUsage());
    return 0;
  }
  const scheduler = args.scheduler ?? defaultScheduler({ exists: existsSync, deno: Deno.execPath() });
  const plan = makePlan(args.grid, { durationS: args.durationS, settleS: args.settleS });
  const collect = { mlDir: args.mlDir, sampleIntervalS: args.sampleIntervalS, game: args.game };

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  const signals = ["SIGINT", "SIGTERM"] as const;
  try {
    if (args.dryRun) {
      const finished = finishedKeys(loadState(args.stateFile), { retryFailed: args.retryFailed });
      console.log(formatPlan(plan, { ...collect, scheduler, finished }));
      return 0;
    }
    const t0 = performance.now();
    const owner = ownerFromEnv();
    ensureRealDir(args.mlDir, owner);
    for (const sig of signals) Deno.addSignalListener(sig, onSignal);
    const progress = createProgress({
      tty: Deno.stdout.isTerminal(),
      write,
      durationS: args.durationS,
      settleS: args.settleS,
    });
    const summary = await runSweep(plan, {
      ...collect,
      scheduler,
      stateFile: args.stateFile,
      owner,
      sysRoot: args.sysRoot,
      retryFailed: args.retryFailed,
      attachTimeoutS: args.attachTimeoutS,
      signal: controller.signal,
      timeouts: { sigintS: args.stopTimeoutS, sigtermS: args.stopTimeoutS },
      progress,
      // Stamped with the sweep's clock, so a slow start or stop shows where the time went; printed
      // through the progress printer so they never tear the terminal's bar.
      onChildLine: args.verbose
        ? (_stream, line) => progress.note(`  | +${((performance.now() - t0) / 1000).toFixed(1)}s ${line}`)
        : undefined,
    });
    for (const line of summaryLines(summary, args, argv)) console.log(line);
    return summary.outcome === "completed" ? 0 : summary.outcome === "interrupted" ? EXIT_INTERRUPTED : 1;
  } catch (e) {
    const known = [SweepStateError, SchedulerStartError, UnsafePathError, StoreIoError, BadOwnerError];
    if (known.some((cls) => e instanceof cls)) {
      console.error(`sweep: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  } finally {
    for (const sig of signals) {
      try {
        Deno.removeSignalListener(sig, onSignal);
      } catch {
        // Never added (dry run or an early error).
      }
    }
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
