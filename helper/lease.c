/* SPDX-License-Identifier: ISC */
/*
 * Addresses, quotas and the one-link-per-netns rule, kept in the kernel
 * only.  A jail's host-side veth is named "cj" + the 8 hex digits of its
 * address (subnets never overlap, so the name also says which bridge), and
 * labelled with the alias "capjail uid=UID ns=INODE".  Creating the link
 * with NLM_F_EXCL is taking the lease: the rtnl lock makes it atomic, and
 * EEXIST means somebody else won that address.  Quotas are counted from
 * the labelled links.  Concurrent helpers settle races after the fact:
 * once labelled, a link counts only the links *older* than itself (lower
 * ifindex; the kernel allocates them increasing), and the younger link of
 * any pair that breaks a rule deletes itself.  The kernel's replies are
 * trusted; the aliases were written by helpers (or root).
 */
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <bsd/bitstring.h>
#include <libmnl/libmnl.h>

#include "fw.h"

#define CREATE_TRIES	64	/* EEXIST races lost in a row before giving up */
#define LABEL_TRIES	50	/* 2 ms waits for a racing helper to label */
#define SCAN_TRIES	50	/* dumps interrupted by link changes */
#define NO_BRIDGE	((size_t)-1)

struct scan {
	const struct config *conf;
	const char	*mine;		/* "capjail uid=UID " */
	const char	*alias;		/* our full alias, or NULL */
	const char	*self;		/* our host-side name, or NULL */
	size_t		 target;	/* bridge whose addresses fill taken */
	uint32_t	 before;	/* count only links with lower index */
	uint32_t	 br_index[CONF_MAX_BRIDGES];	/* 0: absent */
	uint32_t	 br_mtu[CONF_MAX_BRIDGES];
	int		 br_bad[CONF_MAX_BRIDGES];	/* not a bridge */
	uint32_t	 used[CONF_MAX_BRIDGES];	/* the caller's links */
	uint32_t	 unlabeled;	/* on target, alias not yet set */
	int		 ns_taken;	/* a link already has our alias */
	uint32_t	 self_index;
	int		 self_ok;	/* self carries our alias */
};

/* Host parts in use on the target bridge; big enough for a /8. */
static bitstr_t bit_decl(taken, 1 << 24);

static int join(struct session *, uint32_t, char *, size_t);
static int say(char *, size_t, int, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Put the reply text for a refusal or failure; returns the status. */
static int
say(char *text, size_t len, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, len, fmt, ap);
	va_end(ap);
	return status;
}

static uint32_t
net_of(const struct bridge_conf *b)
{
	return ntohl(b->gateway.s_addr) & (~0u << (32 - b->prefixlen));
}

void
lease_host_name(char name[IFNAMSIZ], struct in_addr a)
{
	(void)snprintf(name, IFNAMSIZ, "cj%08x", ntohl(a.s_addr));
}

