/* SPDX-License-Identifier: ISC */
/*
 * The jails' host firewall: two nftables tables named "capjail" (inet for
 * L3 policy and NAT, bridge for per-port anti-spoofing), written with
 * libnftnl and sent as single atomic batches through nl_talk.  The rules are
 * the same for every configuration; what the config says lives in static
 * sets (which bridges, which interfaces publish, ...) rewritten at every
 * helper start.  Per-jail state is only elements: "src4" (host veth name .
 * jail address) and "ports4" (protocol . host port -> jail address . port),
 * so the cost of a jail does not grow with the number of jails.  Inputs are
 * the parsed root-owned config and values the helper derived itself; the
 * only request-supplied values (protocol, ports) were validated by
 * proto_check_req and authorised by the caller.  SECURITY.md shows the
 * table as `nft list table inet capjail` prints it.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
#define DT_IFINDEX	20
#define DT_PROTO	12
#define DT_SERVICE	13
#define DT_IFNAME	41
#define DT_CONCAT(a, b)	(((a) << 6) | (b))

/* <linux/netfilter_bridge.h> clashes with <net/if.h>; these are ABI. */
#define NF_BR_PRE_ROUTING	0
#define NF_BR_PRI_FILTER_BRIDGED (-200)

/* Register numbers as the kernel names them (16-byte and 4-byte views). */
#define R1	NFT_REG_1
#define R2	NFT_REG_2
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

static void
batch_start(struct batch *bt, struct nl *nl)
{
	bt->b = mnl_nlmsg_batch_start(fwbuf, FW_LIMIT);
	bt->nl = nl;
	bt->nacks = 0;
	bt->full = 0;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt->b), nl_next_seq(nl));
	batch_next(bt);
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

