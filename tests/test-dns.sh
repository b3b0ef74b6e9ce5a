#!/bin/sh
# SPDX-License-Identifier: ISC
# Name resolution inside jails, run as the unprivileged test user: the
# jail's /etc/hosts names its hostname (its address on a bridge,
# 127.0.1.1 without one) and keeps the root's entries; a networked jail's
# /etc/resolv.conf has the root's name servers with loopback and IPv6 ones
# replaced by /run/systemd/resolve/resolv.conf's (fixture trees with
# --root play the host), or the --dns ones; a dangling symlink at
# /etc/resolv.conf works; the caller's own bind wins; the host's files are
# never written.  Networked jails use the test helper in a throwaway
# network namespace, as in test-net.sh.
. "$(dirname "$0")/libtest.sh"

[ -x "$CAPJAIL" ] || skip_all "no $CAPJAIL"
[ -x "$HELPER" ] || skip_all "no $HELPER (the helper is not built)"
as_user "$T_USER" unshare -U true 2>/dev/null ||
    skip_all "unprivileged user namespaces do not work here"
NS=cjd-$$-host
netns_new "$NS" || skip_all "cannot create a network namespace"

ERR=$WORK/stderr
printf '%s\n' "bridge capjail0 10.89.0.1/24" \
    "user $T_USER capjail0 jails=5" >"$CONF"
chown root:root "$CONF"
chmod 0644 "$CONF"

# njail ARGS...: capjail as the test user in the test netns.
njail() {
	(cd "$WORK" && exec ip netns exec "$NS" setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    env PATH=/usr/bin:/bin:/usr/sbin:/sbin \
	    CAPJAIL_HELPER="$CAPJAIL_HELPER" "$CAPJAIL" "$@") 2>"$ERR"
}

# tree DIR: a root tree with every mount point and /etc, using the host's
# /usr (bound with --ro-bind /usr:/usr) through the /bin, /lib links.
tree() {
	mkdir -p "$1/usr" "$1/etc" "$1/proc" "$1/sys" "$1/dev" "$1/tmp" \
	    "$1/var/tmp" "$1/run/systemd/resolve"
	for _l in bin sbin lib lib64; do
		[ -L "/$_l" ] && ln -s "$(readlink "/$_l")" "$1/$_l"
	done
}

sum_host() { cat /etc/hosts /etc/resolv.conf 2>/dev/null | cksum; }
before=$(sum_host)

# --- /etc/hosts
out=$(njail --hostname web1 -- sh -c 'getent hosts web1
    getent hosts 127.0.0.1')
like "$out" "^127\.0\.1\.1 +web1$" \
    "no network: the hostname resolves to 127.0.1.1"
like "$out" "127\.0\.0\.1 +localhost" "... and 127.0.0.1 to localhost"
out=$(njail --net=capjail0 --ip 10.89.0.77 --hostname web2 -- sh -c \
    'getent hosts "$(hostname)"')
like "$out" "^10\.89\.0\.77 +web2$" \
    "on a bridge: getent hosts \$(hostname) gives the jail's address"
# The files are bound before the network (while the helper attaches the
# jail), the default filter too, and /etc/hosts gets its address after.
out=$(njail -v --net=capjail0 --ip 10.89.0.78 -- true; sed -n \
    's/^capjail: \[ *[0-9.]* ms\] \(dns: \/etc\/hosts\|seccomp: default\|eth0: address\).*/\1/p' \
    "$ERR" | tr '\n' ,)
is "$out" "dns: /etc/hosts,seccomp: default,eth0: address," \
    "-v: /etc/hosts bound and the default filter loaded before eth0 is set up"
# A caller's filter comes after the network: one refusing netlink sockets
# leaves the set-up alone.
"$TBIN/cj-bpfgen" socket > "$WORK/nosock.bpf"
chmod 0644 "$WORK/nosock.bpf"
out=$(njail --net=capjail0 --ip 10.89.0.79 --seccomp 3 -- sh -c \
    'getent hosts "$(hostname)"; cat /sys/class/net/eth0/operstate' \
    3<"$WORK/nosock.bpf")
like "$out" "^10\.89\.0\.79 " "--seccomp FD refusing socket(2): /etc/hosts has the address"
like "$out" "up$" "... and eth0 was set up before the filter"

R=$WORK/t1
tree "$R"
printf '192.0.2.80\tfixture-host\n' > "$R/etc/hosts"
printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.test\n' \
    > "$R/etc/resolv.conf"
printf '%s\n' "nameserver 2001:db8::53" "nameserver 192.0.2.53" \
    "nameserver 127.0.0.1" "nameserver 192.0.2.54" "search upstream.test" \
    > "$R/run/systemd/resolve/resolv.conf"
chmod -R a+rX "$R"
out=$(njail --root "$R" --ro-bind /usr:/usr -- getent hosts fixture-host)
like "$out" "^192\.0\.2\.80 +fixture-host$" "the root's own hosts entries stay"
# The whole text, byte for byte: capjail's lines, then the root's.
is "$(njail --root "$R" --ro-bind /usr:/usr --net=capjail0 --ip 10.89.0.254 \
    --hostname web3 -- cat /etc/hosts | od -An -c | tr -s ' ')" \
    "$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.89.0.254\tweb3\n192.0.2.80\tfixture-host\n' |
    od -An -c | tr -s ' ')" \
    "/etc/hosts on a bridge: localhost, the jail's address, the root's lines"
