#!/bin/sh
# SPDX-License-Identifier: ISC
# The helper collects garbage at most once per run, on its user's turn,
# after the launcher's last request before the release (PROTO_F_LAST), not
# before the first one; and a release deletes its own elements by key, not
# by listing everyone's.
# Neither may cost a user anything, which is what this asserts:
#  1. a port a dead jail's elements still hold is published at once;
#  2. stray links that break their own quota label (what a stopped or
#     killed race loser leaves) do not refuse the owner's next jail;
#  3. a release whose own element somebody else already removed still
#     removes all the rest (the by-key batch fails whole; the listing runs);
#  4. a jail start collects a dead jail's elements, and keeps live ones;
#  5. but a user's helpers collect at most once a second between them
#     (their turn in set gcturn), and one user's turn is not another's;
#  6. a user at its quota makes no link at all (a stopped helper's link
#     would hold an address: the review of the first version found this),
#     and is told of its quota, not of a full subnet;
#  7. stray links holding every address do not refuse another user;
#  8. a port another user publishes while a collection lists the sets is
#     not taken for an orphan, and 9. one published after the listing is
#     not deleted as the dead jail's it was (both found by reviews);
# 10. a dead jail's flows go even when that race fails a chunk, and 11.
#     so does one made through its port while a collection is stopped
#     (both found by reviews).
# 12. the same stopped at its ports4 chunk, 13. or behind more dead jails
#     than a listing holds (both found by a review); 14. a collection
#     after the launcher's last request gives way to the release, and
#     goes on after it; 15. a port's pubmark element that only looks
#     lone does not go without its ports4 twin.
# Each refusal case has its premise (the garbage is there, and counts).
. "$(dirname "$0")/libtest.sh"
. "$(dirname "$0")/seed.sh"

[ -x "$CAPJAIL" ] && [ -x "$HELPER" ] || skip_all "binaries not built"
seed_topology "cjt$$" || skip_all "cannot build the test topology"
seed_config

DEAD=999998
U1=$(id -u "$T_USER")
U2=$(id -u "$T_USER2")

# up_jail USER ARGS...: a jail that says "up" and ends; its output.
up_jail() {
	_u=$1; shift
	in_host "$_u" "$CAPJAIL" --net=capjail0 "$@" -- sh -c 'echo up' 2>&1
}

# dead_port PORT: the elements a dead jail (ifindex $DEAD) that published
# PORT/tcp left behind.
dead_port() {
	ip netns exec "$HOST" nft -f - <<EOF
add element inet capjail pubmark { tcp . $1 : $DEAD }
add element inet capjail ports4 { tcp . $1 : 10.89.0.77 . 80 }
add element inet capjail jails { $DEAD . $DEAD }
EOF
}
dead_elems() {
	{ nft_elems inet capjail pubmark; nft_elems inet capjail ports4
	  nft_elems inet capjail jails; } | grep -E "$DEAD|0x000f423e|10\.89\.0\.77"
}

# --- 1. a dead jail's port ---
in_host "$T_USER" "$CAPJAIL" --net=capjail0 -- true >/dev/null 2>&1
dead_port 8123
ok $? "1 premise: root leaves a dead jail's elements for 8123/tcp"
like "$(dead_elems | tr '\n' ' ')" "8123" "1 premise: they are there"
out=$(up_jail "$T_USER2" -p 8123:80)
is "$?:$out" "0:up" "1 $T_USER2 publishes 8123 at once"
is "$(dead_elems | tr '\n' ' ')" "" "1 and the dead jail's elements are gone"
out=$(up_jail "$T_USER2" -p 8124:80)
is "$?:$out" "0:up" "1 control: a free port publishes as ever"

# --- 2. stray links breaking their own quota label ---
# Three links named for $T_USER2's three slots on capjail0 but labelled as
# made under a quota of 1 (their creator would have deleted the younger
# two), each with a netns of its own.
S0=$(cj_slot "$U2" capjail0 0) S1=$(cj_slot "$U2" capjail0 1)
S2=$(cj_slot "$U2" capjail0 2)
i=1
for s in $S0 $S1 $S2; do
	ip -n "$HOST" link add "$s" group "$U2" txqlen 1 \
	    address "02:63:7f:00:00:0$i" type veth peer name "cjpeer$i"
	i=$((i + 1))
