#!/bin/sh
# The learning loop's benchmark, guest side (driven by tools/bench_loop/main.ts, `deno task bench:loop`).
# One boot, everything through the product's own command line:
#   1. learn: a game-shaped workload under background load; `scx_gamer --sweep` over a grid (one attach),
#      then --ml-export-csv and --ml-train --game game: the game's profile is saved;
#   2. measure, each run a fresh gamesim (its own report: missed frames, wake-up latencies) under a fresh
#      scx_gamer: the 12 (BL_RANDOM lines) random configs once each, which picks the best of them (fewest
#      missed frames); then BL_ROUNDS rounds of the default config, the profile applied through
#      --ml-profiles and that best random config, measured afresh (its picking run was the best of 12
#      draws, so it flatters it), rotating which goes first. A random config the kernel ejected is never
#      the pick: its run measured the kernel's default.
# Before all that, with BL_CALIBRATE set to one of gamesim's flags in BL_GAME (e.g. --job-us), the game is
# fitted to this boot's speed: short runs under the default config scale that flag's value until the game
# misses 5-15% of its frames (at most 6 tries), so the comparison has room both ways however slow the host.
# Environment: BL_SWEEP (the sweep's grid and timing flags), BL_RANDOM (file: one config's tunable flags
# per line), BL_ROUNDS, BL_RUN_S (seconds per measured run), BL_GAME (gamesim's workload flags),
# BL_CALIBRATE (a flag of BL_GAME to scale; empty: none),
# BL_LEARN_ONLY (1: stop after training and autotuning), BL_AUTOTUNE_S (seconds of --ml-autotune after
# training; 0: none), BL_AUTOTUNE_PAIRS, BL_EJECTION_LINE (how scx_gamer's ejection line starts).
# Layout of out/: calibrate/ (each try's gamesim report and scx_gamer log), game.txt (the game's flags as
# run, after calibration), sweep.log, export.log, train.log, train.rc, autotune.log, ml/ (samples and the profile),
# eval/<kind>-<n>.json (gamesim reports; kind: random, default, profile, best), eval/<kind>-<n>.log
# (scx_gamer), eval/order.txt ("kind n" in run order; "best n index" names the random config), eval/times.txt
# (the guest's uptime at each step of each run), state.txt (sched_ext state after each run).
set -u
out=/work/out
mkdir -p $out/eval
rounds=${BL_ROUNDS:-3}
run_s=${BL_RUN_S:-20}
game_args=${BL_GAME:---fps 144 --frame-work-us 2500 --workers 2 --hogs 2}
sx=/sys/kernel/sched_ext
state() { cat $sx/state 2>/dev/null || echo missing; }
wait_state() { # wanted, tenths of a second
  i=0
  while [ "$(state)" != "$1" ] && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
}
wait_line() { # file, pattern, tenths[, pid: stop waiting when it has exited]
  i=0
  while ! grep -q "$2" "$1" 2>/dev/null && [ $i -lt "$3" ]; do
    [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && return
    sleep 0.1
    i=$((i + 1))
  done
}
# Does scx_gamer's log start a line with the one it prints when the kernel ejects its scheduler
# (BL_EJECTION_LINE: lib/modes/attached.ts EJECTION_LINE, passed in by the host so there is one spelling)?
ejected() { awk -v s="$BL_EJECTION_LINE" 'index($0, s) == 1 { found = 1 } END { exit !found }' "$1" 2>/dev/null; }
say() { echo "bench-loop: $*"; }
# eval/times.txt: the guest's uptime at each step of a fresh run, so a slow run names the step that took it.
mark() { echo "$(cut -d' ' -f1 /proc/uptime) $*" >> $out/eval/times.txt; }

# Under emulation a Deno start competes with the game for the two CPUs; the scheduler's own process
# (and the tools it starts) go first. The game's threads are scheduled by scx_gamer as without it.
renice -n -10 -p $$ >/dev/null

# ---- 0. calibrate
# The missed share (0-1) in a gamesim report, or empty.
missed_of() { sed -n 's/.*"missed_share": *\([0-9.]*\).*/\1/p' "$1" | head -n 1; }
# BL_GAME with FLAG's value times SCALE, rounded, at least 1.
scaled_game() { # flag scale
  echo "$BL_GAME_BASE" | awk -v f="$1" -v s="$2" '{
    for (i = 1; i < NF; i++) if ($i == f) { v = int($(i + 1) * s + 0.5); $(i + 1) = v < 1 ? 1 : v }
    print
  }'
}
# The next try's "scale step dir" after a try missed M (0-1), or "done" in the band (5-15%). Above the band
# the flag's value shrinks, below it grows, by `step`; the step is halved in log (its square root) each time
# the direction turns, so the tries close in on the band. The square root is Newton's: the guest's busybox
# awk has no math library (its sqrt() fails and prints nothing, which once scaled the flag to 1).
calibrate_next() { # missed scale step dir
  awk -v m="$1" -v c="$2" -v s="$3" -v d="$4" 'BEGIN {
    to = (m > 0.15) ? -1 : (m < 0.05) ? 1 : 0
    if (to == 0) { print "done"; exit }
    if (d != 0 && to != d) { r = s; for (i = 0; i < 40; i++) r = (r + s / r) / 2; s = r }
    print ((to > 0) ? c * s : c / s) " " s " " to
  }'
}
if [ -n "${BL_CALIBRATE:-}" ]; then
  mkdir -p $out/calibrate
  BL_GAME_BASE=$game_args
  scale=1 step=2 dir=0 t=0
  : > $out/calibrate/tries.txt
  while [ $t -lt 6 ]; do
    t=$((t + 1))
    game_args=$(scaled_game "$BL_CALIBRATE" $scale)
    scx_gamer --socket /run/bench.sock >$out/calibrate/$t.log 2>&1 &
    pid=$!
    wait_line $out/calibrate/$t.log attached 1800 $pid
    # shellcheck disable=SC2086
    gamesim --duration 15 $game_args --json $out/calibrate/$t.json >/dev/null 2>$out/calibrate/$t.err
    kill -INT $pid
    wait $pid
    wait_state disabled 300
    m=$(missed_of $out/calibrate/$t.json)
    echo "$t ${m:-none} $game_args" >> $out/calibrate/tries.txt
    say "calibrate $t: missed ${m:-none} with $game_args"
    next=$(calibrate_next "${m:-1}" $scale $step $dir)
    [ "$next" = done ] && break
    scale=$(echo "$next" | cut -d' ' -f1) step=$(echo "$next" | cut -d' ' -f2) dir=$(echo "$next" | cut -d' ' -f3)
  done
