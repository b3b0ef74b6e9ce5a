#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/start.sh: how long a sandbox takes to start, as the unprivileged
# cjtest1, every contender side by side in one run:
#   true         /bin/true alone (the cost of starting any process)
#   capjail      capjail -- /bin/true                       start to exit
#   capjail-net  capjail --net=capjail0 -p 8080:80 -- /bin/true
#                (a veth, the firewall and one published port): start to
#                exit; and, in a run of its own, capjail-net-ready: the
#                same with /bin/echo up, from the start until "up"
#                arrives, i.e. until the command runs with its network up
#   bwrap        bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev
#                --tmpfs /tmp /bin/true                    (the anchor)
#   unshare      unshare -Urnm --pid --fork --mount-proc /bin/true
#   firejail     firejail --noprofile --quiet /bin/true
#   slirp4netns-ready  unshare -Urn, slirp4netns --configure on it, and
#                the command started once slirp4netns says it is ready:
#                start until the command's "up" arrives
#   pasta        pasta -f -q --config-net -- /bin/true: start to exit;
#                and, in a run of its own, pasta-ready: with /bin/echo up,
#                until "up" arrives
# RUNS rounds (default 50); each round runs every contender once, in an
# order rotated every round (ABAB...), timed with bash's $EPOCHREALTIME
# around the command (no extra process inside the interval).  Samples
# (microseconds) go to $OUT/start.tsv as "SERIES ROUND US"; a summary is
# printed; bench/report.sh makes the report's table from the samples.
# A "ready" run's own end is not a sample: reading "up" from a pipe keeps
# the reader waiting for the pipe's end, which a start to exit of
# /bin/true does not measure.
#
# Runs as root; the contenders run as cjtest1 in the seed topology's HOST
# namespace (cjc-st*), in a private mount namespace whose /dev/net/tun is
# 0666 (slirp4netns and pasta need it; see bench/lib.sh).  Nothing here
# touches the machine's own interfaces, routes or firewall.
#
# Environment: BUILD (default ./build), TESTDIR (default /tmp/cj-bench,
# the TESTDIR BUILD's test helper was built with), RUNS, OUT.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-50}
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 1000 ] ||
    { echo "start: RUNS must be 1..1000" >&2; exit 1; }
NAME=start NEEDS="bash bwrap firejail slirp4netns pasta setpriv unshare setsid"
. "$top/bench/setup.sh"
# The loop runs in a process group of its own, which the exit trap ends
# whole: slirp4netns's contender leaves a process in a network namespace
# of its own, which _cleanup would not find.
trap 'bg_groups_kill; _cleanup; rm -rf "$TESTDIR" "$RUNDIR"' EXIT
mk_rundir || exit 1

seed_topology "cjc-st$$" && host_default_route ||
    { echo "start: topology failed" >&2; exit 1; }
seed_config

# The timing loop, as cjtest1.  $1: RUNS, $2: capjail, $3: a directory
# of its own for the fifos that pace slirp4netns's contender.
LOOP='
runs=$1 cj=$2 d=$3
exec >"$d/times"
shopt -s lastpipe	# the reads below run in this shell and set r
mkfifo "$d/up" "$d/go" "$d/rdy" || exit 1
# Opened read-write: no open ever blocks, no read ever sees EOF.
exec {uf}<>"$d/up" {gf}<>"$d/go" {rf}<>"$d/rdy"
# upto: read "up" from the command, note when it came, drain the rest
# with the shell itself (a cat would be one more process start timed).
upto() { read -r _; r=$EPOCHREALTIME; while read -r _; do :; done; }
# slirp: the namespace first, then slirp4netns on it, then the command
# once slirp4netns has configured tap0 (--ready-fd).
slirp() {
	unshare -Urn sh -c "echo ns >&3; read -r _ <&4; exec /bin/echo up >&3" \
	    3>&$uf 4<&$gf &
	local u=$! s
	read -r -t 5 _ <&$uf || return 1
	slirp4netns --configure --mtu=65520 --ready-fd=5 "$u" tap0 \
	    5>&$rf >/dev/null 2>&1 &
	s=$!
	read -r -n 1 -t 5 _ <&$rf || { kill $s $u; wait $s $u; return 1; }
	echo go >&$gf
	read -r -t 5 _ <&$uf && r=$EPOCHREALTIME
	kill $s; wait $s; wait $u
}
run() {
	case $1 in
	true)		/bin/true ;;
	capjail)	"$cj" -- /bin/true ;;
	capjail-net)	"$cj" --net=capjail0 -p 8080:80 -- /bin/true ;;
	capjail-net-up)	"$cj" --net=capjail0 -p 8080:80 -- /bin/echo up | upto ;;
	bwrap)		bwrap --unshare-all --ro-bind / / --proc /proc \
			    --dev /dev --tmpfs /tmp /bin/true ;;
	unshare)	unshare -Urnm --pid --fork --mount-proc /bin/true ;;
	firejail)	firejail --noprofile --quiet /bin/true ;;
	slirp4netns)	slirp ;;
	pasta)		pasta -f -q --config-net -- /bin/true 2>/dev/null ;;
	pasta-up)	pasta -f -q --config-net -- /bin/echo up 2>/dev/null | upto ;;
	esac
}
set -- true capjail capjail-net capjail-net-up bwrap unshare firejail \
    slirp4netns pasta pasta-up
for n; do	# a warm-up round, which also checks that each one works
	r=""; run "$n" >/dev/null || { echo "$n fails" >&2; exit 1; }
done
for ((k = 0; k < runs; k++)); do
	for n; do
		s=$EPOCHREALTIME r=""
		run "$n" || { echo "$n fails in round $k" >&2; exit 1; }
		e=$EPOCHREALTIME
		case $n:$r in (*-up: | slirp4netns:)
			echo "$n never said up (round $k)" >&2; exit 1 ;;
		esac
		case $n in
		*-up | slirp4netns)
			echo "${n%-up}-ready $k $(( ${r/./} - ${s/./} ))" ;;
		*)	echo "$n $k $(( ${e/./} - ${s/./} ))" ;;
		esac
	done
	set -- "${@:2}" "$1"	# rotate the order each round
done'
D=$WORK/start
mkdir -m 0700 "$D" && chown "$T_USER:" "$D" || exit 1
say "start: $RUNS rounds of $(uname -r), $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg)"
bg_tun_user "$D/loop.log" "$T_USER" env XDG_RUNTIME_DIR="$RUNDIR" \
    bash -c "cd \"\$3\" && $LOOP" bash \
    "$RUNS" "$CAPJAIL" "$D"
wait $! || { sed 's/^/# /' "$D/loop.log"; exit 1; }
[ -d "$RUNDIR/capjail" ] ||
    say "capjail did not keep its records in $RUNDIR (XDG_RUNTIME_DIR)"
cp "$D/times" "$OUT/start.tsv" || exit 1

printf '%-18s %9s %9s %9s %8s\n' contender median p10 p90 /bwrap
bw=$(values start bwrap | stats | awk '{ print $1 }')
for n in true capjail capjail-net capjail-net-ready bwrap unshare firejail \
    slirp4netns-ready pasta pasta-ready; do
	values start "$n" | stats | awk -v n="$n" -v bw="$bw" '{
	    printf "%-18s %6.2f ms %6.2f ms %6.2f ms %8.2f\n", n,
		$1 / 1000, $2 / 1000, $3 / 1000, $1 / bw }'
done
