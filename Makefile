# ensign: build, test, benchmark, install.  See README.md.
#   make            build libensign.a and ensign, then run the demo
#   make check      build and run every test (also under ASan+UBSan with make check-asan)
#   make bench      benchmarks (figures as ratios against openssl in the same run)
#   make install PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
BUILD ?= build
CC ?= cc

PKG_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wno-format-truncation \
	-Iinclude -Icli -I$(BUILD)/gen $(PKG_CFLAGS)
P11_CFLAGS := $(shell pkg-config --cflags p11-kit-1 2>/dev/null || echo -I/usr/include/p11-kit-1)
override CFLAGS += $(P11_CFLAGS)
ifeq ($(SAN),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif
LDLIBS += -lcrypto -lelf -lxml2 -ljansson -larchive -lcurl -ldl -lpthread

LIB_SRC := $(shell find lib -name '*.c' | sort)
CLI_SRC := $(sort $(wildcard cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/t_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)
COMPAT_NAMES := sgxs-sign sgx_sign oesign ftxsgx-elf2sgxs sgxs-append ftxsgx-runner gramine-sgx-sign gramine-sgx-sigstruct-view \
	enclaveos-signer scone-signer myst

.PHONY: all build demo check check-asan check-all test bench install clean deps examples fuzz
all: deps
	$(MAKE) build
	$(MAKE) demo

build: $(BUILD)/ensign $(BUILD)/libensign.a examples

deps:
	sh scripts/install-deps.sh

$(BUILD)/libensign.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/ensign: $(CLI_OBJ) $(BUILD)/libensign.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libensign.a $(LDLIBS)
	@for n in $(COMPAT_NAMES); do ln -sf ensign $(BUILD)/$$n; done

$(BUILD)/%.o: %.c $(wildcard include/ensign/*.h) $(wildcard cli/*.h) $(wildcard lib/*/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/tap.h $(BUILD)/libensign.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libensign.a $(LDLIBS)

$(BUILD)/tests/%: tests/helpers/%.c $(BUILD)/libensign.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libensign.a $(LDLIBS)

-include examples/Makefile.inc

demo: $(BUILD)/ensign examples
	@sh scripts/demo.sh $(BUILD)

test: check
check: build $(UNIT_BIN) $(HELPER_BIN)
	@BUILD=$(BUILD) sh tests/run.sh

check-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 CFLAGS="-O1 -g" check

# The README's test command: installs dependencies, then every test, plain and sanitized.
check-all: deps
	@sh fuzz/smoke.sh
	@$(MAKE) -s --no-print-directory check
	@$(MAKE) -s --no-print-directory check-asan

$(BUILD)/tests/bench_measure: bench/bench_measure.c $(BUILD)/libensign.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libensign.a $(LDLIBS)

bench: build $(BUILD)/tests/bench_measure
	@sh bench/run.sh $(BUILD)

fuzz:
	@sh fuzz/run.sh $(FUZZ_SECONDS)

install: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/ensign $(DESTDIR)$(BINDIR)/ensign
	for n in $(COMPAT_NAMES); do ln -sf ensign $(DESTDIR)$(BINDIR)/$$n; done
	install -m 0644 docs/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	$(BUILD)/ensign completion bash >$(DESTDIR)$(BASHCOMPDIR)/ensign
	for n in $(COMPAT_NAMES); do ln -sf ensign $(DESTDIR)$(BASHCOMPDIR)/$$n; done
	$(BUILD)/ensign completion zsh >$(DESTDIR)$(ZSHCOMPDIR)/_ensign

clean:
	rm -rf build build-asan

-include pkgstub/Makefile.inc