done
strays() { cj_links "$HOST" | grep -Fx -e "$S0" -e "$S1" -e "$S2" | tr '\n' ' '; }
is "$(strays)" "$S0 $S1 $S2 " "2 premise: three stray links"
like "$(in_host "$T_USER2" "$CAPJAIL" --check 2>&1)" "jails 3 of 3 in use" \
    "2 premise: they count against $T_USER2's quota of 3"
out=$(up_jail "$T_USER2")
is "$?:$out" "0:up" "2 $T_USER2's next jail starts"
is "$(strays)" "$S0 " "2 the two that broke their label went, the first stays"
ip -n "$HOST" link del "$S0"

# --- 3. a release whose own element is already gone ---
bg_host "$WORK/pid-r" "$T_USER" "$CAPJAIL" --net=capjail0 -p 8125:80 \
    -p 8126:80 -- sleep 30
jpid=$BG_PID
port=""
mine="cj$(printf '%08x' "$U1")"
wait_until sh -c "ip -n '$HOST' -o link show | grep -q ': $mine'" &&
    port=$(cj_links "$HOST" | grep "^$mine")
idx=$(ip -n "$HOST" -o link show dev "$port" 2>/dev/null | cut -d: -f1)
wait_until sh -c "ip netns exec '$HOST' nft list map inet capjail pubmark |
    grep -q 8126"
ok $? "3 premise: the jail published 8125 and 8126 (link $port, index $idx)"
ip netns exec "$HOST" nft delete element inet capjail jails "{ $idx . $idx }"
ok $? "3 root removes one of the jail's own elements"
kill -TERM "$jpid"
wait_gone "$jpid"
ok $? "3 the jail ends"
is "$(host_leftovers | tr '\n' ' ')" "" "3 and nothing of it is left"

# --- 4. a start collects, and keeps the living ---
bg_host "$WORK/pid-l" "$T_USER" "$CAPJAIL" --net=capjail0 -p 8127:80 \
    -- sleep 30
lpid=$BG_PID
wait_until sh -c "ip netns exec '$HOST' nft list map inet capjail pubmark |
    grep -q 8127"
ok $? "4 premise: a live jail holds 8127"
dead_port 8128
gc_turn "$T_USER2" "$HOST"
out=$(up_jail "$T_USER2")
is "$?:$out" "0:up" "4 a jail without ports starts"
is "$(dead_elems | tr '\n' ' ')" "" "4 its run collected the dead jail's elements"
like "$(nft_elems inet capjail pubmark | tr '\n' ' ')" "8127" \
    "4 and kept the live one's"
kill -TERM "$lpid"
wait_gone "$lpid"

# --- 5. a user's helpers collect once a second between them; per user ---
# (Root holds a user's turn itself with a long timeout, so that a busy
# machine cannot stretch a second.)
turn() { ip netns exec "$HOST" nft "$1" element inet capjail gcturn "{ $2 }"; }
gc_turn "$T_USER" "$HOST"
up_jail "$T_USER" >/dev/null
like "$(ip netns exec "$HOST" nft list set inet capjail gcturn)" \
    "$(printf '0x%08x' "$U1")" "5 a run took $T_USER's turn"
gc_turn "$T_USER" "$HOST"
turn add "$U1 timeout 60s"
ok $? "5 premise: root holds $T_USER's turn"
dead_port 8129
out=$(up_jail "$T_USER")
is "$?:$out" "0:up" "5 $T_USER's jail starts while its turn is taken"
like "$(dead_elems | tr '\n' ' ')" "8129" "5 and leaves the garbage (not its turn)"
# Finding the turn taken costs nothing: the helper looks, and sends no
# batch the kernel refuses (nf_tables answers a refused batch only after an
# RCU grace period, 10-30 ms, which a jail's exit would wait for).
# refused TRACE: how many nf_tables batch messages the kernel refused.
REFUSED='error=-E[A-Z]+, msg=[[{]+nlmsg_len=[0-9]+, '
REFUSED="${REFUSED}nlmsg_type=NFNL_SUBSYS_NFTABLES<<8\\|NFT_MSG_(NEW|DEL)"
refused() { grep -cE "$REFUSED" "$1"; }
ip netns exec "$HOST" strace -f -qq -o "$WORK/turn.strace" \
    -e trace=recvfrom,recvmsg setpriv --reuid="$T_USER" \
    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
    env ASAN_OPTIONS=detect_leaks=0 CAPJAIL_HELPER="$CAPJAIL_HELPER" \
    "$CAPJAIL" --net=capjail0 -p 8131:80 -- true >/dev/null 2>&1
