# libFuzzer harnesses for s11's Buffer and InetAddress (clang only: -fsanitize=fuzzer).
#
#   make -f tests/fuzz/fuzz.mk                   build both harnesses
#   make -f tests/fuzz/fuzz.mk fuzz              run each for FUZZ_SECONDS (default 600)
#   make -f tests/fuzz/fuzz.mk fuzz FUZZ_SECONDS=60      the bounded CI run
#   make -f tests/fuzz/fuzz.mk clean
#
# Binaries and the growing working corpora live under tests/bin/fuzz/ (not in git); the seeds
# in tests/fuzz/corpus/<name>/ are read, never written. A crash leaves its input in
# tests/bin/fuzz/crash-<name>-*, and `tests/bin/fuzz/fuzz_<name> <that file>` replays it.
# By hand, give a scratch directory first: libFuzzer writes new units into the first one.
# Built with ASan and UBSan (no recovery), so memory errors and undefined behaviour count as
# findings too, and the harnesses' own checks abort on any difference from the model.

FUZZ_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
TOP := $(abspath $(FUZZ_DIR)/../..)
OUT := $(TOP)/tests/bin/fuzz
CLANG ?= clang
FUZZ_SECONDS ?= 600
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
CFLAGS_FUZZ := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wformat=2 -Werror \
	-I$(TOP)/s11 -I$(TOP)/common -pthread $(FUZZ_FLAGS)

# Only what each harness needs: Buffer logs through common/Logging on out-of-memory.
LOGGING_SRCS := $(TOP)/common/Logging.c $(TOP)/common/CurrentThread.c $(TOP)/common/Timestamp.c
BUFFER_SRCS := $(FUZZ_DIR)/fuzz_buffer.c $(TOP)/s11/Buffer.c $(LOGGING_SRCS)
INETADDRESS_SRCS := $(FUZZ_DIR)/fuzz_inetaddress.c $(TOP)/s11/InetAddress.c \
	$(TOP)/s11/SocketsOps.c $(LOGGING_SRCS)
HARNESSES := buffer inetaddress

.PHONY: all fuzz clean
all: $(OUT)/fuzz_buffer $(OUT)/fuzz_inetaddress

# Buffer.c without comparison tracing: findCRLF's byte loop over 100 KiB of content would
# otherwise make three tracing calls per byte and slow the search a hundredfold; its
# coverage counters stay.
$(OUT)/Buffer.o: $(TOP)/s11/Buffer.c $(TOP)/s11/Buffer.h $(FUZZ_DIR)/fuzz.mk
	@mkdir -p $(OUT)
	$(CLANG) $(CFLAGS_FUZZ) -fno-sanitize-coverage=trace-cmp -c $< -o $@

$(OUT)/fuzz_buffer: $(filter-out %/Buffer.c,$(BUFFER_SRCS)) $(OUT)/Buffer.o $(FUZZ_DIR)/fuzz.mk
	@mkdir -p $(OUT)
	$(CLANG) $(CFLAGS_FUZZ) $(filter %.c %.o,$^) -o $@

$(OUT)/fuzz_inetaddress: $(INETADDRESS_SRCS) $(TOP)/s11/InetAddress.h $(FUZZ_DIR)/fuzz.mk
	@mkdir -p $(OUT)
	$(CLANG) $(CFLAGS_FUZZ) $(INETADDRESS_SRCS) -o $@

# Each harness runs for FUZZ_SECONDS on one core. -timeout and -rss_limit_mb turn a hang or a
# runaway allocation into a finding instead of a stuck run.
fuzz: all
	@set -e; for h in $(HARNESSES); do \
	  mkdir -p $(OUT)/corpus-$$h; \
	  echo "== fuzz_$$h for $(FUZZ_SECONDS) s"; \
	  $(OUT)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=1024 \
	    -max_len=4096 -print_final_stats=1 -artifact_prefix=$(OUT)/crash-$$h- \
	    $(OUT)/corpus-$$h $(FUZZ_DIR)/corpus/$$h 2>$(OUT)/fuzz_$$h.log \
	  || { tail -n 60 $(OUT)/fuzz_$$h.log; echo "fuzz_$$h: FAILED (input saved as $(OUT)/crash-$$h-*)"; exit 1; }; \
	  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units)' $(OUT)/fuzz_$$h.log || true; \
	  echo "fuzz_$$h: ok"; \
	done

clean:
	rm -rf $(OUT)
