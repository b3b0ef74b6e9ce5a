#!/bin/sh
# SPDX-License-Identifier: ISC
# Runs every test: the C unit tests (build/tests/test-*) and the shell
# integration tests (tests/test-*.sh), counts their TAP lines and ends with
# one line "N passed, N failed, N skipped".  Exits non-zero on any failure,
# including a test that crashes or exits non-zero without a "not ok".
#
# Integration tests need root to create the test users, to stage the
# binaries where those users can read them (the clone may sit under /root)
# and to setcap the staged helper.
#
# Usage: tests/run.sh [NAME...]  runs only the tests whose names are given
# (e.g. test-proto test-launcher).  BUILD and TESTDIR come from the Makefile.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-$top/build}
: "${TESTDIR:=/tmp/capjail-check}"
BUILD=$B
export TESTDIR BUILD
pass=0 fail=0 skipped=0

count() {	# count NAME LOGFILE RC
	p=$(grep -Ec '^ok [0-9]+( |$)' "$2" | tr -d ' ')
	s=$(grep -Ec '^ok [0-9]+ # SKIP' "$2" | tr -d ' ')
	f=$(grep -Ec '^not ok [0-9]+' "$2" | tr -d ' ')
	p=$((p - s))
	if grep -q '^1\.\.0 # SKIP' "$2"; then s=$((s + 1)); fi
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $1 exited with status $3"
		f=1
	fi
	printf '# %-24s %3d passed, %d failed, %d skipped\n' "$1" "$p" "$f" "$s"
	pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + s))
}

wanted() {	# wanted NAME: no filter given, or NAME is in it
	[ -z "$only" ] && return 0
	case " $only " in *" $1 "*) return 0 ;; esac
	return 1
}
only="$*"

run_one() {	# run_one NAME CMD...
	name=$1; shift
	wanted "$name" || return 0
	log=$(mktemp)
	echo "# --- $name"
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	sed 's/^/  /' "$log"
	count "$name" "$log" "$rc"
	rm -f "$log"
}

. "$top/tests/stage.sh"

for t in "$B"/tests/test-*; do
	[ -x "$t" ] && run_one "$(basename "$t")" "$t"
done

if [ "$(id -u)" -ne 0 ]; then
	echo "# integration tests need root (to create test users): skipped"
	skipped=$((skipped + 1))
elif ! stage_all; then
	echo "not ok - test set-up (users, staging, setcap) failed"
	fail=$((fail + 1))
else
	for t in "$top"/tests/test-*.sh; do
		[ -f "$t" ] || continue
		run_one "$(basename "$t" .sh)" sh "$t"
	done
	rm -rf "$TESTDIR"
fi

echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
