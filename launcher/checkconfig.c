/* SPDX-License-Identifier: ISC */
/*
 * capjail --check-config [FILE]: a policy file checked without privilege,
 * with the helper's own parser (helper/config.c), so what it accepts is
 * what capjail-net accepts.  Errors are the parser's FILE:LINE messages;
 * warnings say what would go wrong on this host: a publish-from interface
 * that does not exist, a bridge name taken by an interface that is not a
 * bridge, a port range covering sockets that listen here now, and an
 * owner or mode for which the helper would refuse the file.  Reads only
 * the file, /proc/net and /sys/class/net; trusts the caller's arguments.
 */
#include <sys/stat.h>
#include <net/if.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"
#include "checkconfig.h"
#include "helper.h"

#define MAX_HELD	1024	/* listening ports noted per protocol file */

/* Ports that host sockets hold now, from one /proc/net table. */
struct held {
	const char	*proto;
	size_t		 n;
	uint16_t	 port[MAX_HELD];
};

static int nwarn;

static void warn_at(const char *, unsigned int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
warn_at(const char *path, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		printf("%s:%u: warning: ", path, line);
	else
		printf("%s: warning: ", path);
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nwarn++;
}

/* The directory path is in, as config_load opens it. */
static void
dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		(void)snprintf(dir, size, ".");
	else if (slash == path)
		(void)snprintf(dir, size, "/");
	else
		(void)snprintf(dir, size, "%.*s", (int)(slash - path), path);
}

/*
 * What config_load would say of path (no symlink; file and, with_dir, its
 * directory owned by root, writable by nobody else), or NULL if it would
 * accept it.
 */
static const char *
owner_problem(const char *path, int with_dir, const char **what)
{
	static char dir[PATH_MAX];
	struct stat st;

	*what = path;
	if (lstat(path, &st) == -1)
		return strerror(errno);
	if (S_ISLNK(st.st_mode))
		return "is a symbolic link";
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (st.st_uid != 0)
		return "not owned by root";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (!with_dir)
		return NULL;
	dir_of(path, dir, sizeof(dir));
	*what = dir;
	if (stat(dir, &st) == -1)
		return strerror(errno);
	if (st.st_uid != 0)
		return "directory not owned by root";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "directory writable by group or others";
	return NULL;
}

/* One /proc/net table: TCP sockets in LISTEN, every bound UDP socket. */
static void
read_held(const char *file, int tcp, struct held *h)
{
	char line[512];
	unsigned int port, state;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL)
		return;
	while (h->n < MAX_HELD && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x",
		    &port, &state) != 2 || port == 0)
			continue;
		if (!tcp || state == 0x0a)
			h->port[h->n++] = (uint16_t)port;
	}
	(void)fclose(f);
}

static void
check_ports(const char *path, const struct grant_conf *g,
    const struct held *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->port[i] >= g->port_lo && h->port[i] <= g->port_hi) {
			warn_at(path, g->line, "ports=%u-%u covers %s port %u, "
			    "which a socket on this host holds now: publishing "
			    "it will be refused", g->port_lo, g->port_hi,
			    h->proto, h->port[i]);
			return;
		}
}

static void
check_grants(const char *path, const struct config *c)
{
	static struct held held[2];
	size_t i;

	held[0].proto = "tcp";
	held[1].proto = "udp";
	read_held("/proc/net/tcp", 1, &held[0]);
	read_held("/proc/net/tcp6", 1, &held[0]);
	read_held("/proc/net/udp", 0, &held[1]);
	read_held("/proc/net/udp6", 0, &held[1]);
	for (i = 0; i < c->ngrants; i++)
		if (c->grants[i].port_hi != 0) {
			check_ports(path, &c->grants[i], &held[0]);
			check_ports(path, &c->grants[i], &held[1]);
		}
}

static void
check_bridge(const char *path, const struct bridge_conf *b)
{
	char sys[64];
	size_t i;

	(void)snprintf(sys, sizeof(sys), "/sys/class/net/%s/bridge", b->name);
	if (if_nametoindex(b->name) != 0 && access(sys, F_OK) == -1)
		warn_at(path, b->line, "%s exists and is not a bridge: the "
		    "helper will refuse jails on it", b->name);
	for (i = 0; i < b->npubif; i++)
		if (if_nametoindex(b->pubif[i]) == 0)
			warn_at(path, b->line, "publish-from interface %s does "
			    "not exist: ports published on %s will not be "
			    "reachable through it", b->pubif[i], b->name);
}

/* The file's content, with the helper's parser; 0 or -1 (reported). */
static int
parse_file(const char *path, struct config *c)
{
	char err[CONF_ERR_LEN];
	FILE *fp;
	int r;

	if ((fp = fopen(path, "re")) == NULL) {
		printf("%s: error: %s\n", path, strerror(errno));
		return -1;
	}
	r = config_parse(c, fp, path, err, sizeof(err));
	(void)fclose(fp);
	if (r == -1)
		printf("%s\n%s: error: capjail-net would refuse to start with "
		    "this file\n", err, path);
	return r;
}

int
checkconfig_run(int argc, char *argv[])
{
	static struct config c;
	const char *path = argc > 0 ? argv[0] : CONF_PATH;
	const char *why, *what;
	int installed;
	size_t i;

	if (argc > 1) {
		warnx("usage: capjail --check-config [FILE]");
		return EXIT_CAPJAIL;
	}
	installed = strcmp(path, CONF_PATH) == 0;
	if (parse_file(path, &c) == -1)
		return EXIT_CAPJAIL;
	if ((why = owner_problem(path, installed, &what)) != NULL) {
		if (installed) {
			printf("%s: error: %s: capjail-net refuses to run "
			    "with it\n", what, why);
			return EXIT_CAPJAIL;
		}
		warn_at(what, 0, "%s: capjail-net would refuse to start "
		    "with it as %s", why, CONF_PATH);
	}
	for (i = 0; i < c.nbridges; i++)
		check_bridge(path, &c.bridges[i]);
	check_grants(path, &c);
	printf("%s: ok: %zu bridges, %zu grants, %d warnings\n", path,
	    c.nbridges, c.ngrants, nwarn);
	return 0;
}
