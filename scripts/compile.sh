#!/usr/bin/env bash
# `deno task build`: compile main.ts (with the embedded BPF object) into one ./scx_gamer binary.
# deno compile downloads its runtime base (denort) on first use; where that host cannot be reached
# this says so in one line instead of a wall of network errors.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if deno compile --quiet --allow-all --unstable-ffi --output scx_gamer main.ts >"$log" 2>&1; then
  echo "built ./scx_gamer ($(du -h scx_gamer | cut -f1)); it needs only libbpf.so.1 (>= 1.4) on the target"
  exit 0
fi
if grep -qiE 'denort|download|dns|connect|network|tcp|resolve|certificate' "$log"; then
  echo "deno compile could not download its runtime base (denort) from the network:" \
    "this machine cannot reach it. Use 'deno task bundle' (dist/scx_gamer.js, run with" \
    "'deno run -A --unstable-ffi dist/scx_gamer.js') here, or build on a machine with network access." >&2
  [ -n "${VERBOSE:-}" ] && cat "$log" >&2
  exit 1
fi
cat "$log" >&2
exit 1
