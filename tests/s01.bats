#!/usr/bin/env bats
# Stage s01: the reactor core - Channel, Poller on poll(2), EventLoop with quit.
bats_require_minimum_version 1.5.0
load helpers
time_bound 30
load carried

setup() {
  S=$TOP/s01
  LOG=$BATS_TEST_TMPDIR/out.log
}

@test "s01 test1: both loops now run until killed" {
  start_bg "$LOG" "$S/test1"
  local pid=$BG_PID
  wait_for_line "$LOG" '^threadFunc' 5
  sleep 6 # longer than s00's 5 s: the loops must still be running
  kill -0 "$pid"
  stop_bg "$pid"
  [ "$BG_STATUS" -eq 143 ] # killed by SIGTERM, as the contract says
  mapfile -t out <"$LOG"
  [ "${#out[@]}" -eq 2 ]
  [ "${out[0]}" = "main(): pid = $pid, tid = $pid" ]
  local re='^threadFunc\(\): pid = ([0-9]+), tid = ([0-9]+)$'
  [[ ${out[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "$pid" ]
  [ "${BASH_REMATCH[2]}" -ne "$pid" ]
}

@test "s01 test2: loop() from a foreign thread still aborts" {
  start_bg "$LOG" "$S/test2"
  local pid=$BG_PID
  wait_exit "$pid" 10
  [ "$BG_STATUS" -eq 134 ]
  local re="^${LOG_TIME_RE}FATAL EventLoop 0x[0-9a-f]+ was created in thread ${pid}, current thread is ([0-9]+) - EventLoop\.c:[0-9]+\$"
  mapfile -t out <"$LOG"
  [ "${#out[@]}" -eq 1 ]
  [[ ${out[0]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -ne "$pid" ]
}

@test "s01: a second EventLoop in one thread still aborts" {
  check_twoloops_aborts s01
}

@test "s01 test3: a timerfd Channel prints Timeout! after about 5 s and the loop quits" {
  local t0 t1
  t0=$(now_ms)
  run -0 timeout 20 "$S/test3"
  t1=$(now_ms)
  [ "$output" = "Timeout!" ]
  [ $((t1 - t0)) -ge 4950 ]
  [ $((t1 - t0)) -lt 8000 ]
}

@test "s01 test3 at TRACE: one poll returns one event, the timerfd is dispatched, then the loop stops" {
  REACTOR_LOG_LEVEL=TRACE run -0 timeout 20 "$S/test3"
  # Registration, then (after 5 s) the poll with one event, the active channel, Timeout!, stop.
  local fd_re=' TRACE Poller_updateChannel fd = ([0-9]+) events = 3 - Poller\.c:'
  [[ ${lines[1]} =~ $fd_re ]]
  local fd=${BASH_REMATCH[1]}
  [[ ${lines[2]} == *" TRACE Poller_poll 1 events happened - Poller.c:"* ]]
  [[ ${lines[3]} == *" TRACE trace_active_channels active fd $fd revents 0x1 - EventLoop.c:"* ]]
  [ "${lines[4]}" = "Timeout!" ]
  [[ ${lines[5]} == *" TRACE EventLoop_loop EventLoop 0x"*" stop looping - EventLoop.c:"* ]]
  [ "${#lines[@]}" -eq 6 ]
}

@test "s01: a quit() before loop() is honoured: loop() returns at once" {
  check_quit_before_loop s01
}

@test "make diff A=s00 B=s01 shows Channel and Poller arriving and no build output" {
  make -C "$TOP" -s s00 s01 >/dev/null
  run -0 make -C "$TOP" -s diff A=s00 B=s01
  [[ $output == *"+++ s01/Channel.c"* ]]
  [[ $output == *"+++ s01/Channel.h"* ]]
  [[ $output == *"+++ s01/Poller.c"* ]]
  [[ $output == *"+++ s01/Poller.h"* ]]
  [[ $output == *"+++ s01/EventLoop.c"* ]]
  [[ $output == *"+++ s01/test3.c"* ]]
  # Nothing from the build: no objects, binaries or dependency files.
  [[ $output != *".build"* ]]
  [[ $output != *"Binary files"* ]]
  [[ $output != *"test1.c"* ]] # unchanged files are not listed
}

@test "make diff without A and B prints a usage line and exits 0" {
  run -0 make -C "$TOP" -s diff
  [[ $output == "usage: make diff A=<stage> B=<stage>"* ]]
  run -0 make -C "$TOP" -s diff A=s00
  [[ $output == "usage: make diff"* ]]
}

@test "make refuses an unsupported sanitizer with a message" {
  run -2 make -C "$TOP" -s SAN=memory
  [[ $output == *"SAN=memory is not supported"* ]]
}
