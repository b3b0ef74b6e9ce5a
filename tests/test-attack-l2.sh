#!/bin/sh
# SPDX-License-Identifier: ISC
# Layer 2 from inside a jail whose owner entered it with every capability
# of its user namespace (issue 8, holes 1-3).  Raw frames of every
# ethertype to every destination class (the gateway, another user's jail,
# broadcast, IPv4 and IPv6 multicast, 01:80:c2:00:00:00-0f), from the
# jail's own and from spoofed MACs and addresses; router advertisements,
# neighbour advertisements and DHCP; FDB poisoning against another user's
# jail that publishes a port.  Each case asserts what arrived at the
# target (a host UDP service, a sniffer on the bridge, in the other jail,
# on the LAN, the host's routes, addresses, neighbours and FDB), next to a
# control that the same path carries what policy allows.  One jail per
# user runs through the whole file; one sniff window per batch.
. "$(dirname "$0")/libtest.sh"
. "$(dirname "$0")/seed.sh"

F=$TBIN/cj-frame
[ -x "$CAPJAIL" ] && [ -x "$HELPER" ] || skip_all "binaries not built"
[ -x "$F" ] || skip_all "no $F"
command -v socat >/dev/null || skip_all "socat not installed"
as_user "$T_USER" unshare -U true 2>/dev/null ||
    skip_all "unprivileged user namespaces do not work here"
seed_topology "cjl$$" || skip_all "cannot build the test topology"
seed_config

UP=8611		# host UDP service (IPv4), bound to 0.0.0.0
UP6=8612	# host UDP service (IPv6), bound to [::]
PU=8601		# the victim jail's published UDP port
PT=8602		# the victim jail's published TCP port
GW=10.89.0.1
BC=ff:ff:ff:ff:ff:ff

