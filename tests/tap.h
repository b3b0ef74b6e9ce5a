/* SPDX-License-Identifier: ISC */
/*
 * A minimal TAP producer for the C unit tests: ok(), diag(), skip(),
 * done_testing().  Header-only so each test is one translation unit.
 */
#ifndef CAPJAIL_TAP_H
#define CAPJAIL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

#define TAP_UNUSED __attribute__((unused))

static void tap_vline(int, const char *, va_list) TAP_UNUSED
    __attribute__((format(printf, 2, 0)));
static int ok(int, const char *, ...) TAP_UNUSED __attribute__((format(printf, 2, 3)));
static void diag(const char *, ...) TAP_UNUSED __attribute__((format(printf, 1, 2)));
static void skip(const char *, ...) TAP_UNUSED __attribute__((format(printf, 1, 2)));

static void
tap_vline(int good, const char *fmt, va_list ap)
{
	printf("%sok %d - ", good ? "" : "not ", ++tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

static int
ok(int good, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(good, fmt, ap);
	va_end(ap);
	if (!good)
		tap_failed++;
	return good;
}

static void
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void
skip(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d # SKIP ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
