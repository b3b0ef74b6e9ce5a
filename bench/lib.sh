# SPDX-License-Identifier: ISC
# bench/lib.sh: what every bench/ script shares, sourced after
# tests/libtest.sh and tests/seed.sh: the statistics over raw samples, the
# rotation that interleaves contenders (ABAB...), where raw samples go, and
# how the unprivileged peers that need a tun device are started.
#
# Raw samples are lines "SERIES ROUND VALUE" in $OUT/NAME.tsv (OUT: the
# results' raw directory, default $WORK, thrown away); bench/report.sh
# reads them.  Keeping the samples rather than summaries lets the report
# compute every statistic and plot from one place.

: "${OUT:=$WORK}"
mkdir -p "$OUT"

say() { printf '# %s\n' "$*"; }

# record NAME SERIES ROUND VALUE: one raw sample.
record() { echo "$2 $3 $4" >>"$OUT/$1.tsv"; }

# values NAME SERIES: the samples of one series, one per line.
values() {
	awk -v s="$2" '$1 == s { print $3 }' "$OUT/$1.tsv" 2>/dev/null
}

# stats: numbers on stdin -> "median p10 p90 n", nothing when empty.
# Percentiles by linear interpolation between closest ranks, so that a
# quick run's 5 samples still give a spread.
stats() {
	sort -g | awk '{ a[NR] = $1 }
	    function q(p,  h, l) { h = (NR - 1) * p + 1; l = int(h)
		return (l >= NR) ? a[NR] : a[l] + (h - l) * (a[l + 1] - a[l]) }
	    END { if (NR) print q(0.5), q(0.1), q(0.9), NR }'
}

# median_ci: numbers on stdin -> "median lo hi n", where lo..hi is a
# distribution-free 95 % confidence interval of the median: the k-th
# smallest and k-th largest sample, k the largest with P(B <= k-1) <=
# 0.025 for B ~ Binomial(n, 1/2).  It assumes nothing of the noise but
# that rounds are independent; under 6 samples no interval reaches 95 %,
# and the smallest and largest are given (n = 5: 94 %).
median_ci() {
	sort -g | awk '{ a[NR] = $1 } END {
	    if (!NR) exit
	    # P(B = k) in logs: 0.5 ^ n is 0 in a double past n = 1074
	    n = NR; lp = -n * log(2); c = exp(lp); k = 1
	    while (k < (n + 1) / 2) {
		lp += log((n - k + 1) / k)
		if (c + exp(lp) > 0.025) break
		c += exp(lp); k++
	    }
	    m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	    print m, a[k], a[n + 1 - k], n }'
}

# settled LO HI OP TARGET: PASS when the interval LO..HI lies wholly on
# the target's side, MISS when wholly on the other, else "not settled".
settled() {
	awk -v l="$1" -v h="$2" -v o="$3" -v t="$4" 'BEGIN {
	    if (o == "<=") { ok = h <= t; bad = l > t }
	    else { ok = l >= t; bad = h < t }
	    print ok ? "**PASS**" : bad ? "**MISS**" : "not settled" }'
}

# RUNDIR: the bench user's runtime directory (XDG_RUNTIME_DIR) on a tmpfs,
# as a login session's /run/user/UID is, for the starts that are timed.
# Without one capjail keeps its jail records in /tmp/capjail-UID, which
# is ext4 on this machine: there each start creates and removes a few
# files, and ext4's inode allocation, stepping over recently deleted
# inodes, cost more and more the longer the churn went on (perf: a tenth
# of a start's samples at 500 jails).  mk_rundir makes it; the scripts
# that use it remove it in their exit trap.
RUNDIR=/dev/shm/cjc-run.$$
mk_rundir() { mkdir -m 0700 "$RUNDIR" && chown "$T_USER:" "$RUNDIR"; }

# rotate N WORDS...: the words rotated left N times; round r of a bench
# runs its contenders in the order rotate r, so none always goes first.
rotate() {
	_n=$(($1 % ($# - 1))); shift
	while [ "$_n" -gt 0 ]; do
		_f=$1; shift; set -- "$@" "$_f"; _n=$((_n - 1))
	done
	echo "$@"
}

# tun_user USER CMD...: CMD as USER in $HOST, in a private mount namespace
# whose /dev/net/tun is a 0666 node on a tmpfs.  The machine's tun node is
# 0600, and unprivileged slirp4netns and pasta need one they can open; the
# host's /dev stays untouched.  With _tun_pre=setsid (see bg_tun_user), in
# a session of its own.
tun_user() {
	${_tun_pre:-} ip netns exec "$HOST" unshare -m --propagation private \
	    sh -c 'mount -t tmpfs -o mode=0755,size=16k cjc-tun /dev/net &&
		mknod -m 0666 /dev/net/tun c 10 200 || exit 1
		u=$1; shift
		exec setpriv --reuid="$u" --regid="$(id -g "$u")" \
		    --init-groups --reset-env \
		    env PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		    CAPJAIL_HELPER="$CAPJAIL_HELPER" "$@"' \
	    sh "$@"
}

# BG_GROUPS: process groups of what bg_tun_user started; bg_groups_kill
# ends them (the exit traps call it).
BG_GROUPS=""
# bg_tun_user LOG USER CMD...: tun_user in the background; its process
# group is the background pid (exec setsid keeps the pid).
bg_tun_user() {
	_log=$1; shift
	(_tun_pre="exec setsid"; tun_user "$@") >"$_log" 2>&1 </dev/null &
	BG_GROUPS="$BG_GROUPS $!"
}
bg_groups_kill() {
	for _g in $BG_GROUPS; do kill -KILL "-$_g" 2>/dev/null; done
	BG_GROUPS=""
}

# host_default_route: pasta --config-net copies the addresses and default
# route of the namespace it starts from; $HOST has none by itself.
host_default_route() {
	ip -n "$HOST" route replace default via "$LAN_ADDR"
}
