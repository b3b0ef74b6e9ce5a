/* SPDX-License-Identifier: ISC */
/*
 * helper/link.c: every rtnetlink builder writes its request into a
 * buffer; we parse the bytes back with libmnl and compare each header
 * field and attribute with what was asked for, as the kernel will read
 * them.  Also: a too-small buffer is refused, and lease names.
 */
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <arpa/inet.h>

#include <string.h>

#include <libmnl/libmnl.h>

#include "helper.h"
#include "tap.h"

#define TB_MAX	256

static char buf[LINK_BUF_SIZE];

static int
collect(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) < TB_MAX)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* Parse the attributes after a header of hdrlen bytes. */
static const struct nlattr **
attrs(const struct nlmsghdr *nlh, size_t hdrlen)
{
	static const struct nlattr *tb[TB_MAX];

	memset(tb, 0, sizeof(tb));
	if (mnl_attr_parse(nlh, (unsigned int)hdrlen, collect, tb) != MNL_CB_OK)
		diag("mnl_attr_parse failed");
	return tb;
}

static const struct nlattr **
nested(const struct nlattr *nest, const struct nlattr **tb, size_t skip)
{
	memset(tb, 0, TB_MAX * sizeof(*tb));
	if (nest == NULL || mnl_attr_parse_payload((const char *)
	    mnl_attr_get_payload(nest) + skip, mnl_attr_get_payload_len(nest) -
	    skip, collect, tb) != MNL_CB_OK)
		diag("nested parse failed");
	return tb;
}

static int
str_is(const struct nlattr *a, const char *s)
{
	return a != NULL && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
	    strcmp(mnl_attr_get_str(a), s) == 0;
}

static int
u32_is(const struct nlattr *a, uint32_t v)
{
	return a != NULL && mnl_attr_get_payload_len(a) == 4 &&
	    mnl_attr_get_u32(a) == v;
}

static void
test_veth(void)
{
	struct link_veth v = { .host = "cj0a590002", .peer = "eth0",
	    .peer_mac = { 2, 0x6a, 10, 89, 0, 2 }, .mtu = 1400, .netns_fd = 9,
	    .label = { 1001, 4, { LABEL_MAC0, LABEL_MAC1, 0xf0, 0, 1, 2 } } };
	const struct nlattr *info[TB_MAX], *data[TB_MAX], *peer[TB_MAX], **tb;
	struct nlmsghdr *nlh = link_new_veth(buf, sizeof(buf), 7, &v);
	const struct ifinfomsg *pifm;

	ok(nlh != NULL && nlh->nlmsg_type == RTM_NEWLINK && nlh->nlmsg_seq == 7 &&
	    nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL), "veth: RTM_NEWLINK, create exclusively, with ack");
	tb = attrs(nlh, sizeof(struct ifinfomsg));
	ok(str_is(tb[IFLA_IFNAME], "cj0a590002") && u32_is(tb[IFLA_MTU], 1400),
	    "veth: host name and MTU");
	ok(tb[IFLA_MASTER] == NULL && ((struct ifinfomsg *)
	    mnl_nlmsg_get_payload(nlh))->ifi_flags == 0,
	    "veth: created down and without a master");
	nested(tb[IFLA_LINKINFO], info, 0);
	ok(str_is(info[IFLA_INFO_KIND], "veth"), "veth: kind veth");
	nested(info[IFLA_INFO_DATA], data, 0);
	ok(data[VETH_INFO_PEER] != NULL, "veth: a peer nest");
	pifm = mnl_attr_get_payload(data[VETH_INFO_PEER]);
	ok(pifm->ifi_family == AF_UNSPEC && pifm->ifi_index == 0,
	    "veth: the peer nest starts with its own ifinfomsg");
	nested(data[VETH_INFO_PEER], peer, sizeof(struct ifinfomsg));
	ok(str_is(peer[IFLA_IFNAME], "eth0") && u32_is(peer[IFLA_MTU], 1400),
	    "veth: peer name and MTU");
	ok(u32_is(peer[IFLA_NET_NS_FD], 9), "veth: peer moved by netns fd");
	ok(peer[IFLA_ADDRESS] != NULL &&
	    mnl_attr_get_payload_len(peer[IFLA_ADDRESS]) == 6 &&
	    memcmp(mnl_attr_get_payload(peer[IFLA_ADDRESS]), v.peer_mac, 6) == 0,
	    "veth: peer MAC");
	ok(u32_is(tb[IFLA_GROUP], 1001) && u32_is(tb[IFLA_TXQLEN], 4) &&
	    tb[IFLA_ADDRESS] != NULL &&
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6 &&
	    memcmp(mnl_attr_get_payload(tb[IFLA_ADDRESS]), v.label.mac, 6) == 0,
	    "veth: born labelled (group = uid, txqlen = quota, MAC = netns)");
}

