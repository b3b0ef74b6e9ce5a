/* SPDX-License-Identifier: ISC */
/*
 * The policy file: which bridges exist, and who may put how many jails on
 * each.  It is trusted only after config_load has checked that root owns it
 * and nobody else can write it; its contents are still parsed strictly, and
 * any line we do not fully understand stops the helper (a typo must never
 * widen a grant).  Format, one directive per line, '#' starts a comment:
 *
 *	bridge NAME GATEWAY/PREFIX [outbound=none|nat] [isolate=yes|no]
 *	    [publish-from=IF[,IF...]] [forward=yes|no]
 *	user NAME|UID BRIDGE jails=N [ports=LO-HI]
 *	group NAME|GID BRIDGE jails=N [ports=LO-HI]
 *
 * A bridge must be declared before the grants that name it.
 */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

#define MAX_FIELDS	16
#define LINE_MAX_LEN	512

struct parser {
	struct config	*conf;
	const char	*path;
	unsigned int	 line;
	char		*err;
	size_t		 errlen;
};

static int perr(struct parser *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
	char msg[CONF_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)snprintf(p->err, p->errlen, "%s:%u: %s", p->path, p->line, msg);
	return -1;
}

const struct bridge_conf *
config_bridge(const struct config *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->nbridges; i++)
		if (strcmp(conf->bridges[i].name, name) == 0)
			return &conf->bridges[i];
	return NULL;
}

static int
parse_ifname(struct parser *p, char dst[IFNAMSIZ], const char *s)
{
	if (strlen(s) >= IFNAMSIZ || proto_check_name(s, strlen(s) + 1) == -1)
		return perr(p, "bad interface name \"%s\"", s);
	(void)snprintf(dst, IFNAMSIZ, "%s", s);
	return 0;
}

static int
parse_yesno(struct parser *p, const char *key, const char *v, int *out)
{
	if (strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0)
		*out = 0;
	else
		return perr(p, "%s= must be yes or no", key);
	return 0;
}

static int
parse_pubif(struct parser *p, struct bridge_conf *b, char *list)
{
	char *ifn;

	while ((ifn = strsep(&list, ",")) != NULL) {
		if (b->npubif == CONF_MAX_PUBIF)
			return perr(p, "more than %d publish-from interfaces",
			    CONF_MAX_PUBIF);
		if (parse_ifname(p, b->pubif[b->npubif++], ifn) == -1)
			return -1;
	}
	return 0;
}

/* One KEY=VALUE of a bridge line; seen[] catches a key given twice. */
static int
parse_bridge_kv(struct parser *p, struct bridge_conf *b, char *kv, int seen[4])
{
	static const char *const keys[] = { "outbound", "isolate",
	    "publish-from", "forward" };
	char *v = strchr(kv, '=');
	size_t k;

	if (v == NULL)
		return perr(p, "expected KEY=VALUE, got \"%s\"", kv);
	*v++ = '\0';
	for (k = 0; k < 4 && strcmp(kv, keys[k]) != 0; k++)
		;
	if (k == 4)
		return perr(p, "unknown key \"%s\"", kv);
	if (seen[k]++)
		return perr(p, "%s= given twice", kv);
	if (k == 0 && strcmp(v, "none") == 0)
		b->outbound = OUTBOUND_NONE;
	else if (k == 0 && strcmp(v, "nat") == 0)
		b->outbound = OUTBOUND_NAT;
	else if (k == 0)
		return perr(p, "outbound= must be none or nat");
	else if (k == 2)
		return parse_pubif(p, b, v);
	else
		return parse_yesno(p, kv, v, k == 1 ? &b->isolate :
		    &b->forward);
	return 0;
}

