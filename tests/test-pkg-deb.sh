#!/bin/sh
# SPDX-License-Identifier: ISC
# The Debian package, as an administrator gets it: make deb (lintian: no
# errors), installed with dpkg in the group-restricted mode (a
# dpkg-statoverride root:cjtest1 0750 on the helper, which the postinst
# must not undo and after which it must set the capability), the shipped
# net.conf granting nothing, then the seed scenario against the INSTALLED
# paths as the unprivileged cjtest1 in throwaway namespaces: lighttpd in a
# jail reached from the LAN through a published port, no connection out,
# cjtest2 (not in the group) refused.  Then dpkg --purge, run in the
# throwaway host namespace so that its capjail-cleanup acts there, and no
# file, capability, firewall table or bridge of the package is left.
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/libtest.sh"
[ -z "${CAPJAIL_NESTED:-}" ] || skip_all "run once, by the outer suite"
. "$top/tests/seed.sh"
: "${BUILD:?BUILD must be set}"
HPATH=/usr/libexec/capjail/capjail-net
ETC=/etc/capjail

command -v dpkg-buildpackage >/dev/null || skip_all "dpkg-buildpackage missing"
case $(dpkg-query -W -f='${db:Status-Abbrev}' capjail 2>/dev/null) in
ii*|i*|r*|h*) skip_all "a capjail package is installed: not touching it" ;;
esac
[ -e "$ETC" ] && skip_all "$ETC exists (not from the package): not touching it"
dpkg-statoverride --list "$HPATH" >/dev/null &&
    skip_all "a statoverride for $HPATH exists: not touching it"

pkg_cleanup() {
	if dpkg-query -W capjail >/dev/null 2>&1; then
		if [ -n "${HOST:-}" ] && ip netns pids "$HOST" >/dev/null 2>&1
		then ip netns exec "$HOST" dpkg --purge capjail
		else dpkg --purge capjail; fi
	fi >/dev/null 2>&1
	dpkg-statoverride --remove "$HPATH" 2>/dev/null
	rm -rf "$ETC"
}
trap 'pkg_cleanup; _cleanup' EXIT

version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$top/Makefile")
env -i PATH="$PATH" DEB_BUILD_OPTIONS=nocheck make --no-print-directory \
    -C "$top" B="$BUILD/pkg" deb >"$WORK/deb.log" 2>&1
ok $? "make deb builds the package and lintian finds no error" ||
    tail -30 "$WORK/deb.log" | sed 's/^/# /'
deb=$(ls "$BUILD"/pkg/capjail_"$version"-*_*.deb 2>/dev/null | head -1)
[ -f "$deb" ] || { diag "no package"; done_testing; exit 1; }
like "$(dpkg-deb -f "$deb" Depends)" 'libcap2-bin' "Depends: libcap2-bin"
like "$(dpkg-deb -e "$deb" "$WORK/ctl" && cat "$WORK/ctl/conffiles")" \
    "^$ETC/net.conf\$" "net.conf is a conffile"

# --- install, group-restricted
dpkg-statoverride --add root "$T_USER" 0750 "$HPATH"
dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1
ok $? "dpkg -i installs it" || sed 's/^/# /' "$WORK/dpkg.log"
dpkg-query -L capjail >"$WORK/files"
is "$(stat -c '%U:%G %a' "$HPATH")" "root:$T_USER 750" \
    "the statoverride (group-restricted mode) holds"
like "$(getcap "$HPATH")" 'cap_net_admin[=+]ep' \
    "the postinst set cap_net_admin+ep after it"
for f in /usr/bin/capjail /usr/share/man/man1/capjail.1.gz \
    /usr/share/man/man8/capjail-net.8.gz /usr/share/man/man5/net.conf.5.gz \
    /usr/share/bash-completion/completions/capjail \
    /usr/share/zsh/vendor-completions/_capjail /usr/sbin/capjail-cleanup; do
	[ -f "$f" ]
	ok $? "installed: $f"
done
CAPJAIL=/usr/bin/capjail
CAPJAIL_HELPER=""