static void
test_bridge(void)
{
	const uint8_t mac[6] = { 2, 0x62, 10, 89, 0, 1 };
	const struct nlattr *info[TB_MAX], **tb;
	struct nlmsghdr *nlh = link_new_bridge(buf, sizeof(buf), 8, "capjail0",
	    mac);
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct ifaddrmsg *ifa;
	struct in_addr gw = { htonl(0x0a590001) };

	ok(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL) && ifm->ifi_flags == IFF_UP && ifm->ifi_change == IFF_UP,
	    "bridge: created exclusively, up");
	tb = attrs(nlh, sizeof(*ifm));
	nested(tb[IFLA_LINKINFO], info, 0);
	ok(str_is(tb[IFLA_IFNAME], "capjail0") &&
	    str_is(info[IFLA_INFO_KIND], "bridge"), "bridge: name and kind");
	ok(tb[IFLA_ADDRESS] != NULL &&
	    memcmp(mnl_attr_get_payload(tb[IFLA_ADDRESS]), mac, 6) == 0,
	    "bridge: fixed MAC");
	nlh = link_new_addr(buf, sizeof(buf), 9, 4, gw, 24);
	ifa = mnl_nlmsg_get_payload(nlh);
	ok(nlh->nlmsg_type == RTM_NEWADDR && ifa->ifa_family == AF_INET &&
	    ifa->ifa_prefixlen == 24 && ifa->ifa_index == 4,
	    "address: AF_INET /24 on index 4");
	tb = attrs(nlh, sizeof(*ifa));
	ok(u32_is(tb[IFA_LOCAL], gw.s_addr) && u32_is(tb[IFA_ADDRESS],
	    gw.s_addr) && u32_is(tb[IFA_BROADCAST], htonl(0x0a5900ff)),
	    "address: local, address, broadcast");
}

static void
test_set(void)
{
	static const uint8_t mac[6] = { 2, 0x6a, 10, 89, 0, 2 };
	static const struct nlattr *spec[TB_MAX], *inet6[TB_MAX];
	const struct nlattr **tb;
	struct nlmsghdr *nlh;
	const struct ifinfomsg *ifm;
	const struct ndmsg *ndm;

	nlh = link_set_master(buf, sizeof(buf), 11, 12, 4);
	ifm = mnl_nlmsg_get_payload(nlh);
	tb = attrs(nlh, sizeof(*ifm));
	ok(ifm->ifi_index == 12 && ifm->ifi_flags == 0 &&
	    ifm->ifi_change == 0 && u32_is(tb[IFLA_MASTER], 4),
	    "master: index 12 onto 4, still down");
	nlh = link_del(buf, sizeof(buf), 12, 12);
	ifm = mnl_nlmsg_get_payload(nlh);
	tb = attrs(nlh, sizeof(*ifm));
	ok(nlh->nlmsg_type == RTM_DELLINK && ifm->ifi_index == 12 &&
	    tb[IFLA_IFNAME] == NULL, "delete: by index, never by name");
	nlh = link_set_no_ll6(buf, sizeof(buf), 15, 12);
	ifm = mnl_nlmsg_get_payload(nlh);
	tb = attrs(nlh, sizeof(*ifm));
	nested(tb[IFLA_AF_SPEC], spec, 0);
	nested(spec[AF_INET6], inet6, 0);
	ok(ifm->ifi_index == 12 && ifm->ifi_change == 0 &&
	    inet6[IFLA_INET6_ADDR_GEN_MODE] != NULL &&
	    mnl_attr_get_u8(inet6[IFLA_INET6_ADDR_GEN_MODE]) ==
	    IN6_ADDR_GEN_MODE_NONE, "no IPv6 link-local: addrgenmode none");
	nlh = link_new_fdb(buf, sizeof(buf), 16, 12, mac);
	ndm = mnl_nlmsg_get_payload(nlh);
	tb = attrs(nlh, sizeof(*ndm));
	ok(nlh->nlmsg_type == RTM_NEWNEIGH && ndm->ndm_family == AF_BRIDGE &&
	    ndm->ndm_ifindex == 12 && ndm->ndm_state == NUD_NOARP &&
	    ndm->ndm_flags == NTF_MASTER && tb[NDA_LLADDR] != NULL &&
	    memcmp(mnl_attr_get_payload(tb[NDA_LLADDR]), mac, 6) == 0,
	    "fdb: the jail's MAC static (not local) on its port");
}

