/* SPDX-License-Identifier: ISC */
/*
 * Writes the fuzzer's seed corpus into the directory given: valid
 * conversations in the harness's record format (see fuzz-dispatch.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

static FILE *out;

static void
record(unsigned int ctl, const struct proto_req *req)
{
	(void)fputc((int)ctl, out);
	(void)fwrite(req, sizeof(*req), 1, out);
}

static void
attach(uint32_t seq, const char *br, uint32_t addr)
{
	struct proto_req r;

	proto_init_req(&r, PROTO_ATTACH_VETH, seq);
	(void)strlcpy(r.u.attach.bridge, br, sizeof(r.u.attach.bridge));
	(void)strlcpy(r.u.attach.ifname, "eth0", sizeof(r.u.attach.ifname));
	r.u.attach.addr = addr;
	record(1, &r);	/* with a netns we own */
}

static void
publish(uint32_t seq, uint32_t proto, uint16_t host, uint16_t jail)
{
	struct proto_req r;

	proto_init_req(&r, PROTO_PUBLISH_PORT, seq);
	r.u.publish.ipproto = proto;
	r.u.publish.host_port = htons(host);
	r.u.publish.jail_port = htons(jail);
	record(0, &r);
}

static void
bare(enum proto_type t, uint32_t seq)
{
	struct proto_req r;

	proto_init_req(&r, t, seq);
	record(0, &r);
}

static void
seed(const char *dir, const char *name)
{
	char path[4096];

	if (out != NULL)
		(void)fclose(out);
	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((out = fopen(path, "w")) == NULL)
		err(1, "%s", path);
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(1, "usage: mkcorpus DIR");
	seed(argv[1], "check");
	bare(PROTO_CHECK_GRANTS, 1);
	seed(argv[1], "attach-publish-release");
	attach(1, "capjail0", 0);
	publish(2, IPPROTO_TCP, 8080, 80);
	publish(3, IPPROTO_UDP, 8053, 53);
	bare(PROTO_RELEASE_ALL, 4);
	seed(argv[1], "attach-wanted-other");
	attach(1, "other0", htonl(0x0a5a0005));
	publish(2, IPPROTO_TCP, 80, 80);
	bare(PROTO_CHECK_GRANTS, 3);
	seed(argv[1], "attach-twice");
	attach(1, "capjail0", 0);
	attach(2, "capjail0", 0);
	(void)fclose(out);
	return 0;
}
