/* SPDX-License-Identifier: ISC */
/*
 * The fuzzer's stand-in for helper/nl.c: the same functions, with the
 * kernel replaced at the netlink-send boundary.  Every message the helper
 * sends is checked (well-formed, nothing trailing, a type the helper is
 * meant to send, the ack count the caller expects) and applied to a small
 * model of the kernel, so that gets and dumps answer as the kernel would:
 *
 *   rtnetlink   links (veth, bridge) with what the creating RTM_NEWLINK
 *               set (IFLA_MTU, IFLA_GROUP, IFLA_TXQLEN, IFLA_ADDRESS), the
 *               netns of a veth's peer and the master; setlink (master,
 *               bridge port flags, IFLA_AF_SPEC), RTM_NEWADDR and bridge
 *               RTM_NEWNEIGH only check their target.  Alternative names
 *               (RTM_NEWLINKPROP, IFLA_PROP_LIST): a link's names and
 *               altnames share one namespace (EEXIST), a lookup by name
 *               (IFLA_IFNAME, or IFLA_ALT_IFNAME for a long one) finds
 *               either, and a link's altnames go with it.
 *   nftables    tables, chains (a netdev base chain needs its device, and
 *               outlives it, as newer kernels do), sets and their
 *               elements; a batch is atomic, the first error undoes it.
 *               Rules are only checked for their chain, and nothing
 *               counts references (a chain or set in use is deleted
 *               all the same).  Conntrack deletion by mark is accepted.
 *
 * An error can be injected into the Nth nl_talk of a request (fk_inject),
 * and events (the jail deleting its interface, the helper being killed)
 * can happen after the Nth exchange (fk_event).  fk_check_gc says whether
 * a garbage collection left anything it should have removed.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>		/* before <linux/…>, which it guards */
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "helper.h"
#include "fuzz.h"

#define FK_TB		(IFLA_MAX + 1)	/* more than any NFTA_*_MAX */
#define FK_NAME		32		/* table, chain and set names */
#define FK_KEY		32		/* the longest key: two ifnames */
#define FK_MAX_CHAINS	128
#define FK_MAX_SETS	32
#define FK_MAX_ELEMS	512
#define FK_MAX_TABLES	8
#define FK_PER_MSG	8		/* elements per dump message */
#define FK_ALTNAMSIZ	128		/* ALTIFNAMSIZ, <linux/if.h> */
#define FK_MAX_ALT	4		/* the helper gives a link two */

struct fk_link {
	char		name[IFNAMSIZ];
	char		alt[FK_MAX_ALT][FK_ALTNAMSIZ];	/* in order added */
	size_t		nalt;
	char		kind[16];
	uint32_t	index, mtu, group, txqlen, master;
	uint8_t		mac[6];
	uint8_t		peer_mac[6];	/* veth: its peer's, as created */
	ino_t		peer_ns;	/* veth: where its peer went */
};

struct fk_table {
	uint16_t	family;
	char		name[FK_NAME];
};

struct fk_chain {
	uint16_t	family;
	char		table[FK_NAME], name[FK_NAME], type[16];
	char		dev[IFNAMSIZ];
	int32_t		hook, prio;	/* hook -1: a regular chain */
	uint32_t	policy;
};

struct fk_set {
	uint16_t	family;
	char		table[FK_NAME], name[FK_NAME];
	uint32_t	klen, dlen;
};

struct fk_elem {
	uint16_t	set;
	uint8_t		key[FK_KEY], data[16];
};

/* Everything an nftables batch can change: copied, to undo a batch. */
struct fk_nft {
	struct fk_table	tables[FK_MAX_TABLES];
	struct fk_chain	chains[FK_MAX_CHAINS];
	struct fk_set	sets[FK_MAX_SETS];
	struct fk_elem	elems[FK_MAX_ELEMS];
	size_t		ntables, nchains, nsets, nelems;
};

static struct fk_link links[FK_MAX_LINKS];
static size_t nlinks;
static uint32_t next_index;
static struct fk_nft nft, undo;
static struct fk_link boot_links[FK_MAX_LINKS];
static struct fk_nft boot_nft;
static size_t boot_nlinks;
static uint32_t boot_index;
static int booted;
static int inject_errno, inject_at, ntalks;
static int event_at, event_flags, nexchanges, dead, twins;
static ino_t event_ns;
size_t fk_messages;
size_t fk_upsets;

static struct fk_link *
link_new(const char *name, const char *kind)
{
	struct fk_link *l;

	if (nlinks == FK_MAX_LINKS)
		return NULL;
	l = &links[nlinks++];
	memset(l, 0, sizeof(*l));
	(void)strlcpy(l->name, name, sizeof(l->name));
	(void)strlcpy(l->kind, kind, sizeof(l->kind));
	l->index = next_index++;
	l->mtu = 1500;
	l->txqlen = 1000;
	l->mac[0] = 0x02;	/* what eth_hw_addr_random would give */
	memcpy(l->mac + 2, &l->index, 4);
	return l;
}

/* The bridge's tag in its jails' names: FNV-1a of its name, base 36. */
static void
tag_of(const char *bridge, char tag[3])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint32_t h = 2166136261u;

	for (; *bridge != '\0'; bridge++)
		h = (h ^ (uint8_t)*bridge) * 16777619u;
	h %= 36 * 36;
	tag[0] = digits[h / 36];
	tag[1] = digits[h % 36];
	tag[2] = '\0';
}

/*
 * Another user's jail link (uid 65534), labelled for netns ino under a
 * quota of jails (ino 0: unlabelled), with up to two altnames.
 */
static void
stranger(const char *name, uint32_t group, uint32_t jails, uint32_t ino,
    const char *alt1, const char *alt2)
{
	struct fk_link *l = link_new(name, "veth");
	uint32_t n = htonl(ino);

	if (l == NULL)
		abort();
	l->group = group;
	l->txqlen = jails;
	if (ino != 0) {
		l->mac[1] = 0x63;
		memcpy(l->mac + 2, &n, 4);
	}
	if (alt1 != NULL)
		(void)strlcpy(l->alt[l->nalt++], alt1, sizeof(l->alt[0]));
	if (alt2 != NULL)
		(void)strlcpy(l->alt[l->nalt++], alt2, sizeof(l->alt[0]));
}

/*
 * Other users' jails on the harness's bridges (fuzz-dispatch.c): on
 * capjail0 (10.89.0.0/29: .2 to .6 for jails) two that stay, holding .3
 * and .4, so the caller's quota of 3 fills the subnet; one unlabelled and
 * one whose label's group is not the uid in its name, which garbage
 * collection deletes.  On other0, two named as an older helper named
 * links, for their address, the second in the first's netns: it goes.
 */
static void
strangers(void)
{
	char t[3], name[IFNAMSIZ];

	tag_of("capjail0", t);
	(void)snprintf(name, sizeof(name), "cj0000fffe%s000", t);
	stranger(name, 65534, 3, 0x1001, "cjn0000fffe-1001", "cj0a590003");
	(void)snprintf(name, sizeof(name), "cj0000fffe%s001", t);
	stranger(name, 65534, 3, 0, "cj0a590005", NULL);
	(void)snprintf(name, sizeof(name), "cj0000fffe%s002", t);
	stranger(name, 0, 3, 0x1003, "cjn00000000-1003", "cj0a590006");
	(void)snprintf(name, sizeof(name), "cj0000fffe%s003", t);
	stranger(name, 65534, 3, 0x1004, "cjn0000fffe-1004", "cj0a590004");
	stranger("cj0a5a0009", 65534, 1, 0x1005, NULL, NULL);
	stranger("cj0a5a000a", 65534, 1, 0x1005, NULL, NULL);
}

