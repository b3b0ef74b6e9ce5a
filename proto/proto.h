/* SPDX-License-Identifier: ISC */
/*
 * The capjail-net wire protocol: fixed-size request and reply structs sent
 * as single datagrams over an AF_UNIX SOCK_SEQPACKET socketpair.  This header
 * is shared by the unprivileged launcher and the privileged helper; nothing
 * here trusts the peer.  proto/README.md describes the layout for writers of
 * other clients.
 */
#ifndef CAPJAIL_PROTO_H
#define CAPJAIL_PROTO_H

#include <sys/socket.h>
#include <net/if.h>

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC	0x434a4e54u	/* "CJNT" */
#define PROTO_VERSION	3u		/* 2: PROTO_F_LAST; 3: slot_hint */
#define PROTO_SOCK_FD	3		/* the helper's end of the socketpair */
#define PROTO_TEXT_LEN	96		/* human-readable error text in replies */
#define PROTO_MAX_GRANTS 8		/* bridges listed in a check reply */

enum proto_type {
	PROTO_NONE = 0,			/* never valid */
	PROTO_ATTACH_VETH = 1,		/* carries the jail's netns fd */
	PROTO_PUBLISH_PORT = 2,
	PROTO_CHECK_GRANTS = 3,
	PROTO_RELEASE_ALL = 4,
	PROTO_TYPE_MAX = PROTO_RELEASE_ALL
};

/* Every message, both directions, starts with this header. */
struct proto_hdr {
	uint32_t magic;			/* PROTO_MAGIC */
	uint32_t version;		/* PROTO_VERSION */
	uint32_t type;			/* enum proto_type */
	uint32_t seq;			/* chosen by the client, echoed */
	uint32_t flags;			/* PROTO_F_* allowed for type, else 0 */
	uint32_t reserved;		/* must be 0 */
};

/*
 * PROTO_F_LAST, on an attach or a publish: no more requests until the
 * release.  The helper replies first and only then does the work no
 * request waits for (collecting what killed helpers left behind), while
 * the jail starts.
 */
#define PROTO_F_LAST	0x1u

/*
 * Addresses and ports are in network byte order exactly as they go into
 * struct in_addr / the packet, so neither side converts twice.
 */
struct proto_attach_req {
	char	 bridge[IFNAMSIZ];	/* a bridge named in the config */
	char	 ifname[IFNAMSIZ];	/* name of the interface in the jail */
	uint32_t addr;			/* wanted IPv4 address, 0 = any */
	uint32_t slot_hint;		/* the quota slot to look up first */
};

struct proto_publish_req {
	uint32_t ipproto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t host_addr;		/* host address to publish on, 0 = any */
	uint16_t host_port;		/* network order, non-zero */
	uint16_t jail_port;		/* network order, non-zero */
	uint32_t reserved;		/* must be 0 */
};

struct proto_req {
	struct proto_hdr hdr;
	union {
		struct proto_attach_req	 attach;
		struct proto_publish_req publish;
		uint8_t			 raw[40];
	} u;
};

struct proto_attach_rep {
	uint32_t addr;			/* the leased address */
	uint32_t gateway;		/* the bridge's address: default route */
	uint32_t prefixlen;		/* of the bridge's subnet */
	uint32_t mtu;			/* of the bridge */
	uint8_t	 mac[8];		/* jail side; bytes 6 and 7 are 0 */
	char	 host_ifname[IFNAMSIZ];	/* host side of the veth */
};

struct proto_grant {
	char	 bridge[IFNAMSIZ];
	uint32_t gateway;
	uint32_t prefixlen;
	uint32_t jails_used;		/* this user's links on the bridge now */
	uint32_t jails_max;
	uint16_t port_lo;		/* host byte order; 0-0 = no ports */
	uint16_t port_hi;
	uint32_t warnings;		/* PROTO_WARN_* bits for --check */
};

#define PROTO_WARN_FORWARD_DROP	0x1u	/* another table drops forwarding */
#define PROTO_WARN_NO_BRIDGE	0x2u	/* bridge absent; made on first use */
#define PROTO_WARN_NOT_BRIDGE	0x4u	/* the name is a link of another kind */
#define PROTO_WARN_NO_PUBIF	0x8u	/* a publish-from interface is absent */

struct proto_check_rep {
	uint32_t ngrants;		/* valid entries in grants[] */
	uint32_t reserved;
	struct proto_grant grants[PROTO_MAX_GRANTS];
};

struct proto_rep {
	struct proto_hdr hdr;		/* type and seq echo the request */
	uint32_t status;		/* 0 or a positive errno value */
	char	 text[PROTO_TEXT_LEN];	/* NUL-terminated, empty on success */
	uint32_t reserved;
	union {
		struct proto_attach_rep	attach;
		struct proto_check_rep	check;
		uint8_t			raw[328];
	} u;
};

_Static_assert(sizeof(struct proto_hdr) == 24, "proto_hdr layout");
_Static_assert(sizeof(struct proto_attach_req) == 40, "attach_req layout");
_Static_assert(offsetof(struct proto_attach_req, addr) == 32, "attach addr");
_Static_assert(sizeof(struct proto_publish_req) == 16, "publish_req layout");
_Static_assert(offsetof(struct proto_publish_req, host_port) == 8, "publish");
_Static_assert(sizeof(struct proto_req) == 64, "proto_req layout");
_Static_assert(offsetof(struct proto_req, u) == 24, "proto_req body");
_Static_assert(sizeof(struct proto_attach_rep) == 40, "attach_rep layout");
_Static_assert(offsetof(struct proto_attach_rep, mac) == 16, "attach mac");
_Static_assert(sizeof(struct proto_grant) == 40, "grant layout");
_Static_assert(sizeof(struct proto_check_rep) == 328, "check_rep layout");
_Static_assert(offsetof(struct proto_rep, text) == 28, "rep text");
_Static_assert(offsetof(struct proto_rep, u) == 128, "rep body");
_Static_assert(sizeof(struct proto_rep) == 456, "proto_rep layout");

/* proto.c: pure validation, no I/O.  *why is a static string on failure. */
int	proto_check_name(const char *, size_t);
long long proto_number(const char *, long long, long long, const char **);
int	proto_check_hdr(const struct proto_hdr *, const char **);
int	proto_check_req(const struct proto_req *, int, const char **);
void	proto_init_rep(struct proto_rep *, const struct proto_req *);

/* fdpass.c: receive one message plus at most one fd (SCM_RIGHTS). */
int	fdpass_recv(int, void *, size_t, int *);
/* Room for one fd's control message, aligned (both sides). */
union fdpass_cmsg {
	struct cmsghdr hdr;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* launcher/request.c: the launcher's side, never linked into the helper. */
int	proto_check_rep(const struct proto_rep *, const struct proto_req *,
	    const char **);
void	proto_init_req(struct proto_req *, enum proto_type, uint32_t);
const char *proto_type_name(uint32_t);
int	fdpass_send(int, const void *, size_t, int);

#endif
