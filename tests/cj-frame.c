/* SPDX-License-Identifier: ISC */
/*
 * A raw-frame tool for the attacker-side tests, on an AF_PACKET socket.
 * "send" builds one Ethernet frame from its options (any source and
 * destination MAC, optional 802.1ad and 802.1Q tags, any ethertype) around
 * an IPv4/UDP datagram, an ICMP echo request, an ARP request or reply, an
 * IPv6/UDP datagram, an ICMPv6 router advertisement (source link-layer and
 * prefix information options: a host accepting it gets a default route and
 * an address), a neighbour advertisement, a DHCP discover or a raw payload,
 * and sends it COUNT times; "batch" sends one such frame a line of stdin,
 * many cases from one process.  "sniff" prints one line per frame received
 * on an interface (never the ones sent from it) that matches the filters,
 * for SECONDS or until SIGTERM, then "count N"; a token in the frame that
 * starts with "cjf_" is printed as its tag, so that one sniff window tells
 * a batch's frames apart.  It trusts its arguments: it is a test tool, run
 * by root or by a user inside a network namespace they own.
 *
 * usage: cj-frame send IFACE [-c COUNT] [-i MSEC] [-d MAC] [-s MAC]
 *            [-Q VID] [-q VID] [-e TYPE] [-S ADDR] [-D ADDR] [-P PORT]
 *            [-p PORT] [-t ADDR6] [-x PREFIX6/LEN] [-L SECONDS] KIND [TEXT]
 *   KIND:  udp | icmp | arp-req | arp-rep | udp6 | ra | na | dhcp | raw
 *   -c/-i: send COUNT copies (1), MSEC apart (0)
 *   -d/-s: destination (ff:ff:ff:ff:ff:ff) and source (IFACE's) MAC; the
 *          ARP sender and the RA/NA link-layer options follow -s, an ARP
 *          reply's target follows -d
 *   -Q/-q: an 802.1ad (outer) and an 802.1Q tag; -e: the innermost
 *          ethertype (raw: 0x88b5)
 *   -S/-D: IPv4 or IPv6 source and destination (IPv6 source: the EUI-64
 *          link-local of -s; destination: ff02::1; DHCP: 0.0.0.0 to
 *          255.255.255.255); ARP: sender and target address
 *   -P/-p: UDP source and destination port (40000, 9; DHCP 68, 67)
 *   -t:    NA target (the source); -x, -L: RA prefix and router lifetime
 *          (2001:db8::/64, 1800)
 *   TEXT:  the payload, followed by a newline (UDP, ICMP, raw, an ARP
 *          trailer, a DHCP host name, an RA/NA experimental option;
 *          default "cjf_frame")
 *       cj-frame batch IFACE  (one "[OPTIONS] KIND [TEXT]" a line of stdin)
 *       cj-frame sniff IFACE SECONDS [FILTER...]
 *   FILTER: promisc | type=0xNNNN | src=MAC | dst=MAC | ip-src=A |
 *           ip-dst=A (IPv4, or an ARP sender/target) | dport=N
 */
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <err.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FRAMELEN	1514
#define MINFRAME	60
#define TAGPFX		"cjf_"
#define MACS		((size_t)2 * ETH_ALEN)	/* dst, src */
#define ETYPE_8021Q	0x8100
#define ETYPE_8021AD	0x88a8
#define ETYPE_IP	0x0800
#define ETYPE_ARP	0x0806
#define ETYPE_IP6	0x86dd
#define ETYPE_LOCAL	0x88b5
#define SEND_OPTS	"c:i:d:s:Q:q:e:S:D:P:p:t:x:L:"

static volatile sig_atomic_t stop;

struct spec {
	uint8_t		 dst[ETH_ALEN], src[ETH_ALEN];
	int		 vid_q, vid_ad, etype, have_src;
	struct in_addr	 s4, d4;
	struct in6_addr	 s6, d6, tgt, pfx;
	int		 s_af, d_af, have_tgt;
	unsigned int	 pfxlen, life;
	uint16_t	 sport, dport;
	char		 text[256];
	size_t		 tlen;
};

struct filt {
	int		 type, dport, promisc;
	int		 has_src, has_dst, has_ips, has_ipd;
	uint8_t		 src[ETH_ALEN], dst[ETH_ALEN];
	struct in_addr	 ips, ipd;
};

