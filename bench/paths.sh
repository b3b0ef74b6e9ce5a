# SPDX-License-Identifier: ISC
# bench/paths.sh: the ways bench/ puts a server behind a published port
# of the seed topology's HOST (eth0 192.0.2.1), reached from its LAN
# namespace (192.0.2.2).  Sourced after bench/lib.sh by throughput.sh and
# http.sh, which bring the server (iperf3, lighttpd) and the client.
#   capjail  as cjtest1: capjail --net=capjail0 -p PORT:SPORT -- SERVER
#   open     capjail's jail again, measured while every per-packet chain
#            of capjail's (the port's ingress, jailin, forward, jailout,
#            the bridge's output) begins with an accept: the ceiling any
#            cut of capjail's rules could reach (the hooks stay)
#   ref      by hand in HOST: a second bridge, a static veth into a
#            namespace, one nft DNAT rule in a table of its own and one
#            forward accept (capjail's base chains in HOST see it too)
#   bare     the same in a second host namespace HOST2 (eth0 192.0.3.1,
#            reached through the LAN's eth1) where no other firewall
#            exists: the kernel's ceiling for this path, the anchor
#   slirp    as cjtest1: unshare -Urn SERVER, slirp4netns on it, port
#            forwarding through its --api-socket (add_hostfwd)
#   pasta    as cjtest1: pasta -f -q --config-net -t PORT:SPORT -- SERVER
# Every server runs as cjtest1 and listens on SPORT inside its namespace.
# Every process started here is ended by paths_cleanup (the exit trap).

# BENCH_PATHS: a subset, in this order (e.g. "bare ref capjail" when
# only capjail's cost against its anchors is in question).
PATHS=${BENCH_PATHS:-"bare ref capjail open slirp pasta"}
CJ_PID=""
# paths_config: cjtest1 may publish the bench's host ports.
paths_config() {
	sed -i "/^user $T_USER /s/ports=[0-9-]*/ports=5201-5299/" "$CONF"
}
path_port() {
	case $1 in
	capjail | open) echo 5201 ;; ref | bare) echo 5202 ;;
	slirp) echo 5203 ;; pasta) echo 5204 ;;
	esac
}
path_addr() { if [ "$1" = bare ]; then echo 192.0.3.1; else echo "$HOST_ADDR"; fi; }
path_log() { echo "$WORK/server-$1.log"; }
path_label() {
	case $1 in
	capjail) echo "capjail" ;; ref) echo "by hand, next to capjail" ;;
	open) echo "capjail, its rules skipped" ;;
	bare) echo "by hand, own netns" ;;
	slirp) echo "slirp4netns" ;; pasta) echo "pasta" ;;
	esac
}

paths_cleanup() {
	if [ -n "$CJ_PID" ] && kill -0 "$CJ_PID" 2>/dev/null; then
		kill -TERM "$CJ_PID" 2>/dev/null
		wait_gone "$CJ_PID" || kill -KILL "$CJ_PID" 2>/dev/null
	fi
	bg_groups_kill
}

# as_user_in NETNS CMD...: CMD as cjtest1 in NETNS, in a session of its
# own (recorded for paths_cleanup).
as_user_in() {
	_ns=$1; shift
	(exec setsid ip netns exec "$_ns" setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@") \
	    >>"$_log" 2>&1 </dev/null &
	BG_GROUPS="$BG_GROUPS $!"
}

# by_hand HOSTNS NAME SERVER...: in HOSTNS, bridge tpbr1 10.88.0.1/24 and
# a veth into a new namespace NAME (10.88.0.2), the DNAT of eth0's port
# 5202 and a forward accept in table ip cjcbench; SERVER runs in NAME.
# (Interface names must not start with "cj": capjail's bridge table treats
# every cj* port as a jail's.)
by_hand() {
	_h=$1 _n=$2; shift 2
	netns_new "$_n" || return 1
	ip -n "$_h" link add tpbr1 type bridge &&
	ip -n "$_h" addr add 10.88.0.1/24 dev tpbr1 &&
	ip -n "$_h" link set tpbr1 up &&
	ip -n "$_h" link add tpv1 type veth peer name eth0 netns "$_n" &&
	ip -n "$_h" link set tpv1 master tpbr1 up &&
	ip -n "$_n" addr add 10.88.0.2/24 dev eth0 &&
	ip -n "$_n" link set eth0 up &&
	ip -n "$_n" route add default via 10.88.0.1 || return 1
	ip netns exec "$_h" nft -f - <<NFTEOF || return 1
table ip cjcbench {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "eth0" tcp dport 5202 dnat to 10.88.0.2:$SPORT
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct status dnat accept
	}
}
NFTEOF
	as_user_in "$_n" "$@"
}

