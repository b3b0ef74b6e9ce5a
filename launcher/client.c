/* SPDX-License-Identifier: ISC */
/*
 * The launcher's side of the capjail-net protocol: spawning the helper on
 * one end of a SEQPACKET socketpair, and one function per request.  Replies
 * are trusted no more than requests are on the other side: each must pass
 * proto_check_rep, carry no fd, and its text is printed only after
 * non-printable bytes are replaced.  Functions return 0, or -1 with a
 * message in the caller's buffer (empty when the helper printed its own
 * on the way out); the caller decides what to do.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

/*
 * posix_spawn, not fork: the child shares our memory until its exec (no
 * page tables to copy, which costs a fork here a good part of a
 * millisecond), in a session of its own, with the socket as fd 3 (a dup2
 * onto itself clears close-on-exec) and nothing above it.  An exec that
 * fails comes back as the error.
 */
static int
spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
    int sock)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int e;

	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		return e;
	if ((e = posix_spawnattr_init(&at)) != 0) {
		(void)posix_spawn_file_actions_destroy(&fa);
		return e;
	}
	if ((e = posix_spawn_file_actions_adddup2(&fa, sock,
	    PROTO_SOCK_FD)) == 0 &&
	    (e = posix_spawn_file_actions_addclosefrom_np(&fa,
	    PROTO_SOCK_FD + 1)) == 0 &&
	    (e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID)) == 0)
		e = posix_spawn(pid, path, &fa, &at, argv, envp);
	(void)posix_spawnattr_destroy(&at);
	(void)posix_spawn_file_actions_destroy(&fa);
	return e;
}

/*
 * Must run before PR_SET_NO_NEW_PRIVS and before any new user namespace:
 * either would keep the helper from receiving its file capability over
 * the host's network.  The helper gets its own session, so a ^C at the
 * terminal cannot kill it before it has torn the jail's network down;
 * and an empty environment, since it must not read one.  With check, it
 * runs as "--check": it answers checks only and changes nothing.
 */
int
client_spawn(struct client *c, const char *path, int check)
{
	char *const argv[] = { (char *)(uintptr_t)path,
	    check ? (char *)(uintptr_t)"--check" : NULL, NULL };
	char *const envp[] = { NULL };
	int sv[2], e;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1) {
		errno = EPERM;
		warnx("no_new_privs is already set (inherited): the network "
		    "helper could not receive its capability");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		err(EXIT_CAPJAIL, "socketpair");
	vlog("helper: starting %s", path);
	if ((e = spawn(&c->pid, path, argv, envp, sv[1])) != 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		errno = e;
		warn("network helper %s", path);
		return -1;
	}
	(void)close(sv[1]);
	c->sock = sv[0];
	c->seq = 0;
	return 0;
}

/* The helper's text, safe for a terminal. */
static void
copy_text(char *why, size_t len, const struct proto_rep *rep)
{
	size_t i;

	if (rep->text[0] == '\0') {
		(void)snprintf(why, len, "%s", strerror((int)rep->status));
		return;
	}
	(void)snprintf(why, len, "%s", rep->text);
	for (i = 0; why[i] != '\0'; i++)
		if (!isprint((unsigned char)why[i]))
			why[i] = '?';
}

/*
 * The helper closed its socket without replying: reap it, and say why only
 * if it did not.  It exits 1 after its own one-line message on stderr (the
 * terminal's, shared with ours); anything else it did silently.
 */
