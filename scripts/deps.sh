#!/bin/sh
# SPDX-License-Identifier: ISC
# Install, with apt-get, every Debian package that building and testing
# capjail needs, when it is missing; do nothing when all are present.
# With the argument "bench", also what bench/ compares against.
# Services shipped by these packages (lighttpd, iperf3) must not start on
# the machine: a policy-rc.d forbids service starts during the install.
set -eu

PKGS="gcc make pkg-config libc6-dev libmnl-dev libnftnl-dev libcap-ng-dev
libbsd-dev libseccomp-dev libcap2-bin uidmap iproute2 nftables procps
util-linux passwd iputils-ping curl lighttpd bubblewrap iperf3 cloc
clang libclang-rt-14-dev cppcheck clang-tidy socat strace"
# tests/test-seccomp.sh: the allowed workloads (a C build, python3,
# lighttpd served to curl) and getent for tests/test-dns.sh.
PKGS="$PKGS python3 libc-bin"
# tests/test-helper.sh: gdb stops a helper at a chosen step.
PKGS="$PKGS gdb"
# tests/test-tidy.sh: conntrack plants a dead jail's flow.
PKGS="$PKGS conntrack"
# --- packaging (issue 11): make dist/deb, the package test, man --warnings,
# apparmor_parser for the profile, bash/zsh for the completions.
PKGS="$PKGS git debhelper devscripts lintian fakeroot dpkg-dev man-db
apparmor bash-completion zsh"
# --- end packaging
# `deps.sh bench`: also the peers `make bench` compares against, ab
# (apache2-utils) for the HTTP rounds and gnuplot for the report's plots.
[ "${1:-}" = bench ] && PKGS="$PKGS bubblewrap firejail slirp4netns passt
iperf3 lighttpd apache2-utils gnuplot-nox jq"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$st" in
	ii*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing; run as root or install them" >&2
	exit 1
fi
echo "deps: installing$missing"
prc=/usr/sbin/policy-rc.d
own_prc=0
if [ ! -e "$prc" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$prc"
	chmod 755 "$prc"
	own_prc=1
fi
trap '[ $own_prc -eq 1 ] && rm -f "$prc"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null
