#!/bin/sh
# SPDX-License-Identifier: ISC
# The hostile-input suite (issue 5): capjail-net as deployed (the setcap'ed
# test helper, run by the unprivileged test users through tests/cj-client
# or the launcher) against malformed messages, fd tricks, policy refusals,
# invocation tricks, config tricks and races.  Every case is one TAP line
# that asserts three things: the documented refusal (reply status and
# text, or exit status and message), that the helper did not die of a
# signal, and that the host network namespace is exactly as it was before
# the case (links with their master and alias, addresses, IPv4 routes,
# forwarding sysctls and the whole nftables ruleset, both capjail tables
# included).  The host here is a throwaway namespace holding a running
# jail with a published port, so "unchanged" also means "its state
# survived".
#
# Known helper bugs found by this suite are checked on lines of their own
# that SKIP with "KNOWN HELPER BUG" while the bug is there (set
# CJ_STRICT=1 to make them fail) and pass once it is fixed.
. "$(dirname "$0")/libtest.sh"

NS=cjh-$$-host
RootNS=cjh-$$-root
CLIENT=$TBIN/cj-client
. "$(dirname "$0")/client.sh"
FIXTURES=$(cd "$(dirname "$0")" && pwd)/fixtures
[ -x "$CLIENT" ] && [ -x "$HELPER" ] && [ -x "$CAPJAIL" ] ||
    skip_all "binaries not built"
netns_new "$NS" || skip_all "cannot create a network namespace"
U1=$(id -u "$T_USER"); G1=$(id -g "$T_USER")
U2=$(id -u "$T_USER2"); G2=$(id -g "$T_USER2")
PATHS=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
NCASES=0
MID=same

# --- tools ----------------------------------------------------------------

# launch USER ARGS...: the launcher as USER in the host netns; its output
# and "rc=N" in $out.
launch() {
	_u=$1; shift
	out=$(cd "$WORK" && ip netns exec "$NS" setpriv --reuid="$_u" \
	    --regid="$(id -g "$_u")" --init-groups --reset-env \
	    env CAPJAIL_HELPER="$HELPER" PATH=$PATHS "$CAPJAIL" "$@" 2>&1
	    echo "rc=$?")
}

# The policy every case runs under (a bad config is restored to this).
# capjail0 holds the long-running jail; tiny0 is a /30 with one
# address for jails; race0 is for the quota race; lazy0 is never created;
# fake0 is a veth root made (a name clash); other0 is granted to a
# group cjtest1 is not in.
conf_std() {
	conf "# hostile suite" \
	    "bridge capjail0 10.89.0.1/24" \
	    "bridge other0 10.90.0.1/24" \
	    "bridge tiny0 10.77.0.1/30" \
	    "bridge race0 10.79.0.1/24" \
	    "bridge lazy0 10.80.0.1/24" \
	    "bridge fake0 10.81.0.1/24" \
	    "user $T_USER capjail0 jails=64 ports=8000-8999" \
	    "user $T_USER2 capjail0 jails=1 ports=8000-8999" \
	    "user $T_USER tiny0 jails=1" \
	    "user $T_USER2 tiny0 jails=1" \
	    "user $T_USER2 race0 jails=2 ports=8000-8999" \
	    "user $T_USER lazy0 jails=1" \
	    "user $T_USER fake0 jails=1" \
	    "group $T_USER2 other0 jails=1"
}

# snap: the host netns, in a form that changes only when something in it
# does.  Carrier-dependent flags, timers and IPv6 link-local addresses are
# the kernel's (a jail bringing its end up), not the helper's; set
# elements are sorted (the kernel lists a hash set in any order); the
# turns in gcturn are left out (each run takes its user's, for a second,
# and the kernel counts it down: SECURITY.md, "Kernel-only state"), and
# so are the quota markers an attach writes for its user (quotas:
# SECURITY.md, "attach"), which stay true after the jail is gone.
snap() {
	ip -n "$NS" -d -o link show | awk '{
		s = $1 " " $2
		for (i = 3; i <= NF; i++) {
			if ($i ~ /^</)
				s = s ($i ~ /[<,]UP[,>]/ ? " UP" : " DOWN")
			else if ($i == "mtu" || $i == "master" ||
			    $i == "link/ether" || $i == "isolated")
				s = s " " $i " " $(i + 1)
			else if ($i == "veth" || $i == "bridge" ||
			    $i == "bridge_slave")
				s = s " " $i
			else if ($i == "alias")
				for (; i <= NF; i++)
					s = s " " $i
		}
		print s
	}'
	ip -n "$NS" -o addr show | grep -v ' inet6 fe80::' | sed 's/\\.*//'
	ip -n "$NS" -4 route show table all | sed 's/ linkdown//'
	ip netns exec "$NS" sh -c 'grep -r . /proc/sys/net/ipv4/conf/*/forwarding
	    nft list ruleset' | awk '
	/(set gcturn|map quotas) \{/ { gc = 1 }
	gc && /elements = \{/ { skip = 1 }
	skip { if ($0 ~ /\}[ \t]*$/) skip = 0; next }
	gc && /^[ \t]*\}/ { gc = 0 }
	function out(   i, j, t, s) {
		for (i = 2; i <= n; i++) {
			t = e[i]
			for (j = i - 1; j >= 1 && e[j] > t; j--)
				e[j + 1] = e[j]
			e[j + 1] = t
		}
		s = e[1]
		for (i = 2; i <= n; i++)
			s = s ", " e[i]
		print "elements = { " s " }"
	}
	/elements = \{/ { inel = 1; buf = "" }
	inel {
		buf = buf " " $0
		if ($0 ~ /\}[ \t]*$/) {
			inel = 0
			sub(/^[^{]*\{/, "", buf)
			sub(/\}[ \t]*$/, "", buf)
			n = split(buf, e, ",")
			for (i = 1; i <= n; i++)
				gsub(/^[ \t]+|[ \t]+$/, "", e[i])
			out()
		}
		next
	}
	{ print }'
}

rebase() { snap >"$WORK/snap.base"; }

