# kimp: one non-recursive build.
#
#   make [all]       libraries, tools, tests and benches
#   make test        install missing packages, build and run the test suite
#   make check       the suite under ASan+UBSan, then the ring tests under TSan
#   make bench       operation costs, the ring and the network benches (CI=1: short form)
#   make deps        install the Debian packages the build needs (as root)
#
#   V=1              show commands
#   O=dir            build directory (default build)
#   SAN=list         -fsanitize=list (address,undefined or thread)
#   WERROR=0         warnings are not errors

SHELL  := /bin/bash
O      ?= build
V      ?= 0
SAN    ?=
WERROR ?= 1
CI     ?=

CC     ?= gcc
ifeq ($(origin CC),default)
CC      = gcc
endif

ifeq ($(V),1)
Q  =
qp = @true
else
Q  = @
qp = @printf '  %-7s %s\n'
endif

WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wold-style-definition -Wformat=2 \
	   -Wpointer-arith -Wcast-align -Wundef -Wvla -Wwrite-strings \
	   -Wimplicit-fallthrough -Wnull-dereference -Wredundant-decls \
	   -Wno-unused-parameter
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

OPT      ?= -O2
CPPFLAGS += -Iinclude -D_GNU_SOURCE
CFLAGS   += -std=gnu11 $(OPT) -g -pthread -fno-strict-aliasing $(WARNINGS)
DEPFLAGS  = -MMD -MP
LDFLAGS  +=
LDLIBS   += -pthread

ifneq ($(SAN),)
OPT       = -O1
CFLAGS   += -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SAN)
endif

all:

