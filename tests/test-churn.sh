#!/bin/sh
# SPDX-License-Identifier: ISC
# The kill-anywhere churn test (issue 5).  CHURN_CYCLES jail start/stop
# cycles (default 200; `make soak` runs 2000), CHURN_PARALLEL at a time,
# as the test users, on a bridge in a throwaway host namespace.  Every
# cycle starts a jail that publishes a port and serves a token of its own,
# then SIGKILLs, at a random moment, one of: the jail's command (or, before
# it exists, the jail's init), the launcher or the helper; then ends the
# jail and waits for every process of the cycle.  The moment: for 40% of
# the cycles ("early") after 0-60 polls of the process tree (a fork-free
# loop), since the whole start-up takes only some 40 polls (15-30 ms) and a
# forked sleep would overshoot it; for the first cycle of each slot and 15%
# of the others ("up") 0-300 ms after the jail first answered (waited for,
# up to 10 s: these are the control that the path carries traffic, however
# slow the machine or the build); for the rest ("any") 0-300 ms after the
# launch.
#
# Soundness of the token check: each concurrent slot owns CHURN_PORTS ports
# that no other slot uses, and runs its cycles one after the other, each
# with a fresh token.  So a fetch on port P made while cycle k of that slot
# runs must return token(k) or nothing; a fetch on the slot's other ports
# must return nothing.  Any other answer is traffic that reached a jail
# which did not publish that port (whatever carried it: an nftables element,
# or a conntrack entry whose DNAT outlived its element); the host's state at
# that moment is printed with the failure.
#
# At the end, after one more helper run: no cj* link, no per-jail element or
# ports4, no jail address on the host, no process of ours left.
#
# Knobs: CHURN_CYCLES, CHURN_PARALLEL (slots, 1-8), CHURN_PORTS (ports per
# slot, 1-10), CHURN_MAX_DELAY_MS (300), CHURN_SEED (the plan is drawn from
# it: rerun with the seed a failure printed), CHURN_KEEP=DIR (copy the
# per-cycle and per-fetch records there).
. "$(dirname "$0")/libtest.sh"
. "$(dirname "$0")/seed.sh"

CYCLES=${CHURN_CYCLES:-200}
PAR=${CHURN_PARALLEL:-3}
NPORTS=${CHURN_PORTS:-2}
MAXDELAY=${CHURN_MAX_DELAY_MS:-300}
SEED=${CHURN_SEED:-$(od -An -N3 -tu4 /dev/urandom | tr -d ' ')}
PORT_BASE=8100
for _v in "$CYCLES" "$PAR" "$NPORTS" "$MAXDELAY" "$SEED"; do
	case $_v in ''|*[!0-9]*) skip_all "CHURN_* must be numbers" ;; esac
done
[ "$PAR" -ge 1 ] && [ "$PAR" -le 8 ] && [ "$NPORTS" -ge 1 ] &&
    [ "$NPORTS" -le 10 ] || skip_all "CHURN_PARALLEL 1-8, CHURN_PORTS 1-10"

[ -x "$CAPJAIL" ] && [ -x "$HELPER" ] || skip_all "binaries not built"
for _c in socat curl od awk; do
	command -v $_c >/dev/null || skip_all "$_c not installed"
done
seed_topology "cje-$$" || skip_all "cannot build the test topology"
cat >"$CONF" <<CONFEOF
bridge capjail0 10.89.0.1/24 publish-from=eth0
user $T_USER capjail0 jails=64 ports=8000-8999
user $T_USER2 capjail0 jails=64 ports=8000-8999
CONFEOF
chmod 0644 "$CONF"
UID1=$(id -u "$T_USER") UID2=$(id -u "$T_USER2")
RUN=$$x$SEED
diag "seed $SEED: $CYCLES cycles, $PAR at a time, $NPORTS ports each," \
    "kill within 0-$MAXDELAY ms"

