#!/bin/sh
# SPDX-License-Identifier: ISC
# The seed scenario end to end: lighttpd in a jail started by an
# unprivileged user, reached from a LAN namespace through a published port,
# unable to reach anything itself; plus the publish policy, isolation,
# anti-spoofing, IPv6, garbage collection and parallel port races.
. "$(dirname "$0")/libtest.sh"
. "$(dirname "$0")/seed.sh"

[ -x "$CAPJAIL" ] && [ -x "$HELPER" ] || skip_all "binaries not built"
command -v lighttpd >/dev/null || skip_all "lighttpd not installed"
seed_topology "cjf$$" || skip_all "cannot build the test topology"
seed_config
seed_www "$WORK/www" "token-$$-one"
SUB1=$(grep "^$T_USER:" /etc/subuid | cut -d: -f2)

# jail_sh USER ARGS... -- SCRIPT: a networked jail running a shell script.
jail_sh() {
	_u=$1; shift
	in_host "$_u" "$CAPJAIL" --net=capjail0 "$@"
}

# --- the page, through the published port, served as www-data ---
seed_jail "$T_USER" 8080 "$WORK/www"
ok $? "lighttpd in a jail answers on the published port" ||
    sed 's/^/# jail: /' "$WORK/jail-8080.log"
page=$(ip netns exec "$LAN" curl -s --max-time 3 "http://$HOST_ADDR:8080/")
is "$page" "token-$$-one" "curl from the LAN gets the jail's page"
page=$(ip netns exec "$HOST" curl -s --max-time 3 "http://$HOST_ADDR:8080/")
is "$page" "token-$$-one" "the host reaches the published port on its own address"
# --subids maps inside uid N >= 1 to the range's start + N - 1.
lpid=$(pgrep -u $((SUB1 + 32)) -x lighttpd | head -n 1)
ok $([ -n "$lpid" ]; echo $?) "lighttpd runs as www-data inside (host uid $((SUB1 + 32)))"
out=$(ip netns exec "$LAN" curl -s --max-time 2 "http://$HOST_ADDR:80/" 2>&1)
ok $([ -z "$out" ]; echo $?) "an unpublished host port does not reach the jail"
out=$(ip netns exec "$HOST" nft list table inet capjail)
like "$out" 'tcp \. 8080 : 10\.89\.0\.[0-9]+ \. 80' "nft lists the published port"

# --- nothing out: not to the LAN, not to the host ---
ip netns exec "$LAN" timeout 15 socat TCP-LISTEN:9000,reuseaddr,fork \
    SYSTEM:'echo lan-listener' >/dev/null 2>&1 &
bg_pid $!
ip netns exec "$HOST" timeout 15 socat TCP-LISTEN:9001,reuseaddr,fork \
    SYSTEM:'echo host-listener' >/dev/null 2>&1 &
