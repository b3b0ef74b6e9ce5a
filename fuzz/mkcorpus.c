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
#include "fuzz.h"

static FILE *out;

/*
 * One record; ev, when not 0, is the event: FK_EV_* flags (fuzz/fuzz.h)
 * in its low byte, the kernel exchange they come after in the next one.
 */
static void
record(unsigned int ctl, unsigned int ev, const struct proto_req *req)
{
	(void)fputc((int)ctl, out);
	if (ev != 0) {
		(void)fputc(0xfe, out);
		(void)fputc((int)(ev & 0xff), out);
		(void)fputc((int)(ev >> 8), out);
	}
	(void)fwrite(req, sizeof(*req), 1, out);
}

static void
attach(uint32_t seq, const char *br, uint32_t addr, unsigned int ev)
{
	struct proto_req r;

	proto_init_req(&r, PROTO_ATTACH_VETH, seq);
	(void)strlcpy(r.u.attach.bridge, br, sizeof(r.u.attach.bridge));
	(void)strlcpy(r.u.attach.ifname, "eth0", sizeof(r.u.attach.ifname));
	r.u.attach.addr = addr;
	record(1, ev, &r);	/* with the session's jail netns */
}

static void
publish(uint32_t seq, uint32_t proto, uint16_t host, uint16_t jail,
    unsigned int ev)
{
	struct proto_req r;

	proto_init_req(&r, PROTO_PUBLISH_PORT, seq);
	r.u.publish.ipproto = proto;
	r.u.publish.host_port = htons(host);
	r.u.publish.jail_port = htons(jail);
	record(0, ev, &r);
}

