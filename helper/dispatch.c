/* SPDX-License-Identifier: ISC */
/*
 * One handler per request type: validate (proto_check_req), authorize
 * (the grants resolved at startup, netns_check), act (lease.c), reply.
 * Every byte of a request and the fd that came with it are untrusted.  A
 * malformed request is logged and ends the helper without a reply; a
 * well-formed request that policy refuses gets a reply with a positive
 * errno and a text the launcher prints as is.  After the handlers run,
 * exactly one reply goes back.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "fw.h"

/* A protocol violation: log it, clean up, exit without a reply. */
static void __attribute__((noreturn))
bad_request(struct session *s, const char *why)
{
	log_event(LOG_WARNING, "bad request: %s", why);
	(void)lease_release(s, 0);
	errx(1, "bad request: %s", why);
}

static void refuse(struct proto_rep *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
refuse(struct proto_rep *rep, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(rep->text, sizeof(rep->text), fmt, ap);
	va_end(ap);
	rep->status = (uint32_t)status;
}

/* Not granted: say which bridges are (names from the config only). */
static void
refuse_bridge(const struct session *s, const char *bridge,
    struct proto_rep *rep)
{
	char yours[PROTO_TEXT_LEN] = "";
	size_t i, n = 0;

	for (i = 0; i < s->conf->nbridges && n < sizeof(yours); i++) {
		if (s->grant[i] == NULL)
			continue;
		n += (size_t)snprintf(yours + n, sizeof(yours) - n, "%s%s",
		    n ? ", " : "", s->conf->bridges[i].name);
	}
	if (yours[0] == '\0')
		refuse(rep, EPERM, "bridge %s is not granted to you, nor is any "
		    "other: ask the admin", bridge);
	else
		refuse(rep, EPERM, "bridge %s is not granted to you (yours: %s)",
		    bridge, yours);
}

/*
 * A refusal that stray links may cause (the caller's own against a quota
 * or the netns rule; anyone's, left unwired by a stopped or killed
 * helper, holding the address wanted, the last free ones, or every one
 * tried, or coming and going under a create: EEXIST) is worth one
 * collection, then one more try: the garbage waits for dispatch_tidy,
 * and must not cost a user their jail.
 */
static int
attach_tidy(struct session *s, size_t bi, const struct proto_attach_req *a,
    int fd, ino_t ino, struct proto_rep *rep)
{
	int r = lease_attach(s, bi, a, fd, ino, rep->text, sizeof(rep->text));

	if ((r == EDQUOT || r == EBUSY || r == ENOSPC || r == EADDRINUSE ||
	    r == EAGAIN || r == EEXIST) && !s->tidied) {
		dispatch_tidy(s, TIDY_FORCE);
		rep->text[0] = '\0';	/* a success replies no text */
		r = lease_attach(s, bi, a, fd, ino, rep->text,
		    sizeof(rep->text));
	}
	return r;
}

/*
 * Security: attach creates a veth pair with one end in a network
 * namespace the caller hands us and the other on a host bridge.  It is
 * safe for any local user because: the bridge must be granted to them by
 * the root-owned config, and they must be under its jail quota (counted
 * from the kernel's links, races settled in lease.c); the namespace must be
 * theirs (netns_check: owned by a user namespace their uid created, so
 * they could already do anything there) and not the helper's own, and may
 * hold only one jail link; one attach per session.  The host-side name,
 * address, MACs and birth label are chosen by the helper, from the
 * bridge's subnet and the caller's identity; the caller chooses only the
 * peer's name inside their own namespace, checked by proto_check_name,
 * an address to ask for, and which of its slots is looked up first (any
 * value: a slot is taken only once looked up free and below the quota).
 * Everything after the creation acts on the link by its index, once its
 * label proved it ours.  The link is deleted when the session ends.
 */
static void
do_attach(struct session *s, const struct proto_req *req, int fd,
    struct proto_rep *rep)
{
	const struct bridge_conf *b = config_bridge(s->conf,
	    req->u.attach.bridge);
	struct proto_attach_rep *a = &rep->u.attach;
	enum netns_check nc;
	size_t bi = b ? (size_t)(b - s->conf->bridges) : 0;
	ino_t ino = 0;
	int r;

	if ((nc = netns_check(s, fd, &ino)) == NETNS_NOT_NETNS) {
		(void)close(fd);
		bad_request(s, netns_strerror(nc));
	}
	if (b == NULL || s->grant[bi] == NULL)
		refuse_bridge(s, req->u.attach.bridge, rep);
	else if (s->attached)
		refuse(rep, EBUSY, "this session already has a jail attached");
	else if (nc != NETNS_OK)
		refuse(rep, EPERM, "%s", netns_strerror(nc));
	else if (s->check_only)
		refuse(rep, EPERM, "this helper was started to check only");
	else if ((r = attach_tidy(s, bi, &req->u.attach, fd, ino, rep)) != 0)
		rep->status = (uint32_t)r;
	(void)close(fd);
	if (rep->status != 0 || b == NULL) {
		log_event(LOG_WARNING, "attach to %s refused: %s",
		    req->u.attach.bridge, rep->text);
		return;
	}
	a->addr = s->lease.addr.s_addr;
	a->gateway = b->gateway.s_addr;
	a->prefixlen = b->prefixlen;
	a->mtu = s->lease.mtu;
	memcpy(a->mac, s->lease.mac, sizeof(s->lease.mac));
	(void)snprintf(a->host_ifname, sizeof(a->host_ifname), "%s",
	    s->lease.addrname);
	log_event(LOG_NOTICE, "attached %s (%s) to %s", s->lease.host,
	    inet_ntoa(s->lease.addr), b->name);
}

/*
 * Security: check changes nothing.  It tells callers only their own
 * grants, how many of their own jails run and whether the bridges exist
 * (visible to any user already).  Host sysctls such as ip_forward are
 * world-readable: the launcher reports them itself.
 */
static void
do_check(struct session *s, struct proto_rep *rep)
{
	struct proto_check_rep *c = &rep->u.check;
	uint32_t used[CONF_MAX_BRIDGES];
	uint32_t warn[CONF_MAX_BRIDGES];
	int drop;
	size_t i;

	if (lease_usage(s, used, warn) == -1 ||
	    (drop = fw_forward_drop(s->nf)) == -1) {
		refuse(rep, errno, "listing links and chains: %s",
		    strerror(errno));
		return;
	}
	for (i = 0; i < s->conf->nbridges; i++) {
		const struct bridge_conf *b = &s->conf->bridges[i];
		struct proto_grant *g = &c->grants[c->ngrants];

		if (s->grant[i] == NULL)
			continue;
		c->ngrants++;
		(void)snprintf(g->bridge, sizeof(g->bridge), "%s", b->name);
		g->gateway = b->gateway.s_addr;
		g->prefixlen = b->prefixlen;
		g->jails_used = used[i];
		g->jails_max = s->grant[i]->jails;
		g->port_lo = s->grant[i]->port_lo;
		g->port_hi = s->grant[i]->port_hi;
		g->warnings = warn[i] | (drop ? PROTO_WARN_FORWARD_DROP : 0);
	}
}

/*
 * Security: release deletes only the link this session created, by its
 * ifindex (a name could by now belong to another jail), or waits for the
 * kernel to remove it with the jail's netns, then ends the session.  The
 * ports go last, before the answer: the launcher returns on it, without
 * waiting for this process to end (its exit waits for nf_tables to free
 * what the release deleted, an RCU grace period).
 */
static void
do_release(struct session *s, struct proto_rep *rep)
{
	if (lease_release(s, 1) == -1)
		refuse(rep, errno, "deleting %s: %s", s->lease.host,
		    strerror(errno));
	else
		port_free_all(&s->ports);
}

/* The host port is taken: by a jail (EEXIST) or by the host (EADDRINUSE). */
static void
refuse_port(struct session *s, const struct proto_publish_req *p,
    struct proto_rep *rep)
{
	const char *pn = p->ipproto == IPPROTO_TCP ? "tcp" : "udp";
	unsigned int port = ntohs(p->host_port);
	int e = errno;

	if (e == EADDRINUSE && fw_published(s->nf, p->ipproto,
	    p->host_port) == 1)
		refuse(rep, EEXIST, "port %u/%s is already published", port,
		    pn);
	else if (e == EADDRINUSE)
		refuse(rep, e, "port %u/%s is in use on the host", port, pn);
	else if (e == EACCES)
		refuse(rep, e, "port %u/%s is below "
		    "net.ipv4.ip_unprivileged_port_start", port, pn);
	else if (e == EMFILE)
		refuse(rep, e, "port %u/%s: too many published ports", port,
		    pn);
	else
		refuse(rep, e, "reserving port %u/%s: %s", port, pn,
		    strerror(e));
}

/* EEXIST may be a dead jail's port: worth one collection, one more try. */
static int
publish_tidy(struct session *s, const struct proto_publish_req *p)
{
	if (fw_publish(s->nf, p, s->lease.ifindex, s->lease.addr.s_addr) == 0)
		return 0;
	if (errno != EEXIST || s->tidied)
		return -1;
	dispatch_tidy(s, TIDY_FORCE);
	return fw_publish(s->nf, p, s->lease.ifindex, s->lease.addr.s_addr);
}

/*
 * Security: publish makes one host port, on the host's own addresses,
 * lead to this session's jail.  It is safe for any local user because the
 * jail must be the one this session attached (its address is the lease
 * the helper chose), the port must lie in the caller's ports= grant for
 * that bridge (ports below 1024 only when the range says so), the port
 * must be free on the host (port_reserve binds it and holds it while the
 * session lives, so no service that runs now is diverted, and none can
 * start on it later; the DNAT from the network requires that socket, so
 * if the caller kills this helper the port is free and undiverted again,
 * see SECURITY.md for the host's own connections), and the kernel refuses
 * a port anyone has
 * published already: the port is the key of the map, so two jails can
 * never hold it, with no look-up race.
 */
static void
do_publish(struct session *s, const struct proto_publish_req *p,
    struct proto_rep *rep)
{
	const struct grant_conf *g = s->grant[s->lease.bridge];
	const char *pn = p->ipproto == IPPROTO_TCP ? "tcp" : "udp";
	unsigned int port = ntohs(p->host_port);
	int fd = -1;

	if (!s->attached)
		refuse(rep, EINVAL, "publish needs an attached jail");
	else if (p->host_addr != 0)
		refuse(rep, EOPNOTSUPP, "publishing on one host address is "
		    "not supported: omit HOSTIP");
	else if (g->port_hi == 0 || port < g->port_lo || port > g->port_hi)
		refuse(rep, EACCES, "port %u/%s is not granted to you (%s: "
		    "%u-%u)", port, pn, s->conf->bridges[s->lease.bridge].name,
		    g->port_lo, g->port_hi);
	else if (port_room(&s->ports) == -1)
		refuse(rep, errno, "port %u/%s: %s", port, pn,
		    strerror(errno));
	else if ((fd = port_reserve(p->ipproto, p->host_port)) == -1)
		refuse_port(s, p, rep);
	else if (publish_tidy(s, p) == -1)
		refuse(rep, errno, errno == EEXIST ?
		    "port %u/%s is already published" : errno == ENOENT ?
		    "port %u/%s: the jail's network link is gone" :
		    "publishing port %u/%s: %s", port, pn, strerror(errno));
	if (rep->status != 0 && fd != -1)
		(void)close(fd);
	else if (rep->status == 0)
		port_hold(&s->ports, fd);
	if (rep->status != 0)
		log_event(LOG_WARNING, "publish %u/%s refused: %s", port, pn,
		    rep->text);
	else
		log_event(LOG_NOTICE, "published %u/%s to %s port %u", port,
		    pn, s->lease.host, ntohs(p->jail_port));
}

/* One datagram, whole or not at all (SOCK_SEQPACKET), and never an fd. */
static void
reply(struct session *s, const struct proto_rep *rep)
{
	ssize_t n;
	int e;

	do
		n = send(PROTO_SOCK_FD, rep, sizeof(*rep), MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(*rep)) {
		e = n == -1 ? errno : EMSGSIZE;	/* clean-up may change it */
		log_event(LOG_WARNING, "reply: %s", strerror(e));
		(void)lease_release(s, 0);
		errx(1, "reply: %s", strerror(e));
	}
}

/* One request, with the fd that came with it (-1 for none). */
void
dispatch(struct session *s, const struct proto_req *req, int fd)
{
	struct proto_rep rep;
	const char *why;

	if (proto_check_req(req, fd, &why) == -1) {
		if (fd != -1)
			(void)close(fd);
		bad_request(s, why);
	}
	proto_init_rep(&rep, req);
	s->served = 1;
	switch (req->hdr.type) {
	case PROTO_ATTACH_VETH:
		do_attach(s, req, fd, &rep);
		break;
	case PROTO_PUBLISH_PORT:
		do_publish(s, &req->u.publish, &rep);
		break;
	case PROTO_CHECK_GRANTS:
		do_check(s, &rep);
		break;
	case PROTO_RELEASE_ALL:
		do_release(s, &rep);
		reply(s, &rep);
		sandbox_detach();
		dispatch_tidy(s, TIDY_TURN);
		nl_linger();
		exit(0);
	default:
		bad_request(s, "unknown message type");
	}
	reply(s, &rep);
	if (req->hdr.flags & PROTO_F_LAST)
		dispatch_tidy(s, TIDY_YIELD);
}

/* Has the launcher sent something, or hung up?  Then it waits on us. */
static int
launcher_waits(void)
{
	char c;

	return recv(PROTO_SOCK_FD, &c, 1, MSG_PEEK | MSG_DONTWAIT) != -1 ||
	    errno != EAGAIN;
}

/*
 * Collect what killed helpers left behind: never for a check, at most
 * once per run, and unless forced only on the caller's turn (fw_gc_turn:
 * a user's helpers collect at most once a second between them, so a host
 * starting many jails does not list every jail's state at every start).
 * No request needs it done first (a dead jail's elements are keyed by an
 * ifindex never reused soon, so they grant nothing), and the refusals
 * garbage may cause force it, then try again (attach_tidy, publish_tidy).
 * So it waits until the launcher says no request comes before the
 * release (PROTO_F_LAST), and runs while the jail starts, but gives way
 * when the launcher asks again (a short jail's release would wait for
 * all of it: ~45 ms with 500 jails on the host), and goes on once the
 * release is answered; or, failing that, before the helper exits.
 */
void
dispatch_tidy(struct session *s, enum tidy how)
{
	int turn, r;

	if (s->check_only || s->tidied)
		return;
	if (how != TIDY_FORCE && !s->yielded) {
		if (s->asked_turn)
			return;
		s->asked_turn = 1;
		if ((turn = fw_gc_turn(s->nf, s->uid)) == 0)
			return;
		if (turn == -1)	/* collect anyway: garbage must not stay */
			log_event(LOG_WARNING, "garbage collection turn: %s",
			    strerror(errno));
	}
	r = lease_gc(s, how == TIDY_YIELD ? launcher_waits : NULL);
	s->yielded = r == 1;
	s->tidied = r != 1;
	if (r == -1)
		log_event(LOG_WARNING, "garbage collection: %s",
		    strerror(errno));
}

/* fdpass_recv failed with e: EOF ends the session, anything else is bad. */
void
dispatch_recv_failed(struct session *s, int e)
{
	if (e == 0) {
		(void)lease_release(s, 1);
		if (s->served)	/* else the launcher gave up before asking */
			dispatch_tidy(s, TIDY_TURN);
		exit(0);
	}
	if (e == EMSGSIZE)
		bad_request(s, "wrong message size");
	if (e == EBADMSG)
		bad_request(s, "unexpected control data");
	(void)lease_release(s, 0);
	errx(1, "receiving a request: %s", strerror(e));
}
