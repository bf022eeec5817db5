import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { defaultConfig } from "../lib/config.ts";
import { formatBestBlock, formatImportanceTable } from "../lib/ml/report.ts";

Deno.test("the best-configuration block has the promised five lines", () => {
  const block = formatBestBlock(87.4249, { ...defaultConfig(), slice_us: 7, avoid_smt: true });
  deepStrictEqual(block.split("\n"), [
    "=== Best Configuration Found ===",
    "Performance Score: 87.42",
    "",
    "Command line:",
    "sudo ./scx_gamer --stats 1 --slice-us 7 --slice-lag-us 20000 --input-window-us 2000 --mig-window-ms 50 " +
    "--mig-max 3 --avoid-smt --wakeup-timer-us 0 --batch-burst-us 10000",
  ]);
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
