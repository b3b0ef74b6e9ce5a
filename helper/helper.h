/* SPDX-License-Identifier: ISC */
/*
 * capjail-net's private header: the parsed configuration, the netlink
 * socket wrapper and the module interfaces.  Everything here is derived
 * from the root-owned config file or from the kernel, never from a request.
 */
#ifndef CAPJAIL_HELPER_H
#define CAPJAIL_HELPER_H

#include <sys/types.h>
#include <net/if.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define CONF_MAX_BRIDGES	PROTO_MAX_GRANTS
#define CONF_MAX_GRANTS		64
#define CONF_MAX_PUBIF		8
#define NL_BUF_SIZE		(64 * 1024)

enum outbound { OUTBOUND_NONE = 0, OUTBOUND_NAT = 1 };

struct bridge_conf {
	char		name[IFNAMSIZ];
	struct in_addr	gateway;		/* the bridge's own address */
	uint32_t	prefixlen;		/* 8..30 */
	enum outbound	outbound;		/* outbound=none|nat */
	int		isolate;		/* isolate=yes|no (default yes) */
	int		forward;		/* forward=yes: set forwarding */
	size_t		npubif;
	char		pubif[CONF_MAX_PUBIF][IFNAMSIZ]; /* publish-from= */
};

enum grant_kind { GRANT_USER, GRANT_GROUP };

struct grant_conf {
	enum grant_kind	kind;
	uint32_t	id;			/* uid or gid, resolved at load */
	size_t		bridge;			/* index into config.bridges */
	uint32_t	jails;			/* jails=N, 1..1024 */
	uint16_t	port_lo, port_hi;	/* ports=LO-HI; 0-0: none */
	unsigned int	line;			/* for messages */
};

struct config {
	size_t			nbridges;
	struct bridge_conf	bridges[CONF_MAX_BRIDGES];
	size_t			ngrants;
	struct grant_conf	grants[CONF_MAX_GRANTS];
};

/* One netlink socket (NETLINK_ROUTE or NETLINK_NETFILTER). */
struct nl {
	struct mnl_socket	*sock;
	uint32_t		 portid;
	uint32_t		 seq;
};

/*
 * nl.c: the only netlink I/O.  nl_talk sends one message or one batch and
 * waits for nacks acks (0 or -1 with errno = the kernel's error); nl_dump
 * sends a dump request and runs cb on every data message until NLMSG_DONE.
 * nl_next_seq hands out sequence numbers for builders.
 */
struct nlmsghdr;
typedef int (*nl_cb)(const struct nlmsghdr *, void *);
int		nl_open(struct nl *, int);
void		nl_close(struct nl *);
uint32_t	nl_next_seq(struct nl *);
int		nl_talk(struct nl *, const void *, size_t, unsigned int);
int		nl_dump(struct nl *, const void *, size_t, nl_cb, void *);

/* config.c */
const struct bridge_conf *config_bridge(const struct config *, const char *);

#endif
