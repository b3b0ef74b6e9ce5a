#!/bin/sh
# SPDX-License-Identifier: ISC
# make lint as a test: gcc -fanalyzer, cppcheck and clang-tidy over every
# source, zero findings.
. "$(dirname "$0")/libtest.sh"
[ -z "${CAPJAIL_NESTED:-}" ] || skip_all "run once, by the outer suite"
top=$(cd "$(dirname "$0")/.." && pwd)
make -C "$top" B="$BUILD" lint >"$WORK/lint.log" 2>&1
rc=$?
ok $rc "make lint: gcc -fanalyzer, cppcheck, clang-tidy report nothing" ||
    grep -E 'warning|error|style' "$WORK/lint.log" | head -40 | sed 's/^/# /'
done_testing