is "$(njail --root "$R" --ro-bind /usr:/usr -- cat /etc/hosts |
    od -An -c | tr -s ' ')" \
    "$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tcapjail\n192.0.2.80\tfixture-host\n' |
    od -An -c | tr -s ' ')" \
    "/etc/hosts without a network: the hostname is 127.0.1.1"

# --- /etc/resolv.conf
out=$(njail --root "$R" --ro-bind /usr:/usr --net=capjail0 -- \
    cat /etc/resolv.conf)
is "$out" "# written by capjail
nameserver 192.0.2.53
nameserver 192.0.2.54
options edns0 trust-ad
search example.test" \
    "a loopback stub: the upstream IPv4 servers, the root's settings"
like "$(njail --root "$R" --ro-bind /usr:/usr -- cat /etc/resolv.conf)" \
    "^nameserver 127\.0\.0\.53" "no network: resolv.conf is the root's own"
out=$(njail --root "$R" --ro-bind /usr:/usr --net=capjail0 \
    --dns 198.51.100.1 --dns 198.51.100.2 -- cat /etc/resolv.conf)
is "$out" "# written by capjail
nameserver 198.51.100.1
nameserver 198.51.100.2
options edns0 trust-ad
search example.test" "--dns ADDR (twice): those servers, in order"
like "$(njail --root "$R" --ro-bind /usr:/usr --net=capjail0 -- sh -c \
    'echo x > /etc/resolv.conf' 2>&1; cat "$ERR")" "Read-only file system" \
    "the jail's resolv.conf is read-only"

R2=$WORK/t2
tree "$R2"
ln -s ../run/systemd/resolve/stub-resolv.conf "$R2/etc/resolv.conf"
printf 'nameserver 203.0.113.9\n' > "$R2/run/systemd/resolve/resolv.conf"
chmod -R a+rX "$R2"
out=$(njail --root "$R2" --ro-bind /usr:/usr --net=capjail0 -- sh -c \
    'readlink /etc/resolv.conf; grep nameserver /etc/resolv.conf')
is "$out" "../run/systemd/resolve/stub-resolv.conf
nameserver 203.0.113.9" \
    "a dangling /etc/resolv.conf symlink: its target is made and bound"

# The link leads into a directory bound from the host: nothing is made
# there (the host's files are never written), the jail just cannot resolve.
R4=$WORK/t4
tree "$R4"
mkdir -m 0777 "$R4/mnt" "$WORK/hostdir"
chmod 0777 "$WORK/hostdir"
ln -s ../mnt/made/resolv.conf "$R4/etc/resolv.conf"
printf 'nameserver 203.0.113.9\n' > "$R4/run/systemd/resolve/resolv.conf"
chmod -R a+rX "$R4"
njail --root "$R4" --ro-bind /usr:/usr --bind "$WORK/hostdir:/mnt" \
    --net=capjail0 -- true
