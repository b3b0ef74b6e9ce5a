#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/scale.sh: does a jail cost the same to start when 499 others run?
# In the seed topology, with capjail0 widened to a /22, cjtest1 starts JAILS
# (default 500) concurrent jails one after another,
#   capjail --net=capjail0 -- sh -c 'echo up; exec sleep 600'
# each timed from the fork of capjail until "up" arrives on its stdout.
# Then, with all of them running: the private memory of the helpers (one
# capjail-net per jail; Private_* of /proc/PID/smaps_rollup), the per-jail
# nftables state (set and map elements, port chains), and the time for all
# of them to go away after one SIGTERM to every launcher (until no
# launcher, no cj* link, no p<ifindex> chain and no per-jail element is
# left).
#
# Runs as root; the jails run as the unprivileged cjtest1.  Only throwaway
# network namespaces named cjc-*; the machine's own interfaces, routes and
# firewall are never touched.  Whatever happens, the exit trap ends every
# process this script started and deletes its namespaces.  Not part of
# `make check`.
#
# Samples for bench/report.sh go to $OUT/scale.tsv (bench/lib.sh): the
# k-th jail's start latency (start K MS), its helper's private memory
# (mem K KIB), the live jails, every set and map of the capjail tables
# with the jails running (live:SET) and after the teardown (after:SET),
# the teardown times (teardown-gone, teardown-clean, in seconds), and the
# share of one CPU the machine's DAMON threads (kdamond) took over the
# first and the last tenth of the jails (kdamond 1 and 2, in %), if it
# runs them.  And, before the first jail and again with all of them
# running, ANCHOR_ROUNDS interleaved rounds of three short starts (bwrap,
# capjail and capjail --net, each /bin/true; at0:NAME and atN:NAME K US):
# what the machine's own growth (more processes, more namespaces) does to
# a start that has no network, next to what it does to capjail's.
#
# Environment: BUILD (default ./build), TESTDIR (default /tmp/cj-bench),
# JAILS (default 500, at most 600: the quota in the config below),
# ANCHOR_ROUNDS (default 15), OUT.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
JAILS=${JAILS:-500}
[ "$JAILS" -ge 10 ] && [ "$JAILS" -le 600 ] ||
    { echo "scale: JAILS must be 10..600" >&2; exit 1; }
ANCHOR_ROUNDS=${ANCHOR_ROUNDS:-15}
NAME=scale NEEDS="bash bwrap jq nft setpriv"
. "$top/bench/setup.sh"

SD=$WORK/scale		# cjtest1's: fifos, per-jail stderr, launcher pids
mkdir -m 0755 "$SD" && chown "$T_USER:" "$SD" || exit 1

# descendants PID...: the given pids and every process below them.
descendants() {
	ps -e -o pid=,ppid= | awk -v roots="$*" '
	    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1 }
	    { parent[$1] = $2 }
	    END { do { more = 0
		    for (p in parent) if (!(p in want) && (parent[p] in want)) {
			    want[p] = 1; more = 1 } } while (more)
		for (p in want) if (p in parent) print p }'
}

# running PID: PID exists and is not a zombie (this machine's init reaps
# orphans only every second or so; a zombie has already done its work).
running() {
	read -r _st 2>/dev/null <"/proc/$1/stat" || return 1
	case ${_st##*) } in Z* | X*) return 1 ;; esac
}

# Every launcher the loop started (their pids are in $SD/pids), and what
# runs below them: SIGTERM, 20 s to go, then SIGKILL.
LOOP_PID=""
bench_cleanup() {
	if [ -n "$LOOP_PID" ]; then	# interrupted: stop the loop first
		# shellcheck disable=SC2046
		_l=" $(descendants $(cat "$SD/pids" 2>/dev/null) | tr '\n' ' ') "
		for _p in $(descendants "$LOOP_PID"); do
			case $_l in *" $_p "*) ;; *) kill -KILL "$_p" 2>/dev/null ;; esac
		done
	fi
	[ -s "$SD/pids" ] || return 0
	# shellcheck disable=SC2046
	_all=$(descendants $(cat "$SD/pids"))
	# shellcheck disable=SC2046
	kill -TERM $(cat "$SD/pids") 2>/dev/null
	_i=0
	while [ $_i -lt 200 ]; do
		_alive=""
		for _p in $_all; do
			running "$_p" && { _alive=1; break; }
		done
		[ -z "$_alive" ] && break
		sleep 0.1; _i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	[ -n "$_alive" ] && kill -KILL $_all 2>/dev/null
	rm -f "$SD/pids"
}
# The cleanup must survive a closed stdout (| head) and run on HUP/PIPE.
trap 'trap "" PIPE; bench_cleanup; _cleanup; rm -rf "$TESTDIR" "$RUNDIR"' EXIT
trap 'exit 129' HUP
trap 'exit 141' PIPE


