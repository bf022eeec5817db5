#!/bin/sh
# The demo's work inside the sched_ext test VM (busybox sh in the guest's /work; see tools/vm/vm.ts):
# start gamesim as the game (with background hogs), sweep scx_gamer's configs over it, export the
# training CSV. Everything it produces lands in out/, which the harness copies back to the host:
#   out/ml/{cpu}/game.exe.json  the samples (and out/ml/sweep_state.json, the sweep's state)
#   out/training.csv            the export of every sample
#   out/sweep.log, out/export.log, out/gamesim.err   what each step printed
# Environment: DEMO_GAME_ARGS (gamesim's load), DEMO_MIN_SAMPLES and DEMO_MAX_ROUNDS (see below).
#
# usage: sh demo_guest.sh [SWEEP FLAGS...]
#   SWEEP FLAGS  the grid and timing, e.g. --slice-us 5,20 --duration 6 --settle 1 --ml-sample-interval 1
# Exit status: 0 when the sweep finished and the export worked, else the failing step's status.
set -u
out=/work/out
say() { echo "demo-guest: $*"; }

# Under emulation a Deno start competes with the game for two emulated CPUs and can take minutes;
# the sweep (which is the scheduler's own process) gets the CPU first. Only the userspace side is
# affected: the game's threads are scheduled by scx_gamer exactly as without it.
renice -n -10 -p $$ >/dev/null

# The game's load. Under emulation a busy background process halves the speed of every other vCPU
# and starves the scheduler's own process, so the default background load is one bursty hog (spins
# 50 ms of every 100 ms) next to a light game; DEMO_GAME_ARGS overrides it (gamesim --help).
game_args=${DEMO_GAME_ARGS:---fps 30 --workers 1 --bursty}
input=""
[ -n "${VM_KBD_EVDEV:-}" ] && input="--input-dev $VM_KBD_EVDEV"
say "starting the game: gamesim (game.exe) $game_args $input"
# 30 minutes outlasts any demo sweep (gamesim preallocates its sample buffers for the duration).
# Its own session, so one signal to the group stops the game and its hog processes together.
# shellcheck disable=SC2086 # $game_args and $input are lists of words
setsid gamesim --duration 1800 $game_args $input --json $out/gamesim.json >/dev/null 2>$out/gamesim.err &
game=$!
i=0
while ! grep -q running $out/gamesim.err 2>/dev/null && [ $i -lt 600 ]; do
  sleep 0.1
  i=$((i + 1))
done
if ! grep -q running $out/gamesim.err 2>/dev/null; then
  say "gamesim did not start: $(cat $out/gamesim.err)"
  exit 1
fi

# Under emulation on a busy host the scheduler's own process can be starved after it attaches and
# collect little in a config's few seconds. With DEMO_MIN_SAMPLES set, the grid is swept again (a new
# state file per round, so every config runs again) until the export holds that many samples, at
# most DEMO_MAX_ROUNDS times: the trainer refuses fewer than 20 samples.
min_samples=${DEMO_MIN_SAMPLES:-0}
max_rounds=${DEMO_MAX_ROUNDS:-3}
round=1
while :; do
  state=$out/ml/sweep_state.json
  [ $round -gt 1 ] && state=$out/ml/sweep_state_round$round.json
  say "sweep round $round: scx_gamer --sweep $*"
  {
    scx_gamer --sweep --verbose --ml-dir $out/ml --game game.exe --state "$state" "$@"
    echo $? >$out/sweep.rc
  } 2>&1 | tee -a $out/sweep.log
  sweep_rc=$(cat $out/sweep.rc)
  [ "$sweep_rc" = 0 ] || break

  say "exporting the samples: scx_gamer --ml-export-csv out/training.csv"
  scx_gamer --ml-export-csv $out/training.csv --ml-dir $out/ml >$out/export.log 2>&1
  export_rc=$?
  cat $out/export.log
  [ $export_rc = 0 ] || break
  samples=$(($(wc -l <$out/training.csv) - 1))
  [ "$samples" -ge "$min_samples" ] && break
  if [ $round -ge "$max_rounds" ]; then
    say "only $samples samples after $round rounds (wanted $min_samples)"
    break
  fi
  say "$samples samples so far, $min_samples wanted: sweeping the grid once more"
  round=$((round + 1))
done

kill -TERM "-$game" 2>/dev/null
wait $game 2>/dev/null
if [ "$sweep_rc" != 0 ]; then
  say "the sweep failed with status $sweep_rc"
  exit "$sweep_rc"
fi
exit $export_rc
