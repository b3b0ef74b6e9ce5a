# SPDX-License-Identifier: ISC
# capjail: an unprivileged launcher (capjail) and a cap_net_admin helper
# (capjail-net).  GNU make; no generated build files.

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
LIBEXECDIR	?= $(PREFIX)/libexec
SYSCONFDIR	?= /etc
MANDIR		?= $(PREFIX)/share/man
DESTDIR		?=
CC		?= cc
PKG_CONFIG	?= pkg-config
CFLAGS		?= -O2 -g
LDFLAGS		?=
VERSION		 = 0.1.0

HELPER_PATH	?= $(LIBEXECDIR)/capjail/capjail-net
CONF_PATH	?= $(SYSCONFDIR)/capjail/net.conf
# The test suite's helper reads its config from here (root-owned, made by
# tests/run.sh); it is a separate binary so the installed one never does.
TESTDIR		?= /tmp/capjail-check

B		?= build

WARN	 = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wformat=2 \
	   -Wswitch-enum -Wimplicit-fallthrough -Werror
HARDEN	 = -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
	   -fstack-clash-protection -fPIE
ifneq ($(filter x86_64 i%86,$(shell uname -m)),)
HARDEN	+= -fcf-protection
endif
LDHARDEN = -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed

# make SANITIZE=1: ASan+UBSan everywhere (see SECURITY.md for the helper).
ifeq ($(SANITIZE),1)
HARDEN	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all -DCAPJAIL_SANITIZE=1
LDHARDEN += -fsanitize=address,undefined
endif

HELPER_PKGS	= libmnl libnftnl libcap-ng libseccomp libbsd-overlay
LAUNCHER_PKGS	= libmnl libcap-ng libseccomp libbsd-overlay
HELPER_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(HELPER_PKGS))
HELPER_LIBS	:= $(shell $(PKG_CONFIG) --libs $(HELPER_PKGS))
LAUNCHER_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(LAUNCHER_PKGS))
LAUNCHER_LIBS	:= $(shell $(PKG_CONFIG) --libs $(LAUNCHER_PKGS))

ALL_CFLAGS	= $(CFLAGS) $(WARN) $(HARDEN) -Iproto -MMD -MP
ALL_LDFLAGS	= $(LDFLAGS) $(LDHARDEN)

