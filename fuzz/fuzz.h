/* SPDX-License-Identifier: ISC */
/* The fuzzer's fake kernel (fakekernel.c), as the harness drives it. */
#ifndef CAPJAIL_FUZZ_H
#define CAPJAIL_FUZZ_H

#include <stddef.h>

#define FK_MAX_LINKS	64

extern size_t fk_messages;	/* netlink messages the helper sent */
void	fk_reset(void);
void	fk_inject(int, int);	/* fail the Nth nl_talk with errno */

#endif
