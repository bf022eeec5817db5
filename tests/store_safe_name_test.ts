import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { EMPTY_NAME, nameHash, SAFE_NAME_MAX_BYTES, safeName } from "../lib/store/safe_name.ts";

const SAFE = /^[A-Za-z0-9._+() -]+$/;

Deno.test("safeName keeps an ordinary name unchanged", () => {
  for (
    const name of [
      "Cyberpunk2077",
      "The Witcher 3",
      "AMD Ryzen 7 7800X3D 8-Core Processor",
      "Intel(R) Core(TM) i7+",
    ]
  ) {
    assert.equal(safeName(name), name);
  }
});

Deno.test("safeName replaces separators and appends the hash of the exact input", () => {
  const out = safeName("../../etc/passwd");
  assert.equal(out, `_.__._etc_passwd-${nameHash("../../etc/passwd")}`);
  assert.ok(!out.includes("/"));
  assert.ok(!out.includes(".."));
});

Deno.test("nameHash is the first 10 hex digits of the SHA-256 of the UTF-8 input", () => {
  const want = createHash("sha256").update("Café", "utf8").digest("hex").slice(0, 10);
  assert.equal(nameHash("Café"), want);
});

Deno.test("safeName output never holds a separator, control character, NUL, leading dot or ..", () => {
  const hostile = [
    "..",
    ".",
    ".hidden",
    " leading space",
    "a/b\\c",
    "new\nline",
    "nul\0byte",
    "esc\x1b[2J",
    "...",
    "a..b",
    "ゲーム",
    "\u202Eevil",
    "tab\there",
  ];
  for (const input of hostile) {
    const out = safeName(input);
    assert.match(out, SAFE, input);
    assert.ok(!out.startsWith(".") && !out.startsWith(" "), input);
    assert.ok(!out.includes(".."), input);
    assert.ok(out !== "." && out !== "..", input);
  }
});

Deno.test("safeName bounds the length in bytes, hash included", () => {
  const out = safeName("x".repeat(500));
  assert.equal(out.length, SAFE_NAME_MAX_BYTES);
  assert.ok(out.endsWith("-" + nameHash("x".repeat(500))));
  assert.equal(safeName("y".repeat(100), { maxBytes: 30 }).length, 30);
});

Deno.test("safeName turns the empty string into unknown", () => {
  assert.equal(safeName(""), EMPTY_NAME);
});

Deno.test("safeName never maps distinct inputs to the same name", () => {
  const inputs = [
    "",
    "unknown",
    "a/b",
    "a\\b",
    "a_b",
    "a?b",
    "a\nb",
    "a b",
    "x".repeat(200),
    "x".repeat(201),
    "..",
    "_.",
    "._",
    "__",
    "game.corrupt-20250101T000000Z",
    "game_corrupt-20250101T000000Z",
    // Safe already, but shaped like a hashed name: hashed too, so it cannot equal a/b's name.
    safeName("a/b"),
    "\uD800",
    "\uFFFD",
    "Ä",
    "A\u0308",
  ];
  const outputs = inputs.map((i) => safeName(i));
  assert.equal(new Set(outputs).size, inputs.length);
});

Deno.test("safeName never produces the store's .corrupt- marker", () => {
  assert.ok(!safeName("game.corrupt-20250101T000000Z").includes(".corrupt-"));
});
