# SPDX-License-Identifier: ISC
# bench/report-scale.sh: the report's section on many concurrent jails
# (bench/scale.sh's samples in $RAW/scale.tsv): the k-th jail's start
# latency for k = 1..N, the helpers' private memory per jail, the
# teardown time of all N, and the per-jail nftables state against the
# number of live jails, and the anchors' starts with none and all of
# them running.  Sourced by bench/report.sh (st, verdict, gp).

# kth SERIES FROM TO: the samples of jails FROM..TO, one per line.
kth() {
	awk -v s="$1" -v a="$2" -v b="$3" '$1 == s && $2 >= a && $2 <= b {
	    print $3 }' "$RAW/scale.tsv"
}

# ends SERIES: "N median-of-first-10 median-of-last-10 first last"
ends() {
	_n=$(values scale "$1" | wc -l)
	[ "$_n" -ge 1 ] || return 0
	echo "$_n $(kth "$1" 1 10 | stats | awk '{ print $1 }')" \
	    "$(kth "$1" $((_n - 9)) "$_n" | stats | awk '{ print $1 }')" \
	    "$(kth "$1" 1 1) $(kth "$1" "$_n" "$_n")" |
	    awk '{ for (i = 2; i <= NF; i++) $i = sprintf("%.1f", $i); print }'

}

scale_start() {
	# shellcheck disable=SC2046 # five numbers, split on purpose
	set -- $(ends start)
	if [ $# -lt 5 ]; then
		echo "Not measured (bench/scale.sh left no samples)."
		echo
		return
	fi
	_r=$(echo "$3 $2" | awk '{ printf "%.2f", $1 / $2 }')
	echo "$1 jails started one after another as one user, each kept" \
	    "running, each timed until its command printed \"up\" (network up)."
	echo
	echo "| measure | value | target |"
	echo "|---|---|---|"
	echo "| 1st jail / jail $1 | $4 ms / $5 ms | |"
	echo "| median of jails 1–10 (p10–p90) | $2 ms ($(kth start 1 10 | stats | awk '{ printf "%.1f–%.1f", $2, $3 }')) | |"
	echo "| median of jails $(($1 - 9))–$1 (p10–p90) | $3 ms ($(kth start $(($1 - 9)) "$1" | stats | awk '{ printf "%.1f–%.1f", $2, $3 }')) | |"
	echo "| ratio last 10 / first 10 | $_r | <= 1.25 $(verdict "$_r" "<=" 1.25) |"
	_kd=$(awk '$1 == "kdamond" { printf "%s%s %%", s, $3; s = " / " }' \
	    "$RAW/scale.tsv")
	[ -z "$_kd" ] ||
	    echo "| the machine's DAMON (kdamond), share of one CPU, first / last tenth of the jails | $_kd | |"
	echo
	[ -z "$_kd" ] ||
	    echo "kdamond is the kernel's DAMON, which this machine runs; it samples the pages of every process, so its share grows with the processes the jails add, and each start shares the CPUs with it."
	[ -z "$_kd" ] || echo
	scale_anchors "$1"
	awk '$1 == "start" { print $2, $3 }' "$RAW/scale.tsv" >"$PLOTS/scale.dat"
	gp scale.png "set title 'start latency of the k-th concurrent jail'
	    set xlabel 'k (jails already running: k-1)'; set ylabel 'ms'
	    set yrange [0:*]
	    plot '$PLOTS/scale.dat' using 1:2 with points pt 7 ps 0.4 notitle"
}

# scale_anchors N: the same short starts with no jail and with N running.
scale_anchors() {
	grep -q '^atN:' "$RAW/scale.tsv" 2>/dev/null || return 0
	echo "The same machine's growth, for a start without a network:" \
	    "short starts (/bin/true), interleaved, before the first jail and" \
	    "again with all $1 running.  bwrap's growth is the machine's" \
	    "(pivot_root visits every thread on the machine; DAMON); what" \
	    "capjail --net adds on top is its own."
	echo
	echo "| start (/bin/true) | no jail running: median (p10–p90) | $1 running | ratio |"
	echo "|---|---|---|---|"
	for _n in bwrap capjail capjail-net; do
		_a=$(values scale "at0:$_n" | stats) _b=$(values scale "atN:$_n" | stats)
		[ -n "$_a" ] && [ -n "$_b" ] || continue
		echo "$_a $_b" | awk -v n="$_n" '{
		    printf "| %s | %.1f ms (%.1f–%.1f) | %.1f ms (%.1f–%.1f) | %.2f |\n",
			n, $1 / 1000, $2 / 1000, $3 / 1000, $5 / 1000,
			$6 / 1000, $7 / 1000, $5 / $1 }'
	done
	echo
}

