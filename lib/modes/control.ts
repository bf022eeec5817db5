/**
 * The control socket's protocol: newline-delimited JSON, one request object per line answered by one
 * reply object per line (lib/host/control_socket.ts carries the lines). A request may carry an `"id"`
 * (a string or number), echoed in its reply.
 *
 * | request                                          | reply                                              |
 * |--------------------------------------------------|----------------------------------------------------|
 * | `{"cmd":"stats"}`                                | `{"ok":true,"stats":{...}}` ({@link StatsReport})   |
 * | `{"cmd":"apply","flags":["--slice-us","7"]}`     | `{"ok":true,"config":{...}}`: the config that       |
 * |                                                  | command line describes (unset tunables at default)  |
 * | `{"cmd":"apply","config":{"slice_us":7}}`        | `{"ok":true,"config":{...}}`: only the named        |
 * |                                                  | tunables change                                     |
 * | `{"cmd":"load-profile","game":"NAME"}`           | `{"ok":true,"game","config"}`: the game's profile applied |
 * | `{"cmd":"set-game","pid":4242}`                  | `{"ok":true,"pid":4242,"game":{...}\|null}`         |
 * | anything else                                    | `{"ok":false,"error":"one line"}`                   |
 *
 * `set-game` takes the process tree rooted at pid as the game (the launch wrapper sends its own pid
 * and then execs the game); the process must belong to the player (the sudo user, or a user at a
 * seat), and `game` in the reply is null until a process of the tree looks like a game.
 *
 * Stats are cumulative: `stats.snapshot` holds the scheduler's counters and latency histograms since
 * it attached (64-bit values as decimal strings), so a client takes two and diffs them
 * ({@link decodeSnapshot} then lib/sched/stats.ts's metricsBetween), as `--monitor` does.
 *
 * Requests reach the running session through an {@link Inbox}: posting wakes its loop, which runs the
 * command ({@link executeCommand}) against the session ({@link ControlTarget}) and answers.
 *
 * @module
 */

import { type SchedConfig, TUNABLES, validateConfig } from "../config.ts";
import { UsageError } from "../cli/engine.ts";
import { parseConfigFlags } from "../cli/modes.ts";
import { printable } from "../host/terminal.ts";
import { safeJson } from "../host/safe_json.ts";
import { type HostRoots, processUid } from "../host/users.ts";
import { COUNTER_FIELDS, type CounterName, HIST_BUCKETS } from "../sched/intf.ts";
import type { HistSnapshot, StatsSnapshot } from "../sched/stats.ts";
import { type GameInfo, HOT_PATHS, type HotPath, type ThreadCounts } from "../types.ts";
import { type Inbox, InboxClosedError } from "./inbox.ts";

/** A request, checked. */
export type ControlCommand =
  | { cmd: "stats" }
  | { cmd: "apply"; config: SchedConfig }
  | { cmd: "apply"; changes: Partial<SchedConfig> }
  | { cmd: "load-profile"; game: string }
  | { cmd: "set-game"; pid: number };

/** The command names, for messages. */
export const COMMANDS = ["stats", "apply", "load-profile", "set-game"] as const;

/** A reply body (the `id` is added by the handler). */
export type ControlReply = { ok: true; [key: string]: unknown } | { ok: false; error: string };

/** A cumulative snapshot on the wire: 64-bit values as decimal strings. */
export interface SnapshotJson {
  at_ms: number;
  counters: Record<string, string>;
  hists: Record<string, { buckets: string[]; sum_ns: string; count: string }>;
  cpu: { busy: string; total: string };
}

/** What `stats` answers: the running scheduler's state and its cumulative figures. */
export interface StatsReport {
  pid: number;
  version: string;
  /** Seconds since the scheduler attached. */
  uptime_s: number;
  config: SchedConfig;
  game: GameInfo | null;
  threads: ThreadCounts | null;
  /** Root pid of the announced game's process tree while it lives. */
  announced: number | null;
  /** Samples saved to disk so far (durable), or null when not collecting. */
  samples: number | null;
  /** A mode's own status (a sweep's position), or null. */
  status: string | null;
  snapshot: SnapshotJson;
}

