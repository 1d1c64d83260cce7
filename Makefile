# mapwright - one plain Makefile.
#
#   make            bin/mapc, generated/*.c (from mappings/*.map), bin/<pair>
#   make check      the whole suite (tests/run-suite.sh)
#   make asan       the same build under AddressSanitizer + UBSan in build-asan/
#   make regen      rewrite golden expectations (review the diff like code)
#   make bench      the transform and state store benchmarks (prints figures; not a test)
#   make bench-rate calls a minute against each target's limit while a backlog lasts
#   make lint       line length, tabs/banned functions
#
# Out-of-tree builds: O=build-asan SAN=1 puts every object there.

O       ?= build
BIN     ?= bin
CC      ?= cc
PKGS    := jansson libxml-2.0 libcurl sqlite3 libmicrohttpd libcrypto libpq
WARN    := -std=c11 -Wall -Wextra -Werror
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT     := -O1 -g $(SANFLAGS)
else
SANFLAGS :=
OPT     := -O2 -g
endif
CPPFLAGS += -D_POSIX_C_SOURCE=200809L
CFLAGS  += $(WARN) $(OPT)
LDFLAGS += $(SANFLAGS)
RT_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
RT_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

PAIRS   := clarity_xero clarity_intacct nopcommerce_qbo
MAPS    := $(PAIRS:%=mappings/%.map)
SCHEMAS := $(wildcard mappings/schemas/*.map)
MAPC_VERSION := 0.1.0

.PHONY: all check asan regen bench bench-rate lint clean demo pair install
all: $(BIN)/mapc $(PAIRS:%=generated/%.c) $(PAIRS:%=$(BIN)/%) $(BIN)/sandbox

# ---- grammar: re2c and lemon from Debian's packages -------------------
$(O)/grammar/lexer.c: grammar/lexer.re | $(O)/grammar
	re2c -W -Werror --no-generation-date --no-version -o $@ $<
# one lemon run makes both (two targets of one rule would run it twice under -j)
$(O)/grammar/parser.h: $(O)/grammar/parser.c ;
$(O)/grammar/parser.c: grammar/parser.y | $(O)/grammar
	cp grammar/parser.y $(O)/grammar/parser.y
	lemon -s -T/usr/share/lemon/lempar.c -d$(O)/grammar $(O)/grammar/parser.y
	@# lemon leaves parser.h alone when it has not changed: keep make from rebuilding
	touch $(O)/grammar/parser.c $(O)/grammar/parser.h

# ---- the compiler -----------------------------------------------------
MAPC_SRC := $(wildcard compiler/*.c compiler/tools/*.c)
MAPC_OBJ := $(MAPC_SRC:%.c=$(O)/%.o) $(O)/grammar/lexer.o $(O)/grammar/parser.o \
	$(O)/compiler/errdocs.o
MAPC_INC := -Icompiler -I$(O)/grammar -DMAPC_VERSION='"$(MAPC_VERSION)"'

$(O)/compiler/%.o: compiler/%.c compiler/mapc.h $(O)/grammar/parser.h | $(O)/compiler/tools
	$(CC) $(CPPFLAGS) $(CFLAGS) $(MAPC_INC) -c -o $@ $<
# `mapc --explain CODE` prints docs/errors.md, compiled in from the page itself.
$(O)/compiler/errdocs.c: docs/errors.md compiler/errdocs.awk | $(O)/compiler
	awk -f compiler/errdocs.awk docs/errors.md > $@.tmp && mv $@.tmp $@
$(O)/compiler/errdocs.o: $(O)/compiler/errdocs.c compiler/mapc.h $(O)/grammar/parser.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(MAPC_INC) -c -o $@ $<
$(O)/grammar/%.o: $(O)/grammar/%.c compiler/mapc.h $(O)/grammar/parser.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wno-unused-parameter -Wno-unused-variable $(MAPC_INC) -c -o $@ $<
$(BIN)/mapc: $(MAPC_OBJ) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^

# ---- the runtime: one folder a layer, each with its own include path ---
# A layer's files see only the headers of the layers they may call, so a
# forbidden include fails to build (docs/architecture.md, tests/tools/layers.sh):
#   cli -> engine -> conn, state, net, transform; conn -> net, transform;
#   net -> transform; state -> nothing; transform -> include/ only, and no
#   I/O library at all (transform/noio/ holds #error stubs for their headers,
#   found before the system's).  Generated C sees include/mapwright.h only.
RT_LAYERS        := transform net conn state engine cli
RT_INC_transform := -Iruntime/include -Iruntime/transform -Iruntime/transform/noio
RT_INC_net       := -Iruntime/include -Iruntime/transform -Iruntime/net
RT_INC_conn      := $(RT_INC_net) -Iruntime/conn
RT_INC_state     := -Iruntime/state
RT_INC_engine    := $(RT_INC_conn) -Iruntime/state -Iruntime/engine
RT_INC_cli       := $(RT_INC_engine) -Iruntime/cli
RT_INC_ALL       := $(RT_INC_cli)
# the libraries' own flags for every layer but the transform library
RT_LIBFLAGS      = $(if $(filter transform,$(1)),,$(RT_CFLAGS))
RT_SRC := $(foreach l,$(RT_LAYERS),$(wildcard runtime/$(l)/*.c))
RT_OBJ := $(RT_SRC:%.c=$(O)/%.o)
RT_HDR := $(wildcard runtime/*/*.h)
$(O)/runtime/%.o: runtime/%.c $(RT_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(call RT_LIBFLAGS,$(firstword $(subst /, ,$*))) \
		$(RT_INC_$(firstword $(subst /, ,$*))) -c -o $@ $<
# ISO 3166 (country_code(), region_code()): C tables written from Debian's
# iso-codes at build time (scripts/install-deps installs it); nothing reads
# /usr/share at run time.
ISO_DIR ?= /usr/share/iso-codes/json
$(O)/gen/iso3166.c: scripts/gen_iso.py $(ISO_DIR)/iso_3166-1.json $(ISO_DIR)/iso_3166-2.json
	@mkdir -p $(dir $@)
	python3 scripts/gen_iso.py $@ $(ISO_DIR)
$(O)/gen/iso3166.o: $(O)/gen/iso3166.c runtime/transform/iso3166.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(RT_INC_transform) -c -o $@ $<
# ISO 4217 minor units (currency_places(), money()): from CLDR's
# supplementalData.xml (Debian's unicode-cldr-core), the same way.
CLDR_XML ?= /usr/share/unicode/cldr/common/supplemental/supplementalData.xml
$(O)/gen/iso4217.c: scripts/gen_cldr.py $(CLDR_XML)
	@mkdir -p $(dir $@)
	python3 scripts/gen_cldr.py $@ $(CLDR_XML)
$(O)/gen/iso4217.o: $(O)/gen/iso4217.c runtime/transform/iso4217.h
	$(CC) $(CPPFLAGS) $(CFLAGS) $(RT_INC_transform) -c -o $@ $<
$(O)/libmwrt.a: $(RT_OBJ) $(O)/gen/iso3166.o $(O)/gen/iso4217.o
	rm -f $@; ar rcs $@ $^

# ---- generated C and the pair binaries ---------------------------------
# generated/ is committed; the suite fails when it is stale (tests/stale.sh).
generated/%.c: mappings/%.map $(SCHEMAS) $(BIN)/mapc
	$(BIN)/mapc -o $@ $<
$(O)/generated/%.o: generated/%.c runtime/include/mapwright.h | $(O)/generated
	$(CC) $(CPPFLAGS) $(CFLAGS) -Iruntime/include -c -o $@ $<
$(BIN)/%: $(O)/generated/%.o $(O)/libmwrt.a | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(RT_LIBS)

# A pair binary from any .map, with this build's flags (tests; a mapping
# tried out before it goes into mappings/):  make pair MAP=x.map OUT=dir/x
pair: $(BIN)/mapc $(O)/libmwrt.a
	@test -n "$(MAP)" -a -n "$(OUT)" || { echo "make pair MAP=FILE.map OUT=PATH"; exit 2; }
	$(BIN)/mapc -I mappings/schemas -o $(OUT).c $(MAP)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Iruntime/include -o $(OUT) $(OUT).c $(O)/libmwrt.a $(RT_LIBS) \
		$(LDFLAGS)

# ---- the API sandbox (test tooling: nothing in runtime/ knows it) ------
SB_SRC := $(wildcard sandbox/*.c)
$(O)/sandbox/%.o: sandbox/%.c sandbox/sandbox.h | $(O)/sandbox
	$(CC) $(CPPFLAGS) -D_DEFAULT_SOURCE $(CFLAGS) $(RT_CFLAGS) -c -o $@ $<
$(BIN)/sandbox: $(SB_SRC:%.c=$(O)/%.o) | $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(RT_LIBS)

# ---- tests --------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/%)
$(O)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(O)/libmwrt.a | $(O)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(RT_CFLAGS) $(RT_INC_ALL) -o $@ $< $(O)/libmwrt.a $(RT_LIBS) \
		$(LDFLAGS)
units: $(UNIT_BIN)

check: all units
	O=$(O) BIN=$(BIN) sh tests/run-suite.sh
asan:
	$(MAKE) O=build-asan BIN=build-asan/bin SAN=1 all units
	O=build-asan BIN=build-asan/bin sh tests/run-suite.sh
regen: $(BIN)/mapc
	sh tests/golden/regen.sh
$(O)/bench/jansson_pp: tests/bench/jansson_pp.c
	mkdir -p $(O)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(RT_CFLAGS) -o $@ $< $(RT_LIBS)
$(O)/bench/state_bench: tests/bench/state_bench.c $(O)/libmwrt.a
	mkdir -p $(O)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(RT_CFLAGS) -Iruntime/state -o $@ $< $(O)/libmwrt.a $(RT_LIBS) \
		$(LDFLAGS)
bench: all $(O)/bench/jansson_pp $(O)/bench/state_bench
	O=$(O) BIN=$(BIN) sh tests/bench/bench.sh
bench-rate: all
	BIN=$(BIN) sh tests/bench/rate.sh
lint:
	sh tests/lint.sh

# ---- install: mapc, the pair binaries, the man pages ---------------------
#   make install [PREFIX=/usr/local] [DESTDIR=/staging]
# Each pair's page is mapwright-pair.1 under the pair's name (a symlink).
PREFIX  ?= /usr/local
MAN1    := $(DESTDIR)$(PREFIX)/share/man/man1
install: $(BIN)/mapc $(PAIRS:%=$(BIN)/%)
	install -d $(DESTDIR)$(PREFIX)/bin $(MAN1)
	install -m 755 $(BIN)/mapc $(PAIRS:%=$(BIN)/%) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/man/mapc.1 docs/man/mapwright-pair.1 $(MAN1)/
	for p in $(PAIRS); do ln -sf mapwright-pair.1 $(MAN1)/$$p.1 || exit 1; done

$(O)/grammar $(O)/compiler $(O)/compiler/tools $(O)/generated $(O)/tests $(O)/sandbox $(BIN):
	mkdir -p $@
clean:
	rm -rf build build-asan bin
.SECONDARY:
