#!/bin/sh
# SPDX-License-Identifier: ISC
# capjail-net as deployed: the setcap'ed test helper, run by the
# unprivileged test users through tests/cj-client, inside a throwaway
# "host" network namespace, with test configs written here as root.
# Proves attach (bridge, veth, birth label, reply), the quota and grant
# refusals, every netns-fd refusal, malformed requests, startup refusals,
# cleanup on release/EOF/SIGKILL, parallel leases and the seccomp filter.
. "$(dirname "$0")/libtest.sh"

NS=cjb-$$-host
CLIENT=$TBIN/cj-client
. "$(dirname "$0")/client.sh"
netns_new "$NS" || skip_all "cannot create a network namespace"
[ -x "$CLIENT" ] || skip_all "cj-client not built"
U1=$(id -u "$T_USER"); G1=$(id -g "$T_USER")

links() {
	ip -n "$NS" -o link show | sed 's/^[0-9]*: \([^:@]*\).*/\1/' |
	    sort | tr '\n' ' '
}
cjlinks() { ip -n "$NS" -o link show | grep -c ': cj[0-9a-f]\{8\}[@:]'; }

conf_std() {
	conf "bridge capjail0 10.89.0.1/24" "bridge other0 10.90.0.1/24" \
	    "user $T_USER capjail0 jails=2" "user $T_USER2 capjail0 jails=1" \
	    "$@"
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -n 1; }

# --- attach: the bridge is made, the veth is on it, the reply is right
conf_std
out=$(client "$T_USER" check)
like "$out" "grant bridge=capjail0 gw=10.89.0.1/24 used=0 max=2 ports=0-0 warnings=2$" \
    "check lists the grant before the bridge exists"
unlike "$out" "bridge=other0" "check lists only granted bridges"
bg "$WORK/a1" "$T_USER" attach capjail0 eth0 hold:"$WORK/r1" release
wait_for "$WORK/a1" holding
out=$(cat "$WORK/a1")
like "$out" "reply type=attach status=0 text=$" "attach succeeds"
like "$out" "attach addr=10.89.0.2/24 gw=10.89.0.1 mtu=1500 mac=02:6a:0a:59:00:02 host=cj0a590002$" \
    "the reply carries address, prefix, gateway, MTU, MAC and host name"
hpid=$(echo "$out" | sed -n 's/^helper pid //p')
npid=$(echo "$out" | sed -n 's/^netns pid //p')
like "$(ip -n "$NS" -d link show capjail0)" "bridge forward_delay" \
    "the absent bridge was created"
like "$(ip -n "$NS" -4 addr show capjail0)" "inet 10.89.0.1/24 brd 10.89.0.255" \
    "the bridge has its gateway address"
h=$(ip -n "$NS" -d link show cj0a590002)
like "$h" "master capjail0" "the host end is on the bridge"
like "$h" "<[^>]*UP" "the host end is up"
like "$h" "group $U1 qlen 2" "born labelled: group = the owner's uid, qlen = quota"
ino=$(printf '%08x' "$(stat -L -c %i "/proc/$npid/ns/net")" |
    sed 's/../&:/g; s/:$//')
like "$h" "link/ether 02:63:$ino " "born labelled: the MAC names the jail's netns"
like "$h" "learning off flood off" "the jail port neither learns nor floods"
p=$(nsenter -t "$npid" -n ip -d link show eth0 2>&1)
like "$p" "link/ether 02:6a:0a:59:00:02" "the peer is in the jail's netns, named and addressed"
like "$p" "mtu 1500" "the peer has the bridge's MTU"
nsenter -t "$npid" -n sh -c 'ip addr add 10.89.0.2/24 dev eth0 &&
    ip link set eth0 up && ping -c 1 -W 3 10.89.0.1' >/dev/null 2>&1
ok $? "the jail's end reaches the gateway"
st=$(cat "/proc/$hpid/status")
like "$st" "Seccomp:[[:space:]]+2" "the helper serves under its seccomp filter"
# What that filter does, as the kernel holds it for this helper (built
# into it at build time): the calls the request loop makes pass (control),
# the syslog reconnect fails, the rest kills.
sc() { "$TBIN/cj-seccheck" "$hpid" "$1" 2>&1; }
is "$(sc getpid):$(sc socket-inet)" "ok:ok" \
    "its filter: getpid and an AF_INET socket pass (control)"
is "$(sc socket-unix)" "errno 13" "its filter: an AF_UNIX socket fails with EACCES"
is "$(sc openat)" "killed 31" "its filter: openat kills (SIGSYS)"
is "$(sc mmap-exec)" "killed 31" "its filter: an executable mmap kills"
[ "$(uname -m)" = x86_64 ] &&
    is "$(sc x32)" "killed 31" "its filter: a call through the x32 ABI kills"
