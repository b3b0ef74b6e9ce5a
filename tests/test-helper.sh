#!/bin/sh
# SPDX-License-Identifier: ISC
# capjail-net as deployed: the setcap'ed test helper, run by the
# unprivileged test users through tests/cj-client, inside a throwaway
# "host" network namespace, with test configs written here as root.
# Proves attach (bridge, veth, birth label, link names, reply), the quota
# and grant refusals (also against a helper stopped mid-attach), every
# netns-fd refusal, malformed requests, startup refusals, cleanup on
# release/EOF/SIGKILL, parallel leases and the seccomp filter.
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
# A jail link's primary name is its quota slot (lease.c): "cj" + uid (8
# hex) + bridge tag (2) + slot (3 hex); its address is an altname.
cjlinks() {
	ip -n "$NS" -o link show |
	    grep -c ': cj[0-9a-f]\{8\}[0-9a-z]\{2\}[0-9a-f]\{3\}[@:]'
}
SLOT1=cj$(printf '%08x' "$U1")$(cj_tag capjail0)
# slots: the slot numbers of cjtest1's links on capjail0, sorted.
slots() {
	ip -n "$NS" -o link show |
	    sed -n "s/^[0-9]*: $SLOT1\([0-9a-f]\{3\}\)[@:].*/\1/p" | sort |
	    tr '\n' ' '
}
# primary NAME: the primary name of the link NAME (or altname) resolves to.
primary() {
	ip -n "$NS" -o link show "$1" | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p'
}
# host_ok OUT: the address an attach reply gives is a host of 10.89.0.0/24
# (not its network, broadcast or gateway address), and its MAC and host
# name are made from it; prints the host part, or "bad".
host_ok() {
	_a=$(printf '%s\n' "$1" | field addr)
	_n=${_a#10.89.0.}; _n=${_n%/24}
	case $_a:$_n in
	10.89.0.*/24:[0-9]|10.89.0.*/24:[1-9][0-9]|10.89.0.*/24:[12][0-9][0-9]) ;;
	*) echo bad; return ;;
	esac
	_x=$(printf '%02x' "$_n")
	if [ "$_n" -ge 2 ] && [ "$_n" -le 254 ] &&
	    [ "$(printf '%s\n' "$1" | field mac)" = "02:6a:0a:59:00:$_x" ] &&
	    [ "$(printf '%s\n' "$1" | field host)" = "cj0a5900$_x" ]; then
		echo "$_n"
	else
		echo bad
	fi
}

conf_std() {
	conf "bridge capjail0 10.89.0.1/24" "bridge other0 10.90.0.1/24" \
	    "user $T_USER capjail0 jails=2" "user $T_USER2 capjail0 jails=1" \
	    "$@"
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -n 1; }

# gdb_at PID BREAK GO OUT ACTION...: gdb attaches to the helper PID,
# which holds its request until the file GO exists, lets it run to BREAK,
# then runs the gdb commands ACTION... (OUT: gdb's output); bounded waits.
gdb_at() {
	_p=$1 _b=$2 _go=$3 _out=$4
	shift 4
	for _a; do set -- "$@" -ex "$_a"; shift; done
	gdb -nx -batch -p "$_p" -ex "break $_b" -ex continue "$@" \
	    >"$_out" 2>&1 &
	_gp=$!
	bg_pid $_gp
	_i=0	# until gdb has the helper
	while [ "$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$_p/status" \
	    2>/dev/null)" = 0 ] && [ $_i -lt 1000 ]; do
		sleep 0.01; _i=$((_i + 1))
	done
	touch "$_go"
	_i=0
	while kill -0 "$_gp" 2>/dev/null && [ $_i -lt 2000 ]; do
		sleep 0.01; _i=$((_i + 1))
	done
}

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
like "$out" "attach addr=10\.89\.0\.[0-9]+/24 gw=10\.89\.0\.1 mtu=1500 mac=02:6a:0a:59:00:[0-9a-f]{2} host=cj0a5900[0-9a-f]{2}$" \
    "the reply carries address, prefix, gateway, MTU, MAC and host name"
n1=$(host_ok "$out")
like "$n1" "^[0-9]+$" \
    "the address is a host of the subnet (not network, broadcast, gateway); MAC and host name are made from it"
x1=$(printf '%02x' "$n1" 2>/dev/null)
host1=$(printf '%s\n' "$out" | field host)
hpid=$(echo "$out" | sed -n 's/^helper pid //p')
npid=$(echo "$out" | sed -n 's/^netns pid //p')
like "$(ip -n "$NS" -d link show capjail0)" "bridge forward_delay" \
    "the absent bridge was created"
