#!/bin/sh
# SPDX-License-Identifier: ISC
# End-to-end tests of the launcher (capjail) without the network helper, run
# as the unprivileged test users: namespaces, mounts, ids, PID 1, exit
# statuses, signals, and every bad-input case.  Each assertion checks what
# the feature changes, so it fails without it.
. "$(dirname "$0")/libtest.sh"

[ -x "$CAPJAIL" ] || skip_all "no $CAPJAIL"
as_user "$T_USER" unshare -U true 2>/dev/null ||
    skip_all "unprivileged user namespaces do not work here"

ERR=$WORK/stderr
jail() { as_user "$T_USER" "$CAPJAIL" "$@" 2>"$ERR"; }

# spawn_jail ARGS...: capjail in the background; $jpid is the launcher.
spawn_jail() {
	(cd "$WORK" && exec setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin:/usr/sbin:/sbin "$CAPJAIL" "$@") \
	    2>"$ERR" &
	jpid=$!
	bg_pid "$jpid"
}

# A directory the test user owns, to see a jail's writes from the host.
SHARE=$WORK/share
mkdir "$SHARE" && chown "$T_USER" "$SHARE" && chmod 0777 "$SHARE"

# --- the namespaces and the default mounts
out=$(jail -- ps -e -o pid=,comm=)
is "$(printf '%s\n' "$out" | sed -n 1p | tr -s ' ' | sed 's/^ //')" \
    "1 capjail" "PID 1 inside is capjail"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 \
    "ps -e shows only the jail (PID 1 and ps)"
is "$(jail -- readlink /proc/self)" 2 "/proc is the jail's (self is pid 2)"

out=$(jail -- touch /etc/capjail-test-file 2>&1)
like "$(cat "$ERR")" "Read-only file system" "writing under / fails: EROFS"
like "$(jail -- sh -c 'grep " / " /proc/mounts')" " ro," \
    "the root is mounted read-only"