/* GATEWAY/PREFIX: the gateway must be a host address of its subnet. */
static int
parse_cidr(struct parser *p, struct bridge_conf *b, char *s)
{
	char *slash = strchr(s, '/');
	const char *errstr;
	uint32_t a, mask;

	if (slash == NULL)
		return perr(p, "expected GATEWAY/PREFIX, got \"%s\"", s);
	*slash = '\0';
	if (inet_pton(AF_INET, s, &b->gateway) != 1)
		return perr(p, "bad IPv4 address \"%s\"", s);
	b->prefixlen = (uint32_t)proto_number(slash + 1, 8, 30, &errstr);
	if (errstr != NULL)
		return perr(p, "prefix length \"%s\" is %s (8 to 30)",
		    slash + 1, errstr);
	a = ntohl(b->gateway.s_addr);
	mask = ~0u << (32 - b->prefixlen);
	if ((a & ~mask) == 0 || (a & ~mask) == ~mask)
		return perr(p, "gateway %s is not a host address of its subnet",
		    s);
	return 0;
}

static int
overlaps(const struct bridge_conf *x, const struct bridge_conf *y)
{
	uint32_t len = x->prefixlen < y->prefixlen ? x->prefixlen :
	    y->prefixlen;
	uint32_t mask = ~0u << (32 - len);

	return ((ntohl(x->gateway.s_addr) ^ ntohl(y->gateway.s_addr)) &
	    mask) == 0;
}

/*
 * Two base-36 digits from the bridge's name (FNV-1a), in the names of its
 * jails' links: a jail's quota slot is named for its bridge by something
 * that stays when the config is reordered, and a collision is refused.
 */
static void
bridge_tag(struct bridge_conf *b)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint32_t h = 2166136261u;
	const char *c;

	for (c = b->name; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	h %= 36 * 36;
	b->tag[0] = digits[h / 36];
	b->tag[1] = digits[h % 36];
	b->tag[2] = '\0';
}

static int
parse_bridge(struct parser *p, char **f, size_t nf)
{
	struct config *c = p->conf;
	struct bridge_conf *b = &c->bridges[c->nbridges];
	int seen[4] = { 0 };
	size_t i;

	if (nf < 3)
		return perr(p, "usage: bridge NAME GATEWAY/PREFIX [KEY=VALUE...]");
	if (c->nbridges == CONF_MAX_BRIDGES)
		return perr(p, "more than %d bridges", CONF_MAX_BRIDGES);
	memset(b, 0, sizeof(*b));
	b->isolate = 1;
	b->line = p->line;
	if (parse_ifname(p, b->name, f[1]) == -1 ||
	    parse_cidr(p, b, f[2]) == -1)
		return -1;
	for (i = 3; i < nf; i++)
		if (parse_bridge_kv(p, b, f[i], seen) == -1)
			return -1;
	bridge_tag(b);
	for (i = 0; i < c->nbridges; i++) {
		if (strcmp(c->bridges[i].name, b->name) == 0)
			return perr(p, "bridge %s already defined at line %u",
			    b->name, c->bridges[i].line);
		if (overlaps(&c->bridges[i], b))
			return perr(p, "subnet overlaps bridge %s (line %u)",
			    c->bridges[i].name, c->bridges[i].line);
		if (strcmp(c->bridges[i].tag, b->tag) == 0)
			return perr(p, "bridge names %s and %s (line %u) "
			    "share the link tag %s; rename one", b->name,
			    c->bridges[i].name, c->bridges[i].line, b->tag);
	}
	c->nbridges++;
	return 0;
}

