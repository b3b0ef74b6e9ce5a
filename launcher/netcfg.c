/* SPDX-License-Identifier: ISC */
/*
 * Network configuration inside the jail, run by the child in its own
 * network namespace: loopback up, and for --net=BRIDGE the helper's
 * interface (already named by it) with its MTU, up, its address and a
 * default route through the gateway.  The values come from a helper reply
 * that passed proto_check_rep; the kernel checks the rest.
 *
 * Through ioctls on an IPv4 datagram socket, not rtnetlink: the kernel
 * frees a netlink socket only after an RCU grace period, and until then
 * the socket holds its network namespace.  The helper waits at release
 * for the jail's namespace to take the veth with it, so one netlink socket
 * of PID 1 made a short command's exit wait a grace period (10-30 ms on a
 * quiet machine).  An unbound datagram socket is freed when closed.
 * Functions return 0, or -1 with errno.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

static int
inet_socket(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* Names come from opts.c, which checked that they fit (IFNAMSIZ). */
static void
req_name(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	(void)str_copy(ifr->ifr_name, name, sizeof(ifr->ifr_name));
}

/* The address, netmask and broadcast share one union member's place. */
static int
set_addr(int s, const char *name, unsigned long req, uint32_t addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr.s_addr = addr };
	struct ifreq ifr;

	req_name(&ifr, name);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(s, req, &ifr);
}

/* ifr holds the link's name and flags; the MTU first (0: leave it). */
static int
link_up(int s, struct ifreq *ifr, uint32_t mtu)
{
	short flags = ifr->ifr_flags;

	if (mtu != 0) {
		ifr->ifr_mtu = (int)mtu;
		if (ioctl(s, SIOCSIFMTU, ifr) == -1)
			return -1;
	}
	ifr->ifr_flags = (short)(flags | IFF_UP);
	return ioctl(s, SIOCSIFFLAGS, ifr);
}

/*
 * SIOCSIFADDR gives the address its class's prefix; the netmask then
 * replaces it and its subnet route, and the broadcast follows the mask.
 * The broadcast is still set explicitly, as rtnetlink's request did.
 */
static int
addr_add(int s, const char *name, const struct proto_attach_rep *a)
{
	uint32_t mask = htonl(~0u << (32 - a->prefixlen));

	if (set_addr(s, name, SIOCSIFADDR, a->addr) == -1 ||
	    set_addr(s, name, SIOCSIFNETMASK, mask) == -1)
		return -1;
	return set_addr(s, name, SIOCSIFBRDADDR, a->addr | ~mask);
}

static int
route_add(int s, const char *name, uint32_t gateway)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sockaddr_in gw = { .sin_family = AF_INET,
	    .sin_addr.s_addr = gateway };
	char dev[IFNAMSIZ];
	struct rtentry rt;

	memset(&rt, 0, sizeof(rt));
	memcpy(&rt.rt_dst, &any, sizeof(any));
	memcpy(&rt.rt_genmask, &any, sizeof(any));
	memcpy(&rt.rt_gateway, &gw, sizeof(gw));
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	(void)str_copy(dev, name, sizeof(dev));
	rt.rt_dev = dev;
	return ioctl(s, SIOCADDRT, &rt);
}

/* Close s, keeping errno; returns r. */
static int
close_with(int s, int r)
{
	int e = errno;

	(void)close(s);
	errno = e;
	return r;
}

int
netcfg_lo_up(void)
{
	struct ifreq ifr;
	int s;

	if ((s = inet_socket()) == -1)
		return -1;
	req_name(&ifr, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		return close_with(s, -1);
	return close_with(s, link_up(s, &ifr, 0));
}

/* The steps of netcfg_apply, on s; *what names the one that failed. */
static int
configure(int s, const char *ifname, const struct proto_attach_rep *a,
    const char **what)
{
	struct ifreq ifr;

	req_name(&ifr, ifname);
	*what = "find the interface";
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1)
		return -1;
	*what = "set up";
	if (link_up(s, &ifr, a->mtu) == -1)
		return -1;
	*what = "add address";
	if (addr_add(s, ifname, a) == -1)
		return -1;
	*what = "add default route";
	return route_add(s, ifname, a->gateway);
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
	int s;

	*what = "open a socket";
	if ((s = inet_socket()) == -1)
		return -1;
	return close_with(s, configure(s, ifname, a, what));
}
