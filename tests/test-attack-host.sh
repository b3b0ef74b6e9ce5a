#!/bin/sh
# SPDX-License-Identifier: ISC
# Attacks from the host side (issue 8, holes 4, 5 and 9, and "refused at
# once"): host users connecting straight to a jail's unpublished ports;
# what a jail's blocked traffic out gets back; a jail publishing a host
# port a host service holds, and host processes binding a published port;
# thousands of published ports left behind by a normal release and by a
# SIGKILLed helper.  Every case asserts what arrived at a listener, next
# to a control that shows the same listener is reachable where allowed.
. "$(dirname "$0")/libtest.sh"
. "$(dirname "$0")/seed.sh"

[ -x "$CAPJAIL" ] && [ -x "$HELPER" ] || skip_all "binaries not built"
[ -x "$TBIN/cj-client" ] || skip_all "cj-client not built"
command -v socat >/dev/null || skip_all "socat not installed"
seed_topology "cjh$$" || skip_all "cannot build the test topology"
cat >"$CONF" <<CONFEOF
bridge capjail0 10.89.0.1/24 publish-from=eth0
user $T_USER capjail0 jails=8 ports=8000-29999
user $T_USER2 capjail0 jails=3 ports=8000-8999
CONFEOF
chmod 0644 "$CONF"
LANX=192.0.2.99	# on the LAN's subnet, but nobody has it

# get USER ADDR:PORT TOKEN: curl http://ADDR:PORT/TOKEN as USER in the
# host netns; prints the reply and "rc=N" (7: refused, 28: timed out).
get() {
	in_host "$1" curl -s --http0.9 --max-time 3 "http://$2/$3" 2>&1
	echo "rc=$?"
}

# send USER ADDR:PORT TOKEN: one UDP datagram as USER from the host netns.
send() {
	echo "$3" | in_host "$1" socat -u - "UDP-SENDTO:$2" 2>&1
}

# tcp_rec PORT FILE [NETNS] / udp_rec PORT FILE [NETNS]: root listeners in
# NETNS (default $HOST) appending what arrives to FILE, for 40 s at most.
tcp_rec() {
	ip netns exec "${3:-$HOST}" timeout 40 socat \
	    "TCP-LISTEN:$1,fork,reuseaddr" \
	    SYSTEM:"head -n 1 >>$2; echo pong" >/dev/null 2>&1 &
	bg_pid $!
}
udp_rec() {
	ip netns exec "${3:-$HOST}" timeout 40 socat -u "UDP-RECV:$1" \
	    "OPEN:$2,creat,append" >/dev/null 2>&1 &
	bg_pid $!
}

# jail_addr: the address of the only jail on the host (its link's
# address name).
jail_addr() {
	_l=$(cj_addr_names "$HOST" | head -n1)
	[ -n "$_l" ] && cj_ip "$_l"
}
# no_jail: no jail link left (for wait_until, which runs it each time).
no_jail() { test -z "$(jail_addr)$(cj_links "$HOST")"; }

# ---------------------------------------------------------------------
# 1. Host users reach no unpublished jail port.
# A jail of cjtest1 publishes 8600/tcp -> 80 and 8601/udp -> 81 and also
# listens on 22/tcp and 53/udp, unpublished; every listener records what
# arrives in a directory bound into the jail.
REC=$WORK/rec
mkdir -m 0755 "$REC" && chown "$T_USER" "$REC"
bg_host "$WORK/pid-j1" "$T_USER" "$CAPJAIL" --net=capjail0 \
    -p 8600:80 -p 8601:81/udp --tmpfs /srv --bind "$REC:/srv/rec" -- sh -c '
	for p in 80 22; do
		socat TCP-LISTEN:$p,fork,reuseaddr \
		    SYSTEM:"head -n 1 >>/srv/rec/t$p; echo pong" &
	done
	for p in 81 53; do
		socat -u UDP-RECV:$p OPEN:/srv/rec/u$p,creat,append &
	done
	sleep 60' >"$WORK/j1.log" 2>&1
