/* SPDX-License-Identifier: ISC */
/*
 * The firewall module's interface (fw.c).  Every call is one atomic
 * nftables batch; each returns 0, or -1 with errno (from fw_publish:
 * EEXIST, the host port is taken; ENOENT, the jail's link is gone).  A
 * jail is named by its host link's ifindex (an address outlives a link, an
 * ifindex is never reused soon); addresses are in network order.
 */
#ifndef CAPJAIL_FW_H
#define CAPJAIL_FW_H

#include "helper.h"

int	fw_setup(struct nl *, const struct config *);
/*
 * Garbage collection asks the caller whether a jail's link (by ifindex)
 * exists.  After fresh(arg, 1), an answer that it does not comes from a
 * reading made after the call; after fresh(arg, 0), answers come from an
 * earlier reading, without a netlink request (they are asked for from
 * inside a dump).
 */
struct fw_live {
	int	(*alive)(uint32_t, void *);
	void	(*fresh)(void *, int);
	void	 *arg;
};
int	fw_gc(struct nl *, const struct fw_live *);
int	fw_gc_chains(struct nl *, const struct fw_live *);
int	fw_lease(struct nl *, uint32_t, uint32_t, const uint8_t [6],
	    const char *);
int	fw_publish(struct nl *, const struct proto_publish_req *, uint32_t,
	    uint32_t);
int	fw_release(struct nl *, uint32_t);
#define FW_GC_EVERY_MS	1000	/* a user's helpers collect at most so often */
int	fw_gc_turn(struct nl *, uint32_t);
int	fw_published(struct nl *, uint32_t, uint16_t);
int	fw_quota_get(struct nl *, uint32_t, uint32_t, uint32_t *);
int	fw_quota_del(struct nl *, uint32_t, uint32_t);
int	fw_quota_settle(struct nl *, uint32_t, uint32_t, uint32_t, uint32_t);
int	fw_genid(struct nl *, uint32_t *);
int	fw_forward_drop(struct nl *);
void	fw_idle(void);

#endif
