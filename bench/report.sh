#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/report.sh RAW DIR: make DIR/REPORT.md and DIR/*.png from the raw
# samples bench/run.sh left in RAW (machine.txt, start.tsv,
# throughput.tsv, http.tsv, scale.tsv; see bench/lib.sh for the format).
# Every statistic of the report is computed here, from the samples: the
# median, the spread (10th..90th percentile), the ratio of the medians to
# the anchor, and issue 9's target next to it with PASS, MISS or "not
# settled" (bench/lib.sh's median_ci and settled).  A
# measurement whose samples are missing is reported as not measured.
# Needs no privilege; the plots need gnuplot (pngcairo, else png).
set -u
[ $# -eq 2 ] || { echo "usage: report.sh RAW DIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
RAW=$1 DIR=$2
OUT=$RAW
. "$top/bench/lib.sh"
R=$DIR/REPORT.md
PLOTS=$RAW/plot
mkdir -p "$PLOTS" && : >"$PLOTS/gnuplot.err"

# st NAME SERIES: "median p10 p90 n" of a series, nothing when empty.
st() { values "$1" "$2" | stats; }
med() { st "$1" "$2" | awk '{ print $1 }'; }

# verdict VALUE OP TARGET: PASS or MISS ("-" when VALUE is empty).
verdict() {
	[ -n "$1" ] || { echo "-"; return; }
	awk -v v="$1" -v o="$2" -v t="$3" 'BEGIN {
	    ok = (o == "<=") ? v <= t : v >= t
	    print ok ? "**PASS**" : "**MISS**" }'
}

# paired NAME SERIES ANCHOR: "median lo hi n" of the ratios of SERIES to
# ANCHOR within each round (the pairs ran next to each other; lo..hi the
# 95 % interval of median_ci), nothing if no round has both.
paired() {
	awk -v s="$2" -v a="$3" '$1 == a { an[$2] = $3 } $1 == s { v[$2] = $3 }
	    END { for (r in v) if (an[r] > 0) print v[r] / an[r] }' \
	    "$RAW/$1.tsv" 2>/dev/null | median_ci
}

