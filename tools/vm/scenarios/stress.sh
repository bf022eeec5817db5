#!/bin/sh
# The stress suite's guest side (run by tests/vm/stress_vm_test.ts, issue 12): with scx_gamer attached, a
# busy loop that has spun since the start and a game running throughout (gamesim reading the keyboard
# the host floods with key events for the whole run), one phase after another, each at least
# STRESS_PHASE_S seconds (default 20):
#   loops     2x busy loops started now, next to the old spinner (a long-running hog's vtime vs new ones)
#   pipes     hackbench-like pipe ping-pong, 2 pairs per CPU, plus a busy loop (gamesim --pipe-pairs), and a
#             nice-19 task running 2 ms every 100 ms (a second gamesim: its audio thread's worst wait)
#   taskset   the game's threads, the spinner and two busy loops moved between CPUs as fast as taskset runs
#   renice    the same threads' nice values changed as fast as renice runs, -20..19
#   forks     a fork storm: one loop of `(:)` per CPU and one of `sh -c :`
#   input     nothing more: the key flood (on in every phase) and the game alone
#   hotplug   CPU 1 offline for STRESS_HOTPLUG_S (default 10) seconds, then online for as long again
# Nothing here restarts scx_gamer during a phase. If it is gone at the start of a phase (ejected in an
# earlier one), it is started again first and out/restarts.txt says so; the hotplug phase is last.
#
# This script only records; the host judges (tools/vm/scenarios/stress_judge.ts). Layout of out/:
#   monitor.txt           every ~0.1 s: "uptime state ops enable_seq cpu1_online" (shell builtins only)
#   phases.txt            "NAME begin|end UPTIME", and for hotplug "hotplug offline|online UPTIME"
#   gamer.log, gamer.rc   scx_gamer's output, with "@@stress begin|end NAME" markers; its exit status
#   gamer.pid             "NAME PID" at the start and end of each phase: who was attached
#   <NAME>/dmesg.txt      the kernel's sched_ext lines logged during the phase
#   <NAME>/work.txt       evidence the phase's load ran: "key value" lines
#   game.json, game.err   gamesim's report (it runs throughout and is stopped at the end)
set -u
out=/work/out
phase_s=${STRESS_PHASE_S:-20}
hotplug_s=${STRESS_HOTPLUG_S:-10}
phases=${STRESS_PHASES:-loops pipes taskset renice forks input hotplug}
cpus=$(nproc)
sx=/sys/kernel/sched_ext
cpu1=/sys/devices/system/cpu/cpu1/online

now() {
  read -r up _ < /proc/uptime
  echo "$up"
}
state() { cat $sx/state 2>/dev/null || echo missing; }
wait_state() { # wanted, tenths of a second
  i=0
  while [ "$(state)" != "$1" ] && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
  [ "$(state)" = "$1" ]
}
# Forks since boot (/proc/stat "processes").
forks() { awk '$1 == "processes" { print $2 }' /proc/stat; }
# Keyboard interrupts since boot (i8042, IRQ 1), summed over CPUs.
kbd_irqs() { awk '$1 == "1:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) t += $i } END { print t + 0 }' /proc/interrupts; }
# CPU ticks (utime + stime) of processes, summed.
ticks() {
  for p in "$@"; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{ t += $14 + $15 } END { print t + 0 }'
}

# The monitor: builtins only, so it samples under any load without forking. busybox has no sleep builtin:
# the pause is a read with a timeout on a FIFO nobody writes to (a `sleep 0.1` was a fork and an exec each
# round, which a load that kept the CPUs busy delayed by up to 2.8 s: sparse samples, not a state change).
mkdir -p /tmp && mkfifo /tmp/stress.tick
(
  exec 3<> /tmp/stress.tick
  while :; do
    read -r up _ < /proc/uptime
    st=missing
    read -r st 2> /dev/null < $sx/state
    ops=none
    read -r ops 2> /dev/null < $sx/root/ops
    seq=0
    read -r seq 2> /dev/null < $sx/enable_seq
    on=1
    read -r on 2> /dev/null < $cpu1
    echo "$up $st $ops $seq $on"
    read -r -t 0.1 -u 3 _
  done
) >> $out/monitor.txt &
monitor=$!
renice -n -20 -p $monitor > /dev/null 2>&1

