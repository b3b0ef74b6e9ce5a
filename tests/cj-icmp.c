/* SPDX-License-Identifier: ISC */
/*
 * Raw IPv4 for the attacker-side flow tests: forge ICMP errors quoting a
 * given flow (sweeping a bounded range of its ports), forge one TCP or UDP
 * packet from any address and port, and watch what arrives.  It runs as
 * root of a jail's user namespace (raw sockets, any source) or as root in
 * a test namespace; every argument comes from the test script.
 *
 * usage: cj-icmp error TYPE CODE MTU SRC DST tcp|udp ISRC:P[-P] IDST:P[-P]
 *            [SEQ]		one error per inner port pair (at most 4096)
 *        cj-icmp tcp SRC:P DST:P SEQ ACK DATA	one PSH|ACK segment
 *        cj-icmp udp SRC:P DST:P DATA		one datagram
 *        cj-icmp watch icmp|tcp|udp SECONDS	one line per packet received
 *
 * watch prints, flushed line by line:
 *	icmp SRC > DST type=T code=C mtu=M inner=P ISRC:IP > IDST:IP seq=S
 *	tcp SRC:P > DST:P seq=S ack=A len=N flags=F data=TEXT
 *	udp SRC:P > DST:P len=N data=TEXT
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PKT_MAX		1500
#define SWEEP_MAX	4096
#define DATA_MAX	1024

struct ep {
	struct in_addr	addr;
	unsigned int	lo, hi;		/* port range, host order */
};

static void __attribute__((noreturn))
usage(void)
{
	(void)fprintf(stderr, "usage: cj-icmp error TYPE CODE MTU SRC DST "
	    "tcp|udp ISRC:P[-P] IDST:P[-P] [SEQ]\n"
	    "       cj-icmp tcp SRC:P DST:P SEQ ACK DATA\n"
	    "       cj-icmp udp SRC:P DST:P DATA\n"
	    "       cj-icmp watch icmp|tcp|udp SECONDS\n");
	exit(2);
}

static unsigned long
num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > max)
		errx(2, "bad number %s", s);
	return v;
}

static struct in_addr
addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		errx(2, "bad address %s", s);
	return a;
}

/* "A.B.C.D:P" or "A.B.C.D:LO-HI" */
static struct ep
endpoint(const char *s)
{
	char a[INET_ADDRSTRLEN], p[16];
	struct ep e;
	char *dash;

	if (sscanf(s, "%15[0-9.]:%15s", a, p) != 2)
		errx(2, "bad endpoint %s", s);
	e.addr = addr(a);
	if ((dash = strchr(p, '-')) != NULL)
		*dash++ = '\0';
	e.lo = (unsigned int)num(p, 65535);
	e.hi = dash != NULL ? (unsigned int)num(dash, 65535) : e.lo;
	if (e.hi < e.lo)
		errx(2, "bad port range %s", s);
	return e;
}

static uint32_t
sum16(const void *p, size_t len, uint32_t s)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* The TCP/UDP checksum: pseudo-header, then the segment. */
static uint16_t
l4sum(const struct ip *ip, const void *seg, size_t len)
{
	uint8_t ph[12];
	uint16_t n = htons((uint16_t)len);

	memcpy(ph, &ip->ip_src, 4);
	memcpy(ph + 4, &ip->ip_dst, 4);
	ph[8] = 0;
	ph[9] = ip->ip_p;
	memcpy(ph + 10, &n, 2);
	return fold(sum16(seg, len, sum16(ph, sizeof(ph), 0)));
}

static void
put_ip(struct ip *ip, int proto, struct in_addr src, struct in_addr dst,
    size_t len)
{
	memset(ip, 0, sizeof(*ip));
	ip->ip_v = 4;
	ip->ip_hl = sizeof(*ip) / 4;
	ip->ip_len = htons((uint16_t)len);
	ip->ip_off = htons(IP_DF);
	ip->ip_ttl = 64;
	ip->ip_p = (uint8_t)proto;
	ip->ip_src = src;
	ip->ip_dst = dst;
	ip->ip_sum = fold(sum16(ip, sizeof(*ip), 0));
}

static void
send_ip(int fd, const void *pkt, size_t len)
{
	const struct ip *ip = pkt;
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_addr = ip->ip_dst };

	if (sendto(fd, pkt, len, 0, (const struct sockaddr *)&sin,
	    sizeof(sin)) != (ssize_t)len)
		err(1, "sendto");
}

static int
raw_out(void)
{
	int fd;

	/* IPPROTO_RAW implies IP_HDRINCL: we write the whole header. */
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1)
		err(1, "raw socket");
	return fd;
}

/*
 * The quoted packet: an IPv4 header and the first 8 bytes of its TCP or
 * UDP header (RFC 792), which hold both ports and, for TCP, the sequence
 * number the receiver checks against its window.
 */
