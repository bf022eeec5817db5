#!/usr/bin/env bash
# `deno task demo`: the whole scx_gamer pipeline, for real, in a few minutes:
#   install (scripts/setup.sh) -> build -> run a game with background load and sweep a small grid of
#   scheduler configs over it, collecting samples -> export the training CSV -> train the forest ->
#   print the best configuration found -> apply it live as the game's profile when the game starts, and
#   measure it against the defaults on the running game (an A/B), so the recommendation is judged by a
#   fresh run.
# On a machine with sched_ext and root the sweep runs on this machine; otherwise (no sched_ext, or not
# root) it runs inside the sched_ext test VM (tools/vm/vm.ts) and the data comes back to the host.
#
# Everything it writes goes under .cache/demo/ (never your ml_data/ or ml/models/):
#   host/ or vm/     the samples (ml/{cpu}/game.exe.json), the sweep state, training.csv, logs
#   models/          the trained model
# Environment: DEMO_MODE=host|vm forces where the sweep runs; DEMO_DIR moves .cache/demo;
# DEMO_GAME_ARGS replaces gamesim's load in the VM (see scripts/demo_guest.sh).
# Exit status: 0 when a best configuration was printed, else the failing stage's status.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
demo=${DEMO_DIR:-$root/.cache/demo}
start=$(date +%s)
stage_start=$start

# The grid: 2 x 2 x 2 = 8 configs over the policy's three levers (lib/config.ts DEFAULT_SWEEP_GRID).
GRID=(--slice-us 500,2000 --slice-lag-us 5000,40000 --parity-us 250,1000)

say() { printf '\n==> demo: %s\n' "$*"; }
took() {
  local now
  now=$(date +%s)
  printf 'demo: %s took %d s\n' "$1" $((now - stage_start))
  stage_start=$now
}

say "1/6 installing what the demo needs (scripts/setup.sh: Deno, clang, QEMU, libbpf, the test kernel; quick when already done)"
bash scripts/setup.sh
took "setup"

say "2/6 building the BPF scheduler and the scx_gamer bundle (deno task bundle)"
mkdir -p "$demo"
deno task bundle
took "build"

mode=${DEMO_MODE:-}
if [ -z "$mode" ]; then
  if [ -e /sys/kernel/sched_ext/state ] && [ "$(id -u)" = 0 ]; then mode=host; else mode=vm; fi
fi
case "$mode" in
  host | vm) ;;
  *)
    echo "demo: DEMO_MODE '$mode': expected host or vm" >&2
    exit 2
    ;;
esac

if [ "$mode" = host ]; then
  data="$demo/host"
  say "3/6 this machine has sched_ext: sweeping 8 configs over a game-like workload right here"
  rm -rf "$data"
  mkdir -p "$data"
  if [ ! -x "$demo/gamesim" ] || [ tools/gamesim.c -nt "$demo/gamesim" ]; then
    gcc -O2 -static -pthread -o "$demo/gamesim" tools/gamesim.c
  fi
  echo "demo: the game: gamesim (game.exe, 60 fps, 2 workers) plus 2 busy and 1 bursty background hogs"
  # Its own session, so stopping the group stops the game and its hog processes, nothing else.
  setsid "$demo/gamesim" --duration 3600 --fps 60 --workers 2 --hogs 2 --bursty \
    --json "$data/gamesim.json" >/dev/null 2>"$data/gamesim.err" &
  game=$!
  trap 'kill -TERM -- "-$game" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do grep -q running "$data/gamesim.err" 2>/dev/null && break; sleep 0.1; done
  set +e
  deno run -A --unstable-ffi dist/scx_gamer.js --sweep \
    --ml-dir "$data/ml" --game game.exe "${GRID[@]}" --duration 10 --settle 2 --ml-sample-interval 1 |
    tee "$data/sweep.log"
  status=${PIPESTATUS[0]}
  set -e
  kill -TERM -- "-$game" 2>/dev/null || true
  trap - EXIT
  [ "$status" = 0 ] || exit "$status"
  echo "demo: exporting the samples: scx_gamer --ml-export-csv"
  deno run -A --unstable-ffi dist/scx_gamer.js --ml-export-csv "$data/training.csv" --ml-dir "$data/ml"
  took "the sweep on this machine"
