// The one-file binary `deno task build` makes, compiled from this tree and smoke-tested: help,
// version, the embedded BPF object through lib/bpf (--self-test), training on worker threads. Where
// deno compile cannot fetch its runtime base (scripts/compile.sh exits 3 and says so) this one test
// is skipped with that line; any other compile failure fails it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { libbpfVersion } from "../lib/bpf/ffi.ts";
import denoJson from "../deno.json" with { type: "json" };
import { smokeTest } from "./fixtures/smoke.ts";
import { tempDir } from "./fixtures/temp.ts";

const root = new URL("..", import.meta.url).pathname;
const binary = join(tempDir("compiled_"), "scx_gamer");
const compiled = await new Deno.Command("bash", {
  args: [join(root, "scripts/compile.sh")],
  env: { OUTPUT: binary },
}).output();
const why = new TextDecoder().decode(compiled.stderr).trim();
const cannot = compiled.code === 3;
if (cannot) console.log(`compiled binary test skipped: ${why}`);

Deno.test({
  name:
    "the compiled binary passes its smoke test (help, version, BPF object via lib/bpf, training on workers)",
  ignore: cannot,
  fn: async () => {
    assert.equal(compiled.code, 0, `scripts/compile.sh failed:\n${why}`);
    const { BUILD_COMMIT } = await import("../lib/generated/build_info.ts");
    const { SCX_GAMER_OBJECT_SHA256 } = await import("../lib/bpf/generated/scx_gamer_object.ts");
    await smokeTest(
      [binary],
      `scx_gamer ${denoJson.version} (commit ${BUILD_COMMIT ?? "unknown"}, bpf ${
        SCX_GAMER_OBJECT_SHA256.slice(0, 12)
      }, libbpf ${libbpfVersion()})`,
    );
  },
});
