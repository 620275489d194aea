# Build rules shared by every stage. A stage Makefile sets PROGRAMS (test programs built from
# <name>.c) and LIB_SRCS (the library at that stage), and then includes this file. The check
# programs from ../tests/c/<name>.c that apply to the stage are listed in ../tests/checks.mk
# (CHECKS_<stage>) and built into ../tests/bin/<stage>/.
#
#   make                 plain build: -O2 -g, warnings are errors, asserts on
#   make SAN=address     AddressSanitizer + UndefinedBehaviorSanitizer
#   make SAN=thread      ThreadSanitizer
#   make OPT=-O0         any optimisation level
#
# Objects go to .build/<config>/ so a plain and a sanitizer build never share objects, and
# .build/flags records the flags of the last link: when they change, every program is linked
# again, so switching configurations never leaves a stale binary behind.

COMMON_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
COMMON_DIR := $(COMMON_DIR:%/=%)
COMMON_SRCS := \
	$(COMMON_DIR)/CurrentThread.c \
	$(COMMON_DIR)/Logging.c \
	$(COMMON_DIR)/Mutex.c \
	$(COMMON_DIR)/Settings.c \
	$(COMMON_DIR)/Thread.c \
	$(COMMON_DIR)/Timestamp.c

CC ?= cc
OPT ?= -O2
SAN ?=
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wformat=2 -Werror
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARNINGS) -I. -I$(COMMON_DIR) -pthread

ifeq ($(SAN),)
  SAN_FLAGS :=
  CONFIG := plain
else ifeq ($(SAN),address)
  SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
  CONFIG := address
else ifeq ($(SAN),thread)
  SAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
  CONFIG := thread
else
  $(error SAN=$(SAN) is not supported: use SAN=address (ASan+UBSan) or SAN=thread (TSan))
endif

ALL_CFLAGS := $(CFLAGS_BASE) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS := -pthread $(SAN_FLAGS) $(LDFLAGS)
BUILD := .build/$(CONFIG)
STAGE := $(notdir $(CURDIR))
include $(COMMON_DIR)/../tests/checks.mk
CHECKS := $(CHECKS_$(STAGE))
CHECK_DIR := ../tests/bin/$(STAGE)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(COMMON_SRCS:$(COMMON_DIR)/%.c=$(BUILD)/common/%.o)
CHECK_BINS := $(CHECKS:%=$(CHECK_DIR)/%)

.PHONY: all clean
.SECONDARY:
all: $(PROGRAMS) $(CHECK_BINS)
	@: # nothing to say when everything is up to date

# Rewrite .build/flags only when the flags differ, so its timestamp marks the last change.
FLAGS_LINE := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
$(shell mkdir -p .build; \
  if [ "$$(cat .build/flags 2>/dev/null)" != '$(FLAGS_LINE)' ]; then \
    echo '$(FLAGS_LINE)' > .build/flags; fi)

# Output: one short line per file ("CC s11/TcpServer.c", "LD s11/test8"); make V=1 shows the
# whole commands; make -s shows nothing but warnings and errors.
V ?= 0
ifeq ($(V),1)
  Q :=
  say := @:
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
  Q := @
  say := @:
else
  Q := @
  say := @echo
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) "  CC  $(STAGE)/$<"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/common/%.o: $(COMMON_DIR)/%.c
	@mkdir -p $(dir $@)
	$(say) "  CC  $(STAGE): common/$(notdir $<)"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/checks/%.o: ../tests/c/%.c
	@mkdir -p $(dir $@)
	$(say) "  CC  $(STAGE): tests/c/$(notdir $<)"
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(PROGRAMS): %: $(BUILD)/%.o $(LIB_OBJS) .build/flags
	$(say) "  LD  $(STAGE)/$@"
	$(Q)$(CC) $(filter %.o,$^) $(ALL_LDFLAGS) -o $@

$(CHECK_DIR)/%: $(BUILD)/checks/%.o $(LIB_OBJS) .build/flags
	@mkdir -p $(dir $@)
	$(say) "  LD  tests/bin/$(STAGE)/$(notdir $@)"
	$(Q)$(CC) $(filter %.o,$^) $(ALL_LDFLAGS) -o $@

# tick_costs counts every allocation and lock: calls to malloc, calloc, realloc and
# pthread_mutex_lock from any of its objects go to its __wrap_ functions, which call the real ones.
$(CHECK_DIR)/tick_costs: ALL_LDFLAGS += \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=pthread_mutex_lock

clean:
	rm -rf .build $(PROGRAMS) $(CHECK_DIR)

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d)
