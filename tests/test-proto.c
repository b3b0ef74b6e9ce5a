/* SPDX-License-Identifier: ISC */
/*
 * proto/proto.c: valid messages of every type pass, and every rejection
 * branch of proto_check_req, proto_check_rep, proto_check_name and
 * proto_number is taken, with the reason it gives.  No I/O, no privilege.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "proto.h"
#include "tap.h"

#define FD	7	/* any number: proto_check_req only counts fds */

static struct proto_req
attach(void)
{
	struct proto_req r;

	proto_init_req(&r, PROTO_ATTACH_VETH, 42);
	(void)strlcpy(r.u.attach.bridge, "capjail0", IFNAMSIZ);
	(void)strlcpy(r.u.attach.ifname, "eth0", IFNAMSIZ);
	return r;
}

static struct proto_req
publish(void)
{
	struct proto_req r;

	proto_init_req(&r, PROTO_PUBLISH_PORT, 43);
	r.u.publish.ipproto = IPPROTO_TCP;
	r.u.publish.host_port = htons(8080);
	r.u.publish.jail_port = htons(80);
	return r;
}

/* The request fails with exactly this reason. */
static int
refused(const struct proto_req *r, int fd, const char *want)
{
	const char *why = NULL;

	if (proto_check_req(r, fd, &why) != -1 || why == NULL ||
	    strcmp(why, want) != 0) {
		diag("got %s, want %s", why ? why : "(accepted)", want);
		return 0;
	}
	return 1;
}

static void
test_names(void)
{
	char n[20];	/* room for the 16-character case below */

	ok(proto_check_name("capjail0", sizeof("capjail0")) == 0, "name ok");
	memset(n, 0, sizeof(n));
	memset(n, 'a', IFNAMSIZ - 1);
	ok(proto_check_name(n, IFNAMSIZ) == 0, "15-character name ok");
	ok(proto_check_name("a_b-9", 6) == 0, "[a-z0-9_-] allowed");
	memset(n, 'a', sizeof(n));
	ok(proto_check_name(n, IFNAMSIZ) == -1, "no NUL refused");
	ok(proto_check_name("", 1) == -1, "empty name refused");
	ok(proto_check_name("Eth0", 5) == -1, "upper case refused");
	ok(proto_check_name("a/b", 4) == -1, "'/' refused");
	ok(proto_check_name("a b", 4) == -1, "blank refused");
	ok(proto_check_name("..", 3) == -1, "\"..\" refused");
	ok(proto_check_name("a\0b", 4) == -1, "bytes after the NUL refused");
	memset(n, 0, sizeof(n));
	memset(n, 'a', 16);
	ok(proto_check_name(n, 20) == -1, "16 characters refused");
}

static void
test_hdr(void)
{
	struct proto_req r;

	r = attach();
	ok(proto_check_req(&r, FD, &(const char *){ NULL }) == 0,
	    "attach with an fd passes");
	r.hdr.magic++;
	ok(refused(&r, FD, "bad magic"), "bad magic");
	r = attach();
	r.hdr.version = PROTO_VERSION + 1;
	ok(refused(&r, FD, "unsupported protocol version"), "bad version");
	r.hdr.version = PROTO_VERSION;
	r.hdr.type = PROTO_NONE;
	ok(refused(&r, FD, "unknown message type"), "type 0");
	r.hdr.type = PROTO_TYPE_MAX + 1;
	ok(refused(&r, FD, "unknown message type"), "type past the last");
	r = attach();
	r.hdr.flags = 2;
	ok(refused(&r, FD, "non-zero flags or reserved field"), "flags");
	r = attach();
	r.hdr.flags = PROTO_F_LAST;
	ok(proto_check_req(&r, FD, &(const char *){ NULL }) == 0,
	    "attach: PROTO_F_LAST");
	proto_init_req(&r, PROTO_CHECK_GRANTS, 1);
	r.hdr.flags = PROTO_F_LAST;
	ok(refused(&r, -1, "non-zero flags or reserved field"),
	    "check: PROTO_F_LAST refused");
	proto_init_req(&r, PROTO_RELEASE_ALL, 1);
	r.hdr.flags = PROTO_F_LAST;
	ok(refused(&r, -1, "non-zero flags or reserved field"),
	    "release: PROTO_F_LAST refused");
	r = attach();
	r.hdr.reserved = 1;
	ok(refused(&r, FD, "non-zero flags or reserved field"),
	    "header reserved");
	r = attach();
	ok(refused(&r, -1, "attach without a netns fd"), "attach, no fd");
	proto_init_req(&r, PROTO_CHECK_GRANTS, 1);
	ok(refused(&r, FD, "unexpected fd"), "check with an fd");
}

