#!/bin/sh
# SPDX-License-Identifier: ISC
# scripts/capjail-cleanup, in a throwaway host namespace after real jails
# (the staged helper, the seed config with forward=yes): it refuses while a
# jail runs; then it removes the three "capjail" tables and the bridge the
# helper made, keeps a bridge the administrator made (even one with a
# 02:62 MAC), names the interface whose forwarding forward=yes turned on
# and turns it off only with -f; a second run finds nothing; -F removes a
# running jail's port too.
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/libtest.sh"
. "$top/tests/seed.sh"
CLEAN=$top/scripts/capjail-cleanup

seed_topology "cjcln$$" || { diag "topology failed"; done_testing; exit 1; }
seed_config forward=yes
seed_www "$WORK/www" "cleanup-$$"
ip netns exec "$HOST" sysctl -qw net.ipv4.conf.eth0.forwarding=0
ip -n "$HOST" link add bradmin address 02:62:0a:63:00:09 type bridge &&
    ip -n "$HOST" addr add 10.99.0.1/24 dev bradmin
ok $? "control: an administrator's bridge, 02:62 MAC, another address"
clean() { ip netns exec "$HOST" sh "$CLEAN" -c "$CONF" "$@" 2>&1; echo "rc=$?"; }
tables() { ip netns exec "$HOST" nft list tables | grep -c ' capjail$'; }

seed_jail "$T_USER" 8080 "$WORK/www"
ok $? "a jail runs"
is "$(tables)" 3 "the helper made the inet, netdev and bridge tables"
is "$(ip netns exec "$HOST" cat /proc/sys/net/ipv4/conf/eth0/forwarding)" 1 \
    "forward=yes turned forwarding on on eth0 (control)"
out=$(clean)
like "$out" 'jails are running.*-F' "it refuses while a jail runs"
like "$out" 'rc=1$' "with status 1"
is "$(tables)" 3 "and removes nothing"

kill -TERM "$JAIL_PID"
wait_gone "$JAIL_PID"
ok $? "the jail ends"
out=$(clean)
like "$out" 'rc=0$' "once no jail runs, it succeeds"
is "$(tables)" 0 "no capjail table is left"
ip -n "$HOST" link show capjail0 >/dev/null 2>&1
ok $((! $?)) "the bridge the helper made is gone"
ip -n "$HOST" link show bradmin >/dev/null 2>&1
ok $? "the administrator's bridge stays"
like "$out" 'forwarding is on on eth0.*-f' "it names eth0's forwarding"
is "$(ip netns exec "$HOST" cat /proc/sys/net/ipv4/conf/eth0/forwarding)" 1 \
    "and leaves it on without -f"
like "$(clean -f)" 'forwarding off on eth0' "-f turns it off"
is "$(ip netns exec "$HOST" cat /proc/sys/net/ipv4/conf/eth0/forwarding)" 0 \
    "eth0 no longer forwards"
is "$(clean)" "rc=0" "a second run finds nothing to do"

seed_jail "$T_USER" 8081 "$WORK/www"
ok $? "a new jail runs (the helper makes it all again)"
out=$(clean -F)
like "$out" 'deleted jail port cj[0-9a-f]{8}' "-F deletes a running jail's port"
is "$(tables)" 0 "and the tables"
is "$(ip -n "$HOST" -o link show | grep -c ' cj[0-9a-f]\{8\}')" 0 \
    "no jail port is left"
kill -TERM "$JAIL_PID" 2>/dev/null
wait_gone "$JAIL_PID"
out=$(ip netns exec "$HOST" sh "$CLEAN" -x 2>&1; echo "rc=$?")
like "$out" '^usage: capjail-cleanup' "a bad option: the usage"
like "$out" '^rc=2$' "and status 2"
done_testing