/*
 * A host as the helper meets it: lo, eth0, and Docker's FORWARD drop,
 * and other users' jails (strangers).
 */
static void
fresh_host(void)
{
	struct fk_chain *c = &nft.chains[0];

	nlinks = 0;
	next_index = 1;
	(void)link_new("lo", "");
	(void)link_new("eth0", "");
	next_index = 3;
	strangers();
	next_index = 10;
	memset(&nft, 0, sizeof(nft));
	nft.tables[nft.ntables].family = NFPROTO_IPV4;
	(void)strlcpy(nft.tables[nft.ntables++].name, "filter", FK_NAME);
	c->family = NFPROTO_IPV4;
	(void)strlcpy(c->table, "filter", sizeof(c->table));
	(void)strlcpy(c->name, "FORWARD", sizeof(c->name));
	(void)strlcpy(c->type, "filter", sizeof(c->type));
	c->hook = NF_INET_FORWARD;
	c->policy = NF_DROP;
	nft.nchains = 1;
}

/* The host as fk_boot saved it, or a fresh one. */
void
fk_reset(void)
{
	if (!booted)
		fresh_host();
	else {
		memcpy(links, boot_links, sizeof(links));
		memcpy(&nft, &boot_nft, sizeof(nft));
		nlinks = boot_nlinks;
		next_index = boot_index;
	}
	inject_errno = 0;
	event_flags = twins = 0;
	dead = 0;
}

void
fk_boot(void)
{
	memcpy(boot_links, links, sizeof(links));
	memcpy(&boot_nft, &nft, sizeof(nft));
	boot_nlinks = nlinks;
	boot_index = next_index;
	booted = 1;
}

void
fk_inject(int e, int at)
{
	inject_errno = e;
	inject_at = at;
	ntalks = 0;
}

/* Arm an event for the next request (of a live helper: a new one). */
void
fk_event(int at, int flags, ino_t ns)
{
	dead = 0;
	event_at = at;
	event_flags = flags & (FK_EV_UNLINK | FK_EV_KILL);
	twins = flags & (FK_EV_TWIN_OLDER | FK_EV_TWIN_YOUNGER |
	    FK_EV_TWIN_OTHER | FK_EV_TWIN_NETNS | FK_EV_TWIN_ADDR);
	event_ns = ns;
	nexchanges = 0;
}

int
nl_open(struct nl *nl, int bus)
{
	memset(nl, 0, sizeof(*nl));
	nl->portid = (uint32_t)bus;	/* which kernel: route or netfilter */
	nl->seq = 1;
	return 0;
}

void
nl_close(struct nl *nl)
{
	(void)nl;
}

uint32_t
nl_next_seq(struct nl *nl)
{
	return nl->seq++;
}

/* No grace periods here: the fake kernel frees nothing late. */
void
nl_linger(void)
{
}

/* Only the helper's event socket subscribes, and only to RTMGRP_LINK. */
int
nl_subscribe(struct nl *nl, unsigned int groups)
{
	(void)nl;
	if (groups != RTMGRP_LINK)
		abort();
	return 0;
}

/* No event ever comes: the helper falls back to deleting the link. */
int
nl_wait(struct nl *nl, nl_cb cb, void *arg, unsigned int ms)
{
	(void)nl;
	(void)cb;
	(void)arg;
	(void)ms;
	errno = ETIMEDOUT;
	return -1;
}

/* --- attributes: anything the kernel's policy would refuse aborts --- */

static int
tb_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) < FK_TB)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void
attrs(const struct nlmsghdr *nlh, size_t hdr, const struct nlattr **tb)
{
	memset(tb, 0, FK_TB * sizeof(*tb));
	if (nlh->nlmsg_len < mnl_nlmsg_size(hdr) ||
	    mnl_attr_parse(nlh, (unsigned int)hdr, tb_cb, tb) != MNL_CB_OK)
		abort();
}

static void
nested(const struct nlattr *nest, const struct nlattr **tb)
{
	memset(tb, 0, FK_TB * sizeof(*tb));
	if (nest != NULL && mnl_attr_parse_nested(nest, tb_cb, tb) !=
	    MNL_CB_OK)
		abort();
}

static const char *
str(const struct nlattr *a, size_t max)
{
	if (a == NULL)
		return NULL;
	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) != 0 ||
	    mnl_attr_get_payload_len(a) > max)
		abort();	/* the helper built a broken string */
	return mnl_attr_get_str(a);
}

static uint32_t
u32(const struct nlattr *a, uint32_t dflt)
{
	if (a == NULL)
		return dflt;
	if (mnl_attr_validate(a, MNL_TYPE_U32) != 0)
		abort();
	return mnl_attr_get_u32(a);
}

static uint32_t
be32(const struct nlattr *a, uint32_t dflt)
{
	return a == NULL ? dflt : ntohl(u32(a, 0));
}

static void
is_u8(const struct nlattr *a)
{
	if (a != NULL && mnl_attr_validate(a, MNL_TYPE_U8) != 0)
		abort();
}

/* --- rtnetlink --- */

/* Does the link have this name, as its name or an altname?  1, 2, or 0. */
static int
named(const struct fk_link *l, const char *name)
{
	size_t i;

	if (strcmp(l->name, name) == 0)
		return 1;
	for (i = 0; i < l->nalt; i++)
		if (strcmp(l->alt[i], name) == 0)
			return 2;
	return 0;
}

/* By index, or (index 0) by name or altname, as __dev_get_by_name. */
static struct fk_link *
find(const char *name, uint32_t index)
{
	size_t i;

	for (i = 0; i < nlinks; i++)
		if ((index != 0 && links[i].index == index) ||
		    (index == 0 && name != NULL && named(&links[i], name)))
			return &links[i];
	return NULL;
}

static void
link_gone(struct fk_link *l)
{
	size_t i;

	for (i = 0; i < nlinks; i++)
		if (links[i].master == l->index)
			links[i].master = 0;
	*l = links[--nlinks];
}

/* The veth's peer: made in the netns IFLA_NET_NS_FD names, or ours. */
static int
veth_peer(const struct nlattr *data, ino_t *ns, uint8_t mac[6])
{
	const struct nlattr *tb[FK_TB], *d[FK_TB], *p;
	struct stat st;

	nested(data, d);
	if ((p = d[VETH_INFO_PEER]) == NULL)
		return 0;
	if (mnl_attr_get_payload_len(p) < sizeof(struct ifinfomsg) ||
	    mnl_attr_parse_payload((const char *)mnl_attr_get_payload(p) +
	    sizeof(struct ifinfomsg), mnl_attr_get_payload_len(p) -
	    sizeof(struct ifinfomsg), tb_cb, memset(tb, 0, sizeof(tb))) !=
	    MNL_CB_OK)
		abort();
	(void)str(tb[IFLA_IFNAME], IFNAMSIZ);
	if (tb[IFLA_ADDRESS] != NULL) {
		if (mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) != 6)
			return EINVAL;
		memcpy(mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	}
	if (tb[IFLA_NET_NS_FD] != NULL && fstat((int)u32(tb[IFLA_NET_NS_FD],
	    0), &st) == -1)
		return EBADF;
	*ns = tb[IFLA_NET_NS_FD] != NULL ? st.st_ino : 0;
	return 0;
}

