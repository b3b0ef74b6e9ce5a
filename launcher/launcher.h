/* SPDX-License-Identifier: ISC */
/*
 * capjail's private header: the parsed command line, the parent/child sync
 * message and the module interfaces of the launcher.  The launcher holds no
 * privilege; everything here comes from the caller's own command line and
 * environment, or from the helper's replies (checked by proto_check_rep).
 */
#ifndef CAPJAIL_LAUNCHER_H
#define CAPJAIL_LAUNCHER_H

#include <sys/stat.h>
#include <sys/types.h>
#include <net/if.h>
#include <linux/filter.h>
#include <poll.h>

#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define EXIT_CAPJAIL	125	/* capjail's own failure */
#define EXIT_NOEXEC	126	/* command found but not executable */
#define EXIT_NOTFOUND	127	/* command not found */

#define NS_FLAGS	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | \
			 CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)

#define SUBID_COUNT	65536u	/* ids mapped from /etc/subuid, /etc/subgid */

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

enum mnt_kind { MNT_BIND, MNT_RO_BIND, MNT_TMPFS };

/* One --bind, --ro-bind or --tmpfs, applied in command-line order. */
struct mnt_req {
	enum mnt_kind	 kind;
	char		 src[PATH_MAX];	/* host path; empty for tmpfs */
	const char	*dst;		/* path inside the jail */
	int		 fd;		/* detached clone of src (child only) */
};

/* One --setenv, --unsetenv or --clearenv, applied in command-line order. */
enum env_op { ENV_SET, ENV_UNSET, ENV_CLEAR };

struct env_req {
	enum env_op	 op;
	const char	*var;
	const char	*val;
};

/* What this run of capjail does: run a new jail, or act on running ones. */
enum action { ACT_RUN, ACT_LIST, ACT_JOIN, ACT_STOP };

#define NAME_LEN_MAX	32	/* a jail's --name */
#define RECNAME_MAX	10000	/* generated names: jail1 to jail9999 */
#define REC_NNS		4	/* namespaces a record identifies the jail by */

/*
 * A running jail as its launcher recorded it.  Nothing in it is trusted:
 * record_verify checks it against the kernel before anyone acts on it.
 */
struct record {
	char		 name[NAME_LEN_MAX + 1];
	pid_t		 pid;		/* the jail's PID 1, as seen outside */
	unsigned long long start;	/* its start time, clock ticks */
	dev_t		 ns_dev[REC_NNS];
	ino_t		 ns_ino[REC_NNS];
	char		 bridge[IFNAMSIZ];
	char		 addr[24];	/* a.b.c.d/n */
	char		 ports[256];
	char		 cmd[256];
};

/*
 * --join: the joiner and the jail's PID 1 (broker.c) talk in these over the
 * join socket.  JOIN_RUN carries the command's arguments, NUL-terminated,
 * and the joiner's stdin, stdout and stderr; JOIN_SIGNAL a signal to relay
 * to the joined command; JOIN_EXIT its exit status, as capjail returns it;
 * JOIN_DENIED says the joiner is not outside every jail (joinauth.c);
 * JOIN_BUSY that JOIN_MAX joiners are served already; JOIN_FAILED that
 * the command could not be started, with the errno.
 */
#define JOIN_ARGS_MAX	32768
#define JOIN_MAX	32	/* commands joined to one jail at once */

enum join_type {
	JOIN_RUN = 1, JOIN_SIGNAL, JOIN_EXIT, JOIN_DENIED, JOIN_BUSY,
	JOIN_FAILED
};

struct join_msg {
	uint32_t	type;
	int32_t		value;		/* the signal, or the status */
	uint32_t	argc;
	uint32_t	len;		/* of args */
	char		args[JOIN_ARGS_MAX];
};
#define JOIN_HDR	offsetof(struct join_msg, args)

/* One -p/--publish, already in wire form. */
struct publish {
	uint32_t	 ipproto;
	uint32_t	 host_addr;	/* network order, 0 = any */
	uint16_t	 host_port;	/* network order */
	uint16_t	 jail_port;	/* network order */
	const char	*spec;		/* as typed, for messages */
};

#define HIDE_MAX	8		/* paths the record dir may show at */

