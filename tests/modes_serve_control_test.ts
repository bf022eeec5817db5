import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { UsageError } from "../lib/cli/engine.ts";
import { ControlClient } from "../lib/host/control_socket.ts";
import type { ControlCommand, ControlReply } from "../lib/modes/control.ts";
import { Inbox } from "../lib/modes/inbox.ts";
import { serveControl, socketGid } from "../lib/modes/serve_control.ts";
import { tempDir } from "./fixtures/temp.ts";

function roots() {
  const etc = tempDir("etc_");
  Deno.writeTextFileSync(join(etc, "group"), "root:x:0:\ngames:x:60:alice\n");
  return { etc };
}
const env = (vars: Record<string, string>) => ({ get: (k: string) => vars[k] });

Deno.test("the socket's group: --socket-group by name or number, else the sudo user's group, else none", () => {
  const r = roots();
  assert.equal(socketGid({ socketGroup: "games" }, env({ SUDO_GID: "1000" }), r), 60);
  assert.equal(socketGid({ socketGroup: "4242" }, env({}), r), 4242);
  assert.equal(socketGid({ socketGroup: null }, env({ SUDO_GID: "1000" }), r), 1000);
  assert.equal(socketGid({ socketGroup: null }, env({}), r), null);
});

Deno.test("an unknown --socket-group is a usage error naming the flag", () => {
  assert.throws(
    () => socketGid({ socketGroup: "nosuch" }, env({}), roots()),
    (e) =>
      e instanceof UsageError &&
      e.message === "--socket-group 'nosuch': no such group in /etc/group (give a group name or number)",
  );
});

Deno.test("serving says where and for whom, and hands commands to the inbox", async () => {
  const path = join(tempDir("serve_"), "s.sock");
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const lines: string[] = [];
  const server = await serveControl({ socket: path, socketGroup: "games" }, {
    inbox,
    log: (l) => lines.push(l),
    env: env({}),
    roots: roots(),
  });
  try {
    assert.deepEqual(lines, [`scx_gamer: control socket ${path} (root and group games)`]);
    assert.equal(fs.lstatSync(path).gid, 60);
    const client = await ControlClient.connect(path);
    const reply = client.request('{"id":1,"cmd":"stats"}');
    while (inbox.size === 0) await new Promise((r) => setTimeout(r, 5));
    for (const m of inbox.take()) m.reply({ ok: true, answered: m.message.cmd });
    assert.deepEqual(JSON.parse(await reply), { id: 1, ok: true, answered: "stats" });
    client.close();
  } finally {
    await server.close();
  }
});
