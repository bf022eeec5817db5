#!/bin/sh
# The policy experiment of issue 12 (run through the VM harness; tools/vm/scenarios/policy_probe_report.ts
# turns out/ into the table). ONE boot, ROUNDS rounds; each round runs every scheduler in turn, the order
# rotated by one per round so the host's drifting load is spread over all of them:
#   eevdf   the kernel's default, nothing attached
#   idle    EEVDF with the background loops SCHED_IDLE, as a user would make them with chrt -i 0 (gamesim
#           --hog-policy idle starts them so; the guest has no chrt): the reference limit
#   old     the previous scx_gamer (a bundle passed in as /opt/old/scx_gamer.js), stats off
#   new     this checkout's scx_gamer (dist/scx_gamer.js), stats off, NEW_FLAGS appended
#   stats   this checkout's scx_gamer with --stats 1 (only when named)
#   x<N>    this checkout's scx_gamer with the flags in the environment's X<N>_FLAGS (variants)
#   b<N>    another build: /opt/b<N>/scx_gamer.js (passed in with --file), flags in B<N>_FLAGS
#   base    the smallest sched_ext scheduler (baseline/fifo_vtime.bpf.c, loaded by baseline/run_baseline.ts;
#           both passed in as /opt/base/fifo_vtime.bpf.o and /opt/base/run_baseline.js): what any BPF
#           scheduler costs on this VM before policy
# Under each scheduler the workloads run in turn (WORKLOADS, default "gs0 gs2 gs4 ct"):
#   gs0 gs2 gs4  gamesim at 144 fps, 2.5 ms of render work per frame, 2 workers, 0/2/4 background hogs
#                (GAME_FLAGS in the environment replaces the game's shape, e.g. a heavier game)
#   gsa          the game with ALONE_FLAGS instead (the same game without its background processes, e.g.
#                GAME_FLAGS less --encoders): the floor a policy can reach under that background; always
#                run with --hogs 0 appended (gamesim takes the last --hogs), so it has no busy loops
#   ct           cyclictest -q -m -t1 -i 1000 -l 3000 --policy=other, 4 busy loops started 1 s before it
#   ctnm         the same without -m (mlockall)
#   ctv          ct with every sample written out (-v), to see whether the thread is late all along
# scx_gamer is started on a quiet machine and waited for on the sched_ext state file, never on a sleep.
#
# Arguments: ROUNDS DURATION_S [SCHEDS] [WORKLOADS] [NEW_FLAGS]
# out/: plan.txt, timeline.txt, r<R>/<sched>/<workload>.{json,err,state,kern,policy,sched}, <sched>.log per round,
# dmesg.txt. This script only records; the host judges.
set -u
out=/work/out
rounds=$1
dur=$2
scheds=${3:-eevdf idle old new}
workloads=${4:-gs0 gs2 gs4 ct}
new_flags=${5:-}
old_js=/opt/old/scx_gamer.js