static void
test_attach(void)
{
	struct proto_req r;

	r = attach();
	memset(r.u.attach.bridge, 'a', IFNAMSIZ);
	ok(refused(&r, FD, "bad bridge name"), "bridge without NUL");
	r = attach();
	(void)strlcpy(r.u.attach.bridge, "cap/0", IFNAMSIZ);
	ok(refused(&r, FD, "bad bridge name"), "bridge with '/'");
	r = attach();
	r.u.attach.ifname[0] = '\0';
	ok(refused(&r, FD, "bad interface name"), "empty interface name");
	r = attach();
	(void)strlcpy(r.u.attach.ifname, "eth 0", IFNAMSIZ);
	ok(refused(&r, FD, "bad interface name"), "interface name blank");
	r = attach();
	r.u.attach.slot_hint = UINT32_MAX;
	ok(proto_check_req(&r, FD, &(const char *){ NULL }) == 0,
	    "attach with any slot hint passes (the helper clamps it)");
	r = attach();
	r.u.attach.addr = htonl(0x0a590005);
	ok(proto_check_req(&r, FD, &(const char *){ NULL }) == 0,
	    "attach with a wanted address passes");
}

static void
test_others(void)
{
	struct proto_req r;
	const char *why;

	r = publish();
	ok(proto_check_req(&r, -1, &why) == 0, "publish passes");
	r.u.publish.ipproto = IPPROTO_ICMP;
	ok(refused(&r, -1, "protocol is neither tcp nor udp"), "publish icmp");
	r = publish();
	r.u.publish.host_port = 0;
	ok(refused(&r, -1, "port 0"), "publish host port 0");
	r = publish();
	r.u.publish.jail_port = 0;
	ok(refused(&r, -1, "port 0"), "publish jail port 0");
	r = publish();
	r.u.publish.reserved = 1;
	ok(refused(&r, -1, "non-zero reserved field"), "publish reserved");
	r = publish();
	r.u.raw[sizeof(r.u.raw) - 1] = 1;
	ok(refused(&r, -1, "non-zero bytes after the body"),
	    "publish trailing bytes");
	proto_init_req(&r, PROTO_CHECK_GRANTS, 1);
	ok(proto_check_req(&r, -1, &why) == 0, "check passes");
	r.u.raw[5] = 1;
	ok(refused(&r, -1, "non-zero body"), "check with a body");
	proto_init_req(&r, PROTO_RELEASE_ALL, 1);
	ok(proto_check_req(&r, -1, &why) == 0, "release passes");
	r.u.raw[0] = 1;
	ok(refused(&r, -1, "non-zero body"), "release with a body");
	ok(strcmp(proto_type_name(PROTO_ATTACH_VETH), "attach") == 0 &&
	    strcmp(proto_type_name(99), "unknown") == 0, "type names");
}

static int
rep_refused(const struct proto_rep *rep, const struct proto_req *req,
    const char *want)
{
	const char *why = NULL;

	return proto_check_rep(rep, req, &why) == -1 && why != NULL &&
	    strcmp(why, want) == 0;
}