/* ct KEY & mask != 0: the state/status bit tests. */
static void
x_ct_any(struct nftnl_rule *r, uint32_t key, uint32_t mask)
{
	struct nftnl_expr *e = expr(r, "ct");
	uint32_t zero = 0;

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, R1);
	e = expr(r, "bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, R1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, R1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	x_cmp32(r, NFT_CMP_NEQ, 0);
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

static void
x_ipv4(struct nftnl_rule *r)
{
	x_meta(r, NFT_META_NFPROTO, R1);
	x_cmp8(r, NFPROTO_IPV4);
}

/* --- tables, chains, sets --- */

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

/* A base chain (hook != -1) or a regular one, created when missing and
 * emptied, so that the rules added after it in the batch are all it has. */
static void
put_chain(struct batch *bt, uint16_t family, const char *name, int hook,
    int prio, const char *type)
{
	struct nftnl_chain *c = must(nftnl_chain_alloc());
	struct nftnl_rule *r = must(nftnl_rule_alloc());
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FW_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = batch_msg(bt, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	batch_next(bt);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FW_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nlh = batch_msg(bt, NFT_MSG_DELRULE, family, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	batch_next(bt);
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

/* A hash set (or map, when dlen != 0) created when missing.  A static set
 * is also flushed here, and refilled from the config later in the batch. */
static void
put_set(struct batch *bt, uint16_t family, const char *name, uint32_t ktype,
    uint32_t klen, uint32_t dtype, uint32_t dlen, int flush)
{
	struct nftnl_set *s = set_named(family, name);
	struct nlmsghdr *nlh;

	/* The kernel wants an id, unique in the batch, even if unused. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, bt->nacks);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, ktype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, klen);
	if (ktype == DT_IFNAME) {
		/* nft prints a string key backwards unless told it is in
		 * host order: one udata TLV, type KEYBYTEORDER, value 1. */
		uint8_t ud[6] = { NFTNL_UDATA_SET_KEYBYTEORDER, 4 };
		uint32_t host = 1;

		memcpy(ud + 2, &host, sizeof(host));
		nftnl_set_set_data(s, NFTNL_SET_USERDATA, ud, sizeof(ud));
	}
	if (dlen != 0) {
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, dtype);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, dlen);
	}
	nlh = batch_msg(bt, NFT_MSG_NEWSET, family, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	if (flush) {
		batch_next(bt);
		nlh = batch_msg(bt, NFT_MSG_DELSETELEM, family, 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	}
	nftnl_set_free(s);
	batch_next(bt);
}

static void
put_rule(struct batch *bt, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;

	nlh = batch_msg(bt, NFT_MSG_NEWRULE,
	    (uint16_t)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
	    NLM_F_APPEND | NLM_F_CREATE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	batch_next(bt);
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
struct key_port {
	uint8_t		proto, pad[3];
	uint16_t	port, pad2;
};
struct key_src {		/* the link, not its name: names are reused */
	uint32_t	ifindex;
	uint32_t	addr;
};
struct key_chk {		/* ports4's key and value, as one key */
	struct key_port	host;
	uint32_t	addr;
	uint16_t	port, pad;
};
_Static_assert(sizeof(struct key_port) == 8, "key_port layout");
_Static_assert(sizeof(struct key_src) == 8, "key_src layout");
_Static_assert(sizeof(struct key_chk) == 16, "key_chk layout");

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

	(void)strlcpy(key, name, sizeof(key));
	elem_add(s, key, sizeof(key), NULL, 0);
}

/* --- the fixed rules --- */

static void
rules_nat(struct batch *bt)
{
	struct nftnl_rule *r;
	uint8_t lo = 127;

	/* From a publish-from interface to a host address: published port. */
	r = rule(NFPROTO_INET, "prerouting");
	x_ipv4(r);
	x_meta_in(r, NFT_META_IIFNAME, "pubif", 0);
	x_daddr_local(r);
	x_dnat_ports(r);
	put_rule(bt, r);
	/* The host's own connections to its own (non-loopback) addresses. */
	r = rule(NFPROTO_INET, "output");
	x_ipv4(r);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 1, R1);
	x_cmp(r, NFT_CMP_NEQ, &lo, sizeof(lo));
	x_daddr_local(r);
	x_dnat_ports(r);
	put_rule(bt, r);
	/* outbound=nat: jails leave the host with its address. */
	r = rule(NFPROTO_INET, "postrouting");
	x_meta_in(r, NFT_META_IIFNAME, "natbridges", 0);
	x_meta_in(r, NFT_META_OIFNAME, "bridges", 1);
	expr(r, "masq");
	put_rule(bt, r);
}

/*
 * The flow's original host port still leads where this packet goes:
 * meta l4proto . ct original proto-dst . ip daddr . th dport @pubchk.
 * Conntrack keeps a DNAT'ed flow after its port is unpublished; without
 * this, it would deliver to the next jail to lease the address.
 */
static void
x_pubchk(struct nftnl_rule *r)
{
	struct nftnl_expr *e;

	x_ipv4(r);
	x_meta(r, NFT_META_L4PROTO, R1);
	e = expr(r, "ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_PROTO_DST);
	nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, IP_CT_DIR_ORIGINAL);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, R32_1);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R32_2);
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R32_3);
	x_lookup(r, "pubchk", 0, 0);
}

/* oifname @bridges [ct state|status BITS] VERDICT, in chain */
static void
to_jails(struct batch *bt, const char *chain, uint32_t ctkey, uint32_t bits,
    int chk, uint32_t verdict)
{
	struct nftnl_rule *r = rule(NFPROTO_INET, chain);

	x_meta_in(r, NFT_META_OIFNAME, "bridges", 0);
	if (bits != 0)
		x_ct_any(r, ctkey, bits);
	if (chk)
		x_pubchk(r);
	x_verdict(r, verdict, NULL);
	put_rule(bt, r);
}

/* Into jails, from the host's own processes: only live published ports. */
static void
rules_output(struct batch *bt)
{
	to_jails(bt, "outfilter", NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_RELATED),
	    0, NF_ACCEPT);
	to_jails(bt, "outfilter", NFT_CT_STATUS, IPS_DST_NAT, 1, NF_ACCEPT);
	to_jails(bt, "outfilter", NFT_CT_STATUS, IPS_DST_NAT, 0, NF_DROP);
}

