#!/bin/sh
# The scheduler benchmark's guest side (driven by tools/bench_sched/main.ts, `deno task bench:sched`).
#
# Arguments: ROUNDS DURATION STATS_INTERVAL BEST_FLAGS [STATS_OFF=1] [WORKLOADS="ct gs_1x gs_2x gs_burst"]
# [PROBE_JS]; the environment's BENCH_FPS sets gamesim's frame rate (default 60).
#
# One boot runs ROUNDS rounds. Each round runs every scheduler in turn, the order rotated by one per round
# so no scheduler always runs first (the host's load drifts; rotation spreads that drift over all three):
#   eevdf    the kernel's default (no sched_ext scheduler loaded)
#   default  scx_gamer with its default configuration
#   best     scx_gamer with BEST_FLAGS
# Under each scheduler the same workloads run (all four unless WORKLOADS names some), each for DURATION s:
#   ct       cyclictest (SCHED_OTHER, 1 ms interval) under 4 busy loops (2x the 2 vCPUs)
#   gs_1x    gamesim with 2 background hogs (1x the CPUs)
#   gs_2x    gamesim with 4 background hogs (2x)
#   gs_burst gamesim with 1 hog and the bursty hog (50 ms on, 50 ms off)
# The background load is started per workload and stopped after it, and scx_gamer is started on a quiet
# machine: under 4 hogs its Deno start-up alone takes minutes on this emulated VM.
#
# With PROBE_JS (tools/bench_sched/counters_probe.ts, bundled), the default config is then loaded once more
# through the library and cyclictest and the 2x game run under it, with the scheduler's counters read at
# the start and end of each: what became of critical wake-ups, which the stats line does not show.
#
# After the rounds, scx_gamer with stats off is loaded once (its --verbose line gives the instruction
# counts with the profiling pruned) and one cyclictest runs under it, the only latency figure stats-off
# can give (it has no histograms).
#
# This script only records; the host judges. Layout of out/:
#   plan.txt                      rounds, duration, flags
#   timeline.txt                  uptime-stamped steps
#   r<R>/<sched>/<workload>.*     .json results, .state (sched_ext state + ops before/after), .policy,
#                                 .cpu (CPU ticks of the background load, scx_gamer, the game and /proc/stat,
#                                 every second of the run)
#   r<R>/<sched>/gamer.log        scx_gamer's output with "@@bench begin|end <workload>" markers
#   r<R>/<sched>/gamer.rc         its exit status
#   nostats/                      the stats-off load: gamer.log, gamer.rc, ct.*
#   probe/                        the counters probe: counters.jsonl ("@@probe W" + JSON lines), ct.*, gs_2x.*
set -u
out=/work/out
rounds=$1
dur=$2
stats=$3
best_flags=$4
nostats=${5:-1}
workloads=${6:-ct gs_1x gs_2x gs_burst}
probe_js=${7:-}
probe=""

ts() { cut -d' ' -f1 /proc/uptime; }
# Steps go to the timeline and to the console, where the host shows them as progress.
note() {
  echo "$(ts) $*" >> $out/timeline.txt
  echo "bench: $*"
}
state() { cat /sys/kernel/sched_ext/state 2>/dev/null || echo missing; }
ops() { cat /sys/kernel/sched_ext/root/ops 2>/dev/null || echo none; }
wait_state() { # wanted, tenths of a second
  i=0
  while [ "$(state)" != "$1" ] && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
  [ "$(state)" = "$1" ]
}