struct opts {
	char *const	*argv;		/* the command */
	const char	*root;		/* --root, "/" by default */
	const char	*chdir;		/* --chdir, NULL = caller's cwd or / */
	char		*cwd;		/* the caller's cwd, for the default */
	const char	*hostname;
	const char	*bridge;	/* --net=BRIDGE; NULL for --net=none */
	const char	*ifname;	/* --ifname, eth0 by default */
	uint32_t	 addr;		/* --ip, network order, 0 = any */
	uint32_t	 slot_hint;	/* jailN's N - 1, else 0 (client.c) */
	uid_t		 uid;		/* inside ids of the command */
	gid_t		 gid;
	uid_t		 outer_uid;	/* the caller's, before any clone */
	char		*hide[HIDE_MAX];	/* the record dir, inside */
	size_t		 nhide;
	gid_t		 outer_gid;
	uint32_t	 subuid;	/* first subordinate ids (--subids) */
	uint32_t	 subgid;
	char		*newuidmap;	/* the tools' paths (--subids) */
	char		*newgidmap;
	int		 subids;
	int		 check;
	struct mnt_req	*mnts;
	size_t		 nmnts;
	struct publish	*pubs;
	size_t		 npubs;
	sigset_t	 fwd;		/* the signals PID 1 forwards */
	/* Confinement and name resolution (seccomp.c, dns.c). */
	int		 seccomp_fd;	/* --seccomp FD until read, else -1 */
	int		 seccomp_user;	/* the filter is the caller's */
	int		 no_seccomp;
	struct sock_fprog filter;	/* what PID 1 installs; NULL: none */
	uint32_t	*dns;		/* --dns, network order */
	size_t		 ndns;
	char		*resolv;	/* the jail's resolv.conf, or NULL */
	char		*hosts;		/* the tree's /etc/hosts, or NULL */
	/* Names, records, --join/--stop, environment, terminal (issue 10). */
	enum action	 action;
	const char	*name;		/* --name; --join or --stop NAME */
	int		 json;		/* --list --json */
	int		 stop_time;	/* --stop --time N, seconds */
	int		 die_with_parent;
	struct env_req	*envs;
	size_t		 nenvs;
	int		 fg_tty;	/* the caller runs us in the foreground */
	int		 join_fd;	/* the join socket PID 1 listens on */
	int		 jail_opts;	/* options that make a new jail: how many */
};

/*
 * Parent to child over the sync socket: "maps written", "network ready";
 * then PID 1 asks whether a joiner may join, and the launcher answers
 * (joinauth.c).
 */
enum sync_step {
	SYNC_MAPS = 1, SYNC_NET, SYNC_JOIN_ASK, SYNC_JOIN_YES, SYNC_JOIN_NO
};

struct sync_msg {
	uint32_t		step;
	uint32_t		id;	/* a question's, and its answer's */
	struct proto_attach_rep	net;	/* SYNC_NET only */
};

/* The helper process and our end of its socket. */
struct client {
	int		sock;
	pid_t		pid;
	uint32_t	seq;
};

extern int verbose, quiet;

/* util.c */
void	 vlog(const char *, ...) __attribute__((format(printf, 1, 2)));
double	 since_start_ms(void);
char	*fmt_ulong(char *, unsigned long);
void	 notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	*xreallocarray(void *, size_t, size_t);
size_t	 str_copy(char *, const char *, size_t);
#define NS_PATH_MAX	64
void	 ns_path(char *, pid_t, const char *);
size_t	 str_append(char *, const char *, size_t);
size_t	 read_text(const char *, char *, size_t);
int	 write_str(int, const char *);
int	 write_file(const char *, const char *);
void	 path_lexical(char *);
const char *helper_path(void);

/* opts.c */
void	 opts_parse(int, char *[], struct opts *);
void	 opts_resolve(struct opts *);
char *const *opts_default_command(const struct opts *);
void	 opts_signals(struct opts *);

/* ns.c */
pid_t	 ns_clone(struct opts *, int[2]);
int	 ns_map_subids(pid_t, const struct opts *);
void	 ns_subids_prepare(struct opts *);
int	 ns_sync_send(int, const struct sync_msg *);
void	 ns_explain(int);
const char *ns_knob(void);

/* A file to bind onto /etc/hosts or /etc/resolv.conf (fd -1: none). */
struct dns_file {
	int	fd;
	char	name[32];	/* in the jail's /dev until bound */
};
struct dns_files {
	int	dir;		/* the jail's /dev, where they are made */
	struct dns_file hosts, resolv;
	int	*tmpfs;		/* the jail's tmpfs mounts but /dev, */
	size_t	ntmpfs;		/* from mount.c, held until dns_install */
};

