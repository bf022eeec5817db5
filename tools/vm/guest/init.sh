#!/bin/sh
# PID 1 of the test VM (busybox sh). It prepares a small but real Linux userland, runs the scenario
# script, sends out/ back to the host and powers off. It must never exit: PID 1 exiting panics the kernel.
#
# Contract with the host (tools/vm/vm.ts):
#   /opt/run/env.sh       sourced first: VM_NONCE, VM_TIMEOUT_S, the user's env, `set --` with the ARGS
#   /opt/run/scenario.sh  the scenario, run as `sh scenario.sh ARGS` in /work, output on the console
#   console markers       "@@SCXVM:<nonce>:START@@" when the scenario starts and
#                         "@@SCXVM:<nonce>:END status=<n> timeout=<0|1> out=<ok|error>@@" when it is over;
#                         the nonce keeps a scenario's own output from faking them
#   /dev/vda              a raw disk: /work/out is written onto it as one tar archive, read by the host

export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
export HOME=/root TMPDIR=/tmp TERM=dumb
export DENO_DIR=/tmp/deno DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
# Optional: not every scenario needs them and the kernel may lack one; never fail the boot over them.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname scx-vm
ip link set lo up 2>/dev/null

. /opt/run/env.sh

# The kernel's own modules, decompressed by the host: evdev for /dev/input/event*, virtio_blk for /dev/vda.
moddir=/lib/modules/$(uname -r)/kernel
for m in drivers/input/evdev.ko drivers/block/virtio_blk.ko; do
  insmod "$moddir/$m" || echo "vm-init: insmod $m failed" >&2
done

# Scenarios find the PS/2 keyboard (the one the host types on) as $VM_KBD_EVDEV.
i=0
while [ $i -lt 50 ]; do
  for ev in /sys/class/input/event*; do
    [ -e "$ev/device/name" ] || continue
    case $(cat "$ev/device/name") in
      *"AT Translated Set 2 keyboard"* | *"AT Raw Set"*) export VM_KBD_EVDEV=/dev/input/${ev##*/} ;;
    esac
  done
  [ -n "$VM_KBD_EVDEV" ] && [ -e "$VM_KBD_EVDEV" ] && [ -e /dev/vda ] && break
  i=$((i + 1))
  sleep 0.1
done
[ -n "$VM_KBD_EVDEV" ] || echo "vm-init: no PS/2 keyboard event device found" >&2
[ -e /dev/vda ] || echo "vm-init: no /dev/vda: out/ cannot be copied back" >&2

mkdir -p /work/out
cd /work || exit 1

echo "@@SCXVM:${VM_NONCE}:START@@"
# Own session and process group, so a timeout can stop the scenario and everything it started.
setsid sh /opt/run/scenario.sh "$@" </dev/null &
scenario=$!
(
  sleep "$VM_TIMEOUT_S"
  touch /tmp/.vm_timed_out
  echo "vm-init: scenario timed out after ${VM_TIMEOUT_S} s: stopping it" >&2
  kill -TERM -"$scenario" 2>/dev/null
  sleep 5
  kill -KILL -"$scenario" 2>/dev/null
) &
watchdog=$!
wait "$scenario"
status=$?
kill "$watchdog" 2>/dev/null
timed_out=0
[ -e /tmp/.vm_timed_out ] && timed_out=1

cd /work
out=error
if [ -e /dev/vda ] && tar -cf /dev/vda out && sync; then
  out=ok
else
  echo "vm-init: could not write out/ to /dev/vda (too large for the disk?)" >&2
fi
echo "@@SCXVM:${VM_NONCE}:END status=${status} timeout=${timed_out} out=${out}@@"
poweroff -f
sleep 10
