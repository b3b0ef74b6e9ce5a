#!/bin/sh
# SPDX-License-Identifier: ISC
# What a packager relies on, unprivileged (make check-unit runs it too):
# the license and the one version; the generated config.h (a second make
# with another PREFIX rebuilds with the new paths); CPPFLAGS, CFLAGS and
# LDFLAGS honoured and -Werror only with WERROR=1; the helper built from
# its listed sources only and without the launcher-only proto code; the
# launcher's default seccomp filter made at build time (no libseccomp at
# run time, remade when its rules change); man pages clean under man
# --warnings; make dist reproducible and complete;
# the AppArmor profile parsed by apparmor_parser; the bash completion.
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/libtest.sh"
[ -z "${CAPJAIL_NESTED:-}" ] || skip_all "run once, by the outer suite"
: "${BUILD:?BUILD must be set}"
chmod 0755 "$WORK"
version=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$top/Makefile")
# Our own make: nothing from a make that runs us (its command-line
# variables, such as WERROR=1, reach us in MAKEFLAGS and the environment).
mk() { env -i PATH="$PATH" make --no-print-directory -C "$top" "$@"; }

# --- legal, version
like "$(head -1 "$top/LICENSE")" '^Copyright \(c\) 2026 The capjail authors$' \
    "LICENSE: the copyright line"
grep -q 'Permission to use, copy, modify, and distribute' "$top/LICENSE"
ok $? "LICENSE: the ISC text"
is "$("$BUILD/capjail" --version)" "capjail $version" \
    "capjail --version is the Makefile's VERSION"
like "$(head -1 "$top/debian/changelog")" "^capjail \\($version-[0-9]+\\)" \
    "debian/changelog agrees with the Makefile's VERSION"
like "$(sed -n 1,5p "$top/NEWS")" "^$version" "NEWS has an entry for $version"

# --- config.h: the paths follow PREFIX from one make to the next
b=$WORK/b
mk -s B="$b" PREFIX=/opt/cjone "$b/launcher/util.o" >/dev/null 2>&1
like "$(strings "$b/launcher/util.o")" '/opt/cjone/libexec/capjail/capjail-net' \
    "the helper path comes from PREFIX"
mk -s B="$b" PREFIX=/opt/cjtwo "$b/launcher/util.o" >/dev/null 2>&1
s=$(strings "$b/launcher/util.o")
like "$s" '/opt/cjtwo/libexec/capjail/capjail-net' \
    "a second make with another PREFIX rebuilds with the new path"
unlike "$s" '/opt/cjone' "and the old path is gone"
unlike "$(mk B="$b" PREFIX=/opt/cjtwo "$b/launcher/util.o")" \
    '-o [^ ]*util.o' "the same PREFIX again rebuilds nothing"
like "$(mk -s B="$b" SYSCONFDIR=/etc/cjthree "$b/launcher/checkconfig.o" && \
    strings "$b/launcher/checkconfig.o")" '/etc/cjthree/capjail/net.conf' \
    "SYSCONFDIR too"

# --- flags
n=$(mk -n -B B="$b" CPPFLAGS=-DCJ_PKG_CPP CFLAGS=-O1 LDFLAGS=-Wl,-O1 \
    "$b/capjail-net")
like "$n" 'cc .*-DCJ_PKG_CPP .*-O1 .*-c -o .*helper/config.o' \
    "CPPFLAGS and CFLAGS reach the compiler"
like "$n" '-Wl,-O1 .*-o .*capjail-net ' "LDFLAGS reach the linker"
unlike "$n" '-Werror' "no -Werror by default"
like "$(mk -n -B B="$b" WERROR=1 "$b/helper/config.o")" '-Werror' \
    "-Werror with WERROR=1"

# --- the helper is its listed sources, without launcher-only proto code
mkdir -p "$WORK/src"
(cd "$top" && tar -cf - Makefile proto helper launcher gen) | tar -xf - -C "$WORK/src"
echo 'int dropped_in(void) { return 0; }' >"$WORK/src/helper/zz-dropped.c"
n=$(env -i PATH="$PATH" make --no-print-directory -C "$WORK/src" \
    -n -B B=x x/capjail-net 2>&1)
like "$n" '-o x/capjail-net ' "the helper's link line (control)"
unlike "$n" 'zz-dropped' "a file dropped into helper/ is not built into the helper"
syms=$(nm "$BUILD/capjail-net")
unlike "$syms" ' T (proto_check_rep|proto_init_req|fdpass_send)$' \
    "the helper has no launcher-only proto code"
