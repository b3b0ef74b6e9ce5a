#!/bin/sh
# SPDX-License-Identifier: ISC
# The jail's seccomp filter, run as the unprivileged test user: by default
# the calls podman and docker deny fail with EPERM inside (cj-sysprobe
# makes them with arguments that work, or fail otherwise, unfiltered: the
# --no-seccomp run shows it), PID 1 is filtered too, real workloads still
# run (a C build, python3, lighttpd serving a page), --seccomp FD installs
# the caller's program instead, and bad uses are one-line errors.
. "$(dirname "$0")/libtest.sh"

[ -x "$CAPJAIL" ] || skip_all "no $CAPJAIL"
as_user "$T_USER" unshare -U true 2>/dev/null ||
    skip_all "unprivileged user namespaces do not work here"

ERR=$WORK/stderr
jail() { as_user "$T_USER" "$CAPJAIL" --ro-bind "$TESTDIR" "$@" 2>"$ERR"; }
PROBE=$TBIN/cj-sysprobe
DENIED="keyctl add_key bpf perf_event_open userfaultfd init_module
unshare-user setns io_uring_setup x32-getpid"

# --- the default filter
out=$(jail -- "$PROBE" $DENIED)
for c in $DENIED; do
	like "$out" "^$c EPERM\$" "default filter: $c fails with EPERM"
done
is "$(jail -- "$PROBE" clone3)" "clone3 ENOSYS" \
    "default filter: clone3 is ENOSYS (libc falls back to clone)"
is "$(jail -- "$PROBE" getpid)" "getpid ok" "default filter: getpid works"

# The same calls unfiltered: where the kernel lets them through, the
# EPERM above is the filter's.
out=$(jail --no-seccomp -- "$PROBE" $DENIED clone3)
for c in keyctl add_key perf_event_open userfaultfd unshare-user; do
	like "$out" "^$c ok\$" "--no-seccomp: $c works"
done
for c in setns io_uring_setup x32-getpid init_module clone3; do
	unlike "$out" "^$c EPERM\$" "--no-seccomp: $c fails otherwise"
done

# TIOCSTI types into the terminal it is called on (the caller's, which a
# jail may hold): denied before the terminal is even looked at.
STI='import errno, fcntl, termios
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"x")
except OSError as e:
    print(errno.errorcode[e.errno])'
if [ -x /usr/bin/python3 ]; then
	is "$(jail -- python3 -c "$STI" </dev/null)" EPERM \
	    "default filter: ioctl TIOCSTI fails with EPERM"
	is "$(jail --no-seccomp -- python3 -c "$STI" </dev/null)" ENOTTY \
	    "--no-seccomp: TIOCSTI reaches the kernel's terminal check (control)"
else
	skip "TIOCSTI: no python3"
	skip "TIOCSTI, unfiltered: no python3"
fi

like "$(jail -- grep Seccomp: /proc/self/status)" "Seccomp:[[:space:]]2" \
    "the command runs under a seccomp filter"
like "$(jail -- grep Seccomp: /proc/1/status)" "Seccomp:[[:space:]]2" \
    "... and so does the jail's PID 1"
like "$(jail --no-seccomp -- grep Seccomp: /proc/1/status)" \
    "Seccomp:[[:space:]]0" "--no-seccomp: no filter, PID 1 neither"
like "$(jail -- sh -c 'sh -c "grep Seccomp: /proc/self/status"')" \
    "Seccomp:[[:space:]]2" "a grandchild inherits the filter"
out=$(jail -- sh -c 'unshare -U true 2>&1')
like "$out" "unshare failed: Operation not permitted" \
    "no nested user namespace inside"

# --- allowed workloads
if command -v cc >/dev/null 2>&1; then
	out=$(jail -- sh -c 'cd /tmp && printf "%s\n" "#include <stdio.h>" \
	    "int main(void) { puts(\"built\"); return 0; }" > h.c &&
	    cc -O2 -o h h.c && ./h')
	is "$out" built "a C program builds and runs (cc)"
else
	skip "no cc"
fi
if [ -x /usr/bin/python3 ]; then
	is "$(jail -- python3 -c 'import os, threading, subprocess
t = threading.Thread(target=print, args=("thread",)); t.start(); t.join()
print(subprocess.run(["echo", "child"], capture_output=True).stdout.decode().strip())')" \
	    "thread
child" "python3 runs threads and a subprocess"
else
	skip "no python3"
fi
if [ -x /usr/sbin/lighttpd ] && command -v curl >/dev/null 2>&1; then
	out=$(jail -- sh -c 'mkdir /tmp/www && echo served > /tmp/www/i.txt
	printf "%s\n" "server.document-root = \"/tmp/www\"" \
	    "server.port = 8080" "server.bind = \"127.0.0.1\"" \
	    "server.pid-file = \"/tmp/l.pid\"" \
	    "server.errorlog = \"/tmp/err.log\"" > /tmp/l.conf
	lighttpd -f /tmp/l.conf || exit 1
	i=0; while [ $i -lt 100 ] && ! curl -sf http://127.0.0.1:8080/i.txt
	do sleep 0.05; i=$((i + 1)); done
	kill "$(cat /tmp/l.pid)"')
	is "$out" served "lighttpd serves a page to curl inside the jail"
else
	skip "no lighttpd or curl"
fi

# --- --seccomp FD: the caller's program instead of the default
"$TBIN/cj-bpfgen" keyctl > "$WORK/keyctl.bpf"
chmod 0644 "$WORK/keyctl.bpf"
out=$(jail --seccomp 3 -- "$PROBE" keyctl add_key 3<"$WORK/keyctl.bpf")
is "$out" "keyctl ENAMETOOLONG
add_key ok" "--seccomp FD: the caller's filter is installed, not the default"
# PID 1 starts the command with vfork, and with fork if the filter refuses
"$TBIN/cj-bpfgen" vfork > "$WORK/vfork.bpf"
chmod 0644 "$WORK/vfork.bpf"
out=$(jail --seccomp 3 -- "$PROBE" vfork 3<"$WORK/vfork.bpf")
is "$out" "vfork ENAMETOOLONG" "a filter refusing vfork is in force (control)"
out=$(jail --seccomp 3 -- sh -c 'echo ran' 3<"$WORK/vfork.bpf")
is "$?:$out" "0:ran" "... and the command still runs (PID 1 falls back to fork)"

# --- bad input: exit 125, one line
bad() {	# bad REGEX DESCRIPTION ARGS...
	_re=$1 _d=$2; shift 2
	jail "$@"
	is $? 125 "$_d: exit 125"
	like "$(cat "$ERR")" "^capjail: .*$_re" "$_d: message"
	is "$(wc -l < "$ERR" | tr -d ' ')" 1 "$_d: one line"
}
bad "--seccomp 9: read: Bad file descriptor" "--seccomp FD not open" \
    --seccomp 9 true
printf 'abc' > "$WORK/short.bpf"
bad "--seccomp 3: not a BPF program" "--seccomp FD not a program" \
    --seccomp 3 true 3<"$WORK/short.bpf"
bad "--seccomp x: not a file descriptor" "--seccomp not a number" \
    --seccomp x true
bad "--seccomp and --no-seccomp: choose one" "both" \
    --seccomp 0 --no-seccomp true
head -c 64 /dev/zero > "$WORK/zero.bpf"
bad "cannot install the --seccomp filter" "--seccomp FD an invalid program" \
    --seccomp 3 true 3<"$WORK/zero.bpf"

done_testing
