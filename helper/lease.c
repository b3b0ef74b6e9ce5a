/* SPDX-License-Identifier: ISC */
/*
 * Addresses, quotas and the one-link-per-netns rule, kept in the kernel
 * only, as the names of a jail's host-side link.  A link's name and its
 * alternative names share one namespace in the host netns, which the
 * kernel checks under the rtnl lock (EEXIST) and frees with the link: a
 * name held is a lease that cannot be taken twice nor outlive its link.
 *
 *   name        "cj" + uid (8 hex) + bridge tag (config.c) + slot (3 hex)
 *               The quota: slots run from 0 to jails-1, and creating the
 *               link with NLM_F_EXCL takes one, so a user's links on a
 *               bridge never outnumber the quota, whatever the caller
 *               does to its helpers.
 *   altname     "cjn" + uid + "-" + netns inode: one link per netns.
 *   altname     "cj" + the address (8 hex): the address.
 *
 * A caller whose slots are all taken is refused before anything is made.
 * The address is chosen before the link (the jail's MAC is made from it)
 * by looking names up, and taken after.  Until both alternative names are
 * held the link is not wired (no master, down), so a helper stopped in
 * between holds one of its caller's own slots and at most one address
 * per slot.  While the caller's quota marker holds (settle), no attach
 * lists the host's links: a listing costs the kernel ~10 us per link,
 * which grew every start with the number of jails; looking a name up
 * costs the same at any number.
 *
 * A link is also labelled at birth with its owner's uid (IFLA_GROUP), the
 * quota it was made under (txqueuelen) and the jail's netns inode (in the
 * MAC).  The helper reads the link back by name and acts only if the
 * label is its own, and from then on only by ifindex.  Garbage collection
 * judges links by these labels (a lowered quota, a second link in one
 * netns made under an older helper).  The kernel's replies are trusted;
 * the names and labels were written by helpers.
 */
#include <sys/random.h>
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
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "fw.h"

#define ADDR_PROBES	16	/* random addresses looked up before a listing */
#define CREATE_TRIES	8	/* addresses lost to racing attaches */
#define SCAN_TRIES	50	/* dumps interrupted by link changes */
#define NO_BRIDGE	((size_t)-1)
#define GC_MAX_LINKS	65536
#define GONE_WAIT_MS	1000	/* for a dead jail's netns to take its link */
#define NETNS_NAME	32	/* "cjn" + 8 hex + "-" + inode, and a NUL */

/* What a link dump says about one link. */
struct linfo {
	const char	*name;
	uint32_t	 index, mtu;
	int		 isbridge;
	int		 labelled;	/* MAC starts LABEL_MAC0:LABEL_MAC1 */
	struct link_label label;
	int		 slot;		/* named as a jail's slot: */
	uint32_t	 owner;		/* its uid */
	uint32_t	 k;		/* its slot number */
	char		 tag[3];	/* its bridge's tag */
	int		 hasaddr;	/* it holds an address name: */
	uint32_t	 addr;		/* that address, host order */
	int		 hasnetns;	/* it holds a netns name ("cjn") */
};

struct scan {
	const struct config *conf;
	const struct link_label *own;	/* our label, or NULL */
	uid_t		 uid;
	size_t		 target;	/* bridge whose addresses fill taken */
	int		 listed;	/* taken holds a listing of target */
	uint32_t	 br_index[CONF_MAX_BRIDGES];	/* 0: absent */
	uint32_t	 br_mtu[CONF_MAX_BRIDGES];
	int		 br_bad[CONF_MAX_BRIDGES];	/* not a bridge */
	uint32_t	 pubif_seen[CONF_MAX_BRIDGES];	/* bit i: pubif[i] */
	uint32_t	 used[CONF_MAX_BRIDGES];	/* the caller's links */
	uint32_t	 outside;	/* ... on target, not in a slot < quota */
	uint32_t	 self_index;	/* get: the link, if its label is ours */
	uint32_t	 quota;		/* the caller's, on target */
	uint32_t	 hint;		/* the slot to look up first (any) */
	uint32_t	 slot;		/* the slot taken (make_link) */
};

/*
 * Host parts in use on the target bridge, one bit each; big enough for a
 * /8.  Only the words a bridge's size reaches are ever touched.
 */
#define TAKEN_BITS	(1 << 24)
static uint64_t taken[TAKEN_BITS / 64];

/* xorshift64*: spreads addresses and slots; nothing rests on it. */
static uint64_t rng_state;

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

