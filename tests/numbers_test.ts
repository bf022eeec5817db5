import assert from "node:assert/strict";
import { parseDecimal, parseWholeNumber } from "../lib/numbers.ts";

Deno.test("decimal numbers parse, with sign, fraction and exponent", () => {
  for (
    const [text, value] of [["0", 0], ["-7", -7], ["+3", 3], ["2.5", 2.5], [".5", 0.5], ["5.", 5], [
      "1e3",
      1000,
    ], ["2.5E-1", 0.25]] as const
  ) {
    assert.equal(parseDecimal(text), value, text);
  }
});

Deno.test("hex, binary, octal, separators, words, blanks and padding are not numbers", () => {
  for (
    const text of [
      "0x10",
      "0b11",
      "0o7",
      "1_000",
      "Infinity",
      "-Infinity",
      "NaN",
      "",
      " ",
      " 1",
      "1 ",
      "1e",
      "e3",
      "--1",
      "1,5",
    ]
  ) {
    assert.equal(parseDecimal(text), null, JSON.stringify(text));
  }
});

Deno.test("a decimal too large to be finite is not a number", () => {
  assert.equal(parseDecimal("1e400"), null);
  assert.equal(parseDecimal("1e308"), 1e308);
});

Deno.test("whole numbers refuse fractions and unsafe integers", () => {
  assert.equal(parseWholeNumber("12"), 12);
  assert.equal(parseWholeNumber("1e3"), 1000);
  assert.equal(parseWholeNumber("1.5"), null);
  assert.equal(parseWholeNumber("1e300"), null);
});