# --- helpers (all waits bounded) ---
now_ms() { date +%s%3N; }
msleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# alive PID: exists and is not a zombie (kill -0 is true for zombies).
alive() {
	_st=
	read -r _ _ _st _ 2>/dev/null </proc/"$1"/stat
	[ -n "$_st" ] && [ "$_st" != Z ]
}

# wait_dead MS PID...: 0 once every PID has ended, 1 after MS ms.
wait_dead() {
	_end=$(($(now_ms) + $1)); shift
	for _p in "$@"; do
		while alive "$_p"; do
			[ "$(now_ms)" -ge "$_end" ] && return 1
			sleep 0.01
		done
	done
	return 0
}

comm_of() { _comm=; read -r _comm 2>/dev/null </proc/"$1"/comm; }

# snap: note the cycle's processes as they appear, without a fork (a kill
# within the start-up cannot wait for one).  The launcher $L has two
# children: the helper (H, in L's pid namespace; named capjail until it
# has exec'd) and the jail's init (P1, in a new pid namespace), whose child
# is the command (C; named socat once exec'd).  The last snapshot gives
# STAGE: none, helper, init, cmd (the command runs) or gone.
snap() {
	_kids=
	read -r _kids 2>/dev/null </proc/"$L"/task/"$L"/children
	for _k in $_kids; do
		[ -e /proc/"$_k"/ns/pid ] || continue
		if [ /proc/"$_k"/ns/pid -ef /proc/"$L"/ns/pid ]; then
			comm_of "$_k"
			[ "$_comm" = capjail-net ] && H=$_k
		else
			P1=$_k
		fi
	done
	_kids=
	[ -n "$P1" ] &&
	    read -r _kids 2>/dev/null </proc/"$P1"/task/"$P1"/children
	for _k in $_kids; do C=$_k; break; done
	stage=none
	[ -n "$H" ] && stage=helper
	[ -n "$P1" ] && stage=init
	[ -n "$C" ] && { comm_of "$C"; [ "$_comm" = socat ] && stage=cmd; }
	alive "$L" || stage=gone
}

# kill_ours PID: SIGKILL PID if it is still one of the processes a cycle
# makes, run by a test user (pids get reused: never kill on a stale pid).
kill_ours() {
	comm_of "$1"
	case $_comm in capjail|capjail-net|socat|sh|echo) ;; *) return 1 ;; esac
	_u=$(stat -c %u /proc/"$1" 2>/dev/null)
	[ "$_u" = "$UID1" ] || [ "$_u" = "$UID2" ] || return 1
	kill -KILL "$1" 2>/dev/null
}

# fetch K PORT TOKEN|-: one request from the LAN, recorded as
# "K PORT EXPECTED GOT TIME" (GOT - for no answer, TIME in ms).  The
# server reads the request line before it answers: a reply written before
# that races socat's relaying of the request and is lost now and then.
fetch() {
	_t=$(now_ms)
	_got=$(ip netns exec "$LAN" curl -s --max-time 1 \
	    "http://$HOST_ADDR:$2/" 2>/dev/null | head -n 1 | tr -d ' \r')
	echo "$1 $2 $3 ${_got:--} $_t" >>"$FETCHES"
	[ -z "$_got" ] && return 1
	[ "$_got" = "$3" ] && return 0
	# A wrong answer: what the host looks like right now.
	{
		echo "fetch of port $2 in cycle $1 at $_t: want $3, got $_got"
		cj_names
		ip netns exec "$HOST" nft list map inet capjail ports4 |
		    grep -Eo '(tcp|udp) \. [0-9]+ : [0-9.]+ \. [0-9]+'
		nft_elems netdev capjail src
		# conntrack keeps a flow's DNAT after its element is gone
		ip netns exec "$HOST" grep "dport=$2 " /proc/net/nf_conntrack |
		    grep -v TIME_WAIT | head -n 20
		ps -eo pid,ppid,user,etimes,comm,args | grep "[c]apjail"
	} 2>&1 | sed 's/^/  /' >"$WORK/wrong-$1-$2-$_t"
	return 1
}