/** A request that cannot be answered; `message` is the one-line error of the reply. */
export class ControlError extends Error {
  override name = "ControlError";
}

/** The session as commands see it (lib/modes/session.ts implements it). */
export interface ControlTarget {
  /** The state for `stats`. */
  report(): StatsReport;
  /** The config running now. */
  config(): SchedConfig;
  /** Apply a config live; throws {@link ControlError} when the mode does not allow it (a sweep). */
  apply(config: SchedConfig): void;
  /** Take the tree rooted at pid as the game now; returns the game chosen in it (null: none yet). */
  setGame(pid: number): GameInfo | null;
  /** Load a game's profile (the config to apply), or null while profiles are not supported. */
  loadProfile: ((game: string) => SchedConfig) | null;
}

type Id = string | number | null;

/** A parsed request line: the id to echo, and the command or why it is refused. */
export type ParsedRequest = { id: Id; command: ControlCommand } | { id: Id; error: string };

const TUNABLE_BY_KEY = new Map(TUNABLES.map((t) => [t.key as string, t]));

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value from a request, for an error message: as JSON, escaped, cut short. */
function shown(v: unknown): string {
  return v === undefined ? "nothing" : printable(safeJson(v)).slice(0, 80);
}

/** Check an object of tunable changes against the tunables table. */
function parseChanges(config: unknown): Partial<SchedConfig> {
  if (!isRecord(config)) throw new ControlError(`apply: "config" must be an object of tunables`);
  const changes: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(config)) {
    const t = TUNABLE_BY_KEY.get(key);
    if (!t) {
      throw new ControlError(
        `apply: unknown tunable ${shown(key)}: expected one of ${TUNABLES.map((t) => t.key).join(", ")}`,
      );
    }
    if (t.kind === "switch") {
      if (typeof value !== "boolean") {
        throw new ControlError(`apply: ${key} must be true or false, got ${shown(value)}`);
      }
    } else if (typeof value !== "number" || !Number.isInteger(value)) {
      throw new ControlError(`apply: ${key} must be a whole number, got ${shown(value)}`);
    } else if (value < t.min || value > t.max) {
      throw new ControlError(`apply: ${key} ${value} is out of range: expected ${t.min}..${t.max} ${t.unit}`);
    }
    changes[key] = value as number | boolean;
  }
  if (Object.keys(changes).length === 0) throw new ControlError(`apply: "config" names no tunable`);
  return changes as Partial<SchedConfig>;
}

function parseCommand(req: Record<string, unknown>): ControlCommand {
  const known = (keys: string[]) => {
    for (const k of Object.keys(req)) {
      if (k !== "cmd" && k !== "id" && !keys.includes(k)) {
        throw new ControlError(`${String(req.cmd)}: unexpected field ${shown(k)}`);
      }
    }
  };
  switch (req.cmd) {
    case "stats":
      known([]);
      return { cmd: "stats" };
    case "apply": {
      known(["flags", "config"]);
      if ((req.flags === undefined) === (req.config === undefined)) {
        throw new ControlError(
          `apply: give either "flags" (a list of tunable flags) or "config" (an object)`,
        );
      }
      if (req.config !== undefined) return { cmd: "apply", changes: parseChanges(req.config) };
      if (!Array.isArray(req.flags) || !req.flags.every((f) => typeof f === "string")) {
        throw new ControlError(`apply: "flags" must be a list of strings, e.g. ["--slice-us", "7"]`);
      }
      try {
        return { cmd: "apply", config: parseConfigFlags(req.flags as string[]) };
      } catch (e) {
        if (e instanceof UsageError) throw new ControlError(`apply: ${printable(e.message)}`);
        throw e;
      }
    }
    case "load-profile":
      known(["game"]);
      if (typeof req.game !== "string" || req.game === "") {
        throw new ControlError(`load-profile: "game" must be a game's name`);
      }
      return { cmd: "load-profile", game: req.game };
    case "set-game":
      known(["pid"]);
      if (typeof req.pid !== "number" || !Number.isInteger(req.pid) || req.pid < 1 || req.pid > 4_194_304) {
        throw new ControlError(`set-game: "pid" must be a process id (1..4194304), got ${shown(req.pid)}`);
      }
      return { cmd: "set-game", pid: req.pid };
    default:
      throw new ControlError(`unknown command ${shown(req.cmd)}: expected one of ${COMMANDS.join(", ")}`);
  }
}

