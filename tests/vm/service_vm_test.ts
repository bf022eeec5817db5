// scx_gamer as a service on a real sched_ext kernel, in one VM boot (tools/vm/scenarios/service.sh):
// the unit-equivalent start (packaging/scx_gamer.service's command line and environment, built here
// from the unit and its /etc/default file as systemd builds them) attaches and writes its samples to
// the state directory; `--monitor` from a second process shows live figures; the launch wrapper marks
// a game started by the player and the running scheduler classifies it. Each step judges what the
// scenario recorded under out/.
import assert from "node:assert/strict";
import { join } from "node:path";
import { shellQuote } from "../../tools/vm/layers.ts";
import { runInVm } from "../../tools/vm/vm.ts";
import { tempDir } from "../fixtures/temp.ts";
import { serviceCommand } from "../fixtures/unit_file.ts";

const here = new URL(".", import.meta.url).pathname;
const root = join(here, "..", "..");

function read(dir: string, name: string): string {
  return Deno.readTextFileSync(join(dir, name)).trim();
}

/** The flags a user would put in /etc/default/scx_gamer for this run: stats each second, the group. */
const EDITED_FLAGS = 'SCX_GAMER_FLAGS="--ml-collect --ml-sample-interval 1 --stats 1 --socket-group nogroup"';

