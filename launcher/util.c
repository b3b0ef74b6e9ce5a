/* SPDX-License-Identifier: ISC */
/*
 * Small launcher utilities: the -v/-q message functions, an allocation
 * wrapper that exits with capjail's failure status, writing a short string
 * to a /proc file, and where the helper lives.  Trusts its callers only.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

int verbose, quiet;

/* -v: one line per setup step, on stderr like every other message. */
void
vlog(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
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

/* Returns 0 or -1 with errno; proc files want the whole string at once. */
int
write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, s, len);
	saved = errno;
	(void)close(fd);
	if (n == -1) {
		errno = saved;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
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
