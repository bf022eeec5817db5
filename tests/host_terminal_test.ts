import assert from "node:assert/strict";
import { printable } from "../lib/host/terminal.ts";

Deno.test("printable escapes C0 controls and DEL and keeps the rest", () => {
  assert.equal(printable("evil\x1b[2J\nname\x7f"), "evil\\x1b[2J\\x0aname\\x7f");
  assert.equal(printable("Café 2077 東京 🎮"), "Café 2077 東京 🎮");
});

Deno.test("printable escapes C1 controls, the one-character CSI U+009B included", () => {
  // JSON.stringify lets U+009B through: a terminal reads it as ESC [.
  assert.equal(JSON.stringify("\u009b31m"), '"\u009b31m"');
  assert.equal(printable("\u009b31mred\u0085"), "\\x9b31mred\\x85");
});

Deno.test("printable escapes bidi overrides, isolates and marks", () => {
  assert.equal(printable("invoice\u202egpj.exe"), "invoice\\u202egpj.exe");
  assert.equal(printable("\u2066a\u2069\u200f\u061c\u2028"), "\\u2066a\\u2069\\u200f\\u061c\\u2028");
});

Deno.test("printable leaves no character a terminal acts on", () => {
  let all = "";
  for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
  const out = printable(all);
  // deno-lint-ignore no-control-regex
  assert.doesNotMatch(out, /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
});
