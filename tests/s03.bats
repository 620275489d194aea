#!/usr/bin/env bats
# Stage s03: cross-thread work - the wakeup eventfd, runInLoop / queueInLoop, thread-safe timers,
# quit() from any thread, EventLoopThread. test1 - test4 keep their earlier contracts.
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
  local S=$TOP/s03
  launch test4 "$S/test4"
  launch test5 "$S/test5"
  launch test6 "$S/test6"
  launch test1 "$S/test1"
  KILL_AT[test1]=6500
  launch test3 "$S/test3"
  launch test3_trace env REACTOR_LOG_LEVEL=TRACE "$S/test3"
  reap_all 60
}

setup() {
  S=$TOP/s03
}

# --- test4: the timer timeline ------------------------------------------------------------------

@test "s03 test4: pid and tid lines, now, then msg main at once; exit status 0" {
  check_test4_start
}

@test "s03 test4: exactly 20 counted lines, then main loop exits; times in order" {
  check_test4_counted_lines
}

@test "s03 test4: each timer fires the expected number of times" {
  check_test4_counts
}

@test "s03 test4: one-shot timers fire near their due time after now" {
  check_test4_one_shots
}

@test "s03 test4: repeating timers fire every interval, restarted from each expiry" {
  check_test4_repeating
}

@test "s03 test4: the whole run takes about 18 s" {
  check_test4_total
}

# --- test1 - test3: s01's contract, unchanged ---------------------------------------------------

@test "s03 test1: both loops run until killed" {
  check_test1_killed # KILL_AT: 6.5 s
}

@test "s03 test2: loop() from a foreign thread aborts with the FATAL line" {
  check_test2_aborts s03
}

@test "s03: a second EventLoop in one thread aborts naming the first loop" {
  check_twoloops_aborts s03
}

@test "s03 test3: Timeout! after about 5 s, then the loop quits" {
  check_test3_timeout
}

@test "s03 test3 at TRACE: the timerfd and wakeup eventfd are registered too; one event for test3's fd" {
  # Three channels before the first poll: the TimerQueue's timerfd, the wakeup eventfd, then
  # test3's own.
  check_test3_trace 3
}

@test "s03: a quit() before loop() is honoured" {
  check_quit_before_loop s03
}

# --- timer edge cases ---------------------------------------------------------------------------

@test "s03: zero and negative delays fire on the next iteration, earliest due first" {
  check_timer_delays_soon s03
}

@test "s03: huge delays (1e12 s, 1e300 s) never fire and do not overflow; the program exits 0" {
  check_timer_delays_huge s03
}

@test "s03: at TRACE each timer callback is named, as given to runAfter, when it runs" {
  check_timer_trace s03
}

@test "s03: 1000 timers due at the same instant fire in insertion order" {
  check_timer_order s03
}

@test "s03: ticks of 100 timers allocate nothing (due-timer array kept) and take no lock (empty functor queue)" {
  check_tick_costs s03
}

# --- test5 and test6: runInLoop, queueInLoop, EventLoopThread -----------------------------------

@test "s03 test5: runInLoop runs at once, queueInLoop after the current work; flags in order" {
  check_test5_order
}

@test "s03 test5: run1 about 2 s after main, run4 about 3 s after run3" {
  check_test5_times
  ((AT[5] - AT[4] >= 0 && AT[5] - AT[4] < 300)) # main's last line straight after run4
}

@test "s03 test6: runInThread runs twice in the loop thread, the second 2 s after a 1 s sleep" {
  check_test6
  local last=$((AT[3] - AT[2]))
  ((last >= 700 && last < 1500)) # exit main() 3 s after the runAfter(2), 1 s after it fired
}

# --- cross-thread edge cases --------------------------------------------------------------------

@test "s03: 4 threads x 10000 functors (runInLoop and queueInLoop) each run once, in order per producer" {
  check_functor_storm s03
}

@test "s03: a functor queued before loop() runs on the first iteration, not after the poll timeout" {
  check_wakeup_before_loop s03
}

@test "s03: a functor queued by a running functor runs on the next iteration" {
  check_wakeup_from_functor s03
}

@test "s03: at TRACE each pending functor is named, as given to queueInLoop, when it runs" {
  check_functor_trace s03
}

@test "s03: quit() from another thread wakes the loop at once" {
  check_wakeup_quit_other s03
}

@test "s03: quit() from another thread before loop() starts is honoured" {
  check_wakeup_quit_early s03
}

@test "s03: functors queued before quit() all run before loop() returns" {
  check_wakeup_drain s03
}

@test "s03: timers can be added from any thread; they fire in the loop thread" {
  check_timer_from_thread s03
}

@test "s03: EventLoopThread x 200: threads and fds back to baseline, no destroy hangs" {
  check_loopthread_churn s03
}

@test "make diff A=s02 B=s03 shows EventLoopThread, test5 and test6 arriving and no build output" {
  # Build first (in the suite's own configuration) so there is build output to leave out.
  make -C "$TOP" -s SAN="${REACTOR_SAN:-}" s02 s03 >/dev/null
  run -0 make -C "$TOP" -s diff A=s02 B=s03
  local f
  for f in EventLoopThread.c EventLoopThread.h test5.c test6.c; do
    [[ $output == *"--- s02/$f	"* ]] # new: diffed against nothing
    [[ $output == *"+++ s03/$f	"* ]]
  done
  for f in EventLoop.c EventLoop.h TimerQueue.c TimerQueue.h Timer.h Makefile; do
    [[ $output == *"+++ s03/$f	"* ]]
  done
  [[ $output != *".build"* ]]
  [[ $output != *"Binary files"* ]]
  [[ $output != *"tests/bin"* ]]
  # Unchanged files are not listed.
  for f in test1.c test4.c Channel.c Poller.c Callbacks.h TimerId.h Timer.c; do
    [[ $output != *"+++ s03/$f"* ]]
  done
}
