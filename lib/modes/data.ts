/**
 * The modes that work on collected data, without the scheduler: `--ml-export-csv`, `--ml-show-best`
 * and `--ml-train`.
 *
 * @module
 */

import type { CliOptions } from "../cli/parse.ts";
import { exportCsv, formatExportCounts } from "../store/csv_export.ts";
import { showBest } from "../store/show_best.ts";
import { runTrainMode } from "./train.ts";

/** Run one data mode; returns the exit code (errors are thrown as typed one-line errors). */
export async function runDataMode(opts: CliOptions): Promise<number> {
  switch (opts.mode) {
    case "export": {
      const result = exportCsv(opts.mlDir, opts.modeArg!);
      console.log(formatExportCounts(result));
      return 0;
    }
    case "show-best":
      console.log(showBest(opts.mlDir, opts.modeArg!));
      return 0;
    case "train":
      await runTrainMode({ csv: opts.modeArg!, game: opts.game, analyze: opts.analyze, mlDir: opts.mlDir });
      return 0;
    default:
      throw new Error(`not a data mode: ${opts.mode}`);
  }
}