/* A user or group by name, or by number (the only all-digit form). */
static int
parse_id(struct parser *p, struct grant_conf *g, const char *s)
{
	const char *errstr;
	struct passwd *pw;
	struct group *gr;

	if (s[strspn(s, "0123456789")] == '\0') {
		g->id = (uint32_t)proto_number(s, 0, UINT32_MAX - 1, &errstr);
		if (errstr != NULL)
			return perr(p, "id \"%s\" is %s", s, errstr);
	} else if (g->kind == GRANT_USER) {
		errno = 0;	/* NULL alone: no such user, or a failure */
		if ((pw = getpwnam(s)) == NULL)
			return errno != 0 ? perr(p, "looking up user \"%s\": %s",
			    s, strerror(errno)) : perr(p, "unknown user \"%s\"", s);
		g->id = pw->pw_uid;
	} else {
		errno = 0;
		if ((gr = getgrnam(s)) == NULL)
			return errno != 0 ? perr(p, "looking up group \"%s\": %s",
			    s, strerror(errno)) : perr(p, "unknown group \"%s\"", s);
		g->id = gr->gr_gid;
	}
	return 0;
}

static int
parse_ports(struct parser *p, struct grant_conf *g, char *v)
{
	char *hi = strchr(v, '-');
	const char *e1 = NULL, *e2 = NULL;

	if (hi == NULL)
		return perr(p, "ports= must be LO-HI");
	*hi++ = '\0';
	g->port_lo = (uint16_t)proto_number(v, 1, 65535, &e1);
	g->port_hi = (uint16_t)proto_number(hi, 1, 65535, &e2);
	if (e1 != NULL || e2 != NULL || g->port_lo > g->port_hi)
		return perr(p, "ports= must be LO-HI within 1-65535");
	return 0;
}

static int
parse_grant_kv(struct parser *p, struct grant_conf *g, char *kv, int seen[2])
{
	const char *errstr;

	if (strncmp(kv, "jails=", 6) == 0 && !seen[0]++) {
		g->jails = (uint32_t)proto_number(kv + 6, 1, CONF_MAX_JAILS,
		    &errstr);
		if (errstr != NULL)
			return perr(p, "jails= \"%s\" is %s (1 to %d)",
			    kv + 6, errstr, CONF_MAX_JAILS);
		return 0;
	}
	if (strncmp(kv, "ports=", 6) == 0 && !seen[1]++)
		return parse_ports(p, g, kv + 6);
	if (strncmp(kv, "jails=", 6) == 0 || strncmp(kv, "ports=", 6) == 0)
		return perr(p, "%.5s= given twice", kv);
	return perr(p, "unknown key \"%s\"", kv);
}

static int
parse_grant(struct parser *p, char **f, size_t nf, enum grant_kind kind)
{
	struct config *c = p->conf;
	struct grant_conf *g = &c->grants[c->ngrants], *o;
	const struct bridge_conf *b;
	int seen[2] = { 0 };
	size_t i;

	if (nf < 4)
		return perr(p, "usage: %s NAME BRIDGE jails=N [ports=LO-HI]",
		    f[0]);
	if (c->ngrants == CONF_MAX_GRANTS)
		return perr(p, "more than %d grants", CONF_MAX_GRANTS);
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->line = p->line;
	if (parse_id(p, g, f[1]) == -1)
		return -1;
	if ((b = config_bridge(c, f[2])) == NULL)
		return perr(p, "bridge \"%s\" is not defined above", f[2]);
	g->bridge = (size_t)(b - c->bridges);
	for (i = 3; i < nf; i++)
		if (parse_grant_kv(p, g, f[i], seen) == -1)
			return -1;
	if (!seen[0])
		return perr(p, "jails=N is required");
	for (o = c->grants; o < g; o++)
		if (o->kind == kind && o->id == g->id && o->bridge == g->bridge)
			return perr(p, "%s %s already granted %s at line %u",
			    f[0], f[1], f[2], o->line);
	c->ngrants++;
	return 0;
}