/* "cj" + exactly 8 lower-case hex digits: one of our leases. */
static int
parse_host_name(const char *name, uint32_t *a)
{
	size_t i;

	if (strlen(name) != 10 || strncmp(name, "cj", 2) != 0)
		return -1;
	for (*a = 0, i = 2; i < 10; i++) {
		if (name[i] >= '0' && name[i] <= '9')
			*a = *a << 4 | (uint32_t)(name[i] - '0');
		else if (name[i] >= 'a' && name[i] <= 'f')
			*a = *a << 4 | (uint32_t)(name[i] - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

static size_t
bridge_of(const struct config *conf, uint32_t a)
{
	size_t i;

	for (i = 0; i < conf->nbridges; i++)
		if ((a & (~0u << (32 - conf->bridges[i].prefixlen))) ==
		    net_of(&conf->bridges[i]))
			return i;
	return NO_BRIDGE;
}

static int
link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int t = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if ((t == IFLA_IFNAME || t == IFLA_IFALIAS) &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	if (t == IFLA_MTU && mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[t] = a;
	return MNL_CB_OK;
}

/* Inside IFLA_LINKINFO: only the kind matters. */
static int
info_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		tb[IFLA_INFO_KIND] = a;
	return MNL_CB_OK;
}

static void
scan_bridges(struct scan *sc, const char *name, uint32_t idx, int isbr,
    uint32_t mtu)
{
	size_t i;

	for (i = 0; i < sc->conf->nbridges; i++) {
		if (strcmp(name, sc->conf->bridges[i].name) != 0)
			continue;
		sc->br_index[i] = idx;
		sc->br_bad[i] = !isbr;
		sc->br_mtu[i] = mtu;
	}
}

/* One link of the dump: is it a bridge of ours, a lease, whose? */
static void
scan_one(struct scan *sc, const char *name, const char *alias, uint32_t idx)
{
	const struct bridge_conf *b;
	uint32_t a;
	size_t i;

	if (sc->self != NULL && strcmp(name, sc->self) == 0) {
		sc->self_index = idx;
		sc->self_ok = sc->alias && strcmp(alias, sc->alias) == 0;
	}
	if (parse_host_name(name, &a) == -1 ||
	    (i = bridge_of(sc->conf, a)) == NO_BRIDGE)
		return;
	b = &sc->conf->bridges[i];
	if (i == sc->target)
		bit_set(taken, (int)(a - net_of(b)));
	if (idx >= sc->before)
		return;
	if (strncmp(alias, sc->mine, strlen(sc->mine)) == 0)
		sc->used[i]++;
	if (sc->alias != NULL && strcmp(alias, sc->alias) == 0)
		sc->ns_taken = 1;
	if (*alias == '\0' && i == sc->target)
		sc->unlabeled++;
}

static int
scan_link(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { NULL };
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct scan *sc = data;
	const char *kind = "", *alias = "";

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_attr_parse(nlh, sizeof(*ifm), link_attr, tb) != MNL_CB_OK ||
	    tb[IFLA_IFNAME] == NULL || tb[IFLA_MTU] == NULL)
		return MNL_CB_OK;
	if (tb[IFLA_LINKINFO] != NULL && mnl_attr_parse_nested(
	    tb[IFLA_LINKINFO], info_attr, info) == MNL_CB_OK &&
	    info[IFLA_INFO_KIND] != NULL)
		kind = mnl_attr_get_str(info[IFLA_INFO_KIND]);
	if (tb[IFLA_IFALIAS] != NULL)
		alias = mnl_attr_get_str(tb[IFLA_IFALIAS]);
	scan_bridges(sc, mnl_attr_get_str(tb[IFLA_IFNAME]),
	    (uint32_t)ifm->ifi_index, strcmp(kind, "bridge") == 0,
	    mnl_attr_get_u32(tb[IFLA_MTU]));
	scan_one(sc, mnl_attr_get_str(tb[IFLA_IFNAME]), alias,
	    (uint32_t)ifm->ifi_index);
	return MNL_CB_OK;
}

/* Dump every link (get == NULL) or get one by name; -1 with errno. */
static int
scan(struct session *s, struct scan *sc, const char *get)
{
	char buf[LINK_BUF_SIZE];
	const struct bridge_conf *b;
	struct nlmsghdr *nlh;
	int i, r = -1;

	for (i = 0; i < SCAN_TRIES && r == -1; i++) {
		memset(sc->br_index, 0, sizeof(sc->br_index));
		memset(sc->used, 0, sizeof(sc->used));
		sc->unlabeled = sc->ns_taken = sc->self_ok = 0;
		sc->self_index = 0;
		if (sc->target != NO_BRIDGE) {
			b = &s->conf->bridges[sc->target];
			bit_nclear(taken, 0, (1 << (32 - b->prefixlen)) - 1);
			bit_set(taken, 0);
			bit_set(taken, (1 << (32 - b->prefixlen)) - 1);
			bit_set(taken, (int)(ntohl(b->gateway.s_addr) -
			    net_of(b)));
		}
		nlh = link_get(buf, sizeof(buf), nl_next_seq(s->rtnl), get);
		r = nl_dump(s->rtnl, nlh, nlh->nlmsg_len, scan_link, sc);
		if (r == -1 && errno != EAGAIN)
			break;
	}
	return r;
}

static int
talk(struct session *s, struct nlmsghdr *nlh)
{
	return nl_talk(s->rtnl, nlh, nlh->nlmsg_len, 1);
}

/* Create a configured bridge that is absent: up, with its gateway. */
static int
make_bridge(struct session *s, struct scan *sc, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	uint8_t mac[6] = { 0x02, 0x62 };
	char buf[LINK_BUF_SIZE];
	int made;

	memcpy(mac + 2, &b->gateway.s_addr, 4);
	made = talk(s, link_new_bridge(buf, sizeof(buf),
	    nl_next_seq(s->rtnl), b->name, mac)) == 0;
	if (!made && errno != EEXIST)
		return say(text, len, errno, "creating bridge %s: %s",
		    b->name, strerror(errno));
	if (scan(s, sc, NULL) == -1 || sc->br_index[sc->target] == 0)
		return say(text, len, EAGAIN, "bridge %s vanished", b->name);
	if (made && talk(s, link_new_addr(buf, sizeof(buf),
	    nl_next_seq(s->rtnl), sc->br_index[sc->target], b->gateway,
	    b->prefixlen)) == -1 && errno != EEXIST)
		return say(text, len, errno, "adding %s's address: %s",
		    b->name, strerror(errno));
	if (made)
		log_event(LOG_NOTICE, "created bridge %s", b->name);
	return 0;
}

/* The wanted host part if free, else the first free one; -1 if none. */
static int
pick(const struct bridge_conf *b, struct in_addr want)
{
	int n = 1 << (32 - b->prefixlen), host;

	if (want.s_addr != 0) {
		host = (int)(ntohl(want.s_addr) - net_of(b));
		return bit_test(taken, host) ? -1 : host;
	}
	bit_ffc(taken, n, &host);
	return host;
}

/* Take an address by creating its link; EEXIST means try the next one. */
static int
make_veth(struct session *s, struct scan *sc, struct in_addr want,
    const char *ifname, int nsfd, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	struct link_veth v = { .host = s->lease.host, .peer = ifname,
	    .peer_mac = { 0x02, 0x6a }, .netns_fd = nsfd };
	char buf[LINK_BUF_SIZE], a[INET_ADDRSTRLEN];
	int i, host;

	/* A bridge made later starts at 1500, as the kernel makes it. */
	v.mtu = s->lease.mtu = sc->br_index[sc->target] != 0 ?
	    sc->br_mtu[sc->target] : 1500;
	for (i = 0; i < CREATE_TRIES; i++) {
		if ((host = pick(b, want)) == -1)
			return want.s_addr ? say(text, len, EADDRINUSE,
			    "address %s is in use", inet_ntop(AF_INET, &want,
			    a, sizeof(a))) : say(text, len, ENOSPC,
			    "no free address on %s", b->name);
		s->lease.addr.s_addr = htonl(net_of(b) + (uint32_t)host);
		lease_host_name(s->lease.host, s->lease.addr);
		memcpy(v.peer_mac + 2, &s->lease.addr.s_addr, 4);
		memcpy(s->lease.mac, v.peer_mac, 6);
		if (talk(s, link_new_veth(buf, sizeof(buf),
		    nl_next_seq(s->rtnl), &v)) == 0)
			return 0;
		if (errno != EEXIST || scan(s, sc, NULL) == -1)
			return say(text, len, errno, "creating the veth: %s",
			    strerror(errno));
		/* Our address is still free: the name clashed in the jail. */
		if (!bit_test(taken, host))
			return say(text, len, EEXIST, "interface %s already "
			    "exists in the jail", ifname);
	}
	return say(text, len, EAGAIN, "lost %d address races on %s",
	    CREATE_TRIES, b->name);
}

/*
 * Label the new link, then count what is older than it.  A racing helper
 * may not have labelled its older link yet: wait a little for it, and in
 * the end count an unlabelled link as the caller's, so a race can refuse
 * too much but never let a quota be exceeded.
 */
static int
label_and_check(struct session *s, struct scan *sc, const char *alias,
    char *text, size_t len)
{
	const struct grant_conf *g = s->grant[sc->target];
	const char *name = s->conf->bridges[sc->target].name;
	struct timespec ts = { 0, 2000000 };
	char buf[LINK_BUF_SIZE];
	int i;

	if (talk(s, link_set_alias(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.host, alias)) == -1)
		return say(text, len, errno, "labelling %s: %s",
		    s->lease.host, strerror(errno));
	sc->self = s->lease.host;
	if (scan(s, sc, s->lease.host) == -1 || !sc->self_ok)
		return say(text, len, EAGAIN, "link %s vanished",
		    s->lease.host);
	s->lease.ifindex = sc->before = sc->self_index;
	for (i = 0; ; i++) {
		if (scan(s, sc, NULL) == -1)
			return say(text, len, errno, "listing links: %s",
			    strerror(errno));
		if (sc->unlabeled == 0 || i == LABEL_TRIES)
			break;
		(void)nanosleep(&ts, NULL);
	}
	if (sc->ns_taken)
		return say(text, len, EBUSY, "that network namespace already "
		    "has a jail link");
	if (sc->used[sc->target] + sc->unlabeled >= g->jails)
		return say(text, len, EDQUOT, "quota reached: %u of %u jails "
		    "on %s", g->jails, g->jails, name);
	return 0;
}

static int
check_want(const struct bridge_conf *b, struct in_addr want, char *text,
    size_t len)
{
	uint32_t a = ntohl(want.s_addr);
	uint32_t mask = ~0u << (32 - b->prefixlen);
	char buf[INET_ADDRSTRLEN];

	if (want.s_addr == 0 || ((a & mask) == net_of(b) && (a & ~mask) != 0 &&
	    (a & ~mask) != ~mask && want.s_addr != b->gateway.s_addr))
		return 0;
	return say(text, len, EINVAL, "address %s is not free for jails "
	    "on %s", inet_ntop(AF_INET, &want, buf, sizeof(buf)), b->name);
}

/* Everything before the link exists: refusals change nothing. */
static int
precheck(struct session *s, struct scan *sc, struct in_addr want,
    char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	uint32_t max = s->grant[sc->target]->jails;
	int r;

	if ((r = check_want(b, want, text, len)) != 0)
		return r;
	if (scan(s, sc, NULL) == -1)
		return say(text, len, errno, "listing links: %s",
		    strerror(errno));
	if (sc->ns_taken)
		return say(text, len, EBUSY, "that network namespace already "
		    "has a jail link");
	if (sc->used[sc->target] >= max)
		return say(text, len, EDQUOT, "quota reached: %u of %u jails "
		    "on %s", max, max, b->name);
	if (sc->br_bad[sc->target])
		return say(text, len, EINVAL, "%s exists and is not a bridge",
		    b->name);
	return 0;
}

/*
 * Attach the jail whose netns is nsfd (already checked by netns_check,
 * inode ino) to bridge bi, which the caller is granted.  Returns 0 with
 * s->lease filled in, or a positive errno and the reply text; on failure
 * nothing of ours is left in the kernel.
 */
int
lease_attach(struct session *s, size_t bi, struct in_addr want,
    const char *ifname, int nsfd, ino_t ino, char *text, size_t len)
{
	struct scan sc = { .conf = s->conf, .target = bi,
	    .before = UINT32_MAX };
	char mine[32], alias[LINK_ALIAS_MAX];
	int r;

	(void)snprintf(mine, sizeof(mine), "capjail uid=%u ", (unsigned)s->uid);
	(void)snprintf(alias, sizeof(alias), "%sns=%ju", mine, (uintmax_t)ino);
	sc.mine = mine;
	sc.alias = alias;
	memset(&s->lease, 0, sizeof(s->lease));
	s->lease.bridge = bi;
	if ((r = precheck(s, &sc, want, text, len)) != 0 ||
	    (r = make_veth(s, &sc, want, ifname, nsfd, text, len)) != 0)
		return r;
	s->attached = 1;
	log_event(LOG_NOTICE, "created %s for netns %ju on %s",
	    s->lease.host, (uintmax_t)ino, s->conf->bridges[bi].name);
	/* An absent bridge is made only now, so a refusal leaves none. */
	if ((r = label_and_check(s, &sc, alias, text, len)) == 0 &&
	    sc.br_index[bi] == 0)
		r = make_bridge(s, &sc, text, len);
	if (r == 0)
		r = join(s, sc.br_index[bi], text, len);
	if (r != 0)
		(void)lease_release(s);
	return r;
}

/* forward=yes: the bridge and its publish-from interfaces forward. */
static void
forwarding(struct session *s, const struct bridge_conf *b)
{
	char buf[LINK_BUF_SIZE];
	size_t i;

	if (!b->forward)
		return;
	if (talk(s, link_set_forwarding(buf, sizeof(buf),
	    nl_next_seq(s->rtnl), b->name)) == -1)
		log_event(LOG_WARNING, "forwarding on %s: %s", b->name,
		    strerror(errno));
	for (i = 0; i < b->npubif; i++)
		if (talk(s, link_set_forwarding(buf, sizeof(buf),
		    nl_next_seq(s->rtnl), b->pubif[i])) == -1)
			log_event(LOG_WARNING, "forwarding on %s: %s",
			    b->pubif[i], strerror(errno));
}

/*
 * The lease is ours and within quota: purge what a dead jail may have left
 * at this address and allow the jail's source, then put the link on the
 * bridge (isolated unless isolate=no) and up.  The firewall goes first, so
 * no frame crosses the bridge before the rules for it exist.
 */
static int
join(struct session *s, uint32_t bridge, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[s->lease.bridge];
	char buf[LINK_BUF_SIZE];

	if (fw_lease(s->nf, s->lease.ifindex, s->lease.addr.s_addr) == -1)
		return say(text, len, errno, "firewall for %s: %s",
		    s->lease.host, strerror(errno));
	if (talk(s, link_set_master(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex, bridge)) == -1 ||
	    talk(s, link_set_port_up(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex, b->isolate)) == -1)
		return say(text, len, errno, "joining %s to %s: %s",
		    s->lease.host, b->name, strerror(errno));
	forwarding(s, b);
	return 0;
}

/* Delete our host-side link; the kernel deletes its peer with it. */
int
lease_release(struct session *s)
{
	char buf[LINK_BUF_SIZE];

	if (!s->attached)
		return 0;
	s->attached = 0;
	if (fw_release(s->nf, s->lease.ifindex, s->lease.addr.s_addr) == -1)
		log_event(LOG_ERR, "firewall for %s: %s", s->lease.host,
		    strerror(errno));
	if (talk(s, link_del(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex, s->lease.host)) == -1 && errno != ENODEV) {
		log_event(LOG_ERR, "deleting %s: %s", s->lease.host,
		    strerror(errno));
		return -1;
	}
	log_event(LOG_NOTICE, "deleted %s", s->lease.host);
	return 0;
}

/* For check: the caller's links per bridge, and which bridges exist. */
int
lease_usage(struct session *s, uint32_t used[CONF_MAX_BRIDGES],
    int present[CONF_MAX_BRIDGES])
{
	struct scan sc = { .conf = s->conf, .target = NO_BRIDGE,
	    .before = UINT32_MAX };
	char mine[32];
	size_t i;

	(void)snprintf(mine, sizeof(mine), "capjail uid=%u ", (unsigned)s->uid);
	sc.mine = mine;
	if (scan(s, &sc, NULL) == -1)
		return -1;
	for (i = 0; i < CONF_MAX_BRIDGES; i++) {
		used[i] = sc.used[i];
		present[i] = sc.br_index[i] != 0 && !sc.br_bad[i];
	}
	return 0;
}

/*
 * Garbage collection at startup: fw_gc asks, element by element and only
 * after it has listed them all, whether a jail's link still exists.  The
 * links are read once, on the first question, into live[].  Reading them
 * after the elements is what makes this safe against concurrent helpers:
 * a lease makes its link before its elements, so every listed element of
 * a live jail has its link in live[].
 */
#define GC_MAX_LIVE	65536

static uint32_t live[GC_MAX_LIVE];	/* addresses with a cj link */
static size_t nlive;
static int live_read;			/* -1: failed, keep everything */

static int
live_link(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	uint32_t a;

	(void)data;
	if (nlh->nlmsg_type == RTM_NEWLINK && mnl_attr_parse(nlh,
	    sizeof(struct ifinfomsg), link_attr, tb) == MNL_CB_OK &&
	    tb[IFLA_IFNAME] != NULL && nlive < GC_MAX_LIVE &&
	    parse_host_name(mnl_attr_get_str(tb[IFLA_IFNAME]), &a) == 0)
		live[nlive++] = htonl(a);
	return MNL_CB_OK;
}

static int
gc_alive(uint32_t addr, void *arg)
{
	struct session *s = arg;
	char buf[LINK_BUF_SIZE];
	struct nlmsghdr *nlh;
	size_t i;
	int tries;

	for (tries = 0; live_read == 0 && tries < SCAN_TRIES; tries++) {
		nlive = 0;
		nlh = link_get(buf, sizeof(buf), nl_next_seq(s->rtnl), NULL);
		if (nl_dump(s->rtnl, nlh, nlh->nlmsg_len, live_link,
		    NULL) == 0 && nlive < GC_MAX_LIVE)
			live_read = 1;
		else if (errno != EAGAIN || tries == SCAN_TRIES - 1)
			live_read = -1;
	}
	if (live_read == -1)
		return 1;
	for (i = 0; i < nlive; i++)
		if (live[i] == addr)
			return 1;
	return 0;
}

/* Each try lists the elements, then reads the links afresh. */
int
lease_gc(struct session *s)
{
	int tries, r = -1;

	for (tries = 0; tries < SCAN_TRIES; tries++) {
		live_read = 0;
		if ((r = fw_gc(s->nf, gc_alive, s)) == 0 || errno != ENOENT)
			break;
	}
	return r;
}