static void
test_get(void)
{
	const struct nlattr **tb;
	struct nlmsghdr *nlh;
	struct in_addr a = { htonl(0x0a590002) };
	char name[IFNAMSIZ];

	nlh = link_get(buf, sizeof(buf), 13, NULL);
	tb = attrs(nlh, sizeof(struct ifinfomsg));
	ok(nlh->nlmsg_type == RTM_GETLINK && (nlh->nlmsg_flags & NLM_F_DUMP) ==
	    NLM_F_DUMP && tb[IFLA_IFNAME] == NULL &&
	    u32_is(tb[IFLA_EXT_MASK], RTEXT_FILTER_SKIP_STATS),
	    "get: a dump without statistics");
	nlh = link_get(buf, sizeof(buf), 14, "cj0a590002");
	tb = attrs(nlh, sizeof(struct ifinfomsg));
	ok(!(nlh->nlmsg_flags & NLM_F_DUMP) && (nlh->nlmsg_flags & NLM_F_ACK) &&
	    str_is(tb[IFLA_IFNAME], "cj0a590002"), "get: one link by name");
	ok(tb[IFLA_ALT_IFNAME] == NULL && ((struct ifinfomsg *)
	    mnl_nlmsg_get_payload(nlh))->ifi_index == 0 &&
	    u32_is(tb[IFLA_EXT_MASK], RTEXT_FILTER_SKIP_STATS),
	    "get: a short name as IFLA_IFNAME only, no index");
	/* 15 characters: the longest IFLA_IFNAME the kernel takes whole */
	nlh = link_get(buf, sizeof(buf), 15, "cj000003e9q4001");
	tb = attrs(nlh, sizeof(struct ifinfomsg));
	ok(str_is(tb[IFLA_IFNAME], "cj000003e9q4001") &&
	    tb[IFLA_ALT_IFNAME] == NULL, "get: 15 characters as IFLA_IFNAME");
	/* IFNAMSIZ and more: the kernel would cut IFLA_IFNAME at IFNAMSIZ */
	nlh = link_get(buf, sizeof(buf), 16, "cjn000003e9-f0000190");
	tb = attrs(nlh, sizeof(struct ifinfomsg));
	ok(nlh->nlmsg_type == RTM_GETLINK && nlh->nlmsg_seq == 16 &&
	    nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK) &&
	    ((struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))->ifi_index == 0 &&
	    str_is(tb[IFLA_ALT_IFNAME], "cjn000003e9-f0000190") &&
	    tb[IFLA_IFNAME] == NULL &&
	    u32_is(tb[IFLA_EXT_MASK], RTEXT_FILTER_SKIP_STATS),
	    "get: a long (alternative) name as IFLA_ALT_IFNAME, not IFLA_IFNAME");
	nlh = link_get(buf, sizeof(buf), 17, "cjn000003e9-f00001");
	tb = attrs(nlh, sizeof(struct ifinfomsg));
	ok(str_is(tb[IFLA_ALT_IFNAME], "cjn000003e9-f00001") &&
	    tb[IFLA_IFNAME] == NULL, "get: %d characters as IFLA_ALT_IFNAME",
	    (int)strlen("cjn000003e9-f00001"));
	nlh = link_get(buf, sizeof(buf), 18, "cjn000003e9-f000");
	tb = attrs(nlh, sizeof(struct ifinfomsg));
	ok(strlen("cjn000003e9-f000") == IFNAMSIZ &&
	    str_is(tb[IFLA_ALT_IFNAME], "cjn000003e9-f000") &&
	    tb[IFLA_IFNAME] == NULL, "get: IFNAMSIZ characters as "
	    "IFLA_ALT_IFNAME");
	lease_host_name(name, a);
	ok(strcmp(name, "cj0a590002") == 0, "lease name for 10.89.0.2");
	a.s_addr = htonl(0xfffffffe);
	lease_host_name(name, a);
	ok(strcmp(name, "cjfffffffe") == 0, "lease names fit IFNAMSIZ");
}

/*
 * An alternative name: RTM_NEWLINKPROP by index, created exclusively
 * (EEXIST if any link has the name), the name inside IFLA_PROP_LIST.
 */
