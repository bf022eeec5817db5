import assert from "node:assert/strict";
import {
  BenchUsageError,
  chooseSchedulers,
  DEFAULT_SCHEDULERS,
  estimateSeconds,
  parseBenchArgs,
  PRESETS,
  USAGE,
  validateBestFlags,
} from "../../tools/bench_sched/options.ts";
import { DEFAULT_WORKLOADS, type WorkloadId } from "../../tools/bench_sched/guest_results.ts";

Deno.test("no flags: the full preset, the four default schedulers, no bpfland or best row, the probe", () => {
  const o = parseBenchArgs([]);
  assert.equal(o.rounds, PRESETS.full.rounds);
  assert.equal(o.durationS, PRESETS.full.durationS);
  assert.deepEqual(o.schedulers, ["eevdf", "eevdf_idle", "gamer", "gamer_stats"]);
  assert.deepEqual(o.workloads, [...DEFAULT_WORKLOADS]);
  assert.equal(o.bestFlags, null);
  assert.equal(o.bpflandSrc, null);
  assert.equal(o.fps, 144);
  assert.equal(o.statsS, 1);
  assert.equal(o.extras, true);
  assert.equal(o.from, null);
  assert.equal(o.tcg, "single", "the tests' recipe unless asked");
});

Deno.test("--quick picks the short preset and skips the probe; --rounds still wins", () => {
  const o = parseBenchArgs(["--", "--quick", "--rounds", "3"]);
  assert.equal(o.rounds, 3);
  assert.deepEqual(o.workloads, ["gs_0x", "gs_2x", "ct_m"]);
  assert.equal(o.durationS, PRESETS.quick.durationS);
  assert.equal(o.extras, false);
});

Deno.test("--bpfland-src and --best-flags each add their row, in table order", () => {
  const o = parseBenchArgs(["--best-flags", "--slice-us 7", "--bpfland-src", "/tmp/scx"]);
  assert.deepEqual(o.schedulers, ["eevdf", "eevdf_idle", "gamer", "gamer_stats", "bpfland", "best"]);
  assert.equal(o.bpflandSrc, "/tmp/scx");
  assert.equal(o.bestFlags, "--slice-us 7");
});

Deno.test("--schedulers takes a subset and always keeps EEVDF; bpfland and best need their sources", () => {
  assert.deepEqual(parseBenchArgs(["--schedulers", "gamer_stats gamer"]).schedulers, [
    "eevdf",
    "gamer",
    "gamer_stats",
  ]);
  assert.throws(
    () => parseBenchArgs(["--schedulers", "gamer bpfland"]),
    /^BenchUsageError: --schedulers: bpfland needs --bpfland-src DIR/,
  );
  assert.throws(() => chooseSchedulers(["best"], { bpfland: false, best: false }), /best needs --best-flags/);
  assert.throws(
    () => parseBenchArgs(["--schedulers", "gamer cfs"]),
    /--schedulers 'gamer cfs': expected some of eevdf, eevdf_idle/,
  );
  assert.deepEqual(chooseSchedulers(null, { bpfland: false, best: false }), [...DEFAULT_SCHEDULERS]);
});

Deno.test("--best-flags takes a value that starts with --, separate or joined", () => {
  assert.equal(
    parseBenchArgs(["--best-flags", "--slice-us 7  --avoid-smt"]).bestFlags,
    "--slice-us 7 --avoid-smt",
  );
  assert.equal(parseBenchArgs(["--best-flags=--mig-max 9"]).bestFlags, "--mig-max 9");
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
  assert.deepEqual(parseBenchArgs(["--workloads", "gs_2x ct_m"]).workloads, ["gs_2x", "ct_m"]);
  assert.throws(
    () => parseBenchArgs(["--workloads", "ct gs_3x"]),
    /--workloads 'ct gs_3x': expected some of gs_0x, gs_1x/,
  );
});

Deno.test("--workloads takes the heavy game's hv_0x and hv_2x and the encoders' enc_3, which the defaults leave out", () => {
  assert.deepEqual(parseBenchArgs(["--workloads", "hv_0x hv_2x"]).workloads, ["hv_0x", "hv_2x"]);
  assert.deepEqual(parseBenchArgs(["--workloads=hv_2x,gs_2x"]).workloads, ["hv_2x", "gs_2x"]);
  assert.ok(!DEFAULT_WORKLOADS.some((w) => w.startsWith("hv_")), `${DEFAULT_WORKLOADS}`);
  assert.match(USAGE, /--workloads "\.\.\." +some of: .* hv_0x hv_2x enc_3 \(default /);
  assert.deepEqual(parseBenchArgs(["--workloads", "enc_3"]).workloads, ["enc_3"]);
  assert.ok(!DEFAULT_WORKLOADS.includes("enc_3"), `${DEFAULT_WORKLOADS}`);
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
  assert.throws(() => parseBenchArgs(["--bpfland-src", ""]), /--bpfland-src: expected a folder/);
  assert.throws(
    () => parseBenchArgs(["--bogus"]),
    (e) => e instanceof BenchUsageError && /--bogus/.test(e.message),
  );
});

Deno.test("the estimate counts each scheduler's runs and loads: bpfland adds a block, EEVDF+idle skips one run", () => {
  const full = estimateSeconds({
    ...PRESETS.full,
    workloads: [...PRESETS.full.workloads],
    schedulers: [...DEFAULT_SCHEDULERS],
    extras: true,
  });
  const bpfland = estimateSeconds({
    ...PRESETS.full,
    workloads: [...PRESETS.full.workloads],
    schedulers: [...DEFAULT_SCHEDULERS, "bpfland"],
    extras: true,
  });
  const quick = estimateSeconds({
    ...PRESETS.quick,
    workloads: [...PRESETS.quick.workloads],
    schedulers: [...DEFAULT_SCHEDULERS],
    extras: false,
  });
  assert.ok(full >= 20 * 60 && full <= 35 * 60, `${full} s`);
  assert.ok(bpfland > full, `${bpfland} vs ${full}`);
  assert.ok(quick <= 12 * 60, `${quick} s`);
  const one = (schedulers: ("eevdf" | "eevdf_idle")[]) =>
    estimateSeconds({ rounds: 1, durationS: 8, workloads: ["gs_0x"], schedulers, extras: false });
  assert.equal(one(["eevdf", "eevdf_idle"]), one(["eevdf"]), "no game-alone run under EEVDF+idle");
  const heavy = (workloads: WorkloadId[]) =>
    estimateSeconds({
      rounds: 1,
      durationS: 8,
      workloads,
      schedulers: ["eevdf", "eevdf_idle"],
      extras: false,
    });
  assert.equal(heavy(["hv_0x", "hv_2x"]), heavy(["gs_0x", "gs_2x"]), "the heavy game's runs cost the game's");
  assert.ok(heavy(["hv_0x"]) < heavy(["hv_2x"]), "no heavy-game-alone run under EEVDF+idle");
});

Deno.test("--tcg picks how QEMU runs the vCPUs and names a bad value", () => {
  assert.equal(parseBenchArgs(["--tcg", "multi"]).tcg, "multi");
  assert.equal(parseBenchArgs(["--tcg=single"]).tcg, "single");
  assert.throws(
    () => parseBenchArgs(["--tcg", "kvm"]),
    /^BenchUsageError: --tcg 'kvm': expected single or multi or icount$/,
  );
});
