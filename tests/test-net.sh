#!/bin/sh
# SPDX-License-Identifier: ISC
# capjail --net=BRIDGE end to end: the launcher and the setcap'ed test
# helper, run by the unprivileged test users inside a throwaway "host"
# network namespace, with a root-owned test config.  Proves the jail's
# network inside (address, route, ping to the gateway), the host side (veth
# on the bridge, birth label naming the user), the helper's refusals as one-line
# errors, teardown on release, EOF and SIGKILL of the launcher, parallel
# leases, -p refusals and --check.
. "$(dirname "$0")/libtest.sh"

[ -x "$CAPJAIL" ] || skip_all "no $CAPJAIL"
[ -x "$HELPER" ] || skip_all "no $HELPER (the helper is not built)"
as_user "$T_USER" unshare -U true 2>/dev/null ||
    skip_all "unprivileged user namespaces do not work here"
NS=cja-$$-host
netns_new "$NS" || skip_all "cannot create a network namespace"

U1=$(id -u "$T_USER")
ERR=$WORK/stderr
SHARE=$WORK/share
mkdir "$SHARE" && chmod 0777 "$SHARE"

printf '%s\n' "bridge capjail0 10.89.0.1/24" "bridge other0 10.90.0.1/24" \
    "user $T_USER capjail0 jails=25 ports=8000-8100" \
    "user $T_USER2 capjail0 jails=1" >"$CONF"
chown root:root "$CONF"
chmod 0644 "$CONF"

