import assert from "node:assert/strict";
import { safeJson } from "../lib/host/safe_json.ts";

Deno.test("C1 controls, DEL and bidi overrides are written as escapes, and parse back unchanged", () => {
  const name = "a\u009b2Jb\u007f\u202egpj.exe\u2028";
  const text = safeJson({ name });
  assert.equal(text, '{"name":"a\\u009b2Jb\\u007f\\u202egpj.exe\\u2028"}');
  assert.equal(JSON.parse(text).name, name);
});

Deno.test("ordinary text, accents and emoji are left as they are; undefined is null", () => {
  assert.equal(safeJson({ n: "Café 🎮 ゲーム" }), '{"n":"Café 🎮 ゲーム"}');
  assert.equal(safeJson(undefined), "null");
});
