#!/usr/bin/env bats
# Stage s03: cross-thread work - the wakeup eventfd, runInLoop / queueInLoop, thread-safe timers,
# quit() from any thread, EventLoopThread. test1 - test4 keep their earlier contracts.
bats_require_minimum_version 1.5.0
load helpers

# --- running the long timelines side by side ---------------------------------------------------
# test4 takes about 18 s, test1 runs until killed, test3 takes 5 s. setup_file starts them all
# at once and waits for the longest, so the file costs one timeline, not four; the tests read
# what each printed. Each output line is stored with the millisecond it arrived, so a test can
# check when a line came as well as what it says.

# stamp_lines: copies stdin to stdout, each line prefixed with its arrival time in ms.
stamp_lines() {
  local line t
  while IFS= read -r line || [ -n "$line" ]; do
    t=$EPOCHREALTIME
    printf '%d %s\n' $((${t%.*} * 1000 + 10#${t#*.} / 1000)) "$line"
  done
}

# launch NAME CMD...: starts CMD in the background (stdin /dev/null, fds 3 and 4 closed); its
# output goes through a FIFO to stamp_lines, into $BATS_FILE_TMPDIR/NAME.log. The FIFO keeps
# the recorded pid the program's own.
launch() {
  local name=$1 d=$BATS_FILE_TMPDIR
  shift
  mkfifo "$d/$name.fifo"
  stamp_lines <"$d/$name.fifo" >"$d/$name.log" 3>&- 4>&- &
  STAMPERS+=("$!")
  now_ms >"$d/$name.start"
  "$@" </dev/null >"$d/$name.fifo" 2>&1 3>&- 4>&- &
  echo "$!" >"$d/$name.pid"
  RUNNING[$name]=$!
}

# reap_all SECONDS: waits for every launched program and records NAME.status. A program named in
# KILL_AT (ms after its start) is checked then - NAME.alive says yes or no - and stopped with
# TERM. Anything still running after SECONDS is killed.
reap_all() {
  local d=$BATS_FILE_TMPDIR deadline name pid now status
  deadline=$(($(now_ms) + $1 * 1000))
  while [ ${#RUNNING[@]} -gt 0 ]; do
    now=$(now_ms)
    for name in "${!RUNNING[@]}"; do
      pid=${RUNNING[$name]}
      if [ -n "${KILL_AT[$name]:-}" ] && ((now >= $(<"$d/$name.start") + KILL_AT[$name])); then
        if kill -0 "$pid" 2>/dev/null; then echo yes; else echo no; fi >"$d/$name.alive"
        kill -TERM "$pid" 2>/dev/null || true
        unset "KILL_AT[$name]"
      fi
      if ! kill -0 "$pid" 2>/dev/null; then
        status=0
        wait "$pid" || status=$?
        echo "$status" >"$d/$name.status"
        unset "RUNNING[$name]"
      elif ((now > deadline)); then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
    sleep 0.05
  done
  for pid in "${STAMPERS[@]}"; do
    wait "$pid" || true
  done
}

# load_run NAME: sets PID, STATUS, START (ms), OUT (the output lines) and AT (their arrival
# times in ms) for a program launched in setup_file.
load_run() {
  local d=$BATS_FILE_TMPDIR line
  PID=$(<"$d/$1.pid")
  STATUS=$(<"$d/$1.status")
  START=$(<"$d/$1.start")
  OUT=()
  AT=()
  while IFS= read -r line; do
    AT+=("${line%% *}")
    OUT+=("${line#* }")
  done <"$d/$1.log"
}

# us SEC.USEC: a printed Timestamp (muduo's toString) in microseconds.
us() {
  echo $((${1%.*} * 1000000 + 10#${1#*.}))
}

# test4's lines as parallel arrays: NAMES (main, once1, ..., main loop exits) and TIMES (us),
# and NOW_US from its `now` line.
load_test4() {
  load_run test4
  local now_re='^now ([0-9]+\.[0-9]{6})$' msg_re='^msg ([0-9]+\.[0-9]{6}) (.+)$' i
  [[ ${OUT[1]} =~ $now_re ]]
  NOW_US=$(us "${BASH_REMATCH[1]}")
  NAMES=()
  TIMES=()
  for ((i = 2; i < ${#OUT[@]}; i++)); do
    [[ ${OUT[i]} =~ $msg_re ]] || {
      echo "not a msg line: ${OUT[i]}" >&2
      return 1
    }
    TIMES+=("$(us "${BASH_REMATCH[1]}")")
    NAMES+=("${BASH_REMATCH[2]}")
  done
}

# Tolerances for a firing, in us: never more than 10 ms early (the printed time is taken after
# the expiry), at most 300 ms late (a loaded 2-core machine, sanitizer builds).
EARLY_US=10000
LATE_US=300000

# near OFFSET_US DUE_US WHAT: fails with a message unless OFFSET is within the tolerances of DUE.
near() {
  if (($1 < $2 - EARLY_US || $1 > $2 + LATE_US)); then
    echo "$3: at +$(($1 / 1000)) ms, due at +$(($2 / 1000)) ms" >&2
    return 1
  fi
}

setup_file() {
  declare -gA RUNNING=() KILL_AT=()
  declare -ga STAMPERS=()
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
  BIN=$TOP/tests/bin/s03
}

# --- test4: the timer timeline ------------------------------------------------------------------

@test "s03 test4: pid and tid lines, now, then msg main at once; exit status 0" {
  load_run test4
  [ "$STATUS" -eq 0 ]
  [ "${OUT[0]}" = "pid = $PID, tid = $PID" ]
  load_test4
  [ "${NAMES[0]}" = main ]
  near $((TIMES[0] - NOW_US)) 0 "msg main"
}

@test "s03 test4: exactly 20 counted lines, then main loop exits; times in order" {
  load_test4
  [ "${#OUT[@]}" -eq 23 ] # pid, now, 20 counted msg lines, main loop exits
  [ "${#NAMES[@]}" -eq 21 ]
  [ "${NAMES[20]}" = "main loop exits" ]
  local i
  for ((i = 0; i < 20; i++)); do
    [[ ${NAMES[i]} =~ ^(main|once1|once1\.5|once2\.5|once3\.5|every2|every3)$ ]]
  done
  for ((i = 1; i < 21; i++)); do
    ((TIMES[i] >= TIMES[i - 1])) || {
      echo "line $i is earlier than line $((i - 1))" >&2
      return 1
    }
  done
  # The 20th line quits the loop: main loop exits follows at once.
  near $((TIMES[20] - TIMES[19])) 0 "main loop exits"
}

@test "s03 test4: each timer fires the expected number of times" {
  load_test4
  local name counts=""
  for name in main once1 once1.5 once2.5 once3.5 every2 every3 "main loop exits"; do
    counts+="$name=$(printf '%s\n' "${NAMES[@]}" | grep -cxF -- "$name") "
  done
  # Up to about 18 s: every2 at 2, 4, ..., 18 and every3 at 3, 6, ..., 18.
  [ "$counts" = "main=1 once1=1 once1.5=1 once2.5=1 once3.5=1 every2=9 every3=6 main loop exits=1 " ]
}

@test "s03 test4: one-shot timers fire near their due time after now" {
  load_test4
  local i due
  for ((i = 0; i < 21; i++)); do
    case ${NAMES[i]} in
    once1) due=1000000 ;;
    once1.5) due=1500000 ;;
    once2.5) due=2500000 ;;
    once3.5) due=3500000 ;;
    *) continue ;;
    esac
    near $((TIMES[i] - NOW_US)) "$due" "${NAMES[i]}"
  done
}

@test "s03 test4: repeating timers fire every interval, restarted from each expiry" {
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
  done
}

@test "s03 test4: the whole run takes about 18 s" {
  load_test4
  local total=$((TIMES[20] - NOW_US))
  ((total >= 18000000 - EARLY_US))
  ((total < 20000000))
}

# --- test1 - test3: s01's contract, unchanged ---------------------------------------------------

@test "s03 test1: both loops run until killed" {
  load_run test1
  [ "$(<"$BATS_FILE_TMPDIR/test1.alive")" = yes ] # still running 6.5 s in
  [ "$STATUS" -eq 143 ]
  [ "${#OUT[@]}" -eq 2 ]
  [ "${OUT[0]}" = "main(): pid = $PID, tid = $PID" ]
  local re='^threadFunc\(\): pid = ([0-9]+), tid = ([0-9]+)$'
  [[ ${OUT[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "$PID" ]
  [ "${BASH_REMATCH[2]}" -ne "$PID" ]
}

@test "s03 test2: loop() from a foreign thread aborts with the FATAL line" {
  run -134 timeout 10 "$S/test2"
  [ "${#lines[@]}" -eq 1 ]
  local re="^${LOG_TIME_RE}FATAL EventLoop 0x[0-9a-f]+ was created in thread ([0-9]+), current thread is ([0-9]+) - EventLoop\.c:[0-9]+\$"
  [[ ${lines[0]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -ne "${BASH_REMATCH[2]}" ]
}

@test "s03: a second EventLoop in one thread aborts naming the first loop" {
  run -134 timeout 10 "$BIN/twoloops"
  [[ ${lines[1]} == *" FATAL Another EventLoop ${lines[0]#first loop } exists in this thread "* ]]
}

@test "s03 test3: Timeout! after about 5 s, then the loop quits" {
  load_run test3
  [ "$STATUS" -eq 0 ]
  [ "${#OUT[@]}" -eq 1 ]
  [ "${OUT[0]}" = "Timeout!" ]
  local ms=$((AT[0] - START))
  ((ms >= 4950 && ms < 8000))
}

@test "s03 test3 at TRACE: the timerfd and wakeup eventfd are registered too; one event for test3's fd" {
  load_run test3_trace
  [ "$STATUS" -eq 0 ]
  local i poll=-1 fd="" re=' TRACE Poller_updateChannel fd = ([0-9]+) events = 3 - Poller\.c:'
  # Three channels before the first poll: the TimerQueue's timerfd, the wakeup eventfd, then
  # test3's own.
  for ((i = 0; i < ${#OUT[@]}; i++)); do
    if [[ ${OUT[i]} == *" TRACE Poller_poll "* ]]; then
      poll=$i
      break
    fi
    [[ ${OUT[i]} =~ $re ]] && fd="$fd ${BASH_REMATCH[1]}"
  done
  [ "$(wc -w <<<"$fd")" -eq 3 ]
  local test3_fd=${fd##* }
  [[ ${OUT[poll]} == *" TRACE Poller_poll 1 events happened - Poller.c:"* ]]
  [[ ${OUT[poll + 1]} == *" TRACE trace_active_channels active fd $test3_fd revents 0x1 - EventLoop.c:"* ]]
  [ "${OUT[poll + 2]}" = "Timeout!" ]
  [[ ${OUT[poll + 3]} == *" TRACE EventLoop_loop EventLoop 0x"*" stop looping - EventLoop.c:"* ]]
}

@test "s03: a quit() before loop() is honoured" {
  run -0 timeout 20 "$BIN/quit_before_loop"
  local re='^loop returned after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

# --- timer edge cases ---------------------------------------------------------------------------

@test "s03: zero and negative delays fire on the next iteration, earliest due first" {
  run -0 timeout 20 "$BIN/timer_delays"
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

@test "s03: huge delays (1e12 s, 1e300 s) never fire and do not overflow; the program exits 0" {
  run -0 timeout 20 "$BIN/timer_delays"
  local re='^(huge1e300|huge1e12|every1e300) due in ([0-9]+) years$' n=0
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

@test "s03: 1000 timers due at the same instant fire in insertion order" {
  local seed
  for seed in 1 2 3; do
    run -0 timeout 20 "$BIN/timer_order" "$seed"
    [ "${lines[0]}" = "same-instant fired 1000 of 1000" ]
    [ "${lines[1]}" = "same-instant out of insertion order 0" ]
    [ "${lines[2]}" = "earlier fired 1000, later fired 1000" ]
    [ "${lines[3]}" = "same-instant before earlier 0, later before same-instant 0" ]
  done
}

# --- test5 and test6: runInLoop, queueInLoop, EventLoopThread -----------------------------------

@test "s03 test5: runInLoop runs at once, queueInLoop after the current work; flags in order" {
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

@test "s03 test5: run1 about 2 s after main, run4 about 3 s after run3" {
  load_run test5
  # Arrival times: a line can only arrive late, never early, so lower bounds are taken from
  # START (before the program started) and upper bounds from the line before.
  local run1=$((AT[1] - AT[0])) run3=$((AT[3] - AT[1])) run4=$((AT[4] - AT[3])) last=$((AT[5] - AT[4]))
  echo "run1 +$run1 ms, run2/run3 +$run3 ms, run4 +$run4 ms, main +$last ms" >&2
  ((AT[1] - START >= 1990 && run1 < 2500))
  ((run3 >= 0 && run3 < 200)) # run2 and run3 come straight after run1
  ((AT[4] - START >= 4990 && run4 >= 2900 && run4 < 3500))
  ((last >= 0 && last < 300))
}

@test "s03 test6: runInThread runs twice in the loop thread, the second 2 s after a 1 s sleep" {
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
  local first=$((AT[1] - AT[0])) second=$((AT[2] - AT[1])) last=$((AT[3] - AT[2]))
  echo "first +$first ms, second +$second ms, exit +$last ms" >&2
  ((first < 300))                          # runInLoop: at once
  ((AT[2] - START >= 2990))                # sleep(1), then runAfter(2)
  ((second >= 2900 && second < 3500))
  ((AT[3] - START >= 3990))                # main sleeps 3 s after the runAfter, then destroys
  ((last >= 700 && last < 1500))
}

# --- cross-thread edge cases --------------------------------------------------------------------

@test "s03: 4 threads x 10000 functors (runInLoop and queueInLoop) each run once, in order per producer" {
  run -0 timeout 60 "$BIN/functor_storm" 4 10000
  [ "${lines[0]}" = "producers 4, functors each 10000" ]
  [ "${lines[1]}" = "ran 40000 of 40000" ]
  [ "${lines[2]}" = "out of order 0" ]
  [ "${lines[3]}" = "not in the loop thread 0" ]
  [ "${lines[4]}" = "missing at the end 0" ]
  [ "${#lines[@]}" -eq 5 ]
}

@test "s03: a functor queued before loop() runs on the first iteration, not after the poll timeout" {
  run -0 timeout 20 "$BIN/wakeup_cases" before_loop
  local re='^functor queued before loop ran after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ] # without the wakeup: 10 s
}

@test "s03: a functor queued by a running functor runs on the next iteration" {
  run -0 timeout 20 "$BIN/wakeup_cases" from_functor
  local re='^functor queued by a functor ran after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

@test "s03: quit() from another thread wakes the loop at once" {
  run -0 timeout 20 "$BIN/wakeup_cases" quit_other
  local re='^loop returned ([0-9]+) ms after quit from another thread$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

@test "s03: quit() from another thread before loop() starts is honoured" {
  run -0 timeout 20 "$BIN/wakeup_cases" quit_early
  local re='^loop returned after ([0-9]+) ms$'
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
}

@test "s03: functors queued before quit() all run before loop() returns" {
  run -0 timeout 20 "$BIN/wakeup_cases" drain
  [ "$output" = "functors run before loop() returned: 1003 of 1003" ]
}

@test "s03: timers can be added from any thread; they fire in the loop thread" {
  run -0 timeout 20 "$BIN/timer_from_thread"
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

@test "s03: EventLoopThread x 200: threads and fds back to baseline, no destroy hangs" {
  run -0 timeout 120 "$BIN/loopthread_churn" 200
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

@test "make diff A=s02 B=s03 shows EventLoopThread, test5 and test6 arriving and no build output" {
  # Build first (in the suite's own configuration) so there is build output to leave out.
  make -C "$TOP" -s SAN="${REACTOR_SAN:-}" s02 s03 >/dev/null
  run -0 make -C "$TOP" -s diff A=s02 B=s03
  local f
  for f in EventLoopThread.c EventLoopThread.h test5.c test6.c; do
    [[ $output == *"--- s02/$f	"* ]] # new: diffed against nothing
    [[ $output == *"+++ s03/$f	"* ]]
  done
  for f in EventLoop.c EventLoop.h TimerQueue.c TimerQueue.h Timer.c Timer.h Makefile; do
    [[ $output == *"+++ s03/$f	"* ]]
  done
  [[ $output != *".build"* ]]
  [[ $output != *"Binary files"* ]]
  [[ $output != *"tests/bin"* ]]
  # Unchanged files are not listed.
  for f in test1.c test4.c Channel.c Poller.c Callbacks.h TimerId.h; do
    [[ $output != *"+++ s03/$f"* ]]
  done
}
