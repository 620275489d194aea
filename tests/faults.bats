#!/usr/bin/env bats
# Faults from ../shared/RELIABILITY.md that no stage file covers, against s11, and the negative
# controls that show the suite's probes catch a fault when one is planted.
#
# The programs are built by tests/reliability.mk into tests/bin/reliability/<config>/s11, in
# the suite's configuration (REACTOR_SAN), so the stage's own binaries are never touched and
# the sanitizers watch these runs too. The negative controls run each probe on an honest server
# and on tests/c/leaky_server, an echo server like test9 that leaks one fd, or 4 KiB, per
# connection from its connection callback; they run in the plain suite only, where memory
# figures and valgrind mean something.
bats_require_minimum_version 1.5.0
load helpers
time_bound 45 'negative control: a short soak*' 90 # two 4 s soaks with their warm-ups

config() {
  case ${REACTOR_SAN:-} in
  '') echo plain ;;
  *) echo "$REACTOR_SAN" ;;
  esac
}

setup_file() {
  local checks="quit_cases s11_emfile_pause soak_driver"
  [ -n "${REACTOR_SAN:-}" ] || checks+=" leaky_server" # the negative controls (plain only)
  # No MAKEFLAGS from an outer `make -j test`: its jobserver fds are not ours in here (bats
  # uses fds 3 and 4 itself).
  env -u MAKEFLAGS -u MFLAGS make -s -j2 -C "$TOP" -f tests/reliability.mk STAGE=s11 \
    SAN="${REACTOR_SAN:-}" PROGRAMS="test9 pingpong_server" CHECKS="$checks" >&2
}

setup() {
  B=$TOP/tests/bin/reliability/$(config)/s11
  PLAIN=$TOP/tests/bin/reliability/plain/s11
  LOG=$BATS_TEST_TMPDIR/server.log
  SERVER_PIDS=()
}

teardown() {
  stop_servers
}

plain_only() {
  [ -z "${REACTOR_SAN:-}" ] ||
    skip "negative controls run in the plain suite (they build plain binaries of their own)"
}

# stop_server_cleanly: SIGTERM, and the contract of s11's servers: a clean exit, status 0 (under ASan
# a leak at exit makes it non-zero), and no sanitizer or FATAL line in the log.
stop_server_cleanly() {
  stop_bg "$SERVER_PID"
  SERVER_PIDS=()
  [ "$BG_STATUS" -eq 0 ] || { echo "server exited with status $BG_STATUS" >&2; cat "$LOG" >&2; false; }
  run ! grep -E ' FATAL |Sanitizer|runtime error|POLLNVAL' "$LOG"
}

# fd_probe PID PORT: the fault suite's fd probe - 20 connections, each an echo of 2000 bytes
# then closed; passes when the fd count comes back to what it was before.
fd_probe() {
  local pid=$1 port=$2 base i
  base=$(fd_count "$pid")
  for ((i = 0; i < 20; i++)); do
    "$B/soak_driver" echo "$port" 2000 >/dev/null || return 2
  done
  wait_fds "$pid" "$base" 3
}

# --- quit() ---------------------------------------------------------------------------------