mk_rundir || exit 1
seed_topology "cjc-sc$$" || { echo "scale: topology failed" >&2; exit 1; }
seed_config
sed -i -e 's|^bridge capjail0 .*|bridge capjail0 10.89.0.1/22 publish-from=eth0|' \
    -e "s|^user $T_USER .*|user $T_USER capjail0 jails=$((JAILS + 1)) ports=8000-8999|" \
    "$CONF"
say "scale: $(uname -r), $(nproc) CPUs, load $(cut -d" " -f1-3 /proc/loadavg), $JAILS jails as $T_USER on a /22"
say "config: $(tr '\n' ';' <"$CONF")"

# The loop runs as cjtest1 in HOST, in bash for $EPOCHREALTIME (no fork to
# read the clock).  Each jail's stdout is a fifo; "up" on it ends the
# timing.  A jail that does not say "up" within 30 s (or exits) stops it.
# Output: "I PID T0 T1 K" per jail, or "I PID fail".  K is the CPU time
# (clock ticks) the machine's DAMON threads (kdamond, given as $4) have
# used so far, read before T0: their share grows with the number of
# processes, and so is part of what a later start costs on this machine.
LOOP='
d=$1 n=$2 cj=$3 kd=$4 i=1
while [ $i -le $n ]; do
	f=$d/fifo.$i
	mkfifo "$f" || exit 1
	k=0
	for p in $kd; do
		read -r -a s <"/proc/$p/stat" 2>/dev/null &&
		    k=$((k + ${s[13]} + ${s[14]}))
	done
	t0=$EPOCHREALTIME
	"$cj" --net=capjail0 -- sh -c "echo up; exec sleep 600" \
	    >"$f" 2>"$d/err.$i" </dev/null &
	pid=$!
	echo "$pid" >>"$d/pids"
	line=""
	read -r -t 30 line <"$f"
	t1=$EPOCHREALTIME
	rm -f "$f"
	if [ "$line" != up ]; then echo "$i $pid fail"; exit 1; fi
	echo "$i $pid $t0 $t1 $k"
	i=$((i + 1))
done'
# ANCHORS: rounds of bwrap, capjail and capjail --net (/bin/true), the
# order rotated each round after a warm-up round; "NAME K US" per start.
ANCHORS='
cj=$1 runs=$2
run() {
	case $1 in
	bwrap)		bwrap --unshare-all --ro-bind / / --proc /proc \
			    --dev /dev --tmpfs /tmp /bin/true ;;
	capjail)	"$cj" -- /bin/true ;;
	capjail-net)	"$cj" --net=capjail0 -- /bin/true ;;
	esac
}
set -- bwrap capjail capjail-net
for n; do run "$n" || { echo "$n fails" >&2; exit 1; }; done
for ((k = 0; k < runs; k++)); do
	for n; do
		s=$EPOCHREALTIME
		run "$n" || { echo "$n fails in round $k" >&2; exit 1; }
		e=$EPOCHREALTIME
		echo "$n $k $(( ${e/./} - ${s/./} ))"
	done
	set -- "${@:2}" "$1"
done'
# anchors PHASE: the ANCHORS rounds, recorded as PHASE:NAME.
anchors() {
	in_host "$T_USER" env XDG_RUNTIME_DIR="$RUNDIR" bash -c "$ANCHORS" \
	    bash "$CAPJAIL" "$ANCHOR_ROUNDS" \
	    >"$SD/anchors.$1" 2>"$SD/anchors.$1.err" </dev/null ||
	    { say "anchors ($1) failed: $(head -n 1 "$SD/anchors.$1.err")"; return 0; }
	while read -r _n _k _us; do record scale "$1:$_n" "$_k" "$_us"; done \
	    <"$SD/anchors.$1"
}
rm -f "$OUT/scale.tsv"
say "anchors with no jail running ..."
anchors at0

