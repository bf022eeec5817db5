/**
 * scx_gamer's one front door: read the command line, run its mode, map errors to exit codes. How each
 * mode works lives in lib/modes/; the flag tables in lib/cli/.
 *
 * Exit codes: 0 success; 1 runtime failure (scheduler ejected, bad data, kernel refusal); 2 bad usage;
 * 130 an interrupted sweep; `run -- CMD`: 126/127 when CMD cannot be started (else CMD's own status,
 * since it replaces this process).
 *
 * @module
 */

import { UsageError } from "./lib/cli/engine.ts";
import { helpText } from "./lib/cli/help.ts";
import { printable } from "./lib/host/terminal.ts";
import { type Command, parseArgs } from "./lib/cli/modes.ts";
import { abMode } from "./lib/modes/ab.ts";
import { exportMode, importMode, showBestMode, trainMode } from "./lib/modes/data.ts";
import { TrainOptionError } from "./lib/modes/train.ts";
import { ConfigFileError } from "./lib/store/config_file.ts";
import { launchMode } from "./lib/modes/launch.ts";
import { monitorMode } from "./lib/modes/monitor.ts";
import { runMode } from "./lib/modes/run.ts";
import { stopOnSignals } from "./lib/modes/attached.ts";
import { selfTestMode } from "./lib/modes/self_test.ts";
import { sweepMode } from "./lib/modes/sweep.ts";
import { buildIdentity, formatVersion, VERSION } from "./lib/modes/version.ts";
import { helpStatsText } from "./lib/sched/stats.ts";

export { VERSION };

async function dispatch(cmd: Command): Promise<number> {
  switch (cmd.mode) {
    case "help":
      console.log(helpText(VERSION));
      return 0;
    case "help-stats":
      console.log(helpStatsText());
      return 0;
    case "version":
      console.log(formatVersion(await buildIdentity()));
      return 0;
    case "run":
      return runMode(cmd);
    case "sweep":
      return sweepMode(cmd);
    case "monitor": {
      const stop = stopOnSignals();
      try {
        return await monitorMode(cmd, { signal: stop.signal });
      } finally {
        stop.dispose();
      }
    }
    case "launch":
      return launchMode(cmd);
    case "self-test":
      return selfTestMode(cmd);
    case "export":
      return exportMode(cmd);
    case "show-best":
      return showBestMode(cmd);
    case "train":
      return trainMode(cmd);
    case "import":
      return importMode(cmd);
    case "ab":
      return abMode(cmd);
  }
}

/** Run the CLI with `argv`; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let cmd: Command | null = null;
  try {
    cmd = parseArgs(argv);
    return await dispatch(cmd);
  } catch (e) {
    // A bad command line, a bad --config file, or a training option only checkable against its data: exit 2.
    // Messages quote file names and file text: whatever a module forgot to escape is escaped here.
    if (e instanceof UsageError || e instanceof TrainOptionError || e instanceof ConfigFileError) {
      console.error(`scx_gamer: ${printable(e.message)}`);
      return 2;
    }
    // Expected failures are typed errors whose message is the one line to print; --verbose adds
    // libbpf's log (the verifier's output on a load failure) and the stack.
    const err = e instanceof Error ? e : new Error(String(e));
    console.error(`scx_gamer: ${printable(err.message)}`);
    if (cmd && "verbose" in cmd && cmd.verbose) {
      if ("log" in err && Array.isArray(err.log)) console.error(err.log.join("\n"));
      console.error(err.stack);
    }
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
