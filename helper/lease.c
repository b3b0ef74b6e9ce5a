/* SPDX-License-Identifier: ISC */
/*
 * Addresses, quotas and the one-link-per-netns rule, kept in the kernel
 * only.  A jail's host-side veth is named "cj" + the 8 hex digits of its
 * address (subnets never overlap, so the name also says which bridge).
 * Creating the link with NLM_F_EXCL is taking the lease: the rtnl lock
 * makes it atomic, and EEXIST means somebody else won that address.
 *
 * A link is owned from birth: the creating RTM_NEWLINK labels it with its
 * owner's uid (IFLA_GROUP), the quota it was made under (txqueuelen) and
 * the jail's netns inode (in the MAC), so no moment exists at which a link
 * is ours but unlabelled, whatever the caller does to its helper.  The
 * helper then reads the link back by name and acts only if the label is
 * its own, and from then on only by ifindex.  Quotas are counted from the
 * labels; concurrent helpers settle races after the fact: a link counts
 * only the links *older* than itself (lower ifindex; the kernel allocates
 * them increasing), and a link that breaks its quota or the netns rule
 * against older ones is deleted, by its creator or by the garbage
 * collection of any later helper, which judges by the same labels.  The
 * kernel's replies are trusted; the labels were written by helpers.
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

#include <libmnl/libmnl.h>

#include "fw.h"

#define CREATE_TRIES	64	/* EEXIST races lost in a row before giving up */
#define SCAN_TRIES	50	/* dumps interrupted by link changes */
#define NO_BRIDGE	((size_t)-1)
#define GC_MAX_LINKS	65536
#define GONE_WAIT_MS	1000	/* for a dead jail's netns to take its link */

/* What a link dump says about one link. */
struct linfo {
	const char	*name;
	uint32_t	 index, mtu;
	int		 isbridge;
	int		 labelled;	/* MAC starts LABEL_MAC0:LABEL_MAC1 */
	struct link_label label;
};

struct scan {
	const struct config *conf;
	const struct link_label *own;	/* our label, or NULL */
	uid_t		 uid;
	size_t		 target;	/* bridge whose addresses fill taken */
	uint32_t	 before;	/* count only links with lower index */
	uint32_t	 br_index[CONF_MAX_BRIDGES];	/* 0: absent */
	uint32_t	 br_mtu[CONF_MAX_BRIDGES];
	int		 br_bad[CONF_MAX_BRIDGES];	/* not a bridge */
	uint32_t	 pubif_seen[CONF_MAX_BRIDGES];	/* bit i: pubif[i] */
	uint32_t	 used[CONF_MAX_BRIDGES];	/* the caller's links */
	int		 ns_taken;	/* an older link has our netns */
	uint32_t	 self_index;	/* get: the link, if its label is ours */
	int		 subscribed;	/* s->ev hears link events */
	int		 record;	/* fill seen (the precheck) */
	size_t		 nseen;		/* the caller's links on target: */
	uint32_t	 seen[CONF_MAX_JAILS];	/* their indexes */
};

/*
 * Host parts in use on the target bridge, one bit each; big enough for a
 * /8.  Only the words a bridge's size reaches are ever touched.
 */
#define TAKEN_BITS	(1 << 24)
static uint64_t taken[TAKEN_BITS / 64];

static void
taken_set(int host)
{
	taken[host / 64] |= (uint64_t)1 << (host % 64);
}

static int
taken_test(int host)
{
	return (int)((taken[host / 64] >> (host % 64)) & 1);
}

/* The first of the n host parts that is free, or -1. */
static int
taken_first_free(int n)
{
	int host;

	for (host = 0; host < n; host++)
		if (taken[host / 64] == UINT64_MAX)
			host |= 63;
		else if (!taken_test(host))
			return host;
	return -1;
}

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
label_eq(const struct link_label *a, const struct link_label *b)
{
	return a->group == b->group && a->txqlen == b->txqlen &&
	    memcmp(a->mac, b->mac, sizeof(a->mac)) == 0;
}

/* The birth label of a jail of uid in netns ino under quota jails. */
static void
label_make(struct link_label *l, uid_t uid, ino_t ino, uint32_t jails)
{
	uint32_t n = htonl((uint32_t)ino);

	l->group = (uint32_t)uid;
	l->txqlen = jails;
	l->mac[0] = LABEL_MAC0;
	l->mac[1] = LABEL_MAC1;
	memcpy(l->mac + 2, &n, 4);
}