# hostile DESC OUT REGEX...: one case.  OUT must match every REGEX, show
# no helper killed by a signal, no change mid-session (MID, set by
# session) and the host netns must equal the last snapshot.
hostile() {
	_d=$1 _o=$2; shift 2
	_why=""
	for _re in "$@"; do
		printf '%s\n' "$_o" | grep -Eq -- "$_re" ||
		    _why="$_why; output lacks /$_re/"
	done
	case $_o in
	*"helper signal"*) _why="$_why; the helper died of a signal" ;;
	esac
	[ "$MID" = same ] ||
	    _why="$_why; the refused request changed the host mid-session"
	MID=same
	snap >"$WORK/snap.now"
	cmp -s "$WORK/snap.base" "$WORK/snap.now" ||
	    _why="$_why; the host netns changed"
	NCASES=$((NCASES + 1))
	if [ -z "$_why" ]; then
		ok 0 "$_d"
	else
		ok 1 "$_d"
		diag "${_why#; }"
		printf '%s\n' "$_o" | sed 's/^/#   out: /'
		diff -u "$WORK/snap.base" "$WORK/snap.now" | sed 's/^/#   /'
	fi
	mv "$WORK/snap.now" "$WORK/snap.base"
}

# known_bug DESC STATUS WHAT: a check of a bug this suite found; SKIPs
# while the bug is there (fails with CJ_STRICT=1), passes once fixed.
known_bug() {
	if [ "$2" -eq 0 ]; then
		ok 0 "$1"
	elif [ "${CJ_STRICT:-0}" = 1 ]; then
		ok 1 "$1"; diag "$3"
	else
		skip "KNOWN HELPER BUG: $1: $3"
	fi
}

# session USER STEP...: a session of USER that attaches to capjail0, then
# sends the STEPs (requests policy must refuse) between two snapshots
# (MID=changed if they differ), then releases; its output in $out.
_sn=0
session() {
	_u=$1; shift
	_sn=$((_sn + 1))
	_s=$WORK/session$_sn
	bg "$_s.out" "$_u" attach capjail0 eth0 hold:"$_s.a" "$@" \
	    hold:"$_s.b" release
	wait_for "$_s.out" '^holding' 1
	snap >"$_s.mid"
	touch "$_s.a"
	wait_for "$_s.out" '^holding' 2
	snap | cmp -s - "$_s.mid" || MID=changed
	touch "$_s.b"
	wait_for "$_s.out" '^helper (exit|signal)'
	out=$(cat "$_s.out")
}

# section NAME: a heading in the TAP output, with the time so far.
_t0=$(date +%s)
section() { diag "--- $* (at $(($(date +%s) - _t0)) s)"; }

# hpid OUT: the helper's pid in a cj-client output.
hpid() { sed -n 's/^helper pid //p' "$1"; }

# absent REGEX TEXT: true when no line of TEXT matches REGEX.
absent() { ! printf '%s\n' "$2" | grep -Eq -- "$1"; }

