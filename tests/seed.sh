# SPDX-License-Identifier: ISC
# The seed scenario's topology, sourced after tests/libtest.sh by the
# firewall test and by scripts/demo.sh.  Three kinds of throwaway network
# namespace: "$LAN" (a client at 192.0.2.2), "$HOST" (where the bridge, the
# helper and the firewall live; eth0 at 192.0.2.1 faces the LAN) and the
# jails capjail creates.  Nothing here touches the machine's own network.

LAN_ADDR=192.0.2.2
HOST_ADDR=192.0.2.1

# seed_topology PREFIX: make $PREFIX-lan and $PREFIX-host, wired by a veth.
seed_topology() {
	LAN=$1-lan HOST=$1-host
	netns_new "$LAN" && netns_new "$HOST" || return 1
	ip -n "$HOST" link add eth0 type veth peer name eth0 netns "$LAN" &&
	ip -n "$HOST" addr add "$HOST_ADDR/24" dev eth0 &&
	ip -n "$HOST" link set eth0 up &&
	ip -n "$LAN" addr add "$LAN_ADDR/24" dev eth0 &&
	ip -n "$LAN" link set eth0 up &&
	# Forwarding is the host admin's policy, not the helper's.
	ip netns exec "$HOST" sysctl -qw net.ipv4.ip_forward=1
}

# seed_config [EXTRA BRIDGE KEYS]: the helper's config for the seed.
seed_config() {
	cat >"$CONF" <<CONFEOF
bridge capjail0 10.89.0.1/24 publish-from=eth0 $*
user $T_USER capjail0 jails=8 ports=8000-8999
user $T_USER2 capjail0 jails=3 ports=8000-8999
CONFEOF
	chmod 0644 "$CONF"
}

# seed_www DIR TOKEN: a lighttpd that serves TOKEN and runs as www-data.
# lighttpd opens its logs after switching to www-data, so the jail's root
# hands it the log tmpfs first (as Debian's package does on the host).
seed_www() {
	mkdir -p "$1/htdocs"
	echo "$2" >"$1/htdocs/index.html"
	cat >"$1/lighttpd.conf" <<WWWEOF
server.document-root = "/srv/www/htdocs"
server.port = 80
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "/var/log/lighttpd/error.log"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
WWWEOF
	chmod -R a+rX "$1"
}

# in_host USER CMD...: run CMD as USER in the host namespace.  If fd 3
# is open, the pid CMD will run as is written to it (a backgrounded shell
# function's $! is a subshell, not the command).
in_host() {
	_who=$1; shift
	ip netns exec "$HOST" setpriv --reuid="$_who" \
	    --regid="$(id -g "$_who")" --init-groups --reset-env \
	    env CAPJAIL_HELPER="$CAPJAIL_HELPER" \
	    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin sh -c \
	    '{ echo $$ >&3; } 2>/dev/null; exec 3>&-; cd "$0" && exec "$@"' \
	    "$WORK" "$@"
}

# bg_host PIDFILE USER CMD...: in_host in the background; sets BG_PID to
# the command's own pid (bounded wait: 5 s).
bg_host() {
	_pf=$1; shift
	rm -f "$_pf"
	in_host "$@" 3>"$_pf" &
	bg_pid $!
	_i=0
	while [ ! -s "$_pf" ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	BG_PID=$(cat "$_pf")
	bg_pid "$BG_PID"
}

# seed_jail USER PORT DIR: start lighttpd in a jail publishing PORT; sets
# JAIL_PID (the launcher).  Returns once the jail answers, or fails.
seed_jail() {
	bg_host "$WORK/pid-$2" "$1" "$CAPJAIL" --net=capjail0 -p "$2:80" --subids \
	    --tmpfs /srv --ro-bind "$3:/srv/www" --tmpfs /var/log/lighttpd \
	    -- sh -c 'chown www-data: /var/log/lighttpd &&
	    exec lighttpd -D -f /srv/www/lighttpd.conf' \
	    >"$WORK/jail-$2.log" 2>&1
	JAIL_PID=$BG_PID
	wait_http "$HOST_ADDR:$2" "$LAN"
}

# wait_http ADDR:PORT NETNS: poll (bounded: 10 s) until a page comes back.
wait_http() {
	_i=0
	while [ $_i -lt 100 ]; do
		ip netns exec "$2" curl -sf --max-time 1 "http://$1/" \
		    >/dev/null 2>&1 && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# nft_elems FAMILY TABLE SET: the elements of a set or map in $HOST, one
# line each (nft wraps long lists), nothing if it has none.
nft_elems() {
	{ ip netns exec "$HOST" nft list set "$@" ||
	    ip netns exec "$HOST" nft list map "$@"; } 2>/dev/null |
	    awk '/elements = \{/ { p = 1; sub(/.*elements = \{/, "") }
	    p { n = split($0, a, ","); for (i = 1; i <= n; i++) {
	    e = a[i]; gsub(/^[ \t]+|[ \t}]+$/, "", e); if (e != "") print e } }
	    /\}/ { p = 0 }'
}

# host_leftovers: what a finished jail must not leave on the host.
host_leftovers() {
	# Jail links: named "cj" + uid + bridge tag + slot (by an older
	# helper: "cj" + address), one line each.
	ip -n "$HOST" -o link show | sed -n \
	    's/^[0-9]*: \(cj[0-9a-f]\{8\}\([0-9a-z]\{2\}[0-9a-f]\{3\}\)\{0,1\}\)[@:].*/\1/p'
	nft_elems netdev capjail src
	nft_elems inet capjail jails
	nft_elems bridge capjail jails
	nft_elems inet capjail ports4
	nft_elems inet capjail pubmark
	ip netns exec "$HOST" nft list chains netdev 2>/dev/null |
	    grep -Eo 'chain p[0-9]+'
}

# in_jail USER PID CMD...: CMD as USER inside the jail whose init is PID,
# with every capability of the jail's user namespace (what the jail's
# owner can always do: the attacker of SECURITY.md's threat model).
in_jail() {
	_u=$1 _p=$2; shift 2
	in_host "$_u" nsenter -t "$_p" -U -n --preserve-credentials "$@"
}

# wait_until CMD...: bounded (10 s) wait for CMD to succeed.
wait_until() {
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -gt 100 ] && return 1
		sleep 0.1
	done
}

# lan_get ADDR:PORT PATH: fetch from the LAN namespace; output, then rc=N.
lan_get() {
	ip netns exec "$LAN" curl -s --http0.9 --max-time 3 "http://$1/$2" 2>&1
	echo "rc=$?"
}

# arrived FILE: what a listener recorded, on one line.
arrived() { cat "$1" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

# wait_gone PID: bounded wait (10 s) for a process to end.
wait_gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}