kdamonds=$(for c in /proc/[0-9]*/comm; do
	case $(cat "$c" 2>/dev/null) in kdamond*) p=${c#/proc/}; echo "${p%/comm}" ;; esac
done | tr '\n' ' ')
say "starting $JAILS jails one after another ..."
# In the background, so that a signal to this script ends it at once.
in_host "$T_USER" env XDG_RUNTIME_DIR="$RUNDIR" bash -c "$LOOP" bash "$SD" "$JAILS" "$CAPJAIL" \
    "$kdamonds" >"$SD/times" 2>"$SD/loop.err" &
LOOP_PID=$!
wait "$LOOP_PID"
LOOP_PID=""
started=$(grep -vc fail "$SD/times")
if [ "$started" -lt "$JAILS" ]; then
	say "only $started of $JAILS jails came up; jail $((started + 1)) said:"
	sed -n '1,10s/^/#   /p' "$SD/err.$((started + 1))" "$SD/loop.err" 2>/dev/null
	[ "$started" -ge 10 ] || exit 1
fi

# ms per jail, in start order.
awk '$3 != "fail" { printf "%.3f\n", ($4 - $3) * 1000 }' "$SD/times" \
    >"$SD/ms"
median() { stats | awk '{ print $1 }'; }
awk '{ print "start", NR, $1 }' "$SD/ms" >>"$OUT/scale.tsv"
say "anchors with $started jails running ..."
anchors atN
[ -d "$RUNDIR/capjail" ] ||
    say "capjail did not keep its records in $RUNDIR (XDG_RUNTIME_DIR)"
# kdamond's share of one CPU over the first and the last tenth of the
# jails (a tenth, not ten, for the clock ticks' resolution): "kdamond 1 %"
# and "kdamond 2 %"; none without a kdamond.
tick=$(getconf CLK_TCK)
if [ -n "$kdamonds" ] && [ "$started" -ge 20 ]; then
	awk -v n="$started" -v hz="$tick" '$3 != "fail" { t[$1] = $3; k[$1] = $5 }
	    END { w = int(n / 10)
		printf "kdamond 1 %.1f\n", 100 * (k[w + 1] - k[1]) / hz / (t[w + 1] - t[1])
		printf "kdamond 2 %.1f\n", 100 * (k[n] - k[n - w]) / hz / (t[n] - t[n - w]) }' \
	    "$SD/times" >>"$OUT/scale.tsv"
fi
first=$(sed -n 1p "$SD/ms")
last=$(sed -n "${started}p" "$SD/ms")
med_first=$(head -n 10 "$SD/ms" | median)
med_last=$(tail -n 10 "$SD/ms" | median)

