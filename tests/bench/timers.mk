# The timer benchmark: tests/bench/timer_bench.c built against stage s03's library (the
# TimerQueue and runInLoop under test) and common/, always plain -O2, warnings are errors.
#
#   make -f tests/bench/timers.mk            builds tests/bin/bench/timer_bench
#   make -f tests/bench/timers.mk timer_bench_run    builds it and runs it (default sizes)
#   tests/bin/bench/timer_bench [timers [functors]]
#
# Output goes under tests/bin/ (ignored by git), never beside the sources.

TIMERS_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TIMERS_TOP := $(TIMERS_MK_DIR)/../..
TIMERS_STAGE := $(TIMERS_TOP)/s03
TIMERS_COMMON := $(TIMERS_TOP)/common
TIMER_BENCH := $(TIMERS_TOP)/tests/bin/bench/timer_bench

# Every library source of the stage (not its test programs) and every common source.
TIMERS_SRCS := $(TIMERS_MK_DIR)/timer_bench.c \
	$(filter-out $(TIMERS_STAGE)/test%.c,$(wildcard $(TIMERS_STAGE)/*.c)) \
	$(wildcard $(TIMERS_COMMON)/*.c)
TIMERS_HDRS := $(wildcard $(TIMERS_STAGE)/*.h $(TIMERS_COMMON)/*.h)

TIMERS_CC ?= $(or $(CC),cc)
TIMERS_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wformat=2 -Werror -pthread \
	-I$(TIMERS_STAGE) -I$(TIMERS_COMMON)

.PHONY: timer_bench timer_bench_run
timer_bench: $(TIMER_BENCH)

timer_bench_run: $(TIMER_BENCH)
	$(TIMER_BENCH)

$(TIMER_BENCH): $(TIMERS_SRCS) $(TIMERS_HDRS) $(lastword $(MAKEFILE_LIST))
	@mkdir -p $(dir $@)
	$(TIMERS_CC) $(TIMERS_CFLAGS) $(TIMERS_SRCS) -o $@
