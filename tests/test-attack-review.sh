#!/bin/sh
# SPDX-License-Identifier: ISC
# Regression tests for what an adversarial review of the issue-8 fix got
# through: (1) a host user's broadcast sent out a jail's host-side port
# (SO_BINDTODEVICE) reaching the jail's unpublished listener; (2) a caller
# that SIGKILLs its helper keeping the DNAT of ports another user's service
# then binds; (3) stale elements hidden from garbage collection behind
# more than 8192 live ones; (4) a jail's forged ICMP frag-needed about its
# own published flow lowering the LAN's path MTU to the host; and of the
# release that waits for the kernel to take a link: (5) the port without
# its filter during that wait, claiming another user's address.  Each case
# asserts what arrived (at a listener, a sniffer, the LAN's route cache)
# next to a control that shows the same path works where policy allows.
. "$(dirname "$0")/libtest.sh"
. "$(dirname "$0")/seed.sh"

[ -x "$CAPJAIL" ] && [ -x "$HELPER" ] || skip_all "binaries not built"
[ -x "$TBIN/cj-frame" ] || skip_all "cj-frame not built"
command -v socat >/dev/null || skip_all "socat not installed"
command -v od >/dev/null || skip_all "od not installed"
seed_topology "cjv$$" || skip_all "cannot build the test topology"
seed_config

# udp_q NETNS ADDR:PORT TEXT [SRCPORT]: one query; the answer.
udp_q() {
	echo "$3" | ip netns exec "$1" socat -T1 - \
	    "UDP:$2${4:+,sourceport=$4}" 2>/dev/null
}

# port_addr NAME: the jail address a port name cjXXXXXXXX stands for.
port_addr() {
	# shellcheck disable=SC2046,SC2183	# four numbers from one echo
	printf '%d.%d.%d.%d' $(echo "${1#cj}" | sed 's/../0x& /g')
}

# cj_ports: the jail ports on the host (their slot names), one a line.
cj_ports() { cj_links "$HOST"; }

# ---------------------------------------------------------------------
# Jail A of cjtest1: 8601/udp -> 81 is published, 53/udp is not; both
# listeners record what arrives (81 also answers "pong").
REC=$WORK/rec
mkdir -m 0755 "$REC" && chown "$T_USER" "$REC"
bg_host "$WORK/pid-a" "$T_USER" "$CAPJAIL" --net=capjail0 -p 8601:81/udp \
    --tmpfs /srv --bind "$REC:/srv/rec" -- sh -c '
	socat UDP-RECVFROM:81,fork SYSTEM:"cat >>/srv/rec/u81; echo pong" &
	socat -u UDP-RECV:53 OPEN:/srv/rec/u53,creat,append &
	sleep 60' >"$WORK/a.log" 2>&1
JA_PID=$BG_PID
a_ready() { udp_q "$LAN" "$HOST_ADDR:8601" lan-ready | grep -q pong; }
wait_until a_ready
ok $? "control: jail A answers on its published 8601/udp from the LAN" ||
    sed 's/^/# jail A: /' "$WORK/a.log"
LA=$(cj_ports | head -n 1)
JA=$(port_addr "$(cj_addr_names "$HOST" dev "$LA")")
JA1=$(pgrep -P "$JA_PID" -x capjail | head -n 1)
diag "jail A: port $LA, address $JA, init $JA1"

# ---------------------------------------------------------------------
# 1. cjtest2 sends datagrams out of jail A's host-side port (a socket
# bound to the device): limited broadcasts to the unpublished 53 and to
# 81, and unicast to the jail's address.  None may arrive.
is "$(udp_q "$LAN" "$HOST_ADDR:8601" lan-ctl)" pong \
    "1 control: LAN -> $HOST_ADDR:8601/udp answered by the jail"
echo "$T_USER2-pub-ctl" | in_host "$T_USER2" socat -u - \
    "UDP4-SENDTO:$HOST_ADDR:8601"
