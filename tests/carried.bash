# Checks of the programs carried from stage to stage (test1 - test6 and the tests/c checks
# twoloops, quit_before_loop, timer_delays, timer_order, tick_costs, timer_from_thread,
# functor_storm, wakeup_cases, loopthread_churn; tests/checks.mk says from which stage each is built). Each
# stage file keeps one short @test per check, named for its stage, that calls the function
# here; what differs between stages stays in the stage file or is a parameter. Loaded with `load carried` after `load helpers`;
# the checks on a program run in setup_file use timeline.bash (load_run, load_test4, near).
#
# STAGE is a stage directory name (s02, s03, s11, ...): the programs are $TOP/STAGE/testN and
# $TOP/tests/bin/STAGE/<helper>.

# --- test1 and test2: one loop per thread -------------------------------------------------------

# check_test1_killed: test1 (launched with KILL_AT) was still running when it was killed with
# SIGTERM; its main and thread lines name the pid, the thread's tid another one.
check_test1_killed() {
  load_run test1
  [ "$(<"$BATS_FILE_TMPDIR/test1.alive")" = yes ] # still running at KILL_AT
  [ "$STATUS" -eq 143 ]
  [ "${#OUT[@]}" -eq 2 ]
  [ "${OUT[0]}" = "main(): pid = $PID, tid = $PID" ]
  local re='^threadFunc\(\): pid = ([0-9]+), tid = ([0-9]+)$'
  [[ ${OUT[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "$PID" ]
  [ "${BASH_REMATCH[2]}" -ne "$PID" ]
}

# check_test2_aborts STAGE: test2 calls loop() from a foreign thread: SIGABRT and one FATAL line
# naming two different threads.
check_test2_aborts() {
  run -134 timeout 10 "$TOP/$1/test2"
  [ "${#lines[@]}" -eq 1 ]
  local re="^${LOG_TIME_RE}FATAL EventLoop 0x[0-9a-f]+ was created in thread ([0-9]+), current thread is ([0-9]+) - EventLoop\.c:[0-9]+\$"
  [[ ${lines[0]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -ne "${BASH_REMATCH[2]}" ]
}

# check_twoloops_aborts STAGE: a second EventLoop in one thread aborts naming the first loop.
check_twoloops_aborts() {
  run -134 timeout 10 "$TOP/tests/bin/$1/twoloops"
  [[ ${lines[1]} == *" FATAL Another EventLoop ${lines[0]#first loop } exists in this thread "* ]]
}

# check_quit_before_loop STAGE: a quit() before loop() is honoured: loop() returns at once.
check_quit_before_loop() {
  run -0 timeout 20 "$TOP/tests/bin/$1/quit_before_loop"
  local re='^loop returned after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

# --- test3: a timerfd Channel (s02 - s04; s11's test3 prints times, see s11.bats) ----------------

# check_test3_timeout: test3 printed only Timeout!, about 5 s after its start, and exited 0.
check_test3_timeout() {
  load_run test3
  [ "$STATUS" -eq 0 ]
  [ "${#OUT[@]}" -eq 1 ]
  [ "${OUT[0]}" = "Timeout!" ]
  local ms=$((AT[0] - START))
  ((ms >= 4950 && ms < 8000))
}

# check_test3_trace CHANNELS: test3 at TRACE (launched as test3_trace) registers CHANNELS
# channels before its first poll, test3's own last; that poll has one event, for test3's fd,
# then Timeout! and the loop stops.
check_test3_trace() {
  load_run test3_trace
  [ "$STATUS" -eq 0 ]
  local i poll=-1 fd="" re=' TRACE Poller_updateChannel fd = ([0-9]+) events = 3 - Poller\.c:'
  for ((i = 0; i < ${#OUT[@]}; i++)); do
    if [[ ${OUT[i]} == *" TRACE Poller_poll "* ]]; then
      poll=$i
      break
    fi
    if [[ ${OUT[i]} =~ $re ]]; then
      fd="$fd ${BASH_REMATCH[1]}"
    fi
  done
  [ "$(wc -w <<<"$fd")" -eq "$1" ]
  local test3_fd=${fd##* }
  [[ ${OUT[poll]} == *" TRACE Poller_poll 1 events happened - Poller.c:"* ]]
  [[ ${OUT[poll + 1]} == *" TRACE trace_active_channels active fd $test3_fd revents 0x1 - EventLoop.c:"* ]]
  [ "${OUT[poll + 2]}" = "Timeout!" ]
  [[ ${OUT[poll + 3]} == *" TRACE EventLoop_loop EventLoop 0x"*" stop looping - EventLoop.c:"* ]]
}

# named_runs PROGRAM_RE: from $lines, in order and each ended by ';', the TRACE lines that name a
# timer callback or a pending functor as the loop runs it ("timer 1 of 3: fired"), and the
# program's own lines matching PROGRAM_RE, cut before " after".
named_runs() {
  local line re=' TRACE (TimerQueue_handleRead|EventLoop_doPendingFunctors) running (timer|pending functor) ([0-9]+ of [0-9]+: [A-Za-z0-9_]+) - (TimerQueue|EventLoop)\.c:[0-9]+$'
  for line in "${lines[@]}"; do
    if [[ $line =~ $re ]]; then
      printf '%s %s;' "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
    elif [[ $line =~ $1 ]]; then
      printf '%s;' "${line%% after *}"
    fi
  done
}

# check_timer_trace STAGE: at TRACE each timer callback is named, by the function name given to
# runAfter, on the line before what it prints (timer_delays: three due at once, then stop).
check_timer_trace() {
  REACTOR_LOG_LEVEL=TRACE run -0 timeout 20 "$TOP/tests/bin/$1/timer_delays"
  local want="timer 1 of 3: fired;fired negative1e300;timer 2 of 3: fired;fired negative;"
  want+="timer 3 of 3: fired;fired zero;timer 1 of 1: stop;stop;"
  [ "$(named_runs '^(fired|stop) ')" = "$want" ]
}

# check_functor_trace STAGE: at TRACE each pending functor is named, by the function name given
# to queueInLoop, as it runs (wakeup_cases from_functor: queue_next, then the print_and_quit it
# queues, which prints).
check_functor_trace() {
  REACTOR_LOG_LEVEL=TRACE run -0 timeout 20 "$TOP/tests/bin/$1/wakeup_cases" from_functor
  local want="pending functor 1 of 1: queue_next;pending functor 1 of 1: print_and_quit;"
  want+="functor queued by a functor ran;"
  [ "$(named_runs '^functor ')" = "$want" ]
}

# --- test4: the timer timeline (s02 - s04; s11's has cancels, see s11-connector.bats) ------------

# check_test4_start: pid and tid line, now, then msg main at once; exit status 0.
check_test4_start() {
  load_run test4
  [ "$STATUS" -eq 0 ]
  [ "${OUT[0]}" = "pid = $PID, tid = $PID" ]
  load_test4
  [ "${NAMES[0]}" = main ]
  near $((TIMES[0] - NOW_US)) 0 "msg main"
}

# check_test4_lines NAMES_RE: on test4's loaded msg lines (load_test4), 20 counted lines whose
# names match NAMES_RE, then main loop exits at once; times in order. (s11-connector.bats too.)
check_test4_lines() {
  [ "${#NAMES[@]}" -eq 21 ]
  [ "${NAMES[20]}" = "main loop exits" ]
  local i
  for ((i = 0; i < 20; i++)); do
    [[ ${NAMES[i]} =~ $1 ]]
  done
  for ((i = 1; i < 21; i++)); do
    ((TIMES[i] >= TIMES[i - 1])) || {
      echo "line $i is earlier than line $((i - 1))" >&2
      return 1
    }
  done
  # The 20th line quits the loop: main loop exits follows at once.
  near $((TIMES[20] - TIMES[19])) 0 "main loop exits after the 20th line"
}

# check_test4_counted_lines: exactly 20 counted lines, then main loop exits; times in order.
check_test4_counted_lines() {
  load_test4
  [ "${#OUT[@]}" -eq 23 ] # pid, now, 20 counted msg lines, main loop exits
  check_test4_lines '^(main|once1|once1\.5|once2\.5|once3\.5|every2|every3)$'
}

# check_test4_counts: each timer fires the expected number of times.
check_test4_counts() {
  load_test4
  local name counts=""
  for name in main once1 once1.5 once2.5 once3.5 every2 every3 "main loop exits"; do
    counts+="$name=$(printf '%s\n' "${NAMES[@]}" | grep -cxF -- "$name") "
  done
  # Up to about 18 s: every2 at 2, 4, ..., 18 and every3 at 3, 6, ..., 18.
  [ "$counts" = "main=1 once1=1 once1.5=1 once2.5=1 once3.5=1 every2=9 every3=6 main loop exits=1 " ]
}

# check_test4_one_shots: one-shot timers fire near their due time after now.
check_test4_one_shots() {
  load_test4
  local i due n=0
  for ((i = 0; i < 21; i++)); do
    case ${NAMES[i]} in
    once1) due=1000000 ;;
    once1.5) due=1500000 ;;
    once2.5) due=2500000 ;;
    once3.5) due=3500000 ;;
    *) continue ;;
    esac
    near $((TIMES[i] - NOW_US)) "$due" "${NAMES[i]}"
    n=$((n + 1))
  done
  [ "$n" -eq 4 ] # all four were there to check
}

# check_test4_repeating: repeating timers fire every interval, restarted from each expiry.
check_test4_repeating() {
  load_test4
  local i k name interval prev
  for name in every2 every3; do
    interval=$((${name#every} * 1000000))
    k=0
    for ((i = 0; i < 21; i++)); do
      [ "${NAMES[i]}" = "$name" ] || continue
      k=$((k + 1))
      if ((k == 1)); then
        near $((TIMES[i] - NOW_US)) "$interval" "$name #1"
      else
        # muduo restarts a repeating timer from the time of its expiry, so lateness adds up:
        # each firing is checked against the one before, and none comes before k intervals.
        near $((TIMES[i] - prev)) "$interval" "$name #$k after #$((k - 1))"
        ((TIMES[i] - NOW_US >= k * interval - EARLY_US))
      fi
      prev=${TIMES[i]}
    done
    [ "$k" -ge 2 ] # it repeated: there was an interval to check
  done
}

# check_test4_total: the whole run takes about 18 s.
check_test4_total() {
  load_test4
  local total=$((TIMES[20] - NOW_US))
  ((total >= 18000000 - EARLY_US))
  ((total < 20000000))
}

# --- timer edge cases (tests/c timer_delays, timer_order) ---------------------------------------

# check_timer_delays_soon STAGE: zero and negative delays fire on the next iteration, earliest
# due first.
check_timer_delays_soon() {
  run -0 timeout 20 "$TOP/tests/bin/$1/timer_delays"
  local fired
  fired=$(grep '^fired ' <<<"$output" | cut -d' ' -f2 | tr '\n' ' ')
  # -1e300 saturates to the earliest possible time, -1 s is next, then 0; the huge ones never.
  [ "$fired" = "negative1e300 negative zero " ]
  # Not inside runAfter (that would be a synchronous call, not a timer), and at once: well
  # before the 300 ms timer that stops the loop, and far from the 10 s poll timeout.
  [[ $output != *"inside runAfter"* ]]
  local line ms_re='^fired [^ ]+ after ([0-9]+) ms$'
  while IFS= read -r line; do
    [[ $line =~ $ms_re ]]
    [ "${BASH_REMATCH[1]}" -lt 250 ]
  done < <(grep '^fired ' <<<"$output")
}

# check_timer_delays_huge STAGE: huge delays (1e12 s, 1e300 s) never fire and do not overflow;
# the program exits 0.
check_timer_delays_huge() {
  run -0 timeout 20 "$TOP/tests/bin/$1/timer_delays"
  local line re='^(huge1e300|huge1e12|every1e300) due in ([0-9]+) years$' n=0
  for line in "${lines[@]}"; do
    if [[ $line =~ $re ]]; then
      # Saturated, not wrapped around into the past: due thousands of years from now.
      [ "${BASH_REMATCH[2]}" -ge 1000 ]
      n=$((n + 1))
    fi
  done
  [ "$n" -eq 3 ]
  [[ $output != *"fired huge"* ]]
  [[ $output != *"fired every1e300"* ]]
  # Arming the timerfd with a huge value is no error either.
  [[ $output != *" ERROR "* ]]
  [[ $output != *" WARN "* ]]
  [[ ${lines[-3]} =~ ^stop\ after\ 3[0-9]{2}\ ms$ ]]
  [[ ${lines[-2]} =~ ^loop\ returned\ after\ [0-9]+\ ms$ ]]
  [ "${lines[-1]}" = exit ]
}

# check_timer_order STAGE: 1000 timers due at the same instant fire in insertion order (three
# seeds).
check_timer_order() {
  local seed
  for seed in 1 2 3; do
    run -0 timeout 20 "$TOP/tests/bin/$1/timer_order" "$seed"
    [ "${lines[0]}" = "same-instant fired 1000 of 1000" ]
    [ "${lines[1]}" = "same-instant out of insertion order 0" ]
    [ "${lines[2]}" = "earlier fired 1000, later fired 1000" ]
    [ "${lines[3]}" = "same-instant before earlier 0, later before same-instant 0" ]
  done
}

# check_tick_costs STAGE: 20 ticks of 100 repeating timers allocate nothing (the TimerQueue's
# array of due timers, once grown, is reused; a new one per tick is 4 allocations) and take no
# lock (from s03, an empty functor queue is seen without it; locking to look is 1 lock a tick;
# s02 has no queue and no lock, so there the lock count guards nothing but future code).
check_tick_costs() {
  run -0 timeout 20 "$TOP/tests/bin/$1/tick_costs"
  [ "${#lines[@]}" -eq 1 ]
  [ "${lines[0]}" = "ran 2000 timers after the first 500 with 0 allocations and 0 locks" ]
}

# --- cross-thread work (functor_storm, wakeup_cases, timer_from_thread, loopthread_churn) ----------

# check_functor_storm STAGE: 4 threads x 10000 functors (runInLoop and queueInLoop) each run
# once, in order per producer.
check_functor_storm() {
  run -0 timeout 60 "$TOP/tests/bin/$1/functor_storm" 4 10000
  [ "${lines[0]}" = "producers 4, functors each 10000" ]
  [ "${lines[1]}" = "ran 40000 of 40000" ]
  [ "${lines[2]}" = "out of order 0" ]
  [ "${lines[3]}" = "not in the loop thread 0" ]
  [ "${lines[4]}" = "missing at the end 0" ]
  [ "${#lines[@]}" -eq 5 ]
}

# check_wakeup_before_loop STAGE: a functor queued before loop() runs on the first iteration,
# not after the poll timeout.
check_wakeup_before_loop() {
  run -0 timeout 20 "$TOP/tests/bin/$1/wakeup_cases" before_loop
  local re='^functor queued before loop ran after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ] # without the wakeup: 10 s
}

# check_wakeup_from_functor STAGE: a functor queued by a running functor runs on the next
# iteration.
check_wakeup_from_functor() {
  run -0 timeout 20 "$TOP/tests/bin/$1/wakeup_cases" from_functor
  local re='^functor queued by a functor ran after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

# check_wakeup_quit_other STAGE: quit() from another thread wakes the loop at once.
check_wakeup_quit_other() {
  run -0 timeout 20 "$TOP/tests/bin/$1/wakeup_cases" quit_other
  local re='^loop returned ([0-9]+) ms after quit from another thread$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

# check_wakeup_quit_early STAGE: quit() from another thread before loop() starts is honoured.
check_wakeup_quit_early() {
  run -0 timeout 20 "$TOP/tests/bin/$1/wakeup_cases" quit_early
  local re='^loop returned after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

# check_wakeup_drain STAGE: functors queued before quit() all run before loop() returns.
check_wakeup_drain() {
  run -0 timeout 20 "$TOP/tests/bin/$1/wakeup_cases" drain
  [ "$output" = "functors run before loop() returned: 1003 of 1003" ]
}

# check_timer_from_thread STAGE: timers can be added from any thread; they fire in the loop
# thread (s03 on; in s02 the same program aborts, see s02.bats).
check_timer_from_thread() {
  run -0 timeout 20 "$TOP/tests/bin/$1/timer_from_thread"
  local re='^loop thread ([0-9]+)$'
  [[ ${lines[0]} =~ $re ]]
  local owner=${BASH_REMATCH[1]}
  re='^adding a timer from thread ([0-9]+)$'
  [[ ${lines[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -ne "$owner" ]
  [ "${lines[2]}" = "timer fired in the loop thread" ]
  [ "${lines[3]}" = exit ]
  [ "${#lines[@]}" -eq 4 ]
}

# check_loopthread_churn STAGE: EventLoopThread x 200: threads and fds back to baseline, no
# destroy hangs.
check_loopthread_churn() {
  run -0 timeout 120 "$TOP/tests/bin/$1/loopthread_churn" 200
  [ "${lines[0]}" = "rounds 200, started 134, given work 67" ]
  local re='^threads before ([0-9]+) after ([0-9]+)$'
  [[ ${lines[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
  re='^fds before ([0-9]+) after ([0-9]+)$'
  [[ ${lines[2]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
  # Some rounds destroy right after startLoop: quit() before loop() must not be lost.
  re='^slowest destroy ([0-9]+) ms$'
  [[ ${lines[3]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
  [ "${lines[4]}" = "work run 67 of 67" ]
}

# --- test5 and test6: runInLoop, queueInLoop, EventLoopThread (s03 on) --------------------------

# check_test5_order: runInLoop runs at once, queueInLoop after the current work; flags in order;
# exit status 0.
check_test5_order() {
  load_run test5
  [ "$STATUS" -eq 0 ]
  [ "${#OUT[@]}" -eq 6 ]
  [ "${OUT[0]}" = "main(): pid = $PID, flag = 0" ]
  [ "${OUT[1]}" = "run1(): pid = $PID, flag = 1" ]
  [ "${OUT[2]}" = "run2(): pid = $PID, flag = 1" ] # runInLoop: before run1 sets flag 2
  [ "${OUT[3]}" = "run3(): pid = $PID, flag = 2" ] # queueInLoop: after run1 returned
  [ "${OUT[4]}" = "run4(): pid = $PID, flag = 3" ]
  [ "${OUT[5]}" = "main(): pid = $PID, flag = 3" ]
}

# check_test5_times: run1 about 2 s after main, run2 and run3 straight after it, run4 about 3 s
# after run3.
check_test5_times() {
  load_run test5
  # Arrival times: a line can only arrive late, never early, so lower bounds are taken from
  # START (before the program started) and upper bounds from the line before.
  local run1=$((AT[1] - AT[0])) run3=$((AT[3] - AT[1])) run4=$((AT[4] - AT[3]))
  echo "run1 +$run1 ms, run2/run3 +$run3 ms, run4 +$run4 ms, main +$((AT[5] - AT[4])) ms" >&2
  ((AT[1] - START >= 1990 && run1 < 2500))
  ((run3 >= 0 && run3 < 200)) # run2 and run3 come straight after run1
  ((AT[4] - START >= 4990 && run4 >= 2900 && run4 < 3500))
}

# check_test6: runInThread runs twice in the loop thread (not the main thread), at once and
# again 2 s after a 1 s sleep; exit main() about 1 s later; exit status 0.
check_test6() {
  load_run test6
  [ "$STATUS" -eq 0 ]
  [ "${#OUT[@]}" -eq 4 ]
  [ "${OUT[0]}" = "main(): pid = $PID, tid = $PID" ]
  local re='^runInThread\(\): pid = ([0-9]+), tid = ([0-9]+)$'
  [[ ${OUT[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "$PID" ]
  local tid=${BASH_REMATCH[2]}
  [ "$tid" -ne "$PID" ]
  [ "${OUT[2]}" = "runInThread(): pid = $PID, tid = $tid" ]
  [ "${OUT[3]}" = "exit main()." ]
  local first=$((AT[1] - AT[0])) second=$((AT[2] - AT[1]))
  echo "first +$first ms, second +$second ms, exit +$((AT[3] - AT[2])) ms" >&2
  ((first < 300))                         # runInLoop: at once
  ((AT[2] - START >= 2990))               # sleep(1), then runAfter(2)
  ((second >= 2900 && second < 3500))
  ((AT[3] - START >= 3990))               # main sleeps 3 s after the runAfter, then destroys
}
