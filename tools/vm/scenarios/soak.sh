#!/bin/sh
# The kill -9 soak's guest side (run by tests/vm/soak_vm_test.ts, issue 15): for SOAK_S seconds (default
# 600) and at least SOAK_KILLS kills (default 5; a slow host's Deno starts make rounds long), but never past
# SOAK_MAX_S seconds (default twice SOAK_S), scx_gamer runs with --ml-collect on a game-shaped workload and is killed with SIGKILL at a random
# moment after it attached, then started again. At the end one last run is stopped cleanly (its store
# opens, folds the journal and cleans up), and the samples are exported. This script only records; the
# host judges. Layout of out/:
#   runs.txt       one line per killed run: "RUN SAMPLES_SEEN STATE_AFTER_KILL", where SAMPLES_SEEN is the
#                  last "samples N" its stats line showed before the kill (samples durable on disk by
#                  then: none of them may be lost), and STATE_AFTER_KILL the
#                  sched_ext state 10 s (at most) after it
#   run-N.log      each run's output
#   final.log, final.rc   the clean last run
#   export.log, export.rc, train.csv   the export afterwards
#   temps.txt      every temp or lock file left under out/ml at the end
set -u
out=/work/out
soak_s=${SOAK_S:-600}
soak_kills=${SOAK_KILLS:-5}
soak_max_s=${SOAK_MAX_S:-$((soak_s * 2))}
sx=/sys/kernel/sched_ext
state() { cat $sx/state 2>/dev/null || echo missing; }
wait_state() { # wanted, tenths of a second
  i=0
  while [ "$(state)" != "$1" ] && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
}
uptime_s() {
  read -r up _ < /proc/uptime
  echo "${up%.*}"
}
# A pseudo-random number in [lo, hi] from the kernel's entropy (busybox has no $RANDOM in sh).
rand() { # lo hi
  n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
  echo $(($1 + n % ($2 - $1 + 1)))
}
# The sample count its last stats line showed.
samples_seen() { # log
  grep -o 'samples [0-9]*' "$1" 2>/dev/null | tail -n 1 | awk '{ print $2 + 0 }'
}

gamesim --duration $((soak_max_s + 900)) --fps 60 --workers 2 --hogs 1 --json $out/game.json >/dev/null 2>$out/game.err &
game=$!
i=0
while ! grep -q running $out/game.err 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done

start=$(uptime_s)
run=0
: > $out/runs.txt
elapsed() { echo $(($(uptime_s) - start)); }
while { [ "$(elapsed)" -lt "$soak_s" ] || [ $run -lt "$soak_kills" ]; } && [ "$(elapsed)" -lt "$soak_max_s" ]; do
  run=$((run + 1))
  log=$out/run-$run.log
  scx_gamer --stats 1 --ml-collect --ml-sample-interval 1 --ml-dir $out/ml --socket /run/soak.sock >"$log" 2>&1 &
  pid=$!
  # Attached and collecting (a Deno start under TCG takes a while): wait on state, never a fixed sleep.
  wait_state enabled 1800
  i=0
  while ! grep -q 'collecting for' "$log" && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
  sleep "$(rand 3 25)"
  seen=$(samples_seen "$log")
  kill -KILL $pid 2>/dev/null
  wait $pid 2>/dev/null
  wait_state disabled 100
  echo "$run ${seen:-0} $(state)" >> $out/runs.txt
  echo "soak: run $run killed after ${seen:-0} samples; sched_ext $(state)"
done

# One clean run: its store opens the killed runs' files (folding journals, removing temps).
scx_gamer --stats 1 --ml-collect --ml-sample-interval 1 --ml-dir $out/ml --socket /run/soak.sock >$out/final.log 2>&1 &
pid=$!
wait_state enabled 1800
i=0
while ! grep -q 'collecting for' $out/final.log && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
sleep 3
kill -INT $pid
wait $pid
echo $? > $out/final.rc
wait_state disabled 100
state > $out/state_end.txt

scx_gamer --ml-export-csv $out/train.csv --ml-dir $out/ml >$out/export.log 2>&1
echo $? > $out/export.rc
find $out/ml -name '.*' -type f > $out/temps.txt
kill -TERM $game 2>/dev/null
wait $game 2>/dev/null
exit 0