for d in 255.255.255.255:53 255.255.255.255:81 "$JA:53" "$JA:81"; do
	r=$(echo "$T_USER2-dev-$d" | in_host "$T_USER2" socat -u - \
	    "UDP4-SENDTO:$d,broadcast,so-bindtodevice=$LA" 2>&1)
	diag "1 $T_USER2 -> $d bound to $LA: rc=$? $r"
done
sleep 0.5
u53=$(arrived "$REC/u53") u81=$(arrived "$REC/u81")
like "$u81" 'lan-ctl' "1 control: the LAN's datagram arrived in the jail"
like "$u81" "$T_USER2-pub-ctl" \
    "1 control: $T_USER2's datagram to $HOST_ADDR:8601 arrived in the jail"
unlike "$u53" "-dev-" \
    "1 nothing $T_USER2 sent out of $LA reached the unpublished 53/udp"
unlike "$u81" "-dev-" \
    "1 nothing $T_USER2 sent out of $LA reached 81/udp directly"
diag "1 arrived: u53: $u53 | u81: $u81"

# ---------------------------------------------------------------------
# 4. Jail A forges ICMP errors about its own published flows: a
# frag-needed (mtu 552) about the LAN's flow from port 40001, and, as the
# control, a port-unreachable about the flow from 40002.  Each quotes a
# tag after the datagram's header; a sniffer on the LAN's eth0 says which
# arrived.

# bytes16 N: a 16-bit number as two decimal bytes.
bytes16() { echo "$(($1 >> 8)) $(($1 & 255))"; }