gamer=""
gamer_log=""
# Load scx_gamer (flags as arguments) logging to $1/gamer.log; fails when it never reaches "enabled".
start_gamer() {
  dir=$1
  shift
  gamer_log=$dir/gamer.log
  # >> (O_APPEND): the markers written below land between scx_gamer's own lines, never over them.
  scx_gamer --verbose "$@" >> "$gamer_log" 2>&1 &
  gamer=$!
  if wait_state enabled 3000; then
    note "scx_gamer enabled: $*"
    sleep 2 # let its start-up (JIT, first map reads) finish before measuring
    return 0
  fi
  note "scx_gamer did not reach enabled: $*"
  return 1
}
stop_gamer() {
  dir=$1
  kill -INT "$gamer" 2>/dev/null
  wait "$gamer"
  echo $? > "$dir/gamer.rc"
  wait_state disabled 600 || note "sched_ext still $(state) after stopping scx_gamer"
  gamer=""
  gamer_log=""
}
# Workload boundaries: into scx_gamer's log (its stats lines between them belong to the workload) and,
# with the time, into the timeline.
# Ask the counters probe (when it runs) to append the counters, labelled with the workload.
probe_mark() {
  [ -n "$probe" ] || return 0
  echo "@@probe $1" >> $out/probe/counters.jsonl
  kill -USR2 "$probe" 2>/dev/null
  return 0
}
mark() {
  echo "$(ts) $2 $1" >> $out/timeline.txt
  [ -n "$gamer_log" ] && echo "@@bench $1 $2" >> "$gamer_log"
  return 0
}
snap_state() { echo "$(state) $(ops)" >> "$1"; }

# CPU time (utime + stime, USER_HZ ticks) of the given processes, summed; gone ones count 0.
ticks() {
  for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{ t += $14 + $15 } END { print t + 0 }'
}
# gamesim's background processes (own processes named bg-hog / bg-bursty). From ps, which reads
# /proc/PID/stat: /proc/PID/comm of gamesim's processes reads empty in this guest.
bg_pids() {
  ps -o pid,comm | awk '$2 == "bg-hog" || $2 == "bg-bursty" { print $1 }'
}
# One line into $1: "uptime background-ticks scx_gamer-ticks game-ticks" and the aggregate /proc/stat
# cpu fields (user nice system idle iowait irq softirq), for the game $2 and the background pids after it.
sample_cpu() {
  file=$1
  game=$2
  shift 2
  g=0
  [ -n "$gamer" ] && g=$(ticks "$gamer")
  echo "$(ts) $(ticks "$@") $g $(ticks "$game") $(head -1 /proc/stat | cut -d' ' -f3-9)" >> "$file"
}
# Sample every second in the background while the game $2 lives. The host takes the first line and the
# last one before any tracked process was gone, and turns them into CPU shares, which, unlike
# iterations per second, do not depend on how fast the shared host emulates the VM. Reniced to -15:
# at nice 0 under EEVDF and 4 hogs the sampler (a shell forking cat and awk) got one line in 8 s. Its
# own CPU use is small, so the priority barely touches what is measured, under either scheduler.
start_sampler() {
  (
    while kill -0 "$2" 2>/dev/null; do
      sample_cpu "$@"
      sleep 1
    done
  ) &
  sampler=$!
  renice -n -15 -p "$sampler" > /dev/null 2>&1
}

