#!/bin/sh
# SPDX-License-Identifier: ISC
# `make deb`: the Debian package, built with dpkg-buildpackage from the
# release tarball (so the package is made from what `make dist` ships), in
# BUILD/deb, then checked with lintian (no errors allowed).  Leaves
# BUILD/capjail_VERSION-REV_ARCH.deb.  DEB_BUILD_OPTIONS passes through
# (make check's package test sets nocheck: it ran the unit tests already).
# Usage: scripts/deb.sh VERSION BUILD
set -eu
version=${1:?usage: deb.sh VERSION BUILD}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p "${2:?usage: deb.sh VERSION BUILD}"
B=$(cd "$2" && pwd)
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null || { echo "deb: $tool is missing;" \
	    "run make deps (scripts/deps.sh installs it)" >&2; exit 1; }
done
rev=$(dpkg-parsechangelog -l debian/changelog -S Version)
case $rev in
"$version"-*) ;;
*) echo "deb: debian/changelog says $rev, the Makefile $version:" \
    "add a changelog entry (dch -v $version-1)" >&2; exit 1 ;;
esac
rm -rf "$B/deb"
mkdir -p "$B/deb"
cp "capjail-$version.tar.gz" "$B/deb/capjail_$version.orig.tar.gz"
tar -xzf "capjail-$version.tar.gz" -C "$B/deb"
# Nothing of the make that runs us (B=, WERROR=... in MAKEFLAGS and the
# environment) may reach debian/rules' own make.
(cd "$B/deb/capjail-$version" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    -u B -u WERROR -u TESTDIR -u PREFIX dpkg-buildpackage -us -uc -b)
deb=capjail_${rev}_$(dpkg --print-architecture).deb
lintian --fail-on error --suppress-tags-from-file /dev/null "$B/deb/$deb"
cp "$B/deb/$deb" "$B/$deb"
echo "deb: $B/$deb"
