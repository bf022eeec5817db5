#!/bin/sh
# The scheduler benchmark's guest side (driven by tools/bench_sched/main.ts, `deno task bench:sched`).
#
# Configured by the environment (main.ts sets all of it):
#   BENCH_ROUNDS BENCH_DURATION   rounds; seconds per workload run (cyclictest: loops of 1 ms)
#   BENCH_SCHEDULERS              the schedulers, eevdf first (see below)
#   BENCH_WORKLOADS               the workloads run under each (see below)
#   BENCH_FPS BENCH_STATS         the game's frame rate; scx_gamer's --stats interval in gamer_stats
#   BENCH_BEST_FLAGS              scx_gamer tunable flags of the "best" scheduler
#   BENCH_BPFLAND_LOADER BENCH_BPFLAND_OBJ BENCH_BPFLAND_SETTINGS   scx_bpfland, when built
#   BENCH_PROBE_JS                the bundled counters probe, when it runs
#   BENCH_TCG                     how the host runs the vCPUs (single or multi), for plan.txt
#
# One boot runs every round. Each round runs every scheduler in turn, the order rotated by one per round
# (the host's load drifts; rotation spreads that drift over all of them):
#   eevdf        the kernel's default (no sched_ext scheduler loaded)
#   eevdf_idle   the same, every background process under SCHED_IDLE (gamesim --hog-policy idle)
#   gamer        scx_gamer, defaults, stats off
#   gamer_stats  scx_gamer --stats BENCH_STATS
#   bpfland      scx_bpfland through its loader
#   best         scx_gamer BENCH_BEST_FLAGS, stats off
# Under each the same workloads run, each for BENCH_DURATION s. The game is gamesim shaped as issue 12's:
# a BENCH_FPS render thread with 2.5 ms of work per frame, two job workers, 1 kHz input, 5 ms audio. The
# background is gamesim's busy loops (own processes, named bg-hog), 1x = one per vCPU:
#   gs_0x gs_1x gs_2x  the game alone, with 1x and with 2x busy loops
#   ct_m               cyclictest -q -m -t1 -i 1000 -l N --policy=other, 2x busy loops started 1 s before
#   ct                 the same without -m
#   gs_burst           the game with one busy loop and one bursty one (50 ms on, 50 ms off)
#   hv_0x hv_2x        a CPU-heavy game (heavy_game below: 1.4 of 2 vCPUs) alone and with 2x busy loops
#   enc_3              a 60 fps game beside 3 encoder-like processes (encoder_game below)
# A game alone is not run under eevdf_idle: there is nothing to demote. The background is started per
# workload and stopped after it, and every scheduler's userspace is started on a quiet machine: under
# busy loops a Deno start-up alone takes minutes on this emulated VM.
#
# With BENCH_PROBE_JS (tools/bench_sched/counters_probe.ts, bundled), scx_gamer's default config is then
# loaded once more through the library and ct_m and gs_2x run under it, with the scheduler's counters
# read at the start and end of each: what became of critical wake-ups, which the stats line does not show.
#
# This script only records; the host judges. Layout of out/:
#   plan.txt                   what ran (rounds, duration, schedulers, workloads, the game, the kernel)
#   timeline.txt               uptime-stamped steps
#   r<R>/<sched>/<workload>.*  .json (gamesim's or cyclictest's), .bg.json (cyclictest's busy loops),
#                              .state (sched_ext state + ops before and after), .rc, .policy (cyclictest's
#                              threads), .cpu (CPU ticks of the background, the loader, the game and
#                              /proc/stat, every second of the run)
#   r<R>/<sched>/sched.log     the scheduler's loader's output with "@@bench begin|end <workload>" markers
#   r<R>/<sched>/sched.rc      its exit status
#   r<R>/<sched>/dmesg.txt     the kernel's sched_ext lines logged while the scheduler block ran
#   probe/                     the counters probe: counters.jsonl ("@@probe W" + JSON lines), its runs
set -u
out=/work/out
rounds=${BENCH_ROUNDS:?}
dur=${BENCH_DURATION:?}
stats=${BENCH_STATS:-1}
schedulers=${BENCH_SCHEDULERS:-eevdf gamer}
workloads=${BENCH_WORKLOADS:-gs_0x gs_2x ct_m}
fps=${BENCH_FPS:-144}
frame_work_us=2500
# The heavy game of hv_*: 60 fps, 12 ms of render work per frame and four 3 ms jobs, 1.4 of 2 vCPUs, so
# a scheduler has little idle time to hide its choices in. run_gs passes these after the standard game's
# flags, and gamesim (getopt_long) keeps the last value of a repeated flag.
heavy_game="--fps 60 --frame-work-us 12000 --workers 4 --job-us 3000"
# The game of enc_3: 60 fps, 6 ms of render work and two 2 ms jobs per frame, beside three bg-encode
# processes (4 ms of CPU work in every 6 ms slot each, as a software video encoder's threads): bursts too
# short to look like busy loops, and together more than the machine has left over.
encoder_game="--fps 60 --frame-work-us 6000 --workers 2 --job-us 2000 --encoders 3"
cpus=$(nproc)
probe=""