/*
 * Seeded before the seccomp filter, which allows no getrandom: a guess of
 * the sequence gains nothing, as every name is taken exclusively.
 */
void
lease_seed(void)
{
	if (getrandom(&rng_state, sizeof(rng_state), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(rng_state))
		rng_state = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	rng_state |= 1;
}

/* A number below n (n > 0). */
static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32) % n;
}

/* A free host part of the n, at random; -1 if none.  A word at a time. */
static int
taken_any_free(int n)
{
	int w, words = (n + 63) / 64, host, nfree = 0;
	uint64_t free;
	uint32_t pick;

	for (w = 0; w < words; w++)
		nfree += 64 - __builtin_popcountll(taken[w]);
	nfree -= words * 64 - n;	/* the bits past n are never set */
	if (nfree <= 0)
		return -1;
	pick = rnd((uint32_t)nfree);
	for (w = 0; w < words; w++) {
		free = ~taken[w];
		if ((uint32_t)__builtin_popcountll(free) <= pick) {
			pick -= (uint32_t)__builtin_popcountll(free);
			continue;
		}
		for (host = w * 64; host < n; host++)
			if (!taken_test(host) && pick-- == 0)
				return host;
	}
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

/* A lookup of name failed (errno): the reply says which name. */
static int
lookup_failed(char *text, size_t len, const char *name)
{
	return say(text, len, errno, "looking up %s: %s", name,
	    strerror(errno));
}

/* The address the caller asked for names another jail's link. */
static int
addr_in_use(struct in_addr want, char *text, size_t len)
{
	char a[INET_ADDRSTRLEN];

	return say(text, len, EADDRINUSE, "address %s is in use by another "
	    "jail", inet_ntop(AF_INET, &want, a, sizeof(a)));
}

/* The caller has as many jails on the target bridge as its quota. */
static int
quota_reached(const struct session *s, const struct scan *sc, char *text,
    size_t len)
{
	return say(text, len, EDQUOT, "quota reached: %u of %u jails on %s",
	    sc->quota, sc->quota, s->conf->bridges[sc->target].name);
}

static uint32_t
net_of(const struct bridge_conf *b)
{
	return ntohl(b->gateway.s_addr) & (~0u << (32 - b->prefixlen));
}

/* The address's name: "cj" + 8 hex digits. */
void
lease_host_name(char name[IFNAMSIZ], struct in_addr a)
{
	(void)snprintf(name, IFNAMSIZ, "cj%08x", ntohl(a.s_addr));
}

static void
slot_name(char name[IFNAMSIZ], uid_t uid, const char *tag, uint32_t k)
{
	(void)snprintf(name, IFNAMSIZ, "cj%08x%.2s%03x", (unsigned)uid, tag,
	    k & 0xfffu);	/* k < CONF_MAX_JAILS */
}

static void
netns_name(char name[NETNS_NAME], uid_t uid, ino_t ino)
{
	(void)snprintf(name, NETNS_NAME, "cjn%08x-%jx", (unsigned)uid,
	    (uintmax_t)ino);
}

/* n lower-case hex digits at s; -1 if any is not. */
static int
parse_hex(const char *s, size_t n, uint32_t *v)
{
	size_t i;

	for (*v = 0, i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			*v = *v << 4 | (uint32_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			*v = *v << 4 | (uint32_t)(s[i] - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/* "cj" + exactly 8 lower-case hex digits: an address's name. */
static int
parse_host_name(const char *name, uint32_t *a)
{
	if (strlen(name) != 10 || strncmp(name, "cj", 2) != 0)
		return -1;
	return parse_hex(name + 2, 8, a);
}

/* "cj" + 8 hex + 2 tag characters + 3 hex: a slot's name. */
static int
parse_slot_name(const char *name, struct linfo *li)
{
	size_t i;

	if (strlen(name) != 15 || strncmp(name, "cj", 2) != 0 ||
	    parse_hex(name + 2, 8, &li->owner) == -1 ||
	    parse_hex(name + 12, 3, &li->k) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		if ((name[10 + i] < '0' || name[10 + i] > '9') &&
		    (name[10 + i] < 'a' || name[10 + i] > 'z'))
			return -1;
	memcpy(li->tag, name + 10, 2);
	li->tag[2] = '\0';
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

static size_t
bridge_tagged(const struct config *conf, const char *tag)
{
	size_t i;

	for (i = 0; i < conf->nbridges; i++)
		if (strcmp(conf->bridges[i].tag, tag) == 0)
			return i;
	return NO_BRIDGE;
}

/*
 * The bridge of a jail link named for a slot (its tag) or, made by an
 * older helper, for its address; NO_BRIDGE for any other link.
 */
static size_t
jail_bridge(const struct config *conf, const struct linfo *li)
{
	uint32_t a;

	if (li->slot)
		return bridge_tagged(conf, li->tag);
	if (parse_host_name(li->name, &a) == 0)
		return bridge_of(conf, a);
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

/* Inside IFLA_PROP_LIST: an alternative name for an address or a netns. */
static int
prop_attr(const struct nlattr *a, void *data)
{
	struct linfo *li = data;
	const char *name;

	if (mnl_attr_get_type(a) != IFLA_ALT_IFNAME ||
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	name = mnl_attr_get_str(a);
	if (parse_host_name(name, &li->addr) == 0)
		li->hasaddr = 1;
	else if (strncmp(name, "cjn", 3) == 0)
		li->hasnetns = 1;
	return MNL_CB_OK;
}

/* The names: a slot's, an address's (as the name or an altname). */
static void
linfo_names(const struct nlattr *props, struct linfo *li)
{
	li->slot = parse_slot_name(li->name, li) == 0;
	li->hasaddr = parse_host_name(li->name, &li->addr) == 0;
	if (props != NULL)
		(void)mnl_attr_parse_nested(props, prop_attr, li);
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
	linfo_names(tb[IFLA_PROP_LIST], li);
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

/*
 * One jail link on bridge i, named for a slot or (made by an older
 * helper) for its address: ours?  the caller's?  outside the slots the
 * caller's quota on the target bridge names?
 */
static void
scan_jail(struct scan *sc, const struct linfo *li, size_t i)
{
	if (sc->own != NULL && li->labelled && label_eq(&li->label, sc->own))
		sc->self_index = li->index;
	if (!li->labelled || li->label.group != (uint32_t)sc->uid ||
	    (li->slot && li->owner != (uint32_t)sc->uid))
		return;
	sc->used[i]++;
	if (i == sc->target && (!li->slot || li->k >= sc->quota))
		sc->outside++;
}

static int
scan_link(const struct nlmsghdr *nlh, void *data)
{
	struct scan *sc = data;
	struct linfo li;
	size_t i;

	if (linfo_parse(nlh, &li) == -1)
		return MNL_CB_OK;
	scan_bridges(sc, &li);
	if (li.hasaddr && sc->target != NO_BRIDGE &&
	    bridge_of(sc->conf, li.addr) == sc->target)
		taken_set((int)(li.addr -
		    net_of(&sc->conf->bridges[sc->target])));
	if ((i = jail_bridge(sc->conf, &li)) != NO_BRIDGE)
		scan_jail(sc, &li, i);
	return MNL_CB_OK;
}

/* Before each try of a scan: a listing (full) or a get of one link. */
static void
scan_reset(void *data, int full)
{
	struct scan *sc = data;
	const struct bridge_conf *b;

	memset(sc->used, 0, sizeof(sc->used));
	sc->outside = 0;
	sc->self_index = 0;
	/* A get of one link keeps what the last listing said of the rest. */
	if (!full)
		return;
	memset(sc->br_index, 0, sizeof(sc->br_index));
	memset(sc->pubif_seen, 0, sizeof(sc->pubif_seen));
	if (sc->target == NO_BRIDGE)
		return;
	b = &sc->conf->bridges[sc->target];
	memset(taken, 0, (((size_t)1 << (32 - b->prefixlen)) + 63) / 64 *
	    sizeof(taken[0]));
	taken_set(0);
	taken_set((1 << (32 - b->prefixlen)) - 1);
	taken_set((int)(ntohl(b->gateway.s_addr) - net_of(b)));
}

/*
 * Dump every link (get == NULL) or get one by name, each to cb, after
 * reset(data, get == NULL); again, from reset, while link changes
 * interrupt the dump (EAGAIN).  0, or -1 with errno.
 */
static int
each_link(struct session *s, const char *get, void (*reset)(void *, int),
    nl_cb cb, void *data)
{
	char buf[LINK_BUF_SIZE];
	struct nlmsghdr *nlh;
	int i;

	for (i = 0; i < SCAN_TRIES; i++) {
		reset(data, get == NULL);
		nlh = link_get(buf, sizeof(buf), nl_next_seq(s->rtnl), get);
		if (nl_dump(s->rtnl, nlh, nlh->nlmsg_len, cb, data) == 0)
			return 0;
		if (errno != EAGAIN)
			break;
	}
	return -1;
}

/* Dump every link (get == NULL) or get one by name; -1 with errno. */
static int
scan(struct session *s, struct scan *sc, const char *get)
{
	return each_link(s, get, scan_reset, scan_link, sc);
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

/* Does a link have this name or alternative name? */
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

/* The bridge, if it exists: its index and MTU; refused if no bridge. */
static int
find_bridge(struct session *s, struct scan *sc, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];

	if (scan(s, sc, b->name) == -1 && errno != ENODEV)
		return lookup_failed(text, len, b->name);
	if (sc->br_index[sc->target] != 0 && sc->br_bad[sc->target])
		return say(text, len, EINVAL, "%s exists and is not a bridge",
		    b->name);
	return 0;
}

/* The netns has no jail link of the caller's yet (checked again later). */
static int
netns_free(struct session *s, ino_t ino, char *text, size_t len)
{
	char name[NETNS_NAME];
	int r;

	netns_name(name, s->uid, ino);
	if ((r = exists(s, name)) == 1)
		return say(text, len, EBUSY, "that network namespace already "
		    "has a jail link");
	if (r == -1)
		return lookup_failed(text, len, name);
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

/* The lease's address, its name and the jail's MAC, from a host part. */
static void
lease_addr(struct session *s, const struct bridge_conf *b, int host)
{
	s->lease.addr.s_addr = htonl(net_of(b) + (uint32_t)host);
	lease_host_name(s->lease.addrname, s->lease.addr);
	s->lease.mac[0] = 0x02;
	s->lease.mac[1] = 0x6a;
	memcpy(s->lease.mac + 2, &s->lease.addr.s_addr, 4);
}

/* List the host's links into sc: 0, or a positive errno with text. */
static int
list_links(struct session *s, struct scan *sc, char *text, size_t len)
{
	if (scan(s, sc, NULL) == 0)
		return 0;
	return say(text, len, errno, "listing links: %s", strerror(errno));
}

/*
 * No free address as last listed.  That listing may predate a lost race
 * (make_lease) and count this try's link, now gone: list afresh.  Still
 * full, a user whose every slot is taken hears of the quota, which they
 * can act on, before the subnet, which they cannot.
 */
static int
subnet_full(struct session *s, struct scan *sc, int n, char *text,
    size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	int host, r;

	if ((r = list_links(s, sc, text, len)) != 0)
		return r;
	if ((host = taken_any_free(n)) != -1) {
		lease_addr(s, b, host);
		return 0;
	}
	if (sc->used[sc->target] >= sc->quota)
		return quota_reached(s, sc, text, len);
	return say(text, len, ENOSPC, "no free address on %s", b->name);
}

/*
 * An address no link names now: the one wanted, or random host parts
 * looked up by name, or (a crowded subnet) a free one from a listing.
 * Only a guess: claim takes it, and a racing attach may win.
 */
static int
pick_addr(struct session *s, struct scan *sc, struct in_addr want,
    char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	int n = 1 << (32 - b->prefixlen), gw = (int)(ntohl(b->gateway.s_addr) -
	    net_of(b)), host, i, r;

	if (want.s_addr != 0) {
		lease_addr(s, b, (int)(ntohl(want.s_addr) - net_of(b)));
		if ((r = exists(s, s->lease.addrname)) == 0)
			return 0;
		return r == 1 ? addr_in_use(want, text, len) :
		    lookup_failed(text, len, s->lease.addrname);
	}
	for (i = 0; !sc->listed && i < ADDR_PROBES; i++) {
		if ((host = 1 + (int)rnd((uint32_t)n - 2)) == gw)
			continue;
		lease_addr(s, b, host);
		if ((r = exists(s, s->lease.addrname)) == 0)
			return 0;
		if (r == -1)
			return lookup_failed(text, len, s->lease.addrname);
	}
	if (!sc->listed && (r = list_links(s, sc, text, len)) != 0)
		return r;
	sc->listed = 1;
	if ((host = taken_any_free(n)) == -1)
		return subnet_full(s, sc, n, text, len);
	lease_addr(s, b, host);
	return 0;
}

/* The bridge's tag as the quota marker's key has it. */
static uint32_t
tag_key(const struct bridge_conf *b)
{
	return (uint32_t)(uint8_t)b->tag[0] << 8 | (uint8_t)b->tag[1];
}

static int
marker_failed(char *text, size_t len)
{
	return say(text, len, errno, "the quota marker: %s", strerror(errno));
}

/*
 * Looking slots up counts a caller's links only while all of them are
 * named for slots below its quota: not so after its quota was lowered
 * (links made under the old one may hold higher slots), nor while links
 * an older helper named for their address remain.  The quota marker
 * (fw.c: quotas, uid . bridge tag : quota) says it is so.  It is added
 * only after a listing showed it, in a batch the kernel refuses if any
 * ruleset change was committed since the listing began (the generation
 * read before it); and every attach commits its firewall batch after its
 * create, before it reads the marker (claim, recount).  So a link the
 * listing missed either made that batch fail, or was made after the
 * marker was in, and its recount sees it.  With the marker at the
 * caller's quota, looking slots up is the count; otherwise (rare) the
 * caller's links are counted by a listing after the create.
 */
static int
settle(struct session *s, struct scan *sc, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	uint32_t m, genid;
	int r;

	if ((r = fw_quota_get(s->nf, s->uid, tag_key(b), &m)) == -1)
		return marker_failed(text, len);
	if (r == 1 && m == sc->quota)
		return 0;
	if (r == 1 && fw_quota_del(s->nf, s->uid, tag_key(b)) == -1)
		return marker_failed(text, len);
	if (fw_genid(s->nf, &genid) == -1)
		return marker_failed(text, len);
	if ((r = list_links(s, sc, text, len)) != 0)
		return r;
	sc->listed = 1;		/* pick_addr may use it */
	/* ERESTART, EEXIST: a change, another marker; recount lists. */
	if (sc->outside == 0 && fw_quota_settle(s->nf, s->uid, tag_key(b),
	    sc->quota, genid) == -1 && errno != ERESTART && errno != EEXIST)
		return marker_failed(text, len);
	return 0;
}

/*
 * After the create and the firewall batch: is the count of the caller's
 * links what looking slots up said?  A marker at or below our slot comes
 * from a listing that missed our link (then the marker came after our
 * batch): ours gives way.  A marker at the caller's quota: yes.
 * Otherwise list the links, ours among them: more than the quota, and
 * ours gives way (of two racing so, the later lists the other: both may
 * go, neither stays over).
 */
static int
recount(struct session *s, struct scan *sc, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	uint32_t m;
	int r;

	if ((r = fw_quota_get(s->nf, s->uid, tag_key(b), &m)) == -1)
		return marker_failed(text, len);
	if (r == 1 && sc->slot >= m)
		return say(text, len, EAGAIN, "the quota on %s changed "
		    "meanwhile; try again", b->name);
	if (r == 1 && m == sc->quota)
		return 0;
	if ((r = list_links(s, sc, text, len)) != 0)
		return r;
	if (sc->used[sc->target] > sc->quota)
		return quota_reached(s, sc, text, len);
	return 0;
}

/* Is slot k free: 1 if no link has its name, 0 if one has, -1 (errno). */
static int
slot_free(struct session *s, const struct bridge_conf *b, uint32_t k)
{
	int r;

	slot_name(s->lease.host, s->uid, b->tag, k);
	return (r = exists(s, s->lease.host)) == -1 ? -1 : !r;
}

/* Every slot in turn: the first free, q if none, -1 with errno. */
static int
first_free_slot(struct session *s, const struct bridge_conf *b, uint32_t q)
{
	uint32_t k;
	int r;

	for (k = 0; k < q; k++)
		if ((r = slot_free(s, b, k)) != 0)
			return r == 1 ? (int)k : -1;
	return (int)q;
}

/*
 * A slot in [from, q) that no link names, else any below q: q if none,
 * -1 with errno.  Helpers take the slot this finds from 0 or from the
 * caller's hint (jailN's N - 1), mostly the lowest free one, so the
 * taken slots are mostly a prefix (less so with jails on several
 * bridges or holes in the names: more lookups then, at most ~q), whose
 * end doubling and then halving finds in ~2 log2(q) lookups (tried at
 * random, ~q/2 once most are taken: 250 lookups, 5 ms, for a user's
 * 500th jail).  A slot is returned only once looked up free.  A taken
 * top slot starts the doubling again above the last slot it found taken;
 * when none is left there, every slot is looked up in turn.
 */
static int
find_slot(struct session *s, const struct bridge_conf *b, uint32_t q,
    uint32_t from)
{
	uint32_t lo = from, hi = from, step = 1, mid;	/* lo taken, hi free */
	int r;

	for (;;) {
		if ((r = slot_free(s, b, hi)) == -1)
			return -1;
		if (r == 1)
			break;
		if (hi == q - 1 && lo + 1 >= hi)
			return first_free_slot(s, b, q);
		if (hi == q - 1) {	/* the top is taken: again above lo */
			hi = lo + 1;
			step = 1;
			continue;
		}
		lo = hi;
		hi = q - 1 - hi > step ? hi + step : q - 1;
		step *= 2;
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if ((r = slot_free(s, b, mid)) == -1)
			return -1;
		if (r == 1)
			hi = mid;
		else
			lo = mid;
	}
	return (int)hi;
}

/*
 * Take a free slot by creating the link named for it, looked up first (a
 * failed veth creation costs the kernel a peer made and unmade, and an
 * RCU grace period).  EEXIST for a slot that a link names is a race lost
 * to another start of the caller's: look further up, at a random spread
 * that doubles with each loss, so that racers stop meeting.  For one no
 * link names, it is the jail's interface name, or the slot's link come
 * and gone: the same slot once more tells which.  The search starts at
 * the caller's hint (capjail sends N - 1 for jailN, named from the bottom
 * too): with 500 jails, 1 lookup instead of ~19 from slot 0.
 */
static int
make_link(struct session *s, struct scan *sc, const char *ifname, int nsfd,
    char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	struct link_veth v = { .host = s->lease.host, .peer = ifname,
	    .netns_fd = nsfd, .label = s->lease.label, .mtu = s->lease.mtu };
	char buf[LINK_BUF_SIZE];
	uint32_t races, q = sc->quota, from;
	int k, r, unnamed = -1;	/* a slot whose EEXIST no link explained */

	memcpy(v.peer_mac, s->lease.mac, 6);
	/* Not the top slot: taken, it would leave find_slot only its
	 * look at every slot in turn. */
	from = q > 1 && sc->hint < q - 1 ? sc->hint : 0;
	for (races = 0; races <= q; races++) {
		if ((k = find_slot(s, b, q, from)) == -1)
			return lookup_failed(text, len, s->lease.host);
		if (k == (int)q)
			return quota_reached(s, sc, text, len);
		slot_name(s->lease.host, s->uid, b->tag, (uint32_t)k);
		if (talk(s, link_new_veth(buf, sizeof(buf),
		    nl_next_seq(s->rtnl), &v)) == 0) {
			sc->slot = (uint32_t)k;
			return 0;
		}
		if (errno != EEXIST)
			return say(text, len, errno, "creating the veth: %s",
			    strerror(errno));
		if ((r = exists(s, s->lease.host)) == -1)
			return lookup_failed(text, len, s->lease.host);
		if (r == 0 && unnamed == k)
			return say(text, len, EEXIST, "interface %s already "
			    "exists in the jail", ifname);
		unnamed = r == 0 ? k : -1;
		from = (uint32_t)k;
		if (r == 1)
			from += 1 + rnd(1u << (races < 8 ? races + 1 : 8));
		if (from >= q)
			from = q - 1;
	}
	return say(text, len, EAGAIN, "lost %u slot races on %s; try again",
	    races, b->name);
}

static int
add_name(struct session *s, const char *name)
{
	char buf[LINK_BUF_SIZE];

	return talk(s, link_add_altname(buf, sizeof(buf),
	    nl_next_seq(s->rtnl), s->lease.ifindex, name));
}

/*
 * Read the new link back by name: it is ours only if it carries our label
 * (if the caller stopped us and the jail deleted it, the slot may hold
 * another of the caller's jails by now).  From here on it is known by its
 * index.  Then its netns and its address, each a name no other link may
 * hold; EADDRINUSE if a racing attach took the address first.
 */
static int
claim(struct session *s, struct scan *sc, ino_t ino, char *text,
    size_t len)
{
	char name[NETNS_NAME];
	int r;

	sc->own = &s->lease.label;
	if (scan(s, sc, s->lease.host) == -1 || sc->self_index == 0)
		return say(text, len, EAGAIN, "link %s vanished",
		    s->lease.host);
	s->lease.ifindex = sc->self_index;
	s->attached = 1;
	/*
	 * The port's filter before anything else of it, and a commit that
	 * settle relies on: it always changes the ruleset (the port's chain
	 * is created exclusively), and only a change moves the generation.
	 */
	if (fw_lease(s->nf, s->lease.ifindex, s->lease.addr.s_addr,
	    s->lease.mac, s->lease.host) == -1)
		return say(text, len, errno, "firewall for %s: %s",
		    s->lease.host, strerror(errno));
	if ((r = recount(s, sc, text, len)) != 0)
		return r;
	netns_name(name, s->uid, ino);
	if (add_name(s, name) == -1)
		return errno == EEXIST ? say(text, len, EBUSY, "that network "
		    "namespace already has a jail link") : say(text, len,
		    errno, "naming %s: %s", s->lease.host, strerror(errno));
	if (add_name(s, s->lease.addrname) == -1)
		return say(text, len, errno == EEXIST ? EADDRINUSE : errno,
		    "naming %s %s: %s", s->lease.host, s->lease.addrname,
		    strerror(errno));
	return 0;
}

/* An address, a slot, the link, its names; another address if lost. */
static int
make_lease(struct session *s, struct scan *sc, struct in_addr want,
    const char *ifname, int nsfd, ino_t ino, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[sc->target];
	int i, r;

	/* A bridge made later starts at 1500, as the kernel makes it. */
	s->lease.mtu = sc->br_index[sc->target] != 0 ?
	    sc->br_mtu[sc->target] : 1500;
	for (i = 0; i < CREATE_TRIES; i++) {
		if ((r = pick_addr(s, sc, want, text, len)) != 0 ||
		    (r = make_link(s, sc, ifname, nsfd, text, len)) != 0)
			return r;
		log_event(LOG_NOTICE, "created %s for netns %ju on %s",
		    s->lease.host, (uintmax_t)ino, b->name);
		if ((r = claim(s, sc, ino, text, len)) != EADDRINUSE)
			return r;
		if (want.s_addr != 0)
			return addr_in_use(want, text, len);
		(void)lease_release(s, 0);
		text[0] = '\0';	/* a success replies no text */
		if (sc->listed)
			taken_set((int)(ntohl(s->lease.addr.s_addr) -
			    net_of(b)));
	}
	return say(text, len, EAGAIN, "lost %d address races on %s",
	    CREATE_TRIES, b->name);
}

/*
 * Attach the jail whose netns is nsfd (already checked by netns_check,
 * inode ino) to bridge bi, which the caller is granted, as req asks.
 * Returns 0 with s->lease filled in, or a positive errno and the reply
 * text; on failure nothing of ours is left in the kernel.
 */
int
lease_attach(struct session *s, size_t bi,
    const struct proto_attach_req *req, int nsfd, ino_t ino, char *text,
    size_t len)
{
	struct scan sc = { .conf = s->conf, .uid = s->uid, .target = bi,
	    .quota = s->grant[bi]->jails, .hint = req->slot_hint };
	struct in_addr want = { req->addr };
	const char *ifname = req->ifname;
	int r;

	memset(&s->lease, 0, sizeof(s->lease));
	s->lease.bridge = bi;
	label_make(&s->lease.label, s->uid, ino, s->grant[bi]->jails);
	if ((r = check_want(&s->conf->bridges[bi], want, text, len)) == 0 &&
	    (r = find_bridge(s, &sc, text, len)) == 0 &&
	    (r = netns_free(s, ino, text, len)) == 0 &&
	    (r = settle(s, &sc, text, len)) == 0)
		r = make_lease(s, &sc, want, ifname, nsfd, ino, text, len);
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
 * The lease is ours and within quota, and its firewall is in (claim: the
 * port's ingress filter and the jail's elements, so no frame crosses the
 * bridge before the rules for it exist): the link goes on the bridge as a
 * wire (no L3, static MAC, no learning or flooding, isolated unless
 * isolate=no) and up.
 */
static int
join(struct session *s, uint32_t bridge, char *text, size_t len)
{
	const struct bridge_conf *b = &s->conf->bridges[s->lease.bridge];
	char buf[LINK_BUF_SIZE];

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
	struct scan sc = { .conf = s->conf, .uid = s->uid, .target = NO_BRIDGE };
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
	int		named;		/* holds its netns's name */
	struct link_label label;
};

static struct jlink jl[GC_MAX_LINKS];
static size_t njl;
static int live_read;			/* -1: failed, keep everything */
static int live_fresh;			/* a link jl[] lacks: look it up */

static int
gc_link(const struct nlmsghdr *nlh, void *data)
{
	const struct config *conf = data;
	struct linfo li;
	size_t i;

	if (linfo_parse(nlh, &li) == -1 || njl == GC_MAX_LINKS ||
	    (i = jail_bridge(conf, &li)) == NO_BRIDGE)
		return MNL_CB_OK;
	jl[njl].index = li.index;
	jl[njl].bridge = i;
	/* A slot's name says whose it is, and the label must agree. */
	jl[njl].labelled = li.labelled &&
	    (!li.slot || li.owner == li.label.group);
	jl[njl].named = li.hasnetns;
	jl[njl++].label = li.label;
	return MNL_CB_OK;
}

static void
jl_reset(void *data, int full)
{
	(void)data;
	(void)full;
	njl = 0;
}

/* Read the jail links into jl[]; 0, or -1 (then keep everything). */
static int
read_links(struct session *s)
{
	if (each_link(s, NULL, jl_reset, gc_link,
	    (void *)(uintptr_t)s->conf) == -1)
		return -1;
	return njl < GC_MAX_LINKS ? 0 : -1;
}

void
lease_idle(void)
{
	idle_pages(taken, sizeof(taken));
	idle_pages(jl, sizeof(jl));
}

/*
 * Does link k break its label?  Two links of one owner in one netns: the
 * one that holds the netns's name stays (only one can), else the older.
 * More older links of its owner on its bridge than its quota: it goes.
 */
static int
link_bad(size_t k)
{
	const struct jlink *l = &jl[k];
	uint32_t older = 0;
	size_t i;

	if (!l->labelled)
		return 1;
	for (i = 0; i < njl; i++) {
		if (i == k || !jl[i].labelled ||
		    jl[i].label.group != l->label.group)
			continue;
		if (memcmp(jl[i].label.mac, l->label.mac, 6) == 0 &&
		    (jl[i].named > l->named || (jl[i].named == l->named &&
		    jl[i].index < l->index)))
			return 1;
		if (jl[i].index < l->index && jl[i].bridge == l->bridge &&
		    ++older >= l->label.txqlen)
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
	live_fresh = 0;
	return 0;
}

/*
 * Is the link of ifindex there?  A link in the last reading is (keeping
 * is always safe; a jail whose link has gone since is collected next
 * time).  One the reading lacks is gone, unless gc_fresh(1) came after
 * the last gc_fresh(0): then it is looked up when asked about, so that
 * fw.c judges a link gone only by a lookup made after its listing, and
 * only the few it asks about cost a lookup, not a second reading of
 * every link on the host.  (During a listing, fresh is 0: no request
 * may be sent from inside a dump.)
 */
static int
gc_alive(uint32_t ifindex, void *arg)
{
	struct session *s = arg;
	char buf[LINK_BUF_SIZE];
	size_t i;

	if (live_read == 0)
		live_read = read_links(s) == 0 ? 1 : -1;
	if (live_read == -1)
		return 1;
	for (i = 0; i < njl; i++)
		if (jl[i].index == ifindex)
			return 1;
	if (!live_fresh || ifindex == 0)
		return 0;
	return there(s, link_get_index(buf, sizeof(buf),
	    nl_next_seq(s->rtnl), ifindex)) != 0;	/* in doubt, there */
}

static void
gc_fresh(void *arg, int fresh)
{
	(void)arg;
	live_fresh = fresh;
}

/*
 * Links first, then elements and flows, then ingress chains.  Before each
 * step, a collection that may yield stops if yield says so (1); the next
 * call goes on with that step, and a finished one starts over.  Each step is a collection that may be
 * killed anywhere, so stopping between them leaves nothing half done.
 */
int
lease_gc(struct session *s, int (*yield)(void))
{
	static int step;
	const struct fw_live live = { gc_alive, gc_fresh, s };
	int r = 0;

	if (step > 0)	/* resumed: idle() has given jl[]'s pages back */
		live_read = 0;
	for (; step < 3 && r == 0; step++) {
		if (yield != NULL && yield())
			return 1;
		if (step == 0 && gc_links(s) == -1)
			log_event(LOG_WARNING, "link garbage collection: %s",
			    strerror(errno));
		else if (step == 1)
			r = fw_gc(s->nf, &live);
		else if (step == 2)
			r = fw_gc_chains(s->nf, &live);
	}
	step = 0;
	return r;
}
