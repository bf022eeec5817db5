#!/bin/sh
# The scheduler benchmark's guest side (driven by tests/vm/bench_sched.ts, `deno task bench:sched`).
#
# One boot runs ROUNDS rounds. Each round runs every scheduler in turn, the order rotated by one per round
# so no scheduler always runs first (the host's load drifts; rotation spreads that drift over all three):
#   eevdf    the kernel's default (no sched_ext scheduler loaded)
#   default  scx_gamer with its default configuration
#   best     scx_gamer with BEST_FLAGS
# Under each scheduler the same workloads run, each for DURATION seconds:
#   ct       cyclictest (SCHED_OTHER, 1 ms interval) under 4 busy loops (2x the 2 vCPUs)
#   gs_1x    gamesim with 2 background hogs (1x the CPUs)
#   gs_2x    gamesim with 4 background hogs (2x)
#   gs_burst gamesim with 1 hog and the bursty hog (50 ms on, 50 ms off)
# The background load is started per workload and stopped after it, and scx_gamer is started on a quiet
# machine: under 4 hogs its Deno start-up alone takes minutes on this emulated VM.
#
# After the rounds, scx_gamer with stats off is loaded once (its --verbose line gives the instruction
# counts with the profiling pruned) and one cyclictest runs under it, the only latency figure stats-off
# can give (it has no histograms).
#
# This script only records; the host judges. Layout of out/:
#   plan.txt                      rounds, duration, flags
#   timeline.txt                  uptime-stamped steps
#   r<R>/<sched>/<workload>.*     .json results, .state (sched_ext state + ops before/after), .policy
#   r<R>/<sched>/gamer.log        scx_gamer's output with "@@bench begin|end <workload>" markers
#   r<R>/<sched>/gamer.rc         its exit status
#   nostats/                      the stats-off load: gamer.log, gamer.rc, ct.*
set -u
out=/work/out
rounds=$1
dur=$2
stats=$3
best_flags=$4
nostats=${5:-1}

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
mark() { [ -n "$gamer_log" ] && echo "@@bench $1 $2" >> "$gamer_log"; }
snap_state() { echo "$(state) $(ops)" >> "$1"; }

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
  cyclictest --policy=other -i 1000 -t 1 -D "$dur" -q -h 400000 --histfile=/dev/null \
    --json="$dir/ct.json" > "$dir/ct.out" 2>&1 &
  ct=$!
  sleep $((dur / 2))
  for t in /proc/$ct/task/*; do
    echo "$(cat "$t/comm" 2>/dev/null) $(grep '^policy' "$t/sched" 2>/dev/null | tr -s ' ')"
  done > "$dir/ct.policy"
  wait $ct
  echo $? > "$dir/ct.rc"
  # shellcheck disable=SC2086
  kill $loops 2>/dev/null
  # Only the loops: a bare `wait` would also wait for scx_gamer.
  for p in $loops; do wait "$p" 2>/dev/null; done
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
    > /dev/null 2> "$dir/$name.err"
  echo $? > "$dir/$name.rc"
  mark end "$name"
  snap_state "$dir/$name.state"
}

run_workloads() {
  dir=$1
  run_ct "$dir"
  run_gs "$dir" gs_1x 2
  run_gs "$dir" gs_2x 4
  run_gs "$dir" gs_burst 1 --bursty
}

{
  echo "rounds $rounds"
  echo "duration_s $dur"
  echo "stats_s $stats"
  echo "best_flags $best_flags"
  echo "fps ${BENCH_FPS:-60}"
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