start_ref() { by_hand "$HOST" "$PFX-ref" "$@"; }

start_bare() {
	HOST2=$PFX-host2
	netns_new "$HOST2" || return 1
	ip -n "$HOST2" link add eth0 type veth peer name eth1 netns "$LAN" &&
	ip -n "$HOST2" addr add 192.0.3.1/24 dev eth0 &&
	ip -n "$HOST2" link set eth0 up &&
	ip -n "$LAN" addr add 192.0.3.2/24 dev eth1 &&
	ip -n "$LAN" link set eth1 up &&
	ip netns exec "$HOST2" sysctl -qw net.ipv4.ip_forward=1 || return 1
	by_hand "$HOST2" "$PFX-bare" "$@"
}

start_capjail() {
	in_host "$T_USER" "$CAPJAIL" --net=capjail0 -p "5201:$SPORT" \
	    ${CJ_OPTS:-} -- "$@" >>"$_log" 2>&1 </dev/null &
	CJ_PID=$!
	bg_pid "$CJ_PID"
}

# open: capjail's own server; capjail must have come up (PATHS order).
start_open() {
	[ -n "$CJ_PID" ] && kill -0 "$CJ_PID" 2>/dev/null ||
	    { echo "capjail is not running"; return 1; }
}

# open_chains: "FAMILY TABLE CHAIN" of each chain every packet to or from
# a jail passes, the port's ingress chains included; fails if the port's
# chains cannot be listed.
open_chains() {
	_nd=$(ip netns exec "$HOST" nft list table netdev capjail) || return 1
	printf 'inet capjail %s\n' jailin forward jailout
	echo "bridge capjail output"
	printf '%s\n' "$_nd" |
	    awk '/^\tchain p[0-9]+ / { print "netdev capjail " $2 }'
}

# path_enter PATH, path_leave PATH: around each measurement; for open,
# put an accept (commented cjc-open) at the top of every chain of
# open_chains, then take each of those out again by its handle.
# path_leave fails if any is left: the next path may be capjail itself.
path_enter() {
	[ "$1" = open ] || return 0
	_oc=$(open_chains) || return 1
	printf '%s\n' "$_oc" | while read -r _f _t _c; do
		ip netns exec "$HOST" nft insert rule "$_f" "$_t" "$_c" \
		    accept comment cjc-open || exit 1
	done
}
path_leave() {
	[ "$1" = open ] || return 0
	_oc=$(open_chains) || return 1
	printf '%s\n' "$_oc" | while read -r _f _t _c; do
		ip netns exec "$HOST" nft -a list chain "$_f" "$_t" "$_c" |
		    awk '/comment "cjc-open"/ { print $NF }' | while read -r _h; do
			ip netns exec "$HOST" nft delete rule "$_f" "$_t" "$_c" \
			    handle "$_h"
		done
	done
	! ip netns exec "$HOST" nft list ruleset | grep -q cjc-open
}