/**
 * Parse and check one request line.
 *
 * @example
 * ```ts
 * parseRequest('{"id":1,"cmd":"set-game","pid":4242}'); // { id: 1, command: { cmd: "set-game", pid: 4242 } }
 * parseRequest('{"cmd":"fly"}'); // { id: null, error: "unknown command \"fly\": expected one of ..." }
 * ```
 */
export function parseRequest(line: string): ParsedRequest {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    return { id: null, error: 'not JSON: expected one object per line, e.g. {"cmd":"stats"}' };
  }
  if (!isRecord(req)) return { id: null, error: 'expected a JSON object, e.g. {"cmd":"stats"}' };
  const id = typeof req.id === "string" || typeof req.id === "number" ? req.id : null;
  if (req.id !== undefined && id === null) return { id: null, error: `"id" must be a string or a number` };
  try {
    return { id, command: parseCommand(req) };
  } catch (e) {
    if (e instanceof ControlError) return { id, error: e.message };
    throw e;
  }
}

/** Why a process may not be announced as the game, or null when it may. */
export function refuseAnnouncement(
  pid: number,
  options: { allowedUids: ReadonlySet<number>; roots?: HostRoots },
): string | null {
  const uid = processUid(pid, options.roots);
  if (uid === null) return `set-game: no process ${pid}`;
  if (options.allowedUids.has(uid)) return null;
  const allowed = [...options.allowedUids].sort((a, b) => a - b);
  return `set-game: process ${pid} belongs to uid ${uid}, not to the player (${
    allowed.length ? `uid ${allowed.join(", ")}` : "none known: run scx_gamer with sudo, or log in at a seat"
  })`;
}

/** Run one checked command against the session. Never throws: a failure is an error reply. */
export function executeCommand(command: ControlCommand, target: ControlTarget): ControlReply {
  try {
    switch (command.cmd) {
      case "stats":
        return { ok: true, stats: target.report() };
      case "apply": {
        const config = "config" in command ? command.config : { ...target.config(), ...command.changes };
        const problems = validateConfig(config);
        if (problems.length > 0) return { ok: false, error: `apply: ${problems[0]}` };
        target.apply(config);
        return { ok: true, config: target.config() };
      }
      case "load-profile": {
        if (target.loadProfile === null) {
          return {
            ok: false,
            error: "load-profile: not available here (the running mode sets its own configs)",
          };
        }
        const config = target.loadProfile(command.game);
        target.apply(config);
        return { ok: true, game: command.game, config: target.config() };
      }
      case "set-game":
        return { ok: true, pid: command.pid, game: target.setGame(command.pid) };
    }
  } catch (e) {
    if (e instanceof ControlError) return { ok: false, error: e.message };
    return { ok: false, error: `${command.cmd}: ${printable(e instanceof Error ? e.message : String(e))}` };
  }
}

/** Options of {@link controlHandler}. */
export interface HandlerOptions {
  /** The session's inbox. */
  inbox: Inbox<ControlCommand, ControlReply>;
  /** Whose processes may be announced (asked at each announcement: users log in and out). */
  allowedUids: () => ReadonlySet<number>;
  roots?: HostRoots;
}

/** One reply line: the body with the request's id, as terminal-safe JSON. */
export function replyLine(id: Id, reply: ControlReply): string {
  return safeJson(id === null ? reply : { id, ...reply });
}

/**
 * The socket's line handler: parse, check an announcement's owner, hand the command to the session
 * through its inbox, and answer with what the session replied.
 */
