/* SPDX-License-Identifier: ISC */
/*
 * The jails' host firewall: three nftables tables named "capjail", written
 * with libnftnl and sent as atomic batches through nl_talk.
 *   netdev  every frame from a jail's port is judged at the port's own
 *           ingress, before the bridge or the host stack sees it: the
 *           jail's MAC with its IPv4 address, or ARP that says the same,
 *           to a unicast or broadcast MAC; all else is dropped.  A passed
 *           frame carries its port's ifindex as its packet mark.
 *   inet    L3 policy and NAT.  A flow is marked (ct mark) with the
 *           ifindex of the jail it belongs to, from that packet mark or
 *           from the published port it was DNAT'ed to, and a packet from
 *           a jail passes only in a flow of that same jail.
 *   bridge  a packet the host sends into a jail's port passes only in a
 *           flow marked with that port (the inet chains copy the flow's
 *           mark onto the packet: meta mark . meta oif).
 * Where a per-jail chain or element is named by a device name (which a
 * later jail may reuse), everything it decides is keyed by the kernel's
 * own view of the packet (iif, oif) and by ifindex, so a stale one can
 * grant nothing.  The rules are the same for every configuration; the
 * config lives in static sets rewritten at every helper start.  Per-jail
 * state: netdev "src" (ifindex . MAC . address) and chain "p<ifindex>",
 * inet and bridge "jails" (ifindex . ifindex), inet "ports4" (protocol .
 * host port : address . port) and "pubmark" (protocol . host port :
 * ifindex); the cost of a jail does not
 * grow with the number of jails.  Inputs are the parsed root-owned config
 * and values the helper derived itself; the only request-supplied values
 * (protocol, ports) were validated by proto_check_req and authorised by
 * the caller.  SECURITY.md shows the tables as `nft list` prints them.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "fw.h"

#define FW_TABLE	"capjail"
#define FW_LIMIT	((size_t)128 * 1024)	/* one batch; the buffer holds two */

/* nft's datatype ids (nftables src/datatype.h), so `nft list` prints them. */
#define DT_IPADDR	7
#define DT_ETHERADDR	9
#define DT_MARK		19
#define DT_IFINDEX	20
#define DT_PROTO	12
#define DT_SERVICE	13
#define DT_IFNAME	41
#define DT_CONCAT(a, b)	(((a) << 6) | (b))

/* <linux/netfilter_bridge.h> clashes with <net/if.h>; these are ABI. */
#define NF_BR_LOCAL_OUT		3
#define NF_BR_PRI_FILTER_BRIDGED (-200)
#define NETDEV_PRI_FIRST	(-500)	/* before any other ingress hook */

/* Register numbers as the kernel names them (16-byte and 4-byte views). */
#define R1	NFT_REG_1
#define R2	NFT_REG_2
#define R32_0	NFT_REG32_00	/* the same storage as R1's first word */
#define R32_1	NFT_REG32_01
#define R32_2	NFT_REG32_02
#define R32_3	NFT_REG32_03

struct batch {
	struct mnl_nlmsg_batch	*b;
	struct nl		*nl;
	unsigned int		 nacks;
	int			 full;
};

static char fwbuf[2 * FW_LIMIT];

static void
batch_next(struct batch *bt)
{
	if (!mnl_nlmsg_batch_next(bt->b))
		bt->full = 1;
}

/*
 * A batch; with genid (as NFT_MSG_GETGEN gave it, not 0), one the kernel
 * refuses with ERESTART if any ruleset change was committed since.
 */
static void
batch_start_gen(struct batch *bt, struct nl *nl, uint32_t genid)
{
	struct nlmsghdr *nlh;

	bt->b = mnl_nlmsg_batch_start(fwbuf, FW_LIMIT);
	bt->nl = nl;
	bt->nacks = 0;
	bt->full = 0;
	nlh = nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b),
	    nl_next_seq(nl));
	if (genid != 0)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, genid);
	batch_next(bt);
}

static void
batch_start(struct batch *bt, struct nl *nl)
{
	batch_start_gen(bt, nl, 0);
}

/* Start one message of the batch; every one asks for an ack. */
static struct nlmsghdr *
batch_msg(struct batch *bt, uint16_t type, uint16_t family, uint16_t flags)
{
	bt->nacks++;
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(bt->b), type,
	    family, flags | NLM_F_ACK, nl_next_seq(bt->nl));
}

static int
batch_send(struct batch *bt)
{
	int rc;

	nftnl_batch_end(mnl_nlmsg_batch_current(bt->b), nl_next_seq(bt->nl));
	batch_next(bt);
	if (bt->full) {
		errno = EMSGSIZE;
		rc = -1;
	} else
		rc = nl_talk(bt->nl, mnl_nlmsg_batch_head(bt->b),
		    mnl_nlmsg_batch_size(bt->b), bt->nacks);
	mnl_nlmsg_batch_stop(bt->b);
	return rc;
}

/* libnftnl allocates; running out of memory here leaves nothing half-sent. */
static void *
must(void *p)
{
	if (p == NULL)
		errx(1, "firewall: out of memory");
	return p;
}

/* --- rule expressions, one small function each (nft-rule-add.c style) --- */

static struct nftnl_expr *
expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = must(nftnl_expr_alloc(name));

	nftnl_rule_add_expr(r, e);
	return e;
}

static void
x_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void
x_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, R1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void
x_cmp32(struct nftnl_rule *r, uint32_t op, uint32_t val)
{
	x_cmp(r, op, &val, sizeof(val));
}

static void
x_cmp8(struct nftnl_rule *r, uint8_t val)
{
	x_cmp(r, NFT_CMP_EQ, &val, sizeof(val));
}

/* R1 &= mask, over len (at most 4) bytes: a bitwise and, xor nothing. */
static void
x_and(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const uint8_t zero[4];
	struct nftnl_expr *e = expr(r, "bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, R1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, R1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

/* The one-byte payload in R1, masked, equals want. */
static void
x_bits8(struct nftnl_rule *r, uint8_t mask, uint8_t want)
{
	x_and(r, &mask, sizeof(mask));
	x_cmp8(r, want);
}

static void
x_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
    uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

/* Look R1 up in set; dreg 0 means a plain membership test. */
static void
x_lookup(struct nftnl_rule *r, const char *set, uint32_t dreg, uint32_t flags)
{
	struct nftnl_expr *e = expr(r, "lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (dreg != 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	if (flags != 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, flags);
}

/* meta KEY in (or, with inv, not in) @set. */
static void
x_meta_in(struct nftnl_rule *r, uint32_t key, const char *set, int inv)
{
	x_meta(r, key, R1);
	x_lookup(r, set, 0, inv ? NFT_LOOKUP_F_INV : 0);
}

static void
x_ct_get(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

/* ct KEY & mask != 0 (op NFT_CMP_NEQ) or == 0 (NFT_CMP_EQ). */
static void
x_ct_bits(struct nftnl_rule *r, uint32_t key, uint32_t mask, uint32_t op)
{
	x_ct_get(r, key, R1);
	x_and(r, &mask, sizeof(mask));
	x_cmp32(r, op, 0);
}

static void
x_ct_any(struct nftnl_rule *r, uint32_t key, uint32_t mask)
{
	x_ct_bits(r, key, mask, NFT_CMP_NEQ);
}

static void
x_ct_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, sreg);
}

static void
x_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
}

static void
x_imm(struct nftnl_rule *r, uint32_t dreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

/* meta mark set 0, so that it never meets the host's routing policy. */
static void
x_mark_clear(struct nftnl_rule *r)
{
	static const uint32_t zero;

	x_imm(r, R1, &zero, sizeof(zero));
	x_meta_set(r, NFT_META_MARK, R1);
}

/*
 * (ct KEY's first word) . meta mark in @jails, or with inv not in it: the
 * flow belongs to the very port this packet came in by.  The packet mark
 * is the port's ifindex (set at its ingress), never a claim of the jail.
 */
static void
x_mark_is(struct nftnl_rule *r, uint32_t key, int inv)
{
	x_ct_get(r, key, R1);
	x_meta(r, NFT_META_MARK, R32_1);
	x_lookup(r, "jails", 0, inv ? NFT_LOOKUP_F_INV : 0);
}

/* reject with tcp reset, or with icmpx admin-prohibited */
static void
x_reject(struct nftnl_rule *r, int tcp)
{
	struct nftnl_expr *e = expr(r, "reject");

	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, tcp ?
	    NFT_REJECT_TCP_RST : NFT_REJECT_ICMPX_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, tcp ? 0 :
	    NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
}

static void
x_verdict(struct nftnl_rule *r, uint32_t verdict, const char *chain)
{
	struct nftnl_expr *e = expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

/* The destination is one of the host's own addresses (fib daddr type local). */
static void
x_daddr_local(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr(r, "fib");

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, R1);
	x_cmp32(r, NFT_CMP_EQ, RTN_LOCAL);
}

/* dnat ip to meta l4proto . th dport map @ports4 */
static void
x_dnat_ports(struct nftnl_rule *r)
{
	struct nftnl_expr *e;

	x_meta(r, NFT_META_L4PROTO, R1);
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32_1);
	x_lookup(r, "ports4", R1, 0);
	e = expr(r, "nat");
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, R1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, R32_1);
}

/*
 * socket mark PORT_MARK: the socket that holds the packet's destination
 * port is a helper's reservation (port.c), so the helper that published
 * it is alive.  (In output the kernel would look at the sending socket
 * instead, so the host's own connections are not checked this way.)
 */