static int
parse_line(struct parser *p, char *line)
{
	char *f[MAX_FIELDS], *s;
	size_t nf = 0;

	line[strcspn(line, "#\n")] = '\0';
	while ((s = strsep(&line, " \t")) != NULL) {
		if (*s == '\0')
			continue;
		if (nf == MAX_FIELDS)
			return perr(p, "too many fields");
		f[nf++] = s;
	}
	if (nf == 0)
		return 0;
	if (strcmp(f[0], "bridge") == 0)
		return parse_bridge(p, f, nf);
	if (strcmp(f[0], "user") == 0)
		return parse_grant(p, f, nf, GRANT_USER);
	if (strcmp(f[0], "group") == 0)
		return parse_grant(p, f, nf, GRANT_GROUP);
	return perr(p, "unknown directive \"%s\"", f[0]);
}

int
config_parse(struct config *conf, FILE *fp, const char *path, char *err,
    size_t errlen)
{
	struct parser p = { conf, path, 0, err, errlen };
	char line[LINE_MAX_LEN];

	memset(conf, 0, sizeof(*conf));
	while (fgets(line, sizeof(line), fp) != NULL) {
		p.line++;
		if (strchr(line, '\n') == NULL && !feof(fp))
			return perr(&p, "line too long");
		if (parse_line(&p, line) == -1)
			return -1;
	}
	if (ferror(fp))
		return perr(&p, "read error");
	return 0;
}

/*
 * Opened without following a symlink, then checked through the fd we
 * read, so the file cannot be swapped between the check and the read.
 */
/*
 * The file, and the directory it is in, must be of the right type, owned
 * by root and not writable by group or others: whoever could rename or
 * replace an entry in the directory could replace the policy.
 */
static int
check_owner(int fd, const char *path, mode_t type, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		memset(&st, 0, sizeof(st));	/* fails every check below */
	if ((st.st_mode & S_IFMT) == type && st.st_uid == 0 &&
	    !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	(void)snprintf(err, errlen, "%s: %s", path,
	    (st.st_mode & S_IFMT) != type ? (type == S_IFDIR ?
	    "not a directory" : "not a regular file") :
	    st.st_uid != 0 ? "not owned by root" :
	    "writable by group or others");
	return -1;
}

static const char *
base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* The directory of path, checked; its fd, or -1 with the error. */
static int
open_dir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	size_t n = (size_t)(base_of(path) - path);
	int fd;

	if (n == 0)
		(void)snprintf(dir, sizeof(dir), ".");
	else if (n >= sizeof(dir)) {
		(void)snprintf(err, errlen, "%s: path too long", path);
		return -1;
	} else
		(void)snprintf(dir, sizeof(dir), "%.*s", (int)(n == 1 ? 1 :
		    n - 1), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (check_owner(fd, dir, S_IFDIR, err, errlen) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
config_load(struct config *conf, const char *path, char *err, size_t errlen)
{
	FILE *fp;
	int dfd, fd, r;

	if ((dfd = open_dir(path, err, errlen)) == -1)
		return -1;
	fd = openat(dfd, base_of(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY);
	(void)close(dfd);
	if (fd == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (check_owner(fd, path, S_IFREG, err, errlen) == -1) {
		(void)close(fd);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	r = config_parse(conf, fp, path, err, errlen);
	(void)fclose(fp);
	return r;
}

static int
in_groups(gid_t gid, const gid_t *groups, size_t ngroups)
{
	size_t i;

	for (i = 0; i < ngroups; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

void
config_resolve(const struct config *conf, uid_t uid, const gid_t *groups,
    size_t ngroups, const struct grant_conf *out[CONF_MAX_BRIDGES])
{
	const struct grant_conf *g;
	size_t i;

	for (i = 0; i < CONF_MAX_BRIDGES; i++)
		out[i] = NULL;
	for (i = 0; i < conf->ngrants; i++) {
		g = &conf->grants[i];
		if (g->kind == GRANT_USER && g->id == uid)
			out[g->bridge] = g;
	}
	for (i = 0; i < conf->ngrants; i++) {
		g = &conf->grants[i];
		if (g->kind == GRANT_GROUP && out[g->bridge] == NULL &&
		    in_groups(g->id, groups, ngroups))
			out[g->bridge] = g;
	}
}
