import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { defaultConfig } from "../lib/config.ts";
import { formatBestBlock, formatImportanceTable, formatUnmeasured } from "../lib/ml/report.ts";
import { findObjective } from "../lib/score.ts";

Deno.test("the best-configuration block has the promised five lines", () => {
  const block = formatBestBlock(
    { predicted: 87.4249, config: { ...defaultConfig(), slice_us: 7, avoid_smt: true } },
    findObjective("score")!,
  );
  deepStrictEqual(block.split("\n"), [
    "=== Best Configuration Found ===",
    "Performance Score: 87.42",
    "",
    "Command line:",
    "sudo ./scx_gamer --stats 1 --slice-us 7 --slice-lag-us 20000 --input-window-us 2000 --mig-window-ms 50 " +
    "--mig-max 3 --avoid-smt --wakeup-timer-us 0 --batch-burst-us 2500 --parity-us 0",
  ]);
});

Deno.test("for another objective the second line names it and its direction", () => {
  const block = formatBestBlock(
    { predicted: 8.125, config: defaultConfig() },
    findObjective("frametime_p99")!,
  );
  strictEqual(block.split("\n")[1], "Predicted frametime_p99: 8.13 (lower is better)");
});

Deno.test("what measurement did not decide is named: interpolated numbers, unswept switches the topology would flip", () => {
  const config = { ...defaultConfig(), mig_max: 4, avoid_smt: false, enable_numa: false };
  const smtOneNode = { smt: true, numaNodes: 1, hybrid: false };
  deepStrictEqual(
    formatUnmeasured(
      { config, unvaried: ["avoid_smt", "enable_numa"], interpolated: ["mig_max"] },
      smtOneNode,
    ),
    [
      "Not swept, kept as measured: avoid_smt=off; this machine's topology suggests avoid_smt=on: " +
      "sweep --avoid-smt false,true to measure it",
      "Interpolated (no sample measured these values): mig_max 4",
    ],
  );
  // Unswept switches already at what the topology suggests (no SMT, one node): nothing to say.
  const plain = { smt: false, numaNodes: 1, hybrid: false };
  deepStrictEqual(
    formatUnmeasured({ config, unvaried: ["avoid_smt", "enable_numa"], interpolated: [] }, plain),
    [],
  );
});

Deno.test("the importance table ranks the largest first with bars scaled to it", () => {
  const lines = formatImportanceTable("T", [
    { name: "b", value: 0.25 },
    { name: "a", value: 0.75 },
    { name: "c", value: 0 },
  ], { width: 8 }).split("\n");
  strictEqual(lines[0], "T");
  ok(lines[2].includes(" a ") && lines[2].endsWith("########"));
  ok(lines[3].includes(" b ") && lines[3].endsWith(" ###"));
  ok(lines[4].includes(" c ") && !lines[4].includes("#"));
});

Deno.test("a spread is shown as plus-minus", () => {
  ok(formatImportanceTable("T", [{ name: "x", value: 0.5, spread: 0.125 }]).includes("0.5000 ± 0.1250"));
});
