# SPDX-License-Identifier: ISC
# bench/machine.sh: what the report's head says about where it ran: the
# machine (CPU model, cores, RAM), the kernel, capjail's commit and the
# version of every peer, as "KEY<TAB>VALUE" lines.  Sourced by run.sh,
# which sets B (the build dir) and top (the source tree).

# pkg_version PACKAGE: its Debian version, or "not installed".
pkg_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"
}

# machine_info MODE: the lines, MODE first.
# shellcheck disable=SC2154 # top and B: see above
machine_info() {
	printf 'mode\t%s\n' "$1"
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'CPU\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' \
	    /proc/cpuinfo | sort | uniq -c | sed 's/^ *//; s/ /× /')"
	printf 'cores\t%s online\n' "$(nproc)"
	printf 'RAM\t%s\n' "$(awk '/^MemTotal:/ {
	    printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	printf 'OS\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
	printf 'kernel\t%s\n' "$(uname -srm)"
	printf 'load at start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	_v=$("$B/capjail" --version 2>&1 | head -n 1)
	_c=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
	# The previous run's report is not a change to what is measured.
	git -C "$top" diff --quiet HEAD -- . ':!bench/results' 2>/dev/null ||
	    _c="$_c + uncommitted changes"
	printf 'capjail\t%s, commit %s\n' "$_v" "$_c"
	for _p in bubblewrap firejail slirp4netns passt iperf3 lighttpd \
	    apache2-utils nftables util-linux gnuplot-nox; do
		printf '%s\t%s\n' "$_p" "$(pkg_version "$_p")"
	done
}
