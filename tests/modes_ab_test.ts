import assert from "node:assert/strict";
import { abCompare } from "../lib/ml/ab.ts";
import { createRng } from "../lib/ml/rng.ts";
import { formatAbResult } from "../lib/modes/ab.ts";
import { chooseObjective, windowValue } from "../lib/modes/objective.ts";
import { findObjective } from "../lib/score.ts";
import { makeSample } from "./fixtures/sample.ts";

Deno.test("a window's value is the mean objective of its samples", () => {
  const samples = [makeSample(0), makeSample(1)];
  const score = findObjective("score")!;
  const v = windowValue({
    window: {} as never,
    position: 0,
    samples,
    startedAt: new Date(),
    finishedAt: new Date(),
  }, score);
  assert.equal(v, (samples[0].score + samples[1].score) / 2);
  assert.equal(
    windowValue({
      window: {} as never,
      position: 0,
      samples: [],
      startedAt: new Date(),
      finishedAt: new Date(),
    }, score),
    null,
  );
});

Deno.test("without --target the objective is score for samples without smoothness", () => {
  assert.equal(chooseObjective(null, [makeSample(0, { smooth: false })]).name, "score");
  assert.equal(chooseObjective("score", []).name, "score");
});

Deno.test("without --target the objective is smooth_score once a sample measured it", () => {
  assert.equal(chooseObjective(null, [makeSample(0, { smooth: false }), makeSample(1)]).name, "smooth_score");
  assert.equal(chooseObjective("score", [makeSample(1)]).name, "score");
});

Deno.test("the report says which config is better, or that the interval includes zero", () => {
  const score = findObjective("score")!;
  const flags = ["", "--slice-us 500"] as const;
  const better = formatAbResult(
    abCompare({ a: [10, 11, 10, 12], b: [14, 15, 14, 16] }, { rng: createRng(0) }),
    score,
    flags,
  );
  assert.match(better[0], /^A\/B on score \(higher is better\), 4 pairs of windows:$/);
  assert.equal(better.at(-1), "  B (--slice-us 500) is better on score");
  const even = formatAbResult(
    abCompare({ a: [10, 12, 10, 12], b: [12, 10, 12, 10] }, { rng: createRng(0) }),
    score,
    flags,
  );
  assert.equal(even.at(-1), "  no clear difference: the interval includes zero");
  const lower = findObjective("frametime_p99")!;
  const a = formatAbResult(
    abCompare({ a: [10, 11, 10, 12], b: [14, 15, 14, 16] }, { rng: createRng(0) }),
    lower,
    flags,
  );
  assert.equal(a.at(-1), "  A (defaults) is better on frametime_p99");
});