like "$(ip -n "$NS" -4 addr show capjail0)" "inet 10.89.0.1/24 brd 10.89.0.255" \
    "the bridge has its gateway address"
h=$(ip -n "$NS" -d link show "$host1")
like "$h" "master capjail0" "the host end is on the bridge"
like "$h" "<[^>]*UP" "the host end is up"
like "$h" "group $U1 qlen 2" "born labelled: group = the owner's uid, qlen = quota"
ino=$(printf '%08x' "$(stat -L -c %i "/proc/$npid/ns/net")" |
    sed 's/../&:/g; s/:$//')
like "$h" "link/ether 02:63:$ino " "born labelled: the MAC names the jail's netns"
# Its names (lease.c): the primary name is a quota slot, the altnames
# lease the netns and the address.
p1=$(primary "$host1")
like "$p1" "^${SLOT1}[0-9a-f]{3}\$" \
    "the host end's primary name is its slot: cj + uid + bridge tag + slot"
s1=${p1#"$SLOT1"}
ok "$([ -n "$s1" ] && [ $((0x$s1)) -lt 2 ]; echo $?)" \
    "... and its slot ($s1) is below the quota (2)"
like "$h" "altname cjn$(printf '%08x' "$U1")-$(printf '%x' "$(stat -L -c %i \
    "/proc/$npid/ns/net")")( |\$)" \
    "it has the altname cjn + uid + - + the jail's netns inode (hex)"
like "$h" "altname cj0a5900$x1( |\$)" "it has the altname cj + its address"
is "$(ip -n "$NS" -o link show | grep -c "altname cj0a5900$x1\b")" 1 \
    "... which no other link has"
like "$h" "learning off flood off" "the jail port neither learns nor floods"
p=$(nsenter -t "$npid" -n ip -d link show eth0 2>&1)
like "$p" "link/ether 02:6a:0a:59:00:$x1" "the peer is in the jail's netns, named and addressed"
like "$p" "mtu 1500" "the peer has the bridge's MTU"
nsenter -t "$npid" -n sh -c "ip addr add 10.89.0.$n1/24 dev eth0 &&
    ip link set eth0 up && ping -c 1 -W 3 10.89.0.1" >/dev/null 2>&1
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
is "$(sc sendto)" "errno 9" \
    "its filter: sendto, the call its replies make, passes (control)"
is "$(sc sendmsg)" "killed 31" \
    "its filter: sendmsg kills: the helper can pass the launcher no fd"
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
# An attach lists no links: it looks names up (lease.c), which costs the
# same at any number of jails.  (Under ASan the client's LeakSanitizer
# cannot run traced: off.)
# traced OUT STEP...: cj-client as cjtest1 under strace, to OUT.strace.
traced() {
	_o=$1; shift
	(cd "$WORK" && ip netns exec "$NS" strace -f -qq -o "$_o.strace" \
	    -e trace=recvmsg,sendmsg,sendto setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env ASAN_OPTIONS=detect_leaks=0 \
	    "$CLIENT" -H "$HELPER" "$@" >"$_o" 2>&1)
}
traced "$WORK/attach" attach capjail0 eth0
like "$(cat "$WORK/attach")" "reply type=attach status=0" \
    "under strace, a second jail attaches (control)"
# The helper is the process that talks rtnetlink; from its receipt of the
# request (fd 3) to its reply.
# in_attach REGEX [TRACE]: how many of the helper's sends in that stretch
# match.
in_attach() {
	awk -v re="$1" '!h && /RTM_GETLINK/ { h = $1 }
	    { l[NR] = $0; p[NR] = $1 }
	    END { for (i = 1; i <= NR; i++) {
		if (p[i] != h) continue
		if (l[i] ~ / recvmsg\(3,/) on = 1
		else if (on && l[i] ~ / send(msg|to)\(3,/) break
		else if (on && l[i] ~ re) n++ }
		print n + 0 }' "${2:-$WORK/attach.strace}"
}
DUMP='RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST\\|NLM_F_DUMP'
GET='RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST\\|NLM_F_ACK'
ok "$([ "$(in_attach "$GET")" -ge 3 ]; echo $?)" \
    "(control) the trace shows the attach's lookups of single links"
traced "$WORK/check" check
ok "$([ "$(in_attach "$DUMP" "$WORK/check.strace")" -ge 1 ]; echo $?)" \
    "(control) the same count sees the link dump a check makes"
is "$(in_attach "$DUMP")" 0 "an attach makes no full link dump"
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
out=$(client "$T_USER" attach capjail0 lo)
like "$out" "status=17 text=interface lo already exists in the jail" \
    "a peer name taken inside the jail is refused as such while a jail runs"
is "$(links)" "$before" "... and creates nothing"
bg "$WORK/a2" "$T_USER" attach capjail0 eth0 hold:"$WORK/r1" release
wait_for "$WORK/a2" holding
out2=$(cat "$WORK/a2")
n2=$(host_ok "$out2")
like "$n2" "^[0-9]+$" \
    "the second jail gets a host of the subnet; MAC and host name agree"
ok "$([ "$n2" != "$n1" ]; echo $?)" \
    "... another address than the first's ($n1, $n2)"
is "$(slots)" "000 001 " "the two jails hold the quota's two slots"
l2=$(ip -n "$NS" -o link show "$(printf '%s\n' "$out2" | field host)")
like "$l2" "^[0-9]+: ${SLOT1}[0-9a-f]{3}@.*altname cjn$(printf '%08x' "$U1")-[0-9a-f]+" \
    "... its host end is named for its slot and netns"
like "$l2" "altname cj0a5900$(printf '%02x' "$n2" 2>/dev/null)" \
    "... and for its address"
before=$(links)
out=$(client "$T_USER" attach capjail0 eth0)
like "$out" "status=122 text=quota reached: 2 of 2 jails on capjail0" \
    "the (N+1)th jail is refused with a clear message"
like "$out" "helper exit 0" "a refusal is not fatal"
is "$(links)" "$before" "the refused attach created nothing"
is "$(cjlinks)" 2 "... the two jails' links are all there are"
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
    slash space upper garbage ifname-empty ifname-dot \
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

# --- a helper stopped right after it made its link (before it named it
# for its netns and address) still holds its quota slot.  gdb stops it at
# its first add_name (lease.c claim), then leaves it SIGSTOPped.
if command -v gdb >/dev/null; then
	conf_std
	bg "$WORK/s1" "$T_USER" hold:"$WORK/s1.go" attach capjail0 eth0 \
	    hold:"$WORK/s1.end" release
	wait_for "$WORK/s1" holding
	sp=$(sed -n 's/^helper pid //p' "$WORK/s1")
	gdb_at "$sp" add_name "$WORK/s1.go" "$WORK/gdb.out" \
	    "shell kill -STOP $sp" detach
	i=0	# bounded: until the detached helper is in its group stop
	while [ "$(ps -o stat= -p "$sp" | cut -c1)" != T ] && [ $i -lt 500 ]; do
		sleep 0.01; i=$((i + 1))
	done
	is "$(ps -o stat= -p "$sp" | cut -c1)" T "(control) the helper is stopped"
	sl=$(slots)
	like "$sl" "^[0-9a-f]{3} \$" "(control) ... after it made its link"
	sn=$SLOT1${sl% }
	unlike "$(ip -n "$NS" -o link show "$sn")" "altname|master" \
	    "(control) ... before it named it or joined it to the bridge"
	[ -s "$WORK/gdb.out" ] && [ "$(slots)" = "" ] &&
	    sed 's/^/#   gdb: /' "$WORK/gdb.out"
	bg "$WORK/s2" "$T_USER" attach capjail0 eth0 hold:"$WORK/s1.end" release
	wait_for "$WORK/s2" holding
	like "$(cat "$WORK/s2")" "reply type=attach status=0" \
	    "with one of 2 slots held by a stopped helper, an attach succeeds"
	out=$(client "$T_USER" attach capjail0 eth0)
	like "$out" "status=122 text=quota reached: 2 of 2 jails on capjail0" \
	    "... and the next is refused: the stopped helper's slot counts"
	is "$(cjlinks):$(ip -n "$NS" -o link show "$sn" | cut -d: -f2)" \
	    "2: $sn@if2" "... no third link; the stopped helper's link is kept"
	kill -CONT "$sp"
	wait_for "$WORK/s1" holding 2
	out=$(cat "$WORK/s1")
	like "$out" "reply type=attach status=0" \
	    "continued, the stopped helper completes its attach"
	n3=$(host_ok "$out")
	ok "$([ "$n3" != bad ] && [ "$n3" != "$(host_ok "$(cat "$WORK/s2")")" ]
	    echo $?)" "... with an address of its own"
	like "$(ip -n "$NS" -o link show "$sn")" \
	    "altname cj0a5900$(printf '%02x' "$n3" 2>/dev/null)" \
	    "... named for it, on its own slot"
	touch "$WORK/s1.end"
	wait_for "$WORK/s1" "helper exit" && wait_for "$WORK/s2" "helper exit"
	is "$(cjlinks)" 0 "both released"
else
	skip "no gdb: a helper stopped after making its link"
fi

# --- a lowered quota: links in slots above it still count.  Four jails
# under jails=4; the quota drops to 2 and the jails in slots 000 and 001
# end, so the two left hold 002 and 003 and the slots below 2 are free.
slot_of() {
	ip -n "$NS" -o link show "$(field host <"$1")" | sed -n \
	    's/^[0-9]*: cj[0-9a-f]\{8\}[0-9a-z]\{2\}\([0-9a-f]\{3\}\)[@:].*/\1/p'
}
conf "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=4"
for i in 1 2 3 4; do
	bg "$WORK/l$i" "$T_USER" attach capjail0 eth0 hold:"$WORK/l$i.end" \
	    release
done
for i in 1 2 3 4; do wait_for "$WORK/l$i" holding; done
conf "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=2"
left=""
for i in 1 2 3 4; do
	case $(slot_of "$WORK/l$i") in
	000 | 001) touch "$WORK/l$i.end"; wait_for "$WORK/l$i" "helper exit" ;;
	*) left="$left $i" ;;
	esac
