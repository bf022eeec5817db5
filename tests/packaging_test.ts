// What the release installs, checked as systemd and a shell use it: the unit, its /etc/default file
// (the service's command line parses, and its data goes to the state directory), the launch wrapper
// and the bundle's launcher.
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseArgs } from "../lib/cli/modes.ts";
import { tempDir } from "./fixtures/temp.ts";
import { serviceCommand, unitEntries } from "./fixtures/unit_file.ts";

const root = new URL("..", import.meta.url).pathname;
const read = (p: string) => Deno.readTextFileSync(join(root, p));
const unit = read("packaging/scx_gamer.service");
const defaults = read("packaging/scx_gamer.default");

function value(section: string, key: string): string[] {
  return unitEntries(unit).filter((e) => e.section === section && e.key === key).map((e) => e.value);
}

Deno.test("systemd-analyze verify accepts the unit without a warning", async () => {
  const dir = tempDir("unit_");
  // verify checks that ExecStart's program exists: point it at one that does.
  Deno.writeTextFileSync(
    join(dir, "scx_gamer.service"),
    unit.replace("/usr/local/bin/scx_gamer", Deno.execPath()),
  );
  const out = await new Deno.Command("systemd-analyze", { args: ["verify", join(dir, "scx_gamer.service")] })
    .output();
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.equal(out.code, 0, err);
  assert.equal(err, "", "no warnings");
});

Deno.test("the unit restarts on failure, not on bad flags, keeps state in /var/lib/scx_gamer, reads /etc/default", () => {
  assert.deepEqual(value("Service", "Restart"), ["on-failure"]);
  assert.deepEqual(value("Service", "RestartPreventExitStatus"), ["2"]);
  assert.deepEqual(value("Service", "StateDirectory"), ["scx_gamer"]);
  assert.deepEqual(value("Service", "WorkingDirectory"), ["/var/lib/scx_gamer"]);
  assert.deepEqual(value("Service", "EnvironmentFile"), ["-/etc/default/scx_gamer"]);
  assert.deepEqual(value("Service", "ExecStart"), ["/usr/local/bin/scx_gamer $SCX_GAMER_FLAGS"]);
  assert.deepEqual(value("Unit", "Conflicts"), ["scx.service"]);
  assert.deepEqual(value("Install", "WantedBy"), ["multi-user.target"]);
});

Deno.test("the service's command line is a valid run command whose data goes to the state directory", () => {
  const { argv, env, cwd } = serviceCommand(unit, { "/etc/default/scx_gamer": defaults });
  assert.equal(argv[0], "/usr/local/bin/scx_gamer");
  assert.deepEqual(argv.slice(1), ["--ml-collect"]);
  assert.equal(env.NO_COLOR, "1");
  assert.equal(env.STATE_DIRECTORY, "/var/lib/scx_gamer");
  assert.equal(cwd, "/var/lib/scx_gamer");
  const cmd = parseArgs(argv.slice(1), { env: { get: (k) => env[k] } });
  assert.equal(cmd.mode, "run");
  assert.equal(cmd.mode === "run" && cmd.mlDir, "/var/lib/scx_gamer/ml_data");
  assert.equal(cmd.mode === "run" && cmd.collect, true);
});

Deno.test("flags added to SCX_GAMER_FLAGS reach the command line word by word", () => {
  const edited = defaults + 'SCX_GAMER_FLAGS="--ml-collect --socket-group games --stats 60"\n';
  const { argv } = serviceCommand(unit, { "/etc/default/scx_gamer": edited });
  assert.deepEqual(argv.slice(1), ["--ml-collect", "--socket-group", "games", "--stats", "60"]);
});

const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();

/** A folder holding the wrapper and, optionally, a stub scx_gamer that prints its arguments. */
function wrapperDir(withStub: boolean): string {
  const dir = tempDir("wrapper_");
  Deno.copyFileSync(join(root, "packaging/scx_gamer-run"), join(dir, "scx_gamer-run"));
  Deno.chmodSync(join(dir, "scx_gamer-run"), 0o755);
  if (withStub) {
    Deno.writeTextFileSync(join(dir, "scx_gamer"), '#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n');
    Deno.chmodSync(join(dir, "scx_gamer"), 0o755);
  }
  return dir;
}

async function sh(cmd: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    env: { PATH: "/usr/bin:/bin", ...env },
    clearEnv: true,
  })
    .output();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("scx_gamer-run hands the command to the scx_gamer beside it, word for word", async () => {
  const dir = wrapperDir(true);
  const r = await sh([join(dir, "scx_gamer-run"), "/games/My Game/game", "-arg", ""]);
  assert.equal(r.stdout, "[run]\n[--]\n[/games/My Game/game]\n[-arg]\n[]");
  const moved = await sh([join(dir, "scx_gamer-run"), "game"], { SCX_GAMER_SOCKET: "/tmp/s.sock" });
  assert.equal(moved.stdout, "[run]\n[--socket]\n[/tmp/s.sock]\n[--]\n[game]");
});

Deno.test("scx_gamer-run without scx_gamer installed says so in one line and still starts the game", async () => {
  const dir = wrapperDir(false);
  const r = await sh([join(dir, "scx_gamer-run"), "sh", "-c", "echo game ran; exit 3"]);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, "game ran");
  assert.equal(r.stderr, "scx_gamer-run: scx_gamer is not installed: starting the game without it");
});

Deno.test("scx_gamer-run with no command prints its usage", async () => {
  const r = await sh([join(wrapperDir(true), "scx_gamer-run")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^usage: scx_gamer-run CMD \[ARGS\.\.\.\]/);
});

Deno.test("the bundle's launcher runs the bundle beside it with Deno, and without Deno still starts a game", async () => {
  const dir = tempDir("launcher_");
  Deno.copyFileSync(join(root, "packaging/scx_gamer.launcher"), join(dir, "scx_gamer"));
  Deno.chmodSync(join(dir, "scx_gamer"), 0o755);
  Deno.copyFileSync(join(root, "dist/scx_gamer.js"), join(dir, "scx_gamer.js"));
  const denoDir = join(Deno.execPath(), "..");
  const withDeno = await sh([join(dir, "scx_gamer"), "--help-stats"], { PATH: `${denoDir}:/usr/bin:/bin` });
  assert.equal(withDeno.code, 0, withDeno.stderr);
  assert.match(withDeno.stdout, /^scx_gamer --stats SECONDS/);
  // A PATH with the shell tools the launcher uses, and no deno.
  const bin = tempDir("nodeno_bin_");
  for (const tool of ["sh", "dirname", "readlink"]) {
    Deno.symlinkSync(Deno.realPathSync(`/bin/${tool}`), join(bin, tool));
  }
  const game = await sh([join(dir, "scx_gamer"), "run", "--socket", "/x", "--", "sh", "-c", "echo ran"], {
    PATH: bin,
  });
  assert.equal(game.stdout, "ran");
  assert.equal(game.stderr, "scx_gamer: starting the game without scx_gamer's help: deno is not installed");
  const other = await sh([join(dir, "scx_gamer"), "--version"], { PATH: bin });
  assert.equal(other.code, 127);
  assert.match(other.stderr, /^scx_gamer: deno is not installed/);
});
