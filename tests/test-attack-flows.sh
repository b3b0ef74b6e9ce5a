#!/bin/sh
# SPDX-License-Identifier: ISC
# Attacker-side tests of flows and leases (issue 8, holes 6, 7 and 8), run
# as the test users against the setcap'ed helper in throwaway namespaces.
# The attacker owns a jail (and enters it with every capability of its
# user namespace) or owns a helper's life (SIGSTOP, SIGCONT, SIGKILL).
# Each case asserts what arrived at the target, next to a control showing
# that the same path carries what policy allows:
#   1. stale conntrack: the next holder of an address neither injects into
#      nor receives from the previous holder's UDP and TCP flows, whether
#      it publishes other ports or the very ports the previous one did;
#   2. forged ICMP errors from a jail reach neither another user's flow
#      (LAN client to a published port) nor the host's own UDP flow, and
#      lower no path MTU; an error about the jail's own flow still passes,
#      but no frag-needed (the host's address is every jail's);
#   3. the create/label race: a helper stopped right after its link
#      appears cannot adopt, purge or delete another user's lease, and
#      helpers killed there hold no address and no quota of anyone.
. "$(dirname "$0")/libtest.sh"
. "$(dirname "$0")/seed.sh"
. "$(dirname "$0")/client.sh"
CLIENT=$TBIN/cj-client

[ -x "$CAPJAIL" ] && [ -x "$HELPER" ] || skip_all "binaries not built"
[ -x "$TBIN/cj-icmp" ] && [ -x "$CLIENT" ] || skip_all "test tools not built"
command -v socat >/dev/null || skip_all "socat not installed"
seed_topology "cjl3b$$" || skip_all "cannot build the test topology"
NS=$HOST
seed_config
ICMP=$TBIN/cj-icmp
U1=$(id -u "$T_USER")