done
is "$(for i in $left; do slot_of "$WORK/l$i"; done | sort | paste -sd ' ' -)" \
    "002 003" "premise: the jails left hold slots 002 and 003"
# A helper killed while it checks the marker (after it deleted the old
# one, before its listing) leaves no marker behind that would hide them.
# markers: lines of map quotas naming cjtest1 (nft 1.0.6 cannot parse
# the map's name, so the table is listed).
markers() {
	ip netns exec "$NS" nft list table inet capjail |
	    sed -n '/map quotas {/,/^[[:space:]]*}$/p' |
	    grep -c "0x$(printf %08x "$U1") \."
}
if command -v gdb >/dev/null; then
	ok "$([ "$(markers)" -ge 1 ]; echo $?)" \
	    "premise: the user has a marker, of its old quota"
	bg "$WORK/lk" "$T_USER" hold:"$WORK/lk.go" attach capjail0 eth0 release
	wait_for "$WORK/lk" holding
	kp=$(sed -n 's/^helper pid //p' "$WORK/lk")
	gdb_at "$kp" fw_genid "$WORK/lk.go" "$WORK/gdb2.out" kill
	like "$(cat "$WORK/gdb2.out")" "Breakpoint 1, fw_genid" \
	    "premise: a helper is killed while it checks the marker"
	is "$(markers)" 0 "... and the user has no marker left"
