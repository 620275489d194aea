#!/usr/bin/env bats
# Stage s00: a do-nothing EventLoop; one loop per thread, enforced.
bats_require_minimum_version 1.5.0
load helpers
time_bound 30

setup() {
  S=$TOP/s00
  LOG=$BATS_TEST_TMPDIR/out.log
}

@test "s00 test1: each thread runs its own loop, both return after about 5 s" {
  local t0 t1 main_re thread_re
  t0=$(now_ms)
  start_bg "$LOG" "$S/test1"
  local pid=$BG_PID
  wait_exit "$pid" 15
  t1=$(now_ms)
  [ "$BG_STATUS" -eq 0 ]
  mapfile -t out <"$LOG"
  [ "${#out[@]}" -eq 2 ]
  main_re='^main\(\): pid = ([0-9]+), tid = ([0-9]+)$'
  thread_re='^threadFunc\(\): pid = ([0-9]+), tid = ([0-9]+)$'
  [[ ${out[0]} =~ $main_re ]]
  [ "${BASH_REMATCH[1]}" -eq "$pid" ]
  [ "${BASH_REMATCH[2]}" -eq "$pid" ]
  [[ ${out[1]} =~ $thread_re ]]
  [ "${BASH_REMATCH[1]}" -eq "$pid" ]
  [ "${BASH_REMATCH[2]}" -ne "$pid" ]
  # Each loop polls nothing for 5 s; they run at the same time, so about 5 s in all.
  [ $((t1 - t0)) -ge 4900 ]
  [ $((t1 - t0)) -lt 9000 ]
}

@test "s00 test2: loop() from a foreign thread aborts with a FATAL line naming both threads" {
  start_bg "$LOG" "$S/test2"
  local pid=$BG_PID
  wait_exit "$pid" 10
  [ "$BG_STATUS" -eq 134 ]
  mapfile -t out <"$LOG"
  [ "${#out[@]}" -eq 1 ]
  local re="^${LOG_TIME_RE}FATAL EventLoop (0x[0-9a-f]+) was created in thread ([0-9]+), current thread is ([0-9]+) - EventLoop\.c:[0-9]+\$"
  [[ ${out[0]} =~ $re ]]
  [ "${BASH_REMATCH[2]}" -eq "$pid" ]
  [ "${BASH_REMATCH[3]}" -ne "$pid" ]
  # The line's own thread id field is the thread that called loop().
  local tid_re='Z +([0-9]+) FATAL'
  [[ ${out[0]} =~ $tid_re ]]
  [ "${BASH_REMATCH[1]}" -ne "$pid" ]
}

@test "s00: a second EventLoop in one thread aborts naming the first loop" {
  run -134 "$TOP/tests/bin/s00/twoloops"
  local first_re='^first loop (0x[0-9a-f]+)$'
  [[ ${lines[0]} =~ $first_re ]]
  local first=${BASH_REMATCH[1]}
  local re="^${LOG_TIME_RE}FATAL Another EventLoop (0x[0-9a-f]+) exists in this thread ([0-9]+) - EventLoop\.c:[0-9]+\$"
  [[ ${lines[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" = "$first" ]
  [ "${#lines[@]}" -eq 2 ]
}

@test "s00: REACTOR_LOG_LEVEL=TRACE shows the loop's life with function names" {
  REACTOR_LOG_LEVEL=TRACE run -134 "$S/test2"
  local re="^${LOG_TIME_RE}TRACE EventLoop_init EventLoop created (0x[0-9a-f]+) in thread [0-9]+ - EventLoop\.c:[0-9]+\$"
  [[ ${lines[0]} =~ $re ]]
  [[ ${lines[1]} == *" FATAL EventLoop ${BASH_REMATCH[1]} was created in thread "* ]]
}

@test "s00: an unknown REACTOR_LOG_LEVEL is reported once and DEBUG is used" {
  REACTOR_LOG_LEVEL=LOUD run -134 "$S/test2"
  local warn_re="^${LOG_TIME_RE}WARN  unknown REACTOR_LOG_LEVEL 'LOUD' .*using DEBUG - Logging\.c:[0-9]+\$"
  [[ ${lines[0]} =~ $warn_re ]]
  [ "$(grep -c "REACTOR_LOG_LEVEL" <<<"$output")" -eq 1 ]
  # DEBUG, not TRACE: the TRACE line of EventLoop_init is not printed.
  [[ $output != *" TRACE "* ]]
  [[ ${lines[1]} == *" FATAL EventLoop "* ]]
}

@test "s00: REACTOR_LOG_LEVEL=ERROR hides TRACE and DEBUG but never FATAL" {
  REACTOR_LOG_LEVEL=ERROR run -134 "$S/test2"
  [ "${#lines[@]}" -eq 1 ]
  [[ ${lines[0]} == *" FATAL EventLoop "* ]]
}
