/* SPDX-License-Identifier: ISC */
/*
 * capjail --list [--json]: the caller's running jails.  Only records that
 * verify.c finds true are shown; one whose launcher is gone is removed on
 * the way.  Reads the caller's own record directory and /proc.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/* Seconds since the jail's PID 1 started. */
static long
uptime_of(const struct record *r)
{
	double up = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;

	if ((f = fopen("/proc/uptime", "re")) != NULL) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		(void)fclose(f);
	}
	if (hz <= 0 || up * (double)hz < (double)r->start)
		return 0;
	return (long)(up - (double)r->start / (double)hz);
}

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned int)(unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* "-" in a record is "none": null in JSON. */
static void
json_field(const char *key, const char *val, const char *sep)
{
	printf("\"%s\":", key);
	if (strcmp(val, "-") == 0)
		printf("null");
	else
		json_string(val);
	printf("%s", sep);
}

static void
print_json(const struct record *r, int first)
{
	char ports[sizeof(r->ports)], *s, *p;

	printf("%s{\"name\":", first ? "" : ",");
	json_string(r->name);
	printf(",\"pid\":%ld,\"uptime\":%ld,", (long)r->pid, uptime_of(r));
	json_field("bridge", r->bridge, ",");
	json_field("address", r->addr, ",");
	printf("\"ports\":[");
	(void)str_copy(ports, strcmp(r->ports, "-") == 0 ? "" : r->ports,
	    sizeof(ports));
	for (s = ports; (p = strsep(&s, ",")) != NULL && *p != '\0';) {
		json_string(p);
		if (s != NULL)
			putchar(',');
	}
	printf("],");
	json_field("command", r->cmd, "}");
}

static void
print_row(const struct record *r)
{
	char up[32];
	long t = uptime_of(r);

	if (t >= 86400)
		(void)snprintf(up, sizeof(up), "%ldd%02ldh", t / 86400,
		    t % 86400 / 3600);
	else if (t >= 3600)
		(void)snprintf(up, sizeof(up), "%ldh%02ldm", t / 3600,
		    t % 3600 / 60);
	else
		(void)snprintf(up, sizeof(up), "%ldm%02lds", t / 60, t % 60);
	printf("%-12s %7ld %7s %-10s %-18s %-14s %s\n", r->name, (long)r->pid,
	    up, r->bridge, r->addr, r->ports, r->cmd);
}

/*
 * NAME.lock with no NAME record beside it: what a launcher killed before
 * it wrote its record leaves.  record_gc takes it only if no launcher
 * holds its lock (one that is starting does).
 */
static void
gc_lone_lock(int dfd, const char *entry)
{
	char name[NAME_LEN_MAX + 1];
	size_t n = strlen(entry);
	struct stat st;

	if (n <= 5 || n - 5 > NAME_LEN_MAX ||
	    strcmp(entry + n - 5, ".lock") != 0)
		return;
	memcpy(name, entry, n - 5);
	name[n - 5] = '\0';
	if (!record_valid_name(name) ||
	    fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return;
	record_gc(dfd, name);
}

/* Each verified record in turn to print; the rest cleaned up. */
static void
walk(int dfd, const struct opts *o)
{
	struct record r;
	struct dirent *de;
	DIR *d;
	int fd, n = 0;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL)
		err(EXIT_CAPJAIL, "record directory");
	while ((de = readdir(d)) != NULL) {
		if (!record_valid_name(de->d_name)) {
			gc_lone_lock(dfd, de->d_name);
			continue;
		}
		if (record_read(dfd, de->d_name, &r) == -1 ||
		    record_verify(&r, &fd) == -1) {
			record_gc(dfd, de->d_name);
			continue;
		}
		(void)close(fd);
		if (o->json)
			print_json(&r, n == 0);
		else
			print_row(&r);
		n++;
	}
	(void)closedir(d);
}

int
list_run(const struct opts *o)
{
	int dfd = recdir_open(0);

	if (o->json)
		printf("[");
	else
		printf("%-12s %7s %7s %-10s %-18s %-14s %s\n", "NAME", "PID",
		    "UPTIME", "BRIDGE", "ADDRESS", "PORTS", "COMMAND");
	if (dfd != -1) {
		walk(dfd, o);
		(void)close(dfd);
	}
	if (o->json)
		printf("]\n");
	if (fflush(stdout) == EOF)
		err(EXIT_CAPJAIL, "stdout");
	return 0;
}