ts() { cut -d' ' -f1 /proc/uptime; }
note() {
  echo "$(ts) $*" >> $out/timeline.txt
  echo "probe: $*"
}
state() { cat /sys/kernel/sched_ext/state 2>/dev/null || echo missing; }
ops() { cat /sys/kernel/sched_ext/root/ops 2>/dev/null || echo none; }
wait_state() { # wanted, tenths of a second
  i=0
  while [ "$(state)" != "$1" ] && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
  [ "$(state)" = "$1" ]
}
snap_state() { echo "$(ts) $(state) $(ops)" >> "$1"; }
bg_pids() { ps -o pid,comm | awk '$2 == "bg-hog" || $2 == "bg-bursty" || $2 == "bg-encode" { print $1 }'; }
# Kernel-side activity, for the cost of a policy: context switches and rescheduling/function-call IPIs (one
# line each) and, when BPF_STATS=1, each of the scheduler's BPF programs' run count and run time
# ("prog <id> <cnt> <ns>"), and per thread of the game (PID) its moves and switches
# ("thread <comm> <migrations> <voluntary> <involuntary>").
kern_snap() { # file pid
  {
    echo "at $(ts)"
    grep -E '^ctxt ' /proc/stat
    grep -E '^ *(RES|CAL):' /proc/interrupts | awk '{ s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print $1, s }'
    # The loader's programs only, read in one awk (a process per fd took seconds under TCG and load).
    if [ "${BPF_STATS:-0}" = 1 ] && [ -n "$gamer" ]; then
      awk 'FNR == 1 { if (cnt != "") print "prog", id, cnt, ns; id = ""; cnt = "" }
        /^prog_id/ { id = $2 } /^run_cnt/ { cnt = $2 } /^run_time_ns/ { ns = $2 }
        END { if (cnt != "") print "prog", id, cnt, ns }' /proc/"$gamer"/fdinfo/* 2>/dev/null | sort -u
    fi
    awk 'FNR == 1 { if (m != "") print "thread", c, m, v, n; c = $1; m = ""; v = ""; n = "" }
      /^se.nr_migrations/ { m = $3 } /^nr_voluntary_switches/ { v = $3 } /^nr_involuntary_switches/ { n = $3 }
      END { if (m != "") print "thread", c, m, v, n }' /proc/"$2"/task/*/sched 2>/dev/null
  } >> "$1"
}
# STEADY_AFTER=S: gamesim also reports each role over what came after its first S seconds ("steady").
# TRACE=1: 3 s of the kernel's sched_switch and sched_wakeup events in each gamesim run (<workload>.trace),
# for tools/vm/scenarios/trace_waits.ts (what a late wake-up waited behind). TRACE_EXTRA adds events by
# their tracefs path, e.g. "timer/hrtimer_expire_entry irq/softirq_entry".
trace_run() { # file
  t=/sys/kernel/tracing
  [ -d $t/events ] || mount -t tracefs nodev $t
  echo 0 > $t/tracing_on
  echo > $t/trace
  echo 16384 > $t/buffer_size_kb
  for e in sched/sched_switch sched/sched_wakeup sched/sched_wakeup_new ${TRACE_EXTRA:-}; do
    echo 1 > "$t/events/$e/enable"
  done
  echo 1 > $t/tracing_on
  sleep 3
  echo 0 > $t/tracing_on
  cat $t/trace > "$1"
  echo 0 > $t/events/enable
}
gamer=""
start_gamer() { # dir, command...
  dir=$1
  shift
  "$@" >> "$dir/gamer.log" 2>&1 &
  gamer=$!
  if wait_state enabled 3000; then
    note "scheduler enabled: $*"
    # Deno's start-up (JIT, first reads) finishes before anything is measured.
    i=0
    while ! grep -q "attached" "$dir/gamer.log" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 1
    return 0
  fi
  note "scheduler did not reach enabled: $*"
  return 1
}
stop_gamer() {
  dir=$1
  [ -n "$gamer" ] || return 0
  kill -INT "$gamer" 2>/dev/null
  wait "$gamer"
  echo $? > "$dir/gamer.rc"
  wait_state disabled 600 || note "sched_ext still $(state) after stopping the scheduler"
  gamer=""
}

run_gs() { # dir name hogs idle(0|1) [game flags]
  dir=$1
  name=$2
  hogs=$3
  idle=$4
  game=${5:-${GAME_FLAGS:---fps 144 --frame-work-us 2500 --workers 2}}
  snap_state "$dir/$name.state"
  policy=other
  [ "$idle" = 1 ] && policy=idle
  # shellcheck disable=SC2086 # STEADY_AFTER: empty or one number; game: a word list
  gamesim --duration "$dur" $game --hogs "$hogs" \
    --hog-policy $policy ${STEADY_AFTER:+--steady-after $STEADY_AFTER} --json "$dir/$name.json" \
    > /dev/null 2> "$dir/$name.err" &
  gs=$!
  i=0
  while ! grep -q running "$dir/$name.err" 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  pids=$(bg_pids)
  # Where the CPUs go (game, loops, the rest, idle) gamesim reports itself, over its own window. The
  # kernel counters' window is half the game's and its clock starts now: the snapshots take seconds under
  # load, and a window that ran past the game's end would dilute the rates with a quiet machine.
  sleep $((dur / 2)) &
  window=$!
  kern_snap "$dir/$name.kern" "$gs"
  for p in $pids; do grep '^policy' "/proc/$p/sched" 2>/dev/null; done > "$dir/$name.policy"
  [ "${TRACE:-0}" = 1 ] && trace_run "$dir/$name.trace"
  wait $window
  kern_snap "$dir/$name.kern" "$gs"
  wait $gs
  echo $? > "$dir/$name.rc"
  snap_state "$dir/$name.state"
}

