#!/bin/sh
# SPDX-License-Identifier: ISC
# The whole suite again, built with ASan and UBSan (make SANITIZE=1), the
# setcap'ed helper included; see SECURITY.md for how the sanitizers and the
# helper's sandbox live together.
. "$(dirname "$0")/libtest.sh"
[ -z "${CAPJAIL_NESTED:-}" ] || skip_all "run once, by the outer suite"
top=$(cd "$(dirname "$0")/.." && pwd)
sb=$BUILD/sanitize
std=$TESTDIR-san
make -C "$top" B="$sb" SANITIZE=1 TESTDIR="$std" test-progs \
    >"$WORK/build.log" 2>&1
ok $? "the suite builds with -fsanitize=address,undefined" ||
    tail -20 "$WORK/build.log" | sed 's/^/# /'
CAPJAIL_NESTED=1 CHURN_CYCLES=${SAN_CHURN_CYCLES:-40} BUILD=$sb \
    TESTDIR=$std sh "$top/tests/run.sh" >"$WORK/run.log" 2>&1
rc=$?
ok $rc "every test passes under ASan+UBSan: $(tail -n 1 "$WORK/run.log")" || {
	grep -E '^  not ok|^# test|ERROR: |runtime error' "$WORK/run.log" |
	    head -60 | sed 's/^/# /'
}
grep -q 'runtime error\|ERROR: AddressSanitizer' "$WORK/run.log"
ok $((1 - $?)) "no sanitizer report anywhere in the run"
done_testing
