import assert from "node:assert/strict";
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
  assert.equal(sampleProblem(s), 'sample.config.avoid_smt is "yes", expected a boolean');
  const t = structuredClone(makeSample(0)) as unknown as { threads: Record<string, unknown> };
  delete t.threads.storage;
  assert.equal(sampleProblem(t), "sample.threads.storage is missing, expected a finite number");
  const g = structuredClone(makeSample(0)) as unknown as { game: Record<string, unknown> };
  g.game.app_id = 570;
  assert.equal(sampleProblem(g), "sample.game.app_id is not text or null");
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
