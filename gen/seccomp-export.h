/* SPDX-License-Identifier: ISC */
/*
 * For the build tools that make the launcher's and the helper's seccomp
 * filters: a libseccomp filter printed as a C array of BPF instructions.
 */
#ifndef CAPJAIL_SECCOMP_EXPORT_H
#define CAPJAIL_SECCOMP_EXPORT_H

#include <seccomp.h>

void	seccomp_print(scmp_filter_ctx, const char *array, const char *by);

#endif
