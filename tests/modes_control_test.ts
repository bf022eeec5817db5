import assert from "node:assert/strict";
import { join } from "node:path";
import { defaultConfig, type SchedConfig } from "../lib/config.ts";
import {
  type ControlCommand,
  controlHandler,
  type ControlReply,
  type ControlTarget,
  decodeReply,
  decodeSnapshot,
  decodeStatsReply,
  encodeSnapshot,
  executeCommand,
  parseRequest,
  refuseAnnouncement,
  type StatsReport,
} from "../lib/modes/control.ts";
import { Inbox } from "../lib/modes/inbox.ts";
import { zeroSnapshot } from "../lib/sched/stats.ts";
import { tempDir } from "./fixtures/temp.ts";

function command(line: string): ControlCommand {
  const r = parseRequest(line);
  assert.ok("command" in r, "error" in r ? r.error : "");
  return r.command;
}

function refusal(line: string): string {
  const r = parseRequest(line);
  assert.ok("error" in r, `expected a refusal of ${line}`);
  assert.ok(!r.error.includes("\n"), "one line");
  return r.error;
}

Deno.test("requests parse into checked commands, with the id kept", () => {
  assert.deepEqual(parseRequest('{"id":7,"cmd":"stats"}'), { id: 7, command: { cmd: "stats" } });
  assert.deepEqual(command('{"cmd":"set-game","pid":4242}'), { cmd: "set-game", pid: 4242 });
  assert.deepEqual(command('{"cmd":"load-profile","game":"game.exe"}'), {
    cmd: "load-profile",
    game: "game.exe",
  });
  assert.deepEqual(command('{"cmd":"apply","config":{"slice_us":7,"avoid_smt":true}}'), {
    cmd: "apply",
    changes: { slice_us: 7, avoid_smt: true },
  });
  const fromFlags = command('{"cmd":"apply","flags":["--slice-us","7"]}');
  assert.deepEqual(fromFlags, { cmd: "apply", config: { ...defaultConfig(), slice_us: 7 } });
});

Deno.test("bad requests are refused with one line naming what was expected", () => {
  assert.match(refusal("stats"), /^not JSON/);
  assert.match(refusal("[1]"), /expected a JSON object/);
  assert.match(
    refusal('{"cmd":"fly"}'),
    /^unknown command "fly": expected one of stats, apply, load-profile, set-game/,
  );
  assert.match(refusal('{"cmd":"stats","extra":1}'), /unexpected field "extra"/);
  assert.match(refusal('{"cmd":"set-game","pid":-1}'), /"pid" must be a process id/);
  assert.match(refusal('{"cmd":"set-game","pid":"12"}'), /"pid" must be a process id/);
  assert.match(refusal('{"cmd":"apply"}'), /either "flags".*or "config"/);
  assert.match(
    refusal('{"cmd":"apply","config":{"slice_us":0}}'),
    /slice_us 0 is out of range: expected 1\.\.100000 us/,
  );
  assert.match(refusal('{"cmd":"apply","config":{"slice_us":1.5}}'), /slice_us must be a whole number/);
  assert.match(refusal('{"cmd":"apply","config":{"avoid_smt":1}}'), /avoid_smt must be true or false/);
  assert.match(
    refusal('{"cmd":"apply","config":{"turbo":1}}'),
    /unknown tunable "turbo": expected one of slice_us/,
  );
  assert.match(refusal('{"cmd":"apply","flags":["--slice-us","0"]}'), /^apply: --slice-us 0 is out of range/);
  assert.match(refusal('{"cmd":"apply","flags":["--stats","1"]}'), /^apply: unknown flag --stats/);
  assert.match(refusal('{"cmd":"load-profile","game":""}'), /"game" must be a game's name/);
  assert.match(refusal('{"id":{},"cmd":"stats"}'), /"id" must be a string or a number/);
});

Deno.test("a refusal quoting the request escapes terminal controls", () => {
  const e = refusal('{"cmd":"\\u001b]0;owned\\u0007\\u009b2J"}');
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\x00-\x1f\x7f-\x9f]/.test(e), e);
});

function fakeTarget(over: Partial<ControlTarget> = {}) {
  let config: SchedConfig = defaultConfig();
  const applied: SchedConfig[] = [];
  const target: ControlTarget = {
    report: () => ({ uptime_s: 1 } as StatsReport),
    config: () => config,
    apply: (c) => {
      applied.push(c);
      config = c;
    },
    setGame: () => null,
    loadProfile: null,
    ...over,
  };
  return { target, applied };
}

Deno.test("apply with an object changes only the named tunables; with flags it is that command line", () => {
  const { target, applied } = fakeTarget();
  target.apply({ ...defaultConfig(), mig_max: 9 });
  const r1 = executeCommand({ cmd: "apply", changes: { slice_us: 7 } }, target);
  assert.equal(r1.ok, true);
  assert.deepEqual([applied[1].slice_us, applied[1].mig_max], [7, 9]);
  executeCommand(command('{"cmd":"apply","flags":["--slice-us","8"]}'), target);
  assert.deepEqual([applied[2].slice_us, applied[2].mig_max], [8, defaultConfig().mig_max]);
});