out=$(jail -- sh -c 'echo data > /tmp/cja-m && cat /tmp/cja-m &&
    echo x > /var/tmp/y && echo x > /run/y && echo x > /dev/shm/y && echo ok')
is "$out" "data
ok" "/tmp, /var/tmp, /run and /dev/shm are writable"
ok "$([ ! -e /tmp/cja-m ]; echo $?)" "the jail's /tmp is not the host's"
is "$(jail -- sh -c 'ls -A /tmp | wc -l')" 0 \
    "the next jail gets an empty /tmp (the last one's file is gone)"
is "$(jail -- sh -c 'stat -f -c %T /tmp /var/tmp /run /dev/shm' | sort -u)" \
    tmpfs "/tmp, /var/tmp, /run and /dev/shm are fresh tmpfs"

is "$(jail -- hostname)" capjail "default hostname is capjail"
is "$(jail --hostname web1 -- hostname)" web1 "--hostname sets it"
ok "$([ "$(hostname)" != web1 ]; echo $?)" "the host's hostname is unchanged"

out=$(jail -- ip -o link)
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 1 "ip link shows one link"
like "$out" "^1: lo: <LOOPBACK,UP,LOWER_UP>" "it is lo, and it is up"
is "$(jail -- ls /sys/class/net)" lo "/sys/class/net shows only lo"
like "$(jail -- sh -c 'grep " /sys " /proc/mounts')" "sysfs ro," \
    "/sys is a fresh read-only sysfs"
is "$(jail -- ping -c1 -W1 127.0.0.1 >/dev/null 2>&1; echo $?)" 0 \
    "loopback works (ping 127.0.0.1)"

is "$(jail -- ls /dev | tr '\n' ' ')" \
    "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " \
    "/dev is minimal"
is "$(jail -- sh -c 'head -c 4 /dev/urandom | wc -c; echo x > /dev/null')" \
    4 "device nodes work"
like "$(jail -- sh -c 'grep " /dev/pts " /proc/mounts')" "devpts" \
    "/dev/pts is a devpts instance"
like "$(jail -- sh -c 'grep " /dev/pts " /proc/mounts | tail -n 1')" \
    "ptmxmode=666" "... a new instance, not the host's"

# --- ids, privileges
is "$(jail -- id -u):$(jail -- id -g)" "0:0" "inside uid and gid are 0"
is "$(jail --uid 1234 --gid 5678 -- sh -c 'echo $(id -u):$(id -g)')" \
    "1234:5678" "--uid and --gid choose the inside ids"
is "$(jail -- sh -c 'cat /proc/self/uid_map' | tr -s ' ' | sed 's/^ //')" \
    "0 $(id -u "$T_USER") 1" "the uid map is the caller alone"
like "$(jail -- grep NoNewPrivs /proc/self/status)" "NoNewPrivs:[[:space:]]1" \
    "no_new_privs is set inside"
out=$(jail -- sh -c 'umount /proc 2>&1; mount -t tmpfs none /mnt 2>&1')
like "$out" "superuser|denied" "root inside cannot umount or mount"
like "$(jail -- grep CapBnd /proc/self/status)" "00000000a80425fb" \
    "the bounding set is the container default (no CAP_SYS_ADMIN)"

sub=$(awk -F: -v u="$T_USER" '$1 == u { print $2; exit }' /etc/subuid)
out=$(jail --subids --bind "$SHARE:/mnt" -- sh -c 'wc -l < /proc/self/uid_map
    setpriv --reuid=33 --regid=33 --clear-groups sh -c "id -un
    touch /tmp/f /mnt/f"; stat -c %u:%g /tmp/f')
is "$out" "2
www-data
33:33" "--subids: root inside switches to www-data; its files are 33:33"
is "$(stat -c %u "$SHARE/f" 2>/dev/null)" "$((sub + 32))" \
    "--subids: on the host that file's owner is in the subordinate range"
is "$(jail --subids --uid 33 --gid 33 -- sh -c 'echo $(id -u):$(id -g)')" \
    "33:33" "--subids --uid 33 --gid 33 runs the command as 33:33"

# --- --bind, --ro-bind, --tmpfs, --root, --chdir
echo hello > "$SHARE/in"
jail --bind "$SHARE:/mnt" -- sh -c 'echo rw > /mnt/out'
is "$(cat "$SHARE/out" 2>/dev/null)" rw "--bind: the jail writes the host dir"
out=$(jail --ro-bind "$SHARE:/mnt" -- sh -c 'cat /mnt/in; echo x > /mnt/ro')
is "$out" hello "--ro-bind: readable"
like "$(cat "$ERR")" "Read-only file system" "--ro-bind: not writable"
ok "$([ ! -e "$SHARE/ro" ]; echo $?)" "--ro-bind: nothing written on host"
is "$(jail --ro-bind "$SHARE/in:/etc/motd" -- cat /etc/motd)" hello \
    "--ro-bind SRC:DST binds a file over a file"
is "$(jail --ro-bind "$SHARE" -- cat "$SHARE/in")" hello \
    "--ro-bind SRC binds at the same path (made under /tmp)"
out=$(jail --tmpfs /opt --bind "$SHARE:/opt/a/b" -- sh -c \
    'stat -f -c %T /opt; ls /opt; cat /opt/a/b/in')
is "$out" "tmpfs
a
hello" "--tmpfs, then a --bind under it: applied in order"
out=$(jail --bind "$SHARE:/mnt" --tmpfs /mnt -- ls -A /mnt)
is "$out" "" "--tmpfs after --bind covers it: applied in order"

R=$WORK/root
mkdir -p "$R/usr" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/var/tmp" \
    "$R/run" "$R/etc"
for l in bin sbin lib lib64; do
	[ -L "/$l" ] && ln -s "$(readlink "/$l")" "$R/$l"
done
echo tiny > "$R/etc/marker"
chmod -R a+rX "$R"
out=$(jail --root "$R" --ro-bind /usr:/usr -- sh -c 'cat /etc/marker; ls /')
is "$(printf '%s\n' "$out" | tr '\n' ' ')" \
    "tiny $(ls "$R" | tr '\n' ' ')" "--root DIR is the jail's /"
is "$(jail --chdir /etc -- pwd)" /etc "--chdir DIR starts there"
is "$(jail -- pwd)" / "default cwd is / when the caller's is not inside"
is "$(jail --ro-bind "$WORK:$WORK" -- pwd)" "$WORK" \
    "default cwd is the caller's when it exists inside"

# --- exit statuses
jail -- true; is $? 0 "exit status 0"
jail -- sh -c 'exit 3'; is $? 3 "exit status 3"
jail -- sh -c 'kill -TERM $$'; is $? 143 "killed by SIGTERM: 128+15"
jail -- sh -c 'kill -KILL $$'; is $? 137 "killed by SIGKILL: 128+9"
jail -- /etc/passwd; is $? 126 "not executable: 126"
like "$(cat "$ERR")" "^capjail: /etc/passwd: Permission denied" \
    "... with a message"
jail -- /nonexistent/cmd; is $? 127 "not found: 127"
like "$(cat "$ERR")" "^capjail: /nonexistent/cmd: No such file" \
    "... with a message"
jail -- no-such-command-cja; is $? 127 "not found in PATH: 127"
jail --chdir /nonexistent -- true; is $? 125 "capjail failure: 125"
like "$(cat "$ERR")" "^capjail: --chdir /nonexistent: No such file" \
    "... with a one-line capjail: message"

# --- PID 1: signals, orphans, death of the launcher
mkdir "$WORK/sig" && chown "$T_USER" "$WORK/sig"
spawn_jail --bind "$WORK/sig:/mnt" -- sh -c \
    'trap "exit 7" TERM; touch /mnt/ready; sleep 30 & wait'
wait_file "$WORK/sig/ready"
kill -TERM "$jpid"
wait "$jpid"
is $? 7 "SIGTERM to the launcher reaches the command (its trap ran)"

rm -f "$WORK/sig/ready"
spawn_jail --bind "$WORK/sig:/mnt" -- sh -c \
    'trap "" HUP INT; touch /mnt/ready; exec sleep 30'
wait_file "$WORK/sig/ready"
kill -USR1 "$jpid"
wait "$jpid"
is $? 138 "SIGUSR1 is forwarded; the command dies of it: 128+10"

out=$(jail -- sh -c '(sleep 0.2 &); sleep 1; ps -e -o stat= | grep -c Z')
is "$out" 0 "an orphan that exits is reaped by PID 1 (no zombie)"

rm -f "$WORK/sig/ready"
spawn_jail --bind "$WORK/sig:/mnt" -- sh -c \
    'sleep 60 & sleep 60 & touch /mnt/ready; exec sleep 60'
wait_file "$WORK/sig/ready"
pid1=$(pgrep -P "$jpid" -x capjail)
pidns=$(readlink "/proc/$pid1/ns/pid")
jailpids=""
for d in /proc/[0-9]*; do
	[ "$(readlink "$d/ns/pid" 2>/dev/null)" = "$pidns" ] &&
	    jailpids="$jailpids ${d#/proc/}"
done
is "$(echo $jailpids | wc -w | tr -d ' ')" 4 \
    "the jail runs 4 processes (PID 1, three sleeps)"
kill -KILL "$jpid"
i=0
while [ "$i" -lt 50 ]; do
	alive=""
	for p in $jailpids; do [ -e "/proc/$p" ] && alive="$alive $p"; done
	[ -z "$alive" ] && break
	sleep 0.1; i=$((i + 1))
done
is "$alive" "" "SIGKILL of the launcher kills every process of the jail"

# --- options: help, version, verbosity
help=$(jail --help)
for o in -h --help -V --version -q --quiet -v --verbose --uid --gid \
    --subids --root --bind --ro-bind --tmpfs --chdir --hostname --net \
    --ip --ifname -p --publish --check; do
	case "$help" in
	*"$o "*|*"$o,"*) ok 0 "--help documents $o" ;;
	*) ok 1 "--help documents $o" ;;
	esac
