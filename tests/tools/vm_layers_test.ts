import assert from "node:assert/strict";
import { runLayer, shellQuote, VmEnvError } from "../../tools/vm/layers.ts";

Deno.test("shellQuote round-trips quotes, spaces, newlines and $ through sh", () => {
  const values = ["plain", "two words", "it's", `"double" $HOME \`cmd\``, "line\nbreak", ""];
  const script = `for a in ${values.map(shellQuote).join(" ")}; do printf '%s\\0' "$a"; done`;
  const out = new Deno.Command("sh", { args: ["-c", script], stdout: "piped" }).outputSync();
  assert.deepEqual(new TextDecoder().decode(out.stdout).split("\0").slice(0, -1), values);
});

Deno.test("an env name that is not a shell identifier is refused with a clear line", () => {
  const spec = { script: "true\n", args: [], nonce: "n", timeoutS: 10, bundle: null, files: {} };
  assert.throws(() => runLayer({ ...spec, env: { "BAD-NAME": "x" } }), VmEnvError);
  assert.throws(
    () => runLayer({ ...spec, env: { "A;B": "x" } }),
    /env 'A;B': expected a shell variable name/,
  );
  assert.ok(runLayer({ ...spec, env: { GOOD_NAME: "x y" } }).length > 0);
});