# cj_names: every name of a link in $HOST that starts with cj, primary
# (a jail link's slot name) or alternative (its address and netns names).
cj_names() {
	ip -n "$HOST" -o link show |
	    grep -o '\(^[0-9]*: \|altname \)cj[^ @:\\]*' | sed 's/.* //'
}

# answered MS K PORT TOKEN: 0 once a fetch got TOKEN, 1 after MS ms.
answered() {
	_end=$(($(now_ms) + $1))
	while [ "$(now_ms)" -lt "$_end" ]; do
		fetch "$2" "$3" "$4" && return 0
		sleep 0.02
	done
	return 1
}

# --- one cycle ---
# cycle K SLOT USER PORT KIND MODE DELAY: start, kill at DELAY ms, end.
# Appends "K SLOT USER PORT KIND MODE DELAY STAGE HIT STATUS OKS LOST HANG
# LINK STEP T0 TKILL TEND" to $CYCLES_OUT: STAGE is what existed when the
# kill came (see snap), HIT what was killed, OKS how many fetches got the
# token, LOST how many got nothing twice in a row after one had got it and
# before the kill, LINK the jail's host-side link, STEP how far the launcher had got
# (its last -v step at the kill), T* times in ms.
cycle() {
	k=$1 slot=$2 user=$3 port=$4 kind=$5 mode=$6 delay=$7
	tok=cje$RUN-$k
	pf=$WORK/pid-$slot
	log=$WORK/log-$k
	go=$WORK/go-$slot
	rm -f "$pf" "$go"
	mkfifo "$go"
	# in_host, except that the launcher waits for a line on the FIFO
	# before it is exec'd: the kill moment counts from that line.
	( ip netns exec "$HOST" setpriv --reuid="$user" \
	    --regid="$(id -g "$user")" --init-groups --reset-env \
	    env CAPJAIL_HELPER="$CAPJAIL_HELPER" \
	    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin sh -c \
	    'echo $$ >&3; exec 3>&-; read -r g <&4; exec 4<&-
	    [ "$g" = go ] && cd "$0" && exec "$@"; exit 125' \
	    "$WORK" "$CAPJAIL" -v --net=capjail0 -p "$port:80" -- \
	    socat TCP-LISTEN:80,fork,reuseaddr \
	    SYSTEM:"read -r l; echo HTTP/1.0 200 OK; echo; echo $tok" \
	    3>"$pf" 4<"$go" >"$log" 2>&1 </dev/null ) &
	sub=$!
	exec 5<>"$go"		# read-write: opening does not block
	L= H= P1= C=
	i=0
	while [ $i -lt 500 ]; do
		[ -s "$pf" ] && { read -r L <"$pf"; break; }
		sleep 0.01
		i=$((i + 1))
	done
	[ -n "$L" ] && echo go >&5
	exec 5>&-
	if [ -z "$L" ]; then
		kill -KILL "$sub" 2>/dev/null
		wait "$sub"
		t0=$(now_ms)
		echo "$k $slot $user $port $kind $mode $delay nostart - - 0 0" \
		    "1 - - $t0 - $(now_ms)" >>"$CYCLES_OUT"
		return
	fi
	# Until the kill.  "early": DELAY snapshots in a tight loop.  "any":
	# DELAY ms, fetching the cycle's port meanwhile (leaving time to be on
	# time).  "up": the same, once the port has answered.
	oks=0 lost=0
	if [ "$mode" = early ]; then
		i=0
		while [ $i -lt "$delay" ]; do snap; i=$((i + 1)); done
		t0=$(now_ms)
	else
		[ "$mode" = up ] && answered 10000 "$k" "$port" "$tok" && oks=1
		t0=$(now_ms)
		deadline=$((t0 + delay))
		while [ $(($(now_ms) + 30)) -lt "$deadline" ]; do
			if fetch "$k" "$port" "$tok"; then
				oks=$((oks + 1))
			elif [ $oks -gt 0 ] && ! fetch "$k" "$port" "$tok"
			then
				lost=$((lost + 1))  # it answered, nothing killed
			fi
		done
		left=$((deadline - $(now_ms)))
		[ $left -gt 0 ] && msleep $left
	fi

	# The kill.  A target that does not exist yet (a kill at once) is
	# waited for, bounded; AT and STEP are taken just before the signal.
	snap
	case $kind in
	helper)
		i=0
		while [ -z "$H" ] && alive "$L" && [ $i -lt 2000 ]; do
			snap
			i=$((i + 1))
		done ;;
	cmd)
		i=0
		while [ -z "$P1" ] && alive "$L" && [ $i -lt 2000 ]; do
			snap
			i=$((i + 1))
		done ;;
	esac
	at=$stage
	step=none
	while read -r _l; do
		case $_l in
		*"helper: starting"*) step=spawn ;;
		*"clone:"*) step=clone ;;
		*"helper: attach"*) step=attach ;;
		*"host side"*) step=attached ;;
		*"helper: publish"*) step=publish ;;
		*"eth0: address"*) step=netup ;;
		*"pid 1: running"*) step=running ;;
		esac
	done <"$log"
	hit=none
	case $kind in
	launcher)
		alive "$L" && kill -KILL "$L" 2>/dev/null && hit=launcher ;;
	helper)
		[ -n "$H" ] && kill -KILL "$H" 2>/dev/null && hit=helper ;;
	cmd)
		# The command (exec'd or not), else the jail's init.
		if [ -n "$C" ] && kill -KILL "$C" 2>/dev/null; then
			hit=cmd
		elif [ -n "$P1" ] && kill -KILL "$P1" 2>/dev/null; then
			hit=init
		fi ;;
	esac
	tkill=$(now_ms)
	snap
	fetch "$k" "$port" "$tok" && oks=$((oks + 1))

	# The end: a dead command or init ends the launcher by itself; with
	# the helper dead, the jail still runs, so stop it as a user would.
	hang=0
	if [ "$kind" = helper ] || ! wait_dead 5000 "$L"; then
		[ "$kind" != helper ] && hang=1
		kill -TERM "$L" 2>/dev/null
	fi
	if ! wait_dead 5000 "$L"; then
		hang=1
		kill_ours "$L"
	fi
	wait "$sub"
	status=$?
	for p in $H $P1 $C; do
		wait_dead 5000 "$p" || { hang=1; kill_ours "$p"; }
	done
	[ $hang -eq 1 ] && ps -o pid,ppid,user,stat,comm -p "$L $H $P1 $C" \
	    >>"$log" 2>&1
	# After the end: this port and the slot's others answer nothing.
	fetch "$k" "$port" "$tok" && oks=$((oks + 1))
	j=0
	while [ $j -lt "$NPORTS" ]; do
		op=$((PORT_BASE + slot * NPORTS + j))
		[ "$op" -ne "$port" ] && fetch "$k" "$op" -
		j=$((j + 1))
	done
	addr=$(grep -o 'host side cj[0-9a-f]*' "$log" | sed 's/.* //')
	echo "$k $slot $user $port $kind $mode $delay $at $hit $status" \
	    "$oks $lost $hang ${addr:--} ${step:--} $t0 $tkill $(now_ms)" \
	    >>"$CYCLES_OUT"
}