static void
x_socket_held(struct nftnl_rule *r)
{
	struct nftnl_expr *e = expr(r, "socket");

	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_KEY, NFT_SOCKET_MARK);
	nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_DREG, R1);
	x_cmp32(r, NFT_CMP_EQ, PORT_MARK);
}

/* ct mark set meta l4proto . th dport map @pubmark: whose port it is */
static void
x_mark_ports(struct nftnl_rule *r)
{
	x_meta(r, NFT_META_L4PROTO, R1);
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32_1);
	x_lookup(r, "pubmark", R1, 0);
	x_ct_set(r, NFT_CT_MARK, R1);
}

static void
x_ipv4(struct nftnl_rule *r)
{
	x_meta(r, NFT_META_NFPROTO, R1);
	x_cmp8(r, NFPROTO_IPV4);
}

/* --- tables, chains, sets --- */

static int	elem_exists(struct nl *, uint16_t, const char *, const void *,
		    size_t);
static int	count_msg(const struct nlmsghdr *, void *);
static void	put_rule_msg(struct batch *, struct nftnl_rule *, uint16_t,
		    uint16_t);
static struct nftnl_rule *rule(uint16_t, const char *);

static void
put_table(struct batch *bt, uint16_t family)
{
	struct nftnl_table *t = must(nftnl_table_alloc());
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE);
	nlh = batch_msg(bt, NFT_MSG_NEWTABLE, family, NLM_F_CREATE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	batch_next(bt);
}

static struct nftnl_chain *
chain_named(const char *name)
{
	struct nftnl_chain *c = must(nftnl_chain_alloc());

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	return c;
}

/* Add (or delete) chain c in the batch, then free c. */
static void
put_chain_msg(struct batch *bt, struct nftnl_chain *c, uint16_t type,
    uint16_t family, uint16_t flags)
{
	nftnl_chain_nlmsg_build_payload(batch_msg(bt, type, family, flags), c);
	nftnl_chain_free(c);
	batch_next(bt);
}

/* A base chain (hook != -1) or a regular one, created when missing and
 * emptied, so that the rules added after it in the batch are all it has. */
static void
put_chain(struct batch *bt, uint16_t family, const char *name, int hook,
    int prio, const char *type)
{
	struct nftnl_chain *c = chain_named(name);

	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	put_chain_msg(bt, c, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE);
	put_rule_msg(bt, rule(family, name), NFT_MSG_DELRULE, 0);
}

static struct nftnl_set *
set_named(uint16_t family, const char *name)
{
	struct nftnl_set *s = must(nftnl_set_alloc());

	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, FW_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	return s;
}

/*
 * A hash set (or map, when dlen != 0) created when missing.  PUT_FLUSH: a
 * static set, flushed here and refilled from the config later in the
 * batch.  PUT_TIMEOUT: its elements may carry timeouts (gcturn).
 */
#define PUT_FLUSH	0x1
#define PUT_TIMEOUT	0x2
static void
put_set(struct batch *bt, uint16_t family, const char *name, uint32_t ktype,
    uint32_t klen, uint32_t dtype, uint32_t dlen, int how)
{
	struct nftnl_set *s = set_named(family, name);
	uint32_t flags = (dlen != 0 ? NFT_SET_MAP : 0) |
	    ((how & PUT_TIMEOUT) ? NFT_SET_TIMEOUT : 0);
	struct nlmsghdr *nlh;

	/* The kernel wants an id, unique in the batch, even if unused. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, bt->nacks);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ktype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	/* nft reads a lone string or mark (not a concatenation) in sets
	 * as big-endian unless told: a udata TLV, value 1 (host order). */
	if (ktype == DT_IFNAME || ktype == DT_MARK || dtype == DT_MARK) {
		uint8_t ud[6] = { ktype == DT_IFNAME || ktype == DT_MARK ?
		    NFTNL_UDATA_SET_KEYBYTEORDER :
		    NFTNL_UDATA_SET_DATABYTEORDER, 4 };
		uint32_t host = 1;

		memcpy(ud + 2, &host, sizeof(host));
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, ud, sizeof(ud));
	}
	if (flags != 0)
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (dlen != 0) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, dtype);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, dlen);
	}
	nlh = batch_msg(bt, NFT_MSG_NEWSET, family, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	if (how & PUT_FLUSH) {
		batch_next(bt);
		nlh = batch_msg(bt, NFT_MSG_DELSETELEM, family, 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	}
	nftnl_set_free(s);
	batch_next(bt);
}

/* Append rule r to its chain (NEWRULE) or empty the chain (DELRULE),
 * then free r. */
static void
put_rule_msg(struct batch *bt, struct nftnl_rule *r, uint16_t type,
    uint16_t flags)
{
	nftnl_rule_nlmsg_build_payload(batch_msg(bt, type,
	    (uint16_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY), flags), r);
	nftnl_rule_free(r);
	batch_next(bt);
}

static void
put_rule(struct batch *bt, struct nftnl_rule *r)
{
	put_rule_msg(bt, r, NFT_MSG_NEWRULE, NLM_F_APPEND | NLM_F_CREATE);
}

static struct nftnl_rule *
rule(uint16_t family, const char *chain)
{
	struct nftnl_rule *r = must(nftnl_rule_alloc());

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

/* Element keys and data are 4-byte aligned fields, as nft concatenates. */
struct key_port {		/* ports4's key */
	uint8_t		proto, pad[3];
	uint16_t	port, pad2;
};
struct val_port {		/* ports4's value: where to */
	uint32_t	addr;
	uint16_t	port, pad;
};
struct key_src {		/* the link, not its name: names are reused */
	uint32_t	ifindex;
	uint8_t		mac[6], pad[2];
	uint32_t	addr;
};
struct key_jail {		/* a live jail: ct mark . meta mark|oif */
	uint32_t	mark, ifindex;
};
struct key_quota {		/* quotas' key */
	uint32_t	uid, tag;
};
_Static_assert(sizeof(struct key_port) == 8, "key_port layout");
_Static_assert(sizeof(struct key_quota) == 8, "key_quota layout");
_Static_assert(sizeof(struct val_port) == 8, "val_port layout");
_Static_assert(sizeof(struct key_src) == 16, "key_src layout");
_Static_assert(sizeof(struct key_jail) == 8, "key_jail layout");

static void
elem_add(struct nftnl_set *s, const void *key, size_t klen, const void *data,
    size_t dlen)
{
	struct nftnl_set_elem *e = must(nftnl_set_elem_alloc());

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)klen);
	if (data != NULL)
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data,
		    (uint32_t)dlen);
	nftnl_set_elem_add(s, e);
}

/* Add (or delete) the elements collected in s, then free s. */
static void
put_elems(struct batch *bt, struct nftnl_set *s, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = batch_msg(bt, type,
	    (uint16_t)nftnl_set_get_u32(s, NFTNL_SET_FAMILY), flags);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	batch_next(bt);
}

static void
ifname_elem(struct nftnl_set *s, const char *name)
{
	char key[IFNAMSIZ] = { 0 };

	(void)snprintf(key, sizeof(key), "%s", name);
	elem_add(s, key, sizeof(key), NULL, 0);
}

/* --- the fixed rules --- */

/*
 * A published port: from a publish-from interface (prerouting) or from
 * the host itself (output) to one of the host's own addresses, but not to
 * 127/8, which would need route_localnet, and that opens more than a
 * port.  Only what opens a flow: a UDP datagram, or a TCP SYN; a stray
 * TCP segment that conntrack picks up mid-stream (the flow it belonged to
 * died with its jail) goes to the host, which resets it, and never to
 * the port's next owner.  The flow is marked with the jail's ifindex (so
 * mark first), then DNAT'ed.
 */
static void
rule_published(struct batch *bt, const char *chain, uint8_t proto, int mark)
{
	struct nftnl_rule *r = rule(NFPROTO_INET, chain);
	uint8_t lo = 127;

	x_ipv4(r);
	if (strcmp(chain, "prerouting") == 0)
		x_meta_in(r, NFT_META_IIFNAME, "pubif", 0);
	else {
		x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, R1);
		x_cmp(r, NFT_CMP_NEQ, &lo, sizeof(lo));
	}
	x_meta(r, NFT_META_L4PROTO, R1);
	x_cmp8(r, proto);
	if (proto == IPPROTO_TCP) {	/* tcp flags & (syn | ack) == syn */
		x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1, R1);
		x_bits8(r, 0x12, 0x02);
	}
	x_daddr_local(r);
	if (strcmp(chain, "prerouting") == 0)
		x_socket_held(r);
	if (mark)
		x_mark_ports(r);
	else
		x_dnat_ports(r);
	put_rule(bt, r);
}

static void
rules_nat(struct batch *bt)
{
	static const char *chains[] = { "prerouting", "output" };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct nftnl_rule *r;
	size_t c, p;

	for (c = 0; c < 2; c++)
		for (p = 0; p < 2; p++) {
			rule_published(bt, chains[c], protos[p], 1);
			rule_published(bt, chains[c], protos[p], 0);
		}
	/* outbound=nat: jails leave the host with its address. */
	r = rule(NFPROTO_INET, "postrouting");
	x_meta_in(r, NFT_META_IIFNAME, "natbridges", 0);
	x_meta_in(r, NFT_META_OIFNAME, "bridges", 1);
	expr(r, "masq");
	put_rule(bt, r);
}

/* iifname|oifname "cj*": a jail's port itself (names reserved for them) */
static void
x_port(struct nftnl_rule *r, uint32_t key)
{
	x_meta(r, key, R1);
	x_cmp(r, NFT_CMP_EQ, "cj", 2);
}