# running PID: the process exists and is not a zombie.
running() {
	_st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# cjlinks: how many jail links the host has: links named for a quota slot
# ("cj" + uid + bridge tag + slot, lease.c), or for an address ("cj" + 8
# hex, by an older helper).
cjlinks() {
	ip -n "$NS" -o link show |
	    grep -c ': cj[0-9a-f]\{8\}\([0-9a-z]\{2\}[0-9a-f]\{3\}\)\{0,1\}[@:]'
}

# --- set-up: the tables, the bridges, a running jail ------------------------
section "set-up"
conf_std
out=$(client "$T_USER" check)
like "$out" "grant bridge=capjail0 .*max=64 ports=8000-8999" \
    "set-up: a first check creates the tables and lists the grants"
out=$(client "$T_USER" attach tiny0 eth0)
like "$out" "host=cj0a4d0002" "set-up: an attach creates tiny0"
out=$(client "$T_USER2" attach race0 eth0)
like "$out" "addr=10\.79\.0\.[0-9]+/24 .*host=cj0a4f00[0-9a-f]{2}\$" \
    "set-up: an attach creates race0"
ip -n "$NS" link add fake0 type veth peer name fake0p
# One long-running jail, of cjtest2's (tests that run at the same time
# may SIGKILL whatever capjail-net of cjtest1's they find first).
bg "$WORK/j2" "$T_USER2" attach capjail0 eth0 publish hold:"$WORK/end" release
wait_for "$WORK/j2" '^holding'
like "$(grep -E 'host=|type=publish' "$WORK/j2" | tr '\n' ' ')" \
    "host=cj0a5900[0-9a-f]{2} reply type=publish status=0 " \
    "set-up: $T_USER2's jail runs and publishes 8080/tcp"
# Its address (chosen at random among the free ones).
J2ADDR=$(sed -n 's/^attach addr=\([0-9.]*\)\/.*/\1/p' "$WORK/j2")
J2NS=/proc/$(sed -n 's/^netns pid //p' "$WORK/j2")/ns/net
netns_new "$RootNS"
# A network namespace of cjtest2's, and an extra fd to pass along.
setpriv --reuid="$U2" --regid="$G2" --init-groups unshare -Un sleep 120 &
other=$!
bg_pid $other
i=0
while [ "$(readlink /proc/$other/ns/net)" = "$(readlink /proc/self/ns/net)" ] &&
    [ $i -lt 500 ]; do
	sleep 0.01; i=$((i + 1))
done
echo "marker" >"$WORK/inherited"
rebase

# --- malformed messages: "bad request: WHY" on stderr, no reply, exit 1 ----
section "malformed messages"
for spec in \
    "short|wrong message size|63 bytes" \
    "long|wrong message size|65 bytes" \
    "huge|wrong message size|4096 bytes with a netns fd" \
    "magic|bad magic|bad magic" \
    "version|unsupported protocol version|version 2" \
    "type0|unknown message type|type 0" \
    "type99|unknown message type|type 99" \
    "flags|non-zero flags or reserved field|non-zero flags" \
    "reserved|non-zero flags or reserved field|non-zero header reserved" \
    "noterm|bad bridge name|bridge name without its NUL" \
    "slash|bad bridge name|bridge name with /" \
    "space|bad bridge name|bridge name with a space" \
    "upper|bad bridge name|bridge name in upper case" \
    "dotdot|bad bridge name|bridge name .." \
    "garbage|bad bridge name|bridge name with bytes after its NUL" \
    "bridge-empty|bad bridge name|empty bridge name" \
    "ifname-dot|bad interface name|interface name ../x" \
    "ifname-empty|bad interface name|empty interface name" \
    "ifname-upper|bad interface name|interface name in upper case" \
    "ifname-garbage|bad interface name|interface name with bytes after its NUL" \
    "pub-proto0|protocol is neither tcp nor udp|publish with protocol 0" \
    "pub-proto1|protocol is neither tcp nor udp|publish with protocol 1 (icmp)" \
    "pub-proto255|protocol is neither tcp nor udp|publish with protocol 255" \
    "pub-port0|port 0|publish with host port 0" \
    "pub-jport0|port 0|publish with jail port 0" \
    "pub-reserved|non-zero reserved field|publish with non-zero reserved" \
    "pub-trail|non-zero bytes after the body|publish with a non-zero trailing byte" \
    "check-body|non-zero body|check with a non-zero body" \
    "release-body|non-zero body|release with a non-zero body"; do
	shape=${spec%%|*}; rest=${spec#*|}; why=${rest%%|*}; what=${rest#*|}
	out=$(client "$T_USER" raw:"$shape")
	hostile "malformed: $what -> bad request: $why" "$out" \
	    "^capjail-net: bad request: $why\$" "^reply eof\$" "^helper exit 1\$"
done

# A zero-length datagram reads as end-of-file on SOCK_SEQPACKET: the
# session ends (exit 0, no reply), as if the client had closed.
out=$(client "$T_USER" raw:empty)
hostile "malformed: a zero-length datagram ends the session like EOF" \
    "$out" "^reply eof\$" "^helper exit 0\$"
out=$(client "$T_USER" raw:empty-fd)
hostile "malformed: a zero-length datagram carrying a netns fd: EOF too" \
    "$out" "^reply eof\$" "^helper exit 0\$"
# After a successful attach, a malformed request must take the jail down.
out=$(client "$T_USER" attach capjail0 eth0 raw:magic)
hostile "malformed after an attach: exit 1 and the new link is gone" "$out" \
    "type=attach status=0 " "bad request: bad magic" "^helper exit 1\$"
out=$(client "$T_USER" attach capjail0 eth0 raw:pub-trail)
hostile "malformed publish after an attach: exit 1, nothing left" "$out" \
    "type=attach status=0 " "bad request: non-zero bytes after the body" \
    "^helper exit 1\$"
out=$(client "$T_USER" attach capjail0 eth0 raw:empty)
hostile "zero-length datagram after an attach: the jail is released" "$out" \
    "type=attach status=0 " "^reply eof\$" "^helper exit 0\$"

# --- fd tricks ---------------------------------------------------------------
section "fd tricks"
out=$(client "$T_USER" -n none attach capjail0 eth0)
hostile "fd: attach without an fd -> bad request" "$out" \
    "bad request: attach without a netns fd\$" "^helper exit 1\$"
for spec in check-fd:check pub-fd:publish release-fd:release; do
	out=$(client "$T_USER" raw:"${spec%:*}")
	hostile "fd: a netns fd with ${spec#*:} -> bad request: unexpected fd" \
	    "$out" "bad request: unexpected fd\$" "^reply eof\$" "^helper exit 1\$"
done
out=$(client "$T_USER" -n two attach capjail0 eth0)
hostile "fd: two fds in one message -> bad request" "$out" \
    "bad request: unexpected control data\$" "^helper exit 1\$"
mkfifo "$WORK/fifo"
out=$(client "$T_USER" -n fd:5 attach capjail0 eth0 5<>"$WORK/fifo")
hostile "fd: a pipe instead of a netns -> bad request" "$out" \
    "bad request: the fd is not a network namespace\$" "^helper exit 1\$"
for spec in "/dev/null|/dev/null" "/|a directory (/)" \
    "/proc/self/ns/uts|a UTS namespace (nsfs, wrong type)"; do
	out=$(client "$T_USER" -n "path:${spec%%|*}" attach capjail0 eth0)
	hostile "fd: ${spec#*|} instead of a netns -> bad request" "$out" \
	    "bad request: the fd is not a network namespace\$" "^helper exit 1\$"
done
out=$(client "$T_USER" -n self attach capjail0 eth0)
hostile "fd: the helper's own (host) netns -> EPERM" "$out" \
    "type=attach status=1 text=that network namespace is the host's\$" \
    "^helper exit 0\$"
out=$(client "$T_USER" -n fd:5 attach capjail0 eth0 5</proc/$$/ns/net)
hostile "fd: the machine's initial netns (root's, passed by root) -> EPERM" \
    "$out" "type=attach status=1 text=that network namespace is not yours\$"
out=$(client "$T_USER" -n path:/run/netns/"$RootNS" attach capjail0 eth0)
hostile "fd: a netns root made with ip netns add -> EPERM" "$out" \
    "type=attach status=1 text=that network namespace is not yours\$"
out=$(client "$T_USER" -n fd:5 attach capjail0 eth0 5</proc/$other/ns/net)
hostile "fd: $T_USER2's netns -> EPERM" "$out" \
    "type=attach status=1 text=that network namespace is not yours\$"
out=$(client "$T_USER" -n fd:5 attach capjail0 eth0 5<"$J2NS")
hostile "fd: $T_USER2's running (attached) jail -> EPERM, no join" "$out" \
    "type=attach status=1 text=that network namespace is not yours\$"
out=$(client "$T_USER2" -n path:"$J2NS" attach capjail0 eth0)
hostile "fd: $T_USER2's own netns that already has a jail link -> EBUSY" \
    "$out" "type=attach status=16 text=that network namespace already has a jail link\$"
out=$(client "$T_USER" close)
hostile "fd: the socket closed before any request -> exit 0" "$out" \
    "^helper exit 0\$"
out=$(client "$T_USER" attach-close capjail0 eth0)
hostile "fd: the socket closed before the attach reply -> released, exit 1" \
    "$out" "^closed\$" "^capjail-net: reply: " "^helper exit 1\$"
like "$out" "reply: (Broken pipe|Connection reset)" \
    "the failed reply names the send error (EPIPE)"

# --- policy refusals: an error reply, the helper goes on --------------------
section "policy refusals"
out=$(client "$T_USER" attach other0 eth0 check)
hostile "policy: a bridge granted only to a group you are not in -> EPERM" \
    "$out" "type=attach status=1 text=bridge other0 is not granted to you \(yours: " \
    "type=check status=0" "^helper exit 0\$"
out=$(client "$T_USER" attach nosuch0 eth0)
hostile "policy: an unknown bridge -> EPERM" "$out" \
    "type=attach status=1 text=bridge nosuch0 is not granted to you \(yours: "
out=$(client "$T_USER2" attach capjail0 eth0)
hostile "policy: $T_USER2 over their quota (1 of 1, their jail runs) -> EDQUOT" \
    "$out" "type=attach status=122 text=quota reached: 1 of 1 jails on capjail0\$"
out=$(client "$T_USER" attach capjail0 eth0 "$J2ADDR")
hostile "policy: an address another user's jail holds -> EADDRINUSE" "$out" \
    "type=attach status=98 text=address ${J2ADDR:-J2ADDR} is in use by another jail\$"
out=$(client "$T_USER" attach capjail0 eth0 10.90.0.7)
hostile "policy: an address of another bridge's subnet -> EINVAL" "$out" \
    "type=attach status=22 text=address 10.90.0.7 is outside capjail0's subnet 10.89.0.0/24\$"
out=$(client "$T_USER" attach fake0 eth0)
hostile "policy: a configured bridge name taken by a non-bridge -> EINVAL" \
    "$out" "type=attach status=22 text=fake0 exists and is not a bridge\$"
out=$(client "$T_USER" attach capjail0 lo)
hostile "policy: a peer name taken inside the jail (lo) -> EEXIST" "$out" \
    "type=attach status=17 text=interface lo already exists in the jail\$"
out=$(client "$T_USER" publish)
hostile "policy: publish before attach -> EINVAL" "$out" \
    "type=publish status=22 text=publish needs an attached jail\$"
session "$T_USER" pub:tcp:9500:80
hostile "policy: a host port above the granted range -> EACCES" "$out" \
    "type=publish status=13 text=port 9500/tcp is not granted to you \(capjail0: 8000-8999\)\$" \
    "type=release status=0" "^helper exit 0\$"
session "$T_USER" pub:udp:80:80
hostile "policy: a low port (80/udp) not in the range -> EACCES" "$out" \
    "type=publish status=13 text=port 80/udp is not granted to you \(capjail0: 8000-8999\)\$"
session "$T_USER" pub:tcp:8080:80
hostile "policy: a port $T_USER2 published -> EEXIST" "$out" \
    "type=publish status=17 text=port 8080/tcp is already published\$"
session "$T_USER" pub:tcp:8081:80:127.0.0.1
hostile "policy: publish on one host address (HOSTIP) -> EOPNOTSUPP" "$out" \
    "type=publish status=95 text=publishing on one host address is not supported: omit HOSTIP\$"
session "$T_USER" attach capjail0 eth1
hostile "policy: a second attach in one session -> EBUSY" "$out" \
    "type=attach status=16 text=this session already has a jail attached\$"
launch "$T_USER" --net=capjail0 -p 9500:80 -- true
hostile "policy: the launcher relays a refused port: exit 125 and the reason" \
    "$out" "port 9500/tcp is not granted to you" "^rc=125\$"
launch "$T_USER" --net=capjail0 -p 127.0.0.1:8082:80 -- true
hostile "policy: the launcher with HOSTIP: exit 125 and the reason" \
    "$out" "omit HOSTIP" "^rc=125\$"
# The bridge lazy0 does not exist; a refused attach must not create it.
out=$(client "$T_USER" attach lazy0 eth0 10.80.0.255)
hostile "policy: a refused attach (broadcast address) does not create the bridge" \
    "$out" "type=attach status=22 text=address 10.80.0.255 is lazy0's broadcast address"
out=$(client "$T_USER" attach lazy0 lo)
snap >"$WORK/snap.lazy"
like "$out" "type=attach status=17 text=interface lo already exists in the jail" \
    "a peer name taken in the jail, bridge absent: EEXIST"
ok "$(cmp -s "$WORK/snap.base" "$WORK/snap.lazy"; echo $?)" \
    "a refused attach (peer name taken) leaves no bridge behind"
ip -n "$NS" -o link show lazy0 2>/dev/null | cut -d' ' -f1-2 | sed 's/^/# left: /'
ip -n "$NS" link del lazy0 2>/dev/null

# --- helper invocation tricks ------------------------------------------------
section "invocation tricks"
cp "$HELPER" "$WORK/nocap"
chmod 0755 "$WORK/nocap"
out=$(client "$T_USER" -a --debug -a /etc/shadow check)
hostile "invocation: extra arguments -> refused" "$out" \
    "^capjail-net: usage: capjail-net \[--check\] \(capjail runs it\)\$" \
    "^helper exit 1\$"
out=$(client "$T_USER" -z check)
hostile "invocation: argc 0 (the kernel makes argv[0] \"\"): serves, reads no argv" \
    "$out" "type=check status=0" "^helper exit 0\$"
# (A sanitizer build cannot be preloaded into at all: ASan insists on
# coming first in the library list, so the control could not load the probe.)
if ldd "$HELPER" | grep -q libasan; then
	skip "LD_PRELOAD/LD_AUDIT/LD_LIBRARY_PATH cases: an ASan build refuses preloads"
elif command -v cc >/dev/null 2>&1 &&
    cc -shared -fPIC -o "$WORK/probe.so" "$FIXTURES/preload-probe.c" &&
    lib=$(ldd "$HELPER" | awk '$1 == "libmnl.so.0" { print $3 }') &&
    [ -n "$lib" ]; then
	# A fake libmnl.so.0: every symbol of the real one, plus the probe.
	mkdir "$WORK/evil"
	nm -D --defined-only "$lib" | awk '$2 ~ /^[TWDBR]$/ {
	    n = split($3, a, "@"); print a[1], a[n] }' >"$WORK/syms"
	awk '{ print "void " $1 "(void);\nvoid " $1 "(void) {}" }' \
	    "$WORK/syms" >"$WORK/stubs.c"
	cat "$FIXTURES/preload-probe.c" >>"$WORK/stubs.c"
	awk '{ v[$2] = v[$2] " " $1 ";" }
	    END { for (k in v) print k " {" v[k] " };" }' \
	    "$WORK/syms" >"$WORK/vers.map"
	cc -shared -fPIC -o "$WORK/evil/libmnl.so.0" -Wl,-soname,libmnl.so.0 \
	    -Wl,--version-script="$WORK/vers.map" "$WORK/stubs.c"
	chmod -R a+rX "$WORK"
	for e in LD_PRELOAD="$WORK/probe.so" LD_AUDIT="$WORK/probe.so" \
	    LD_LIBRARY_PATH="$WORK/evil"; do
		ctl=$(client "$T_USER" -H "$WORK/nocap" -e "$e" check)
		out=$(client "$T_USER" -e "$e" check)
		# The control (no capability, no AT_SECURE) must load the probe.
		case $ctl in *PRELOAD-PROBE-LOADED*"helper exit 99"*) ;;
		*) out="control did not load the probe: $ctl" ;; esac
		hostile "invocation: ${e%%=*} is ignored (AT_SECURE); a copy without the capability loads it" \
		    "$out" "type=check status=0" "^helper exit 0\$"
		unlike "$out" "PRELOAD-PROBE" "... the probe never ran in the helper"
	done
