#!/usr/bin/env bats
# Stage s11, the passive side (muduo steps 5-10): TcpServer, TcpConnection, Buffer, send and
# half-close, write-complete and high-water-mark callbacks, EventLoopThreadPool; test8 - test11,
# pingpong_server; the carried programs test1 - test3 and test5 - test7, and the carried tests/c
# checks (twoloops, quit_before_loop, timers, wakeups, EventLoopThread). Every test here passes
# with either backend (CI runs the file as is and with REACTOR_USE_POLL=1). The active side
# (Connector, TcpClient, test4, test12, test13) is in s11-connector.bats.
bats_require_minimum_version 1.5.0
load helpers
time_bound 30
load timeline
load carried

# --- the carried timelines, run side by side once -----------------------------------------------
# test1 runs until killed, test3 takes 5 s, test5 5 s, test6 4 s: setup_file starts them all at
# once and the tests read what each printed, with each line's arrival time in ms.

setup_file() {
  timeline_init
  local S=$TOP/s11
  launch test1 "$S/test1"
  KILL_AT[test1]=6000
  launch test3 "$S/test3"
  launch test5 "$S/test5"
  launch test6 "$S/test6"
  reap_all 40
}

# --- helpers for the servers ------------------------------------------------------------------

setup() {
  S=$TOP/s11
  B=$TOP/tests/bin/s11
  LOG=$BATS_TEST_TMPDIR/server.log
  T=$BATS_TEST_TMPDIR
  SERVER_PIDS=()
}

teardown() {
  stop_servers
}

# forget PID: takes PID off the list teardown stops (it has been stopped and reaped: its
# number may be reused).
forget() {
  local i
  for i in "${!SERVER_PIDS[@]}"; do
    [ "${SERVER_PIDS[$i]}" != "$1" ] || unset "SERVER_PIDS[$i]"
  done
}

# stop_server_clean PID LOG: SIGTERM; the server must exit 0 with no sanitizer report in LOG.
stop_server_clean() {
  stop_bg "$1"
  forget "$1"
  [ "$BG_STATUS" -eq 0 ] || {
    echo "server $1 exited with status $BG_STATUS" >&2
    cat "$2" >&2
    return 1
  }
  no_sanitizer_report "$2"
}

# no_sanitizer_report FILE: fails, showing the report, if FILE holds one.
no_sanitizer_report() {
  if grep -qE 'Sanitizer|runtime error|leak' "$1"; then
    grep -E -A20 'Sanitizer|runtime error|leak' "$1" >&2
    return 1
  fi
}

# skip_under_sanitizers: memory figures mean something only in a plain build.
skip_under_sanitizers() {
  [ -z "${REACTOR_SAN:-}" ] || skip "memory figures are checked on the plain build only"
}

