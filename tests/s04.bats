#!/usr/bin/env bats
# Stage s04: the listening side - InetAddress, SocketsOps, Socket, Acceptor, and test7, which
# greets every connection with "How are you?\n" and closes it. The tests/c checks carried from
# s00 - s03 run on s04's build too; test1 - test6 are s03's, byte for byte, and s03.bats runs them.
bats_require_minimum_version 1.5.0
load helpers
time_bound 30
load carried

GREETING=$'How are you?\n'

setup() {
  S=$TOP/s04
  B=$TOP/tests/bin/s04
  LOG=$BATS_TEST_TMPDIR/out.log
  SERVER_PIDS=()
}

teardown() {
  stop_servers
}

# start_test7 LOG [VAR=VALUE...]: starts test7 with REACTOR_PORT=0 (plus the given environment)
# and waits for its "listening on" line; sets SERVER_PID and PORT.
start_test7() {
  local log=$1
  shift
  local -a SERVER_ENV=("$@")
  start_server "$log" "$S/test7"
}

# greetings N FILE: writes N copies of the greeting to FILE, the bytes N clients should get.
greetings() {
  local i
  : >"$2"
  for ((i = 0; i < $1; i++)); do
    printf '%s' "$GREETING" >>"$2"
  done
}

NEWCONN_RE='^newConnection\(\): accepted a new connection from 127\.0\.0\.1:[0-9]+$'

@test "s04 test7: a client receives exactly 'How are you?\\n' and then EOF" {
  start_test7 "$LOG"
  local got=$BATS_TEST_TMPDIR/got fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  # cat ends only at EOF: a server that did not close would make timeout fail the test.
  timeout 5 cat <&"$fd" >"$got"
  exec {fd}>&-
  [ "$(od -An -c "$got" | tr -s ' ')" = " H o w a r e y o u ? \n" ]
  greetings 1 "$BATS_TEST_TMPDIR/want"
  cmp "$got" "$BATS_TEST_TMPDIR/want"
  wait_for_line "$LOG" "$NEWCONN_RE"
  mapfile -t out <"$LOG"
  [ "${out[0]}" = "main(): pid = $SERVER_PID" ]
  [ "${out[1]}" = "listening on 0.0.0.0:$PORT" ]
  [[ ${out[2]} =~ $NEWCONN_RE ]]
  [ "${#out[@]}" -eq 3 ]
}

@test "s04 test7: the newConnection line names the client's real local port" {
  start_test7 "$LOG"
  "$B/client_read" "$PORT" >"$BATS_TEST_TMPDIR/got" 2>"$BATS_TEST_TMPDIR/ports"
  local lport
  lport=$(field_of "$(<"$BATS_TEST_TMPDIR/ports")" '^local port ([0-9]+)$')
  [ "$lport" -gt 0 ]
  wait_for_line "$LOG" "$NEWCONN_RE"
  [ "$(sed -n 3p "$LOG")" = "newConnection(): accepted a new connection from 127.0.0.1:$lport" ]
  greetings 1 "$BATS_TEST_TMPDIR/want"
  cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
}