/* What the sniffer found in a frame; -1 where absent. */
struct seen {
	const uint8_t	*dst, *src;
	int		 type, vid, proto, sport, dport, icmp, arpop;
	int		 has_ip4;
	struct in_addr	 ips, ipd;
	char		 l3[2 * INET6_ADDRSTRLEN + 2];
};

static void __attribute__((noreturn))
usage(void)
{
	(void)fprintf(stderr,
	    "usage: cj-frame send IFACE [options] KIND [TEXT]\n"
	    "       cj-frame batch IFACE <lines of [options] KIND [TEXT]\n"
	    "       cj-frame sniff IFACE SECONDS [FILTER...]\n");
	exit(2);
}

static void
put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned int
get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* The Internet checksum: sum big-endian 16-bit words, then fold. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static unsigned int
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static int
parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5], &end) != ETH_ALEN)
		return -1;
	for (i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static long long
num(const char *s, long long lo, long long hi)
{
	const char *why;
	long long v;
	char *end;

	if (strncmp(s, "0x", 2) == 0) {
		v = strtoll(s + 2, &end, 16);
		if (*end != '\0' || v < lo || v > hi)
			errx(2, "bad number %s", s);
		return v;
	}
	v = strtonum(s, lo, hi, &why);
	if (why != NULL)
		errx(2, "number %s: %s", s, why);
	return v;
}

/* An IPv4 or IPv6 address into whichever of a4/a6 it is; its family. */
static int
parse_addr(const char *s, struct in_addr *a4, struct in6_addr *a6)
{
	if (inet_pton(AF_INET, s, a4) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, a6) == 1)
		return AF_INET6;
	errx(2, "bad address %s", s);
}

static void
parse_prefix(struct spec *s, const char *arg)
{
	char buf[INET6_ADDRSTRLEN + 4], *slash;

	if (strlcpy(buf, arg, sizeof(buf)) >= sizeof(buf) ||
	    (slash = strchr(buf, '/')) == NULL)
		errx(2, "bad prefix %s", arg);
	*slash = '\0';
	if (inet_pton(AF_INET6, buf, &s->pfx) != 1)
		errx(2, "bad prefix %s", arg);
	s->pfxlen = (unsigned int)num(slash + 1, 1, 128);
}

/* The EUI-64 link-local address a host derives from a MAC. */
static void
link_local(struct in6_addr *a, const uint8_t mac[ETH_ALEN])
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[0] = 0xfe;
	a->s6_addr[1] = 0x80;
	a->s6_addr[8] = mac[0] ^ 0x02;
	a->s6_addr[9] = mac[1];
	a->s6_addr[10] = mac[2];
	a->s6_addr[11] = 0xff;
	a->s6_addr[12] = 0xfe;
	memcpy(&a->s6_addr[13], mac + 3, 3);
}

static void
if_mac(int fd, const char *ifname, uint8_t mac[ETH_ALEN])
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name)) >=
	    sizeof(ifr.ifr_name))
		errx(2, "%s: name too long", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1)
		err(2, "SIOCGIFHWADDR %s", ifname);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
}

static size_t
put_tag(uint8_t *b, size_t n, unsigned int tpid, int vid)
{
	put16(b + n, tpid);
	put16(b + n + 2, (unsigned int)vid & 0x0fff);
	return n + 4;
}

/* The Ethernet header with its tags; returns its length. */
static size_t
put_eth(uint8_t *b, const struct spec *s, unsigned int type)
{
	size_t n = MACS;

	memcpy(b, s->dst, ETH_ALEN);
	memcpy(b + ETH_ALEN, s->src, ETH_ALEN);
	if (s->vid_ad >= 0)
		n = put_tag(b, n, ETYPE_8021AD, s->vid_ad);
	if (s->vid_q >= 0)
		n = put_tag(b, n, ETYPE_8021Q, s->vid_q);
	put16(b + n, s->etype >= 0 ? (unsigned int)s->etype : type);
	return n + 2;
}

static void
put_ip4(uint8_t *p, const struct spec *s, unsigned int proto, size_t plen)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (unsigned int)(20 + plen));
	put16(p + 4, 0x4a4a);
	p[8] = 64;
	p[9] = (uint8_t)proto;
	memcpy(p + 12, &s->s4, 4);
	memcpy(p + 16, &s->d4, 4);
	put16(p + 10, fold(sum16(0, p, 20)));
}

