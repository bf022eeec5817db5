// The table of tools/vm/scenarios/policy_probe.sh: `deno run -A tools/vm/scenarios/policy_probe_report.ts
// OUT_DIR [--json]`. For each scheduler and workload, the median over the rounds of one boot; ratios to
// EEVDF are taken per round (same round, adjacent in time) before the median, so host drift cancels.
import { join } from "node:path";

interface Gs {
  missed: number;
  render50: number;
  render99: number;
  input50: number;
  input99: number;
  worker99: number;
  /** p99 of the time each wake-up waited runnable (gamesim's runq_*; NaN in reports from before it). */
  renderWait99: number;
  inputWait99: number;
  workerWait99: number;
  /** The same after gamesim's first STEADY_AFTER seconds (NaN when the run was not split). */
  steadyMissed: number;
  steadyRender99: number;
  steadyInput99: number;
  bgIps: number;
  cpu: Acct | null;
  kern: Kern | null;
}
/** gamesim's "cpu" record (schedstats of every task), in CPUs: where the machine went over the window. */
interface Acct {
  game: number;
  gameWait: number;
  bg: number;
  bgWait: number;
  /** Other tasks: the scheduler's process, kernel threads, the probe's shell. */
  other: number;
  idle: number;
  /**
   * Neither a task's run time nor idle: interrupts, and time the emulation lost. Negative when /proc/stat's
   * idle (kept by the tickless idle code) counted more than the window had, as it does under emulation.
   */
  unaccounted: number;
  /** The other tasks that ran most, "comm CPUs". */
  top: string;
  /**
   * What the game's threads ran beyond the work they were given, us: per presented frame for the render
   * thread (its own wake-ups of the workers and submit included), per wake-up for the others. The cost of
   * waking, switching and the scheduler's callbacks in their context.
   */
  renderCostUs: number;
  wakeCostUs: number;
}
interface Ct {
  p50: number;
  p99: number;
  max: number;
  samples: number;
}

const dir = Deno.args[0];
if (!dir) {
  console.error("usage: policy_probe_report.ts OUT_DIR [--json]");
  Deno.exit(2);
}

function readJson(path: string): unknown | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return null;
  }
}

// deno-lint-ignore no-explicit-any
function acctOf(j: any): Acct | null {
  const cpu = j.cpu;
  const w = cpu?.window_s;
  if (!cpu || !(w > 0)) return null;
  // Role run time over the window, scaled to the whole run (the work and wake-up counts are the run's).
  const runUs = (role: string) => (cpu.role_run_s?.[role] ?? NaN) / w * j.duration_s * 1e6;
  const c = j.config, r = j.roles;
  // The threads other than render, with the CPU work gamesim gives each per wake-up, us.
  const others: [string, number][] = [
    ["input", c.input_work_us],
    ["audio", c.audio_work_us],
    ["submit", c.submit_work_us],
    ["worker", c.job_us],
  ];
  const wakeups = others.reduce((n, [role]) => n + r[role].wakeups, 0);
  const extra = others.reduce((n, [role, work]) => n + runUs(role) - work * r[role].wakeups, 0);
  return {
    game: cpu.game_run_s / w,
    gameWait: cpu.game_wait_s / w,
    bg: cpu.bg_run_s / w,
    bgWait: cpu.bg_wait_s / w,
    other: cpu.other_run_s / w,
    idle: cpu.idle_s / w,
    unaccounted: cpu.cpus - (cpu.game_run_s + cpu.bg_run_s + cpu.other_run_s + cpu.idle_s) / w,
    // deno-lint-ignore no-explicit-any
    top: (cpu.top_other ?? []).slice(0, 3).map((t: any) => `${t.comm} ${(t.run_s / w).toFixed(2)}`).join(
      ", ",
    ),
    renderCostUs: (runUs("render") - c.frame_work_us * r.render.presented) / r.render.presented,
    wakeCostUs: extra / wakeups,
  };
}