like "$st" "NoNewPrivs:[[:space:]]+1" "the helper has no_new_privs"
like "$st" "CapEff:[[:space:]]+0000000000001000" "effective: cap_net_admin only"
like "$st" "CapPrm:[[:space:]]+0000000000001000" "permitted: cap_net_admin only"
like "$st" "CapInh:[[:space:]]+0000000000000000" "inheritable: empty"
like "$st" "CapAmb:[[:space:]]+0000000000000000" "ambient: empty"
is "$(ls -l "/proc/$hpid/fd" | grep -c 'net:\[')" 0 \
    "the helper keeps no netns fd (inherited or received)"
like "$(client "$T_USER" check)" "grant bridge=capjail0 gw=10.89.0.1/24 used=1 max=2 ports=0-0 warnings=0$" \
    "check counts the running jail"
# An attach lists every link once: the count after the create comes from
# the link events heard since that listing (lease.c, count_since).  (Under
# ASan the client's LeakSanitizer cannot run traced: off.)
(cd "$WORK" && ip netns exec "$NS" strace -f -qq -o "$WORK/attach.strace" \
    -e trace=recvmsg,sendmsg,sendto setpriv --reuid="$T_USER" \
    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
    env ASAN_OPTIONS=detect_leaks=0 \
    "$CLIENT" -H "$HELPER" attach capjail0 eth0 >"$WORK/attach.out" 2>&1)
like "$(cat "$WORK/attach.out")" "reply type=attach status=0" \
    "under strace, a second jail attaches (control)"
