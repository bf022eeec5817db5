import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { TUNABLE_KEYS } from "../lib/config.ts";
import { FEATURE_COLUMNS, featureLayout, WORKLOAD_FEATURES } from "../lib/ml/features.ts";
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

Deno.test("the feature columns are the tunables, then the workload", () => {
  deepStrictEqual(FEATURE_COLUMNS, [...TUNABLE_KEYS, ...WORKLOAD_FEATURES]);
  deepStrictEqual(featureLayout(FEATURE_COLUMNS).names, [...FEATURE_COLUMNS]);
});
