import assert from "node:assert/strict";
import { DEFAULT_SWEEP_GRID, defaultConfig } from "../lib/config.ts";
import {
  buildGrid,
  expandGrid,
  GridError,
  gridSize,
  MAX_GRID_CONFIGS,
  parseAxisFlag,
  parseGridJson,
} from "../lib/grid.ts";

function gridError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof GridError, `expected GridError, got ${e}`);
    assert.ok(!e.message.includes("\n"), "one line");
    return e.message;
  }
  assert.fail("expected a GridError");
}

Deno.test("the default grid is the policy's three levers, 3 x 3 x 3 = 27 configs", () => {
  const grid = buildGrid(DEFAULT_SWEEP_GRID);
  assert.deepEqual(grid.map((a) => a.key), ["slice_us", "slice_lag_us", "parity_us"]);
  assert.equal(gridSize(grid), 27);
  assert.equal(expandGrid(grid).length, 27);
});

Deno.test("expansion varies the first axis slowest, like nested shell loops", () => {
  const configs = expandGrid(buildGrid({ slice_us: [5, 10], mig_max: [1, 3] }));
  assert.deepEqual(configs.map((c) => [c.slice_us, c.mig_max]), [[5, 1], [5, 3], [10, 1], [10, 3]]);
});

Deno.test("tunables outside the grid keep their defaults", () => {
  const [config] = expandGrid(buildGrid({ slice_us: [7] }));
  assert.deepEqual(config, { ...defaultConfig(), slice_us: 7 });
});

Deno.test("axes come out in tunables-table order whatever order they were given in", () => {
  const grid = buildGrid({ mig_max: [1], avoid_smt: [true], slice_us: [5] });
  assert.deepEqual(grid.map((a) => a.key), ["slice_us", "mig_max", "avoid_smt"]);
});

Deno.test("a flag's comma-separated values parse to numbers, switches to booleans", () => {
  assert.deepEqual(parseAxisFlag("slice_us", "5, 10,15"), [5, 10, 15]);
  assert.deepEqual(parseAxisFlag("avoid_smt", "false,true"), [false, true]);
  assert.deepEqual(parseAxisFlag("avoid_smt", "off,on"), [false, true]);
});

Deno.test("a flag value out of range names the flag, the value and the range", () => {
  assert.equal(
    gridError(() => parseAxisFlag("slice_us", "5,0")),
    "--slice-us 0 is out of range: expected 1..100000 us",
  );
  assert.equal(
    gridError(() => parseAxisFlag("mig_max", "2000")),
    "--mig-max 2000 is out of range: expected 1..1000",
  );
});

Deno.test("a flag value that is not a whole number is refused", () => {
  assert.match(
    gridError(() => parseAxisFlag("slice_us", "5,abc")),
    /^--slice-us 'abc' is not a whole number/,
  );
  assert.match(gridError(() => parseAxisFlag("slice_us", "2.5")), /^--slice-us 2\.5 is not a whole number/);
});

Deno.test("an empty item in a flag's list is refused", () => {
  assert.match(gridError(() => parseAxisFlag("slice_us", "5,,10")), /^--slice-us '5,,10' has an empty value/);
});

Deno.test("a switch value other than true/false is refused", () => {
  assert.equal(
    gridError(() => parseAxisFlag("avoid_smt", "yes")),
    "--avoid-smt 'yes' is not a switch value: expected true or false",
  );
});

Deno.test("a value listed twice is refused", () => {
  assert.equal(
    gridError(() => parseAxisFlag("mig_max", "1,3,1")),
    "--mig-max 1 is listed twice: each value must appear once",
  );
});

Deno.test("a JSON grid file gives lists, or one value to fix a tunable", () => {
  const g = parseGridJson('{"slice_us": [5, 10], "avoid_smt": true}', "grid.json");
  assert.deepEqual(g, { slice_us: [5, 10], avoid_smt: [true] });
});

Deno.test("a JSON grid file's bad value names the file, the key, the value and the range", () => {
  assert.equal(
    gridError(() => parseGridJson('{"slice_us": [5, 0]}', "g.json")),
    'g.json: "slice_us" 0 is out of range: expected 1..100000 us',
  );
  assert.equal(
    gridError(() => parseGridJson('{"mig_max": ["3"]}', "g.json")),
    `g.json: "mig_max" '3' is not a whole number: expected 1..1000`,
  );
});

Deno.test("a JSON grid file with an unknown key lists the tunables", () => {
  assert.match(
    gridError(() => parseGridJson('{"slice": [5]}', "g.json")),
    /^g\.json: "slice" is not a tunable: expected one of slice_us, /,
  );
});

Deno.test("a grid file that is not a JSON object is refused", () => {
  assert.match(gridError(() => parseGridJson("{slice_us: [5]}", "g.json")), /^g\.json: not valid JSON/);
  assert.match(gridError(() => parseGridJson("[5, 10]", "g.json")), /^g\.json: expected a JSON object/);
  assert.match(
    gridError(() => parseGridJson('{"slice_us": []}', "g.json")),
    /^g\.json: "slice_us": expected at least one value/,
  );
});

Deno.test("an empty grid and a grid too large to run are refused", () => {
  assert.match(gridError(() => buildGrid({})), /the grid is empty/);
  const many = Array.from({ length: 200 }, (_, i) => i + 1);
  assert.match(
    gridError(() => buildGrid({ slice_us: many, mig_max: many })),
    new RegExp(`40000 configs: expected at most ${MAX_GRID_CONFIGS}`),
  );
});
