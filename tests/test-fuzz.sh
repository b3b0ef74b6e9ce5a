#!/bin/sh
# SPDX-License-Identifier: ISC
# The libFuzzer target over the helper's request path (fuzz/), for
# FUZZ_SECONDS (default 60): any crash, sanitizer report or leak fails.
. "$(dirname "$0")/libtest.sh"
[ -z "${CAPJAIL_NESTED:-}" ] || skip_all "run once, by the outer suite"
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-60}
make -C "$top" B="$BUILD" FUZZ_SECONDS="$secs" fuzz >"$WORK/fuzz.log" 2>&1
rc=$?
ok $rc "the fuzzer ran ${secs} s: no crash, no sanitizer report, no leak" ||
    grep -E 'ERROR|SUMMARY|==[0-9]+==' "$WORK/fuzz.log" | head -20 |
    sed 's/^/# /'
diag "$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
    "$WORK/fuzz.log" | tr '\n' ' ')"
done_testing