/*
 * Nothing climbs a port's own IP stack, and nothing is routed out of a
 * port directly (a host socket bound to the device, say): a port is a
 * wire into a bridge, and all traffic to and from jails crosses the bridge.
 */
static void
drop_on_port(struct batch *bt, const char *chain, uint32_t key)
{
	struct nftnl_rule *r = rule(NFPROTO_INET, chain);

	x_port(r, key);
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
}

/* iifname|oifname @bridges (key 0: every packet), then the caller's. */
static struct nftnl_rule *
on_bridges(const char *chain, uint32_t key)
{
	struct nftnl_rule *r = rule(NFPROTO_INET, chain);

	if (key != 0)
		x_meta_in(r, key, "bridges", 0);
	return r;
}

/* KEY @bridges jump to (a regular chain that then needs no such test). */
static void
jump_bridges(struct batch *bt, const char *chain, uint32_t key,
    const char *to)
{
	struct nftnl_rule *r = on_bridges(chain, key);

	x_verdict(r, NFT_JUMP, to);
	put_rule(bt, r);
}

/* Refuse, at once and saying no more: TCP reset, else admin-prohibited. */
static void
refuse(struct batch *bt, const char *chain, uint32_t key)
{
	struct nftnl_rule *r = on_bridges(chain, key);

	x_meta(r, NFT_META_L4PROTO, R1);
	x_cmp8(r, IPPROTO_TCP);
	x_reject(r, 1);
	put_rule(bt, r);
	r = on_bridges(chain, key);
	x_reject(r, 0);
	put_rule(bt, r);
}

/*
 * Everything from a jail, before routing and NAT: IPv4 only, tracked, and
 * in a flow of its own jail.  A new flow takes the mark its packet got at
 * the port (the port's ifindex); any other packet in the flow's original
 * direction must carry the mark of the port it came in by, so a flow
 * outlives neither its jail nor its address, and an ICMP error a jail
 * forges about someone else's flow (conntrack files it under that flow)
 * dies here.  Replies from a jail go through jailreply.  The packet mark
 * is cleared again so that it never meets the host's routing policy.
 */
static void
rules_from_jails(struct batch *bt)
{
	/* source-quench, redirect, and fragmentation-needed: a jail's MTU is
	 * its bridge's, and such an error (even about its own flow, and
	 * after NAT from the host's address) would steer other hosts. */
	static const uint8_t icmp_bad[][2] = { { 4, 0xff }, { 5, 0xff },
	    { 3, 4 } };
	struct nftnl_rule *r;
	size_t i;

	drop_on_port(bt, "jailin", NFT_META_IIFNAME);
	jump_bridges(bt, "jailin", NFT_META_IIFNAME, "fromjail");
	for (i = 0; i < sizeof(icmp_bad) / sizeof(icmp_bad[0]); i++) {
		r = rule(NFPROTO_INET, "jailicmp");
		x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
		x_cmp8(r, icmp_bad[i][0]);
		if (icmp_bad[i][1] != 0xff) {
			x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 1, 1, R1);
			x_cmp8(r, icmp_bad[i][1]);
		}
		x_verdict(r, NF_DROP, NULL);
		put_rule(bt, r);
	}
	r = rule(NFPROTO_INET, "fromjail");
	x_meta(r, NFT_META_NFPROTO, R1);
	x_cmp(r, NFT_CMP_NEQ, &(uint8_t){ NFPROTO_IPV4 }, 1);
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
	/* The fast path, taken by every packet of an established flow
	 * after its first: in its own jail's flow, in either direction.
	 * It implies every check below: established is neither invalid,
	 * untracked, new nor related, and conntrack never calls an ICMP
	 * error (the only types jailicmp drops) established; a reply whose
	 * flow's mark names its port leaves jailreply at its first rule. */
	r = rule(NFPROTO_INET, "fromjail");
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED));
	x_mark_is(r, NFT_CT_MARK, 0);
	x_mark_clear(r);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "fromjail");
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_INVALID_BIT |
	    NF_CT_STATE_UNTRACKED_BIT);
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "fromjail");
	x_meta(r, NFT_META_L4PROTO, R1);
	x_cmp8(r, IPPROTO_ICMP);
	x_verdict(r, NFT_JUMP, "jailicmp");
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "fromjail");
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_NEW));
	x_meta(r, NFT_META_MARK, R1);
	x_ct_set(r, NFT_CT_MARK, R1);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "fromjail");
	x_ct_get(r, NFT_CT_DIRECTION, R1);
	x_cmp8(r, IP_CT_DIR_REPLY);
	x_verdict(r, NFT_JUMP, "jailreply");
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "fromjail");
	x_ct_get(r, NFT_CT_DIRECTION, R1);
	x_cmp8(r, IP_CT_DIR_ORIGINAL);
	x_mark_is(r, NFT_CT_MARK, 1);
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "fromjail");
	x_mark_clear(r);
	put_rule(bt, r);
}

/*
 * A reply from a jail: it is the jail a published port led to (the flow's
 * mark), or, in a flow another jail began (isolate=no), the jail that
 * answered it first, recorded in the flow's label by its first reply that
 * is not an ICMP error.  So a jail that later gets the address answers
 * nothing of its predecessor's, and no bystander's forged error counts as
 * the answer.  A reply that is neither is dropped.
 */
static void
rules_jail_reply(struct batch *bt)
{
	static const uint8_t zero[16];
	struct nftnl_rule *r;

	r = rule(NFPROTO_INET, "jailreply");
	x_mark_is(r, NFT_CT_MARK, 0);
	x_verdict(r, NFT_RETURN, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "jailreply");
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED));
	x_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT, NFT_CMP_EQ);
	x_ct_get(r, NFT_CT_LABELS, R1);
	x_cmp(r, NFT_CMP_EQ, zero, sizeof(zero));
	x_imm(r, R1, zero, sizeof(zero));
	x_meta(r, NFT_META_MARK, R32_0);
	x_ct_set(r, NFT_CT_LABELS, R1);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "jailreply");
	x_mark_is(r, NFT_CT_LABELS, 0);
	x_verdict(r, NFT_RETURN, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "jailreply");
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
}

/*
 * oifname @bridges meta mark set ct mark, for the check at the port: in
 * postrouting, the one hook that names the device a packet really leaves
 * by (the output hooks still name the one routed to before DNAT).
 */
static void
rules_to_jails(struct batch *bt)
{
	struct nftnl_rule *r = on_bridges("jailout", NFT_META_OIFNAME);

	x_ct_get(r, NFT_CT_MARK, R1);
	x_meta_set(r, NFT_META_MARK, R1);
	put_rule(bt, r);
}

static void
rules_forward(struct batch *bt)
{
	struct nftnl_rule *r;

	/* Flows already accepted, and their errors, which are most packets,
	 * into jails and out: every chain below accepts them, so they are
	 * decided in two tests (the first keeps routes around the bridge
	 * out), before the tests that name the bridges. */
	drop_on_port(bt, "forward", NFT_META_OIFNAME);
	r = rule(NFPROTO_INET, "forward");
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED));
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	jump_bridges(bt, "forward", NFT_META_OIFNAME, "tojail");
	jump_bridges(bt, "forward", NFT_META_IIFNAME, "outbound");
	/* Out of jails: new connections only where outbound=nat. */
	r = rule(NFPROTO_INET, "outbound");
	x_meta_in(r, NFT_META_IIFNAME, "natbridges", 0);
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_NEW));
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	refuse(bt, "outbound", 0);
	/* Into jails: new DNAT'ed flows of published ports, from that
	 * bridge's publish-from interfaces.  Whose flow it is, the bridge
	 * table checks at the port. */
	r = rule(NFPROTO_INET, "tojail");
	x_ct_any(r, NFT_CT_STATUS, IPS_DST_NAT);
	x_meta(r, NFT_META_IIFNAME, R1);
	x_meta(r, NFT_META_OIFNAME, R2);
	x_lookup(r, "pubpath", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	/* Jail to jail on one isolate=no bridge: bridged frames come here
	 * too when br_netfilter is loaded, as do ones routed back onto the
	 * bridge by the host; isolate=yes ports never get this far at L2. */
	r = rule(NFPROTO_INET, "tojail");
	x_meta(r, NFT_META_IIFNAME, R1);
	x_meta(r, NFT_META_OIFNAME, R2);
	x_lookup(r, "intra", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	refuse(bt, "tojail", 0);
}

/*
 * A published port's packet that was not DNAT'ed to its jail (127.0.0.1,
 * an interface not in publish-from) would reach the helper's reservation
 * socket: refuse it, as if nothing listened there.  Only while that
 * socket holds the port: once its helper is gone, whoever binds the port
 * next gets its traffic.
 */
static void
rules_reserved(struct batch *bt)
{
	int tcp;

	for (tcp = 1; tcp >= 0; tcp--) {
		struct nftnl_rule *r = rule(NFPROTO_INET, "input");

		x_ipv4(r);
		x_ct_bits(r, NFT_CT_STATUS, IPS_DST_NAT, NFT_CMP_EQ);
		x_meta(r, NFT_META_L4PROTO, R1);
		if (tcp)
			x_cmp8(r, IPPROTO_TCP);
		x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32_1);
		x_lookup(r, "pubmark", 0, 0);
		x_socket_held(r);
		x_reject(r, tcp);
		put_rule(bt, r);
	}
}

/* Jails reach no host service; they may ping their gateway. */
static void
rules_input(struct batch *bt)
{
	struct nftnl_rule *r;

	rules_reserved(bt);

	r = on_bridges("input", NFT_META_IIFNAME);
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED));
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = on_bridges("input", NFT_META_IIFNAME);
	x_meta(r, NFT_META_L4PROTO, R1);
	x_cmp8(r, IPPROTO_ICMP);
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
	x_cmp8(r, 8);			/* echo-request */
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R1);
	x_lookup(r, "gateways", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	refuse(bt, "input", NFT_META_IIFNAME);
}