else
	skip "no cc or no libmnl.so.0: LD_PRELOAD/LD_AUDIT/LD_LIBRARY_PATH cases"
fi
# fds012 USER: the helper started with fds 0-2 closed serves a check; its
# output, then "fds: " and what its fds 0-2 are, in $out.
fds012() {
	bg "$WORK/fd012.$1" "$1" -x 012 check hold:"$WORK/fd012.$1.go"
	wait_for "$WORK/fd012.$1" '^holding'
	_h=$(hpid "$WORK/fd012.$1")
	_f=$(for _i in 0 1 2; do readlink "/proc/$_h/fd/$_i"; done | tr '\n' ' ')
	touch "$WORK/fd012.$1.go"
	wait_for "$WORK/fd012.$1" '^helper (exit|signal)'
	out=$(cat "$WORK/fd012.$1"; echo "fds: $_f")
}
# In secure mode (AT_SECURE) glibc itself opens /dev/full on 0 and
# /dev/null on 1-2; root's exec is not secure, so there the helper's own
# sandbox_stdfds must do it.
fds012 "$T_USER"
hostile "invocation: fds 0-2 closed: serves, with /dev/null (or full) on 0-2" \
    "$out" "type=check status=0" \
    "^fds: /dev/(full|null) /dev/null /dev/null \$" "^helper exit 0\$"