PROTO_SRCS	= proto/proto.c proto/fdpass.c
HELPER_SRCS	= $(wildcard helper/*.c)
LAUNCHER_SRCS	= $(wildcard launcher/*.c)
TEST_SRCS	= $(wildcard tests/*.c)

PROTO_OBJS	= $(PROTO_SRCS:%.c=$(B)/%.o)
HELPER_OBJS	= $(HELPER_SRCS:%.c=$(B)/%.o)
HELPER_LIB_OBJS	= $(filter-out $(B)/helper/main.o,$(HELPER_OBJS))
LAUNCHER_OBJS	= $(LAUNCHER_SRCS:%.c=$(B)/%.o)
TEST_BINS	= $(TEST_SRCS:tests/%.c=$(B)/tests/%)

PROGS		= $(B)/capjail $(B)/capjail-net

.PHONY: all check demo deps install install-caps uninstall clean lint fuzz \
	test-progs soak bench
all: $(PROGS)

$(B)/capjail: $(LAUNCHER_OBJS) $(PROTO_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LAUNCHER_LIBS)

$(B)/capjail-net: $(HELPER_OBJS) $(PROTO_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HELPER_LIBS)

# The test helper: the same objects, but main.o built with the test config path.
$(B)/test/capjail-net: $(B)/test/main.o $(HELPER_LIB_OBJS) $(PROTO_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(HELPER_LIBS)

$(B)/test/main.o: helper/main.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HELPER_CFLAGS) -DCONF_PATH=\"$(TESTDIR)/net.conf\" -c -o $@ $<

$(B)/proto/%.o: proto/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/helper/%.o: helper/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HELPER_CFLAGS) -DCONF_PATH=\"$(CONF_PATH)\" -c -o $@ $<

$(B)/launcher/%.o: launcher/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LAUNCHER_CFLAGS) -DHELPER_PATH=\"$(HELPER_PATH)\" \
	    -DCONF_PATH=\"$(CONF_PATH)\" -DCAPJAIL_VERSION=\"$(VERSION)\" -c -o $@ $<

# Unit tests and test clients link the helper's objects (not its main).
$(B)/tests/%: tests/%.c tests/tap.h $(HELPER_LIB_OBJS) $(PROTO_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HELPER_CFLAGS) -Ihelper $(ALL_LDFLAGS) -o $@ $< \
	    $(HELPER_LIB_OBJS) $(PROTO_OBJS) $(HELPER_LIBS)

test-progs: $(PROGS) $(B)/test/capjail-net $(TEST_BINS)

deps:
	sh scripts/deps.sh

check: deps
	$(MAKE) test-progs
	BUILD=$(CURDIR)/$(B) TESTDIR=$(TESTDIR) sh tests/run.sh

demo: deps
	$(MAKE) test-progs
	BUILD=$(CURDIR)/$(B) TESTDIR=$(TESTDIR) sh scripts/demo.sh

# The kill-anywhere churn test at full length (make check runs 200 cycles).
soak:
	$(MAKE) test-progs
	CHURN_CYCLES=2000 BUILD=$(CURDIR)/$(B) TESTDIR=$(TESTDIR) \
	    sh tests/run.sh test-churn

# The benchmarks against the peers, one report (root; bench/run.sh).
# make bench QUICK=1: a few runs only, to check the harness end to end.
bench:
	sh scripts/deps.sh bench
	$(MAKE) test-progs
	BUILD=$(CURDIR)/$(B) TESTDIR=$(TESTDIR) QUICK=$(QUICK) sh bench/run.sh

# The fuzzer: the helper's request path with the kernel faked (fuzz/).
FUZZ_SECONDS	?= 60
FUZZ_CC		?= clang
FUZZ_SRCS	= $(PROTO_SRCS) fuzz/fakekernel.c fuzz/fuzz-dispatch.c \
		  $(filter-out helper/main.c helper/nl.c helper/sandbox.c,\
		  $(HELPER_SRCS))
FUZZ_WRAP	= -Wl,--wrap=exit,--wrap=errx,--wrap=err,--wrap=errc,--wrap=nanosleep

$(B)/fuzz/fuzz-dispatch: $(FUZZ_SRCS) fuzz/fuzz.h helper/helper.h proto/proto.h
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Iproto -Ihelper -Ifuzz $(HELPER_CFLAGS) -o $@ $(FUZZ_SRCS) \
	    $(HELPER_LIBS) $(FUZZ_WRAP)

$(B)/fuzz/mkcorpus: fuzz/mkcorpus.c $(PROTO_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(HELPER_CFLAGS) $(ALL_LDFLAGS) -o $@ $< \
	    $(PROTO_OBJS) $(HELPER_LIBS)

fuzz: $(B)/fuzz/fuzz-dispatch $(B)/fuzz/mkcorpus
	rm -rf $(B)/fuzz/corpus && mkdir -p $(B)/fuzz/corpus
	$(B)/fuzz/mkcorpus $(B)/fuzz/corpus
	$(B)/fuzz/fuzz-dispatch -max_total_time=$(FUZZ_SECONDS) \
	    -print_final_stats=1 -timeout=10 -artifact_prefix=$(B)/fuzz/ \
	    $(B)/fuzz/corpus

# Static analysis over every source: gcc's analyzer, cppcheck, clang-tidy.
# A finding judged wrong is suppressed at its line, with the reason.
LINT_SRCS	= $(PROTO_SRCS) $(HELPER_SRCS) $(LAUNCHER_SRCS)
LINT_INC	= -Iproto -Ihelper $(HELPER_CFLAGS) $(LAUNCHER_CFLAGS)
lint:
	$(MAKE) B=$(B)/analyzer CFLAGS="-O1 -fanalyzer" all
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
	    --enable=warning,performance,portability \
	    --suppress=missingIncludeSystem -D__GNUC__ -D_GNU_SOURCE \
	    -DCONF_PATH='"x"' -DHELPER_PATH='"x"' -DCAPJAIL_VERSION='"x"' \
	    -Iproto -Ihelper $(LINT_SRCS)
	clang-tidy --quiet --warnings-as-errors='*' $(LINT_SRCS) -- \
	    -std=c11 -D_GNU_SOURCE -DCONF_PATH='"x"' -DHELPER_PATH='"x"' \
	    -DCAPJAIL_VERSION='"x"' $(LINT_INC)

install: $(PROGS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/capjail \
	    $(DESTDIR)$(SYSCONFDIR)/capjail $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(B)/capjail $(DESTDIR)$(BINDIR)/capjail
	install -m 0755 $(B)/capjail-net $(DESTDIR)$(HELPER_PATH)
	install -m 0644 capjail.1 $(DESTDIR)$(MANDIR)/man1/capjail.1
	test -e $(DESTDIR)$(CONF_PATH) || \
	    install -m 0644 net.conf.example $(DESTDIR)$(CONF_PATH)

install-caps:
	setcap cap_net_admin+ep $(DESTDIR)$(HELPER_PATH)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/capjail $(DESTDIR)$(HELPER_PATH) \
	    $(DESTDIR)$(MANDIR)/man1/capjail.1

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