static void
rules_forward(struct batch *bt)
{
	struct nftnl_rule *r;

	/* Into jails: ICMP errors; DNAT'ed flows whose port is still
	 * published, from that bridge's publish-from interfaces; replies. */
	to_jails(bt, "forward", NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_RELATED),
	    0, NF_ACCEPT);
	r = rule(NFPROTO_INET, "forward");
	x_meta_in(r, NFT_META_OIFNAME, "bridges", 0);
	x_ct_any(r, NFT_CT_STATUS, IPS_DST_NAT);
	x_pubchk(r);
	x_meta(r, NFT_META_IIFNAME, R1);
	x_meta(r, NFT_META_OIFNAME, R2);
	x_lookup(r, "pubpath", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	to_jails(bt, "forward", NFT_CT_STATUS, IPS_DST_NAT, 0, NF_DROP);
	to_jails(bt, "forward", NFT_CT_STATE,
	    NF_CT_STATE_BIT(IP_CT_ESTABLISHED), 0, NF_ACCEPT);
	r = rule(NFPROTO_INET, "forward");
	x_meta_in(r, NFT_META_IIFNAME, "bridges", 0);
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED));
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	/* Jail to jail on one isolate=no bridge: bridged frames come here
	 * too when br_netfilter is loaded, as do ones routed back onto the
	 * bridge by the host; isolate=yes ports never get this far at L2. */
	r = rule(NFPROTO_INET, "forward");
	x_meta(r, NFT_META_IIFNAME, R1);
	x_meta(r, NFT_META_OIFNAME, R2);
	x_lookup(r, "intra", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	to_jails(bt, "forward", 0, 0, 0, NF_DROP);
	/* New connections out: only where outbound=nat, never to a bridge. */
	r = rule(NFPROTO_INET, "forward");
	x_meta_in(r, NFT_META_IIFNAME, "natbridges", 0);
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_NEW));
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "forward");
	x_meta_in(r, NFT_META_IIFNAME, "bridges", 0);
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
}

/* Jails reach no host service; they may ping their gateway. */
static void
rules_input(struct batch *bt)
{
	struct nftnl_rule *r;

	r = rule(NFPROTO_INET, "input");
	x_meta_in(r, NFT_META_IIFNAME, "bridges", 0);
	x_ct_any(r, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
	    NF_CT_STATE_BIT(IP_CT_RELATED));
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "input");
	x_meta_in(r, NFT_META_IIFNAME, "bridges", 0);
	x_ipv4(r);
	x_meta(r, NFT_META_L4PROTO, R1);
	x_cmp8(r, IPPROTO_ICMP);
	x_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
	x_cmp8(r, 8);			/* echo-request */
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R1);
	x_lookup(r, "gateways", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_INET, "input");
	x_meta_in(r, NFT_META_IIFNAME, "bridges", 0);
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
}

/*
 * L2, where a frame still names the jail's host-side veth as its input
 * port: a jail may send IPv4 and ARP only from the address it leased.
 * Everything else from a jail port (IPv6, other ethertypes) is dropped.
 */
static void
rules_bridge(struct batch *bt)
{
	static const uint8_t arp_hdr[6] = { 0, 1, 8, 0, 6, 4 };
	struct nftnl_rule *r;
	uint16_t et;

	r = rule(NFPROTO_BRIDGE, "prerouting");
	x_meta(r, NFT_META_IIFNAME, R1);
	x_cmp(r, NFT_CMP_EQ, "cj", 2);	/* the helper's veths, cj%08x */
	x_verdict(r, NFT_JUMP, "jail");
	put_rule(bt, r);
	r = rule(NFPROTO_BRIDGE, "jail");
	et = htons(ETH_P_IP);
	x_payload(r, NFT_PAYLOAD_LL_HEADER, 12, 2, R1);
	x_cmp(r, NFT_CMP_EQ, &et, sizeof(et));
	x_meta(r, NFT_META_IIF, R1);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R32_1);
	x_lookup(r, "src4", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_BRIDGE, "jail");
	et = htons(ETH_P_ARP);
	x_payload(r, NFT_PAYLOAD_LL_HEADER, 12, 2, R1);
	x_cmp(r, NFT_CMP_EQ, &et, sizeof(et));
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 0, 6, R1);
	x_cmp(r, NFT_CMP_EQ, arp_hdr, sizeof(arp_hdr));
	x_meta(r, NFT_META_IIF, R1);
	x_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 14, 4, R32_1);
	x_lookup(r, "src4", 0, 0);
	x_verdict(r, NF_ACCEPT, NULL);
	put_rule(bt, r);
	r = rule(NFPROTO_BRIDGE, "jail");
	x_verdict(r, NF_DROP, NULL);
	put_rule(bt, r);
}