static void
put_ip6(uint8_t *p, const struct spec *s, unsigned int nh, size_t plen,
    unsigned int hops)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, (unsigned int)plen);
	p[6] = (uint8_t)nh;
	p[7] = (uint8_t)hops;
	memcpy(p + 8, &s->s6, 16);
	memcpy(p + 24, &s->d6, 16);
}

/* The L4 checksum over a pseudo header, of the IP header at ip. */
static unsigned int
l4sum(const uint8_t *ip, int v6, unsigned int proto, const uint8_t *l4,
    size_t len)
{
	uint8_t ph[8];
	uint32_t sum;

	sum = v6 ? sum16(0, ip + 8, 32) : sum16(0, ip + 12, 8);
	put32(ph, (uint32_t)len);
	put32(ph + 4, proto);
	sum = sum16(sum16(sum, ph, 8), l4, len);
	return fold(sum);
}

static size_t
put_udp(uint8_t *ip, int v6, const struct spec *s, const uint8_t *pl,
    size_t plen)
{
	uint8_t *u = ip + (v6 ? 40 : 20);
	unsigned int c;

	put16(u, s->sport);
	put16(u + 2, s->dport);
	put16(u + 4, (unsigned int)(8 + plen));
	put16(u + 6, 0);
	memcpy(u + 8, pl, plen);
	if (v6)
		put_ip6(ip, s, IPPROTO_UDP, 8 + plen, 64);
	else
		put_ip4(ip, s, IPPROTO_UDP, 8 + plen);
	c = l4sum(ip, v6, IPPROTO_UDP, u, 8 + plen);
	put16(u + 6, c == 0 ? 0xffff : c);
	return (v6 ? 40 : 20) + 8 + plen;
}

static size_t
build_icmp(uint8_t *b, const struct spec *s)
{
	size_t h = put_eth(b, s, ETYPE_IP), len = 8 + s->tlen;
	uint8_t *c = b + h + 20;

	memset(c, 0, 8);
	c[0] = 8;			/* echo request */
	put16(c + 4, 0x4a4a);
	put16(c + 6, 1);
	memcpy(c + 8, s->text, s->tlen);
	put16(c + 2, fold(sum16(0, c, len)));
	put_ip4(b + h, s, IPPROTO_ICMP, len);
	return h + 20 + len;
}

static size_t
build_arp(uint8_t *b, const struct spec *s, unsigned int op)
{
	size_t h = put_eth(b, s, ETYPE_ARP);
	uint8_t *p = b + h;

	put16(p, 1);			/* Ethernet */
	put16(p + 2, ETYPE_IP);
	p[4] = ETH_ALEN;
	p[5] = 4;
	put16(p + 6, op);
	memcpy(p + 8, s->src, ETH_ALEN);
	memcpy(p + 14, &s->s4, 4);
	if (op == 2)
		memcpy(p + 18, s->dst, ETH_ALEN);
	else
		memset(p + 18, 0, ETH_ALEN);
	memcpy(p + 24, &s->d4, 4);
	memcpy(p + 28, s->text, s->tlen);	/* a trailer ARP ignores */
	return h + 28 + s->tlen;
}

/* Options after an RA or NA header: a link-layer address, then the tag. */
static size_t
nd_opts(uint8_t *o, const struct spec *s, unsigned int lltype)
{
	size_t n = 8, tl;

	o[0] = (uint8_t)lltype;
	o[1] = 1;
	memcpy(o + 2, s->src, ETH_ALEN);
	if (s->tlen == 0)
		return n;
	tl = (2 + s->tlen + 7) / 8 * 8;
	memset(o + n, 0, tl);
	o[n] = 253;			/* RFC 4727 experimental: ignored */
	o[n + 1] = (uint8_t)(tl / 8);
	memcpy(o + n + 2, s->text, s->tlen);
	return n + tl;
}

static size_t
build_ra(uint8_t *b, const struct spec *s)
{
	size_t h = put_eth(b, s, ETYPE_IP6), len;
	uint8_t *ip = b + h, *c = ip + 40, *pi = c + 16;

	memset(c, 0, 48);
	c[0] = 134;			/* router advertisement */
	c[4] = 64;			/* cur hop limit */
	put16(c + 6, s->life);
	pi[0] = 3;			/* prefix information */
	pi[1] = 4;
	pi[2] = (uint8_t)s->pfxlen;
	pi[3] = 0xc0;			/* on-link, autonomous */
	put32(pi + 4, 86400);
	put32(pi + 8, 14400);
	memcpy(pi + 16, &s->pfx, 16);
	len = 48 + nd_opts(c + 48, s, 1);
	put_ip6(ip, s, IPPROTO_ICMPV6, len, 255);
	put16(c + 2, l4sum(ip, 1, IPPROTO_ICMPV6, c, len));
	return h + 40 + len;
}