else
  data="$demo/vm"
  say "3/6 no sched_ext here (kernel $(uname -r)$([ "$(id -u)" = 0 ] || echo ", not root")): booting the sched_ext test VM to sweep 8 configs over gamesim (game.exe) with a bursty background hog; each config settles 1 s and is measured 8 s in one attach, with a sample every second"
  echo "demo: the guest's console follows; the sweep says [i/8] for each config"
  rm -rf "$data"
  # 8 configs x 8 s at a sample a second give about 30 samples; on a busy host the scheduler's
  # process can be starved after it attaches and a round collects less: below the 20 samples the
  # trainer needs, the guest sweeps the grid again (at most 3 rounds).
  deno run --allow-all tools/vm/run.ts --timeout 2400 --input-rate 30 --out "$data" \
    --env DEMO_MIN_SAMPLES=20 --env DEMO_MAX_ROUNDS=3 ${DEMO_GAME_ARGS:+--env "DEMO_GAME_ARGS=$DEMO_GAME_ARGS"} \
    scripts/demo_guest.sh "${GRID[@]}" --duration 8 --settle 1 --ml-sample-interval 1
  took "the sweep in the VM"
fi

csv="$data/training.csv"
samples=$(($(wc -l <"$csv") - 1))
say "4/6 training the forest on $samples samples (scx_gamer --ml-train $csv --game game.exe)"
deno run -A --unstable-ffi dist/scx_gamer.js --ml-train "$csv" --game game.exe --models-dir "$demo/models" \
  --ml-dir "$data/ml" | tee "$data/train.log"
took "training"

# The recommendation as tunable flags: the printed command line without `sudo ./scx_gamer --stats 1`.
profile_flags=$(grep -A1 '^Command line:$' "$data/train.log" | tail -n 1 | sed 's/^sudo \.\/scx_gamer //; s/--stats 1 *//')
profile=$(find "$data/ml" -path '*/profiles/*.json' | head -n 1)
if [ -z "$profile" ]; then
  echo "demo: training saved no profile under $data/ml" >&2
  exit 1
fi
if [ "$mode" = host ]; then
  say "5/6 applying the profile live when the game starts (--ml-profiles), then the defaults against it on the running game (--ml-ab)"
  DEMO_OUT="$data" DEMO_ML="$data/ml" SCX_GAMER="deno run -A --unstable-ffi $root/dist/scx_gamer.js" \
    GAMESIM="$demo/gamesim" DEMO_GAME_ARGS="--fps 60 --workers 2 --hogs 2 --bursty" \
    sh scripts/demo_apply_guest.sh "$profile_flags"
else
  say "5/6 booting the VM again: the profile applied live when the game starts (--ml-profiles), then the defaults against it on the running game (--ml-ab)"
  deno run --allow-all tools/vm/run.ts --timeout 1200 --input-rate 30 --out "$data/apply" \
    --file "/work/ml/${profile#"$data/ml/"}=$profile" ${DEMO_GAME_ARGS:+--env "DEMO_GAME_ARGS=$DEMO_GAME_ARGS"} \
    scripts/demo_apply_guest.sh "$profile_flags"
fi
took "applying and measuring the profile"

say "6/6 done in $(($(date +%s) - start)) s. Where everything went:"
echo "  samples:     $(find "$data/ml" -name '*.json' ! -name sweep_state.json ! -path '*/profiles/*' | head -n 1)"
echo "  profile:     $(find "$data/ml" -path '*/profiles/*.json' | head -n 1)"
echo "  sweep state: $data/ml/sweep_state.json"
echo "  CSV:         $csv ($samples samples)"
echo "  model:       $(ls -t "$demo"/models/game-*.json | head -n 1)"
echo "  logs:        $data/sweep.log (the sweep and the scheduler's lines), $data/train.log, the A/B's ab.log"