# jail_up NAME USER ARGS...: a jail in the background; sets J_PID (the
# launcher), J_1 (its PID 1), J_IP and J_MAC once eth0 has its address.
jail_up() {
	_n=$1 _u=$2; shift 2
	bg_host "$WORK/pid-$_n" "$_u" "$CAPJAIL" --net=capjail0 "$@" \
	    >"$WORK/jail-$_n.out" 2>&1
	J_PID=$BG_PID J_1="" J_IP="" J_MAC="" _i=0
	while [ -z "$J_IP" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
		J_1=$(pgrep -P "$J_PID" -x capjail | head -n 1)
		[ -n "$J_1" ] || continue
		J_IP=$(in_jail "$_u" "$J_1" ip -4 -o addr show dev eth0 \
		    2>/dev/null | awk '{ print $4 }' | cut -d/ -f1)
	done
	J_MAC=$(in_jail "$_u" "$J_1" ip -o link show dev eth0 2>/dev/null |
	    grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$J_IP" ] && [ -n "$J_MAC" ]
}

# ll_of MAC: the EUI-64 IPv6 link-local address a host derives from MAC.
ll_of() {
	set -- $(echo "$1" | tr ':' ' ')
	printf 'fe80::%x:%x:%x:%x\n' $(((0x$1 ^ 2) * 256 + 0x$2)) \
	    $((0x$3 * 256 + 0xff)) $((0xfe00 + 0x$4)) $((0x$5 * 256 + 0x$6))
}

# wait_line FILE REGEX: until FILE has a line matching REGEX (10 s).
wait_line() {
	_i=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && return 1
		sleep 0.1
	done
}

# sniff OUT WHERE...: cj-frame sniff in the background (30 s at most),
# output to $WORK/OUT, until sniff_end; WHERE is "jail USER PID1 IFACE" or
# "ns NETNS IFACE [promisc]".  Returns once it listens.
sniff() {
	_o=$1 _w=$2; shift 2
	if [ "$_w" = jail ]; then
		bg_host "$WORK/pid-$_o" "$1" nsenter -t "$2" -U -n \
		    --preserve-credentials "$F" sniff "$3" 30 >"$WORK/$_o" 2>&1
	else
		_n=$1; shift
		ip netns exec "$_n" "$F" sniff "$1" 30 $2 >"$WORK/$_o" 2>&1 &
		echo $! >"$WORK/pid-$_o"
		bg_pid $!
	fi
	wait_line "$WORK/$_o" '^sniffing' || diag "sniffer $_o did not start"
}

# sniff_end OUT...: let late answers arrive, then end the sniffers' window.
sniff_end() {
	sleep 0.5
	for _o; do kill -TERM "$(cat "$WORK/pid-$_o")" 2>/dev/null; done
	for _o; do
		wait_line "$WORK/$_o" '^count' || diag "sniffer $_o did not end"
	done
}

# tags FILE: the distinct cjf_ tags in FILE (sniffer output or raw data).
tags() { grep -aoE 'cjf_[A-Za-z0-9_]+' "$1" 2>/dev/null | sort -u; }

# leaks TAGS ALLOWED: the tags not matching the ERE ALLOWED, as "N: a b..".
leaks() {
	_l=$(printf '%s\n' "$1" | grep -Ev -- "^($2)\$" | grep .)
	[ -n "$_l" ] || return 0
	printf '%s: %s' "$(printf '%s\n' "$_l" | wc -l | tr -d ' ')" \
	    "$(printf '%s\n' "$_l" | head -n 8 | tr '\n' ' ')"
}

# udp_listen OUT PROTO-ADDRESS: a root UDP service in $HOST recording
# every datagram into $WORK/OUT for the rest of the test.
udp_listen() {
	ip netns exec "$HOST" timeout 120 socat -u "$2" \
	    "OPEN:$WORK/$1,creat,append" >/dev/null 2>&1 &
	bg_pid $!
}

# from_lan TEXT HOSTPORT: one UDP datagram from the LAN to the host.
from_lan() {
	echo "$1" | ip netns exec "$LAN" socat -u - "UDP4:$HOST_ADDR:$2"
}

# lan_tcp: what the victim's published TCP port says to the LAN (2 s).
lan_tcp() {
	ip netns exec "$LAN" socat -T2 - \
	    "TCP4:$HOST_ADDR:$PT,connect-timeout=2" </dev/null 2>&1
}

# stop_here LOG: a jail did not start; show its log and end the test.
stop_here() {
	sed 's/^/# /' "$WORK/$1"
	done_testing
	exit 1
}

# --- the jails: cjtest2's victim publishes UDP and TCP, cjtest1 attacks
jail_up b "$T_USER2" -p "$PU:$PU/udp" -p "$PT:$PT" -- sh -c "
	socat -u UDP4-RECV:$PU STDOUT &
	exec socat TCP4-LISTEN:$PT,fork,reuseaddr SYSTEM:'echo victim-tcp'"
ok $? "cjtest2's victim jail runs" || stop_here jail-b.out
B_1=$J_1 B_IP=$J_IP B_MAC=$J_MAC B_PID=$J_PID
jail_up a "$T_USER" -- sleep 120
ok $? "cjtest1's attacker jail runs" || stop_here jail-a.out
A_1=$J_1 A_IP=$J_IP A_MAC=$J_MAC A_PID=$J_PID
# port_of IP: the (slot) name of the host-side port of the jail on IP,
# found by its address name (an altname; bridge and ip name ports by the
# slot name).
port_of() {
	ip -n "$HOST" -o link show dev "$(printf 'cj%02x%02x%02x%02x' \
	    $(echo "$1" | tr . ' '))" | sed -n 's/^[0-9]*: \([^@:]*\).*/\1/p'
}
A_PORT=$(port_of "$A_IP")
B_PORT=$(port_of "$B_IP")
like "$A_PORT $B_PORT" '^cj[0-9a-f]{8}[0-9a-z]{2}[0-9a-f]{3} cj[0-9a-f]{8}[0-9a-z]{2}[0-9a-f]{3}$' \
    "the jails' host-side ports are known by their addresses (premise)"
A_LL=$(ll_of "$A_MAC") B_LL=$(ll_of "$B_MAC")
BR_MAC=$(ip -n "$HOST" -o link show capjail0 |
    grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
diag "attacker $A_IP $A_MAC on $A_PORT, victim $B_IP $B_MAC on $B_PORT," \
    "gateway $BR_MAC"
i=0
until lan_tcp | grep -q victim-tcp || [ $i -gt 25 ]; do
	i=$((i + 1))
	sleep 0.2
done
udp_listen udp4 "UDP4-RECV:$UP,bind=0.0.0.0"
udp_listen udp6 "UDP6-RECV:$UP6,ipv6only=1"
udp_listen dhcp "UDP4-RECV:67,bind=0.0.0.0"
sleep 0.3

# ============ 1. every ethertype to every destination class ============
# The destination classes, NAME=MAC: the gateway, the other jail,
# broadcast, IPv4 and IPv6 multicast, the 802.1D link-local groups.
DSTS="gw=$BR_MAC jb=$B_MAC bc=$BC m4=01:00:5e:00:00:01"
DSTS="$DSTS m6=33:33:00:00:00:01"
for x in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
	DSTS="$DSTS l0$x=01:80:c2:00:00:0$x"
done

# src NAME V6: the source MAC and address of a source class.
src() {
	case $1:$2 in
	own:4) echo "-s $A_MAC -S $A_IP" ;;
	own:6) echo "-s $A_MAC -S $A_LL" ;;
	mac:4) echo "-s $B_MAC -S $A_IP" ;;	# the victim's MAC
	mac:6) echo "-s $B_MAC -S $A_LL" ;;
	ip:4) echo "-s $A_MAC -S $B_IP" ;;	# the victim's address
	ip:6) echo "-s $A_MAC -S $B_LL" ;;
	lan:4) echo "-s $A_MAC -S $LAN_ADDR" ;;	# a third party's
	lan:6) echo "-s $A_MAC -S 2001:db8:1::2" ;;
	esac
}

