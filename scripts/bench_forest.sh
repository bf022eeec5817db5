#!/usr/bin/env bash
# deno task bench:forest [--full] [--no-sklearn]: our random forest against scikit-learn on the same data
# and folds (tools/bench_forest/main.ts prints the table). scikit-learn is only the reference of this benchmark;
# it comes from Debian (python3-sklearn, 1.2 on bookworm) and is installed here when missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
args=("$@")
if [[ " ${args[*]-} " != *" --no-sklearn "* ]]; then
  if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
    echo "bench: installing python3-sklearn (the reference) with apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq python3-sklearn >/dev/null; }; then
      echo "bench: could not install python3-sklearn; running our forest only" >&2
      args+=(--no-sklearn)
    fi
  fi
fi
exec deno run --allow-all tools/bench_forest/main.ts "${args[@]}"