# slot S: run the cycles the plan gives slot S, one after the other.
slot() {
	CYCLES_OUT=$WORK/cycles-$1 FETCHES=$WORK/fetches-$1
	: >"$CYCLES_OUT"; : >"$FETCHES"
	while read -r k s u p kind mode d <&9; do
		cycle "$k" "$s" "$u" "$p" "$kind" "$mode" "$d"
	done 9<"$WORK/plan-$1"
}

# --- the plan: slot, user, port, what to kill, when ---
awk -v n="$CYCLES" -v par="$PAR" -v np="$NPORTS" -v max="$MAXDELAY" \
    -v seed="$SEED" -v base="$PORT_BASE" -v u1="$T_USER" -v u2="$T_USER2" '
BEGIN {
	srand(seed)
	split("cmd launcher helper", kinds, " ")
	for (k = 1; k <= n; k++) {
		s = (k - 1) % par
		port = base + s * np + int(rand() * np)
		kind = kinds[1 + int(rand() * 3)]
		r = rand()
		mode = k <= par || r < 0.15 ? "up" : r < 0.55 ? "early" : "any"
		d = int(rand() * ((mode == "early" ? 60 : max) + 1))
		print k, s, (s % 2 ? u2 : u1), port, kind, mode, d
	}
}' >"$WORK/plan"
s=0
while [ $s -lt "$PAR" ]; do
	awk -v s=$s '$2 == s' "$WORK/plan" >"$WORK/plan-$s"
	s=$((s + 1))
