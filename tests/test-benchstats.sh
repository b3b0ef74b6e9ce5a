#!/bin/sh
# SPDX-License-Identifier: ISC
# The statistics make bench reports its verdicts with (bench/lib.sh,
# bench/report.sh), on samples whose answers are known: the median's
# distribution-free 95 % interval picks the order statistics the binomial
# tables give, and a target row says PASS or MISS only when the whole
# interval of the same-round ratios is on one side of the target, else
# "not settled".  Needs no privilege and no network.
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/libtest.sh"
OUT=$WORK
. "$top/bench/lib.sh"

# The binomial tables: n = 12 gives the 3rd and 10th smallest (96.1 %),
# n = 100 the 40th and 61st, n = 6 and n = 5 the extremes.
is "$(seq 1 12 | sort -R | median_ci)" "6.5 3 10 12" \
    "12 samples: median 6.5, interval from the 3rd to the 10th"
is "$(seq 1 100 | sort -R | median_ci)" "50.5 40 61 100" \
    "100 samples: the 40th to the 61st"
is "$(seq 1 6 | median_ci)" "3.5 1 6 6" "6 samples: the extremes"
is "$(seq 1 5 | median_ci)" "3 1 5 5" "5 samples: the extremes, median 3"
is "$(echo 7 | median_ci)" "7 7 7 1" "1 sample: itself"
is "$(seq 1 8 | median_ci)" "4.5 1 8 8" "8 samples: still the extremes (99.2 %)"
is "$(seq 1 9 | median_ci)" "5 2 8 9" "9 samples: the 2nd to the 8th (96.1 %)"
is "$(seq 1 2000 | median_ci)" "1000.5 956 1045 2000" \
    "2000 samples: the 956th to the 1045th (no underflow)"
is "$(printf '' | median_ci)" "" "no samples: nothing"

is "$(settled 0.98 1.02 '>=' 0.97)" "**PASS**" "interval above: PASS"
is "$(settled 0.90 0.96 '>=' 0.97)" "**MISS**" "interval below: MISS"
is "$(settled 0.93 1.02 '>=' 0.97)" "not settled" \
    "interval across the target: not settled"
is "$(settled 0.70 0.80 '<=' 0.8)" "**PASS**" "<=: the interval's top on it"
is "$(settled 0.81 0.90 '<=' 0.8)" "**MISS**" "<=: above it"
is "$(settled 0.75 0.85 '<=' 0.8)" "not settled" "<=: across it"

# A report from raw samples: three series against one anchor, 12 rounds.
# The anchor drifts from round to round; "steady" is 0.99 of it in every
# round, "noisy" swings 0.85..1.15 around it, "slow" is 0.90 of it.
raw=$WORK/raw
mkdir -p "$raw"
r=0
while [ $r -lt 12 ]; do
	a=$((10 + r * 3 % 7))
	sw=$(echo "$r" | awk '{ print ($1 % 2) ? 1.15 : 0.85 }')
	awk -v r=$r -v a=$a -v sw="$sw" 'BEGIN {
	    printf "bare-in %d %.4f\n", r, a
	    printf "capjail-in %d %.4f\n", r, a * 0.99
	    printf "capjail-out %d %.4f\n", r, a * sw
	    printf "bare-out %d %.4f\n", r, a
	}' >>"$raw/throughput.tsv"
	r=$((r + 1))
done
printf 'kernel\t6.x\n' >"$raw/machine.txt"
out=$(sh "$top/bench/report.sh" "$raw" "$WORK" 2>&1)
like "$out" "report: $WORK/REPORT.md" "report.sh writes a report"
rep=$(cat "$WORK/REPORT.md" 2>/dev/null)
like "$rep" '\| capjail, in \| .* \| 12 \| 0\.99 \| 0\.99 \[0\.990–0\.990\] \| >= 0\.97 \*\*PASS\*\* \|' \
    "a steady 0.99 against a drifting anchor: PASS"