/*
 * Into jails from the host's own processes: only flows a jail began or
 * that were DNAT'ed to a published port; a new one of any other kind is
 * refused (no host user opens a connection to a jail address).
 */
static void
rules_output(struct batch *bt)
{
	struct nftnl_rule *r;

	drop_on_port(bt, "outfilter", NFT_META_OIFNAME);
	r = on_bridges("outfilter", NFT_META_OIFNAME);
	x_ct_any(r, NFT_CT_STATUS, IPS_DST_NAT);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = on_bridges("outfilter", NFT_META_OIFNAME);
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED));
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	refuse(bt, "outfilter", NFT_META_OIFNAME);
}

/* meta iif . ether saddr . (the address at base/off) @src; the iif
 * stays in R32_0 for the caller. */
static void
x_src(struct nftnl_rule *r, uint32_t base, uint32_t off)
{
	x_meta(r, NFT_META_IIF, R32_0);
	x_payload(r, NFT_PAYLOAD_LL_HEADER, 6, 6, R32_1);
	x_payload(r, base, off, 4, R32_3);
	x_lookup(r, "src", 0, 0);
}

/*
 * The port's ingress, before the bridge: a frame passes only if it comes
 * from the jail's own MAC, goes to a unicast or the broadcast MAC, and is
 * IPv4 from the jail's address or ARP whose sender is the jail's MAC and
 * address.  Link-local group MACs (01:80:c2:00:00:0X), which the bridge
 * would hand to the host stack of the port itself, multicast, IPv6,
 * VLAN tags (the tag is put back in front of the ethertype when read
 * here), every other ethertype: the base chain's policy drops them.
 */
static void
rules_ingress(struct batch *bt)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff };
	static const uint8_t arp_hdr[6] = { 0, 1, 8, 0, 6, 4 };
	struct nftnl_rule *r;
	uint16_t et;

	/* unicast first: nearly every frame */
	r = rule(NFPROTO_NETDEV, "jail");
	x_payload(r, NFT_PAYLOAD_LL_HEADER, 0, 1, R1);
	x_bits8(r, 0x01, 0);		/* ether daddr is unicast */
	x_verdict(r, NFT_GOTO, "jailsrc");
	put_rule(bt, r);
	r = rule(NFPROTO_NETDEV, "jail");
	x_payload(r, NFT_PAYLOAD_LL_HEADER, 0, 6, R1);
	x_cmp(r, NFT_CMP_EQ, bcast, sizeof(bcast));
	x_verdict(r, NFT_GOTO, "jailsrc");
	put_rule(bt, r);
	/* iif . ether saddr . ip saddr @src: mark the packet, accept */
	r = rule(NFPROTO_NETDEV, "jailsrc");
	et = htons(ETH_P_IP);
	x_payload(r, NFT_PAYLOAD_LL_HEADER, 12, 2, R1);
	x_cmp(r, NFT_CMP_EQ, &et, sizeof(et));
	x_src(r, NFT_PAYLOAD_NETWORK_HEADER, 12);
	x_meta_set(r, NFT_META_MARK, R32_0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	/* ARP: iif . ether saddr . arp spa and iif . arp sha . arp spa */
	r = rule(NFPROTO_NETDEV, "jailsrc");
	et = htons(ETH_P_ARP);
	x_payload(r, NFT_PAYLOAD_LL_HEADER, 12, 2, R1);
	x_cmp(r, NFT_CMP_EQ, &et, sizeof(et));
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 0, 6, R1);
	x_cmp(r, NFT_CMP_EQ, arp_hdr, sizeof(arp_hdr));
	x_src(r, NFT_PAYLOAD_NETWORK_HEADER, 14);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 8, 6, R32_1);
	x_lookup(r, "src", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
}

/*
 * Into a jail's port from the host: IPv4 only in a flow marked with that
 * very port.  The bridge family has no conntrack here, so the inet chains
 * copy the flow's mark onto the packet on its way to a bridge (jailout)
 * and this compares it with the port the bridge actually chose.
 */
static void
rules_bridge(struct batch *bt)
{
	struct nftnl_rule *r;
	uint16_t ip = htons(ETH_P_IP);

	r = rule(NFPROTO_BRIDGE, "output");
	x_port(r, NFT_META_OIFNAME);
	x_meta(r, NFT_META_PROTOCOL, R1);
	x_cmp(r, NFT_CMP_EQ, &ip, sizeof(ip));
	x_meta(r, NFT_META_MARK, R32_0);
	x_meta(r, NFT_META_OIF, R32_1);
	x_lookup(r, "jails", 0, NFT_LOOKUP_F_INV);
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
}

static void
pair_elem(struct nftnl_set *s, const char *a, const char *b)
{
	char key[2][IFNAMSIZ] = { { 0 } };

	(void)snprintf(key[0], IFNAMSIZ, "%s", a);
	(void)snprintf(key[1], IFNAMSIZ, "%s", b);
	elem_add(s, key, sizeof(key), NULL, 0);
}

/* An empty element list is not a valid NEWSETELEM. */
static void
put_nonempty(struct batch *bt, struct nftnl_set *s, size_t n)
{
	if (n > 0)
		put_elems(bt, s, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	else
		nftnl_set_free(s);
}

/* The static sets, refilled from the config. */
static void
put_static(struct batch *bt, const struct config *conf)
{
	struct nftnl_set *br = set_named(NFPROTO_INET, "bridges");
	struct nftnl_set *nat = set_named(NFPROTO_INET, "natbridges");
	struct nftnl_set *pif = set_named(NFPROTO_INET, "pubif");
	struct nftnl_set *path = set_named(NFPROTO_INET, "pubpath");
	struct nftnl_set *gw = set_named(NFPROTO_INET, "gateways");
	struct nftnl_set *intra = set_named(NFPROTO_INET, "intra");
	size_t i, j, nnat = 0, npif = 0, nintra = 0;

	for (i = 0; i < conf->nbridges; i++) {
		const struct bridge_conf *b = &conf->bridges[i];

		ifname_elem(br, b->name);
		elem_add(gw, &b->gateway.s_addr, 4, NULL, 0);
		if (b->outbound == OUTBOUND_NAT && ++nnat)
			ifname_elem(nat, b->name);
		if (!b->isolate && ++nintra)
			pair_elem(intra, b->name, b->name);
		for (j = 0; j < b->npubif; j++, npif++) {
			pair_elem(path, b->pubif[j], b->name);
			ifname_elem(pif, b->pubif[j]);
		}
	}
	put_nonempty(bt, br, conf->nbridges);	/* a policy may grant nothing */
	put_nonempty(bt, gw, conf->nbridges);
	put_nonempty(bt, nat, nnat);
	put_nonempty(bt, intra, nintra);
	put_nonempty(bt, pif, npif);
	put_nonempty(bt, path, npif);
}

static void
setup_inet(struct batch *bt, const struct config *conf)
{
	const uint32_t ifn = IFNAMSIZ;

	put_table(bt, NFPROTO_INET);
	put_set(bt, NFPROTO_INET, "bridges", DT_IFNAME, ifn, 0, 0, PUT_FLUSH);
	put_set(bt, NFPROTO_INET, "natbridges", DT_IFNAME, ifn, 0, 0,
	    PUT_FLUSH);
	put_set(bt, NFPROTO_INET, "pubif", DT_IFNAME, ifn, 0, 0, PUT_FLUSH);
	put_set(bt, NFPROTO_INET, "pubpath", DT_CONCAT(DT_IFNAME, DT_IFNAME),
	    2 * ifn, 0, 0, PUT_FLUSH);
	put_set(bt, NFPROTO_INET, "intra", DT_CONCAT(DT_IFNAME, DT_IFNAME),
	    2 * ifn, 0, 0, PUT_FLUSH);
	put_set(bt, NFPROTO_INET, "gateways", DT_IPADDR, 4, 0, 0, PUT_FLUSH);
	put_set(bt, NFPROTO_INET, "ports4", DT_CONCAT(DT_PROTO, DT_SERVICE),
	    sizeof(struct key_port), DT_CONCAT(DT_IPADDR, DT_SERVICE),
	    sizeof(struct val_port), 0);
	put_set(bt, NFPROTO_INET, "pubmark", DT_CONCAT(DT_PROTO, DT_SERVICE),
	    sizeof(struct key_port), DT_MARK, 4, 0);
	put_set(bt, NFPROTO_INET, "jails", DT_CONCAT(DT_MARK, DT_MARK),
	    sizeof(struct key_jail), 0, 0, 0);
	/* gcturn: a uid's turn to collect garbage (fw_gc_turn) */
	put_set(bt, NFPROTO_INET, "gcturn", DT_MARK, 4, 0, 0, PUT_TIMEOUT);
	/* quotas: uid . bridge tag : the quota its links keep to (lease.c) */
	put_set(bt, NFPROTO_INET, "quotas", DT_CONCAT(DT_MARK, DT_MARK),
	    sizeof(struct key_quota), DT_MARK, 4, 0);
	put_static(bt, conf);
	put_chain(bt, NFPROTO_INET, "prerouting", NF_INET_PRE_ROUTING,
	    NF_IP_PRI_NAT_DST, "nat");
	put_chain(bt, NFPROTO_INET, "output", NF_INET_LOCAL_OUT,
	    NF_IP_PRI_NAT_DST, "nat");
	put_chain(bt, NFPROTO_INET, "postrouting", NF_INET_POST_ROUTING,
	    NF_IP_PRI_NAT_SRC, "nat");
	put_chain(bt, NFPROTO_INET, "jailin", NF_INET_PRE_ROUTING,
	    NF_IP_PRI_MANGLE, "filter");
	put_chain(bt, NFPROTO_INET, "fromjail", -1, 0, NULL);
	put_chain(bt, NFPROTO_INET, "jailicmp", -1, 0, NULL);
	put_chain(bt, NFPROTO_INET, "jailreply", -1, 0, NULL);
	put_chain(bt, NFPROTO_INET, "tojail", -1, 0, NULL);
	put_chain(bt, NFPROTO_INET, "outbound", -1, 0, NULL);
	put_chain(bt, NFPROTO_INET, "jailout", NF_INET_POST_ROUTING,
	    NF_IP_PRI_FILTER, "filter");
	put_chain(bt, NFPROTO_INET, "forward", NF_INET_FORWARD,
	    NF_IP_PRI_FILTER, "filter");
	put_chain(bt, NFPROTO_INET, "input", NF_INET_LOCAL_IN,
	    NF_IP_PRI_FILTER, "filter");
	put_chain(bt, NFPROTO_INET, "outfilter", NF_INET_LOCAL_OUT,
	    NF_IP_PRI_FILTER, "filter");
	rules_nat(bt);
	rules_jail_reply(bt);
	rules_from_jails(bt);
	rules_to_jails(bt);
	rules_forward(bt);
	rules_input(bt);
	rules_output(bt);
}

/*
 * The digest names what was written, not what is there now: root may have
 * deleted the netdev or bridge table, or flushed the inet one's rules
 * (the set with the digest survives a flush).  1 if all three tables are
 * there and the inet one has its inet_rules rules, 0 if not, -1.
 */
static int
tables_intact(struct nl *nf, int inet_rules)
{
	static const uint16_t fam[] = { NFPROTO_NETDEV, NFPROTO_BRIDGE };
	struct nftnl_table *t;
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	char buf[256];
	size_t i;
	int n;

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		t = must(nftnl_table_alloc());
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, FW_TABLE);
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, fam[i],
		    NLM_F_ACK, nl_next_seq(nf));
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
		n = 0;
		if (nl_dump(nf, nlh, nlh->nlmsg_len, count_msg, &n) == -1)
			return errno == ENOENT ? 0 : -1;
	}
	r = rule(NFPROTO_INET, "");
	nftnl_rule_unset(r, NFTNL_RULE_CHAIN);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET,
	    NLM_F_DUMP, nl_next_seq(nf));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	n = 0;
	if (nl_dump(nf, nlh, nlh->nlmsg_len, count_msg, &n) == -1)
		return errno == ENOENT ? 0 : -1;
	return n == inet_rules;
}

