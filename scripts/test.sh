#!/usr/bin/env bash
# The whole test suite on a fresh machine: install what is missing (idempotent), build the BPF
# objects, then run every test, including the ones that boot the sched_ext kernel under qemu.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
if [ "$(id -u)" != 0 ]; then
  echo "test: the tests load BPF programs into the real kernel and need root (CAP_BPF): run as root" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
set +e
NO_COLOR=1 deno task test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# Deno's summary ("ok | 52 passed | 0 failed (3m)") as the plain closing line CI reads.
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1 || true)
passed=$(sed -E 's/.*\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
echo "test time: $(( $(date +%s) - start )) s"
if [ -z "$summary" ]; then
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