else
	skip "no gdb: a helper killed while it checks the marker"
fi
out=$(client "$T_USER" attach capjail0 eth0 release)
like "$out" "status=122 text=quota reached: 2 of 2 jails on capjail0" \
    "a quota lowered to 2 refuses a third jail, slots 000 and 001 free"
is "$(cjlinks)" 2 "... and leaves no link"
out=$(client "$T_USER" attach capjail0 eth0 release)
like "$out" "status=122 " "... twice (the marker stays unsettled)"
set -- $left
touch "$WORK/l$1.end"; wait_for "$WORK/l$1" "helper exit"
out=$(client "$T_USER" attach capjail0 eth0 release)
like "$out" "reply type=attach status=0 " \
    "control: with one jail left in slot 002 or 003, a second fits"
touch "$WORK/l$2.end"; wait_for "$WORK/l$2" "helper exit"
is "$(cjlinks)" 0 "... and all are released"

# --- a link an older helper named for its address counts for its owner
conf "bridge capjail0 10.89.0.1/24" "user $T_USER capjail0 jails=1"
ip -n "$NS" link add cj0a5900fb group "$U1" txqlen 1 \
    address 02:63:7f:00:00:02 type veth peer name cjtmp0
out=$(client "$T_USER" attach capjail0 eth0 release)
like "$out" "status=122 text=quota reached: 1 of 1 jails on capjail0" \
    "an older helper's link cj0a5900fb takes the one jail of jails=1"