done

t_start=$(now_ms)
s=0
while [ $s -lt "$PAR" ]; do
	slot $s &
	bg_pid $!
	s=$((s + 1))
done
wait
t_end=$(now_ms)
cat "$WORK"/cycles-* | sort -n >"$WORK/cycles"
cat "$WORK"/fetches-* >"$WORK/fetches"
if [ -n "${CHURN_KEEP:-}" ]; then
	mkdir -p "$CHURN_KEEP" && cp "$WORK/plan" "$WORK/cycles" \
	    "$WORK/fetches" "$WORK"/log-* "$CHURN_KEEP/" &&
	    { cp "$WORK"/wrong-* "$CHURN_KEEP/" 2>/dev/null || :; }
fi

# --- the results ---
done_n=$(wc -l <"$WORK/cycles")
is "$done_n" "$CYCLES" "every planned cycle ran"
diag "time: $(((t_end - t_start) / 1000)).$(((t_end - t_start) % 1000 / 100)) s" \
    "for $done_n cycles"
diag "kills planned: $(awk '{print $5}' "$WORK/cycles" | sort | uniq -c |
    awk '{printf "%s=%s ", $2, $1}')"
diag "kills done: $(awk '{print $9}' "$WORK/cycles" | sort | uniq -c |
    awk '{printf "%s=%s ", $2, $1}')"
diag "what was up at the kill: $(awk '{print $8}' "$WORK/cycles" | sort |
    uniq -c | awk '{printf "%s=%s ", $2, $1}')"
diag "start-up step at the kill: $(awk '{print $15}' "$WORK/cycles" |
    sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
diag "launcher exit status by kind: $(awk '{print $5 ":" $10}' \
    "$WORK/cycles" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
refused=$(cat "$WORK"/log-* 2>/dev/null | grep -E 'capjail: (attach|publish)' |
    sed 's/.*: //' | sort | uniq -c | awk '{$1 = $1 "x"; print}' |
    paste -sd ';' -)
[ -n "$refused" ] && diag "start failures: $refused"

ok_n=$(awk '$4 != "-" && $4 == $3' "$WORK/fetches" | wc -l)
empty_n=$(awk '$4 == "-"' "$WORK/fetches" | wc -l)
wrong_n=$(awk '$4 != "-" && $4 != $3' "$WORK/fetches" | wc -l)
diag "fetches: ok=$ok_n empty=$empty_n wrong=$wrong_n"
answered=$(awk '$11 > 0' "$WORK/cycles" | wc -l)
diag "jails that answered at least once: $answered of $done_n"
is "$wrong_n" 0 "no fetch ever got another jail's token"
awk '$4 != "-" && $4 != $3 {
	print "#   wrong: cycle " $1 " port " $2 " expected " $3 " got " $4 }' \
    "$WORK/fetches" | head -n 20
for _f in $(ls "$WORK"/wrong-* 2>/dev/null | head -n 3); do
	sed 's/^/#  /' "$_f"
done
up_n=$(awk '$6 == "up"' "$WORK/cycles" | wc -l)
mute=$(awk '$6 == "up" && $11 == 0 {print $1}' "$WORK/cycles" |
    paste -sd ' ' -)
