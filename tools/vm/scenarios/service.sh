#!/bin/sh
# scx_gamer as a service, end to end on a real sched_ext kernel (run by tests/vm/service_vm_test.ts
# through the VM harness). There is no systemd in the VM, so the service starts the way systemd would
# start packaging/scx_gamer.service: $1 is a script the host test wrote from the unit and its
# /etc/default file (the command line, the unit's environment, STATE_DIRECTORY, the working folder),
# with the output going to a file, as to the journal. Then the player (uid nobody, logged in at a seat
# as logind records it) starts a game through the launch wrapper, `scx_gamer --monitor` watches from a
# second process without root, and the service is stopped with SIGTERM. Everything observed is
# written under out/ for the host-side test to judge; this script only records, and waits on state,
# never on fixed sleeps (Deno starts slowly under TCG while the CPUs are busy).
out=/work/out
service_cmd=$1
state_dir=/var/lib/scx_gamer
socket=/run/scx_gamer.sock

state() { cat /sys/kernel/sched_ext/state; }
wait_until() { # seconds, command...: poll once a second until the command succeeds
  limit=$1
  shift
  i=0
  until "$@"; do
    [ $i -ge "$limit" ] && return 1
    sleep 1
    i=$((i + 1))
  done
}
state_is() { [ "$(state)" = "$1" ]; }
lines_in() { [ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ]; }

state > $out/state_before.txt

# What a system with systemd and logind provides: the unit's program path, and the player's seat session.
mkdir -p /usr/local/bin /run/systemd/sessions
ln -sf /usr/bin/scx_gamer /usr/local/bin/scx_gamer
printf 'UID=65534\nUSER=nobody\nACTIVE=1\nSTATE=active\nTYPE=wayland\nCLASS=user\nSEAT=seat0\n' \
  > /run/systemd/sessions/1

# 1. The unit-equivalent start; stdout and stderr are a file, not a terminal.
sh "$service_cmd" > $out/service.log 2>&1 &
service=$!
wait_until 240 state_is enabled
state > $out/state_during.txt
wait_until 120 test -S $socket
stat -c '%a %U %G' $socket > $out/socket_perms.txt

# 2. The player starts the game through the launch wrapper. su keeps its pid through every exec
# (su -> sh -> scx_gamer-run -> scx_gamer -> deno -> gamesim), so $! is the announced pid and the
# game's. (Not through a shell function: a backgrounded function runs in a forked subshell.)
as_player="HOME=/tmp DENO_DIR=/tmp/deno-player; export HOME DENO_DIR; exec"
su -s /bin/sh nobody -c "$as_player /usr/local/bin/scx_gamer-run gamesim --duration 600 --fps 30 --workers 1" \
  > $out/game.out 2> $out/game.err &
game=$!
echo $game > $out/game.pid
# Deno starting is most of the guest's CPU for a while: one start at a time, each once the last is done.
wait_until 240 lines_in $out/service.log "announced as the game" 1
wait_until 120 lines_in $out/service.log "^\[.*game game (pid $game)" 2
stat -c '%u' /proc/$game > $out/game_uid.txt 2>&1
cat /proc/$game/comm > $out/game_comm.txt 2>&1

# 3. --monitor from a second process, also as the player (the socket's group), as JSON lines.
su -s /bin/sh nobody -c "$as_player scx_gamer --monitor 1 --stats-json" > $out/monitor.jsonl 2> $out/monitor.err &
monitor=$!
wait_until 240 lines_in $out/monitor.jsonl '"source":"announced"' 5

# 4. Root announcing a process of its own is refused (not the player's) and the command still runs;
# --self-test loads the embedded object without attaching while the service runs.
scx_gamer run -- sh -c 'echo refused-but-ran' > $out/root_run.out 2> $out/root_run.err
echo $? > $out/root_run.rc
scx_gamer --self-test > $out/self_test.log 2>&1
echo $? > $out/self_test.rc
kill -TERM $monitor
wait $monitor
echo $? > $out/monitor.rc

# 5. systemctl stop: SIGTERM. The service saves its samples into the state directory and detaches.
# Once the game has a sample on disk (each one is appended as it is taken): what SIGTERM must keep.
has_samples() { find $state_dir/ml_data -type f 2>/dev/null | grep -q .; }
wait_until 120 has_samples
kill -TERM $service
wait $service
echo $? > $out/service.rc
state > $out/state_after.txt
test -e $socket && echo present > $out/socket_after.txt || echo removed > $out/socket_after.txt
kill -TERM $game 2>/dev/null
wait $game 2>/dev/null
(cd $state_dir && find . -type f | sort) > $out/state_files.txt
mkdir -p $out/state
cp -r $state_dir/. $out/state/
dmesg | grep -iE 'sched_ext|scx|stall|watchdog' > $out/dmesg.txt
exit 0
