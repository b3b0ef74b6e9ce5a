/* SPDX-License-Identifier: ISC */
/*
 * Host ports a jail publishes are held, for the life of the session, by a
 * socket of the helper's bound to 0.0.0.0:PORT (as docker-proxy and
 * rootlessport hold theirs).  The bind is both the check and the claim:
 * it fails if any socket of the host already has the port for that
 * protocol on any IPv4 address or on a dual-stack IPv6 socket, and once
 * it succeeds nothing can bind the port until the session ends.  The
 * socket is also the publication's life: the DNAT rule looks it up (nft
 * "socket mark"), so if the caller kills the helper, the port stops
 * leading to the jail at that instant, and a service that binds it then
 * gets its own traffic.  Inputs: a protocol and port that proto_check_req
 * validated and the grant allowed.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

/*
 * Reserve ipproto (IPPROTO_TCP or IPPROTO_UDP) port (network order): the
 * socket's fd, or -1 with errno (EADDRINUSE: in use; EACCES: below
 * net.ipv4.ip_unprivileged_port_start, which needs a capability the
 * helper does not have).  A TCP socket listens, since the kernel's socket
 * look-up finds only listeners; nothing ever reaches it (the input chain
 * refuses what was not DNAT'ed to a jail, 127.0.0.1 included), and a UDP
 * one gets the smallest receive buffer, as nothing reads it either.
 */
int
port_reserve(uint32_t ipproto, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = port,
	    .sin_addr.s_addr = htonl(INADDR_ANY) };
	uint32_t mark = PORT_MARK;
	int fd, e, small = 1;

	if ((fd = socket(AF_INET, (ipproto == IPPROTO_TCP ? SOCK_STREAM :
	    SOCK_DGRAM) | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (ipproto == IPPROTO_UDP)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small,
		    sizeof(small));
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (ipproto == IPPROTO_TCP && listen(fd, 0) == -1)) {
		e = errno;
		(void)close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * Room to keep one more port: 0, or -1 with errno (ENOMEM).  Ports are
 * kept so that the release frees them before it answers: capjail returns
 * on that answer, and a jail started at once on the same ports must find
 * them free.
 */
int
port_room(struct ports *p)
{
	size_t cap;
	int *a;

	if (p->n < p->cap)
		return 0;
	cap = p->cap == 0 ? 8 : 2 * p->cap;
	if ((a = reallocarray(p->fd, cap, sizeof(*a))) == NULL)
		return -1;
	p->fd = a;
	p->cap = cap;
	return 0;
}

/* Keep fd, published: port_room made room for it. */
void
port_hold(struct ports *p, int fd)
{
	p->fd[p->n++] = fd;
}

/*
 * Free every port held.  Only once the firewall no longer publishes them
 * (fw_release): until then the sockets are what keeps another jail from
 * publishing the same ports, whose elements this session's release would
 * then delete.
 */
void
port_free_all(struct ports *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		(void)close(p->fd[i]);
	free(p->fd);
	p->fd = NULL;
	p->n = p->cap = 0;
}
