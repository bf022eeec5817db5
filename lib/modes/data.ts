/**
 * The modes that work on collected data, without the scheduler: `--ml-export-csv`, `--ml-show-best`,
 * `--ml-import` and `--ml-train`.
 *
 * @module
 */

import type { ExportCommand, ImportCommand, ShowBestCommand, TrainCommand } from "../cli/modes.ts";
import { cpuModel } from "../collect/sample.ts";
import { printable } from "../host/terminal.ts";
import { importOriginalSamples } from "../store/import_original.ts";
import { exportCsv, formatExportCounts } from "../store/csv_export.ts";
import { readFrameLogs } from "../store/frametimes.ts";
import { mangohudLogFolder } from "../host/mangohud_config.ts";
import { showBest } from "../store/show_best.ts";
import { runTrainMode } from "./train.ts";

/**
 * `--ml-export-csv`: every game's samples into one CSV; with MangoHud's frame logs (`--ml-frametimes DIR`,
 * else MangoHud's configured output_folder when there is one) each sample gets the fps, 1% low and
 * frame-time p99 of its interval.
 */
export function exportMode(cmd: ExportCommand): number {
  const dir = cmd.frametimes ?? mangohudLogFolder();
  const frameLogs = dir === null ? [] : readFrameLogs(dir, {
    // A named folder that cannot be read is an error; MangoHud's own may simply not exist yet.
    warn: (l) => console.error(l),
    missingOk: cmd.frametimes === null,
  });
  const result = exportCsv(cmd.mlDir, cmd.csvPath, { frameLogs });
  console.log(formatExportCounts(result));
  if (dir !== null) {
    console.log(
      `frame times from ${
        printable(dir)
      }: ${frameLogs.length} MangoHud log(s), ${result.framesMatched} of ${result.rows} samples matched`,
    );
  }
  return 0;
}

/** `--ml-show-best`: a game's summary and best configuration. */
export function showBestMode(cmd: ShowBestCommand): number {
  console.log(showBest(cmd.mlDir, cmd.game, { cpuModel: cmd.cpuModel, hostCpuModel: cpuModel("/proc") }));
  return 0;
}

/**
 * `--ml-import`: the original tool's sample files into the store, filed under this machine's CPU model
 * (the original did not record it). Importing twice adds nothing the second time.
 */
export function importMode(cmd: ImportCommand): number {
  const result = importOriginalSamples(cmd.dir, cmd.mlDir, { cpuModel: cpuModel("/proc") });
  for (const g of result.games) {
    console.log(
      `${printable(g.game_name)}: ${g.imported} samples imported, ${g.alreadyThere} already there -> ${
        printable(g.path)
      }`,
    );
  }
  if (result.games.length === 0) {
    console.log(`no samples in the original layout found in ${printable(cmd.dir)}`);
    return 1;
  }
  return 0;
}

/** `--ml-train`: train, print the best configuration, save the model and the game's profile. */
export async function trainMode(cmd: TrainCommand): Promise<number> {
  await runTrainMode({
    csv: cmd.csvPath,
    game: cmd.game,
    cpuModel: cmd.cpuModel,
    target: cmd.target,
    analyze: cmd.analyze,
    seed: cmd.seed,
    modelsDir: cmd.modelsDir,
    mlDir: cmd.mlDir,
    interpolate: cmd.interpolate,
  });
  return 0;
}