/** Kernel-side rates between the two snapshots of a .kern file (kern_snap in policy_probe.sh). */
interface Kern {
  ctxtPerS: number;
  reschedIpiPerS: number;
  /** The render thread's moves to another CPU, and its involuntary switches (preemptions), per second. */
  renderMovesPerS: number;
  renderPreemptedPerS: number;
  callIpiPerS: number;
  bpfMsPerS: number | null;
  bpfTop: string | null;
}
/** Program id -> name from the loader's `--verbose` line "program ids: select_cpu=12 ...", if it logged one. */
function programNames(gamerLog: string): Map<string, string> {
  let text = "";
  try {
    text = Deno.readTextFileSync(gamerLog);
  } catch { /* a row with no loader (EEVDF) */ }
  const line = text.split("\n").findLast((l) => l.includes("program ids: "));
  const names = new Map<string, string>();
  for (const kv of line?.split("program ids: ")[1].trim().split(/\s+/) ?? []) {
    const [name, id] = kv.split("=");
    names.set(id, name);
  }
  return names;
}

function kernOf(path: string, names: Map<string, string>): Kern | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return null;
  }
  const snaps = text.split(/^at /m).filter(Boolean).map((block) => {
    const lines = block.trim().split("\n");
    const kv = new Map<string, number>();
    const progs = new Map<string, { cnt: number; ns: number }>();
    // "thread <comm> <migrations> <voluntary> <involuntary>", summed per command name.
    const threads = new Map<string, { moves: number; preempted: number }>();
    for (const l of lines.slice(1)) {
      const f = l.trim().split(/\s+/);
      if (f[0] === "prog") progs.set(f[1], { cnt: Number(f[2]), ns: Number(f[3]) });
      else if (f[0] === "thread") {
        const t = threads.get(f[1]) ?? { moves: 0, preempted: 0 };
        threads.set(f[1], { moves: t.moves + Number(f[2]), preempted: t.preempted + Number(f[4]) });
      } else kv.set(f[0].replace(":", ""), Number(f[1]));
    }
    return { t: Number(lines[0]), kv, progs, threads };
  });
  if (snaps.length < 2) return null;
  const [a, b] = [snaps[0], snaps.at(-1)!];
  const dt = b.t - a.t;
  const rate = (k: string) => ((b.kv.get(k) ?? NaN) - (a.kv.get(k) ?? NaN)) / dt;
  const render = (k: "moves" | "preempted") =>
    ((b.threads.get("RenderThread")?.[k] ?? NaN) - (a.threads.get("RenderThread")?.[k] ?? NaN)) / dt;
  let bpfNs = 0;
  const per: [string, number, number][] = [];
  for (const [id, v] of b.progs) {
    const before = a.progs.get(id);
    if (!before) continue;
    bpfNs += v.ns - before.ns;
    per.push([id, (v.cnt - before.cnt) / dt, (v.ns - before.ns) / Math.max(1, v.cnt - before.cnt)]);
  }
  per.sort((x, y) => y[1] * y[2] - x[1] * x[2]);
  return {
    ctxtPerS: rate("ctxt"),
    reschedIpiPerS: rate("RES"),
    renderMovesPerS: render("moves"),
    renderPreemptedPerS: render("preempted"),
    callIpiPerS: rate("CAL"),
    bpfMsPerS: b.progs.size ? bpfNs / 1e6 / dt : null,
    bpfTop: per.length
      ? per.slice(0, 5).map(([id, n, ns]) =>
        `${names.get(id) ?? `#${id}`} ${Math.round(n)}/s x ${(ns / 1000).toFixed(1)}us`
      ).join(
        "; ",
      )
      : null,
  };
}

function gsOf(path: string, kernPath: string): Gs | null {
  // deno-lint-ignore no-explicit-any
  const j = readJson(path) as any;
  if (!j?.roles?.render) return null;
  const r = j.roles;
  return {
    missed: r.render.missed_share,
    render50: r.render.lat_p50_us,
    render99: r.render.lat_p99_us,
    input50: r.input.lat_p50_us,
    input99: r.input.lat_p99_us,
    worker99: r.worker?.lat_p99_us ?? NaN,
    renderWait99: r.render.runq_p99_us ?? NaN,
    inputWait99: r.input.runq_p99_us ?? NaN,
    workerWait99: r.worker?.runq_p99_us ?? NaN,
    steadyMissed: r.render.steady?.missed_share ?? NaN,
    steadyRender99: r.render.steady?.lat_p99_us ?? NaN,
    steadyInput99: r.input.steady?.lat_p99_us ?? NaN,
    bgIps: j.background?.iterations_per_s ?? 0,
    cpu: acctOf(j),
    kern: kernOf(kernPath, programNames(join(kernPath, "..", "gamer.log"))),
  };
}

