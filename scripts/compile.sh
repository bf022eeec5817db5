#!/usr/bin/env bash
# `deno task build`: compile main.ts (with the embedded BPF object and the build stamp) into one
# ./scx_gamer binary ($OUTPUT to put it elsewhere). deno compile downloads its runtime base (denort)
# on first use; where that cannot be reached this says so in one line instead of a wall of network
# errors, and exits 3 so callers (scripts/release.sh, the binary's test) can tell "cannot here" from
# a real failure (1).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
output=${OUTPUT:-scx_gamer}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --no-memory-reducer: V8's idle-time heap shrinking ran full collections of a 9 MB heap costing 0.6-0.8 s
# of CPU each under emulation, mid-game; a daemon keeps its few MB instead (docs/benchmarks.md).
if deno compile --quiet --allow-all --unstable-ffi --v8-flags=--no-memory-reducer --output "$output" main.ts \
  >"$log" 2>&1; then
  echo "built $output ($(du -h "$output" | cut -f1)); it needs only libbpf.so.1 (>= 1.4) on the target"
  exit 0
fi
if grep -qiE 'denort|download|dns|connect|network|tcp|resolve|certificate' "$log"; then
  echo "deno compile could not download its runtime base (denort): this machine cannot reach it;" \
    "use 'deno task bundle' (dist/scx_gamer.js, run with 'deno run -A --unstable-ffi dist/scx_gamer.js')" \
    "here, or build on a machine with network access" >&2
  [ -n "${VERBOSE:-}" ] && cat "$log" >&2
  exit 3
fi
cat "$log" >&2
exit 1
