/* SPDX-License-Identifier: ISC */
/*
 * The fuzzer's stand-in for helper/nl.c: the same five functions, with the
 * kernel replaced at the netlink-send boundary.  Every message the helper
 * would send is checked (well-formed, nothing trailing, the ack count the
 * caller expects matches the messages that ask for one) and recorded; link
 * requests update a small link table so that dumps answer like the kernel
 * would, and attach, publish and release run their whole course.  An error
 * can be injected into the Nth nl_talk of a request (fk_inject).
 */
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "helper.h"
#include "fuzz.h"

struct fk_link {
	char		name[IFNAMSIZ];
	char		alias[LINK_ALIAS_MAX];
	char		kind[16];
	uint32_t	index;
};

static struct fk_link links[FK_MAX_LINKS];
static size_t nlinks;
static uint32_t next_index;
static int inject_errno, inject_at, ntalks;
size_t fk_messages;

void
fk_reset(void)
{
	nlinks = 0;
	next_index = 10;
	inject_errno = 0;
}

void
fk_inject(int e, int at)
{
	inject_errno = e;
	inject_at = at;
	ntalks = 0;
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

static struct fk_link *
find(const char *name, uint32_t index)
{
	size_t i;

	for (i = 0; i < nlinks; i++)
		if ((index != 0 && links[i].index == index) ||
		    (index == 0 && name != NULL &&
		    strcmp(links[i].name, name) == 0))
			return &links[i];
	return NULL;
}

struct fk_attrs {
	const char *name, *alias, *kind;
};

static int
info_cb(const struct nlattr *a, void *data)
{
	struct fk_attrs *fa = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		fa->kind = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static int
link_cb(const struct nlattr *a, void *data)
{
	struct fk_attrs *fa = data;
	int t = mnl_attr_get_type(a);

	if ((t == IFLA_IFNAME || t == IFLA_IFALIAS) &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) != 0)
		abort();	/* the helper built a broken string */
	if (t == IFLA_IFNAME)
		fa->name = mnl_attr_get_str(a);
	else if (t == IFLA_IFALIAS)
		fa->alias = mnl_attr_get_str(a);
	else if (t == IFLA_LINKINFO)
		(void)mnl_attr_parse_nested(a, info_cb, fa);
	return MNL_CB_OK;
}

/* Apply one rtnetlink request to the link table, as the kernel would. */
static int
apply(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct fk_attrs fa = { NULL, NULL, NULL };
	struct fk_link *l;

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return 0;	/* addresses: nothing to remember */
	if (mnl_attr_parse(nlh, sizeof(*ifm), link_cb, &fa) != MNL_CB_OK)
		abort();
	l = find(fa.name, (uint32_t)ifm->ifi_index);
	if (nlh->nlmsg_type == RTM_DELLINK) {
		if (l == NULL)
			return ENODEV;
		*l = links[--nlinks];
		return 0;
	}
	if (l != NULL && (nlh->nlmsg_flags & NLM_F_EXCL))
		return EEXIST;
	if (l == NULL && !(nlh->nlmsg_flags & NLM_F_CREATE))
		return ENODEV;
	if (l == NULL) {
		if (fa.name == NULL || nlinks == FK_MAX_LINKS)
			return EINVAL;
		l = &links[nlinks++];
		memset(l, 0, sizeof(*l));
		(void)strlcpy(l->name, fa.name, sizeof(l->name));
		(void)strlcpy(l->kind, fa.kind ? fa.kind : "", sizeof(l->kind));
		l->index = next_index++;
	}
	if (fa.alias != NULL)
		(void)strlcpy(l->alias, fa.alias, sizeof(l->alias));
	return 0;
}

int
nl_talk(struct nl *nl, const void *buf, size_t len, unsigned int nacks)
{
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len, e = 0, r;
	unsigned int acks = 0;

	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		fk_messages++;
		if (nlh->nlmsg_flags & NLM_F_ACK)
			acks++;
		if (nl->portid == NETLINK_ROUTE && e == 0 &&
		    (r = apply(nlh)) != 0)
			e = r;
	}
	if (rest != 0 || acks != nacks || nacks == 0)
		abort();	/* a malformed request or a miscounted batch */
	if (inject_errno != 0 && ntalks++ == inject_at) {
		e = inject_errno;
		inject_errno = 0;
	}
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}

/* One RTM_NEWLINK as a link dump would carry it. */
static int
report(const struct fk_link *l, nl_cb cb, void *arg)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *info;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = (int)l->index;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, l->name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (l->alias[0] != '\0')
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, l->alias);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, l->kind);
	mnl_attr_nest_end(nlh, info);
	return cb(nlh, arg) == MNL_CB_ERROR ? -1 : 0;
}

/* Link dumps and gets answer from the table; nftables lists are empty. */
int
nl_dump(struct nl *nl, const void *buf, size_t len, nl_cb cb, void *arg)
{
	const struct nlmsghdr *nlh = buf;
	struct fk_attrs fa = { NULL, NULL, NULL };
	size_t i;

	if (!mnl_nlmsg_ok(nlh, (int)len) || nlh->nlmsg_len != len)
		abort();
	fk_messages++;
	if (nl->portid != NETLINK_ROUTE || nlh->nlmsg_type != RTM_GETLINK)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_cb,
	    &fa) != MNL_CB_OK)
		abort();
	if (fa.name != NULL) {
		const struct fk_link *l = find(fa.name, 0);

		if (l == NULL) {
			errno = ENODEV;
			return -1;
		}
		return report(l, cb, arg);
	}
	for (i = 0; i < nlinks; i++)
		if (report(&links[i], cb, arg) == -1)
			return -1;
	return 0;
}
