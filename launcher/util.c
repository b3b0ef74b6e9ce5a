/* SPDX-License-Identifier: ISC */
/*
 * Small launcher utilities: the -v/-q message functions, an allocation
 * wrapper that exits with capjail's failure status, bounded string copies
 * (so the launcher needs no libbsd), writing a short string to a /proc
 * file, and where the helper lives.  Trusts its callers only.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"

int verbose, quiet;

/*
 * -v: one line per setup step, on stderr like every other message, with
 * the milliseconds since -v was parsed, the first thing capjail does
 * (the jail's processes are forks and keep the start), so a slow step
 * shows.
 */
void
vlog(const char *fmt, ...)
{
	va_list ap;
	char line[512];
	int n;

	if (!verbose)
		return;
	n = snprintf(line, sizeof(line), "%s: [%8.3f ms] ",
	    program_invocation_short_name, since_start_ms());
	if (n < 0 || (size_t)n >= sizeof(line) / 2)
		n = 0;
	va_start(ap, fmt);
	(void)vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write: the jail's lines and ours must not interleave. */
	(void)dprintf(STDERR_FILENO, "%s\n", line);
}

/*
 * The decimal digits of v, written backwards ending just before end;
 * returns the first.  For what the child writes between the clone and
 * the command: printf's code is pages the child has not touched since
 * the clone (a fork does not copy the page tables of mapped files), and
 * on a virtual machine each first touch is a page fault that can cost
 * 20 us.  The child's first printf cost ten of them.
 */
char *
fmt_ulong(char *end, unsigned long v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return end;
}

/* Milliseconds since the first call. */
double
since_start_ms(void)
{
	static struct timespec t0;
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) == -1)
		return 0;
	if (t0.tv_sec == 0 && t0.tv_nsec == 0)
		t0 = t;
	return (double)(t.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t.tv_nsec - t0.tv_nsec) / 1e6;
}

/* A problem that does not stop the jail; -q silences it. */
void
notice(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if ((q = reallocarray(p, n, size)) == NULL)
		err(EXIT_CAPJAIL, "reallocarray");
	return q;
}

/* /proc/PID/ns/NS, for any pid (buf holds NS_PATH_MAX bytes). */
void
ns_path(char *buf, pid_t pid, const char *ns)
{
	(void)snprintf(buf, NS_PATH_MAX, "/proc/%ld/ns/%s", (long)pid, ns);
}

/*
 * As strlcpy(3): copy src into dst of size bytes, truncated but always
 * terminated, and return strlen(src), so a result >= size means "cut".
 */
size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src), n;

	if (size > 0) {
		n = len < size ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* As strlcat(3): append src to the string in dst, returning str_copy's. */
size_t
str_append(char *dst, const char *src, size_t size)
{
	size_t used = strnlen(dst, size);

	if (used == size)
		return size + strlen(src);
	return used + str_copy(dst + used, src, size - used);
}

/*
 * A small file (a /proc one) in one read, NUL-terminated in buf; its
 * length, or 0 if it cannot be read or is empty.  No stdio: see
 * fmt_ulong.
 */
size_t
read_text(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, size - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

/* All of s in one write; 0, or -1 with errno (EIO for a short write). */
int
write_str(int fd, const char *s)
{
	size_t len = strlen(s);
	ssize_t n = write(fd, s, len);

	if (n >= 0 && (size_t)n != len)
		errno = EIO;
	return n == (ssize_t)len ? 0 : -1;
}

/* Returns 0 or -1 with errno; proc files want the whole string at once. */
int
write_file(const char *path, const char *s)
{
	int fd, r, saved;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	r = write_str(fd, s);
	saved = errno;
	(void)close(fd);
	errno = saved;
	return r;
}

/*
 * CAPJAIL_HELPER may name another helper: the launcher holds no privilege,
 * and a helper only gets its capability from its own file, so pointing it
 * elsewhere gains the caller nothing.
 */
const char *
helper_path(void)
{
	const char *p = getenv("CAPJAIL_HELPER");

	return (p != NULL && *p != '\0') ? p : HELPER_PATH;
}

/* path, absolute, without "." and ".." components (in place). */
void
path_lexical(char *path)
{
	char *out = path, *p = path, *seg;
	size_t n;

	while (*p != '\0') {
		while (*p == '/')
			p++;
		seg = p;
		while (*p != '\0' && *p != '/')
			p++;
		n = (size_t)(p - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > path && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}
