/**
 * The run mode: preflight, attach the scheduler with the config from the command line, serve the
 * control socket, keep the scheduler told which process is the game, print stats lines (text, or JSON
 * with `--stats-json`), collect samples with `--ml-collect`, and detach on SIGINT/SIGTERM or
 * `--duration`; when the kernel ejects the scheduler, report why and exit 1.
 *
 * Output is plain lines (no colour, nothing redrawn), so it reads the same in a terminal and in the
 * journal when run as a service. With `--stats-json`, stdout carries only the JSON lines and every
 * other message goes to stderr.
 *
 * @module
 */

import { defaultModelsDir, type RunCommand } from "../cli/modes.ts";
import { cpuModel } from "../collect/sample.ts";
import { defaultConfig, type SchedConfig } from "../config.ts";
import { printable } from "../host/terminal.ts";
import { detectionWorkload } from "../store/columns.ts";
import { readConfigFile } from "../store/config_file.ts";
import { loadModel, modelPath } from "../store/model_file.ts";
import { listProfiles, loadProfile } from "../store/profile.ts";
import { messageLog, runAttached } from "./attached.ts";
import { autotuneDriver } from "./autotune.ts";
import { ProfileDriver, type ProfileSource } from "./profile_driver.ts";

/** The config outside games: the defaults, then a --config file, then the tunable flags given. */
export function baseConfig(cmd: Pick<RunCommand, "configFile" | "given">): SchedConfig {
  const file = cmd.configFile === null ? {} : readConfigFile(cmd.configFile);
  return { ...defaultConfig(), ...file, ...cmd.given };
}

/** The profiles of this CPU model under `mlDir`, for {@link ProfileDriver}; a bad file is reported, not fatal. */
export function storeProfiles(mlDir: string, cpu: string, log: (line: string) => void): ProfileSource {
  return {
    load: (game) => {
      try {
        return loadProfile(mlDir, { cpuModel: cpu, game });
      } catch (e) {
        log(`scx_gamer: ${printable((e as Error).message)}`);
        return null;
      }
    },
    list: () => {
      const { profiles, warnings } = listProfiles(mlDir, cpu);
      for (const w of warnings) log(`scx_gamer: ${w}`);
      return profiles;
    },
  };
}

/** Seconds an autotune window settles after a switch before it measures. */
export const AUTOTUNE_SETTLE_S = 2;

/** The trained model's best config for a game on this CPU, or null when training left none (or it is unreadable). */
export function trainedBest(modelsDir: string, game: string, cpu: string): SchedConfig | null {
  try {
    return loadModel(modelPath(modelsDir, { game, cpuModel: cpu })).file.best.config;
  } catch {
    return null; // no model yet, or one that does not load: the grid's neighbours are the candidates
  }
}

/** Run the scheduler until a signal, --duration, or ejection. Returns the exit code. */
export async function runMode(cmd: RunCommand): Promise<number> {
  const base = baseConfig(cmd);
  const log = messageLog(cmd.statsJson);
  const cpu = cpuModel("/proc");
  const profiles = storeProfiles(cmd.mlDir, cpu, log);
  const driver = cmd.autotune
    ? autotuneDriver({
      base,
      profiles,
      mlDir: cmd.mlDir,
      cpuModel: cpu,
      target: cmd.target,
      windowS: cmd.autotune.windowS,
      settleS: AUTOTUNE_SETTLE_S,
      pairs: cmd.autotune.pairs,
      modelBest: (game) => trainedBest(defaultModelsDir(), game, cpu),
      log,
    })
    : cmd.profiles
    ? new ProfileDriver({ profiles, base, workloadOf: detectionWorkload, log, forcedGame: cmd.game })
    : null;
  const end = await runAttached(cmd, {
    config: base,
    durationS: cmd.durationS,
    collect: cmd.collect || cmd.autotune !== null,
    driver,
    loadProfile: (game) => {
      const profile = profiles.load(game);
      if (profile === null) throw new Error(`no profile of "${printable(game)}" on this CPU model`);
      return profile.config;
    },
    log,
  });
  if (end.reason === "ejected") return 1;
  log(`scx_gamer: detached (${end.signalName ?? end.reason}${end.exit ? `; ${end.exit.kindName}` : ""})`);
  return 0;
}