@test "s04 test7 at TRACE: the Acceptor logs the accepted fd and the same peer" {
  start_test7 "$LOG" REACTOR_LOG_LEVEL=TRACE
  "$B/client_read" "$PORT" >/dev/null 2>"$BATS_TEST_TMPDIR/ports"
  local lport
  lport=$(field_of "$(<"$BATS_TEST_TMPDIR/ports")" '^local port ([0-9]+)$')
  wait_for_line "$LOG" "$NEWCONN_RE"
  local re=" TRACE Acceptor_handleRead accepted fd ([0-9]+) from 127\.0\.0\.1:$lport - Acceptor\.c:[0-9]+\$"
  run -0 grep -E -- "$re" "$LOG"
  [ "${#lines[@]}" -eq 1 ]
  # The accepted fd is the lowest free one: above the listening socket and the spare fd.
  [[ ${lines[0]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -ge 3 ]
  # The newConnection line comes right after the Acceptor's TRACE line.
  run -0 grep -A1 -E -- "$re" "$LOG"
  [ "${lines[1]}" = "newConnection(): accepted a new connection from 127.0.0.1:$lport" ]
}

@test "s04 test7 on a fixed port: the reference transcript, with no 'listening on' line" {
  local port pid i started=
  # A random port below the ephemeral range; retry when something else has it.
  for ((i = 0; i < 10; i++)); do
    port=$((10000 + RANDOM % 22000))
    start_bg "$LOG" env REACTOR_PORT="$port" "$S/test7"
    pid=$BG_PID
    if wait_listening "$pid" "$port"; then
      started=1
      break
    fi
    stop_bg "$pid"
    grep -q 'Address already in use' "$LOG"
  done
  [ -n "$started" ]
  SERVER_PIDS+=("$pid")
  "$B/client_read" "$port" >/dev/null 2>"$BATS_TEST_TMPDIR/ports"
  local lport
  lport=$(field_of "$(<"$BATS_TEST_TMPDIR/ports")" '^local port ([0-9]+)$')
  wait_for_line "$LOG" "$NEWCONN_RE"
  mapfile -t out <"$LOG"
  [ "${out[0]}" = "main(): pid = $pid" ]
  [ "${out[1]}" = "newConnection(): accepted a new connection from 127.0.0.1:$lport" ]
  [ "${#out[@]}" -eq 2 ]
}

@test "s04 test7: 200 sequential connections are all served, the fd count comes back" {
  start_test7 "$LOG"
  local base i fd all=$BATS_TEST_TMPDIR/all
  base=$(fd_count "$SERVER_PID")
  : >"$all"
  for ((i = 0; i < 200; i++)); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    timeout 5 cat <&"$fd" >>"$all"
    exec {fd}>&-
  done
  greetings 200 "$BATS_TEST_TMPDIR/want"
  cmp "$all" "$BATS_TEST_TMPDIR/want"
  wait_for_count "$LOG" "$NEWCONN_RE" 200
  kill -0 "$SERVER_PID"
  [ "$(fd_count "$SERVER_PID")" -eq "$base" ]
  [ "$(wc -l <"$LOG")" -eq 202 ] # main(), listening on, 200 connections: nothing else
}

@test "s04 test7: 50 concurrent connections (5 clients holding 10 each) are all served" {
  start_test7 "$LOG"
  local base i pids=()
  base=$(fd_count "$SERVER_PID")
  # Each client connects all 10 before reading any, so the server finds many waiting at once.
  for ((i = 0; i < 5; i++)); do
    timeout 10 "$B/client_read" "$PORT" 10 >"$BATS_TEST_TMPDIR/got$i" \
      2>"$BATS_TEST_TMPDIR/ports$i" </dev/null 3>&- 4>&- &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "client $i failed:" >&2; cat "$BATS_TEST_TMPDIR/ports$i" >&2; false; }
  done
  greetings 10 "$BATS_TEST_TMPDIR/want"
  for ((i = 0; i < 5; i++)); do
    cmp "$BATS_TEST_TMPDIR/got$i" "$BATS_TEST_TMPDIR/want"
  done
  wait_for_count "$LOG" "$NEWCONN_RE" 50
  # Every client's local port is named by exactly one newConnection line.
  local ports
  ports=$(cat "$BATS_TEST_TMPDIR"/ports? | sed -nE 's/^local port ([0-9]+)$/\1/p' | sort -n)
  [ "$(wc -l <<<"$ports")" -eq 50 ]
  [ "$(sed -nE 's/^newConnection.*:([0-9]+)$/\1/p' "$LOG" | sort -n)" = "$ports" ]
  kill -0 "$SERVER_PID"
  [ "$(fd_count "$SERVER_PID")" -eq "$base" ]
}

@test "s04 test7: a storm of connections reset at once leaves it alive and serving" {
  start_test7 "$LOG"
  local base
  base=$(fd_count "$SERVER_PID")
  # RST instead of FIN, often before accept: writes then fail with ECONNRESET, never SIGPIPE.
  timeout 20 "$B/client_reset" "$PORT" 300
  timeout 10 "$B/client_read" "$PORT" >"$BATS_TEST_TMPDIR/got" 2>"$BATS_TEST_TMPDIR/ports"
  greetings 1 "$BATS_TEST_TMPDIR/want"
  cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
  # Linux still hands over a connection reset while it waited in the backlog, so usually all
  # 301 are logged; the greeted client's line is the one that must be there.
  local lport
  lport=$(field_of "$(<"$BATS_TEST_TMPDIR/ports")" '^local port ([0-9]+)$')
  wait_for_line "$LOG" "^newConnection\(\): accepted a new connection from 127\.0\.0\.1:$lport\$"
  [ "$(count_lines "$LOG" "$NEWCONN_RE")" -le 301 ]
  kill -0 "$SERVER_PID"
  [ "$(fd_count "$SERVER_PID")" -eq "$base" ]
  run ! grep -E ' (FATAL|ERROR) ' "$LOG"
}

@test "s04 test7: a port in use gives one line naming the address and the reason, status 1" {
  start_test7 "$LOG"
  REACTOR_PORT=$PORT run --separate-stderr -1 timeout 5 "$S/test7"
  [ "$stderr" = "test7: cannot listen on 0.0.0.0:$PORT: Address already in use" ]
  [[ $output =~ ^main\(\):\ pid\ =\ [0-9]+$ ]] # one line, and no 'listening on'
  # The first server is unharmed.
  timeout 5 "$B/client_read" "$PORT" >"$BATS_TEST_TMPDIR/got" 2>/dev/null
  greetings 1 "$BATS_TEST_TMPDIR/want"
  cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
}

@test "s04 test7: a bad REACTOR_PORT gives one line naming the value, status 1, no abort" {
  local v
  for v in abc 70000 65536 -1 '' 99x; do
    REACTOR_PORT=$v run --separate-stderr -1 timeout 5 "$S/test7"
    [ "$stderr" = "test7: bad REACTOR_PORT '$v': not a port number (0-65535)" ]
    [ -z "$output" ]
  done
}

@test "s04 test7: too few fds for the spare fd: a clear error at start, not a spinning server" {
  # Measure which fd numbers a running test7 uses, then allow one fewer: the spare fd, opened
  # last, cannot be had.
  start_test7 "$LOG"
  local need
  need=$(lowest_free_fd "$SERVER_PID")
  stop_bg "$SERVER_PID"
  # Started as start_test7 starts it, so that it inherits the same fds.
  start_bg "$LOG" env REACTOR_PORT=0 bash -c 'ulimit -Sn "$1" && exec "$2"' _ "$((need - 1))" \
    "$S/test7"
  local pid=$BG_PID
  wait_exit "$pid" 5
  [ "$BG_STATUS" -eq 1 ]
  mapfile -t out <"$LOG"
  [ "${out[0]}" = "main(): pid = $pid" ]
  [ "${out[1]}" = "test7: cannot listen on 0.0.0.0:0: Too many open files" ]
  [ "${#out[@]}" -eq 2 ]
}

@test "s04 test7: the EMFILE squeeze: clients get a close, the server idles, then serves again" {
  # Under a normal limit: the fd numbers test7 needs, and its fd count when idle.
  start_test7 "$LOG"
  local need base soft
  need=$(lowest_free_fd "$SERVER_PID")
  base=$(fd_count "$SERVER_PID")
  stop_bg "$SERVER_PID"
  SERVER_PIDS=()
  # Now with exactly those fds allowed: every fd slot is taken, so accept4 fails with EMFILE.
  soft=$(ulimit -Sn)
  start_bg "$LOG" env REACTOR_PORT=0 bash -c 'ulimit -Sn "$1" && exec "$2"' _ "$need" "$S/test7"
  SERVER_PID=$BG_PID
  SERVER_PIDS+=("$SERVER_PID")
  PORT=$(listening_port "$LOG")
  [ "$(lowest_free_fd "$SERVER_PID")" -eq "$need" ]
  [ "$(fd_count "$SERVER_PID")" -eq "$base" ]

  local t0 t1 i
  t0=$(cpu_ticks "$SERVER_PID")
  for ((i = 0; i < 10; i++)); do
    # A close, not a hang: client_read sees EOF with nothing read (it fails after 5 s silence).
    timeout 10 "$B/client_read" "$PORT" >"$BATS_TEST_TMPDIR/got" 2>/dev/null
    [ ! -s "$BATS_TEST_TMPDIR/got" ]
    sleep 0.1
  done
  sleep 0.2
  t1=$(cpu_ticks "$SERVER_PID")
  # A spinning listener burns ~100 ticks a second; an idle one next to nothing.
  [ $((t1 - t0)) -lt 20 ]
  kill -0 "$SERVER_PID"
  local err_re=" ERROR Acceptor: out of file descriptors, closed a new connection at once - Acceptor\.c:[0-9]+\$"
  wait_for_count "$LOG" "$err_re" 10 # one line per dropped connection
  [ "$(count_lines "$LOG" "$NEWCONN_RE")" -eq 0 ]

  # Raise the limit again: the next client is greeted, and no fd was lost on the way.
  prlimit --pid "$SERVER_PID" --nofile="$soft":
  "$B/client_read" "$PORT" >"$BATS_TEST_TMPDIR/got" 2>"$BATS_TEST_TMPDIR/ports"
  greetings 1 "$BATS_TEST_TMPDIR/want"
  cmp "$BATS_TEST_TMPDIR/got" "$BATS_TEST_TMPDIR/want"
  local lport
  lport=$(field_of "$(<"$BATS_TEST_TMPDIR/ports")" '^local port ([0-9]+)$')
  wait_for_line "$LOG" "^newConnection\(\): accepted a new connection from 127\.0\.0\.1:$lport\$"
  [ "$(fd_count "$SERVER_PID")" -eq "$base" ]
  [ "$(count_lines "$LOG" "$err_re")" -eq 10 ]
}

# --- test1 - test6: s03's programs on s03's library ------------------------------------------------

@test "s04 test1 - test6 and every file of s03's library are s03's, byte for byte (s03.bats runs them)" {
  # s04 only adds (InetAddress, SocketsOps, Socket, Acceptor, test7), so s03.bats's timelines of
  # test1 - test6 are s04's too; should a copy here ever change, it needs its own timeline.
  local f differ=()
  for f in "$TOP"/s03/*.c "$TOP"/s03/*.h; do
    cmp -s "$f" "$S/${f##*/}" || differ+=("${f##*/}")
  done
  [ "${#differ[@]}" -eq 0 ] || {
    echo "s04 differs from s03 in: ${differ[*]} (give s04.bats timelines for what changed)"
    return 1
  }
  local n
  n=$(find "$TOP/s03" -maxdepth 1 -name 'test[1-6].c' | wc -l)
  [ "$n" -eq 6 ]
}

# --- the checks carried from s00 - s03 (tests/c), on s04's build -------------------------------

@test "s04: a second EventLoop in one thread aborts naming the first loop" {
  check_twoloops_aborts s04
}

@test "s04: a quit() before loop() is honoured" {
  check_quit_before_loop s04
}

@test "s04: zero and negative delays fire on the next iteration, earliest due first" {
  check_timer_delays_soon s04
}

@test "s04: huge delays (1e12 s, 1e300 s) never fire and do not overflow; the program exits 0" {
  check_timer_delays_huge s04
}

@test "s04: at TRACE each timer callback is named, as given to runAfter, when it runs" {
  check_timer_trace s04
}

@test "s04: 1000 timers due at the same instant fire in insertion order" {
  check_timer_order s04
}

@test "s04: ticks of 100 timers allocate nothing (due-timer array kept) and take no lock (empty functor queue)" {
  check_tick_costs s04
}

@test "s04: 4 threads x 10000 functors (runInLoop and queueInLoop) each run once, in order per producer" {
  check_functor_storm s04
}

@test "s04: a functor queued before loop() runs on the first iteration, not after the poll timeout" {
  check_wakeup_before_loop s04
}

@test "s04: a functor queued by a running functor runs on the next iteration" {
  check_wakeup_from_functor s04
}

@test "s04: at TRACE each pending functor is named, as given to queueInLoop, when it runs" {
  check_functor_trace s04
}

@test "s04: quit() from another thread wakes the loop at once" {
  check_wakeup_quit_other s04
}

@test "s04: quit() from another thread before loop() starts is honoured" {
  check_wakeup_quit_early s04
}

@test "s04: functors queued before quit() all run before loop() returns" {
  check_wakeup_drain s04
}

@test "s04: timers can be added from any thread; they fire in the loop thread" {
  check_timer_from_thread s04
}

@test "s04: EventLoopThread x 200: threads and fds back to baseline, no destroy hangs" {
  check_loopthread_churn s04
}

@test "make diff A=s03 B=s04 shows the four new classes and test7, and no build output" {
  make -C "$TOP" -s SAN="${REACTOR_SAN:-}" s03 s04 >/dev/null
  run -0 make -C "$TOP" -s diff A=s03 B=s04
  local f
  for f in Acceptor InetAddress Socket SocketsOps; do
    [[ $output == *"+++ s04/$f.c"* ]]
    [[ $output == *"+++ s04/$f.h"* ]]
  done
  [[ $output == *"+++ s04/test7.c"* ]]
  [[ $output == *"+++ s04/Makefile"* ]]
  [[ $output != *CHECKS* ]] # the check programs are listed in tests/checks.mk, not by stage
  # Nothing from the build, and nothing else: every changed file is one of those.
  [[ $output != *".build"* ]]
  [[ $output != *"Binary files"* ]]
  local changed
  changed=$(sed -nE 's|^\+\+\+ s04/([^[:space:]]+).*|\1|p' <<<"$output" | sort | tr '\n' ' ')
  [ "$changed" = "Acceptor.c Acceptor.h InetAddress.c InetAddress.h Makefile Socket.c Socket.h SocketsOps.c SocketsOps.h test7.c " ]
}