static void
pair_elem(struct nftnl_set *s, const char *a, const char *b)
{
	char key[2][IFNAMSIZ] = { { 0 } };

	(void)strlcpy(key[0], a, IFNAMSIZ);
	(void)strlcpy(key[1], b, IFNAMSIZ);
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
	put_elems(bt, br, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	put_elems(bt, gw, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	put_nonempty(bt, nat, nnat);
	put_nonempty(bt, intra, nintra);
	put_nonempty(bt, pif, npif);
	put_nonempty(bt, path, npif);
}

/*
 * Create or refresh both tables in one batch.  Running it again (every
 * helper start does) changes nothing a jail depends on: the per-jail sets
 * are created when missing and never flushed here.
 */
int
fw_setup(struct nl *nf, const struct config *conf)
{
	const uint32_t ifn = IFNAMSIZ;
	struct batch bt;

	batch_start(&bt, nf);
	put_table(&bt, NFPROTO_INET);
	put_set(&bt, NFPROTO_INET, "bridges", DT_IFNAME, ifn, 0, 0, 1);
	put_set(&bt, NFPROTO_INET, "natbridges", DT_IFNAME, ifn, 0, 0, 1);
	put_set(&bt, NFPROTO_INET, "pubif", DT_IFNAME, ifn, 0, 0, 1);
	put_set(&bt, NFPROTO_INET, "pubpath", DT_CONCAT(DT_IFNAME, DT_IFNAME),
	    2 * ifn, 0, 0, 1);
	put_set(&bt, NFPROTO_INET, "intra", DT_CONCAT(DT_IFNAME, DT_IFNAME),
	    2 * ifn, 0, 0, 1);
	put_set(&bt, NFPROTO_INET, "gateways", DT_IPADDR, 4, 0, 0, 1);
	put_set(&bt, NFPROTO_INET, "ports4", DT_CONCAT(DT_PROTO, DT_SERVICE),
	    8, DT_CONCAT(DT_IPADDR, DT_SERVICE), 8, 0);
	put_set(&bt, NFPROTO_INET, "pubchk", DT_CONCAT(DT_CONCAT(DT_CONCAT(
	    DT_PROTO, DT_SERVICE), DT_IPADDR), DT_SERVICE),
	    sizeof(struct key_chk), 0, 0, 0);
	put_static(&bt, conf);
	put_chain(&bt, NFPROTO_INET, "prerouting", NF_INET_PRE_ROUTING,
	    NF_IP_PRI_NAT_DST, "nat");
	put_chain(&bt, NFPROTO_INET, "output", NF_INET_LOCAL_OUT,
	    NF_IP_PRI_NAT_DST, "nat");
	put_chain(&bt, NFPROTO_INET, "postrouting", NF_INET_POST_ROUTING,
	    NF_IP_PRI_NAT_SRC, "nat");
	put_chain(&bt, NFPROTO_INET, "forward", NF_INET_FORWARD,
	    NF_IP_PRI_FILTER, "filter");
	put_chain(&bt, NFPROTO_INET, "input", NF_INET_LOCAL_IN,
	    NF_IP_PRI_FILTER, "filter");
	put_chain(&bt, NFPROTO_INET, "outfilter", NF_INET_LOCAL_OUT,
	    NF_IP_PRI_FILTER, "filter");
	rules_nat(&bt);
	rules_forward(&bt);
	rules_input(&bt);
	rules_output(&bt);
	put_table(&bt, NFPROTO_BRIDGE);
	put_set(&bt, NFPROTO_BRIDGE, "src4", DT_CONCAT(DT_IFINDEX, DT_IPADDR),
	    sizeof(struct key_src), 0, 0, 0);
	put_chain(&bt, NFPROTO_BRIDGE, "prerouting", NF_BR_PRE_ROUTING,
	    NF_BR_PRI_FILTER_BRIDGED, "filter");
	put_chain(&bt, NFPROTO_BRIDGE, "jail", -1, 0, NULL);
	rules_bridge(&bt);
	return batch_send(&bt);
}

/* --- per-jail elements --- */

/*
 * Sweeping: list both per-jail sets into elems[], then pick what to
 * delete.  The pick comes strictly after the listing, so a jail whose link
 * and element both appeared during the listing is never taken for dead
 * (a lease makes its link before its elements).  Nothing is judged while a
 * dump is being read, since nl.c has one receive buffer.
 */
#define FW_MAX_ELEMS	8192	/* more are swept by the next helper run */

struct elem {
	uint16_t	set;		/* index into jail_sets[] */
	uint16_t	klen;
	uint32_t	owner;		/* the jail's address, network order */
	uint8_t		key[sizeof(struct key_chk)];
};

static struct elem elems[FW_MAX_ELEMS];
static size_t nelems;

static int
list_elem(struct nftnl_set_elem *e, void *data)
{
	const uint16_t *set = data;
	const char *key, *val;
	uint32_t klen = 0, vlen = 0, owner;

	key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	val = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &vlen);
	if (klen == sizeof(struct key_src) && val == NULL)
		memcpy(&owner, key + 4, 4);		/* src4 */
	else if (klen == sizeof(struct key_port) && vlen == 8)
		memcpy(&owner, val, 4);			/* ports4 */
	else if (klen == sizeof(struct key_chk) && val == NULL)
		memcpy(&owner, key + 8, 4);		/* pubchk */
	else
		return 0;	/* not ours to judge */
	if (nelems == FW_MAX_ELEMS)
		return 0;
	elems[nelems].set = *set;
	elems[nelems].klen = (uint16_t)klen;
	elems[nelems].owner = owner;
	memcpy(elems[nelems++].key, key, klen);
	return 0;
}

static int
list_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_set *s = must(nftnl_set_alloc());
	int rc = MNL_CB_OK;

	if (nftnl_set_elems_nlmsg_parse(nlh, s) == -1)
		rc = MNL_CB_ERROR;
	else
		(void)nftnl_set_elem_foreach(s, list_elem, data);
	nftnl_set_free(s);
	return rc;
}

