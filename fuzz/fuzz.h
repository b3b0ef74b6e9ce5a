/* SPDX-License-Identifier: ISC */
/* The fuzzer's fake kernel (fakekernel.c), as the harness drives it. */
#ifndef CAPJAIL_FUZZ_H
#define CAPJAIL_FUZZ_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define FK_MAX_LINKS	64

/* Events after the Nth kernel exchange of a request (fk_event). */
#define FK_EV_UNLINK	0x1	/* the jail deletes its interface */
#define FK_EV_KILL	0x2	/* the helper is killed */
/* ... and when the request creates its veth: a helper of the same user,
 * racing for the same jail (or, with FK_EV_TWIN_OTHER, for another one)
 * and then killed, creates one just before it or just after it. */
#define FK_EV_TWIN_OLDER 0x4
#define FK_EV_TWIN_YOUNGER 0x8
#define FK_EV_TWIN_OTHER 0x10
/* ... which had named its netns, and had taken our address (the jail's
 * MAC says which), before it was killed. */
#define FK_EV_TWIN_NETNS 0x20
#define FK_EV_TWIN_ADDR	0x40

struct config;

extern size_t fk_messages;	/* netlink messages the helper sent */
extern size_t fk_upsets;	/* errors injected, events happened */
void	fk_reset(void);		/* the host as booted, or lo, eth0 and
				   Docker's FORWARD drop */
void	fk_boot(void);		/* this is the host fk_reset goes back to */
void	fk_inject(int, int);	/* fail the Nth nl_talk with errno */
void	fk_event(int, int, ino_t);	/* at N, FK_EV_*, the jail's netns */
void	fk_event_end(void);	/* the event, if the request ended first */
int	fk_dead(void);		/* killed: the kernel hears no more */
void	fk_gc_start(const struct config *);	/* before a collection */
const char *fk_check_gc(const struct config *);	/* NULL: nothing stale,
						   nothing good deleted */
const char *fk_check_jail(const struct config *, uint32_t, int);
					/* NULL: all there, or gone */
uint32_t fk_ifindex(const char *);	/* by name or altname; 0: none */
void	fk_print_links(void);		/* to stderr */

#endif
