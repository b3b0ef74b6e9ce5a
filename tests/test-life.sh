#!/bin/sh
# SPDX-License-Identifier: ISC
# Living with jails (issue 10), run as the unprivileged test users: names
# and --list, the records and their attacks (a forged record, a planted
# record directory, a stale record after SIGKILL), --join under the jail's
# own confinement, --stop, --setenv/--unsetenv/--clearenv and HOME,
# --die-with-parent, and the terminal (a pty from script(1)).  Each test's
# records live in its own XDG_RUNTIME_DIR under $WORK.
. "$(dirname "$0")/libtest.sh"

[ -x "$CAPJAIL" ] || skip_all "no $CAPJAIL"
as_user "$T_USER" unshare -U true 2>/dev/null ||
    skip_all "unprivileged user namespaces do not work here"

ERR=$WORK/stderr
X=$WORK/xdg
RD=$X/capjail
mkdir -m 0700 "$X" && chown "$T_USER" "$X"
SHARE=$WORK/share
mkdir -m 0777 "$SHARE" && chown "$T_USER" "$SHARE"

# cj ARGS...: capjail as the test user, with this test's record directory.
cj() { as_user "$T_USER" env XDG_RUNTIME_DIR="$X" "$CAPJAIL" "$@" 2>"$ERR"; }

# bg_user CMD...: CMD as the test user in the background; $jpid is its PID.
bg_user() {
	(cd "$WORK" && exec setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="$X" \
	    "$@") 2>>"$ERR" &
	jpid=$!
	bg_pid "$jpid"
}

# spawn ARGS...: a jail in the background; $jpid is the launcher.
spawn() { bg_user "$CAPJAIL" "$@"; }

# ended PID: the process has ended (gone, or a zombie not yet reaped).
ended() {
	# Z: not reaped yet; X: being reaped (wait marks it dead before
	# /proc lets go of it); nothing: gone between the two looks.
	[ ! -e "/proc/$1" ] ||
	    case $(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) in
	    Z | X | "") true ;;
	    *) false ;;
	    esac
}

# wait_gone PID: bounded wait (5 s) for a process to end.
wait_gone() {
	_i=0
	while ! ended "$1" && [ "$_i" -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	ended "$1"
}

recpid() { sed -n 's/^pid //p' "$RD/$1"; }
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }	# CPU ticks

# --- names and --list
spawn --name web --hostname hw -- sleep 60
wait_file "$RD/web"
web=$jpid
pid1=$(recpid web)
is "$pid1" "$(pgrep -P "$web" -x capjail)" \
    "the record names the jail's PID 1 (the launcher's child)"
is "$(stat -c %a:%U "$RD")" "700:$T_USER" \
    "the record directory is the user's own, mode 700"
out=$(cj --list)
like "$out" "^NAME +PID +UPTIME +BRIDGE +ADDRESS +PORTS +COMMAND" \
    "--list: a header"
like "$out" "^web +$pid1 +[0-9]+m[0-9]+s +- +- +- +sleep 60$" \
    "--list: name, PID, uptime, bridge, address, ports, command"
out=$(cj --list --json)
like "$out" "^\[\{\"name\":\"web\",\"pid\":$pid1,\"uptime\":[0-9]+,\"bridge\":null,\"address\":null,\"ports\":\[\],\"command\":\"sleep 60\"\}\]$" \
    "--list --json: the same as a JSON array"

spawn -- sleep 60
spawn -- sleep 60
wait_file "$RD/jail1" && wait_file "$RD/jail2"
is "$(cj --list | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' ')" \
    "jail1 jail2 web " "no --name: generated names, unique (jail1, jail2)"
# Once jail1..jail16 all have lock files, the first free name is found
# by looking names up (recname.c): not by trying jail1, jail2... in turn
# (no refused flock), nor by asking /proc/locks, whose reading can wait
# for an RCU grace period, nor by reading the directory.  14 more lock
# files (jail3..jail16, unheld) make it so, and are passed over.
i=3
while [ $i -le 16 ]; do
	as_user "$T_USER" touch "$RD/jail$i.lock"
	i=$((i + 1))
done
as_user "$T_USER" env XDG_RUNTIME_DIR="$X" strace -qq \
    -e trace=flock,openat,open,getdents64 "$CAPJAIL" -- true 2>"$WORK/strace"
like "$(cat "$WORK/strace")" '^flock\(' "strace sees the launcher's flock (control)"
is "$(grep -c '^flock(.*= -1' "$WORK/strace")" 0 \
    "a generated name takes no try of the held ones (jail1, jail2)"
like "$(grep -m 1 'jail[0-9]*\.lock' "$WORK/strace")" '"jail17\.lock"' \
    "... and is the lowest with no lock file (jail17)"
