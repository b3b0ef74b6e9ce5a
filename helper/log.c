/* SPDX-License-Identifier: ISC */
/*
 * The audit trail: every privileged action and every refusal goes to
 * syslog(LOG_AUTHPRIV), prefixed with the caller's uid.  The socket is
 * opened at startup (LOG_NDELAY), before seccomp forbids opening one; if
 * no syslog daemon listens, messages are lost, never fatal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "helper.h"

static uid_t log_uid;

void
log_init(uid_t uid)
{
	log_uid = uid;
	tzset();	/* syslog's timestamps: read /etc/localtime now */
	openlog("capjail-net", LOG_NDELAY | LOG_PID, LOG_AUTHPRIV);
}

void
log_event(int prio, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(prio, "uid %u: %s", (unsigned)log_uid, msg);
}
