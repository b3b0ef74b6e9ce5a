#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/run.sh: every comparison of bench/ in one go (what `make bench`
# runs), then the report.  In order: the machine and every peer's
# version, start latency and time until ready (start.sh), throughput
# (throughput.sh), HTTP requests/s (http.sh), many concurrent jails
# (scale.sh).  Each runs in its own throwaway namespaces and cleans up
# after itself even when it fails; a failing one leaves its rows "not
# measured" and the others still run.  Then bench/report.sh writes
# REPORT.md and the plots.
#
# QUICK=1: a few runs and 50 jails, to check the harness end to end in a
# few minutes; its results go to bench/results/quick/ (not committed),
# a full run's to bench/results/ (REPORT.md and the plots are meant to
# be committed; the raw samples stay in raw/, ignored by git).
#
# Runs as root.  Environment: BUILD (the build dir, with test-progs made),
# TESTDIR (the one BUILD's test helper was built with; emptied), QUICK.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
: "${TESTDIR:?TESTDIR must be set (make bench sets it)}"
export BUILD="$B" TESTDIR
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
case $TESTDIR in
/tmp/?*) ;;
*) echo "bench: TESTDIR must be under /tmp (it is emptied)" >&2; exit 1 ;;
esac
grep -aq "$TESTDIR/net.conf" "$B/test/capjail-net" 2>/dev/null || {
	echo "bench: $B/test/capjail-net is missing or was built for another" \
	    "TESTDIR (make does not rebuild for that); use a build dir of its" \
	    "own: make bench B=build-bench TESTDIR=$TESTDIR" >&2
	exit 1
}

if [ "${QUICK:-0}" = 1 ]; then
	DIR=$top/bench/results/quick
	export RUNS=10 ROUNDS=1 DURATION=2 REQUESTS=2000 JAILS=50
	mode="in quick mode (QUICK=1: $RUNS start rounds, 1 round of ${DURATION}s iperf3 and $REQUESTS-request ab runs, $JAILS jails): a check of the harness, not a measurement"
else
	DIR=$top/bench/results
	# Throughput swings by 10-25 % from round to round on a small VM:
	# many short rounds settle a ratio better than a few long ones.
	export RUNS=${RUNS:-100} ROUNDS=${ROUNDS:-12} DURATION=${DURATION:-3}
	export REQUESTS=${REQUESTS:-10000} JAILS=${JAILS:-500}
	mode="($RUNS start rounds, $ROUNDS rounds of ${DURATION}s iperf3 and $REQUESTS-request ab runs, $JAILS jails)"
fi
OUT=$DIR/raw
# Where the throughput's CPU time went, for these paths (throughput.sh).
PROFILE=""
command -v perf >/dev/null && PROFILE="capjail open bare"
export OUT PROFILE
rm -rf "$OUT"
mkdir -p "$OUT" || exit 1

. "$top/bench/machine.sh"
machine_info "$mode" >"$OUT/machine.txt"

# quiet: wait (at most 60 s) for a second in which the CPUs were idle 90 %
# of the time; "quiet after N s", or "still busy after 60 s".  The
# namespaces a script deleted are torn down by the kernel in the
# background for a while (with http.sh's, some 10^5 connections'
# conntrack state), and what the next script times would share the CPUs
# with that.
quiet() {
	_w=0
	while [ $_w -lt 60 ]; do
		_a=$(awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat)
		sleep 1
		_w=$((_w + 1))
		_b=$(awk '/^cpu / { print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6 }' /proc/stat)
		echo "$_a $_b" | awk '{ exit !(NF == 4 && $3 > $1 &&
		    $4 - $2 >= 0.9 * ($3 - $1)) }' &&
		    { echo "quiet after $_w s"; return 0; }
	done
	echo "still busy after 60 s"
}

t0=$(date +%s)
# Bounded: a script that hangs is ended (its traps clean up) after 15 min.
for b in start throughput http scale; do
	echo "bench: $b (the machine was $(quiet)) ..."
	timeout -k 30 900 sh "$top/bench/$b.sh" >"$OUT/$b.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || echo "bench: $b.sh failed ($rc); see $OUT/$b.log"
	tail -n 3 "$OUT/$b.log" | sed 's/^/  /'
done
printf 'duration\t%s s for every measurement\n' $(($(date +%s) - t0)) \
    >>"$OUT/machine.txt"
sh "$top/bench/report.sh" "$OUT" "$DIR"