/* What the creating RTM_NEWLINK sets, as the kernel honours it. */
static void
labels(struct fk_link *l, const struct nlattr **tb, ino_t ns,
    const uint8_t peer_mac[6])
{
	l->mtu = u32(tb[IFLA_MTU], l->mtu);
	l->group = u32(tb[IFLA_GROUP], 0);
	l->txqlen = u32(tb[IFLA_TXQLEN], l->txqlen);
	l->peer_ns = ns;
	memcpy(l->peer_mac, peer_mac, 6);
	if (tb[IFLA_ADDRESS] != NULL)
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
}

/*
 * RTM_NEWLINKPROP's IFLA_ALT_IFNAME: a valid name (dev_valid_name, but
 * for the length, up to ALTIFNAMSIZ) that no link has, as its name or an
 * altname (netdev_name_in_use): EEXIST, also for the link's own.
 */
static int
altname(struct fk_link *l, const char *name)
{
	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0 || strpbrk(name, "/: \t\n\v\f\r") != NULL)
		return EINVAL;
	if (find(name, 0) != NULL)
		return EEXIST;
	if (l->nalt == FK_MAX_ALT)
		abort();	/* the helper names a link twice, no more */
	(void)strlcpy(l->alt[l->nalt++], name, sizeof(l->alt[0]));
	return 0;
}

/*
 * A racing helper of the same user, then killed: its link on the same
 * bridge, for the same jail (the same label) or, with FK_EV_TWIN_OTHER,
 * for another (another netns in the label's MAC and in its netns name, a
 * peer not in any of ours).  It takes the first slot below the quota
 * that no link names, which may be the one ours is about to take (then
 * ours gets EEXIST).  Before it was killed it named its netns
 * (FK_EV_TWIN_NETNS), and took the address ours is taking (the jail's
 * MAC, 02:6a:address, says which; FK_EV_TWIN_ADDR), if no link had them.
 */
static int
twin(const struct nlattr **tb, const char *name, ino_t ns,
    const uint8_t peer_mac[6], int flags)
{
	char slot[IFNAMSIZ], alt[FK_ALTNAMSIZ];
	uint32_t q = u32(tb[IFLA_TXQLEN], 0), k, a;
	unsigned int uid;
	struct fk_link *t;
	int n = 0;

	if (strlen(name) != 15 || sscanf(name, "cj%8x%n", &uid, &n) != 1 ||
	    n != 10)
		return -1;	/* not named for a slot */
	for (k = 0; k < q && k < 0x1000; k++) {
		(void)snprintf(slot, sizeof(slot), "%.12s%03x", name,
		    (unsigned int)k);
		if (find(slot, 0) == NULL)
			break;
	}
	if (k == q || k == 0x1000 || (t = link_new(slot, "veth")) == NULL)
		return -1;	/* its quota is full: it made none */
	labels(t, tb, ns, peer_mac);
	if (flags & FK_EV_TWIN_OTHER) {
		t->mac[5] ^= 0x80;	/* the low byte of the inode */
		t->peer_ns = 0;
		ns ^= 0x80;
	}
	if (flags & FK_EV_TWIN_NETNS) {
		(void)snprintf(alt, sizeof(alt), "cjn%08x-%jx", uid,
		    (uintmax_t)ns);
		(void)altname(t, alt);
	}
	if ((flags & FK_EV_TWIN_ADDR) && peer_mac[0] == 0x02 &&
	    peer_mac[1] == 0x6a) {
		memcpy(&a, peer_mac + 2, 4);
		(void)snprintf(alt, sizeof(alt), "cj%08x", ntohl(a));
		(void)altname(t, alt);
	}
	return 0;
}

static int
create(const struct nlattr **tb, const char *name)
{
	const struct nlattr *info[FK_TB];
	const char *kind;
	struct fk_link *l;
	uint8_t peer_mac[6] = { 0 };
	ino_t ns = 0;
	int e, t = 0;

	nested(tb[IFLA_LINKINFO], info);
	if ((kind = str(info[IFLA_INFO_KIND], 16)) == NULL ||
	    (strcmp(kind, "veth") != 0 && strcmp(kind, "bridge") != 0))
		return EOPNOTSUPP;
	if (tb[IFLA_ADDRESS] != NULL &&
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) != 6)
		return EINVAL;
	if (strcmp(kind, "veth") == 0 &&
	    (e = veth_peer(info[IFLA_INFO_DATA], &ns, peer_mac)) != 0)
		return e;
	if (name == NULL)
		return EINVAL;
	if (strcmp(kind, "veth") == 0) {
		t = twins;	/* one race per request, at its first veth */
		twins = 0;
	}
	if ((t & FK_EV_TWIN_OLDER) && twin(tb, name, ns, peer_mac, t) == 0 &&
	    find(name, 0) != NULL)
		return EEXIST;	/* it took the slot ours was to take */
	if ((l = link_new(name, kind)) == NULL)
		return ENOBUFS;
	labels(l, tb, ns, peer_mac);
	if (t & FK_EV_TWIN_YOUNGER)
		(void)twin(tb, name, ns, peer_mac, t);
	return 0;
}

/* IFLA_AF_SPEC: IPv4 devconf or the IPv6 address generation mode. */
static void
af_spec(const struct nlattr *spec)
{
	const struct nlattr *af[FK_TB], *tb[FK_TB];

	nested(spec, af);
	nested(af[AF_INET6], tb);
	is_u8(tb[IFLA_INET6_ADDR_GEN_MODE]);
	nested(af[AF_INET], tb);
	if (af[AF_INET] != NULL && tb[IFLA_INET_CONF] == NULL)
		abort();
}

/* setlink: a master, then (in a later message) the port's flags. */
static int
change(struct fk_link *l, const struct nlattr **tb)
{
	const struct nlattr *info[FK_TB], *port[FK_TB];
	const struct fk_link *m;
	int t;

	nested(tb[IFLA_LINKINFO], info);
	nested(info[IFLA_INFO_SLAVE_DATA], port);
	for (t = 0; t < FK_TB; t++)
		is_u8(port[t]);
	if (info[IFLA_INFO_SLAVE_DATA] != NULL && l->master == 0)
		return EOPNOTSUPP;
	af_spec(tb[IFLA_AF_SPEC]);
	if (tb[IFLA_MASTER] == NULL)
		return 0;
	if (u32(tb[IFLA_MASTER], 0) == 0) {
		l->master = 0;
		return 0;
	}
	if ((m = find(NULL, u32(tb[IFLA_MASTER], 0))) == NULL)
		return EINVAL;
	if (m == l || strcmp(m->kind, "bridge") != 0)
		return EOPNOTSUPP;
	l->master = m->index;
	return 0;
}

static int
newlink(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FK_TB];
	const char *name;
	struct fk_link *l;

	attrs(nlh, sizeof(*ifm), tb);
	if (tb[IFLA_ALT_IFNAME] != NULL || tb[IFLA_PROP_LIST] != NULL)
		abort();	/* altnames come by RTM_NEWLINKPROP */
	name = str(tb[IFLA_IFNAME], IFNAMSIZ);
	/* By index, or by name: a link with it as its name or an altname. */
	l = find(name, (uint32_t)ifm->ifi_index);
	if (ifm->ifi_index != 0 && l == NULL)
		return ENODEV;
	if (l != NULL && (nlh->nlmsg_flags & NLM_F_EXCL))
		return EEXIST;
	if (l == NULL && !(nlh->nlmsg_flags & NLM_F_CREATE))
		return ENODEV;
	if (l == NULL)
		return create(tb, name);
	if (name != NULL && named(l, name) == 2)
		return EEXIST;	/* a rename to its own altname */
	if (name != NULL && strcmp(name, l->name) != 0)
		abort();	/* the helper renames nothing */
	return change(l, tb);
}