# Shell builtins only where it runs often: under TCG every fork and exec of busybox costs milliseconds.
ts() {
  read -r up _ < /proc/uptime
  echo "$up"
}
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
# Wait until FILE contains PATTERN (or the process PID is gone), tenths of a second.
wait_line() { # file pattern pid tenths
  i=0
  while ! grep -q "$2" "$1" 2>/dev/null && kill -0 "$3" 2>/dev/null && [ $i -lt "$4" ]; do
    sleep 0.1
    i=$((i + 1))
  done
}

loader=""
loader_log=""
# Start a scheduler's userspace (the command as arguments) logging to $1/sched.log; fails when sched_ext
# never reaches "enabled".
start_loader() {
  dir=$1
  shift
  loader_log=$dir/sched.log
  # >> (O_APPEND): the markers written below land between the loader's own lines, never over them.
  "$@" >> "$loader_log" 2>&1 &
  loader=$!
  if wait_state enabled 3000; then
    note "enabled: $(ops)"
    wait_quiet "$loader"
    return 0
  fi
  note "did not reach enabled: $*"
  return 1
}
stop_loader() {
  dir=$1
  kill -INT "$loader" 2>/dev/null
  wait "$loader"
  echo $? > "$dir/sched.rc"
  wait_state disabled 600 || note "sched_ext still $(state) after stopping the scheduler"
  loader=""
  loader_log=""
}
# Ask the counters probe (when it runs) to append the counters, labelled with the workload.
probe_mark() {
  [ -n "$probe" ] || return 0
  echo "@@probe $1" >> $out/probe/counters.jsonl
  kill -USR2 "$probe" 2>/dev/null
  return 0
}
# Workload boundaries: into the loader's log (its stats lines between them belong to the workload) and,
# with the time, into the timeline.
mark() {
  echo "$(ts) $2 $1" >> $out/timeline.txt
  [ -n "$loader_log" ] && echo "@@bench $1 $2" >> "$loader_log"
  return 0
}
snap_state() { echo "$(state) $(ops)" >> "$1"; }

# CPU time (utime + stime, USER_HZ ticks) of the given processes, summed; gone ones count 0. Fields 14
# and 15 of /proc/PID/stat; the comm field of the processes measured here has no spaces.
ticks() {
  local t=0 p line
  for p in "$@"; do
    line=""
    read -r line 2> /dev/null < "/proc/$p/stat" || continue
    # shellcheck disable=SC2086
    set -- $line
    shift 13
    t=$((t + $1 + $2))
  done
  echo $t
}
# Wait until a loader's start-up (JIT, first scans) is over, on its state, not for a fixed time: its CPU
# use under 10% of one CPU in two half-seconds in a row (at most 30 s). A game meets a loader that has
# run for a while (a service, or started before the game).
wait_quiet() { # pid
  local calm=0 i=0 prev now
  prev=$(ticks "$1")
  while [ $calm -lt 2 ] && [ $i -lt 60 ]; do
    sleep 0.5
    now=$(ticks "$1")
    if [ $((now - prev)) -le 5 ]; then calm=$((calm + 1)); else calm=0; fi
    prev=$now
    i=$((i + 1))
  done
  note "loader quiet after $((i / 2)).$((i % 2 * 5)) s"
}
# gamesim's background processes. From ps, which reads /proc/PID/stat: /proc/PID/comm of gamesim's
# processes reads empty in this guest.
bg_pids() {
  ps -o pid,comm | awk '$2 == "bg-hog" || $2 == "bg-bursty" || $2 == "bg-encode" { print $1 }'
}
# One line into $1: "uptime background-ticks loader-ticks game-ticks" and the aggregate /proc/stat cpu
# fields (user nice system idle iowait irq softirq), for the game $2 and the background pids after it.
sample_cpu() {
  file=$1
  game=$2
  shift 2
  g=0
  [ -n "$loader" ] && g=$(ticks "$loader")
  read -r _ user nice system idle iowait irq softirq _ < /proc/stat
  echo "$(ts) $(ticks "$@") $g $(ticks "$game") $user $nice $system $idle $iowait $irq $softirq" >> "$file"
}
# Sample every second in the background while the game $2 lives. The host takes the first line and the
# last one before any tracked process was gone, and turns them into CPU shares, which, unlike
# iterations per second, do not depend on how fast the shared host emulates the VM. Reniced to -15:
# at nice 0 under EEVDF and 4 busy loops the sampler (a shell forking cat and awk) got one line in 8 s.
# Its own CPU use is small, so the priority barely touches what is measured, under any scheduler.
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