# Memory and firewall state with all of them running.
ps -e -o pid=,ppid=,comm= >"$SD/ps"
helpers=$(awk 'NR == FNR { l[$1] = 1; next }
    ($2 in l) && $3 == "capjail-net" { print $1 }' "$SD/pids" "$SD/ps")
nhelpers=$(echo $helpers | wc -w)
# Helpers that died while their jail runs are zombies until the launcher
# reaps them: state Z, and field 52 of their stat is the wait status.
dead=$(for p in $helpers; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null; done |
    awk '$1 == "Z" { c = $50; n++
	if (c % 128) w = w " signal " c % 128; else w = w " exit " int(c / 256) }
	END { if (n) print n ":" w }')
# private_kb PID...: sum of Private_* (kB) over the processes' smaps_rollup.
private_kb() {
	for _p in "$@"; do cat "/proc/$_p/smaps_rollup" 2>/dev/null; done |
	    awk '/^Private_/ { s += $2 } END { print s + 0 }'
}
pss_kb() {
	for _p in "$@"; do cat "/proc/$_p/smaps_rollup" 2>/dev/null; done |
	    awk '/^Pss:/ { s += $2 } END { print s + 0 }'
}
# shellcheck disable=SC2086
helper_priv=$(private_kb $helpers) helper_pss=$(pss_kb $helpers)
helper_of() {	# helper_of LAUNCHER: its capjail-net child
	awk -v l="$1" '$2 == l && $3 == "capjail-net" { print $1 }' "$SD/ps"
}
helper_kb() {	# helper_kb N: private KiB of jail N's helper, or "no helper"
	_h=$(helper_of "$(sed -n "${1}p" "$SD/pids")")
	if [ -n "$_h" ]; then echo "$(private_kb $_h) KiB"; else echo "no helper"; fi
}
priv_first=$(helper_kb 1)
priv_last=$(helper_kb "$started")
# shellcheck disable=SC2046
launcher_priv=$(private_kb $(cat "$SD/pids"))
# elems set|map FAMILY TABLE NAME: its element count, "none" if missing.
elems() {
	_j=$(ip netns exec "$HOST" nft -j list "$@" 2>/dev/null) ||
	    { echo none; return; }
	printf '%s' "$_j" | jq '[.nftables[] | (.set // .map // empty) |
	    (.elem // []) | length] | add // 0'
}
# The per-jail state the helpers keep: elements of these sets and maps
# (netdev src: ifindex . MAC . address; inet and bridge jails: the
# liveness pairs; ports4 and pubmark: the published ports), and one netdev
# base chain p<ifindex> per jail's port.
JAIL_SETS="set:netdev:src set:inet:jails set:bridge:jails map:inet:ports4
    map:inet:pubmark"
# jail_elems KIND:FAMILY:NAME: elems of that set or map of table capjail.
jail_elems() {
	_k=${1%%:*} _r=${1#*:}
	elems "$_k" "${_r%%:*}" capjail "${_r#*:}"
}
# port_chains: how many p<ifindex> chains netdev capjail holds.
port_chains() {
	_j=$(ip netns exec "$HOST" nft -j list chains netdev 2>/dev/null) ||
	    { echo none; return; }
	printf '%s' "$_j" | jq '[.nftables[] | (.chain // empty) |
	    select(.table == "capjail" and (.name | test("^p[1-9][0-9]*$")))] |
	    length'
}
# all_sets: "FAMILY:SET COUNT" for every set and map of every capjail
# table in HOST (what the report compares with the number of live jails,
# whatever the helper names its per-jail state).
all_sets() {
	ip netns exec "$HOST" nft -j list ruleset 2>/dev/null | jq -r '
	    .nftables[] | (.set // .map // empty) | select(.table == "capjail") |
	    "\(.family):\(.name) \((.elem // []) | length)"' 2>/dev/null
}
# jail_links: how many jail links (named for a quota slot: cj + uid, tag
# and slot) HOST holds, on the bridge or not (yet).
jail_links() {
	ip -n "$HOST" -o link show 2>/dev/null |
	    grep -c '^[0-9]*: cj[0-9a-f]\{8\}[0-9a-z]\{2\}[0-9a-f]\{3\}[@:]'
}
# state: every count above, on one line.
state() {
	_out="links $(jail_links), chains p<ifindex> $(port_chains)"
	for _s in $JAIL_SETS; do
		_r=${_s#*:}
		_out="$_out, ${_r%%:*} ${_r#*:} $(jail_elems "$_s")"
	done
	echo "$_out"
}
# host_clean: no jail link, port chain or per-jail element is left.
host_clean() {
	[ "$(jail_links)" -eq 0 ] || return 1
	case $(port_chains) in none | 0) ;; *) return 1 ;; esac
	for _s in $JAIL_SETS; do
		case $(jail_elems "$_s") in none | 0) ;; *) return 1 ;; esac
	done
}
n_state=$(state)
n_links=$(ip -n "$HOST" -o link show master capjail0 2>/dev/null | wc -l)
n_addr=$(awk '$3 != "fail"' "$SD/times" | wc -l)
# Raw samples for the report: every live jail's helper memory, and every
# set and map of the capjail tables with the jails running.
k=0
while read -r l; do
	k=$((k + 1))
	h=$(helper_of "$l")
	[ -n "$h" ] && record scale mem "$k" "$(private_kb $h)"
done <"$SD/pids"
record scale live 0 "$n_addr"
all_sets | while read -r n c; do record scale "live:$n" 0 "$c"; done

# Teardown: SIGTERM to every launcher at once; bounded wait (60 s) until
# no launcher runs and the host holds no jail link or element.
now() { date +%s.%N; }
# shellcheck disable=SC2046
all=$(descendants $(cat "$SD/pids"))
t0=$(now)
# shellcheck disable=SC2046
kill -TERM $(cat "$SD/pids") 2>/dev/null
t_gone="" t_clean="" i=0
while [ $i -lt 600 ]; do
	if [ -z "$t_gone" ]; then
		alive=""
		for p in $all; do running "$p" && { alive=1; break; }; done
		[ -z "$alive" ] && t_gone=$(now)
	fi
	if [ -n "$t_gone" ] && host_clean; then
		t_clean=$(now)
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
[ -n "$t_gone" ] && rm -f "$SD/pids"	# nothing left for the trap to end
all_sets | while read -r n c; do record scale "after:$n" 0 "$c"; done
[ -n "$t_gone" ] &&
    record scale teardown-gone 0 "$(echo "$t_gone $t0" | awk '{ print $1 - $2 }')"