# cksum BYTE...: the internet checksum of the bytes, as two bytes.
cksum() {
	_s=0
	while [ $# -ge 2 ]; do
		_s=$((_s + $1 * 256 + $2))
		shift 2
	done
	[ $# -eq 1 ] && _s=$((_s + $1 * 256))
	while [ $_s -gt 65535 ]; do
		_s=$(((_s & 65535) + (_s >> 16)))
	done
	bytes16 $((65535 - _s))
}

# icmp_err TYPE CODE MTU ISRC IDST SPORT DPORT TAG: an ICMP error quoting
# the UDP datagram ISRC:SPORT > IDST:DPORT carrying TAG, in octal escapes
# for printf (the kernel adds the outer IP header on a raw socket).
# shellcheck disable=SC2086	# byte lists split into arguments
icmp_err() {
	_t=$(printf '%s\n' "$8" | od -An -tu1)
	_n=$(echo $_t | wc -w)
	_ih="69 0 $(bytes16 $((28 + _n))) 0 0 64 0 64 17"
	_ia="$(echo "$4 $5" | tr . ' ')"
	_in="$_ih $(cksum $_ih 0 0 $_ia) $_ia $(bytes16 "$6") $(bytes16 "$7")"
	_in="$_in $(bytes16 $((8 + _n))) 0 0 $_t"
	_rest="0 0 $(bytes16 "$3") $_in"
	for _b in $1 $2 $(cksum $1 $2 0 0 $_rest) $_rest; do
		printf '\\%03o' "$_b"
	done
}

# forge NAME TYPE CODE MTU LANPORT: jail A sends the error to the LAN.
forge() {
	# shellcheck disable=SC2059	# the format is the octal escapes
	printf "$(icmp_err "$2" "$3" "$4" "$LAN_ADDR" "$JA" "$5" 81 \
	    "cjf_$1")" >"$WORK/icmp-$1"
	in_jail "$T_USER" "$JA1" socat -u - "IP4-SENDTO:$LAN_ADDR:1" \
	    <"$WORK/icmp-$1" 2>&1
}

lan_flow() {	# lan_flow SRCPORT: a LAN flow to 8601 that stays open
	(echo "lan-flow-$1"; sleep 8) | ip netns exec "$LAN" socat -T 9 - \
	    "UDP:$HOST_ADDR:8601,sourceport=$1" >"$WORK/flow-$1" 2>&1 &
	bg_pid $!
}
lan_flow 40001
lan_flow 40002
wait_until grep -q pong "$WORK/flow-40001"
ok $? "4 control: the LAN's flow from 40001 is answered by the jail"
wait_until grep -q pong "$WORK/flow-40002"
ok $? "4 control: the LAN's flow from 40002 is answered by the jail"
u81=$(arrived "$REC/u81")
like "$u81" lan-flow-40001 "4 control: flow 40001's datagram arrived in jail A"
like "$u81" lan-flow-40002 "4 control: flow 40002's datagram arrived in jail A"
out=$(ip netns exec "$LAN" ping -n -c1 -W2 -M "do" -s 1000 "$HOST_ADDR" 2>&1)
ok $? "4 control: before, a DF ping of 1000 bytes LAN -> $HOST_ADDR works" ||
    diag "$out"
ip netns exec "$LAN" timeout 10 "$TBIN/cj-frame" sniff eth0 3 \
    "ip-src=$HOST_ADDR" >"$WORK/lan-sniff" 2>&1 &
bg_pid $!
snf=$!
wait_until grep -q '^sniffing' "$WORK/lan-sniff"
r=$(forge fn 3 4 552 40001)
diag "4 forged frag-needed: ${r:-sent}"
r=$(forge pu 3 3 0 40002)
diag "4 forged port-unreachable: ${r:-sent}"
wait "$snf"
sed 's/^/# 4 LAN sniffer: /' "$WORK/lan-sniff"
like "$(grep 'icmp=3' "$WORK/lan-sniff")" 'tag=cjf_pu' \
    "4 control: the jail's port-unreachable about its flow reached the LAN"
unlike "$(grep 'icmp=3' "$WORK/lan-sniff")" 'tag=cjf_fn' \
    "4 the jail's frag-needed about its flow did not reach the LAN"
out=$(ip -n "$LAN" route get "$HOST_ADDR" 2>&1)
diag "4 LAN: $(echo "$out" | tr -s ' \n\t' ' ')"
unlike "$out" 'mtu 552' "4 the LAN's path MTU to $HOST_ADDR is not lowered"
out=$(ip netns exec "$LAN" ping -n -c1 -W2 -M "do" -s 1000 "$HOST_ADDR" 2>&1)
ok $? "4 a DF ping of 1000 bytes LAN -> $HOST_ADDR still works" ||
    diag "$out"

# ---------------------------------------------------------------------
# 3. More than 8192 live elements (pubmark entries root adds for jail A's
# live port) and, behind them, the elements of a dead jail (ifindex
# 999999) that published 8100/tcp and 8101/udp.  One helper start
# (cjtest1's --check) must collect the dead ones and keep the live ones;
# then cjtest2 can publish 8100, and the LAN reaches its jail there.
NLIVE=8300
DEAD=999999
DEADHEX=0x000f423f
IDX=$(ip netns exec "$HOST" cat "/sys/class/net/$LA/ifindex")
{
	echo "add element inet capjail pubmark {"
	seq 20000 $((20000 + NLIVE - 1)) | sed "s/.*/udp . & : $IDX,/"
	echo "}"
	echo "add element inet capjail pubmark { tcp . 8100 : $DEAD," \
	    "udp . 8101 : $DEAD }"
	echo "add element inet capjail ports4 { tcp . 8100 : 10.89.0.77 . 80," \
	    "udp . 8101 : 10.89.0.77 . 81 }"
	echo "add element inet capjail jails { $DEAD . $DEAD }"
} >"$WORK/elems.nft"
ip netns exec "$HOST" nft -f "$WORK/elems.nft"
ok $? "3 premise: root adds $NLIVE live and a dead jail's elements"
live() { nft_elems inet capjail pubmark | grep -c '^udp \. 2[0-9]*'; }
dead() {
	{ nft_elems inet capjail pubmark; nft_elems inet capjail ports4
	  nft_elems inet capjail jails; } | grep -E "$DEADHEX|10\.89\.0\.77"
}
diag "3 before: live $(live), dead: $(dead | tr '\n' ' ')"
gc_turn "$T_USER" "$HOST"
out=$(in_host "$T_USER" "$CAPJAIL" --net=capjail0 -- true 2>&1)
diag "3 $T_USER's jail: ${out:-ran}"
is "$(dead | tr '\n' ' ')" "" \
    "3 one jail's start collected the dead jail's elements"
is "$(live)" "$NLIVE" "3 and kept the $NLIVE live ones"
bg_host "$WORK/pid-c" "$T_USER2" "$CAPJAIL" --net=capjail0 -p 8100:80 -- \
    timeout 30 socat TCP-LISTEN:80,fork,reuseaddr \
    SYSTEM:"head -n 1 >/dev/null; echo jail-of-$T_USER2" >"$WORK/c.log" 2>&1
JC_PID=$BG_PID
c_ready() {	# jail C answers from the LAN, or its launcher has ended
	ip netns exec "$LAN" curl -s --http0.9 --max-time 1 \
	    "http://$HOST_ADDR:8100/" 2>/dev/null |
	    grep -q "jail-of-$T_USER2" || ! kill -0 "$JC_PID" 2>/dev/null
}
wait_until c_ready
out=$(lan_get "$HOST_ADDR:8100" x)
like "$out" "jail-of-$T_USER2" \
    "3 then $T_USER2 publishes 8100/tcp, and the LAN reaches its jail" ||
    sed 's/^/# 3 jail C: /' "$WORK/c.log"
kill -TERM "$JC_PID" 2>/dev/null
wait_gone "$JC_PID"

# ---------------------------------------------------------------------
# 2. Jail B of cjtest1 publishes 8700/tcp and 8701/udp; its helper is
# SIGKILLed while the jail runs; cjtest2 then binds both ports with a
# service of its own.  The LAN must reach cjtest2's service, not the jail.
bg_host "$WORK/pid-b" "$T_USER" "$CAPJAIL" --net=capjail0 -p 8700:80 \
    -p 8701:81/udp -- sh -c '
	socat TCP-LISTEN:80,fork,reuseaddr \
	    SYSTEM:"head -n 1 >/dev/null; echo jail-b" &
	socat UDP-RECVFROM:81,fork SYSTEM:"cat >/dev/null; echo jail-b" &
	sleep 60' >"$WORK/b.log" 2>&1
JB_PID=$BG_PID
b_ready() { lan_get "$HOST_ADDR:8700" x | grep -q jail-b; }
wait_until b_ready
ok $? "2 control: the LAN reaches jail B on 8700/tcp" ||
    sed 's/^/# jail B: /' "$WORK/b.log"
is "$(udp_q "$LAN" "$HOST_ADDR:8701" x 40101)" jail-b \
    "2 control: the LAN reaches jail B on 8701/udp"
hb=$(pgrep -P "$JB_PID" -x capjail-net)
diag "2 jail B's helper: ${hb:-none}"
# gone PID: the process has ended (an unreaped zombie counts).
gone() {
	_st=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -z "$_st" ] || [ "${_st#Z}" != "$_st" ]
}
[ -n "$hb" ] && kill -KILL "$hb" && wait_until gone "$hb"
kill -0 "$JB_PID" 2>/dev/null
ok $? "2 premise: jail B still runs after its helper's SIGKILL"
diag "2 after the SIGKILL: pubmark $(nft_elems inet capjail pubmark |
    grep -E ' 870[01] ' | tr '\n' ' ')"
