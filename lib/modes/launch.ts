/**
 * `scx_gamer run -- CMD [ARGS...]` (and the `scx_gamer-run` wrapper, for launch options such as
 * Steam's `scx_gamer-run %command%`): tell the running scheduler, through its control socket and
 * without root, that this process is the game, then become CMD (exec), so the announced pid is the
 * game's root process and everything CMD starts is in the announced tree.
 *
 * A launch option must never keep a game from starting: when no scheduler runs, the socket is out of
 * reach or the scheduler refuses, one line on stderr says so and CMD runs all the same. Only CMD
 * itself failing to start is an error (127: not found, 126: not runnable, as shells report it).
 *
 * @module
 */

import type { LaunchCommand } from "../cli/modes.ts";
import { ControlClient, ControlSocketError } from "../host/control_socket.ts";
import { ExecError, execReplace } from "../host/exec.ts";
import { printable } from "../host/terminal.ts";
import { ControlError, decodeReply } from "./control.ts";
import { explainSocketError } from "./monitor.ts";

/** Most milliseconds the announcement may delay the game. */
export const ANNOUNCE_TIMEOUT_MS = 2000;

/** Options of {@link launchMode} (tests replace the exec). */
export interface LaunchOptions {
  /** Replace this process with the command. Default {@link execReplace}. */
  exec?: (argv: readonly string[]) => never;
  /** The pid announced. Default this process's. */
  pid?: number;
  /** Where messages go. Default stderr (stdout belongs to the game). */
  message?: (line: string) => void;
}

/**
 * Announce `pid` as the game to the scheduler at `socket`. Returns null when it was taken, else the
 * one line saying why not (for the user; the game starts regardless).
 */
export async function announce(socket: string, pid: number): Promise<string | null> {
  let client: ControlClient | null = null;
  try {
    client = await ControlClient.connect(socket, { timeoutMs: ANNOUNCE_TIMEOUT_MS });
    decodeReply(await client.request(JSON.stringify({ cmd: "set-game", pid })));
    return null;
  } catch (e) {
    if (e instanceof ControlSocketError) return explainSocketError(e, socket);
    if (e instanceof ControlError) return `the scheduler refused: ${e.message}`;
    return printable(e instanceof Error ? e.message : String(e));
  } finally {
    client?.close();
  }
}

/** Announce, then exec the command; returns only when the command cannot be started. */
export async function launchMode(cmd: LaunchCommand, options: LaunchOptions = {}): Promise<number> {
  const message = options.message ?? ((l: string) => console.error(l));
  const pid = options.pid ?? Deno.pid;
  const refused = await announce(cmd.socket, pid);
  if (refused !== null) message(`scx_gamer: starting the game without scx_gamer's help: ${refused}`);
  else if (cmd.verbose) message(`scx_gamer: pid ${pid} is the game; running ${printable(cmd.command[0])}`);
  try {
    return (options.exec ?? execReplace)(cmd.command);
  } catch (e) {
    if (e instanceof ExecError) {
      message(`scx_gamer run: cannot run ${printable(e.message)}`);
      return e.errno === 2 ? 127 : 126;
    }
    throw e;
  }
}