static void
test_rep_attach(void)
{
	struct proto_req req = attach();
	struct proto_rep rep;
	const char *why;

	proto_init_rep(&rep, &req);
	rep.u.attach.prefixlen = 24;
	(void)strlcpy(rep.u.attach.host_ifname, "cj0a590002", IFNAMSIZ);
	ok(proto_check_rep(&rep, &req, &why) == 0, "attach reply passes");
	rep.hdr.magic = 0;
	ok(rep_refused(&rep, &req, "bad magic"), "reply with bad magic");
	rep.hdr.magic = PROTO_MAGIC;
	rep.hdr.seq++;
	ok(rep_refused(&rep, &req, "reply does not match the request"),
	    "reply to another seq");
	rep.hdr.seq--;
	rep.hdr.type = PROTO_CHECK_GRANTS;
	ok(rep_refused(&rep, &req, "reply does not match the request"),
	    "reply of another type");
	rep.hdr.type = PROTO_ATTACH_VETH;
	memset(rep.text, 'x', sizeof(rep.text));
	ok(rep_refused(&rep, &req, "unterminated error text"),
	    "unterminated text");
	memset(rep.text, 0, sizeof(rep.text));
	rep.u.attach.prefixlen = 31;
	ok(rep_refused(&rep, &req, "malformed attach reply"), "prefix 31");
	rep.status = 13;
	ok(proto_check_rep(&rep, &req, &why) == 0,
	    "an error reply's body is not checked");
	rep.status = 0;
	rep.u.attach.prefixlen = 24;
	rep.u.attach.host_ifname[0] = 'X';
	ok(rep_refused(&rep, &req, "malformed attach reply"),
	    "bad host name in reply");
}

static void
test_rep_check(void)
{
	struct proto_req req;
	struct proto_rep rep;
	const char *why;

	proto_init_req(&req, PROTO_CHECK_GRANTS, 9);
	proto_init_rep(&rep, &req);
	rep.u.check.ngrants = 1;
	(void)strlcpy(rep.u.check.grants[0].bridge, "capjail0", IFNAMSIZ);
	rep.u.check.grants[0].prefixlen = 24;
	ok(proto_check_rep(&rep, &req, &why) == 0, "check reply passes");
	rep.u.check.ngrants = PROTO_MAX_GRANTS + 1;
	ok(rep_refused(&rep, &req, "too many grants in reply"),
	    "too many grants");
	rep.u.check.ngrants = 1;
	rep.u.check.grants[0].prefixlen = 33;
	ok(rep_refused(&rep, &req, "malformed grant in reply"), "prefix 33");
	rep.u.check.grants[0].prefixlen = 24;
	rep.u.check.grants[0].port_lo = 2;
	rep.u.check.grants[0].port_hi = 1;
	ok(rep_refused(&rep, &req, "malformed grant in reply"),
	    "port range backwards");
	rep.u.check.grants[0].port_lo = 0;
	rep.u.check.grants[0].bridge[0] = '\0';
	ok(rep_refused(&rep, &req, "malformed grant in reply"),
	    "grant without a bridge name");
}

/* proto_number(s, lo, hi): the value and the reason, "-" for none. */
static int
num_is(const char *s, long long lo, long long hi, long long want,
    const char *why)
{
	const char *e = "unset";
	long long v = proto_number(s, lo, hi, &e);

	return v == want && strcmp(e ? e : "-", why) == 0;
}

static void
test_numbers(void)
{
	ok(num_is("8", 8, 30, 8, "-") && num_is("30", 8, 30, 30, "-"),
	    "number: both bounds");
	ok(num_is("+12", 8, 30, 12, "-"), "number: a sign, as strtonum");
	ok(num_is("7", 8, 30, 0, "too small"), "number: below: too small");
	ok(num_is("31", 8, 30, 0, "too large"), "number: above: too large");
	ok(num_is("", 8, 30, 0, "invalid"), "number: empty: invalid");
	ok(num_is("12x", 8, 30, 0, "invalid"), "number: junk after: invalid");
	ok(num_is("0x10", 0, 99, 0, "invalid"), "number: hex: invalid");
	ok(num_is("99999999999999999999", 0, 99, 0, "too large"),
	    "number: overflow: too large");
	ok(num_is("-99999999999999999999", 0, 99, 0, "too small"),
	    "number: underflow: too small");
	ok(num_is("4294967294", 0, 4294967294LL, 4294967294LL, "-"),
	    "number: a uid as large as the config allows");
	ok(proto_number("5", 1, 9, NULL) == 5 &&
	    proto_number("50", 1, 9, NULL) == 0, "number: errstr may be NULL");
}

int
main(void)
{
	test_names();
	test_numbers();
	test_hdr();
	test_attach();
	test_others();
	test_rep_attach();
	test_rep_check();
	return done_testing();
}
