import assert from "node:assert/strict";
import { defaultConfig } from "../lib/config.ts";
import {
  CorruptStoreError,
  formatStoreDoc,
  parseStoreDoc,
  sampleProblem,
  STORE_SCHEMA,
  STORE_VERSION,
  type StoreDoc,
} from "../lib/store/store_doc.ts";
import { makeSample } from "./fixtures/sample.ts";

function doc(samples = [0, 1, 2].map((i) => makeSample(i))): StoreDoc {
  const best = samples.reduce((a, b) => (b.score > a.score ? b : a));
  return {
    schema: STORE_SCHEMA,
    version: STORE_VERSION,
    game_name: "Cyberpunk2077",
    cpu_model: "AMD Ryzen 7 7800X3D 8-Core Processor",
    samples,
    best_config: best.config,
    best_score: best.score,
    updated_at: "2025-11-25T13:54:00.000Z",
  };
}

Deno.test("formatStoreDoc output parses back to the same document", () => {
  const d = doc();
  assert.deepEqual(parseStoreDoc(formatStoreDoc(d), "f.json"), d);
});

Deno.test("formatStoreDoc writes an empty sample list as valid JSON", () => {
  const d = { ...doc(), samples: [], best_config: null, best_score: null };
  assert.deepEqual(parseStoreDoc(formatStoreDoc(d), "f.json"), d);
});

Deno.test("parseStoreDoc recomputes the best from the samples instead of trusting the file", () => {
  const d = doc();
  const text = formatStoreDoc({ ...d, best_score: 1e9 });
  assert.equal(parseStoreDoc(text, "f.json").best_score, d.best_score);
});

Deno.test("parseStoreDoc names the file and the problem for each kind of bad file", () => {
  const cases: [string, RegExp][] = [
    ["{", /^f\.json: not valid JSON/],
    ["[]", /^f\.json: not a scx_gamer samples file/],
    [
      JSON.stringify({ ...doc(), version: 2 }),
      /^f\.json: samples file version 2, this build reads version 1$/,
    ],
    [JSON.stringify({ ...doc(), samples: {} }), /^f\.json: samples is not a list$/],
    [JSON.stringify({ ...doc(), game_name: 5 }), /game_name or cpu_model/],
    [JSON.stringify({ ...doc(), samples: [1] }), /^f\.json: samples\[0\] is not an object$/],
  ];
  for (const [text, want] of cases) {
    assert.throws(
      () => parseStoreDoc(text, "f.json"),
      (e: Error) => e instanceof CorruptStoreError && want.test(e.message),
    );
  }
});

Deno.test("sampleProblem accepts a real sample and names the first bad field otherwise", () => {
  assert.equal(sampleProblem(makeSample(0)), null);
  const s = structuredClone(makeSample(0)) as unknown as Record<string, Record<string, unknown>>;
  s.config.avoid_smt = "yes";
  assert.equal(
    sampleProblem(s),
    "sample.config.avoid_smt 'yes' is not a switch value: expected true or false",
  );
  const t = structuredClone(makeSample(0)) as unknown as { threads: Record<string, unknown> };
  delete t.threads.storage;
  assert.equal(sampleProblem(t), "sample.threads.storage is missing, expected a finite number");
  const g = structuredClone(makeSample(0)) as unknown as { game: Record<string, unknown> };
  g.game.app_id = 570;
  assert.equal(sampleProblem(g), "sample.game.app_id is not text or null");
});

Deno.test("a stored config outside the tunables' ranges, not whole, or missing a tunable is refused naming it", () => {
  const withConfig = (edit: Record<string, unknown>, drop?: string) => {
    const s = structuredClone(makeSample(0)) as unknown as { config: Record<string, unknown> };
    Object.assign(s.config, edit);
    if (drop) delete s.config[drop];
    return s;
  };
  assert.equal(
    sampleProblem(withConfig({ slice_us: -5 })),
    "sample.config.slice_us -5 is out of range: expected 1..100000 us",
  );
  assert.equal(
    sampleProblem(withConfig({ mig_max: 1e21 })),
    "sample.config.mig_max 1e+21 is out of range: expected 1..1000",
  );
  assert.equal(
    sampleProblem(withConfig({ slice_lag_us: 2.5 })),
    "sample.config.slice_lag_us 2.5 is not a whole number: expected 0..1000000 us",
  );
  assert.equal(
    sampleProblem(withConfig({}, "mig_window_ms")),
    "sample.config.mig_window_ms is missing, expected 1..10000 ms",
  );
  assert.throws(
    () => parseStoreDoc(JSON.stringify({ ...doc(), samples: [withConfig({ slice_us: -5 })] }), "f.json"),
    (e: Error) =>
      e instanceof CorruptStoreError &&
      e.message === "f.json: samples[0].config.slice_us -5 is out of range: expected 1..100000 us",
  );
});

Deno.test("parseStoreDoc never quotes the file's bytes in its message", () => {
  let message = "";
  try {
    parseStoreDoc("root:x:0:0:root:/root:/bin/bash\n", "f.json");
  } catch (err) {
    assert.ok(err instanceof CorruptStoreError);
    message = err.message;
  }
  assert.match(message, /^f\.json: not valid JSON/);
  assert.doesNotMatch(message, /root/);
});