static int
link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int t = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if (t == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	if ((t == IFLA_MTU || t == IFLA_GROUP || t == IFLA_TXQLEN) &&
	    mnl_attr_validate(a, MNL_TYPE_U32) < 0)
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

/* Parse one RTM_NEWLINK; -1 for anything else or a link without a name. */
static int
linfo_parse(const struct nlmsghdr *nlh, struct linfo *li)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { NULL };
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	memset(li, 0, sizeof(*li));
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_attr_parse(nlh, sizeof(*ifm), link_attr, tb) != MNL_CB_OK ||
	    tb[IFLA_IFNAME] == NULL || tb[IFLA_MTU] == NULL)
		return -1;
	li->name = mnl_attr_get_str(tb[IFLA_IFNAME]);
	li->index = (uint32_t)ifm->ifi_index;
	li->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_LINKINFO] != NULL && mnl_attr_parse_nested(
	    tb[IFLA_LINKINFO], info_attr, info) == MNL_CB_OK &&
	    info[IFLA_INFO_KIND] != NULL)
		li->isbridge = strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]),
		    "bridge") == 0;
	if (tb[IFLA_GROUP] == NULL || tb[IFLA_TXQLEN] == NULL ||
	    tb[IFLA_ADDRESS] == NULL ||
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) != 6)
		return 0;
	memcpy(li->label.mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	li->label.group = mnl_attr_get_u32(tb[IFLA_GROUP]);
	li->label.txqlen = mnl_attr_get_u32(tb[IFLA_TXQLEN]);
	li->labelled = li->label.mac[0] == LABEL_MAC0 &&
	    li->label.mac[1] == LABEL_MAC1 && li->label.txqlen > 0;
	return 0;
}

static void
scan_bridges(struct scan *sc, const struct linfo *li)
{
	const struct bridge_conf *b;
	size_t i, k;

	for (i = 0; i < sc->conf->nbridges; i++) {
		b = &sc->conf->bridges[i];
		for (k = 0; k < b->npubif; k++)
			if (strcmp(li->name, b->pubif[k]) == 0)
				sc->pubif_seen[i] |= 1u << k;
		if (strcmp(li->name, b->name) != 0)
			continue;
		sc->br_index[i] = li->index;
		sc->br_bad[i] = !li->isbridge;
		sc->br_mtu[i] = li->mtu;
	}
}

/* One jail link of the dump: its address is taken; is it older, ours? */
static void
scan_jail(struct scan *sc, const struct linfo *li, uint32_t a, size_t i)
{
	const struct bridge_conf *b = &sc->conf->bridges[i];

	if (i == sc->target)
		taken_set((int)(a - net_of(b)));
	if (sc->own != NULL && li->labelled && label_eq(&li->label, sc->own))
		sc->self_index = li->index;
	if (li->index >= sc->before || !li->labelled ||
	    li->label.group != (uint32_t)sc->uid)
		return;
	sc->used[i]++;
	if (sc->own != NULL && memcmp(li->label.mac, sc->own->mac, 6) == 0)
		sc->ns_taken = 1;
	if (sc->record && i == sc->target && sc->nseen < CONF_MAX_JAILS)
		sc->seen[sc->nseen++] = li->index;
}

static int
scan_link(const struct nlmsghdr *nlh, void *data)
{
	struct scan *sc = data;
	struct linfo li;
	uint32_t a;
	size_t i;

	if (linfo_parse(nlh, &li) == -1)
		return MNL_CB_OK;
	scan_bridges(sc, &li);
	if (parse_host_name(li.name, &a) == 0 &&
	    (i = bridge_of(sc->conf, a)) != NO_BRIDGE)
		scan_jail(sc, &li, a, i);
	return MNL_CB_OK;
}

