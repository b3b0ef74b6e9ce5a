/* SPDX-License-Identifier: ISC */
/*
 * The command line: parsing into struct opts, checking how options combine,
 * and resolving what must be looked up on the host before the clone (bind
 * sources, --root, the default command, subordinate ids).  Every bad input
 * is one errx line and exit status 125, before anything has been created.
 * Input is the caller's own; it is checked for sense, not for malice.
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "launcher.h"

enum {
	OPT_UID = 256, OPT_GID, OPT_SUBIDS, OPT_ROOT, OPT_BIND, OPT_RO_BIND,
	OPT_TMPFS, OPT_CHDIR, OPT_HOSTNAME, OPT_NET, OPT_IP, OPT_IFNAME,
	OPT_CHECK, OPT_SECCOMP, OPT_NO_SECCOMP, OPT_DNS,
	/* issue 10: names, --list/--join/--stop, environment, lifecycle */
	OPT_NAME, OPT_LIST, OPT_JSON, OPT_JOIN, OPT_STOP, OPT_TIME,
	OPT_SETENV, OPT_UNSETENV, OPT_CLEARENV, OPT_DIE_WITH_PARENT
};

static const struct option longopts[] = {
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "verbose",	no_argument,		NULL, 'v' },
	{ "uid",	required_argument,	NULL, OPT_UID },
	{ "gid",	required_argument,	NULL, OPT_GID },
	{ "subids",	no_argument,		NULL, OPT_SUBIDS },
	{ "root",	required_argument,	NULL, OPT_ROOT },
	{ "bind",	required_argument,	NULL, OPT_BIND },
	{ "ro-bind",	required_argument,	NULL, OPT_RO_BIND },
	{ "tmpfs",	required_argument,	NULL, OPT_TMPFS },
	{ "chdir",	required_argument,	NULL, OPT_CHDIR },
	{ "hostname",	required_argument,	NULL, OPT_HOSTNAME },
	{ "net",	required_argument,	NULL, OPT_NET },
	{ "ip",		required_argument,	NULL, OPT_IP },
	{ "ifname",	required_argument,	NULL, OPT_IFNAME },
	{ "publish",	required_argument,	NULL, 'p' },
	{ "check",	no_argument,		NULL, OPT_CHECK },
	{ "seccomp",	required_argument,	NULL, OPT_SECCOMP },
	{ "no-seccomp",	no_argument,		NULL, OPT_NO_SECCOMP },
	{ "dns",	required_argument,	NULL, OPT_DNS },
	{ "name",	required_argument,	NULL, OPT_NAME },
	{ "list",	no_argument,		NULL, OPT_LIST },
	{ "json",	no_argument,		NULL, OPT_JSON },
	{ "join",	required_argument,	NULL, OPT_JOIN },
	{ "stop",	required_argument,	NULL, OPT_STOP },
	{ "time",	required_argument,	NULL, OPT_TIME },
	{ "setenv",	required_argument,	NULL, OPT_SETENV },
	{ "unsetenv",	required_argument,	NULL, OPT_UNSETENV },
	{ "clearenv",	no_argument,		NULL, OPT_CLEARENV },
	{ "die-with-parent", no_argument,	NULL, OPT_DIE_WITH_PARENT },
	{ NULL,		0,			NULL, 0 }
};

