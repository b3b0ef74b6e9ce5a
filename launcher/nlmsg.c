/* SPDX-License-Identifier: ISC */
/*
 * The launcher's netlink: one request at a time into a fixed buffer, sent
 * and answered by its ack, as libmnl's mnl_cb_run checks one (portid, seq,
 * NLMSG_ERROR).  Written out because libmnl was the launcher's only use of
 * it, and loading it cost every jail start time in the dynamic loader.
 * Trusts the kernel's replies only after those checks.  Functions return 0,
 * or -1 with errno.
 */
#include <sys/socket.h>
#include <linux/netlink.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

/* An error ack echoes the request; 8 KiB is what libmnl's buffer held. */
#define NLMSG_ACK_SIZE	8192

int
nlmsg_open(struct nlmsg_sock *nl, int proto)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(sa);
	int saved;

	if ((nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    proto)) == -1)
		return -1;
	/* nl_pid 0: the kernel picks our port id, read back below. */
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &len) == -1)
		goto fail;
	if (len != sizeof(sa) || sa.nl_family != AF_NETLINK) {
		errno = EINVAL;
		goto fail;
	}
	nl->portid = sa.nl_pid;
	return 0;
fail:
	saved = errno;
	(void)close(nl->fd);
	errno = saved;
	return -1;
}

/* Keeps errno, so a caller may close before it reports. */
void
nlmsg_close(struct nlmsg_sock *nl)
{
	int saved = errno;

	(void)close(nl->fd);
	errno = saved;
}

/*
 * A request with an ack, then its family header (ifinfomsg, ifaddrmsg,
 * rtmsg), copied in.  The time is the sequence number, as before.
 */
void
nlmsg_start(struct nlmsg_req *req, uint16_t type, uint16_t flags,
    const void *fam, size_t len)
{
	memset(req, 0, sizeof(*req));
	req->u.nlh.nlmsg_len = NLMSG_HDRLEN;
	req->u.nlh.nlmsg_type = type;
	req->u.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req->u.nlh.nlmsg_seq = (uint32_t)time(NULL);
	if (len > sizeof(req->u.buf) - NLMSG_HDRLEN) {
		req->full = 1;
		return;
	}
	memcpy(req->u.buf + NLMSG_HDRLEN, fam, len);
	req->u.nlh.nlmsg_len += (uint32_t)NLMSG_ALIGN(len);
}

/* One attribute; one that does not fit makes nlmsg_talk fail instead. */
void
nlmsg_put(struct nlmsg_req *req, uint16_t type, const void *data,
    size_t len)
{
	struct nlattr nla;
	size_t off = req->u.nlh.nlmsg_len, room = sizeof(req->u.buf) - off;

	if (req->full || room < NLA_HDRLEN || len > room - NLA_HDRLEN ||
	    NLA_ALIGN(NLA_HDRLEN + len) > room) {
		req->full = 1;
		return;
	}
	nla.nla_len = (uint16_t)(NLA_HDRLEN + len);
	nla.nla_type = type;
	memcpy(req->u.buf + off, &nla, sizeof(nla));
	memcpy(req->u.buf + off + NLA_HDRLEN, data, len);
	req->u.nlh.nlmsg_len += (uint32_t)NLA_ALIGN(NLA_HDRLEN + len);
}

/*
 * One message of the reply: 0 to read on, 1 when it ends the reply well
 * (our ack, or NLMSG_DONE), -1 with errno.
 * The checks are mnl_cb_run's: from the kernel to our port, our sequence
 * number, no interrupted dump, and an NLMSG_ERROR long enough to read.
 */
static int
ack_one(const struct nlmsghdr *h, uint32_t seq, uint32_t portid)
{
	const struct nlmsgerr *e = (const void *)((const char *)h +
	    NLMSG_HDRLEN);

	if (h->nlmsg_pid != 0 && h->nlmsg_pid != portid)
		errno = ESRCH;
	else if (h->nlmsg_seq != 0 && h->nlmsg_seq != seq)
		errno = EPROTO;
	else if (h->nlmsg_flags & NLM_F_DUMP_INTR)
		errno = EINTR;
	else if (h->nlmsg_type != NLMSG_ERROR)
		return h->nlmsg_type == NLMSG_DONE;
	else if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		errno = EBADMSG;
	else if (e->error == 0)
		return 1;
	else	/* subsystems disagree on its sign */
		errno = e->error < 0 ? -e->error : e->error;
	return -1;
}

/* Each whole message in buf until one settles it; none is success. */
static int
ack_check(const char *buf, size_t len, uint32_t seq, uint32_t portid)
{
	const struct nlmsghdr *h;
	size_t step;
	int r;

	while (len >= sizeof(*h)) {
		h = (const struct nlmsghdr *)(const void *)buf;
		if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > len)
			break;
		if ((r = ack_one(h, seq, portid)) != 0)
			return r == 1 ? 0 : -1;
		if ((step = NLMSG_ALIGN(h->nlmsg_len)) >= len)
			break;
		buf += step;
		len -= step;
	}
	return 0;
}

/* Send the request and wait for its ack: the one netlink I/O function. */
int
nlmsg_talk(const struct nlmsg_sock *nl, const struct nlmsg_req *req)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr	 nlh;
		char		 buf[NLMSG_ACK_SIZE];
	} ack;
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = ack.buf, .iov_len = sizeof(ack) };
	struct msghdr msg = { .msg_name = &from,
	    .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (req->full) {
		errno = EMSGSIZE;
		return -1;
	}
	if (sendto(nl->fd, req->u.buf, req->u.nlh.nlmsg_len, 0,
	    (const struct sockaddr *)&kernel, sizeof(kernel)) == -1)
		return -1;
	if ((n = recvmsg(nl->fd, &msg, 0)) == -1)
		return -1;
	if (msg.msg_flags & MSG_TRUNC) {
		errno = ENOSPC;
		return -1;
	}
	if (msg.msg_namelen != sizeof(from)) {
		errno = EINVAL;
		return -1;
	}
	return ack_check(ack.buf, (size_t)n, req->u.nlh.nlmsg_seq,
	    nl->portid);
}