# status_kb PID FIELD: a figure from /proc/PID/status in kB (VmRSS, VmHWM).
status_kb() {
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# local_port FILE: the port s11_client or client_read reported ("local port P") in FILE.
local_port() {
  sed -nE 's/^local port ([0-9]+)$/\1/p' "$1" | head -n 1
}

# repeated CHAR N FILE: N bytes of CHAR into FILE.
repeated() {
  head -c "$2" /dev/zero | tr '\0' "$1" >"$3"
}

# chargen N FILE: the first N bytes of test11's stream: 94 lines of 72 characters from ASCII
# 33-126, line i starting at 33 + i (mod 94), each ending in '\n', repeated.
chargen() {
  local alphabet i round=""
  alphabet=$(awk 'BEGIN { for (c = 33; c < 127; c++) printf "%c", c }')
  alphabet+=$alphabet
  for ((i = 0; i < 94; i++)); do
    round+=${alphabet:i:72}$'\n'
  done
  # yes prints its argument and a newline, again and again: the round without its last '\n'.
  yes "${round%$'\n'}" | head -c "$1" >"$2"
}

# conn_lines LOG NAME: the program's own lines (not the library's log lines) about connection
# NAME - each "received" line followed by its payload line - with the tid and the receive time
# replaced by T and TIME.
conn_lines() {
  grep -E '^on(Connection|Message)\(\): ' "$1" |
    awk -v tag="[$2]" 'payload && /^onMessage\(\): \[/ { print } { payload = 0 }
      index($0, tag) { print; payload = /received/ }' |
    sed -E "s/tid=[0-9]+/tid=T/; s/ at $TIME_RE\$/ at TIME/"
}

# tids LOG NAME: the distinct tids on the program's lines about connection NAME.
tids() {
  grep -E '^on(Connection|Message)\(\): ' "$1" | grep -F "[$2]" |
    sed -nE 's/^[^ ]+ tid=([0-9]+) .*/\1/p' | sort -u
}

# --- the carried programs ---------------------------------------------------------------------

@test "s11 test1: both loops run until killed" {
  check_test1_killed # KILL_AT: 6 s (s00's loops ended at 5 s)
}

@test "s11 test2: loop() from a foreign thread aborts with the FATAL line" {
  check_test2_aborts s11
}

@test "s11: a second EventLoop in one thread aborts naming the first loop" {
  check_twoloops_aborts s11
}

@test "s11: a quit() before loop() is honoured" {
  check_quit_before_loop s11
}

@test "s11: zero and negative delays fire on the next iteration, earliest due first" {
  check_timer_delays_soon s11
}

@test "s11: huge delays (1e12 s, 1e300 s) never fire and do not overflow; the program exits 0" {
  check_timer_delays_huge s11
}

@test "s11: at TRACE each timer callback is named, as given to runAfter, when it runs" {
  check_timer_trace s11
}

@test "s11: 1000 timers due at the same instant fire in insertion order" {
  check_timer_order s11
}

@test "s11: ticks of 100 timers allocate nothing (due-timer array kept) and take no lock (empty functor queue)" {
  check_tick_costs s11
}

@test "s11: 4 threads x 10000 functors (runInLoop and queueInLoop) each run once, in order per producer" {
  check_functor_storm s11
}

@test "s11: a functor queued before loop() runs on the first iteration, not after the poll timeout" {
  check_wakeup_before_loop s11
}

@test "s11: a functor queued by a running functor runs on the next iteration" {
  check_wakeup_from_functor s11
}

@test "s11: at TRACE each pending functor is named, as given to queueInLoop, when it runs" {
  check_functor_trace s11
}

@test "s11: quit() from another thread wakes the loop at once" {
  check_wakeup_quit_other s11
}

@test "s11: quit() from another thread before loop() starts is honoured" {
  check_wakeup_quit_early s11
}

@test "s11: functors queued before quit() all run before loop() returns" {
  check_wakeup_drain s11
}

@test "s11: timers can be added from any thread; they fire in the loop thread" {
  check_timer_from_thread s11
}

@test "s11: EventLoopThread x 200: threads and fds back to baseline, no destroy hangs" {
  check_loopthread_churn s11
}

@test "s11 test3: 'started' then 'Timeout!' with the poll's receive time, about 5 s later" {
  load_run test3
  [ "$STATUS" -eq 0 ]
  [ "${#OUT[@]}" -eq 2 ]
  local re="^($TIME_RE) started\$" started timeout
  [[ ${OUT[0]} =~ $re ]]
  started=$(formatted_us "${BASH_REMATCH[1]}")
  re="^($TIME_RE) Timeout!\$"
  [[ ${OUT[1]} =~ $re ]]
  timeout=$(formatted_us "${BASH_REMATCH[1]}")
  local diff=$((timeout - started))
  echo "Timeout! $((diff / 1000)) ms after started" >&2
  ((diff >= 4990000 && diff < 6500000))
  # The printed times are the real ones: started within 1 s of the launch.
  ((started / 1000 >= START - 1000 && started / 1000 <= START + 1000))
  ((AT[1] - START >= 4950 && AT[1] - START < 8000))
}

@test "s11 test5: runInLoop runs at once, queueInLoop after the current work; flags in order" {
  check_test5_order
  check_test5_times
}

@test "s11 test6: runInThread runs twice in the loop thread, the second 2 s after a 1 s sleep" {
  check_test6
}

@test "s11 test7: a client gets exactly 'How are you?\\n' then EOF; the line names its port" {
  start_server "$LOG" "$S/test7"
  timeout 10 "$B/client_read" "$PORT" >"$T/got" 2>"$T/ports"
  printf 'How are you?\n' >"$T/want"
  cmp "$T/got" "$T/want"
  local lport
  lport=$(local_port "$T/ports")
  wait_for_line "$LOG" '^newConnection'
  mapfile -t out <"$LOG"
  [ "${out[0]}" = "main(): pid = $SERVER_PID" ]
  [ "${out[1]}" = "listening on 0.0.0.0:$PORT" ]
  [ "${out[2]}" = "newConnection(): accepted a new connection from 127.0.0.1:$lport" ]
  [ "${#out[@]}" -eq 3 ]
}

# --- test8: the discard server ----------------------------------------------------------------

@test "s11 test8: connection, message and down lines with the payload, byte count and names" {
  start_server "$LOG" "$S/test8"
  local name="0.0.0.0:$PORT" before after
  printf 'hello s11' >"$T/p1"
  printf 'second: 16 bytes' >"$T/p2"
  before=$(now_ms)
  timeout 10 "$B/s11_client" "$PORT" -f "$T/p1" -H >"$T/got1" 2>"$T/c1"
  timeout 10 "$B/s11_client" "$PORT" -f "$T/p2" -H >"$T/got2" 2>"$T/c2"
  after=$(now_ms)
  # A discard server sends nothing, then closes.
  [ ! -s "$T/got1" ]
  [ ! -s "$T/got2" ]
  wait_for_line "$LOG" "connection \[$name#2\] is down"
  [ "$(sed -n 1p "$LOG")" = "main(): pid = $SERVER_PID" ]
  [ "$(sed -n 2p "$LOG")" = "listening on $name" ]
  run -0 conn_lines "$LOG" "$name#1"
  [ "${lines[0]}" = "onConnection(): tid=T new connection [$name#1] from 127.0.0.1:$(local_port "$T/c1")" ]
  [ "${lines[1]}" = "onMessage(): tid=T received 9 bytes from connection [$name#1] at TIME" ]
  [ "${lines[2]}" = "onMessage(): [hello s11]" ]
  [ "${lines[3]}" = "onConnection(): tid=T connection [$name#1] is down" ]
  [ "${#lines[@]}" -eq 4 ]
  run -0 conn_lines "$LOG" "$name#2"
  [ "${lines[0]}" = "onConnection(): tid=T new connection [$name#2] from 127.0.0.1:$(local_port "$T/c2")" ]
  [ "${lines[1]}" = "onMessage(): tid=T received 16 bytes from connection [$name#2] at TIME" ]
  [ "${lines[2]}" = "onMessage(): [second: 16 bytes]" ]
  [ "${lines[3]}" = "onConnection(): tid=T connection [$name#2] is down" ]
  # No IO threads: everything runs in the main thread, whose tid is the pid.
  [ "$(tids "$LOG" "$name#1")" = "$SERVER_PID" ]
  [ "$(tids "$LOG" "$name#2")" = "$SERVER_PID" ]
  # The receive times are real: between the clients' start and end (one per message).
  local when us stamps
  mapfile -t stamps < <(sed -nE "s/^onMessage\(\): tid=[0-9]+ received .* at ($TIME_RE)\$/\1/p" "$LOG")
  [ "${#stamps[@]}" -eq 2 ]
  for when in "${stamps[@]}"; do
    us=$(formatted_us "$when")
    ((us / 1000 >= before - 1000 && us / 1000 <= after + 1000))
  done
  # The library's INFO line names the same connection and peer.
  grep -qE " INFO  TcpServer_newConnection \[$name\] - new connection \[$name#1\] from 127\.0\.0\.1:$(local_port "$T/c1") - TcpServer\.c:[0-9]+\$" "$LOG"
  stop_server_clean "$SERVER_PID" "$LOG"
}

@test "s11 test8 2: connections go round-robin to two IO threads, neither the main thread" {
  start_server "$LOG" "$S/test8" 2
  local name="0.0.0.0:$PORT" i
  for i in 1 2 3; do
    printf 'message %d' "$i" >"$T/p$i"
    timeout 10 "$B/s11_client" "$PORT" -f "$T/p$i" -H >/dev/null 2>"$T/c$i"
  done
  wait_for_line "$LOG" "connection \[$name#3\] is down"
  local t1 t2 t3
  t1=$(tids "$LOG" "$name#1")
  t2=$(tids "$LOG" "$name#2")
  t3=$(tids "$LOG" "$name#3")
  # One tid per connection: up, message and down all in its IO thread.
  [[ $t1 =~ ^[0-9]+$ ]]
  [[ $t2 =~ ^[0-9]+$ ]]
  [[ $t3 =~ ^[0-9]+$ ]]
  [ "$t1" -ne "$SERVER_PID" ]
  [ "$t2" -ne "$SERVER_PID" ]
  [ "$t1" -ne "$t2" ]
  [ "$t3" -eq "$t1" ] # round-robin: the third is back on the first thread
  # Both are threads of the server process.
  [ -d "/proc/$SERVER_PID/task/$t1" ]
  [ -d "/proc/$SERVER_PID/task/$t2" ]
  run -0 conn_lines "$LOG" "$name#2"
  [ "${lines[0]}" = "onConnection(): tid=T new connection [$name#2] from 127.0.0.1:$(local_port "$T/c2")" ]
  [ "${lines[1]}" = "onMessage(): tid=T received 9 bytes from connection [$name#2] at TIME" ]
  [ "${lines[2]}" = "onMessage(): [message 2]" ]
  [ "${lines[3]}" = "onConnection(): tid=T connection [$name#2] is down" ]
  stop_server_clean "$SERVER_PID" "$LOG"
}

@test "s11 test8: SIGTERM and SIGINT exit 0, open connections are reported down, no leak report" {
  local sig threads fd name
  for sig in TERM INT; do
    for threads in 0 2; do
      start_server "$LOG" "$S/test8" "$threads"
      name="0.0.0.0:$PORT"
      exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
      printf 'still here' >&"$fd"
      wait_for_line "$LOG" '^onMessage\(\): \[still here\]$'
      stop_bg "$SERVER_PID" "$sig"
      exec {fd}>&-
      [ "$BG_STATUS" -eq 0 ]
      # Freeing the server takes the open connection down through the same callback.
      [ "$(count_lines "$LOG" "^onConnection\(\): tid=[0-9]+ connection \[$name#1\] is down\$")" -eq 1 ]
      no_sanitizer_report "$LOG"
    done
  done
}

# --- test9: echo ------------------------------------------------------------------------------

@test "s11 test9: 1-byte writes come back byte for byte, with 0 and 2 IO threads" {
  head -c 3000 /dev/urandom >"$T/small"
  local threads
  for threads in 0 2; do
    start_server "$LOG" "$S/test9" "$threads"
    timeout 30 "$B/s11_client" "$PORT" -f "$T/small" -c 1 -H >"$T/got" 2>"$T/c"
    cmp "$T/got" "$T/small"
    grep -qx 'sent 3000 received 3000 eof' "$T/c"
    wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#1\] is down"
    # The byte counts of the message lines add up to what was sent.
    [ "$(sed -nE 's/^onMessage\(\): tid=[0-9]+ received ([0-9]+) bytes .*/\1/p' "$LOG" | awk '{ s += $1 } END { print s }')" -eq 3000 ]
    stop_server_clean "$SERVER_PID" "$LOG"
  done
}

@test "s11 test9: a 12 MB random payload sent and half-closed comes back whole, 0 and 2 threads" {
  head -c 12000000 /dev/urandom >"$T/big"
  local threads base
  for threads in 0 2; do
    start_server "$LOG" "$S/test9" "$threads"
    base=$(fd_count "$SERVER_PID")
    timeout 60 "$B/s11_client" "$PORT" -f "$T/big" -H -t 50 >"$T/got" 2>"$T/c"
    [ "$(md5sum <"$T/got")" = "$(md5sum <"$T/big")" ]
    grep -qx 'sent 12000000 received 12000000 eof' "$T/c"
    wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#1\] is down"
    [ "$(sed -nE 's/^onMessage\(\): tid=[0-9]+ received ([0-9]+) bytes .*/\1/p' "$LOG" | awk '{ s += $1 } END { print s }')" -eq 12000000 ]
    wait_fds "$SERVER_PID" "$base"
    stop_server_clean "$SERVER_PID" "$LOG"
  done
}

@test "s11 test9: once a queued echo has drained, the server stops asking for writability and idles" {
  # The peer sends 32 MB without reading, more than both sockets hold: the rest of the echo waits
  # in the server's output buffer, with writability watched. Once the peer has read it all, the
  # buffer is empty and the channel must stop watching: a socket with room to write is always writable, and a level-triggered
  # loop still watching it spins (about 100 CPU ticks a second) on an idle connection.
  start_server "$LOG" "$S/test9"
  local fd t0 t1
  exec {fd}<>/dev/tcp/127.0.0.1/"$PORT"
  head -c 32000000 /dev/zero >&"$fd"
  timeout 20 head -c 32000000 <&"$fd" | wc -c >"$T/n"
  [ "$(<"$T/n")" -eq 32000000 ]
  sleep 0.2
  t0=$(cpu_ticks "$SERVER_PID")
  sleep 1
  t1=$(cpu_ticks "$SERVER_PID")
  exec {fd}>&-
  echo "server CPU while idle: $((t1 - t0)) ticks in 1 s" >&2
  [ $((t1 - t0)) -lt 20 ]
  wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#1\] is down"
  stop_server_clean "$SERVER_PID" "$LOG"
}

@test "s11 test9: a peer that half-closes while output is pending still gets every byte, then EOF" {
  head -c 8000000 /dev/urandom >"$T/big"
  SERVER_ENV=(REACTOR_LOG_LEVEL=TRACE)
  start_server "$LOG" "$S/test9"
  local base name="0.0.0.0:$PORT"
  base=$(fd_count "$SERVER_PID")
  # The client sends everything and half-closes before reading a byte: the server reads EOF
  # with much of the echo still in its output buffer.
  timeout 60 "$B/s11_client" "$PORT" -f "$T/big" -H -D 1500 -t 50 >"$T/got" 2>"$T/c"
  cmp "$T/got" "$T/big"
  grep -qx 'sent 8000000 received 8000000 eof' "$T/c"
  local re=" TRACE TcpConnection_handleRead $name#1: peer closed its side, flushing ([0-9]+) bytes before closing - TcpConnection\.c:[0-9]+\$"
  run -0 grep -E -- "$re" "$LOG"
  [ "${#lines[@]}" -eq 1 ]
  [[ ${lines[0]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -gt 0 ]
  # Down only after the flush: the close comes from the write path, once the buffer is empty.
  wait_for_line "$LOG" "connection \[$name#1\] is down"
  wait_fds "$SERVER_PID" "$base"
  stop_server_clean "$SERVER_PID" "$LOG"
}

# --- test10: the data source ------------------------------------------------------------------

@test "s11 test10: the peer gets exactly 100 'A's, 200 'B's, then EOF; 0 and 2 threads" {
  repeated A 100 "$T/want"
  repeated B 200 "$T/b"
  cat "$T/b" >>"$T/want"
  local threads
  for threads in 0 2; do
    start_server "$LOG" "$S/test10" 100 200 "$threads"
    timeout 10 "$B/client_read" "$PORT" >"$T/got" 2>"$T/c" # exits 0 only at EOF
    cmp "$T/got" "$T/want"
    wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#1\] is down"
    stop_server_clean "$SERVER_PID" "$LOG"
  done
  # The defaults are 100 and 200.
  start_bg "$LOG" env REACTOR_PORT=0 "$S/test10"
  SERVER_PIDS+=("$BG_PID")
  PORT=$(listening_port "$LOG")
  timeout 10 "$B/client_read" "$PORT" >"$T/got" 2>"$T/c"
  cmp "$T/got" "$T/want"
}

@test "s11 test10: bytes that come with the peer's FIN after the server's own are read before the close" {
  # test10 half-closes first; s11_late_send then sends 'hello' and its FIN in one segment, so the
  # server's poll reports POLLIN and POLLHUP together: the data must be read, then the EOF.
  local threads
  for threads in 0 2; do
    start_server "$LOG" "$S/test10" 100 200 "$threads"
    run -0 timeout 10 "$B/s11_late_send" "$PORT" hello
    [ "$output" = "received 300 bytes, then EOF" ]
    wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#1\] is down"
    run -0 grep -E '^onMessage|is down$' "$LOG"
    [ "${#lines[@]}" -eq 2 ]
    [[ ${lines[0]} =~ ^onMessage\(\):\ tid=[0-9]+\ received\ 5\ bytes\ from\ connection\ \[0\.0\.0\.0:$PORT#1\] ]]
    [[ ${lines[1]} =~ connection\ \[0\.0\.0\.0:$PORT#1\]\ is\ down$ ]]
    stop_server_clean "$SERVER_PID" "$LOG"
  done
}

@test "s11 test10 5000000 7000000: 5 MB of 'A', 7 MB of 'B', then EOF; 0 and 2 threads" {
  repeated A 5000000 "$T/want"
  repeated B 7000000 "$T/b"
  cat "$T/b" >>"$T/want"
  local threads base
  for threads in 0 2; do
    start_server "$LOG" "$S/test10" 5000000 7000000 "$threads"
    base=$(fd_count "$SERVER_PID")
    # A slow start: the server's output buffer holds most of it while the client waits.
    timeout 60 "$B/s11_client" "$PORT" -D 300 -t 50 >"$T/got" 2>"$T/c"
    grep -qx 'sent 0 received 12000000 eof' "$T/c"
    cmp "$T/got" "$T/want"
    wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#1\] is down"
    wait_fds "$SERVER_PID" "$base"
    stop_server_clean "$SERVER_PID" "$LOG"
  done
}

# --- test11: chargen --------------------------------------------------------------------------

@test "s11 test11: the stream is the chargen pattern, exactly, over 2 MB; 0 and 2 threads" {
  chargen 2000000 "$T/want"
  # The pattern itself: lines of 72 characters, each starting one later, 94 lines a round.
  [ "$(head -n 1 "$T/want")" = '!"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefgh' ]
  [ "$(sed -n 2p "$T/want" | head -c 3)" = '"#$' ]
  [ "$(sed -n 94p "$T/want" | head -c 3)" = '~!"' ]
  [ "$(sed -n 95p "$T/want")" = "$(sed -n 1p "$T/want")" ]
  [ "$(head -n 27000 "$T/want" | awk 'length($0) != 72' | wc -l)" -eq 0 ]
  local threads base
  for threads in 0 2; do
    start_server "$LOG" "$S/test11" "$threads"
    base=$(fd_count "$SERVER_PID")
    timeout 30 "$B/s11_client" "$PORT" -n 2000000 >"$T/got" 2>"$T/c"
    cmp "$T/got" "$T/want"
    wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#1\] is down"
    wait_fds "$SERVER_PID" "$base"
    stop_server_clean "$SERVER_PID" "$LOG"
  done
}

@test "s11 test11: a slow reader for 3 s: the stream stays exact and the server's memory flat" {
  start_server "$LOG" "$S/test11"
  local rss0 hwm
  rss0=$(status_kb "$SERVER_PID" VmRSS)
  # 4 KiB every 10 ms: the server sends only on write-complete, so it waits for the reader.
  timeout 30 "$B/s11_client" "$PORT" -n 1200000 -b 4096 -d 10 >"$T/got" 2>"$T/c"
  chargen 1200000 "$T/want"
  cmp "$T/got" "$T/want"
  kill -0 "$SERVER_PID"
  if [ -z "${REACTOR_SAN:-}" ]; then
    hwm=$(status_kb "$SERVER_PID" VmHWM)
    echo "VmRSS at start $rss0 kB, VmHWM after $hwm kB" >&2
    ((hwm - rss0 < 1024))
  fi
  stop_server_clean "$SERVER_PID" "$LOG"
}

@test "s11 test11: peers that half-close get the rest of the stream and EOF; nothing runs after down" {
  # The client sends nothing and shuts down its writing side at once. test11 flushes what it
  # owes, closes, and its write-complete callback (which would send again) must not run after
  # the connection went down: no "dropped a send" warning, no line of that connection after.
  local threads i bytes down after
  for threads in 0 2; do
    start_server "$LOG" "$S/test11" "$threads"
    for i in 1 2 3; do
      timeout 30 "$B/s11_client" "$PORT" -f /dev/null -H >"$T/got" 2>"$T/c"
      [ "$(tail -n 1 "$T/c")" = "sent 0 received $(wc -c <"$T/got") eof" ]
      bytes=$(wc -c <"$T/got")
      [ "$bytes" -ge 6862 ] # at least the first round of 94 lines
      chargen "$bytes" "$T/want"
      cmp "$T/got" "$T/want"
      wait_for_line "$LOG" "connection \[0\.0\.0\.0:$PORT#$i\] is down"
    done
    stop_server_clean "$SERVER_PID" "$LOG"
    [ "$(count_lines "$LOG" ' WARN ')" -eq 0 ]
    for i in 1 2 3; do
      down=$(grep -nE "connection \[0\.0\.0\.0:$PORT#$i\] is down" "$LOG" | cut -d: -f1)
      [ -n "$down" ]
      after=$(tail -n +"$((down + 1))" "$LOG" | grep -cE "^on[A-Za-z]+\(\).*:$PORT#$i\]" || true)
      [ "$after" -eq 0 ]
    done
  done
}

# --- flow control and memory ------------------------------------------------------------------

# relay FLOW PAYLOAD: runs s11_hwm_relay (mark 64 KiB) with a slow sink and a fast source
# sending PAYLOAD; sets RELAY_GROWTH (VmHWM minus the starting VmRSS, kB) and leaves what the
# sink got in $T/got and the relay's output in $LOG.
relay() {
  SERVER_ENV=(REACTOR_LOG_LEVEL=WARN)
  start_server "$LOG" "$B/s11_hwm_relay" 65536 "$1"
  local rss0 sink
  rss0=$(status_kb "$SERVER_PID" VmRSS)
  # The sink reads nothing for 1 s, then 32 KiB every 2 ms.
  timeout 60 "$B/s11_client" "$PORT" -D 1000 -b 32768 -d 2 -t 50 >"$T/got" 2>"$T/sink" \
    </dev/null 3>&- 4>&- &
  sink=$!
  SERVER_PIDS+=("$sink")
  wait_for_line "$LOG" '^sink up$'
  timeout 60 "$B/s11_client" "$PORT" -f "$2" -H -t 50 >/dev/null 2>"$T/source"
  wait "$sink"
  forget "$sink"
  RELAY_GROWTH=$(($(status_kb "$SERVER_PID" VmHWM) - rss0))
  echo "relay flow=$1: VmHWM grew by $RELAY_GROWTH kB" >&2
}

@test "s11 high-water mark: a relay that stops reading at the mark delivers every byte in order" {
  head -c 8000000 /dev/urandom >"$T/payload"
  relay 1 "$T/payload"
  cmp "$T/got" "$T/payload"
  local re='^relayed 8000000 bytes, high-water-mark callbacks ([0-9]+), largest output buffer ([0-9]+) bytes$'
  run -0 grep -E "$re" "$LOG"
  [[ $output =~ $re ]]
  [ "${BASH_REMATCH[1]}" -ge 1 ]
  # Past the mark by at most what one read brings in (the tail plus the 64 KiB stack area).
  [ "${BASH_REMATCH[2]}" -lt $((65536 + 262144)) ]
  wait_for_line "$LOG" '^sink down$'
  stop_server_clean "$SERVER_PID" "$LOG"
}

@test "s11 high-water mark: with the mark the relay's memory stays bounded; without, it does not" {
  skip_under_sanitizers
  head -c 16000000 /dev/urandom >"$T/payload"
  relay 1 "$T/payload"
  cmp "$T/got" "$T/payload"
  local bounded=$RELAY_GROWTH
  stop_server_clean "$SERVER_PID" "$LOG"
  # The same run, the callback ignored: the relay holds what the sink has not read yet.
  relay 0 "$T/payload"
  cmp "$T/got" "$T/payload"
  grep -qE '^relayed 16000000 bytes, high-water-mark callbacks 1, ' "$LOG"
  stop_server_clean "$SERVER_PID" "$LOG"
  ((bounded < 2048))
  ((RELAY_GROWTH > 8192))
}

@test "s11 pingpong_server: 1000 idle connections cost under 1.5 KiB each (buffers come on first use)" {
  skip_under_sanitizers
  start_server "$LOG" "$S/pingpong_server"
  local base rss0 rss1 idle
  base=$(fd_count "$SERVER_PID")
  rss0=$(status_kb "$SERVER_PID" VmRSS)
  start_bg "$T/idle" "$B/s11_idle_clients" "$PORT" 1000
  idle=$BG_PID
  SERVER_PIDS+=("$idle")
  wait_for_line "$T/idle" '^connected 1000$' 20
  wait_fds "$SERVER_PID" $((base + 1000))
  rss1=$(status_kb "$SERVER_PID" VmRSS)
  echo "VmRSS $rss0 kB idle, $rss1 kB with 1000 connections" >&2
  # A TcpConnection is a few hundred bytes; two 1 KiB buffers each would be over 2 KiB more.
  ((rss1 - rss0 < 1500))
  stop_bg "$idle"
  forget "$idle"
  wait_fds "$SERVER_PID" "$base"
  # One echo still works: the connections were real.
  printf 'ping' >"$T/ping"
  timeout 10 "$B/s11_client" "$PORT" -f "$T/ping" -H >"$T/got" 2>/dev/null
  cmp "$T/got" "$T/ping"
  stop_server_clean "$SERVER_PID" "$LOG"
}

# --- connection faults ------------------------------------------------------------------------

@test "s11 test9 2: 300 peers that reset at once; every connection up goes down, fds come back" {
  start_server "$LOG" "$S/test9" 2
  local base name="0.0.0.0:$PORT" up
  base=$(fd_count "$SERVER_PID")
  timeout 30 "$B/client_reset" "$PORT" 300
  # An echo afterwards still works.
  printf 'after the storm' >"$T/p"
  timeout 10 "$B/s11_client" "$PORT" -f "$T/p" -H >"$T/got" 2>"$T/c"
  cmp "$T/got" "$T/p"
  wait_fds "$SERVER_PID" "$base"
  up=$(count_lines "$LOG" "^onConnection\(\): tid=[0-9]+ new connection \[$name#[0-9]+\] from 127\.0\.0\.1:[0-9]+\$")
  # The echo's connection and the storm's that came up (Linux hands over a connection reset
  # while it waited in the backlog: usually all 300).
  [ "$up" -ge 2 ]
  [ "$up" -le 301 ]
  wait_for_count "$LOG" "^onConnection\(\): tid=[0-9]+ connection \[$name#[0-9]+\] is down\$" "$up" 10
  kill -0 "$SERVER_PID"
  run ! grep -E ' FATAL ' "$LOG"
  stop_server_clean "$SERVER_PID" "$LOG"
}

@test "s11: peers that reset in the middle of a large send: no SIGPIPE death, fds come back" {
  local prog threads base i name
  for prog in test10 test11 test9; do
    for threads in 0 2; do
      if [ "$prog" = test10 ]; then
        start_server "$LOG" "$S/test10" 8000000 8000000 "$threads"
      else
        start_server "$LOG" "$S/$prog" "$threads"
      fi
      name="0.0.0.0:$PORT"
      base=$(fd_count "$SERVER_PID")
      head -c 4000000 /dev/zero >"$T/zeros"
      for ((i = 1; i <= 3; i++)); do
        # Read 100 KB of what the server sends (test9: of the echo), then RST: the server
        # still has output queued and its next write fails with EPIPE or ECONNRESET.
        if [ "$prog" = test9 ]; then
          timeout 30 "$B/s11_client" "$PORT" -f "$T/zeros" -n 100000 -R >/dev/null 2>"$T/c"
        else
          timeout 30 "$B/s11_client" "$PORT" -n 100000 -R >/dev/null 2>"$T/c"
        fi
        wait_for_line "$LOG" "connection \[$name#$i\] is down"
      done
      wait_fds "$SERVER_PID" "$base"
      kill -0 "$SERVER_PID"
      run ! grep -E ' FATAL ' "$LOG"
      stop_server_clean "$SERVER_PID" "$LOG"
    done
  done
}

@test "s11: sends from other threads while the connection is force-closed; later sends warn" {
  run -0 timeout 120 "$B/s11_send_race" 30 2
  [ "${lines[-4]}" = "rounds 30, senders 2" ]
  local re='^sends ([0-9]+), after the close ([0-9]+)$'
  [[ ${lines[-3]} =~ $re ]]
  local sends=${BASH_REMATCH[1]} after=${BASH_REMATCH[2]}
  [ "$after" -eq 180 ] # 3 per sender per round
  [ "${lines[-2]}" = "connections up 30, down 30" ]
  re='^fds before ([0-9]+), after ([0-9]+)$'
  [[ ${lines[-1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
  # Every send after the close was dropped with a warning naming the state; no send was
  # dropped without one, and nothing went wrong otherwise.
  local dropped_closed dropped
  dropped_closed=$(grep -cE " WARN  TcpConnection [0-9.:]+#[0-9]+ is not connected \(kDisconnected\), dropped a send of 1000 bytes - TcpConnectionOutput\.c:[0-9]+\$" <<<"$output")
  dropped=$(grep -cE ' WARN  TcpConnection .*(dropped a send|gave up writing) ' <<<"$output")
  [ "$dropped_closed" -ge "$after" ]
  [ "$dropped" -le $((sends + after)) ]
  [ "$(grep -c ' WARN ' <<<"$output")" -eq "$dropped" ]
  [[ $output != *" ERROR "* ]]
  [[ $output != *" FATAL "* ]]
  [[ $output != *"Sanitizer"* ]]
  [[ $output != *"runtime error"* ]]
}

@test "s11: forceClose from another thread, again and again until the connection is down: one down each" {
  # The controller calls forceClose in a loop while the IO thread closes the connection: a
  # close landing between forceClose's look at the state and its change must not be
  # overwritten (that closed the connection twice: two "down" callbacks and a double unref).
  run -0 timeout 120 "$B/s11_send_race" 200 1
  [ "${lines[-4]}" = "rounds 200, senders 1" ]
  [ "${lines[-2]}" = "connections up 200, down 200" ]
  [[ $output != *" ERROR "* ]]
  [[ $output != *" FATAL "* ]]
  [[ $output != *"Sanitizer"* ]]
  [[ $output != *"runtime error"* ]]
}

@test "s11: shutdown, forceClose and send from another thread while \"up\" runs: the callback still sees kConnected; the acts land in order" {
  # The state is written in the loop thread only: another thread's shutdown or forceClose takes
  # effect when its queued call runs, so an up callback never sees "not connected" (a callback
  # that counts ups and downs by TcpConnection_connected miscounted when it did).
  run -0 timeout 60 "$B/s11_state_in_loop"
  [ "$(grep -vE ' (TRACE|DEBUG|INFO|WARN) |^fds' <<<"$output")" = 'shutdown: up saw kConnected; the peer read 0 bytes "", then EOF; down saw kDisconnected
forceClose: up saw kConnected; the peer read 0 bytes "", then EOF; down saw kDisconnected
send, then shutdown: up saw kConnected; the peer read 5 bytes "hello", then EOF; down saw kDisconnected
shutdown, then send: up saw kConnected; the peer read 0 bytes "", then EOF; down saw kDisconnected
connections up 4, down 4' ]
  [[ ${lines[-1]} =~ ^fds\ before\ ([0-9]+),\ after\ ([0-9]+)$ ]]
  [ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
  # The one warning: the send made after the shutdown, dropped in the loop thread.
  [ "$(grep -c ' WARN ' <<<"$output")" -eq 1 ]
  [[ $(grep ' WARN ' <<<"$output") =~ \ WARN\ \ TcpConnection\ 127\.0\.0\.1:[0-9]+#4\ is\ not\ connected\ \(kDisconnecting\),\ gave\ up\ writing\ 4\ bytes\ -\ TcpConnectionOutput\.c:[0-9]+$ ]]
  [[ $output != *" ERROR "* ]]
  [[ $output != *"Sanitizer"* ]]
}

# --- Buffer -----------------------------------------------------------------------------------

@test "s11 Buffer: regions, prepend, retrieve, findCRLF; storage is NULL until first use" {
  run -0 "$B/s11_buffer"
  [ "${lines[0]}" = "init: data NULL, readable 0, writable 0, prependable 8, capacity 0" ]
  [ "${lines[1]}" = "findCRLF on empty: NULL" ]
  [ "${lines[2]}" = "retrieveAllAsString on empty: '', data NULL" ]
  [ "${lines[3]}" = "append 0 bytes: data NULL, readable 0, writable 0, prependable 8, capacity 0" ]
  [ "${lines[4]}" = "append 5: data set, readable 5, writable 1019, prependable 8, capacity 1032" ]
  [ "${lines[5]}" = "prepend 4: data set, readable 9, writable 1019, prependable 4, capacity 1032" ]
  [ "${lines[6]}" = "peek: '1234hello'" ]
  [ "${lines[7]}" = "retrieve 2: data set, readable 7, writable 1019, prependable 6, capacity 1032" ]
  [ "${lines[8]}" = "retrieveAsString 3: '34h'" ]
  [ "${lines[9]}" = "after retrieveAsString: data set, readable 4, writable 1019, prependable 9, capacity 1032" ]
  [ "${lines[10]}" = "retrieve more than readable: data set, readable 0, writable 1024, prependable 8, capacity 1032" ]
  [ "${lines[11]}" = "findCRLF: at 14" ]
  [ "${lines[12]}" = "findCRLF after the first line: at 7" ]
  [ "${lines[13]}" = "findCRLF with a lone CR at the end: NULL" ]
  [ "${lines[14]}" = "destroy: data NULL, readable 0, writable 0, prependable 8, capacity 0" ]
  [ "${lines[-1]}" = "failures 0" ]
}

@test "s11 Buffer: growth slides the content to the front before it reallocates" {
  run -0 "$B/s11_buffer"
  [ "${lines[15]}" = "append 1000, retrieve 900: data set, readable 100, writable 24, prependable 908, capacity 1032" ]
  [ "${lines[16]}" = "append 800: capacity unchanged, storage unchanged, readerIndex 8" ]
  [ "${lines[17]}" = "append 4000: capacity 8256, readable 4900, readerIndex 8" ]
  [[ $output != *FAIL* ]]
}

@test "s11 Buffer: readFd reads a pipe with one readv into the tail plus a 64 KiB stack area" {
  run -0 "$B/s11_buffer"
  # A small write: one read into the stack area, then a 1 KiB buffer is enough.
  [ "${lines[18]}" = "small: 100 bytes written, tail 0 before the first read, reads: 100/0, then -1 (EAGAIN)" ]
  [ "${lines[19]}" = "small: readable 100, capacity 1032" ]
  [ "${lines[20]}" = "small: at EOF readFd returns 0" ]
  # A big one: each read takes at most the tail plus 64 KiB, the stack area only while the tail
  # is under 64 KiB, so the buffer grows with what arrives, not without end.
  [ "${lines[21]}" = "big: 200000 bytes written, tail 0 before the first read, reads: 65536/0 66040/504 66048/512 2376/66560, then -1 (EAGAIN)" ]
  [ "${lines[22]}" = "big: readable 200000, capacity 264192" ]
  [ "${lines[24]}" = "tail 100000: 200000 bytes written, tail 132088 before the first read, reads: 132088/132088 65536/0 2376/66560, then -1 (EAGAIN)" ]
  [ "${lines[27]}" = "tail 300000: 200000 bytes written, tail 528376 before the first read, reads: 200000/528376, then -1 (EAGAIN)" ]
  [ "${lines[28]}" = "tail 300000: readable 200000, capacity 528384" ]
  [ "${lines[29]}" = "tail 300000: at EOF readFd returns 0" ]
  [ "${#lines[@]}" -eq 36 ]
  [[ $output != *FAIL* ]]
}

@test "s11 Buffer: a view over lent storage reads as any Buffer, grows into its own, frees nothing lent" {
  run -0 "$B/s11_buffer"
  [ "${lines[30]}" = "view of 11: data set, readable 11, writable 53, prependable 8, capacity 72" ]
  [ "${lines[31]}" = "view: retrieve 6, then 'world'; borrowed yes" ]
  # Within the lent storage, appends and prepends stay there.
  [ "${lines[32]}" = "view: append 10, prepend 2: in the lent storage yes, peek 'ab0123456789'" ]
  # Past it, the content moves into storage of its own (a first block, not the lent size
  # doubled), and the lender's bytes are left as they were.
  [ "${lines[33]}" = "view: append 100: borrowed no, own storage yes, capacity 1032, lent bytes 'ab0123456789'" ]
  # The lent storage is an array on the stack: freeing it would have aborted the program.
  [ "${lines[34]}" = "view destroyed: data NULL, readable 0, writable 0, prependable 8, capacity 0" ]
  [ "${lines[-1]}" = "failures 0" ]
}

@test "s11 input: a connection reads into its loop's buffer and keeps only what the callback leaves" {
  start_server "$LOG" "$B/s11_lines"
  exec 5<>"/dev/tcp/127.0.0.1/$PORT"
  local line i
  # send_once TEXT: TEXT in one write(2) (bash's printf may split it at a newline).
  send_once() {
    printf '%b' "$1" >"$T/chunk"
    dd if="$T/chunk" bs=4096 count=1 status=none >&5
  }
  # A partial line: the callback sees a view over the loop's buffer, and leaves all 3 bytes.
  send_once 'hel'
  wait_for_count "$LOG" '^message ' 1
  # The rest arrives after the kept bytes, in the connection's own buffer, in order.
  send_once 'lo\nwor'
  IFS= read -r -t 5 -u 5 line
  [ "$line" = "hello" ]
  send_once 'ld\n'
  IFS= read -r -t 5 -u 5 line
  [ "$line" = "world" ]
  # Whole lines from then on: the loop's buffer again; the emptied storage is kept for 16 reads
  # in a row that leave it empty (the one that emptied it and 15 more), then given back.
  for i in $(seq 16); do
    send_once "x$i\n"
    IFS= read -r -t 5 -u 5 line
    [ "$line" = "x$i" ]
  done
  exec 5>&-
  wait_for_count "$LOG" '^message ' 19
  grep '^message ' "$LOG" >"$T/messages"
  [ "$(sed -n 1p "$T/messages")" = "message 3 bytes in view, own storage none, echoed 0, left 3" ]
  [ "$(sed -n 2p "$T/messages")" = "message 9 bytes in own, own storage held, echoed 6, left 3" ]
  [ "$(sed -n 3p "$T/messages")" = "message 6 bytes in own, own storage held, echoed 6, left 0" ]
  [ "$(sed -n 4p "$T/messages")" = "message 3 bytes in view, own storage held, echoed 3, left 0" ]
  [ "$(sed -n 18p "$T/messages")" = "message 4 bytes in view, own storage held, echoed 4, left 0" ]
  [ "$(sed -n 19p "$T/messages")" = "message 4 bytes in view, own storage none, echoed 4, left 0" ]
}

# --- the two backends -------------------------------------------------------------------------

# eventpoll_fds PID: how many epoll instances PID holds, seen from outside: its fds whose
# /proc/PID/fd link reads anon_inode:[eventpoll]. Fails if PID is gone.
eventpoll_fds() {
  local fd target n=0
  kill -0 "$1" || return 1
  for fd in /proc/"$1"/fd/*; do
    target=$(readlink "$fd") || continue # closed in the meantime
    if [ "$target" = "anon_inode:[eventpoll]" ]; then
      n=$((n + 1))
    fi
  done
  echo "$n"
}

@test "s11: REACTOR_USE_POLL picks the backend; an unknown value warns once and uses epoll" {
  local v out name fds
  for v in 0 1 yes; do
    SERVER_ENV=(REACTOR_LOG_LEVEL=TRACE REACTOR_USE_POLL=$v)
    start_server "$LOG" "$S/test8" 2
    name="0.0.0.0:$PORT"
    printf 'which poller' >"$T/p"
    timeout 10 "$B/s11_client" "$PORT" -f "$T/p" -H >/dev/null 2>/dev/null
    wait_for_line "$LOG" "connection \[$name#1\] is down"
    # What really runs: on epoll each of the three loops (main and two IO threads) holds an
    # epoll instance; on poll(2) none does.
    fds=$(eventpoll_fds "$SERVER_PID")
    stop_server_clean "$SERVER_PID" "$LOG"
    local epoll poll
    epoll=$(count_lines "$LOG" " TRACE EPoller_poll [0-9]+ events happened - EPoller\.c:[0-9]+\$")
    poll=$(count_lines "$LOG" " TRACE Poller_poll [0-9]+ events happened - Poller\.c:[0-9]+\$")
    echo "REACTOR_USE_POLL=$v: $fds epoll fds, $epoll EPoller_poll lines, $poll Poller_poll lines" >&2
    if [ "$v" = 1 ]; then
      [ "$fds" -eq 0 ]
      [ "$poll" -gt 0 ]
      [ "$epoll" -eq 0 ]
    else
      [ "$fds" -eq 3 ]
      [ "$epoll" -gt 0 ]
      [ "$poll" -eq 0 ]
    fi
    if [ "$v" = yes ]; then
      # Three loops (main and two IO threads) read the setting; it is reported once.
      run -0 grep -E ' WARN ' "$LOG"
      [ "${#lines[@]}" -eq 1 ]
      [[ ${lines[0]} =~ ^${LOG_TIME_RE}WARN\ \ unknown\ REACTOR_USE_POLL\ \'yes\'\ \(expected\ 0\ or\ 1\),\ using\ epoll\ -\ Settings\.c:[0-9]+$ ]]
    else
      run ! grep -E ' WARN ' "$LOG"
    fi
  done
}

@test "s11 on poll(2): 8 always-ready channels over 800 polls: each goes first about equally often, in rotation" {
  # The program runs on poll(2) whatever REACTOR_USE_POLL says; every poll reports all eight.
  run -0 timeout 20 "$B/s11_poll_rotation"
  [ "${#lines[@]}" -eq 2 ]
  [[ ${lines[0]} =~ ^first:(\ [0-9]+){8}$ ]]
  [ "${lines[1]}" = "polls 800, not a rotation 0" ]
  # 100 each on average; a scan that always starts at slot 0 gives one channel all 800.
  local n
  for n in ${lines[0]#first:}; do
    [ "$n" -ge 50 ]
    [ "$n" -le 200 ]
  done
}

# --- bad input --------------------------------------------------------------------------------

@test "s11: a bad REACTOR_PORT gives one line naming the value, status 1, no abort" {
  local prog v
  for prog in test8 test9 test10 test11 pingpong_server; do
    for v in abc 70000 -1 ''; do
      REACTOR_PORT=$v run --separate-stderr -1 timeout 10 "$S/$prog"
      [ "$stderr" = "$prog: bad REACTOR_PORT '$v': not a port number (0-65535)" ]
      [ -z "$output" ]
    done
  done
}

@test "s11: a bad thread count gives one line naming it, status 1, no abort" {
  local prog v
  for prog in test8 test9 test11 pingpong_server; do
    for v in abc -1 65 2x; do
      REACTOR_PORT=0 run --separate-stderr -1 timeout 10 "$S/$prog" "$v"
      [ "$stderr" = "$prog: bad number of IO threads '$v': expected an integer from 0 to 64" ]
      [ -z "$output" ]
    done
  done
  REACTOR_PORT=0 run --separate-stderr -1 timeout 10 "$S/test10" 100 200 -1
  [ "$stderr" = "test10: bad number of IO threads '-1': expected an integer from 0 to 64" ]
  REACTOR_PORT=0 run --separate-stderr -1 timeout 10 "$S/test10" abc
  [ "$stderr" = "test10: bad len1 'abc': expected an integer from 0 to 1073741824" ]
  REACTOR_PORT=0 run --separate-stderr -1 timeout 10 "$S/test10" 1 -5
  [ "$stderr" = "test10: bad len2 '-5': expected an integer from 0 to 1073741824" ]
  [ -z "$output" ]
}

@test "s11: a port in use gives one line naming the address and the reason, status 1" {
  local prog
  for prog in test8 test9 test10 test11; do
    start_server "$LOG" "$S/$prog"
    REACTOR_PORT=$PORT run --separate-stderr -1 timeout 10 "$S/$prog" 2
    [ "$stderr" = "$prog: cannot listen on 0.0.0.0:$PORT: Address already in use" ]
    [[ $output =~ ^main\(\):\ pid\ =\ [0-9]+$ ]]
    kill -0 "$SERVER_PID" # the first one is unharmed
    stop_server_clean "$SERVER_PID" "$LOG"
  done
  start_server "$LOG" "$S/pingpong_server"
  REACTOR_PORT=$PORT run --separate-stderr -1 timeout 10 "$S/pingpong_server"
  [ "$stderr" = "pingpong_server: cannot listen on 0.0.0.0:$PORT: Address already in use" ]
  [ -z "$output" ]
}

@test "s11 pingpong pair: all connected, stop, all disconnected, then totals that add up; nothing else" {
  local threads re bytes messages average mibs
  local pre="^${LOG_TIME_RE}WARN  "
  for threads in 0 2; do
    start_server "$LOG" "$S/pingpong_server" "$threads"
    REACTOR_PORT=$PORT run -0 timeout 30 "$S/pingpong_client" "$threads" 64 20 1
    [ "${#lines[@]}" -eq 7 ]
    re="${pre}all connected - pingpong_client\.c:[0-9]+\$"
    [[ ${lines[0]} =~ $re ]]
    re="${pre}stop - "
    [[ ${lines[1]} =~ $re ]]
    re="${pre}all disconnected - "
    [[ ${lines[2]} =~ $re ]]
    re="${pre}([0-9]+) total bytes read - "
    [[ ${lines[3]} =~ $re ]]
    bytes=${BASH_REMATCH[1]}
    re="${pre}([0-9]+) total messages read - "
    [[ ${lines[4]} =~ $re ]]
    messages=${BASH_REMATCH[1]}
    re="${pre}([0-9.e+]+) average message size - "
    [[ ${lines[5]} =~ $re ]]
    average=${BASH_REMATCH[1]}
    re="${pre}([0-9.e+]+) MiB/s throughput - "
    [[ ${lines[6]} =~ $re ]]
    mibs=${BASH_REMATCH[1]}
    # Every session echoed for the whole second: many round trips of whole 64-byte blocks.
    [ "$messages" -gt 100 ]
    [ $((bytes % 64)) -eq 0 ]
    # The average is bytes / messages and the throughput bytes / MiB / 1 s (1% tolerance for %g).
    awk -v b="$bytes" -v m="$messages" -v a="$average" -v t="$mibs" 'BEGIN {
      x = b / m; y = b / 1048576
      exit !((a - x) ^ 2 <= 0.0001 * x * x && (t - y) ^ 2 <= 0.0001 * y * y) }'
    stop_server_clean "$SERVER_PID" "$LOG"
  done
}