static size_t
build_na(uint8_t *b, const struct spec *s)
{
	size_t h = put_eth(b, s, ETYPE_IP6), len;
	uint8_t *ip = b + h, *c = ip + 40;

	memset(c, 0, 24);
	c[0] = 136;			/* neighbour advertisement */
	c[4] = 0x20;			/* override */
	memcpy(c + 8, s->have_tgt ? &s->tgt : &s->s6, 16);
	len = 24 + nd_opts(c + 24, s, 2);
	put_ip6(ip, s, IPPROTO_ICMPV6, len, 255);
	put16(c + 2, l4sum(ip, 1, IPPROTO_ICMPV6, c, len));
	return h + 40 + len;
}

/* BOOTP with the DHCP cookie: message type discover, host name TEXT. */
static size_t
build_dhcp(uint8_t *b, const struct spec *s)
{
	uint8_t d[300];
	size_t h, n = 240, tl = s->tlen > 40 ? 40 : s->tlen;
	struct spec u = *s;

	memset(d, 0, sizeof(d));
	d[0] = 1;			/* BOOTREQUEST */
	d[1] = 1;
	d[2] = ETH_ALEN;
	put32(d + 4, 0x4a4a4a4a);
	put16(d + 10, 0x8000);		/* broadcast replies */
	memcpy(d + 28, s->src, ETH_ALEN);
	put32(d + 236, 0x63825363);
	d[n++] = 53;
	d[n++] = 1;
	d[n++] = 1;			/* DHCPDISCOVER */
	d[n++] = 12;
	d[n++] = (uint8_t)tl;
	memcpy(d + n, s->text, tl);
	n += tl;
	d[n] = 255;
	u.sport = s->sport ? s->sport : 68;
	u.dport = s->dport ? s->dport : 67;
	if (s->d_af == 0)
		u.d4.s_addr = INADDR_BROADCAST;
	h = put_eth(b, s, ETYPE_IP);
	return h + put_udp(b + h, 0, &u, d, sizeof(d));
}

static size_t
build(uint8_t *b, struct spec *s, const char *kind)
{
	size_t h;
	int v6;

	if (strcmp(kind, "icmp") == 0)
		return build_icmp(b, s);
	if (strcmp(kind, "arp-req") == 0 || strcmp(kind, "arp-rep") == 0)
		return build_arp(b, s, strcmp(kind, "arp-req") == 0 ? 1 : 2);
	if (strcmp(kind, "ra") == 0)
		return build_ra(b, s);
	if (strcmp(kind, "na") == 0)
		return build_na(b, s);
	if (strcmp(kind, "dhcp") == 0)
		return build_dhcp(b, s);
	if (s->sport == 0)
		s->sport = 40000;
	if (s->dport == 0)
		s->dport = 9;
	if (strcmp(kind, "udp") == 0 || strcmp(kind, "udp6") == 0) {
		v6 = kind[3] == '6';
		h = put_eth(b, s, v6 ? ETYPE_IP6 : ETYPE_IP);
		return h + put_udp(b + h, v6, s, (uint8_t *)s->text, s->tlen);
	}
	if (strcmp(kind, "raw") == 0) {
		h = put_eth(b, s, ETYPE_LOCAL);
		memcpy(b + h, s->text, s->tlen);
		return h + s->tlen;
	}
	errx(2, "unknown kind %s", kind);
}

static void
send_opt(struct spec *s, int ch, const char *arg)
{
	switch (ch) {
	case 'd':
	case 's':
		if (parse_mac(arg, ch == 'd' ? s->dst : s->src) == -1)
			errx(2, "bad MAC %s", arg);
		s->have_src |= ch == 's';
		break;
	case 'Q':
	case 'q':
		*(ch == 'Q' ? &s->vid_ad : &s->vid_q) = (int)num(arg, 0, 4095);
		break;
	case 'e':
		s->etype = (int)num(arg, 0, 0xffff);
		break;
	case 'S':
		s->s_af = parse_addr(arg, &s->s4, &s->s6);
		break;
	case 'D':
		s->d_af = parse_addr(arg, &s->d4, &s->d6);
		break;
	case 'P':
	case 'p':
		*(ch == 'P' ? &s->sport : &s->dport) =
		    (uint16_t)num(arg, 1, 65535);
		break;
	case 't':
		if (inet_pton(AF_INET6, arg, &s->tgt) != 1)
			errx(2, "bad target %s", arg);
		s->have_tgt = 1;
		break;
	case 'x':
		parse_prefix(s, arg);
		break;
	case 'L':
		s->life = (unsigned int)num(arg, 0, 65535);
		break;
	default:
		usage();
	}
}