Deno.test("load-profile answers that profiles are not supported yet, and applies nothing", () => {
  const { target, applied } = fakeTarget();
  const r = executeCommand({ cmd: "load-profile", game: "game.exe" }, target);
  assert.deepEqual(r, {
    ok: false,
    error: "load-profile: not available here (the running mode sets its own configs)",
  });
  assert.equal(applied.length, 0);
});

Deno.test("load-profile applies the profile's config once a loader is wired in", () => {
  const { target, applied } = fakeTarget({ loadProfile: () => ({ ...defaultConfig(), slice_us: 42 }) });
  const r = executeCommand({ cmd: "load-profile", game: "game.exe" }, target);
  assert.equal(r.ok, true);
  assert.equal(applied[0].slice_us, 42);
});

Deno.test("a failing command is an error reply, never an exception", () => {
  const { target } = fakeTarget({
    setGame: () => {
      throw new Error("boom\x1b[2J");
    },
  });
  const r = executeCommand({ cmd: "set-game", pid: 1 }, target);
  assert.deepEqual(r, { ok: false, error: "set-game: boom\\x1b[2J" });
});

function fakeProcStatus(uids: Record<number, number>): string {
  const root = tempDir("control_proc_");
  for (const [pid, uid] of Object.entries(uids)) {
    Deno.mkdirSync(join(root, pid));
    Deno.writeTextFileSync(join(root, pid, "status"), `Name:\tx\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
  }
  return root;
}

Deno.test("only the player's processes may be announced as the game", () => {
  const proc = fakeProcStatus({ 100: 1000, 200: 1001, 300: 0 });
  const allowed = new Set([1000]);
  assert.equal(refuseAnnouncement(100, { allowedUids: allowed, roots: { proc } }), null);
  assert.match(
    refuseAnnouncement(200, { allowedUids: allowed, roots: { proc } })!,
    /^set-game: process 200 belongs to uid 1001, not to the player \(uid 1000\)$/,
  );
  assert.match(
    refuseAnnouncement(300, { allowedUids: allowed, roots: { proc } })!,
    /uid 0, not to the player/,
  );
  assert.match(
    refuseAnnouncement(999, { allowedUids: allowed, roots: { proc } })!,
    /^set-game: no process 999$/,
  );
  assert.match(
    refuseAnnouncement(100, { allowedUids: new Set(), roots: { proc } })!,
    /none known: run scx_gamer with sudo, or log in at a seat/,
  );
});

Deno.test("the handler checks the owner before the session sees an announcement, and echoes ids", async () => {
  const proc = fakeProcStatus({ 100: 1000, 200: 1001 });
  const inbox = new Inbox<ControlCommand, ControlReply>();
  const handle = controlHandler({ inbox, allowedUids: () => new Set([1000]), roots: { proc } });
  const refused = JSON.parse(await handle('{"id":"a","cmd":"set-game","pid":200}'));
  assert.deepEqual([refused.id, refused.ok], ["a", false]);
  assert.equal(inbox.size, 0, "nothing reached the session");
  const pending = handle('{"id":"b","cmd":"set-game","pid":100}');
  assert.equal(inbox.size, 1);
  for (const m of inbox.take()) m.reply({ ok: true, pid: 100, game: null });
  assert.deepEqual(JSON.parse(await pending), { id: "b", ok: true, pid: 100, game: null });
  inbox.close("duration");
  assert.deepEqual(JSON.parse(await handle('{"cmd":"stats"}')), {
    ok: false,
    error: "the scheduler is stopping (duration)",
  });
});

Deno.test("a snapshot crosses the wire exactly, 64-bit counters included", () => {
  const s = zeroSnapshot(1234.5);
  s.counters.enqueues = 0xffff_ffff_ffff_fff0n; // beyond a double's exact range
  s.hists.dispatch.buckets[3] = 77n;
  s.cpu = { busy: 5n, total: 9n };
  const wire = JSON.parse(JSON.stringify(encodeSnapshot(s)));
  assert.deepEqual(decodeSnapshot(wire), s);
  wire.counters.enqueues = "-1";
  assert.throws(() => decodeSnapshot(wire), /counter enqueues is not a count/);
});

Deno.test("replies decode: an error reply becomes a ControlError with the server's escaped line", () => {
  assert.deepEqual(decodeReply('{"ok":true,"x":1}'), { ok: true, x: 1 });
  assert.throws(() => decodeReply('{"ok":false,"error":"no\\u001b"}'), /^ControlError: no\\x1b$/);
  assert.throws(() => decodeReply("<html>"), /not JSON/);
  assert.throws(() => decodeStatsReply('{"ok":true}'), /no stats/);
});
