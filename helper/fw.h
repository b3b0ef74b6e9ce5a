/* SPDX-License-Identifier: ISC */
/*
 * The firewall module's interface (fw.c).  Every call is one atomic
 * nftables batch; each returns 0, or -1 with errno (EEXIST from
 * fw_publish: the host port is taken).  Addresses are in network order.
 */
#ifndef CAPJAIL_FW_H
#define CAPJAIL_FW_H

#include "helper.h"

int	fw_setup(struct nl *, const struct config *);
int	fw_gc(struct nl *, int (*)(uint32_t, void *), void *);
int	fw_lease(struct nl *, const char *, uint32_t);
int	fw_publish(struct nl *, const struct proto_publish_req *, uint32_t);
int	fw_release(struct nl *, uint32_t);
int	fw_forward_drop(struct nl *);

#endif