J1=$BG_PID
lan_ready() { lan_get "$HOST_ADDR:8600" ready | grep -q pong; }
wait_until lan_ready
ok $? "control: the jail answers on its published port from the LAN" ||
    sed 's/^/# jail: /' "$WORK/j1.log"
JA=$(jail_addr)
diag "jail address $JA"

out=$(lan_get "$HOST_ADDR:8600" lan-t80)
like "$out" 'pong' "control: LAN -> $HOST_ADDR:8600 answered"
echo lan-u81 | ip netns exec "$LAN" socat -u - "UDP-SENDTO:$HOST_ADDR:8601"
for u in root "$T_USER2" "$T_USER"; do
	out=$(get "$u" "$HOST_ADDR:8600" "$u-pub-t80")
	like "$out" 'pong' "control: $u on the host -> $HOST_ADDR:8600 answered"
	send "$u" "$HOST_ADDR:8601" "$u-pub-u81"
done

for u in "$T_USER2" "$T_USER" root; do
	for p in 22 80; do
		out=$(get "$u" "$JA:$p" "$u-direct-t$p")
		like "$out" 'rc=7$' "$u -> jail $JA:$p/tcp directly: refused"
	done
	for p in 53 81; do
		send "$u" "$JA:$p" "$u-direct-u$p"
	done
	out=$(get "$u" "127.0.0.1:8600" "$u-lo-t80")
	like "$out" 'rc=7$' "$u -> 127.0.0.1:8600: refused (no route_localnet)"
done
sleep 0.5
t80=$(arrived "$REC/t80") u81=$(arrived "$REC/u81")
like "$t80" 'GET /lan-t80 ' "control: the LAN's request arrived in the jail"
like "$t80" "GET /$T_USER2-pub-t80 .*GET /$T_USER-pub-t80 " \
    "control: host users' requests to $HOST_ADDR:8600 arrived"
like "$u81" "lan-u81" "control: the LAN's datagram to 8601/udp arrived"
like "$u81" "$T_USER2-pub-u81" "control: a host user's datagram to 8601/udp arrived"
unlike "$t80 $u81 $(arrived "$REC/t22") $(arrived "$REC/u53")" 'direct|-lo-' \
    "nothing sent straight to the jail's address or to 127.0.0.1 arrived"
diag "arrived in the jail: t80: $t80 | u81: $u81 | t22: $(arrived "$REC/t22")" \
    "| u53: $(arrived "$REC/u53")"

# ---------------------------------------------------------------------
# 2. While 8600/tcp and 8601/udp are published, no host process can
# bind them (the helper holds a socket there); afterwards they are free.
# A bind as cjtest2 with every sharing option an unprivileged user has.
bind_try() {	# bind_try USER ADDRESS: "bound" or the error
	_r=$(in_host "$1" timeout 1 socat -u "$2" /dev/null 2>&1)
	[ $? -eq 124 ] && _r=bound
	echo "$_r"
}
for a in TCP4-LISTEN:8600 TCP4-LISTEN:8600,reuseaddr,reuseport \
    TCP4-LISTEN:8600,bind=$HOST_ADDR,reuseaddr \
    TCP6-LISTEN:8600,ipv6only=0,reuseaddr \
    UDP4-RECV:8601 UDP4-RECV:8601,reuseaddr,reuseport \
    UDP6-RECV:8601,ipv6only=0; do
	out=$(bind_try "$T_USER2" "$a")
	like "$out" 'Address already in use' \
	    "while published, $T_USER2 cannot bind $a"
done
out=$(lan_get "$HOST_ADDR:8600" lan-after-binds)
like "$out" 'pong' "control: the LAN still reaches the jail on 8600"

kill -TERM "$J1"
wait_gone "$J1"
ok $? "the jail ends"
wait_until no_jail
for a in TCP4-LISTEN:8600,reuseaddr UDP4-RECV:8601; do
	out=$(bind_try "$T_USER2" "$a")
	is "$out" bound "after the jail ended, $T_USER2 can bind $a"
