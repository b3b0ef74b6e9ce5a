/* SPDX-License-Identifier: ISC */
/*
 * capjail --check-config [FILE]: the one entry point of checkconfig.c,
 * called by main before the jail's options are parsed.
 */
#ifndef CAPJAIL_CHECKCONFIG_H
#define CAPJAIL_CHECKCONFIG_H

int	checkconfig_run(int, char *[]);

#endif