bg_host "$WORK/pid-s1" "$T_USER2" timeout 30 socat \
    TCP4-LISTEN:8700,fork,reuseaddr \
    SYSTEM:"head -n 1 >/dev/null; echo svc-of-$T_USER2" >"$WORK/s1.log" 2>&1
bg_host "$WORK/pid-s2" "$T_USER2" timeout 30 socat UDP4-RECVFROM:8701,fork \
    SYSTEM:"cat >/dev/null; echo svc-of-$T_USER2" >"$WORK/s2.log" 2>&1
svc_up() {
	ip netns exec "$HOST" ss -Hlntu | grep -q ':8700 ' &&
	    ip netns exec "$HOST" ss -Hlnu | grep -q ':8701 '
}
wait_until svc_up
ok $? "2 premise: $T_USER2 binds 8700/tcp and 8701/udp" ||
    diag "$(cat "$WORK/s1.log" "$WORK/s2.log")"
t=$(lan_get "$HOST_ADDR:8700" x)
u=$(udp_q "$LAN" "$HOST_ADDR:8701" x 40102)
unlike "$t" jail-b "2 the LAN's connection to 8700/tcp does not reach jail B"
unlike "$u" jail-b "2 the LAN's datagram to 8701/udp does not reach jail B"
is "$t" "svc-of-$T_USER2
rc=0" "2 the LAN reaches $T_USER2's service on 8700/tcp"
is "$u" "svc-of-$T_USER2" "2 the LAN reaches $T_USER2's service on 8701/udp"
out=$(in_host root curl -s --http0.9 --max-time 2 "http://$HOST_ADDR:8700/" \
    2>&1)