static size_t
put_inner(uint8_t *p, int proto, struct in_addr s, unsigned int sp,
    struct in_addr d, unsigned int dp, uint32_t seq)
{
	uint16_t ports[2] = { htons((uint16_t)sp), htons((uint16_t)dp) };
	uint32_t w = htonl(seq);

	put_ip((struct ip *)(void *)p, proto, s, d, PKT_MAX);
	memcpy(p + sizeof(struct ip), ports, sizeof(ports));
	if (proto == IPPROTO_TCP)
		memcpy(p + sizeof(struct ip) + 4, &w, 4);
	else
		memset(p + sizeof(struct ip) + 4, 0, 4);	/* len, cksum */
	return sizeof(struct ip) + 8;
}

static void
send_error(int fd, const struct icmp *tmpl, struct in_addr src,
    struct in_addr dst, const uint8_t *inner, size_t ilen)
{
	_Alignas(4) uint8_t pkt[PKT_MAX];
	struct icmp *ic = (struct icmp *)(void *)(pkt + sizeof(struct ip));
	size_t len = sizeof(struct ip) + ICMP_MINLEN + ilen;

	put_ip((struct ip *)(void *)pkt, IPPROTO_ICMP, src, dst, len);
	memcpy(ic, tmpl, ICMP_MINLEN);
	memcpy(pkt + sizeof(struct ip) + ICMP_MINLEN, inner, ilen);
	ic->icmp_cksum = 0;
	ic->icmp_cksum = fold(sum16(ic, ICMP_MINLEN + ilen, 0));
	send_ip(fd, pkt, len);
}