# One line a family: NAME SOURCES V6 OPTIONS KIND.  The victim's MAC goes
# last, so that where it moves the victim in the FDB, reflections towards
# the victim's address have already had their chance to arrive there.
cat >"$WORK/families" <<EOF
u4 own,ip,lan,mac 4 -D $HOST_ADDR -p $UP udp
ic own,ip,lan,mac 4 -D $GW icmp
ar own,ip,lan,mac 4 -D $GW arp-req
rp own,ip,lan,mac 4 -D $GW arp-rep
u6 own,ip,lan,mac 6 -D ff02::1 -p $UP6 udp6
vq own 4 -q 0 -D $HOST_ADDR -p $UP udp
va own 4 -Q 0 -D $HOST_ADDR -p $UP udp
xx own 4 -e 0x88b5 raw
EOF
for s in own ip lan mac; do
	while read -r fam srcs v6 rest; do
		case ,$srcs, in *,$s,*) ;; *) continue ;; esac
		so=$(src "$s" "$v6")
		for dm in $DSTS; do
			echo "-d ${dm#*=} $so $rest cjf_${fam}_${s}_${dm%%=*}"
		done
	done <"$WORK/families"
done >"$WORK/batch1"
diag "case 1: $(wc -l <"$WORK/batch1" | tr -d ' ') frames"

sniff sn-a jail "$T_USER" "$A_1" eth0
sniff sn-b jail "$T_USER2" "$B_1" eth0
sniff sn-br ns "$HOST" capjail0 promisc
sniff sn-lan ns "$LAN" eth0
# Controls first: each target hears what policy lets through.
from_lan cjf_ctl_udp "$UP"
ip netns exec "$LAN" "$F" send eth0 -d 33:33:00:00:00:01 -D ff02::1 \
    -p "$UP6" udp6 cjf_ctl_udp6
ip netns exec "$LAN" ping -c1 -W2 -p "$(printf 'cjf_ctl_lan.' |
    od -An -tx1 | tr -d ' \n')" "$HOST_ADDR" >/dev/null 2>&1
from_lan cjf_ctl_b "$PU"
# The batch, as root of the attacker's user namespace.
in_jail "$T_USER" "$A_1" "$F" batch eth0 <"$WORK/batch1" \
    >"$WORK/batch1.out" 2>&1
is "$?:$(head -c 300 "$WORK/batch1.out")" "0:" \
    "the jail's owner sends every frame (test premise: raw sockets inside)"
sniff_end sn-a sn-b sn-br sn-lan

got=$(tags "$WORK/udp4")
like "$got" cjf_ctl_udp "control: a LAN datagram reaches the host's UDP service"
is "$(leaks "$got" cjf_ctl_udp)" "" \
    "no frame from the jail reaches a host UDP service (IPv4, tagged too)"
got=$(tags "$WORK/udp6")
like "$got" cjf_ctl_udp6 \
    "control: a LAN IPv6 datagram reaches the host's UDP service"
is "$(leaks "$got" cjf_ctl_udp6)" "" \
    "no frame from the jail reaches a host UDP service (IPv6)"