static void
scan_reset(struct session *s, struct scan *sc, int full)
{
	const struct bridge_conf *b;

	memset(sc->used, 0, sizeof(sc->used));
	sc->ns_taken = 0;
	sc->self_index = 0;
	/* A get of one link keeps what the last listing said of the rest. */
	if (!full)
		return;
	memset(sc->br_index, 0, sizeof(sc->br_index));
	memset(sc->pubif_seen, 0, sizeof(sc->pubif_seen));
	if (sc->record)
		sc->nseen = 0;
	if (sc->target == NO_BRIDGE)
		return;
	b = &s->conf->bridges[sc->target];
	memset(taken, 0, (((size_t)1 << (32 - b->prefixlen)) + 63) / 64 *
	    sizeof(taken[0]));
	taken_set(0);
	taken_set((1 << (32 - b->prefixlen)) - 1);
	taken_set((int)(ntohl(b->gateway.s_addr) - net_of(b)));
}

/* Dump every link (get == NULL) or get one by name; -1 with errno. */
static int
scan(struct session *s, struct scan *sc, const char *get)
{
	char buf[LINK_BUF_SIZE];
	struct nlmsghdr *nlh;
	int i, r = -1;

	for (i = 0; i < SCAN_TRIES && r == -1; i++) {
		scan_reset(s, sc, get == NULL);
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

static int
seen(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	*(int *)data = 1;
	return MNL_CB_OK;
}

/* Is the link a GET asks for there?  1, 0 (ENODEV), or -1 with errno. */
static int
there(struct session *s, const struct nlmsghdr *nlh)
{
	int found = 0;

	if (nl_dump(s->rtnl, nlh, nlh->nlmsg_len, seen, &found) == 0)
		return 1;
	return errno == ENODEV ? 0 : -1;
}

static int
exists(struct session *s, const char *name)
{
	char buf[LINK_BUF_SIZE];

	return there(s, link_get(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    name));
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
	if (scan(s, sc, b->name) == -1 || sc->br_index[sc->target] == 0)
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
		return taken_test(host) ? -1 : host;
	}
	return taken_first_free(n);
}

/*
 * The jail already has an interface of the name asked for: most often a
 * jail link of ours, when the caller attaches one netns twice (a second
 * link under another name is refused after its creation, by the count).
 */
static int
jail_clash(struct session *s, struct scan *sc, const char *ifname,
    char *text, size_t len)
{
	sc->own = &s->lease.label;
	if (scan(s, sc, NULL) == 0 && sc->ns_taken)
		return say(text, len, EBUSY, "that network namespace already "
		    "has a jail link");
	return say(text, len, EEXIST, "interface %s already exists in the "
	    "jail", ifname);
}

/* Take an address by creating its link; EEXIST means try the next one. */
static int
make_veth(struct session *s, struct scan *sc, struct in_addr want,
    const char *ifname, int nsfd, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	struct link_veth v = { .host = s->lease.host, .peer = ifname,
	    .peer_mac = { 0x02, 0x6a }, .netns_fd = nsfd,
	    .label = s->lease.label };
	char buf[LINK_BUF_SIZE], a[INET_ADDRSTRLEN];
	int i, host, r, clashes = 0;

	/* A bridge made later starts at 1500, as the kernel makes it. */
	v.mtu = s->lease.mtu = sc->br_index[sc->target] != 0 ?
	    sc->br_mtu[sc->target] : 1500;
	for (i = 0; i < CREATE_TRIES; i++) {
		if ((host = pick(b, want)) == -1)
			return want.s_addr ? say(text, len, EADDRINUSE,
			    "address %s is in use by another jail",
			    inet_ntop(AF_INET, &want, a, sizeof(a))) :
			    say(text, len, ENOSPC, "no free address on %s",
			    b->name);
		s->lease.addr.s_addr = htonl(net_of(b) + (uint32_t)host);
		lease_host_name(s->lease.host, s->lease.addr);
		memcpy(v.peer_mac + 2, &s->lease.addr.s_addr, 4);
		memcpy(s->lease.mac, v.peer_mac, 6);
		if (talk(s, link_new_veth(buf, sizeof(buf),
		    nl_next_seq(s->rtnl), &v)) == 0)
			return 0;
		if (errno != EEXIST || (r = exists(s, s->lease.host)) == -1)
			return say(text, len, errno, "creating the veth: %s",
			    strerror(errno));
		/*
		 * No such host link: the name clashed in the jail, or the
		 * link that had ours went in between (a race loser deleting
		 * itself).  The same address once more tells which.
		 */
		if (r == 0 && clashes++ > 0)
			return jail_clash(s, sc, ifname, text, len);
		if (r == 1)
			taken_set(host);	/* made since our listing */
	}
	return say(text, len, EAGAIN, "lost %d address races on %s",
	    CREATE_TRIES, b->name);
}

/*
 * A link gone during the attach no longer counts, as a new listing would
 * not have it (indexes are not reused soon, so no later event can be an
 * older link of the same index).  For the netns rule it still counts:
 * that can only refuse more.  Only a link's own RTM_DELLINK (AF_UNSPEC):
 * the AF_BRIDGE one says a port left its bridge, and the link stays.
 */
static int
since_gone(const struct nlmsghdr *nlh, struct scan *sc)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	size_t k;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifm)) ||
	    ifm->ifi_family != AF_UNSPEC)
		return MNL_CB_OK;
	for (k = 0; k < sc->nseen; k++) {
		if (sc->seen[k] != (uint32_t)ifm->ifi_index)
			continue;
		if (sc->seen[k] < sc->before)
			sc->used[sc->target]--;
		sc->seen[k] = sc->seen[--sc->nseen];
		break;
	}
	return MNL_CB_OK;
}

