import assert from "node:assert/strict";
import {
  BenchUsageError,
  DEFAULT_BEST_FLAGS,
  estimateSeconds,
  parseBenchArgs,
  PRESETS,
  validateBestFlags,
} from "../../tools/bench_sched/options.ts";

Deno.test("no flags: the full preset, the stand-in best config and the extras", () => {
  const o = parseBenchArgs([]);
  assert.equal(o.rounds, PRESETS.full.rounds);
  assert.equal(o.durationS, PRESETS.full.durationS);
  assert.equal(o.bestFlags, DEFAULT_BEST_FLAGS);
  assert.match(o.bestSource, /stand-in/);
  assert.equal(o.extras, true);
  assert.equal(o.from, null);
});

Deno.test("--quick picks the short preset and skips the extras; --rounds still wins", () => {
  const o = parseBenchArgs(["--", "--quick", "--rounds", "3"]);
  assert.equal(o.rounds, 3);
  assert.deepEqual(o.workloads, ["ct", "gs_2x"]);
  assert.equal(o.durationS, PRESETS.quick.durationS);
  assert.equal(o.extras, false);
});

Deno.test("--best-flags takes a value that starts with --, separate or joined", () => {
  assert.equal(
    parseBenchArgs(["--best-flags", "--slice-us 7  --avoid-smt"]).bestFlags,
    "--slice-us 7 --avoid-smt",
  );
  assert.equal(parseBenchArgs(["--best-flags=--mig-max 9"]).bestFlags, "--mig-max 9");
  assert.match(parseBenchArgs(["--best-flags=--mig-max 9"]).bestSource, /given/);
});

Deno.test("--best-flags is checked by scx_gamer's own parser: ranges and non-tunable flags", () => {
  assert.throws(
    () => validateBestFlags("--slice-us 0"),
    (e) =>
      e instanceof BenchUsageError &&
      e.message === "--best-flags: --slice-us 0 is out of range: expected a whole number in 1..100000 us",
  );
  assert.throws(
    () => validateBestFlags("--stats 1"),
    /expected only tunable flags \(such as --slice-us\), got --stats/,
  );
  assert.throws(() => validateBestFlags("  "), /--best-flags '': expected scx_gamer tunable flags/);
});

Deno.test("--workloads takes a subset, in the order given, and names an unknown one", () => {
  assert.deepEqual(parseBenchArgs(["--workloads", "gs_2x ct"]).workloads, ["gs_2x", "ct"]);
  assert.deepEqual(parseBenchArgs([]).workloads, ["ct", "gs_1x", "gs_2x", "gs_burst"]);
  assert.throws(
    () => parseBenchArgs(["--workloads", "ct gs_3x"]),
    /--workloads 'ct gs_3x': expected some of ct, gs_1x/,
  );
});

Deno.test("numbers out of range and unknown flags are one clear line", () => {
  assert.throws(
    () => parseBenchArgs(["--rounds", "0"]),
    /^BenchUsageError: --rounds '0': expected a whole number in 1\.\.20$/,
  );
  assert.throws(
    () => parseBenchArgs(["--duration", "2.5"]),
    /--duration '2\.5': expected a whole number in 3\.\.120/,
  );
  assert.throws(
    () => parseBenchArgs(["--bogus"]),
    (e) => e instanceof BenchUsageError && /--bogus/.test(e.message),
  );
});

Deno.test("the full preset is estimated within 12-20 minutes and the quick one within 6", () => {
  const full = estimateSeconds({ ...PRESETS.full, extras: true });
  const quick = estimateSeconds({ ...PRESETS.quick, extras: false });
  assert.ok(full >= 12 * 60 && full <= 20 * 60, `${full} s`);
  assert.ok(quick <= 6 * 60, `${quick} s`);
});
