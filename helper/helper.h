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
#include <stdio.h>

#include "proto.h"

#define CONF_MAX_BRIDGES	PROTO_MAX_GRANTS
#define CONF_MAX_GRANTS		64
#define CONF_MAX_PUBIF		8
#define CONF_MAX_JAILS		1024	/* the largest jails= */
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
	unsigned int	line;			/* for messages */
	char		tag[3];			/* in its jails' link names */
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
 * nl_next_seq hands out sequence numbers for builders.  nl_subscribe joins
 * multicast groups; nl_wait runs cb on the events that arrive until cb
 * says MNL_CB_STOP (0) or the milliseconds pass (-1, ETIMEDOUT).
 */
struct nlmsghdr;
typedef int (*nl_cb)(const struct nlmsghdr *, void *);
int		nl_open(struct nl *, int);
void		nl_close(struct nl *);
uint32_t	nl_next_seq(struct nl *);
int		nl_talk(struct nl *, const void *, size_t, unsigned int);
int		nl_dump(struct nl *, const void *, size_t, nl_cb, void *);
int		nl_subscribe(struct nl *, unsigned int);
int		nl_wait(struct nl *, nl_cb, void *, unsigned int);
void		nl_linger(void);

/*
 * config.c: config_load checks the file (no symlink, a regular file owned
 * by root, not writable by group or others) and parses it; config_parse
 * parses an open stream.  Both return 0, or -1 with "FILE:LINE: reason" in
 * the caller's buffer.  config_resolve picks, per bridge, the grant that
 * applies to a uid and its groups: a "user" line beats "group" lines, else
 * the first matching "group" line in file order; NULL means no grant.
 */
#define CONF_ERR_LEN	256
const struct bridge_conf *config_bridge(const struct config *, const char *);
int		config_load(struct config *, const char *, char *, size_t);
int		config_parse(struct config *, FILE *, const char *, char *, size_t);
void		config_resolve(const struct config *, uid_t, const gid_t *,
		    size_t, const struct grant_conf *[CONF_MAX_BRIDGES]);

/*
 * link.c: rtnetlink request builders.  Each writes one message into buf,
 * which must hold LINK_BUF_SIZE bytes (every message here is far smaller;
 * anything else is a bug and ends the helper), and returns it.  No I/O.
 *
 * A jail's host-side link carries its birth label (lease.c): the owner's
 * uid as IFLA_GROUP, the quota it was made under as its txqueuelen, and
 * LABEL_MAC0:LABEL_MAC1 plus the jail's netns inode as its MAC.
 */
#define LINK_BUF_SIZE	1024
#define LABEL_MAC0	0x02		/* locally administered, unicast */
#define LABEL_MAC1	0x63
struct link_label {
	uint32_t	 group;		/* owner uid */
	uint32_t	 txqlen;	/* jails= quota at birth */
	uint8_t		 mac[6];	/* LABEL_MAC0, LABEL_MAC1, netns ino */
};
struct link_veth {
	const char	*host;		/* host-side name, made by the helper */
	const char	*peer;		/* name in the jail, checked by proto */
	uint8_t		 peer_mac[6];
	uint32_t	 mtu;
	int		 netns_fd;	/* checked by netns_check */
	struct link_label label;
};
struct nlmsghdr	*link_new_veth(void *, size_t, uint32_t,
		    const struct link_veth *);
struct nlmsghdr	*link_new_bridge(void *, size_t, uint32_t, const char *,
		    const uint8_t [6]);
struct nlmsghdr	*link_new_addr(void *, size_t, uint32_t, uint32_t,
		    struct in_addr, uint32_t);
struct nlmsghdr	*link_set_master(void *, size_t, uint32_t, uint32_t,
		    uint32_t);
struct nlmsghdr	*link_set_port_up(void *, size_t, uint32_t, uint32_t, int);
struct nlmsghdr	*link_set_no_ll6(void *, size_t, uint32_t, uint32_t);
struct nlmsghdr	*link_new_fdb(void *, size_t, uint32_t, uint32_t,
		    const uint8_t [6]);
struct nlmsghdr	*link_set_forwarding(void *, size_t, uint32_t, const char *);
struct nlmsghdr	*link_del(void *, size_t, uint32_t, uint32_t);
struct nlmsghdr	*link_add_altname(void *, size_t, uint32_t, uint32_t,
		    const char *);
struct nlmsghdr	*link_get(void *, size_t, uint32_t, const char *);
struct nlmsghdr	*link_get_index(void *, size_t, uint32_t, uint32_t);

