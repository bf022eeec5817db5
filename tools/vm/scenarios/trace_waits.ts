// What late wake-ups waited behind, from a policy_probe trace (TRACE=1: the kernel's sched_switch and
// sched_wakeup events as text). For every wake-up of the thread named COMM that waited longer than
// THRESHOLD_US before it ran: what each CPU ran at the wake-up, whether a CPU went idle during the wait, and
// the switches in between. Ends with a tally of late wake-ups by what held the CPU the thread then ran on.
// With PERIOD_US (a thread woken by a periodic timer, as gamesim's render thread at 1e6/fps), also how late
// the timer's wake-ups themselves came (hard-IRQ context, against the period's grid): the part of a thread's
// lateness spent before the scheduler saw the wake-up at all.
//
//   deno run -A tools/vm/scenarios/trace_waits.ts FILE [COMM=RenderThread] [THRESHOLD_US=600] [SHOW=5] [PERIOD_US]

interface Switch {
  at: number;
  cpu: number;
  prev: string;
  prevPid: number;
  prevState: string;
  next: string;
  nextPid: number;
}

const [file, comm = "RenderThread", thresholdArg = "600", showArg = "5", periodArg] = Deno.args;
if (!file) {
  console.error("usage: trace_waits.ts FILE [COMM] [THRESHOLD_US] [SHOW] [PERIOD_US]");
  Deno.exit(2);
}
const threshold = Number(thresholdArg) / 1e6;
const show = Number(showArg);

const line = /^\s*(.+?)-\d+\s+\[(\d+)\]\s+(\S+)\s+(\d+\.\d+): (sched_\w+): (.*)$/;
const field = (body: string, key: string) =>
  body.match(new RegExp(`(?:^| )${key}=(.*?)(?= \\w+=| ==>|$)`))?.[1];

const running = new Map<number, string>(); // cpu -> comm:pid
const switches: Switch[] = [];
const waits: { wake: number; cpuAtWake: Map<number, string>; ran: number; cpu: number }[] = [];
/** Timer wake-ups (hard-IRQ context): when, and the task the interrupt found running. */
const timerWakes: { at: number; interrupted: string }[] = [];
let pending: { at: number; snapshot: Map<number, string> } | null = null;
let pid = -1;

for (const text of Deno.readTextFileSync(file).split("\n")) {
  const m = text.match(line);
  if (!m) continue;
  const current = m[1], cpu = Number(m[2]), flags = m[3], at = Number(m[4]), event = m[5], body = m[6];
  if (event === "sched_switch") {
    const [before, after] = body.split(" ==> ");
    const s: Switch = {
      at,
      cpu,
      prev: field(before, "prev_comm") ?? "?",
      prevPid: Number(field(before, "prev_pid")),
      prevState: field(before, "prev_state") ?? "?",
      next: field(after, "next_comm") ?? "?",
      nextPid: Number(field(after, "next_pid")),
    };
    switches.push(s);
    running.set(cpu, `${s.next}:${s.nextPid}`);
    if (pending && s.nextPid === pid) {
      waits.push({ wake: pending.at, cpuAtWake: pending.snapshot, ran: at, cpu });
      pending = null;
    }
  } else if (event === "sched_wakeup" || event === "sched_wakeup_new") {
    if (field(body, "comm") !== comm) continue;
    pid = Number(field(body, "pid"));
    pending = { at, snapshot: new Map(running) };
    if (flags.includes("h")) timerWakes.push({ at, interrupted: current.trim() });
  }
}

const late = waits.filter((w) => w.ran - w.wake > threshold);
const us = (s: number) => (s * 1e6).toFixed(0);
/** The q-quantile of `values` (s) in us, the value at rank floor(q * n) of the sorted values; "-" for none. */
function usQuantile(values: number[], q: number): string {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted.length ? us(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]) : "-";
}
const q = (p: number) => usQuantile(waits.map((w) => w.ran - w.wake), p);
console.log(
  `${file}: ${comm}: ${waits.length} wake-ups, p50 ${q(0.5)} us, p99 ${q(0.99)} us; ${late.length} over ${
    us(threshold)
  } us`,
);

const tally = new Map<string, number>();
let idleDuring = 0;
late.forEach((w, i) => {
  const between = switches.filter((s) => s.at > w.wake && s.at <= w.ran);
  const holder = (w.cpuAtWake.get(w.cpu) ?? "?").replace(/:\d+$/, "");
  tally.set(holder, (tally.get(holder) ?? 0) + 1);
  if (between.some((s) => s.nextPid === 0)) idleDuring++;
  if (i >= show) return;
  const at = [...w.cpuAtWake].sort((a, b) => a[0] - b[0]).map(([c, t]) => `cpu${c}=${t}`).join(" ");
  console.log(
    `\nwoke ${w.wake.toFixed(6)}, ran ${us(w.ran - w.wake)} us later on cpu${w.cpu}; at the wake-up: ${at}`,
  );
  for (const s of between) {
    console.log(
      `  +${
        us(s.at - w.wake).padStart(6)
      } cpu${s.cpu} ${s.prev}:${s.prevPid} (${s.prevState}) -> ${s.next}:${s.nextPid}`,
    );
  }
});
console.log(`\nlate wake-ups by what ran on the CPU they then ran on, at the wake-up:`);
for (const [k, n] of [...tally].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${n.toString().padStart(4)}  ${k}`);
}
console.log(`  a CPU went idle during the wait: ${idleDuring} of ${late.length}`);

if (periodArg && timerWakes.length > 0) {
  // Lateness against the grid: each wake-up's phase in the period; the on-time phase is where the phases
  // start again after their widest gap (a timer is late, never early), and lateness is measured from it
  // around the circle, so a wake-up late by more than half a period is not taken for an early one.
  const period = Number(periodArg) / 1e6;
  const t0 = timerWakes[0].at;
  const phase = (at: number) => ((at - t0) % period + period) % period;
  const phases = timerWakes.map((w) => phase(w.at)).sort((a, b) => a - b);
  let onTime = phases[0], widest = -1;
  for (let i = 0; i < phases.length; i++) {
    const next = i + 1 < phases.length ? phases[i + 1] : phases[0] + period;
    if (next - phases[i] > widest) [widest, onTime] = [next - phases[i], next % period];
  }
  const lateness = timerWakes
    .map((w) => ({ ...w, late: ((phase(w.at) - onTime) % period + period) % period }))
    .sort((a, b) => a.late - b.late);
  const at = (p: number) => usQuantile(lateness.map((o) => o.late), p);
  console.log(
    `\ntimer wake-ups: ${lateness.length}, lateness p50 ${at(0.5)} us, p99 ${at(0.99)} us; the latest:`,
  );
  for (const o of lateness.slice(-show).reverse()) {
    console.log(`  ${us(o.late).padStart(6)} us, interrupting ${o.interrupted}`);
  }
}