done
like "$(jail --version)" "^capjail [0-9]+\.[0-9]+" "--version"
jail -v -- true
like "$(cat "$ERR")" "capjail: \[ *[0-9]+\.[0-9]{3} ms\] clone: " \
    "-v says each setup step, with the time since the start"
like "$(cat "$ERR")" "capjail: \[ *[0-9]+\.[0-9]{3} ms\] mount: " \
    "-v says the mount steps"
jail -v -q -- true
is "$(cat "$ERR")" "" "-q (the last of -v -q wins) prints nothing"

# --- bad input: exit 125, one line, the reason
bad() {	# bad REGEX DESCRIPTION ARGS...
	_re=$1 _d=$2; shift 2
	jail "$@"
	is $? 125 "$_d: exit 125"
	like "$(cat "$ERR")" "^capjail: .*$_re" "$_d: message"
	is "$(wc -l < "$ERR" | tr -d ' ')" 1 "$_d: one line"
}
bad "unknown option --frobnicate" "unknown long option" --frobnicate true
bad "unknown option -x" "unknown short option" -x true
bad "option --bind needs an argument" "missing argument" --bind
bad "--uid abc: invalid" "bad --uid" --uid abc true
bad "--bind /nonexistent-cja: No such file" "bind source missing" \
    --bind /nonexistent-cja:/mnt true