# Answers to the jail's own frames may come back: echo replies, and ICMP
# errors (quoting the datagram) for its UDP to the host.
got=$(tags "$WORK/sn-a")
like "$got" cjf_ic_own_gw \
    "control: the jail's valid ping of the gateway is answered"
is "$(leaks "$got" 'cjf_(ic|u4)_own_(gw|bc)')" "" \
    "only the jail's own frames to the gateway are answered (no reflection)"
arp=$(grep ' arp=2 ' "$WORK/sn-a")
like "$arp" "src=$BR_MAC .* ip=$GW>$A_IP" \
    "control: the jail's valid ARP request is answered by the gateway"
is "$(printf '%s\n' "$arp" | grep -v "src=$BR_MAC .* ip=$GW>$A_IP\$" |
    head -n 3)" "" \
    "no other ARP reply reaches the jail (none from its host-side port)"

got=$(tags "$WORK/sn-br")
like "$got" cjf_ic_own_gw "control: the bridge sees the jail's valid frames"
is "$(leaks "$got" 'cjf_(u4|ic|ar|rp)_own_(gw|jb|bc)')" "" \
    "past the bridge's ingress: own MAC, own IPv4/ARP, unicast/broadcast only"

got=$(tags "$WORK/sn-b")
like "$got" cjf_ctl_b "control: the other jail hears its published port"
is "$(leaks "$got" cjf_ctl_b)" "" \
    "nothing from the attacker's batch reaches another user's jail"
got=$(tags "$WORK/sn-lan")
like "$got" cjf_ctl_lan "control: the host's echo replies reach the LAN"
is "$(leaks "$got" cjf_ctl_lan)" "" \
    "no reflection from the host reaches the LAN (spoofed source)"

n=$(ip -n "$HOST" neigh show to "$B_IP" | grep -ci "lladdr $A_MAC")
is "$n" 0 "the host's neighbour entry for the victim is not the attacker's MAC"
n=$(ip -n "$HOST" neigh show to "$A_IP" | grep -ci "lladdr $B_MAC")
is "$n" 0 "the attacker's ARP cannot give its own address the victim's MAC"
out=$(ip -n "$HOST" neigh show | grep -E ' dev cj[0-9a-z]+ ')
is "$out" "" "the host learnt no neighbour on a jail's host-side port"