diag "2 (residual, not asserted) the host's own client of $HOST_ADDR:8700" \
    "got: ${out:-nothing} rc=$?"

kill -TERM "$JB_PID" "$JA_PID" 2>/dev/null
wait_gone "$JB_PID"
wait_gone "$JA_PID"

# ---------------------------------------------------------------------
# 5. The owner holds its jail's netns (a process moved in) and, while the
# helper waits for the ending jail's veth to go, claims another user's
# address by ARP from the port.  The port must stay judged until it is gone.
VMAC=02:6a:0a:59:00:14
bg_host "$WORK/pid-v5" "$T_USER2" "$CAPJAIL" --net=capjail0 --ip 10.89.0.20 \
    -- sleep 30
V5=$BG_PID
wait_until pgrep -P "$V5" -x capjail >/dev/null
in_jail "$T_USER2" "$(pgrep -P "$V5" -x capjail)" ping -c1 -W2 10.89.0.1 \
    >/dev/null 2>&1
like "$(ip -n "$HOST" neigh show 10.89.0.20)" "lladdr $VMAC" \
    "5 premise: the host knows $T_USER2's jail 10.89.0.20 by its MAC"
bg_host "$WORK/pid-a5" "$T_USER" "$CAPJAIL" --net=capjail0 --ip 10.89.0.10 \
    -- sleep 4
A5=$BG_PID
wait_until pgrep -P "$A5" -x capjail >/dev/null
P5=$(pgrep -P "$A5" -x capjail)
mkdir -m 1777 "$WORK/h5"
in_jail "$T_USER" "$P5" sh -c "echo \$\$ >$WORK/h5/held; exec sleep 20" &
bg_pid $!
wait_until test -s "$WORK/h5/held"
HOLD=$(cat "$WORK/h5/held")
bg_pid "$HOLD"
in_jail "$T_USER" "$HOLD" ping -c1 -W2 10.89.0.1 >/dev/null 2>&1
like "$(ip -n "$HOST" neigh show 10.89.0.10)" "lladdr 02:6a:0a:59:00:0a" \
    "5 control: the jail's own ARP from the port reaches the host"
wait_until sh -c "! kill -0 $P5 2>/dev/null"	# its command ended
i=0
while [ $i -lt 15 ]; do	# the helper waits up to 1 s for the kernel
	in_jail "$T_USER" "$HOLD" "$F" send eth0 -d ff:ff:ff:ff:ff:ff \
	    -s 02:66:66:66:66:66 -S 10.89.0.20 -D 10.89.0.1 arp-req \
	    >/dev/null 2>&1
	sleep 0.05; i=$((i + 1))
done
wait_gone "$A5"
like "$(ip -n "$HOST" neigh show 10.89.0.20)" "lladdr $VMAC" \
    "5 ARP claiming 10.89.0.20 from the ending jail's port did not arrive"
is "$(cj_addr_names "$HOST" | grep -c '^cj0a59000a$')" 0 \
    "5 the held jail's port is gone when capjail returns"
kill -TERM "$V5" 2>/dev/null
wait_gone "$V5"
done_testing