/*
 * A link event during the attach, judged as the listing judges a link
 * (scan_jail: counted if an older labelled link of the caller's, on the
 * target bridge; our netns taken if it carries our netns label), once per
 * link: one the precheck listed or an earlier event counted is skipped.
 */
static int
since_link(const struct nlmsghdr *nlh, void *data)
{
	struct scan *sc = data;
	struct linfo li;
	uint32_t a;
	size_t i, k;

	if (nlh->nlmsg_type == RTM_DELLINK)
		return since_gone(nlh, sc);
	if (linfo_parse(nlh, &li) == -1 || parse_host_name(li.name, &a) == -1 ||
	    (i = bridge_of(sc->conf, a)) == NO_BRIDGE)
		return MNL_CB_OK;
	for (k = 0; k < sc->nseen; k++)
		if (sc->seen[k] == li.index)
			return MNL_CB_OK;
	if (sc->nseen == CONF_MAX_JAILS)
		return MNL_CB_ERROR;	/* list them instead */
	sc->record = 1;
	scan_jail(sc, &li, a, i);
	sc->record = 0;
	return MNL_CB_OK;
}

/*
 * The count after the create, without listing every link again: the
 * caller's links the precheck listed, older than ours, and those the link
 * events tell of.  s->ev joined the group before that listing began, so a
 * link made since cannot be missed: the kernel allocates indexes
 * increasing, so one older than ours was made before ours, and either the
 * listing or an event has it.  -1 when the events cannot tell (none
 * heard, the socket overran, more than it can track): then list.
 */
static int
count_since(struct session *s, struct scan *sc)
{
	size_t k;

	if (!sc->subscribed)
		return -1;
	memset(sc->used, 0, sizeof(sc->used));
	sc->ns_taken = 0;
	for (k = 0; k < sc->nseen; k++)
		sc->used[sc->target] += sc->seen[k] < sc->before;
	return nl_drain(s->ev, since_link, sc);
}

/* The attach's events are read: leave the group, drop what is queued. */
static void
events_off(struct session *s, const struct scan *sc)
{
	if (sc->subscribed && nl_subscribe(s->ev, 0) == 0)
		(void)nl_drain(s->ev, NULL, NULL);
}

/*
 * Read the new link back by name: it is ours only if it carries our label
 * (if the caller stopped us and the jail deleted it, the name may be
 * another jail's by now).  From here on it is known by its index.  Then
 * count what is older than it: the younger link of a race is the one that
 * goes, so a race can refuse too much but never let a quota be exceeded.
 */