/* Fill in what the options left to their defaults. */
static void
send_defaults(struct spec *s, int fd, const char *ifname, const char *text)
{
	size_t n;

	if (!s->have_src)
		if_mac(fd, ifname, s->src);
	if (s->s_af != AF_INET6)
		link_local(&s->s6, s->src);
	if (s->d_af != AF_INET6 && inet_pton(AF_INET6, "ff02::1", &s->d6) != 1)
		errx(2, "inet_pton");
	if (s->pfxlen == 0 && inet_pton(AF_INET6, "2001:db8::", &s->pfx) == 1)
		s->pfxlen = 64;
	n = strlcpy(s->text, text, sizeof(s->text) - 1);
	if (n >= sizeof(s->text) - 1)
		errx(2, "text too long");
	s->text[n] = '\n';
	s->tlen = n + 1;
}

/* One "send": argv[0] is the interface, then options, KIND, TEXT. */
static void
send_frames(int fd, int argc, char *argv[])
{
	struct spec s = { .dst = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	    .vid_q = -1, .vid_ad = -1, .etype = -1, .life = 1800 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct timespec gap = { 0, 0 };
	uint8_t frame[FRAMELEN + 512];
	long long count = 1, i;
	size_t len;
	int ch;

	optind = 0;	/* glibc: start afresh (batch calls us again) */
	while ((ch = getopt(argc, argv, SEND_OPTS)) != -1) {
		if (ch == 'c')
			count = num(optarg, 1, 100000);
		else if (ch == 'i')
			gap.tv_nsec = num(optarg, 0, 999) * 1000000L;
		else
			send_opt(&s, ch, optarg);
	}
	if (argc - optind < 1 || argc - optind > 2)
		usage();
	send_defaults(&s, fd, argv[0], optind + 1 < argc ? argv[optind + 1] :
	    TAGPFX "frame");
	memset(frame, 0, sizeof(frame));
	len = build(frame, &s, argv[optind]);
	if (len < MINFRAME)
		len = MINFRAME;	/* zero padding, as a NIC would add */
	if (len > FRAMELEN + 8)
		errx(2, "frame too long");
	if ((sll.sll_ifindex = (int)if_nametoindex(argv[0])) == 0)
		err(2, "%s", argv[0]);
	for (i = 0; i < count; i++) {
		if (i > 0 && gap.tv_nsec > 0)
			(void)nanosleep(&gap, NULL);
		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll,
		    sizeof(sll)) != (ssize_t)len)
			err(1, "sendto %s", argv[0]);
	}
}

static int
packet_socket(void)
{
	int fd;

	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) == -1)
		err(2, "socket");
	return fd;
}

/* "batch IFACE": one send a line of stdin, words split on blanks. */
static int
cmd_batch(char *ifname)
{
	char line[1024], *av[64], *w;
	int ac, fd = packet_socket();

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (strchr(line, '\n') == NULL && !feof(stdin))
			errx(2, "batch: line too long");
		av[0] = ifname;
		ac = 1;
		for (w = strtok(line, " \t\n"); w != NULL && ac < 63;
		    w = strtok(NULL, " \t\n"))
			av[ac++] = w;
		av[ac] = NULL;
		if (ac > 1 && av[1][0] != '#')
			send_frames(fd, ac, av);
	}
	return 0;
}