/*
 * FNV-1a over the batch built so far, sequence numbers and port ids left
 * out: it names what this code makes of this config.
 */
static uint64_t
batch_digest(struct batch *bt, int *inet_rules)
{
	const struct nlmsghdr *nlh = mnl_nlmsg_batch_head(bt->b);
	int rest = (int)mnl_nlmsg_batch_size(bt->b);
	uint64_t h = 0xcbf29ce484222325ULL;
	const struct nfgenmsg *g;
	const uint8_t *p;
	size_t i;

	for (*inet_rules = 0; mnl_nlmsg_ok(nlh, rest);
	    nlh = mnl_nlmsg_next(nlh, &rest)) {
		g = mnl_nlmsg_get_payload(nlh);
		*inet_rules += nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 |
		    NFT_MSG_NEWRULE) && g->nfgen_family == NFPROTO_INET;
		h = (h ^ nlh->nlmsg_type ^ (uint64_t)nlh->nlmsg_flags << 16 ^
		    (uint64_t)nlh->nlmsg_len << 32) * 0x100000001b3ULL;
		p = (const uint8_t *)mnl_nlmsg_get_payload(nlh);
		for (i = 0; i < nlh->nlmsg_len - sizeof(*nlh); i++)
			h = (h ^ p[i]) * 0x100000001b3ULL;
	}
	return h;
}

/*
 * Create or refresh the tables in one batch, which ends by recording its
 * digest as the only element of the set "version".  A helper whose batch
 * has that digest already sends nothing: most starts change nothing.
 * Running it again changes nothing a jail depends on: the per-jail sets
 * and chains are created when missing and never flushed here.
 */
