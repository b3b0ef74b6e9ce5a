# SPDX-License-Identifier: ISC
# Sourced by the shell tests.  Runs as root (tests/run.sh checks); the thing
# under test runs as the unprivileged users cjtest1/cjtest2 through setpriv,
# inside throwaway network namespaces this file creates and always deletes.
# Provides TAP output (ok, is, like, skip_all, done_testing), as_user,
# netns_new, wait_file and a cleanup trap.

: "${TESTDIR:?TESTDIR must be set (tests/run.sh sets it)}"
CAPJAIL=$TESTDIR/capjail
HELPER=$TESTDIR/capjail-net
TBIN=$TESTDIR/tests
CONF=$TESTDIR/net.conf
T_USER=cjtest1
T_USER2=cjtest2
export CAPJAIL_HELPER="$HELPER"

# Without its own WORK a test would write "$WORK/x" at the root of the
# filesystem: stop here (TESTDIR missing, say, when run by hand).
WORK=$(mktemp -d "$TESTDIR/work.XXXXXX") && [ -n "$WORK" ] || {
	echo "Bail out! cannot make a work directory in $TESTDIR"
	exit 1
}
chmod 0755 "$WORK"
_tap_n=0
_tap_fail=0
_netns=""
_pids=""

ok() {	# ok STATUS DESCRIPTION: STATUS 0 is a pass
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_fail=$((_tap_fail + 1))
	fi
	[ "$1" -eq 0 ]
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"
	fi
}

like() {	# like GOT REGEX DESCRIPTION (grep -E)
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: /$2/"
	fi
}

unlike() {	# unlike GOT REGEX DESCRIPTION
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"; echo "#   got:  '$1'"; echo "#   must not match: /$2/"
	else ok 0 "$3"; fi
}

skip() {	# skip DESCRIPTION
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

diag() { echo "# $*"; }

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_fail" -eq 0 ]
}

# as_user USER CMD...: run CMD as USER with a clean environment, from $WORK.
as_user() {
	_u=$1; shift
	(cd "$WORK" && setpriv --reuid="$_u" --regid="$(id -g "$_u")" \
	    --init-groups --reset-env env CAPJAIL_HELPER="$CAPJAIL_HELPER" \
	    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@")
}

# netns_new NAME: a throwaway network namespace, deleted by the exit trap.
netns_new() {
	ip netns add "$1" || return 1
	_netns="$_netns $1"
	ip -n "$1" link set lo up
}

# wait_file FILE: bounded wait (10 s) for a file a jail creates.
wait_file() {
	_i=0
	while [ ! -e "$1" ] && [ "$_i" -lt 200 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	[ -e "$1" ]
}

# gc_turn USER NETNS: bounded wait (3 s) until USER's next helper run will
# collect garbage: their turn (set gcturn, one second; SECURITY.md) is free.
gc_turn() {
	_gt=$(printf '0x%08x' "$(id -u "$1")")
	_i=0
	while ip netns exec "$2" nft list set inet capjail gcturn 2>/dev/null |
	    grep -q "$_gt" && [ "$_i" -lt 30 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
}

# Jail links.  capjail-net names the host end of a jail's veth for its
# quota slot: "cj" + owner uid (8 hex) + the bridge's tag (2 of [0-9a-z])
# + slot (3 hex), e.g. cj000003e9q4001; its altnames are "cj" + address
# (8 hex, e.g. cj0a590002: the attach reply's host name) and "cjn" + uid +
# "-" + netns inode.  `ip -o link show` prints the slot name first.
CJ_SLOT_RE='cj[0-9a-f]\{8\}[0-9a-z]\{2\}[0-9a-f]\{3\}'

# cj_tag BRIDGE: its link tag (helper/config.c bridge_tag: FNV-1a, mod 36^2).
cj_tag() {
	_h=2166136261 _s=$1
	while [ -n "$_s" ]; do
		_r=${_s#?}; _c=${_s%"$_r"}; _s=$_r
		_h=$(( (_h ^ $(printf '%d' "'$_c")) * 16777619 & 0xffffffff ))
	done
	_h=$((_h % 1296))
	printf '%s\n' 0123456789abcdefghijklmnopqrstuvwxyz |
	    awk -v a=$((_h / 36 + 1)) -v b=$((_h % 36 + 1)) \
	    '{ print substr($0, a, 1) substr($0, b, 1) }'
}

# cj_slot UID BRIDGE K: the name of slot K of UID's jail links on BRIDGE.
cj_slot() { printf 'cj%08x%s%03x\n' "$1" "$(cj_tag "$2")" "$3"; }

# cj_links NETNS [SELECTOR...]: the jail links' (slot) names, one a line.
cj_links() {
	_n=$1; shift
	ip -n "$_n" -o link show "$@" |
	    sed -n "s/^[0-9]*: \($CJ_SLOT_RE\)[@:].*/\1/p"
}

# cj_addr_names NETNS [SELECTOR...]: the links' address names (cjXXXXXXXX,
# as altname or as an older helper's primary name), one a line.
cj_addr_names() {
	_n=$1; shift
	ip -n "$_n" -o link show "$@" |
	    grep -o '\(altname\|^[0-9]*:\) cj[0-9a-f]\{8\}\([@:\\ ]\|$\)' |
	    sed 's/.* \(cj[0-9a-f]\{8\}\).*/\1/'
}

# cj_ip NAME: the address a cjXXXXXXXX name stands for.
cj_ip() {
	# shellcheck disable=SC2046,SC2183	# four numbers from one echo
	printf '%d.%d.%d.%d\n' $(echo "${1#cj}" | sed 's/../0x& /g')
}

# bg_pid PID: remember a background process to kill at exit.
bg_pid() { _pids="$_pids $1"; }

_cleanup() {
	for _p in $_pids; do kill -KILL "$_p" 2>/dev/null; done
	for _n in $_netns; do
		# Processes left in the namespace are ours: the test started them.
		for _p in $(ip netns pids "$_n" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
		ip netns delete "$_n" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM
