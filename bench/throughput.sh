#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/throughput.sh: one TCP stream (iperf3), both directions, from the
# seed topology's LAN namespace to a server behind a published port on the
# HOST namespace's eth0 (192.0.2.1), side by side in one run for:
#   capjail   as cjtest1: capjail --net=capjail0 -p 5201:5201 -- iperf3 -s
#   by hand   root: a second bridge in HOST, a static veth into a namespace,
#             one nft DNAT rule in its own table + one forward accept rule
#             (the kernel's ceiling for this path); the ratios are to it
#   by hand in its own namespace: the same in a second host namespace,
#             reached through a second LAN link, where no capjail table
#             exists (capjail's base chains in HOST see (b)'s packets too)
#   slirp4netns  as cjtest1, port forwarding through --api-socket add_hostfwd
#   pasta     as cjtest1, pasta -t (tun: see below)
# and the client address each server saw (DNAT keeps 192.0.2.2).
#
# /dev/net/tun is 0600 on these machines: the user side of slirp4netns and
# pasta runs in a private mount namespace where a 0666 tun node (on a
# tmpfs mounted over /dev/net) replaces it; the host's /dev is untouched.
#
# Runs as root; the jails and peers run as the unprivileged cjtest1.  Only
# throwaway network namespaces named cjc-*; nothing here touches the
# machine's own interfaces, routes or firewall.  Not part of `make check`.
#
# Environment: BUILD (default ./build), TESTDIR (default /tmp/cj-bench),
# DURATION seconds per direction (default 5), ROUNDS (default 3; the table
# shows the median of the rounds, paths interleaved in a rotating order).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
: "${TESTDIR:=/tmp/cj-bench}"
export TESTDIR
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
[ "$(id -u)" -eq 0 ] || { echo "throughput: run as root" >&2; exit 1; }
for c in iperf3 slirp4netns pasta socat jq nft setpriv unshare setsid; do
	command -v "$c" >/dev/null ||
	    { echo "throughput: $c missing (sh scripts/deps.sh bench)" >&2; exit 1; }
done

# Stage what exists: the peers need only the users, so a launcher or
# helper that does not build yet only drops the capjail row.
# Staging empties $TESTDIR: one bench (or test run) at a time per TESTDIR.
exec 9>"$TESTDIR.lock"
flock -n 9 || { echo "throughput: $TESTDIR is in use by another run" >&2; exit 1; }
. "$top/tests/stage.sh"
ensure_user cjtest1 300000 && ensure_user cjtest2 400000 ||
    { echo "throughput: cannot create the test users" >&2; exit 1; }
cj_missing=""
if ! stage 2>/dev/null; then
	cj_missing="no staged binaries in $B (make test-progs failed?)"
	mkdir -p "$TESTDIR" && chmod 0755 "$TESTDIR"
elif ! "$TESTDIR/capjail" --help 2>&1 | grep -q -- '--net'; then
	cj_missing="$B/capjail has no --net"
fi
. "$top/tests/libtest.sh"
. "$top/tests/seed.sh"

PORT_CJ=5201 PORT_REF=5202 PORT_SLIRP=5203 PORT_PASTA=5204
_pgroups=""		# process groups (setsid) of the slirp4netns/pasta stacks
CJ_PID=""
bench_cleanup() {
	if [ -n "$CJ_PID" ] && kill -0 "$CJ_PID" 2>/dev/null; then
		kill -TERM "$CJ_PID" 2>/dev/null
		wait_gone "$CJ_PID" || kill -KILL "$CJ_PID" 2>/dev/null
	fi
	for _g in $_pgroups; do kill -KILL "-$_g" 2>/dev/null; done
}
# The cleanup must survive a closed stdout (| head) and run on HUP/PIPE.
trap 'trap "" PIPE; bench_cleanup; _cleanup; rm -rf "$TESTDIR"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE

say() { printf '# %s\n' "$*"; }

seed_topology "cjc-tp$$" || { echo "throughput: topology failed" >&2; exit 1; }
seed_config
# The bench publishes 5201, outside the seed's 8000-8999 grant.
sed -i "/^user $T_USER /s/ports=[0-9-]*/ports=5201-5299/" "$CONF"

