/**
 * The modes that work on collected data, without the scheduler: `--ml-export-csv`, `--ml-show-best`
 * and `--ml-train`.
 *
 * @module
 */

import type { ExportCommand, ShowBestCommand, TrainCommand } from "../cli/modes.ts";
import { runTraining } from "../ml/train_pipeline.ts";
import { exportCsv, formatExportCounts } from "../store/csv_export.ts";
import { showBest } from "../store/show_best.ts";
import { readTopology } from "../host/topology.ts";

/** `--ml-export-csv`: every game's samples into one CSV. */
export function exportMode(cmd: ExportCommand): number {
  console.log(formatExportCounts(exportCsv(cmd.mlDir, cmd.csvPath)));
  return 0;
}

/** `--ml-show-best`: a game's summary and best configuration. */
export function showBestMode(cmd: ShowBestCommand): number {
  console.log(showBest(cmd.mlDir, cmd.game));
  return 0;
}

/** `--ml-train`: train, print the best configuration, save the model. */
export async function trainMode(cmd: TrainCommand): Promise<number> {
  await runTraining(cmd.csvPath, {
    game: cmd.game,
    analyze: cmd.analyze,
    seed: cmd.seed,
    modelsDir: cmd.modelsDir,
    topology: await readTopology(),
  });
  return 0;
}