/*
 * One helper run serves one caller: what it knows about them, fixed at
 * startup, and the one attachment it may make.
 */
struct lease {
	size_t		bridge;			/* index into config.bridges */
	struct in_addr	addr;
	uint32_t	ifindex;		/* of the host side */
	uint32_t	mtu;
	uint8_t		mac[6];			/* of the jail side */
	char		host[IFNAMSIZ];		/* the link's name: its slot */
	char		addrname[IFNAMSIZ];	/* "cj" + 8 hex digits of addr */
	struct link_label label;		/* of the host side */
};

/* port.c: the sockets holding this session's published ports. */
struct ports {
	int	*fd;
	size_t	 n, cap;
};

struct session {
	const struct config	*conf;
	struct nl		*rtnl;
	struct nl		*nf;		/* NETLINK_NETFILTER, for fw.c */
	struct nl		*ev;		/* link events, for release */
	uid_t			 uid;
	dev_t			 self_dev;	/* the helper's own netns */
	ino_t			 self_ino;
	const struct grant_conf	*grant[CONF_MAX_BRIDGES]; /* NULL: none */
	int			 check_only;	/* --check: change nothing */
	int			 served;	/* a request was well-formed */
	int			 asked_turn;	/* for garbage collection */
	int			 tidied;	/* dispatch_tidy collected */
	int			 yielded;	/* ... stopped for the launcher */
	int			 attached;
	struct lease		 lease;
	struct ports		 ports;		/* port.c: the ones held */
};

/*
 * lease.c: leasing an address is creating the link that names it.
 * lease_attach returns 0, or a positive errno with text for the caller.
 */
int		lease_attach(struct session *, size_t,
		    const struct proto_attach_req *, int, ino_t, char *, size_t);
int		lease_release(struct session *, int);
int		lease_usage(struct session *, uint32_t [CONF_MAX_BRIDGES],
		    uint32_t [CONF_MAX_BRIDGES]);
void		lease_host_name(char [IFNAMSIZ], struct in_addr);
void		lease_seed(void);
int		lease_gc(struct session *, int (*)(void));

/*
 * port.c: hold a published host port; its fd, or -1 with errno.  The
 * socket carries PORT_MARK (setting a socket mark needs CAP_NET_ADMIN, so
 * no user can forge one), and the firewall publishes a port only while a
 * socket with that mark holds it.
 */
#define PORT_MARK	0x636a7270u	/* "cjrp" */
int		port_reserve(uint32_t, uint16_t);
int		port_room(struct ports *);
void		port_hold(struct ports *, int);
void		port_free_all(struct ports *);

/*
 * idle.c and each module's *_idle: give back the pages of scratch buffers
 * once a request is answered (the helper then waits for the jail's life).
 */
void		idle_pages(void *, size_t);
void		nl_idle(void);
void		lease_idle(void);

/* netns.c: is this fd a network namespace the caller may hand us? */
enum netns_check {
	NETNS_OK,
	NETNS_NOT_NETNS,		/* not an nsfs file of CLONE_NEWNET */
	NETNS_HELPER,			/* the helper's own network namespace */
	NETNS_FOREIGN			/* owned by another user */
};
void		netns_self(struct session *);
enum netns_check netns_check(const struct session *, int, ino_t *);
const char	*netns_strerror(enum netns_check);

/* sandbox.c: the startup steps of main, one call each; fatal on failure. */
void		sandbox_stdfds(void);
void		sandbox_detach(void);
void		sandbox_ids(void);
void		sandbox_caps_drop(void);
void		sandbox_nnp(void);
void		sandbox_not_dumpable(void);
void		sandbox_caps_prove(void);
void		sandbox_cap_effective(int);
void		sandbox_nofile(void);
void		sandbox_sock(int);
void		sandbox_seccomp(void);

/* dispatch.c: one request (checked here first), or the end of the session. */
void		dispatch(struct session *, const struct proto_req *, int);
void		dispatch_recv_failed(struct session *, int);
enum tidy {
	TIDY_TURN,	/* on the caller's turn */
	TIDY_YIELD,	/* the same, stopping while the launcher waits */
	TIDY_FORCE	/* now: a refusal that garbage may have caused */
};
void		dispatch_tidy(struct session *, enum tidy);

/* log.c: syslog(LOG_AUTHPRIV), every line prefixed with the caller's uid. */
void		log_init(uid_t);
void		log_event(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
