# Out-of-tree builds for the reliability checks (tests/faults.bats, tests/valgrind-check,
# tests/soak): a stage's library and programs compiled into a directory of their own, so a
# plain build for valgrind never touches the stage's own binaries (which the suite may be
# building with a sanitizer at the same time).
#
#   make -f tests/reliability.mk STAGE=s11 PROGRAMS="test9 pingpong_server"
#   make -f tests/reliability.mk STAGE=s11 CHECKS="quit_cases soak_driver" OUT=/tmp/x
#
#   STAGE     the stage directory (default s11); its library is every s*/[A-Z]*.c file
#   PROGRAMS  programs of the stage to build (default: none); CHECKS: tests/c/<name>.c programs
#   SAN       empty (plain -O2 -g), address (ASan+UBSan) or thread (TSan), as common/rules.mk
#   OUT       where binaries go (default tests/bin/reliability/<config>/<stage>); objects go
#             to OUT/.obj, and a change of flags rebuilds everything there

HERE := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
TOP := $(abspath $(HERE)/..)
STAGE ?= s11
SAN ?=
PROGRAMS ?=
CHECKS ?=
CC ?= cc

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
  $(error SAN=$(SAN) is not supported: use SAN=address or SAN=thread)
endif

OUT ?= $(TOP)/tests/bin/reliability/$(CONFIG)/$(STAGE)
STAGE_DIR := $(TOP)/$(STAGE)
OBJ := $(OUT)/.obj
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wformat=2 -Werror
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O2 $(WARNINGS) -I$(STAGE_DIR) -I$(TOP)/common -pthread \
	$(SAN_FLAGS)
ALL_LDFLAGS := -pthread $(SAN_FLAGS)

LIB_SRCS := $(notdir $(wildcard $(STAGE_DIR)/[A-Z]*.c))
COMMON_SRCS := $(notdir $(wildcard $(TOP)/common/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJ)/lib/%.o) $(COMMON_SRCS:%.c=$(OBJ)/common/%.o)

.PHONY: all
.SECONDARY:
all: $(PROGRAMS:%=$(OUT)/%) $(CHECKS:%=$(OUT)/%)

# Rewrite the flags file only when the flags differ, so its timestamp marks the last change.
FLAGS_LINE := $(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)
$(shell mkdir -p $(OBJ); \
  if [ "$$(cat $(OBJ)/flags 2>/dev/null)" != '$(FLAGS_LINE)' ]; then \
    echo '$(FLAGS_LINE)' > $(OBJ)/flags; fi)

$(OBJ)/lib/%.o: $(STAGE_DIR)/%.c $(OBJ)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/common/%.o: $(TOP)/common/%.c $(OBJ)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/prog/%.o: $(STAGE_DIR)/%.c $(OBJ)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/check/%.o: $(TOP)/tests/c/%.c $(OBJ)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(PROGRAMS:%=$(OUT)/%): $(OUT)/%: $(OBJ)/prog/%.o $(LIB_OBJS)
	$(CC) $^ $(ALL_LDFLAGS) -o $@

$(CHECKS:%=$(OUT)/%): $(OUT)/%: $(OBJ)/check/%.o $(LIB_OBJS)
	$(CC) $^ $(ALL_LDFLAGS) -o $@

-include $(wildcard $(OBJ)/*/*.d)