fds012 0
hostile "invocation: fds 0-2 closed, started by root (no AT_SECURE): the helper opens /dev/null" \
    "$out" "type=check status=0" "^fds: /dev/null /dev/null /dev/null \$" \
    "^helper exit 0\$"
out=$(client "$T_USER" -x 012 raw:flags)
hostile "invocation: fds 0-2 closed and a bad request: exit 1, no crash" \
    "$out" "^reply eof\$" "^helper exit 1\$"
bg "$WORK/inh" "$T_USER" check hold:"$WORK/inh.go" 7<"$WORK/inherited" \
    8</proc/$$/ns/net
wait_for "$WORK/inh" '^holding'
h=$(hpid "$WORK/inh")
leak=$(for f in "/proc/$h/fd"/*; do readlink "$f"; done |
    grep -c -e "$WORK/inherited" -e 'net:\[')
touch "$WORK/inh.go"
wait_for "$WORK/inh" '^helper (exit|signal)'
hostile "invocation: inherited fds (a file, root's netns) are closed at start" \
    "$(cat "$WORK/inh"; echo "leaked=$leak")" "^leaked=0\$" "^helper exit 0\$"
out=$(client "$T_USER" -C -r nofile=4 check)
hostile "invocation: RLIMIT_NOFILE=4 (fds 0-3 only): the loader fails, exit 127" \
    "$out" "^capjail-net: error while loading shared libraries" \
    "^helper exit 127\$"
out=$(client "$T_USER" -C -r nofile=5 check)
hostile "invocation: RLIMIT_NOFILE=5: refused at start, exit 1" "$out" \
    "^capjail-net: " "^helper exit 1\$"
known_bug "RLIMIT_NOFILE=5 is reported as such, not as a config error" \
    "$(absent 'unknown user' "$out"; echo $?)" \
    "config.c parse_id() reports getpwnam() failing with EMFILE as '$(printf '%s\n' "$out" | grep '^capjail-net:' | sed "s|$CONF|CONF|")'"
out=$(client "$T_USER" -C -r nofile=6 check)
hostile "invocation: RLIMIT_NOFILE=6: refused at start with the reason" "$out" \
    "^capjail-net: .*Too many open files" "^helper exit 1\$"
out=$(client "$T_USER" -r fsize=0 attach capjail0 eth0 pub:tcp:8085:80 check release)
hostile "invocation: RLIMIT_FSIZE=0: serves (it writes no file), then releases" \
    "$out" "type=attach status=0 " "type=publish status=0 " \
    "type=release status=0 " "^helper exit 0\$"
(cd "$WORK" && ip netns exec "$NS" setpriv --reuid="$U1" --regid="$G1" \
    --init-groups --reset-env "$CLIENT" -H "$HELPER" -r fsize=0 raw:magic \
    >"$WORK/fsz.out" 2>"$WORK/fsz.err")
out=$(cat "$WORK/fsz.out")
# The signal is the known bug below; this case checks the rest.
hostile "invocation: RLIMIT_FSIZE=0, stderr a file, bad request: no reply, nothing changed" \
    "$(printf '%s\n' "$out" | sed 's/^helper signal 25$/helper killed by SIGXFSZ/')" \
    "^reply eof\$" "^helper (exit 1|killed by SIGXFSZ)\$"
known_bug "RLIMIT_FSIZE=0 with stderr on a file: exit 1, not SIGXFSZ" \
    "$(printf '%s\n' "$out" | grep -q '^helper exit 1$'; echo $?)" \
    "the helper does not ignore SIGXFSZ, so writing its error message to a regular-file stderr kills it: '$(tail -n 1 "$WORK/fsz.out")'"
# RLIMIT_AS: find the least address space a check needs (bisection, 4 KiB),
# then go just below it, well below it (the loader fails), and slightly
# above it with 3000 extra firewall elements (allocation fails inside the
# request loop, under seccomp).
as_ok() {
	client "$T_USER" -C -r as=$(($1 * 1024)) check | grep -q '^helper exit 0$'
}
lo=3584 hi=65536
if as_ok $hi && ! as_ok $lo; then
	while [ $((hi - lo)) -gt 4 ]; do
		mid=$(((lo + hi) / 2))
		if as_ok $mid; then hi=$mid; else lo=$mid; fi
	done
	diag "a check needs RLIMIT_AS >= ${hi} KiB"
	out=$(client "$T_USER" -C -r as=$(((hi - 4) * 1024)) check)
	hostile "invocation: RLIMIT_AS just too small ($((hi - 4)) KiB): exit non-zero with a message" \
	    "$out" "^capjail-net: " "^helper exit [1-9]"
	out=$(client "$T_USER" -C -r as=$(((hi - 512) * 1024)) check)
	hostile "invocation: RLIMIT_AS far too small ($((hi - 512)) KiB): the loader fails, exit 127" \
	    "$out" "^capjail-net: error while loading shared libraries" \
	    "^helper exit 127\$"
	# A link with a valid birth label (owner $T_USER, quota 8, a netns
	# inode of its own) and the names a helper gives it (slot 7 of
	# $T_USER's on capjail0, its netns, an address $T_USER2's jail does
	# not hold) keeps its 3000 elements alive through GC.
	fake=cj$(printf '%08x' "$U1")$(cj_tag capjail0)007 fa=250
	[ "$J2ADDR" = 10.89.0.$fa ] && fa=251
	ip -n "$NS" link add "$fake" group "$U1" txqlen 8 \
	    address 02:63:7f:00:00:01 type veth peer name cjpeer0 &&
	ip -n "$NS" link property add dev "$fake" \
	    altname "cjn$(printf '%08x' "$U1")-7f000001" &&
	ip -n "$NS" link property add dev "$fake" \
	    altname "cj0a5900$(printf '%02x' "$fa")"
	idx=$(ip -n "$NS" -o link show "cj0a5900$(printf '%02x' "$fa")" |
	    cut -d: -f1)
	seq 20000 22999 | awk -v i="$idx" -v a="10.89.0.$fa" '{
	    printf "add element inet capjail ports4 { tcp . %s : %s . 80 }\n", $1, a
	    printf "add element inet capjail pubmark { tcp . %s : %s }\n", $1, i }' \
	    >"$WORK/elems.nft"
	ip netns exec "$NS" nft -f "$WORK/elems.nft"
	rebase
	out=$(client "$T_USER" -C -r as=$(((hi + 64) * 1024)) attach capjail0 eth0 \
	    pub:tcp:8086:80 check release)
	diag "RLIMIT_AS $((hi + 64)) KiB, 3000 elements: $(printf '%s\n' "$out" |
	    grep -E '^(capjail-net|reply)' | tr '\n' '|')"
	hostile "invocation: RLIMIT_AS tight with 3000 elements: served or refused, never half done" \
	    "$out" "type=attach status=" "^helper exit [01]\$"
	ip -n "$NS" link del "$fake"
	gc_turn "$T_USER" "$NS"
	client "$T_USER" check >/dev/null	# collects the 3000 elements
	rebase
else
	skip "RLIMIT_AS: no bound found between $lo and $hi KiB"
fi
bg "$WORK/root" 0 attach capjail0 eth0 check hold:"$WORK/root.go"
wait_for "$WORK/root" '^holding'
caps=$(grep -E '^Cap(Prm|Eff)' "/proc/$(hpid "$WORK/root")/status" | awk '{ print $2 }' |
    tr '\n' ' ')
touch "$WORK/root.go"
wait_for "$WORK/root" '^helper (exit|signal)'
hostile "invocation: started by root: keeps only CAP_NET_ADMIN, root is granted nothing" \
    "$(cat "$WORK/root"; echo "caps: $caps")" \
    "type=attach status=1 text=bridge capjail0 is not granted to you, nor is any other: ask the admin\$" \
    "type=check status=0" "^caps: 0000000000001000 0000000000001000 \$"
unlike "$(cat "$WORK/root")" "^grant " "... and check lists no grant for root"
out=$(client 0 -H "$WORK/nocap" attach capjail0 eth0)
hostile "invocation: root running the copy without the capability: same, nothing granted" \
    "$out" "type=attach status=1 text=bridge capjail0 is not granted to you, nor is any other: ask the admin\$"
for u in "-U -r" "-U" "-U -r -n"; do
	# shellcheck disable=SC2086
	out=$(cd "$WORK" && ip netns exec "$NS" setpriv --reuid="$U1" \
	    --regid="$G1" --init-groups --reset-env unshare $u \
	    "$CLIENT" -H "$HELPER" -n none check 2>&1)
	hostile "invocation: inside a user namespace (unshare $u) -> refused" \
	    "$out" "^capjail-net: must run in the initial user namespace" \
	    "^helper exit 1\$"
done
out=$(client "$T_USER" -H "$WORK/nocap" check)
hostile "invocation: a copy without the capability -> refused with the fix" \
    "$out" "^capjail-net: not installed with file capabilities; run: setcap cap_net_admin\+ep $WORK/nocap\$" \
    "^helper exit 1\$"
cp "$HELPER" "$WORK/rawcap"
setcap cap_net_raw=ep "$WORK/rawcap"
out=$(client "$T_USER" -H "$WORK/rawcap" check)
hostile "invocation: a copy with the wrong capability (cap_net_raw) -> refused" \
    "$out" "^capjail-net: not installed with file capabilities" "^helper exit 1\$"
out=$(cd "$WORK" && ip netns exec "$NS" setpriv --reuid="$U1" --regid="$G1" \
    --init-groups --reset-env --no-new-privs "$CLIENT" -H "$HELPER" check 2>&1)
hostile "invocation: under an inherited no_new_privs (no file capability) -> refused" \
    "$out" "^capjail-net: not installed with file capabilities" "^helper exit 1\$"
cp "$HELPER" "$WORK/suid"
chown "$T_USER2" "$WORK/suid"
chmod 04755 "$WORK/suid"
out=$(client "$T_USER" -H "$WORK/suid" check)
hostile "invocation: a setuid copy (owned by $T_USER2) -> refused" "$out" \
    "^capjail-net: must not be installed setuid or setgid\$" "^helper exit 1\$"
cp "$HELPER" "$WORK/sgid"
chgrp "$T_USER2" "$WORK/sgid"
chmod 02755 "$WORK/sgid"
out=$(client "$T_USER" -H "$WORK/sgid" check)
hostile "invocation: a setgid copy -> refused" "$out" \
    "^capjail-net: must not be installed setuid or setgid\$" "^helper exit 1\$"
cp "$HELPER" "$WORK/xcaps"
setcap cap_net_admin,cap_sys_admin,cap_dac_override,cap_setuid=ep "$WORK/xcaps"
bg "$WORK/xc" "$T_USER" -H "$WORK/xcaps" attach capjail0 eth0 hold:"$WORK/xc.go"
wait_for "$WORK/xc" '^holding'
caps=$(grep -E '^Cap(Inh|Prm|Eff|Amb)' "/proc/$(hpid "$WORK/xc")/status" |
    awk '{ print $2 }' | tr '\n' ' ')
touch "$WORK/xc.go"
wait_for "$WORK/xc" '^helper (exit|signal)'
hostile "invocation: a copy with extra capabilities drops all but CAP_NET_ADMIN" \
    "$(cat "$WORK/xc"; echo "caps: $caps")" "type=attach status=0 " \
    "^caps: 0000000000000000 0000000000001000 0000000000001000 0000000000000000 \$" \
    "^helper exit 0\$"
out=$(client "$T_USER" -3 stream check)
hostile "invocation: fd 3 a stream socket -> refused" "$out" \
    "^capjail-net: fd 3 is not an AF_UNIX SOCK_SEQPACKET socket\$" \
    "^helper exit 1\$"
out=$(ip netns exec "$NS" "$CLIENT" -H "$HELPER" -p "$U1:$G1" check 2>&1)
hostile "invocation: fd 3 whose peer is root, not the caller -> refused" "$out" \
    "^capjail-net: fd 3: peer uid 0 is not ours\$" "^helper exit 1\$"

# --- config tricks: refused before the tables are touched ---------------------
section "config tricks"
# conf_bad DESC REGEX LINE...: that config, one check, then conf_std again.
conf_bad() {
	_d=$1 _re=$2; shift 2
	conf "$@"
	out=$(client "$T_USER" check)
	conf_std
	hostile "config: $_d" "$out" "^capjail-net: $_re" "^helper exit 1\$"
}
conf_std; chown "$T_USER" "$CONF"
out=$(client "$T_USER" check); conf_std
hostile "config: owned by the user -> refused" "$out" \
    "^capjail-net: $CONF: not owned by root\$" "^helper exit 1\$"
chmod 0664 "$CONF"
out=$(client "$T_USER" check); conf_std
hostile "config: group-writable -> refused" "$out" \
    "^capjail-net: $CONF: writable by group or others\$" "^helper exit 1\$"
chmod 0646 "$CONF"
out=$(client "$T_USER" check); conf_std
hostile "config: world-writable (0646) -> refused" "$out" \
    "^capjail-net: $CONF: writable by group or others\$" "^helper exit 1\$"
mv "$CONF" "$CONF.real"; ln -s "$CONF.real" "$CONF"
out=$(client "$T_USER" check); rm -f "$CONF" "$CONF.real"; conf_std
hostile "config: a symlink to a good file -> refused" "$out" \
    "^capjail-net: $CONF: is a symbolic link\$" "^helper exit 1\$"
rm -f "$CONF"
out=$(client "$T_USER" check); conf_std
hostile "config: missing -> refused" "$out" \
    "^capjail-net: $CONF: No such file or directory\$" "^helper exit 1\$"
rm -f "$CONF"; mkdir "$CONF"
out=$(client "$T_USER" check); rmdir "$CONF"; conf_std
hostile "config: a directory -> refused" "$out" \
    "^capjail-net: $CONF: not a regular file\$" "^helper exit 1\$"
conf_bad "an unknown directive -> file:line" \
    "$CONF:2: unknown directive \"allow\"" \
    "bridge capjail0 10.89.0.1/24" "allow $T_USER capjail0 jails=1"
conf_bad "a duplicate bridge -> refused" \
    "$CONF:2: bridge capjail0 already defined at line 1" \
    "bridge capjail0 10.89.0.1/24" "bridge capjail0 10.91.0.1/24"
conf_bad "overlapping subnets -> refused" \
    "$CONF:2: subnet overlaps bridge capjail0 \(line 1\)" \
    "bridge capjail0 10.89.0.1/24" "bridge wide0 10.0.0.1/8"
conf_bad "an unknown bridge key -> refused" \
    "$CONF:1: unknown key \"mtu\"" "bridge capjail0 10.89.0.1/24 mtu=9000"
conf_bad "an unknown grant key -> refused" \
    "$CONF:2: unknown key \"admin=yes\"" \
    "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=1 admin=yes"
conf_bad "a key given twice -> refused" "$CONF:2: jails= given twice" \
    "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=1 jails=99"
conf_bad "the same grant twice -> refused" \
    "$CONF:3: user $T_USER already granted capjail0 at line 2" \
    "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=1" \
    "user $T_USER capjail0 jails=9"
conf_bad "a grant before its bridge -> refused" \
    "$CONF:1: bridge \"capjail0\" is not defined above" \
    "user $T_USER capjail0 jails=1" "bridge capjail0 10.89.0.1/24"
conf_bad "a /31 -> refused" \
    "$CONF:1: prefix length \"31\" is too large \(8 to 30\)" \
    "bridge capjail0 10.89.0.1/31"
conf_bad "the network address as gateway -> refused" \
    "$CONF:1: gateway 10.89.0.0 is not a host address of its subnet" \
    "bridge capjail0 10.89.0.0/24"
conf_bad "jails=0 -> refused" "$CONF:2: jails= \"0\" is too small" \
    "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=0"
conf_bad "ports=9000-8000 -> refused" \
    "$CONF:2: ports= must be LO-HI within 1-65535" \
    "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=1 ports=9000-8000"
conf_bad "an unknown user -> refused" "$CONF:2: unknown user \"nosuchuser\"" \
    "bridge capjail0 10.89.0.1/24" "user nosuchuser capjail0 jails=1"
conf_bad "an upper-case bridge name -> refused" \
    "$CONF:1: bad interface name \"Capjail0\"" "bridge Capjail0 10.89.0.1/24"
conf_bad "CRLF line ends -> refused" "$CONF:1: prefix length" \
    "$(printf 'bridge capjail0 10.89.0.1/24\r')"
conf_bad "a 600-character line -> refused" "$CONF:2: line too long" \
    "bridge capjail0 10.89.0.1/24" \
    "user $T_USER capjail0 jails=1 #$(printf '%0600d' 0)"
conf_bad "17 fields on a line -> refused" "$CONF:1: too many fields" \
    "bridge capjail0 10.89.0.1/24 $(printf 'x=%d ' $(seq 1 15))"

# --- concurrency ---------------------------------------------------------------
section "concurrency"
# Two users race for the one jail address of tiny0 (a /30), five times.
r=0 bad=""
while [ $r -lt 5 ]; do
	r=$((r + 1))
	bg "$WORK/ta$r" "$T_USER" attach tiny0 eth0 hold:"$WORK/t$r" release
	bg "$WORK/tb$r" "$T_USER2" attach tiny0 eth0 hold:"$WORK/t$r" release
	wait_for "$WORK/ta$r" '^holding'; wait_for "$WORK/tb$r" '^holding'
	all=$(cat "$WORK/ta$r" "$WORK/tb$r")
	[ "$(printf '%s\n' "$all" | grep -c 'type=attach status=0 ')" = 1 ] &&
	    printf '%s\n' "$all" | grep -q \
	    'type=attach status=28 text=no free address on tiny0$' &&
	    [ "$(ip -n "$NS" -o link show master tiny0 | wc -l)" = 1 ] ||
	    bad="$bad $r"
	touch "$WORK/t$r"
	wait_for "$WORK/ta$r" '^helper (exit|signal)'
	wait_for "$WORK/tb$r" '^helper (exit|signal)'
done
hostile "race: two users for the last address of a /30, 5 rounds: one wins, one ENOSPC" \
    "$(cat "$WORK"/ta* "$WORK"/tb*; echo "bad rounds:$bad")" "^bad rounds:\$"
# Five attaches of one user race for a quota of 2 on race0.
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	bg "$WORK/q$i" "$T_USER2" attach race0 eth0 hold:"$WORK/q" release
done
for i in 1 2 3 4 5; do wait_for "$WORK/q$i" '^holding'; done
all=$(cat "$WORK"/q[1-5])
n0=$(printf '%s\n' "$all" | grep -c 'type=attach status=0 ')
# (a racer counted in the message may be a loser about to delete itself:
# "3 of 2" is possible, the quota is still never exceeded)
nq=$(printf '%s\n' "$all" |
    grep -Ec 'status=122 text=quota reached: [0-9]+ of 2 jails on race0$')
nl=$(ip -n "$NS" -o link show master race0 | wc -l)
touch "$WORK/q"
for i in 1 2 3 4 5; do wait_for "$WORK/q$i" '^helper (exit|signal)'; done
hostile "race: 5 attaches against a quota of 2: exactly 2 win, 3 get EDQUOT" \
    "$(cat "$WORK"/q[1-5]; echo "won=$n0 quota=$nq links=$nl")" \
    "^won=2 quota=3 links=2\$"
# Two users, on two bridges, publish the same host port at once; 3 rounds.
r=0 bad=""
while [ $r -lt 3 ]; do
	r=$((r + 1))
	port=$((8500 + r))
	bg "$WORK/pa$r" "$T_USER" attach capjail0 eth0 hold:"$WORK/p$r" \
	    pub:tcp:$port:80 hold:"$WORK/p$r.end" release
	bg "$WORK/pb$r" "$T_USER2" attach race0 eth0 hold:"$WORK/p$r" \
	    pub:tcp:$port:80 hold:"$WORK/p$r.end" release
	wait_for "$WORK/pa$r" '^holding'; wait_for "$WORK/pb$r" '^holding'
	touch "$WORK/p$r"
	wait_for "$WORK/pa$r" '^holding' 2; wait_for "$WORK/pb$r" '^holding' 2
	all=$(cat "$WORK/pa$r" "$WORK/pb$r")
	# The loser's bind may come between the winner's bind and its map
	# element: then it says "in use on the host" (refused either way).
	won=$(printf '%s\n' "$all" | grep -c 'type=publish status=0 ')
	want="type=publish status=(17 text=port $port/tcp is already published"
	want="$want|98 text=port $port/tcp is in use on the host)\$"
	lost=$(printf '%s\n' "$all" | grep -Ec "$want")
	inmap=$(ip netns exec "$NS" nft list map inet capjail ports4 |
	    grep -c "tcp \. $port :")
	[ "$won:$lost:$inmap" = 1:1:1 ] || bad="$bad $r($won:$lost:$inmap)"
	touch "$WORK/p$r.end"
	wait_for "$WORK/pa$r" '^helper (exit|signal)'
	wait_for "$WORK/pb$r" '^helper (exit|signal)'
done
hostile "race: two users publish one port at once, 3 rounds: one wins, one refused" \
    "$(cat "$WORK"/pa* "$WORK"/pb*; echo "bad rounds:$bad")" "^bad rounds:\$"

section "50 parallel jails"
# 50 parallel jails, each publishing its own port; for each, at a random
# moment in the first 2 s, the plan SIGKILLs its launcher, its helper or
# nothing (a third each, at random).  Once all are gone and one more helper run has collected the
# garbage, the host must be as before.
i=0
while [ $i -lt 50 ]; do
	i=$((i + 1))
	ip netns exec "$NS" setpriv --reuid="$U1" --regid="$G1" --init-groups \
	    --reset-env env CAPJAIL_HELPER="$HELPER" PATH=$PATHS sh -c \
	    'echo $$ >&3; exec 3>&-; cd "$0" && exec "$@"' "$WORK" \
	    "$CAPJAIL" --net=capjail0 -p $((8600 + i)):80 -- sleep 2 \
	    >"$WORK/l$i.log" 2>&1 3>"$WORK/l$i.pid" &
	bg_pid $!
done
awk -v seed="$$" 'BEGIN { srand(seed)
	for (i = 1; i <= 50; i++) print int(rand() * 20), i, int(rand() * 3) }' |
    sort -n >"$WORK/plan"
killed_l=0 killed_h=0 tick=0 peak=0
while [ $tick -lt 20 ]; do
	n=$(cjlinks)
	[ "$n" -gt "$peak" ] && peak=$n
	while read -r t i what; do
		[ "$t" = $tick ] || continue
		lp=$(cat "$WORK/l$i.pid" 2>/dev/null)
		# Only a launcher of ours that still runs (never a reused pid).
		[ -n "$lp" ] && running "$lp" &&
		    [ "$(cat "/proc/$lp/comm" 2>/dev/null)" = capjail ] || continue
		if [ "$what" = 1 ]; then
			kill -KILL "$lp" 2>/dev/null && killed_l=$((killed_l + 1))
		elif [ "$what" = 2 ]; then
			hp=$(pgrep -P "$lp" -x capjail-net)
			[ -n "$hp" ] && kill -KILL "$hp" 2>/dev/null &&
			    killed_h=$((killed_h + 1))
		fi
	done <"$WORK/plan"
	sleep 0.1
	tick=$((tick + 1))
done
i=0 alive=1
while [ $alive -eq 1 ] && [ $i -lt 600 ]; do
	alive=0
	for f in "$WORK"/l*.pid; do
		running "$(cat "$f")" && alive=1 && break
	done
	[ $alive -eq 1 ] && sleep 0.1
	i=$((i + 1))
done
# A jail's link goes when its netns does, which the kernel frees lazily.
i=0
while [ "$(cjlinks)" -gt 1 ] && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
diag "50 launches: up to $peak jail links at once; $killed_l launchers and $killed_h helpers SIGKILLed"
gc_turn "$T_USER" "$NS"
out=$(client "$T_USER" check)
hostile "race: 50 parallel jails with random SIGKILLs: after one more helper run, nothing left" \
    "$out
alive=$alive peak=$peak" "type=check status=0" "^alive=0 peak=([1-9][0-9])\$"
touch "$WORK/end"
wait_for "$WORK/j2" '^helper (exit|signal)'
like "$(grep -E 'type=release|^helper' "$WORK/j2" | tr '\n' ' ')" \
    "type=release status=0 text= helper exit 0 \$" \
    "the long-running jail ran through every case and released"

section "end"
diag "$NCASES hostile cases"
done_testing