static const char usage_text[] =
"usage: capjail [OPTIONS] [--] [COMMAND [ARG...]]\n"
"       capjail --list [--json]\n"
"       capjail --join NAME [--] [COMMAND [ARG...]]\n"
"       capjail --stop NAME [--time N]\n"
"Run COMMAND (default: your login shell) in new user, mount, PID, network,\n"
"UTS and IPC namespaces, on a read-only view of the host.\n"
"\n"
"  -h, --help              show this help and exit\n"
"  -V, --version           show the version and exit\n"
"  -q, --quiet             do not print warnings\n"
"  -v, --verbose           print each setup step, timed (ms since start)\n"
"      --uid N             run as uid N inside (default 0)\n"
"      --gid N             run as gid N inside (default 0)\n"
"      --subids            also map 65536 ids from /etc/subuid and\n"
"                          /etc/subgid (newuidmap/newgidmap), so that a\n"
"                          daemon inside can switch users\n"
"      --root DIR          use DIR as the jail's root (default /); it\n"
"                          needs /proc /sys /dev /tmp /var/tmp /run\n"
"      --bind SRC[:DST]    bind SRC read-write at DST (default: SRC)\n"
"      --ro-bind SRC[:DST] bind SRC read-only at DST (default: SRC)\n"
"      --tmpfs DST         mount a fresh tmpfs at DST\n"
"                          (--bind, --ro-bind and --tmpfs apply in order)\n"
"      --chdir DIR         start in DIR (default: the current directory\n"
"                          if it exists inside, else /)\n"
"      --hostname NAME     hostname inside (default capjail)\n"
"      --net none          only a loopback interface (the default)\n"
"      --net BRIDGE        a veth on BRIDGE, from the capjail-net helper\n"
"      --ip ADDR           ask for this IPv4 address on BRIDGE\n"
"      --ifname NAME       interface name inside (default eth0)\n"
"  -p, --publish [HOSTIP:]HOSTPORT:JAILPORT[/tcp|/udp]\n"
"                          forward a host port to the jail (repeatable;\n"
"                          needs --net BRIDGE); the port is published on\n"
"                          every host address but 127.0.0.0/8: HOSTIP may\n"
"                          only be 0.0.0.0; a port in use on the host, or\n"
"                          below net.ipv4.ip_unprivileged_port_start, is\n"
"                          refused; it stays reserved while the jail runs\n"
"      --dns ADDR          the jail's name server (repeatable; needs\n"
"                          --net BRIDGE); default: the root's\n"
"                          /etc/resolv.conf, loopback servers replaced\n"
"                          by those of /run/systemd/resolve/resolv.conf\n"
"      --seccomp FD        confine the jail with the seccomp BPF program\n"
"                          read from FD (struct sock_filter[]), instead\n"
"                          of the default filter\n"
"      --no-seccomp        no seccomp filter (the default one denies\n"
"                          what podman and docker deny: see SECURITY.md)\n"
"      --check             report whether user namespaces work, whether\n"
"                          the helper is installed, what it grants you\n"
"                          and what is wrong with those bridges; changes\n"
"                          nothing on the host\n"
"      --check-config [FILE]\n"
"                          check a policy file (default the installed\n"
"                          one) as the helper would, without privilege\n"
"\n"
"Running jails:\n"
"      --name NAME         name the jail (1-32 of A-Z a-z 0-9 _ -; default\n"
"                          the first free of jail1, jail2...; once jail1 to\n"
"                          jail16 all have lock files, one with none after\n"
"                          one with: a killed jail's name is free again\n"
"                          after --list)\n"
"      --list              list your running jails: name, PID, uptime,\n"
"                          bridge, address, published ports, command\n"
"      --json              with --list: as a JSON array\n"
"      --join NAME         run COMMAND (default: your login shell) in the\n"
"                          running jail NAME, as confined as its command,\n"
"                          in its environment, with your stdin/out/err\n"
"      --stop NAME         SIGTERM to jail NAME's PID 1, SIGKILL after\n"
"                          --time N seconds (default 10); waits till it ends\n"
"      --die-with-parent   end the jail when capjail's parent process dies\n"
"\n"
"Environment: the jail's command gets capjail's environment, all of it,\n"
"changed in order by:\n"
"      --setenv VAR VALUE  set VAR\n"
"      --unsetenv VAR      remove VAR\n"
"      --clearenv          remove every variable (then --setenv what the\n"
"                          command needs, such as PATH)\n"
"HOME is set to /tmp, the jail's own tmpfs, when it does not name a\n"
"directory writable inside (bind your home with --bind to keep it), unless\n"
"--setenv or --unsetenv names HOME.\n"
"\n"
"On a terminal, the terminal is /dev/console inside and the command owns\n"
"its foreground (job control works in a shell).\n"
"\n"
"Exit status: COMMAND's, 128+N if it died of signal N, 125 if capjail\n"
"failed, 126 if COMMAND cannot be executed, 127 if it was not found.\n";

