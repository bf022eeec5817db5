/**
 * Serving the control socket for a mode that attaches the scheduler (run, sweep): who may connect
 * (`--socket-group`, by default the sudo user's group, else root only), whose processes may be
 * announced as the game (the player: lib/host/users.ts), and the socket itself, handing every
 * command to the session's inbox.
 *
 * @module
 */

import { UsageError } from "../cli/engine.ts";
import type { EnvReader, SocketOptions } from "../cli/modes.ts";
import { ControlServer } from "../host/control_socket.ts";
import { printable } from "../host/terminal.ts";
import { groupId, groupName, type HostRoots, playerUids } from "../host/users.ts";
import { type ControlCommand, controlHandler, type ControlReply, replyLine } from "./control.ts";
import type { Inbox } from "./inbox.ts";

/**
 * The group that may use the socket: `--socket-group` (a name or a number), else the sudo user's
 * group (SUDO_GID), else null (root only).
 *
 * @throws {UsageError} naming `--socket-group` when the group does not exist.
 */
export function socketGid(
  options: Pick<SocketOptions, "socketGroup">,
  env: EnvReader = Deno.env,
  roots: HostRoots = {},
): number | null {
  if (options.socketGroup !== null) {
    const gid = groupId(options.socketGroup, roots);
    if (gid === null) {
      throw new UsageError(
        `--socket-group '${
          printable(options.socketGroup)
        }': no such group in /etc/group (give a group name or number)`,
      );
    }
    return gid;
  }
  const sudoGid = env.get("SUDO_GID");
  return sudoGid !== undefined && /^\d{1,10}$/.test(sudoGid) ? Number(sudoGid) : null;
}

/** Options of {@link serveControl}. */
export interface ServeOptions {
  inbox: Inbox<ControlCommand, ControlReply>;
  /** Where messages go. */
  log: (line: string) => void;
  env?: EnvReader;
  roots?: HostRoots;
}

/**
 * Serve the control socket at `socket.socket`, saying where and for whom in one line.
 *
 * @throws {UsageError} for an unknown `--socket-group`.
 * @throws {ControlSocketError} when the socket cannot be served (in use, not a socket, no folder).
 */
export async function serveControl(socket: SocketOptions, options: ServeOptions): Promise<ControlServer> {
  const env = options.env ?? Deno.env;
  const gid = socketGid(socket, env, options.roots);
  const server = await ControlServer.open({
    path: socket.socket,
    gid,
    handle: controlHandler({
      inbox: options.inbox,
      allowedUids: () => playerUids(env, options.roots),
      roots: options.roots,
    }),
    refuse: (why) => replyLine(null, { ok: false, error: why }),
  });
  const who = gid === null || gid === 0
    ? "root only"
    : `root and group ${printable(groupName(gid, options.roots) ?? String(gid))}`;
  options.log(`scx_gamer: control socket ${printable(socket.socket)} (${who})`);
  return server;
}
