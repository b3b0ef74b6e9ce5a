#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/profile.sh OUT PATH...: the recordings bench/throughput.sh made
# with PROFILE set ($OUT/perf-PATH-in|out.data) as a Markdown report on
# stdout: where each path's CPU time went, as % of the samples taken on
# every CPU while it was not idle, for the kernel's packet filtering
# (grouped as below), then the symbols whose share differs most between
# the first path given and each other one.  A path with no recording is
# left out.  Grouping is by symbol name, so it is what the kernel's
# functions are called on this kernel; a symbol in no group counts only
# in the second table.
set -u
OUT=$1; shift
[ $# -ge 1 ] || { echo "usage: profile.sh OUT PATH..." >&2; exit 1; }

# shares PATH DIR: "PERCENT SYMBOL" lines of one recording, self time,
# as % of the samples taken while a CPU was not idle: the idle share is
# what the paths differ in most and says nothing of where work went.
IDLE='safe_halt|^default_idle|cpuidle|^do_idle|^mwait|^intel_idle|^acpi_idle'
shares() {
	perf report -i "$OUT/perf-$1-$2.data" --no-children --sort sym \
	    --stdio -g none --percent-limit 0 2>/dev/null |
	    awk -v idle="$IDLE" '$1 ~ /%$/ && $2 ~ /^\[/ {
		sub(/%/, "", $1)
		if ($3 ~ idle) { gone += $1; next }
		v[$3] += $1
	    } END { if (gone >= 100) exit
		for (s in v) if (v[s] * 100 / (100 - gone) >= 0.01)
		    printf "%.3f %s\n", v[s] * 100 / (100 - gone), s }'
}

# The groups, by the first pattern a symbol matches.
group() {
	awk '{
	    g = ""
	    if ($2 == "nft_do_chain") g = "nft_do_chain (rules walked)"
	    else if ($2 ~ /^_*nft_.*(lookup|hash|set_|rbtree|pipapo)|^jhash/) \
		g = "set lookups (nft_*lookup*, hashes)"
	    else if ($2 ~ /ifname|strscpy|strnlen/) \
		g = "interface names loaded (iifname, oifname)"
	    else if ($2 ~ /^nft_/) g = "other nft expressions"
	    else if ($2 ~ /^(nf_conntrack|__nf_conntrack|nf_ct_|hash_conntrack|nf_nat)/) \
		g = "conntrack and NAT"
	    else if ($2 ~ /^br_nf_|^ip_sabotage/) g = "br_netfilter"
	    else if ($2 ~ /^nf_hook/) g = "nf_hook_slow (hook dispatch)"
	    if (g != "") s[g] += $1
	} END { for (g in s) printf "%s\t%.2f\n", g, s[g] }'
}

cols=""
for p; do for d in in out; do
	[ -f "$OUT/perf-$p-$d.data" ] || continue
	shares "$p" "$d" >"$OUT/perf-$p-$d.txt"
	group <"$OUT/perf-$p-$d.txt" >"$OUT/perf-$p-$d.grp"
	cols="$cols $p-$d"
done; done
[ -n "$cols" ] || { echo "profile.sh: no recordings in $OUT" >&2; exit 1; }

echo "### Where the CPU went (perf, % of the busy samples on every CPU)"
echo
echo "One run per path and direction after the measured rounds, under"
echo "\`perf record -a -g\`; self time of kernel symbols, grouped by name,"
echo "as % of the samples taken while a CPU was not idle."
echo
printf '| group |'; for c in $cols; do printf ' %s |' "$c"; done; echo
printf '|---|'; for c in $cols; do printf -- '---|'; done; echo
for c in $cols; do cat "$OUT/perf-$c.grp"; done | cut -f1 | sort -u |
    while IFS= read -r g; do
	printf '| %s |' "$g"
	for c in $cols; do
		v=$(awk -F'\t' -v g="$g" '$1 == g { print $2 }' "$OUT/perf-$c.grp")
		printf ' %s |' "${v:-0}"
	done
	echo
done

first=$1; shift
for p; do for d in in out; do
	[ -f "$OUT/perf-$first-$d.txt" ] && [ -f "$OUT/perf-$p-$d.txt" ] ||
	    continue
	echo
	echo "#### $first-$d against $p-$d: the 15 largest differences"
	echo
	echo "| symbol | $first-$d | $p-$d | difference |"
	echo "|---|---|---|---|"
	awk 'FNR == NR { a[$2] += $1; next } { b[$2] += $1 }
	    END { for (s in a) d[s] = 1; for (s in b) d[s] = 1
		for (s in d) { x = a[s] - b[s]
		    printf "%.2f %s %.2f %.2f %.2f\n", x < 0 ? -x : x, s,
			a[s], b[s], x } }' \
	    "$OUT/perf-$first-$d.txt" "$OUT/perf-$p-$d.txt" |
	    sort -k1,1gr | head -n 15 |
	    awk '{ printf "| %s | %s | %s | %+.2f |\n", $2, $3, $4, $5 }'
done; done
