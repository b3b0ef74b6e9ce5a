#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/throughput.sh: one TCP stream (iperf3), both directions, from the
# seed topology's LAN namespace to an iperf3 server behind a published
# port, through every path of bench/paths.sh (capjail, capjail with its
# rules skipped, the hand-built veth+bridge+DNAT path next to capjail and
# in its own namespace -- the ceiling and the anchor --, slirp4netns,
# pasta), interleaved: ROUNDS
# rounds, each running every path once in an order rotated every round.
# Samples (bits/s as the receiver counted them) go to
# $OUT/throughput.tsv as "PATH-in|PATH-out ROUND BITS"; in is LAN client
# to server, out is iperf3 -R.
#
# Runs as root; capjail, the servers, slirp4netns and pasta run as the
# unprivileged cjtest1.  Only throwaway network namespaces named cjc-*;
# nothing here touches the machine's own interfaces, routes or firewall.
#
# Environment: BUILD (default ./build), TESTDIR (default /tmp/cj-bench),
# DURATION seconds per direction (default 5), ROUNDS (default 5), OUT,
# BENCH_PATHS (bench/paths.sh), PROFILE (paths, e.g. "capjail open bare":
# after the rounds, one more run of each of them that came up, both
# directions, under `perf record -a -g`, outside the samples;
# bench/profile.sh turns the recordings into $OUT/profile.md).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-5}
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 100 ] &&
    [ "$DURATION" -ge 1 ] && [ "$DURATION" -le 60 ] ||
    { echo "throughput: ROUNDS 1..100, DURATION 1..60" >&2; exit 1; }
NAME=throughput
NEEDS="iperf3 slirp4netns pasta socat jq nft setpriv unshare setsid"
. "$top/bench/setup.sh"
. "$top/bench/paths.sh"
# The cleanup must survive a closed stdout (| head) and run on HUP/PIPE.
trap 'trap "" PIPE; paths_cleanup; _cleanup; rm -rf "$TESTDIR"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE

PFX=cjc-tp$$
seed_topology "$PFX" || { echo "throughput: topology failed" >&2; exit 1; }
seed_config
paths_config

# iperf PATH [-R]: one DURATION-second run; prints bits/s as the receiver
# counted them, nothing on failure.
iperf() {
	_a=$(path_addr "$1") _p=$(path_port "$1"); shift
	ip netns exec "$LAN" timeout $((DURATION + 20)) iperf3 -c "$_a" \
	    -p "$_p" -t "$DURATION" --connect-timeout 3000 -J "$@" 2>/dev/null |
	    jq -r 'if .error then empty else .end.sum_received.bits_per_second
		end' 2>/dev/null
}
# iperf_dir PATH in|out: iperf, with -R for out.
iperf_dir() { if [ "$2" = out ]; then iperf "$1" -R; else iperf "$1"; fi; }
# probe PATH: a 1-second run succeeds (also the warm-up).
probe() { [ -n "$(DURATION=1 iperf "$1")" ]; }

say "throughput: iperf3, one TCP stream, ${DURATION}s per direction, $ROUNDS rounds; veth MTU 1500"
SPORT=5201
paths_up probe iperf3 -s -p "$SPORT" --forceflush ||
    { echo "throughput: no path came up" >&2; exit 1; }

paths_rounds throughput iperf_dir in out
rc=$?

# profile PATH in|out: one more run under perf, on both CPUs, with call
# graphs; kept apart from the samples, which perf would slow.  iperf runs
# in a subshell, as paths_rounds runs it: it sets the caller's _p.
profile() {
	perf record -q -a -g -o "$OUT/perf-$1-$2.data" -- \
	    sleep $((DURATION + 1)) 2>/dev/null &
	_pp=$!
	_v=$(iperf_dir "$1" "$2")
	wait "$_pp" && [ -n "$_v" ]
}
if [ -n "${PROFILE:-}" ] && [ $rc -eq 0 ]; then
	command -v perf >/dev/null || { say "PROFILE: perf missing"; exit 1; }
	for _p in $PROFILE; do
		case " $PATHS_UP " in *" $_p "*) ;; *) continue ;; esac
		for _m in in out; do
			if path_enter "$_p" && profile "$_p" "$_m"; then
				say "profiled $_p $_m"
			else
				say "profiling $_p $_m failed"
				rc=1
			fi
			path_leave "$_p" || exit 1
		done
	done
	# shellcheck disable=SC2086
	sh "$top/bench/profile.sh" "$OUT" $PROFILE >"$OUT/profile.md" || rc=1
fi
exit $rc
