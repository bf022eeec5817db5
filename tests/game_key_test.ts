import { ok, strictEqual } from "node:assert/strict";
import { gameKey, sameGame } from "../lib/game_key.ts";

Deno.test("a Wine name, its comm and the name given to --game have one key", () => {
  strictEqual(gameKey("Cyberpunk2077.exe"), "cyberpunk2077");
  strictEqual(gameKey("cyberpunk2077.EXE"), "cyberpunk2077");
  strictEqual(gameKey("Cyberpunk2077"), "cyberpunk2077");
  ok(sameGame("Game.exe", " game "));
});

Deno.test("only a trailing .exe is removed, once, and the space before it", () => {
  strictEqual(gameKey("exe.exe.exe"), "exe.exe");
  strictEqual(gameKey("my.exeplorer"), "my.exeplorer");
  strictEqual(gameKey("Half-Life 2 .exe"), "half-life 2");
  strictEqual(gameKey(".exe"), "");
});

Deno.test("names that differ beyond case and .exe stay different games", () => {
  ok(!sameGame("Half-Life 2", "Half-Life2"));
  ok(!sameGame("doom", "doom eternal"));
});

Deno.test("composed and decomposed accents are one game", () => {
  strictEqual(gameKey("Pok\u00e9mon"), gameKey("Poke\u0301mon"));
});