is $? 0 "5 under strace, a jail runs while its turn is taken (control)"
ok "$([ "$(grep -c 'error=0, msg=.*NFT_MSG_NEWSETELEM' \
    "$WORK/turn.strace")" -ge 2 ]; echo $?)" \
    "5 (control) the trace shows the helper's batches acknowledged"
ip netns exec "$HOST" strace -f -qq -o "$WORK/nft.strace" \
    -e trace=recvfrom,recvmsg nft create element inet capjail gcturn \
    "{ $U1 }" 2>/dev/null
ok "$([ "$(refused "$WORK/nft.strace")" -ge 1 ]; echo $?)" \
    "5 (control) creating the taken turn shows as a refused batch"
is "$(refused "$WORK/turn.strace")" 0 \
    "5 the helper's whole run sends no batch the kernel refuses"
gc_turn "$T_USER2" "$HOST"
out=$(up_jail "$T_USER2")
is "$(dead_elems | tr '\n' ' ')" "" "5 $T_USER2's turn is its own: its run collects"
turn delete "$U1"
dead_port 8130
out=$(up_jail "$T_USER")
is "$(dead_elems | tr '\n' ' ')" "" "5 once the turn is free, $T_USER's run collects"
is "$(host_leftovers | tr '\n' ' ')" "" "nothing left on the host"

# hold_one BRIDGE GATEWAY/LEN QUOTA2: a bridge on which $T_USER's quota is
# 1 and $T_USER2's QUOTA2, and $T_USER's one jail on it, pid in qpid.
hold_one() {
	cat >>"$CONF" <<CONFEOF
bridge $1 $2
user $T_USER $1 jails=1
user $T_USER2 $1 jails=$3
CONFEOF
	bg_host "$WORK/pid-$1" "$T_USER" "$CAPJAIL" --net="$1" -- sleep 30
	qpid=$BG_PID
	wait_until sh -c "ip -n '$HOST' -o link show master $1 |
	    grep -q ': $mine'"
}

# --- 6. a user at its quota makes no link (one it could stop its helper
# on would hold an address) ---
hold_one cjtiny0 10.90.0.1/28 3
ok $? "6 premise: $T_USER holds its one jail on cjtiny0"
ip netns exec "$HOST" ip -o monitor link >"$WORK/mon" 2>&1 &
mon=$!
bg_pid $mon
sleep 0.3
out=$(in_host "$T_USER" "$CAPJAIL" --net=cjtiny0 -- true 2>&1)
like "$out" "quota reached: 1 of 1" "6 the second is refused: the quota"
sleep 0.3
kill "$mon"
is "$(grep -c 'cj[0-9a-f]\{8\}' "$WORK/mon")" 0 \
    "6 and no link came and went meanwhile"
kill -TERM "$qpid"
wait_gone "$qpid"

# --- 6b. on a full subnet, a user at its quota hears of the quota ---
# cjmini0's /30 has one address besides its gateway.
hold_one cjmini0 10.91.0.1/30 1
ok $? "6b premise: $T_USER's one jail holds cjmini0's one address"
out=$(in_host "$T_USER" "$CAPJAIL" --net=cjmini0 -- true 2>&1)
like "$out" "quota reached: 1 of 1 jails on cjmini0" \
    "6b $T_USER's second is refused for its quota, not the subnet"
out=$(in_host "$T_USER2" "$CAPJAIL" --net=cjmini0 -- true 2>&1)
like "$out" "no free address on cjmini0" \
    "6b (control) $T_USER2, within its quota, is refused for the subnet"
kill -TERM "$qpid"
wait_gone "$qpid"

# --- 7. stray links a killed helper left unwired (labelled from birth,
# the younger ones over their quota of 1) hold every address of cjtiny0 ---
# These are an older helper's links, named for their address (cjXXXXXXXX):
# the current helper's slot names keep a user within their quota, and its
# address names are only ever added to a link that proved its label, so
# only such links can hold addresses while breaking their quota label.
# Collection still recognises them (by their address's bridge).
i=2
while [ $i -le 14 ]; do
	ip -n "$HOST" link add "$(printf 'cj0a5a00%02x' $i)" group "$(id -u "$T_USER")" \
	    txqlen 1 address "$(printf '02:63:7f:00:01:%02x' $i)" type veth \
	    peer name "$(printf 'cjq%02x' $i)"
	i=$((i + 1))
done
is "$(ip -n "$HOST" -o link show group "$(id -u "$T_USER")" | grep -c ': cj0a5a')" 13 \
    "7 premise: 13 stray links hold every address of cjtiny0"
