#!/bin/sh
# SPDX-License-Identifier: ISC
# `make demo`: the seed scenario end to end in throwaway namespaces.  An
# unprivileged user (cjtest1) starts lighttpd in a jail publishing host port
# 8080; a client in a LAN namespace fetches the page; we print the page,
# the firewall table while the jail runs, and then show that the jail left
# nothing behind.  Needs root only to build the namespaces, the user and
# the staged, setcap'ed helper.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
: "${TESTDIR:=/tmp/capjail-check}"
export TESTDIR
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it builds namespaces)" >&2; exit 1; }
. "$top/tests/stage.sh"
stage_all || { echo "demo: staging failed" >&2; exit 1; }
. "$top/tests/libtest.sh"
. "$top/tests/seed.sh"
trap '_cleanup; rm -rf "$TESTDIR"' EXIT
# `make demo | head`: a closed stdout must still end in the EXIT trap, or
# the jail and the namespaces would outlive the demo.
trap 'exit 141' PIPE HUP

if [ -t 1 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	step() { printf '\n== %s\n' "$*"; }
fi

seed_topology "cjdemo$$" || exit 1
seed_config
seed_www "$WORK/www" "Hello from lighttpd, jailed by capjail (uid $T_USER)"
step "as $T_USER in the host namespace:"
cat <<'CMD'
capjail --net=capjail0 -p 8080:80 --subids --tmpfs /srv --ro-bind www:/srv/www \
    --tmpfs /var/log/lighttpd -- sh -c 'chown www-data: /var/log/lighttpd &&
    exec lighttpd -D -f /srv/www/lighttpd.conf'
CMD
if ! seed_jail "$T_USER" 8080 "$WORK/www"; then
	echo "demo: the jail did not come up:" >&2
	cat "$WORK/jail-8080.log" >&2
	exit 1
fi
step "curl http://$HOST_ADDR:8080/ from the LAN namespace:"
ip netns exec "$LAN" curl -s --max-time 3 "http://$HOST_ADDR:8080/"
step "the jail trying to connect out to the LAN (must be refused at once):"
in_host "$T_USER" "$CAPJAIL" --net=capjail0 -- \
    curl -sS --max-time 2 "http://$LAN_ADDR/" 2>&1 | sed 's/^/  /'
step "the host firewall while the jail runs (the inet, netdev and bridge tables):"
ip netns exec "$HOST" nft list table inet capjail
ip netns exec "$HOST" nft list table netdev capjail
ip netns exec "$HOST" nft list table bridge capjail
step "the jail's link on the host:"
ip -n "$HOST" -d link show master capjail0 | sed -n '1,3p'
step "stopping the jail (SIGTERM to capjail)"
kill -TERM "$JAIL_PID"
wait_gone "$JAIL_PID" && echo "capjail exited"
step "what is left on the host (links, set elements, addresses):"
left=$(host_leftovers)
echo "  cj* links and firewall elements: ${left:-none}"
echo "  addresses on capjail0: $(ip -n "$HOST" -o -4 addr show dev capjail0 | awk '{print $4}') (the gateway)"
[ -z "$left" ]