is "$(grep -c '/proc/locks' "$WORK/strace")" 0 "... without reading /proc/locks"
is "$(grep -c '^getdents64(' "$WORK/strace")" 0 "... nor the directory"
rm -f "$RD"/jail[3-9].lock "$RD"/jail1[0-6].lock
cj --stop jail1
i=0
while [ -e "$RD/jail1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
spawn -- sleep 60
wait_file "$RD/jail1"
is "$(cj --list | awk 'NR > 1 { print $1 }' | sort | tr '\n' ' ')" \
    "jail1 jail2 web " "the first free name is still the lowest: jail1 again"
cj --name web -- true
is $? 125 "--name of a running jail: refused"
like "$(cat "$ERR")" "^capjail: --name web: a jail of that name is running" \
    "... saying so"
cj --name 'a/b' -- true
is $? 125 "--name with a slash: refused"
cj --stop jail1 && cj --stop jail2
i=0
while [ -e "$RD/jail1.lock" ] || [ -e "$RD/jail2.lock" ]; do
	[ $i -lt 100 ] || break
	sleep 0.05; i=$((i + 1))
done
# hold_locks N [STALE]: the test user holds jail1.lock..jailN.lock, all but
# jailSTALE's (which exists, unheld), from a background process: $holder.
hold_locks() {
	rm -f "$SHARE/held"
	bg_user python3 -c 'import fcntl, sys, time
held = []
for i in range(1, int(sys.argv[3]) + 1):
    f = open("%s/jail%d.lock" % (sys.argv[1], i), "a")
    if i != int(sys.argv[4]):
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.append(f)
open(sys.argv[2], "w").close()
time.sleep(60)' "$RD" "$SHARE/held" "$1" "${2:-0}"
	holder=$jpid
	wait_file "$SHARE/held"
}
# first_tried N WHY: a jail started now tries jailN.lock first, and no
# name whose lock is held.
first_tried() {
	as_user "$T_USER" env XDG_RUNTIME_DIR="$X" strace -qq \
	    -e trace=openat,flock "$CAPJAIL" -- true 2>"$WORK/strace"
	like "$(grep -m 1 'jail[0-9]*\.lock' "$WORK/strace")" \
	    "^openat\\(.*\"jail$1\\.lock\"" "$2: jail$1 is the first tried"
	is "$(grep -c '^flock(.*= -1' "$WORK/strace")" 0 \
	    "... with no try of a held one"
	kill "$holder" && wait_gone "$holder"
	rm -f "$RD"/jail*.lock
}
# Past the doubling's first steps and into its halving (recname.c): 200
# lock files, all held but jail137's: an unheld lock file (a launcher
# killed before its record was written) is passed over like a held one,
# and jail201 is the first tried.
hold_locks 200 137
is "$(awk -v p="$holder" '$2 == "FLOCK" && $5 == p' /proc/locks | wc -l)" 199 \
    "the holder's 199 flocks are in /proc/locks (control)"
first_tried 201 "200 lock files, one unheld"
rm -f "$SHARE/held"

# --- --join: the jail's own confinement, not the joiner's
spawn --name conf --chdir /mnt --uid 1234 --gid 5678 --setenv FOO bar --bind "$SHARE:/mnt" \
    -- sh -c 'grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp)" \
    /proc/self/status > /mnt/cmd-status; exec sleep 60'
wait_file "$RD/conf" && wait_file "$SHARE/cmd-status"
cpid1=$(recpid conf)
out=$(cj --join conf -- grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp)" \
    /proc/self/status)
is "$out" "$(cat "$SHARE/cmd-status")" \
    "--join: bounding set, capabilities, NO_NEW_PRIVS and seccomp are the command's"
like "$out" "NoNewPrivs:	1" "... NO_NEW_PRIVS is set"
is "$(cj --join conf -- sh -c 'echo $(id -u):$(id -g)')" "1234:5678" \
    "--join: the jail's --uid and --gid"
if command -v newuidmap >/dev/null; then
	spawn --name sub --subids --uid 33 --gid 33 -- sleep 60
	wait_file "$RD/sub"
	is "$(cj --join sub -- sh -c 'echo $(id -u):$(id -g)')" "33:33" \
	    "--join a --subids jail: its --uid and --gid (33:33)"
	cj --stop sub
else
	skip "--join a --subids jail: no newuidmap"
fi
for ns in pid net user mnt uts ipc; do
	is "$(cj --join conf -- readlink /proc/self/ns/$ns)" \
	    "$(readlink /proc/"$cpid1"/ns/$ns)" "--join: the jail's $ns namespace"
done
is "$(cj --join web -- hostname)" hw "--join: the jail's hostname"
is "$(cj --join conf -- pwd)" /mnt "--join: the jail's working directory"
is "$(cj --join conf -- ls /mnt/cmd-status)" /mnt/cmd-status \
    "--join: the jail's mounts"
out=$(as_user "$T_USER" env XDG_RUNTIME_DIR="$X" SECRET=s3 "$CAPJAIL" \
    --join conf -- env)
like "$out" "^FOO=bar$" "--join: the jail's environment (--setenv FOO bar)"
unlike "$out" "SECRET" "--join: none of the joiner's environment"
is "$(echo piped | cj --join conf -- cat)" piped \
    "--join: the joiner's stdin and stdout"
cj --join conf -- sh -c 'echo to-stderr >&2'
is "$(cat "$ERR")" to-stderr "--join: the joiner's stderr"
is "$(echo 'echo in-shell' | cj --join conf)" in-shell \
    "--join with no command: the login shell (reads stdin)"
# No jail sees the record directory and its join sockets, even one that
# binds the runtime directory (it could join every other jail).
test -S "$RD/conf.sock"
ok $? "control: conf's join socket is in the record directory"
is "$(cj --ro-bind "$X:$X" -- sh -c "ls -A $RD; test -S $RD/conf.sock &&
    echo reachable")" "" \
    "a jail that binds the runtime directory sees no record, no join socket"
# binds N: N --ro-bind of the runtime directory, at /tmp/h1.../tmp/hN.
binds() {
	_i=1
	while [ "$_i" -le "$1" ]; do
		printf ' --ro-bind %s:/tmp/h%s' "$X" "$_i"
		_i=$((_i + 1))
	done
}
# As many places as capjail hides (8: its own path and 7 binds): all of
# them empty.  One more: refused, where it once showed the join sockets.
# shellcheck disable=SC2046
is "$(cj $(binds 7) -- sh -c 'for d in /tmp/h*/capjail; do ls -A "$d"
    test -S "$d/conf.sock" && echo "reachable at $d"; done')" "" \
    "seven binds of the runtime directory: the record directory is empty at each"
n_rec=$(ls -A "$RD" | wc -l)
# shellcheck disable=SC2046
out=$(cj $(binds 8) -- sh -c 'test -S /tmp/h8/capjail/conf.sock &&
    echo reachable')
is "$?:$out" "125:" \
    "eight binds: refused, not run with the join sockets in sight"
like "$(cat "$ERR")" "^capjail: --ro-bind $X:/tmp/h8: the jail would see the record directory .*: bind fewer directories that hold it$" \
    "... saying which bind and what to do, in one line"
is "$(ls -A "$RD" | wc -l)" "$n_rec" "... and leaving no record behind"
# A destination with "..": the bind lands on /tmp/a, and so does the
# hiding (it once looked for /tmp/a/y/../capjail after the mount).
is "$(cj --ro-bind "$X:/tmp/a/y/.." -- sh -c 'ls -A /tmp/a/capjail
    test -S /tmp/a/capjail/conf.sock && echo reachable')" "" \
    "--ro-bind RUNTIME:/tmp/a/y/..: the record directory is empty there"
# A runtime directory so long that the record directory's path does not
# fit: it cannot be hidden, so the jail is refused (it once ran unhidden).
# 4090 characters: "/capjail" no longer fits PATH_MAX (4096).
LX=$WORK/lx
_seg=$(printf '%0200d' 0)
while [ $((${#LX} + 201)) -lt 4090 ]; do LX=$LX/$_seg; done
LX=$LX/$(printf "%0$((4090 - ${#LX} - 1))d" 0)
mkdir -p "$LX" && chown "$T_USER" "$LX" && chmod 0700 "$LX"
as_user "$T_USER" env XDG_RUNTIME_DIR="$LX" "$CAPJAIL" -- true 2>"$ERR"
is $? 125 "a record directory too long a path to hide: refused"
like "$(cat "$ERR")" "cannot be hidden from the jail; use a shorter XDG_RUNTIME_DIR" \
    "... saying what to do"
rm -rf "$WORK/lx"
# A jail that reaches another jail's join socket (here by binding the
# socket itself, one of the ways SECURITY.md lists) is refused by that
# jail's PID 1: only a joiner in capjail's own user namespace may join.
# cj-join speaks the join protocol without capjail's record checks, as
# such a jail would.
out=$(as_user "$T_USER" "$TBIN/cj-join" "$RD/conf.sock" sh -c \
    'echo joined-from-host' 2>&1)
is "$out" "joined-from-host
join exit 0" "control: a bare join client outside every jail joins conf"
out=$(cj --ro-bind "$TBIN:/tmp/tb" --ro-bind "$RD/conf.sock:/tmp/c.sock" -- \
    /tmp/tb/cj-join /tmp/c.sock sh -c 'echo joined-from-jail')
is "$out:$(cat "$ERR")" ":join denied" \
    "a jail that binds another jail's join socket: its join is refused"
# Such a jail is refused as soon as it connects, before it says anything:
# a silent connection holds none of PID 1's 32 joiner slots.
out=$(cj --ro-bind "$RD/conf.sock:/tmp/c.sock" -- python3 -c '
import socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/tmp/c.sock"); s.settimeout(5)
try: print(struct.unpack("I", s.recv(16)[:4])[0])
except OSError as e: print(e)')
is "$out" 4 "a jail's silent connection to the join socket: refused at once"
# Nor can it freeze PID 1 with what it sends: a request whose stdio is a
# TCP socket lingering with unsent data blocks whoever closes it last.
# attack JAIL OUT ARGS...: from a jail of the user limited to 200
# processes, linger-join.py ARGS on JAIL's join socket; its output in OUT,
# when there is some (a bounded wait, 10 s).
attack() {
	_jail=$1 _out=$2
	shift 2
	: >"$_out"
	bg_user prlimit --nproc=200:200 "$CAPJAIL" \
	    --ro-bind "$RD/$_jail.sock:/tmp/c.sock" \
	    --ro-bind "$TESTDIR/fixtures:/tmp/fx" -- \
	    python3 /tmp/fx/linger-join.py /tmp/c.sock "$@" >"$_out"
	lj=$jpid
	_i=0
	while [ ! -s "$_out" ] && [ "$_i" -lt 200 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
}
# served JAIL: the output of a join of JAIL's, killed after 10 s.  Through
# a file: a joiner's fds that a stuck PID 1 never took would hold a pipe.
served() {
	as_user "$T_USER" env XDG_RUNTIME_DIR="$X" timeout -s KILL 10 \
	    "$CAPJAIL" --join "$1" -- echo served >"$WORK/served" 2>&1
	cat "$WORK/served"
}
nfds() { ls "/proc/$1/fd" | wc -l; }
fds_back() {	# fds_back PID N: bounded wait (10 s) for PID to hold N fds
	_i=0
	while [ "$(nfds "$1")" -ne "$2" ] && [ "$_i" -lt 200 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	nfds "$1"
}
attack conf "$WORK/linger.out"
is "$(cat "$WORK/linger.out")" "answer denied" \
    "a jail's join with lingering stdio: refused"
is "$(served conf)" served \
    "... and PID 1 serves the next join at once, not after the linger"
kill "$lj" 2>/dev/null
# Nor when PID 1 can fork no child to close it with: another jail of the
# user can fill the user's process limit for a moment (the limit counts
# over every user namespace; each namespace's is its creator's).
bg_user prlimit --nproc=200:200 "$CAPJAIL" --name np -- sleep 60
np=$jpid
wait_file "$RD/np"
npfds=$(nfds "$(recpid np)")
attack np "$WORK/nproc.out" fill
is "$(cat "$WORK/nproc.out")" "answer denied" \
    "a jail's lingering join while the user's process limit is full: refused"
is "$(served np)" served \
    "... and PID 1 serves the next join at once, not after the linger"
is "$(fds_back "$(recpid np)" "$npfds")" "$npfds" \
    "... and closes the refused connection once it can fork"
kill "$lj" "$np" 2>/dev/null
# And when PID 1 is at its fd limit too (the user's own RLIMIT_NOFILE):
# it neither spins on the joiners it cannot accept, nor keeps the refused
# ones once the process limit frees.
bg_user prlimit --nofile=32:32 --nproc=200:200 "$CAPJAIL" --name nf -- \
    sleep 60
nf=$jpid
wait_file "$RD/nf"
nfpid1=$(recpid nf)
nffds=$(nfds "$nfpid1")
attack nf "$WORK/nofile.out" fill 40
sleep 0.3
t0=$(cpu "$nfpid1")
sleep 1
t1=$(cpu "$nfpid1")
ok "$([ $((t1 - t0)) -lt 20 ]; echo $?)" \
    "PID 1 out of fds, joiners queued: no spinning ($((t1 - t0)) ticks in 1 s)"
is "$(fds_back "$nfpid1" "$nffds")" "$nffds" \
    "... and once the process limit frees, it closes every refused one"
is "$(sed 1d "$WORK/nofile.out" | grep -v '^answer \(denied\|failed\)$')" "" \
    "... each told no, or to try again (out of fds)"
is "$(served nf)" served "... and serves joins again"
kill "$lj" "$nf" 2>/dev/null
# The jail's own command can stop a joined command's child before its
# exec: PID 1, which keeps refused joiners open until that child has
# closed its copies, does not wait for it, and goes on reaping and serving.
rm -f "$SHARE/caught"
spawn --name st --bind "$SHARE:/mnt" --ro-bind "$TESTDIR/fixtures:/tmp/fx" \
    -- python3 /tmp/fx/stop-spawn.py /mnt
st=$jpid
wait_file "$RD/st"
i=0
while [ ! -e "$SHARE/caught" ] && [ "$i" -lt 10 ]; do
	bg_user timeout -s KILL 5 "$CAPJAIL" --join st -- true
	sleep 0.5; i=$((i + 1))
done
ok "$([ -e "$SHARE/caught" ]; echo $?)" \
    "the jail's command stops a joined command's child before its exec"
is "$(served st)" served "... and PID 1 still serves joins"
as_user "$T_USER" nsenter -t "$(recpid st)" -U -p --preserve-credentials \
    sh -c 'sh -c "sleep 0.2; exit 0" & exit 0'
sleep 1
is "$(ps -o stat= --ppid "$(recpid st)" | grep -c Z)" 0 \
    "... and reaps an orphan that ended"
i=0
while ps -o stat= --ppid "$(recpid st)" | grep -q T && [ "$i" -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
is "$(ps -o stat= --ppid "$(recpid st)" | grep -c T)" 0 \
    "... and kills that child once it has had 5 s to close its fds"
kill "$st" 2>/dev/null
rm -f "$SHARE/caught"
# A join PID 1 cannot fork for (the jail's own command filled the user's
# process limit) is told why.
rm -f "$SHARE/full"
bg_user prlimit --nproc=200:200 "$CAPJAIL" --name full --bind "$SHARE:/mnt" \
    -- python3 -c '
import os, time
kids = []
while len(kids) < 10000:
    try:
        p = os.fork()
    except BlockingIOError:
        break
    if p == 0:
        time.sleep(3)
        os._exit(0)
    kids.append(p)
open("/mnt/full", "w").close()
for p in kids:
    os.waitpid(p, 0)'
full=$jpid
wait_file "$SHARE/full"
cj --join full -- true
is $? 125 "a join PID 1 cannot fork for: 125"
like "$(cat "$ERR")" \
    "jail full could not start the command: Resource temporarily unavailable; try again" \
    "... saying why"
wait_gone "$full"
rm -f "$SHARE/full"
# 32 joined commands at once; the 33rd is told so, not left hanging.
i=0
while [ "$i" -lt 32 ]; do
	bg_user "$CAPJAIL" --join conf -- sh -c 'touch /mnt/j$$; exec sleep 30'
	eval "j$i=\$jpid"
	i=$((i + 1))
done
i=0
while [ "$(ls "$SHARE" | grep -c '^j')" -lt 32 ] && [ "$i" -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
cj --join conf -- true
is $? 125 "a 33rd joined command at once: 125"
like "$(cat "$ERR")" "jail conf serves 32 joins already; try again when one ends" \
    "... saying why"
i=0
while [ "$i" -lt 32 ]; do eval "kill \$j$i"; i=$((i + 1)); done
rm -f "$SHARE"/j*
i=0
while ! cj --join conf -- true && [ "$i" -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
ok $? "... and once they end, a join runs again"
# The launcher vets joiners, and may be stopped (^Z) for as long as its
# user likes: a join waits for it, and PID 1 goes on reaping meanwhile.
claunch=$(ps -o ppid= -p "$cpid1" | tr -d ' ')
kill -STOP "$claunch"
bg_user "$CAPJAIL" --join conf -- echo joined-late >"$WORK/late.out"
late=$jpid
sleep 0.5
as_user "$T_USER" nsenter -t "$cpid1" -U -p --preserve-credentials sh -c \
    'sh -c "sleep 0.2; exit 0" & exit 0'
sleep 1
is "$(ps -o stat= --ppid "$cpid1" | grep -c Z)" 0 \
    "launcher stopped: PID 1 still reaps an orphan that ended"
is "$(cat "$WORK/late.out")" "" "... and a join waits, not run unvetted"
kill -CONT "$claunch"
wait_gone "$late"
is "$(cat "$WORK/late.out")" joined-late "... and runs once it continues"
# When PID 1 has ended but its PID namespace has not (a process put in it
# from outside stays a zombie while its parent, stopped, cannot reap it),
# the launcher waits for it without spinning on the sync socket it closed.
spawn --name held --bind "$SHARE:/mnt" -- \
    sh -c 'until [ -e /mnt/held-end ]; do sleep 0.05; done'
held=$jpid
wait_file "$RD/held"
bg_user nsenter -t "$(recpid held)" -U -p --preserve-credentials sleep 60
ns=$jpid
sleep 0.3
kill -STOP "$ns"
touch "$SHARE/held-end"
sleep 0.5
t0=$(cpu "$held")
sleep 1
t1=$(cpu "$held")
ended "$held"
is $? 1 "control: the launcher still waits for the jail's last process"
ok "$([ $((t1 - t0)) -lt 20 ]; echo $?)" \
    "... using no CPU meanwhile ($((t1 - t0)) ticks in 1 s)"
kill -CONT "$ns"
wait_gone "$held"
ok $? "... and ends once that process is reaped"
rm -f "$SHARE/held-end"
# kill(0) in a jail with no terminal must not reach the caller's group.
is "$(as_user "$T_USER" sh -c "sleep 30 & n=\$!
    $CAPJAIL -- sh -c 'kill -KILL 0' </dev/null
    kill -0 \$n && echo neighbour-alive; kill \$n" 2>/dev/null)" \
    neighbour-alive "kill 0 in a jail reaches no process of the caller"
cj --join conf -- sh -c 'exit 3'; is $? 3 "--join: the command's status"
cj --join conf -- sh -c 'kill -KILL $$'; is $? 137 "--join: killed: 128+9"
cj --join conf -- /etc/passwd; is $? 126 "--join: not executable: 126"
cj --join conf -- no-such-command-cjl; is $? 127 "--join: not found: 127"
cj --join conf --bind /etc:/mnt -- true; is $? 125 "--join with --bind: 125"
like "$(cat "$ERR")" "^capjail: --join acts on running jails: options that make a new one do not go with it" \
    "... options for a new jail do not go with --join"
cj --setenv A 1 --join conf -- true; is $? 125 "--join with --setenv: 125"
cj --list --subids; is $? 125 "--list with --subids: 125"
cj --join nosuch -- true; is $? 125 "--join of no jail: 125"
like "$(cat "$ERR")" "^capjail: no running jail named nosuch" "... saying so"

rm -f "$SHARE/jready"
bg_user "$CAPJAIL" --join conf -- sh -c \
    'trap "exit 7" TERM; touch /mnt/jready; sleep 30 & wait'
jj=$jpid
wait_file "$SHARE/jready"
kill -TERM "$jj"
wait "$jj"
is $? 7 "--join: a signal to the joiner reaches the joined command"
# (SIGUSR1: a background job of this shell ignores SIGINT.)
rm -f "$SHARE/jready" "$SHARE/got-sig"
bg_user "$CAPJAIL" --join conf -- sh -c 'sh -c "trap \"touch /mnt/got-sig;
    exit\" USR1; touch /mnt/jready; sleep 30 & wait"; :'
jj=$jpid
wait_file "$SHARE/jready"
kill -USR1 "$jj"
wait "$jj"
wait_file "$SHARE/got-sig"
ok $? \
    "--join: a relayed signal reaches the joined command's children too"
if command -v socat >/dev/null; then
	# A joiner that connects and says nothing must not hold up PID 1.
	bg_user sh -c "sleep 30 | socat -u - UNIX-CONNECT:$RD/conf.sock,type=5"
	silent=$jpid
	i=0
	while ! ss -x 2>/dev/null | grep -q "$RD/conf.sock" && [ "$i" -lt 100 ]
	do
		sleep 0.05; i=$((i + 1))
	done
	is "$(as_user "$T_USER" env XDG_RUNTIME_DIR="$X" timeout 10 \
	    "$CAPJAIL" --join conf -- echo still-served 2>&1)" still-served \
	    "a silent joiner does not hold up the jail's PID 1"
	kill "$silent" 2>/dev/null
else
	skip "a silent joiner: no socat"
fi
out=$(as_user "$T_USER2" env XDG_RUNTIME_DIR="$X" "$CAPJAIL" --join conf \
    -- true 2>&1)
is $? 125 "another user cannot join (the record directory is not theirs)"

# --- --stop
cj --stop web; rc=$?
is "$rc" 0 "--stop: exit 0"
ended "$pid1"; ok $? "--stop returns when PID 1 has ended"
wait "$web"
is $? 143 "--stop: the jail's command got SIGTERM (128+15)"
ok "$([ ! -e "$RD/web" ] && [ ! -e "$RD/web.sock" ]; echo $?)" \
    "the launcher removed the record of the ended jail"
spawn --name stubborn -- sh -c 'trap "" TERM; while :; do sleep 1; done'
wait_file "$RD/stubborn"
spid1=$(recpid stubborn)
cj --stop stubborn --time 1; rc=$?
is "$rc" 0 "--stop --time 1 of a jail that ignores SIGTERM: exit 0"
like "$(cat "$ERR")" "still running after 1 s: SIGKILL" "... SIGKILL after 1 s"
ended "$spid1"; ok $? "... and it has ended"
cj --stop nosuch; is $? 125 "--stop of no jail: 125"
cj --stop conf --time x; is $? 125 "--stop --time x: 125"

# --- the kernel is the truth: stale and forged records
spawn --name gone -- sleep 60
wait_file "$RD/gone"
gpid=$jpid
kill -KILL "$gpid"
wait_gone "$(recpid gone)"
ok "$([ -e "$RD/gone" ]; echo $?)" "after SIGKILL of the launcher its record is left"
unlike "$(cj --list)" "^gone " "--list never shows the stale record"
ok "$([ ! -e "$RD/gone" ] && [ ! -e "$RD/gone.lock" ]; echo $?)" \
    "--list removed the stale record"
# A lock file with no record (a launcher killed before it wrote one):
# --list removes it too, unless a launcher holds it.
as_user "$T_USER" touch "$RD/lone.lock" "$RD/lone.sock" "$RD/held.lock"
bg_user python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
open(sys.argv[2], "w").close()
time.sleep(30)' "$RD/held.lock" "$SHARE/lone-held"
lholder=$jpid
wait_file "$SHARE/lone-held"
cj --list >/dev/null
ok "$([ ! -e "$RD/lone.lock" ] && [ ! -e "$RD/lone.sock" ]; echo $?)" \
    "--list removed a lock file that has no record, and its socket"
ok "$([ -e "$RD/held.lock" ]; echo $?)" "... but not one a launcher holds"
kill "$lholder" && wait_gone "$lholder"
rm -f "$RD/held.lock" "$SHARE/lone-held"

# forge NAME PID [NS-OF-PID]: a record for PID, true in every other field
forge() {
	_src=${3:-$2}
	{
		echo "pid $2"
		echo "start $(cut -d' ' -f22 /proc/"$2"/stat)"
		for _ns in pid net user mnt; do
			echo "ns $_ns $(stat -L -c '%d %i' /proc/"$_src"/ns/$_ns)"
		done
		printf 'bridge -\naddr -\nports -\ncmd forged\n'
	} > "$RD/$1"
	chown "$T_USER" "$RD/$1"
}
bg_user sleep 60
vpid=$jpid
i=0
while [ "$(cat /proc/"$vpid"/comm)" != sleep ] && [ "$i" -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
forge evil "$vpid"
cj --stop evil; is $? 125 "--stop of a forged record (another process of the user): refused"
cj --join evil -- true; is $? 125 "--join of it: refused"
ok "$(kill -0 "$vpid"; echo $?)" "... the process is untouched"
unlike "$(cj --list)" "^evil " "--list does not show it"

# A process inside a real jail: same namespaces, but not its PID 1.
inner=$(pgrep -o -P "$cpid1" -x sleep)
forge evil2 "$inner" "$cpid1"
cj --stop evil2; is $? 125 "--stop of a record naming a jail's non-init process: refused"
ok "$(kill -0 "$inner"; echo $?)" "... the process is untouched"
# The real PID 1 of a jail, under another name, with the wrong namespaces.
forge evil3 "$cpid1" "$vpid"
cj --stop evil3; is $? 125 "--stop of a record with namespaces that are not the jail's: refused"
ok "$(kill -0 "$cpid1"; echo $?)" "... the jail is untouched"
cj --stop conf

# --- a record directory planted by another user
P=$WORK/xdgp
mkdir -m 0700 "$P" "$P/capjail" && chown "$T_USER" "$P" &&
    chown "$T_USER2" "$P/capjail"
out=$(as_user "$T_USER" env XDG_RUNTIME_DIR="$P" "$CAPJAIL" -- echo ran 2>&1)
like "$out" "^capjail: $P/capjail: owned by uid $(id -u "$T_USER2"), not by you: remove it; this jail runs without a record" \
    "a record directory owned by another user: refused, saying what to do"
like "$out" "^ran$" "... the jail still runs (a planted directory is no denial of service)"
ok "$([ -z "$(ls -A "$P/capjail")" ]; echo $?)" "... and nothing is written in it"
out=$(as_user "$T_USER" env XDG_RUNTIME_DIR="$P" "$CAPJAIL" --name x -- true 2>&1)
is $? 125 "... --name needs a record: 125"
out=$(as_user "$T_USER" env XDG_RUNTIME_DIR="$P" "$CAPJAIL" --list 2>&1)
is $? 125 "... --list refuses it"
like "$out" "^capjail: $P/capjail: owned by uid" "... saying why"
S=$WORK/xdgs
mkdir -m 0700 "$S" "$S/elsewhere" && ln -s elsewhere "$S/capjail" &&
    chown -h -R "$T_USER" "$S"
out=$(as_user "$T_USER" env XDG_RUNTIME_DIR="$S" "$CAPJAIL" --name y -- \
    true 2>&1)
is $? 125 "a record directory that is a symlink: refused"
like "$out" "capjail: not a directory \(another user's link\?\)" \
    "... saying so"
ok "$([ -z "$(ls -A "$S/elsewhere")" ]; echo $?)" \
    "... and nothing is written where it points"
chmod 0755 "$RD"
cj --list; is $? 125 "a record directory open to others: refused"
like "$(cat "$ERR")" "open to other users \(mode 755\): chmod 700 it" \
    "... saying what to do"
chmod 0700 "$RD"

# --- environment
out=$(as_user "$T_USER" env XDG_RUNTIME_DIR="$X" KEEP=1 DROP=2 "$CAPJAIL" \
    --unsetenv DROP -- env)
like "$out" "^KEEP=1$" "the caller's environment passes through"
unlike "$out" "^DROP=" "--unsetenv removes a variable"
out=$(cj --setenv A 1 --clearenv --setenv PATH /usr/bin:/bin --setenv B 'x y' \
    -- env | sort | tr '\n' ' ')
is "$out" "B=x y HOME=/tmp PATH=/usr/bin:/bin " \
    "--setenv, --clearenv, --setenv apply in order (HOME then set)"
cj --setenv A; is $? 125 "--setenv without a value: 125"
cj --setenv A=B 1 -- true; is $? 125 "--setenv with = in the name: 125"
is "$(cj -- sh -c 'echo $HOME; touch $HOME/.dotfile && echo writable')" \
    "/tmp
writable" "HOME not writable inside (/ is read-only): HOME=/tmp, writable"
mkdir -m 0700 "$WORK/h" && chown "$T_USER" "$WORK/h"
is "$(as_user "$T_USER" env XDG_RUNTIME_DIR="$X" HOME="$WORK/h" "$CAPJAIL" \
    --bind "$WORK/h" -- sh -c 'echo $HOME')" "$WORK/h" \
    "HOME bound writable with --bind: kept"
is "$(cj --setenv HOME /nonexistent -- sh -c 'echo $HOME')" /nonexistent \
    "--setenv HOME: kept as given"
# PID 1 starts the command with vfork, not fork (no copy of its pages);
# the child chooses HOME without allocating (env_home_tmp, env_command).
as_user "$T_USER" env XDG_RUNTIME_DIR="$X" HOME=/nonexistent strace -f -qq \
    -e trace=clone,clone3,fork,vfork "$CAPJAIL" -- sh -c 'echo "H=$HOME"' \
    >"$WORK/vf.out" 2>"$WORK/vf.strace"
like "$(cat "$WORK/vf.strace")" 'CLONE_NEWUSER' \
    "strace follows the launcher into the jail (control)"
is "$(grep -c '^\[pid  *[0-9]*\] vfork()' "$WORK/vf.strace")" 1 \
    "PID 1 starts the command with one vfork"
is "$(cat "$WORK/vf.out")" "H=/tmp" "... whose HOME, unusable, became /tmp"
is "$(cj --clearenv -- /usr/bin/env)" "HOME=/tmp" \
    "--clearenv alone: the command's environment is HOME=/tmp only"
help=$(cj --help)
for o in --name --list --json --join --stop --time --setenv --unsetenv \
    --clearenv --die-with-parent; do
	case "$help" in
	*"$o "*|*"$o,"*) ok 0 "--help documents $o" ;;
	*) ok 1 "--help documents $o" ;;
	esac
done
like "$help" "HOME is set to /tmp" "--help says what happens to HOME"

# --- --die-with-parent
run_parent() {	# run_parent ARGS...: sh (in the background) runs capjail
	(cd "$WORK" && exec setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$X" sh -c \
	    '"$0" "$@" & echo $! > '"$SHARE/lpid"'; wait' "$CAPJAIL" "$@") &
	ppid_=$!
	bg_pid "$ppid_"
}
rm -f "$SHARE/lpid"
run_parent --name orphan -- sleep 60
wait_file "$RD/orphan"
lpid=$(cat "$SHARE/lpid"); bg_pid "$lpid"
opid1=$(recpid orphan)
kill -KILL "$ppid_"
wait_gone "$ppid_"
ok "$(kill -0 "$lpid" && kill -0 "$opid1"; echo $?)" \
    "without --die-with-parent the jail outlives capjail's parent"
cj --stop orphan
rm -f "$SHARE/lpid"
run_parent --name dwp --die-with-parent -- sleep 60
wait_file "$RD/dwp"
lpid=$(cat "$SHARE/lpid"); bg_pid "$lpid"
dpid1=$(recpid dwp)
kill -KILL "$ppid_"
wait_gone "$dpid1" && wait_gone "$lpid"
ok $? \
    "--die-with-parent: the launcher and the jail end with the parent"

# --- --list of a jail on a bridge: its bridge, address and ports
NS=cjl-$$-host
if [ -x "$HELPER" ] && netns_new "$NS"; then
	printf '%s\n' "bridge capjail0 10.89.0.1/24" \
	    "user $T_USER capjail0 jails=2 ports=8000-8100" >"$CONF"
	chown root:root "$CONF" && chmod 0644 "$CONF"
	(cd "$WORK" && exec ip netns exec "$NS" setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$X" \
	    CAPJAIL_HELPER="$CAPJAIL_HELPER" "$CAPJAIL" --name netj \
	    --net=capjail0 --ip 10.89.0.9 -p 8050:80 -p 8051:53/udp \
	    -- sleep 60) 2>>"$ERR" &
	bg_pid $!
	i=0
	while [ ! -e "$RD/netj" ] && [ "$i" -lt 400 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ -e "$RD/netj" ] || diag "netj did not start: $(tail -n 3 "$ERR")"
	like "$(cj --list)" "^netj +[0-9]+ +[0-9]+m[0-9]+s +capjail0 +10\.89\.0\.9/24 +8050:80,8051:53/udp +sleep 60$" \
	    "--list: a jail's bridge, address and published ports"
	like "$(cj --list --json)" "\"bridge\":\"capjail0\",\"address\":\"10\.89\.0\.9/24\",\"ports\":\[\"8050:80\",\"8051:53/udp\"\]" \
	    "--list --json: the same"
	cj --stop netj
	# A start the helper refuses after the clone (a port outside the
	# user's range) leaves no file of its name behind.
	(cd "$WORK" && exec ip netns exec "$NS" setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$X" \
	    CAPJAIL_HELPER="$CAPJAIL_HELPER" "$CAPJAIL" --name failj \
	    --net=capjail0 -p 9999:80 -- true) 2>"$WORK/failj.err"
	is $? 125 "a start refused at the attach exits 125"
	like "$(cat "$WORK/failj.err")" "9999" "... saying which port"
	is "$(ls "$RD" | grep -c '^failj')" 0 \
	    "... and leaves no lock, socket or record of its name"
else
	skip "--list of a jail on a bridge: no helper or no network namespace"
	skip "--list --json of a jail on a bridge"
	skip "a start refused at the attach"
	skip "... saying which port"
	skip "... leaves no lock, socket or record of its name"
fi

# --- the terminal
command -v script >/dev/null || skip_all "no script(1) (util-linux)"
tty_run() {	# tty_run CMD: CMD as the test user on a new pty
	as_user "$T_USER" env XDG_RUNTIME_DIR="$X" script -qec "$1" /dev/null \
	    </dev/null | tr -d '\r'
}
is "$(tty_run "$CAPJAIL -- tty")" /dev/console \
    "on a terminal: tty inside names it (/dev/console)"
spawn --name tj -- sleep 60
wait_file "$RD/tj"
like "$(tty_run "$CAPJAIL --join tj -- readlink /proc/self/fd/0 /proc/self/fd/1")" \
    "^pipe:.*
pipe:" "--join on a terminal: the command gets pipes, never the terminal"
is "$(tty_run "$CAPJAIL --join tj -- echo through")" through \
    "... and its output reaches the terminal"
cj --stop tj
is "$(tty_run "$CAPJAIL -- sh -c 'echo ok > /dev/console'")" ok \
    "... and it is the caller's terminal"
out=$(tty_run "$CAPJAIL -- sh -c 'ps -o pgid=,tpgid= -p \$\$'" | tr -s ' ')
like "$out" "^ ?([1-9][0-9]*) \1$" \
    "the command leads the terminal's foreground process group"
out=$(tty_run "sh -c '$CAPJAIL -- true; ps -o pgid=,tpgid= -p \$\$'" |
    tr -s ' ')
like "$out" "^ ?([1-9][0-9]*) \1$" \
    "after the jail, a script that ran capjail has its terminal back"
# In the foreground PID 1 forks (a ^Z that stops the command before its
# exec must reach PID 1, which vfork would hold until the exec).
out=$(tty_run "strace -f -qq -e trace=clone,vfork $CAPJAIL -- true")
like "$out" "CLONE_NEWUSER" "on a terminal, strace follows into the jail (control)"
is "$(printf '%s\n' "$out" | grep -c 'vfork()')" 0 \
    "on a terminal, in the foreground: PID 1 starts the command with fork"

# ^Z in an interactive shell stops the whole job; fg gives the terminal back.
Z=$WORK/z
mkdir -m 0777 "$Z" && mkfifo -m 0666 "$Z/in"
out_has() {	# out_has TEXT: bounded wait (5 s) for TEXT in the pty's output
	_i=0
	while ! grep -qF -- "$1" "$Z/out" 2>/dev/null && [ "$_i" -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	grep -qF -- "$1" "$Z/out"
}
(cd "$WORK" && exec setpriv --reuid="$T_USER" --regid="$(id -g "$T_USER")" \
    --init-groups --reset-env env PATH=/usr/bin:/bin TERM=dumb \
    XDG_RUNTIME_DIR="$X" script -qfec "bash --norc --noprofile -i" \
    /dev/null <"$Z/in" >"$Z/out" 2>&1) &
shpid=$!
bg_pid "$shpid"
exec 3>"$Z/in"
printf '%s\n' "$CAPJAIL --bind $Z:/mnt -- sh -c 'touch /mnt/up; read x; echo got-\$x'" >&3
wait_file "$Z/up"
cmdpid=$(pgrep -n -f "touch /mnt/up; read x")
printf '\032' >&3
out_has "Stopped"; ok $? "^Z: the shell outside sees the job stopped"
is "$(cut -d' ' -f3 /proc/"$cmdpid"/stat)" T "... and the command is stopped"
printf 'fg\n' >&3
i=0
while [ "$(cut -d' ' -f3 /proc/"$cmdpid"/stat)" = T ] && [ "$i" -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
printf 'hello\n' >&3
out_has "got-hello"; ok $? "fg: the command runs again and reads the terminal"
printf 'exit\n' >&3
exec 3>&-
wait_gone "$shpid"

is "$(cj -- sh -c 'ls /dev/console 2>/dev/null; tty' </dev/null)" "not a tty" \
    "without a terminal: no /dev/console, not a tty"

done_testing