scale_memory() {
	# shellcheck disable=SC2046 # five numbers, split on purpose
	set -- $(ends mem)
	if [ $# -lt 5 ]; then
		echo "Helper memory: not measured."
		echo
		return
	fi
	_all=$(values scale mem | stats)
	_max=$(values scale mem | sort -g | tail -n 1)
	_mean=$(values scale mem | awk '{ s += $1 } END { printf "%.1f", s / NR }')
	_grow=$(echo "$3 $2" | awk '{ print $1 - $2 }')
	echo "Helper private memory per live jail (Private_Clean + Private_Dirty" \
	    "of /proc/PID/smaps_rollup of each jail's capjail-net, all $1 running)."
	echo
	echo "| measure | KiB | target |"
	echo "|---|---|---|"
	echo "| jail 1 / jail $1 | $4 / $5 | |"
	echo "| median (p10–p90) over all | $(echo "$_all" | awk '{ printf "%.0f (%.0f–%.0f)", $1, $2, $3 }') | |"
	echo "| mean / largest | $_mean / $_max | <= 256 $(verdict "$_max" "<=" 256) |"
	echo "| growth: median of the last 10 − median of the first 10 | $_grow | <= 4 (one page: flat) $(verdict "$_grow" "<=" 4) |"
	echo
	awk '$1 == "mem" { print $2, $3 }' "$RAW/scale.tsv" >"$PLOTS/mem.dat"
	gp memory.png "set title 'helper private memory of the k-th jail'
	    set xlabel 'k'; set ylabel 'KiB'; set yrange [0:*]
	    plot '$PLOTS/mem.dat' using 1:2 with points pt 7 ps 0.4 notitle, \
		256 with lines dt 2 title 'target'"
}

scale_teardown() {
	_live=$(med scale live)
	_gone=$(med scale teardown-gone | awk '{ printf "%.2f", $1 }')
	_clean=$(med scale teardown-clean | awk '{ printf "%.2f", $1 }')
	echo "Teardown of ${_live:-?} jails (SIGTERM to every launcher at once):" \
	    "every process gone after ${_gone:-(not within 60 s)} s," \
	    "no jail link, port chain or per-jail element left after" \
	    "${_clean:-(not within 60 s)} s."
	echo
	echo "nftables elements of every set and map of the capjail tables," \
	    "with the ${_live:-?} jails running and after the teardown. A set" \
	    "that grows with the jails must hold exactly one element per live" \
	    "jail, and none after."
	echo
	echo "| set | with ${_live:-?} jails | after teardown | check |"
	echo "|---|---|---|---|"
	awk '$1 ~ /^live:/ { sub(/^live:/, "", $1); print $1 }' \
	    "$RAW/scale.tsv" | while read -r _s; do
		_l=$(med scale "live:$_s") _a=$(med scale "after:$_s")
		if [ "${_l:-0}" = "${_a:-0}" ]; then _c="static"
		elif [ "$_l" = "$_live" ] && [ "${_a:-x}" = 0 ]; then
			_c="**PASS**"
		else _c="**MISS**"; fi
		echo "| $_s | $_l | ${_a:-?} | $_c |"
	done
	echo
}

section_scale() {
	echo "## Many concurrent jails"
	echo
	scale_start
	scale_memory
	scale_teardown
}
