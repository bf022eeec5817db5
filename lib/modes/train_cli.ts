/**
 * `deno task train CSV [--game NAME] [--analyze] [--seed N] [--models-dir DIR]`: train the forest on a
 * training CSV and print the best configuration (see lib/ml/train_pipeline.ts). Reads the machine's
 * topology from /sys here, at the edge, and passes it in as data.
 *
 * Exit status: 0 done, 1 bad data (the CSV or the models directory), 2 bad command line.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runTraining } from "../ml/train_pipeline.ts";
import { readTopology } from "../host/topology.ts";

const USAGE = "usage: deno task train CSV [--game NAME] [--analyze] [--seed N] [--models-dir DIR]";

/** A bad command line; `message` is the one line to print. */
export class TrainUsageError extends Error {
  override name = "TrainUsageError";
}

/** The parsed command line of ml/train.ts. */
export interface TrainArgs {
  csv: string;
  game: string | null;
  analyze: boolean;
  seed: number;
  modelsDir: string;
  help: boolean;
}

/** Parse ml/train.ts's arguments (without the program name). */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        game: { type: "string" },
        analyze: { type: "boolean", default: false },
        seed: { type: "string", default: "0" },
        "models-dir": { type: "string", default: "ml/models" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new TrainUsageError(`${(err as Error).message.split("\n")[0]} (${USAGE})`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { csv: "", game: null, analyze: false, seed: 0, modelsDir: "", help: true };
  if (positionals.length !== 1) {
    throw new TrainUsageError(`expected one CSV file, got ${positionals.length} arguments (${USAGE})`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new TrainUsageError(`--seed '${values.seed}' is not a whole number in 0..4294967295`);
  }
  if (values.game === "") throw new TrainUsageError("--game: expected NAME, got an empty value");
  return {
    csv: positionals[0],
    game: values.game ?? null,
    analyze: values.analyze,
    seed,
    modelsDir: values["models-dir"],
    help: false,
  };
}

/** Run the trainer; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  let args: TrainArgs;
  try {
    args = parseTrainArgs(argv);
  } catch (err) {
    console.error(`train: ${(err as Error).message}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    await runTraining(args.csv, {
      game: args.game,
      analyze: args.analyze,
      seed: args.seed,
      modelsDir: args.modelsDir,
      topology: await readTopology(),
    });
    return 0;
  } catch (err) {
    // Bad data (CsvError, ModelFileError, ...) and IO failures: one line, status 1.
    console.error(`train: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