static void
parse_filter(struct filt *f, const char *a)
{
	if (strcmp(a, "promisc") == 0)
		f->promisc = 1;
	else if (strncmp(a, "type=", 5) == 0)
		f->type = (int)num(a + 5, 0, 0xffff);
	else if (strncmp(a, "src=", 4) == 0 && parse_mac(a + 4, f->src) == 0)
		f->has_src = 1;
	else if (strncmp(a, "dst=", 4) == 0 && parse_mac(a + 4, f->dst) == 0)
		f->has_dst = 1;
	else if (strncmp(a, "ip-src=", 7) == 0 &&
	    inet_pton(AF_INET, a + 7, &f->ips) == 1)
		f->has_ips = 1;
	else if (strncmp(a, "ip-dst=", 7) == 0 &&
	    inet_pton(AF_INET, a + 7, &f->ipd) == 1)
		f->has_ipd = 1;
	else if (strncmp(a, "dport=", 6) == 0)
		f->dport = (int)num(a + 6, 1, 65535);
	else
		errx(2, "bad filter %s", a);
}

static void
seen_l4(const uint8_t *p, size_t n, struct seen *w)
{
	if ((w->proto == IPPROTO_UDP || w->proto == IPPROTO_TCP) && n >= 4) {
		w->sport = (int)get16(p);
		w->dport = (int)get16(p + 2);
	} else if ((w->proto == IPPROTO_ICMP || w->proto == IPPROTO_ICMPV6) &&
	    n >= 1)
		w->icmp = p[0];
}

static void
seen_l3(const uint8_t *p, size_t n, struct seen *w)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t hl;

	hl = n >= 20 ? (size_t)(p[0] & 0xf) * 4 : 0;
	if (w->type == ETYPE_IP && hl >= 20 && hl <= n) {
		w->has_ip4 = 1;
		w->proto = p[9];
		memcpy(&w->ips, p + 12, 4);
		memcpy(&w->ipd, p + 16, 4);
		seen_l4(p + hl, n - hl, w);
	} else if (w->type == ETYPE_ARP && n >= 28 &&
	    get16(p + 2) == ETYPE_IP) {
		w->has_ip4 = 1;
		w->arpop = (int)get16(p + 6);
		memcpy(&w->ips, p + 14, 4);
		memcpy(&w->ipd, p + 24, 4);
	} else if (w->type == ETYPE_IP6 && n >= 40) {
		w->proto = p[6];
		(void)inet_ntop(AF_INET6, p + 8, a, sizeof(a));
		(void)inet_ntop(AF_INET6, p + 24, b, sizeof(b));
		(void)snprintf(w->l3, sizeof(w->l3), "%s>%s", a, b);
		seen_l4(p + 40, n - 40, w);
	}
	if (w->has_ip4) {
		(void)inet_ntop(AF_INET, &w->ips, a, sizeof(a));
		(void)inet_ntop(AF_INET, &w->ipd, b, sizeof(b));
		(void)snprintf(w->l3, sizeof(w->l3), "%s>%s", a, b);
	}
}

static void
seen_frame(const uint8_t *f, size_t n, int auxvid, struct seen *w)
{
	size_t off = MACS + 2;
	int tags = 0;

	memset(w, 0, sizeof(*w));
	w->vid = auxvid;
	w->proto = w->sport = w->dport = w->icmp = w->arpop = -1;
	w->dst = f;
	w->src = f + ETH_ALEN;
	w->type = (int)get16(f + MACS);
	while ((w->type == ETYPE_8021Q || w->type == ETYPE_8021AD) &&
	    n >= off + 4 && tags++ < 2) {
		if (w->vid < 0)
			w->vid = (int)(get16(f + off) & 0x0fff);
		w->type = (int)get16(f + off + 2);
		off += 4;
	}
	seen_l3(f + off, n - off, w);
}

static int
match(const struct filt *f, const struct seen *w)
{
	if (f->type >= 0 && w->type != f->type)
		return 0;
	if (f->has_src && memcmp(w->src, f->src, ETH_ALEN) != 0)
		return 0;
	if (f->has_dst && memcmp(w->dst, f->dst, ETH_ALEN) != 0)
		return 0;
	if (f->has_ips && (!w->has_ip4 || w->ips.s_addr != f->ips.s_addr))
		return 0;
	if (f->has_ipd && (!w->has_ip4 || w->ipd.s_addr != f->ipd.s_addr))
		return 0;
	return f->dport < 0 || w->dport == f->dport;
}

