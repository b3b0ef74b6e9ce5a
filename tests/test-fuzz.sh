#!/bin/sh
# SPDX-License-Identifier: ISC
# The libFuzzer target over the helper's request path (fuzz/), for
# FUZZ_SECONDS (default 60): any crash, sanitizer report or leak fails.
# So does a run in which no attach succeeded: a fake kernel (or a helper)
# that refused everything would pass having tried nothing.
. "$(dirname "$0")/libtest.sh"
[ -z "${CAPJAIL_NESTED:-}" ] || skip_all "run once, by the outer suite"
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-60}
make -C "$top" B="$BUILD" FUZZ_SECONDS="$secs" fuzz >"$WORK/fuzz.log" 2>&1
rc=$?
ok $rc "the fuzzer ran ${secs} s: no crash, no sanitizer report, no leak" ||
    grep -E 'ERROR|SUMMARY|==[0-9]+==|^after ' "$WORK/fuzz.log" | head -20 |
    sed 's/^/# /'
fuzz_stat() {
	sed -n "s/^stat::$1: *\([0-9][0-9]*\)\$/\1/p" "$WORK/fuzz.log" | tail -1
}
tried=$(fuzz_stat attach_requests)
done=$(fuzz_stat successful_attaches)
[ "${done:-0}" -gt 0 ]
ok $? "attaches succeeded in the fuzzer: ${done:-none} of ${tried:-?}"
diag "$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' \
    "$WORK/fuzz.log" | tr '\n' ' ')"
done_testing