# The helper is the process that talks rtnetlink; from its receipt of the
# request (fd 3) to its reply.
# in_attach REGEX: how many of the helper's sends in that stretch match.
in_attach() {
	awk -v re="$1" '!h && /RTM_GETLINK/ { h = $1 }
	    { l[NR] = $0; p[NR] = $1 }
	    END { for (i = 1; i <= NR; i++) {
		if (p[i] != h) continue
		if (l[i] ~ / recvmsg\(3,/) on = 1
		else if (on && l[i] ~ / sendmsg\(3,/) break
		else if (on && l[i] ~ re) n++ }
		print n + 0 }' "$WORK/attach.strace"
}
is "$(in_attach 'RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST\\|NLM_F_DUMP')" 1 \
    "an attach lists every link once, not again after the create"
is "$(in_attach 'sendto\\(.*RTM_NEWLINK.*"bridge"')" 0 \
    "... and does not try to create the bridge that exists"

# --- refusals while one jail runs; each leaves the links as they were
before=$(links)
out=$(client "$T_USER" -n path:/proc/"$npid"/ns/net attach capjail0 eth0)
like "$out" "status=16 text=that network namespace already has a jail link" \
    "a second attach of the same netns is refused"
out=$(client "$T_USER" attach capjail0 eth0 attach capjail0 eth1)
like "$out" "status=16 text=this session already has a jail attached" \
    "a second attach in one session is refused"
bg "$WORK/a2" "$T_USER" attach capjail0 eth0 hold:"$WORK/r1" release
wait_for "$WORK/a2" holding
like "$(cat "$WORK/a2")" "addr=10.89.0.3/24" "the second jail gets the next address"
before=$(links)
out=$(client "$T_USER" attach capjail0 eth0)
like "$out" "status=122 text=quota reached: 2 of 2 jails on capjail0" \
    "the (N+1)th jail is refused with a clear message"
like "$out" "helper exit 0" "a refusal is not fatal"
is "$(links)" "$before" "the refused attach created nothing"
touch "$WORK/r1"
wait_for "$WORK/a1" "helper exit" && wait_for "$WORK/a2" "helper exit"
like "$(cat "$WORK/a1")" "reply type=release status=0" "release is acknowledged"
like "$(cat "$WORK/a1")" "helper exit 0" "release ends the helper with 0"
is "$(cjlinks)" 0 "release removed the host links"

out=$(client "$T_USER" attach other0 eth0)
like "$out" "status=1 text=bridge other0 is not granted to you \(yours: capjail0\)" \
    "a bridge not granted is refused"
out=$(client "$T_USER" attach nosuch0 eth0)
like "$out" "status=1 text=bridge nosuch0 is not granted to you" \
    "an unknown bridge is refused the same way"
out=$(client "$T_USER" attach capjail0 eth0 10.89.0.77)
like "$out" "addr=10.89.0.77/24" "a wanted free address is given"
for a in "10.1.2.3 is outside capjail0's subnet 10.89.0.0/24" \
    "10.89.0.1 is capjail0's gateway" \
    "10.89.0.255 is capjail0's broadcast address" \
    "10.89.0.0 is capjail0's network address"; do
	out=$(client "$T_USER" attach capjail0 eth0 "${a%% *}")
	like "$out" "status=22 text=address $a\$" \
	    "wanted address ${a%% *}: refused, saying why"
done
out=$(client "$T_USER" attach capjail0 lo)
like "$out" "status=17 text=interface lo already exists in the jail" \
    "a peer name taken inside the jail is refused"
out=$(client "$T_USER" publish)
like "$out" "status=22 text=publish needs an attached jail" \
    "publish before attach is refused"
is "$(cjlinks)" 0 "no link is left by any of these"

# --- the netns fd: each refused, nothing created
before=$(links)
out=$(client "$T_USER" -n self attach capjail0 eth0)
like "$out" "status=1 text=that network namespace is the host's" \
    "the helper's own netns is refused"
out=$(client "$T_USER" -n fd:5 attach capjail0 eth0 5</proc/$$/ns/net)
like "$out" "status=1 text=that network namespace is not yours" \
    "root's netns (the machine's, as root holds it) is refused"
netns_new "cjb-$$-root"
out=$(client "$T_USER" -n path:/run/netns/cjb-$$-root attach capjail0 eth0)
like "$out" "status=1 text=that network namespace is not yours" \
    "a netns made by root is refused"
setpriv --reuid="$T_USER2" --regid="$(id -g "$T_USER2")" --init-groups \
    unshare -Un sleep 60 &
other=$!
bg_pid $other
i=0	# bounded: a process that failed may have its pid reused
while [ "$(readlink /proc/$other/ns/net)" = "$(readlink /proc/self/ns/net)" ] &&
    [ $i -lt 500 ]; do
	sleep 0.01; i=$((i + 1))
done
out=$(client "$T_USER" -n fd:5 attach capjail0 eth0 5</proc/$other/ns/net)
like "$out" "status=1 text=that network namespace is not yours" \
    "another user's netns is refused"
setpriv --reuid="$T_USER" --regid="$G1" --init-groups unshare -Un sleep 60 &
mine=$!
bg_pid $mine
i=0
while [ "$(readlink /proc/$mine/ns/net)" = "$(readlink /proc/self/ns/net)" ] &&
    [ $i -lt 500 ]; do
	sleep 0.01; i=$((i + 1))
done
out=$(nsenter -t "$mine" -n setpriv --reuid="$T_USER" --regid="$G1" \
    --init-groups --reset-env "$CLIENT" -H "$HELPER" -n self attach capjail0 eth0 2>&1)
like "$out" "status=1 text=that network namespace is the host's" \
    "the helper's own netns is refused even when the user owns it"
for spec in path:/etc/passwd path:/proc/self/ns/user; do
	out=$(client "$T_USER" -n "$spec" attach capjail0 eth0)
	like "$out" "bad request: the fd is not a network namespace" \
	    "a non-netns fd ($spec) is a protocol violation"
	like "$out" "helper exit 1" "... and the helper exits 1"
done
out=$(client "$T_USER" -n none attach capjail0 eth0)
like "$out" "bad request: attach without a netns fd" "no fd is refused"
out=$(client "$T_USER" -n two attach capjail0 eth0)
like "$out" "bad request: unexpected control data" "two fds are refused"
like "$out" "helper exit 1" "... and the helper exits 1"
is "$(links)" "$before" "no netns trick created anything"

# --- malformed requests: exit 1, no reply, nothing created, no crash
for shape in short long magic version type0 type99 flags reserved noterm \
    slash space upper garbage ifname-empty ifname-dot body-reserved \
    check-body; do
	out=$(client "$T_USER" raw:$shape)
	if echo "$out" | grep -q "bad request" &&
	    echo "$out" | grep -q "^reply eof" &&
	    echo "$out" | grep -q "^helper exit 1"; then r=0; else r=1; fi
	ok $r "malformed ($shape): bad request, no reply, exit 1"
	[ $r -eq 0 ] || echo "$out" | sed 's/^/#   /'
done
is "$(links)" "$before" "no malformed request created anything"

# --- startup refusals
cp "$HELPER" "$WORK/nocap" && chmod 0755 "$WORK/nocap"
out=$(client "$T_USER" -H "$WORK/nocap" check)
like "$out" "capjail-net: not installed with file capabilities; run: setcap cap_net_admin\+ep $WORK/nocap" \
    "a helper without its file capability says how to fix it"
like "$out" "helper exit 1" "... and exits 1"
out=$(client "$T_USER" -a --debug check)
like "$out" "capjail-net: usage: capjail-net \[--check\]" \
    "extra arguments are refused"
out=$(client "$T_USER" -a --check attach capjail0 eth0 check)
like "$out" "type=attach status=1 text=this helper was started to check only" \
    "a helper started with --check refuses to attach"
like "$out" "type=check status=0" "... and answers checks"
out=$(client "$T_USER" -3 closed check)
like "$out" "capjail-net: fd 3: Bad file descriptor" "fd 3 closed is refused"
out=$(client "$T_USER" -3 file check)
like "$out" "capjail-net: fd 3: Socket operation on non-socket" \
    "fd 3 not a socket is refused"
out=$(client "$T_USER" -3 stream check)
like "$out" "fd 3 is not an AF_UNIX SOCK_SEQPACKET socket" \
    "fd 3 a stream socket is refused"
out=$(ip netns exec "$NS" "$CLIENT" -H "$HELPER" -p "$U1:$G1" check 2>&1)
like "$out" "fd 3: peer uid 0 is not ours" "a socket from another uid is refused"
chown "$T_USER" "$CONF"
like "$(client "$T_USER" check)" "capjail-net: $CONF: not owned by root" \
    "a config owned by a user is refused"
conf_std; chmod 0666 "$CONF"
like "$(client "$T_USER" check)" "capjail-net: $CONF: writable by group or others" \
    "a world-writable config is refused"
conf_std; chmod 0664 "$CONF"
like "$(client "$T_USER" check)" "capjail-net: $CONF: writable by group or others" \
    "a group-writable config is refused"
conf_std; mv "$CONF" "$CONF.real"; ln -s "$CONF.real" "$CONF"
like "$(client "$T_USER" check)" "capjail-net: $CONF: is a symbolic link" \
    "a symlinked config is refused"
rm -f "$CONF" "$CONF.real"
out=$(client "$T_USER" check)
like "$out" "capjail-net: $CONF: No such file or directory" "a missing config is refused"
like "$out" "helper exit 1" "... and the helper exits 1"
conf "bridge capjail0 10.89.0.1/24" "usr $T_USER capjail0 jails=1"
like "$(client "$T_USER" check)" "capjail-net: $CONF:2: unknown directive \"usr\"" \
    "a malformed config line is refused with file:line"
conf "# grants nothing, as installed"
out=$(client "$T_USER" attach capjail0 eth0)
like "$out" "type=attach status=1 text=bridge capjail0 is not granted to you, nor is any other: ask the admin" \
    "a policy that grants nothing: the helper starts and refuses"

# --- EOF and SIGKILL of the client remove the link
conf_std
out=$(client "$T_USER" attach capjail0 eth0)
like "$out" "status=0" "attach, then EOF"
like "$out" "helper exit 0" "EOF ends the helper with 0"
is "$(cjlinks)" 0 "EOF removed the host link"
bg "$WORK/k1" "$T_USER" attach capjail0 eth0 hold:"$WORK/never"
wait_for "$WORK/k1" holding
is "$(cjlinks)" 1 "a jail is attached"
kill -KILL "$(ps -o ppid= -p "$(sed -n 's/^netns pid //p' "$WORK/k1")")"
i=0
while [ "$(cjlinks)" -ne 0 ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
is "$(cjlinks)" 0 "SIGKILL of the client removed the host link"

# --- parallel: 20 attaches get 20 addresses; a quota holds under a race
conf "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=25" \
    "user $T_USER2 capjail0 jails=3"
: >"$WORK/par"
for i in $(seq 1 20); do
	bg "$WORK/p$i" "$T_USER" attach capjail0 eth0 hold:"$WORK/r20" release
done
for i in $(seq 1 6); do
	bg "$WORK/q$i" "$T_USER2" attach capjail0 eth0 hold:"$WORK/r20" release
done
for i in $(seq 1 20); do wait_for "$WORK/p$i" holding; done
for i in $(seq 1 6); do wait_for "$WORK/q$i" holding; done
is "$(cat "$WORK"/p* | grep -c 'status=0 ')" 20 "20 parallel attaches succeed"
is "$(cat "$WORK"/p* | sed -n 's/.*addr=\([^ ]*\).*/\1/p' | sort -u | wc -l)" 20 \
    "... with 20 distinct addresses"
is "$(cat "$WORK"/q* | grep -c 'status=0 ')" 3 \
    "6 racing attaches against a quota of 3: exactly 3 win"
is "$(cat "$WORK"/q* | grep -c 'status=122 ')" 3 "... and 3 get EDQUOT"
is "$(cjlinks)" 23 "23 host links exist"
touch "$WORK/r20"
for i in $(seq 1 20); do wait_for "$WORK/p$i" "helper exit"; done
for i in $(seq 1 6); do wait_for "$WORK/q$i" "helper exit"; done
is "$(cjlinks)" 0 "all released"
is "$(cat "$WORK"/p* "$WORK"/q* | grep -c 'helper signal')" 0 "no helper crashed"

done_testing