static void
add_mount(struct opts *o, enum mnt_kind kind, const char *arg)
{
	struct mnt_req *m;
	const char *colon = strchr(arg, ':');
	size_t len = colon != NULL ? (size_t)(colon - arg) : strlen(arg);

	o->mnts = xreallocarray(o->mnts, o->nmnts + 1, sizeof(*o->mnts));
	m = &o->mnts[o->nmnts++];
	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->fd = -1;
	m->dst = arg;
	if (kind != MNT_TMPFS) {
		if (len == 0 || len >= sizeof(m->src))
			errx(EXIT_CAPJAIL, "%s: bad source path", arg);
		memcpy(m->src, arg, len);
		m->src[len] = '\0';
		if (colon != NULL)
			m->dst = colon + 1;
	}
	if (m->dst[0] != '/')
		errx(EXIT_CAPJAIL, "%s: destination must be an absolute path",
		    arg);
	if (strlen(m->dst) >= PATH_MAX)
		errx(EXIT_CAPJAIL, "%.64s...: destination path too long", arg);
}

static uint16_t
parse_port(const char *s, const char *spec)
{
	const char *errstr;
	long long n;

	n = proto_number(s, 1, 65535, &errstr);
	if (errstr != NULL)
		errx(EXIT_CAPJAIL, "--publish %s: port %s is %s", spec, s,
		    errstr);
	return htons((uint16_t)n);
}

/* [HOSTIP:]HOSTPORT:JAILPORT[/tcp|/udp], as podman and docker spell it. */
static void
add_publish(struct opts *o, const char *spec)
{
	struct publish *p;
	struct in_addr in;
	char buf[64], *proto, *f[3];
	size_t n = 0;

	if (str_copy(buf, spec, sizeof(buf)) >= sizeof(buf))
		errx(EXIT_CAPJAIL, "--publish %s: too long", spec);
	o->pubs = xreallocarray(o->pubs, o->npubs + 1, sizeof(*o->pubs));
	p = &o->pubs[o->npubs++];
	memset(p, 0, sizeof(*p));
	p->spec = spec;
	p->ipproto = IPPROTO_TCP;
	if ((proto = strchr(buf, '/')) != NULL) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			p->ipproto = IPPROTO_UDP;
		else if (strcmp(proto, "tcp") != 0)
			errx(EXIT_CAPJAIL, "--publish %s: protocol must be tcp "
			    "or udp", spec);
	}
	for (char *s = buf, *t; n < 3 && (t = strsep(&s, ":")) != NULL;)
		f[n++] = t;
	if (n < 2 || strchr(spec, ':') == NULL ||
	    (n == 3 && strchr(f[2], ':') != NULL))
		errx(EXIT_CAPJAIL, "--publish %s: expected "
		    "[HOSTIP:]HOSTPORT:JAILPORT[/tcp|/udp]", spec);
	if (n == 3) {
		if (inet_pton(AF_INET, f[0], &in) != 1)
			errx(EXIT_CAPJAIL, "--publish %s: %s is not an IPv4 "
			    "address", spec, f[0]);
		p->host_addr = in.s_addr;
	}
	p->host_port = parse_port(f[n - 2], spec);
	p->jail_port = parse_port(f[n - 1], spec);
}

static uint32_t
parse_id(const char *s, const char *what)
{
	const char *errstr;
	long long n;

	/* (uid_t)-1 means "unchanged" to the kernel, so it is never an id. */
	n = proto_number(s, 0, UINT32_MAX - 1, &errstr);
	if (errstr != NULL)
		errx(EXIT_CAPJAIL, "%s %s: %s", what, s, errstr);
	return (uint32_t)n;
}

static void
set_net(struct opts *o, const char *arg)
{
	if (strcmp(arg, "none") == 0) {
		o->bridge = NULL;
		return;
	}
	if (proto_check_name(arg, strlen(arg) + 1) == -1)
		errx(EXIT_CAPJAIL, "--net %s: not a valid bridge name "
		    "(1-15 of a-z 0-9 _ -)", arg);
	o->bridge = arg;
}

static void
set_ip(struct opts *o, const char *arg)
{
	struct in_addr in;

	if (inet_pton(AF_INET, arg, &in) != 1 || in.s_addr == INADDR_ANY)
		errx(EXIT_CAPJAIL, "--ip %s: not an IPv4 address", arg);
	o->addr = in.s_addr;
}

