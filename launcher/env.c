/* SPDX-License-Identifier: ISC */
/*
 * The jail's environment: the caller's, changed by --setenv, --unsetenv
 * and --clearenv in command-line order (bubblewrap's options), applied in
 * the jail's PID 1 so that the command and every --join command get the
 * same one, never the joiner's.  And HOME: a command that writes its
 * dotfiles must find a writable HOME, and the caller's is read-only in the
 * jail unless bound with --bind; so HOME becomes /tmp (the jail's own
 * tmpfs) when it does not name a directory writable inside, unless
 * --setenv or --unsetenv said what it is.  Trusts the caller's options.
 */
#include <sys/stat.h>

#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher.h"

void
env_apply(const struct opts *o)
{
	size_t i;

	for (i = 0; i < o->nenvs; i++) {
		const struct env_req *e = &o->envs[i];

		if (e->op == ENV_CLEAR && clearenv() != 0)
			err(EXIT_CAPJAIL, "--clearenv");
		if (e->op == ENV_SET && setenv(e->var, e->val, 1) == -1)
			err(EXIT_CAPJAIL, "--setenv %s", e->var);
		if (e->op == ENV_UNSET && unsetenv(e->var) == -1)
			err(EXIT_CAPJAIL, "--unsetenv %s", e->var);
	}
}

/*
 * Our environment with HOME=/tmp, for env_command to choose: made before
 * PID 1's vfork, since the child must not allocate.
 */
char **
env_home_tmp(void)
{
	static char home[] = "HOME=/tmp";
	char **v;
	size_t n, i, k;

	/* After a bare --clearenv, glibc's environ is NULL. */
	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		;
	v = xreallocarray(NULL, n + 2, sizeof(*v));
	for (i = k = 0; i < n; i++)
		if (strncmp(environ[i], "HOME=", 5) != 0)
			v[k++] = environ[i];
	v[k++] = home;
	v[k] = NULL;
	return v;
}

/*
 * The command's environment: ours, or home_tmp when HOME does not name a
 * directory the command can write and no option said what HOME is.
 * After the ids are set: access() asks as the command's own uid.
 */
char *const *
env_command(const struct opts *o, char *const *home_tmp)
{
	const char *home = getenv("HOME");
	struct stat st;
	size_t i;

	for (i = 0; i < o->nenvs; i++)
		if (o->envs[i].op != ENV_CLEAR &&
		    strcmp(o->envs[i].var, "HOME") == 0)
			return environ;
	if (home != NULL && stat(home, &st) == 0 && S_ISDIR(st.st_mode) &&
	    access(home, W_OK) == 0)
		return environ;
	return home_tmp;
}
