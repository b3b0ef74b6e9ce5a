#!/bin/sh
# SPDX-License-Identifier: ISC
# capjail --check-config, unprivileged-capable (make check-unit runs it
# too): the shipped net.conf grants nothing and passes; the helper's own
# parser reports FILE:LINE errors; warnings for a publish-from interface
# that does not exist, a bridge name taken by a non-bridge, a port range
# covering a socket that listens now (in a throwaway user+net namespace,
# so nothing listens on the machine), and an owner or mode the helper
# would refuse.
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/libtest.sh"
CJ=${BUILD:?BUILD must be set}/capjail
[ -x "$CJ" ] || skip_all "no $CJ (make check-unit builds it)"
chmod 0755 "$WORK"

check() {	# check FILE: the output, then rc=N
	"$CJ" --check-config "$1" 2>&1
	echo "rc=$?"
}

out=$(check "$top/net.conf")
like "$out" 'ok: 0 bridges, 0 grants, 0 warnings' \
    "the shipped net.conf parses and grants nothing"
like "$out" 'rc=0$' "and exits 0"
is "$(grep -vc '^#' "$top/net.conf")" 0 "every line of net.conf is a comment"

printf 'bridge capjail0 10.89.0.1/22\nuser root capjail0 jails=0\n' \
    >"$WORK/bad.conf"
out=$(check "$WORK/bad.conf")
like "$out" "^$WORK/bad.conf:2: jails= \"0\" is too small" \
    "a bad value: the helper parser's FILE:LINE message"
like "$out" 'rc=125$' "and exit status 125"

printf 'bridge capjail0 10.89.0.1/22\nfrobnicate\n' >"$WORK/bad2.conf"
like "$(check "$WORK/bad2.conf")" "bad2.conf:2: unknown directive" \
    "an unknown directive is an error at its line"

ghost=cjnone$$
ghost=$(printf '%.15s' "$ghost")
printf 'bridge lo 10.89.0.1/22 publish-from=%s\n' "$ghost" >"$WORK/w.conf"
out=$(check "$WORK/w.conf")
like "$out" "w.conf:1: warning: publish-from interface $ghost does not exist" \
    "a publish-from interface that does not exist is a warning"
like "$out" "w.conf:1: warning: lo exists and is not a bridge" \
    "a bridge name held by a non-bridge is a warning"
like "$out" 'rc=0$' "warnings alone: exit 0"

# A listener in a throwaway user+network namespace, and the check there.
if unshare -rn true 2>/dev/null; then
	port=$((20000 + $$ % 20000))
	printf 'bridge capjail0 10.89.0.1/22\nuser 0 capjail0 jails=1 ports=%s-%s\nuser 1 capjail0 jails=1 ports=%s-%s\n' \
	    "$port" "$port" $((port + 1)) $((port + 1)) >"$WORK/p.conf"
	out=$(unshare -rn sh -c 'timeout 10 socat TCP-LISTEN:$1 /dev/null &
		i=0; while ! grep -qi ":$(printf %04X "$1") 00000000:0000 0A" \
		    /proc/net/tcp /proc/net/tcp6 && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1)); done
		"$2" --check-config "$3"; kill $! 2>/dev/null' sh "$port" "$CJ" \
	    "$WORK/p.conf" 2>&1)
	like "$out" "p.conf:2: warning: ports=$port-$port covers tcp port $port" \
	    "a port range covering a listening socket is a warning at its line"
	unlike "$out" "p.conf:3: warning: ports" \
	    "a range next to it, with nothing listening, is not"
else
	skip "no unprivileged user namespaces here: no listener test"
fi

printf '# nothing\n' >"$WORK/own.conf"
if [ "$(id -u)" -eq 0 ]; then
	chmod 0666 "$WORK/own.conf"
	like "$(check "$WORK/own.conf")" \
	    "own.conf: warning: writable by group or others: .*would refuse" \
	    "a group/other-writable file: what the helper would do with it"
	chmod 0644 "$WORK/own.conf"
else
	skip "a root-owned writable file needs root"
fi
[ "$(id -u)" -eq 0 ] && chown 65534 "$WORK/own.conf"
if [ "$(stat -c %u "$WORK/own.conf")" -ne 0 ]; then
	like "$(check "$WORK/own.conf")" \
	    "own.conf: warning: not owned by root: .*would refuse" \
	    "a file not owned by root: what the helper would do with it"
else
	skip "could not make a file owned by another user"
fi
ln -s "$WORK/own.conf" "$WORK/link.conf"
like "$(check "$WORK/link.conf")" "link.conf: warning: is a symbolic link" \
    "a symbolic link: the helper would refuse it"
done_testing