like "$syms" ' U send(@|$)' "the helper replies with send (control)"
unlike "$syms" ' U sendm?msg(@|$)' \
    "the helper imports no sendmsg (its allowlist has none: it passes no fd)"
like "$(nm "$BUILD/capjail")" ' T proto_check_rep$' \
    "(the launcher has it)"

# --- the seccomp filters: BPF made by the build
like "$(readelf -d "$BUILD/seccomp-gen")" 'NEEDED.*\[libseccomp\.' \
    "the filters' generator links libseccomp (control)"
for p in capjail capjail-net; do
	unlike "$(readelf -d "$BUILD/$p")" 'NEEDED.*\[libseccomp\.' \
	    "$p does not: its filter is compiled in"
done
is "$(readelf -d "$BUILD/capjail-net" | sed -n 's/.*NEEDED.*\[\(lib[a-z-]*\)\..*/\1/p' |
    sort | paste -sd ' ' -)" "libc libcap-ng libmnl libnftnl" \
    "the helper links libc, libmnl, libnftnl and libcap-ng only (SECURITY.md)"
is "$(readelf -d "$BUILD/capjail" | sed -n 's/.*NEEDED.*\[\(lib[a-z-]*\)\..*/\1/p' |
    sort | paste -sd ' ' -)" "libc" \
    "the launcher links libc only: each library is loader time per jail"
for h in seccomp-default.h helper-seccomp.h; do
	[ -s "$BUILD/$h" ] && [ ! -e "$top/launcher/$h" ] &&
	    [ ! -e "$top/helper/$h" ]
	ok $? "$h is generated in the build directory, not the sources"
done
mk -s B="$b" "$b/launcher/seccomp.o" "$b/helper/sandbox.o" >/dev/null 2>&1
n=$(mk B="$b" -W launcher/seccomp-gen.c "$b/launcher/seccomp.o" 2>&1)
like "$n" 'seccomp-gen >[^ ]*seccomp-default\.h' \
    "a change to the jail's rules makes its filter again"
like "$n" '-o [^ ]*launcher/seccomp\.o' "... and recompiles seccomp.c with it"
n=$(mk B="$b" -W helper/seccomp-gen.c "$b/helper/sandbox.o" 2>&1)
like "$n" 'helper-seccomp-gen >[^ ]*helper-seccomp\.h' \
    "a change to the helper's allowlist makes its filter again"
like "$n" '-o [^ ]*helper/sandbox\.o' "... and recompiles sandbox.c with it"
n=$(mk B="$b" SANITIZE=1 -n "$b/helper-seccomp-gen" -W helper/seccomp-gen.c 2>&1)
like "$n" 'CAPJAIL_SANITIZE=1' "SANITIZE=1 builds the helper's allowlist for ASan"
x=$WORK/sx
mk -s B="$x" SANITIZE=1 "$x/helper-seccomp.h" >/dev/null 2>&1
n1=$(grep -c '{ 0x' "$x/helper-seccomp.h")
mk -s B="$x" "$x/helper-seccomp.h" >/dev/null 2>&1
n2=$(grep -c '{ 0x' "$x/helper-seccomp.h")
ok $([ "$n2" -gt 0 ] && [ "$n2" -lt "$n1" ]; echo $?) \
    "SANITIZE switched off in one build directory remakes the allowlist ($n1 -> $n2)"

# --- man pages
for m in capjail.1 capjail-net.8 capjail-cleanup.8 net.conf.5; do
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
	    man --warnings -E UTF-8 -l "$BUILD/man/$m" 2>&1 >/dev/null)
	is "$w" "" "man --warnings: $m is clean"
	unlike "$(cat "$BUILD/man/$m")" '@[A-Z_]+@' "$m: every path filled in"
done
like "$(man -l "$BUILD/man/capjail.1" 2>/dev/null | \
    sed -n '/^ENVIRONMENT/,/^FILES/p')" 'CAPJAIL_HELPER' \
    "capjail(1) documents CAPJAIL_HELPER"