# bg_user_tun LOG CMD...: start CMD in the background as cjtest1 in HOST,
# in a private mount namespace whose /dev/net/tun is a 0666 node, in a
# session of its own (so the exit trap can end the whole group).
bg_user_tun() {
	_log=$1; shift
	(exec setsid ip netns exec "$HOST" unshare -m --propagation private \
	    sh -c 'mount -t tmpfs -o mode=0755,size=16k cjc-tun /dev/net &&
		mknod -m 0666 /dev/net/tun c 10 200 || exit 1
		u=$1; shift
		exec setpriv --reuid="$u" --regid="$(id -g "$u")" \
		    --init-groups --reset-env \
		    env PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"' \
	    sh "$T_USER" "$@") >"$_log" 2>&1 </dev/null &
	_pgroups="$_pgroups $!"
}

# by_hand HOSTNS NAME: in HOSTNS, bridge tpbr1 10.88.0.1/24 and a veth
# into a new namespace NAME (10.88.0.2), one DNAT rule for eth0 port
# PORT_REF and one forward accept, in table ip cjcbench; iperf3 -s there.
# (Interface names must not start with "cj": capjail's bridge table treats
# every cj* port as a jail's.)
by_hand() {
	netns_new "$2" || return 1
	ip -n "$1" link add tpbr1 type bridge &&
	ip -n "$1" addr add 10.88.0.1/24 dev tpbr1 &&
	ip -n "$1" link set tpbr1 up &&
	ip -n "$1" link add tpv1 type veth peer name eth0 netns "$2" &&
	ip -n "$1" link set tpv1 master tpbr1 up &&
	ip -n "$2" addr add 10.88.0.2/24 dev eth0 &&
	ip -n "$2" link set eth0 up &&
	ip -n "$2" route add default via 10.88.0.1 || return 1
	ip netns exec "$1" nft -f - <<NFTEOF || return 1
table ip cjcbench {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "eth0" tcp dport $PORT_REF dnat to 10.88.0.2:5201
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct status dnat accept
	}
}
NFTEOF
	ip netns exec "$2" setsid iperf3 -s -p 5201 --forceflush \
	    >"$WORK/$2.log" 2>&1 </dev/null &
	_pgroups="$_pgroups $!"
}

# (b) by hand in HOST, next to capjail (whose base chains see this
# traffic too).
start_ref() { by_hand "$HOST" "cjc-tp$$-ref"; }

# (b0) the same in a second host namespace, HOST2 (eth0 192.0.3.1, a veth
# to the LAN's eth1 192.0.3.2): no other firewall at all.
start_bare() {
	HOST2=cjc-tp$$-host2
	netns_new "$HOST2" || return 1
	ip -n "$HOST2" link add eth0 type veth peer name eth1 netns "$LAN" &&
	ip -n "$HOST2" addr add 192.0.3.1/24 dev eth0 &&
	ip -n "$HOST2" link set eth0 up &&
	ip -n "$LAN" addr add 192.0.3.2/24 dev eth1 &&
	ip -n "$LAN" link set eth1 up &&
	ip netns exec "$HOST2" sysctl -qw net.ipv4.ip_forward=1 || return 1
	by_hand "$HOST2" "cjc-tp$$-bare"
}

# (a) capjail, as the brief's command line.
start_capjail() {
	[ -z "$cj_missing" ] || return 1
	in_host "$T_USER" "$CAPJAIL" --net=capjail0 -p "$PORT_CJ:5201" -- \
	    iperf3 -s --forceflush >"$WORK/capjail.log" 2>&1 </dev/null &
	CJ_PID=$!
	bg_pid "$CJ_PID"
}