is "$(ls -A "$WORK/hostdir")" "" \
    "a dangling link into a --bind directory: nothing is written on the host"
like "$(cat "$ERR")" "/etc/resolv.conf: Read-only file system: the jail cannot resolve names" \
    "... and capjail says the jail cannot resolve names"

R3=$WORK/t3
tree "$R3"
printf 'nameserver 127.0.0.53\n' > "$R3/etc/resolv.conf"
chmod -R a+rX "$R3"
out=$(njail --root "$R3" --ro-bind /usr:/usr --net=capjail0 -- \
    grep nameserver /etc/resolv.conf)
is "$out" "$(njail --net=capjail0 -- grep nameserver /etc/resolv.conf)" \
    "a tree with only a loopback server: the host's servers, as for /"
unlike "$out" "127\.0\.0\.53" "... never the tree's loopback one"

printf 'nameserver 192.0.2.99\n' > "$WORK/mine.conf"
chmod 0644 "$WORK/mine.conf"
is "$(njail --net=capjail0 --ro-bind "$WORK/mine.conf:/etc/resolv.conf" -- \
    cat /etc/resolv.conf)" "nameserver 192.0.2.99" \
    "the caller's --ro-bind FILE:/etc/resolv.conf wins"
printf '192.0.2.98\tmine-host\n' > "$WORK/mine.hosts"
chmod 0644 "$WORK/mine.hosts"
is "$(njail --ro-bind "$WORK/mine.hosts:/etc//./hosts" -- cat /etc/hosts)" \
    "$(printf '192.0.2.98\tmine-host')" \
    "the caller's --ro-bind FILE:/etc//./hosts wins too (the path, lexically)"

