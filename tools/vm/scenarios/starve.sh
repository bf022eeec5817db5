#!/bin/sh
# No task waits for the kernel's watchdog, whatever the config (tests/vm/starve_vm_test.ts; bpf
# run_starved). The game of the bench:loop run whose random config ejected the scheduler (3 job workers
# of 7 ms, 3 encoders of 1.5 ms per 2 ms slot: both CPUs busy with tasks that sleep between short runs),
# that config's large quantum and lag at their largest (slice_lag_us 1 s: each of their wake-ups starts
# up to a second behind the virtual clock) and a nice-19 task of 8 ms per 20 ms slot (interactive: below
# the 10 ms threshold; its vruntime moves 100 times as far as it runs). Without the guard on the
# interactive queue that task waited 1.7-3.8 s at a time (khugepaged 5.8 s in the bench:loop run, and the
# watchdog ejected the scheduler).
# out/: gamer.log; game.err, light.err (gamesim); light.txt, every ~0.1 s for 20 s: "uptime run_ns state"
# (the nice-19 task's CPU time from its schedstat, sched_ext's state), read with shell builtins only, by
# a shell at nice -20, so the samples keep their pace under the load.
set -u
out=/work/out
sx=/sys/kernel/sched_ext
state() { cat $sx/state 2>/dev/null || echo missing; }
wait_line() { # file, pattern, tenths
  i=0
  while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt "$3" ]; do sleep 0.1; i=$((i + 1)); done
}

scx_gamer --slice-us 20000 --slice-lag-us 1000000 --batch-burst-us 10000 > $out/gamer.log 2>&1 &
wait_line $out/gamer.log attached 3000
gamesim --fps 60 --frame-work-us 2000 --workers 3 --job-us 7000 --encoders 3 --encode-us 1500 \
  --encode-period-us 2000 --duration 40 > /dev/null 2> $out/game.err &
wait_line $out/game.err running 600
gamesim --background-only --encoders 1 --encode-us 8000 --encode-period-us 20000 --duration 40 \
  > /dev/null 2> $out/light.err &
parent=$!
light=""
i=0
while [ -z "$light" ] && [ $i -lt 600 ]; do
  light=$(cat /proc/[0-9]*/stat 2> /dev/null | awk -v p=$parent '$2 == "(bg-encode)" && $4 == p { print $1 }')
  [ -z "$light" ] && sleep 0.1
  i=$((i + 1))
done
[ -n "$light" ] || { echo "starve: the nice-19 task never started"; exit 1; }
renice -n 19 -p "$light" > /dev/null
renice -n -20 -p $$ > /dev/null
# The pause: a read with a timeout on a FIFO nobody writes to (busybox has no sleep builtin).
mkfifo /tmp/starve.tick
exec 3<> /tmp/starve.tick
i=0
while [ $i -lt 200 ]; do
  read -r up _ < /proc/uptime
  run=gone
  read -r run _ 2> /dev/null < /proc/$light/schedstat
  st=missing
  read -r st 2> /dev/null < $sx/state
  echo "$up $run $st" >> $out/light.txt
  read -r -t 0.1 -u 3 _
  i=$((i + 1))
done
echo "starve: done"
