// `--monitor` against a real control socket served by a real session (on a fake scheduler whose
// counters grow), in this process and as the CLI; and what it says when it cannot connect.
import { defaultConfig } from "../lib/config.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { MonitorCommand } from "../lib/cli/modes.ts";
import { monitorMode } from "../lib/modes/monitor.ts";
import { desktop, makeFakeProc } from "./fixtures/fake_proc.ts";
import { liveSession } from "./fixtures/live_session.ts";
import { tempDir } from "./fixtures/temp.ts";

const root = new URL("..", import.meta.url).pathname;
const game = {
  pid: 5000,
  comm: "game.exe",
  cmdline: ["Z:\\games\\game.exe"],
  exe: "/usr/bin/wine64-preloader",
  environ: { SteamAppId: "12345" },
  utime: 5000,
  threads: [{ tid: 5000, comm: "game.exe" }, { tid: 5001, comm: "InputThread" }],
};

/** Run the monitor until it has printed `lines` stats lines. */
async function watch(cmd: MonitorCommand, lines: number) {
  const out: string[] = [], messages: string[] = [], errors: string[] = [];
  const controller = new AbortController();
  const status = await monitorMode(cmd, {
    signal: controller.signal,
    out: (l) => {
      out.push(l);
      if (out.length >= lines) controller.abort();
    },
    message: (l) => messages.push(l),
    error: (l) => errors.push(l),
  });
  return { status, out, messages, errors };
}

Deno.test("--monitor prints the running scheduler's live figures each interval, with its game", async () => {
  const live = await liveSession({ procRoot: makeFakeProc([...desktop(), game]) });
  try {
    const r = await watch({ mode: "monitor", intervalS: 0.2, socket: live.socket, statsJson: false }, 3);
    assert.equal(r.status, 0, r.errors.join("\n"));
    assert.match(r.messages[0], /^scx_gamer --monitor: scheduler pid \d+ \(test\) at .* a line every 0\.2 s/);
    assert.equal(r.out.length, 3);
    for (const line of r.out) {
      assert.match(line, /^\[\d+\.\ds\] placed [\d.]+k?\/s direct 100% enqueued/);
      assert.match(line, / \| game game \(pid 5000\): input 1 gpu 0 audio 0 \| cpu 50% \| /);
    }
    // The counters grow by 1000/s: a 0.2 s interval shows about 1k/s, not a total since start.
    const m = /placed ([\d.]+)(k?)\/s/.exec(r.out.at(-1)!)!;
    const placed = Number(m[1]) * (m[2] ? 1000 : 1);
    assert.ok(placed > 500 && placed < 2000, r.out.at(-1));
  } finally {
    await live.stop();
  }
});

Deno.test("--monitor --stats-json writes one JSON object per interval", async () => {
  const live = await liveSession({ procRoot: makeFakeProc([...desktop(), game]) });
  try {
    const r = await watch({ mode: "monitor", intervalS: 0.2, socket: live.socket, statsJson: true }, 2);
    assert.equal(r.status, 0);
    const records = r.out.map((l) => JSON.parse(l));
    assert.ok(records[1].t > records[0].t);
    assert.ok(records[1].metrics.enqueues_per_sec > 500 && records[1].metrics.enqueues_per_sec < 2000);
    assert.equal(records[1].game.tgid, 5000);
    assert.equal(records[1].config.slice_us, defaultConfig().slice_us);
  } finally {
    await live.stop();
  }
});

Deno.test("--monitor with no scheduler running says so in one line and exits 1", async () => {
  const socket = join(tempDir(), "none.sock");
  const r = await watch({ mode: "monitor", intervalS: 1, socket, statsJson: false }, 1);
  assert.equal(r.status, 1);
  assert.deepEqual(r.out, []);
  assert.equal(r.errors.length, 1);
  assert.match(
    r.errors[0],
    /^scx_gamer: no scx_gamer is running \(.*none\.sock does not exist.*\); start it with/,
  );
});

Deno.test("--monitor reports a scheduler that stops while watched", async () => {
  const live = await liveSession();
  const errors: string[] = [];
  const out: string[] = [];
  const status = await monitorMode(
    { mode: "monitor", intervalS: 0.2, socket: live.socket, statsJson: false },
    {
      signal: new AbortController().signal,
      out: (l) => {
        out.push(l);
        if (out.length === 1) void live.stop();
      },
      message: () => {},
      error: (l) => errors.push(l),
    },
  );
  assert.equal(status, 1);
  assert.match(
    errors[0],
    /^scx_gamer: the scheduler stopped: .*(closed the connection|the connection failed)/,
  );
});

Deno.test("--monitor as a user outside the socket's group is refused with what to do", async () => {
  const dir = tempDir("monitor_");
  Deno.chmodSync(dir, 0o755);
  const live = await liveSession({ socket: join(dir, "s.sock") });
  try {
    const denoDir = tempDir("deno_dir_");
    Deno.chmodSync(denoDir, 0o777);
    const out = await new Deno.Command("setpriv", {
      args: [
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        Deno.execPath(),
        "run",
        "-A",
        "--unstable-ffi",
        join(root, "dist", "scx_gamer.js"),
        "--monitor",
        "--socket",
        live.socket,
      ],
      env: { DENO_DIR: denoDir, HOME: denoDir, NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /^scx_gamer: .*s\.sock: permission denied: run as root/);
    assert.equal(stderr.split("\n").length, 1);
  } finally {
    await live.stop();
  }
});