for o in $("$BUILD/capjail" --help | grep -o -- '--[a-z-]*' | sort -u); do
	grep -q -- "^.It Fl .*\\\\-$(echo "${o#--}" | sed 's/-/\\\\-/g')" \
	    "$top/man/capjail.1"
	ok $? "capjail(1) documents $o"
done

# --- make dist: the same bytes twice, and what a build needs
mk -s dist >/dev/null
t=$top/capjail-$version.tar.gz
s1=$(sha256sum <"$t")
sleep 1
touch "$top/README.md"
mk -s dist >/dev/null
is "$(sha256sum <"$t")" "$s1" "make dist twice: the same bytes"
l=$(tar -tzf "$t")
for f in LICENSE NEWS Makefile net.conf debian/rules man/capjail.1 \
    helper/config.c launcher/seccomp-gen.c helper/seccomp-gen.c \
    gen/seccomp-export.c completions/_capjail; do
	like "$l" "^capjail-$version/$f\$" "the tarball has $f"
done
unlike "$l" '^capjail-[^/]*/build' "the tarball has no build output"

# --- AppArmor: the profile parses (userns needs a 4.x parser)
if command -v apparmor_parser >/dev/null; then
	p=$BUILD/apparmor/capjail
	like "$(cat "$p")" '^profile capjail /[^ @]*/bin/capjail flags' \
	    "the profile attaches to the installed capjail"
	if [ -e /etc/apparmor.d/abi/4.0 ]; then
		apparmor_parser -Q -K "$p" >/dev/null 2>&1
		ok $? "apparmor_parser parses the profile"
	else
		diag "AppArmor < 4 here: parsing without the 4.0 abi and userns rule"
		grep -v -e '^abi ' -e '^ *userns,' "$p" >"$WORK/aa"
		apparmor_parser -Q -K "$WORK/aa" >/dev/null 2>&1
		ok $? "apparmor_parser parses the rest of the profile"
	fi
	like "$(cat "$p")" '^  userns,$' "the profile grants userns"
else
	skip "apparmor_parser is not installed"
fi

# --- completion
if [ -r /usr/share/bash-completion/bash_completion ]; then
	c=$(PATH=$BUILD:$PATH bash -c '. /usr/share/bash-completion/bash_completion
	    . "$1"; COMP_WORDS=(capjail --che); COMP_CWORD=1
	    COMP_LINE="capjail --che"; COMP_POINT=${#COMP_LINE}; _capjail
	    printf "%s\n" "${COMPREPLY[@]}"' sh "$top/completions/capjail.bash")
	is "$(echo "$c" | sort | tr '\n' ' ')" "--check --check-config " \
	    "bash: options come from capjail --help"
	# names PATH: what completing "capjail --name " offers, one line.
	names() {
		XDG_RUNTIME_DIR=$WORK/xdg PATH=$1:$PATH bash -c '
		    . /usr/share/bash-completion/bash_completion; . "$1"
		    COMP_WORDS=(capjail --name ""); COMP_CWORD=2
		    COMP_LINE="capjail --name "; COMP_POINT=${#COMP_LINE}
		    _capjail; printf "%s\n" "${COMPREPLY[@]}"' sh \
		    "$top/completions/capjail.bash" | sort | tr '\n' ' '
	}
	# Two jails of this test's, in a record directory of its own.
	mkdir -m 0700 "$WORK/xdg"
	for n in cjb cja; do
		XDG_RUNTIME_DIR=$WORK/xdg "$BUILD/capjail" --name "$n" -- \
		    sleep 60 >/dev/null 2>&1 &
		bg_pid $!
		wait_file "$WORK/xdg/capjail/$n"
	done
	is "$(names "$BUILD")" "cja cjb " \
	    "bash: jail names from the first column of capjail --list"
	mkdir "$WORK/fail" && printf '#!/bin/sh\nexit 1\n' >"$WORK/fail/capjail" &&
	    chmod 0755 "$WORK/fail/capjail"
	# An empty COMPREPLY prints as one empty line.
	is "$(names "$WORK/fail")" " " "bash: no jail names when capjail --list fails"
	XDG_RUNTIME_DIR=$WORK/xdg "$BUILD/capjail" --stop cja >/dev/null 2>&1
	XDG_RUNTIME_DIR=$WORK/xdg "$BUILD/capjail" --stop cjb >/dev/null 2>&1
else
	skip "bash-completion is not installed"
fi
if command -v zsh >/dev/null; then
	zsh -n "$top/completions/_capjail"
	ok $? "zsh: the completion parses"
else
	skip "zsh is not installed"
fi
done_testing