static int
verify_and_count(struct session *s, struct scan *sc, char *text, size_t len)
{
	const struct grant_conf *g = s->grant[sc->target];
	const char *name = s->conf->bridges[sc->target].name;

	sc->own = &s->lease.label;
	if (scan(s, sc, s->lease.host) == -1 || sc->self_index == 0) {
		/* A collection takes a younger link over the quota. */
		if (scan(s, sc, NULL) == 0 && sc->used[sc->target] >= g->jails)
			return say(text, len, EDQUOT, "quota reached: %u of %u "
			    "jails on %s", g->jails, g->jails, name);
		return say(text, len, EAGAIN, "link %s vanished",
		    s->lease.host);
	}
	s->lease.ifindex = sc->before = sc->self_index;
	s->attached = 1;
	if (count_since(s, sc) == -1 && scan(s, sc, NULL) == -1)
		return say(text, len, errno, "listing links: %s",
		    strerror(errno));
	if (sc->ns_taken)
		return say(text, len, EBUSY, "that network namespace already "
		    "has a jail link");
	if (sc->used[sc->target] >= g->jails)
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
	struct in_addr net = { htonl(net_of(b)) };
	char buf[INET_ADDRSTRLEN], nb[INET_ADDRSTRLEN];
	const char *why;

	(void)inet_ntop(AF_INET, &want, buf, sizeof(buf));
	if (want.s_addr == 0)
		return 0;
	if ((a & mask) != net_of(b))
		return say(text, len, EINVAL, "address %s is outside %s's "
		    "subnet %s/%u", buf, b->name, inet_ntop(AF_INET, &net, nb,
		    sizeof(nb)), b->prefixlen);
	why = (a & ~mask) == 0 ? "network address" : (a & ~mask) == ~mask ?
	    "broadcast address" : want.s_addr == b->gateway.s_addr ?
	    "gateway" : NULL;
	if (why == NULL)
		return 0;
	return say(text, len, EINVAL, "address %s is %s's %s", buf, b->name,
	    why);
}

/*
 * Everything before the link exists, from one dump of every link: a
 * refusal (the quota, the netns rule) changes nothing, so a caller at
 * the quota never makes a link it could stop its helper on (an unwired
 * link holds an address); the addresses in use; the bridge.
 */
static int
precheck(struct session *s, struct scan *sc, struct in_addr want,
    char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	uint32_t max = s->grant[sc->target]->jails;
	int r;

	if ((r = check_want(b, want, text, len)) != 0)
		return r;
	sc->own = &s->lease.label;
	sc->record = 1;
	r = scan(s, sc, NULL);
	sc->record = 0;
	if (r == -1)
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
	struct scan sc = { .conf = s->conf, .uid = s->uid, .target = bi,
	    .before = UINT32_MAX };
	int r;

	memset(&s->lease, 0, sizeof(s->lease));
	s->lease.bridge = bi;
	label_make(&s->lease.label, s->uid, ino, s->grant[bi]->jails);
	/* Joined before the precheck's listing: see count_since. */
	sc.subscribed = nl_subscribe(s->ev, RTMGRP_LINK) == 0;
	if ((r = precheck(s, &sc, want, text, len)) == 0 &&
	    (r = make_veth(s, &sc, want, ifname, nsfd, text, len)) == 0) {
		log_event(LOG_NOTICE, "created %s for netns %ju on %s",
		    s->lease.host, (uintmax_t)ino, s->conf->bridges[bi].name);
		r = verify_and_count(s, &sc, text, len);
	}
	events_off(s, &sc);
	/* An absent bridge is made only now, so a refusal leaves none. */
	if (r == 0 && sc.br_index[bi] == 0)
		r = make_bridge(s, &sc, text, len);
	if (r == 0)
		r = join(s, sc.br_index[bi], text, len);
	if (r != 0)
		(void)lease_release(s, 0);
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
 * The port as a wire: no IPv6 link-local address (EAFNOSUPPORT: the host
 * has no IPv6 on it at all), the jail's MAC static on it.
 */
static int
wire(struct session *s)
{
	char buf[LINK_BUF_SIZE];

	if (talk(s, link_set_no_ll6(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex)) == -1 && errno != EAFNOSUPPORT)
		return -1;
	return talk(s, link_new_fdb(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex, s->lease.mac));
}

/*
 * The lease is ours and within quota: the firewall first (the port's
 * ingress filter and the jail's elements), so no frame crosses the bridge
 * before the rules for it exist; then the link goes on the bridge as a
 * wire (no L3, static MAC, no learning or flooding, isolated unless
 * isolate=no) and up.
 */
static int
join(struct session *s, uint32_t bridge, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[s->lease.bridge];
	char buf[LINK_BUF_SIZE];

	if (fw_lease(s->nf, s->lease.ifindex, s->lease.addr.s_addr,
	    s->lease.mac, s->lease.host) == -1)
		return say(text, len, errno, "firewall for %s: %s",
		    s->lease.host, strerror(errno));
	if (talk(s, link_set_master(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex, bridge)) == -1 || wire(s) == -1 ||
	    talk(s, link_set_port_up(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex, b->isolate)) == -1)
		return say(text, len, errno, "joining %s to %s: %s",
		    s->lease.host, b->name, strerror(errno));
	forwarding(s, b);
	return 0;
}

static int
gone_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const uint32_t *ifindex = data;

	if (nlh->nlmsg_type == RTM_DELLINK &&
	    nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*ifm)) &&
	    (uint32_t)ifm->ifi_index == *ifindex)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