/* mount.c */
void	 mnt_prepare(const struct opts *, struct dns_files *);
void	 mnt_build_root(struct opts *, struct dns_files *);
int	 mnt_clone(int, const char *, uint64_t, int);

/* pid1.c */
void	 pid1_run(const struct opts *, int) __attribute__((noreturn));
void	 pid1_exec(const struct opts *, char *const *, char *const *)
	    __attribute__((noreturn));
int	 pid1_status(int);

/* broker.c */
struct broker;
struct broker *broker_new(int, int);
int	 broker_pollfds(struct broker *, struct pollfd *, size_t *);
void	 broker_serve(struct broker *, const struct opts *,
	    const struct pollfd *, size_t);
int	 broker_reaped(struct broker *, pid_t, int);

/* joinauth.c */
int	 joinauth_answer(int);
int	 joinauth_ask(int, int, uint32_t);
int	 joinauth_reply(int, uint32_t *);

/* recdir.c */
int	 recdir_open(int);
size_t	 recdir_hide(const struct opts *, char *[HIDE_MAX]);
void	 mnt_hide(const struct opts *);

/* record.c */
int	 record_valid_name(const char *);
int	 record_reserve(int, struct opts *, char *);
int	 record_listen(int, const char *);
void	 record_publish(int, pid_t, const struct opts *,
	    const struct proto_attach_rep *);
void	 record_remove(int, const char *, int);
int	 record_read(int, const char *, struct record *);
int	 record_lock(int, const char *);
int	 recname_hint(int);
void	 record_gc(int, const char *);
extern const char *const rec_ns[REC_NNS];
/* verify.c */
int	 record_verify(const struct record *, int *);
int	 record_find(const char *, struct record *, int *);
unsigned long long record_start_time(pid_t);

/* list.c */
int	 list_run(const struct opts *);

/* join.c */
int	 join_run(struct opts *);
int	 stop_run(const struct opts *);

/* joinio.c: a --join's terminal fds go through pipes we copy. */
struct joinio {
	int	ours;		/* 0, 1 or 2 */
	int	kept;		/* our end of its pipe, -1 when closed */
	int	in;		/* stdin: ours to kept; else kept to ours */
};
size_t	 joinio_open(struct joinio [3], int [3]);
int	 joinio_pump(struct joinio *);
void	 joinio_drain(struct joinio *, size_t);

/* env.c */
void	 env_apply(const struct opts *);
char	**env_home_tmp(void);
char *const *env_command(const struct opts *, char *const *);

/* tty.c */
int	 tty_clone(void);
void	 tty_attach(int);
void	 tty_foreground(const struct opts *);
void	 tty_suspend(const struct opts *);
void	 tty_resume(const struct opts *, pid_t);
void	 tty_restore(const struct opts *);

/* client.c */
int	 client_spawn(struct client *, const char *, int);
int	 client_attach(struct client *, int, const struct opts *,
	    struct proto_attach_rep *, char *, size_t);
int	 client_publish(struct client *, const struct publish *, int,
	    char *, size_t);
int	 client_check(struct client *, struct proto_check_rep *, char *,
	    size_t);
void	 client_release(struct client *);
void	 client_close(struct client *);

/* linkdel.c: the jail's user and network namespaces, or -1. */
struct linkdel {
	int		 userfd;
	int		 netfd;
};

int	 linkdel_hold(struct linkdel *, pid_t);
void	 linkdel_drop(struct linkdel *);
void	 linkdel_go(struct linkdel *, const char *);

/* netcfg.c */
int	 netcfg_lo_up(void);
int	 netcfg_apply(const char *, const struct proto_attach_rep *,
	    const char **);

/* seccomp.c */
void	 jail_seccomp_prepare(struct opts *);
void	 jail_seccomp_load(const struct opts *);

/* tree.c */
int	 tree_open(const char *, const char *, int);
int	 tree_stat(const char *, const char *, struct stat *);
int	 tree_has_command(const struct opts *, const char *);
char	*tree_read(const char *, const char *, size_t);
void	 tree_check_mountpoints(const struct opts *);
int	 tree_is_under(const char *, const char *);

/* dns.c */
void	 dns_prepare(struct opts *);
void	 dns_stage(const struct opts *, struct dns_files *);
int	 dns_install(const struct opts *, struct dns_files *);
void	 dns_hosts(const struct opts *, int, uint32_t);

/* check.c */
int	 check_run(void);

#endif