done

# ---------------------------------------------------------------------
# 3. Blocked traffic out of a jail is refused at once, and reaches
# nobody.  Listeners on the LAN and on the host record what arrives.
tcp_rec 9000 "$WORK/lan-t" "$LAN"
udp_rec 9002 "$WORK/lan-u" "$LAN"
tcp_rec 9001 "$WORK/host-t"
udp_rec 9003 "$WORK/host-u"
sleep 0.3
out=$(ip netns exec "$HOST" curl -s --http0.9 --max-time 3 \
    "http://$LAN_ADDR:9000/host-ctl" 2>&1)
like "$out" pong "control: the host reaches the LAN listener"
out=$(lan_get "$HOST_ADDR:9001" lan-ctl)
like "$out" pong "control: the LAN reaches the host listener"
echo host-ctl | ip netns exec "$HOST" socat -u - "UDP-SENDTO:$LAN_ADDR:9002"
echo lan-ctl | ip netns exec "$LAN" socat -u - "UDP-SENDTO:$HOST_ADDR:9003"

out=$(in_host "$T_USER" "$CAPJAIL" --net=capjail0 -- sh -c "
	for d in $LAN_ADDR:9000 $HOST_ADDR:9001 10.89.0.1:9001 $LANX:9000; do
		curl -s --max-time 4 http://\$d/jail-out >/dev/null
		echo tcp \$d rc=\$?
	done
	for d in $LAN_ADDR:9002 $HOST_ADDR:9003 10.89.0.1:9003; do
		r=\$(echo jail-out | socat -T3 - UDP:\$d 2>&1 | tr '\n' ' ')
		echo udp \$d: \$r.
	done
	for d in $LAN_ADDR $HOST_ADDR $LANX; do
		r=\$(ping -n -c1 -W3 \$d 2>&1 | grep -E '^From|bytes from')
		echo ping \$d: \$r.
	done
	ping -c1 -W3 10.89.0.1 >/dev/null; echo ping gw rc=\$?" 2>&1)
echo "$out" | sed 's/^/# jail: /'
line() { printf '%s\n' "$out" | grep "^$1 $2[: ]"; }
for d in "$LAN_ADDR:9000" "$HOST_ADDR:9001" "10.89.0.1:9001" "$LANX:9000"; do
	like "$(line tcp "$d")" "rc=7\$" \
	    "jail -> $d/tcp: connection refused (curl 7, not 28)"
done
for d in "$LAN_ADDR:9002" "$HOST_ADDR:9003" "10.89.0.1:9003"; do
	like "$(line udp "$d")" "(No route to host|Network is unreachable)" \
	    "jail -> $d/udp: an ICMP error comes back at once"
done
for d in "$LAN_ADDR" "$HOST_ADDR" "$LANX"; do
	like "$(line ping "$d")" "From [0-9.]+ .*(Packet filtered|Prohibited)" \
	    "jail -> ping $d: ICMP administratively prohibited"
done
like "$out" 'ping gw rc=0' "control: the jail pings its gateway"
sleep 0.3
like "$(arrived "$WORK/lan-t")" host-ctl "control: the LAN TCP listener records"
like "$(arrived "$WORK/lan-u")" host-ctl "control: the LAN UDP listener records"
like "$(arrived "$WORK/host-t")" lan-ctl "control: the host TCP listener records"
like "$(arrived "$WORK/host-u")" lan-ctl "control: the host UDP listener records"
got=$(cat "$WORK/lan-t" "$WORK/lan-u" "$WORK/host-t" "$WORK/host-u" \
    2>/dev/null | tr '\n' ' ')
unlike "$got" jail-out "nothing the jail sent reached a listener"

# ---------------------------------------------------------------------
# 4. Port hijack: cjtest2's host services hold 8500/tcp, 8501/udp,
# [::]:8502 (dual-stack) and $HOST_ADDR:8503; cjtest1 tries to publish
# each (all within its grant) to a jail that would answer "jail-N".
svc() {	# svc N ADDRESS: cjtest2's host service answering host-N
	# It reads the request first: closing a socket with unread data
	# sends a reset, which the client may see before the answer.
	bg_host "$WORK/pid-h$1" "$T_USER2" timeout 40 socat "$2" \
	    SYSTEM:"head -n 1 >/dev/null; echo host-$1" >/dev/null 2>&1
}
svc 8500 TCP4-LISTEN:8500,fork,reuseaddr
svc 8501 UDP4-RECVFROM:8501,fork
svc 8502 TCP6-LISTEN:8502,ipv6only=0,fork,reuseaddr
svc 8503 "TCP4-LISTEN:8503,bind=$HOST_ADDR,fork,reuseaddr"
udp_q() {	# udp_q NETNS ADDR:PORT: one query, the answer
	echo q | ip netns exec "$1" socat -T1 - "UDP:$2" 2>/dev/null
}
sleep 0.3
is "$(lan_get "$HOST_ADDR:8500" x)" "host-8500
rc=0" "control: the LAN reaches $T_USER2's service on 8500/tcp"
is "$(udp_q "$LAN" "$HOST_ADDR:8501")" host-8501 \
    "control: the LAN reaches $T_USER2's service on 8501/udp"
is "$(lan_get "$HOST_ADDR:8502" x)" "host-8502
rc=0" "control: the LAN reaches $T_USER2's dual-stack service on 8502"
is "$(lan_get "$HOST_ADDR:8503" x)" "host-8503
rc=0" "control: the LAN reaches $T_USER2's service on $HOST_ADDR:8503"

hijack() {	# hijack N SPEC: a jail publishing SPEC answers jail-N
	( in_host "$T_USER" "$CAPJAIL" --net=capjail0 -p "$2" -- timeout 20 \
	    socat "$3" SYSTEM:"head -n 1 >/dev/null; echo jail-$1" \
	    >"$WORK/hj-$1.log" 2>&1
	  echo "$?" >"$WORK/hj-$1.rc" ) &
	bg_pid $!
}
hijack 8500 8500:80 TCP-LISTEN:80,fork,reuseaddr
hijack 8501 8501:53/udp UDP-RECVFROM:53,fork
hijack 8502 8502:80 TCP-LISTEN:80,fork,reuseaddr
hijack 8503 8503:80 TCP-LISTEN:80,fork,reuseaddr
# Each attempt either ends (refused) or publishes its port.
settled() {
	_m=$(ip netns exec "$HOST" nft list map inet capjail ports4 2>/dev/null)
	for _p in 8500 8501 8502 8503; do
		[ -s "$WORK/hj-$_p.rc" ] && continue
		printf '%s\n' "$_m" | grep -q "\. $_p :" || return 1
	done
}
wait_until settled
sleep 1	# a jail that did publish: give its listener time to start
for p in 8500 8501 8502 8503; do
	pr=tcp; [ $p = 8501 ] && pr=udp
	rc=$(cat "$WORK/hj-$p.rc" 2>/dev/null)
	like "${rc:-running}:$(cat "$WORK/hj-$p.log")" \
	    "^125:.*$p/$pr.*in use" "publishing $p/$pr held by a host socket: refused, naming the port"
done
is "$(lan_get "$HOST_ADDR:8500" x)" "host-8500
rc=0" "the LAN still reaches $T_USER2's service on 8500/tcp"
is "$(udp_q "$LAN" "$HOST_ADDR:8501")" host-8501 \
    "the LAN still reaches $T_USER2's service on 8501/udp"
is "$(lan_get "$HOST_ADDR:8502" x)" "host-8502
rc=0" "the LAN still reaches $T_USER2's dual-stack service on 8502"
is "$(lan_get "$HOST_ADDR:8503" x)" "host-8503
rc=0" "the LAN still reaches $T_USER2's service on $HOST_ADDR:8503"
is "$(get "$T_USER2" "$HOST_ADDR:8500" x)" "host-8500
rc=0" "the host's own clients of $HOST_ADDR:8500 still reach the service"
is "$(udp_q "$HOST" "$HOST_ADDR:8501")" host-8501 \
    "the host's own clients of $HOST_ADDR:8501/udp still reach the service"
# Pre-fix the attempts run: end them.
for p in 8500 8501 8502 8503; do
	pid=$(pgrep -u "$T_USER" -f "^$CAPJAIL --net=capjail0 -p $p:")
	[ -n "$pid" ] && kill -TERM $pid
done
wait_until no_jail || diag "a hijack jail is still up"

# ---------------------------------------------------------------------
# 5. Thousands of stale elements.  cjtest1 publishes 4000 ports in one
# helper session (the helper may hold one socket a port: raise its fd
# limit within the hard limit), then (a) releases, (b) is SIGKILLed.
NPORTS=4000
diag "fd limits of $T_USER: $(in_host "$T_USER" sh -c 'echo soft $(ulimit -Sn) hard $(ulimit -Hn)')"
hard=$(in_host "$T_USER" sh -c 'ulimit -Hn')
nofile=$((NPORTS + 200))
[ "$hard" != unlimited ] && [ "$hard" -lt "$nofile" ] && nofile=$hard
PUBS=$(seq 20000 $((20000 + NPORTS - 1)) | sed 's/.*/pub:tcp:&:80/')
stale() {	# how many of the 4000 ports the firewall still names
	ip netns exec "$HOST" nft list ruleset |
	    grep -Eo 'tcp \. 2[0-3][0-9]{3}' | sort -u | wc -l
}
many() {	# many LAST-STEP...: cj-client publishing all, then LAST-STEP
	# shellcheck disable=SC2086
	in_host "$T_USER" "$TBIN/cj-client" -H "$HELPER" -r nofile=$nofile \
	    attach capjail0 eth0 $PUBS "$@" >"$WORK/many.out" 2>&1
}
many release
n=$(grep -c '^reply type=[a-z_]* status=0 ' "$WORK/many.out")
is "$n" $((NPORTS + 2)) "(a) attach, $NPORTS publishes and the release succeed"
grep -v 'status=0 ' "$WORK/many.out" | sort | uniq -c | head -n 5 |
    sed 's/^/# cj-client: /'
is "$(stale)" 0 "(a) after the release, the firewall names none of the ports"
out=$(in_host "$T_USER2" "$CAPJAIL" --net=capjail0 -- true 2>&1)
is "$?:$out" "0:" "(a) then a default jail start by $T_USER2 succeeds"

if [ "$(stale)" -ne 0 ]; then	# so that (b) is tested on its own
	diag "(a) left elements behind: root flushes them for (b)"
	ip netns exec "$HOST" nft flush map inet capjail ports4
fi
many hold:"$WORK/go-kill" release &
bg_pid $!
mpid=$!
wait_until grep -q '^holding' "$WORK/many.out" ||
    wait_until grep -q '^holding' "$WORK/many.out"
hpid=$(sed -n 's/^helper pid //p' "$WORK/many.out")
n=$(stale)
is "$n" "$NPORTS" "(b) premise: $NPORTS ports published"
kill -KILL "$hpid"
touch "$WORK/go-kill"	# cj-client ends, its netns with it
wait "$mpid"
wait_until no_jail
ok $? "(b) the SIGKILLed helper's link went with its netns"
diag "(b) elements left behind: $(stale)"
gc_turn "$T_USER2" "$HOST"
out=$(in_host "$T_USER2" "$CAPJAIL" --net=capjail0 -- true 2>&1)
is "$?:$out" "0:" "(b) the next jail start by $T_USER2 succeeds"
is "$(stale)" 0 "(b) and it collected every element left behind"
is "$(host_leftovers | wc -l)" 0 "nothing left on the host"

done_testing