# row NAME SERIES LABEL SCALE UNIT ANCHOR [OP TARGET]: one table row:
# label, median, p10..p90 (values divided by SCALE), n, ratio of the
# median to ANCHOR's median, the median of the same-round ratios with its
# 95 % interval, the target and the verdict.  The verdict is on the
# same-round ratios, which cancel the drift the rounds share: PASS or
# MISS only when the whole interval is on one side of the target.
row() {
	_s=$(st "$1" "$2")
	if [ -z "$_s" ]; then
		echo "| $3 | not measured | | | | | |"
		return
	fi
	_a=$(med "$1" "$6")
	_r=$(echo "$_s" | awk -v a="${_a:-0}" '{
	    if (a > 0) printf "%.2f", $1 / a; else printf "-" }')
	_c=$(paired "$1" "$2" "$6")
	# The interval to three places: at two, 0.9695 would read 0.97
	# next to a MISS of ">= 0.97".
	_p=$(echo "$_c" | awk -v n="$(echo "$_s" | cut -d ' ' -f 4)" '
	    NF == 4 { printf "%.2f [%.3f–%.3f%s]", $1, $2, $3,
		($4 < n) ? ", " $4 " pairs" : "" }')
	_t="" _v=""
	if [ $# -ge 8 ]; then
		_t="$7 $8" _v="-"
		[ -n "$_c" ] && _v=$(echo "$_c" |
		    { read -r _m _l _h _n; settled "$_l" "$_h" "$7" "$8"; })
	fi
	echo "$_s" | awk -v l="$3" -v d="$4" -v u="$5" -v r="$_r" \
	    -v p="${_p:--}" -v t="$_t" -v v="$_v" '{
	    f = ($1 / d >= 1000) ? "%.0f" : "%.2f"
	    printf "| %s | " f " %s | " f "–" f " | %d | %s | %s | %s %s |\n",
		l, $1 / d, u, $2 / d, $3 / d, $4, r, p, t, v }'
}

# thead ANCHOR: the head of a table of rows.
thead() {
	echo "| contender | median | p10–p90 | runs | ratio of medians to $1 |" \
	    "same-round ratio: median [95 % interval] | target |"
	echo "|---|---|---|---|---|---|---|"
}

# plot_bars NAME PNG TITLE YLABEL SCALE SERIES...: median bars with
# p10..p90 error bars, one per series.
plot_bars() {
	_n=$1 _png=$2 _ti=$3 _yl=$4 _d=$5; shift 5
	_f=$PLOTS/${_png%.png}.dat
	: >"$_f"
	for _s; do
		st "$_n" "$_s" | awk -v s="$_s" -v d="$_d" \
		    '{ print s, $1 / d, $2 / d, $3 / d }' >>"$_f"
	done
	[ -s "$_f" ] || return 0
	gp "$_png" "set title '$_ti'; set ylabel '$_yl'; set style fill solid 0.4
	    set boxwidth 0.6; set xtics rotate by -30; set yrange [0:*]
	    plot '$_f' using 0:2:xtic(1) with boxes notitle, \
		'' using 0:2:3:4 with yerrorbars lc rgb 'black' notitle"
}

# gp PNG SCRIPT: run gnuplot with a PNG terminal; the image's link.
gp() {
	command -v gnuplot >/dev/null || return 0
	_term=pngcairo
	echo 'set terminal' | gnuplot 2>&1 | grep -q pngcairo || _term=png
	gnuplot 2>>"$PLOTS/gnuplot.err" <<GPEOF || return 0
set terminal $_term size 900,500
set output '$DIR/$1'
set grid
$2
GPEOF
	echo "![$1]($1)"
	echo
}

header() {
	echo "# capjail benchmark report"
	echo
	echo "Written by \`make bench\` (bench/run.sh, bench/report.sh)" \
	    "$(sed -n 's/^mode	//p' "$RAW/machine.txt")."
	echo "Contenders run interleaved (ABAB..., the order rotated every" \
	    "round); medians, with the spread as 10th–90th percentile;" \
	    "ratios are from this one run, never across runs."
	echo "A target's verdict is on the ratios of a contender to its anchor" \
	    "within each round, which cancel the drift the two share: their" \
	    "median, with a distribution-free 95 % interval (order" \
	    "statistics; the extremes under 6 rounds).  PASS or MISS when" \
	    "the whole interval lies on one side of the target; \"not" \
	    "settled\" when this run's rounds cannot tell."
	echo
	echo "| | |"
	echo "|---|---|"
	grep -v '^mode	' "$RAW/machine.txt" | awk -F '\t' \
	    '{ printf "| %s | %s |\n", $1, $2 }'
	echo
}

section_start() {
	echo "## Start latency (start to exit), as an unprivileged user"
	echo
	echo "Each contender runs as the unprivileged cjtest1 in a throwaway" \
	    "network namespace, timed with bash's \$EPOCHREALTIME around the" \
	    "command (fork to exit, no extra process in the interval)."
	echo
	thead bwrap
	row start true "/bin/true alone" 1000 ms bwrap
	row start capjail "capjail -- /bin/true" 1000 ms bwrap "<=" 0.8
	row start capjail-net "capjail --net -p 8080:80 (veth, firewall, one published port)" 1000 ms bwrap "<=" 1.5
	row start bwrap "bwrap --unshare-all (anchor)" 1000 ms bwrap
	row start unshare "unshare -Urnm --pid --fork --mount-proc" 1000 ms bwrap
	row start firejail "firejail --noprofile" 1000 ms bwrap
	row start pasta "pasta --config-net" 1000 ms bwrap
	echo
	plot_bars start start.png "start to exit" ms 1000 true capjail \
	    capjail-net bwrap unshare firejail pasta
	echo "## Time until ready (the command runs with its network up)"
	echo
	echo "From the start until the command, started with its network up," \
	    "prints \"up\" (the same runs as above; slirp4netns: the" \
	    "command starts when slirp4netns reports ready on --ready-fd)."
	echo
	thead "bwrap (no network)"
	row start capjail-net-ready "capjail --net -p 8080:80" 1000 ms bwrap "<=" 1.2
	row start slirp4netns-ready "unshare -Urn + slirp4netns --configure" 1000 ms bwrap
	row start pasta-ready "pasta --config-net" 1000 ms bwrap
	row start bwrap "bwrap, no network (anchor)" 1000 ms bwrap
	echo
	plot_bars start ready.png "until the command runs with its network up" \
	    ms 1000 capjail-net-ready slirp4netns-ready pasta-ready bwrap
}

section_net() {
	echo "## TCP throughput (iperf3, one stream), LAN client to a published port"
	echo
	echo "Anchor: the hand-built veth+bridge+DNAT path in a namespace of" \
	    "its own (no other firewall): the kernel's ceiling."
	echo
	thead "own-netns hand-built"
	for _d in in out; do
		row throughput "capjail-$_d" "capjail, $_d" 1e9 Gbit/s \
		    "bare-$_d" ">=" 0.97
		for _p in open ref bare slirp pasta; do
			row throughput "$_p-$_d" "$(path_name "$_p"), $_d" 1e9 \
			    Gbit/s "bare-$_d"
		done
	done
	echo
	echo "in: the LAN client sends to the server; out: iperf3 -R." \
	    "\"Rules skipped\": capjail's own jail, measured while each chain" \
	    "its packets pass (the port's ingress, jailin, forward, jailout," \
	    "the bridge's output) starts with an accept: what any cut of" \
	    "capjail's per-packet rules could gain at most."
	echo
	plot_bars throughput throughput.png "TCP throughput (iperf3)" Gbit/s \
	    1e9 capjail-in open-in bare-in ref-in slirp-in pasta-in \
	    capjail-out open-out bare-out ref-out slirp-out pasta-out
	if [ -s "$RAW/profile.md" ]; then
		cat "$RAW/profile.md"
		echo
	fi
	echo "## HTTP requests/s (lighttpd, ab -c 8), LAN client to a published port"
	echo
	echo "Same paths as above; lighttpd serves a 14-byte page."
	echo
	thead "own-netns hand-built"
	for _m in new keep; do
		for _p in capjail open bare ref slirp pasta; do
			row http "$_p-$_m" "$(path_name "$_p"), $_m" 1 req/s "bare-$_m"
		done
	done
	echo
	echo "new: a new connection per request; keep: keep-alive (ab -k)."
	echo
	plot_bars http http.png "HTTP requests/s (lighttpd, ab -c 8)" req/s 1 \
	    capjail-new open-new bare-new ref-new slirp-new pasta-new \
	    capjail-keep open-keep bare-keep ref-keep slirp-keep pasta-keep
}

path_name() {
	case $1 in
	capjail) echo capjail ;; bare) echo "hand-built, own netns (anchor)" ;;
	ref) echo "hand-built, next to capjail's tables" ;;
	open) echo "capjail, its rules skipped" ;;
	slirp) echo "slirp4netns (add_hostfwd)" ;; pasta) echo "pasta -t" ;;
	esac
}

. "$top/bench/report-scale.sh"

{
	header
	section_start
	section_net
	section_scale
} >"$R"
echo "report: $R"
