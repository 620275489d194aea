#!/usr/bin/env bats
# Stage s02: timers on timerfd - runAt / runAfter / runEvery through a TimerQueue (one timerfd,
# a min-heap of timers). test1 - test3 keep s01's contract.
bats_require_minimum_version 1.5.0
load helpers
time_bound 30
load timeline
load carried

# test4 takes about 18 s, test1 runs until killed, test3 takes 5 s: setup_file starts them all
# at once and waits for the longest, so the file costs one timeline, not several; the tests read
# what each printed (timeline.bash), with each line's arrival time.
setup_file() {
  timeline_init
  local S=$TOP/s02
  launch test4 "$S/test4"
  launch test1 "$S/test1"
  KILL_AT[test1]=6500
  launch test3 "$S/test3"
  launch test3_trace env REACTOR_LOG_LEVEL=TRACE "$S/test3"
  reap_all 60
}

setup() {
  S=$TOP/s02
  BIN=$TOP/tests/bin/s02
}

# --- test4: the timer timeline ------------------------------------------------------------------

@test "s02 test4: pid and tid lines, now, then msg main at once; exit status 0" {
  check_test4_start
}

@test "s02 test4: exactly 20 counted lines, then main loop exits; times in order" {
  check_test4_counted_lines
}

@test "s02 test4: each timer fires the expected number of times" {
  check_test4_counts
}

@test "s02 test4: one-shot timers fire near their due time after now" {
  check_test4_one_shots
}

@test "s02 test4: repeating timers fire every interval, restarted from each expiry" {
  check_test4_repeating
}

@test "s02 test4: the whole run takes about 18 s" {
  check_test4_total
}

# --- test1 - test3: s01's contract, unchanged ---------------------------------------------------

@test "s02 test1: both loops run until killed" {
  check_test1_killed # KILL_AT: 6.5 s
}

@test "s02 test2: loop() from a foreign thread aborts with the FATAL line" {
  check_test2_aborts s02
}

@test "s02: a second EventLoop in one thread aborts naming the first loop" {
  check_twoloops_aborts s02
}

@test "s02 test3: Timeout! after about 5 s, then the loop quits" {
  check_test3_timeout
}

@test "s02 test3 at TRACE: the TimerQueue's timerfd is registered too; one event for test3's fd" {
  # Two channels before the first poll: the TimerQueue's timerfd, then test3's own.
  check_test3_trace 2
}

@test "s02: a quit() before loop() is honoured" {
  check_quit_before_loop s02
}

# --- timer edge cases ---------------------------------------------------------------------------

@test "s02: zero and negative delays fire on the next iteration, earliest due first" {
  check_timer_delays_soon s02
}

@test "s02: huge delays (1e12 s, 1e300 s) never fire and do not overflow; the program exits 0" {
  check_timer_delays_huge s02
}

@test "s02: at TRACE each timer callback is named, as given to runAfter, when it runs" {
  check_timer_trace s02
}

@test "s02: 1000 timers due at the same instant fire in insertion order" {
  check_timer_order s02
}

@test "s02: ticks of 100 timers allocate nothing (due-timer array kept); no lock either (no functor queue until s03)" {
  check_tick_costs s02
}

@test "s02: adding a timer from a thread that does not own the loop aborts" {
  run -134 timeout 10 "$BIN/timer_from_thread"
  local re='^loop thread ([0-9]+)$'
  [[ ${lines[0]} =~ $re ]]
  local owner=${BASH_REMATCH[1]}
  re='^adding a timer from thread ([0-9]+)$'
  [[ ${lines[1]} =~ $re ]]
  local adder=${BASH_REMATCH[1]}
  [[ ${lines[2]} == *" FATAL EventLoop 0x"*" was created in thread $owner, current thread is $adder - EventLoop.c:"* ]]
  [ "${#lines[@]}" -eq 3 ]
}

@test "make diff A=s01 B=s02 shows the timer files arriving and no build output" {
  # Build first (in the suite's own configuration) so there is build output to leave out.
  make -C "$TOP" -s SAN="${REACTOR_SAN:-}" s01 s02 >/dev/null
  run -0 make -C "$TOP" -s diff A=s01 B=s02
  local f
  for f in Timer.c Timer.h TimerQueue.c TimerQueue.h TimerId.h Callbacks.h test4.c; do
    [[ $output == *"--- s01/$f	"* ]] # new: diffed against nothing
    [[ $output == *"+++ s02/$f	"* ]]
  done
  [[ $output == *"+++ s02/EventLoop.c"* ]]
  [[ $output == *"+++ s02/EventLoop.h"* ]]
  [[ $output == *"+++ s02/Makefile"* ]]
  [[ $output != *".build"* ]]
  [[ $output != *"Binary files"* ]]
  [[ $output != *"tests/bin"* ]]
  # Unchanged files are not listed.
  [[ $output != *"+++ s02/test1.c"* ]]
  [[ $output != *"+++ s02/Channel.c"* ]]
  [[ $output != *"+++ s02/Poller.c"* ]]
}
