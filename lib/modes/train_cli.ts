/**
 * `deno task train CSV [--game NAME] [--cpu-model NAME|all] [--target NAME] [--analyze] [--seed N]
 * [--models-dir DIR] [--ml-dir DIR] [--interpolate]`: the train mode on its own command line, until the
 * one front door (main.ts) takes these flags. Parses, then calls {@link runTrainMode} (lib/modes/train.ts).
 *
 * Exit status: 0 done, 1 bad data (the CSV, the models directory, a failed write), 2 bad command line.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { parseWholeNumber } from "../numbers.ts";
import { runTrainMode, TrainOptionError } from "./train.ts";

const USAGE = "usage: deno task train CSV [--game NAME] [--cpu-model NAME|all] [--target NAME] [--analyze] " +
  "[--seed N] [--models-dir DIR] [--ml-dir DIR] [--interpolate]";

/** A bad command line; `message` is the one line to print. */
export class TrainUsageError extends Error {
  override name = "TrainUsageError";
}

/** The parsed command line. */
export interface TrainArgs {
  csv: string;
  game: string | null;
  cpuModel: string | null;
  target: string | null;
  analyze: boolean;
  seed: number;
  modelsDir: string;
  mlDir: string;
  interpolate: boolean;
  help: boolean;
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        game: { type: "string" },
        "cpu-model": { type: "string" },
        target: { type: "string" },
        analyze: { type: "boolean", default: false },
        seed: { type: "string", default: "0" },
        "models-dir": { type: "string", default: "ml/models" },
        "ml-dir": { type: "string", default: "ml_data" },
        interpolate: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    throw new TrainUsageError(`${(err as Error).message.split("\n")[0]} (${USAGE})`);
  }
}

/** Parse the trainer's arguments (without the program name). */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const { values, positionals } = parse(argv);
  const seed = parseWholeNumber(values.seed);
  const args: TrainArgs = {
    csv: positionals[0] ?? "",
    game: values.game ?? null,
    cpuModel: values["cpu-model"] ?? null,
    target: values.target ?? null,
    analyze: values.analyze,
    seed: seed ?? 0,
    modelsDir: values["models-dir"],
    mlDir: values["ml-dir"],
    interpolate: values.interpolate,
    help: values.help,
  };
  if (args.help) return args;
  if (positionals.length !== 1) {
    throw new TrainUsageError(`expected one CSV file, got ${positionals.length} arguments (${USAGE})`);
  }
  if (seed === null || seed < 0 || seed > 0xffffffff) {
    throw new TrainUsageError(`--seed '${values.seed}' is not a whole number in 0..4294967295`);
  }
  return args;
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
    const { help: _help, ...options } = args;
    await runTrainMode(options);
    return 0;
  } catch (err) {
    console.error(`train: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof TrainOptionError ? 2 : 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