/* The per-jail sets; src4 first (listed() relies on its index 0). */
static const struct { uint16_t family; const char *name; } jail_sets[] = {
	{ NFPROTO_BRIDGE, "src4" }, { NFPROTO_INET, "ports4" },
	{ NFPROTO_INET, "pubchk" },
};

static int
list_jail_elems(struct nl *nf)
{
	char buf[256];
	struct nlmsghdr *nlh;
	size_t i;

	nelems = 0;
	for (i = 0; i < sizeof(jail_sets) / sizeof(jail_sets[0]); i++) {
		struct nftnl_set *s = set_named(jail_sets[i].family,
		    jail_sets[i].name);
		uint16_t set = (uint16_t)i;

		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
		    jail_sets[i].family, NLM_F_DUMP, nl_next_seq(nf));
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if (nl_dump(nf, nlh, nlh->nlmsg_len, list_msg, &set) == -1)
			return -1;
	}
	return 0;
}

/* Which jails' elements go: the dead (alive set), or the one at addr. */
struct sweep {
	uint32_t	  addr;
	int		(*alive)(uint32_t, void *);
	void		 *arg;
};

/* Garbage collection takes the dead; lease and release, one address. */
static int
selected(const struct sweep *sw, uint32_t owner)
{
	if (sw->alive != NULL)
		return !sw->alive(owner, sw->arg);
	return owner == sw->addr;
}

/* Queue, in bt, the deletion of every listed element sw selects. */
static void
sweep(struct batch *bt, const struct sweep *sw)
{
	size_t i, j, n;

	for (i = 0; i < sizeof(jail_sets) / sizeof(jail_sets[0]); i++) {
		struct nftnl_set *del = set_named(jail_sets[i].family,
		    jail_sets[i].name);

		for (j = n = 0; j < nelems; j++) {
			const struct elem *e = &elems[j];

			if (e->set != i || !selected(sw, e->owner))
				continue;
			elem_add(del, e->key, e->klen, NULL, 0);
			n++;
		}
		if (n > 0)
			put_elems(bt, del, NFT_MSG_DELSETELEM, 0);
		else
			nftnl_set_free(del);
	}
}

/* Did the last listing hold this jail's own src4 element? */
static int
listed(const struct key_src *own)
{
	size_t i;

	for (i = 0; i < nelems; i++)
		if (elems[i].set == 0 && elems[i].klen == sizeof(*own) &&
		    memcmp(elems[i].key, own, sizeof(*own)) == 0)
			return 1;
	return 0;
}

