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
  bgIps: number;
  bgShare: number | null;
  kern: Kern | null;
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

/** Hog CPU share of the machine between the two samples (USER_HZ ticks over uptime x CPUs). */
function bgShare(path: string, cpus: number): number | null {
  try {
    const lines = Deno.readTextFileSync(path).trim().split("\n").map((l) => l.split(/\s+/).map(Number));
    if (lines.length < 2) return null;
    const [a, b] = [lines[0], lines.at(-1)!];
    const wall = b[0] - a[0];
    return wall > 0 ? (b[1] - a[1]) / 100 / (wall * cpus) : null;
  } catch {
    return null;
  }
}

/** Kernel-side rates between the two snapshots of a .kern file (kern_snap in policy_probe.sh). */
interface Kern {
  ctxtPerS: number;
  reschedIpiPerS: number;
  callIpiPerS: number;
  bpfMsPerS: number | null;
  bpfTop: string | null;
}
function kernOf(path: string): Kern | null {
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
    for (const l of lines.slice(1)) {
      const f = l.trim().split(/\s+/);
      if (f[0] === "prog") progs.set(f[1], { cnt: Number(f[2]), ns: Number(f[3]) });
      else kv.set(f[0].replace(":", ""), Number(f[1]));
    }
    return { t: Number(lines[0]), kv, progs };
  });
  if (snaps.length < 2) return null;
  const [a, b] = [snaps[0], snaps.at(-1)!];
  const dt = b.t - a.t;
  const rate = (k: string) => ((b.kv.get(k) ?? NaN) - (a.kv.get(k) ?? NaN)) / dt;
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
    callIpiPerS: rate("CAL"),
    bpfMsPerS: b.progs.size ? bpfNs / 1e6 / dt : null,
    bpfTop: per.length
      ? per.slice(0, 4).map(([id, n, ns]) => `#${id} ${Math.round(n)}/s x ${(ns / 1000).toFixed(1)}us`).join(
        "; ",
      )
      : null,
  };
}

function gsOf(path: string, cpuPath: string, cpus: number): Gs | null {
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
    bgIps: j.background?.iterations_per_s ?? 0,
    bgShare: bgShare(cpuPath, cpus),
    kern: kernOf(cpuPath.replace(/\.cpu$/, ".kern")),
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
const cpus = Number(plan.cpus ?? 2);
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
        per.push(gsOf(join(at(s), `${w}.json`), join(at(s), `${w}.cpu`), cpus));
        base.push(gsOf(join(at("eevdf"), `${w}.json`), join(at("eevdf"), `${w}.cpu`), cpus));
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
        bg_ratio: w === "gs0" ? null : +ratio((x) => x.bgIps).toFixed(2),
        bg_share_ratio: w === "gs0" ? null : +ratio((x) => x.bgShare).toFixed(2),
        // Iterations per CPU-second of the loops, to EEVDF's: below 1, their CPU time bought less work.
        bg_per_cpu_ratio: w === "gs0"
          ? null
          : +ratio((x) => x.bgShare ? x.bgIps / x.bgShare : null).toFixed(2),
        render_p99_ratio: +ratio((x) => x.render99).toFixed(2),
        input_p99_ratio: +ratio((x) => x.input99).toFixed(2),
        ctxt_per_s: Math.round(pick((x) => x.kern?.ctxtPerS ?? NaN)),
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