/** cyclictest --json: thread "0"'s histogram (us -> count); overflow = cycles - histogram sum. */
function ctOf(path: string): Ct | null {
  // deno-lint-ignore no-explicit-any
  const j = readJson(path) as any;
  const t = j?.thread?.["0"];
  if (!t?.histogram) return null;
  const entries = Object.entries(t.histogram as Record<string, number>).map(([k, v]) => [Number(k), v])
    .sort((a, b) => a[0] - b[0]);
  const total = t.cycles as number;
  const q = (p: number) => {
    const rank = Math.ceil(p * total);
    let seen = 0;
    for (const [us, n] of entries) {
      seen += n;
      if (seen >= rank) return us;
    }
    return t.max ?? Infinity;
  };
  return { p50: q(0.5), p99: q(0.99), max: t.max, samples: total };
}

/** cyclictest -v: per-sample latencies (us) of thread 0, in order. */
function ctvSamples(path: string): number[] | null {
  try {
    return Deno.readTextFileSync(path).split("\n").map((l) => /^\s*0:\s*\d+:\s*(\d+)\s*$/.exec(l))
      .filter((m) => m).map((m) => Number(m![1]));
  } catch {
    return null;
  }
}

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const plan = Object.fromEntries(
  Deno.readTextFileSync(join(dir, "plan.txt")).trim().split("\n").map((l) => {
    const i = l.indexOf(" ");
    return [l.slice(0, i), l.slice(i + 1)];
  }),
);
const rounds = Number(plan.rounds);
const scheds = plan.scheds.split(/\s+/);
const workloads = plan.workloads.split(/\s+/);