# slirp: the server in an `unshare -Urn` namespace, slirp4netns on it,
# then the port forwarding through its API socket.
start_slirp() {
	_sd=$WORK/slirp
	mkdir -m 0700 "$_sd" && chown "$T_USER:" "$_sd" || return 1
	bg_tun_user "$_log.outer" "$T_USER" sh -c '
	    d=$1; shift
	    unshare -Urn "$@" >"$d/server.log" 2>&1 &
	    sp=$! i=0
	    me=$(readlink /proc/self/ns/net)
	    while [ "$(readlink /proc/$sp/ns/net 2>/dev/null)" = "$me" ] &&
		[ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	    exec slirp4netns --configure --mtu=65520 --disable-host-loopback \
		--api-socket "$d/api.sock" "$sp" tap0' sh "$_sd" "$@"
	_i=0
	while [ ! -S "$_sd/api.sock" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	_req='{"execute":"add_hostfwd","arguments":{"proto":"tcp",'
	_req=$_req'"host_addr":"0.0.0.0","host_port":5203'
	_req=$_req',"guest_port":'$SPORT'}}'
	_r=$(printf '%s\n' "$_req" |
	    socat -t 2 - UNIX-CONNECT:"$_sd/api.sock" 2>&1)
	case $_r in *'"return"'*) return 0 ;; esac
	echo "slirp4netns add_hostfwd: $_r" >&2
	return 1
}

start_pasta() {
	host_default_route || return 1
	bg_tun_user "$_log" "$T_USER" pasta -f -q --config-net \
	    -t "5204:$SPORT" -u none -T none -U none -- "$@"
}

# paths_up PROBE SERVER...: start SERVER behind every path and wait
# (bounded: 30 probes) until PROBE PATH succeeds; PATHS_UP is the list
# of the paths that came up, PATH_FAIL_<path> why one did not.
paths_up() {
	_probe=$1; shift
	PATHS_UP=""
	for _p in $PATHS; do
		_log=$(path_log "$_p") _why=""
		if ! "start_$_p" "$@" >"$WORK/start-$_p.err" 2>&1; then
			_why=$(head -n 1 "$WORK/start-$_p.err")
			: "${_why:=start failed}"
		elif ! paths_wait "$_probe" "$_p"; then
			_why="no answer on $(path_addr "$_p"):$(path_port "$_p")"
		fi
		if [ -n "$_why" ]; then
			eval "PATH_FAIL_$_p=\$_why"
			say "$(path_label "$_p"): not measured: $_why"
			sed -n '1,10s/^/#   /p' "$_log" "$_log.outer" 2>/dev/null
			continue
		fi
		PATHS_UP="$PATHS_UP $_p"
		say "$(path_label "$_p"): up on $(path_addr "$_p"):$(path_port "$_p")"
	done
	[ -n "$PATHS_UP" ]
}
paths_wait() {
	_i=0
	while [ $_i -lt 30 ]; do
		if [ "$2" = capjail ] && ! kill -0 "$CJ_PID" 2>/dev/null; then
			return 1
		fi
		"$1" "$2" && return 0
		sleep 0.3
		_i=$((_i + 1))
	done
	return 1
}

# paths_rounds NAME MEASURE MODE...: ROUNDS rounds over the paths that
# came up, in an order rotated every round; MEASURE PATH MODE prints one
# sample (nothing when the run failed), recorded as "PATH-MODE ROUND V"
# in $OUT/NAME.tsv.  Succeeds when every path came up.
paths_rounds() {
	_name=$1 _fn=$2; shift 2
	rm -f "$OUT/$_name.tsv"
	_r=0
	while [ $_r -lt "$ROUNDS" ]; do
		# shellcheck disable=SC2086
		for _p in $(rotate $_r $PATHS_UP); do
			for _m; do
				_v=""
				path_enter "$_p" && _v=$("$_fn" "$_p" "$_m")
				path_leave "$_p" || { say "round $((_r + 1)):" \
				    "capjail's rules could not be put back"; return 1; }
				say "round $((_r + 1)) $_p $_m: ${_v:-failed}"
				[ -n "$_v" ] && record "$_name" "$_p-$_m" "$_r" "$_v"
			done
		done
		_r=$((_r + 1))
	done
	[ -z "$(for _p in $PATHS; do eval "echo \${PATH_FAIL_$_p:-}"; done)" ]
}
