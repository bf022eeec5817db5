/**
 * `scx_gamer --ml-ab "FLAGS A" "FLAGS B" --duration S`: compare two configs on the running game, live,
 * in one attach. Windows alternate in counterbalanced pairs (A B, B A, ...), each settled then measured
 * while the game runs; every window's value is the mean of the objective over its samples (which are
 * also saved to the store, like `--ml-collect`'s); at the end the difference B - A is printed with its
 * confidence interval (lib/ml/ab.ts: paired bootstrap) and which config is better for the objective.
 *
 * @module
 */

import type { AbCommand } from "../cli/modes.ts";
import { configToArgs } from "../config.ts";
import { abCompare, type AbResult, MIN_PAIRS } from "../ml/ab.ts";
import { createRng } from "../ml/rng.ts";
import { findObjective } from "../score.ts";
import type { Objective } from "../types.ts";
import { chooseObjective, windowValue } from "./objective.ts";
import { AbPlan } from "./ab_plan.ts";
import { messageLog, runAttached } from "./attached.ts";
import { EXIT_INTERRUPTED } from "./sweep.ts";
import { WindowDriver } from "./window_driver.ts";

/** The report lines of a finished comparison. */
export function formatAbResult(
  r: AbResult,
  objective: Objective,
  flags: readonly [string, string],
): string[] {
  const f = (v: number) => Number(v.toPrecision(4)).toString();
  const better = objective.direction === "max"
    ? r.low > 0 ? "B" : r.high < 0 ? "A" : null
    : r.high < 0
    ? "B"
    : r.low > 0
    ? "A"
    : null;
  const name = (side: "A" | "B") => `${side} (${(side === "A" ? flags[0] : flags[1]).trim() || "defaults"})`;
  return [
    `A/B on ${objective.name} (${
      objective.direction === "max" ? "higher" : "lower"
    } is better), ${r.pairs} pairs of windows:`,
    `  A mean ${f(r.meanA)}, B mean ${f(r.meanB)}`,
    `  B - A = ${f(r.difference)}, ${Math.round(r.confidence * 100)}% interval [${f(r.low)}, ${
      f(r.high)
    }] (${r.method})`,
    better === null
      ? "  no clear difference: the interval includes zero"
      : `  ${name(better)} is better on ${objective.name}`,
  ];
}

/** Run the comparison; returns the exit status. */
export async function abMode(cmd: AbCommand): Promise<number> {
  const log = messageLog(cmd.statsJson);
  let objective: Objective | null = cmd.target === null ? null : findObjective(cmd.target);
  const plan = new AbPlan({
    a: cmd.a,
    b: cmd.b,
    pairs: Math.floor(cmd.durationS / (2 * (cmd.windowS + cmd.settleS))),
    windowS: cmd.windowS,
    settleS: cmd.settleS,
    valueOf: (result) => {
      objective ??= chooseObjective(null, result.samples);
      const v = windowValue(result, objective);
      log(
        `A/B: window ${result.position + 1} (${result.window.label}): ${
          v === null ? "no sample, run again" : `${objective.name} ${Number(v.toPrecision(4))}`
        }`,
      );
      return v;
    },
  });
  log(`A/B: A = ${configToArgs(cmd.a).join(" ")}`);
  log(`A/B: B = ${configToArgs(cmd.b).join(" ")}`);
  const driver = new WindowDriver({ next: (p) => plan.next(p), describe: () => plan.describe() });
  const end = await runAttached(cmd, {
    config: cmd.a,
    durationS: null,
    collect: true,
    stats: true,
    driver,
    log,
  });
  if (end.reason === "ejected") return 1;
  if (plan.pairsDone < MIN_PAIRS || objective === null) {
    log(`A/B: interrupted after ${plan.pairsDone} pairs: at least ${MIN_PAIRS} are needed to compare`);
    return EXIT_INTERRUPTED;
  }
  for (const line of formatAbResult(abCompare(plan.values, { rng: createRng(0) }), objective, cmd.flags)) {
    console.log(line);
  }
  return end.reason === "signal" ? EXIT_INTERRUPTED : 0;
}
