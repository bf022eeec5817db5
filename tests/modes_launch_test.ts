// `scx_gamer run -- CMD` as a user runs it: a separate process that announces itself to a live
// session's socket and then becomes CMD (same pid), or runs CMD anyway when nothing listens.
import assert from "node:assert/strict";
import { join } from "node:path";
import { launchMode } from "../lib/modes/launch.ts";
import { liveSession } from "./fixtures/live_session.ts";
import { tempDir } from "./fixtures/temp.ts";

const root = new URL("..", import.meta.url).pathname;

function scxGamer(args: string[], options: { stdout?: "piped" | "null" } = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-ffi", join(root, "main.ts"), ...args],
    env: { NO_COLOR: "1" },
    stdout: options.stdout ?? "piped",
    stderr: "piped",
  });
}

const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("run -- announces its own pid, then becomes the command: the scheduler's game is that process", async () => {
  const live = await liveSession({ procRoot: "/proc" });
  try {
    // `sleep` is the game: after exec it keeps the pid that was announced.
    const child = scxGamer(["run", "--socket", live.socket, "--verbose", "--", "sleep", "30"]).spawn();
    try {
      await until("the game to be chosen", () => live.sched.game === child.pid);
      const comm = Deno.readTextFileSync(`/proc/${child.pid}/comm`).trim();
      assert.equal(comm, "sleep", "the announced process is now the command itself");
    } finally {
      child.kill("SIGTERM");
      const out = await child.output();
      assert.match(text(out.stderr), new RegExp(`^scx_gamer: pid ${child.pid} is the game; running sleep$`));
    }
  } finally {
    await live.stop();
  }
});

Deno.test("run -- with no scheduler running says so in one line and still runs the command", async () => {
  const socket = join(tempDir(), "none.sock");
  const out = await scxGamer(["run", "--socket", socket, "--", "sh", "-c", "echo the game ran; exit 7"])
    .output();
  assert.equal(text(out.stdout), "the game ran");
  assert.equal(out.code, 7, "the command's own status: it replaced scx_gamer");
  const err = text(out.stderr);
  assert.equal(err.split("\n").length, 1, err);
  assert.match(err, /^scx_gamer: starting the game without scx_gamer's help: no scx_gamer is running/);
});

Deno.test("run -- still runs the game when the scheduler refuses the announcement", async () => {
  const live = await liveSession({ allowedUids: new Set([12345]) });
  try {
    const out = await scxGamer(["run", "--socket", live.socket, "--", "sh", "-c", "echo ran"]).output();
    assert.equal(out.code, 0);
    assert.equal(text(out.stdout), "ran");
    assert.match(
      text(out.stderr),
      /the scheduler refused: set-game: process \d+ belongs to uid 0, not to the player/,
    );
    assert.equal(live.sched.game, null);
  } finally {
    await live.stop();
  }
});

Deno.test("run -- with a command that does not exist exits 127 with one line", async () => {
  const out = await scxGamer(["run", "--socket", join(tempDir(), "none.sock"), "--", "no-such-game-xyz"])
    .output();
  assert.equal(out.code, 127);
  assert.match(
    text(out.stderr).split("\n").at(-1)!,
    /^scx_gamer run: cannot run no-such-game-xyz: No such file/,
  );
});

Deno.test("run without a command after -- is a usage error", async () => {
  const out = await scxGamer(["run"]).output();
  assert.equal(out.code, 2);
  assert.match(text(out.stderr), /'run' needs a command after --: scx_gamer run -- CMD/);
});

Deno.test("launchMode hands the exec the command exactly as given", async () => {
  let seen: readonly string[] = [];
  const messages: string[] = [];
  await assert.rejects(
    launchMode(
      {
        mode: "launch",
        socket: join(tempDir(), "none.sock"),
        command: ["game", "--arg with space", ""],
        verbose: false,
      },
      {
        exec: (argv) => {
          seen = argv;
          throw new Error("exec stopped here");
        },
        message: (l) => messages.push(l),
      },
    ),
    /exec stopped here/,
  );
  assert.deepEqual(seen, ["game", "--arg with space", ""]);
  assert.equal(messages.length, 1);
});