static int
cmd_error(int ac, char **av)
{
	struct icmp tmpl;
	struct in_addr src, dst;
	struct ep is, id;
	_Alignas(4) uint8_t inner[64];
	unsigned int sp, dp, n = 0;
	uint32_t seq = 0;
	int fd, proto;

	if (ac != 8 && ac != 9)
		usage();
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.icmp_type = (uint8_t)num(av[0], 255);
	tmpl.icmp_code = (uint8_t)num(av[1], 255);
	tmpl.icmp_nextmtu = htons((uint16_t)num(av[2], 65535));
	src = addr(av[3]);
	dst = addr(av[4]);
	proto = strcmp(av[5], "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	is = endpoint(av[6]);
	id = endpoint(av[7]);
	if (ac == 9)
		seq = (uint32_t)num(av[8], UINT32_MAX);
	if ((is.hi - is.lo + 1) * (id.hi - id.lo + 1) > SWEEP_MAX)
		errx(2, "more than %d packets", SWEEP_MAX);
	fd = raw_out();
	for (sp = is.lo; sp <= is.hi; sp++)
		for (dp = id.lo; dp <= id.hi; dp++, n++)
			send_error(fd, &tmpl, src, dst, inner, put_inner(inner,
			    proto, is.addr, sp, id.addr, dp, seq));
	printf("sent %u\n", n);
	return 0;
}

/* One TCP segment (flags PSH|ACK) or UDP datagram carrying data. */
static int
cmd_l4(int proto, int ac, char **av)
{
	_Alignas(4) uint8_t pkt[PKT_MAX];
	struct ip *ip = (struct ip *)(void *)pkt;
	uint8_t *l4 = pkt + sizeof(*ip);
	struct tcphdr *th = (struct tcphdr *)(void *)l4;
	struct udphdr *uh = (struct udphdr *)(void *)l4;
	size_t hl = proto == IPPROTO_TCP ? sizeof(*th) : sizeof(*uh), dl;
	struct ep s, d;

	if (ac != (proto == IPPROTO_TCP ? 5 : 3))
		usage();
	s = endpoint(av[0]);
	d = endpoint(av[1]);
	if ((dl = strlen(av[ac - 1])) > DATA_MAX)
		errx(2, "data too long");
	memset(pkt, 0, sizeof(pkt));
	memcpy(l4 + hl, av[ac - 1], dl);
	put_ip(ip, proto, s.addr, d.addr, sizeof(*ip) + hl + dl);
	if (proto == IPPROTO_TCP) {
		th->th_sport = htons((uint16_t)s.lo);
		th->th_dport = htons((uint16_t)d.lo);
		th->th_seq = htonl((uint32_t)num(av[2], UINT32_MAX));
		th->th_ack = htonl((uint32_t)num(av[3], UINT32_MAX));
		th->th_off = sizeof(*th) / 4;
		th->th_flags = TH_PUSH | TH_ACK;
		th->th_win = htons(1024);
		th->th_sum = l4sum(ip, l4, hl + dl);
	} else {
		uh->uh_sport = htons((uint16_t)s.lo);
		uh->uh_dport = htons((uint16_t)d.lo);
		uh->uh_ulen = htons((uint16_t)(hl + dl));
		uh->uh_sum = l4sum(ip, l4, hl + dl);
	}
	send_ip(raw_out(), pkt, sizeof(*ip) + hl + dl);
	return 0;
}

static unsigned int
port(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* Payload as text: printable bytes, others as '.'. */
static void
text(char *out, const uint8_t *p, size_t len)
{
	size_t i;
	uint8_t c;

	for (i = 0; i < len && i < 64; i++) {
		c = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.';
		memcpy(out + i, &c, 1);
	}
	out[i] = '\0';
}

static void
show_icmp(const struct ip *ip, const uint8_t *l4, size_t len)
{
	const struct icmp *ic = (const struct icmp *)(const void *)l4;
	const struct ip *in = (const struct ip *)(const void *)(l4 +
	    ICMP_MINLEN);
	const uint8_t *ip4 = l4 + ICMP_MINLEN + sizeof(*in);
	char a[2][INET_ADDRSTRLEN];
	uint32_t seq;

	printf("icmp %s > %s type=%u code=%u mtu=%u",
	    inet_ntop(AF_INET, &ip->ip_src, a[0], sizeof(a[0])),
	    inet_ntop(AF_INET, &ip->ip_dst, a[1], sizeof(a[1])),
	    ic->icmp_type, ic->icmp_code, ntohs(ic->icmp_nextmtu));
	if (len >= ICMP_MINLEN + sizeof(*in) + 8 && in->ip_hl == 5) {
		memcpy(&seq, ip4 + 4, 4);
		printf(" inner=%u %s:%u > %s:%u seq=%u", in->ip_p,
		    inet_ntop(AF_INET, &in->ip_src, a[0], sizeof(a[0])),
		    port(ip4),
		    inet_ntop(AF_INET, &in->ip_dst, a[1], sizeof(a[1])),
		    port(ip4 + 2), ntohl(seq));
	}
	printf("\n");
}

static void
show_l4(const struct ip *ip, const uint8_t *l4, size_t len)
{
	const struct tcphdr *th = (const struct tcphdr *)(const void *)l4;
	char a[2][INET_ADDRSTRLEN], data[65];
	size_t hl = ip->ip_p == IPPROTO_TCP ? (size_t)th->th_off * 4 : 8;

	if (len < hl || hl < 8)
		return;
	text(data, l4 + hl, len - hl);
	printf("%s %s:%u > %s:%u", ip->ip_p == IPPROTO_TCP ? "tcp" : "udp",
	    inet_ntop(AF_INET, &ip->ip_src, a[0], sizeof(a[0])),
	    port(l4),
	    inet_ntop(AF_INET, &ip->ip_dst, a[1], sizeof(a[1])),
	    port(l4 + 2));
	if (ip->ip_p == IPPROTO_TCP)
		printf(" seq=%u ack=%u", ntohl(th->th_seq), ntohl(th->th_ack));
	printf(" len=%zu", len - hl);
	if (ip->ip_p == IPPROTO_TCP)
		printf(" flags=0x%02x", th->th_flags);
	printf(" data=%s\n", data);
}

static void
show(const uint8_t *pkt, size_t n)
{
	const struct ip *ip = (const struct ip *)(const void *)pkt;
	size_t hl, len;

	if (n < sizeof(*ip) || (hl = (size_t)ip->ip_hl * 4) < sizeof(*ip) ||
	    (len = ntohs(ip->ip_len)) > n || len < hl + 8)
		return;
	if (ip->ip_p == IPPROTO_ICMP)
		show_icmp(ip, pkt + hl, len - hl);
	else
		show_l4(ip, pkt + hl, len - hl);
}

/* A raw socket of a protocol gets a copy of every such packet delivered
 * locally, before the protocol itself sees it. */
static int
cmd_watch(int ac, char **av)
{
	static _Alignas(4) uint8_t pkt[65536];
	struct pollfd pfd;
	struct timespec now, end;
	ssize_t n;
	int proto, ms;

	if (ac != 2)
		usage();
	proto = strcmp(av[0], "icmp") == 0 ? IPPROTO_ICMP :
	    strcmp(av[0], "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	if ((pfd.fd = socket(AF_INET, SOCK_RAW, proto)) == -1)
		err(1, "raw socket");
	pfd.events = POLLIN;
	(void)clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)num(av[1], 3600);
	printf("watching\n");
	for (;;) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (int)((end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000);
		if (ms <= 0 || poll(&pfd, 1, ms) <= 0)
			break;
		if ((n = recv(pfd.fd, pkt, sizeof(pkt), 0)) > 0)
			show(pkt, (size_t)n);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	(void)setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "error") == 0)
		return cmd_error(argc - 2, argv + 2);
	if (strcmp(argv[1], "tcp") == 0)
		return cmd_l4(IPPROTO_TCP, argc - 2, argv + 2);
	if (strcmp(argv[1], "udp") == 0)
		return cmd_l4(IPPROTO_UDP, argc - 2, argv + 2);
	if (strcmp(argv[1], "watch") == 0)
		return cmd_watch(argc - 2, argv + 2);
	usage();
}
