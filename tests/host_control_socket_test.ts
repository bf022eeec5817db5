// The control socket's transport on real Unix sockets: ownership and mode, stale and live files, line
// limits, and who may connect (a second user through setpriv, as the test suite runs as root).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import {
  ControlClient,
  ControlServer,
  ControlSocketError,
  MAX_LINE_BYTES,
  SOCKET_MODE,
} from "../lib/host/control_socket.ts";
import { tempDir } from "./fixtures/temp.ts";

const NOBODY = 65534;

function echoServer(path: string, gid: number | null = null): Promise<ControlServer> {
  return ControlServer.open({
    path,
    gid,
    handle: (line) => Promise.resolve(`echo ${line}`),
    refuse: (why) => `refused: ${why}`,
  });
}

async function socketCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ControlSocketError, String(e));
    return e.code;
  }
  return "ok";
}

Deno.test("each request line gets one reply line, many per connection", async () => {
  const path = join(tempDir("sock_"), "s.sock");
  const server = await echoServer(path);
  try {
    const client = await ControlClient.connect(path);
    assert.equal(await client.request("one"), "echo one");
    assert.equal(await client.request('{"cmd":"stats"}'), 'echo {"cmd":"stats"}');
    client.close();
  } finally {
    await server.close();
  }
});

Deno.test("the socket is mode 0660, owned by root and the group given; close removes it", async () => {
  const path = join(tempDir("sock_"), "s.sock");
  const server = await echoServer(path, NOBODY);
  const st = fs.lstatSync(path);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, SOCKET_MODE);
  assert.deepEqual([st.uid, st.gid], [0, NOBODY]);
  await server.close();
  assert.equal(fs.existsSync(path), false);
});

Deno.test("without a group only root's group owns it", async () => {
  const path = join(tempDir("sock_"), "s.sock");
  const server = await echoServer(path, null);
  assert.equal(fs.lstatSync(path).gid, 0);
  await server.close();
});

Deno.test("a socket left by a dead instance is replaced; a live one and a non-socket are refused", async () => {
  const dir = tempDir("sock_");
  const path = join(dir, "s.sock");
  // A dead instance's file: bound, then its listener gone without removing it (as after kill -9).
  const listener = Deno.listen({ transport: "unix", path: join(dir, "dead.sock") });
  fs.linkSync(join(dir, "dead.sock"), path);
  listener.close();
  const server = await echoServer(path);
  const client = await ControlClient.connect(path);
  assert.equal(await client.request("x"), "echo x");
  client.close();
  await assert.rejects(echoServer(path), /served by another process .*choose another --socket/);
  await server.close();

  const file = join(dir, "plain");
  Deno.writeTextFileSync(file, "keep me");
  await assert.rejects(echoServer(file), /exists and is not a socket: remove it or choose another --socket/);
  assert.equal(Deno.readTextFileSync(file), "keep me");
});

Deno.test("close leaves alone a socket file that is no longer ours", async () => {
  const dir = tempDir("sock_");
  const path = join(dir, "s.sock");
  const server = await echoServer(path);
  fs.rmSync(path);
  Deno.writeTextFileSync(path, "someone else's");
  await server.close();
  assert.equal(Deno.readTextFileSync(path), "someone else's");
});

Deno.test("a line over the limit is refused and its connection closed", async () => {
  const path = join(tempDir("sock_"), "s.sock");
  const server = await echoServer(path);
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    await conn.write(new Uint8Array(MAX_LINE_BYTES + 4096).fill(0x61));
    const reply = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(reply, /^refused: a line longer than 65536 bytes\n$/);
  } finally {
    await server.close();
  }
});

Deno.test("a client is told whether the socket is absent, refused or silent", async () => {
  const dir = tempDir("sock_");
  assert.equal(await socketCode(ControlClient.connect(join(dir, "none.sock"))), "absent");
  const listener = Deno.listen({ transport: "unix", path: join(dir, "dead.sock") });
  fs.linkSync(join(dir, "dead.sock"), join(dir, "stale.sock"));
  listener.close();
  assert.equal(await socketCode(ControlClient.connect(join(dir, "stale.sock"))), "refused");
  // A server that accepts but never answers.
  const mute = Deno.listen({ transport: "unix", path: join(dir, "mute.sock") });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const c of mute) held.push(c);
  })();
  const client = await ControlClient.connect(join(dir, "mute.sock"), { timeoutMs: 300 });
  assert.equal(await socketCode(client.request("x")), "timeout");
  client.close();
  for (const c of held) c.close();
  mute.close();
});

/** Connect as uid/gid nobody with the given supplementary groups; returns "connected" or the error code. */
async function connectAs(path: string, groups: number[]): Promise<string> {
  const denoDir = tempDir("deno_dir_");
  fs.chmodSync(denoDir, 0o777);
  const code = `try { (await Deno.connect({ transport: "unix", path: ${JSON.stringify(path)} })).close();` +
    ` console.log("connected"); } catch (e) { console.log(e.code); }`;
  const out = await new Deno.Command("setpriv", {
    args: [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      groups.length ? `--groups=${groups.join(",")}` : "--clear-groups",
      Deno.execPath(),
      "eval",
      code,
    ],
    env: { DENO_DIR: denoDir, HOME: denoDir, NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("only root and members of the socket's group may connect", async () => {
  const dir = tempDir("sock_");
  fs.chmodSync(dir, 0o755);
  const path = join(dir, "s.sock");
  const server = await echoServer(path, 4242);
  try {
    assert.equal(await connectAs(path, []), "EACCES", "another user outside the group");
    assert.equal(await connectAs(path, [4242]), "connected", "a member of the group");
  } finally {
    await server.close();
  }
});
