#!/bin/sh
# SPDX-License-Identifier: ISC
# capjail --root DIR with trees that lack things, run as the unprivileged
# test user: every missing mount point is named in one message before
# anything starts, and with no command the login shell runs if the tree
# has it, else the tree's /bin/sh.  The login shell is chosen through a
# passwd file bound in the test user's own user and mount namespace
# (unshare -Urm), so nothing on the host changes.
. "$(dirname "$0")/libtest.sh"

[ -x "$CAPJAIL" ] || skip_all "no $CAPJAIL"
as_user "$T_USER" unshare -U true 2>/dev/null ||
    skip_all "unprivileged user namespaces do not work here"

ERR=$WORK/stderr
jail() { as_user "$T_USER" "$CAPJAIL" "$@" 2>"$ERR"; }

# tree DIR SUBDIR...: a root tree with these directories and the host's
# /bin, /lib... links into /usr (bound with --ro-bind /usr:/usr).
tree() {
	_t=$1; shift
	mkdir -p "$_t/usr"
	for _d in "$@"; do mkdir -p "$_t/$_d"; done
	for _l in bin sbin lib lib64; do
		[ -L "/$_l" ] && ln -s "$(readlink "/$_l")" "$_t/$_l"
	done
	chmod -R a+rX "$_t"
}

# --- every missing mount point, in one line, before anything starts
R=$WORK/bare
tree "$R" etc dev tmp
jail --root "$R" --ro-bind /usr:/usr --bind /etc:/opt/x --tmpfs /srv \
    --bind /etc:/var/tmp/y -- true
is $? 125 "a tree without mount points: exit 125"
is "$(cat "$ERR")" "capjail: mount points /proc /sys /var/tmp /run /opt/x \
/srv do not exist and cannot be made in the read-only root $R (create them \
there, or mount a --tmpfs above them)" \
    "... every missing one is named (not those under a tmpfs), with the fix"
is "$(wc -l < "$ERR" | tr -d ' ')" 1 "... in one line"

R=$WORK/full
tree "$R" etc proc sys dev tmp var/tmp run opt
out=$(jail --root "$R" --ro-bind /usr:/usr --tmpfs /opt \
    --bind /etc:/opt/a/b -- sh -c 'test -f /opt/a/b/passwd && echo made')
is "$out" made "a mount point under an earlier --tmpfs is made, not missing"
jail --root "$R" --ro-bind /usr:/usr --bind /etc:/srv/x -- true
is "$(cat "$ERR")" "capjail: mount point /srv/x does not exist and cannot \
be made in the read-only root $R (create it there, or mount a --tmpfs above \
it)" "one missing mount point: named, singular"

# --- no command: the login shell if the tree has it, else /bin/sh
# login SHELL ARGS...: capjail ARGS as a user whose login shell is SHELL.
login() {
	_sh=$1; shift
	printf 'root:x:0:0:root:/:%s\n' "$_sh" > "$WORK/passwd"
	chmod 0644 "$WORK/passwd"
	echo 'echo "shell=$0"' | as_user "$T_USER" unshare -Urm sh -c \
	    'mount --bind "$0" /etc/passwd && exec "$@"' "$WORK/passwd" \
	    "$CAPJAIL" "$@" 2>"$ERR"
}
out=$(login /usr/bin/cj-no-such-shell --root "$R" --ro-bind /usr:/usr)
is "$?:$out" "0:shell=/bin/sh" \
    "a login shell missing in the tree: the tree's /bin/sh runs"
out=$(login /usr/bin/cj-no-such-shell)
is "$?:$out" "0:shell=/bin/sh" "... and in the default root too"
if [ -x /usr/bin/bash ]; then
	out=$(login /usr/bin/bash --root "$R" --ro-bind /usr:/usr)
	is "$?:$out" "0:shell=/usr/bin/bash" \
	    "a login shell the tree has is the one that runs"
else
	skip "no /usr/bin/bash"
fi

done_testing
