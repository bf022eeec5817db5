#!/usr/bin/env bash
# Fetch the sched_ext test kernel (Debian's newest trixie-backports cloud kernel) and lay out, under
# .cache/kernel/: vmlinuz, config, vmlinux (uncompressed, for BTF), vmlinux.h (bpftool's C dump) and
# modules/ (the matching modules tree, for uinput/evdev in the guest). Idempotent; prints the dir.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
out="$cache/kernel"
fetch="$root/scripts/suite_fetch.sh"
suite=trixie-backports

if [ -f "$out/vmlinux.h" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/version" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$out"

# Newest signed cloud kernel of the suite; never hard-code the version.
pkg=$("$fetch" --list "$suite" "$cache" linux-binary- | grep -E '^linux-binary-[0-9][^ ]*-cloud-amd64$' | sort -V | tail -n 1)
[ -n "$pkg" ] || { echo "kernel.sh: no linux-binary-*-cloud-amd64 package in $suite" >&2; exit 1; }
ver=${pkg#linux-binary-}
echo "kernel.sh: using $ver" >&2
"$fetch" "$suite" "$cache" "$pkg" "linux-base-$ver"
# The modules package name differs between kernel packagings; take it if it exists.
mods=$("$fetch" --list "$suite" "$cache" "linux-modules-$ver" | grep -x "linux-modules-$ver" || true)
[ -z "$mods" ] || "$fetch" "$suite" "$cache" "$mods"

x="$out/extract"
rm -rf "$x" && mkdir -p "$x"
for deb in "$cache"/debs/linux-*"${ver}"_*.deb; do dpkg-deb -x "$deb" "$x"; done
cp "$x/usr/lib/modules/$ver/vmlinuz" "$out/vmlinuz"
cp "$x/usr/lib/modules/$ver/config" "$out/config" 2>/dev/null || cp "$x/boot/config-$ver" "$out/config"
rm -rf "$out/modules" && mkdir -p "$out/modules"
cp -a "$x/usr/lib/modules/$ver" "$out/modules/"

# The bzImage's setup header says where the compressed kernel is: payload_offset/length at 0x248/0x24c,
# counted from (setup_sects + 1) * 512. The last 4 bytes of the payload are its size, not zstd data.
python3 - "$out/vmlinuz" "$out/vmlinux.zst" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
setup_sects = b[0x1f1] or 4
off, length = struct.unpack_from("<II", b, 0x248)
start = (setup_sects + 1) * 512 + off
payload = b[start:start + length]
if payload[:4] != b"\x28\xb5\x2f\xfd":
    sys.exit("kernel.sh: the kernel payload is not zstd-compressed")
open(sys.argv[2], "wb").write(payload[:-4])
PY
zstd -d -f -q "$out/vmlinux.zst" -o "$out/vmlinux"
rm -f "$out/vmlinux.zst"
bpftool btf dump file "$out/vmlinux" format c > "$out/vmlinux.h.tmp"
grep -q 'scx_bpf_dsq_insert' "$out/vmlinux.h.tmp" || { echo "kernel.sh: bpftool's dump lacks sched_ext kfuncs (needs bpftool >= 7.5)" >&2; exit 1; }
mv "$out/vmlinux.h.tmp" "$out/vmlinux.h"
echo "$ver" > "$out/version"
echo "$out"