[ -n "$t_clean" ] &&
    record scale teardown-clean 0 "$(echo "$t_clean $t0" | awk '{ print $1 - $2 }')"

echo
echo "jails started: $started of $JAILS (as $T_USER, one after another, each timed until it printed \"up\")"
printf '%-34s %10s\n' "start time" "ms"
printf '%-34s %10.1f\n' "1st jail" "$first"
printf '%-34s %10.1f\n' "median of the first 10" "$med_first"
printf '%-34s %10.1f\n' "median of the last 10" "$med_last"
printf '%-34s %10.1f\n' "jail $started (the last)" "$last"
awk -v a="$last" -v b="$first" -v c="$med_last" -v d="$med_first" 'BEGIN {
    printf "%-34s %10.3f  (target <= 1.25: %s)\n", "ratio last/1st", a / b,
	(a / b <= 1.25) ? "met" : "NOT met"
    printf "%-34s %10.3f\n", "ratio median last 10/first 10", c / d }'
grep -q '^kdamond' "$OUT/scale.tsv" &&
    echo "kdamond (the machine's DAMON), % of one CPU: $(awk '$1 == "kdamond" { printf "%s%s", s, $3; s = " -> " }' "$OUT/scale.tsv") (first tenth -> last tenth of the jails)"
echo "medians by hundred:"
awk '{ h = int((NR - 1) / 100); v[h] = v[h] " " $1; n[h]++ }
    END { for (k = 0; k in n; k++) print k * 100 + 1, k * 100 + n[k], v[k] }' \
    "$SD/ms" | while read -r lo hi vals; do
	# shellcheck disable=SC2086
	printf '  jails %3d-%3d %8.1f ms\n' "$lo" "$hi" \
	    "$(printf '%s\n' $vals | median)"
done
echo "with $n_addr jails running:"
echo "  capjail-net processes: $nhelpers (one per jail expected)"
[ -n "$dead" ] && echo "  of which dead (zombies), with how they ended: $dead"
if [ "$nhelpers" -gt 0 ]; then
	awk -v p="$helper_priv" -v s="$helper_pss" -v n="$nhelpers" -v l="$launcher_priv" -v j="$n_addr" 'BEGIN {
	    printf "  helper private memory: %d KiB total, %.1f KiB per jail (Pss %.1f KiB per jail)\n", p, p / j, s / j
	    printf "  launcher private memory: %.1f KiB per jail (for comparison)\n", l / j }'
	echo "  helper private memory of jail 1: $priv_first, of jail $started: $priv_last"
fi
echo "  links on capjail0: $n_links; per-jail state: $n_state"
if [ -n "$t_clean" ]; then
	echo "teardown (SIGTERM to all $started launchers at once):" \
	    "launchers and jails gone after $(echo "$t_gone $t0" | awk '{ printf "%.2f", $1 - $2 }') s," \
	    "host clean (no link, chain or element) after $(echo "$t_clean $t0" | awk '{ printf "%.2f", $1 - $2 }') s"
elif [ -n "$t_gone" ]; then
	echo "teardown: processes gone after $(echo "$t_gone $t0" | awk '{ printf "%.2f", $1 - $2 }') s, but after 60 s the host still holds:"
	echo "  $(state)"
	ip netns exec "$HOST" nft list set netdev capjail src 2>/dev/null |
	    sed -n '/elements = {/,/}/p' | sed 's/^[[:space:]]*/  left in src: /'
else
	echo "teardown: processes still running after 60 s (the exit trap kills them)"
fi
# What the launchers printed (their helpers' errors come through them).
msgs=$(cat "$SD"/err.* 2>/dev/null | sort | uniq -c | sort -rn | head -n 5)
if [ -n "$msgs" ]; then
	echo "launchers' stderr (count, message):"
	echo "$msgs" | sed 's/^/  /'
fi
[ "$started" -eq "$JAILS" ] && [ -n "$t_clean" ]