ip -n "$NS" link del cj0a5900fb
out=$(client "$T_USER" attach capjail0 eth0 release)
like "$out" "reply type=attach status=0 " "control: without it, the jail fits"

# --- the slot search: its lookups grow with log2(quota), not the quota.
# Root names 1022 links for cjtest1's slots 000-3fd of jails=1024 (holding
# the user's collection turn, which would delete them): the attach takes
# the lowest free slot after ~2 log2(1024) lookups, where trying slots at
# random costs ~340.
conf "bridge capjail0 10.89.0.1/22" "user $T_USER capjail0 jails=1024"
ip netns exec "$NS" nft add element inet capjail gcturn "{ $U1 timeout 900s }"
i=0
while [ $i -lt 1022 ]; do
	printf 'link add %s%03x type bridge\n' "$SLOT1" $i
	i=$((i + 1))
done | ip -n "$NS" -b -
is "$(slots | wc -w)" 1022 "premise: 1022 of $T_USER's 1024 slots are named"
(cd "$WORK" && ip netns exec "$NS" strace -f -qq -o "$WORK/slot.strace" \
    -e trace=sendto setpriv --reuid="$T_USER" --regid="$(id -g "$T_USER")" \
    --init-groups --reset-env "$CLIENT" -H "$HELPER" attach capjail0 eth0 \
    hold:"$WORK/slot.end" release >"$WORK/slot.out" 2>&1) &
bg_pid $!
wait_for "$WORK/slot.out" holding
like "$(cat "$WORK/slot.out")" "reply type=attach status=0 " \
    "an attach with 1022 of 1024 slots taken succeeds"
is "$(slots | tr ' ' '\n' | grep -v '^$' | tail -n 1)" 3fe \
    "... in the lowest free slot"
n=$(grep -c "RTM_GETLINK.*\"$SLOT1[0-9a-f]\{3\}\"" "$WORK/slot.strace")
ok "$([ "$n" -ge 10 ] && [ "$n" -le 24 ]; echo $?)" \
    "... after $n lookups of slot names (10 to 24)"
touch "$WORK/slot.end"
wait_for "$WORK/slot.out" "helper exit"
# hinted HINT: an attach with slot_hint HINT (capjail sends jailN's N - 1),
# held; "SLOT LOOKUPS": the slot it took, the lookups of slot names.
hinted() {
	rm -f "$WORK/hint.end" "$WORK/hint.out"
	(cd "$WORK" && ip netns exec "$NS" strace -f -qq -o "$WORK/hint.strace" \
	    -e trace=sendto setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env "$CLIENT" \
	    -H "$HELPER" attach-hint capjail0 eth0 "$1" hold:"$WORK/hint.end" \
	    release >"$WORK/hint.out" 2>&1) &
	bg_pid $!
	wait_for "$WORK/hint.out" holding
	grep -q "reply type=attach status=0 " "$WORK/hint.out" &&
	    echo "$(slots | tr ' ' '\n' | grep -v '^$' | tail -n 1)" \
	    "$(grep -c "RTM_GETLINK.*\"$SLOT1[0-9a-f]\{3\}\"" "$WORK/hint.strace")"
	touch "$WORK/hint.end"
	wait_for "$WORK/hint.out" "helper exit"
}
is "$(hinted 1022)" "3fe 2" \
    "slot_hint 1022, free: slot 3fe after one lookup (and the claim's)"
set -- $(hinted 5)
ok "$([ "$1" = 3fe ] || [ "$1" = 3ff ]; echo $?)" \
    "slot_hint 5, taken: a free slot all the same ($1)"
set -- $(hinted 4294967295)
is "$1" 3fe "slot_hint 2^32-1, past the quota: from slot 0, the lowest free"
ok "$([ "$2" -ge 10 ] && [ "$2" -le 24 ]; echo $?)" \
    "... after $2 lookups, as with no hint"
set -- $(hinted 1024)
is "$1" 3fe "slot_hint 1024, the quota itself: from slot 0, never past it"
set -- $(hinted 1023)
is "$1" 3fe "slot_hint 1023, the top slot: from slot 0 as well"
is "$(slots | wc -w)" 1022 "... and each hinted attach gave its slot back"
i=0
while [ $i -lt 1022 ]; do
	printf 'link del %s%03x\n' "$SLOT1" $i
	i=$((i + 1))
done | ip -n "$NS" -b -
ip netns exec "$NS" nft delete element inet capjail gcturn "{ $U1 }"
is "$(cjlinks)" 0 "... and all are gone"

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
