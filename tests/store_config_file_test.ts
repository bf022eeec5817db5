import assert from "node:assert/strict";
import { defaultConfig, TUNABLES } from "../lib/config.ts";
import { ConfigFileError, readConfigFile } from "../lib/store/config_file.ts";
import { formatProfile } from "../lib/store/profile.ts";
import { makeProfile } from "./fixtures/profile.ts";
import { tempDir } from "./fixtures/temp.ts";

const num = TUNABLES.find((t) => t.kind === "number")!;

Deno.test("a JSON object of tunables sets those, and only those", () => {
  const dir = tempDir();
  Deno.writeTextFileSync(`${dir}/c.json`, JSON.stringify({ [num.key]: num.min }));
  assert.deepEqual(readConfigFile(`${dir}/c.json`), { [num.key]: num.min });
});

Deno.test("a profile file gives its whole config", () => {
  const dir = tempDir();
  const config = { ...defaultConfig(), [num.key]: num.max };
  Deno.writeTextFileSync(`${dir}/p.json`, formatProfile(makeProfile("Doom", { config })));
  assert.deepEqual(readConfigFile(`${dir}/p.json`), config);
});

Deno.test("unknown tunables, values out of range, hex, non-JSON and FIFOs are one line naming the file", () => {
  const dir = tempDir();
  const cases: [string, RegExp][] = [
    [JSON.stringify({ bogus: 1 }), /"bogus" is not a tunable/],
    [JSON.stringify({ [num.key]: num.max + 1 }), /is out of range/],
    [`{"${num.key}": "0x10"}`, /is not a whole number/],
    ["not json", /not valid JSON/],
    ["[1,2]", /expected a profile or a JSON object/],
  ];
  for (const [i, [text, re]] of cases.entries()) {
    Deno.writeTextFileSync(`${dir}/${i}.json`, text);
    assert.throws(
      () => readConfigFile(`${dir}/${i}.json`),
      (e: Error) => e instanceof ConfigFileError && re.test(e.message) && e.message.includes(`${i}.json`),
    );
  }
  new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).outputSync();
  assert.throws(() => readConfigFile(`${dir}/fifo`), /--config .*fifo: not a regular file/);
});