# =========== 2. router and neighbour advertisements, DHCP ===========
# A default route or a global address appearing on the jail side would be
# the jail's doing; the LAN's RA, sent the same way, is the control.
for dm in $DSTS; do
	d=${dm%%=*} m=${dm#*=}
	echo "-d $m -x 2001:db8:a::/64 -L 1800 ra cjf_ra_$d"
	echo "-d $m -t $A_LL na cjf_na_own_$d"
	echo "-d $m -t $B_LL na cjf_na_ip_$d"
	echo "-d $m dhcp cjf_dhcp_$d"
	echo "-d $m -S $A_IP dhcp cjf_dhcp_own_$d"
done >"$WORK/batch2"
ip netns exec "$LAN" "$F" send eth0 -d 33:33:00:00:00:01 \
    -x 2001:db8:c::/64 ra cjf_ra_lan
ip netns exec "$LAN" "$F" send eth0 dhcp cjf_dhcp_lan
in_jail "$T_USER" "$A_1" "$F" batch eth0 <"$WORK/batch2" \
    >"$WORK/batch2.out" 2>&1
is "$?:$(head -c 300 "$WORK/batch2.out")" "0:" \
    "the jail's owner sends RAs, NAs and DHCP"
# The kernel may skip a first RA while its link-local address is new: twice.
sleep 1
ip netns exec "$LAN" "$F" send eth0 -d 33:33:00:00:00:01 \
    -x 2001:db8:c::/64 ra cjf_ra_lan
grep ' ra ' "$WORK/batch2" >"$WORK/batch2-ra"
in_jail "$T_USER" "$A_1" "$F" batch eth0 <"$WORK/batch2-ra" >/dev/null 2>&1
sleep 0.5

routes=$(ip -n "$HOST" -6 route show default)
like "$routes" 'dev eth0' "control: the LAN's RA gives the host a default route"
unlike "$routes" 'dev (cj|capjail0)' \
    "a jail's RA installs no default route on the host"
addrs=$(ip -n "$HOST" -6 -o addr show scope global)
like "$addrs" 'eth0 +inet6 2001:db8:c:' \
    "control: the LAN's RA gives the host an address"
unlike "$addrs" '(cj[0-9a-z]+|capjail0) ' \
    "a jail's RA gives the host no global address on the bridge or a port"
out=$(ip -n "$HOST" -6 -o addr show dev "$A_PORT")
is "$out" "" \
    "the jail's host-side port has no IPv6 address (not even link-local)"
neigh=$(ip -n "$HOST" -6 neigh show)
like "$neigh" 'dev eth0 lladdr' \
    "control: the LAN's RA made the host learn its router"
unlike "$neigh" 'dev (cj[0-9a-z]+|capjail0) ' \
    "the jail's RAs and NAs made the host learn no IPv6 neighbour"
got=$(tags "$WORK/dhcp")
like "$got" cjf_dhcp_lan \
    "control: a LAN DHCP discover reaches a listener on port 67"
is "$(leaks "$got" cjf_dhcp_lan)" "" \
    "no DHCP discover from the jail reaches the host's port 67"

# ====================== 3. MAC/FDB poisoning ======================
# The victim speaks once (as any host does), so the bridge knows its MAC
# even where the batch above moved it.
in_jail "$T_USER2" "$B_1" "$F" send eth0 -S "$B_IP" -D "$B_IP" arp-req \
    cjf_b_hello >/dev/null 2>&1
sleep 0.2
fdb_b() { bridge -n "$HOST" fdb show br capjail0 | grep -i "^$B_MAC "; }
like "$(fdb_b)" "dev $B_PORT" \
    "control: the FDB has the victim's MAC on its own port"
for i in 1 2 3; do from_lan "cjf_fdbctl_$i" "$PU"; done
is "$(lan_tcp)" victim-tcp \
    "control: the LAN reaches the victim's published TCP port"
sleep 0.3
got=$(tags "$WORK/jail-b.out" | grep cjf_fdbctl | tr '\n' ' ')
is "$got" "cjf_fdbctl_1 cjf_fdbctl_2 cjf_fdbctl_3 " \
    "control: the LAN's datagrams reach the victim's published UDP port"

sniff sn-a3 jail "$T_USER" "$A_1" eth0
# From the attacker's own address, with the victim's MAC, every 50 ms (3 s).
bg_host "$WORK/pid-poison" "$T_USER" nsenter -t "$A_1" -U -n \
    --preserve-credentials "$F" send eth0 -d "$BR_MAC" -s "$B_MAC" \
    -S "$A_IP" -D "$GW" -c 60 -i 50 udp cjf_poison >"$WORK/poison.out" 2>&1
poison=$BG_PID
in_jail "$T_USER" "$A_1" "$F" send eth0 -d "$BR_MAC" -S "$A_IP" -D "$GW" \
    icmp cjf_fdb_ctl_a
sleep 0.5
for i in 1 2 3 4 5; do
	from_lan "cjf_fdb_$i" "$PU"
	sleep 0.1
done
out=$(lan_tcp)
fdb=$(fdb_b)
wait_gone "$poison"
sniff_end sn-a3
is "$out" victim-tcp \
    "under MAC spoofing, the LAN's TCP connection reaches the victim"
got=$(tags "$WORK/jail-b.out" | grep 'cjf_fdb_[0-9]' | tr '\n' ' ')
is "$got" "cjf_fdb_1 cjf_fdb_2 cjf_fdb_3 cjf_fdb_4 cjf_fdb_5 " \
    "under MAC spoofing, the LAN's datagrams reach the victim"
like "$(tags "$WORK/sn-a3")" cjf_fdb_ctl_a \
    "control: the attacker's sniffer hears what is addressed to it"
stolen=$(grep -E "ip=[0-9.]+>$B_IP " "$WORK/sn-a3" | head -n 3)
is "$stolen" "" "nothing addressed to the victim arrives in the attacker's jail"
unlike "$fdb" "dev $A_PORT" \
    "the FDB never puts the victim's MAC on the attacker's port"
is "$(grep -c '' "$WORK/poison.out")" 0 \
    "the spoofed frames were sent (test premise)"

kill -TERM "$A_PID" "$B_PID" 2>/dev/null
wait_gone "$A_PID"
wait_gone "$B_PID"
done_testing
