# SPDX-License-Identifier: ISC
# bench/setup.sh: how every bench/ script begins, sourced with NAME (the
# script's name for messages) and NEEDS (the commands it runs) set: run as
# root, have the peers installed, hold TESTDIR alone, stage the built
# binaries there (tests/stage.sh: the users cjtest1 and cjtest2, the
# setcap'ed helper), then source tests/libtest.sh (its exit trap deletes
# every namespace made with netns_new), tests/seed.sh and bench/lib.sh.
# Needs top; BUILD (default ./build) and TESTDIR (default /tmp/cj-bench,
# the TESTDIR BUILD's test helper was built with) come from the caller.

B=${BUILD:-$top/build}
: "${TESTDIR:=/tmp/cj-bench}"
export TESTDIR
[ "$(id -u)" -eq 0 ] || { echo "$NAME: run as root" >&2; exit 1; }
for _c in $NEEDS; do
	command -v "$_c" >/dev/null ||
	    { echo "$NAME: $_c missing (sh scripts/deps.sh bench)" >&2; exit 1; }
done
# Staging empties $TESTDIR: one bench (or test run) at a time per TESTDIR.
exec 9>"$TESTDIR.lock"
flock -n 9 || { echo "$NAME: $TESTDIR is in use by another run" >&2; exit 1; }
. "$top/tests/stage.sh"
stage_all || {
	echo "$NAME: staging failed (is $B built? make test-progs)" >&2
	rm -rf "$TESTDIR"
	exit 1
}
. "$top/tests/libtest.sh"
. "$top/tests/seed.sh"
. "$top/bench/lib.sh"