gamer=""
start_gamer() {
  echo "@@stress start $(now)" >> $out/gamer.log
  # >> (O_APPEND): the phase markers land between scx_gamer's own lines, never over them.
  scx_gamer --verbose --stats 5 >> $out/gamer.log 2>&1 &
  gamer=$!
  wait_state enabled 3000
}
gamer_alive() { [ -n "$gamer" ] && kill -0 "$gamer" 2> /dev/null && [ "$(state)" = enabled ]; }

echo "stress: start $(now), $cpus CPUs, phases: $phases"
# scx_gamer first, on a quiet machine: under load its Deno start-up alone takes minutes under TCG.
if ! start_gamer; then
  echo "stress: scx_gamer did not attach"
fi
# The spinner: runs from here to the end.
(while :; do :; done) &
spinner=$!
gamesim --duration 3600 --fps 144 --frame-work-us 2500 --workers 2 --input-dev "${VM_KBD_EVDEV:-/dev/null}" \
  --json $out/game.json > /dev/null 2> $out/game.err &
game=$!
i=0
while ! grep -q running $out/game.err 2> /dev/null && kill -0 $game 2> /dev/null && [ $i -lt 600 ]; do
  sleep 0.1
  i=$((i + 1))
done
echo "stress: game running $(now)"

# Threads the churn phases move around: the game's, the spinner and the given busy loops.
targets() {
  ls /proc/$game/task 2> /dev/null
  echo $spinner "$@"
}
busy() { # n: start n busy loops, their pids in $loops
  loops=""
  for _ in $(seq "$1"); do
    (while :; do :; done) &
    loops="$loops $!"
  done
}
stop_busy() {
  # shellcheck disable=SC2086
  kill $loops 2> /dev/null
  for p in $loops; do wait "$p" 2> /dev/null; done
  loops=""
}
until_end() { # seconds: true until that many seconds have passed since the phase began
  read -r up _ < /proc/uptime
  [ "${up%.*}" -lt $((phase_t0 + $1)) ]
}

