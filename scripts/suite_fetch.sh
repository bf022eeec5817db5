#!/usr/bin/env bash
# Download .deb packages from another Debian suite (e.g. trixie-backports) without touching
# the machine's own apt configuration. The mirror URL is read from this machine's apt sources,
# so no registry host is written into the repository.
#
# usage: suite_fetch.sh SUITE CACHE_DIR PACKAGE...        (downloads into CACHE_DIR/debs)
#        suite_fetch.sh --list SUITE CACHE_DIR PATTERN    (prints matching package names)
set -euo pipefail

list_mode=0
if [ "${1:-}" = "--list" ]; then list_mode=1; shift; fi
suite=${1:?suite}; cache=${2:?cache dir}; shift 2

shopt -s nullglob
# First non-security mirror of the machine's sources (deb822 "URIs:" or one-line "deb" form).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
  awk '/^URIs:/ { u = $2 } /^deb / { u = ($2 ~ /^\[/ ? $3 : $2) }
       u != "" && u !~ /security/ { print u; exit } { u = "" }' || true)
[ -n "$mirror" ] || { echo "suite_fetch: no Debian mirror found in /etc/apt sources" >&2; exit 1; }

state="$cache/apt-$suite"
mkdir -p "$state/lists/partial" "$state/archives/partial" "$cache/debs"
echo "deb [trusted=yes] $mirror $suite main" > "$state/sources.list"
opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$state/lists" -o "Dir::Cache::Archives=$state/archives"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Get::List-Cleanup=0"
  -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")

# Refresh the suite's package list at most once a day.
stamp="$state/updated"
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
  apt-get "${opts[@]}" update -qq >&2
  touch "$stamp"
fi

if [ $list_mode = 1 ]; then
  apt-cache "${opts[@]}" pkgnames "$1" | sort -V
  exit 0
fi
cd "$cache/debs"
for pkg in "$@"; do
  apt-get "${opts[@]}" download -qq "$pkg" >&2
done
