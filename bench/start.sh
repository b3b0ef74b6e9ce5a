#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/start.sh: whole-process start-to-exit time of /bin/true in a jail,
# as the unprivileged cjtest1, side by side in one run:
#   capjail      capjail -- /bin/true
#   capjail-net  capjail --net=capjail0 -- /bin/true   (when the helper is built)
#   net-ready    capjail --net=capjail0 -- /bin/echo up, timed until "up"
#                arrives: the jail is running with its network (the rest of
#                capjail-net's time is teardown, mostly the kernel deleting
#                the veth pair)
#   bwrap        bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev
#                --tmpfs /tmp /bin/true
#   unshare      unshare -Urnm --pid --fork --mount-proc /bin/true
#   true         /bin/true alone (the cost of starting any process)
# RUNS rounds (default 50); each round runs every command once, in a
# rotating order, timed with bash's $EPOCHREALTIME around the command (no
# extra process inside the interval).  Prints the median, the 10th and
# 90th percentiles and the median's ratio to bwrap's.
#
# Runs as root (to stage the binaries, setcap the helper and make the
# throwaway network namespace cja-bench-PID, where everything runs so the
# machine's own network is never touched).  Not part of `make check`.
# Environment: BUILD (default ./build), TESTDIR (default the Makefile's,
# /tmp/capjail-check: the test helper reads TESTDIR/net.conf, a path fixed
# when it was built, so pass the TESTDIR that BUILD was made with), RUNS
# (default 50).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
: "${TESTDIR:=/tmp/capjail-check}"
RUNS=${RUNS:-50}
[ "$(id -u)" -eq 0 ] || { echo "start: run as root" >&2; exit 1; }
command -v bwrap >/dev/null || { echo "start: needs bwrap" >&2; exit 1; }
case $TESTDIR in
/tmp/?*) ;;
*) echo "start: TESTDIR must be under /tmp (it is removed)" >&2; exit 1 ;;
esac
if [ -x "$B/test/capjail-net" ] &&
    ! grep -aq "$TESTDIR/net.conf" "$B/test/capjail-net"; then
	echo "start: $B was built with another TESTDIR" >&2
	exit 1
fi

. "$top/tests/stage.sh"
NS=cja-bench-$$
cleanup() {
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p"; done
	ip netns delete "$NS" 2>/dev/null
	rm -rf "$TESTDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -x "$B/test/capjail-net" ]; then
	stage_all || exit 1
	printf '%s\n' "bridge capjail0 10.89.0.1/22" \
	    "user cjtest1 capjail0 jails=10" >"$TESTDIR/net.conf"
	chmod 0644 "$TESTDIR/net.conf"
	net=1
else
	ensure_user cjtest1 300000 || exit 1
	rm -rf "$TESTDIR"
	mkdir -m 0755 "$TESTDIR" && cp "$B/capjail" "$TESTDIR/" || exit 1
	chmod a+rx "$TESTDIR/capjail"
	net=0
fi
ip netns add "$NS" && ip -n "$NS" link set lo up || exit 1

# The timing loop, as cjtest1 inside the namespace.  $1: RUNS, $2: capjail,
# $3: 1 when the networked case runs.
cat >"$TESTDIR/loop.bash" <<'EOF'
runs=$1 cj=$2 net=$3
shopt -s lastpipe	# the timing read below runs in this shell
names="capjail bwrap unshare true"
[ "$net" = 1 ] && names="capjail capjail-net net-ready bwrap unshare true"
run() {
	case $1 in
	capjail)	"$cj" -- /bin/true ;;
	capjail-net)	"$cj" --net=capjail0 -- /bin/true ;;
	net-ready)	"$cj" --net=capjail0 -- /bin/echo up |
			    { read -r _; e=$EPOCHREALTIME; cat >/dev/null; } ;;
	bwrap)		bwrap --unshare-all --ro-bind / / --proc /proc \
			    --dev /dev --tmpfs /tmp /bin/true ;;
	unshare)	unshare -Urnm --pid --fork --mount-proc /bin/true ;;
	true)		/bin/true ;;
	esac
}
set -- $names
for n in $names; do run "$n" || { echo "$n fails" >&2; exit 1; }; done
for ((r = 0; r < runs; r++)); do
	for n in "$@"; do
		# net-ready sets e itself: when the command's output arrives.
		s=$EPOCHREALTIME; e=""; run "$n"; [ -n "$e" ] || e=$EPOCHREALTIME
		echo "$n $(( ${e/./} - ${s/./} ))"
	done
	set -- "${@:2}" "$1"	# rotate the order each round
done
EOF
chmod 0644 "$TESTDIR/loop.bash"

cd "$TESTDIR" || exit 1
ip netns exec "$NS" setpriv --reuid=cjtest1 --regid=cjtest1 --init-groups \
    --reset-env env PATH=/usr/bin:/bin:/usr/sbin:/sbin \
    CAPJAIL_HELPER="$TESTDIR/capjail-net" \
    bash "$TESTDIR/loop.bash" "$RUNS" "$TESTDIR/capjail" "$net" \
    >"$TESTDIR/times" || exit 1

echo "start-to-exit of /bin/true as cjtest1, $RUNS runs each ($(uname -r))"
printf '%-12s %9s %9s %9s %8s\n' command median p10 p90 "/bwrap"
bw=$(awk '$1 == "bwrap" { print $2 }' "$TESTDIR/times" | sort -n |
    awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
for n in capjail capjail-net net-ready bwrap unshare true; do
	grep -q "^$n " "$TESTDIR/times" || continue
	awk -v n="$n" '$1 == n { print $2 }' "$TESTDIR/times" | sort -n |
	    awk -v n="$n" -v bw="$bw" '{ a[NR] = $1 } END {
		m = a[int((NR + 1) / 2)]
		printf "%-12s %6.2f ms %6.2f ms %6.2f ms %8.2f\n", n,
		    m / 1000, a[int(NR * 0.1) + 1] / 1000,
		    a[int(NR * 0.9)] / 1000, m / bw }'
done