out=$(in_host "$T_USER2" "$CAPJAIL" --net=cjtiny0 -- sh -c 'echo up' 2>&1)
is "$?:$out" "0:up" "7 $T_USER2's jail still starts (the strays are collected at once)"
is "$(ip -n "$HOST" -o link show group "$(id -u "$T_USER")" | grep -c ': cj0a5a')" 1 \
    "7 the twelve that broke their label went, the oldest stays"
ip -n "$HOST" link del cj0a5a0002
is "$(host_leftovers | tr '\n' ' ')" "" "nothing left on the host"

# --- 8, 9: another user publishes while a collection is stopped ---
# stop_gc N BREAK: a collection of $T_USER's (cj-client sends no
# PROTO_F_LAST: it runs after the release), stopped by gdb at BREAK, as
# its caller may stop it anywhere; gdb's shell then waits (bounded) for
# $WORK/resume$N.  Sets hp and gp, and passes if gdb stopped it at BREAK
# (gdb's shell also runs if the helper exits without collecting).
stop_gc() {
	gc_turn "$T_USER" "$HOST"
	(cd "$WORK" && ip netns exec "$HOST" setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    "$TBIN/cj-client" -H "$HELPER" attach capjail0 eth0 \
	    hold:"$WORK/go$1" release >"$WORK/a$1" 2>&1) &
	bg_pid $!
	wait_until grep -qs holding "$WORK/a$1"
	hp=$(sed -n 's/^helper pid //p' "$WORK/a$1")
	_w="i=0; while [ ! -e $WORK/resume$1 ] && [ \$i -lt 600 ]; do
	    sleep 0.1; i=\$((i + 1)); done"
	gdb -nx -batch -p "$hp" -ex "break $2" -ex continue \
	    -ex "shell touch $WORK/paused$1; $_w" -ex detach \
	    >"$WORK/gdb$1.out" 2>&1 &
	gp=$!
	bg_pid $gp
	wait_until sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$hp/status"
	touch "$WORK/go$1"
	wait_until test -e "$WORK/paused$1"
	grep -q "Breakpoint 1, ${2%% *}" "$WORK/gdb$1.out" ||
	    { sed 's/^/#   gdb: /' "$WORK/gdb$1.out"; return 1; }
}
# resume_gc N PORT: let the collection go on; then $T_USER2's jail of
# PORT must still be reached, its ports4 element kept.
resume_gc() {
	touch "$WORK/resume$1"
	wait_until grep -q "helper exit" "$WORK/a$1"
	like "$(cat "$WORK/a$1")" "helper exit 0" "$1 $T_USER's collection ends"
	is "$(lan_get "$HOST_ADDR:$2" | tr '\n' ' ')" "token-$1-$$ rc=0 " \
	    "$1 and $T_USER2's port $2 still leads to its jail"
	like "$(nft_elems inet capjail ports4 | tr '\n' ' ')" "tcp \. $2 :" \
	    "$1 its ports4 element was kept"
	kill -TERM "$JAIL_PID"
	wait_gone "$JAIL_PID"
	wait_gone "$gp"
	is "$(host_leftovers | tr '\n' ' ')" "" "$1 nothing left on the host"
}
if command -v gdb >/dev/null && command -v lighttpd >/dev/null; then
	# 8. Between the listings of pubmark and ports4 (set 2): a ports4 element
	# whose twin the collection did not list looks like an orphan (what
	# a killed collection leaves); it is one only if the twin is still
	# missing when it is deleted.
	seed_www "$WORK/www8" "token-8-$$"
	stop_gc 8 'nl_dump if cb == list_msg && *(unsigned short *)arg == 2'
	ok $? "8 premise: $T_USER's collection stops between its listings"
	seed_jail "$T_USER2" 8140 "$WORK/www8"
	ok $? "8 premise: meanwhile $T_USER2 publishes 8140, reached from the LAN"
	resume_gc 8 8140
	# 9. After the listings: a dead jail's port is collected by another
	# run meanwhile, and $T_USER2 publishes the port; the stopped
	# collection's listing still names the dead jail.  The garbage is a
	# port's two elements alone, as $T_USER can leave them: publish,
	# then kill a collection of its own after its chunk of the jails set
	# (a missing jails element would fail that chunk first, by chance).
	seed_www "$WORK/www9" "token-9-$$"
	ip netns exec "$HOST" nft -f - <<EOF