# The files are made on the jail's own /dev before the caller's mounts:
# a read-only directory over /run (or /dev) changes nothing, nothing is
# written in a directory bound from the host, nothing stays in /dev.
mkdir -p "$WORK/runro" "$WORK/runrw"
chmod 0755 "$WORK/runro" "$WORK/runrw"
chown "$T_USER:" "$WORK/runrw"
out=$(njail --net=capjail0 --ip 10.89.0.81 --hostname ro1 \
    --ro-bind "$WORK/runro:/run" -- sh -c 'getent hosts ro1
    head -1 /etc/resolv.conf' | tr -s ' ' | tr '\n' '|')
is "$out" "10.89.0.81 ro1|# written by capjail|" \
    "--ro-bind DIR:/run: /etc/hosts names the jail, resolv.conf is written"
is "$(cat "$ERR")" "" "... with nothing said"
out=$(njail --bind "$WORK/runrw:/run" --tmpfs /dev -- sh -c \
    'getent hosts "$(hostname)"; ls -A /dev' | tr -s ' ' | tr '\n' '|')
is "$out" "127.0.1.1 capjail|" \
    "--bind DIR:/run, --tmpfs /dev: the hostname resolves, /dev is the caller's"
is "$(ls -A "$WORK/runrw")" "" "... and nothing was made in DIR"
is "$(njail -- ls -A /dev | grep -c '^\.')" 0 "no dot-file is left in /dev"
is "$(njail --tmpfs /dev/.capjail-hosts -- sh -c 'getent hosts capjail
    ls -A /dev/.capjail-hosts' | tr -s ' ')" "127.0.1.1 capjail" \
    "--tmpfs /dev/.capjail-hosts: the caller's, and the hostname resolves"
# A tree whose /etc/hosts leads to capjail's own staged file (an fd of
# PID 1's): not bound onto itself, the jail runs, nothing stays in /dev.
R5=$WORK/t5
tree "$R5"
chmod -R a+rX "$R5"
bad_fds=""
for n in 3 4 5 6 7 8 9; do
	ln -sfn "/proc/self/fd/$n" "$R5/etc/hosts"
	out=$(njail --root "$R5" --ro-bind /usr:/usr --net=capjail0 -- \
	    sh -c 'ls -A /dev | grep "^\."; exit 0') &&
	    [ -z "$out" ] || bad_fds="$bad_fds $n"
done
is "$bad_fds" "" \
    "/etc/hosts -> /proc/self/fd/N, N = 3..9: the jail runs, /dev clean"
# resolv.conf leading to /etc/hosts, which capjail binds too: a mount
# there would pin the staged file's name in /dev.  Refused, said; the
# jail runs.
ln -sfn hosts "$R5/etc/resolv.conf"
rm -f "$R5/etc/hosts"
touch "$R5/etc/hosts"
chmod a+r "$R5/etc/hosts"
out=$(njail --root "$R5" --ro-bind /usr:/usr --net=capjail0 -- \
    sh -c 'ls -A /dev | grep "^\."; exit 0')
is "$?:$out:$(cat "$ERR")" "0::capjail: /etc/resolv.conf: it leads to a file \
capjail itself binds: the jail cannot resolve names (bind a file there with \
--ro-bind FILE:/etc/resolv.conf)" \
    "a tree's resolv.conf -> hosts: refused, said, /dev clean"
# A link to something other than a regular file: not bound over it (a
# tree's /etc/hosts -> /dev/null left the jail's /dev/null read-only).
ln -sfn /dev/null "$R5/etc/hosts"
out=$(njail -v --root "$R5" --ro-bind /usr:/usr -- sh -c \
    'echo x >/dev/null && echo writable')
is "$out" "writable" "/etc/hosts -> /dev/null: /dev/null stays the device"
like "$(cat "$ERR")" "dns: /etc/hosts: it is not a regular file" \
    "... and -v says why /etc/hosts is not capjail's"
# A bind destination spelled with "." or a trailing "/" is the same
# directory of the host's: nothing is made in it.
ln -sfn /run/h/hosts "$R5/etc/hosts"
mkdir -p "$WORK/hd2"
chown "$T_USER:" "$WORK/hd2"
for d in /run/./h /run/h/ /run//h; do
	njail --root "$R5" --ro-bind /usr:/usr --bind "$WORK/hd2:$d" -- true
done
is "$(ls -A "$WORK/hd2")" "" \
    "/etc/hosts -> a --bind DIR as /run/./h, /run/h/, /run//h: DIR untouched"
# ... nor reached through a symlink of the tree's (/var/run -> /run, with
# run/h in the tree so that /var/run/h is a mount point) or the jail's
# (/dev/fd -> /proc/self/fd): each directory is judged by its device.
# The control: without the bind, the target is made on the jail's /run.
ln -sfn /run "$R5/var/run"
mkdir -p "$R5/run/h"
chmod a+rx "$R5/run/h"
is "$(njail --root "$R5" --ro-bind /usr:/usr -- sh -c \
    'ls /run/h; getent hosts capjail' | tr -s ' ' | tr '\n' '|')" \
    "hosts|127.0.1.1 capjail|" \
    "/etc/hosts -> /run/h/hosts, dangling: made on the jail's /run, bound"
njail --root "$R5" --ro-bind /usr:/usr --bind "$WORK/hd2:/var/run/h" -- true
is "$?:$(ls -A "$WORK/hd2")" "0:" \
    "... --bind DIR:/var/run/h (/var/run -> /run): the jail runs, DIR untouched"
ln -sfn /dev/fd/../../proc/self/root/run/h/hosts "$R5/etc/hosts"
mkdir -p "$WORK/hd3"
chown "$T_USER:" "$WORK/hd3"
njail --root "$R5" --ro-bind /usr:/usr --bind "$WORK/hd3:/run/h" -- true
is "$?:$(ls -A "$WORK/hd3")" "0:" \
    "... /etc/hosts -> /dev/fd/../../proc/self/root/run/h/hosts: DIR untouched"
# A tmpfs that lands elsewhere than its path says (the path is a magic
# link, the caller's or the tree's): its device is the mount's own, so
# the directory under it still counts as the host's.
R6=$WORK/t6
tree "$R6"
mkdir -p "$R6/h" "$WORK/hd4" "$WORK/hd5"
ln -s /h/hosts "$R6/etc/hosts"
ln -s /proc/self/root "$WORK/hd4/l"
chown -h "$T_USER:" "$WORK/hd4" "$WORK/hd4/l" "$WORK/hd5"
chmod -R a+rX "$R6"
for d in /h/l /h/l/.; do
	njail --root "$R6" --ro-bind /usr:/usr --bind "$WORK/hd4:/h" \
	    --tmpfs "$d" -- true
	is "$?:$(ls -A "$WORK/hd4")" "0:l" \
	    "--tmpfs $d, l -> /proc/self/root in the --bind DIR: nothing made in DIR"
done
rmdir "$R6/tmp"
ln -s /proc/self/root "$R6/tmp"
mkdir -p "$R6/proc/self/root"
chmod -R a+rX "$R6"
njail --root "$R6" --ro-bind /usr:/usr --bind "$WORK/hd5:/h" -- true
is "$?:$(ls -A "$WORK/hd5")" "0:" \
    "the tree's /tmp -> /proc/self/root, --bind DIR:/h: nothing made in DIR"
# Made from an fd and moved into place, a tmpfs still follows a symlink
# at its path, as mount(2) did: the tree's var/tmp -> ../tmp, --tmpfs on
# a link.
R7=$WORK/t7
tree "$R7"
rmdir "$R7/var/tmp"
ln -s ../tmp "$R7/var/tmp"
mkdir -p "$R7/opt/t"
ln -s /opt/t "$R7/x"
chmod -R a+rX "$R7"
out=$(njail --root "$R7" --ro-bind /usr:/usr --tmpfs /x -- sh -c \
    'touch /var/tmp/a /opt/t/b && ls /tmp && ls /opt/t')
is "$?:$(echo $out)" "0:a b" \
    "a tmpfs on a symlink (var/tmp -> ../tmp, --tmpfs /x -> /opt/t) lands where it leads"

out=$(njail --net=capjail0 -- cat /etc/resolv.conf)
like "$out" "^# written by capjail" "the default root: resolv.conf is written"
unlike "$out" "nameserver (127\.|::1)" "... with no loopback server in it"
is "$(sum_host)" "$before" "the host's /etc/hosts and resolv.conf are unchanged"

# --- bad input: exit 125, one line
bad() {	# bad REGEX DESCRIPTION ARGS...
	_re=$1 _d=$2; shift 2
	njail "$@"
	is $? 125 "$_d: exit 125"
	like "$(cat "$ERR")" "^capjail: .*$_re" "$_d: message"
	is "$(wc -l < "$ERR" | tr -d ' ')" 1 "$_d: one line"
}
bad "--dns needs --net BRIDGE" "--dns without a network" --dns 192.0.2.1 true
bad "--dns 127.0.0.53: a loopback address" "--dns loopback" \
    --net=capjail0 --dns 127.0.0.53 true
bad "--dns ::1: not an IPv4 address" "--dns IPv6" --net=capjail0 --dns ::1 true
bad "--dns 224.0.0.1: a multicast or broadcast" "--dns multicast" \
    --net=capjail0 --dns 224.0.0.1 true
bad "--dns 255.255.255.255: a multicast or broadcast" "--dns broadcast" \
    --net=capjail0 --dns 255.255.255.255 true
bad "--hostname: use letters, digits" "--hostname with a space" \
    --hostname "a b" true
bad "--hostname: use letters, digits" "--hostname with a newline" \
    --hostname "a
1.2.3.4 evil" true
help=$(njail --help)
for o in --dns --seccomp --no-seccomp; do
	case "$help" in
	*"$o "*) ok 0 "--help documents $o" ;;
	*) ok 1 "--help documents $o" ;;
	esac
done

done_testing