# cyclictest under 2x busy loops started 1 s before it. No -p: rt-tests 2.4 turns -p 0 into SCHED_FIFO,
# which sched_ext never schedules; the thread's policy is recorded halfway through so the host can check
# it. $4 is -m or empty. -l N with N = 1000 per second of the run, capped by -D at the run's duration: a
# late wake-up stretches its loop, and on a loaded host N loops take far longer than N ms.
run_ct() { # dir name policy [-m]
  dir=$1
  name=$2
  policy=$3
  mlock=${4:-}
  snap_state "$dir/$name.state"
  mark begin "$name"
  gamesim --background-only --hogs $((2 * cpus)) --hog-policy "$policy" --duration 3600 \
    --json "$dir/$name.bg.json" > /dev/null 2> "$dir/$name.bg.err" &
  bg=$!
  wait_line "$dir/$name.bg.err" running $bg 300
  sleep 1
  # shellcheck disable=SC2086
  cyclictest -q $mlock -t1 -i 1000 -l $((dur * 1000)) -D "$dur" --policy=other -h 200000 --histfile=/dev/null \
    --json="$dir/$name.json" > "$dir/$name.out" 2>&1 &
  ct=$!
  echo "$(ts) $name sampling" >> $out/timeline.txt
  # shellcheck disable=SC2046
  start_sampler "$dir/$name.cpu" $ct $(bg_pids)
  probe_mark "$name"
  # The policy check 1 s after the measuring thread appears (two threads: main and the measuring one),
  # while it surely still runs; a thread gone in between is left out, and the host wants two lines.
  i=0
  while [ "$(ls "/proc/$ct/task" 2>/dev/null | wc -l)" -lt 2 ] && kill -0 $ct 2>/dev/null && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  sleep 1
  for t in /proc/$ct/task/*; do
    p=$(grep '^policy' "$t/sched" 2>/dev/null | tr -s ' ')
    [ -n "$p" ] && echo "$(cat "$t/comm" 2>/dev/null) $p"
  done > "$dir/$name.policy"
  # The measurement is over when the measuring thread exits. Stop the loops then: the histogram dump that
  # follows takes many seconds under TCG and would otherwise compete with them.
  i=0
  while [ "$(ls "/proc/$ct/task" 2>/dev/null | wc -l)" -gt 1 ] && [ $i -lt 1200 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  echo "$(ts) $name measured" >> $out/timeline.txt
  probe_mark "$name"
  kill -TERM $bg 2>/dev/null
  wait $bg
  wait $ct
  echo $? > "$dir/$name.rc"
  wait $sampler
  echo "$(ts) $name exited" >> $out/timeline.txt
  mark end "$name"
  snap_state "$dir/$name.state"
}

run_gs() { # dir name policy gamesim-background-flags...
  dir=$1
  name=$2
  policy=$3
  shift 3
  snap_state "$dir/$name.state"
  mark begin "$name"
  gamesim --duration "$dur" --fps "$fps" --frame-work-us $frame_work_us --workers 2 --input-hz 1000 \
    --audio-period-us 5000 --hog-policy "$policy" "$@" --json "$dir/$name.json" \
    > /dev/null 2> "$dir/$name.err" &
  gs=$!
  # Sample once every thread and hog runs (gamesim says so on stderr); starting takes a while under load.
  wait_line "$dir/$name.err" running $gs 300
  echo "$(ts) $name running" >> $out/timeline.txt
  # shellcheck disable=SC2046
  start_sampler "$dir/$name.cpu" $gs $(bg_pids)
  marker=""
  if [ -n "$probe" ]; then
    probe_mark "$name"
    # The end mark before gamesim's teardown; under scx_gamer this shell wakes on time.
    (
      sleep $((dur - 1))
      probe_mark "$name"
    ) &
    marker=$!
  fi
  wait $gs
  echo $? > "$dir/$name.rc"
  # The end mark must land before the probe is stopped (a late "running" line delays it).
  [ -n "$marker" ] && wait "$marker"
  wait $sampler
  echo "$(ts) $name exited" >> $out/timeline.txt
  mark end "$name"
  snap_state "$dir/$name.state"
}

run_workloads() { # dir scheduler
  dir=$1
  policy=other
  [ "$2" = eevdf_idle ] && policy=idle
  for w in $workloads; do
    case $w in
      gs_0x) [ "$2" = eevdf_idle ] || run_gs "$dir" gs_0x $policy --hogs 0 ;;
      gs_1x) run_gs "$dir" gs_1x $policy --hogs "$cpus" ;;
      gs_2x) run_gs "$dir" gs_2x $policy --hogs $((2 * cpus)) ;;
      gs_burst) run_gs "$dir" gs_burst $policy --hogs 1 --bursty ;;
      # shellcheck disable=SC2086
      hv_0x) [ "$2" = eevdf_idle ] || run_gs "$dir" hv_0x $policy --hogs 0 $heavy_game ;;
      # shellcheck disable=SC2086
      hv_2x) run_gs "$dir" hv_2x $policy --hogs $((2 * cpus)) $heavy_game ;;
      # shellcheck disable=SC2086
      enc_3) run_gs "$dir" enc_3 $policy --hogs 0 $encoder_game ;;
      ct_m) run_ct "$dir" ct_m $policy -m ;;
      ct) run_ct "$dir" ct $policy ;;
      *) note "unknown workload $w" ;;
    esac
  done
}

{
  echo "rounds $rounds"
  echo "duration_s $dur"
  echo "stats_s $stats"
  echo "best_flags ${BENCH_BEST_FLAGS:-}"
  echo "fps $fps"
  echo "frame_work_us $frame_work_us"
  echo "heavy_game $heavy_game"
  echo "encoder_game $encoder_game"
  echo "workloads $workloads"
  echo "schedulers $schedulers"
  echo "kernel $(uname -r)"
  echo "cpus $cpus"
  echo "date $(date -u +%Y-%m-%d)"
  echo "tcg ${BENCH_TCG:-single}"
} > $out/plan.txt
note "start, sched_ext $(state)"

n=$(echo "$schedulers" | wc -w)
r=0
while [ $r -lt "$rounds" ]; do
  # Rotate: round r starts with the (r mod n)-th scheduler and wraps around.
  # shellcheck disable=SC2086
  set -- $schedulers $schedulers
  shift $((r % n))
  order=""
  k=0
  for s in "$@"; do
    [ $k -lt "$n" ] && order="$order $s"
    k=$((k + 1))
  done
  for s in $order; do
    dir=$out/r$r/$s
    mkdir -p "$dir"
    note "round $r $s begin"
    kernel_lines=$(dmesg | wc -l)
    case $s in
      eevdf | eevdf_idle)
        wait_state disabled 600 || note "sched_ext is $(state) before an $s run"
        run_workloads "$dir" "$s"
        ;;
      gamer)
        start_loader "$dir" scx_gamer --verbose && run_workloads "$dir" "$s"
        stop_loader "$dir"
        ;;
      gamer_stats)
        start_loader "$dir" scx_gamer --verbose --stats "$stats" && run_workloads "$dir" "$s"
        stop_loader "$dir"
        ;;
      best)
        # shellcheck disable=SC2086
        start_loader "$dir" scx_gamer --verbose ${BENCH_BEST_FLAGS:-} && run_workloads "$dir" "$s"
        stop_loader "$dir"
        ;;
      bpfland)
        start_loader "$dir" deno run -A --unstable-ffi "${BENCH_BPFLAND_LOADER:?}" "${BENCH_BPFLAND_OBJ:?}" \
          "${BENCH_BPFLAND_SETTINGS:?}" && run_workloads "$dir" "$s"
        stop_loader "$dir"
        ;;
      *) note "unknown scheduler $s" ;;
    esac
    dmesg | tail -n +$((kernel_lines + 1)) | grep -iE 'sched_ext|scx|stall|watchdog' > "$dir/dmesg.txt"
    note "round $r $s end"
  done
  r=$((r + 1))
done

if [ -n "${BENCH_PROBE_JS:-}" ]; then
  dir=$out/probe
  mkdir -p "$dir"
  note "counters probe begin"
  deno run -A --unstable-ffi "$BENCH_PROBE_JS" "$dir/counters.jsonl" > "$dir/probe.log" 2>&1 &
  probe=$!
  if wait_state enabled 3000; then
    wait_quiet "$probe"
    run_ct "$dir" ct_m other -m
    run_gs "$dir" gs_2x other --hogs $((2 * cpus))
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
dmesg | grep -iE 'sched_ext|scx|stall|watchdog' > $out/dmesg.txt
note "done"
exit 0