like "$rep" '\| capjail, out \| .* \| 12 \| .* \| 1\.00 \[0\.850–1\.150\] \| >= 0\.97 not settled \|' \
    "a swing around the target: not settled, with its interval"
like "$rep" '\| capjail, its rules skipped, in \| not measured \|' \
    "a series without samples: not measured"

# Rounds pair by number, not by position: with round 0 of capjail-in and
# round 11 of bare-in gone (and the rest shuffled), 10 pairs remain.
grep -v -e '^capjail-in 0 ' -e '^bare-in 11 ' "$raw/throughput.tsv" |
    sort -R >"$raw/t2"
mv "$raw/t2" "$raw/throughput.tsv"
sh "$top/bench/report.sh" "$raw" "$WORK" >/dev/null 2>&1
like "$(cat "$WORK/REPORT.md")" '\| capjail, in \| .* \| 11 \| 0\.99 \| 0\.99 \[0\.990–0\.990, 10 pairs\] \| >= 0\.97 \*\*PASS\*\* \|' \
    "pairs by round number: the steady 0.99 stays, 10 pairs"

# The same with a steady 0.90: MISS.
awk '$1 == "bare-in" { print "capjail-in", $2, $3 * 0.9 }' \
    "$raw/throughput.tsv" >"$raw/t2"
grep -v '^capjail-in' "$raw/throughput.tsv" >>"$raw/t2"
mv "$raw/t2" "$raw/throughput.tsv"
sh "$top/bench/report.sh" "$raw" "$WORK" >/dev/null 2>&1
like "$(cat "$WORK/REPORT.md")" '\| capjail, in \| .* \| 0\.90 \[0\.900–0\.900\] \| >= 0\.97 \*\*MISS\*\* \|' \
    "a steady 0.90: MISS"

# bench/profile.sh on recordings whose report is known: a stand-in perf
# prints, for perf-PATH-DIR.data, half the samples idle and the rest
# in a few symbols; the shares are of the busy half, grouped by name.
mkdir -p "$WORK/bin" "$WORK/prof"
cat >"$WORK/bin/perf" <<'PERF'
#!/bin/sh
case $* in
*perf-capjail-out.data*) cat <<'R'
# Overhead  Symbol
    50.00%  [k] pvm_safe_halt_hc
    10.00%  [k] nft_do_chain
     5.00%  [k] nft_rhash_lookup
     2.50%  [k] sized_strscpy
     2.50%  [k] __inet_lookup_established
    30.00%  [k] _copy_to_iter
R
;;
*perf-bare-out.data*) cat <<'R'
    50.00%  [k] default_idle
     2.50%  [k] nft_do_chain
    47.50%  [k] _copy_to_iter
R
;;
esac
PERF
chmod +x "$WORK/bin/perf"
: >"$WORK/prof/perf-capjail-out.data"
: >"$WORK/prof/perf-bare-out.data"
prof=$(PATH=$WORK/bin:$PATH sh "$top/bench/profile.sh" "$WORK/prof" \
    capjail bare)
like "$prof" '\| nft_do_chain \(rules walked\) \| 20\.00 \| 5\.00 \|' \
    "profile: a share is of the busy samples (10 % of all, 20 % of busy)"
like "$prof" '\| set lookups [^|]* \| 10\.00 \| 0 \|' \
    "profile: nft's set lookups grouped, absent from the other path"
unlike "$prof" 'set lookups [^|]* \| 15' \
    "profile: a socket lookup is not an nft set lookup"
like "$prof" '\| interface names loaded [^|]* \| 5\.00 \| 0 \|' \
    "profile: interface-name loads grouped"
like "$prof" '\| _copy_to_iter \| 60\.00 \| 95\.00 \| -35\.00 \|' \
    "profile: the largest difference between the paths comes first"
unlike "$prof" 'halt|default_idle' "profile: idle symbols are left out"
is "$(PATH=$WORK/bin:$PATH sh "$top/bench/profile.sh" "$WORK/none" x \
    2>&1; echo "rc $?")" "profile.sh: no recordings in $WORK/none
rc 1" "profile: no recordings is an error"

done_testing