# ---- libshm ---------------------------------------------------------------
LIBSHM_SRCS := $(wildcard libshm/*.c)
LIBSHM      := $(O)/libshm/libshm.a
$(LIBSHM): $(LIBSHM_SRCS:%.c=$(O)/%.o)

# ---- libnet ---------------------------------------------------------------
LIBNET_SRCS := $(wildcard libnet/*.c)
LIBNET      := $(O)/libnet/libnet.a
LIBNET_LIBS := -luring -lwolfssl
$(LIBNET): $(LIBNET_SRCS:%.c=$(O)/%.o)

# ---- libvenue -------------------------------------------------------------
LIBVENUE_SRCS := $(wildcard libvenue/*.c)
LIBVENUE      := $(O)/libvenue/libvenue.a
$(LIBVENUE): $(LIBVENUE_SRCS:%.c=$(O)/%.o)

# ---- exsim, the exchange simulator ------------------------------------------
# Everything but main.c goes in an archive the tests link too.
SIM_SRCS := $(filter-out sim/main.c,$(wildcard sim/*.c))
LIBSIM   := $(O)/sim/libsim.a
$(LIBSIM): $(SIM_SRCS:%.c=$(O)/%.o)
EXSIM    := $(O)/exsim
$(EXSIM): private LDLIBS += $(LIBNET_LIBS) -lm
$(EXSIM): $(O)/sim/main.o $(LIBSIM) $(LIBVENUE) $(LIBNET) $(LIBSHM)

# ---- feedd, market data -----------------------------------------------------
# Daemons go in $(O)/bin: $(O)/feedd/ holds their objects.
# Everything but main.c goes in an archive the tests link too.
FEEDD_SRCS := $(filter-out feedd/main.c,$(wildcard feedd/*.c))
LIBFEEDD   := $(O)/feedd/libfeedd.a
$(LIBFEEDD): $(FEEDD_SRCS:%.c=$(O)/%.o)
FEEDD      := $(O)/bin/feedd
$(FEEDD): private LDLIBS += $(LIBNET_LIBS) -lm
$(FEEDD): $(O)/feedd/main.o $(LIBFEEDD) $(LIBVENUE) $(LIBNET) $(LIBSHM)

# ---- stratd (strategy) and riskd (pre-trade risk) ---------------------------
STRATD_SRCS := $(filter-out stratd/main.c,$(wildcard stratd/*.c))
LIBSTRATD   := $(O)/stratd/libstratd.a
$(LIBSTRATD): $(STRATD_SRCS:%.c=$(O)/%.o)
STRATD      := $(O)/bin/stratd
$(STRATD): private LDLIBS += -lm
$(STRATD): $(O)/stratd/main.o $(LIBSTRATD) $(LIBVENUE) $(LIBSHM)

RISKD_SRCS := $(filter-out riskd/main.c,$(wildcard riskd/*.c))
LIBRISKD   := $(O)/riskd/libriskd.a
$(LIBRISKD): $(RISKD_SRCS:%.c=$(O)/%.o)
RISKD      := $(O)/bin/riskd
$(RISKD): private LDLIBS += -lm
$(RISKD): $(O)/riskd/main.o $(LIBRISKD) $(LIBVENUE) $(LIBSHM)

# ---- orderd (order entry) -----------------------------------------------------
ORDERD_SRCS := $(filter-out orderd/main.c,$(wildcard orderd/*.c))
LIBORDERD   := $(O)/orderd/liborderd.a
$(LIBORDERD): $(ORDERD_SRCS:%.c=$(O)/%.o)
ORDERD      := $(O)/bin/orderd
$(ORDERD): private LDLIBS += $(LIBNET_LIBS) -lm -lpthread
$(ORDERD): $(O)/orderd/main.o $(LIBORDERD) $(LIBVENUE) $(LIBNET) $(LIBSHM)
# a daemon is built once its main.c exists
STRATD_BIN := $(if $(wildcard stratd/main.c),$(STRATD))
RISKD_BIN  := $(if $(wildcard riskd/main.c),$(RISKD))
ORDERD_BIN := $(if $(wildcard orderd/main.c),$(ORDERD))

# ---- tools ----------------------------------------------------------------
# The views (everything but main.c) go in an archive monitord links too.
KIMPCTL_SRCS := $(filter-out tools/kimpctl/main.c,$(wildcard tools/kimpctl/*.c))
LIBKIMPCTL   := $(O)/libkimpctl.a
$(LIBKIMPCTL): $(KIMPCTL_SRCS:%.c=$(O)/%.o)
KIMPCTL      := $(O)/kimpctl
$(KIMPCTL): private LDLIBS += $(LIBNET_LIBS) -lpthread
$(KIMPCTL): $(O)/tools/kimpctl/main.o $(LIBKIMPCTL) $(LIBORDERD) $(LIBVENUE) $(LIBNET) $(LIBSHM)

# ---- monitord: metrics, JSON API, dashboard and WebSocket ------------------
MONITORD_SRCS := $(filter-out monitord/main.c,$(wildcard monitord/*.c))
LIBMONITORD   := $(O)/monitord/libmonitord.a
$(LIBMONITORD): $(MONITORD_SRCS:%.c=$(O)/%.o)
MONITORD      := $(O)/bin/monitord
$(MONITORD): private CPPFLAGS += -Itools/kimpctl
$(O)/monitord/%.o: private CPPFLAGS += -Itools/kimpctl
$(MONITORD): private LDLIBS += $(LIBNET_LIBS) -lm -lpthread
$(MONITORD): $(O)/monitord/main.o $(LIBMONITORD) $(LIBKIMPCTL) $(LIBORDERD) $(LIBVENUE) \
	     $(LIBNET) $(LIBSHM)
MONITORD_BIN  := $(if $(wildcard monitord/main.c),$(MONITORD))

# ---- tests ----------------------------------------------------------------
TEST_SRCS := $(filter-out tests/tsan/%,$(wildcard tests/*/*.c tests/*.c))
TESTS     := $(O)/tests/kimp-tests
$(TESTS): private LDLIBS += -lcriterion -lm $(LIBNET_LIBS)
# the kimpctl, exsim and feedd tests run the programs themselves
$(TESTS): private LDLIBS += -lpthread
$(TESTS): $(TEST_SRCS:%.c=$(O)/%.o) $(LIBFEEDD) $(LIBSTRATD) $(LIBRISKD) $(LIBORDERD) $(LIBSIM) \
	  $(LIBVENUE) $(LIBNET) $(LIBSHM) | $(KIMPCTL) $(EXSIM) $(FEEDD) $(STRATD_BIN) $(RISKD_BIN) \
	  $(ORDERD_BIN) $(MONITORD_BIN)

# The same libshm tests against a Criterion stand-in, for ThreadSanitizer
# (Criterion itself aborts under TSan). Built and run by `make check`.
TSAN_TEST_SRCS := tests/tsan/runner.c $(addprefix tests/libshm/,test_ring.c \
		  test_seqlock.c test_wait.c test_metrics.c)
TSAN_TESTS     := $(O)/tests/kimp-tsan-tests
$(O)/tests/tsan/%.o $(TSAN_TESTS): private CPPFLAGS := -Itests/tsan $(CPPFLAGS)
$(O)/tests/tsan/%.o: private CFLAGS += -Wno-format-zero-length
$(TSAN_TESTS): private LDLIBS += -lm
$(TSAN_TESTS): $(TSAN_TEST_SRCS:tests/%.c=$(O)/tests/tsan/%.o) $(LIBSHM)

$(O)/tests/tsan/%.o: tests/%.c
	@mkdir -p $(@D)
	$(qp) CC $< [mini-criterion]
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

# ---- bench ----------------------------------------------------------------
BENCH_UTIL := $(patsubst %.c,$(O)/%.o,$(wildcard bench/common/*.c))

RING_BENCH_SRCS := $(wildcard bench/ring/*.c)
RING_BENCH      := $(O)/bench/ring_bench
$(RING_BENCH): private LDLIBS += -lck
$(RING_BENCH): $(RING_BENCH_SRCS:%.c=$(O)/%.o) $(BENCH_UTIL) $(LIBSHM)

OPS_BENCH_SRCS := $(wildcard bench/ops/*.c)
OPS_BENCH      := $(O)/bench/ops_bench
$(OPS_BENCH): $(OPS_BENCH_SRCS:%.c=$(O)/%.o) $(LIBSHM)

NET_BENCH_SRCS := $(wildcard bench/net/*.c)
NET_BENCH      := $(O)/bench/net_bench
$(NET_BENCH): private LDLIBS += $(LIBNET_LIBS)
$(NET_BENCH): $(NET_BENCH_SRCS:%.c=$(O)/%.o) $(BENCH_UTIL) $(LIBNET)

# its own binary, so libwebsockets' OpenSSL and libnet's wolfSSL never meet
NET_LWS_SRCS := $(wildcard bench/net/lws/*.c)
NET_LWS      := $(O)/bench/net_bench_lws
$(NET_LWS): private LDLIBS += -lwebsockets -lssl -lcrypto
$(NET_LWS): $(NET_LWS_SRCS:%.c=$(O)/%.o)

SIM_BENCH_SRCS := $(wildcard bench/sim/*.c)
SIM_BENCH      := $(O)/bench/sim_bench
$(SIM_BENCH): private LDLIBS += $(LIBNET_LIBS) -lm
$(SIM_BENCH): $(SIM_BENCH_SRCS:%.c=$(O)/%.o) $(BENCH_UTIL) $(LIBNET) $(LIBSHM)

# ---- feed bench: feedd's ingest rate and latency, fed by exsim over TLS -----
FEED_BENCH_SRCS := $(wildcard bench/feed/*.c)
FEED_BENCH      := $(O)/bench/feed_bench
$(FEED_BENCH): $(FEED_BENCH_SRCS:%.c=$(O)/%.o) $(BENCH_UTIL) $(LIBSHM)
	@mkdir -p $(@D)
	$(qp) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) -lm $(LDLIBS)
all: $(if $(FEED_BENCH_SRCS),$(FEED_BENCH))
bench: $(if $(FEED_BENCH_SRCS),$(FEED_BENCH) $(EXSIM) $(FEEDD))
# ---- end of the feed bench --------------------------------------------------

# ---- strat bench: stratd's event-to-intent and riskd's intent-to-order ------
STRAT_BENCH_SRCS := $(wildcard bench/strat/*.c)
STRAT_BENCH      := $(O)/bench/strat_bench
$(STRAT_BENCH): $(STRAT_BENCH_SRCS:%.c=$(O)/%.o) $(BENCH_UTIL) $(LIBSTRATD) $(LIBRISKD) \
		$(LIBVENUE) $(LIBSHM)
	@mkdir -p $(@D)
	$(qp) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) -lm $(LDLIBS)
all: $(if $(STRAT_BENCH_SRCS),$(STRAT_BENCH))
bench: $(if $(STRAT_BENCH_SRCS),$(STRAT_BENCH))
# ---- end of the strat bench -------------------------------------------------

# ---- order bench: orderd's per-order cost in process, and against exsim ----
ORDER_BENCH_SRCS := $(wildcard bench/order/*.c)
ORDER_BENCH      := $(O)/bench/order_bench
$(ORDER_BENCH): private LDLIBS += $(LIBNET_LIBS)
$(ORDER_BENCH): $(ORDER_BENCH_SRCS:%.c=$(O)/%.o) $(BENCH_UTIL) $(LIBORDERD) $(LIBVENUE) \
		$(LIBNET) $(LIBSHM)
	@mkdir -p $(@D)
	$(qp) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) -lm $(LDLIBS)
all: $(if $(ORDER_BENCH_SRCS),$(ORDER_BENCH))
bench: $(if $(ORDER_BENCH_SRCS),$(ORDER_BENCH) $(EXSIM) $(ORDERD_BIN))
# ---- end of the order bench -------------------------------------------------

# ---- decode bench: libvenue's decoders against cJSON and simdjson ----------
# A C driver and one C++ file (simdjson's DOM API), linked with g++.
DECODE_BENCH_SRCS := $(wildcard bench/decode/*.c)
DECODE_BENCH_CXX  := $(wildcard bench/decode/*.cpp)
DECODE_BENCH      := $(O)/bench/decode_bench
DECODE_CXXFLAGS   := -std=c++17 -O2 -g -Wall -Wextra -Wshadow $(if $(filter 1,$(WERROR)),-Werror) \
		     $(if $(SAN),-fsanitize=$(SAN) -fno-omit-frame-pointer)
$(O)/bench/decode/%.o: bench/decode/%.cpp
	@mkdir -p $(@D)
	$(qp) CXX $<
	$(Q)g++ $(CPPFLAGS) $(DECODE_CXXFLAGS) $(DEPFLAGS) -c -o $@ $<
$(DECODE_BENCH): $(DECODE_BENCH_SRCS:%.c=$(O)/%.o) $(DECODE_BENCH_CXX:%.cpp=$(O)/%.o) \
		 $(BENCH_UTIL) $(LIBVENUE)
	@mkdir -p $(@D)
	$(qp) LD $@
	$(Q)g++ $(LDFLAGS) -pthread -o $@ $(filter %.o %.a,$^) -lcjson -lsimdjson -lm $(LDLIBS)
all: $(if $(DECODE_BENCH_SRCS),$(DECODE_BENCH))
bench: $(if $(DECODE_BENCH_SRCS),$(DECODE_BENCH))
# the decode bench alone (CI=1: its short form)
decode-bench: $(DECODE_BENCH)
	$(Q)mkdir -p bench/results
	$(Q)bench/decode/run $(DECODE_BENCH) $(if $(CI),--ci)
.PHONY: decode-bench
# ---- end of the decode bench ------------------------------------------------

# ---- icount bench: callgrind instruction counts per stage, gated ------------
# build/<O>/bench/icount_bench STAGE runs one stage of the hot path through
# icount_stage_run; bench/icount/run counts it under callgrind and gates the
# counts against bench/baseline.json (CI=1: --ci, fails on a regression).
# The premium and risk stages reuse the strat bench's world (bench/strat).
# The tests run the driver natively, so the test binary wants it built.
ICOUNT_BENCH_SRCS := $(wildcard bench/icount/*.c)
ICOUNT_BENCH      := $(O)/bench/icount_bench
ICOUNT_STRAT_OBJS := $(addprefix $(O)/bench/strat/,world.o strat.o risk.o)
$(ICOUNT_BENCH): $(ICOUNT_BENCH_SRCS:%.c=$(O)/%.o) $(ICOUNT_STRAT_OBJS) $(BENCH_UTIL) \
		 $(LIBFEEDD) $(LIBSTRATD) $(LIBRISKD) $(LIBORDERD) $(LIBVENUE) $(LIBNET) $(LIBSHM)
	@mkdir -p $(@D)
	$(qp) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) -lm $(LIBNET_LIBS) $(LDLIBS)
all: $(if $(ICOUNT_BENCH_SRCS),$(ICOUNT_BENCH))
bench: $(if $(ICOUNT_BENCH_SRCS),$(ICOUNT_BENCH))
$(TESTS): | $(if $(ICOUNT_BENCH_SRCS),$(ICOUNT_BENCH))
# ---- end of the icount bench ------------------------------------------------

# ---- e2e bench: exsim and the whole engine under deploy/kimp ----------------
# bench/e2e/run BUILD_DIR: tick-to-order, wire-to-wire (exsim's trace) and the
# per-stage breakdown, beside the Python reference (CI=1: --ci, about 45 s).
# Results in bench/results/e2e-*.json and e2e-latest.svg.
E2E_BENCH := $(wildcard bench/e2e/run)
bench: $(if $(E2E_BENCH),$(EXSIM) $(KIMPCTL) $(FEEDD) $(STRATD_BIN) $(RISKD_BIN) $(ORDERD_BIN))
e2e-bench: $(EXSIM) $(KIMPCTL) $(FEEDD) $(STRATD_BIN) $(RISKD_BIN) $(ORDERD_BIN)
	$(Q)mkdir -p bench/results
	$(Q)bench/e2e/run $(O) $(if $(CI),--ci)
.PHONY: e2e-bench
# ---- end of the e2e bench ---------------------------------------------------

BINS := $(KIMPCTL) $(EXSIM) $(FEEDD) $(STRATD_BIN) $(RISKD_BIN) $(ORDERD_BIN) $(MONITORD_BIN) $(TESTS) $(RING_BENCH) $(OPS_BENCH) $(NET_BENCH) $(NET_LWS) $(TSAN_TESTS) \
	$(if $(SIM_BENCH_SRCS),$(SIM_BENCH))
all: $(LIBSHM) $(LIBNET) $(LIBVENUE) $(LIBSIM) $(LIBFEEDD) $(LIBSTRATD) $(LIBRISKD) $(LIBORDERD) \
	$(LIBKIMPCTL) $(BINS)

# ---- rules ----------------------------------------------------------------
$(O)/%.o: %.c
	@mkdir -p $(@D)
	$(qp) CC $<
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(O)/%.a:
	@mkdir -p $(@D)
	$(qp) AR $@
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BINS):
	@mkdir -p $(@D)
	$(qp) LD $@
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# libnet/ may be empty while it is being written: an empty archive is fine
$(LIBNET): | $(O)/libnet/.dir
$(O)/libnet/.dir:
	@mkdir -p $(@D) && touch $@
$(LIBFEEDD): | $(O)/feedd/.dir
$(O)/feedd/.dir:
	@mkdir -p $(@D) && touch $@
$(LIBSTRATD): | $(O)/stratd/.dir
$(O)/stratd/.dir:
	@mkdir -p $(@D) && touch $@
$(LIBRISKD): | $(O)/riskd/.dir
$(O)/riskd/.dir:
	@mkdir -p $(@D) && touch $@
$(LIBORDERD): | $(O)/orderd/.dir
$(O)/orderd/.dir:
	@mkdir -p $(@D) && touch $@
$(LIBMONITORD): | $(O)/monitord/.dir
$(O)/monitord/.dir:
	@mkdir -p $(@D) && touch $@

# ---- fuzz ---------------------------------------------------------------------
# libFuzzer targets (tests/fuzz/targets/*.c, one binary each) built with clang
# from the same sources as the libraries, under ASan+UBSan, into $(O)/fuzz
# (objects in $(O)/fuzz/obj: the gcc build is left alone). `make fuzz` seeds a
# corpus under $(O)/fuzz/corpus (the venue captures, deploy/*.conf,
# sim/scenarios/*.scn) and runs each target FUZZ_TIME seconds (CI=1: about
# 120 s over all of them), printing execs and coverage; a crash fails it and
# its input stays in $(O)/fuzz/crashes.
FUZZ_CC       ?= clang
FUZZ_TIME     ?=
FUZZ_JOBS     ?= 2
FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# clang's -Wcast-align warns on x86 too (gcc's only where it matters)
FUZZ_CFLAGS   := -std=gnu11 -O1 -g -pthread -fno-strict-aliasing \
		 $(filter-out -Werror,$(WARNINGS)) -Wno-cast-align $(FUZZ_SANFLAGS)
FUZZ_LIB      := $(O)/fuzz/libkimpfuzz.a
FUZZ_TGT_SRCS := $(wildcard tests/fuzz/targets/*.c)
FUZZ_TGTS     := $(FUZZ_TGT_SRCS:tests/fuzz/targets/%.c=$(O)/fuzz/%)
$(O)/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	$(qp) CLANG $<
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(DEPFLAGS) \
		-c -o $@ $<
# the targets themselves: warnings are errors
$(O)/fuzz/obj/tests/fuzz/%.o: private FUZZ_CFLAGS += $(if $(filter 1,$(WERROR)),-Werror)
$(FUZZ_LIB): $(patsubst %.c,$(O)/fuzz/obj/%.o,$(LIBSHM_SRCS) $(LIBNET_SRCS) $(LIBVENUE_SRCS))
$(FUZZ_TGTS): $(O)/fuzz/%: $(O)/fuzz/obj/tests/fuzz/targets/%.o $(FUZZ_LIB)
	$(qp) LD $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBNET_LIBS) -lm -pthread
fuzz-build: $(FUZZ_TGTS)
# the build is part of the CI budget: timed from here, in parallel
fuzz:
	$(Q)t0=$$(date +%s.%N); \
	$(MAKE) --no-print-directory -j$(FUZZ_JOBS) fuzz-build && \
	tests/fuzz/run $(O) --t0 $$t0 $(if $(CI),--ci) $(if $(FUZZ_TIME),--time $(FUZZ_TIME))
.PHONY: fuzz fuzz-build
# ---- end of fuzz --------------------------------------------------------------

# ---- chaos --------------------------------------------------------------------
# make chaos [CI=1]: tests/chaos/run. The whole engine under deploy/kimp
# against exsim: a run with daemons SIGKILLed at random (seeded, the seed
# printed), then a run with exsim's feed faults on Upbit and Binance, then
# the same faults with the engine on all six venues, each checked against
# exsim's ledger (PASS/FAIL per check, exit 1 on a FAIL). CI=1: the bounded
# form (12 kills; the three runs within 150 s). CHAOS_ARGS: more options
# (--seed N, --only kill|faults|six, --kills N). Results:
# bench/results/chaos-latest.json.
CHAOS_ARGS ?=
chaos: $(KIMPCTL) $(EXSIM) $(FEEDD) $(STRATD_BIN) $(RISKD_BIN) $(ORDERD_BIN)
	$(Q)mkdir -p bench/results
	$(Q)tests/chaos/run $(O) $(if $(CI),--ci) $(CHAOS_ARGS)
.PHONY: chaos
# ---- end of chaos -------------------------------------------------------------

# ---- actions --------------------------------------------------------------
# Criterion runs each test in its own process; one job at a time, because
# the cross-process tests want both cores.
TEST_ARGS ?=
TEST_JOBS ?= 1

deps:
	$(Q)tools/install-deps

test: deps
	$(Q)$(MAKE) --no-print-directory test-run

test-run: $(TESTS) $(KIMPCTL)
	$(Q)KIMPCTL=$(KIMPCTL) EXSIM=$(EXSIM) FEEDD=$(FEEDD) STRATD=$(STRATD) RISKD=$(RISKD) \
		ORDERD=$(ORDERD) MONITORD=$(MONITORD) $(TESTS) --jobs=$(TEST_JOBS) $(TEST_ARGS)

# Everything under ASan+UBSan; then the rings, seqlock, wait and histogram
# tests under TSan, scaled down (TSan is ~10x slower).
TSAN_SUITES = ring ring_threads seqlock wait hist
# Criterion does not fail a test whose process LeakSanitizer reported on, so
# any sanitizer report in the output fails the run here.
SAN_REPORT = ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer
check: deps
	$(Q)set -o pipefail; $(MAKE) --no-print-directory O=$(O)/asan SAN=address,undefined \
		test-run 2>&1 | tee $(O)/check-asan.log
	$(Q)! grep -E -m5 '$(SAN_REPORT)' $(O)/check-asan.log || \
		{ echo "check: sanitizer reports above (full log: $(O)/check-asan.log)"; exit 1; }
	$(Q)$(MAKE) --no-print-directory O=$(O)/tsan SAN=thread tsan-run

tsan-run: $(TSAN_TESTS)
	$(Q)KIMP_TEST_SCALE=8 TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
		$(TSAN_TESTS) $(TSAN_SUITES)

bench: deps $(RING_BENCH) $(OPS_BENCH) $(NET_BENCH) $(NET_LWS) $(EXSIM) \
	$(if $(SIM_BENCH_SRCS),$(SIM_BENCH))
	$(Q)mkdir -p bench/results
	$(Q)$(OPS_BENCH) $(if $(CI),--ci) --json bench/results/ops-latest.json
	$(Q)bench/run-ring $(RING_BENCH) $(if $(CI),--ci)
	$(Q)bench/net/run $(NET_BENCH) $(if $(CI),--ci)
	$(Q)$(if $(SIM_BENCH_SRCS),bench/sim/run $(SIM_BENCH) $(EXSIM) $(if $(CI),--ci))
	$(Q)$(if $(DECODE_BENCH_SRCS),bench/decode/run $(DECODE_BENCH) $(if $(CI),--ci))
	$(Q)$(if $(FEED_BENCH_SRCS),bench/feed/run $(FEED_BENCH) $(EXSIM) $(FEEDD) $(if $(CI),--ci))
	$(Q)$(if $(STRAT_BENCH_SRCS),bench/strat/run $(STRAT_BENCH) $(if $(CI),--ci))
	$(Q)$(if $(ORDER_BENCH_SRCS),bench/order/run $(ORDER_BENCH) $(EXSIM) $(ORDERD) $(if $(CI),--ci))
	$(Q)$(if $(E2E_BENCH),bench/e2e/run $(O) $(if $(CI),--ci))
	$(Q)$(if $(ICOUNT_BENCH_SRCS),bench/icount/run $(O) $(if $(CI),--ci))

clean:
	$(qp) CLEAN $(O)
	$(Q)rm -rf $(O)

.PHONY: all deps test test-run check tsan-run bench clean
.DELETE_ON_ERROR:
include deploy/run.mk
