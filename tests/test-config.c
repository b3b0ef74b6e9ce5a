/* SPDX-License-Identifier: ISC */
/*
 * helper/config.c: a good file parses into the right structs, grants
 * resolve with the documented precedence, every malformed line fails with
 * its FILE:LINE message, and config_load refuses a file that root does
 * not own, that others can write, that is a symlink, missing or not a
 * regular file.  Uses temporary files; the ownership cases need root.
 */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "tap.h"

static char dir[] = "/tmp/test-config.XXXXXX";
static char path[64];
static struct config conf;

static void
write_file(const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF)
		diag("writing %s: %s", path, strerror(errno));
	(void)chmod(path, 0644);
}

/* Parse text as "net.conf"; returns the error message, "" on success. */
static const char *
parse(const char *text)
{
	static char err[CONF_ERR_LEN];
	FILE *fp;

	write_file(text);
	err[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return "fopen";
	if (config_parse(&conf, fp, "net.conf", err, sizeof(err)) == 0)
		err[0] = '\0';
	(void)fclose(fp);
	return err;
}

static void
test_good(void)
{
	const struct grant_conf *g[CONF_MAX_BRIDGES];
	const struct bridge_conf *b;
	gid_t groups[] = { 4244, 4243 };
	const char *e = parse("# a comment\n\n"
	    "bridge capjail0 10.89.0.1/24 outbound=nat isolate=no "
	    "publish-from=eth0,eth1 forward=yes\n"
	    "bridge b1\t10.90.0.1/16   # trailing comment\n"
	    "user root capjail0 jails=2 ports=8000-8099\n"
	    "user 4242 b1 jails=1\n"
	    "group root capjail0 jails=5\n"
	    "group 4243 capjail0 jails=3\n"
	    "group 4244 capjail0 jails=4\n");

	ok(*e == '\0', "a good file parses (%s)", e);
	ok(conf.nbridges == 2 && conf.ngrants == 5, "2 bridges, 5 grants");
	b = config_bridge(&conf, "capjail0");
	ok(b != NULL && b->gateway.s_addr == htonl(0x0a590001) &&
	    b->prefixlen == 24 && b->line == 3, "bridge name, gateway, prefix");
	ok(b != NULL && b->outbound == OUTBOUND_NAT && !b->isolate &&
	    b->forward && b->npubif == 2 && strcmp(b->pubif[1], "eth1") == 0,
	    "bridge keys parsed");
	b = config_bridge(&conf, "b1");
	ok(b != NULL && b->outbound == OUTBOUND_NONE && b->isolate &&
	    !b->forward && b->npubif == 0, "bridge defaults");
	ok(config_bridge(&conf, "nope") == NULL, "unknown bridge not found");
	ok(conf.grants[0].kind == GRANT_USER && conf.grants[0].id == 0 &&
	    conf.grants[0].jails == 2 && conf.grants[0].port_lo == 8000 &&
	    conf.grants[0].port_hi == 8099, "user by name, jails, ports");
	ok(conf.grants[1].id == 4242 && conf.grants[1].bridge == 1 &&
	    conf.grants[1].port_lo == 0, "user by number, no ports");
	config_resolve(&conf, 0, (gid_t[]){ 0 }, 1, g);
	ok(g[0] == &conf.grants[0] && g[1] == NULL,
	    "a user line beats a group line");
	config_resolve(&conf, 4242, groups, 2, g);
	ok(g[0] == &conf.grants[3] && g[1] == &conf.grants[1],
	    "else the first matching group line, in file order");
	config_resolve(&conf, 777, (gid_t[]){ 777 }, 1, g);
	ok(g[0] == NULL && g[1] == NULL, "no line: no grant");
}

static const struct {
	const char *text, *err;
} bad[] = {
	{ "bogus x\n", "net.conf:1: unknown directive \"bogus\"" },
	{ "bridge c0\n",
	    "net.conf:1: usage: bridge NAME GATEWAY/PREFIX [KEY=VALUE...]" },
	{ "bridge Cap 10.0.0.1/24\n", "net.conf:1: bad interface name \"Cap\"" },
	{ "bridge c0 10.0.0.1\n",
	    "net.conf:1: expected GATEWAY/PREFIX, got \"10.0.0.1\"" },
	{ "bridge c0 10.0.0.300/24\n",
	    "net.conf:1: bad IPv4 address \"10.0.0.300\"" },
	{ "bridge c0 10.0.0.1/7\n",
	    "net.conf:1: prefix length \"7\" is too small (8 to 30)" },
	{ "bridge c0 10.0.0.1/31\n",
	    "net.conf:1: prefix length \"31\" is too large (8 to 30)" },
	{ "bridge c0 10.0.0.1/x\n",
	    "net.conf:1: prefix length \"x\" is invalid (8 to 30)" },
	{ "bridge c0 10.0.0.0/24\n",
	    "net.conf:1: gateway 10.0.0.0 is not a host address of its subnet" },
	{ "bridge c0 10.0.0.255/24\n",
	    "net.conf:1: gateway 10.0.0.255 is not a host address of its subnet" },
	{ "bridge c0 10.0.0.1/24 colour=red\n",
	    "net.conf:1: unknown key \"colour\"" },
	{ "bridge c0 10.0.0.1/24 nat\n",
	    "net.conf:1: expected KEY=VALUE, got \"nat\"" },
	{ "bridge c0 10.0.0.1/24 outbound=all\n",
	    "net.conf:1: outbound= must be none or nat" },
	{ "bridge c0 10.0.0.1/24 isolate=maybe\n",
	    "net.conf:1: isolate= must be yes or no" },
	{ "bridge c0 10.0.0.1/24 forward=1\n",
	    "net.conf:1: forward= must be yes or no" },
	{ "bridge c0 10.0.0.1/24 outbound=nat outbound=none\n",
	    "net.conf:1: outbound= given twice" },
	{ "bridge c0 10.0.0.1/24 publish-from=eth0,,eth1\n",
	    "net.conf:1: bad interface name \"\"" },
	{ "bridge c0 10.0.0.1/24 publish-from=a,b,c,d,e,f,g,h,i\n",
	    "net.conf:1: more than 8 publish-from interfaces" },
	{ "bridge c0 10.0.0.1/24\nbridge c0 10.1.0.1/24\n",
	    "net.conf:2: bridge c0 already defined at line 1" },
	{ "bridge a 10.0.0.1/16\n\nbridge b 10.0.5.1/24\n",
	    "net.conf:3: subnet overlaps bridge a (line 1)" },
	{ "bridge a 10.0.5.1/24\nbridge b 10.0.0.1/16\n",
	    "net.conf:2: subnet overlaps bridge a (line 1)" },
	{ "bridge br68 10.0.0.1/24\nbridge br86 10.1.0.1/24\n",
	    "net.conf:2: bridge names br86 and br68 (line 1) share the link "
	    "tag s3; rename one" },
	{ "bridge b0 10.0.0.1/24\nbridge b1 10.1.0.1/24\nbridge b2 10.2.0.1/24\n"
	    "bridge b3 10.3.0.1/24\nbridge b4 10.4.0.1/24\nbridge b5 10.5.0.1/24\n"
	    "bridge b6 10.6.0.1/24\nbridge b7 10.7.0.1/24\nbridge b8 10.8.0.1/24\n",
	    "net.conf:9: more than 8 bridges" },
	{ "user root nosuch0 jails=1\n",
	    "net.conf:1: bridge \"nosuch0\" is not defined above" },
	{ "bridge c0 10.0.0.1/24\nuser no-such-user-x c0 jails=1\n",
	    "net.conf:2: unknown user \"no-such-user-x\"" },
	{ "bridge c0 10.0.0.1/24\ngroup no-such-group-x c0 jails=1\n",
	    "net.conf:2: unknown group \"no-such-group-x\"" },
	{ "bridge c0 10.0.0.1/24\nuser 4294967295 c0 jails=1\n",
	    "net.conf:2: id \"4294967295\" is too large" },
	{ "bridge c0 10.0.0.1/24\nuser root c0\n",
	    "net.conf:2: usage: user NAME BRIDGE jails=N [ports=LO-HI]" },
	{ "bridge c0 10.0.0.1/24\ngroup root c0 ports=1-2\n",
	    "net.conf:2: jails=N is required" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=0\n",
	    "net.conf:2: jails= \"0\" is too small (1 to 1024)" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1025\n",
	    "net.conf:2: jails= \"1025\" is too large (1 to 1024)" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=two\n",
	    "net.conf:2: jails= \"two\" is invalid (1 to 1024)" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1 jails=2\n",
	    "net.conf:2: jails= given twice" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1 ports=80\n",
	    "net.conf:2: ports= must be LO-HI" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1 ports=0-80\n",
	    "net.conf:2: ports= must be LO-HI within 1-65535" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1 ports=90-80\n",
	    "net.conf:2: ports= must be LO-HI within 1-65535" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1 ports=1-70000\n",
	    "net.conf:2: ports= must be LO-HI within 1-65535" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1 ports=1-2 ports=3-4\n",
	    "net.conf:2: ports= given twice" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1 quota=3\n",
	    "net.conf:2: unknown key \"quota=3\"" },
	{ "bridge c0 10.0.0.1/24\nuser root c0 jails=1\nuser 0 c0 jails=2\n",
	    "net.conf:3: user 0 already granted c0 at line 2" },
	{ "bridge c0 10.0.0.1/24\ngroup 5 c0 jails=1\ngroup 5 c0 jails=2\n",
	    "net.conf:3: group 5 already granted c0 at line 2" },
	{ "a b c d e f g h i j k l m n o p q\n", "net.conf:1: too many fields" },
};

static void
test_bad(void)
{
	char long_line[600], many[4096];
	const char *e;
	size_t i;
	int n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = parse(bad[i].text);
		if (!ok(strcmp(e, bad[i].err) == 0, "refused: %s", bad[i].err))
			diag("got: %s", e);
	}
	memset(long_line, 'x', sizeof(long_line) - 2);
	long_line[sizeof(long_line) - 2] = '\n';
	long_line[sizeof(long_line) - 1] = '\0';
	e = parse(long_line);
	ok(strcmp(e, "net.conf:1: line too long") == 0, "a long line: %s", e);
	n = snprintf(many, sizeof(many), "bridge c0 10.0.0.1/24\n");
	for (i = 0; i <= CONF_MAX_GRANTS; i++)
		n += snprintf(many + n, sizeof(many) - (size_t)n,
		    "group %zu c0 jails=1\n", 1000 + i);
	e = parse(many);
	ok(strcmp(e, "net.conf:66: more than 64 grants") == 0,
	    "too many grants: %s", e);
}