fi
echo "$game_args" > $out/game.txt

# ---- 1. learn
say "learning: gamesim $game_args; scx_gamer --sweep $BL_SWEEP"
# shellcheck disable=SC2086 # word lists
setsid gamesim --duration 7200 $game_args --json $out/learn_game.json >/dev/null 2>$out/learn_game.err &
game=$!
wait_line $out/learn_game.err running 600
# shellcheck disable=SC2086
scx_gamer --sweep $BL_SWEEP --ml-sample-interval 1 --ml-dir $out/ml --game game.exe \
  --state $out/ml/sweep_state.json --socket /run/bench.sock >$out/sweep.log 2>&1
echo $? > $out/sweep.rc
kill -TERM "-$game" 2>/dev/null
wait $game 2>/dev/null
wait_state disabled 300
scx_gamer --ml-export-csv $out/train.csv --ml-dir $out/ml >$out/export.log 2>&1
scx_gamer --ml-train $out/train.csv --game game --ml-dir $out/ml --models-dir $out/models >$out/train.log 2>&1
echo $? > $out/train.rc
say "learned: $(grep -A4 'Best Configuration' $out/train.log | tail -n 1)"
# ---- 1b. autotune: the configs the sweep could not separate from the defaults, confirmed or rejected live
# in paired windows (the profile's toConfirm first); a config kept becomes the game's profile.
if [ "${BL_AUTOTUNE_S:-0}" -gt 0 ]; then
  say "autotune: ${BL_AUTOTUNE_S} s, ${BL_AUTOTUNE_PAIRS} pairs a candidate"
  # shellcheck disable=SC2086 # word lists
  setsid gamesim --duration 7200 $game_args --json $out/autotune_game.json >/dev/null 2>$out/autotune_game.err &
  game=$!
  wait_line $out/autotune_game.err running 600
  scx_gamer --ml-autotune --autotune-pairs "$BL_AUTOTUNE_PAIRS" --ml-sample-interval 1 --ml-dir $out/ml \
    --game game.exe --duration "$BL_AUTOTUNE_S" --socket /run/bench.sock >$out/autotune.log 2>&1
  kill -TERM "-$game" 2>/dev/null
  wait $game 2>/dev/null
  wait_state disabled 300
  say "autotune: $(grep -c 'autotune "' $out/autotune.log) judged, $(grep -c '": kept' $out/autotune.log) kept"
