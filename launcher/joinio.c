/* SPDX-License-Identifier: ISC */
/*
 * A --join command gets our stdin, stdout and stderr, but never our
 * terminal itself: a terminal fd in the jail could be reopened through
 * /proc and read after the command ends (what we type next, passwords
 * included), or used to type into our shell.  So each standard fd that is
 * a terminal goes through a pipe we copy, for as long as the command runs.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "launcher.h"

/* Replace each terminal among fds[0..2] by a pipe end; returns how many. */
size_t
joinio_open(struct joinio px[3], int fds[3])
{
	size_t n = 0;
	int i, p[2];

	for (i = 0; i < 3; i++) {
		fds[i] = i;
		if (!isatty(i))
			continue;
		if (pipe2(p, O_CLOEXEC) == -1)
			err(EXIT_CAPJAIL, "--join: pipe");
		fds[i] = i == 0 ? p[0] : p[1];
		px[n].ours = i;
		px[n].kept = i == 0 ? p[1] : p[0];
		px[n++].in = i == 0;
	}
	return n;
}

/*
 * Copy what one side has: 1 if something was copied, 0 if nothing was
 * there yet, -1 at the end (then the pipe is closed).
 */
int
joinio_pump(struct joinio *x)
{
	char buf[4096];
	ssize_t n, w = 0, off;
	int from = x->in ? x->ours : x->kept;
	int to = x->in ? x->kept : x->ours;

	if ((n = read(from, buf, sizeof(buf))) == -1 &&
	    (errno == EINTR || errno == EAGAIN))
		return 0;
	for (off = 0; n > 0 && off < n && w != -1; off += w > 0 ? w : 0)
		w = write(to, buf + off, (size_t)(n - off));
	if (n > 0 && w != -1)
		return 1;
	(void)close(x->kept);
	x->kept = -1;
	return -1;
}

/* After the command: what is left in the output pipes, without waiting. */
void
joinio_drain(struct joinio *px, size_t n)
{
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		if (px[i].in || px[i].kept == -1)
			continue;
		(void)fcntl(px[i].kept, F_SETFL, O_NONBLOCK);
		for (k = 0; k < 1024 && joinio_pump(&px[i]) == 1; k++)
			;
	}
}