add element inet capjail pubmark { tcp . 8150 : $DEAD }
add element inet capjail ports4 { tcp . 8150 : 10.89.0.77 . 80 }
EOF
	stop_gc 9 'gc_fresh if fresh == 1'
	ok $? "9 premise: $T_USER's collection stops after listing 8150's garbage"
	gc_turn "$T_USER2" "$HOST"
	up_jail "$T_USER2" >/dev/null
	is "$(dead_elems | tr '\n' ' ')" "" \
	    "9 premise: meanwhile $T_USER2's run collects that garbage"
	seed_jail "$T_USER2" 8150 "$WORK/www9"
	ok $? "9 premise: ... and $T_USER2 publishes 8150, reached from the LAN"
	resume_gc 9 8150
	# 10. The same race, and the dead jail had a flow: the pubmark chunk
	# fails and the sweep lists again; the flow must go all the same.
	# 11. A host user connects through a dead jail's port while the
	# collection is stopped before deleting it: that flow must go too
	# (both found by a review of the first fix).
	if command -v conntrack >/dev/null; then
		# ct_dead WORD: the dead jail's flows whose entry has WORD.
		ct_dead() {
			ip netns exec "$HOST" conntrack -L --mark "$DEAD" \
			    2>/dev/null | grep -c -- "$1"
		}
		# ct_all WORD: any flow whose entry has WORD, whatever its mark.
		ct_all() {
			ip netns exec "$HOST" conntrack -L 2>/dev/null |
			    grep -c -- "$1"
		}
		seed_www "$WORK/www10" "token-10-$$"
		dead_port 8160
		ip netns exec "$HOST" conntrack -I -p tcp -s 192.0.2.10 \
		    -d 10.89.0.77 --sport 4010 --dport 80 -t 600 --mark "$DEAD" \
		    --state ESTABLISHED >/dev/null 2>&1
		is "$(ct_dead sport=4010)" 1 "10 premise: the dead jail has a flow"
		stop_gc 10 twin_add
		ok $? "10 premise: $T_USER's collection stops at its first ports chunk"
		gc_turn "$T_USER2" "$HOST"
		up_jail "$T_USER2" >/dev/null
		is "$(dead_elems | tr '\n' ' ')" "" \
		    "10 premise: meanwhile $T_USER2's run collects the garbage"
		seed_jail "$T_USER2" 8160 "$WORK/www10"
		ok $? "10 premise: ... and $T_USER2 publishes 8160"
		resume_gc 10 8160
		is "$(ct_dead sport=4010)" 0 "10 the dead jail's flow is gone"

		# through_dead N PORT BREAK: a dead jail that published PORT,
		# whose collection stops at BREAK while $T_USER2 connects
		# through PORT: that flow must go with the dead jail.
		through_dead() {
			dead_port "$2"
			stop_gc "$1" "$3"
			ok $? "$1 premise: $T_USER's collection stops at $3"
			in_host "$T_USER2" curl -s --max-time 1 \
			    "http://$HOST_ADDR:$2/" >/dev/null 2>&1
			is "$(ct_all "dport=$2")" 1 \
			    "$1 premise: meanwhile $T_USER2 connects through it"
			touch "$WORK/resume$1"
			wait_until grep -q "helper exit" "$WORK/a$1"
			like "$(cat "$WORK/a$1")" "helper exit 0" \
			    "$1 $T_USER's collection ends"
			is "$(dead_elems | tr '\n' ' ')" "" \
			    "$1 it took the dead jail's elements"
			is "$(ct_all "dport=$2")" 0 "$1 and the flow made meanwhile"
			wait_gone "$gp"
		}
		through_dead 11 8170 twin_add
		# 12. The same, stopped at its ports4 chunk: a port never
		# translates without marking, so a flow made meanwhile is
		# marked for the dead jail and flushed with its port.
		through_dead 12 8180 'twin_add if del != 0'
		# 13. More dead jails than one listing holds: the listing holds
		# every port before any liveness element, so the dead jail's
		# flows cannot outlive its ports.
		i=0
		{ echo "add element inet capjail jails {"
		  while [ $i -lt 8191 ]; do
			echo "$((900000 + i)) . $((900000 + i)),"; i=$((i + 1))
		  done
		  echo "}"; } | ip netns exec "$HOST" nft -f -
		is "$(nft_elems inet capjail jails | grep -c '^0x000d')" 8191 \
		    "13 premise: 8191 dead jails' liveness elements"
		through_dead 13 8190 twin_add
		is "$(nft_elems inet capjail jails | grep -c '^0x000d')" 0 \
		    "13 and the other dead jails'"
		ip netns exec "$HOST" conntrack -D --mark "$DEAD" >/dev/null 2>&1
	else
		skip "no conntrack: a dead jail's flows and a stopped collection"
	fi
	# 14. A collection after the launcher's last request gives way when
	# the launcher asks again: a short jail's release is answered before
	# the collection goes on, not after all of it.
	gc_turn "$T_USER" "$HOST"
	dead_port 8195
	(cd "$WORK" && ip netns exec "$HOST" setpriv --reuid="$T_USER" \
	    --regid="$(id -g "$T_USER")" --init-groups --reset-env \
	    "$TBIN/cj-client" -H "$HELPER" hold:"$WORK/go14" attach-last \
	    capjail0 eth0 hold:"$WORK/rel14" release >"$WORK/a14" 2>&1) &
	bg_pid $!
	wait_until grep -qs holding "$WORK/a14"
	hp=$(sed -n 's/^helper pid //p' "$WORK/a14")
	# Run by gdb's shell at gc_links: the release is sent, and (bounded)
	# waits unread in the helper's socket.
	cat >"$WORK/rel14.sh" <<EOF