/* Does the link still exist?  When in doubt, yes. */
static int
present(struct session *s, uint32_t ifindex)
{
	char buf[LINK_BUF_SIZE];

	return there(s, link_get_index(buf, sizeof(buf),
	    nl_next_seq(s->rtnl), ifindex)) != 0;
}

/*
 * A jail's link goes with its network namespace: the kernel removes both
 * ends from a worker, after its RCU grace periods.  Deleting it here would
 * make the caller wait for them (three synchronize_rcu_expedited and an
 * rcu_barrier, ~16 ms, most of a jail's start-to-exit).  So once the jail
 * has ended, wait a bounded time for the kernel to do it; the caller
 * deletes it only if something keeps the namespace alive.  The events are
 * subscribed to before the look, so the deletion cannot fall between.
 */
static int
vanished(struct session *s)
{
	uint32_t ifindex = s->lease.ifindex;

	if (!present(s, ifindex))
		return 1;
	if (nl_wait(s->ev, gone_cb, &ifindex, GONE_WAIT_MS) == 0)
		return 1;
	return errno == ENOBUFS && !present(s, ifindex);
}

/*
 * The link goes first, by index (the kernel deletes its peer): after the
 * jail ended (ended != 0) by waiting for its netns to take it, else or if
 * that does not happen, by deleting it.  Only then its elements, ingress
 * chain and flows: while the port exists its filter must (a stopped or
 * killed helper would leave a live port unjudged); elements whose link is
 * gone grant nothing, as their keys hold an ifindex never reused soon.
 */
int
lease_release(struct session *s, int ended)
{
	char buf[LINK_BUF_SIZE];
	int e;

	if (!s->attached)
		return 0;
	s->attached = 0;
	if (ended && nl_subscribe(s->ev, RTMGRP_LINK) == 0 && vanished(s))
		log_event(LOG_NOTICE, "%s went with its jail", s->lease.host);
	else if (talk(s, link_del(buf, sizeof(buf), nl_next_seq(s->rtnl),
	    s->lease.ifindex)) == -1 && errno != ENODEV) {
		e = errno;	/* the port stays, and its filter with it */
		log_event(LOG_ERR, "deleting %s: %s", s->lease.host,
		    strerror(e));
		errno = e;
		return -1;
	} else
		log_event(LOG_NOTICE, "deleted %s", s->lease.host);
	if (fw_release(s->nf, s->lease.ifindex) == -1)
		log_event(LOG_ERR, "firewall for %s: %s", s->lease.host,
		    strerror(errno));
	return 0;
}

/*
 * For check: the caller's links per bridge, and what is wrong with each
 * bridge's links (PROTO_WARN_NO_BRIDGE, _NOT_BRIDGE, _NO_PUBIF).
 */
int
lease_usage(struct session *s, uint32_t used[CONF_MAX_BRIDGES],
    uint32_t warn[CONF_MAX_BRIDGES])
{
	struct scan sc = { .conf = s->conf, .uid = s->uid, .target = NO_BRIDGE,
	    .before = UINT32_MAX };
	const struct bridge_conf *b;
	size_t i;

	if (scan(s, &sc, NULL) == -1)
		return -1;
	for (i = 0; i < s->conf->nbridges; i++) {
		b = &s->conf->bridges[i];
		used[i] = sc.used[i];
		warn[i] = sc.br_index[i] == 0 ? PROTO_WARN_NO_BRIDGE :
		    sc.br_bad[i] ? PROTO_WARN_NOT_BRIDGE : 0;
		if (sc.pubif_seen[i] != (1u << b->npubif) - 1)
			warn[i] |= PROTO_WARN_NO_PUBIF;
	}
	return 0;
}

