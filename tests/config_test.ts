import assert from "node:assert/strict";
import {
  configToArgs,
  configToCommandLine,
  defaultConfig,
  flagOf,
  TUNABLES,
  tunableValueProblem,
  validateConfig,
} from "../lib/config.ts";

Deno.test("the default config is valid and holds every tunable", () => {
  const config = defaultConfig();
  assert.deepEqual(Object.keys(config), TUNABLES.map((t) => t.key));
  assert.deepEqual(validateConfig(config), []);
});

Deno.test("every number tunable's default lies in its range", () => {
  for (const t of TUNABLES) {
    if (t.kind === "number") assert.ok(t.min <= t.default && t.default <= t.max, t.key);
  }
});

Deno.test("a value out of range, a fraction, a string or a non-boolean switch is a problem naming where", () => {
  const num = TUNABLES.find((t) => t.kind === "number")!;
  const sw = TUNABLES.find((t) => t.kind === "switch")!;
  assert.match(
    tunableValueProblem(num, num.max + 1, "grid.json")!,
    /^grid\.json \d+ is out of range: expected/,
  );
  assert.match(tunableValueProblem(num, 1.5, "--x")!, /is not a whole number/);
  assert.match(tunableValueProblem(num, "7", "--x")!, /is not a whole number/);
  assert.match(tunableValueProblem(sw, 1, "--y")!, /is not a switch value: expected true or false/);
  assert.equal(tunableValueProblem(num, num.default, "--x"), null);
  const bad = { ...defaultConfig(), [num.key]: -5 };
  assert.deepEqual(validateConfig(bad).length, 1);
  assert.match(validateConfig(bad)[0], new RegExp(`^${flagOf(num.key)} -5 is out of range`));
});

Deno.test("a config renders every number tunable and the switches that are on", () => {
  const sw = TUNABLES.find((t) => t.kind === "switch")!;
  const args = configToArgs({ ...defaultConfig(), [sw.key]: true });
  for (const t of TUNABLES) {
    if (t.kind === "number") assert.ok(args.includes(flagOf(t.key)), t.key);
  }
  assert.ok(args.includes(flagOf(sw.key)));
  assert.ok(configToCommandLine(defaultConfig(), { stats: 2 }).startsWith("sudo ./scx_gamer --stats 2 "));
});
