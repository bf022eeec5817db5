import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { TUNABLE_KEYS } from "../lib/config.ts";
import { columnMedians, featureLayout, WORKLOAD_FEATURES } from "../lib/ml/features.ts";
import { COLUMN_NAMES, ORIGINAL_COLUMNS } from "../lib/store/columns.ts";

Deno.test("every workload feature is a column of the export", () => {
  for (const name of WORKLOAD_FEATURES) ok(COLUMN_NAMES.includes(name), name);
});

Deno.test("the full export lays out every tunable first, then every workload feature", () => {
  const layout = featureLayout(COLUMN_NAMES);
  deepStrictEqual(layout.names, [...TUNABLE_KEYS, ...WORKLOAD_FEATURES]);
  strictEqual(layout.tunableColumn.slice_us, 0);
  deepStrictEqual(layout.workloadColumns, WORKLOAD_FEATURES.map((_, i) => TUNABLE_KEYS.length + i));
});

Deno.test("an original 26-column file uses only the workload columns it has, and no outcome", () => {
  // As lib/store/csv_read.ts hands it on: tunables added since the original tool appended with defaults.
  const layout = featureLayout([
    ...ORIGINAL_COLUMNS,
    ...TUNABLE_KEYS.filter((k) => !ORIGINAL_COLUMNS.includes(k)),
  ]);
  deepStrictEqual(layout.names.slice(TUNABLE_KEYS.length), [
    "cpu_util_pct",
    "input_handler_count",
    "gpu_submit_count",
    "compositor_count",
    "network_count",
  ]);
  ok(!layout.names.some((n) => n.startsWith("latency_") || n.endsWith("_rate")));
});

Deno.test("a file without every tunable has no layout", () => {
  throws(() => featureLayout(["slice_us"]), /tunable column slice_lag_us is missing/);
});

Deno.test("column medians take the middle value, or the mean of the two middle ones", () => {
  const x = { rows: 4, cols: 2, data: Float64Array.of(1, 10, 9, 30, 3, 20, 100, 40) };
  deepStrictEqual(Array.from(columnMedians(x)), [6, 25]);
  deepStrictEqual(Array.from(columnMedians(x, [0, 1, 2])), [3, 20]);
});