/* The jail routes IPv4 only: a name server must be an IPv4 address. */
static void
add_dns(struct opts *o, const char *arg)
{
	struct in_addr in;

	if (inet_pton(AF_INET, arg, &in) != 1 || in.s_addr == INADDR_ANY)
		errx(EXIT_CAPJAIL, "--dns %s: not an IPv4 address", arg);
	if ((ntohl(in.s_addr) >> 24) == 127)
		errx(EXIT_CAPJAIL, "--dns %s: a loopback address is the "
		    "jail's own, where no name server runs", arg);
	if (IN_MULTICAST(ntohl(in.s_addr)) || in.s_addr == INADDR_BROADCAST)
		errx(EXIT_CAPJAIL, "--dns %s: a multicast or broadcast "
		    "address is no name server", arg);
	o->dns = xreallocarray(o->dns, o->ndns + 1, sizeof(*o->dns));
	o->dns[o->ndns++] = in.s_addr;
}

static void
set_seccomp_fd(struct opts *o, const char *arg)
{
	const char *errstr;

	o->seccomp_fd = (int)proto_number(arg, 0, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(EXIT_CAPJAIL, "--seccomp %s: not a file descriptor "
		    "number", arg);
	o->seccomp_user = 1;
}

static void
set_hostname(struct opts *o, const char *arg)
{
	size_t len = strlen(arg);

	if (len == 0 || len > HOST_NAME_MAX)
		errx(EXIT_CAPJAIL, "--hostname: must be 1 to %d characters",
		    HOST_NAME_MAX);
	/* It goes into /etc/hosts: letters, digits, '-' and '.' (RFC 1123). */
	if (strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-.") != len || arg[0] == '-' || arg[0] == '.')
		errx(EXIT_CAPJAIL, "--hostname: use letters, digits, '-' "
		    "and '.' (not first)");
	o->hostname = arg;
}

static void
set_ifname(struct opts *o, const char *arg)
{
	if (proto_check_name(arg, strlen(arg) + 1) == -1)
		errx(EXIT_CAPJAIL, "--ifname %s: not a valid interface name "
		    "(1-15 of a-z 0-9 _ -)", arg);
	o->ifname = arg;
}

/* One option with an argument; returns 0 if c is not one of them. */
static int
take_arg(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_UID:	   o->uid = parse_id(arg, "--uid"); break;
	case OPT_GID:	   o->gid = parse_id(arg, "--gid"); break;
	case OPT_ROOT:	   o->root = arg; break;
	case OPT_BIND:	   add_mount(o, MNT_BIND, arg); break;
	case OPT_RO_BIND:  add_mount(o, MNT_RO_BIND, arg); break;
	case OPT_TMPFS:	   add_mount(o, MNT_TMPFS, arg); break;
	case OPT_CHDIR:	   o->chdir = arg; break;
	case OPT_HOSTNAME: set_hostname(o, arg); break;
	case OPT_NET:	   set_net(o, arg); break;
	case OPT_IP:	   set_ip(o, arg); break;
	case OPT_IFNAME:   set_ifname(o, arg); break;
	case 'p':	   add_publish(o, arg); break;
	case OPT_DNS:	   add_dns(o, arg); break;
	case OPT_SECCOMP:  set_seccomp_fd(o, arg); break;
	default:	   return 0;
	}
	return 1;
}

/* --setenv VAR VALUE, --unsetenv VAR, --clearenv, in order. */
static void
add_env(struct opts *o, enum env_op op, const char *var, const char *val)
{
	struct env_req *e;

	if (op != ENV_CLEAR && (*var == '\0' || strchr(var, '=') != NULL))
		errx(EXIT_CAPJAIL, "--%s %s: not a variable name",
		    op == ENV_SET ? "setenv" : "unsetenv", var);
	o->envs = xreallocarray(o->envs, o->nenvs + 1, sizeof(*o->envs));
	e = &o->envs[o->nenvs++];
	e->op = op;
	e->var = var;
	e->val = val;
}

static void
set_action(struct opts *o, enum action a, const char *name)
{
	if (o->action != ACT_RUN && o->action != a)
		errx(EXIT_CAPJAIL, "--list, --join and --stop go alone: "
		    "choose one");
	o->action = a;
	if (name == NULL)
		return;
	if (!record_valid_name(name))
		errx(EXIT_CAPJAIL, "%s: not a jail name (1-%d of A-Z a-z 0-9 "
		    "_ -, not starting with -)", name, NAME_LEN_MAX);
	o->name = name;
}

/* The options of issue 10; returns 0 if c is not one of them. */
static int
take_life(struct opts *o, int c, char *argv[])
{
	if (c == OPT_NAME || c == OPT_SETENV || c == OPT_UNSETENV ||
	    c == OPT_CLEARENV || c == OPT_DIE_WITH_PARENT)
		o->jail_opts++;
	switch (c) {
	case OPT_NAME:	   set_action(o, ACT_RUN, optarg); break;
	case OPT_LIST:	   set_action(o, ACT_LIST, NULL); break;
	case OPT_JSON:	   o->json = 1; break;
	case OPT_JOIN:	   set_action(o, ACT_JOIN, optarg); break;
	case OPT_STOP:	   set_action(o, ACT_STOP, optarg); break;
	case OPT_TIME:
		o->stop_time = (int)proto_number(optarg, 0, 3600, NULL);
		if (o->stop_time == 0 && strcmp(optarg, "0") != 0)
			errx(EXIT_CAPJAIL, "--time %s: must be 0 to 3600 "
			    "seconds", optarg);
		break;
	case OPT_SETENV:
		if (argv[optind] == NULL)
			errx(EXIT_CAPJAIL, "--setenv needs VAR and VALUE");
		add_env(o, ENV_SET, optarg, argv[optind++]);
		break;
	case OPT_UNSETENV: add_env(o, ENV_UNSET, optarg, NULL); break;
	case OPT_CLEARENV: add_env(o, ENV_CLEAR, "", NULL); break;
	case OPT_DIE_WITH_PARENT: o->die_with_parent = 1; break;
	default:	   return 0;
	}
	return 1;
}

static void
bad_option(int c, char *argv[])
{
	const char *what = argv[optind - 1];

	if (c == ':')
		errx(EXIT_CAPJAIL, "option %s needs an argument (see --help)",
		    what);
	if (optopt != 0)
		errx(EXIT_CAPJAIL, "unknown option -%c (see --help)", optopt);
	errx(EXIT_CAPJAIL, "unknown option %s (see --help)", what);
}

static void
take_flag(struct opts *o, int c, char *argv[])
{
	switch (c) {
	case 'h':
		if (fputs(usage_text, stdout) == EOF || fflush(stdout) == EOF)
			err(EXIT_CAPJAIL, "stdout");
		exit(0);
	case 'V':
		printf("capjail %s\n", CAPJAIL_VERSION);
		exit(0);
	case 'q':	 quiet = 1; verbose = 0; break;
	case 'v':	 verbose = 1; quiet = 0;
		/* -v's clock starts here: the clock's first read faults
		 * pages in (see fmt_ulong), so not on every start. */
		(void)since_start_ms();
		break;
	case OPT_SUBIDS: o->subids = 1; break;
	case OPT_CHECK:	 o->check = 1; break;
	case OPT_NO_SECCOMP: o->no_seccomp = 1; break;
	default:	 bad_option(c, argv);
	}
}

static void
check_combination(const struct opts *o)
{
	if (o->bridge == NULL && o->npubs > 0)
		errx(EXIT_CAPJAIL, "--publish needs --net BRIDGE");
	if (o->bridge == NULL && o->addr != 0)
		errx(EXIT_CAPJAIL, "--ip needs --net BRIDGE");
	if (o->bridge == NULL && o->ifname != NULL)
		errx(EXIT_CAPJAIL, "--ifname needs --net BRIDGE");
	if (o->bridge == NULL && o->ndns > 0)
		errx(EXIT_CAPJAIL, "--dns needs --net BRIDGE");
	if (o->seccomp_user && o->no_seccomp)
		errx(EXIT_CAPJAIL, "--seccomp and --no-seccomp: choose one");
	if (o->subids && (o->uid > SUBID_COUNT || o->gid > SUBID_COUNT))
		errx(EXIT_CAPJAIL, "--subids: --uid and --gid must be at "
		    "most %u", SUBID_COUNT);
}

static void
check_life(struct opts *o, const char *cmd)
{
	if (o->json && o->action != ACT_LIST)
		errx(EXIT_CAPJAIL, "--json goes with --list");
	if (o->stop_time != -1 && o->action != ACT_STOP)
		errx(EXIT_CAPJAIL, "--time goes with --stop");
	if (o->stop_time == -1)
		o->stop_time = 10;
	if (o->action != ACT_RUN && o->jail_opts > 0)
		errx(EXIT_CAPJAIL, "--%s acts on running jails: options that "
		    "make a new one do not go with it", o->action == ACT_LIST ?
		    "list" : o->action == ACT_JOIN ? "join" : "stop");
	if ((o->action == ACT_LIST || o->action == ACT_STOP) && cmd != NULL)
		errx(EXIT_CAPJAIL, "--%s takes no command",
		    o->action == ACT_LIST ? "list" : "stop");
}

void
opts_parse(int argc, char *argv[], struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->join_fd = -1;
	o->stop_time = -1;
	o->root = "/";
	o->hostname = "capjail";
	o->seccomp_fd = -1;
	opterr = 0;
	/* '+': stop at the command, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+:hVqvp:", longopts,
	    NULL)) != -1) {
		if (take_life(o, c, argv))
			continue;
		if (take_arg(o, c, optarg)) {
			o->jail_opts++;
			continue;
		}
		if (c == OPT_SUBIDS || c == OPT_NO_SECCOMP)
			o->jail_opts++;
		take_flag(o, c, argv);
	}
	check_combination(o);
	check_life(o, argv[optind]);
	if (o->ifname == NULL)
		o->ifname = "eth0";
	o->argv = argv + optind;
}

/*
 * The login shell, as login(1) would run it; /bin/sh when there is none,
 * or when the root tree (--root) does not have it.
 */
char *const *
opts_default_command(const struct opts *o)
{
	static char *argv[2];
	struct passwd *pw;

	argv[0] = "/bin/sh";
	if ((pw = getpwuid(getuid())) == NULL || pw->pw_shell == NULL ||
	    pw->pw_shell[0] != '/')
		return argv;
	if (!tree_has_command(o, pw->pw_shell)) {
		vlog("%s is not in %s: running /bin/sh", pw->pw_shell,
		    o->root);
		return argv;
	}
	if ((argv[0] = strdup(pw->pw_shell)) == NULL)
		err(EXIT_CAPJAIL, "strdup");
	return argv;
}

/*
 * Look up on the host what the jail will need, so that a typo is a clean
 * error before any namespace or helper exists.  The child resolves the same
 * paths again (it cannot trust a stat made earlier; it does not need to).
 */
void
opts_resolve(struct opts *o)
{
	struct stat st;
	size_t i;

	o->outer_uid = getuid();
	o->outer_gid = getgid();
	if (o->argv[0] == NULL)
		o->argv = opts_default_command(o);
	o->cwd = getcwd(NULL, 0);
	if (stat(o->root, &st) == -1)
		err(EXIT_CAPJAIL, "--root %s", o->root);
	if (!S_ISDIR(st.st_mode))
		errx(EXIT_CAPJAIL, "--root %s: not a directory", o->root);
	for (i = 0; i < o->nmnts; i++) {
		const struct mnt_req *m = &o->mnts[i];

		if (m->kind != MNT_TMPFS && stat(m->src, &st) == -1)
			err(EXIT_CAPJAIL, "--%s %s", m->kind == MNT_BIND ?
			    "bind" : "ro-bind", m->src);
	}
	tree_check_mountpoints(o);
	if (o->subids)
		ns_subids_prepare(o);
	dns_prepare(o);
	o->fg_tty = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	opts_signals(o);
}

/* The signals PID 1, and a --join, pass on to the command. */
void
opts_signals(struct opts *o)
{
	sigemptyset(&o->fwd);
	sigaddset(&o->fwd, SIGINT);
	sigaddset(&o->fwd, SIGTERM);
	sigaddset(&o->fwd, SIGHUP);
	sigaddset(&o->fwd, SIGQUIT);
	sigaddset(&o->fwd, SIGUSR1);
	sigaddset(&o->fwd, SIGUSR2);
	sigaddset(&o->fwd, SIGWINCH);
}
