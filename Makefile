# kc - GNU make
VERSION    := $(shell cat VERSION)
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/kc
DATADIR    ?= $(PREFIX)/share/kc
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
KUSCIA_ROOT ?= /home/kuscia
PKG_CONFIG ?= pkg-config
CC         ?= cc
CFLAGS     ?= -O2 -g
LDFLAGS    ?=
SAN        ?=
PKGS        = libcrypto libssl libcurl jansson yaml-0.1

WARN        = -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wpedantic -Wformat=2
ifeq ($(SAN),1)
SANFLAGS    = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
KC_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -DKC_VERSION='"$(VERSION)"' \
              -DKC_DATADIR='"$(DATADIR)"' -Ihelpers/lib \
              $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) $(SANFLAGS) $(CFLAGS)
KC_LDFLAGS  = -Wl,--as-needed $(SANFLAGS) $(LDFLAGS)
KC_LIBS     = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
# STATIC=1 (the default): OpenSSL, jansson and libyaml linked into the helpers from Debian's
# -dev packages' archives, which saves each helper call the dynamic linker's relocation of
# libcrypto (about 0.5 ms of CPU a process; bench/). A security update of libssl3 then reaches
# kc when it is rebuilt. STATIC=0, or a missing archive, links the shared libraries.
# kc-route-check stays shared: its probe uses libcurl, itself linked to the shared OpenSSL.
STATIC     ?= 1
# cc -print-file-name prints a found archive's path, a missing one's bare name
STATIC_RAW := $(foreach l,ssl crypto jansson yaml,$(shell $(CC) -print-file-name=lib$(l).a 2>/dev/null))
STATIC_ARS := $(if $(filter-out /%,$(STATIC_RAW)),,$(abspath $(STATIC_RAW)))
KC_LIBS_STATIC = $(if $(filter 1,$(STATIC)),$(if $(STATIC_ARS),$(STATIC_ARS) -ldl -pthread))

