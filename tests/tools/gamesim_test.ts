import assert from "node:assert/strict";
import * as path from "node:path";

// gamesim is the VM's game-shaped workload (tools/gamesim.c); built here as the VM harness builds it.
const SOURCE = path.join(import.meta.dirname!, "../../tools/gamesim.c");

/** One build for every test of this file, in its own temp folder (removed on unload). */
let built: string | null = null;
function build(): string {
  if (built !== null) return built;
  const dir = Deno.makeTempDirSync({ prefix: "gamesim-build-" });
  addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const binary = path.join(dir, "gamesim");
  const out = new Deno.Command("gcc", {
    args: ["-O2", "-static", "-pthread", "-Wall", "-Wextra", "-Werror", "-o", binary, SOURCE],
    stderr: "piped",
  }).outputSync();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  built = binary;
  return binary;
}

interface RoleReport {
  wakeups: number;
  lat_p50_us: number | null;
  lat_p99_us: number | null;
  runq_wakeups: number;
  runq_p50_us: number | null;
  frames?: number;
  steady?: {
    after_s: number;
    wakeups: number;
    lat_p99_us: number | null;
    frames?: number;
    missed_share?: number;
  };
}

function run(
  binary: string,
  dir: string,
  args: string[],
): { code: number; stderr: string; roles?: Record<string, RoleReport> } {
  const json = path.join(dir, "report.json");
  const out = new Deno.Command(binary, { args: [...args, "--json", json], stdout: "null", stderr: "piped" })
    .outputSync();
  const stderr = new TextDecoder().decode(out.stderr);
  if (out.code !== 0) return { code: out.code, stderr };
  return { code: 0, stderr, roles: JSON.parse(Deno.readTextFileSync(json)).roles };
}

Deno.test("gamesim --steady-after reports each role over the steady part of the run only", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gamesim-test-" });
  try {
    const binary = build();
    const plain = run(binary, dir, ["--duration", "2", "--fps", "60", "--input-hz", "100"]);
    assert.equal(plain.code, 0, plain.stderr);
    for (const role of Object.values(plain.roles!)) assert.equal(role.steady, undefined);

    const split = run(binary, dir, [
      "--duration",
      "2",
      "--fps",
      "60",
      "--input-hz",
      "100",
      "--steady-after",
      "1",
    ]);
    assert.equal(split.code, 0, split.stderr);
    for (const [name, role] of Object.entries(split.roles!)) {
      const steady = role.steady!;
      assert.equal(steady.after_s, 1, name);
      // Half the run is steady: about half the wake-ups (periodic threads keep their schedule).
      assert.ok(
        steady.wakeups > 0 && steady.wakeups < role.wakeups,
        `${name}: ${steady.wakeups} of ${role.wakeups}`,
      );
      assert.ok(
        Math.abs(steady.wakeups / role.wakeups - 0.5) < 0.15,
        `${name}: ${steady.wakeups} of ${role.wakeups}`,
      );
    }
    const render = split.roles!.render;
    assert.ok(render.steady!.frames! > 40 && render.steady!.frames! < render.frames!, JSON.stringify(render));
    assert.equal(typeof render.steady!.missed_share, "number");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("gamesim reports the time each wake-up waited runnable, from the kernel's run_delay", () => {
  // Three job workers of 4 ms pinned to one CPU with the render thread: woken together each frame, they run
  // one after another, so the median worker waits a scheduler slice or more, every wait inside its
  // wake-up latency (from the post to its start). Reading the wrong schedstat field (its run time, which
  // does not grow while it sleeps) or at the wrong points would break one bound or the other.
  const dir = Deno.makeTempDirSync({ prefix: "gamesim-test-" });
  try {
    const json = path.join(dir, "report.json");
    const args = [
      "--duration",
      "2",
      "--fps",
      "30",
      "--workers",
      "3",
      "--job-us",
      "4000",
      "--frame-work-us",
      "1000",
    ];
    const out = new Deno.Command("taskset", {
      args: ["-c", "0", build(), ...args, "--input-hz", "100", "--json", json],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const roles: Record<string, RoleReport> = JSON.parse(Deno.readTextFileSync(json)).roles;
    for (const [name, role] of Object.entries(roles)) assert.equal(role.runq_wakeups, role.wakeups, name);
    const w = roles.worker;
    assert.ok(w.runq_p50_us! >= 500, JSON.stringify(w));
    assert.ok(w.runq_p50_us! <= w.lat_p50_us! + 100, JSON.stringify(w));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("gamesim refuses a bad --steady-after with one line naming the flag", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gamesim-test-" });
  try {
    const binary = build();
    for (const bad of ["x", "-1", "1s"]) {
      const r = run(binary, dir, ["--duration", "1", "--steady-after", bad]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.match(r.stderr, new RegExp(`--steady-after '${bad}': expected seconds`));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("gamesim --encoders: background processes that work 4 ms in every 6 ms slot and sleep the rest", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gamesim-test-" });
  try {
    const binary = build();
    const json = path.join(dir, "report.json");
    const out = new Deno.Command(binary, {
      args: ["--background-only", "--duration", "2", "--encoders", "1", "--json", json],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const report = JSON.parse(Deno.readTextFileSync(json));
    assert.equal(report.config.encoders, 1);
    assert.deepEqual(report.background.hogs.map((h: { name: string }) => h.name), ["bg-encode"]);
    assert.ok(report.background.iterations_per_s > 0);
    const { window_s, bg_run_s, bg_wait_s } = report.cpu;
    // It runs at most two thirds of the time (4 of every 6 ms) and sleeps between slots: a busy loop
    // would be running or runnable for the whole window, however loaded this machine is.
    assert.ok(bg_run_s > 0.05 * window_s && bg_run_s < 0.75 * window_s, JSON.stringify(report.cpu));
    assert.ok(bg_run_s + bg_wait_s < 0.95 * window_s, JSON.stringify(report.cpu));

    // Another shape: 1 ms in every 4 ms, a quarter of a CPU at most.
    const small = new Deno.Command(binary, {
      args: [
        "--background-only",
        "--duration",
        "2",
        "--encoders",
        "1",
        "--encode-us",
        "1000",
        "--encode-period-us",
        "4000",
        "--json",
        json,
      ],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    assert.equal(small.code, 0, new TextDecoder().decode(small.stderr));
    const cpu = JSON.parse(Deno.readTextFileSync(json)).cpu;
    assert.equal(JSON.parse(Deno.readTextFileSync(json)).config.encode_us, 1000);
    assert.ok(cpu.bg_run_s > 0.02 * cpu.window_s && cpu.bg_run_s < 0.35 * cpu.window_s, JSON.stringify(cpu));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("gamesim refuses a bad encoder shape with one line naming the flag", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gamesim-test-" });
  try {
    for (
      const [bad, flag] of [
        [["--encoders", "99"], /--encoders/],
        [["--encode-us", "0"], /--encode-us/],
        [["--encode-us", "5000", "--encode-period-us", "3000"], /--encode-us 5000: expected at most/],
      ] as const
    ) {
      const r = run(build(), dir, ["--duration", "1", ...bad]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr.trim().split("\n").length, 1);
      assert.match(r.stderr, flag);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
