/* SPDX-License-Identifier: ISC */
/*
 * rtnetlink request builders (after libmnl's rtnl-link-set.c): each writes
 * one request into a buffer of LINK_BUF_SIZE bytes that the caller owns
 * and sends through nl.c.  No I/O here, so tests can parse the bytes back.
 * The names and values come from the helper (the config, the lease) or
 * from request fields proto_check_req has already checked; nothing here
 * trusts its arguments beyond that.
 */
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/if_bridge.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <err.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "helper.h"

/* A message header plus its ifinfomsg; every link request starts so. */
static struct nlmsghdr *
put_link_hdr(void *buf, uint16_t type, uint16_t flags, uint32_t seq,
    struct ifinfomsg **ifm)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	*ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifm));
	(*ifm)->ifi_family = AF_UNSPEC;
	return nlh;
}

/*
 * Every caller passes a LINK_BUF_SIZE buffer and every message here is far
 * smaller, so a short buffer or an overflow is a bug in the helper: stop
 * before the kernel ever sees a truncated request.
 */
static void
need(size_t size)
{
	if (size < LINK_BUF_SIZE)
		errx(1, "link request: buffer of %zu bytes", size);
}

static struct nlmsghdr *
fits(struct nlmsghdr *nlh, size_t size)
{
	if (nlh->nlmsg_len > size)
		errx(1, "link request: %u bytes overflow %zu",
		    (unsigned)nlh->nlmsg_len, size);
	return nlh;
}

/*
 * A veth pair: host side named by the lease and labelled at birth with
 * its owner (IFLA_GROUP), its netns and the quota it was made under (the
 * host side's MAC and txqueuelen, see lease.c), all of which the kernel
 * honours in the creating RTM_NEWLINK (it drops IFLA_IFALIAS there).  It
 * is created down and without a master; the peer is created directly in
 * the jail's netns (IFLA_NET_NS_FD) with the name the caller wants and the
 * MAC the helper chose.
 */
struct nlmsghdr *
link_new_veth(void *buf, size_t size, uint32_t seq, const struct link_veth *v)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm, *peer;
	struct nlattr *info, *data, *nest;

	need(size);
	nlh = put_link_hdr(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL, seq, &ifm);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->host);
	mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	mnl_attr_put_u32(nlh, IFLA_GROUP, v->label.group);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, v->label.txqlen);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(v->label.mac), v->label.mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	peer = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer));
	peer->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->peer);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(v->peer_mac), v->peer_mac);
	mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)v->netns_fd);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return fits(nlh, size);
}

/*
 * A bridge, up.  Its MAC is set explicitly: a bridge with an assigned
 * address keeps it, instead of taking the lowest port's MAC, so the jails'
 * gateway MAC does not change as jails come and go.
 */
struct nlmsghdr *
link_new_bridge(void *buf, size_t size, uint32_t seq, const char *name,
    const uint8_t mac[6])
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info;

	need(size);
	nlh = put_link_hdr(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL, seq, &ifm);
	ifm->ifi_change = ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return fits(nlh, size);
}

/* The bridge's gateway address, with its subnet's broadcast address. */
struct nlmsghdr *
link_new_addr(void *buf, size_t size, uint32_t seq, uint32_t ifindex,
    struct in_addr addr, uint32_t prefixlen)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t bcast;

	need(size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	bcast = addr.s_addr | htonl(~(~0u << (32 - prefixlen)));
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr.s_addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr.s_addr);
	mnl_attr_put_u32(nlh, IFA_BROADCAST, bcast);
	return fits(nlh, size);
}

/* Enslave to the bridge, still down. */
struct nlmsghdr *
link_set_master(void *buf, size_t size, uint32_t seq, uint32_t ifindex,
    uint32_t master)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	need(size);
	nlh = put_link_hdr(buf, RTM_NEWLINK, NLM_F_ACK, seq, &ifm);
	ifm->ifi_index = (int)ifindex;
	mnl_attr_put_u32(nlh, IFLA_MASTER, master);
	return fits(nlh, size);
}

/*
 * The jail's bridge port, in one message so no frame passes before the
 * flags are set: isolated (isolate=yes: isolated ports reach only
 * non-isolated ones, such as the bridge itself); no learning (the jail's
 * MAC is a static entry, link_new_fdb, so no frame can move it or any
 * other MAC onto this port); no unknown-unicast or multicast flooding
 * into the jail; then up.  The port must already be enslaved: the kernel
 * takes slave data from the master's link ops.
 */
