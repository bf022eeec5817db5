/**
 * scx_gamer's entry point: read flags, pick the mode, map errors to exit codes. How each mode works
 * lives in lib/.
 *
 * Exit codes: 0 success; 1 runtime failure (scheduler ejected, bad data, kernel refusal); 2 bad usage.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { type CliOptions, helpText, parseArgs, UsageError } from "./lib/cli/parse.ts";
import { runDataMode } from "./lib/modes/data.ts";
import { runScheduler } from "./lib/modes/run.ts";

/** The product version (from deno.json). */
export const VERSION: string = denoJson.version;

/** Run the CLI with `argv`; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`scx_gamer: ${e.message}`);
      return 2;
    }
    throw e;
  }
  try {
    switch (opts.mode) {
      case "help":
        console.log(helpText(VERSION));
        return 0;
      case "version":
        console.log(`scx_gamer ${VERSION}`);
        return 0;
      case "run":
        return await runScheduler(opts);
      case "export":
      case "show-best":
      case "train":
        return await runDataMode(opts);
    }
  } catch (e) {
    // Expected failures are typed errors whose message is the one line to print; --verbose adds
    // libbpf's log (the verifier's output on a load failure) and the stack.
    const err = e instanceof Error ? e : new Error(String(e));
    console.error(`scx_gamer: ${err.message}`);
    if (opts.verbose) {
      if ("log" in err && Array.isArray(err.log)) console.error(err.log.join("\n"));
      console.error(err.stack);
    }
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
