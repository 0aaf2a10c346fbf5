# ODIN — one build with make. `make` builds build/odinc and the libraries;
# `make test` runs every test; `make demo` runs the main job on the default model.
# SAN=1 builds everything with ASan + UBSan (in build/san).

SAN ?= 0
CC := clang-19
LLVM_CONFIG := llvm-config-19
BUILD := build
ifeq ($(SAN),1)
BUILD := build/san
# -fsanitize=function reads a signature before every indirect call; JIT code has none
SANFLAGS := -fsanitize=address,undefined -fno-sanitize=function -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
endif

ONNX_PROTO := /usr/include/onnx/onnx.proto
GEN := $(BUILD)/gen
LLVM_CFLAGS = $(shell $(LLVM_CONFIG) --cflags 2>/dev/null | sed 's/-std=[^ ]*//')
LLVM_LDFLAGS = $(shell $(LLVM_CONFIG) --ldflags 2>/dev/null) -lLLVM-19
OPT ?= -O2
# Extra compile flags, e.g. FUZZFLAGS=-fsanitize=fuzzer-no-link (tests/fuzz.sh).
FUZZFLAGS ?=
CFLAGS := -std=c11 -D_GNU_SOURCE -g $(OPT) -Wall -Wextra -Wno-unused-parameter \
          -Wno-missing-field-initializers -I. -I$(GEN) $(SANFLAGS) $(FUZZFLAGS)
LDLIBS = $(LLVM_LDFLAGS) -lprotobuf-c -lxxhash -lm -lpthread -ldl

# Library sources: every .c in the module folders (tools/odinc.c holds main()).
LIB_DIRS := ir ops frontend passes codegen runtime models tools
LIB_SRCS := $(filter-out tools/odinc.c tools/peak_probe.c,$(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(BUILD)/obj/gen/onnx.pb-c.o
# The runtime alone (linked into AOT outputs): no LLVM, no compiler.
RT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard runtime/*.c))
# runtime/npy.c and friends report errors as odin_status and name dtypes.
RT_OBJS += $(BUILD)/obj/ir/status.o $(BUILD)/obj/ir/dtype.o
# `odinc compile` builds the runtime for its target from this source tree (codegen/aot_link.c).
$(BUILD)/obj/codegen/aot_link.o: CFLAGS += -DODIN_SOURCE_DIR='"$(CURDIR)"'

TEST_SRCS := $(wildcard tests/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

.PHONY: all deps test demo fuzz conformance bench clean
# keep object files of pattern rules (tests) between runs
.SECONDARY:
all: deps $(BUILD)/odinc $(BUILD)/libodin.a $(BUILD)/libodin_rt.a

deps:
	@sh tools/deps.sh

$(GEN)/onnx.pb-c.c $(GEN)/onnx.pb-c.h: $(ONNX_PROTO)
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

$(BUILD)/obj/gen/onnx.pb-c.o: $(GEN)/onnx.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -w -c $< -o $@

# codegen/ includes LLVM headers; other folders must not.
$(BUILD)/obj/codegen/%.o: codegen/%.c $(GEN)/onnx.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LLVM_CFLAGS) -MMD -MP -c $< -o $@

# tests may exercise codegen directly
$(BUILD)/obj/tests/%.o: tests/%.c $(GEN)/onnx.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LLVM_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c $(GEN)/onnx.pb-c.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libodin.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libodin_rt.a: $(RT_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/odinc: $(BUILD)/obj/tools/odinc.o $(BUILD)/libodin.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libodin.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

test: deps $(BUILD)/odinc $(TEST_BINS)
	@BUILD=$(BUILD) SAN=$(SAN) sh tests/run_all.sh

demo: deps $(BUILD)/odinc
	@sh tools/demo.sh $(BUILD)

# Benchmark: ODIN's JIT against ONNX Runtime (npm onnxruntime-node, installed under
# $(BUILD)/bench by tools/bench.sh) on the same models; the machine's FMA and memory
# ceilings come from peak_probe. Env: BENCH_REPS, BENCH_THREADS, BENCH_MODELS, BENCH_ENGINE,
# BENCH_TARGET_MS (tools/bench.sh). Not part of `make test`.
$(BUILD)/peak_probe: tools/peak_probe.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O3 -march=native -Wall -Wextra $< -o $@ -lpthread

bench: deps $(BUILD)/odinc $(BUILD)/peak_probe
	@sh tools/bench.sh $(BUILD)

# Fuzzing: libFuzzer targets tests/fuzz_*.c, each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz: deps
	@sh tests/fuzz.sh $(FUZZ_SECONDS)

# Both engines: the reference interpreter and the JIT; both totals last.
conformance: deps $(BUILD)/odinc
	@for e in ref jit; do sh tests/conformance.sh $(BUILD) $$e | tee $(BUILD)/conformance-$$e.log; done; \
	echo; grep -h '^conformance (' $(BUILD)/conformance-ref.log $(BUILD)/conformance-jit.log

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
