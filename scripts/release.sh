#!/usr/bin/env bash
# `deno task release`: one archive with everything a user installs (packaging/INSTALL.md says how):
# the one-file binary, the systemd unit and its /etc/default file, the launch wrapper and the note.
# Where `deno compile` cannot fetch its runtime base, it says so in one line and packs the bundle
# (dist/scx_gamer.js, made by the task's `bundle` dependency) with a launcher script as scx_gamer.
# The archive goes to $RELEASE_DIR (default dist/); its path is the last line printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=$(sed -nE 's/^  "version": "([^"]+)".*/\1/p' deno.json)
name=scx_gamer-$version-$(uname -m)-linux
out=${RELEASE_DIR:-dist}
mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir=$stage/$name
mkdir "$dir"

set +e
OUTPUT="$dir/scx_gamer" bash scripts/compile.sh >/dev/null 2>"$stage/compile.log"
status=$?
set -e
if [ $status -eq 0 ]; then
  kind="the binary"
elif [ $status -eq 3 ]; then
  echo "release: deno compile cannot fetch its runtime base here: packing the bundle with a launcher instead (needs Deno >= 2.9 where it is installed)"
  [ -f dist/scx_gamer.js ] || { echo "release: dist/scx_gamer.js is missing: run 'deno task bundle'" >&2; exit 1; }
  install -m 644 dist/scx_gamer.js "$dir/scx_gamer.js"
  install -m 755 packaging/scx_gamer.launcher "$dir/scx_gamer"
  kind="the bundle and its launcher"
else
  cat "$stage/compile.log" >&2
  exit 1
fi
install -m 755 packaging/scx_gamer-run "$dir/scx_gamer-run"
install -m 644 packaging/scx_gamer.service packaging/scx_gamer.default packaging/INSTALL.md "$dir/"
archive=$out/$name.tar.gz
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$archive.tmp" "$name"
mv "$archive.tmp" "$archive"
echo "release: $kind, scx_gamer.service, scx_gamer.default, scx_gamer-run and INSTALL.md packed into:"
echo "$archive"