fi
if [ "${BL_LEARN_ONLY:-0}" = 1 ]; then
  say "learn only: no fresh runs"
  exit 0
fi

# ---- 2. measure
measure() { # kind, n, scx_gamer flags...
  kind=$1
  n=$2
  shift 2
  log=$out/eval/$kind-$n.log
  mark "$kind $n start"
  # shellcheck disable=SC2068
  scx_gamer --socket /run/bench.sock $@ >"$log" 2>&1 &
  pid=$!
  # A config the kernel ejects at attach ends scx_gamer: its run goes on under the kernel's default (the
  # report names it), without the minutes of waiting for a state that will not come.
  wait_line "$log" attached 1800 $pid
  mark "$kind $n attached (sched_ext $(state))"
  [ "$kind" = profile ] && wait_line "$log" "profile of" 600 $pid
  mark "$kind $n game"
  # shellcheck disable=SC2086
  gamesim --duration "$run_s" $game_args --json $out/eval/$kind-$n.json >/dev/null 2>$out/eval/$kind-$n.err
  mark "$kind $n game done"
  kill -INT $pid
  wait $pid
  echo "$kind $n $(state)" >> $out/state.txt
  wait_state disabled 300
  mark "$kind $n disabled"
  echo "$kind $n${pick:+ $pick}" >> $out/eval/order.txt
  say "$kind $n done"
}

# The random config with the fewest missed frames: its line number in BL_RANDOM.
best_random() {
  for f in $out/eval/random-*.json; do
    ejected "${f%.json}.log" && continue
    n=${f##*/random-}
    m=$(missed_of "$f")
    [ -n "$m" ] && echo "$m ${n%.json}"
  done | sort -n | head -n 1 | cut -d ' ' -f 2
}

n=0
while IFS= read -r flags; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  measure random $n $flags
done < "$BL_RANDOM"
best_n=$(best_random)
best_flags=$([ -n "$best_n" ] && sed -n "${best_n}p" "$BL_RANDOM")
say "best random: #${best_n:-none} $best_flags"
pick=
run_kind() { # kind, round
  case $1 in
  default) measure default "$2" ;;
  profile) measure profile "$2" --ml-profiles --ml-dir $out/ml --game game.exe ;;
  best)
    [ -n "$best_n" ] || return 0
    pick=$best_n
    # shellcheck disable=SC2086 # the config's flags
    measure best "$2" $best_flags
    pick=
    ;;
  esac
}
r=1
while [ $r -le "$rounds" ]; do
  case $((r % 3)) in
  1) order="default profile best" ;;
  2) order="profile best default" ;;
  0) order="best default profile" ;;
  esac
  for kind in $order; do run_kind "$kind" $r; done
  r=$((r + 1))
done
exit 0
