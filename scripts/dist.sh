#!/bin/sh
# SPDX-License-Identifier: ISC
# `make dist`: capjail-VERSION.tar.gz from the files git tracks (as they
# are in the work tree), the same bytes every time from the same tree:
# names sorted, owner 0, modes normalised, every mtime the last commit's
# (or SOURCE_DATE_EPOCH), gzip without a name or time stamp.
# Usage: scripts/dist.sh VERSION
set -eu
version=${1:?usage: dist.sh VERSION}
cd "$(dirname "$0")/.."
name=capjail-$version
list=$(mktemp)
trap 'rm -f "$list"' EXIT
# A git tree of its own (an unpacked tarball may sit inside another one).
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
	git ls-files -z >"$list"
	: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct)}"
elif [ -f debian/changelog ] && [ -f LICENSE ]; then
	# An unpacked tarball: every file but the build and the tarball.
	find . -type f ! -path './build*' ! -name 'capjail-*.tar.gz' \
	    -printf '%P\0' >"$list"
	: "${SOURCE_DATE_EPOCH:=$(date -r LICENSE +%s)}"
else
	echo "dist: not a git tree nor a capjail tarball" >&2
	exit 1
fi
tar --create --null --files-from="$list" --sort=name \
    --transform="s|^|$name/|" --mtime="@$SOURCE_DATE_EPOCH" \
    --owner=0 --group=0 --numeric-owner --mode='go-w,a+rX' \
    --format=gnu | gzip -9 -n >"$name.tar.gz.new"
mv -f "$name.tar.gz.new" "$name.tar.gz"
echo "dist: $name.tar.gz"