export function controlHandler(options: HandlerOptions): (line: string) => Promise<string> {
  return async (line) => {
    const parsed = parseRequest(line);
    if ("error" in parsed) return replyLine(parsed.id, { ok: false, error: parsed.error });
    if (parsed.command.cmd === "set-game") {
      const refusal = refuseAnnouncement(parsed.command.pid, {
        allowedUids: options.allowedUids(),
        roots: options.roots,
      });
      if (refusal !== null) return replyLine(parsed.id, { ok: false, error: refusal });
    }
    try {
      return replyLine(parsed.id, await options.inbox.post(parsed.command));
    } catch (e) {
      if (e instanceof InboxClosedError) {
        return replyLine(parsed.id, { ok: false, error: `the scheduler is stopping (${e.message})` });
      }
      throw e;
    }
  };
}

/** A snapshot for the wire. */
export function encodeSnapshot(s: StatsSnapshot): SnapshotJson {
  return {
    at_ms: s.at_ms,
    counters: Object.fromEntries(COUNTER_FIELDS.map((f) => [f, String(s.counters[f])])),
    hists: Object.fromEntries(HOT_PATHS.map((p) => {
      const h = s.hists[p];
      return [p, { buckets: h.buckets.map(String), sum_ns: String(h.sum_ns), count: String(h.count) }];
    })),
    cpu: { busy: String(s.cpu.busy), total: String(s.cpu.total) },
  };
}

function big(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^\d{1,20}$/.test(v)) {
    throw new ControlError(`stats reply: ${what} is not a count`);
  }
  return BigInt(v);
}

/**
 * A snapshot from the wire, checked field by field.
 *
 * @throws {ControlError} naming the first field that is missing or not a count.
 */
export function decodeSnapshot(v: unknown): StatsSnapshot {
  if (
    !isRecord(v) || typeof v.at_ms !== "number" || !isRecord(v.counters) || !isRecord(v.hists) ||
    !isRecord(v.cpu)
  ) {
    throw new ControlError("stats reply: snapshot is missing or malformed");
  }
  const counters = {} as Record<CounterName, bigint>;
  for (const f of COUNTER_FIELDS) counters[f] = big(v.counters[f], `counter ${f}`);
  const hists = {} as Record<HotPath, HistSnapshot>;
  for (const p of HOT_PATHS) {
    const h = v.hists[p];
    if (!isRecord(h) || !Array.isArray(h.buckets) || h.buckets.length !== HIST_BUCKETS) {
      throw new ControlError(`stats reply: histogram ${p} is malformed`);
    }
    hists[p] = {
      buckets: h.buckets.map((b, i) => big(b, `${p} bucket ${i}`)),
      sum_ns: big(h.sum_ns, `${p} sum`),
      count: big(h.count, `${p} count`),
    };
  }
  return {
    at_ms: v.at_ms,
    counters,
    hists,
    cpu: { busy: big(v.cpu.busy, "cpu busy"), total: big(v.cpu.total, "cpu total") },
  };
}

/**
 * The body of a reply line: its fields when `ok`.
 *
 * @throws {ControlError} with the server's error (escaped), or when the line is not a reply.
 */
export function decodeReply(line: string): Record<string, unknown> {
  let reply: unknown;
  try {
    reply = JSON.parse(line);
  } catch {
    throw new ControlError("the scheduler's reply is not JSON");
  }
  if (!isRecord(reply) || typeof reply.ok !== "boolean") {
    throw new ControlError('the scheduler\'s reply has no "ok"');
  }
  if (!reply.ok) throw new ControlError(printable(typeof reply.error === "string" ? reply.error : "refused"));
  return reply;
}

/**
 * The `stats` reply's report, checked where a client relies on it (the snapshot decodes; the game,
 * threads and config are passed through as the server sent them).
 *
 * @throws {ControlError} when the reply is an error or malformed.
 */
export function decodeStatsReply(line: string): { report: StatsReport; snapshot: StatsSnapshot } {
  const body = decodeReply(line);
  const report = body.stats;
  if (!isRecord(report) || typeof report.uptime_s !== "number" || typeof report.pid !== "number") {
    throw new ControlError("stats reply: no stats");
  }
  return { report: report as unknown as StatsReport, snapshot: decodeSnapshot(report.snapshot) };
}
