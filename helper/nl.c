/* SPDX-License-Identifier: ISC */
/*
 * All of the helper's netlink I/O: one libmnl socket per netlink family,
 * nl_talk for requests answered by acks (one message or one nftables
 * batch), nl_dump for requests answered by data (a dump, or a get).  The
 * kernel is trusted; every reply is still matched against our port id and
 * sequence numbers so a stale or foreign message is never taken for an
 * answer.  Buffers are static: nothing here allocates after nl_open.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <linux/membarrier.h>
#include <linux/netlink.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "helper.h"

#define NL_TIMEOUT_SEC	5	/* a lost reply must not hang the helper */

static char rbuf[NL_BUF_SIZE];

int
nl_open(struct nl *nl, int bus)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_SEC };
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	if ((nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv)) == -1) {
		nl_close(nl);
		return -1;
	}
	/* Both are optional: older kernels simply ignore them. */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one,
	    sizeof(one));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one,
	    sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 1;
	return 0;
}

void
nl_close(struct nl *nl)
{
	if (nl->sock != NULL)
		(void)mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/*
 * Before the helper exits, once nobody waits for it.  Closing a netfilter
 * socket makes the kernel wait, holding the netns's nf_tables commit
 * mutex, for the work that frees what recent commits deleted, and that
 * work waits for an RCU grace period first (nft_rcv_nl_event flushes it):
 * exiting right after the release's commit would hold every other
 * helper's commits for that long (10-30 ms).  Waiting for grace periods
 * here, holding nothing, lets the work finish first; membarrier's global
 * command is one grace period.  Two, as the work may start only once
 * this process sleeps.  Failing (nohz_full), the exit waits as before.
 */
void
nl_linger(void)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		(void)syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
}

void
nl_idle(void)
{
	idle_pages(rbuf, sizeof(rbuf));
}

uint32_t
nl_next_seq(struct nl *nl)
{
	return nl->seq++;
}

struct talk {
	uint32_t	seq_lo, seq_hi;	/* what we sent */
	unsigned int	nacks;		/* acks and errors seen */
	int		error;		/* the first kernel error, positive */
};

/* Replaces libmnl's NLMSG_ERROR callback: count, keep the first error. */
static int
talk_err(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) ||
	    nlh->nlmsg_seq < t->seq_lo || nlh->nlmsg_seq > t->seq_hi) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	t->nacks++;
	if (e->error != 0 && t->error == 0)
		t->error = e->error < 0 ? -e->error : e->error;
	return MNL_CB_OK;
}

/*
 * Send buf (one message, or a batch of consecutive messages) and wait for
 * nacks acks.  The kernel answers within the sendto() call, so once an
 * error is in, whatever else it said is already queued: drain it without
 * blocking so the next request starts from an empty socket.  Returns 0, or
 * -1 with errno set to the kernel's first error.
 */
int
nl_talk(struct nl *nl, const void *buf, size_t len, unsigned int nacks)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = talk_err };
	const struct nlmsghdr *nlh = buf;
	struct talk t = { nlh->nlmsg_seq, nlh->nlmsg_seq, 0, 0 };
	int fd = mnl_socket_get_fd(nl->sock), rest = (int)len;
	ssize_t n;

	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest))
		t.seq_hi = nlh->nlmsg_seq;
	if (mnl_socket_sendto(nl->sock, buf, len) != (ssize_t)len)
		return -1;
	while (t.nacks < nacks) {
		n = recv(fd, rbuf, sizeof(rbuf), t.error ? MSG_DONTWAIT : 0);
		if (n == -1 && t.error && (errno == EAGAIN || errno == EINTR))
			break;
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || mnl_cb_run2(rbuf, (size_t)n, 0, nl->portid,
		    NULL, &t, ctl, NLMSG_MIN_TYPE) == MNL_CB_ERROR)
			return -1;
	}
	if (t.error != 0) {
		errno = t.error;
		return -1;
	}
	return 0;
}

/*
 * libmnl fails a dump message marked NLM_F_DUMP_INTR with EINTR; the rest
 * of the dump is still coming.  Skip it up to NLMSG_DONE (or an error).
 */
static int
dump_skip(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len;

	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest))
		if (nlh->nlmsg_type == NLMSG_DONE ||
		    nlh->nlmsg_type == NLMSG_ERROR)
			return MNL_CB_STOP;
	return MNL_CB_OK;
}

/*
 * Send one request answered with data (a dump, ended by NLMSG_DONE, or a
 * get with NLM_F_ACK, ended by the ack) and run cb on each data message.
 * Whatever fails part-way (the kernel's error, cb, or a dump the kernel
 * marks inconsistent because the list changed under it: libmnl's EINTR,
 * which we turn into EAGAIN, since counts taken from it would be wrong),
 * the rest of the answer is read and dropped, so the next request starts
 * from an empty socket.  Returns 0 or -1.
 */
int
nl_dump(struct nl *nl, const void *buf, size_t len, nl_cb cb, void *arg)
{
	const struct nlmsghdr *nlh = buf;
	ssize_t n;
	int r = MNL_CB_OK, failed = 0;

	if (mnl_socket_sendto(nl->sock, buf, len) != (ssize_t)len)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (!failed && (r = mnl_cb_run(rbuf, (size_t)n, nlh->nlmsg_seq,
		    nl->portid, cb, arg)) == MNL_CB_ERROR)
			failed = errno != 0 ? errno : EPROTO;
		if (failed)
			r = dump_skip(rbuf, (size_t)n);
	} while (r == MNL_CB_OK);
	if (failed) {
		errno = failed == EINTR ? EAGAIN : failed;
		return -1;
	}
	return 0;
}

/*
 * A bound netlink socket joins groups by binding again with its own port
 * id, so the event socket hears nothing until the moment it is needed.
 */
int
nl_subscribe(struct nl *nl, unsigned int groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	    .nl_pid = nl->portid, .nl_groups = groups };

	return bind(mnl_socket_get_fd(nl->sock), (struct sockaddr *)&sa,
	    sizeof(sa));
}

/* Milliseconds from now to end, at least 1 while any time is left. */
static long
ms_left(const struct timespec *end)
{
	struct timespec now;
	long ms;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	ms = (end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : (end->tv_sec > now.tv_sec ||
	    (end->tv_sec == now.tv_sec && end->tv_nsec > now.tv_nsec));
}

/*
 * Events, until cb stops (0) or ms milliseconds pass (-1, ETIMEDOUT).  A
 * socket that overran lost events: -1 with ENOBUFS, and the caller asks
 * the kernel directly.
 */
int
nl_wait(struct nl *nl, nl_cb cb, void *arg, unsigned int ms)
{
	int fd = mnl_socket_get_fd(nl->sock), r;
	struct timespec end;
	struct timeval tv;
	ssize_t n;
	long left;

	if (clock_gettime(CLOCK_MONOTONIC, &end) == -1)
		return -1;
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	while ((left = ms_left(&end)) > 0) {
		tv.tv_sec = left / 1000;
		tv.tv_usec = (left % 1000) * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) == -1)
			return -1;
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		r = mnl_cb_run(rbuf, (size_t)n, 0, 0, cb, arg);
		if (r == MNL_CB_STOP)
			return 0;
		if (r == MNL_CB_ERROR)
			return -1;
	}
	errno = ETIMEDOUT;
	return -1;
}