/*
 * RTM_NEWLINKPROP: each IFLA_ALT_IFNAME in IFLA_PROP_LIST added to the
 * link, in turn; the first error ends it, the names before it stay.  The
 * helper names a link by its index only, and adds a name each time.
 */
static int
newlinkprop(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FK_TB], *props[FK_TB], *a;
	struct fk_link *l;
	int e = 0, n = 0;

	attrs(nlh, sizeof(*ifm), tb);
	nested(tb[IFLA_PROP_LIST], props);	/* well-formed */
	if (ifm->ifi_index <= 0 || tb[IFLA_IFNAME] != NULL ||
	    tb[IFLA_ALT_IFNAME] != NULL || props[IFLA_ALT_IFNAME] == NULL)
		abort();
	if ((l = find(NULL, (uint32_t)ifm->ifi_index)) == NULL)
		return ENODEV;
	mnl_attr_for_each_nested(a, tb[IFLA_PROP_LIST]) {
		if (mnl_attr_get_type(a) != IFLA_ALT_IFNAME)
			continue;
		if (n++ > 0)
			abort();	/* one name at a time */
		if (e == 0)
			e = altname(l, str(a, FK_ALTNAMSIZ));
	}
	return e;
}

static int
dellink(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FK_TB];
	struct fk_link *l;

	attrs(nlh, sizeof(*ifm), tb);
	if (ifm->ifi_index == 0)
		abort();	/* by index only: a name may be reused */
	if ((l = find(NULL, (uint32_t)ifm->ifi_index)) == NULL)
		return ENODEV;
	link_gone(l);
	return 0;
}

/* "bridge fdb replace MAC dev PORT master static" */
static int
newneigh(const struct nlmsghdr *nlh)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FK_TB];
	const struct fk_link *l;

	attrs(nlh, sizeof(*ndm), tb);
	if (ndm->ndm_family != AF_BRIDGE || !(ndm->ndm_flags & NTF_MASTER))
		abort();
	if ((l = find(NULL, (uint32_t)ndm->ndm_ifindex)) == NULL)
		return ENODEV;
	if (tb[NDA_LLADDR] == NULL ||
	    mnl_attr_get_payload_len(tb[NDA_LLADDR]) != 6 ||
	    !(ndm->ndm_state & (NUD_PERMANENT | NUD_NOARP)))
		return EINVAL;
	return l->master != 0 ? 0 : EOPNOTSUPP;
}

static int
rt_apply(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[FK_TB];
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
		return newlink(nlh);
	case RTM_DELLINK:
		return dellink(nlh);
	case RTM_NEWLINKPROP:
		return newlinkprop(nlh);
	case RTM_NEWNEIGH:
		return newneigh(nlh);
	case RTM_NEWADDR:
		attrs(nlh, sizeof(*ifa), tb);
		if (ifa->ifa_family != AF_INET || tb[IFA_LOCAL] == NULL)
			abort();
		return find(NULL, ifa->ifa_index) != NULL ? 0 : ENODEV;
	default:
		abort();	/* nothing the helper is meant to send */
	}
}

/* --- nftables --- */

static int
table_of(uint16_t family, const char *name)
{
	size_t i;

	if (name == NULL)
		abort();
	for (i = 0; i < nft.ntables; i++)
		if (nft.tables[i].family == family &&
		    strcmp(nft.tables[i].name, name) == 0)
			return (int)i;
	return -1;
}

static struct fk_chain *
chain_of(uint16_t family, const char *table, const char *name)
{
	size_t i;

	if (table == NULL || name == NULL)
		abort();
	for (i = 0; i < nft.nchains; i++)
		if (nft.chains[i].family == family &&
		    strcmp(nft.chains[i].table, table) == 0 &&
		    strcmp(nft.chains[i].name, name) == 0)
			return &nft.chains[i];
	return NULL;
}