# (c) slirp4netns: iperf3 in an `unshare -Urn` namespace, slirp4netns on
# it, then the port forwarding through its API socket.
start_slirp() {
	SD=$WORK/slirp
	mkdir -m 0700 "$SD" && chown "$T_USER:" "$SD" || return 1
	bg_user_tun "$WORK/slirp-outer.log" sh -c '
	    d=$1
	    unshare -Urn iperf3 -s -p 5201 --forceflush >"$d/server.log" 2>&1 &
	    sp=$! i=0
	    me=$(readlink /proc/self/ns/net)
	    while [ "$(readlink /proc/$sp/ns/net 2>/dev/null)" = "$me" ] &&
		[ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	    exec slirp4netns --configure --mtu=65520 --disable-host-loopback \
		--api-socket "$d/api.sock" "$sp" tap0 >"$d/slirp.log" 2>&1' \
	    sh "$SD"
	_i=0
	while [ ! -S "$SD/api.sock" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	_req='{"execute":"add_hostfwd","arguments":{"proto":"tcp",'
	_req=$_req'"host_addr":"0.0.0.0","host_port":'$PORT_SLIRP
	_req=$_req',"guest_port":5201}}'
	_r=$(printf '%s\n' "$_req" |
	    socat -t 2 - UNIX-CONNECT:"$SD/api.sock" 2>&1)
	case $_r in *'"return"'*) return 0 ;; esac
	echo "slirp4netns add_hostfwd: $_r" >&2
	return 1
}

# (d) pasta -t: --config-net copies HOST's eth0 and needs a default route.
start_pasta() {
	ip -n "$HOST" route replace default via "$LAN_ADDR" || return 1
	bg_user_tun "$WORK/pasta.log" pasta -f -q --config-net \
	    -t "$PORT_PASTA:5201" -u none -T none -U none -- \
	    iperf3 -s -p 5201 --forceflush
}

port_of() {
	case $1 in
	capjail) echo $PORT_CJ ;; ref | bare) echo $PORT_REF ;;
	slirp) echo $PORT_SLIRP ;; pasta) echo $PORT_PASTA ;;
	esac
}
addr_of() { if [ "$1" = bare ]; then echo 192.0.3.1; else echo "$HOST_ADDR"; fi; }
log_of() {
	case $1 in
	capjail) echo "$WORK/capjail.log" ;; ref) echo "$WORK/cjc-tp$$-ref.log" ;;
	bare) echo "$WORK/cjc-tp$$-bare.log" ;;
	slirp) echo "$WORK/slirp/server.log" ;; pasta) echo "$WORK/pasta.log" ;;
	esac
}
label_of() {
	case $1 in
	capjail) echo "(a) capjail" ;; ref) echo "(b) by hand, nft DNAT" ;;
	bare) echo "(b0) (b) in its own ns" ;;
	slirp) echo "(c) slirp4netns" ;; pasta) echo "(d) pasta -t" ;;
	esac
}

# iperf PATH [-R]: one DURATION-second run; prints "bits/s retransmits"
# (bits/s as the receiver counted them), nothing on failure.
iperf() {
	_a=$(addr_of "$1") _p=$(port_of "$1"); shift
	ip netns exec "$LAN" timeout $((DURATION + 20)) iperf3 -c "$_a" \
	    -p "$_p" -t "$DURATION" --connect-timeout 3000 -J "$@" 2>/dev/null |
	    jq -r 'if .error then empty else
		"\(.end.sum_received.bits_per_second) \(.end.sum_sent.retransmits // 0)"
		end' 2>/dev/null
}

# wait_ready PATH [PID]: a 1-second run succeeds (bounded: 30 tries, and
# no longer than PID lives); also the warm-up.
wait_ready() {
	_i=0
	while [ $_i -lt 30 ]; do
		[ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
		ip netns exec "$LAN" timeout 10 iperf3 -c "$(addr_of "$1")" \
		    -p "$(port_of "$1")" \
		    -t 1 --connect-timeout 1000 -J 2>/dev/null |
		    jq -e '.error == null' >/dev/null 2>&1 && return 0
		sleep 0.3
		_i=$((_i + 1))
	done
	return 1
}

median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) exit;
	    if (NR % 2) print a[(NR + 1) / 2];
	    else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

say "throughput: $(uname -r), $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg), iperf3 one TCP stream," \
    "${DURATION}s per direction, $ROUNDS rounds (medians shown)"
say "client: LAN $LAN_ADDR -> $HOST_ADDR (HOST eth0) or 192.0.3.1 (HOST2 eth0, for b0); veth MTU 1500"
paths=""
for p in bare ref capjail slirp pasta; do
	why=""
	if ! "start_$p" >"$WORK/start-$p.err" 2>&1; then
		why=$(head -n 1 "$WORK/start-$p.err")
		[ -n "$why" ] || why="start failed"
		[ "$p" = capjail ] && [ -n "$cj_missing" ] && why=$cj_missing
	elif ! wait_ready "$p" "$([ $p = capjail ] && echo "$CJ_PID")"
	then
		why="no iperf3 answer on $(addr_of "$p"):$(port_of "$p")"
		if [ "$p" = capjail ] && ! kill -0 "$CJ_PID" 2>/dev/null; then
			why="capjail exited: $(head -n 1 "$WORK/capjail.log")"
		fi
	fi
	if [ -n "$why" ]; then
		eval "fail_$p=\$why"
		say "$(label_of "$p"): not measured: $why"
		extra=""
		[ "$p" = slirp ] &&
		    extra="$WORK/slirp/slirp.log $WORK/slirp-outer.log"
		for f in "$(log_of "$p")" $extra; do
			[ -s "$f" ] && sed -n '1,15s/^/#   /p' "$f"
		done
		continue
	fi
	paths="$paths $p"
	say "$(label_of "$p"): up on $(addr_of "$p"):$(port_of "$p")"