static void
test_altname(void)
{
	static const struct nlattr *props[TB_MAX];
	static const char *const names[] = { "cj0a590002",
	    "cjn000003e9-f0000190" };
	const struct nlattr **tb, *a;
	const struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	size_t i;
	int n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		nlh = link_add_altname(buf, sizeof(buf), 21, 12, names[i]);
		ifm = mnl_nlmsg_get_payload(nlh);
		ok(nlh->nlmsg_type == RTM_NEWLINKPROP && nlh->nlmsg_seq == 21 &&
		    nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK |
		    NLM_F_CREATE | NLM_F_EXCL) &&
		    nlh->nlmsg_len == mnl_nlmsg_size(sizeof(*ifm) +
		    MNL_ALIGN(MNL_ATTR_HDRLEN + MNL_ALIGN(MNL_ATTR_HDRLEN +
		    strlen(names[i]) + 1))),
		    "altname %s: RTM_NEWLINKPROP, create exclusively, with "
		    "ack, nothing more", names[i]);
		ok(ifm->ifi_family == AF_UNSPEC && ifm->ifi_index == 12 &&
		    ifm->ifi_flags == 0 && ifm->ifi_change == 0,
		    "altname %s: by index, no flags changed", names[i]);
		tb = attrs(nlh, sizeof(*ifm));
		ok(tb[IFLA_IFNAME] == NULL && tb[IFLA_ALT_IFNAME] == NULL &&
		    tb[IFLA_PROP_LIST] != NULL, "altname %s: only a "
		    "property list, no name outside it", names[i]);
		nested(tb[IFLA_PROP_LIST], props, 0);
		n = 0;
		mnl_attr_for_each_nested(a, tb[IFLA_PROP_LIST])
			n++;
		ok(n == 1 && str_is(props[IFLA_ALT_IFNAME], names[i]),
		    "altname %s: IFLA_PROP_LIST holds one IFLA_ALT_IFNAME, "
		    "the name", names[i]);
	}
}

/* The port flags and forwarding: the nests the kernel walks. */
static void
test_port(void)
{
	static const struct nlattr *info[TB_MAX], *data[TB_MAX], *inet[TB_MAX],
	    *conf[TB_MAX], *spec[TB_MAX];
	const struct nlattr **tb;
	const struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	int iso;

	for (iso = 0; iso < 2; iso++) {
		nlh = link_set_port_up(buf, sizeof(buf), 13, 12, iso);
		ifm = mnl_nlmsg_get_payload(nlh);
		tb = attrs(nlh, sizeof(*ifm));
		nested(tb[IFLA_LINKINFO], info, 0);
		nested(info[IFLA_INFO_SLAVE_DATA], data, 0);
		ok(ifm->ifi_index == 12 && ifm->ifi_flags == IFF_UP &&
		    ifm->ifi_change == IFF_UP &&
		    data[IFLA_BRPORT_ISOLATED] != NULL &&
		    mnl_attr_get_u8(data[IFLA_BRPORT_ISOLATED]) == iso &&
		    data[IFLA_BRPORT_LEARNING] != NULL &&
		    mnl_attr_get_u8(data[IFLA_BRPORT_LEARNING]) == 0 &&
		    data[IFLA_BRPORT_UNICAST_FLOOD] != NULL &&
		    mnl_attr_get_u8(data[IFLA_BRPORT_UNICAST_FLOOD]) == 0 &&
		    data[IFLA_BRPORT_MCAST_FLOOD] != NULL &&
		    mnl_attr_get_u8(data[IFLA_BRPORT_MCAST_FLOOD]) == 0 &&
		    info[IFLA_INFO_KIND] == NULL,
		    "port: up, isolated=%d, no learning, no flooding", iso);
	}
	nlh = link_set_forwarding(buf, sizeof(buf), 14, "capjail0");
	ifm = mnl_nlmsg_get_payload(nlh);
	tb = attrs(nlh, sizeof(*ifm));
	nested(tb[IFLA_AF_SPEC], spec, 0);
	nested(spec[AF_INET], inet, 0);
	nested(inet[IFLA_INET_CONF], conf, 0);
	ok(ifm->ifi_index == 0 && ifm->ifi_change == 0 &&
	    (nlh->nlmsg_flags & NLM_F_CREATE) == 0 &&
	    str_is(tb[IFLA_IFNAME], "capjail0") &&
	    u32_is(conf[IPV4_DEVCONF_FORWARDING], 1),
	    "forwarding: by name, never created, devconf forwarding=1");
}

int
main(void)
{
	test_veth();
	test_bridge();
	test_set();
	test_get();
	test_altname();
	test_port();
	return done_testing();
}