static void
helper_gone(struct client *c, char *why, size_t len)
{
	int status;
	pid_t p;

	why[0] = '\0';
	while ((p = waitpid(c->pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (p != c->pid) {
		(void)snprintf(why, len, "the network helper is gone");
		return;
	}
	c->pid = -1;
	if (WIFSIGNALED(status))
		(void)snprintf(why, len, "the network helper was killed by "
		    "signal %d (%s): see the system log", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		(void)snprintf(why, len, "the network helper exited with "
		    "status %d without replying: run capjail --check",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* One request, one reply; fd (or -1) travels with the request. */
static int
call(struct client *c, struct proto_req *req, int fd, struct proto_rep *rep,
    char *why, size_t len)
{
	const char *reason;
	int rfd;

	if (fdpass_send(c->sock, req, sizeof(*req), fd) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			helper_gone(c, why, len);
		else
			(void)snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	if (fdpass_recv(c->sock, rep, sizeof(*rep), &rfd) == -1) {
		if (errno == 0 || errno == ECONNRESET)
			helper_gone(c, why, len);
		else
			(void)snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	if (rfd != -1) {
		(void)close(rfd);
		(void)snprintf(why, len, "network helper sent a file "
		    "descriptor");
		return -1;
	}
	if (proto_check_rep(rep, req, &reason) == -1) {
		(void)snprintf(why, len, "bad reply from network helper: %s",
		    reason);
		return -1;
	}
	if (rep->status != 0) {
		copy_text(why, len, rep);
		return -1;
	}
	return 0;
}

/*
 * The jail's netns travels as an fd (netfd, which the caller keeps): never
 * as a pid or a path.
 */
int
client_attach(struct client *c, int netfd, const struct opts *o,
    struct proto_attach_rep *out, char *why, size_t len)
{
	struct proto_req req;
	struct proto_rep rep;

	proto_init_req(&req, PROTO_ATTACH_VETH, ++c->seq);
	/* Both names passed proto_check_name in opts.c: they fit. */
	(void)str_copy(req.u.attach.bridge, o->bridge,
	    sizeof(req.u.attach.bridge));
	(void)str_copy(req.u.attach.ifname, o->ifname,
	    sizeof(req.u.attach.ifname));
	req.u.attach.addr = o->addr;
	/* Names and the helper's quota slots are both taken from the
	 * bottom: jailN's slot is likely N - 1, found in one lookup. */
	req.u.attach.slot_hint = o->slot_hint;
	if (o->npubs == 0)
		req.hdr.flags = PROTO_F_LAST;
	if (call(c, &req, netfd, &rep, why, len) == -1)
		return -1;
	if (rep.u.attach.addr == 0 || rep.u.attach.gateway == 0) {
		(void)snprintf(why, len, "bad reply from network helper: "
		    "no address");
		return -1;
	}
	*out = rep.u.attach;
	return 0;
}

/* last: no request follows until the release (PROTO_F_LAST). */
int
client_publish(struct client *c, const struct publish *p, int last,
    char *why, size_t len)
{
	struct proto_req req;
	struct proto_rep rep;

	proto_init_req(&req, PROTO_PUBLISH_PORT, ++c->seq);
	req.hdr.flags = last ? PROTO_F_LAST : 0;
	req.u.publish.ipproto = p->ipproto;
	req.u.publish.host_addr = p->host_addr;
	req.u.publish.host_port = p->host_port;
	req.u.publish.jail_port = p->jail_port;
	return call(c, &req, -1, &rep, why, len);
}

int
client_check(struct client *c, struct proto_check_rep *out, char *why,
    size_t len)
{
	struct proto_req req;
	struct proto_rep rep;

	proto_init_req(&req, PROTO_CHECK_GRANTS, ++c->seq);
	if (call(c, &req, -1, &rep, why, len) == -1)
		return -1;
	*out = rep.u.check;
	return 0;
}

/* EOF means release to the helper; waiting means teardown is done. */
void
client_close(struct client *c)
{
	int status;

	if (c->sock != -1)
		(void)close(c->sock);
	c->sock = -1;
	if (c->pid > 0)
		while (waitpid(c->pid, &status, 0) == -1 && errno == EINTR)
			;
	c->pid = -1;
}

/*
 * An answered release is a finished teardown: the link, its firewall
 * state and the ports are gone, so capjail returns without waiting for
 * the helper to end.  Its exit closes its nfnetlink socket, and the
 * kernel makes that wait until nf_tables has freed what the release
 * deleted, one RCU grace period (10-30 ms, more than a whole jail's
 * start): nothing a caller needs to wait for.  A failed release is waited
 * for, as then the helper's exit is the last of the teardown.
 */
void
client_release(struct client *c)
{
	struct proto_req req;
	struct proto_rep rep;
	char why[PROTO_TEXT_LEN + 64];

	vlog("helper: release");
	proto_init_req(&req, PROTO_RELEASE_ALL, ++c->seq);
	if (call(c, &req, -1, &rep, why, sizeof(why)) == 0)
		c->pid = -1;	/* not waited for: init reaps it */
	else if (why[0] != '\0')
		notice("release: %s", why);
	client_close(c);
	vlog("helper: released");
}