const rows: Record<string, unknown>[] = [];
for (const w of workloads) {
  for (const s of scheds) {
    const per: (Gs | Ct | null)[] = [];
    const base: (Gs | Ct | null)[] = [];
    for (let r = 0; r < rounds; r++) {
      const at = (sched: string) => join(dir, `r${r}`, sched);
      if (w === "ctv") {
        const v = ctvSamples(join(at(s), "ctv.out"));
        per.push(v && v.length ? ({ samples: v } as unknown as Ct) : null);
        base.push(null);
      } else if (w.startsWith("gs")) {
        per.push(gsOf(join(at(s), `${w}.json`), join(at(s), `${w}.kern`)));
        base.push(gsOf(join(at("eevdf"), `${w}.json`), join(at("eevdf"), `${w}.kern`)));
      } else {
        per.push(ctOf(join(at(s), `${w}.json`)));
        base.push(ctOf(join(at("eevdf"), `${w}.json`)));
      }
    }
    const ok = per.filter((x) => x !== null);
    if (w === "ctv") {
      // Is the thread late all along, or only at first? p50 over the first 10% vs the second half.
      const parts = (per as unknown as ({ samples: number[] } | null)[]).filter((x) => x).map((x) => {
        const v = x!.samples;
        return {
          first: median(v.slice(0, Math.ceil(v.length / 10))),
          last: median(v.slice(Math.floor(v.length / 2))),
          all99: [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.99)],
        };
      });
      rows.push({
        workload: w,
        sched: s,
        n: parts.length,
        first10pct_p50_ms: +(median(parts.map((p) => p.first)) / 1000).toFixed(2),
        second_half_p50_ms: +(median(parts.map((p) => p.last)) / 1000).toFixed(2),
        p99_ms: +(median(parts.map((p) => p.all99)) / 1000).toFixed(2),
      });
    } else if (w.startsWith("gs")) {
      const g = per as (Gs | null)[];
      const b = base as (Gs | null)[];
      const pick = (f: (x: Gs) => number) => median(g.filter((x) => x).map((x) => f(x!)));
      const ratio = (f: (x: Gs) => number | null) =>
        median(g.map((x, i) => x && b[i] && f(b[i]!) ? (f(x) ?? NaN) / f(b[i]!)! : NaN));
      // gs0 has no busy loops, but GAME_FLAGS may bring background processes of its own (--encoders).
      const noBackground = !g.some((x) => (x?.bgIps ?? 0) > 0);
      rows.push({
        workload: w,
        sched: s,
        n: ok.length,
        missed_pct: +(pick((x) => x.missed) * 100).toFixed(1),
        render_p50_ms: +(pick((x) => x.render50) / 1000).toFixed(2),
        render_p99_ms: +(pick((x) => x.render99) / 1000).toFixed(2),
        input_p50_ms: +(pick((x) => x.input50) / 1000).toFixed(2),
        input_p99_ms: +(pick((x) => x.input99) / 1000).toFixed(2),
        worker_p99_ms: +(pick((x) => x.worker99) / 1000).toFixed(2),
        // The scheduler's part of those: time waited runnable after each wake-up (gamesim runq_p99_us).
        render_wait_p99_ms: +(pick((x) => x.renderWait99) / 1000).toFixed(2),
        input_wait_p99_ms: +(pick((x) => x.inputWait99) / 1000).toFixed(2),
        worker_wait_p99_ms: +(pick((x) => x.workerWait99) / 1000).toFixed(2),
        // After the game's start (policy_probe STEADY_AFTER); NaN when the runs were not split.
        steady_missed_pct: +(pick((x) => x.steadyMissed) * 100).toFixed(1),
        steady_render_p99_ms: +(pick((x) => x.steadyRender99) / 1000).toFixed(2),
        steady_input_p99_ms: +(pick((x) => x.steadyInput99) / 1000).toFixed(2),
        bg_ratio: noBackground ? null : +ratio((x) => x.bgIps).toFixed(2),
        // Where the CPUs went, in CPUs (run time per second of the window; waits are runnable time).
        game_cpus: +pick((x) => x.cpu?.game ?? NaN).toFixed(2),
        game_wait: +pick((x) => x.cpu?.gameWait ?? NaN).toFixed(2),
        bg_cpus: noBackground ? null : +pick((x) => x.cpu?.bg ?? NaN).toFixed(2),
        other_cpus: +pick((x) => x.cpu?.other ?? NaN).toFixed(2),
        idle_cpus: +pick((x) => x.cpu?.idle ?? NaN).toFixed(2),
        lost_cpus: +pick((x) => x.cpu?.unaccounted ?? NaN).toFixed(2),
        render_cost_us: Math.round(pick((x) => x.cpu?.renderCostUs ?? NaN)),
        wake_cost_us: Math.round(pick((x) => x.cpu?.wakeCostUs ?? NaN)),
        other_top: g.find((x) => x?.cpu?.top)?.cpu?.top ?? null,
        // Iterations per CPU-second of the loops, to EEVDF's: below 1, their CPU time bought less work.
        bg_per_cpu_ratio: noBackground
          ? null
          : +ratio((x) => x.cpu?.bg ? x.bgIps / x.cpu.bg : null).toFixed(2),
        render_p99_ratio: +ratio((x) => x.render99).toFixed(2),
        input_p99_ratio: +ratio((x) => x.input99).toFixed(2),
        ctxt_per_s: Math.round(pick((x) => x.kern?.ctxtPerS ?? NaN)),
        render_moves_per_s: Math.round(pick((x) => x.kern?.renderMovesPerS ?? NaN)),
        render_preempted_per_s: Math.round(pick((x) => x.kern?.renderPreemptedPerS ?? NaN)),
        res_ipi_per_s: Math.round(pick((x) => x.kern?.reschedIpiPerS ?? NaN)),
        cal_ipi_per_s: Math.round(pick((x) => x.kern?.callIpiPerS ?? NaN)),
        bpf_ms_per_s: +pick((x) => x.kern?.bpfMsPerS ?? NaN).toFixed(1),
        bpf_top: g.find((x) => x?.kern?.bpfTop)?.kern?.bpfTop ?? null,
      });
    } else {
      const c = per as (Ct | null)[];
      const pick = (f: (x: Ct) => number) => median(c.filter((x) => x).map((x) => f(x!)));
      rows.push({
        workload: w,
        sched: s,
        n: ok.length,
        ct_p50_ms: +(pick((x) => x.p50) / 1000).toFixed(2),
        ct_p99_ms: +(pick((x) => x.p99) / 1000).toFixed(2),
        ct_max_ms: +(pick((x) => x.max) / 1000).toFixed(2),
      });
    }
  }
}

if (Deno.args.includes("--json")) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  for (const w of workloads) {
    const rs = rows.filter((r) => r.workload === w);
    const keys = Object.keys(rs[0]).filter((k) => k !== "workload");
    console.log(`\n${w}`);
    console.log(`| ${keys.join(" | ")} |`);
    console.log(`|${keys.map(() => "---").join("|")}|`);
    for (const r of rs) console.log(`| ${keys.map((k) => r[k] ?? "-").join(" | ")} |`);
  }
}