bad "--ro-bind /nonexistent-cja: No such file" "ro-bind source missing" \
    --ro-bind /nonexistent-cja true
bad "destination must be an absolute path" "relative destination" \
    --bind /etc:etc true
bad "--root /etc/passwd: not a directory" "--root a file" \
    --root /etc/passwd true
bad "--root /nonexistent-cja: No such file" "--root missing" \
    --root /nonexistent-cja true
bad "mount point /nonexistent-cja/x does not exist" "bind into ro root" \
    --bind /etc:/nonexistent-cja/x true
bad "--publish needs --net BRIDGE" "--publish without --net" -p 80:80 true
bad "--ip needs --net BRIDGE" "--ip without --net" --ip 10.0.0.2 true
bad "--net BAD/name: not a valid bridge name" "bad bridge name" \
    --net BAD/name true
bad "port 0 is too small" "--publish port 0" --net br0 -p 0:80 true
bad "expected \[HOSTIP:\]HOSTPORT" "--publish malformed" --net br0 -p 80 true
bad "protocol must be tcp or udp" "--publish bad proto" \
    --net br0 -p 80:80/sctp true

out=$(as_user "$T_USER" unshare -Ur sh -c \
    'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" true' \
    "$CAPJAIL" 2>&1)
is $? 125 "user namespaces disabled: exit 125"
like "$out" "^capjail: .*user.max_user_namespaces is 0" \
    "user namespaces disabled: the sysctl is named"

out=$(cd "$WORK" && setpriv --reuid=54321 --regid=54321 --clear-groups \
    "$CAPJAIL" --subids /bin/true 2>&1)
is $? 125 "--subids without a subordinate range: exit 125"
like "$out" "^capjail: --subids: no range of 65536 ids .* /etc/subuid" \
    "--subids without a subordinate range: message"
out=$(as_user "$T_USER" env PATH=/nonexistent-cja "$CAPJAIL" --subids \
    /bin/true 2>&1)
is $? 125 "--subids without newuidmap: exit 125"
like "$out" "^capjail: --subids: newuidmap not found" \
    "--subids without newuidmap: message"

# The login shell looked up under a --ro-bind whose destination is
# spelled with "." components: the rest of its path is taken from the
# same lexical form (a longer spelling read past the shell's path).
out=$(echo 'echo "shell: $0"' | jail -v --ro-bind /usr/bin:/bin/./././././.)
is "$out" "shell: $(getent passwd "$T_USER" | cut -d: -f7)" \
    "--ro-bind /usr/bin:/bin/./././././.: the login shell runs"
unlike "$(cat "$ERR")" "is not in /: running" "... found under that bind"

done_testing