bg_pid $!
sleep 0.3
out=$(ip netns exec "$HOST" socat - TCP:$LAN_ADDR:9000 </dev/null 2>&1)
is "$out" "lan-listener" "control: the host itself reaches the LAN listener"
out=$(jail_sh "$T_USER" -- sh -c "
	curl -s --max-time 2 http://$LAN_ADDR:9000/ >/dev/null; echo lan=\$?
	curl -s --max-time 2 http://$HOST_ADDR:9001/ >/dev/null; echo host=\$?
	curl -s --max-time 2 http://10.89.0.1:9001/ >/dev/null; echo gw=\$?
	ping -c1 -W2 10.89.0.1 >/dev/null; echo ping=\$?" 2>&1)
like "$out" 'lan=7' "a jail cannot open a connection to the LAN (refused)"
like "$out" 'host=7' "a jail cannot connect to the host's LAN address (refused)"
like "$out" 'gw=7' "a jail cannot connect to the host's bridge address (refused)"
like "$out" 'ping=0' "a jail can ping its gateway"

# --- anti-spoofing and ARP ---
# The jail's root has no CAP_NET_ADMIN (bounding set), but the user owns
# the jail's namespaces and can enter them with every capability: the
# firewall must hold against that.
bg_host "$WORK/pid-spoof" "$T_USER" "$CAPJAIL" --net=capjail0 -- sleep 8 \
    >/dev/null 2>&1
spid=$BG_PID
sleep 1
pid1=$(pgrep -P "$spid" -x capjail | head -n 1)
# An address no jail was given (they are chosen at random).
for sp in 200 201 202; do
	cj_addr_names "$HOST" | grep -qx "$(printf 'cj0a5900%02x' $sp)" || break
done
SPOOF=10.89.0.$sp
out=$(in_host "$T_USER" nsenter -t "$pid1" -U -n --preserve-credentials \
    sh -c "ping -c1 -W2 10.89.0.1 >/dev/null; echo own=\$?
	ip addr add $SPOOF/24 dev eth0 && echo added
	ping -c1 -W2 -I $SPOOF 10.89.0.1 >/dev/null; echo spoof=\$?" 2>&1)
ip netns exec "$HOST" ping -c1 -W1 "$SPOOF" >/dev/null 2>&1
neigh=$(ip -n "$HOST" neigh show "$SPOOF" | grep -c lladdr)
kill -TERM "$spid"; wait_gone "$spid"
like "$out" 'added' "the jail's owner can add an address inside (test premise)"
like "$out" 'own=0' "a jail's own address gets through"
like "$out" 'spoof=1' "a spoofed source address is dropped at the bridge"
is "$neigh" 0 "a jail cannot answer ARP for an address it was not given"

# --- IPv6 ---
brll=$(ip -n "$HOST" -6 -o addr show dev capjail0 scope link |
    awk '{print $4}' | cut -d/ -f1)
if [ -n "$brll" ]; then
	out=$(jail_sh "$T_USER" -- sh -c "sleep 2.5
	    ping -6 -c1 -W2 $brll%eth0 >/dev/null 2>&1; echo v6=\$?" 2>&1)
	like "$out" 'v6=[12]' "IPv6 from a jail is dropped"
else
	skip "the bridge has no IPv6 link-local address"
fi

# --- publish policy ---
before=$(host_leftovers)
out=$(jail_sh "$T_USER" -p 8080:80 -- true 2>&1); rc=$?
is "$rc" 125 "a taken port: exit 125"
like "$out" 'port 8080/tcp is already published' "a taken port: the message"
out=$(jail_sh "$T_USER2" -p 8080:80 -- true 2>&1); rc=$?
like "$rc:$out" '^125:.*8080/tcp is already published' \
    "another user cannot take a published port"
out=$(jail_sh "$T_USER" -p 9500:80 -- true 2>&1); rc=$?
like "$rc:$out" '^125:.*9500/tcp.*not.*granted' "a port outside the range is refused"
out=$(jail_sh "$T_USER" -p 80:80 -- true 2>&1); rc=$?
like "$rc:$out" '^125:.*80/tcp.*not.*granted' "a low port is refused unless granted"
is "$(host_leftovers)" "$before" "refused jails left nothing behind"

# --- UDP ---
out=$(jail_sh "$T_USER" -p 8053:53/udp -- sh -c '
	timeout 8 socat UDP-RECVFROM:53 SYSTEM:"read x; echo udp-pong" &
	sleep 6' 2>&1 &
	sleep 1.5
	ip netns exec "$LAN" sh -c "echo ping | timeout 3 socat - UDP:$HOST_ADDR:8053" 2>&1
	wait)
like "$out" 'udp-pong' "a published UDP port reaches the jail"

# --- teardown: command exit, launcher SIGKILL, helper SIGKILL + GC ---
kill -TERM "$JAIL_PID"
wait_gone "$JAIL_PID"
ok $? "SIGTERM to the launcher ends the jail"
is "$(host_leftovers)" "" "after the jail ends: no veth, no element"
seed_jail "$T_USER" 8081 "$WORK/www" || diag "second jail did not start"
kill -KILL "$JAIL_PID"
wait_gone "$JAIL_PID"
sleep 1
is "$(host_leftovers)" "" "after SIGKILL of the launcher: nothing left"
seed_jail "$T_USER" 8082 "$WORK/www" || diag "third jail did not start"
hpid=$(pgrep -P "$JAIL_PID" -x capjail-net | head -n 1)
kill -KILL "$hpid" "$JAIL_PID" 2>/dev/null
wait_gone "$JAIL_PID"
gc_turn "$T_USER" "$HOST"
jail_sh "$T_USER" -- true >/dev/null 2>&1
is "$(host_leftovers)" "" "after SIGKILL of the helper, the next run collects the garbage"
out=$(ip -n "$HOST" -o addr show | grep -c '10\.89\.0\.[0-9]*/' )
is "$out" 1 "no jail address remains on the host (only the gateway)"

# --- isolation between jails ---
two_jails() {	# two_jails: can jail B fetch jail A's page?
	seed_jail "$T_USER" 8090 "$WORK/www" >/dev/null 2>&1 || return 2
	a=$(cj_addr_names "$HOST" | head -n1)
	aaddr=$(cj_ip "$a")
	r=$(jail_sh "$T_USER2" -- curl -s --max-time 2 "http://$aaddr/" 2>&1)
	kill -TERM "$JAIL_PID"; wait_gone "$JAIL_PID"
	[ "$r" = "token-$$-one" ]
}
two_jails; is $? 1 "isolate=yes: jails on one bridge cannot reach each other"
seed_config isolate=no
two_jails; is $? 0 "isolate=no: they can"
seed_config

# --- a large firewall state: sweeping it allocates under seccomp ---
# A link root made with a lease's names (slot 7 of $T_USER's on capjail0,
# address 10.89.0.250) and a valid birth label (owner $T_USER, quota 8,
# its own netns inode) keeps 3000 elements alive through GC, so the
# helper's release must list them all inside its sandbox.
ip -n "$HOST" link add "$(cj_slot "$(id -u "$T_USER")" capjail0 7)" \
    group "$(id -u "$T_USER")" txqlen 8 \
    address 02:63:7f:00:00:01 type veth peer name cjpeer0
ip -n "$HOST" link property add dev "$(cj_slot "$(id -u "$T_USER")" capjail0 7)" \
    altname cj0a5900fa
idx=$(ip -n "$HOST" -o link show cj0a5900fa | cut -d: -f1)
seq 20000 22999 | awk -v i="$idx" '{
	printf "add element inet capjail ports4 { tcp . %s : 10.89.0.250 . 80 }\n", $1
	printf "add element inet capjail pubmark { tcp . %s : %s }\n", $1, i }' \
    >"$WORK/elems.nft"
ip netns exec "$HOST" nft -f "$WORK/elems.nft"
out=$(jail_sh "$T_USER" -p 8085:80 -- true 2>&1); rc=$?
is "$rc:$out" "0:" "a jail starts and stops with 3000 other elements listed"
n=$(ip netns exec "$HOST" nft list map inet capjail ports4 |
    grep -o '10\.89\.0\.250 \. 80' | wc -l)
is "$n" 3000 "the other elements are untouched, the jail's are gone"
ip -n "$HOST" link del cj0a5900fa
gc_turn "$T_USER" "$HOST"
jail_sh "$T_USER" -- true >/dev/null 2>&1
is "$(host_leftovers)" "" "once their link is gone, the next run sweeps them"

# --- a flow conntrack remembers must not outlive its published port ---
udp40000() {	# a query from one fixed source port, so conntrack reuses it
	echo "$1" | ip netns exec "$LAN" socat -T1 - \
	    UDP:$HOST_ADDR:8053,sourceport=40000,reuseaddr 2>/dev/null
}
bg_host "$WORK/pid-ca" "$T_USER" "$CAPJAIL" --net=capjail0 -p 8053:53/udp \
    -- socat UDP-RECVFROM:53,fork SYSTEM:'read x; echo reply-from-A' \
    >/dev/null 2>&1
ca=$BG_PID
sleep 1
is "$(udp40000 q1)" "reply-from-A" "control: jail A answers on its UDP port"
aname=$(cj_addr_names "$HOST" | head -n1)
kill -TERM "$ca"; wait_gone "$ca"
# (addresses are chosen at random: B asks for A's)
bg_host "$WORK/pid-cb" "$T_USER2" "$CAPJAIL" --net=capjail0 -p 8090:80 \
    --ip "$(cj_ip "$aname")" -- socat UDP-RECVFROM:53,fork SYSTEM:'read x; echo reply-from-B' \
    >/dev/null 2>&1
cb=$BG_PID
sleep 1
is "$(cj_addr_names "$HOST" | tr '\n' ' ')" "$aname " \
    "premise: jail B holds A's address ($aname)"
out=$(udp40000 q2)
is "$out" "" "the next jail on A's address does not get A's conntrack flow"
kill -TERM "$cb"; wait_gone "$cb"

# --- a session whose link is gone cannot publish onto the address ---
# The user deletes their veth from inside their own netns, then publishes
# through the still-open session, after another user got the address.
bg_host "$WORK/pid-un" "$T_USER" unshare -Urn sleep 30 >/dev/null 2>&1
unpid=$BG_PID
sleep 0.3
in_host "$T_USER" "$TBIN/cj-client" -H "$HELPER" \
    -n "path:/proc/$unpid/ns/net" attach capjail0 eth0 hold:"$WORK/go" \
    pub:tcp:8081:22 hold:"$WORK/go2" release >"$WORK/atk.out" 2>&1 &
bg_pid $!
i=0
while ! grep -q '^attach' "$WORK/atk.out" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
uaddr=$(sed -n 's|^attach addr=\([0-9.]*\)/.*|\1|p' "$WORK/atk.out")
in_host "$T_USER" nsenter -t "$unpid" -U -n --preserve-credentials \
    ip link del eth0
sleep 0.3
# (addresses are chosen at random: the victim asks for the session's)
bg_host "$WORK/pid-vi" "$T_USER2" "$CAPJAIL" --net=capjail0 -p 8090:80 \
    --ip "$uaddr" -- \
    socat TCP-LISTEN:22,fork,reuseaddr SYSTEM:'read -r l; echo victim-22' \
    >/dev/null 2>&1
vi=$BG_PID
sleep 1
is "$(cj_addr_names "$HOST" | tr '\n' ' ')" \
    "$(printf 'cj%02x%02x%02x%02x ' $(echo "$uaddr" | tr . ' '))" \
    "premise: the other user's jail holds the session's address ($uaddr)"
touch "$WORK/go"
sleep 0.5
like "$(grep '^reply' "$WORK/atk.out" | tail -n 1)" \
    "status=2 text=port 8081/tcp: the jail's network link is gone" \
    "a session whose link is gone cannot publish"
out=$(echo hi | ip netns exec "$LAN" socat -T2 - TCP:$HOST_ADDR:8081 2>&1)
unlike "$out" "victim-22" "... so host port 8081 does not reach the other user's jail"
touch "$WORK/go2"
sleep 0.5
n=$(ip netns exec "$HOST" nft list set netdev capjail src |
    grep -o '10\.89\.0\.[0-9]*' | wc -l)
is "$n" 1 "... and its release leaves the other user's elements alone"
kill -TERM "$vi" "$unpid"; wait_gone "$vi"

# --- ten jails, two users, overlapping ports ---
i=0
while [ $i -lt 10 ]; do
	u=$T_USER; [ $((i % 2)) -eq 1 ] && u=$T_USER2
	( jail_sh "$u" -p "$((8100 + i % 3)):80" -- sleep 4 \
	    >"$WORK/race-$i.log" 2>&1; echo "$u $((8100 + i % 3)) $?" \
	    >>"$WORK/race.out" ) &
	i=$((i + 1))
done
sleep 2
won=$(ip netns exec "$HOST" nft list map inet capjail ports4 |
    grep -Eo 'tcp \. 81[0-9]+' | sort | uniq -c | awk '{print $1}' | sort -u)
wait
is "$won" 1 "each contested port was won exactly once"
is "$(awk '$3 == 0' "$WORK/race.out" | awk '{print $2}' | sort | tr '\n' ' ')" \
    "8100 8101 8102 " "exactly one jail per port ran"
q=$(grep -c 'quota' "$WORK"/race-*.log | awk -F: '{s += $2} END {print s}')
diag "refusals by quota: $q"
is "$(host_leftovers)" "" "after the race: nothing left"

done_testing
