#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/http.sh: HTTP requests per second from the seed topology's LAN
# namespace to a lighttpd behind a published port, through every path of
# bench/paths.sh (capjail, capjail with its rules skipped, the hand-built
# path next to capjail and in its
# own namespace -- the anchor --, slirp4netns, pasta): `ab -c 8` with a
# new connection per request (new) and with keep-alive (ab -k), REQUESTS
# requests per run, ROUNDS rounds, the paths in an order rotated every
# round.  Samples go to $OUT/http.tsv as "PATH-new|PATH-keep ROUND REQ/S".
#
# lighttpd runs as cjtest1 everywhere (inside capjail as the jail's root),
# serving one small page from a directory every path can read.  Runs as
# root; only throwaway network namespaces named cjc-*.
#
# Environment: BUILD (default ./build), TESTDIR (default /tmp/cj-bench),
# REQUESTS (default 10000), ROUNDS (default 5), OUT.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
REQUESTS=${REQUESTS:-10000}
ROUNDS=${ROUNDS:-5}
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 100 ] &&
    [ "$REQUESTS" -ge 100 ] && [ "$REQUESTS" -le 1000000 ] ||
    { echo "http: ROUNDS 1..100, REQUESTS 100..1000000" >&2; exit 1; }
NAME=http
NEEDS="lighttpd ab curl slirp4netns pasta socat nft setpriv unshare setsid"
. "$top/bench/setup.sh"
. "$top/bench/paths.sh"
trap 'trap "" PIPE; paths_cleanup; _cleanup; rm -rf "$TESTDIR"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE

PFX=cjc-ht$$
seed_topology "$PFX" || { echo "http: topology failed" >&2; exit 1; }
seed_config
paths_config

SPORT=8080
WWW=$WORK/www
mkdir -p "$WWW/htdocs"
printf 'capjail bench\n' >"$WWW/htdocs/index.html"
cat >"$WWW/lighttpd.conf" <<WWWEOF
server.document-root = "$WWW/htdocs"
server.port = $SPORT
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html" )
WWWEOF
chmod -R a+rX "$WWW"
# capjail gives the jail a /tmp of its own: the pages are bound in.
CJ_OPTS="--ro-bind $WWW"

# probe PATH: the page comes back.
probe() {
	ip netns exec "$LAN" curl -sf --max-time 1 \
	    "http://$(path_addr "$1"):$(path_port "$1")/" >/dev/null 2>&1
}
# ab_rps PATH [-k]: one ab run; its requests per second, nothing when a
# request failed or the run did not finish.
ab_rps() {
	_u=http://$(path_addr "$1"):$(path_port "$1")/; shift
	ip netns exec "$LAN" timeout 120 ab -q -s 10 -c 8 -n "$REQUESTS" \
	    "$@" "$_u" 2>/dev/null | awk -v n="$REQUESTS" '
	    /^Complete requests:/ { c = $3 } /^Failed requests:/ { f = $3 }
	    /^Non-2xx responses:/ { f += $3 }
	    /^Requests per second:/ { r = $4 }
	    END { if (c == n && f == 0 && r != "") print r }'
}

# ab_mode PATH new|keep: ab_rps, with -k for keep.
ab_mode() { if [ "$2" = keep ]; then ab_rps "$1" -k; else ab_rps "$1"; fi; }

say "http: lighttpd, ab -c 8 -n $REQUESTS, new connection and keep-alive, $ROUNDS rounds"
paths_up probe lighttpd -D -f "$WWW/lighttpd.conf" ||
    { echo "http: no path came up" >&2; exit 1; }

paths_rounds http ab_mode new keep
