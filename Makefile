# Top-level Makefile: builds and tests every stage.
#
#   make                    build every stage (and the test helpers under tests/); one short line
#                           per file (make V=1: the whole commands; make -s: nothing)
#   make -C s01             build one stage
#   make SAN=address        ASan + UBSan build of everything (SAN=thread: TSan)
#   make test               build, then run the whole bats suite (tests/run)
#   make test TESTS=tests/s04.bats   only some bats files
#   make demo               the main demo (see README.md)
#   make valgrind           memcheck over the programs that end by themselves and s11's servers
#   make soak               connection churn + ping-pong against s11's servers (SOAK_SECONDS=300)
#   make fuzz               libFuzzer on Buffer and InetAddress (FUZZ_SECONDS=600 each)
#   make diff A=s00 B=s01   what stage B adds to stage A, sources only
#   make step N=11          s04 plus s11/steps' patches up to step 11, built in .steps/step11
#   make diff A=step10 B=step11   one step's story (any two of s00 ... s04, step05 ... step14, s11)
#   make mutants            mutation testing: each planted bug in tests/mutants must fail the tests
#                           that cover its code (MUTANTS='01 26' runs some); see tests/README.md
#   make bench              the speed benchmark (4-5 minutes): ping-pong against a hand-written
#                           epoll reference, 10,000 idle connections, timers on s11 and s03; also
#                           draws tests/bin/bench/bench.svg; see tests/bench/bench
#   make clean

STAGES := s00 s01 s02 s03 s04 s11
SAN ?=

ifneq ($(filter-out address thread,$(SAN)),)
  $(error SAN=$(SAN) is not supported: use SAN=address (ASan+UBSan) or SAN=thread (TSan))
endif

SOAK_SECONDS ?= 300
FUZZ_SECONDS ?= 600

.PHONY: all test demo diff step clean bench valgrind soak fuzz mutants $(STAGES)

all: $(STAGES)

$(STAGES):
	@$(MAKE) --no-print-directory -C $@ SAN=$(SAN)

test: all
	REACTOR_SAN=$(SAN) tests/run $(TESTS)

demo:
	@echo "== building every stage (quietly: make all shows a line per file, make V=1 the commands)"
	@$(MAKE) --no-print-directory -s all SAN=$(SAN)
	@tests/demo

bench:
	tests/bench/bench

valgrind:
	tests/valgrind-check

mutants:
	tests/mutants/run $(MUTANTS)

soak:
	SOAK_SECONDS=$(SOAK_SECONDS) tests/soak

fuzz:
	$(MAKE) -f tests/fuzz/fuzz.mk fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

diff:
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then \
	  echo "usage: make diff A=<stage> B=<stage>   (stages: $(STAGES); steps: step05 ... step14)"; \
	else tests/stage-diff "$(A)" "$(B)"; fi

step:
	@if [ -z "$(N)" ]; then \
	  echo "usage: make step N=<05 ... 14>   (s11's step series: tests/steps list)"; \
	else tests/steps build "$(N)" SAN=$(SAN); fi

clean:
	for s in $(STAGES); do $(MAKE) -C $$s clean; done
	rm -rf tests/bin .steps
