/* SPDX-License-Identifier: ISC */
/*
 * Validation of protocol messages: of every request, by the helper, which
 * trusts no byte of one, and of the header and the names and numbers both
 * sides read as text (the launcher's check of a reply, launcher/request.c,
 * builds on these).  Pure functions: no I/O, no allocation, no global
 * state.  Whether a request is *allowed* is decided elsewhere
 * (helper/dispatch.c); here we only decide whether it is well-formed.
 */
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/*
 * An interface name: NUL inside the array, 1 to IFNAMSIZ-1 characters from
 * [a-z0-9_-], not "." or ".." (the kernel's dev_valid_name rules are looser;
 * we are stricter so names are safe in logs and nft listings).
 */
int
proto_check_name(const char *name, size_t size)
{
	const char *nul;
	size_t i, len;

	if ((nul = memchr(name, '\0', size)) == NULL)
		return -1;
	len = (size_t)(nul - name);
	if (len == 0 || len >= IFNAMSIZ)
		return -1;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-'))
			return -1;
	}
	/* Bytes after the NUL must be zero: senders zero the whole struct. */
	for (i = len; i < size; i++)
		if (name[i] != '\0')
			return -1;
	return 0;
}

/*
 * A decimal number from lo to hi, as strtonum(3) reads one (libbsd is
 * loaded by neither program): the number, or 0 and *errstr (when not NULL)
 * "invalid", "too small" or "too large".  For the helper's config and the
 * launcher's options and records alike.  errno is left as it was.
 */
long long
proto_number(const char *s, long long lo, long long hi, const char **errstr)
{
	const char *why = NULL;
	char *end;
	long long v;
	int saved = errno;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		why = "invalid";
	else if ((v == LLONG_MIN && errno == ERANGE) || v < lo)
		why = "too small";
	else if ((v == LLONG_MAX && errno == ERANGE) || v > hi)
		why = "too large";
	errno = saved;
	if (errstr != NULL)
		*errstr = why;
	return why == NULL ? v : 0;
}

/* The flags a request of this type may carry. */
static uint32_t
allowed_flags(uint32_t type)
{
	return type == PROTO_ATTACH_VETH || type == PROTO_PUBLISH_PORT ?
	    PROTO_F_LAST : 0;
}

/* The header either way: the helper's step 2, and the launcher's. */
int
proto_check_hdr(const struct proto_hdr *h, const char **why)
{
	if (h->magic != PROTO_MAGIC)
		*why = "bad magic";
	else if (h->version != PROTO_VERSION)
		*why = "unsupported protocol version";
	else if (h->type == PROTO_NONE || h->type > PROTO_TYPE_MAX)
		*why = "unknown message type";
	else if ((h->flags & ~allowed_flags(h->type)) != 0 ||
	    h->reserved != 0)
		*why = "non-zero flags or reserved field";
	else
		return 0;
	return -1;
}

static int
all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static int
check_attach(const struct proto_attach_req *a, const char **why)
{
	if (proto_check_name(a->bridge, sizeof(a->bridge)) == -1)
		*why = "bad bridge name";
	else if (proto_check_name(a->ifname, sizeof(a->ifname)) == -1)
		*why = "bad interface name";
	else
		return 0;
	return -1;
}

static int
check_publish(const struct proto_publish_req *p, const char **why)
{
	if (p->ipproto != IPPROTO_TCP && p->ipproto != IPPROTO_UDP)
		*why = "protocol is neither tcp nor udp";
	else if (p->host_port == 0 || p->jail_port == 0)
		*why = "port 0";
	else if (p->reserved != 0)
		*why = "non-zero reserved field";
	else if (!all_zero((const uint8_t *)p + sizeof(*p),
	    sizeof(((struct proto_req *)0)->u) - sizeof(*p)))
		*why = "non-zero bytes after the body";
	else
		return 0;
	return -1;
}

/*
 * Steps 2-6 of the receive checks (step 1, the exact length and no
 * truncation, is fdpass_recv's).  fd is what arrived with the message, -1
 * for none; only attach carries one.
 */
int
proto_check_req(const struct proto_req *req, int fd, const char **why)
{
	int want_fd = req->hdr.type == PROTO_ATTACH_VETH;

	if (proto_check_hdr(&req->hdr, why) == -1)
		return -1;
	if (want_fd != (fd != -1)) {
		*why = want_fd ? "attach without a netns fd" :
		    "unexpected fd";
		return -1;
	}
	switch (req->hdr.type) {
	case PROTO_ATTACH_VETH:
		return check_attach(&req->u.attach, why);
	case PROTO_PUBLISH_PORT:
		return check_publish(&req->u.publish, why);
	case PROTO_CHECK_GRANTS:
	case PROTO_RELEASE_ALL:
		if (all_zero(&req->u, sizeof(req->u)))
			return 0;
		*why = "non-zero body";
		return -1;
	default:
		*why = "unknown message type";
		return -1;
	}
}

void
proto_init_rep(struct proto_rep *rep, const struct proto_req *req)
{
	memset(rep, 0, sizeof(*rep));
	rep->hdr.magic = PROTO_MAGIC;
	rep->hdr.version = PROTO_VERSION;
	rep->hdr.type = req->hdr.type;
	rep->hdr.seq = req->hdr.seq;
}
