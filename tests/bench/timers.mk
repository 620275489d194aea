# The timer benchmark: tests/bench/timer_bench.c built against a stage's library (the
# TimerQueue and runInLoop under test) and common/, always plain -O2, warnings are errors.
# Two builds: against s11, whose TimerQueue every program of the last stage uses, and against
# s03, the first stage with timers from any thread (no cancel), as a second row.
#
#   make -f tests/bench/timers.mk                  builds tests/bin/bench/timer_bench_s11 and _s03
#   make -f tests/bench/timers.mk timer_bench_run  builds them and runs both (default sizes)
#   tests/bin/bench/timer_bench_s11 [timers [functors]]
#
# Output goes under tests/bin/ (ignored by git), never beside the sources.

TIMERS_MK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
TIMERS_TOP := $(TIMERS_MK_DIR)/../..
TIMERS_COMMON := $(TIMERS_TOP)/common
TIMERS_STAGES := s11 s03
TIMER_BENCHES := $(foreach s,$(TIMERS_STAGES),$(TIMERS_TOP)/tests/bin/bench/timer_bench_$(s))

TIMERS_CC ?= $(or $(CC),cc)
TIMERS_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wformat=2 -Werror -pthread

.PHONY: timer_bench timer_bench_run
timer_bench: $(TIMER_BENCHES)

timer_bench_run: $(TIMER_BENCHES)
	for b in $(TIMER_BENCHES); do $$b || exit 1; done

# timer_bench_rule STAGE: every library source of the stage (not its programs: test*.c and the
# two pingpong programs) and every common source.
define timer_bench_rule
$(TIMERS_TOP)/tests/bin/bench/timer_bench_$(1): $(TIMERS_MK_DIR)/timer_bench.c $(TIMERS_MK_DIR)/timer_rounds.h \
		$(filter-out $(TIMERS_TOP)/$(1)/test%.c $(TIMERS_TOP)/$(1)/pingpong_%.c,$(wildcard $(TIMERS_TOP)/$(1)/*.c)) \
		$(wildcard $(TIMERS_COMMON)/*.c $(TIMERS_TOP)/$(1)/*.h $(TIMERS_COMMON)/*.h) \
		$(lastword $(MAKEFILE_LIST))
	@mkdir -p $$(dir $$@)
	$(TIMERS_CC) $(TIMERS_CFLAGS) -I$(TIMERS_TOP)/$(1) -I$(TIMERS_COMMON) -DTIMER_BENCH_STAGE='"$(1)"' \
		$$(filter %.c,$$^) -o $$@
endef
$(foreach s,$(TIMERS_STAGES),$(eval $(call timer_bench_rule,$(s))))
