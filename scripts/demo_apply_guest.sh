#!/bin/sh
# The demo's last stage inside the sched_ext test VM: the trained profile is applied live when its game
# starts (scx_gamer --ml-profiles), then measured against the defaults on the same running game
# (scx_gamer --ml-ab), in one boot, so the recommendation is judged by a fresh run, not by its prediction.
#   /work/ml/...                the store with the game's profile (copied in by scripts/demo.sh)
#   out/profiles.log, out/ab.log  what each step printed; out/ab.rc its status
# Environment: DEMO_GAME_ARGS (gamesim's load, as in demo_guest.sh), DEMO_AB_S (the A/B's length).
# On a host with sched_ext, scripts/demo.sh runs it there with DEMO_OUT, DEMO_ML, SCX_GAMER (the command
# that runs scx_gamer) and GAMESIM set.
#
# usage: sh demo_apply_guest.sh "PROFILE FLAGS"
# Exit status: 0 when the profile was applied and the A/B finished, else the failing step's status.
set -u
out=${DEMO_OUT:-/work/out}
ml=${DEMO_ML:-/work/ml}
scx_gamer=${SCX_GAMER:-scx_gamer}
gamesim=${GAMESIM:-gamesim}
say() { echo "demo-guest: $*"; }
renice -n -10 -p $$ >/dev/null
profile_flags=$1

game_args=${DEMO_GAME_ARGS:---fps 30 --workers 1 --bursty}
input=""
[ -n "${VM_KBD_EVDEV:-}" ] && input="--input-dev $VM_KBD_EVDEV"

# The profile is applied when the game starts: scx_gamer first, then the game.
say "scx_gamer --ml-profiles: attached before the game, waiting for it"
# shellcheck disable=SC2086 # $scx_gamer is a command line
$scx_gamer --ml-profiles --ml-dir "$ml" --verbose >$out/profiles.log 2>&1 &
gamer=$!
i=0
while [ "$(cat /sys/kernel/sched_ext/state 2>/dev/null)" != enabled ] && [ $i -lt 3000 ]; do
  sleep 0.1
  i=$((i + 1))
done
# shellcheck disable=SC2086 # $game_args, $input and $gamesim are lists of words
setsid $gamesim --duration 1800 $game_args $input --json $out/gamesim.json >/dev/null 2>$out/gamesim.err &
game=$!
i=0
while ! grep -q "profile of" $out/profiles.log 2>/dev/null && kill -0 $gamer 2>/dev/null && [ $i -lt 1200 ]; do
  sleep 0.1
  i=$((i + 1))
done
kill -INT $gamer 2>/dev/null
wait $gamer
grep "profile of\|no profile" $out/profiles.log
if ! grep -q "profile of" $out/profiles.log; then
  say "the profile was not applied"
  kill -TERM "-$game" 2>/dev/null
  exit 1
fi

ab_s=${DEMO_AB_S:-60}
say "scx_gamer --ml-ab '' '$profile_flags' --duration $ab_s: the defaults (A) against the profile (B)"
# shellcheck disable=SC2086 # $scx_gamer is a command line
$scx_gamer --ml-ab "" "$profile_flags" --game game.exe --duration "$ab_s" --window 4 --settle 1 \
  --ml-sample-interval 1 --ml-dir $out/ab_ml >$out/ab.log 2>&1
echo $? >$out/ab.rc
cat $out/ab.log
kill -TERM "-$game" 2>/dev/null
wait $game 2>/dev/null
exit "$(cat $out/ab.rc)"
