/**
 * Runs inside the sched_ext VM (bundled by tools/bench_sched/main.ts): loads scx_gamer through the library
 * with stats on and the configuration given as scx_gamer tunable flags, and appends one line of its
 * cumulative counters to FILE at each SIGUSR2 (not SIGUSR1: that one opens Deno's inspector), until
 * SIGINT or SIGTERM. The stats line of `scx_gamer
 * --stats` shows rates and histograms but not every counter; these say what became of critical
 * wake-ups (preempted a CPU, or queued for lack of one) over a window the scenario marks with signals.
 *
 * Usage: deno run -A --unstable-ffi counters_probe.js FILE [TUNABLE FLAGS...]
 *
 * @module
 */

import { parseConfigFlags } from "../../lib/cli/modes.ts";
import { Scheduler } from "../../lib/sched/scheduler.ts";

/** One line of the probe's file (parsed by guest_results.ts): the counters at one instant. */
interface CounterLine {
  /** Seconds since the probe attached. */
  t: number;
  /** Counter name -> value as a decimal string (they are u64). */
  counters: Record<string, string>;
}

async function main(args: string[]): Promise<void> {
  const [file, ...flags] = args;
  const config = parseConfigFlags(flags);
  const sched = Scheduler.start(config, { stats: true });
  const t0 = performance.now();
  let stop = false;
  const dump = () => {
    const snap = sched.snapshot();
    const counters = Object.fromEntries(Object.entries(snap.counters).map(([k, v]) => [k, String(v)]));
    const line: CounterLine = { t: (performance.now() - t0) / 1000, counters };
    Deno.writeTextFileSync(file, JSON.stringify(line) + "\n", { append: true });
  };
  Deno.addSignalListener("SIGUSR2", dump);
  for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => stop = true);
  console.log("counters_probe: attached");
  try {
    while (!stop && sched.exitInfo() === null) await new Promise((r) => setTimeout(r, 100));
  } finally {
    const info = sched.stop();
    console.log(`counters_probe: detached (${info?.kindName ?? "no exit info"})`);
  }
}

if (import.meta.main) await main(Deno.args);
