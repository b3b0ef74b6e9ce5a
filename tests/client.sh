# SPDX-License-Identifier: ISC
# Sourced by the helper tests after libtest.sh, with NS (the host netns)
# and CLIENT (cj-client) set: run the test client as a user, in the
# foreground or the background, wait for its output, write the config.

# client USER ARGS...: cj-client as USER in the host netns; all output.
client() {
	_u=$1; shift
	(cd "$WORK" && ip netns exec "$NS" setpriv --reuid="$_u" \
	    --regid="$(id -g "$_u")" --init-groups --reset-env \
	    "$CLIENT" -H "$HELPER" "$@" 2>&1)
}

# bg OUT USER ARGS...: the same in the background, output to OUT.
bg() {
	_o=$1; shift
	client "$@" >"$_o" 2>&1 &
	bg_pid $!
}

# wait_for FILE REGEX [COUNT]: until FILE has COUNT matching lines (20 s).
wait_for() {
	_i=0
	while :; do
		# The background shell may not have created FILE yet.
		_n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
		[ "${_n:-0}" -ge "${3:-1}" ] && return 0
		_i=$((_i + 1))
		[ $_i -gt 2000 ] && return 1
		sleep 0.01
	done
}

# conf LINE...: the helper's config, root-owned, mode 0644.
conf() {
	printf '%s\n' "$@" >"$CONF"
	chown root:root "$CONF"
	chmod 0644 "$CONF"
}
