/* SPDX-License-Identifier: ISC */
/*
 * Network configuration inside the jail, over rtnetlink with libmnl, run by
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

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "launcher.h"

/* Send one request and wait for its ack: the one netlink I/O function. */
static int
nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1)
		return -1;
	if (mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL,
	    NULL) == MNL_CB_ERROR)
		return -1;
	return 0;
}

static struct mnl_socket *
nl_open(void)
{
	struct mnl_socket *nl;

	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		int saved = errno;

		mnl_socket_close(nl);
		errno = saved;
		return NULL;
	}
	return nl;
}

static struct nlmsghdr *
put_header(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	return nlh;
}

/* By index, or by name when index is 0 (the kernel looks it up). */
static int
link_up(struct mnl_socket *nl, unsigned int index, const char *name,
    uint32_t mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm;

	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)index;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	if (index == 0)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mtu != 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_talk(nl, nlh);
}

static int
addr_add(struct mnl_socket *nl, unsigned int index,
    const struct proto_attach_rep *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_header(buf, RTM_NEWADDR,
	    NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa;
	uint32_t mask = htonl(~0u << (32 - a->prefixlen));
	uint32_t brd = a->addr | ~mask;

	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)a->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a->addr), &a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a->addr), &a->addr);
	mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	return nl_talk(nl, nlh);
}

static int
route_add(struct mnl_socket *nl, unsigned int index, uint32_t gateway)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_header(buf, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm;

	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gateway), &gateway);
	mnl_attr_put_u32(nlh, RTA_OIF, index);
	return nl_talk(nl, nlh);
}

int
netcfg_lo_up(void)
{
	struct mnl_socket *nl;
	int r, saved;

	if ((nl = nl_open()) == NULL)
		return -1;
	r = link_up(nl, 0, "lo", 0);
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
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
	struct mnl_socket *nl;
	unsigned int index;
	int r = -1, saved;

	*what = "find the interface";
	if ((index = if_nametoindex(ifname)) == 0)
		return -1;
	*what = "open rtnetlink";
	if ((nl = nl_open()) == NULL)
		return -1;
	*what = "set up";
	if (link_up(nl, index, ifname, a->mtu) == 0) {
		*what = "add address";
		if (addr_add(nl, index, a) == 0) {
			*what = "add default route";
			r = route_add(nl, index, a->gateway);
		}
	}
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return r;
}