/** The script that starts the service as systemd would: state folder, working folder, env, argv. */
function serviceStartScript(): string {
  const unit = Deno.readTextFileSync(join(root, "packaging/scx_gamer.service"));
  const defaults = Deno.readTextFileSync(join(root, "packaging/scx_gamer.default")) + EDITED_FLAGS + "\n";
  const svc = serviceCommand(unit, { "/etc/default/scx_gamer": defaults });
  assert.ok(svc.stateDirectory, "the unit has a StateDirectory");
  // systemd gives a service PATH and its own variables, nothing of whoever started it.
  const env = ["PATH=/usr/local/bin:/usr/bin:/bin", ...Object.entries(svc.env).map(([k, v]) => `${k}=${v}`)];
  return [
    "# Written by tests/vm/service_vm_test.ts: packaging/scx_gamer.service as systemd starts it.",
    `mkdir -p ${shellQuote(svc.stateDirectory!)}`,
    `cd ${shellQuote(svc.cwd)} || exit 200`,
    `exec env -i ${env.map(shellQuote).join(" ")} ${svc.argv.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}

Deno.test("scx_gamer as a service: state directory, --monitor, the launch wrapper", async (t) => {
  const extra = tempDir("service_vm_test_");
  const startScript = join(extra, "service_start.sh");
  Deno.writeTextFileSync(startScript, serviceStartScript());

  const started = performance.now();
  const result = await runInVm(join(here, "../../tools/vm/scenarios/service.sh"), {
    args: ["/opt/extra/service_start.sh"],
    files: {
      "/opt/extra/service_start.sh": startScript,
      "/usr/local/bin/scx_gamer-run": join(root, "packaging/scx_gamer-run"),
    },
    timeoutS: 600,
  });
  const wall = (performance.now() - started) / 1000;
  console.log(
    `VM: ${result.message}; boot ${result.bootSeconds?.toFixed(1)} s, scenario ` +
      `${result.scenarioSeconds?.toFixed(1)} s, wall ${wall.toFixed(1)} s`,
  );
  assert.equal(result.status, 0, `${result.message}\n${result.log.slice(-4000)}`);
  const out = result.outDir!;
  const log = read(out, "service.log");
  const gamePid = Number(read(out, "game.pid"));

  await t.step("the unit-equivalent start attaches, and serves its socket to root and the group", () => {
    assert.equal(read(out, "state_before.txt"), "disabled");
    assert.equal(read(out, "state_during.txt"), "enabled");
    assert.match(log, /^scx_gamer: control socket \/run\/scx_gamer\.sock \(root and group nogroup\)$/m);
    assert.match(log, /^scx_gamer: attached \(stats on, input hook on\)$/m);
    assert.equal(read(out, "socket_perms.txt"), "660 root nogroup");
  });

  await t.step("its log is plain lines: no colour or cursor codes, nothing redrawn", () => {
    assert.ok(!log.includes("\x1b"), "no escape sequences");
    assert.ok(!log.includes("\r"), "no carriage returns");
    const stats = log.split("\n").filter((l) => /^\[\d+\.\ds\] placed /.test(l));
    assert.ok(stats.length >= 3, `only ${stats.length} stats lines`);
  });

  await t.step("the launch wrapper's game is announced, owned by the player, and classified", () => {
    assert.equal(read(out, "game_uid.txt"), "65534", "the game runs as the player, not root");
    assert.equal(read(out, "game_comm.txt"), "game.exe", "the announced pid became the game (exec)");
    assert.equal(read(out, "game.err").split("\n").filter((l) => l.startsWith("scx_gamer")).length, 0);
    assert.match(log, new RegExp(`^scx_gamer: process ${gamePid} announced as the game$`, "m"));
    const line = log.split("\n").filter((l) => /^\[\d+\.\ds\] placed /.test(l))
      .filter((l) => l.includes(`game game (pid ${gamePid})`)).at(-1);
    assert.ok(line, `no stats line with the announced game (pid ${gamePid}) in:\n${log.slice(-2000)}`);
    assert.match(line, /\(pid \d+\): input [1-9]\d* gpu [1-9]\d* audio [1-9]/);
  });

  await t.step(
    "--monitor from a second process, without root, shows live figures of the announced game",
    () => {
      assert.equal(read(out, "monitor.rc"), "0", read(out, "monitor.err"));
      assert.match(
        read(out, "monitor.err"),
        /^scx_gamer --monitor: scheduler pid \d+ \(.+\) at \/run\/scx_gamer\.sock/,
      );
      const records = read(out, "monitor.jsonl").split("\n").map((l) => JSON.parse(l));
      const announced = records.filter((r) => r.game?.source === "announced");
      assert.ok(announced.length >= 5, `${announced.length} records with the announced game`);
      const last = announced.at(-1);
      assert.equal(last.game.tgid, gamePid);
      assert.equal(last.game.name, "game");
      assert.ok(last.threads.input >= 1 && last.threads.gpu_submit >= 1 && last.threads.audio >= 1);
      assert.ok(last.metrics.dispatches_per_sec > 0 && last.metrics.enqueues_per_sec > 0, "live figures");
      assert.ok(last.metrics.latency.select_cpu.count > 0, "callback costs measured");
      assert.ok(records.at(-1).t > records[0].t, "uptime advances line to line");
    },
  );

  await t.step("root announcing its own process is refused, and the command runs anyway", () => {
    assert.equal(read(out, "root_run.rc"), "0");
    assert.equal(read(out, "root_run.out"), "refused-but-ran");
    assert.match(
      read(out, "root_run.err"),
      /^scx_gamer: starting the game without scx_gamer's help: the scheduler refused: set-game: process \d+ belongs to uid 0, not to the player \(uid 65534\)$/,
    );
  });

  await t.step("--self-test loads the embedded object on this kernel, without attaching", () => {
    const selfTest = read(out, "self_test.log");
    assert.equal(read(out, "self_test.rc"), "0", selfTest);
    assert.match(selfTest, /^self-test: BPF load: verified and loaded, not attached: ok$/m);
  });

  await t.step("SIGTERM (systemctl stop) saves the samples into the state directory and detaches", () => {
    assert.equal(read(out, "service.rc"), "0", log.slice(-2000));
    assert.match(log, /detached \(SIGTERM; unregistered\)$/);
    assert.equal(read(out, "state_after.txt"), "disabled");
    assert.equal(read(out, "socket_after.txt"), "removed");
    const files = read(out, "state_files.txt").split("\n");
    const samples = files.find((f) => /^\.\/ml_data\/[^/]+\/game\.json$/.test(f));
    assert.ok(samples, `no ml_data/{cpu}/game.json in the state directory: ${files.join(", ")}`);
    const doc = JSON.parse(Deno.readTextFileSync(join(out, "state", samples)));
    assert.ok(doc.samples.length >= 1, "samples recorded");
    const s = doc.samples.at(-1);
    assert.equal(s.game.source, "announced");
    assert.equal(s.game.tgid, gamePid);
    assert.doesNotMatch(read(out, "dmesg.txt"), /stall|watchdog failed|error/i);
  });
});
