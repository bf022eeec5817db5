/**
 * `--help`, rendered from the mode tables: a section per mode with its selecting flag and its flags.
 *
 * @module
 */

import { helpLine } from "./engine.ts";
import { MODES } from "./modes.ts";

const USAGE = [
  "usage: sudo scx_gamer [--stats SECONDS] [--ml-collect] [TUNABLES...]",
  "       sudo scx_gamer --sweep [--TUNABLE V1,V2,...]... [--grid FILE] [--duration S] [--settle S] [--passes N]",
  "       scx_gamer --monitor [SECONDS]                 (the running scheduler's stats, from its socket)",
  "       scx_gamer run -- CMD [ARGS...]                (run CMD as the game: scx_gamer-run %command%)",
  "       scx_gamer --ml-export-csv FILE | --ml-show-best GAME | --ml-train CSV [--game NAME] [--analyze]",
];

/**
 * The generated --help text.
 *
 * @example
 * ```ts
 * console.log(helpText("0.2.0"));
 * ```
 */
export function helpText(version: string): string {
  const lines = [`scx_gamer ${version}: a sched_ext CPU scheduler for games that tunes itself`, "", ...USAGE];
  for (const m of MODES) {
    if (!m.summary) continue;
    lines.push("", `${m.summary}:`);
    if (m.selector) lines.push(helpLine(m.selector));
    for (const f of m.flags) lines.push(helpLine(f));
  }
  lines.push("", "General:");
  for (const m of MODES.filter((m) => m.overrides)) lines.push(helpLine(m.selector!));
  lines.push(
    "",
    "Exit status: 0 success, 1 runtime failure (scheduler ejected, bad data, kernel refusal), 2 bad usage,",
    "130 interrupted (a sweep: rerun the same command to resume).",
  );
  return lines.join("\n");
}
