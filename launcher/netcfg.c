/* SPDX-License-Identifier: ISC */
/*
 * Network configuration inside the jail, over rtnetlink (nlmsg.c), run by
 * the child in its own network namespace: loopback up, and for --net=BRIDGE
 * the helper's interface (already named by it) up with its address, MTU and
 * a default route through the gateway.  The values come from a helper
 * reply that passed proto_check_rep; the kernel checks the rest.
 * Functions return 0, or -1 with errno.
 */
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <string.h>

#include "launcher.h"

/* By index, or by name when index is 0 (the kernel looks it up). */
static int
link_up(const struct nlmsg_sock *nl, unsigned int index, const char *name,
    uint32_t mtu)
{
	struct nlmsg_req req;
	struct ifinfomsg ifm = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = (int)index,
		.ifi_change = IFF_UP,
		.ifi_flags = IFF_UP,
	};

	nlmsg_start(&req, RTM_NEWLINK, 0, &ifm, sizeof(ifm));
	if (index == 0)
		nlmsg_put(&req, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu != 0)
		nlmsg_put(&req, IFLA_MTU, &mtu, sizeof(mtu));
	return nlmsg_talk(nl, &req);
}

static int
addr_add(const struct nlmsg_sock *nl, unsigned int index,
    const struct proto_attach_rep *a)
{
	struct nlmsg_req req;
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET,
		.ifa_prefixlen = (unsigned char)a->prefixlen,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = index,
	};
	uint32_t mask = htonl(~0u << (32 - a->prefixlen));
	uint32_t brd = a->addr | ~mask;

	nlmsg_start(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa,
	    sizeof(ifa));
	nlmsg_put(&req, IFA_LOCAL, &a->addr, sizeof(a->addr));
	nlmsg_put(&req, IFA_ADDRESS, &a->addr, sizeof(a->addr));
	nlmsg_put(&req, IFA_BROADCAST, &brd, sizeof(brd));
	return nlmsg_talk(nl, &req);
}

static int
route_add(const struct nlmsg_sock *nl, uint32_t oif, uint32_t gateway)
{
	struct nlmsg_req req;
	struct rtmsg rtm = {
		.rtm_family = AF_INET,
		.rtm_dst_len = 0,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};

	nlmsg_start(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm,
	    sizeof(rtm));
	nlmsg_put(&req, RTA_GATEWAY, &gateway, sizeof(gateway));
	nlmsg_put(&req, RTA_OIF, &oif, sizeof(oif));
	return nlmsg_talk(nl, &req);
}

int
netcfg_lo_up(void)
{
	struct nlmsg_sock nl;
	int r;

	if (nlmsg_open(&nl, NETLINK_ROUTE) == -1)
		return -1;
	r = link_up(&nl, 0, "lo", 0);
	nlmsg_close(&nl);
	return r;
}

/*
 * Up before the address, so the kernel adds the subnet route at once;
 * the subnet route before the default route, whose gateway it reaches.
 * *what names the step that failed.
 */
int
netcfg_apply(const char *ifname, const struct proto_attach_rep *a,
    const char **what)
{
	struct nlmsg_sock nl;
	unsigned int index;
	int r = -1;

	*what = "find the interface";
	if ((index = if_nametoindex(ifname)) == 0)
		return -1;
	*what = "open rtnetlink";
	if (nlmsg_open(&nl, NETLINK_ROUTE) == -1)
		return -1;
	*what = "set up";
	if (link_up(&nl, index, ifname, a->mtu) == 0) {
		*what = "add address";
		if (addr_add(&nl, index, a) == 0) {
			*what = "add default route";
			r = route_add(&nl, index, a->gateway);
		}
	}
	nlmsg_close(&nl);
	return r;
}
