import assert from "node:assert/strict";
import { defaultConfig, type SchedConfig, TUNABLES } from "../lib/config.ts";
import type { AutotuneDecision, Candidate } from "../lib/ml/autotune.ts";
import { AutotunePlan } from "../lib/modes/autotune_plan.ts";
import type { Window, WindowResult } from "../lib/modes/window_driver.ts";

const num = TUNABLES.find((t) => t.kind === "number")!;
const cand = (v: number): Candidate => ({
  config: { ...defaultConfig(), [num.key]: v },
  source: "grid",
  predicted: null,
});

function plan(
  options: { candidates: Candidate[]; keep: (c: readonly number[], i: readonly number[]) => boolean },
) {
  const decisions: {
    config: SchedConfig;
    keep: boolean;
    i: readonly number[];
    c: readonly number[];
    against: SchedConfig;
  }[] = [];
  const queue = [...options.candidates];
  const p = new AutotunePlan({
    incumbent: defaultConfig(),
    pairs: 3,
    windowS: 10,
    settleS: 1,
    nextCandidate: () => queue.shift() ?? null,
    valueOf: (r) => (r as WindowResult & { value: number }).value,
    decide: (i, c) =>
      ({
        keep: options.keep(c, i),
        gain: 0,
        low: 0,
        high: 0,
        noise: 0,
        pairs: c.length,
        reason: "test",
      }) as AutotuneDecision,
    onDecision: (candidate, decision, windows, against) =>
      decisions.push({
        config: candidate.config,
        keep: decision.keep,
        i: windows.incumbent,
        c: windows.candidate,
        against,
      }),
  });
  return { p, decisions };
}

function step(p: AutotunePlan, previous: Window | null, i: number, value: number) {
  const result = previous === null
    ? null
    : { window: previous, position: i, samples: [], startedAt: new Date(0), finishedAt: new Date(0), value };
  return p.next(result as WindowResult | null);
}

Deno.test("a candidate runs in counterbalanced pairs against the incumbent, then is judged", () => {
  const { p, decisions } = plan({ candidates: [cand(num.min)], keep: () => false });
  const labels: string[] = [];
  let w = step(p, null, 0, 0);
  for (let i = 0; i < 6; i++) {
    labels.push(w.label);
    w = step(p, w, i, w.label === "incumbent" ? 10 : 12);
  }
  assert.deepEqual(labels, [
    "incumbent",
    "candidate 1",
    "candidate 1",
    "incumbent",
    "incumbent",
    "candidate 1",
  ]);
  assert.equal(decisions.length, 1);
  assert.deepEqual(decisions[0].i, [10, 10, 10]);
  assert.deepEqual(decisions[0].c, [12, 12, 12]);
  assert.equal(w.label, "tuned", "no candidate left: the incumbent runs on");
  assert.equal(w.measureS, Infinity);
});

Deno.test("a kept candidate becomes the incumbent the next one is measured against", () => {
  const { p, decisions } = plan({ candidates: [cand(num.min), cand(num.max)], keep: () => true });
  let w = step(p, null, 0, 0);
  for (let i = 0; i < 12; i++) w = step(p, w, i, 1);
  assert.equal(decisions.length, 2);
  assert.deepEqual(decisions.map((d) => d.against), [defaultConfig(), cand(num.min).config]);
  assert.deepEqual(p.incumbent, cand(num.max).config);
  assert.equal(p.tried.length, 2);
});

Deno.test("a window with no sample runs again before the pair moves on", () => {
  const { p } = plan({ candidates: [cand(num.min)], keep: () => false });
  const first = step(p, null, 0, 0);
  const again = p.next(
    {
      window: first,
      position: 0,
      samples: [],
      startedAt: new Date(0),
      finishedAt: new Date(0),
      value: null,
    } as unknown as WindowResult,
  );
  assert.equal(again.label, first.label);
});

Deno.test("fewer than 3 pairs per candidate is refused", () => {
  assert.throws(() =>
    new AutotunePlan({
      incumbent: defaultConfig(),
      pairs: 2,
      windowS: 1,
      settleS: 0,
      nextCandidate: () => null,
      valueOf: () => 1,
      decide: () => ({}) as AutotuneDecision,
      onDecision: () => {},
    }), /at least 3/);
});
