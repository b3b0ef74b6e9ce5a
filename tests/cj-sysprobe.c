/* SPDX-License-Identifier: ISC */
/*
 * The seccomp tests' probe: makes each named system call once, with
 * arguments chosen so that without a filter the call succeeds or fails
 * with an error other than EPERM wherever the kernel allows it (an own
 * session keyring, a user-mode userfaultfd, a self-measuring perf event),
 * and prints one line per call: "NAME ok" or "NAME ERRNO-NAME".  Runs
 * inside a jail as the test user; every argument comes from the test.
 *
 * usage: cj-sysprobe NAME...
 */
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long
p_keyctl(void)
{
	return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
	    KEY_SPEC_SESSION_KEYRING, 1);
}

static long
p_add_key(void)
{
	return syscall(SYS_add_key, "user", "cj-probe", "x", 1,
	    KEY_SPEC_PROCESS_KEYRING);
}

static long
p_bpf(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	return syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
}

static long
p_perf(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static long
p_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
}

static long
p_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0, "");
}

static long
p_unshare_user(void)
{
	return unshare(CLONE_NEWUSER);
}

static long
p_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0);
}

static long
p_setns(void)
{
	return setns(-1, 0);
}

static long
p_io_uring(void)
{
	return syscall(SYS_io_uring_setup, 0, NULL);
}

static long
p_getpid(void)
{
	return getpid();
}

/* getpid through the x32 ABI (__X32_SYSCALL_BIT): a foreign ABI. */
static long
p_vfork(void)
{
	pid_t p = vfork();

	if (p == 0)
		_exit(0);
	if (p > 0)
		(void)waitpid(p, NULL, 0);
	return p == -1 ? -1 : 0;
}

static long
p_x32(void)
{
#if defined(__x86_64__)
	return syscall(SYS_getpid | 0x40000000);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static const struct probe {
	const char	*name;
	long		(*fn)(void);
} probes[] = {
	{ "keyctl", p_keyctl }, { "add_key", p_add_key }, { "bpf", p_bpf },
	{ "perf_event_open", p_perf }, { "userfaultfd", p_userfaultfd },
	{ "init_module", p_init_module }, { "unshare-user", p_unshare_user },
	{ "clone3", p_clone3 }, { "setns", p_setns },
	{ "io_uring_setup", p_io_uring }, { "getpid", p_getpid },
	{ "x32-getpid", p_x32 }, { "vfork", p_vfork },
};

int
main(int argc, char *argv[])
{
	size_t i;
	int a, status = 0;

	for (a = 1; a < argc; a++) {
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			if (strcmp(argv[a], probes[i].name) == 0)
				break;
		if (i == sizeof(probes) / sizeof(probes[0])) {
			fprintf(stderr, "cj-sysprobe: unknown call %s\n",
			    argv[a]);
			status = 2;
			continue;
		}
		errno = 0;
		if (probes[i].fn() == -1)
			printf("%s %s\n", argv[a], strerrorname_np(errno));
		else
			printf("%s ok\n", argv[a]);
	}
	return status;
}
