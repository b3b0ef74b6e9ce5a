# SPDX-License-Identifier: ISC
# Sourced by tests/run.sh and scripts/demo.sh (as root): make the
# unprivileged users the tests run as, and stage the just-built binaries
# where those users can read them (the clone may sit under /root), with
# the capability set on the staged helper.  Needs B (build dir), TESTDIR,
# top (source tree).

ensure_user() {	# ensure_user NAME SUBID_BASE: a plain user with subids
	id "$1" >/dev/null 2>&1 ||
	    useradd --no-create-home --home-dir / --shell /bin/sh \
	    --user-group "$1" || return 1
	grep -q "^$1:" /etc/subuid 2>/dev/null ||
	    usermod --add-subuids "$2-$(($2 + 65535))" "$1" || return 1
	grep -q "^$1:" /etc/subgid 2>/dev/null ||
	    usermod --add-subgids "$2-$(($2 + 65535))" "$1"
}

stage() {
	rm -rf "$TESTDIR"
	mkdir -m 0755 "$TESTDIR" "$TESTDIR/tests" || return 1
	cp "$B/capjail" "$TESTDIR/capjail" &&
	cp "$B/test/capjail-net" "$TESTDIR/capjail-net" &&
	cp "$B"/tests/* "$TESTDIR/tests/" || return 1
	if [ -d "$top/tests/fixtures" ]; then
		cp -r "$top/tests/fixtures" "$TESTDIR/" || return 1
	fi
	chmod -R a+rX "$TESTDIR"
	setcap cap_net_admin+ep "$TESTDIR/capjail-net"
}

stage_all() {
	ensure_user cjtest1 300000 && ensure_user cjtest2 400000 && stage
}