static int
set_of(uint16_t family, const char *table, const char *name)
{
	size_t i;

	if (table == NULL || name == NULL)
		abort();
	for (i = 0; i < nft.nsets; i++)
		if (nft.sets[i].family == family &&
		    strcmp(nft.sets[i].table, table) == 0 &&
		    strcmp(nft.sets[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
newtable(uint16_t family, const struct nlattr **tb, uint16_t flags)
{
	const char *name = str(tb[NFTA_TABLE_NAME], FK_NAME);

	if (table_of(family, name) != -1)
		return flags & NLM_F_EXCL ? EEXIST : 0;
	if (nft.ntables == FK_MAX_TABLES)
		return ENOSPC;
	nft.tables[nft.ntables].family = family;
	(void)strlcpy(nft.tables[nft.ntables++].name, name, FK_NAME);
	return 0;
}

/* A netdev base chain must name a device that exists (ENOENT). */
static int
newchain(uint16_t family, const struct nlattr **tb, uint16_t flags)
{
	const char *table = str(tb[NFTA_CHAIN_TABLE], FK_NAME);
	const char *name = str(tb[NFTA_CHAIN_NAME], FK_NAME);
	const char *dev;
	const struct nlattr *hook[FK_TB];
	struct fk_chain *c;

	if (table_of(family, table) == -1)
		return ENOENT;
	if (chain_of(family, table, name) != NULL)
		return flags & NLM_F_EXCL ? EEXIST : 0;
	nested(tb[NFTA_CHAIN_HOOK], hook);
	dev = str(hook[NFTA_HOOK_DEV], IFNAMSIZ);
	if (tb[NFTA_CHAIN_HOOK] != NULL && family == NFPROTO_NETDEV &&
	    (dev == NULL || find(dev, 0) == NULL))
		return dev == NULL ? EINVAL : ENOENT;
	if (nft.nchains == FK_MAX_CHAINS)
		return ENOSPC;
	c = &nft.chains[nft.nchains++];
	memset(c, 0, sizeof(*c));
	c->family = family;
	(void)strlcpy(c->table, table, sizeof(c->table));
	(void)strlcpy(c->name, name, sizeof(c->name));
	(void)strlcpy(c->dev, dev ? dev : "", sizeof(c->dev));
	(void)strlcpy(c->type, tb[NFTA_CHAIN_TYPE] ? str(tb[NFTA_CHAIN_TYPE],
	    16) : "", sizeof(c->type));
	c->hook = tb[NFTA_CHAIN_HOOK] ? (int32_t)be32(hook[NFTA_HOOK_HOOKNUM],
	    0) : -1;
	c->prio = (int32_t)be32(hook[NFTA_HOOK_PRIORITY], 0);
	c->policy = be32(tb[NFTA_CHAIN_POLICY], NF_ACCEPT);
	return 0;
}

static int
delchain(uint16_t family, const struct nlattr **tb)
{
	struct fk_chain *c = chain_of(family, str(tb[NFTA_CHAIN_TABLE],
	    FK_NAME), str(tb[NFTA_CHAIN_NAME], FK_NAME));

	if (c == NULL)
		return ENOENT;
	*c = nft.chains[--nft.nchains];
	return 0;
}

static int
newset(uint16_t family, const struct nlattr **tb, uint16_t flags)
{
	const char *table = str(tb[NFTA_SET_TABLE], FK_NAME);
	const char *name = str(tb[NFTA_SET_NAME], FK_NAME);
	struct fk_set *s;

	if (table_of(family, table) == -1)
		return ENOENT;
	if (set_of(family, table, name) != -1)
		return flags & NLM_F_EXCL ? EEXIST : 0;
	if (nft.nsets == FK_MAX_SETS)
		return ENOSPC;
	s = &nft.sets[nft.nsets++];
	s->family = family;
	(void)strlcpy(s->table, table, sizeof(s->table));
	(void)strlcpy(s->name, name, sizeof(s->name));
	s->klen = be32(tb[NFTA_SET_KEY_LEN], 0);
	s->dlen = be32(tb[NFTA_SET_FLAGS], 0) & NFT_SET_MAP ?
	    be32(tb[NFTA_SET_DATA_LEN], 0) : 0;
	if (s->klen == 0 || s->klen > FK_KEY || s->dlen > 16)
		abort();
	return 0;
}

/* A set goes with its elements (the last set takes its place). */
static int
delset(uint16_t family, const struct nlattr **tb)
{
	int k = set_of(family, str(tb[NFTA_SET_TABLE], FK_NAME),
	    str(tb[NFTA_SET_NAME], FK_NAME));
	size_t i;

	if (k == -1)
		return ENOENT;
	for (i = nft.nelems; i-- > 0; )
		if (nft.elems[i].set == k)
			nft.elems[i] = nft.elems[--nft.nelems];
	nft.sets[k] = nft.sets[--nft.nsets];
	for (i = 0; i < nft.nelems; i++)
		if (nft.elems[i].set == nft.nsets)
			nft.elems[i].set = (uint16_t)k;
	return 0;
}

/* NFTA_SET_ELEM_KEY or _DATA: one NFTA_DATA_VALUE of exactly len bytes. */
static const void *
value(const struct nlattr *nest, uint32_t len)
{
	const struct nlattr *tb[FK_TB];

	nested(nest, tb);
	if (nest == NULL || tb[NFTA_DATA_VALUE] == NULL)
		return NULL;
	if (mnl_attr_get_payload_len(tb[NFTA_DATA_VALUE]) != len)
		return NULL;
	return mnl_attr_get_payload(tb[NFTA_DATA_VALUE]);
}

static int
elem_find(int set, const void *key)
{
	size_t i;

	for (i = 0; i < nft.nelems; i++)
		if (nft.elems[i].set == set && memcmp(nft.elems[i].key, key,
		    nft.sets[set].klen) == 0)
			return (int)i;
	return -1;
}

/* One NFTA_LIST_ELEM, added or deleted as the kernel would. */
static int
elem(int set, const struct nlattr *el, int add, uint16_t flags)
{
	const struct fk_set *s = &nft.sets[set];
	const struct nlattr *tb[FK_TB];
	const void *key, *data = NULL;
	struct fk_elem *e;
	int i;

	nested(el, tb);
	if ((key = value(tb[NFTA_SET_ELEM_KEY], s->klen)) == NULL ||
	    (add && s->dlen != 0 && (data = value(tb[NFTA_SET_ELEM_DATA],
	    s->dlen)) == NULL) || (add && s->dlen == 0 &&
	    tb[NFTA_SET_ELEM_DATA] != NULL))
		return EINVAL;
	i = elem_find(set, key);
	if (!add && i == -1)
		return ENOENT;
	if (!add) {
		nft.elems[i] = nft.elems[--nft.nelems];
		return 0;
	}
	if (i != -1)
		return (flags & NLM_F_EXCL) || (s->dlen != 0 && memcmp(
		    nft.elems[i].data, data, s->dlen) != 0) ? EEXIST : 0;
	if (nft.nelems == FK_MAX_ELEMS)
		return ENFILE;
	e = &nft.elems[nft.nelems++];
	memset(e, 0, sizeof(*e));
	e->set = (uint16_t)set;
	memcpy(e->key, key, s->klen);
	if (data != NULL)
		memcpy(e->data, data, s->dlen);
	return 0;
}

/* NEWSETELEM, or DELSETELEM (without a list: flush the set). */
static int
setelems(uint16_t family, const struct nlattr **tb, int add, uint16_t flags)
{
	const char *table = str(tb[NFTA_SET_ELEM_LIST_TABLE], FK_NAME);
	const struct nlattr *el;
	int set, e = 0;
	size_t i;

	if (table_of(family, table) == -1 ||
	    (set = set_of(family, table, str(tb[NFTA_SET_ELEM_LIST_SET],
	    FK_NAME))) == -1)
		return ENOENT;
	if (tb[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL && add)
		return EINVAL;
	if (tb[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL) {
		for (i = nft.nelems; i-- > 0; )
			if (nft.elems[i].set == set)
				nft.elems[i] = nft.elems[--nft.nelems];
		return 0;
	}
	mnl_attr_for_each_nested(el, tb[NFTA_SET_ELEM_LIST_ELEMENTS])
		if (e == 0)
			e = elem(set, el, add, flags);
	return e;
}

/* The chain a rule goes into (or, for DELRULE, is flushed from). */
static int
rule_chain(uint16_t family, const struct nlattr **tb)
{
	const char *table = str(tb[NFTA_RULE_TABLE], FK_NAME);
	const char *chain = str(tb[NFTA_RULE_CHAIN], FK_NAME);

	if (chain == NULL)
		abort();	/* the helper flushes no whole table */
	return chain_of(family, table, chain) != NULL ? 0 : ENOENT;
}

static int
nft_apply(const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[FK_TB];
	uint16_t f = nlh->nlmsg_flags;

	attrs(nlh, sizeof(*nfg), tb);
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case NFT_MSG_NEWTABLE:
		return newtable(nfg->nfgen_family, tb, f);
	case NFT_MSG_NEWCHAIN:
		return newchain(nfg->nfgen_family, tb, f);
	case NFT_MSG_DELCHAIN:
		return delchain(nfg->nfgen_family, tb);
	case NFT_MSG_NEWRULE:
	case NFT_MSG_DELRULE:
		return rule_chain(nfg->nfgen_family, tb);
	case NFT_MSG_NEWSET:
		return newset(nfg->nfgen_family, tb, f);
	case NFT_MSG_DELSET:
		return delset(nfg->nfgen_family, tb);
	case NFT_MSG_NEWSETELEM:
		return setelems(nfg->nfgen_family, tb, 1, f);
	case NFT_MSG_DELSETELEM:
		return setelems(nfg->nfgen_family, tb, 0, f);
	default:
		abort();
	}
}

/* conntrack -D --mark M/0xffffffff: nothing to remember. */
static int
ct_apply(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[FK_TB];

	attrs(nlh, sizeof(struct nfgenmsg), tb);
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_DELETE ||
	    tb[CTA_MARK] == NULL || tb[CTA_MARK_MASK] == NULL)
		abort();
	(void)u32(tb[CTA_MARK], 0);
	(void)u32(tb[CTA_MARK_MASK], 0);
	return 0;
}

/*
 * One netfilter message.  nftables messages come only inside a batch,
 * which is all or nothing: *e keeps the batch's first error, and the
 * batch's end undoes it if there was one.
 */
/* The ruleset's generation: one more for each batch that commits. */
static uint32_t nft_gen = 1;

/* A batch with NFNL_BATCH_GENID is refused (ERESTART) if that is old. */
static int
batch_genid(const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[FK_TB];

	attrs(nlh, sizeof(struct nfgenmsg), tb);
	if (tb[NFNL_BATCH_GENID] == NULL)
		return 0;
	return ntohl(mnl_attr_get_u32(tb[NFNL_BATCH_GENID])) == nft_gen ? 0 :
	    ERESTART;
}

static void
nf_apply(const struct nlmsghdr *nlh, int *inbatch, int *e)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
		if (*inbatch || ntohs(nfg->res_id) != NFNL_SUBSYS_NFTABLES)
			abort();
		*inbatch = 1;
		memcpy(&undo, &nft, sizeof(nft));
		if (*e == 0)
			*e = batch_genid(nlh);
	} else if (nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
		if (!*inbatch)
			abort();
		*inbatch = 0;
		if (*e != 0)
			memcpy(&nft, &undo, sizeof(nft));
		else
			nft_gen++;
	} else if (NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_NFTABLES) {
		if (!*inbatch)
			abort();
		if (*e == 0)
			*e = nft_apply(nlh);
	} else if (NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_CTNETLINK &&
	    !*inbatch) {
		if (*e == 0)
			*e = ct_apply(nlh);
	} else
		abort();
}

/* --- the nl.c interface --- */

/* The jail deletes its interface: the host side of each of its veths goes. */
static void
jail_unlinks(ino_t ns)
{
	size_t i;

	for (i = nlinks; i-- > 0; )
		if (strcmp(links[i].kind, "veth") == 0 &&
		    links[i].peer_ns == ns)
			link_gone(&links[i]);
}

/*
 * The pending event, now (also when the request did not get that far).
 * A killed helper is not stopped here, where it may hold memory it would
 * free: the kernel just hears no more from it, and the harness ends the
 * session after the request (fk_dead).
 */
void
fk_event_end(void)
{
	int flags = event_flags;

	event_flags = 0;
	if (flags != 0)
		fk_upsets++;
	if (flags & FK_EV_UNLINK)
		jail_unlinks(event_ns);
	if (flags & FK_EV_KILL)
		dead = 1;
}

int
fk_dead(void)
{
	return dead;
}

/* After each exchange with the kernel: is it time for the event? */
static void
exchanged(void)
{
	if (event_flags != 0 && ++nexchanges == event_at)
		fk_event_end();
}

int
nl_talk(struct nl *nl, const void *buf, size_t len, unsigned int nacks)
{
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len, e = 0, inbatch = 0;
	unsigned int acks = 0;

	if (dead) {
		errno = ECONNRESET;
		return -1;
	}
	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		fk_messages++;
		if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
			abort();
		if (nlh->nlmsg_flags & NLM_F_ACK)
			acks++;
		if (nl->portid == NETLINK_NETFILTER)
			nf_apply(nlh, &inbatch, &e);
		else if (e == 0)
			e = rt_apply(nlh);
	}
	if (rest != 0 || acks != nacks || nacks == 0 || inbatch)
		abort();	/* a malformed request or a miscounted batch */
	if (inject_errno != 0 && ntalks++ == inject_at) {
		e = inject_errno;
		inject_errno = 0;
		fk_upsets++;
	}
	exchanged();
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

/* One RTM_NEWLINK as a link dump would carry it. */
static int
report_link(const struct fk_link *l, nl_cb cb, void *arg)
{
	char buf[512 + FK_MAX_ALT * (FK_ALTNAMSIZ + 4)];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *info, *props;
	size_t i;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_MULTI;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = (int)l->index;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, l->txqlen);
	mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	mnl_attr_put_u32(nlh, IFLA_GROUP, l->group);
	if (l->master != 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, l->master);
	if (l->kind[0] != '\0') {
		info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, l->kind);
		mnl_attr_nest_end(nlh, info);
	}
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(l->mac), l->mac);
	if (l->nalt != 0) {	/* rtnl_fill_prop_list */
		props = mnl_attr_nest_start(nlh, IFLA_PROP_LIST);
		for (i = 0; i < l->nalt; i++)
			mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, l->alt[i]);
		mnl_attr_nest_end(nlh, props);
	}
	return cb(nlh, arg) == MNL_CB_ERROR ? -1 : 0;
}