int
fw_setup(struct nl *nf, const struct config *conf)
{
	struct nftnl_set *v;
	struct batch bt;
	uint64_t d;
	int nrules;

	batch_start(&bt, nf);
	setup_inet(&bt, conf);
	put_table(&bt, NFPROTO_NETDEV);
	put_set(&bt, NFPROTO_NETDEV, "src", DT_CONCAT(DT_CONCAT(DT_IFINDEX,
	    DT_ETHERADDR), DT_IPADDR), sizeof(struct key_src), 0, 0, 0);
	put_chain(&bt, NFPROTO_NETDEV, "jail", -1, 0, NULL);
	put_chain(&bt, NFPROTO_NETDEV, "jailsrc", -1, 0, NULL);
	rules_ingress(&bt);
	put_table(&bt, NFPROTO_BRIDGE);
	put_set(&bt, NFPROTO_BRIDGE, "jails", DT_CONCAT(DT_MARK, DT_IFINDEX),
	    sizeof(struct key_jail), 0, 0, 0);
	put_chain(&bt, NFPROTO_BRIDGE, "output", NF_BR_LOCAL_OUT,
	    NF_BR_PRI_FILTER_BRIDGED, "filter");
	rules_bridge(&bt);
	/* Any doubt (a listing interrupted by another helper's change,
	 * EAGAIN) means writing: the batch is the same for every helper. */
	d = batch_digest(&bt, &nrules);
	if (elem_exists(nf, NFPROTO_INET, "version", &d, sizeof(d)) == 1 &&
	    tables_intact(nf, nrules) == 1) {
		mnl_nlmsg_batch_stop(bt.b);
		return 0;
	}
	put_set(&bt, NFPROTO_INET, "version", DT_CONCAT(DT_MARK, DT_MARK),
	    sizeof(d), 0, 0, PUT_FLUSH);
	v = set_named(NFPROTO_INET, "version");
	elem_add(v, &d, sizeof(d), NULL, 0);
	put_elems(&bt, v, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	return batch_send(&bt);
}

/* --- per-jail elements and chains --- */

/*
 * Sweeping: list the per-jail sets into elems[], then pick what to delete.
 * The pick comes strictly after the listing, so a jail whose link and
 * element both appeared during the listing is never taken for dead (a
 * lease makes its link before its elements).  Nothing is judged while a
 * dump is being read, since nl.c has one receive buffer.  A listing holds
 * at most FW_MAX_ELEMS; a full one is swept and listed again, and every
 * deletion goes in chunks, so any number of stale elements is collected.
 */
#define FW_MAX_ELEMS	8192
#define FW_CHUNK	512	/* elements per message: ~30 KiB */
#define FW_SWEEPS	64	/* listings per sweep (512 Ki elements) */
#define FW_TRIES	8	/* races with other sweepers and publishers */

struct elem {
	uint16_t	set;		/* index into jail_sets[] */
	uint16_t	klen;
	uint32_t	owner;		/* the jail's host-side ifindex */
	uint8_t		key[sizeof(struct key_src)];
};

/*
 * The per-jail sets, and where each element names its owner (a ports4
 * element's is its pubmark twin's).  list_jail_elems gives their order.
 */
static const struct {
	const char	*name;
	uint32_t	 klen, dlen, owner_off;	/* in key, or else in data */
	uint16_t	 family;
} jail_sets[] = {
	{ "src", sizeof(struct key_src), 0, 0, NFPROTO_NETDEV },
	{ "pubmark", sizeof(struct key_port), 4, 0, NFPROTO_INET },
	{ "ports4", sizeof(struct key_port), sizeof(struct val_port), 0,
	    NFPROTO_INET },
	{ "jails", sizeof(struct key_jail), 0, 0, NFPROTO_INET },
	{ "jails", sizeof(struct key_jail), 0, 0, NFPROTO_BRIDGE },
};
#define NSETS	(sizeof(jail_sets) / sizeof(jail_sets[0]))
#define SRC	0
#define PUBMARK	1
#define PORTS4	2
#define JAILS	3	/* liveness: one element per live jail */
#define JAILS_BR 4

static struct elem elems[FW_MAX_ELEMS];
static size_t nelems;
static int elems_full;
static int owners_pass;		/* listing pubmark for its owners only */

/*
 * What this session's lease put in the per-jail sets, so that its release
 * deletes just that: listing the sets costs in proportion to every jail's
 * elements.  More ports than fit, or any doubt, and the release lists.
 */
#define FW_OWN_PORTS	64
static struct {
	uint32_t	 ifindex;	/* 0: nothing recorded */
	struct key_src	 src;
	struct key_port	 ports[FW_OWN_PORTS];
	size_t		 nports;
	int		 overflow;
} mine;

/*
 * The owner of each published port, from the listing of pubmark: a slot
 * counts only if this listing wrote it (its stamp), as the previous one
 * may have named an owner whose element has gone since.
 */
struct port_slot {
	uint32_t	 owner;
	uint32_t	 stamp;
	uint32_t	 stamp4;	/* a ports4 element kept for deletion */
};
static struct port_slot port_owner[2][65536];
static uint32_t port_stamp;

void
fw_idle(void)
{
	idle_pages(fwbuf, sizeof(fwbuf));
	idle_pages(elems, sizeof(elems));
	idle_pages(port_owner, sizeof(port_owner));
}

static struct port_slot *
port_slot(const void *key)
{
	const struct key_port *k = (const struct key_port *)key;

	return &port_owner[k->proto == IPPROTO_UDP][ntohs(k->port)];
}

static void
port_set(const void *key, uint32_t owner)
{
	struct port_slot *p = port_slot(key);

	p->owner = owner;
	p->stamp = port_stamp;
}

/* The port's owner in this listing; 0 if it listed none. */
static uint32_t
port_get(const void *key)
{
	const struct port_slot *p = port_slot(key);

	return p->stamp == port_stamp ? p->owner : 0;
}

/* A new listing: forget the previous one's elements and port owners. */
static void
forget_ports(void)
{
	if (++port_stamp == 0) {	/* once in 2^32 listings */
		memset(port_owner, 0, sizeof(port_owner));
		port_stamp = 1;
	}
	nelems = 0;
	elems_full = 0;
}

/*
 * Which jails go: the one of ifindex (release), or (garbage collection,
 * live given) every jail whose link is gone.  For the latter, a listing
 * keeps only candidates, elements whose owner had no link just before the
 * listing began, and a deletion takes a candidate only if its owner still
 * has none after the listing: a lease makes its link before its elements,
 * and ifindexes are not reused, so a live jail is never taken, and only
 * the stale fill elems[], however many live elements there are.
 */
struct sweep {
	uint32_t		 ifindex;
	const struct fw_live	*live;
};

static const struct sweep *listing;	/* the sweep list_elem filters for */

static int
selected(const struct sweep *sw, uint32_t owner)
{
	if (sw->live != NULL)
		return !sw->live->alive(owner, sw->live->arg);
	return owner == sw->ifindex;
}

/*
 * Before a listing, a view of the links taken at any earlier time will do
 * (it only decides which elements are worth keeping as candidates; a jail
 * it wrongly shows alive is collected next time), so the last one is
 * reused: each link dump costs the kernel in proportion to every link.
 */
static void
before(const struct sweep *sw)
{
	if (sw->live != NULL) {
		sw->live->fresh(sw->live->arg, 0);
		(void)sw->live->alive(0, sw->live->arg);
	}
}

/* After a listing, before judging: a link is gone only as seen from now. */
static void
after(const struct sweep *sw)
{
	if (sw->live != NULL)
		sw->live->fresh(sw->live->arg, 1);
}

/*
 * One listed element: key and value, as the kernel sent them.  A
 * pubmark element is listed twice: first for its owner only, then kept
 * if no kept ports4 element takes it along (delete_chunk).
 */
static void
list_elem(uint16_t set, const uint8_t *key, uint32_t klen, const uint8_t *val,
    uint32_t vlen)
{
	struct elem *e = &elems[nelems];
	uint32_t owner;

	if (key == NULL || klen != jail_sets[set].klen ||
	    vlen != jail_sets[set].dlen)
		return;		/* not ours to judge */
	if (set == PUBMARK && owners_pass) {
		memcpy(&owner, val, sizeof(owner));
		port_set(key, owner);
		return;
	}
	if (nelems == FW_MAX_ELEMS) {
		elems_full = 1;
		return;
	}
	e->set = set;
	e->klen = (uint16_t)klen;
	memcpy(&e->owner, (vlen ? val : key) + jail_sets[set].owner_off, 4);
	memcpy(e->key, key, klen);
	if (set == PORTS4)	/* 0 (none): an orphan, never alive */
		e->owner = port_get(key);
	if (!selected(listing, e->owner))
		return;
	if (set == PORTS4)	/* its batch takes the pubmark twin too */
		port_slot(key)->stamp4 = port_stamp;
	else if (set == PUBMARK && port_slot(key)->stamp4 == port_stamp)
		return;
	nelems++;
}

/* Keep each attribute of a nest by type (callbacks for mnl_attr_parse). */
struct attrs {
	const struct nlattr	*a[NFTA_SET_ELEM_MAX + 1];
	uint16_t		 set;
};

static int
keep_attr(const struct nlattr *a, void *data)
{
	struct attrs *at = data;
	uint16_t t = mnl_attr_get_type(a);

	if (t <= NFTA_SET_ELEM_MAX)
		at->a[t] = a;
	return MNL_CB_OK;
}

/* NFTA_SET_ELEM_KEY or _DATA: a nest holding one NFTA_DATA_VALUE. */
static const uint8_t *
data_value(const struct nlattr *nest, uint32_t *len)
{
	struct attrs in = { { NULL }, 0 };

	*len = 0;
	if (nest == NULL || mnl_attr_parse_nested(nest, keep_attr, &in) !=
	    MNL_CB_OK || in.a[NFTA_DATA_VALUE] == NULL)
		return NULL;
	*len = mnl_attr_get_payload_len(in.a[NFTA_DATA_VALUE]);
	return mnl_attr_get_payload(in.a[NFTA_DATA_VALUE]);
}

/* One NFTA_LIST_ELEM of a listing. */
static int
list_nest(const struct nlattr *el, void *data)
{
	const struct attrs *list = data;
	struct attrs f = { { NULL }, 0 };
	const uint8_t *key, *val;
	uint32_t klen, vlen;

	if (mnl_attr_parse_nested(el, keep_attr, &f) != MNL_CB_OK)
		return MNL_CB_ERROR;
	key = data_value(f.a[NFTA_SET_ELEM_KEY], &klen);
	val = data_value(f.a[NFTA_SET_ELEM_DATA], &vlen);
	list_elem(list->set, key, klen, val, vlen);
	return MNL_CB_OK;
}

/*
 * A GETSETELEM answer, parsed in place with libmnl: no allocation per
 * element, so a listing of any size costs no memory but elems[].
 */
static int
list_msg(const struct nlmsghdr *nlh, void *data)
{
	struct attrs top = { { NULL }, *(const uint16_t *)data };

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), keep_attr, &top) !=
	    MNL_CB_OK)
		return MNL_CB_ERROR;
	if (top.a[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL)
		return MNL_CB_OK;
	return mnl_attr_parse_nested(top.a[NFTA_SET_ELEM_LIST_ELEMENTS],
	    list_nest, &top);
}

/*
 * The order of a listing: pubmark for its owners, then the ports4
 * elements, then the pubmark elements no ports4 element takes along, and
 * the liveness sets last.  So a listing too full to keep everything
 * keeps ports before lone pubmark elements (it always makes progress,
 * and never deletes a pubmark element whose ports4 twin it missed) and a
 * jail's liveness elements only once it kept every port.
 */
static int
list_jail_elems(struct nl *nf, const struct sweep *sw)
{
	static const uint16_t order[] = { SRC, PUBMARK, PORTS4, PUBMARK,
	    JAILS, JAILS_BR };
	char buf[256];
	struct nlmsghdr *nlh;
	size_t n;

	forget_ports();
	listing = sw;
	for (n = 0; n < sizeof(order) / sizeof(order[0]); n++) {
		uint16_t set = order[n];
		struct nftnl_set *s = set_named(jail_sets[set].family,
		    jail_sets[set].name);

		owners_pass = n == 1;
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
		    jail_sets[set].family, NLM_F_DUMP, nl_next_seq(nf));
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if (nl_dump(nf, nlh, nlh->nlmsg_len, list_msg, &set) == -1)
			return -1;
	}
	return 0;
}

/*
 * A published port's two elements are keyed by the port, which another
 * jail may publish again once they are gone: a listing is no proof that
 * they are still the dead jail's when they are deleted (a collection may
 * be stopped in between, and another collect them and another user
 * publish the port meanwhile).  Nor is a ports4 element whose pubmark
 * twin the listing lacked (owner 0) surely an orphan: a publish adds
 * both in one batch, which may have come between the two listings.  So
 * the batch that deletes them first adds, without NLM_F_EXCL, each one's
 * pubmark element with the owner the listing gave it (0 for an orphan,
 * which no live element has): the kernel refuses that with EEXIST if the
 * port's pubmark element now names another owner, and the batch fails
 * whole, having changed nothing; the sweep lists again.  Otherwise the
 * add is a no-op, or makes a twin that the batch deletes with the rest:
 * a ports4 element goes with its pubmark element.
 */
struct twins {
	struct nftnl_set	*add, *del;
};

static void
twin_add(struct twins *t, const struct elem *e, int del)
{
	if (t->add == NULL)
		t->add = set_named(NFPROTO_INET, "pubmark");
	elem_add(t->add, e->key, e->klen, &e->owner, sizeof(e->owner));
	if (del && t->del == NULL)
		t->del = set_named(NFPROTO_INET, "pubmark");
	if (del)
		elem_add(t->del, e->key, e->klen, NULL, 0);
}

/*
 * The conntrack entries of a jail's flows, by their mark: best effort
 * (the rules already keep them from carrying anything), but no state
 * should outlive its lease.
 */
static int
flush_flows(struct nl *nf, uint32_t ifindex)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = nl_next_seq(nf);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(ifindex));
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(UINT32_MAX));
	if (nl_talk(nf, nlh, nlh->nlmsg_len, 1) == 0 || errno == ENOENT)
		return 0;
	log_event(LOG_WARNING, "flushing flows of link %u: %s", ifindex,
	    strerror(errno));
	return -1;
}

/*
 * A lone pubmark element (no ports4 twin listed) goes only if it still
 * has none: the batch adds, without NLM_F_EXCL, a ports4 twin no publish
 * makes (translating to 0.0.0.0 port 0), and deletes it; the kernel
 * refuses with EEXIST if a real twin is there, and the batch fails whole.
 */