Deno.test("a samples file from before policy versions and smoothness loads as policy 1, not measured", () => {
  const old = structuredClone(makeSample(0)) as unknown as Record<string, unknown> & {
    metrics: Record<string, unknown>;
  };
  delete old.policy_version;
  delete old.smooth_score;
  delete old.metrics.smooth;
  const [s] = parseStoreDoc(JSON.stringify({ ...doc(), samples: [old] }), "old.json").samples;
  assert.equal(s.policy_version, 1);
  assert.equal(s.smooth_score, null);
  assert.equal(s.metrics.smooth, null);
  assert.equal(s.score, makeSample(0).score);
});

Deno.test("a policy 1 sample, stored before batch_burst_us existed, reads it at its default", () => {
  const old = structuredClone(makeSample(0)) as unknown as Record<string, unknown> & {
    config: Record<string, unknown>;
  };
  delete old.policy_version;
  delete old.config.batch_burst_us;
  const [s] = parseStoreDoc(JSON.stringify({ ...doc(), samples: [old] }), "old.json").samples;
  assert.equal(s.policy_version, 1);
  assert.equal(s.config.batch_burst_us, defaultConfig().batch_burst_us);
  // A sample of the policy that has it must carry it.
  assert.equal(
    sampleProblem({ ...old, policy_version: 2 }),
    "sample.config.batch_burst_us is missing, expected 500..1000000 us",
  );
});

Deno.test("a sample stored before parity_us existed reads 0 (the margin, as it ran then), under any policy", () => {
  const old = structuredClone(makeSample(0)) as unknown as Record<string, unknown> & {
    config: Record<string, unknown>;
  };
  delete old.config.parity_us;
  const [s] = parseStoreDoc(JSON.stringify({ ...doc(), samples: [old] }), "old.json").samples;
  assert.equal(s.policy_version, makeSample(0).policy_version);
  assert.equal(s.config.parity_us, 0);
  assert.equal(
    sampleProblem({ ...old, config: { ...old.config, parity_us: -1 } }),
    "sample.config.parity_us -1 is out of range: expected 0..100000 us",
  );
});

Deno.test("a sample's measured smoothness reads back as written", () => {
  const d = doc();
  const back = parseStoreDoc(formatStoreDoc(d), "f.json").samples[1];
  assert.deepEqual(back.metrics.smooth, d.samples[1].metrics.smooth);
  assert.equal(back.smooth_score, d.samples[1].smooth_score);
  assert.equal(back.policy_version, d.samples[1].policy_version);
});

Deno.test("a hand-edited policy version, smooth score or smoothness summary is one line naming the file", () => {
  // A hand edit reaches anywhere into the JSON, whatever the type says is there.
  // deno-lint-ignore no-explicit-any
  type Json = Record<string, any>;
  const edit = (f: (s: Json) => void) => {
    const s = structuredClone(makeSample(0)) as unknown as Json;
    f(s);
    return JSON.stringify({ ...doc(), samples: [s] });
  };
  const cases: [string, RegExp][] = [
    [
      edit((s) => (s.policy_version = 0)),
      /^f\.json: samples\[0\]\.policy_version is 0, expected a whole number from 1$/,
    ],
    [edit((s) => (s.policy_version = 2.5)), /policy_version is 2\.5, expected a whole number/],
    [edit((s) => (s.policy_version = "2")), /policy_version is "2", expected a whole number/],
    [
      edit((s) => (s.smooth_score = "high")),
      /^f\.json: samples\[0\]\.smooth_score is "high", expected a finite number or null$/,
    ],
    [
      edit((s) => (s.metrics.smooth = 7)),
      /^f\.json: samples\[0\]\.metrics\.smooth is not an object or null$/,
    ],
    [edit((s) => delete s.metrics.smooth.all), /metrics\.smooth\.all is missing or not an object$/],
    [
      edit((s) => (s.metrics.smooth.all.p99_ns = "1ms")),
      /metrics\.smooth\.all\.p99_ns is "1ms", expected a finite number$/,
    ],
    [
      edit((s) => (s.metrics.smooth.latency.bogus = s.metrics.smooth.all)),
      /metrics\.smooth\.latency has "bogus", not a thread class$/,
    ],
    [
      edit((s) => (s.metrics.smooth.latency.input.count = null)),
      /metrics\.smooth\.latency\.input\.count is null/,
    ],
    [
      edit((s) => (s.metrics.smooth.pacing = [])),
      /metrics\.smooth\.pacing is \[\], expected an object or null$/,
    ],
    [edit((s) => delete s.metrics.smooth.pacing.spread), /metrics\.smooth\.pacing\.spread is missing/],
    [
      edit((s) => (s.metrics.smooth.pacing.late_share = 5)),
      /metrics\.smooth\.pacing\.late_share is 5, expected a number in 0\.\.1 or nothing$/,
    ],
    [
      edit((s) => (s.metrics.smooth.pacing.from = "\u001b[2J")),
      /metrics\.smooth\.pacing\.from is "\\u001b\[2J", expected "starts", "wakeups", "stalled" or nothing$/,
    ],
    [
      edit((s) => delete s.metrics.smooth.wait_share_behind_other),
      /metrics\.smooth\.wait_share_behind_other is missing/,
    ],
  ];
  for (const [text, want] of cases) {
    assert.throws(
      () => parseStoreDoc(text, "f.json"),
      (e: Error) => e instanceof CorruptStoreError && want.test(e.message) && !e.message.includes("\n"),
      String(want),
    );
  }
  // Null pacing and null smoothness are valid: not measured.
  assert.doesNotThrow(() => parseStoreDoc(edit((s) => (s.metrics.smooth.pacing = null)), "f.json"));
  assert.doesNotThrow(() => parseStoreDoc(edit((s) => (s.metrics.smooth = null)), "f.json"));
});
