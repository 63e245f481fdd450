# membudget: GNU Makefile.  `make run` and `make test` do everything,
# installing missing Debian packages first (see `deps`).

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

PKGS_PC  := jansson sqlite3 libmicrohttpd ncursesw
CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
ifeq ($(CI),true)
WARN     += -Werror
endif
ALL_CFLAGS = -std=gnu11 $(WARN) -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
             -DMB_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS_PC) 2>/dev/null) \
             $(CFLAGS) -MMD -MP
# libmicrohttpd (serve), SQLite (history) and ncurses (watch --screen) are
# loaded at run time when a command needs them (lib/util/dynlib.h): headers
# only, so that the other commands do not pay for them at start-up.
DL_PC    := libmicrohttpd sqlite3 ncursesw
LIBS     := $(shell pkg-config --libs $(filter-out $(DL_PC),$(PKGS_PC)) 2>/dev/null \
              || echo -ljansson) -ldl -lm -lpthread
# The unit tests also call SQLite directly.
TEST_LIBS := $(shell pkg-config --libs sqlite3 2>/dev/null || echo -lsqlite3)

BUILD    ?= build
LIB_SRC  := $(sort $(wildcard lib/*/*.c))
CLI_SRC  := $(sort $(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIBA     := $(BUILD)/libmembudget.a
BIN      := $(BUILD)/membudget

UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(filter-out tests/helpers/so-%,$(sort $(wildcard tests/helpers/*.c)))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/helpers/%)

# Debian packages: build and test dependencies.
DEB_BUILD := gcc make pkg-config libjansson-dev libsqlite3-dev libmicrohttpd-dev libncurses-dev \
             clang bpftool libbpf-dev
DEB_TEST  := libcmocka-dev libxml2-utils util-linux procps python3 jq tmux strace curl valgrind \
             systemd prometheus wrk
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST)
DEB_BENCH := hyperfine atop smem smemstat time

.PHONY: all deps run test test-nonroot test-vm bench-quick unit cli live asan clang install uninstall clean format check-format check-layers bench

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

# The version (git describe) is compiled into main.o and cmd-serve.o: a stamp
# that changes only with it makes them rebuild when it does.
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@); v='$(VERSION)'; [ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@
$(BUILD)/src/main.o $(BUILD)/src/cmd-serve.o: $(BUILD)/version.stamp
.PHONY: FORCE
FORCE:

$(BIN): $(CLI_OBJ) $(LIBA)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LIBS)
	@if [ "$(BUILD)" = build ]; then ln -sf build/membudget membudget; fi

$(BUILD)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBA) $(LIBS) $(TEST_LIBS) -lcmocka

$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -o $@ $< -ldl

# Install the Debian packages that are missing (as root), or name them.
deps:
	@missing=""; for p in $(or $(DEB_LIST),$(DEB_ALL)); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "membudget: missing Debian packages:$$missing"; \
	  echo "  install them with: sudo apt-get install$$missing"; exit 1; fi; \
	echo "installing:$$missing"; \
	lists=$$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1); \
	if [ -z "$$lists" ]; then apt-get update -qq || exit 1; fi; \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	       --no-install-recommends $$missing; }

run: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) status -c etc/omnimind_parameters.json

test: deps
	@$(MAKE) --no-print-directory all unit-bins helpers
	@tests/run.sh $(BIN) $(BUILD)

unit-bins: $(UNIT_BIN)
helpers: $(HELPER_BIN)

# Unit, CLI and live tests under ASan + UBSan, in a separate build dir (the
# live tests bound by timing, and valgrind, run in the normal build only).
asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  all unit-bins helpers
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  MB_LIVE_SKIP="hardening soak serve watch" tests/run.sh build-asan/membudget build-asan

# The same code built by clang with -Werror (its warnings differ from gcc's:
# format attributes, -Wformat-nonliteral), in build-clang, BPF collector
# included; then the unit and CLI suites on that build.
clang:
	@$(MAKE) --no-print-directory BUILD=build-clang CC=clang CI=true all unit-bins helpers
	@MB_TEST_ONLY="unit cli" tests/run.sh build-clang/membudget build-clang

# The unit and CLI suites again as an unprivileged user (when run as root):
# commands must degrade, say so once, and refuse --apply cleanly.
test-nonroot: all unit-bins helpers
	@if [ "$$(id -u)" != 0 ]; then echo "0 passed, 0 failed, 1 skipped"; \
	 echo "skipped: test-nonroot: already not root"; exit 0; fi; \
	 setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp MB_TEST_ONLY="unit cli" \
	   tests/run.sh $(BIN) $(BUILD)

# The live tests and the systemd/cgroup v2 scenario suite (tests/vm/) in a
# throwaway Debian 12 guest: systemd as PID 1, pure cgroup v2, QEMU TCG (no
# KVM needed), harness ../shared/vm, image cached in /var/tmp/vm (built when
# missing, ~3 min).  Root; about 15 min on 2 CPUs.  Skips only where QEMU
# cannot run.
test-vm: deps
	@$(MAKE) --no-print-directory all unit-bins helpers
	@tests/vm/run.sh $(BIN) $(BUILD)

# Benchmarks against the floor programs and ps/top/atop/smem/smemstat (root;
# spawns BENCH_N processes, default 2000).  See BENCHMARKS.md.
bench: deps
	@$(MAKE) --no-print-directory deps DEB_LIST="$(DEB_BENCH)"
	@$(MAKE) --no-print-directory all
	bench/run.sh

# The benchmark with a small N, to prove the script works (CI).
bench-quick: deps
	@$(MAKE) --no-print-directory deps DEB_LIST="$(DEB_BENCH)"
	@$(MAKE) --no-print-directory all
	BENCH_N=50 bench/run.sh --quick

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/membudget
	install -m 0644 man/membudget.1 $(DESTDIR)$(PREFIX)/share/man/man1/membudget.1
	sed 's#/usr/local/bin/membudget#$(PREFIX)/bin/membudget#' contrib/systemd/membudget.service \
	  | install -Dm644 /dev/stdin $(DESTDIR)$(PREFIX)/lib/systemd/system/membudget.service
	install -Dm644 contrib/bash-completion/membudget \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/membudget
	install -Dm644 etc/omnimind_parameters.json $(DESTDIR)/etc/membudget/membudget.json.example
	test -e $(DESTDIR)/etc/membudget/membudget.json || \
	  install -Dm644 etc/omnimind_parameters.json $(DESTDIR)/etc/membudget/membudget.json
	install -Dm644 -t $(DESTDIR)$(PREFIX)/share/membudget/prometheus contrib/prometheus/*.yml
	install -Dm644 contrib/grafana/membudget-dashboard.json \
	  $(DESTDIR)$(PREFIX)/share/membudget/grafana/membudget-dashboard.json

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/membudget $(DESTDIR)$(PREFIX)/share/man/man1/membudget.1
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/membudget.service
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/membudget
	rm -f $(DESTDIR)/etc/membudget/membudget.json.example
	rm -rf $(DESTDIR)$(PREFIX)/share/membudget

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# The lib/ include graph: no cycle, every include goes down (issue 16).
check-layers:
	@tools/check-layers.sh

check-format:
	@bad=$$(for f in $$(git ls-files '*.c' '*.h'); do \
	  clang-format --dry-run -Werror $$f >/dev/null 2>&1 || echo $$f; done); \
	if [ -n "$$bad" ]; then echo "clang-format disagrees with: $$bad"; exit 1; fi

clean:
	rm -rf build build-asan build-clang build-fuzz membudget

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# Test doubles built as shared libraries: tests/helpers/so-NAME.c -> BUILD/helpers/NAME.so
SO_SRC := $(sort $(wildcard tests/helpers/so-*.c))
SO_BIN := $(SO_SRC:tests/helpers/so-%.c=$(BUILD)/helpers/%.so)
helpers: $(SO_BIN)
$(BUILD)/helpers/%.so: tests/helpers/so-%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -shared -fPIC -o $@ $<

# Fuzzing (libFuzzer, clang): tests/fuzz/fuzz-NAME.c, each run FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
.PHONY: fuzz fuzz-bins
fuzz-bins: $(FUZZ_BIN)
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $(shell pkg-config --cflags jansson) \
	  -o $@ $< $(LIB_SRC) $(LIBS)
fuzz: deps fuzz-bins
	@for f in $(FUZZ_BIN); do n=$$(basename $$f); mkdir -p build-fuzz/corpus-$$n tests/fuzz/corpus/$$n; \
	  echo "fuzz $$n ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n \
	    >build-fuzz/$$n.log 2>&1 || { tail -30 build-fuzz/$$n.log; exit 1; }; done

# Optional build pieces owned by their areas (BPF collector).
-include bpf.mk
