#!/bin/sh
# SPDX-License-Identifier: ISC
# `make check-unit`: every test that needs neither root nor apt.  The C
# unit tests in $BUILD/tests and the shell tests named in UNIT_SH, with
# TESTDIR a scratch directory of our own.  Ends with "N passed, N failed"
# and exits non-zero on any failure (including a crash with no "not ok").
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
UNIT_SH="test-pkg-build test-checkconfig test-benchstats"
TESTDIR=$(mktemp -d "${TMPDIR:-/tmp}/capjail-unit.XXXXXX")
export BUILD TESTDIR
trap 'rm -rf "$TESTDIR"' EXIT
pass=0 fail=0

tally() {	# tally NAME LOG RC
	p=$(grep -Ec '^ok [0-9]+' "$2")
	f=$(grep -Ec '^not ok [0-9]+' "$2")
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 exited with status $3"
		f=1
	fi
	printf '# %-24s %3d passed, %d failed\n' "$1" "$p" "$f"
	pass=$((pass + p)); fail=$((fail + f))
}

run() {		# run NAME CMD...
	n=$1; shift
	log=$TESTDIR/log
	echo "# --- $n"
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	sed 's/^/  /' "$log"
	tally "$n" "$log" "$rc"
}

for t in "$BUILD"/tests/test-*; do
	[ -x "$t" ] && run "$(basename "$t")" "$t"
done
for t in $UNIT_SH; do
	run "$t" sh "$top/tests/$t.sh"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