check_quit_cases() {
  [ "${lines[0]}" = "rounds 100" ]
  local re='^slowest loop ([0-9]+) ms$'
  [[ ${lines[1]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ] # a lost quit waits for the 10 s poll timeout
  re='^slowest EventLoopThread destroy ([0-9]+) ms$'
  [[ ${lines[2]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
  re='^threads before ([0-9]+) after ([0-9]+)$'
  [[ ${lines[3]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
  re='^fds before ([0-9]+) after ([0-9]+)$'
  [[ ${lines[4]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -eq "${BASH_REMATCH[2]}" ]
  re='^loop after two early quits returned after ([0-9]+) ms$'
  [[ ${lines[5]} =~ $re ]]
  [ "${BASH_REMATCH[1]}" -lt 1000 ]
  [ "${#lines[@]}" -eq 6 ] # nothing else: no ERROR line from a wakeup on a dead loop
}

@test "s11 on epoll: quit() twice from another thread, before and during loop(); EventLoopThread destroy never hangs" {
  REACTOR_LOG_LEVEL=INFO run -0 timeout 60 "$B/quit_cases" 100
  check_quit_cases
}

@test "s11 on poll(2): quit() twice from another thread, before and during loop(); EventLoopThread destroy never hangs" {
  REACTOR_USE_POLL=1 REACTOR_LOG_LEVEL=INFO run -0 timeout 60 "$B/quit_cases" 100
  check_quit_cases
}

# --- storms ---------------------------------------------------------------------------------

@test "s11 pingpong_server: a storm of 500 connections (half reset) and churn: alive, serving, fds back, clean exit" {
  start_server "$LOG" "$B/pingpong_server" 1
  local base
  base=$(fd_count "$SERVER_PID")
  run -0 timeout 60 "$B/soak_driver" storm "$PORT" 500
  [ "$output" = "storm: opened 500 of 500, reset 250, closed 250" ]
  run -0 timeout 60 "$B/soak_driver" churn "$PORT" 3
  [[ $output =~ ^churn:\ [0-9]+\ connections\ .*,\ 0\ errors$ ]]
  wait_fds "$SERVER_PID" "$base"
  run -0 timeout 10 "$B/soak_driver" echo "$PORT" 65536
  [ "$output" = "echo: 65536 bytes back" ]
  kill -0 "$SERVER_PID"
  wait_fds "$SERVER_PID" "$base"
  stop_server_cleanly
}

@test "s11 test9 with 2 IO threads: a storm of 300 connections (half reset): every connection up is down again, fds back" {
  start_server "$LOG" "$B/test9" 2
  local base
  base=$(fd_count "$SERVER_PID")
  run -0 timeout 60 "$B/soak_driver" storm "$PORT" 300
  [ "$output" = "storm: opened 300 of 300, reset 150, closed 150" ]
  wait_fds "$SERVER_PID" "$base"
  local up down
  up=$(grep -cE '^onConnection\(\): tid=[0-9]+ new connection \[0\.0\.0\.0:[0-9]+#[0-9]+\] from 127\.0\.0\.1:[0-9]+$' "$LOG")
  down=$(grep -cE '^onConnection\(\): tid=[0-9]+ connection \[0\.0\.0\.0:[0-9]+#[0-9]+\] is down$' "$LOG")
  [ "$up" -eq 300 ]
  [ "$down" -eq 300 ]
  run -0 timeout 10 "$B/soak_driver" echo "$PORT" 5000
  [ "$output" = "echo: 5000 bytes back" ]
  wait_fds "$SERVER_PID" "$base"
  stop_server_cleanly
}

# --- EMFILE -----------------------------------------------------------------------------------

@test "s11 pingpong_server: the EMFILE squeeze: clients get a close, the server idles, then echoes again" {
  # Under a normal limit: the fd numbers the server needs, and its fd count when idle.
  start_server "$LOG" "$B/pingpong_server" 1
  local need base soft
  need=$(lowest_free_fd "$SERVER_PID")
  base=$(fd_count "$SERVER_PID")
  stop_server_cleanly
  # With exactly those fds allowed, every slot is taken: accept4 fails with EMFILE.
  soft=$(ulimit -Sn)
  start_server "$LOG" bash -c 'ulimit -Sn "$1" && exec "$2" 1' _ "$need" "$B/pingpong_server"
  [ "$(lowest_free_fd "$SERVER_PID")" -eq "$need" ]
  [ "$(fd_count "$SERVER_PID")" -eq "$base" ]
  local t0 t1 attempt
  t0=$(cpu_ticks "$SERVER_PID")
  # (not i: the version check of bats' `run -N` sets a global i)
  for ((attempt = 0; attempt < 10; attempt++)); do
    # Accepted on the spare fd and closed at once: the client sees the close, not a hang.
    run -3 timeout 10 "$B/soak_driver" echo "$PORT" 1000
    [ "$output" = "echo: closed by the server before echoing" ]
  done
  sleep 0.2
  t1=$(cpu_ticks "$SERVER_PID")
  [ $((t1 - t0)) -lt 20 ] # a spinning level-triggered listener burns ~100 ticks a second
  local err_re=' ERROR Acceptor: out of file descriptors, closed a new connection at once - Acceptor\.c:[0-9]+$'
  [ "$(grep -cE -- "$err_re" "$LOG")" -eq 10 ]
  # The spare fd was taken back at once each time: no other Acceptor line, no pause.
  [ "$(count_lines "$LOG" ' ERROR Acceptor: ')" -eq 10 ]
  [ "$(count_lines "$LOG" 'spare fd is back')" -eq 0 ]
  # Room again: the next client gets its echo, and no fd was lost on the way.
  prlimit --pid "$SERVER_PID" --nofile="$soft":
  run -0 timeout 10 "$B/soak_driver" echo "$PORT" 1000
  [ "$output" = "echo: 1000 bytes back" ]
  wait_fds "$SERVER_PID" "$base"
  stop_server_cleanly
}

@test "s11 Acceptor out of fds with its spare fd taken by another thread: it pauses (CPU idle, no log flood), then serves again" {
  start_server "$LOG" "$B/s11_emfile_pause"
  wait_for_line "$LOG" '^squeezed: fds limited to [0-9]+$'
  local soft client_log=$BATS_TEST_TMPDIR/client.log
  soft=$(ulimit -Sn)
  # The client's connection waits in the backlog: its accept fails, the spare fd's slot goes to
  # the holder thread, and the Acceptor has no spare left.
  start_bg "$client_log" timeout 20 "$B/soak_driver" echo "$PORT" 1000
  local client=$BG_PID
  SERVER_PIDS+=("$client")
  wait_for_line "$LOG" '^holder took fd [0-9]+$'
  wait_for_line "$LOG" ' ERROR Acceptor: no spare fd, not accepting for 100 ms at a time until one is free - Acceptor\.c:[0-9]+$'
  local t0 t1
  t0=$(cpu_ticks "$SERVER_PID")
  sleep 1
  t1=$(cpu_ticks "$SERVER_PID")
  # A spinning level-triggered listener burns ~100 ticks a second; ten pauses cost next to nothing.
  [ $((t1 - t0)) -lt 10 ]
  # One episode, one line each (a spin would log the SYSERR line thousands of times a second).
  [ "$(count_lines "$LOG" ' ERROR Acceptor: out of file descriptors, and the spare fd could not be used: Too many open files \(errno=24\) - Acceptor\.c:[0-9]+$')" -eq 1 ]
  [ "$(count_lines "$LOG" ' ERROR Acceptor: ')" -eq 2 ]
  [ "$(count_lines "$LOG" 'spare fd is back')" -eq 0 ]
  kill -0 "$client" # still waiting for its echo
  # Room again: within a pause the spare is back, and the waiting client gets its echo.
  prlimit --pid "$SERVER_PID" --nofile="$soft":
  wait_exit "$client" 5
  [ "$BG_STATUS" -eq 0 ]
  [ "$(<"$client_log")" = "echo: 1000 bytes back" ]
  [ "$(count_lines "$LOG" ' INFO  Acceptor: the spare fd is back, accepting again - Acceptor\.c:[0-9]+$')" -eq 1 ]
  run -0 timeout 10 "$B/soak_driver" echo "$PORT" 1000
  [ "$output" = "echo: 1000 bytes back" ]
  stop_server_cleanly
}

# --- negative controls ---------------------------------------------------------------------

@test "negative control: the fd probe passes for test9 and fails for a server that leaks one fd per connection" {
  plain_only
  start_server "$LOG" "$PLAIN/test9" 2
  fd_probe "$SERVER_PID" "$PORT"
  stop_server_cleanly

  start_server "$LOG" "$PLAIN/leaky_server" fd 2
  local base
  base=$(fd_count "$SERVER_PID")
  run -1 fd_probe "$SERVER_PID" "$PORT"
  # one fd per connection
  [ "$output" = "pid $SERVER_PID has $((base + 20)) fds open, expected $base" ]
  stop_server_cleanly
}

# vg_leak_run SERVER [ARG...]: the server under valgrind, 20 connections, SIGTERM. Sets
# BG_STATUS and VG_LOG.
vg_leak_run() {
  VG_LOG=$BATS_TEST_TMPDIR/vg.log
  start_server "$LOG" valgrind --leak-check=full --errors-for-leak-kinds=definite \
    --error-exitcode=99 --log-file="$VG_LOG" "$@"
  local i
  for ((i = 0; i < 20; i++)); do
    timeout 30 "$PLAIN/soak_driver" echo "$PORT" 3000 >/dev/null
  done
  kill -TERM "$SERVER_PID"
  wait_exit "$SERVER_PID" 30
  SERVER_PIDS=()
}

@test "negative control: valgrind passes test9 and catches a server that leaks 4 KiB per connection" {
  plain_only
  command -v valgrind >/dev/null || skip "valgrind is not installed"
  vg_leak_run "$PLAIN/test9" 1
  [ "$BG_STATUS" -eq 0 ]
  grep -q 'ERROR SUMMARY: 0 errors' "$VG_LOG"

  vg_leak_run "$PLAIN/leaky_server" memory 1
  [ "$BG_STATUS" -eq 99 ]
  # One block per connection, every one lost, allocated in the connection callback.
  grep -qE 'definitely lost: 81,920 bytes in 20 blocks' "$VG_LOG"
  grep -qE 'onConnection \(leaky_server\.c:[0-9]+\)' "$VG_LOG"
}

@test "negative control: a short soak passes the servers and fails a server that leaks 4 KiB per connection on RSS" {
  plain_only
  SOAK_SECONDS=4 SOAK_WARMUP=2 run -0 timeout 120 "$TOP/tests/soak"
  [ "${lines[-1]}" = "soak: passed" ]
  # leaky_server in test9's place; pingpong_server, honest, beside it in the same run.
  SOAK_SECONDS=4 SOAK_WARMUP=2 SOAK_LEAK=memory run -1 timeout 120 "$TOP/tests/soak"
  [ "${lines[-1]}" = "soak: FAILED (1 problems)" ]
  [[ $output == *"soak: leaky_server RSS grew by "*" KiB (more than 1024 KiB)"* ]]
  # The fds were not what leaked: both came back.
  [[ $output != *"more than at the start"* ]]
}