/* config_load on p must fail with exactly "WHO: reason" (WHO: p, or
 * its directory). */
static void
load_refused_as(const char *p, const char *who, const char *reason,
    const char *what)
{
	char err[CONF_ERR_LEN], want[CONF_ERR_LEN];

	(void)snprintf(want, sizeof(want), "%s: %s", who, reason);
	err[0] = '\0';
	if (!ok(config_load(&conf, p, err, sizeof(err)) == -1 &&
	    strcmp(err, want) == 0, "config_load refuses %s", what))
		diag("got: %s", err);
}

static void
load_refused(const char *p, const char *reason, const char *what)
{
	load_refused_as(p, p, reason, what);
}

/* The directory the file is in is checked like the file. */
static void
test_load_dir(void)
{
	char sub[96];

	(void)chmod(dir, 0775);
	load_refused_as(path, dir, "writable by group or others",
	    "a file in a group-writable directory");
	(void)chmod(dir, 0757);
	load_refused_as(path, dir, "writable by group or others",
	    "a file in a world-writable directory");
	(void)chmod(dir, 0755);
	if (chown(dir, 1, 0) == -1)
		diag("chown: %s", strerror(errno));
	load_refused_as(path, dir, "not owned by root",
	    "a file in a directory owned by uid 1");
	if (chown(dir, 0, 0) == -1)
		diag("chown: %s", strerror(errno));
	(void)chmod(dir, 0700);
	(void)snprintf(sub, sizeof(sub), "%s/sub", dir);
	if (mkdir(sub, 0755) == -1)
		diag("mkdir: %s", strerror(errno));
	load_refused(sub, "not a regular file", "a directory");
	(void)rmdir(sub);
}

