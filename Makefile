# ptc — build, test, benchmark, install.
#
#   make                 build/libptc.a, build/libptc.so and build/ptc (native)
#   make test            install missing Debian packages, build, run every ISA's tests
#   make test-sanitize   the native tests under AddressSanitizer + UBSan
#   make fuzz            libFuzzer targets of every parser, FUZZ_SECONDS (60) each
#   make bench           the main job: default sweep -> results/ tables, plots/
#   make bench-kernels   sgemm (NN, NT) and attention GFLOP/s per ISA (OpenBLAS, oneDNN as peers)
#   make bench-layouts   sgemm NN/NT/TN at BERT shapes beside OpenBLAS and oneDNN;
#                        attention vs attention_importance (THREADS=1 by default)
#   make bench-peers     PyTorch's encoder at ptc's shapes -> ptc.row/1 rows in results/
#   make ARCH=aarch64    cross-build everything for aarch64 into build/aarch64/
#   make install PREFIX=/usr/local DESTDIR=   libraries, headers, ptc.pc, both programs,
#                        the man page ptc(1) and bash completion (generated from `--help`)
#   make deps            install the Debian packages the project needs
#
# ISA flags are set per source folder below (kernels/avx2/, kernels/avx512/);
# nothing is built with -march, -ffast-math or -Ofast.

.DEFAULT_GOAL := all
HOST_ARCH := $(shell uname -m)
ARCH ?= $(HOST_ARCH)

ifeq ($(ARCH),$(HOST_ARCH))
  BUILD ?= build
  CC := $(if $(filter default,$(origin CC)),gcc,$(CC))
  CXX := $(if $(filter default,$(origin CXX)),g++,$(CXX))
else ifeq ($(ARCH),aarch64)
  BUILD ?= build/aarch64
  CC := aarch64-linux-gnu-gcc
  CXX := aarch64-linux-gnu-g++
else
  $(error ARCH=$(ARCH): supported are x86_64 and aarch64)
endif

# Optional parts: hwloc and Google Benchmark are not available for cross builds.
ifeq ($(ARCH),$(HOST_ARCH))
  WITH_HWLOC ?= 1
  WITH_BENCHMARK ?= 1
else
  WITH_HWLOC ?= 0
  WITH_BENCHMARK ?= 0
endif

# the version of the library and the programs (ptc --version adds the git commit)
VERSION := 0.1.0
SOVERSION := 0

OPT ?= -O2
CPPFLAGS += -Iinclude -MMD -MP -DPTC_WITH_HWLOC=$(WITH_HWLOC) -DPTC_WITH_BENCHMARK=$(WITH_BENCHMARK)
CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -fopenmp -pthread
CXXFLAGS ?= $(OPT) -g
CXXFLAGS += -std=c++17 -Wall -Wextra -Wno-unused-parameter -pthread
LDLIBS += -lsleef -ljansson -lutf8proc -lm -fopenmp -pthread

# ---- per-folder ISA flags ----------------------------------------------------
REF_FLAGS    := -ffp-contract=off -fno-tree-vectorize
AVX2_FLAGS   := -mavx2 -mfma
AVX512_FLAGS := -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma
NEON_FLAGS   :=

$(BUILD)/obj/kernels/ref/%.o:    ISA_FLAGS := $(REF_FLAGS)
$(BUILD)/obj/kernels/avx2/%.o:   ISA_FLAGS := $(AVX2_FLAGS)
$(BUILD)/obj/kernels/avx512/%.o: ISA_FLAGS := $(AVX512_FLAGS)
$(BUILD)/obj/kernels/neon/%.o:   ISA_FLAGS := $(NEON_FLAGS)