static void
src4_elem(struct batch *bt, const struct key_src *k, uint16_t type,
    uint16_t flags)
{
	struct nftnl_set *s = set_named(NFPROTO_BRIDGE, "src4");

	elem_add(s, k, sizeof(*k), NULL, 0);
	put_elems(bt, s, type, flags);
}

/*
 * List, then delete what sw selects, in one batch.  With own (lease), the
 * batch also adds the jail's own src4 element.  A list-then-delete fails
 * with ENOENT when another helper deleted the same stale element in
 * between; listing again settles it.  Garbage collection does not retry
 * here: its liveness answers belong to one listing (lease_gc retries).
 */
static int
sweep_and(struct nl *nf, const struct sweep *sw, const struct key_src *own)
{
	struct batch bt;
	int tries, rc = -1;

	for (tries = 0; tries < (sw->alive != NULL ? 1 : 3); tries++) {
		if (list_jail_elems(nf) == -1)
			return -1;
		batch_start(&bt, nf);
		sweep(&bt, sw);
		if (own != NULL)
			src4_elem(&bt, own, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
		if (bt.nacks == 0) {
			mnl_nlmsg_batch_stop(bt.b);
			return 0;
		}
		if ((rc = batch_send(&bt)) == 0 || errno != ENOENT)
			break;
	}
	return rc;
}

/* A new lease: purge whatever a dead jail left at addr, allow its source. */
int
fw_lease(struct nl *nf, uint32_t ifindex, uint32_t addr)
{
	struct sweep sw = { .addr = addr };
	struct key_src own = { ifindex, addr };

	return sweep_and(nf, &sw, &own);
}

/*
 * The jail of link ifindex at addr is going: remove every element that
 * names addr, but only while the jail's own src4 element is still there.
 * Once a new lease of addr has purged it (the link died under a live
 * session), the elements at addr are the new jail's: leave them alone.
 */
int
fw_release(struct nl *nf, uint32_t ifindex, uint32_t addr)
{
	struct sweep sw = { .addr = addr };
	struct key_src own = { ifindex, addr };
	struct batch bt;
	int tries, rc = 0;

	for (tries = 0; tries < 3; tries++) {
		if (list_jail_elems(nf) == -1)
			return -1;
		if (!listed(&own))
			return 0;
		/* The sweep deletes own too: ENOENT if a purge came since. */
		batch_start(&bt, nf);
		sweep(&bt, &sw);
		if ((rc = batch_send(&bt)) == 0 || errno != ENOENT)
			break;
	}
	return rc;
}

/*
 * Remove the elements of every jail whose veth no longer exists; alive is
 * asked only after the sets have been listed (see sweep above).
 */
int
fw_gc(struct nl *nf, int (*alive)(uint32_t, void *), void *arg)
{
	struct sweep sw = { .alive = alive, .arg = arg };

	return sweep_and(nf, &sw, NULL);
}

/*
 * Publish: the host port is the key of ports4, so a port anyone published
 * fails with EEXIST in the kernel, atomically.  The same batch deletes and
 * re-adds the jail's own src4 element: ENOENT if a new lease of this
 * address purged it, i.e. this session's link is gone and the address is
 * someone else's now.  pubchk records the mapping for the forward rules.
 */
int
fw_publish(struct nl *nf, const struct proto_publish_req *p, uint32_t ifindex,
    uint32_t addr)
{
	struct nftnl_set *ports = set_named(NFPROTO_INET, "ports4");
	struct nftnl_set *chk = set_named(NFPROTO_INET, "pubchk");
	struct key_src own = { ifindex, addr };
	struct key_chk k = { { (uint8_t)p->ipproto, { 0 }, p->host_port, 0 },
	    addr, p->jail_port, 0 };
	struct batch bt;

	batch_start(&bt, nf);
	src4_elem(&bt, &own, NFT_MSG_DELSETELEM, 0);
	src4_elem(&bt, &own, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	elem_add(ports, &k.host, sizeof(k.host), &k.addr, 8);
	put_elems(&bt, ports, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL);
	elem_add(chk, &k, sizeof(k), NULL, 0);
	put_elems(&bt, chk, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	return batch_send(&bt);
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