run_phase() {
  name=$1
  dir=$out/$name
  mkdir -p "$dir"
  if ! gamer_alive; then
    echo "$name $(now) scx_gamer was gone; started again" >> $out/restarts.txt
    [ -n "$gamer" ] && wait "$gamer" 2> /dev/null
    start_gamer || echo "$name $(now) scx_gamer did not attach again" >> $out/restarts.txt
  fi
  kernel_lines=$(dmesg | wc -l)
  echo "$name $gamer" >> $out/gamer.pid
  echo "@@stress begin $name" >> $out/gamer.log
  t=$(now)
  phase_t0=$((${t%.*} + 1)) # whole seconds, rounded up: a phase never runs short
  echo "$name begin $t" >> $out/phases.txt
  echo "stress: $name begin $t"
  f0=$(forks)
  k0=$(kbd_irqs)
  case $name in
    loops)
      busy $((2 * cpus))
      sleep "$phase_s"
      echo "loop_ticks $(ticks $loops)" >> "$dir/work.txt"
      echo "spinner_ticks $(ticks $spinner)" >> "$dir/work.txt"
      stop_busy
      ;;
    pipes)
      # Beside the ping-pong, a nice-19 task that runs 2 ms every 100 ms (a second gamesim's audio thread): its
      # worst wake-up wait shows the weighted deadline is bounded (khugepaged once waited 5 s here).
      # (busybox has renice but no nice; the threads inherit it across exec)
      # shellcheck disable=SC2016
      sh -c 'renice -n 19 -p $$ > /dev/null && exec "$@"' nice19 gamesim --fps 1 --frame-work-us 0 \
        --workers 0 --input-hz 1 --audio-period-us 100000 --audio-work-us 2000 --duration "$phase_s" \
        --json "$dir/nice19.json" > /dev/null 2> "$dir/nice19.err" &
      nice19=$!
      gamesim --background-only --pipe-pairs $((2 * cpus)) --hogs 1 --duration "$phase_s" \
        --json "$dir/pipes.json" > /dev/null 2> "$dir/pipes.err"
      echo "pipes_rc $?" >> "$dir/work.txt"
      wait $nice19
      echo "nice19_rc $?" >> "$dir/work.txt"
      ;;
    taskset)
      busy 2
      n=0
      mask=1
      while until_end "$phase_s"; do
        # shellcheck disable=SC2046
        for tid in $(targets $loops); do
          taskset -p $mask "$tid" > /dev/null 2>&1 && n=$((n + 1))
        done
        mask=$((mask % 3 + 1))
      done
      # shellcheck disable=SC2046
      for tid in $(targets $loops); do taskset -p 3 "$tid" > /dev/null 2>&1; done
      stop_busy
      echo "taskset_calls $n" >> "$dir/work.txt"
      ;;
    renice)
      busy 2
      n=0
      k=0
      while until_end "$phase_s"; do
        # shellcheck disable=SC2046
        for tid in $(targets $loops); do
          case $((k % 5)) in 0) nice=-20 ;; 1) nice=19 ;; 2) nice=0 ;; 3) nice=-5 ;; *) nice=10 ;; esac
          renice "$nice" -p "$tid" > /dev/null 2>&1 && n=$((n + 1))
          k=$((k + 1))
        done
      done
      # shellcheck disable=SC2046
      for tid in $(targets $loops); do renice 0 -p "$tid" > /dev/null 2>&1; done
      stop_busy
      echo "renice_calls $n" >> "$dir/work.txt"
      ;;
    forks)
      # Forks that exit at once (init_task, enable, exit_task back to back), one loop per CPU, and one
      # loop of fork + exec on top.
      storm=""
      for _ in $(seq "$cpus"); do
        (while :; do (:); done) &
        storm="$storm $!"
      done
      (while :; do sh -c :; done) &
      storm="$storm $!"
      sleep "$phase_s"
      # shellcheck disable=SC2086
      kill $storm 2> /dev/null
      for p in $storm; do wait "$p" 2> /dev/null; done
      ;;
    input)
      sleep "$phase_s"
      ;;
    hotplug)
      echo "hotplug offline $(now)" >> $out/phases.txt
      echo 0 > $cpu1
      echo "offline_rc $?" >> "$dir/work.txt"
      echo "online_after_offline $(cat $cpu1)" >> "$dir/work.txt"
      sleep "$hotplug_s"
      echo "hotplug online $(now)" >> $out/phases.txt
      echo 1 > $cpu1
      echo "online_rc $?" >> "$dir/work.txt"
      echo "online_after_online $(cat $cpu1)" >> "$dir/work.txt"
      sleep "$hotplug_s"
      ;;
  esac
  echo "forks $(($(forks) - f0))" >> "$dir/work.txt"
  echo "kbd_irqs $(($(kbd_irqs) - k0))" >> "$dir/work.txt"
  t=$(now)
  echo "$name end $t" >> $out/phases.txt
  echo "@@stress end $name" >> $out/gamer.log
  alive=gone
  [ -n "$gamer" ] && kill -0 "$gamer" 2> /dev/null && alive=$gamer
  echo "$name $alive" >> $out/gamer.pid
  dmesg | tail -n +$((kernel_lines + 1)) | grep -iE 'sched_ext|scx|stall|watchdog' > "$dir/dmesg.txt"
  echo "stress: $name end $t"
}

for ph in $phases; do run_phase "$ph"; done

# The end: the game writes its report on SIGTERM; scx_gamer detaches on SIGINT.
echo 1 > $cpu1 2> /dev/null
kill -TERM $game 2> /dev/null
wait $game
echo $? > $out/game.rc
kill $spinner 2> /dev/null
if [ -n "$gamer" ] && kill -0 "$gamer" 2> /dev/null; then
  kill -INT "$gamer"
fi
[ -n "$gamer" ] && wait "$gamer"
echo $? > $out/gamer.rc
kill $monitor 2> /dev/null
dmesg | grep -iE 'sched_ext|scx|stall|watchdog|cpu.*offline' > $out/dmesg.txt
echo "stress: done $(now)"
exit 0