LIB_SRCS   := $(wildcard helpers/lib/*.c)
LIB_OBJS   := $(LIB_SRCS:helpers/lib/%.c=build/lib/%.o)
HELPERS    := $(patsubst helpers/%.c,%,$(wildcard helpers/kc-*.c))
SCRIPTS    := kc-help kc-commands kc-version $(notdir $(wildcard libexec/kc-peer libexec/kc-doctor))
DROPINS    := $(wildcard bin/*.sh)
MAN1       := $(wildcard share/kc/man/*.1)
MAN7       := $(wildcard share/kc/man/*.7)
SH_FILES    = bin/kc $(DROPINS) libexec/kc-lib.sh $(SCRIPTS:%=libexec/%) mk/deps mk/install-kuscia mk/demo \
              test/fuzz/run
BATS       ?= bats
BENCH_RUNS ?= 5
# every file that runs a C helper, the longest first (bats --jobs starts them in this order);
# faults.bats stays out: its sleeps and timeouts are sized for helpers at native speed
VALGRIND_TESTS = test/bad-input.bats test/cert.bats test/secrets.bats test/grant.bats \
                 test/dropins-certs.bats test/apply.bats test/render.bats test/conf.bats \
                 test/dropins-objects.bats test/route-check.bats test/peer.bats \
                 test/dropins-apply.bats test/token.bats test/doctor.bats test/http-client.bats \
                 test/route-check-endpoint.bats test/dropins-grant.bats test/token-sa.bats \
                 test/kc.bats test/fuzz-regressions.bats test/apply-takeover.bats
VALGRIND_LOGS  = build/valgrind
# files in parallel, one per core, when GNU parallel is there (bats needs it for --jobs)
BATS_JOBS     ?= $(shell nproc 2>/dev/null || echo 1)
BATS_PARALLEL  = $(if $(shell command -v parallel 2>/dev/null),--jobs $(BATS_JOBS) --no-parallelize-within-files)
BATS_FLAGS ?=

.PHONY: all deps check check-shell check-valgrind install install-kuscia uninstall clean demo bench \
	fuzz fuzz-build
all: deps-quiet $(HELPERS:%=libexec/%)

# a stamp holding the flags: a change (SAN=1, CFLAGS) rebuilds everything
build/flags: FORCE
	@mkdir -p build/lib
	@echo '$(CC) $(KC_CFLAGS) $(KC_LDFLAGS) $(KC_LIBS) $(KC_LIBS_STATIC)' | cmp -s - $@ || \
		echo '$(CC) $(KC_CFLAGS) $(KC_LDFLAGS) $(KC_LIBS) $(KC_LIBS_STATIC)' > $@
FORCE:
.PHONY: FORCE
.SECONDARY: $(LIB_OBJS) $(HELPERS:%=build/%.o)

build/lib/%.o: helpers/lib/%.c $(wildcard helpers/lib/*.h) build/flags
	$(CC) $(KC_CFLAGS) -c -o $@ $<

build/%.o: helpers/%.c helpers/lib/kc.h build/flags
	$(CC) $(KC_CFLAGS) -c -o $@ $<

build/libkc.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJS)

libexec/kc-route-check: build/kc-route-check.o build/libkc.a
	$(CC) $(KC_LDFLAGS) -o $@ $< build/libkc.a $(KC_LIBS)

libexec/kc-%: build/kc-%.o build/libkc.a
	$(CC) $(KC_LDFLAGS) -o $@ $< build/libkc.a $(or $(KC_LIBS_STATIC),$(KC_LIBS) -pthread)

# install missing Debian packages when root; otherwise only say what is missing
deps:
	@sh mk/deps
deps-quiet:
	@sh mk/deps --quiet

check: all
	$(MAKE) check-shell
	$(BATS) $(BATS_PARALLEL) $(BATS_FLAGS) test </dev/null

check-shell:
	shellcheck -s sh $(SH_FILES)
	shellcheck -x test/*.bats test/helper/*.bash bench/run .ci/run
	shellcheck -s bash share/kc/completions/kc.bash

# the helpers' tests again, every helper run under valgrind (test/helper/common.bash); any
# valgrind report fails it, even one from a helper whose test only expected a failure
check-valgrind: all
	rm -rf $(VALGRIND_LOGS) && mkdir -p $(VALGRIND_LOGS)
	KC_VALGRIND=1 KC_VALGRIND_LOGS=$(CURDIR)/$(VALGRIND_LOGS) $(BATS) $(BATS_PARALLEL) $(BATS_FLAGS) \
		$(wildcard $(VALGRIND_TESTS)) </dev/null; s=$$?; \
	r=$$(find $(VALGRIND_LOGS) -type f -size +0 | sort); \
	for f in $$r; do printf '==== %s\n' "$$f"; cat "$$f"; done; \
	if [ -n "$$r" ]; then echo "check-valgrind: $$(echo "$$r" | wc -l) valgrind reports" >&2; exit 1; fi; \
	echo "check-valgrind: $$(find $(VALGRIND_LOGS) -type f | wc -l) helper runs, no valgrind report"; \
	exit $$s

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 bin/kc $(DROPINS) $(DESTDIR)$(BINDIR)
	install -m 0755 $(HELPERS:%=libexec/%) $(SCRIPTS:%=libexec/%) $(DESTDIR)$(LIBEXECDIR)
	install -m 0644 libexec/kc-lib.sh $(DESTDIR)$(LIBEXECDIR)
	cp -R share/kc/. $(DESTDIR)$(DATADIR)/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7
	install -m 0644 share/kc/completions/kc.bash $(DESTDIR)$(BASHCOMPDIR)/kc

# the drop-ins at upstream's paths inside a node; upstream's originals kept as *.orig
install-kuscia: all
	sh mk/install-kuscia '$(DESTDIR)$(KUSCIA_ROOT)' $(HELPERS:%=libexec/%)

# the whole pairing flow between two simulated nodes on this machine
demo: all
	sh mk/demo

# ratios against upstream's kubectl path on the same simulator (not a test)
bench: all
	bench/run $(BENCH_RUNS)

# libFuzzer targets (test/fuzz/fuzz_*.c), the lib rebuilt with clang's sanitizers in build/fuzz/;
# each runs FUZZ_SECONDS on a temp copy of its seed corpus (test/fuzz/corpus/TARGET)
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS := $(patsubst test/fuzz/%.c,%,$(wildcard test/fuzz/fuzz_*.c))
FUZZ_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) -Wno-format-nonliteral \
                -DKC_VERSION='"$(VERSION)"' -DKC_DATADIR='"$(DATADIR)"' -Ihelpers/lib \
                $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null) -g -O1 \
                -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS = $(LIB_SRCS:helpers/lib/%.c=build/fuzz/lib/%.o)
.SECONDARY: $(FUZZ_LIB_OBJS)

build/fuzz/lib/%.o: helpers/lib/%.c $(wildcard helpers/lib/*.h)
	@mkdir -p build/fuzz/lib
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz.h $(FUZZ_LIB_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJS) $(KC_LIBS)

build/fuzz/fuzz_render: helpers/kc-render.c	# the helper compiled in, its main renamed

fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/%)

fuzz: fuzz-build
	sh test/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/kc $(DROPINS:bin/%=$(DESTDIR)$(BINDIR)/%)
	rm -rf $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)
	rm -f $(MAN1:share/kc/man/%=$(DESTDIR)$(MANDIR)/man1/%) \
		$(MAN7:share/kc/man/%=$(DESTDIR)$(MANDIR)/man7/%) $(DESTDIR)$(BASHCOMPDIR)/kc

clean:
	rm -rf build $(HELPERS:%=libexec/%)
