/* SPDX-License-Identifier: ISC */
/*
 * The kernel is the truth about a jail: a record (record.c) names a PID,
 * its start time and its namespaces, and before --list shows it or --join
 * and --stop act on it, the process behind a pidfd must be the caller's,
 * started then, the PID 1 of its own PID namespace, in exactly the
 * recorded pid, net, user and mount namespaces, none of them the caller's;
 * the pidfd is checked still alive after that, so a PID reused meanwhile
 * is caught.  Trusts nothing in the record.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/*
 * Field 22 of /proc/PID/stat, after the command in parentheses; 0 if gone.
 * Every start reads its PID 1's: one read and no stdio, whose buffer and
 * code would be pages touched for the first time (see fmt_ulong).
 */
unsigned long long
record_start_time(pid_t pid)
{
	char path[32], buf[1024], *p;
	unsigned long long t = 0;
	int i;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (read_text(path, buf, sizeof(buf)) == 0 ||
	    (p = strrchr(buf, ')')) == NULL)
		return 0;
	/* The space before field 3 is the first after ')'. */
	for (i = 2; i < 22 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		t = t * 10 + (unsigned long long)(*p - '0');
	return t;
}

/* 1 if pid is PID 1 in the innermost PID namespace it is in. */
static int
is_ns_init(pid_t pid)
{
	char path[32], line[256], *last;
	FILE *f;
	int init = 0;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		last = strrchr(line, '\t');
		init = last != NULL && strcmp(last, "\t1") == 0 &&
		    last != strchr(line, '\t');
	}
	(void)fclose(f);
	return init;
}

static int
same_namespaces(const struct record *r)
{
	char path[NS_PATH_MAX];
	struct stat st, self;
	size_t i;

	for (i = 0; i < REC_NNS; i++) {
		ns_path(path, r->pid, rec_ns[i]);
		if (stat(path, &st) == -1 || st.st_dev != r->ns_dev[i] ||
		    st.st_ino != r->ns_ino[i])
			return 0;
		(void)snprintf(path, sizeof(path), "/proc/self/ns/%s",
		    rec_ns[i]);
		if (stat(path, &self) == -1 || (self.st_dev == st.st_dev &&
		    self.st_ino == st.st_ino))
			return 0;
	}
	return 1;
}

/*
 * 0 and a pidfd for the jail's PID 1 if the record is true now; -1 if it
 * is stale or forged.
 */
int
record_verify(const struct record *r, int *pidfdp)
{
	struct pollfd pfd = { .events = POLLIN };
	char path[32];
	struct stat st;
	int fd;

	if ((fd = (int)syscall(SYS_pidfd_open, r->pid, 0)) == -1)
		return -1;
	(void)snprintf(path, sizeof(path), "/proc/%ld", (long)r->pid);
	pfd.fd = fd;
	if (stat(path, &st) == -1 || st.st_uid != getuid() ||
	    record_start_time(r->pid) != r->start || !is_ns_init(r->pid) ||
	    !same_namespaces(r) || poll(&pfd, 1, 0) != 0) {
		(void)close(fd);
		return -1;
	}
	*pidfdp = fd;
	return 0;
}

/* The running jail called name, verified; -1 if there is none. */
int
record_find(const char *name, struct record *r, int *pidfdp)
{
	int dfd, rc = -1;

	if (!record_valid_name(name))
		errx(EXIT_CAPJAIL, "%s: not a jail name (1-%d of A-Z a-z 0-9 "
		    "_ -)", name, NAME_LEN_MAX);
	if ((dfd = recdir_open(0)) == -1)
		return -1;
	if (record_read(dfd, name, r) == 0)
		rc = record_verify(r, pidfdp);
	if (rc == -1)
		record_gc(dfd, name);
	(void)close(dfd);
	return rc;
}
