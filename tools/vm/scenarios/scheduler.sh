#!/bin/sh
# The scheduler's end-to-end scenario on a real sched_ext kernel (run by tests/vm/scheduler_vm_test.ts
# through the VM harness). scx_gamer is attached and refused a second instance; then a game-like workload
# starts and runs through step 4 while scx_gamer is watched, stopped by SIGINT, restarted by CPU hotplug and
# tuned live; last, with no game, a stats-off run ended by --duration and the export. Every observation is
# written under out/ for the host-side test to judge; this script only records.
# Starting Deno under TCG with the CPUs busy takes tens of seconds: nothing here relies on timing.
out=/work/out
tunables_js=$1

state() { cat /sys/kernel/sched_ext/state; }
wait_state() { # wanted, seconds
  i=0
  while [ "$(state)" != "$1" ] && [ $i -lt "$2" ]; do sleep 1; i=$((i + 1)); done
  state
}
wait_lines() { # file, pattern, count, seconds
  i=0
  while [ "$(grep -c "$2" "$1" 2>/dev/null)" -lt "$3" ] && [ $i -lt "$4" ]; do sleep 1; i=$((i + 1)); done
}

# steps.txt: the guest's uptime as each step starts, so a slow or stuck run names the step that took the time.
mark() { echo "$(cut -d' ' -f1 /proc/uptime) $1" >> $out/steps.txt; }
mark start
uname -r > $out/kernel.txt
state > $out/state_before.txt

mark attach
# 1. Attach with stats and collection (runs until SIGINT).
scx_gamer --stats 1 --ml-collect --ml-sample-interval 1 --ml-dir $out/ml --verbose >$out/run.log 2>&1 &
run=$!
wait_state enabled 180 > $out/state_during.txt
cat /sys/kernel/sched_ext/root/ops > $out/ops_during.txt 2>&1
mark second_instance
# 2. A second instance while the first runs is refused with a clear line; the first keeps running.
scx_gamer --stats 1 --duration 2 >$out/second.log 2>&1
echo $? > $out/second.rc
state > $out/state_after_second.txt
mark game
# The game (Wine-like game.exe with named threads, one background hog and one bursty one) starts under the
# running scheduler, as under the service: scx_gamer finds it by itself. (Started before the scheduler, it
# made each Deno start above take 1-3 minutes of the CPUs it leaves.) Its two jobs of 3 ms outlast a
# quantum, and its 4 ms of render work keep the other CPU meanwhile, so the jobs take turns on one
# (frame_turns).
gamesim --duration 900 --fps 60 --frame-work-us 4000 --workers 2 --job-us 3000 --hogs 1 --bursty --json $out/gamesim.json >/dev/null 2>$out/gamesim.err &
game=$!
i=0
while ! grep -q running $out/gamesim.err 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done

mark collect_then_sigint
# 3. Let the first collect a few samples with the game, then SIGINT detaches it cleanly.
lines=$(grep -c '^\[' $out/run.log)
wait_lines $out/run.log '^\[' $((lines + 6)) 180
kill -INT $run
wait $run
echo $? > $out/run.rc
wait_state disabled 30 > $out/state_after_run.txt

# 3b. CPU hotplug: the kernel stops the scheduler with its restart code; scx_gamer attaches again by itself.
# Each hotplug_*.txt holds the seconds from the hotplug write until sched_ext is enabled again (or "never").
reattach_after() { # what, sysfs value
  before=$(cat /sys/kernel/sched_ext/hotplug_seq 2>/dev/null)
  t0=$(cut -d' ' -f1 /proc/uptime)
  echo "$2" > /sys/devices/system/cpu/cpu1/online
  # First the kernel disables the scheduler, then it must come back.
  i=0
  while [ "$(state)" = enabled ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
  i=0
  while [ "$(state)" != enabled ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
  t1=$(cut -d' ' -f1 /proc/uptime)
  if [ "$(state)" = enabled ]; then
    echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }' > $out/hotplug_$1.txt
  else
    echo never > $out/hotplug_$1.txt
  fi
  echo "$before $(cat /sys/kernel/sched_ext/hotplug_seq 2>/dev/null)" > $out/hotplug_seq_$1.txt
}
mark hotplug
# The supervisor attaches the same loaded instance again (a new struct_ops link, nothing verified again).
scx_gamer --stats 1 --verbose >$out/hotplug.log 2>&1 &
hot=$!
wait_state enabled 180 > /dev/null
# Its loop is running once it prints stats: a hotplug before that would time Deno's start-up in the guest.
wait_lines $out/hotplug.log '^\[' 1 180
reattach_after offline 0
wait_lines $out/hotplug.log 'attached again' 1 60
reattach_after online 1
wait_lines $out/hotplug.log 'attached again' 2 60
cat /sys/devices/system/cpu/online > $out/hotplug_cpus.txt
kill -INT $hot
wait $hot
echo $? > $out/hotplug.rc
wait_state disabled 30 > /dev/null

mark tunables
# 4. Tunables changed live on the running scheduler.
deno run -A --unstable-ffi "$tunables_js" $out/tunables.json >$out/tunables.log 2>&1
echo $? > $out/tunables.rc
wait_state disabled 30 > /dev/null

mark stop_game
# Background jobs of a non-interactive shell ignore SIGINT: stop the game with SIGTERM.
kill -TERM $game 2>/dev/null
wait $game 2>/dev/null
# Steps 5 and 6 need no game: with it gone, each Deno start takes seconds instead of a minute or more.
mark nostats
# 5. Stats off: the verifier prunes the profiling (compare instruction counts with run.log); --duration ends it.
scx_gamer --duration 2 --verbose >$out/nostats.log 2>&1
echo $? > $out/nostats.rc
wait_state disabled 30 > $out/state_after_nostats.txt

mark export
# 6. Export what was collected.
scx_gamer --ml-export-csv $out/train.csv --ml-dir $out/ml >$out/export.log 2>&1
echo $? > $out/export.rc

dmesg | grep -iE 'sched_ext|scx|stall|watchdog' > $out/dmesg.txt
mark end
exit 0