static void
guard_add(struct twins *g, const struct elem *e)
{
	static const struct val_port none;

	if (g->add == NULL)
		g->add = set_named(NFPROTO_INET, "ports4");
	if (g->del == NULL)
		g->del = set_named(NFPROTO_INET, "ports4");
	elem_add(g->add, e->key, e->klen, &none, sizeof(none));
	elem_add(g->del, e->key, e->klen, NULL, 0);
}

/* Add owner to the n distinct ones in owners[]. */
static void
add_owner(uint32_t owners[FW_CHUNK], size_t *n, uint32_t owner)
{
	size_t k;

	for (k = 0; k < *n; k++)
		if (owners[k] == owner)
			return;
	owners[(*n)++] = owner;
}

/*
 * Delete n listed elements of set i, starting at *j, in one batch, and
 * flush flows by their jail's mark (flush_flows).  A port's owner's go
 * after the batch that took the port, as flows made through it until
 * then are marked for the owner; a jail's go just before the batch that
 * takes its liveness element, which sweep deletes after every port (the
 * ports4 element with its pubmark twin, so that no port ever translates
 * without marking), so that none is made for it after that flush.  A
 * liveness element whose flush failed stays for the next collection, as
 * it does when a collection is killed in between.
 */
static int
delete_chunk(struct nl *nf, const struct sweep *sw, size_t i, size_t *j)
{
	struct nftnl_set *del = set_named(jail_sets[i].family,
	    jail_sets[i].name);
	struct twins t = { NULL, NULL }, g = { NULL, NULL };
	uint32_t owners[FW_CHUNK];
	struct batch bt;
	size_t k, n = 0, nown = 0;

	for (; *j < nelems && n < FW_CHUNK; (*j)++) {
		const struct elem *e = &elems[*j];

		if (e->set != i || !selected(sw, e->owner) ||
		    (i == JAILS && flush_flows(nf, e->owner) == -1))
			continue;
		elem_add(del, e->key, e->klen, NULL, 0);
		if (i == PUBMARK)
			guard_add(&g, e);
		if (i == PUBMARK || i == PORTS4) {
			twin_add(&t, e, i == PORTS4);
			if (e->owner != 0)
				add_owner(owners, &nown, e->owner);
		}
		n++;
	}
	if (n == 0) {
		nftnl_set_free(del);
		return 0;
	}
	batch_start(&bt, nf);
	if (t.add != NULL)
		put_elems(&bt, t.add, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	if (g.add != NULL) {
		put_elems(&bt, g.add, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
		put_elems(&bt, g.del, NFT_MSG_DELSETELEM, 0);
	}
	put_elems(&bt, del, NFT_MSG_DELSETELEM, 0);
	if (t.del != NULL)
		put_elems(&bt, t.del, NFT_MSG_DELSETELEM, 0);
	if (batch_send(&bt) == -1)
		return -1;
	for (k = 0; k < nown; k++)
		(void)flush_flows(nf, owners[k]);
	return 0;
}

/*
 * List, then delete what sw selects, chunk by chunk, until a listing is
 * not full: the ports before the liveness elements (see delete_chunk;
 * a listing too full to hold every element holds the liveness ones only
 * if it held every port).  ENOENT means another helper deleted one of
 * them in between, EEXIST that a port is no longer the listed owner's
 * (twin_add): list again.
 */
static int
sweep(struct nl *nf, const struct sweep *sw)
{
	static const uint16_t order[] = { SRC, PORTS4, PUBMARK, JAILS,
	    JAILS_BR };
	size_t i, j, sweeps, tries = 0;
	int rc = 0;

	for (sweeps = 0; sweeps < FW_SWEEPS; sweeps++) {
		before(sw);
		if (list_jail_elems(nf, sw) == -1)
			return -1;
		after(sw);
		for (i = 0; i < NSETS && rc == 0; i++)
			for (j = 0; j < nelems && rc == 0; )
				rc = delete_chunk(nf, sw, order[i], &j);
		if (rc == -1 && (errno == ENOENT || errno == EEXIST) &&
		    ++tries < FW_TRIES)
			rc = 0;
		else if (rc == -1 || !elems_full)
			break;
	}
	return rc;
}

/* Best effort: a chain the kernel already removed with its device. */
static void
del_port_chain(struct nl *nf, uint32_t ifindex)
{
	struct nftnl_chain *c;
	struct batch bt;
	char name[16];

	(void)snprintf(name, sizeof(name), "p%u", ifindex);
	c = chain_named(name);
	batch_start(&bt, nf);
	put_chain_msg(&bt, c, NFT_MSG_DELCHAIN, NFPROTO_NETDEV, 0);
	(void)batch_send(&bt);
}

/*
 * A new lease: the port's ingress filter (a base chain on the device,
 * named by the link's index, whose one rule jumps to the shared checks),
 * the jail's source and its liveness elements, in one batch.  lease.c's
 * quota marker needs this batch to change the ruleset always (a batch
 * that changes nothing leaves the generation as it was): the chain is
 * created with NLM_F_EXCL.
 */
int
fw_lease(struct nl *nf, uint32_t ifindex, uint32_t addr, const uint8_t mac[6],
    const char *dev)
{
	struct key_src src = { .ifindex = ifindex, .addr = addr };
	struct key_jail self = { ifindex, ifindex };
	struct nftnl_chain *c;
	struct nftnl_rule *r;
	struct batch bt;
	char name[16];
	size_t i;

	memcpy(src.mac, mac, 6);
	(void)snprintf(name, sizeof(name), "p%u", ifindex);
	batch_start(&bt, nf);
	c = chain_named(name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_NETDEV_INGRESS);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NETDEV_PRI_FIRST);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_str(c, NFTNL_CHAIN_DEV, dev);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_DROP);
	put_chain_msg(&bt, c, NFT_MSG_NEWCHAIN, NFPROTO_NETDEV,
	    NLM_F_CREATE | NLM_F_EXCL);
	r = rule(NFPROTO_NETDEV, name);
	x_verdict(r, NFT_JUMP, "jail");
	put_rule(&bt, r);
	for (i = 0; i < NSETS; i++) {
		struct nftnl_set *s;

		if (i == PUBMARK || i == PORTS4)
			continue;
		s = set_named(jail_sets[i].family, jail_sets[i].name);
		elem_add(s, i == SRC ? (const void *)&src : (const void *)&self,
		    jail_sets[i].klen, NULL, 0);
		put_elems(&bt, s, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	}
	if (batch_send(&bt) == -1)
		return -1;
	memset(&mine, 0, sizeof(mine));
	mine.ifindex = ifindex;
	mine.src = src;
	return 0;
}

/* Delete what mine says this session's lease put in the sets, by key. */
static int
release_own(struct nl *nf, uint32_t ifindex)
{
	struct key_jail self = { ifindex, ifindex };
	struct nftnl_set *s;
	struct batch bt;
	size_t i, k;

	if (mine.ifindex != ifindex || mine.overflow) {
		errno = ENOENT;
		return -1;
	}
	mine.ifindex = 0;
	batch_start(&bt, nf);
	for (i = 0; i < NSETS; i++) {
		if ((i == PUBMARK || i == PORTS4) && mine.nports == 0)
			continue;
		s = set_named(jail_sets[i].family, jail_sets[i].name);
		if (i == SRC)
			elem_add(s, &mine.src, sizeof(mine.src), NULL, 0);
		else if (i == JAILS || i == JAILS_BR)
			elem_add(s, &self, sizeof(self), NULL, 0);
		else
			for (k = 0; k < mine.nports; k++)
				elem_add(s, &mine.ports[k],
				    sizeof(mine.ports[k]), NULL, 0);
		put_elems(&bt, s, NFT_MSG_DELSETELEM, 0);
	}
	return batch_send(&bt);
}

/*
 * The jail of link ifindex is going: its elements, its ingress chain, the
 * flows it had.  Keyed by ifindex, none of it can be another jail's (a
 * published port's key is the port, which this helper's socket holds
 * until it exits, so nobody else can have published it meanwhile).  The
 * elements go by the keys this session added, in one batch; if any is
 * gone already (another helper's collection took it once our link had
 * gone), the batch fails whole and the sets are listed instead.
 */
int
fw_release(struct nl *nf, uint32_t ifindex)
{
	struct sweep sw = { .ifindex = ifindex, .live = NULL };
	int rc;

	if ((rc = release_own(nf, ifindex)) == -1)
		rc = sweep(nf, &sw);
	del_port_chain(nf, ifindex);
	(void)flush_flows(nf, ifindex);
	return rc;
}

/*
 * Is it uid's turn to collect garbage?  1 if so, 0 if one of its helpers
 * took the turn in the last FW_GC_EVERY_MS, -1 with errno.  Taking it is
 * adding uid to gcturn with that timeout, exclusively: one atomic batch,
 * so concurrent helpers of one user collect once between them, and a
 * turn is per user, so no user can keep another's runs from collecting.
 * The element is looked up first, as a batch the kernel refuses costs an
 * RCU grace period (nf_tables' abort waits for one, ~10 ms) and most
 * helpers find the turn taken: the add then loses only to a helper that
 * took it since.
 */
int
fw_gc_turn(struct nl *nf, uint32_t uid)
{
	struct nftnl_set *s;
	struct nftnl_set_elem *e;
	struct batch bt;
	int r;

	if ((r = elem_exists(nf, NFPROTO_INET, "gcturn", &uid,
	    sizeof(uid))) != 0)
		return r == 1 ? 0 : -1;
	s = set_named(NFPROTO_INET, "gcturn");
	e = must(nftnl_set_elem_alloc());
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &uid, sizeof(uid));
	nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, FW_GC_EVERY_MS);
	nftnl_set_elem_add(s, e);
	batch_start(&bt, nf);
	put_elems(&bt, s, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL);
	if (batch_send(&bt) == 0)
		return 1;
	return errno == EEXIST ? 0 : -1;
}