# cyclictest under 4 busy loops. No -p: rt-tests 2.4 turns -p 0 into SCHED_FIFO, which sched_ext never
# schedules; the thread's policy is recorded halfway through so the host can check it.
run_ct() {
  dir=$1
  snap_state "$dir/ct.state"
  mark begin ct
  loops=""
  for _ in 1 2 3 4; do
    (while :; do :; done) &
    loops="$loops $!"
  done
  cyclictest --policy=other -i 1000 -t 1 -D "$dur" -q -h 200000 --histfile=/dev/null \
    --json="$dir/ct.json" > "$dir/ct.out" 2>&1 &
  ct=$!
  sleep 1
  echo "$(ts) ct sampling" >> $out/timeline.txt
  # shellcheck disable=SC2086
  start_sampler "$dir/ct.cpu" $ct $loops
  probe_mark ct
  sleep $((dur / 2))
  for t in /proc/$ct/task/*; do
    echo "$(cat "$t/comm" 2>/dev/null) $(grep '^policy' "$t/sched" 2>/dev/null | tr -s ' ')"
  done > "$dir/ct.policy"
  # The measurement is over when the measuring thread exits. Stop the loops then: the histogram dump that
  # follows takes many seconds under TCG and would otherwise compete with them.
  i=0
  while [ "$(ls "/proc/$ct/task" 2>/dev/null | wc -l)" -gt 1 ] && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  probe_mark ct
  # shellcheck disable=SC2086
  kill $loops 2>/dev/null
  # Only the loops: a bare `wait` would also wait for scx_gamer.
  for p in $loops; do wait "$p" 2>/dev/null; done
  wait $ct
  echo $? > "$dir/ct.rc"
  wait $sampler
  echo "$(ts) ct exited" >> $out/timeline.txt
  mark end ct
  snap_state "$dir/ct.state"
}

run_gs() { # dir name hogs [--bursty]
  dir=$1
  name=$2
  hogs=$3
  shift 3
  snap_state "$dir/$name.state"
  mark begin "$name"
  gamesim --duration "$dur" --fps "${BENCH_FPS:-60}" --hogs "$hogs" "$@" --json "$dir/$name.json" \
    > /dev/null 2> "$dir/$name.err" &
  gs=$!
  # Sample once every thread and hog runs (gamesim says so on stderr); starting takes a while under load.
  i=0
  while ! grep -q running "$dir/$name.err" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
  echo "$(ts) $name running" >> $out/timeline.txt
  # shellcheck disable=SC2086
  start_sampler "$dir/$name.cpu" $gs $(bg_pids)
  if [ -n "$probe" ]; then
    probe_mark "$name"
    # The end mark before gamesim's teardown; under scx_gamer this shell wakes on time.
    (
      sleep $((dur - 1))
      probe_mark "$name"
    ) &
  fi
  wait $gs
  echo $? > "$dir/$name.rc"
  wait $sampler
  echo "$(ts) $name exited" >> $out/timeline.txt
  mark end "$name"
  snap_state "$dir/$name.state"
}

run_workloads() {
  dir=$1
  for w in $workloads; do
    case $w in
      ct) run_ct "$dir" ;;
      gs_1x) run_gs "$dir" gs_1x 2 ;;
      gs_2x) run_gs "$dir" gs_2x 4 ;;
      gs_burst) run_gs "$dir" gs_burst 1 --bursty ;;
      *) note "unknown workload $w" ;;
    esac
  done
}

{
  echo "rounds $rounds"
  echo "duration_s $dur"
  echo "stats_s $stats"
  echo "best_flags $best_flags"
  echo "fps ${BENCH_FPS:-60}"
  echo "workloads $workloads"
  echo "kernel $(uname -r)"
  echo "cpus $(nproc)"
  echo "date $(date -u +%Y-%m-%d)"
} > $out/plan.txt
note "start, sched_ext $(state)"

r=0
while [ $r -lt "$rounds" ]; do
  # Rotate: round 0 eevdf default best, round 1 default best eevdf, round 2 best eevdf default, ...
  case $((r % 3)) in
    0) order="eevdf default best" ;;
    1) order="default best eevdf" ;;
    *) order="best eevdf default" ;;
  esac
  for s in $order; do
    dir=$out/r$r/$s
    mkdir -p "$dir"
    note "round $r $s begin"
    case $s in
      eevdf)
        wait_state disabled 600 || note "sched_ext is $(state) before an eevdf run"
        run_workloads "$dir"
        ;;
      default)
        start_gamer "$dir" --stats "$stats" && run_workloads "$dir"
        stop_gamer "$dir"
        ;;
      best)
        # shellcheck disable=SC2086
        start_gamer "$dir" --stats "$stats" $best_flags && run_workloads "$dir"
        stop_gamer "$dir"
        ;;
    esac
    note "round $r $s end"
  done
  r=$((r + 1))
done

if [ -n "$probe_js" ]; then
  dir=$out/probe
  mkdir -p "$dir"
  note "counters probe begin"
  deno run -A --unstable-ffi "$probe_js" "$dir/counters.jsonl" > "$dir/probe.log" 2>&1 &
  probe=$!
  if wait_state enabled 3000; then
    sleep 2
    run_ct "$dir"
    run_gs "$dir" gs_2x 4
  else
    note "the counters probe did not reach enabled"
  fi
  kill -INT "$probe" 2>/dev/null
  wait "$probe"
  echo $? > "$dir/probe.rc"
  probe=""
  wait_state disabled 600 || note "sched_ext still $(state) after the counters probe"
  note "counters probe end"
fi

if [ "$nostats" = 1 ]; then
  dir=$out/nostats
  mkdir -p "$dir"
  note "stats-off load begin"
  start_gamer "$dir" && run_ct "$dir"
  stop_gamer "$dir"
  note "stats-off load end"
fi
dmesg | grep -iE 'sched_ext|scx|stall|watchdog' > $out/dmesg.txt
note "done"
exit 0