done
[ -n "$paths" ] || { echo "throughput: no path came up" >&2; exit 1; }

# rotate N WORDS...: the words rotated left N times.
rotate() {
	_n=$1; shift
	while [ "$_n" -gt 0 ]; do _f=$1; shift; set -- "$@" "$_f"; _n=$((_n - 1)); done
	echo "$@"
}

# shellcheck disable=SC2086
set -- $paths
npaths=$#
r=0
while [ $r -lt "$ROUNDS" ]; do
	# shellcheck disable=SC2086
	for p in $(rotate $((r % npaths)) $paths); do
		for dir in in out; do
			[ $dir = out ] && rev=-R || rev=""
			# shellcheck disable=SC2086
			res=$(iperf "$p" $rev)
			if [ -z "$res" ]; then
				say "round $((r + 1)) $p $dir: failed"
				continue
			fi
			echo "$r ${res% *}" >>"$WORK/res-$p-$dir"
			say "round $((r + 1)) $p $dir:" \
			    "$(echo "$res" | awk '{ printf "%.2f Gbit/s, %d retransmits", $1 / 1e9, $2 }')"
		done
	done
	r=$((r + 1))
done

# Result files hold "ROUND BITS/S" lines.
med() { awk '{ print $2 }' "$1" | median; }
gbps() { [ -s "$1" ] && med "$1" | awk '{ printf "%.2f", $1 / 1e9 }'; }
ratio() {	# ratio FILE REFFILE: of the medians
	[ -s "$1" ] && [ -s "$2" ] || { echo "-"; return; }
	echo "$(med "$1") $(med "$2")" | awk '{ printf "%.3f", $1 / $2 }'
}
paired() {	# paired FILE REFFILE: median, min, max of same-round ratios
	[ -s "$1" ] && [ -s "$2" ] || { echo "-"; return; }
	awk 'NR == FNR { ref[$1] = $2; next }
	    ($1 in ref) && ref[$1] > 0 { print $2 / ref[$1] }' "$2" "$1" |
	    sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.3f (%.3f..%.3f over %d rounds)", m, a[1], a[NR], NR }'
}
seen() {	# the client address the server saw, and its own
	_l=$(log_of "$1")
	_from=$(grep -o 'Accepted connection from [^,]*' "$_l" 2>/dev/null |
	    tail -n 1 | awk '{ print $4 }')
	_to=$(grep -o 'local [0-9.]* port [0-9]* connected' "$_l" 2>/dev/null |
	    tail -n 1 | awk '{ print $2 }')
	echo "${_from:-?} (server at ${_to:-?})"
}

echo
printf '%-24s %10s %10s %15s  %s\n' path "Gbit/s in" "Gbit/s out" \
    "ratio in/out" "client as seen by the server"
ref_in=$WORK/res-ref-in ref_out=$WORK/res-ref-out
for p in capjail ref bare slirp pasta; do
	eval "why=\${fail_$p:-}"
	if [ -n "$why" ]; then
		printf '%-24s %10s %10s %15s  %s\n' "$(label_of "$p")" - - - \
		    "not measured: $why"
		continue
	fi
	printf '%-24s %10s %10s %15s  %s\n' "$(label_of "$p")" \
	    "$(gbps "$WORK/res-$p-in")" "$(gbps "$WORK/res-$p-out")" \
	    "$(ratio "$WORK/res-$p-in" "$ref_in")/$(ratio "$WORK/res-$p-out" "$ref_out")" \
	    "$(seen "$p")"
done
echo "(in: LAN client -> server, out: iperf3 -R; ratio to (b), same direction)"
if [ -z "${fail_capjail:-}" ]; then
	ci=$(ratio "$WORK/res-capjail-in" "$ref_in")
	co=$(ratio "$WORK/res-capjail-out" "$ref_out")
	verdict=$(echo "$ci $co" | awk '{ print ($1 >= 0.97 && $2 >= 0.97) ? "met" : "NOT met" }')
	echo "capjail / (b): in $ci, out $co (target >= 0.97: $verdict)"
	echo "  same-round ratios: in $(paired "$WORK/res-capjail-in" "$ref_in")," \
	    "out $(paired "$WORK/res-capjail-out" "$ref_out")"
	[ -z "${fail_bare:-}" ] && echo "capjail / (b0):" \
	    "in $(ratio "$WORK/res-capjail-in" "$WORK/res-bare-in")," \
	    "out $(ratio "$WORK/res-capjail-out" "$WORK/res-bare-out")"
fi
[ -z "${fail_capjail:-}${fail_ref:-}${fail_bare:-}${fail_slirp:-}${fail_pasta:-}" ]