/*
 * Garbage collection at startup, in two steps.  Links: every cj link whose
 * label is missing, or that breaks its own label's quota or the netns
 * rule against older links of the same owner, is deleted by index (its
 * creator would have deleted it, had it not been stopped or killed).
 * Elements: fw_gc asks whether the link that owns each (by ifindex)
 * exists, from readings of the links taken before and after each listing
 * (see fw.c's struct sweep for why that is safe against concurrent
 * helpers).
 */
struct jlink {
	size_t		bridge;
	uint32_t	index;
	int		labelled;
	struct link_label label;
};

static struct jlink jl[GC_MAX_LINKS];
static size_t njl;
static int live_read;			/* -1: failed, keep everything */

static int
gc_link(const struct nlmsghdr *nlh, void *data)
{
	const struct config *conf = data;
	struct linfo li;
	uint32_t a;
	size_t i;

	if (linfo_parse(nlh, &li) == -1 || parse_host_name(li.name, &a) ||
	    (i = bridge_of(conf, a)) == NO_BRIDGE || njl == GC_MAX_LINKS)
		return MNL_CB_OK;
	jl[njl].index = li.index;
	jl[njl].bridge = i;
	jl[njl].labelled = li.labelled;
	jl[njl++].label = li.label;
	return MNL_CB_OK;
}

/* Read the jail links into jl[]; 0, or -1 (then keep everything). */
static int
read_links(struct session *s)
{
	char buf[LINK_BUF_SIZE];
	struct nlmsghdr *nlh;
	int tries;

	for (tries = 0; tries < SCAN_TRIES; tries++) {
		njl = 0;
		nlh = link_get(buf, sizeof(buf), nl_next_seq(s->rtnl), NULL);
		if (nl_dump(s->rtnl, nlh, nlh->nlmsg_len, gc_link,
		    (void *)(uintptr_t)s->conf) == 0)
			return njl < GC_MAX_LINKS ? 0 : -1;
		if (errno != EAGAIN)
			break;
	}
	return -1;
}

void
lease_idle(void)
{
	idle_pages(taken, sizeof(taken));
	idle_pages(jl, sizeof(jl));
}

/* Does link k break its label against the links older than it? */
static int
link_bad(size_t k)
{
	const struct jlink *l = &jl[k];
	uint32_t older = 0;
	size_t i;

	if (!l->labelled)
		return 1;
	for (i = 0; i < njl; i++) {
		if (jl[i].index >= l->index || !jl[i].labelled ||
		    jl[i].label.group != l->label.group)
			continue;
		if (memcmp(jl[i].label.mac, l->label.mac, 6) == 0)
			return 1;
		if (jl[i].bridge == l->bridge && ++older >= l->label.txqlen)
			return 1;
	}
	return 0;
}

/*
 * Links that break their labels go; if none did, the reading is still
 * the links as they are, and fw_gc may start from it.
 */
static int
gc_links(struct session *s)
{
	char buf[LINK_BUF_SIZE];
	size_t k;
	int deleted = 0;

	if (read_links(s) == -1)
		return -1;
	for (k = 0; k < njl; k++) {
		if (!link_bad(k))
			continue;
		deleted = 1;
		if (talk(s, link_del(buf, sizeof(buf), nl_next_seq(s->rtnl),
		    jl[k].index)) == -1 && errno != ENODEV)
			log_event(LOG_ERR, "deleting link %u: %s",
			    jl[k].index, strerror(errno));
		else
			log_event(LOG_NOTICE, "deleted stray link %u "
			    "(uid %u)", jl[k].index, jl[k].label.group);
	}
	live_read = deleted ? 0 : 1;
	return 0;
}

static int
gc_alive(uint32_t ifindex, void *arg)
{
	struct session *s = arg;
	size_t i;

	if (live_read == 0)
		live_read = read_links(s) == 0 ? 1 : -1;
	if (live_read == -1)
		return 1;
	for (i = 0; i < njl; i++)
		if (jl[i].index == ifindex)
			return 1;
	return 0;
}

static void
gc_refresh(void *arg)
{
	(void)arg;
	live_read = 0;
}

/* Links first, then elements and flows, then ingress chains. */
int
lease_gc(struct session *s)
{
	const struct fw_live live = { gc_alive, gc_refresh, s };

	if (gc_links(s) == -1)
		log_event(LOG_WARNING, "link garbage collection: %s",
		    strerror(errno));
	if (fw_gc(s->nf, &live) == -1)
		return -1;
	return fw_gc_chains(s->nf, &live);
}