run_ct() { # dir name idle(0|1) extra-flags
  dir=$1
  name=$2
  idle=$3
  mflag=$4
  snap_state "$dir/$name.state"
  policy=other
  [ "$idle" = 1 ] && policy=idle
  gamesim --background-only --hogs 4 --hog-policy $policy --duration 86400 > /dev/null 2> "$dir/$name.loops" &
  loops=$!
  i=0
  while ! grep -q running "$dir/$name.loops" 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.05
    i=$((i + 1))
  done
  sleep 1
  if [ "$name" = ctv ]; then
    cyclictest -v -m -t1 -i 1000 -l 3000 --policy=other > "$dir/$name.out" 2>&1 &
  else
    # shellcheck disable=SC2086
    cyclictest -q $mflag -t1 -i 1000 -l 3000 --policy=other -h 100000 --histfile=/dev/null \
      --json="$dir/$name.json" > "$dir/$name.out" 2>&1 &
  fi
  ct=$!
  # The measuring thread's own accounting a second in: was its first run long (mlockall faulting)?
  sleep 1
  for t in /proc/$ct/task/*; do
    echo "== $(cat "$t/comm" 2>/dev/null)"
    grep -E '^(se.sum_exec_runtime|nr_switches|nr_voluntary|nr_involuntary|policy|se.exec_start)' "$t/sched" 2>/dev/null
  done > "$dir/$name.sched"
  wait $ct
  echo $? > "$dir/$name.rc"
  kill $loops 2>/dev/null
  wait $loops 2>/dev/null
  snap_state "$dir/$name.state"
}

run_workloads() { # dir idle
  for w in $workloads; do
    note "  $w"
    case $w in
      gs0) run_gs "$1" gs0 0 "$2" ;;
      gs2) run_gs "$1" gs2 2 "$2" ;;
      gs4) run_gs "$1" gs4 4 "$2" ;;
      gsa) run_gs "$1" gsa 0 "$2" "${ALONE_FLAGS:?gsa needs ALONE_FLAGS}" ;;
      ct) run_ct "$1" ct "$2" -m ;;
      ctnm) run_ct "$1" ctnm "$2" "" ;;
      ctv) run_ct "$1" ctv "$2" -m ;;
      *) note "unknown workload $w" ;;
    esac
  done
}

{
  echo "rounds $rounds"
  echo "duration_s $dur"
  echo "scheds $scheds"
  echo "workloads $workloads"
  echo "new_flags $new_flags"
  echo "game_flags ${GAME_FLAGS:-default}"
  echo "alone_flags ${ALONE_FLAGS:-}"
  env | grep -E '^[XB][0-9]+_FLAGS=' || true
  echo "kernel $(uname -r)"
  echo "cpus $(nproc)"
} > $out/plan.txt
[ "${BPF_STATS:-0}" = 1 ] && echo 1 > /proc/sys/kernel/bpf_stats_enabled
note "start, sched_ext $(state)"

set -- $scheds
n=$#
r=0
while [ $r -lt "$rounds" ]; do
  # Rotate the order by one per round.
  order=""
  k=0
  while [ $k -lt $n ]; do
    idx=$(((k + r) % n + 1))
    eval "s=\${$idx}"
    order="$order $s"
    k=$((k + 1))
  done
  for s in $order; do
    dir=$out/r$r/$s
    mkdir -p "$dir"
    note "round $r $s begin"
    case $s in
      eevdf) run_workloads "$dir" 0 ;;
      idle) run_workloads "$dir" 1 ;;
      old)
        # shellcheck disable=SC2086
        start_gamer "$dir" deno run -A --unstable-ffi "$old_js" && run_workloads "$dir" 0
        stop_gamer "$dir"
        ;;
      new)
        # shellcheck disable=SC2086
        start_gamer "$dir" scx_gamer --verbose $new_flags && run_workloads "$dir" 0
        stop_gamer "$dir"
        ;;
      stats)
        # shellcheck disable=SC2086
        start_gamer "$dir" scx_gamer --verbose --stats 1 $new_flags && run_workloads "$dir" 0
        stop_gamer "$dir"
        ;;
      x*)
        eval "flags=\${X${s#x}_FLAGS:-}"
        # shellcheck disable=SC2086
        start_gamer "$dir" scx_gamer --verbose $flags && run_workloads "$dir" 0
        stop_gamer "$dir"
        ;;
      base)
        start_gamer "$dir" deno run -A --unstable-ffi /opt/base/run_baseline.js /opt/base/fifo_vtime.bpf.o &&
          run_workloads "$dir" 0
        stop_gamer "$dir"
        ;;
      b*)
        eval "flags=\${B${s#b}_FLAGS:-}"
        # shellcheck disable=SC2086
        # As the installed wrapper runs it (tools/vm/layers.ts): the same V8 flags, --verbose for program ids.
        start_gamer "$dir" deno run -A --unstable-ffi --v8-flags=--no-memory-reducer "/opt/$s/scx_gamer.js" \
          --verbose $flags && run_workloads "$dir" 0
        stop_gamer "$dir"
        ;;
    esac
    note "round $r $s end"
  done
  r=$((r + 1))
done
dmesg | grep -iE 'sched_ext|scx|stall|watchdog' > $out/dmesg.txt
note "done"
exit 0
