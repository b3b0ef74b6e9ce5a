/* SPDX-License-Identifier: ISC */
/*
 * The launcher's side of the protocol: requests made and sent (an attach
 * with the jail's netns fd), and replies checked, trusting no byte of one.
 * Never linked into the helper, which has nothing here to trust: it
 * replies with send(2) and checks requests with proto/proto.c.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proto.h"

static const char *const type_names[] = {
	[PROTO_NONE] = "none",
	[PROTO_ATTACH_VETH] = "attach",
	[PROTO_PUBLISH_PORT] = "publish",
	[PROTO_CHECK_GRANTS] = "check",
	[PROTO_RELEASE_ALL] = "release",
};

const char *
proto_type_name(uint32_t type)
{
	if (type > PROTO_TYPE_MAX)
		return "unknown";
	return type_names[type];
}

static int
check_grants(const struct proto_check_rep *c, const char **why)
{
	uint32_t i;

	if (c->ngrants > PROTO_MAX_GRANTS) {
		*why = "too many grants in reply";
		return -1;
	}
	for (i = 0; i < c->ngrants; i++) {
		const struct proto_grant *g = &c->grants[i];

		if (proto_check_name(g->bridge, sizeof(g->bridge)) == -1 ||
		    g->prefixlen > 32 || g->port_lo > g->port_hi) {
			*why = "malformed grant in reply";
			return -1;
		}
	}
	return 0;
}

/* The launcher's side: a reply must answer the request it sent. */
int
proto_check_rep(const struct proto_rep *rep, const struct proto_req *req,
    const char **why)
{
	if (proto_check_hdr(&rep->hdr, why) == -1)
		return -1;
	if (rep->hdr.type != req->hdr.type || rep->hdr.seq != req->hdr.seq) {
		*why = "reply does not match the request";
		return -1;
	}
	if (memchr(rep->text, '\0', sizeof(rep->text)) == NULL) {
		*why = "unterminated error text";
		return -1;
	}
	if (rep->status != 0)
		return 0;
	if (rep->hdr.type == PROTO_ATTACH_VETH) {
		const struct proto_attach_rep *a = &rep->u.attach;

		if (a->prefixlen < 1 || a->prefixlen > 30 ||
		    proto_check_name(a->host_ifname,
		    sizeof(a->host_ifname)) == -1) {
			*why = "malformed attach reply";
			return -1;
		}
	}
	if (rep->hdr.type == PROTO_CHECK_GRANTS)
		return check_grants(&rep->u.check, why);
	return 0;
}

void
proto_init_req(struct proto_req *req, enum proto_type type, uint32_t seq)
{
	memset(req, 0, sizeof(*req));
	req->hdr.magic = PROTO_MAGIC;
	req->hdr.version = PROTO_VERSION;
	req->hdr.type = (uint32_t)type;
	req->hdr.seq = seq;
}

/*
 * Send len bytes and, if fd != -1, that fd.  The caller keeps its copy of
 * fd and closes it when it no longer needs it.  Returns 0 or -1 with errno.
 */
int
fdpass_send(int sock, const void *msg, size_t len, int fd)
{
	union fdpass_cmsg cm;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd != -1) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}