# --- the seed scenario, against the installed paths (the helper only ever
# runs in the throwaway host namespace)
seed_topology "cjpkg$$" || { diag "topology failed"; done_testing; exit 1; }
out=$(in_host "$T_USER" "$CAPJAIL" --check-config 2>&1)
like "$out" "^$ETC/net.conf: ok: 0 bridges, 0 grants" \
    "the installed net.conf grants nothing (capjail --check-config)"
like "$(in_host "$T_USER" "$CAPJAIL" --check 2>&1)" "grants: NONE" \
    "... and the installed helper says so to --check"
CONF=$ETC/net.conf
seed_config
seed_www "$WORK/www" "pkg-seed-$$"
ip netns exec "$LAN" timeout 20 socat TCP-LISTEN:9000,reuseaddr,fork \
    SYSTEM:'echo lan-listener' >/dev/null 2>&1 &
bg_pid $!
if seed_jail "$T_USER" 8080 "$WORK/www"; then
	ok 0 "lighttpd in a jail of the installed capjail comes up"
else
	ok 1 "lighttpd in a jail of the installed capjail comes up"
	sed 's/^/# /' "$WORK/jail-8080.log"
fi
is "$(ip netns exec "$LAN" curl -s --max-time 3 "http://$HOST_ADDR:8080/")" \
    "pkg-seed-$$" "the LAN fetches its page through the published port"
wait_until ip netns exec "$HOST" sh -c "echo | socat -T1 - TCP:$LAN_ADDR:9000" \
    >/dev/null 2>&1
like "$(ip netns exec "$HOST" socat -T1 - TCP:$LAN_ADDR:9000 </dev/null 2>&1)" \
    'lan-listener' "control: the host reaches the LAN listener"
like "$(in_host "$T_USER" "$CAPJAIL" --net=capjail0 -- sh -c \
    "curl -s --max-time 2 http://$LAN_ADDR:9000/ >/dev/null; echo out=\$?" \
    2>&1)" 'out=[1-9]' "a jail cannot connect out to the LAN"
like "$(in_host "$T_USER2" "$CAPJAIL" --net=capjail0 -- true 2>&1)" \
    'capjail-net.*(Permission denied|permission)' \
    "$T_USER2, not in the helper's group, is refused"
c=$(in_host "$T_USER" bash -c '. /usr/share/bash-completion/bash_completion
    . /usr/share/bash-completion/completions/capjail
    COMP_WORDS=(capjail --net ""); COMP_CWORD=2; COMP_LINE="capjail --net "
    COMP_POINT=${#COMP_LINE}; _capjail; printf "%s\n" "${COMPREPLY[@]}"' \
    2>/dev/null | sort | tr '\n' ' ')
is "$c" "capjail0 none " "bash completes --net with the bridges of --check"
kill -TERM "$JAIL_PID" 2>/dev/null
wait_gone "$JAIL_PID"
ok $? "the jail ends on SIGTERM"
like "$(ip netns exec "$HOST" nft list tables)" 'inet capjail' \
    "the helper's table is in the host namespace (control)"

# --- purge, in the host namespace: its prerm cleans up there
ip netns exec "$HOST" dpkg --purge capjail >"$WORK/purge.log" 2>&1
ok $? "dpkg --purge removes it" || sed 's/^/# /' "$WORK/purge.log"
left=""
while read -r f; do
	[ -d "$f" ] && continue
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done <"$WORK/files"
is "$left" "" "no file of the package is left"
[ ! -e "$ETC" ]
ok $? "$ETC is gone (the conffile with it)"
is "$(getcap -r /usr/bin /usr/sbin /usr/libexec 2>/dev/null | grep capjail)" \
    "" "no file capability is left"
is "$(ip netns exec "$HOST" nft list tables | grep capjail)" "" \
    "no capjail firewall table is left in the host namespace"
ip -n "$HOST" link show capjail0 >/dev/null 2>&1
ok $((! $?)) "the bridge the helper made is gone"
done_testing