static int
dump_links(const struct nlmsghdr *req, nl_cb cb, void *arg)
{
	const struct ifinfomsg *ifm;
	const struct nlattr *tb[FK_TB];
	const struct fk_link *l;
	size_t i;

	if (req->nlmsg_type != RTM_GETLINK)
		abort();
	attrs(req, sizeof(struct ifinfomsg), tb);
	if (req->nlmsg_flags & NLM_F_DUMP) {
		for (i = 0; i < nlinks; i++)
			if (report_link(&links[i], cb, arg) == -1)
				return -1;
		return 0;
	}
	ifm = mnl_nlmsg_get_payload(req);
	if ((ifm->ifi_index != 0) + (tb[IFLA_IFNAME] != NULL) +
	    (tb[IFLA_ALT_IFNAME] != NULL) != 1)
		abort();	/* by name or by index, never both */
	/*
	 * By name (the kernel cuts IFLA_IFNAME at IFNAMSIZ: a longer name
	 * must come as IFLA_ALT_IFNAME), as the name or an altname.
	 */
	if ((l = ifm->ifi_index != 0 ? find(NULL, (uint32_t)ifm->ifi_index) :
	    tb[IFLA_IFNAME] != NULL ? find(str(tb[IFLA_IFNAME], IFNAMSIZ), 0) :
	    find(str(tb[IFLA_ALT_IFNAME], FK_ALTNAMSIZ), 0)) == NULL) {
		errno = ENODEV;
		return -1;
	}
	return report_link(l, cb, arg);
}

static int
report_chain(const struct fk_chain *c, nl_cb cb, void *arg)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct nlattr *hook;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, c->family,
	    NLM_F_MULTI, 0);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, c->table);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, c->name);
	if (c->hook >= 0) {
		hook = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
		mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl((uint32_t)
		    c->hook));
		mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl((uint32_t)
		    c->prio));
		if (c->dev[0] != '\0')
			mnl_attr_put_strz(nlh, NFTA_HOOK_DEV, c->dev);
		mnl_attr_nest_end(nlh, hook);
		mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(c->policy));
		mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, c->type);
	}
	return cb(nlh, arg) == MNL_CB_ERROR ? -1 : 0;
}

/* The elements of set at idx[0..n), in one NEWSETELEM message. */
static int
report_elems(int set, const size_t *idx, size_t n, nl_cb cb, void *arg)
{
	static char buf[4096];
	const struct fk_set *s = &nft.sets[set];
	struct nlmsghdr *nlh;
	struct nlattr *list, *el, *v;
	size_t i;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSETELEM, s->family,
	    NLM_F_MULTI, 0);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, s->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, s->name);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (i = 0; i < n; i++) {
		const struct fk_elem *e = &nft.elems[idx[i]];

		el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		v = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
		mnl_attr_put(nlh, NFTA_DATA_VALUE, s->klen, e->key);
		mnl_attr_nest_end(nlh, v);
		if (s->dlen != 0) {
			v = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
			mnl_attr_put(nlh, NFTA_DATA_VALUE, s->dlen, e->data);
			mnl_attr_nest_end(nlh, v);
		}
		mnl_attr_nest_end(nlh, el);
	}
	mnl_attr_nest_end(nlh, list);
	return cb(nlh, arg) == MNL_CB_ERROR ? -1 : 0;
}

/* A set's elements, FK_PER_MSG to a message. */
static int
dump_elems(int set, nl_cb cb, void *arg)
{
	size_t idx[FK_PER_MSG], i, n = 0;

	for (i = 0; i < nft.nelems; i++) {
		if (nft.elems[i].set != set)
			continue;
		idx[n++] = i;
		if (n == FK_PER_MSG && report_elems(set, idx, n, cb, arg) == -1)
			return -1;
		n %= FK_PER_MSG;
	}
	return n == 0 ? 0 : report_elems(set, idx, n, cb, arg);
}