# pid1_of LAUNCHER: the jail's init, the launcher's capjail child (5 s).
pid1_of() {
	_i=0
	while [ $_i -lt 50 ]; do
		_p=$(pgrep -P "$1" -x capjail | head -n 1)
		[ -n "$_p" ] && echo "$_p" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# as_jail USER PID1 CMD...: CMD in a jail's user and network namespaces,
# with every capability there (what the jail's owner can always do).
as_jail() {
	_u=$1 _p=$2
	shift 2
	in_host "$_u" nsenter -t "$_p" -U -n --preserve-credentials "$@"
}

# bg_jail OUT USER PID1 CMD...: as_jail in the background; BG_PID is CMD.
bg_jail() {
	_o=$1 _u=$2 _p=$3
	shift 3
	bg_host "$WORK/pid-bg" "$_u" nsenter -t "$_p" -U -n \
	    --preserve-credentials "$@" >"$_o" 2>&1
}

# ask PROTO PORT LINE: one line to the host's PORT from the LAN; the answer.
ask() {
	echo "$3" | ip netns exec "$LAN" timeout 3 socat -T1 - \
	    "$1:$HOST_ADDR:$2" 2>/dev/null
}

# wait_ask PROTO PORT LINE REGEX: until the answer matches (10 s).
wait_ask() {
	_i=0
	while [ $_i -lt 20 ]; do
		ask "$1" "$2" "$3" | grep -Eq -- "$4" && return 0
		sleep 0.5
		_i=$((_i + 1))
	done
	return 1
}

# lan_conn NAME ADDRESS: a long-lived socat in the LAN netns reading the
# fifo $WORK/NAME.in and writing $WORK/NAME.out, e.g. TCP:192.0.2.1:8080
# (bounded: 60 s).  The caller opens the fifo read-write on an fd (so
# the open does not block, nor a write raise SIGPIPE if socat is gone)
# and writes lines to it.
lan_conn() {
	rm -f "$WORK/$1.in"
	mkfifo "$WORK/$1.in"
	ip netns exec "$LAN" timeout 60 socat - "$2" <"$WORK/$1.in" \
	    >"$WORK/$1.out" 2>"$WORK/$1.err" &
	bg_pid $!
}

# lan_port PEER [PORTS]: the LAN's local port of its established TCP
# connection to PEER (ADDR:PORT), other than the PORTS given.
lan_port() {
	ip netns exec "$LAN" ss -Htn state established dst "$1" |
	    awk -v not=" $2 " '{ n = split($3, a, ":") }
		index(not, " " a[n] " ") == 0 { print a[n]; exit }'
}

# next_seg FILE PEER PORT: "SEQ ACK" of the next segment PEER (ADDR:PORT)
# would send to the LAN's PORT, from the LAN's TCP watch FILE.
next_seg() {
	_re='s/.* seq=\([0-9]*\) ack=\([0-9]*\) len=\([0-9]*\)'
	_re="$_re"' flags=\(0x..\).*/\1 \3 \2 \4/p'
	grep "^tcp $2 > $LAN_ADDR:$3 " "$1" | tail -n 1 | sed -n "$_re" |
	    while read -r seq len ack fl; do
		# A SYN (0x02) takes one sequence number.
		[ $((fl & 2)) -ne 0 ] && len=$((len + 1))
		echo "$(( (seq + len) % 4294967296 )) $ack"
	done
}

# wait_re FILE REGEX: until FILE has a line matching REGEX (5 s).
wait_re() {
	_i=0
	until grep -Eq -- "$2" "$1" 2>/dev/null; do
		[ $_i -ge 50 ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

# link_gone NAME: bounded wait (5 s) for a host link to disappear.
link_gone() {
	_i=0
	while ip -n "$HOST" link show "$1" >/dev/null 2>&1; do
		[ $_i -ge 50 ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
}

jail_gone() {	# jail_gone LAUNCHER: SIGTERM, then a bounded wait
	kill -TERM "$1" 2>/dev/null
	wait_gone "$1"
}

# ===================================================================
# 1. Stale conntrack: jail A (cjtest1) on 10.89.0.50 serves UDP and TCP;
# LAN clients hold flows to both.  A ends without a word to the LAN, and
# jail B (cjtest2) gets the same address, publishing other ports, then
# A's own ports.  B must neither send through A's flows (their reply
# direction, with the LAN's exact TCP sequence numbers, so a segment that
# passes is accepted) nor receive what the LAN clients still send on them.
# ===================================================================
JADDR=10.89.0.50
bg_host "$WORK/pid-a" "$T_USER" "$CAPJAIL" --net=capjail0 --ip "$JADDR" \
    -p 8053:5300/udp -p 8080:8000 -- sh -c '
	socat UDP-RECVFROM:5300,fork,reuseaddr \
	    SYSTEM:"read x; echo reply-from-A" &
	exec socat TCP-LISTEN:8000,fork,reuseaddr SYSTEM:"sed -u s/^/A-/"' \
    >"$WORK/a.log" 2>&1
ja=$BG_PID
wait_ask TCP 8080 probe 'A-probe'
ok $? "jail A on $JADDR serves its published TCP port (premise)"
pa=$(pid1_of "$ja")

# For each jail B below: a UDP flow, and two TCP connections, one for B
# to write into (a), one for the LAN to write on (b), so that a reset in
# one case cannot spoil another.  The LAN watches what comes in by TCP
# to learn the next sequence numbers.
ip netns exec "$LAN" timeout 40 "$ICMP" watch tcp 40 >"$WORK/lan-tcp.w" \
    2>&1 &
bg_pid $!
wait_re "$WORK/lan-tcp.w" '^watching'
tports=
for n in 1 2; do
	lan_conn "udp$n" "UDP-DATAGRAM:$HOST_ADDR:8053,bind=$LAN_ADDR:4001$n"
	eval "exec $((3 + n))<>\"\$WORK/udp$n.in\"; echo q0 >&$((3 + n))"
	wait_re "$WORK/udp$n.out" 'reply-from-A'
	ok $? "control: the LAN's UDP flow $n gets A's answer"
	for c in a b; do
		fd=$((4 + 2 * n)); [ $c = b ] && fd=$((fd + 1))
		lan_conn "tcp$c$n" "TCP:$HOST_ADDR:8080"
		eval "exec $fd<>\"\$WORK/tcp$c$n.in\"; echo t0 >&$fd"
		wait_re "$WORK/tcp$c$n.out" 'A-t0'
		ok $? "control: the LAN's TCP connection $c$n gets A's answer"
		sleep 0.3		# the LAN's ACK of A's answer
		p=$(lan_port "$HOST_ADDR:8080" "$tports")
		eval "tport$c$n=$p"
		tports="$tports $p"
	done
done
like "$(echo $tports)" '^[0-9]+ [0-9]+ [0-9]+ [0-9]+$' \
    "the LAN's TCP ports are known (premise)"

# A ends without a FIN or RST reaching the LAN (its link goes down
# first), so conntrack keeps both flows established.
as_jail "$T_USER" "$pa" ip link set eth0 down
jail_gone "$ja"
link_gone cj0a590032
ok $? "jail A ended and its link is gone"

# jail_b N WHAT TCPPORT UDPPORT: jail B (cjtest2) on A's address, publishing
# TCPPORT and UDPPORT (A's own ports, or others) to the ports A used;
# B's owner tries both directions of A's flows, with controls.
jail_b() {
	_n=$1 _w=$2 _tp=$3 _up=$4
	bg_host "$WORK/pid-b" "$T_USER2" "$CAPJAIL" --net=capjail0 \
	    --ip "$JADDR" -p "$_tp:8000" -p "$_up:5300/udp" -- sh -c '
	    socat UDP-RECVFROM:5300,fork,reuseaddr \
		SYSTEM:"read x; echo got-\$x >&2; echo reply-from-B" &
	    exec socat TCP-LISTEN:8000,fork,reuseaddr \
		SYSTEM:"read -r l; echo token-B"' \
	    >"$WORK/b$_n.log" 2>&1
	jb=$BG_PID
	wait_ask TCP "$_tp" x 'token-B'
	ok $? "control ($_w): jail B on $JADDR serves its published TCP port"
	pb=$(pid1_of "$jb")
	bg_jail "$WORK/b$_n-tcp.w" "$T_USER2" "$pb" "$ICMP" watch tcp 10
	wait_re "$WORK/b$_n-tcp.w" '^watching'
	bg_jail "$WORK/b$_n-udp.w" "$T_USER2" "$pb" "$ICMP" watch udp 10
	wait_re "$WORK/b$_n-udp.w" '^watching'
	out=$(echo ctl | ip netns exec "$LAN" timeout 3 socat -T1 - \
	    "UDP:$HOST_ADDR:$_up,bind=$LAN_ADDR:4002$_n" 2>/dev/null)
	is "$out" "reply-from-B" \
	    "control ($_w): B's published UDP port answers a new LAN flow"
	wait_ask TCP "$_tp" x 'token-B'
	ok $? "control ($_w): B's sniffer runs while the LAN connects"
	eval "_ta=\$tporta$_n _tb=\$tportb$_n"
	set -- $(next_seg "$WORK/lan-tcp.w" "$HOST_ADDR:8080" "$_ta")

	# (a) B sends through the reply direction of A's flows.
	as_jail "$T_USER2" "$pb" "$ICMP" udp "$JADDR:5300" \
	    "$LAN_ADDR:4001$_n" "inject-udp-$_n"
	as_jail "$T_USER2" "$pb" "$ICMP" tcp "$JADDR:8000" \
	    "$LAN_ADDR:$_ta" "$1" "$2" "inject-tcp-$_n
"
	# (b) the LAN clients keep sending on A's flows.
	eval "echo q-$_n >&$((3 + _n)); echo t-$_n >&$((5 + 2 * _n))"
	sleep 1.5
	unlike "$(cat "$WORK/udp$_n.out")" "inject-udp" \
	    "UDP ($_w): B's datagram on A's old flow does not reach the LAN"
	unlike "$(cat "$WORK/tcpa$_n.out")" "inject-tcp" \
	    "TCP ($_w): B's segment on A's old connection does not reach LAN"
	# A datagram whose flow conntrack no longer knows (a lease's flows
	# die with it) starts a new flow, to whoever publishes its port
	# now: B on A's ports may get it, B on other ports must not.  A TCP
	# segment in the middle of A's connection starts nothing.
	if [ "$_tp" != 8080 ]; then
		unlike "$(cat "$WORK/udp$_n.out")" 'reply-from-B' \
		    "UDP ($_w): B does not answer on A's old flow"
		unlike "$(cat "$WORK/b$_n.log")" "got-q-$_n" \
		    "UDP ($_w): the LAN's datagram on A's flow does not reach B"
		unlike "$(cat "$WORK/b$_n-udp.w")" "$LAN_ADDR:4001$_n >" \
		    "UDP ($_w): ... nor B's network namespace (sniffer)"
	fi
	like "$(cat "$WORK/b$_n-tcp.w")" \
	    "^tcp $LAN_ADDR:[0-9]+ > $JADDR:8000 " \
	    "control ($_w): B's TCP sniffer saw the LAN's new connection"
	unlike "$(cat "$WORK/b$_n-tcp.w")" "^tcp $LAN_ADDR:$_tb >" \
	    "TCP ($_w): the LAN's data on A's old connection does not reach B"
	jail_gone "$jb"
	link_gone cj0a590032
}
jail_b 1 "B on other ports" 8090 8091
jail_b 2 "B on A's ports" 8080 8053
exec 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-

# ===================================================================
# 2. Forged ICMP errors.  Jail V (cjtest2, 10.89.0.60) publishes 8100; a
# LAN client keeps a connection to it.  The host keeps a connected UDP
# socket to a LAN server.  From jail X (cjtest1, 10.89.0.61), its owner
# forges port-unreachable, host-unreachable and frag-needed (mtu 552)
# errors from X's own address, quoting those flows (the victim's as X
# sees it behind the DNAT, sweeping ports around the LAN's), with the
# LAN's exact sequence number, so that any that arrive take effect.
# ===================================================================
VADDR=10.89.0.60 XADDR=10.89.0.61
bg_host "$WORK/pid-v" "$T_USER2" "$CAPJAIL" --net=capjail0 --ip "$VADDR" \
    -p 8100:8000 -- socat TCP-LISTEN:8000,fork,reuseaddr \
    SYSTEM:"sed -u s/^/V-/" >"$WORK/v.log" 2>&1
jv=$BG_PID
bg_host "$WORK/pid-x" "$T_USER" "$CAPJAIL" --net=capjail0 --ip "$XADDR" \
    -p 8101:8000 -- socat TCP-LISTEN:8000,fork,reuseaddr \
    SYSTEM:"sed -u s/^/X-/" >"$WORK/x.log" 2>&1
jx=$BG_PID
wait_ask TCP 8100 probe 'V-probe' && wait_ask TCP 8101 probe 'X-probe'
ok $? "jails V (cjtest2) and X (cjtest1) serve their published ports (premise)"
px=$(pid1_of "$jx")

ip netns exec "$LAN" timeout 30 "$ICMP" watch tcp 30 >"$WORK/lan-tcp2.w" \
    2>&1 &
bg_pid $!
ip netns exec "$LAN" timeout 30 "$ICMP" watch icmp 30 >"$WORK/lan-icmp.w" \
    2>&1 &
bg_pid $!
ip netns exec "$HOST" timeout 30 "$ICMP" watch icmp 30 >"$WORK/host-icmp.w" \
    2>&1 &
bg_pid $!
ip netns exec "$LAN" timeout 30 socat UDP-RECVFROM:7000,fork,reuseaddr \
    SYSTEM:"read x; echo pong" >/dev/null 2>&1 &
bg_pid $!
lan_conn v "TCP:$HOST_ADDR:8100"
exec 7<>"$WORK/v.in"
lan_conn x "TCP:$HOST_ADDR:8101"
exec 8<>"$WORK/x.in"
rm -f "$WORK/h.in"
mkfifo "$WORK/h.in"
ip netns exec "$HOST" timeout 30 socat - \
    "UDP:$LAN_ADDR:7000,bind=$HOST_ADDR:41000" <"$WORK/h.in" \
    >"$WORK/h.out" 2>"$WORK/h.err" &
hsock=$!
bg_pid $hsock
exec 9<>"$WORK/h.in"
wait_re "$WORK/lan-tcp2.w" '^watching' && wait_re "$WORK/lan-icmp.w" \
    '^watching' && wait_re "$WORK/host-icmp.w" '^watching'
echo v1 >&7
echo x1 >&8
echo h1 >&9
wait_re "$WORK/v.out" 'V-v1' && wait_re "$WORK/x.out" 'X-x1'
ok $? "control: the LAN's connections to V and X carry data"
wait_re "$WORK/h.out" 'pong'
ok $? "control: the host's connected UDP socket gets the LAN server's answer"
sleep 0.3		# the LAN's ACKs
vport=$(lan_port "$HOST_ADDR:8100")
xport=$(lan_port "$HOST_ADDR:8101")
vack=$(next_seg "$WORK/lan-tcp2.w" "$HOST_ADDR:8100" "$vport" | cut -d' ' -f2)
xack=$(next_seg "$WORK/lan-tcp2.w" "$HOST_ADDR:8101" "$xport" | cut -d' ' -f2)
like "$vport:$vack:$xport:$xack" '^[0-9]+:[0-9]+:[0-9]+:[0-9]+$' \
    "the LAN's ports and next sequence numbers are known (premise)"

# The attack: errors about V's flow to the LAN client, about the host's
# flow to the host.
out=$(for ct in "4 552" "3 0" "1 0"; do
	set -- $ct
	as_jail "$T_USER" "$px" "$ICMP" error 3 "$1" "$2" "$XADDR" "$LAN_ADDR" \
	    tcp "$LAN_ADDR:$((vport - 20))-$((vport + 20))" "$VADDR:8000" \
	    "$vack"
	as_jail "$T_USER" "$px" "$ICMP" error 3 "$1" "$2" "$XADDR" \
	    "$HOST_ADDR" udp "$HOST_ADDR:40980-41020" "$LAN_ADDR:7000"
done 2>&1)
is "$(echo $out)" "sent 41 sent 41 sent 41 sent 41 sent 41 sent 41" \
    "jail X's owner sent 246 forged errors (premise)"
sleep 0.5
echo v2 >&7
echo h2 >&9
wait_re "$WORK/v.out" 'V-v2'
ok $? "the LAN client's connection to V survives the forged errors"
sleep 0.5
# (Errors about other flows, e.g. section 1's stale ones, do not count.)
out=$(grep -E "^icmp .*(10\.89\.0\.|:8100 )" "$WORK/lan-icmp.w" | head -n 3)
is "$out" "" "no forged error about V's flow reached the LAN netns"
out=$(ip -n "$LAN" route get "$HOST_ADDR")
unlike "$out" 'mtu' "the LAN's path MTU to the host is not lowered"
like "$(grep -c pong "$WORK/h.out")" '^2$' \
    "the host's UDP socket still gets answers after the forged errors"
is "$(cat "$WORK/h.err")" "" "... and saw no error (ECONNREFUSED, EMSGSIZE)"
out=$(grep "> $HOST_ADDR type=3 .* inner=17 " "$WORK/host-icmp.w" | head -n 3)
is "$out" "" "no forged error about the host's flow reached the host"
out=$(ip -n "$HOST" route get "$LAN_ADDR")
unlike "$out" 'mtu' "the host's path MTU to the LAN host is not lowered"

# Controls: ICMP from the jail reaches the host where allowed (ping to
# its gateway); an error about X's own flow reaches the LAN client; a
# genuine error from the host or the LAN takes effect.  A frag-needed
# from a jail, even about its own flow, is refused: it would lower the
# LAN's path MTU to the host's address, which every jail shares.
as_jail "$T_USER" "$px" ping -c1 -W2 10.89.0.1 >/dev/null 2>&1
ok $? "control: jail X pings its gateway"
as_jail "$T_USER" "$px" "$ICMP" error 3 3 0 "$XADDR" "$LAN_ADDR" tcp \
    "$LAN_ADDR:$xport" "$XADDR:8000" "$xack" >/dev/null 2>&1
wait_re "$WORK/lan-icmp.w" \
    "type=3 code=3 .* $LAN_ADDR:$xport > $HOST_ADDR:8101 "
ok $? "control: X's port-unreachable about its own flow reaches the LAN"
as_jail "$T_USER" "$px" "$ICMP" error 3 4 552 "$XADDR" "$LAN_ADDR" tcp \
    "$LAN_ADDR:$xport" "$XADDR:8000" "$xack" >/dev/null 2>&1
sleep 0.5
unlike "$(ip -n "$LAN" route get "$HOST_ADDR")" 'mtu' \
    "X's frag-needed about its own flow does not lower the LAN's path MTU"
ip netns exec "$HOST" "$ICMP" error 3 4 552 "$HOST_ADDR" "$LAN_ADDR" tcp \
    "$LAN_ADDR:$xport" "$HOST_ADDR:8101" "$xack" >/dev/null 2>&1
sleep 0.3
like "$(ip -n "$LAN" route get "$HOST_ADDR")" 'mtu 552' \
    "control: the host's own frag-needed about that flow lowers it"
# A fresh host socket: the one above may have died of a forged error.
rm -f "$WORK/g.in"
mkfifo "$WORK/g.in"
ip netns exec "$HOST" timeout 10 socat - \
    "UDP:$LAN_ADDR:7000,bind=$HOST_ADDR:41100" <"$WORK/g.in" \
    >"$WORK/g.out" 2>"$WORK/g.err" &
gsock=$!
bg_pid $gsock
exec 6<>"$WORK/g.in"
echo g1 >&6
wait_re "$WORK/g.out" 'pong'
ok $? "control: a second host socket gets the LAN server's answer"
ip netns exec "$LAN" "$ICMP" error 3 4 552 "$LAN_ADDR" "$HOST_ADDR" udp \
    "$HOST_ADDR:41100" "$LAN_ADDR:7000" >/dev/null 2>&1
wait_gone "$gsock"
like "$(cat "$WORK/g.err")" 'Message too long' \
    "control: a genuine frag-needed from the LAN reaches the host's socket"
like "$(ip -n "$HOST" route get "$LAN_ADDR")" 'mtu 552' \
    "control: ... and lowers the host's path MTU to the LAN host"
exec 6>&- 7>&- 8>&- 9>&-
jail_gone "$jv"
jail_gone "$jx"

# ===================================================================
# 3. The create/label race (hole 7).  The caller owns its helper's life:
# a stepper stops the helper, then lets it run in slices of a few
# microseconds (SIGCONT, SIGSTOP) until the host link it creates exists,
# so the helper is stopped right after the link appears.
# ===================================================================
printf '%s\n' "bridge capjail0 10.89.0.1/24 publish-from=eth0" \
    "user $T_USER capjail0 jails=2 ports=8000-8999" \
    "user $T_USER2 capjail0 jails=3 ports=8000-8999" >"$CONF"

# The stepper, run as root in $HOST (its /sys shows $HOST's links).
# Arguments: MAXSTEPS GOFILE ACTION PID:MAC...  It stops every PID,
# creates GOFILE (the cj-clients holding on it then send their attach),
# and steps the helpers in turn; a helper whose link exists stays stopped
# (ACTION stop) or is SIGKILLed (ACTION kill).  A helper's link is known
# by its birth label's MAC (02:63 and its netns inode, see label_mac): the
# helper names it for a quota slot it picks at random, and names it for
# its address only later.  One line per helper, "ACTION PID at step N:
# LINK exists", "late" instead of ACTION if the link was already on a
# bridge when first seen.  So that a busy machine cannot stretch a step, the stepper runs
# SCHED_FIFO on CPU 0 and the helpers are moved there: a helper then runs
# only while the stepper naps (20 us) and a syscall it is in finishes
# before it stops, so it stops right after the one that made its link.
STEPPER='
max=$1 go=$2 act=$3
shift 3
# A nap is a read that times out on a fifo nobody writes: a builtin, so
# no process of ours runs on CPU 0 meanwhile, and the helper gets just the
# nap (an exec of sleep would hand it a slice of a millisecond or more, in
# which a helper can now go from its request to a bridge).
rm -f "$go.nap" && mkfifo "$go.nap" && exec 8<>"$go.nap" || exit 1
nap() { read -r -t 0.00002 _ <&8; }
found() {	# found MAC: is there a host link with that MAC?  Its name in l
	for f in /sys/class/net/cj*/address; do
		read -r m 2>/dev/null <"$f" || continue
		[ "$m" = "$1" ] || continue
		l=${f%/address}
		l=${l##*/}
		return 0
	done
	return 1
}
stopped() {	# until $1 is stopped (0) or gone (1), 20000 naps at most
	j=0
	while [ $j -lt 20000 ]; do
		read -r st 2>/dev/null </proc/$1/stat || return 1
		st=${st##*) }
		case ${st%% *} in T|t) return 0 ;; Z|X) return 1 ;; esac
		nap
		j=$((j + 1))
	done
	return 1
}
for e; do
	taskset -p -c 0 ${e%%:*} >/dev/null
	kill -STOP ${e%%:*}
	stopped ${e%%:*}
done
touch "$go"
i=0
while [ $# -gt 0 ] && [ $i -lt $max ]; do
	for e; do
		shift
		p=${e%%:*} mac=${e#*:}
		if found $mac; then
			read -r al </sys/class/net/$l/ifalias
			[ $act = kill ] && kill -KILL $p 2>/dev/null
			w=$act
			[ -e /sys/class/net/$l/master ] && w=late
			echo "$w $p at step $i: $l exists, alias [$al]"
			continue
		fi
		kill -CONT $p 2>/dev/null
		nap
		kill -STOP $p 2>/dev/null
		if ! stopped $p; then
			echo "gone $p at step $i: no link $mac"
			continue
		fi
		set -- "$@" "$e"
	done
	i=$((i + 1))
done
for e; do echo "timeout ${e%%:*} after $i steps: no link ${e#*:}"; done
'
# step MAXSTEPS GOFILE ACTION PID:MAC...
step() {
	ip netns exec "$HOST" chrt -f 10 taskset -c 0 bash -c "$STEPPER" \
	    stepper "$@" 2>&1
}

# field FILE REGEX N: the Nth word of the first line of FILE matching REGEX
field() {
	grep -E -m1 -- "$2" "$1" | awk -v n="$3" '{ print $n }'
}

# ncj [group N]: how many jail links (of that group) the host has.
ncj() {
	cj_links "$HOST" "$@" | wc -l | tr -d ' '
}

# naddr: how many addresses the host's jail links hold (their names).
naddr() {
	cj_addr_names "$HOST" | wc -l | tr -d ' '
}

# label_mac PID: the MAC of the birth label of a jail link made for the
# netns of PID (02:63 and the netns inode).
label_mac() {
	_ino=$(stat -L -c %i "/proc/$1/ns/net")
	printf '02:63:%02x:%02x:%02x:%02x\n' $((_ino >> 24 & 255)) \
	    $((_ino >> 16 & 255)) $((_ino >> 8 & 255)) $((_ino & 255))
}

# stepped OUT: the name of the link the stepper's line OUT says exists.
stepped() {
	echo "$1" | sed -n 's/.*: \(cj[0-9a-z]*\) exists.*/\1/p' | head -n 1
}

# idx LINK: the host link's ifindex, or nothing.
idx() {
	ip -n "$HOST" -o link show "$1" 2>/dev/null | cut -d: -f1
}

# netns_keeper: a network namespace of cjtest1 that outlives its helper;
# sets KEEP (a pid whose /proc/PID/ns/net it is).
netns_keeper() {
	bg_host "$WORK/pid-keep" "$T_USER" unshare -Urn sleep 60 >/dev/null 2>&1
	KEEP=$BG_PID
	_i=0
	while [ "$(readlink "/proc/$KEEP/ns/net")" = "$(readlink \
	    /proc/self/ns/net)" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# A helper can outrun the stepper (from its request to the bridge within
# one step, "late"): such a round proves nothing, so it is undone and the
# round run again, up to 5 times; the premise then says whether any was.
TRIES=5

# --- SIGSTOP: the stopped helper's link vanishes, another user's jail
# leases the address, the helper resumes.  (The helper is stopped right
# after it made its link, named for a slot: RSLOT, from the stepper.) ---
RADDR=10.89.0.70 RLINK=cj0a590046
try=0
while :; do
	try=$((try + 1))
	netns_keeper
	np=$KEEP
	rm -f "$WORK/r-go" "$WORK/r-go2" "$WORK/r-go3"
	bg "$WORK/r.out" "$T_USER" -n "path:/proc/$np/ns/net" \
	    hold:"$WORK/r-go" attach capjail0 eth0 "$RADDR" \
	    hold:"$WORK/r-go2" pub:tcp:8111:8000 hold:"$WORK/r-go3" release
	wait_re "$WORK/r.out" '^holding'
	hp=$(field "$WORK/r.out" '^helper pid' 3)
	sleep 0.5	# the helper's start-up, so that few steps are needed
	out=$(step 3000 "$WORK/r-go" stop "$hp:$(label_mac "$np")")
	RSLOT=$(stepped "$out")
	case $out in "stop $hp "*) break ;; esac
	[ $try -ge $TRIES ] && break
	diag "round $try: $out: again"
	touch "$WORK/r-go2" "$WORK/r-go3"
	wait_re "$WORK/r.out" '^helper (exit|signal)'
	kill -KILL "$np"
	link_gone "${RSLOT:-$RLINK}"
done
U1SLOTS="cj$(printf '%08x' "$U1")$(cj_tag capjail0)00[01]"	# quota 2
like "$out" "^stop $hp .*: $U1SLOTS exists" \
    "cjtest1's helper is stopped right after its link appears (premise)"
diag "$out"
like "$(ip -n "$HOST" -o link show group "$U1")" ": $RSLOT@" \
    "the link is labelled with its owner (group $U1) from its birth"
as_jail "$T_USER" "$np" ip link del eth0
link_gone "$RSLOT"
ok $? "cjtest1 deleted the jail-side peer: the host link is gone (premise)"
bg_host "$WORK/pid-vr" "$T_USER2" "$CAPJAIL" --net=capjail0 --ip "$RADDR" \
    -p 8110:8000 -- socat TCP-LISTEN:8000,fork,reuseaddr \
    SYSTEM:"read -r l; echo token-victim" >"$WORK/vr.log" 2>&1
jvr=$BG_PID
wait_ask TCP 8110 x 'token-victim'
ok $? "cjtest2's jail leased $RADDR and serves port 8110 (premise)"
vidx=$(idx "$RLINK")
kill -CONT "$hp"
wait_re "$WORK/r.out" '^reply (type=attach|eof)'
touch "$WORK/r-go2"
wait_re "$WORK/r.out" '^(reply (type=publish|eof)|send failed)'
unlike "$(cat "$WORK/r.out")" '^attach addr=' \
    "the resumed helper's attach does not succeed"
unlike "$(grep '^reply type=publish' "$WORK/r.out")" 'status=0 ' \
    "... and cjtest1 cannot publish"
unlike "$(ask TCP 8111 x)" 'token-victim' \
    "... so cjtest1's port 8111 does not lead to cjtest2's jail"
is "$(idx "$RLINK")" "$vidx" "cjtest2's link survives the resumed helper"
is "$(ask TCP 8110 x)" "token-victim" \
    "cjtest2's port 8110 still serves its page"
touch "$WORK/r-go3"
wait_re "$WORK/r.out" '^helper (exit|signal)'
ok $? "cjtest1's session ends"
is "$(idx "$RLINK")" "$vidx" "cjtest1's release leaves cjtest2's link alone"
is "$(ask TCP 8110 x)" "token-victim" "... and cjtest2's port 8110 still serves"
jail_gone "$jvr"
kill -KILL "$np"
link_gone "$RLINK"

# quota_free N: cjtest2 attaches N jails, one after the other, each held
# until all are tried; prints how many attached.
quota_free() {
	rm -f "$WORK/q-go"
	_k=1
	while [ $_k -le "$1" ]; do
		bg "$WORK/q$_k.out" "$T_USER2" attach capjail0 eth0 \
		    hold:"$WORK/q-go" release
		wait_re "$WORK/q$_k.out" '^(attach addr|reply)'
		_k=$((_k + 1))
	done
	touch "$WORK/q-go"
	_k=1 _n=0
	while [ $_k -le "$1" ]; do
		grep -q '^attach addr=' "$WORK/q$_k.out" && _n=$((_n + 1))
		wait_re "$WORK/q$_k.out" '^helper (exit|signal)'
		rm -f "$WORK/q$_k.out"
		_k=$((_k + 1))
	done
	echo "$_n"
}

# --- SIGKILL right after the link appears, its netns kept alive ---
is "$(quota_free 3)" 3 "control: cjtest2 can hold its 3 jails"
try=0
while :; do
	try=$((try + 1))
	netns_keeper
	k1=$KEEP
	rm -f "$WORK/k-go"
	bg "$WORK/k.out" "$T_USER" -n "path:/proc/$k1/ns/net" \
	    hold:"$WORK/k-go" attach capjail0 eth0 10.89.0.80
	wait_re "$WORK/k.out" '^holding'
	hp=$(field "$WORK/k.out" '^helper pid' 3)
	sleep 0.5
	out=$(step 3000 "$WORK/k-go" kill "$hp:$(label_mac "$k1")")
	kslot=$(stepped "$out")
	case $out in "kill $hp "*) break ;; esac
	[ $try -ge $TRIES ] && break
	diag "round $try: $out: again"
	wait_re "$WORK/k.out" '^helper (exit|signal)'
	kill -KILL "$k1"
	link_gone "${kslot:-cj0a590050}"
done
like "$out" "^kill $hp .*: $U1SLOTS exists" \
    "cjtest1's helper is killed right after its link appears (premise)"
diag "$out"
wait_re "$WORK/k.out" '^helper (exit|signal)'
is "$(quota_free 3)" 3 "cjtest2 can still hold its 3 jails"
kill -KILL "$k1"
link_gone "$kslot"

# --- K > quota helpers of cjtest1 in parallel, each killed right after
# its link appears (cjtest1 may hold 2 jails) ---
try=0
while :; do
	try=$((try + 1))
	pairs='' keep=''
	rm -f "$WORK/p-go"
	for a in 90 91 92 93; do
		netns_keeper
		keep="$keep $KEEP"
		bg "$WORK/p$a.out" "$T_USER" -n "path:/proc/$KEEP/ns/net" \
		    hold:"$WORK/p-go" attach capjail0 eth0 "10.89.0.$a"
		wait_re "$WORK/p$a.out" '^holding'
		pairs="$pairs $(field "$WORK/p$a.out" '^helper pid' 3):$(\
		    label_mac "$KEEP")"
	done
	sleep 0.5
	out=$(step 3000 "$WORK/p-go" kill $pairs)
	case $out in "kill "* | *"
kill "*) break ;; esac
	[ $try -ge $TRIES ] && break
	diag "round $try: $(echo "$out" | tr '\n' ' '): again"
	for a in 90 91 92 93; do
		wait_re "$WORK/p$a.out" '^helper (exit|signal)'
	done
	kill -KILL $keep
	echo "$out" | sed -n 's/.*: \(cj[0-9a-z]*\) exists.*/\1/p' |
	    while read -r l; do link_gone "$l"; done
done
diag "$out"
like "$out" '^kill .* exists' \
    "helpers were killed right after their links appeared (premise)"
for a in 90 91 92 93; do
	wait_re "$WORK/p$a.out" '^helper (exit|signal)'
done
is "$(ncj group "$U1")" "$(ncj)" \
    "every link the killed helpers left is labelled group $U1 from birth"
gc_turn "$T_USER" "$HOST"
client "$T_USER" check >"$WORK/pc.out"	# the next helper run
n=$(naddr)
ok $([ "$n" -le 2 ]; echo $?) \
    "after the next helper run cjtest1 holds at most 2 addresses ($n)"
n=$(ncj)
ok $([ "$n" -le 2 ]; echo $?) \
    "... and at most 2 links ($n)"
n=$(ncj group "$U1")
ok $([ "$n" -le 2 ]; echo $?) \
    "... and at most its quota of links labelled group $U1 ($n)"
is "$(quota_free 3)" 3 "cjtest2 can still hold its 3 jails"
kill -KILL $keep
seed_config

done_testing