static void
test_load(void)
{
	char link[80], err[CONF_ERR_LEN];

	write_file("bridge c0 10.0.0.1/24\n");
	if (geteuid() != 0) {
		load_refused_as(path, dir, "not owned by root",
		    "a user's directory");
		skip("the other ownership and mode cases need root");
		return;
	}
	ok(config_load(&conf, path, err, sizeof(err)) == 0 &&
	    conf.nbridges == 1, "config_load accepts root's 0644 file");
	(void)chmod(path, 0664);
	load_refused(path, "writable by group or others", "a 0664 file");
	(void)chmod(path, 0646);
	load_refused(path, "writable by group or others", "a 0646 file");
	(void)chmod(path, 0644);
	if (chown(path, 1, 0) == -1)
		diag("chown: %s", strerror(errno));
	load_refused(path, "not owned by root", "a file owned by uid 1");
	if (chown(path, 0, 0) == -1)
		diag("chown: %s", strerror(errno));
	(void)snprintf(link, sizeof(link), "%s/link", dir);
	if (symlink(path, link) == -1)
		diag("symlink: %s", strerror(errno));
	load_refused(link, "is a symbolic link", "a symlink to a good file");
	(void)unlink(link);
	test_load_dir();
	(void)snprintf(link, sizeof(link), "%s/missing", dir);
	load_refused(link, "No such file or directory", "a missing file");
	write_file("bridge c0 10.0.0.1/24\nuser root c9 jails=1\n");
	ok(config_load(&conf, path, err, sizeof(err)) == -1 &&
	    strstr(err, ":2: bridge \"c9\" is not defined above") != NULL &&
	    strncmp(err, path, strlen(path)) == 0,
	    "config_load names the real path and line");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	(void)snprintf(path, sizeof(path), "%s/net.conf", dir);
	test_good();
	test_bad();
	test_load();
	(void)unlink(path);
	(void)rmdir(dir);
	return done_testing();
}