/* A get: each element listed, in a message of its own, or ENOENT. */
static int
get_elems(int set, const struct nlattr *list, nl_cb cb, void *arg)
{
	const struct nlattr *el, *tb[FK_TB];
	const void *key;
	size_t i;
	int k;

	if (list == NULL)
		abort();	/* a get names its elements */
	mnl_attr_for_each_nested(el, list) {
		nested(el, tb);
		if ((key = value(tb[NFTA_SET_ELEM_KEY],
		    nft.sets[set].klen)) == NULL) {
			errno = EINVAL;
			return -1;
		}
		if ((k = elem_find(set, key)) == -1) {
			errno = ENOENT;
			return -1;
		}
		i = (size_t)k;
		if (report_elems(set, &i, 1, cb, arg) == -1)
			return -1;
	}
	return 0;
}

/* NFT_MSG_GETGEN's answer: the generation, as the kernel puts it. */
static int
report_gen(nl_cb cb, void *arg)
{
	char buf[64];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWGEN;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(nft_gen));
	return cb(nlh, arg) == MNL_CB_ERROR ? -1 : 0;
}

static int
dump_nft(const struct nlmsghdr *req, nl_cb cb, void *arg)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(req);
	const struct nlattr *tb[FK_TB];
	size_t i;
	int set;

	attrs(req, sizeof(*nfg), tb);
	if (NFNL_SUBSYS_ID(req->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		abort();
	if (NFNL_MSG_TYPE(req->nlmsg_type) == NFT_MSG_GETCHAIN &&
	    (req->nlmsg_flags & NLM_F_DUMP)) {
		for (i = 0; i < nft.nchains; i++)
			if ((nfg->nfgen_family == NFPROTO_UNSPEC ||
			    nft.chains[i].family == nfg->nfgen_family) &&
			    report_chain(&nft.chains[i], cb, arg) == -1)
				return -1;
		return 0;
	}
	if (NFNL_MSG_TYPE(req->nlmsg_type) == NFT_MSG_GETGEN)
		return report_gen(cb, arg);
	if (NFNL_MSG_TYPE(req->nlmsg_type) != NFT_MSG_GETSETELEM)
		abort();
	if ((set = set_of(nfg->nfgen_family, str(tb[NFTA_SET_ELEM_LIST_TABLE],
	    FK_NAME), str(tb[NFTA_SET_ELEM_LIST_SET], FK_NAME))) == -1) {
		errno = ENOENT;
		return -1;
	}
	if (req->nlmsg_flags & NLM_F_DUMP)
		return dump_elems(set, cb, arg);
	return get_elems(set, tb[NFTA_SET_ELEM_LIST_ELEMENTS], cb, arg);
}

/* Gets and dumps answer from the model. */
int
nl_dump(struct nl *nl, const void *buf, size_t len, nl_cb cb, void *arg)
{
	const struct nlmsghdr *nlh = buf;
	int r;

	if (dead) {
		errno = ECONNRESET;
		return -1;
	}
	if (!mnl_nlmsg_ok(nlh, (int)len) || nlh->nlmsg_len != len ||
	    !(nlh->nlmsg_flags & NLM_F_REQUEST))
		abort();
	fk_messages++;
	if (nl->portid == NETLINK_ROUTE)
		r = dump_links(nlh, cb, arg);
	else
		r = dump_nft(nlh, cb, arg);
	exchanged();
	return r;
}

/* --- what garbage collection must leave --- */

/* n lower-case hex digits at s, into *v; 0, or -1 if any is not. */
static int
hexn(const char *s, size_t n, uint32_t *v)
{
	size_t i;

	for (*v = 0, i = 0; i < n; i++) {
		const char *d = strchr("0123456789abcdef", s[i]);

		if (s[i] == '\0' || d == NULL)
			return -1;
		*v = *v << 4 | (uint32_t)(d - "0123456789abcdef");
	}
	return 0;
}

/*
 * A jail link: named for a quota slot, "cj" + uid (8 hex) + a configured
 * bridge's tag (2 of [0-9a-z]) + slot (3 hex), *owner the uid; or, made
 * by an older helper, "cj" + 8 hex digits of an address on a configured
 * bridge, *owner its label's group.
 */
static int
jail_bridge(const struct config *conf, const struct fk_link *l, size_t *bi,
    uint32_t *owner)
{
	const char *n = l->name;
	uint32_t a, k;
	size_t i;

	if (strncmp(n, "cj", 2) != 0)
		return 0;
	if (strlen(n) == 15 && hexn(n + 2, 8, owner) == 0 &&
	    hexn(n + 12, 3, &k) == 0) {
		for (i = 0; i < 2; i++)
			if (strchr("0123456789abcdefghijklmnopqrstuvwxyz",
			    n[10 + i]) == NULL)
				return 0;
		for (i = 0; i < conf->nbridges; i++)
			if (strncmp(conf->bridges[i].tag, n + 10, 2) == 0) {
				*bi = i;
				return 1;
			}
		return 0;
	}
	if (strlen(n) != 10 || hexn(n + 2, 8, &a) != 0)
		return 0;
	for (i = 0; i < conf->nbridges; i++) {
		const struct bridge_conf *b = &conf->bridges[i];
		uint32_t mask = ~0u << (32 - b->prefixlen);

		if ((a & mask) == (ntohl(b->gateway.s_addr) & mask)) {
			*bi = i;
			*owner = l->group;
			return 1;
		}
	}
	return 0;
}

/* A birth label, and (for a slot) the uid its name says? */
static int
labelled(const struct fk_link *l, uint32_t owner)
{
	return l->mac[0] == 0x02 && l->mac[1] == 0x63 && l->txqlen != 0 &&
	    l->group == owner;
}

/* Does it hold a netns's name ("cjn" + uid + "-" + inode)? */
static int
netns_named(const struct fk_link *l)
{
	size_t i;

	for (i = 0; i < l->nalt; i++)
		if (strncmp(l->alt[i], "cjn", 3) == 0)
			return 1;
	return 0;
}

/*
 * Its birth label, and within that label's quota and netns rule?  Of two
 * links of one owner in one netns, the one holding the netns's name
 * stays (only one can), else the older; more older links of its owner on
 * its bridge than its label's quota, and it goes.
 */
static int
jail_ok(const struct config *conf, const struct fk_link *l, size_t bi,
    uint32_t owner)
{
	uint32_t older = 0, oo;
	size_t i, bj;

	if (!labelled(l, owner))
		return 0;
	for (i = 0; i < nlinks; i++) {
		const struct fk_link *o = &links[i];

		if (o == l || !jail_bridge(conf, o, &bj, &oo) ||
		    !labelled(o, oo) || o->group != l->group)
			continue;
		if (memcmp(o->mac, l->mac, 6) == 0 &&
		    (netns_named(o) > netns_named(l) ||
		    (netns_named(o) == netns_named(l) && o->index < l->index)))
			return 0;
		if (o->index < l->index && bj == bi && ++older >= l->txqlen)
			return 0;
	}
	return 1;
}

static int
live_jail(const struct config *conf, uint32_t index)
{
	const struct fk_link *l = find(NULL, index);
	uint32_t owner;
	size_t bi;

	return l != NULL && jail_bridge(conf, l, &bi, &owner);
}

/* The jail an element belongs to: its key's ifindex, or its port's. */
static uint32_t
elem_owner(const struct fk_elem *e)
{
	const struct fk_set *s = &nft.sets[e->set];
	uint32_t owner = 0;
	size_t i;

	if (strcmp(s->name, "pubmark") == 0)
		memcpy(&owner, e->data, 4);
	else if (strcmp(s->name, "ports4") == 0) {
		for (i = 0; i < nft.nelems; i++)
			if (strcmp(nft.sets[nft.elems[i].set].name,
			    "pubmark") == 0 && memcmp(nft.elems[i].key,
			    e->key, s->klen) == 0)
				return elem_owner(&nft.elems[i]);
	} else
		memcpy(&owner, e->key, 4);
	return owner;
}

static int
per_jail(const struct fk_set *s)
{
	return strcmp(s->table, "capjail") == 0 &&
	    (strcmp(s->name, "src") == 0 || strcmp(s->name, "jails") == 0 ||
	    strcmp(s->name, "ports4") == 0 || strcmp(s->name, "pubmark") == 0);
}

/* For CAPJAIL_FUZZ_TRACE: the links, their names, labels and master. */
void
fk_print_links(void)
{
	size_t i, k;

	for (i = 0; i < nlinks; i++) {
		const struct fk_link *l = &links[i];

		(void)fprintf(stderr, "  link %u %s", l->index, l->name);
		for (k = 0; k < l->nalt; k++)
			(void)fprintf(stderr, " alt %s", l->alt[k]);
		(void)fprintf(stderr, " group %u txqlen %u mac %02x:%02x:"
		    "%02x%02x%02x%02x master %u\n", l->group, l->txqlen,
		    l->mac[0], l->mac[1], l->mac[2], l->mac[3], l->mac[4],
		    l->mac[5], l->master);
	}
}

/* The index of the link with this name or altname, or 0. */
uint32_t
fk_ifindex(const char *name)
{
	const struct fk_link *l = find(name, 0);

	return l != NULL ? l->index : 0;
}

/* The jail links that garbage collection must keep, before it runs. */
static uint32_t good[FK_MAX_LINKS];
static size_t ngood;

void
fk_gc_start(const struct config *conf)
{
	uint32_t owner;
	size_t i, bi;

	for (ngood = 0, i = 0; i < nlinks; i++)
		if (jail_bridge(conf, &links[i], &bi, &owner) &&
		    jail_ok(conf, &links[i], bi, owner))
			good[ngood++] = links[i].index;
}

/*
 * NULL if the model is clean (and no jail link that was fine before the
 * collection, fk_gc_start, is gone: deleting links never makes another
 * one break its label), else what is wrong.
 */
const char *
fk_check_gc(const struct config *conf)
{
	static char why[128];
	unsigned int n;
	uint32_t owner;
	size_t i, bi;
	char tail, t[3];

	for (i = 0; i < conf->nbridges; i++) {
		tag_of(conf->bridges[i].name, t);
		if (strcmp(t, conf->bridges[i].tag) != 0) {
			(void)snprintf(why, sizeof(why), "bridge %s tagged %s, "
			    "not %s", conf->bridges[i].name,
			    conf->bridges[i].tag, t);
			return why;
		}
	}
	for (i = 0; i < ngood; i++)
		if (find(NULL, good[i]) == NULL) {
			(void)snprintf(why, sizeof(why), "link %u deleted, "
			    "its label kept", good[i]);
			ngood = 0;
			return why;
		}
	ngood = 0;
	for (i = 0; i < nlinks; i++)
		if (jail_bridge(conf, &links[i], &bi, &owner) &&
		    !jail_ok(conf, &links[i], bi, owner)) {
			(void)snprintf(why, sizeof(why), "link %s (%u) kept",
			    links[i].name, links[i].index);
			return why;
		}
	for (i = 0; i < nft.nelems; i++)
		if (per_jail(&nft.sets[nft.elems[i].set]) &&
		    !live_jail(conf, elem_owner(&nft.elems[i]))) {
			(void)snprintf(why, sizeof(why), "element of %s of "
			    "link %u kept", nft.sets[nft.elems[i].set].name,
			    elem_owner(&nft.elems[i]));
			return why;
		}
	for (i = 0; i < nft.nchains; i++)
		if (nft.chains[i].family == NFPROTO_NETDEV &&
		    strcmp(nft.chains[i].table, "capjail") == 0 &&
		    sscanf(nft.chains[i].name, "p%u%c", &n, &tail) == 1 &&
		    !live_jail(conf, n)) {
			(void)snprintf(why, sizeof(why), "chain %s kept",
			    nft.chains[i].name);
			return why;
		}
	return NULL;
}

/*
 * The names a jail's link holds: its name is its slot's, of the uid its
 * label says, on the bridge it is on; altnames for its netns ("cjn" + uid
 * + "-" + inode) and its address (the jail's MAC is 02:6a:address).
 */
static int
jail_named(const struct config *conf, const struct fk_link *l)
{
	char alt[FK_ALTNAMSIZ];
	const struct fk_link *m = find(NULL, l->master);
	uint32_t owner, a;
	size_t bi;

	if (strlen(l->name) != 15 || !jail_bridge(conf, l, &bi, &owner) ||
	    !labelled(l, owner) || m == NULL ||
	    strcmp(m->name, conf->bridges[bi].name) != 0)
		return 0;
	(void)snprintf(alt, sizeof(alt), "cjn%08x-%jx", owner,
	    (uintmax_t)l->peer_ns);
	if (named(l, alt) != 2)
		return 0;
	memcpy(&a, l->peer_mac + 2, 4);
	(void)snprintf(alt, sizeof(alt), "cj%08x", ntohl(a));
	return l->peer_mac[0] == 0x02 && l->peer_mac[1] == 0x6a &&
	    named(l, alt) == 2;
}

/*
 * Is all of the jail of link ifindex there (present: the link, on its
 * bridge, with its names; its port chain, on the link's name; its src and
 * both jails elements), or all of it gone (the link, the chain, every
 * element it owns)?  NULL if so.
 */
const char *
fk_check_jail(const struct config *conf, uint32_t ifindex, int present)
{
	static char why[96];
	const struct fk_link *l = find(NULL, ifindex);
	const struct fk_chain *c;
	const char *what = NULL;
	char name[16];
	size_t i, n = 0;

	(void)snprintf(name, sizeof(name), "p%u", ifindex);
	for (i = 0; i < nft.nelems; i++)
		if (per_jail(&nft.sets[nft.elems[i].set]) &&
		    elem_owner(&nft.elems[i]) == ifindex)
			n += present ? strcmp(nft.sets[nft.elems[i].set].name,
			    "src") == 0 || strcmp(nft.sets[nft.elems[i].set].name,
			    "jails") == 0 : 1;
	c = chain_of(NFPROTO_NETDEV, "capjail", name);
	if (present && (l == NULL || l->master == 0))
		what = "its link, on a bridge";
	else if (present && !jail_named(conf, l))
		what = "its link's names";
	else if (present != (c != NULL) ||
	    (present && strcmp(c->dev, l->name) != 0))
		what = "its port chain";
	else if ((present && n != 3) || (!present && n != 0))
		what = "its elements";
	else if (!present && l != NULL)
		what = "its link";
	if (what == NULL)
		return NULL;
	(void)snprintf(why, sizeof(why), "jail of link %u: %s %s", ifindex,
	    what, present ? "missing" : "left");
	return why;
}