if ! ok $([ "$up_n" -gt 0 ] && [ -z "$mute" ]; echo $?) \
    "jails were reached through their ports ($up_n waited for)"; then
	diag "never answered: cycles $mute"
	# What such a cycle's launcher said (-v), and the fetches it made.
	for _k in $mute; do
		awk -v k="$_k" '$1 == k' "$WORK/cycles" | sed 's/^/#   cycle: /'
		head -n 40 "$WORK/log-$_k" | sed 's/^/#   /'
		awk -v k="$_k" '$1 == k' "$WORK/fetches" | head -n 5 |
		    sed 's/^/#   fetch: /'
	done
fi
# The helper reports refusals in words.  It died if capjail says so, or if
# it printed its own last words while its launcher lived (it does when the
# launcher is killed: the socket resets under it).
crashed=$(awk '$5 != "helper" {print $1, $5}' "$WORK/cycles" |
    while read -r _k _kind; do
	_log=$WORK/log-$_k
	{ grep -Eq 'network helper (was killed|exited|is gone)|bad reply' \
	    "$_log" || { [ "$_kind" != launcher ] &&
	    grep -q '^capjail-net: ' "$_log"; }; } && echo "$_k"
done | paste -sd ' ' -)
is "$crashed" "" "the helper never died unless it was the one killed"
lost=$(awk '$12 > 0 {print $1}' "$WORK/cycles" | paste -sd ' ' -)
is "$lost" "" "no running jail stopped answering before its kill"
hangs=$(awk '$13 > 0 {print $1}' "$WORK/cycles" | paste -sd ' ' -)
is "$hangs" "" "every cycle ended within its bounds (no hang)"
for _k in $(echo "$crashed $hangs $lost" | tr ' ' '\n' | sort -un | head -n 5); do
	grep "^$_k " "$WORK/cycles" | sed 's/^/#   cycle: /'
	sed 's/^/#   log: /' "$WORK/log-$_k"
done

# Links of jails that just died may take a moment (the kernel destroys a
# network namespace asynchronously); then one more helper run collects.
i=0
while [ -n "$(cj_names)" ] &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
gc_turn "$T_USER" "$HOST"
diag "before the last helper run: $(host_leftovers | wc -l) leftovers"
out=$(in_host "$T_USER" "$CAPJAIL" --net=capjail0 -- true 2>&1)
is "$?:$out" "0:" "one more helper run succeeds"
is "$(cj_names | paste -sd ' ' -)" "" "no cj* link is left"
is "$(nft_elems netdev capjail src | paste -sd ' ' -)" "" \
    "no element is left in the jails' source set"
is "$(host_leftovers | paste -sd ' ' -)" "" \
    "no liveness element, published port or ingress chain is left"
is "$(ip netns exec "$HOST" nft list map inet capjail ports4 |
    grep -Eo '(tcp|udp) \. [0-9]+ : [0-9.]+ \. [0-9]+' | paste -sd ' ' -)" \
    "" "no element is left in ports4"
is "$(ip -n "$HOST" -o -4 addr show | grep -Eo '10\.89\.0\.[0-9]+/' |
    paste -sd ' ' -)" "10.89.0.1/" "no leased address: only the gateway's"
# The child that deleted the last jail's veth from inside may outlive its
# capjail by the deletion's RCU barrier (launcher/linkdel.c): it ends by
# itself.
no_unlink() { test -z "$(pgrep -u "$T_USER,$T_USER2" -x capjail-unlink)"; }
wait_until no_unlink
ok $? "the last jail's capjail-unlink child ends by itself"
# So may a helper whose release was answered: it ends by itself too.
no_helper() {
	test -z "$(pgrep -u "$T_USER,$T_USER2" -f "^$CAPJAIL_HELPER")"
}
wait_until no_helper
is "$(pgrep -u "$T_USER,$T_USER2" -f "^$TESTDIR/capjail" | paste -sd ' ' -)" \
    "" "no capjail or capjail-net process of ours is left"
is "$(pgrep -f "cje$RUN-" | paste -sd ' ' -)" "" \
    "no process serving one of our tokens is left"

done_testing
