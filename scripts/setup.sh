#!/usr/bin/env bash
# Install everything scx_gamer needs to build and test, idempotently (fast when already done):
# Deno from the npm registry, clang-16, qemu and busybox from Debian, libbpf 1.4 + bpftool 7.5 from
# bookworm-backports (bookworm's libbpf 1.1 cannot attach a sched_ext scheduler; bpftool 7.1 lacks
# the kfunc prototypes), and the sched_ext test kernel.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
mkdir -p "$cache"
export DEBIAN_FRONTEND=noninteractive
say() { printf 'setup: %s\n' "$*" >&2; }

DENO_VERSION=2.9.6
APT_PACKAGES=(clang-16 llvm-16 qemu-system-x86 busybox-static cpio rt-tests zstd xz-utils gcc libc6-dev python3 file exfatprogs exfat-fuse systemd)

need_apt=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$p")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v deno >/dev/null || [ "$(deno --version | awk 'NR==1{print $2}')" != "$DENO_VERSION" ]; then
  say "installing deno@$DENO_VERSION from npm"
  npm install -g --silent "deno@$DENO_VERSION" >/dev/null 2>&1 || npm install -g "deno@$DENO_VERSION"
fi

libbpf_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' libbpf1 2>/dev/null | sed -E 's/^[0-9]+://; s/-.*//')
  [ -n "$v" ] && [ "$(printf '%s\n1.4\n' "$v" | sort -V | head -n 1)" = "1.4" ] &&
    dpkg-query -W -f='${Status}' libbpf-dev 2>/dev/null | grep -q 'install ok installed' &&
    command -v bpftool >/dev/null && bpftool version | grep -qE 'v7\.([5-9]|[1-9][0-9])'
}
if ! libbpf_ok; then
  say "installing libbpf 1.4 and bpftool 7.5 from bookworm-backports"
  "$root/scripts/suite_fetch.sh" bookworm-backports "$cache" libbpf1 libbpf-dev bpftool
  apt-get install -y -qq "$cache"/debs/libbpf1_*.deb "$cache"/debs/libbpf-dev_*.deb "$cache"/debs/bpftool_*.deb >/dev/null
fi

"$root/scripts/kernel.sh" >/dev/null
say "ready: deno $(deno --version | awk 'NR==1{print $2}'), $(clang-16 --version | head -n 1 | sed 's/Debian //'), libbpf $(dpkg-query -W -f='${Version}' libbpf1), $(bpftool version | head -n 1), kernel $(cat "$cache/kernel/version")"
