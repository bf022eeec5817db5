/**
 * The modes that work on collected data, without the scheduler: `--ml-export-csv`, `--ml-show-best`
 * and `--ml-train`.
 *
 * @module
 */

import type { CliOptions } from "../cli/parse.ts";
import { runTraining } from "../ml/train_pipeline.ts";
import { exportCsv, formatExportCounts } from "../store/csv_export.ts";
import { showBest } from "../store/show_best.ts";
import { readTopology } from "../host/topology.ts";

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
      await runTraining(opts.modeArg!, {
        game: opts.game,
        analyze: opts.analyze,
        topology: await readTopology(),
      });
      return 0;
    default:
      throw new Error(`not a data mode: ${opts.mode}`);
  }
}
