/**
 * The tree's shape (issue 16), checked so it stays true: README's layout table names every room and
 * nothing else, lib/ml does no IO, and no function in lib/ grows past 80 lines.
 */

import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;

/** Tracked files under `dirs`, relative to the checkout. */
function tracked(...dirs: string[]): string[] {
  const out = new Deno.Command("git", { args: ["-C", ROOT, "ls-files", "--", ...dirs], stdout: "piped" })
    .outputSync();
  assert.ok(out.success, "git ls-files");
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
}

/** The rooms README's layout table names, as written in its first column (`lib/ml/` -> `lib/ml`). */
function readmeRooms(): Set<string> {
  const readme = Deno.readTextFileSync(join(ROOT, "README.md"));
  const section = readme.slice(
    readme.indexOf("## Layout"),
    readme.indexOf("\n## ", readme.indexOf("## Layout") + 1),
  );
  const rooms = new Set<string>();
  for (const m of section.matchAll(/^\| `([^`]+)` +\|/gm)) rooms.add(m[1].replace(/\/$/, ""));
  return rooms;
}

Deno.test("README's layout table has a row for every room of lib/, tools/ and tests/, and none that is gone", () => {
  const rooms = readmeRooms();
  // A room is a folder or a loose file one level down; tests/*_test.ts are the tests/ room itself.
  const tree = new Set(
    tracked("lib", "tools", "tests")
      .map((f) => f.split("/").slice(0, 2).join("/"))
      .filter((r) => !/^tests\/[^/]+_test\.ts$/.test(r)),
  );
  const named = (room: string) =>
    rooms.has(room) || rooms.has(room.split("/")[0]) && !room.startsWith("lib/");
  assert.deepEqual([...tree].filter((r) => !named(r)), [], "rooms without a README row");
  const exists = (path: string) => {
    try {
      Deno.statSync(path);
      return true;
    } catch {
      return false;
    }
  };
  const gone = [...rooms].filter((r) => !exists(join(ROOT, r)));
  assert.deepEqual(gone, [], "README rows for rooms that do not exist");
});

Deno.test("no module of lib/ml imports lib/store, lib/host or node:fs: the ML stage does no IO", () => {
  const offenders: string[] = [];
  for (const file of tracked("lib/ml")) {
    const text = Deno.readTextFileSync(join(ROOT, file));
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
      if (/(^|\/)(store|host)\/|^node:fs/.test(m[1])) offenders.push(`${file}: ${m[1]}`);
    }
  }
  assert.deepEqual(offenders, []);
});

/** Functions longer than `max` lines in `source`, as "name at line N: L lines". */
function longFunctions(file: string, source: string, max: number): string[] {
  const found: string[] = [];
  const plugin: Deno.lint.Plugin = {
    name: "layout",
    rules: {
      "function-length": {
        create(ctx) {
          const check = (node: Deno.lint.Node) => {
            const [start, end] = node.range;
            const lines = source.slice(start, end).split("\n").length;
            if (lines > max) ctx.report({ node, message: String(lines) });
          };
          return { FunctionDeclaration: check, FunctionExpression: check, ArrowFunctionExpression: check };
        },
      },
    },
  };
  for (const d of Deno.lint.runPlugin(plugin, file, source)) {
    const line = source.slice(0, d.range[0]).split("\n").length;
    found.push(`${file}:${line}: ${d.message} lines`);
  }
  return found;
}

Deno.test("no function in lib/ is longer than 80 lines", () => {
  const long = tracked("lib").filter((f) => f.endsWith(".ts") && !f.includes("/generated/"))
    .flatMap((f) => longFunctions(f, Deno.readTextFileSync(join(ROOT, f)), 80));
  assert.deepEqual(long, []);
  // The check sees functions at all: a 3-line one is found with a limit of 2.
  assert.equal(longFunctions("x.ts", "function f() {\n  return 1;\n}\n", 2).length, 1);
});