struct nlmsghdr *
link_set_port_up(void *buf, size_t size, uint32_t seq, uint32_t ifindex,
    int isolated)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info, *data;

	need(size);
	nlh = put_link_hdr(buf, RTM_NEWLINK, NLM_F_ACK, seq, &ifm);
	ifm->ifi_index = (int)ifindex;
	ifm->ifi_change = ifm->ifi_flags = IFF_UP;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, isolated ? 1 : 0);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_LEARNING, 0);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_UNICAST_FLOOD, 0);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MCAST_FLOOD, 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return fits(nlh, size);
}

/*
 * No IPv6 link-local address on the host side (addrgenmode none): the
 * port is a wire, not a host interface.  The kernel accepts this only on
 * an existing link, so it is a message of its own, sent while the link is
 * still down (addresses are generated on the way up).
 */
struct nlmsghdr *
link_set_no_ll6(void *buf, size_t size, uint32_t seq, uint32_t ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *spec, *inet6;

	need(size);
	nlh = put_link_hdr(buf, RTM_NEWLINK, NLM_F_ACK, seq, &ifm);
	ifm->ifi_index = (int)ifindex;
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return fits(nlh, size);
}

/*
 * The jail's MAC as a static (not local) FDB entry on its own port:
 * "bridge fdb replace MAC dev PORT master static".  Replace, because an
 * entry for this MAC elsewhere can only be stale: the MAC names the
 * address whose link we hold.
 */
struct nlmsghdr *
link_new_fdb(void *buf, size_t size, uint32_t seq, uint32_t ifindex,
    const uint8_t mac[6])
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	need(size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_REPLACE;
	nlh->nlmsg_seq = seq;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_ifindex = (int)ifindex;
	ndm->ndm_state = NUD_NOARP;
	ndm->ndm_flags = NTF_MASTER;
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return fits(nlh, size);
}

/* forward=yes: net.ipv4.conf.NAME.forwarding = 1, without /proc. */
struct nlmsghdr *
link_set_forwarding(void *buf, size_t size, uint32_t seq, const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *spec, *inet, *conf;

	need(size);
	nlh = put_link_hdr(buf, RTM_NEWLINK, NLM_F_ACK, seq, &ifm);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_FORWARDING, 1);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	mnl_attr_nest_end(nlh, spec);
	return fits(nlh, size);
}

/* A request about one link, by its index: never 0. */
static struct nlmsghdr *
by_index(void *buf, size_t size, uint16_t type, uint32_t seq,
    uint32_t ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	need(size);
	if (ifindex == 0)
		errx(1, "link request %u: no index", type);
	nlh = put_link_hdr(buf, type, NLM_F_ACK, seq, &ifm);
	ifm->ifi_index = (int)ifindex;
	return nlh;
}

/*
 * Delete by index, never by name: an index is not reused for 2^31 links,
 * a name is reused by the next lease of the same address.
 */
struct nlmsghdr *
link_del(void *buf, size_t size, uint32_t seq, uint32_t ifindex)
{
	return fits(by_index(buf, size, RTM_DELLINK, seq, ifindex), size);
}

/*
 * Get one link by name or alternative name (answered by the link and an
 * ack), or dump all.  The kernel cuts IFLA_IFNAME at IFNAMSIZ, so a longer
 * (alternative) name goes as IFLA_ALT_IFNAME.
 */
struct nlmsghdr *
link_get(void *buf, size_t size, uint32_t seq, const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	need(size);
	nlh = put_link_hdr(buf, RTM_GETLINK, name ? NLM_F_ACK : NLM_F_DUMP,
	    seq, &ifm);
	if (name != NULL)
		mnl_attr_put_strz(nlh, strlen(name) < IFNAMSIZ ? IFLA_IFNAME :
		    IFLA_ALT_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return fits(nlh, size);
}

/*
 * Give a link an alternative name.  Names and alternative names share one
 * namespace per netns, checked under the rtnl lock: EEXIST if any link
 * has it, so holding a name is holding a lease that ends with the link.
 */
struct nlmsghdr *
link_add_altname(void *buf, size_t size, uint32_t seq, uint32_t ifindex,
    const char *name)
{
	struct nlmsghdr *nlh = by_index(buf, size, RTM_NEWLINKPROP, seq,
	    ifindex);
	struct nlattr *list;

	nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	list = mnl_attr_nest_start(nlh, IFLA_PROP_LIST);
	mnl_attr_put_strz(nlh, IFLA_ALT_IFNAME, name);
	mnl_attr_nest_end(nlh, list);
	return fits(nlh, size);
}

/* Get one link by index (answered by the link and an ack, or ENODEV). */
struct nlmsghdr *
link_get_index(void *buf, size_t size, uint32_t seq, uint32_t ifindex)
{
	struct nlmsghdr *nlh = by_index(buf, size, RTM_GETLINK, seq, ifindex);

	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return fits(nlh, size);
}