static int
tagchar(uint8_t c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static void
print_frame(const uint8_t *f, size_t n, const struct seen *w)
{
	const uint8_t *t = memmem(f, n, TAGPFX, sizeof(TAGPFX) - 1);
	const uint8_t *d = w->dst, *s = w->src;
	size_t tl = 0;

	printf("frame src=%02x:%02x:%02x:%02x:%02x:%02x "
	    "dst=%02x:%02x:%02x:%02x:%02x:%02x type=0x%04x",
	    s[0], s[1], s[2], s[3], s[4], s[5],
	    d[0], d[1], d[2], d[3], d[4], d[5], w->type);
	if (w->vid >= 0)
		printf(" vlan=%d", w->vid);
	if (w->arpop >= 0)
		printf(" arp=%d", w->arpop);
	if (w->l3[0] != '\0')
		printf(" ip=%s", w->l3);
	if (w->proto >= 0)
		printf(" proto=%d", w->proto);
	if (w->dport >= 0)
		printf(" port=%d>%d", w->sport, w->dport);
	if (w->icmp >= 0)
		printf(" icmp=%d", w->icmp);
	while (t != NULL && t + tl < f + n && tagchar(t[tl]))
		tl++;
	if (tl > 0)
		printf(" tag=%.*s", (int)tl, (const char *)t);
	printf("\n");
}

static int
sniff_open(const char *ifname, int promisc)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL) };
	struct packet_mreq mr;
	int fd, one = 1, rcvbuf = 4 << 20;

	/* Protocol 0 until bound: no frame of another interface queues. */
	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) == -1)
		err(2, "socket");
	if ((sll.sll_ifindex = (int)if_nametoindex(ifname)) == 0)
		err(2, "%s", ifname);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		err(2, "bind %s", ifname);
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) == -1)
		err(2, "PACKET_AUXDATA");
	/* Room for a whole batch (root may exceed rmem_max). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = sll.sll_ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (promisc && setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) == -1)
		err(2, "PACKET_MR_PROMISC");
	return fd;
}

/* One frame: its length, -1 for none to report; *vid from the aux data. */
static ssize_t
sniff_recv(int fd, uint8_t *f, size_t size, int *vid)
{
	union {
		struct cmsghdr	hdr;
		char	buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cm;
	struct sockaddr_ll from;
	struct iovec iov = { f, size };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from),
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
	    .msg_controllen = sizeof(cm.buf) };
	struct tpacket_auxdata aux;
	struct cmsghdr *c;
	ssize_t n;

	*vid = -1;
	if ((n = recvmsg(fd, &msg, MSG_DONTWAIT)) < (ssize_t)MACS + 2 ||
	    from.sll_pkttype == PACKET_OUTGOING)
		return -1;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_PACKET ||
		    c->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		if (aux.tp_status & TP_STATUS_VLAN_VALID)
			*vid = aux.tp_vlan_tci & 0x0fff;
	}
	return n;
}

static long long
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * SIGTERM and SIGINT end the window early (with the count): blocked but
 * while ppoll waits, so none is lost between the check and the wait.
 */
static void
stop_signals(sigset_t *waitmask)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, waitmask) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		err(2, "signals");
}

static int
cmd_sniff(int argc, char *argv[])
{
	struct filt f = { .type = -1, .dport = -1 };
	uint8_t frame[65536];
	struct pollfd pfd;
	struct timespec ts;
	struct seen w;
	long long end, left, count = 0;
	sigset_t waitmask;
	ssize_t n;
	int i, vid;

	if (argc < 2)
		usage();
	end = now_ms() + num(argv[1], 1, 600) * 1000;
	for (i = 2; i < argc; i++)
		parse_filter(&f, argv[i]);
	stop_signals(&waitmask);
	pfd.fd = sniff_open(argv[0], f.promisc);
	pfd.events = POLLIN;
	printf("sniffing %s\n", argv[0]);
	while (!stop && (left = end - now_ms()) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = left % 1000 * 1000000;
		if (ppoll(&pfd, 1, &ts, &waitmask) <= 0)
			continue;
		if ((n = sniff_recv(pfd.fd, frame, sizeof(frame), &vid)) < 0)
			continue;
		seen_frame(frame, (size_t)n, vid, &w);
		if (!match(&f, &w))
			continue;
		print_frame(frame, (size_t)n, &w);
		count++;
	}
	printf("count %lld\n", count);
	return 0;
}

int
main(int argc, char *argv[])
{
	(void)setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	if (strcmp(argv[1], "send") == 0) {
		send_frames(packet_socket(), argc - 2, argv + 2);
		return 0;
	}
	if (strcmp(argv[1], "batch") == 0 && argc == 3)
		return cmd_batch(argv[2]);
	if (strcmp(argv[1], "sniff") == 0)
		return cmd_sniff(argc - 2, argv + 2);
	usage();
}