touch $WORK/rel14
i=0
while [ \$i -lt 200 ] && ! ip netns exec $HOST ss -xp |
    awk '/pid=$hp,/ && \$3 > 0 { f = 1 } END { exit !f }'; do
	sleep 0.05; i=\$((i + 1))
done
EOF
	gdb -nx -batch -p "$hp" -ex "break gc_links" -ex continue \
	    -ex "shell sh $WORK/rel14.sh" -ex "break do_release" \
	    -ex "break fw_gc" -ex "break fw_gc_chains" -ex continue \
	    -ex continue -ex continue -ex detach >"$WORK/gdb14.out" 2>&1 &
	gp=$!
	bg_pid $gp
	wait_until sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$hp/status"
	touch "$WORK/go14"
	wait_until grep -q "helper exit" "$WORK/a14"
	wait_gone "$gp"
	hits=$(sed -n 's/^Breakpoint [0-9], \([a-z_]*\).*/\1/p' "$WORK/gdb14.out" |
	    tr '\n' ' ')
	like "$hits" "^gc_links " \
	    "14 premise: the collection begins after the last request"
	is "$hits" "gc_links do_release fw_gc fw_gc_chains " \
	    "14 the release is answered before it lists the sets, then it does"
	like "$(cat "$WORK/a14")" "reply type=release status=0" \
	    "14 the release is acknowledged"
	is "$(dead_elems | tr '\n' ' ')" "" \
	    "14 and the collection, gone on after it, took the dead port"
	is "$(host_leftovers | tr '\n' ' ')" "" "14 nothing left on the host"
	# 15. A port whose pubmark element names another owner than when
	# the collection read the owners (its live jail released it and a
	# dead jail's stopped helper published it): the pubmark element now
	# looks lone while its ports4 twin is there, and must not go alone,
	# leaving a port that translates without marking (found by a review).
	seed_www "$WORK/www15" "token-15-$$"
	seed_jail "$T_USER2" 8196 "$WORK/www15"
	ok $? "15 premise: $T_USER2 publishes 8196"
	stop_gc 15 'nl_dump if cb == list_msg && *(unsigned short *)arg == 1 && owners_pass == 0'
	ok $? "15 premise: $T_USER's collection stops before its lone pubmark listing"
	ip netns exec "$HOST" nft -f - <<EOF
delete element inet capjail pubmark { tcp . 8196 }
add element inet capjail pubmark { tcp . 8196 : $DEAD }
EOF
	ok $? "15 premise: meanwhile 8196's pubmark element names a dead jail"
	touch "$WORK/resume15"
	wait_until grep -q "helper exit" "$WORK/a15"
	is "$(nft_elems inet capjail ports4 | grep -c 'tcp \. 8196'):$(nft_elems inet capjail pubmark | grep -c 'tcp \. 8196')" \
	    "0:0" "15 the port's two elements went together"
	kill -TERM "$JAIL_PID"
	wait_gone "$JAIL_PID"
	wait_gone "$gp"
	is "$(host_leftovers | tr '\n' ' ')" "" "15 nothing left on the host"
else
	skip "no gdb or lighttpd: publishes while a collection is stopped"
fi

done_testing