# ---- sources -------------------------------------------------------------------
KERNEL_SRC := $(wildcard kernels/*.c) $(wildcard kernels/ref/*.c)
ifeq ($(ARCH),x86_64)
  KERNEL_SRC += $(wildcard kernels/avx2/*.c) $(wildcard kernels/avx512/*.c)
else
  KERNEL_SRC += $(wildcard kernels/neon/*.c)
endif
LIB_SRC := $(KERNEL_SRC) $(wildcard variants/*.c) $(wildcard model/*.c) $(wildcard datasets/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# the library's objects are position-independent: the same objects make libptc.a and libptc.so.
# -fno-semantic-interposition keeps GCC's inlining as without -fPIC (checked: the same
# instructions but for GOT loads and padding), so the kernels and the math are unchanged
$(LIB_OBJ): CFLAGS += -fPIC -fno-semantic-interposition
# AdamW's loop vectorizes its sqrtf only without errno (the values are the same: not -ffast-math)
$(BUILD)/obj/model/params.o: CFLAGS += -fno-math-errno
# they are rebuilt when the compiler or its flags change (lib.flags is rewritten only then)
$(BUILD)/lib.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(CPPFLAGS) $(CFLAGS)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(LIB_OBJ): $(BUILD)/lib.flags

# harness/: main.c dispatches; common/ (paths, clock, identity), bench/ (sweeps, runner,
# kernel benchmark, calibration, timing), report/ (rows, tables, plots, compare),
# learn/ (train, eval, predict, experiment), cluster/ (shards, run-folder lock, merge,
# status, Slurm job arrays). Headers are included as "bench/sweep.h".
HARNESS_DIRS := harness harness/common harness/bench harness/report harness/learn harness/cluster
# the kernel benchmark (its own program, with OpenBLAS): bench_kernels.c and bench_kernels_rows.c
BENCH_KERNELS_C := harness/bench/bench_kernels.c harness/bench/bench_kernels_rows.c
HARNESS_C := $(filter-out $(BENCH_KERNELS_C),$(foreach d,$(HARNESS_DIRS),$(wildcard $(d)/*.c)))
HARNESS_CXX := $(foreach d,$(HARNESS_DIRS),$(wildcard $(d)/*.cc))
ifeq ($(WITH_BENCHMARK),0)
  HARNESS_CXX :=
endif
HARNESS_OBJ := $(HARNESS_C:%.c=$(BUILD)/obj/%.o) $(HARNESS_CXX:%.cc=$(BUILD)/obj/%.o)

TEST_SRC := $(wildcard tests/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
$(BUILD)/obj/tests/harness/%.o: CPPFLAGS += -Iharness
# harness tests link the harness (without the program mains) and the test runner
HARNESS_TEST_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/harness/*.c)) $(BUILD)/obj/tests/ptc_test.o
HARNESS_LIB_OBJ := $(filter-out $(BUILD)/obj/harness/main.o,$(HARNESS_OBJ))

PTC_LDLIBS := $(LDLIBS)
ifeq ($(WITH_HWLOC),1)
  PTC_LDLIBS += -lhwloc
endif
ifeq ($(WITH_BENCHMARK),1)
  PTC_LDLIBS += -lbenchmark -lstdc++
endif

LIB := $(BUILD)/libptc.a
SHLIB_NAME := libptc.so.$(VERSION)
SONAME := libptc.so.$(SOVERSION)
SHLIB := $(BUILD)/$(SHLIB_NAME)
PTC := $(BUILD)/ptc
TESTS := $(BUILD)/ptc_tests
HARNESS_TESTS := $(BUILD)/ptc_harness_tests

.PHONY: FORCE all docs deps test test-native test-sanitize fuzz fuzz-build bench bench-kernels bench-layouts bench-peers install uninstall clean
all: $(LIB) $(SHLIB) $(PTC)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(ISA_FLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# libptc.so.VERSION with soname libptc.so.SOVERSION, and the two links to it in $(BUILD)/
$(SHLIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined $(LDFLAGS) -o $@ $^ $(LDLIBS)
	ln -sf $(SHLIB_NAME) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libptc.so

# `ptc --version`: the version and the commit the program was built from (rewritten only
# when they change, so an unchanged tree rebuilds nothing)
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define PTC_VERSION "%s"\n#define PTC_COMMIT "%s"\n' '$(VERSION)' \
	    "$$(git describe --always --dirty --abbrev=12 --exclude '*' 2>/dev/null || echo unknown)" > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
$(BUILD)/obj/harness/main.o: $(BUILD)/gen/version.h
$(BUILD)/obj/harness/main.o: CPPFLAGS += -I$(BUILD)/gen

$(PTC): $(HARNESS_OBJ) $(LIB)
	$(CXX) $(LDFLAGS) -o $@ $(HARNESS_OBJ) $(LIB) $(PTC_LDLIBS)

$(TESTS): $(TEST_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(LDLIBS)

$(HARNESS_TESTS): $(HARNESS_TEST_OBJ) $(HARNESS_LIB_OBJ) $(LIB)
	$(CXX) $(LDFLAGS) -o $@ $^ $(PTC_LDLIBS)

# ---- kernel benchmark: OpenBLAS and oneDNN are linked into this program only, as peers ----
BENCH_KERNELS := $(BUILD)/ptc-bench-kernels
ifeq ($(WITH_BENCHMARK),1)
$(BENCH_KERNELS): $(BENCH_KERNELS_C:%.c=$(BUILD)/obj/%.o) $(filter-out $(BUILD)/obj/harness/main.o,$(HARNESS_OBJ)) $(LIB)
	$(CXX) $(LDFLAGS) -o $@ $^ $(PTC_LDLIBS) -lopenblas -ldnnl
else
$(BENCH_KERNELS):
	$(error $(BENCH_KERNELS) needs Google Benchmark: build with WITH_BENCHMARK=1)
endif
# `ptc bench` embeds harness/bench/default.sweep as a C string
$(BUILD)/gen/default_sweep.inc: harness/bench/default.sweep
	@mkdir -p $(@D)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $< > $@
$(BUILD)/obj/harness/bench/sweep_opts.o: $(BUILD)/gen/default_sweep.inc
$(BUILD)/obj/harness/bench/sweep_opts.o: CPPFLAGS += -I$(BUILD)/gen
# the paper's published tables (harness/report/paper_tables.json) as a C string
$(BUILD)/gen/paper_tables.inc: harness/report/paper_tables.json
	@mkdir -p $(@D)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $< > $@
$(BUILD)/obj/harness/report/paper_groups.o: $(BUILD)/gen/paper_tables.inc
$(BUILD)/obj/harness/report/paper_groups.o: CPPFLAGS += -I$(BUILD)/gen
# results record how they were built
$(BUILD)/obj/harness/%.o: CPPFLAGS += -Iharness -DPTC_BUILD_FLAGS='"$(strip $(CFLAGS))"'

# ---- dependencies -------------------------------------------------------------
deps:
	@sh scripts/install-deps.sh

# ---- tests -----------------------------------------------------------------------
# `make test` runs every ISA the build contains: ref/avx2 natively, avx512 natively
# or under Bochs, neon under qemu-aarch64 (scripts/run-tests.sh says which ran how).
test: deps
	@$(MAKE) --no-print-directory $(TESTS) $(PTC) $(BENCH_KERNELS) $(HARNESS_TESTS)
	@$(MAKE) --no-print-directory ARCH=aarch64 build/aarch64/ptc_tests build/aarch64/ptc
	@bash scripts/run-tests.sh

test-native: $(TESTS) $(HARNESS_TESTS)
	$(TESTS)
	$(HARNESS_TESTS)

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
test-sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT="-O1" \
	    CFLAGS="-O1 -g $(SAN_FLAGS)" CXXFLAGS="-O1 -g $(SAN_FLAGS)" \
	    LDFLAGS="$(SAN_FLAGS)" build/sanitize/ptc_tests build/sanitize/ptc_harness_tests
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/sanitize/ptc_tests --quick
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/sanitize/ptc_harness_tests

# ---- fuzzing: libFuzzer targets (Debian clang) for every parser of untrusted input ----
# `make fuzz` builds fuzz/fuzz_*.c with ASan + UBSan into build/fuzz/ and runs each
# for FUZZ_SECONDS on its committed seeds (fuzz/corpus/<target>/; what it finds
# goes to build/fuzz/corpus/). A crash, hang, leak or failed assertion stops it.
FUZZ_TARGETS := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60
ifeq ($(FUZZING),1)
# the SIMD kernels parse nothing: built without sanitizers (much faster to compile)
$(filter $(BUILD)/obj/kernels/%,$(LIB_OBJ)): override CFLAGS := -O1 -g -fPIC
$(BUILD)/fuzz/%: fuzz/%.c fuzz/fuzz_util.h $(HARNESS_LIB_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Iharness $(CFLAGS) -fsanitize=fuzzer $< $(HARNESS_LIB_OBJ) $(LIB) $(PTC_LDLIBS) -o $@
fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)
endif
fuzz: deps
	@$(MAKE) --no-print-directory FUZZING=1 BUILD=build/fuzz CC=clang CXX=clang++ WITH_BENCHMARK=0 \
	    WITH_HWLOC=0 CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    LDFLAGS="$(FUZZ_SAN)" fuzz-build
	bash fuzz/run.sh build/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- benchmark (the main job) ---------------------------------------------------
# the default sweep (harness/bench/default.sweep), then its tables and plots
bench: deps
	@$(MAKE) --no-print-directory $(PTC)
	bash scripts/bench.sh

# sgemm per layout beside OpenBLAS and oneDNN (linked into this program only, as peers)
BENCH_LAYOUTS := $(BUILD)/ptc-bench-layouts
$(BENCH_LAYOUTS): $(BUILD)/obj/tests/perf/bench_layouts.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lopenblas -ldnnl

THREADS ?= 1
bench-layouts: deps
	@$(MAKE) --no-print-directory $(BENCH_LAYOUTS)
	$(BENCH_LAYOUTS) $(THREADS)

# PyTorch (Debian python3-torch, benchmark-only) on the bert-base encoder shapes
bench-peers: deps
	@$(MAKE) --no-print-directory $(PTC)
	/usr/bin/python3 scripts/bench_peers.py --out results --ptc $(PTC)

# sgemm and fused attention GFLOP/s per ISA and threads, OpenBLAS beside them
bench-kernels: deps
	@$(MAKE) --no-print-directory $(BENCH_KERNELS)
	$(BENCH_KERNELS) --out results

# ---- install ------------------------------------------------------------------------
# ptc.pc: `cc x.c $(pkg-config --cflags --libs ptc)` links the shared library (its own
# dependencies come with it); `pkg-config --static` adds what libptc.a needs.
# The man page and bash completion are generated from the programs' --help
# (scripts/gen-docs.sh; native builds only).
PREFIX ?= /usr/local
DESTDIR ?=
PC_FILE := $(BUILD)/ptc.pc
MAN_PAGE := $(BUILD)/ptc.1
COMPLETION := $(BUILD)/ptc.bash-completion
$(PC_FILE): FORCE
	@mkdir -p $(@D)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: ptc\nDescription: SIMD attention kernels and pruned token compression\nVersion: $(VERSION)\nLibs: -L$${libdir} -lptc\nLibs.private: -lsleef -ljansson -lutf8proc -lm -fopenmp -pthread\nCflags: -I$${includedir}\n' '$(PREFIX)' > $@

# the programs installed: ptc, and ptc-bench-kernels where the build has Google Benchmark
PROGRAMS := $(PTC) $(if $(filter 1,$(WITH_BENCHMARK)),$(BENCH_KERNELS))
$(MAN_PAGE) $(COMPLETION) &: $(PROGRAMS) scripts/gen-docs.sh
	bash scripts/gen-docs.sh $(BUILD)

docs: $(MAN_PAGE) $(COMPLETION)

install: $(LIB) $(SHLIB) $(PROGRAMS) $(PC_FILE) $(MAN_PAGE) $(COMPLETION)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/ptc $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHLIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(SHLIB_NAME) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libptc.so
	install -m 644 include/ptc/*.h $(DESTDIR)$(PREFIX)/include/ptc/
	install -m 644 $(PC_FILE) $(DESTDIR)$(PREFIX)/lib/pkgconfig/ptc.pc
	install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(MAN_PAGE) $(DESTDIR)$(PREFIX)/share/man/man1/ptc.1
	install -m 644 $(COMPLETION) $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ptc
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libptc.a $(DESTDIR)$(PREFIX)/lib/$(SHLIB_NAME) \
	    $(DESTDIR)$(PREFIX)/lib/$(SONAME) $(DESTDIR)$(PREFIX)/lib/libptc.so \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/ptc.pc $(DESTDIR)$(PREFIX)/bin/ptc \
	    $(DESTDIR)$(PREFIX)/bin/ptc-bench-kernels $(DESTDIR)$(PREFIX)/share/man/man1/ptc.1 \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/ptc
	rm -rf $(DESTDIR)$(PREFIX)/include/ptc

clean:
	rm -rf build

FORCE:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