/*
 * Publish: the host port is the key of ports4, so a port anyone published
 * fails with EEXIST in the kernel, atomically.  The same batch deletes and
 * re-adds the jail's own liveness element: ENOENT if garbage collection
 * removed it, i.e. this session's link is gone.  (A stale publish would
 * grant nothing anyway: its flows carry a dead ifindex as their mark, and
 * the bridge table drops them at whatever port now has the address.)
 */
int
fw_publish(struct nl *nf, const struct proto_publish_req *p, uint32_t ifindex,
    uint32_t addr)
{
	struct nftnl_set *ports = set_named(NFPROTO_INET, "ports4");
	struct nftnl_set *mark = set_named(NFPROTO_INET, "pubmark");
	struct nftnl_set *own;
	struct key_jail self = { ifindex, ifindex };
	struct key_port k = { (uint8_t)p->ipproto, { 0 }, p->host_port, 0 };
	struct val_port v = { addr, p->jail_port, 0 };
	struct batch bt;

	batch_start(&bt, nf);
	own = set_named(NFPROTO_INET, "jails");
	elem_add(own, &self, sizeof(self), NULL, 0);
	put_elems(&bt, own, NFT_MSG_DELSETELEM, 0);
	own = set_named(NFPROTO_INET, "jails");
	elem_add(own, &self, sizeof(self), NULL, 0);
	put_elems(&bt, own, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	elem_add(ports, &k, sizeof(k), &v, sizeof(v));
	put_elems(&bt, ports, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL);
	elem_add(mark, &k, sizeof(k), &ifindex, sizeof(ifindex));
	put_elems(&bt, mark, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL);
	if (batch_send(&bt) == -1)
		return -1;
	if (mine.ifindex == ifindex && mine.nports < FW_OWN_PORTS)
		mine.ports[mine.nports++] = k;
	else
		mine.overflow = 1;
	return 0;
}

static int
list_chain(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = must(nftnl_chain_alloc());
	const char *name;
	unsigned long long n;
	char *end;

	(void)data;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    (name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)) != NULL &&
	    name[0] == 'p' && name[1] >= '1' && name[1] <= '9' &&
	    (n = strtoull(name + 1, &end, 10)) <= UINT32_MAX && *end == '\0' &&
	    nelems < FW_MAX_ELEMS && selected(listing, (uint32_t)n)) {
		elems[nelems].set = NSETS;
		elems[nelems++].owner = (uint32_t)n;
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

/*
 * The ingress chains of dead jails (newer kernels keep a netdev chain when
 * its device goes); alive is asked only after the listing.
 */
int
fw_gc_chains(struct nl *nf, const struct fw_live *live)
{
	struct sweep sw = { .ifindex = 0, .live = live };
	struct nftnl_chain *c = chain_named("");
	struct nlmsghdr *nlh;
	char buf[256];
	size_t j;

	forget_ports();
	listing = &sw;
	before(&sw);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_NETDEV,
	    NLM_F_DUMP, nl_next_seq(nf));
	nftnl_chain_unset(c, NFTNL_CHAIN_NAME);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	if (nl_dump(nf, nlh, nlh->nlmsg_len, list_chain, NULL) == -1)
		return -1;
	after(&sw);
	for (j = 0; j < nelems; j++)
		if (selected(&sw, elems[j].owner))
			del_port_chain(nf, elems[j].owner);
	return 0;
}

/*
 * Remove the elements and flows of every jail whose link no longer
 * exists (see struct sweep for why that is safe against live jails).
 */
int
fw_gc(struct nl *nf, const struct fw_live *live)
{
	struct sweep sw = { .ifindex = 0, .live = live };

	return sweep(nf, &sw);
}

static int
drop_chain(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_chain *c = must(nftnl_chain_alloc());
	int *found = data;
	uint32_t family;

	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)) {
		family = nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY);
		if ((family == NFPROTO_IPV4 || family == NFPROTO_INET) &&
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) ==
		    NF_INET_FORWARD &&
		    nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP &&
		    strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		    FW_TABLE) != 0)
			*found = 1;
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

/*
 * For check: does another table (iptables-nft's FORWARD chain with policy
 * DROP, as Docker sets it, or any nft table) drop forwarded IPv4 by
 * default?  Our accept cannot override that.  Returns 1, 0 or -1.
 */
int
fw_forward_drop(struct nl *nf)
{
	char buf[256];
	struct nlmsghdr *nlh;
	int found = 0;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_UNSPEC,
	    NLM_F_DUMP, nl_next_seq(nf));
	if (nl_dump(nf, nlh, nlh->nlmsg_len, drop_chain, &found) == -1)
		return -1;
	return found;
}

static int
count_msg(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(int *)data;
	return MNL_CB_OK;
}

/*
 * Get key from the set, each answer to cb: 1 if there, 0 if not (ENOENT:
 * an expired element is not there either), or -1.
 */
static int
elem_get(struct nl *nf, uint16_t family, const char *set, const void *key,
    size_t klen, mnl_cb_t cb, void *data)
{
	struct nftnl_set *s = set_named(family, set);
	struct nlmsghdr *nlh;
	char buf[256];

	elem_add(s, key, klen, NULL, 0);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, family,
	    NLM_F_ACK, nl_next_seq(nf));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (nl_dump(nf, nlh, nlh->nlmsg_len, cb, data) == -1)
		return errno == ENOENT ? 0 : -1;
	return 1;
}

/* Is key an element of the set?  1, 0 or -1. */
static int
elem_exists(struct nl *nf, uint16_t family, const char *set, const void *key,
    size_t klen)
{
	int n = 0, r;

	if ((r = elem_get(nf, family, set, key, klen, count_msg, &n)) != 1)
		return r;
	return n > 0;
}

/*
 * The quota marker of a user's links on one bridge (lease.c says what it
 * means).  fw_quota_get: 1 with *q, 0 if absent, or -1.  fw_quota_del:
 * deleted, or absent.  fw_quota_settle adds it exclusively, in a batch
 * that fails with ERESTART if the ruleset changed since generation genid
 * (fw_genid's, in network order).
 */
static int
quota_nest(const struct nlattr *el, void *data)
{
	struct attrs f = { { NULL }, 0 };
	const uint8_t *val;
	uint32_t vlen;

	if (mnl_attr_parse_nested(el, keep_attr, &f) != MNL_CB_OK)
		return MNL_CB_ERROR;
	if ((val = data_value(f.a[NFTA_SET_ELEM_DATA], &vlen)) == NULL ||
	    vlen != 4)
		return MNL_CB_ERROR;
	memcpy(data, val, 4);
	return MNL_CB_OK;
}

static int
quota_msg(const struct nlmsghdr *nlh, void *data)
{
	struct attrs top = { { NULL }, 0 };

	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), keep_attr, &top) !=
	    MNL_CB_OK || top.a[NFTA_SET_ELEM_LIST_ELEMENTS] == NULL)
		return MNL_CB_ERROR;
	return mnl_attr_parse_nested(top.a[NFTA_SET_ELEM_LIST_ELEMENTS],
	    quota_nest, data);
}

int
fw_quota_get(struct nl *nf, uint32_t uid, uint32_t tag, uint32_t *q)
{
	struct key_quota k = { uid, tag };
	uint32_t v = 0;
	int r;

	if ((r = elem_get(nf, NFPROTO_INET, "quotas", &k, sizeof(k),
	    quota_msg, &v)) != 1)
		return r;
	if (v == 0) {		/* no quota is 0: an answer without one */
		errno = EPROTO;
		return -1;
	}
	*q = v;
	return 1;
}

int
fw_quota_del(struct nl *nf, uint32_t uid, uint32_t tag)
{
	struct nftnl_set *s = set_named(NFPROTO_INET, "quotas");
	struct key_quota k = { uid, tag };
	struct batch bt;

	elem_add(s, &k, sizeof(k), NULL, 0);
	batch_start(&bt, nf);
	put_elems(&bt, s, NFT_MSG_DELSETELEM, 0);
	if (batch_send(&bt) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

int
fw_quota_settle(struct nl *nf, uint32_t uid, uint32_t tag, uint32_t q,
    uint32_t genid)
{
	struct nftnl_set *s = set_named(NFPROTO_INET, "quotas");
	struct key_quota k = { uid, tag };
	struct batch bt;

	elem_add(s, &k, sizeof(k), &q, sizeof(q));
	batch_start_gen(&bt, nf, genid);
	put_elems(&bt, s, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL);
	return batch_send(&bt);
}

static int
gen_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*(uint32_t *)data = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

/* The ruleset's generation, as the kernel gives it (network order). */
int
fw_genid(struct nl *nf, uint32_t *genid)
{
	struct nlmsghdr *nlh;
	char buf[64];

	*genid = 0;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, NFPROTO_UNSPEC,
	    NLM_F_ACK, nl_next_seq(nf));
	if (nl_dump(nf, nlh, nlh->nlmsg_len, gen_msg, genid) == -1)
		return -1;
	if (*genid == 0) {	/* 0 would ask for no check at all */
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Is this protocol and host port published (by any jail)?  1, 0 or -1. */
int
fw_published(struct nl *nf, uint32_t ipproto, uint16_t port)
{
	struct key_port k = { (uint8_t)ipproto, { 0 }, port, 0 };

	return elem_exists(nf, NFPROTO_INET, "ports4", &k, sizeof(k));
}
