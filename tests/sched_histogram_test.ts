import assert from "node:assert/strict";
import { quantileOf, shareAbove } from "../lib/sched/histogram.ts";

Deno.test("the share above a threshold counts the bucket it falls in linearly", () => {
  assert.equal(shareAbove([2, 2], 15, (i) => [i * 10, i * 10 + 10]), 0.25);
  assert.equal(shareAbove([2, 2], 5, (i) => [i * 10, i * 10 + 10]), 0.75);
  assert.equal(shareAbove([0, 0], 5, (i) => [i * 10, i * 10 + 10]), 0);
});

Deno.test("a quantile interpolates linearly inside the bucket it falls in", () => {
  const b = [0, 4, 0];
  assert.equal(quantileOf(b, 0.5, (i) => [i * 10, i * 10 + 10]), 15);
  assert.equal(quantileOf(b, 1, (i) => [i * 10, i * 10 + 10]), 20);
  assert.equal(quantileOf([0, 0, 0], 0.99, (i) => [i, i + 1]), 0);
});