static void
bare(enum proto_type t, uint32_t seq)
{
	struct proto_req r;

	proto_init_req(&r, t, seq);
	record(0, 0, &r);
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

/*
 * Events: after kernel exchange n, the jail unlinks or the helper dies;
 * a racing helper's link for the same jail (or another), older or younger
 * than ours.
 */
#define UNLINK(n)	((n) << 8 | FK_EV_UNLINK)
#define KILL(n)		((n) << 8 | FK_EV_KILL)
#define TWIN_OLDER	FK_EV_TWIN_OLDER
#define TWIN_YOUNGER	FK_EV_TWIN_YOUNGER
#define TWIN_OTHER	FK_EV_TWIN_OTHER
#define TWIN_NETNS	FK_EV_TWIN_NETNS
#define TWIN_ADDR	FK_EV_TWIN_ADDR

/* Plain conversations. */
static void
seeds_plain(const char *dir)
{
	seed(dir, "check");
	bare(PROTO_CHECK_GRANTS, 1);
	seed(dir, "attach-publish-release");
	attach(1, "capjail0", 0, 0);
	publish(2, IPPROTO_TCP, 8080, 80, 0);
	publish(3, IPPROTO_UDP, 8053, 53, 0);
	bare(PROTO_RELEASE_ALL, 4);
	seed(dir, "attach-wanted-other");
	attach(1, "other0", htonl(0x0a5a0005), 0);
	publish(2, IPPROTO_TCP, 80, 80, 0);
	bare(PROTO_CHECK_GRANTS, 3);
	seed(dir, "attach-twice");
	attach(1, "capjail0", 0, 0);
	attach(2, "capjail0", 0, 0);
}

/* Helpers killed, and jails deleting their interface, at each step. */
static void
seeds_deaths(const char *dir)
{
	char name[64];
	unsigned int n;

	for (n = 1; n <= 12; n++) {
		(void)snprintf(name, sizeof(name), "killed-attach-%u", n);
		seed(dir, name);
		attach(1, "capjail0", 0, KILL(n));
		attach(1, "capjail0", 0, 0);
		publish(2, IPPROTO_TCP, 8080, 80, 0);
		bare(PROTO_CHECK_GRANTS, 3);
	}
	for (n = 1; n <= 12; n++) {
		(void)snprintf(name, sizeof(name), "unlinked-attach-%u", n);
		seed(dir, name);
		attach(1, "capjail0", 0, UNLINK(n));
		publish(2, IPPROTO_TCP, 8080, 80, 0);
		bare(PROTO_RELEASE_ALL, 3);
	}
	/* Killed after publishing; the jail then goes; the quota fills. */
	seed(dir, "killed-published");
	attach(1, "capjail0", 0, 0);
	publish(2, IPPROTO_TCP, 8080, 80, KILL(0));
	attach(1, "capjail0", 0, 0);
	publish(2, IPPROTO_TCP, 8080, 80, UNLINK(0) | KILL(0));
	attach(1, "capjail0", 0, 0);
	publish(2, IPPROTO_TCP, 8080, 80, 0);
	seed(dir, "quota");
	for (n = 0; n < 4; n++)
		attach(1, "capjail0", 0, KILL(0));
	bare(PROTO_CHECK_GRANTS, 1);
}

/*
 * Racing helpers: for the same jail (it wins; it loses and dies), and
 * for other jails at the quota (other0 allows 2).  Each takes the first
 * free slot (perhaps the one ours picked), and may have named its netns
 * (the same jail: ours is refused EBUSY) or taken our address (ours
 * takes another, or, wanted, is refused EADDRINUSE).
 */
static void
seeds_races(const char *dir)
{
	unsigned int n;

	seed(dir, "race-lost");
	attach(1, "capjail0", 0, TWIN_OLDER);
	bare(PROTO_CHECK_GRANTS, 2);
	seed(dir, "race-won");
	attach(1, "capjail0", 0, TWIN_YOUNGER | KILL(0));
	attach(1, "other0", 0, TWIN_YOUNGER | KILL(0));
	bare(PROTO_CHECK_GRANTS, 1);
	seed(dir, "race-quota-lost");
	attach(1, "other0", 0, KILL(0));
	attach(1, "other0", 0, TWIN_OTHER | TWIN_OLDER);
	seed(dir, "race-quota-won");
	attach(1, "other0", 0, KILL(0));
	attach(1, "other0", 0, TWIN_OTHER | TWIN_YOUNGER | KILL(0));
	bare(PROTO_CHECK_GRANTS, 1);
	/* Ours, named, outlives the helper; the older twin is not named. */
	seed(dir, "race-lost-killed");
	attach(1, "capjail0", 0, TWIN_OLDER | KILL(0));
	bare(PROTO_CHECK_GRANTS, 1);
	seed(dir, "race-netns-older");
	attach(1, "capjail0", 0, TWIN_OLDER | TWIN_NETNS);
	bare(PROTO_CHECK_GRANTS, 2);
	seed(dir, "race-netns-younger");
	attach(1, "capjail0", 0, TWIN_YOUNGER | TWIN_NETNS | TWIN_ADDR);
	attach(2, "capjail0", 0, 0);
	seed(dir, "race-addr");
	attach(1, "capjail0", 0, TWIN_OLDER | TWIN_OTHER | TWIN_ADDR);
	publish(2, IPPROTO_TCP, 8080, 80, 0);
	bare(PROTO_RELEASE_ALL, 3);
	seed(dir, "race-addr-wanted");
	attach(1, "other0", htonl(0x0a5a0007), TWIN_YOUNGER | TWIN_OTHER |
	    TWIN_NETNS | TWIN_ADDR);
	attach(1, "other0", htonl(0x0a5a0007), 0);
	seed(dir, "race-slots");
	for (n = 0; n < 3; n++)
		attach(1, "capjail0", 0, TWIN_OLDER | TWIN_OTHER | KILL(0));
	bare(PROTO_CHECK_GRANTS, 1);
	seed(dir, "race-crowded");
	attach(1, "capjail0", 0, KILL(0));
	attach(1, "capjail0", 0, TWIN_OLDER | TWIN_OTHER | TWIN_NETNS |
	    TWIN_ADDR | KILL(0));
	attach(1, "capjail0", 0, 0);
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(1, "usage: mkcorpus DIR");
	seeds_plain(argv[1]);
	seeds_deaths(argv[1]);
	seeds_races(argv[1]);
	(void)fclose(out);
	return 0;
}