# njail USER ARGS...: capjail as USER in the host netns, stderr to $ERR.
njail() {
	_u=$1; shift
	(cd "$WORK" && exec ip netns exec "$NS" setpriv --reuid="$_u" \
	    --regid="$(id -g "$_u")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin:/usr/sbin:/sbin \
	    CAPJAIL_HELPER="$CAPJAIL_HELPER" "$CAPJAIL" "$@") 2>"$ERR"
}

# spawn USER READY ARGS...: a jail in the background that creates
# $SHARE/READY once it runs; $jpid is the launcher.  Waits up to 10 s.
spawn() {
	_u=$1 _r=$2; shift 2
	rm -f "$SHARE/$_r"
	(cd "$WORK" && exec ip netns exec "$NS" setpriv --reuid="$_u" \
	    --regid="$(id -g "$_u")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin:/usr/sbin:/sbin \
	    CAPJAIL_HELPER="$CAPJAIL_HELPER" "$CAPJAIL" \
	    --bind "$SHARE:/mnt" "$@" -- sh -c \
	    "touch /mnt/$_r; i=0; while [ ! -e /mnt/stop ] && [ \$i -lt 600 ];
	    do sleep 0.05; i=\$((i + 1)); done") 2>"$ERR" &
	jpid=$!
	bg_pid "$jpid"
	wait_file "$SHARE/$_r"
}

# Host-side veths on the bridge, and cj* links anywhere in the netns (a
# jail link's name is its quota slot: "cj" + uid + bridge tag + slot).
on_bridge() { ip -n "$NS" -o link show master capjail0 | wc -l | tr -d ' '; }
cjlinks() { ip -n "$NS" -o link show | grep -c ': cj[0-9a-z]*[@:]'; }

# nft's handles for the table's chains, sets and rules: a rewrite renews them.
handles() {
	ip netns exec "$NS" nft -a list table inet capjail 2>/dev/null |
	    grep -o '# handle [0-9]*' | tr '\n' ' '
}

# --- --check on a host where capjail never ran changes nothing
njail "$T_USER" --check >/dev/null
is "$(ip netns exec "$NS" nft list tables | grep -c capjail)" 0 \
    "--check makes no firewall table"
is "$(ip -n "$NS" -o link show type bridge | wc -l | tr -d ' ')" 0 \
    "--check makes no bridge"

# --- a jail on the bridge
out=$(njail "$T_USER" --net=capjail0 -- sh -c \
    'ip -4 -o addr show eth0; ip route; ls /sys/class/net;
    ping -c1 -W2 10.89.0.1 >/dev/null && echo pinged')
is $? 0 "a jail on capjail0 runs"
like "$out" "eth0 +inet 10\.89\.0\.[0-9]+/24" "eth0 has an address on the subnet"
like "$out" "default via 10\.89\.0\.1 dev eth0" "default route via the gateway"
like "$out" "inet 10\.89\.0\.[0-9]+/24 brd 10\.89\.0\.255 scope global eth0" \
    "... the subnet's broadcast"
like "$out" "10\.89\.0\.0/24 dev eth0 proto kernel scope link src 10\.89\.0\." \
    "... and the subnet's route"
unlike "$out" "10\.0\.0\.0/8" "... (10.0.0.0/8, which SIOCSIFADDR gave first)"
like "$out" "eth0
lo" "/sys/class/net shows eth0 and lo"
like "$out" "pinged" "the jail pings the gateway"
is "$(cjlinks)" 0 "after the jail: no veth is left on the host (release)"
h1=$(handles)
like "$h1" "handle [0-9]+ .*handle" "the first jail set up the tables"
njail "$T_USER" --net=capjail0 -- true
is "$(handles)" "$h1" "the next jail's helper finds them right: no rewrite"
nrules() { ip netns exec "$NS" nft -a list table inet capjail | grep -c '# handle'; }
n1=$(nrules)
ip netns exec "$NS" nft delete table bridge capjail
ip netns exec "$NS" nft flush table inet capjail
njail "$T_USER" --net=capjail0 -- true
is $? 0 "after root deleted a table and flushed another, a jail still starts"
ok "$(ip netns exec "$NS" nft list table bridge capjail >/dev/null 2>&1
    echo $?)" "... its helper made the deleted table again"
is "$(nrules)" "$n1" "... and put the flushed rules back"

# PID 1 configures eth0 with ioctls: a netlink socket it had opened would
# hold the jail's netns for an RCU grace period after the command ended.
# At the end a process capjail starts deletes eth0 from inside the jail,
# by name (strace cannot name the type of a netlink message sent in another
# netns: RTM_DELLINK is 0x11); the helper, waiting for the host end to go,
# deletes nothing itself.  (Under ASan, LeakSanitizer cannot run traced: off.)
(cd "$WORK" && ip netns exec "$NS" strace -f -qq -o "$WORK/net.strace" \
    -e trace=socket,ioctl,sendto setpriv --reuid="$T_USER" \
    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
    env ASAN_OPTIONS=detect_leaks=0 CAPJAIL_HELPER="$CAPJAIL_HELPER" \
    "$CAPJAIL" --net=capjail0 -- true) 2>"$ERR"
is $? 0 "under strace, a jail on capjail0 runs (control)"
pid1=$(awk '/ioctl\(.*SIOCSIFADDR.*"eth0"/ { print $1; exit }' \
    "$WORK/net.strace")
like "$pid1" "^[0-9]+$" "PID 1 gives eth0 its address with an ioctl"
# traced PID ERE FILE: how many of FILE's lines PID made that match ERE
# (strace pads a pid shorter than the others with spaces).
traced() { awk -v p="$1" -v re="$2" '$1 == p && $0 ~ re' "$3" | wc -l; }
is "$(traced "$pid1" '^[0-9]+ +socket[(]AF_NETLINK' "$WORK/net.strace")" 0 \
    "PID 1 opens no netlink socket"
is "$(grep -E 'nlmsg_type=(RTM_DELLINK|0x11 )' "$WORK/net.strace" |
    grep -cE '"eth0"|\\x65\\x74\\x68\\x30')" 1 \
    "at the end, one RTM_DELLINK of eth0 from inside"
hpid=$(awk '/socket\(AF_NETLINK, .*NETLINK_NETFILTER/ { print $1; exit }' \
    "$WORK/net.strace")
like "$hpid" "^[0-9]+$" "strace follows the helper (control)"
is "$(traced "$hpid" 'sendto[(].*RTM_DELLINK' "$WORK/net.strace")" 0 \
    "the helper deletes no link: it saw it go"
is "$(cjlinks)" 0 "... and no veth is left on the host"

# capjail returns once the helper has answered the release: the link, its
# firewall state and its ports are gone by then.  The helper ends later,
# by itself (closing its netfilter socket waits, in the kernel, for
# nf_tables to free what the release deleted): nobody waits for that.
(cd "$WORK" && ip netns exec "$NS" strace -f -q -o "$WORK/exit.strace" \
    -e trace=execve,close setpriv --reuid="$T_USER" \
    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
    env ASAN_OPTIONS=detect_leaks=0 CAPJAIL_HELPER="$CAPJAIL_HELPER" \
    "$CAPJAIL" --net=capjail0 -p 8090:80 -- true) 2>"$ERR"
is $? 0 "under strace, a jail publishing a port runs (control)"
lpid=$(awk '{ print $1; exit }' "$WORK/exit.strace")
hpid=$(awk '/execve\(.*capjail-net/ { print $1; exit }' "$WORK/exit.strace")
# ended PID: the line of the trace where PID exited with status 0.
ended() {
	grep -nE "^$1 +\+\+\+ exited with 0 " "$WORK/exit.strace" | cut -d: -f1
}
like "$(ended "$hpid")" "^[0-9]+$" "the helper exits 0 after the release"
ok "$([ "$(ended "$lpid")" -lt "$(ended "$hpid")" ]; echo $?)" \
    "... after capjail has returned"
# (A call another process's interrupts is split: "close(1 <unfinished".)
is "$(traced "$hpid" ' close[(][012][) ]' "$WORK/exit.strace")" 3 \
    "... having closed the caller's stdio (a pipeline ends with capjail)"
fails=
for i in 1 2 3 4 5; do
	njail "$T_USER" --net=capjail0 -p 8090:80 -- true ||
	    fails="$fails $i:$(cat "$ERR")"
done
is "$fails" "" "the next jail publishes the same port at once, five times"
# helpers: this test's helpers still running (other suites may run).
helpers() { pgrep -u "$T_USER" -f "^$CAPJAIL_HELPER" | paste -sd ' ' -; }
i=0
while [ -n "$(helpers)" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
is "$(helpers)" "" "... and every helper ends"

# Under a filter that refuses close_range (a container runtime's profile
# may put one over capjail): PID 1 still holds none of capjail's fds, and
# the process that deletes eth0, unable to shed them (one of them the
# caller's stdout), gives up: the kernel and the helper remove the link.
# pid1fds [FILTER]: PID 1's fds, listed by the jail's command, under strace.
"$TBIN/cj-bpfgen" close_range >"$WORK/noclr.bpf"
pid1fds() {
	(cd "$WORK" && ip netns exec "$NS" strace -f -qq \
	    -o "$WORK/noclr.strace" -e trace=sendto ${1:+"$TBIN/cj-filtered"} \
	    ${1:+"$1"} setpriv --reuid="$T_USER" --regid="$(id -g "$T_USER")" \
	    --init-groups --reset-env env ASAN_OPTIONS=detect_leaks=0 \
	    CAPJAIL_HELPER="$CAPJAIL_HELPER" "$CAPJAIL" --net=capjail0 -- \
	    ls /proc/1/fd 2>"$ERR" | paste -sd ' ' -)
}
# dellinks: how many RTM_DELLINK of eth0 the last pid1fds traced.
dellinks() {
	grep -E 'nlmsg_type=(RTM_DELLINK|0x11 )' "$WORK/noclr.strace" |
	    grep -cE '"eth0"|\\x65\\x74\\x68\\x30'
}
fds=$(pid1fds)
like "$fds" "^0 1 2 " "(control) the jail lists its PID 1's fds"
is "$(dellinks)" 1 "(control) ... and eth0 is deleted from inside"
is "$(pid1fds "$WORK/noclr.bpf")" "$fds" \
    "close_range refused: PID 1 holds the same fds"
is "$(cat "$ERR")" "" "... the jail runs, silently"
is "$(dellinks)" 0 "... no process holding capjail's fds deletes eth0"
is "$(cjlinks)" 0 "... and no veth is left on the host"

# The caller stalls the process that deletes eth0: strace (-D, so that it
# is not capjail's parent) holds every process's first sendto for 5 s, the
# helper's costing only time.  capjail still returns with the veth gone,
# the helper having waited its bounded second and deleted the link itself,
# and the stalled process holds none of capjail's fds: a reader of
# capjail's stdout sees its end while that process still waits.
mkfifo -m 0600 "$SHARE/stall.fifo" && chown "$T_USER" "$SHARE/stall.fifo"
timeout 20 cat "$SHARE/stall.fifo" >"$WORK/stall.out" &
reader=$!
bg_pid "$reader"
(cd "$WORK" && ip netns exec "$NS" strace -D -f -qq -o "$WORK/stall.strace" \
    -e trace=socket,sendto -e inject=sendto:delay_enter=5000000:when=1 \
    setpriv --reuid="$T_USER" --regid="$(id -g "$T_USER")" --init-groups \
    --reset-env env ASAN_OPTIONS=detect_leaks=0 \
    CAPJAIL_HELPER="$CAPJAIL_HELPER" sh -c 'exec "$@" >"$0"' \
    "$SHARE/stall.fifo" "$CAPJAIL" --net=capjail0 -- echo up) 2>"$ERR"
is "$?:$(cjlinks)" 0:0 "the deleter stalled: capjail returns, no veth left"
wait "$reader"
is "$(cat "$WORK/stall.out")" up "... its stdout ended with it"
isunlink() { pgrep -u "$T_USER" -x capjail-unlink >/dev/null; }
ok "$(isunlink; echo $?)" "... while the stalled process still waits (control)"
i=0	# the stalled process ends by itself (bounded)
while isunlink && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
hpid=$(awk '/socket\(AF_NETLINK, .*NETLINK_NETFILTER/ { print $1; exit }' \
    "$WORK/stall.strace")
is "$(traced "$hpid" 'sendto[(].*RTM_DELLINK' "$WORK/stall.strace")" 1 \
    "... the helper deleted the link itself"

# The jail's netns outlives it: its owner moved a process in.  What capjail
# starts deletes the link from inside; were it gone, the helper would delete
# it (the kernel will not take the veth with a netns still alive).
spawn "$T_USER" r0 --net=capjail0 || diag "jail did not start: $(cat "$ERR")"
as_user "$T_USER" nsenter -t "$(pgrep -P "$jpid" -x capjail)" -U -n \
    --preserve-credentials sh -c "touch $SHARE/kept; exec sleep 30" &
keeper=$!
bg_pid "$keeper"
wait_file "$SHARE/kept"
ok $? "a process of the owner holds the netns"
touch "$SHARE/stop"
wait "$jpid"
is "$(cjlinks)" 0 "a netns kept alive: the veth is gone when capjail returns"
kill "$keeper"
rm -f "$SHARE/stop"

# The same, but the owner renamed eth0, so the deleter finds nothing
# to delete and the netns stays alive: the helper, after its bounded wait,
# deletes the link itself (both ends go).
spawn "$T_USER" r0 --net=capjail0 || diag "jail did not start: $(cat "$ERR")"
as_user "$T_USER" nsenter -t "$(pgrep -P "$jpid" -x capjail)" -U -n \
    --preserve-credentials sh -c "ip link set eth0 down &&
    ip link set eth0 name kept0 && echo \$\$ >$SHARE/kept.pid &&
    touch $SHARE/kept2; exec sleep 30" &
keeper=$!
bg_pid "$keeper"
wait_file "$SHARE/kept2"
ok $? "the owner renamed eth0 and holds the netns"
# inkept CMD...: CMD as the owner in the netns that the keeper holds.
inkept() {
	as_user "$T_USER" nsenter -t "$(cat "$SHARE/kept.pid")" -U -n \
	    --preserve-credentials "$@"
}
like "$(inkept ip -o link show 2>&1)" "kept0" "(control) kept0 is there"
touch "$SHARE/stop"
wait "$jpid"
is "$(cjlinks)" 0 "eth0 renamed, netns kept: the veth is gone when capjail returns"
is "$(inkept ip -o link show 2>&1 | grep -c kept0)" 0 "... the jail's end too"
kill "$keeper"
rm -f "$SHARE/stop"

is "$(njail "$T_USER" --net=capjail0 --ifname net0 --ip 10.89.0.77 -- \
    ip -4 -o addr show net0 | awk '{ print $2, $4 }')" "net0 10.89.0.77/24" \
    "--ifname and --ip choose the inside name and address"

# --- the host side, the helper and the launcher while a jail runs
spawn "$T_USER" r1 --net=capjail0 || diag "jail did not start: $(cat "$ERR")"
is "$(on_bridge)" 1 "the host sees one veth on the bridge"
is "$(cjlinks)" 1 "(control) cjlinks counts it"
host=$(ip -n "$NS" -o link show master capjail0 | sed 's/^[0-9]*: \([^@:]*\).*/\1/')
like "$host" "^cj$(printf '%08x' "$U1")[0-9a-z]{2}[0-9a-f]{3}\$" \
    "its name is a quota slot of the user's"
like "$(ip -n "$NS" -d link show "$host")" "group $U1 " \
    "its birth label names the user"
hpid=$(pgrep -P "$jpid" -x capjail-net)
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$hpid/status" 2>/dev/null)
is "$capeff" 0000000000001000 \
    "the helper holds CAP_NET_ADMIN (spawned before no_new_privs), only it"
is "$(readlink "/proc/$hpid/ns/user")" "$(readlink /proc/self/ns/user)" \
    "the helper runs in the host's user namespace"
like "$(grep NoNewPrivs "/proc/$jpid/status")" "1$" \
    "the launcher itself runs with no_new_privs once the helper is up"
kill -KILL "$jpid"
wait "$jpid" 2>/dev/null
i=0
while [ "$(cjlinks)" -ne 0 ] && [ "$i" -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
is "$(cjlinks)" 0 "SIGKILL of the launcher: the helper removes the veth (EOF)"

spawn "$T_USER" r2 --net=capjail0 || diag "jail did not start: $(cat "$ERR")"
kill -TERM "$jpid"
wait "$jpid"
is $? 143 "SIGTERM to a networked jail: the command dies of it"
is "$(cjlinks)" 0 "... and the veth is gone when capjail has exited"

# --- refusals: one line, exit 125, nothing left
njail "$T_USER" --net=other0 -- true
is $? 125 "a bridge not granted: exit 125"
like "$(cat "$ERR")" "^capjail: attach to other0: .*not granted" \
    "a bridge not granted: the helper's reason"
is "$(wc -l < "$ERR" | tr -d ' ')" 1 "a bridge not granted: one line"

spawn "$T_USER2" q1 --net=capjail0 || diag "jail did not start: $(cat "$ERR")"
qpid=$jpid
njail "$T_USER2" --net=capjail0 -- true
is $? 125 "over the quota (jails=1): exit 125"
like "$(cat "$ERR")" "^capjail: attach to capjail0: .*(quota|jail)" \
    "over the quota: the helper's reason"
is "$(on_bridge)" 1 "over the quota: no second veth"
touch "$SHARE/stop"
wait "$qpid"
is $? 0 "the first jail ends normally"
rm -f "$SHARE/stop"

njail "$T_USER" --net=capjail0 -p 9999:80 -- true
is $? 125 "publishing a port outside the grant: exit 125"
like "$(cat "$ERR")" "^capjail: publish 9999:80: " \
    "publishing a port outside the grant: the helper's reason"
is "$(cjlinks)" 0 "after a refused publish the veth is gone (EOF)"

cp "$HELPER" "$WORK/nocap-helper"
chmod 0755 "$WORK/nocap-helper"
CAPJAIL_HELPER=$WORK/nocap-helper njail "$T_USER" --net=capjail0 -- true
is $? 125 "a helper without its file capability: exit 125"
like "$(cat "$ERR")" "file capabilit" "... the helper says why"
is "$(wc -l < "$ERR" | tr -d ' ')" 1 \
    "... in one line: capjail adds no generic line after the helper's"
CAPJAIL_HELPER=/bin/true njail "$T_USER" --net=capjail0 -- true
is $? 125 "a helper that exits without replying: exit 125"
is "$(cat "$ERR")" \
    "capjail: attach to capjail0: the network helper exited with status 0 without replying: run capjail --check" \
    "... with a message that says what to do"
printf '#!/bin/sh\nkill -KILL $$\n' > "$WORK/killed-helper"
chmod 0755 "$WORK/killed-helper"
CAPJAIL_HELPER=$WORK/killed-helper njail "$T_USER" --net=capjail0 -- true
is "$?:$(cat "$ERR")" "125:capjail: attach to capjail0: the network helper was killed by signal 9 (Killed): see the system log" \
    "a helper killed before replying: exit 125, one line naming the signal"
CAPJAIL_HELPER=$WORK/no-such-helper njail "$T_USER" --net=capjail0 -- true
is "$?:$(cat "$ERR")" "125:capjail: network helper $WORK/no-such-helper: No such file or directory" \
    "a helper that cannot be run: exit 125, one line naming it"
out=$(CAPJAIL_HELPER=$WORK/no-such-helper njail "$T_USER" --check)
like "$out" "grants: NOT AVAILABLE" "... and --check says the grants are not available"

# --- 20 jails in parallel get 20 distinct addresses
pids=""
for n in $(seq 1 20); do
	(ERR=$WORK/err.$n; njail "$T_USER" --net=capjail0 \
	    --bind "$SHARE:/mnt" -- sh -c \
	    'ip -4 -o addr show eth0 | awk "{ print \$4 }" > /mnt/.a.$0 &&
	    mv /mnt/.a.$0 /mnt/a.$0
	    i=0; while [ ! -e /mnt/stop ] && [ $i -lt 600 ]; do
	    sleep 0.05; i=$((i + 1)); done' "$n") &
	pids="$pids $!"
	bg_pid $!
done
i=0
naddr() { set -- "$SHARE"/a.*; [ -e "$1" ] && echo $# || echo 0; }
while [ "$(naddr)" -lt 20 ] && [ "$i" -lt 400 ]; do
	sleep 0.05; i=$((i + 1))
done
got=$(cat "$SHARE"/a.* | grep -c '^10\.89\.0\.')
is "$got" 20 "20 jails got addresses"
[ "$got" = 20 ] || cat "$WORK"/err.* | sed 's/^/# /' 
is "$(cat "$SHARE"/a.* | sort -u | wc -l | tr -d ' ')" 20 \
    "... 20 distinct addresses"
is "$(on_bridge)" 20 "... and 20 veths on the bridge"
touch "$SHARE/stop"
st=0
for p in $pids; do wait "$p" || st=1; done
is "$st" 0 "all 20 exit 0"
is "$(cjlinks)" 0 "... and no veth is left"
rm -f "$SHARE/stop"

# --- --check
out=$(njail "$T_USER" --check)
is $? 125 "--check with IPv4 forwarding off: exit 125"
like "$out" "^user namespaces: ok" "--check: user namespaces work"
like "$out" "helper $HELPER: cap_net_admin\+ep: ok" \
    "--check: the helper has its file capability"
like "$out" "bridge capjail0: gateway 10\.89\.0\.1/24, jails 0 of 25 in use, ports 8000-8100" \
    "--check: the grant, from the helper"
like "$out" "WARNING: net.ipv4.ip_forward is 0" "--check: forwarding is off"
unlike "$out" "other0" "--check: only granted bridges"
ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1
out=$(njail "$T_USER" --check)
is $? 0 "--check with everything in place: exit 0"
like "$out" "all good$" "--check: all good"
out=$(CAPJAIL_HELPER=$WORK/nocap-helper njail "$T_USER" --check)
is $? 125 "--check with a helper lacking its capability: exit 125"
like "$out" "NO FILE CAPABILITIES" "--check: says the capability is missing"
# The rest of what --check reads from security.capability itself.
cp "$HELPER" "$WORK/cap-helper"
setcap cap_net_admin+p "$WORK/cap-helper"
like "$(CAPJAIL_HELPER=$WORK/cap-helper njail "$T_USER" --check)" \
    "cap-helper: cap_net_admin\+p: ok" "--check: a permitted-only capability"
setcap cap_net_raw+ep "$WORK/cap-helper"
like "$(CAPJAIL_HELPER=$WORK/cap-helper njail "$T_USER" --check)" \
    "cap-helper: cap_net_admin MISSING" "--check: another capability only"
out=$(njail "$(id -un nobody)" --check)
is $? 125 "--check for a user with no grant: exit 125"
like "$out" "grants: NONE" "--check: says nothing is granted"

# --check tells the truth about the links the config names.
ip -n "$NS" link add fake9 type veth peer name fake9p
printf '%s\n' "bridge fake9 10.91.0.1/24 publish-from=nosuch0" \
    "user $T_USER fake9 jails=1" >"$CONF"
out=$(njail "$T_USER" --check)
is $? 125 "--check with a non-bridge and a missing publish-from: exit 125"
like "$out" "WARNING: fake9 exists and is not a bridge" \
    "--check: a bridge name that is not a bridge"
like "$out" "WARNING: a publish-from interface of fake9 does not exist" \
    "--check: a publish-from interface that does not exist"
ip -n "$NS" link add nosuch0 type veth peer name nosuch0p
unlike "$(njail "$T_USER" --check)" "publish-from interface of fake9" \
    "--check: no warning once the interface exists (control)"

done_testing
