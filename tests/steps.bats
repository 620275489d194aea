#!/usr/bin/env bats
# steps.bats: s11's step series (s11/steps/*.patch, tests/steps). The patches applied in order
# on s04 give s11 exactly; every step builds on its own (with the suite's sanitizer, if any)
# in .steps/stepNN; each step's own programs show that step's behaviour. Steps 05 to 13 are
# muduo's; step 14 (a loop-owned input buffer) is ours, and ends at s11.
bats_require_minimum_version 1.5.0
load helpers
time_bound 60 'steps: every step builds*' 480 # builds every step (eleven)

# One id a patch: 05 06 07 08 09 10a 10b 11 12 13 14.
step_ids() {
  "$TOP/tests/steps" list | cut -d- -f1
}

setup() {
  B=$TOP/tests/bin/s11
  LOG=$BATS_TEST_TMPDIR/server.log
  T=$BATS_TEST_TMPDIR
  SERVER_PIDS=()
}

teardown() {
  stop_servers
}

# step N: the directory of step N's build (made by the "every step builds" test).
step() {
  echo "$TOP/.steps/step$1"
}

@test "steps: the series applies in order on s04 and ends exactly at s11" {
  run -0 "$TOP/tests/steps" check
  [ "${lines[-1]}" = "steps: $(step_ids | wc -l) patches apply in order on s04 and end exactly at s11" ]
  # muduo's steps 5 to 13, step 10 in two (the thread pool, then the timer cancel), then ours.
  [ "$(step_ids | xargs)" = "05 06 07 08 09 10a 10b 11 12 13 14" ]
}

@test "steps: each patch opens with what it adds, muduo's step, its programs and NOTES.md's section" {
  local p head
  for p in "$TOP"/s11/steps/*.patch; do
    head=$(sed '/^diff --git /,$d' "$p")
    [[ $head == *"muduo"* ]]
    [[ $head == *"Run: "* ]]
    [[ $head == *"NOTES.md: "* ]]
    [ "$(wc -l <<<"$head")" -ge 4 ]
    grep -q '^diff --git ' "$p"
  done
}

@test "steps: a patch that does not apply is named in one line" {
  local copy=$T/top
  mkdir -p "$copy/tests" "$copy/s11/steps"
  cp -r "$TOP/s04" "$copy/s04"
  cp "$TOP/tests/steps" "$copy/tests/"
  cp "$TOP"/s11/steps/*.patch "$copy/s11/steps/"
  # A hunk for a line s06 does not have.
  printf '%s\n' 'diff --git a/Buffer.c b/Buffer.c' '--- a/Buffer.c' '+++ b/Buffer.c' \
    '@@ -1,1 +1,1 @@' '-a line that is not there' '+its replacement' >>"$copy/s11/steps/07-buffer.patch"
  run -1 "$copy/tests/steps" materialize 08 "$T/out"
  [ "${lines[-1]}" = "steps: 07-buffer.patch does not apply (step 07)" ]
}

@test "steps: every step builds on its own, warnings as errors" {
  local id
  for id in $(step_ids); do
    run -0 "$TOP/tests/steps" build "$id" SAN="${REACTOR_SAN:-}"
    [[ ${lines[-1]} == "step $id is built in .steps/step$id: "* ]]
  done
  # The last step is s11: the same programs.
  [[ ${lines[-1]} == *" test12 test13" ]]
}

@test "step 05: test8 prints the tutorial's step-5 lines; a peer's EOF does not make it spin" {
  start_server "$LOG" "$(step 05)/test8"
  local port=$PORT
  exec 5<>"/dev/tcp/127.0.0.1/$port"
  printf 'hello' >&5
  wait_for_line "$LOG" "^onMessage\(\): received 5 bytes from connection \[0\.0\.0\.0:$port#1\]\$"
  exec 5>&-
  # The program's own lines, in order (the library's DEBUG lines left out), as muduo s05 prints.
  grep -vE "^$LOG_TIME_RE" "$LOG" >"$T/own"
  [ "$(sed -n 1p "$T/own")" = "main(): pid = $SERVER_PID" ]
  [ "$(sed -n 2p "$T/own")" = "listening on 0.0.0.0:$port" ]
  local re="^onConnection\(\): new connection \[0\.0\.0\.0:$port#1\] from 127\.0\.0\.1:[0-9]+\$"
  [[ $(sed -n 3p "$T/own") =~ $re ]]
  [ "$(sed -n 4p "$T/own")" = "onMessage(): received 5 bytes from connection [0.0.0.0:$port#1]" ]
  # After the peer's close: no busy loop (CPU time stays put), no more lines.
  sleep 0.5
  local before after
  before=$(cpu_ticks "$SERVER_PID")
  sleep 1
  after=$(cpu_ticks "$SERVER_PID")
  [ $((after - before)) -le 10 ]
  [ "$(count_lines "$LOG" '^onMessage')" -eq 1 ]
}

@test "step 06: a peer's close is noticed, the connection goes down and is freed" {
  start_server "$LOG" "$(step 06)/test8"
  local port=$PORT base
  base=$(fd_count "$SERVER_PID")
  exec 5<>"/dev/tcp/127.0.0.1/$port"
  printf 'hi' >&5
  wait_for_line "$LOG" "^onMessage\(\): received 2 bytes from connection \[0\.0\.0\.0:$port#1\]\$"
  exec 5>&-
  wait_for_line "$LOG" "^onConnection\(\): connection \[0\.0\.0\.0:$port#1\] is down\$"
  wait_for_line "$LOG" " DEBUG TcpConnection_free dtor\[0\.0\.0\.0:$port#1\] at 0x[0-9a-f]+ "
  wait_fds "$SERVER_PID" "$base"
}

@test "step 07: test8 shows each message's receive time and payload" {
  start_server "$LOG" "$(step 07)/test8"
  local port=$PORT
  exec 5<>"/dev/tcp/127.0.0.1/$port"
  printf 'hello' >&5
  wait_for_line "$LOG" '^onMessage\(\): \[hello\]$'
  exec 5>&-
  local re="^onMessage\(\): received 5 bytes from connection \[0\.0\.0\.0:$port#1\] at ($TIME_RE)\$"
  local line stamp=
  while IFS= read -r line; do
    if [[ $line =~ $re ]]; then
      stamp=${BASH_REMATCH[1]}
    fi
  done <"$LOG"
  [ -n "$stamp" ]
  # The receive time is now, give or take: within 10 s of the test's clock.
  local us now
  us=$(formatted_us "$stamp")
  now=$(($(date +%s%N) / 1000))
  [ $((now - us)) -lt 10000000 ]
  [ $((now - us)) -gt -1000000 ]
}

@test "step 08: test9 echoes bytes exactly; test10 sends its A and B blocks, then EOF" {
  head -c 300000 /dev/urandom >"$T/payload"
  start_server "$LOG" "$(step 08)/test9"
  timeout 30 "$B/s11_client" "$PORT" -f "$T/payload" -H >"$T/got" 2>"$T/c"
  cmp "$T/payload" "$T/got"
  stop_servers
  SERVER_PIDS=()
  start_server "$T/log10" "$(step 08)/test10" 1000 2000
  timeout 30 "$B/s11_client" "$PORT" -f /dev/null >"$T/got10" 2>"$T/c10"
  [ "$(tail -n 1 "$T/c10")" = "sent 0 received 3000 eof" ]
  { head -c 1000 /dev/zero | tr '\0' A; head -c 2000 /dev/zero | tr '\0' B; } >"$T/want10"
  cmp "$T/want10" "$T/got10"
}

@test "step 09: test11's stream is the chargen pattern, exactly" {
  start_server "$LOG" "$(step 09)/test11"
  timeout 30 "$B/s11_client" "$PORT" -n 300000 >"$T/got" 2>"$T/c"
  local alphabet i round=""
  alphabet=$(awk 'BEGIN { for (c = 33; c < 127; c++) printf "%c", c }')
  alphabet+=$alphabet
  for ((i = 0; i < 94; i++)); do
    round+=${alphabet:i:72}$'\n'
  done
  yes "${round%$'\n'}" | head -c 300000 >"$T/want"
  cmp "$T/want" "$T/got"
}

@test "step 10a: test8 2 spreads connections over 2 IO threads, round-robin" {
  start_server "$LOG" "$(step 10a)/test8" 2
  local port=$PORT i
  for i in 1 2 3 4; do
    exec 5<>"/dev/tcp/127.0.0.1/$port"
    printf 'x' >&5
    wait_for_line "$LOG" "received 1 bytes from connection \[0\.0\.0\.0:$port#$i\]"
    exec 5>&-
  done
  local tids=()
  for i in 1 2 3 4; do
    tids+=("$(sed -nE "s/^onConnection\(\): tid=([0-9]+) new connection \[0\.0\.0\.0:$port#$i\].*/\1/p" "$LOG")")
  done
  [[ ${tids[0]} =~ ^[0-9]+$ ]]
  [[ ${tids[1]} =~ ^[0-9]+$ ]]
  [ "${tids[0]}" -ne "${tids[1]}" ]
  [ "${tids[2]}" = "${tids[0]}" ]
  [ "${tids[3]}" = "${tids[1]}" ]
  # Neither is the main thread (its tid is the pid); both are threads of the server.
  [ "${tids[0]}" -ne "$SERVER_PID" ]
  [ "${tids[1]}" -ne "$SERVER_PID" ]
  [ -d "/proc/$SERVER_PID/task/${tids[0]}" ]
  [ -d "/proc/$SERVER_PID/task/${tids[1]}" ]
}

@test "step 10b: test4 cancels every2 at 10 s and cancelSelf runs once (timeline ~30 s)" {
  run -0 timeout 60 "$(step 10b)/test4"
  [ "$(grep -c ' cancelSelf()$' <<<"$output")" -eq 1 ]
  local every2
  every2=$(grep -c ' every2$' <<<"$output")
  # every2 fires at 2, 4, 6, 8 s, and at 10 s or not, depending on which runs first.
  [ "$every2" -ge 4 ]
  [ "$every2" -le 5 ]
  [[ ${lines[-1]} == "msg "*" main loop exits" ]]
}

@test "step 11: test12 against s04's test7 gives the reference transcript" {
  check_test12_transcript "$(step 11)/test12" "$LOG"
}

@test "step 12: test13 reconnects through the Connector's backoff after the server restarts" {
  start_server "$LOG" "$(step 12)/test9"
  local port=$PORT
  start_bg "$T/client.log" env REACTOR_PORT="$port" "$(step 12)/test13"
  local client=$BG_PID
  SERVER_PIDS+=("$client")
  wait_for_line "$T/client.log" "new connection \[.*\] from 127\.0\.0\.1:$port\$"
  stop_bg "$SERVER_PID"
  wait_for_line "$T/client.log" "Retry connecting to 127\.0\.0\.1:$port in [0-9]+ milliseconds\." 10
  start_bg "$T/server2.log" env REACTOR_PORT="$port" "$(step 12)/test9"
  SERVER_PIDS+=("$BG_PID")
  wait_for_count "$T/client.log" "new connection \[.*\] from 127\.0\.0\.1:$port\$" 2 15
}

@test "step 13: REACTOR_USE_POLL chooses the backend (an epoll fd, or none)" {
  local fds
  start_server "$LOG" "$(step 13)/test8"
  fds=$(find "/proc/$SERVER_PID/fd" -lname 'anon_inode:\[eventpoll\]' | wc -l)
  [ "$fds" -eq 1 ]
  stop_servers
  SERVER_PIDS=()
  SERVER_ENV=(REACTOR_USE_POLL=1)
  start_server "$LOG" "$(step 13)/test8"
  fds=$(find "/proc/$SERVER_PID/fd" -lname 'anon_inode:\[eventpoll\]' | wc -l)
  [ "$fds" -eq 0 ]
}

# vm_rss_kib PID: the resident memory of PID, in KiB.
vm_rss_kib() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# piled_and_drained STEP: runs STEP's test10 sending 2 x 16 MiB to a peer that reads nothing
# for a while, then everything; sets PILED and DRAINED to the server's RSS growth (KiB) once the
# output has piled up, then once the peer has read it all (the connection still open).
piled_and_drained() {
  start_server "$T/log$1" "$(step "$1")/test10" 16777216 16777216
  local base
  base=$(vm_rss_kib "$SERVER_PID")
  exec 5<>"/dev/tcp/127.0.0.1/$PORT"
  # The kernel takes a few MiB; the rest waits in the output buffer.
  sleep 0.5
  PILED=$(($(vm_rss_kib "$SERVER_PID") - base))
  [ "$(head -c 33554432 <&5 | wc -c)" -eq 33554432 ]
  DRAINED=$(($(vm_rss_kib "$SERVER_PID") - base))
  exec 5>&-
  stop_servers
  SERVER_PIDS=()
}

@test "step 14: the output buffer is given back once the kernel has taken everything (step 13 keeps it)" {
  # Memory figures mean something only in the plain build (ASan keeps freed memory a while).
  [ -z "${REACTOR_SAN:-}" ] || skip "plain build only"
  # Both pile up most of the 32 MiB (more than 16 MiB) while the peer is not reading. Drained,
  # step 13 still holds its output buffer's storage; step 14 has given it back.
  piled_and_drained 13
  [ "$PILED" -gt 16384 ]
  [ "$DRAINED" -gt 16384 ]
  piled_and_drained 14
  [ "$PILED" -gt 16384 ]
  [ "$DRAINED" -lt 4096 ]
}

@test "make diff A=step10 B=step11 is the Connector's story alone; make step prints where it is" {
  run -0 make -s -C "$TOP" diff A=step10 B=step11
  local files
  files=$(grep -E '^diff -ruN ' <<<"$output" | awk '{ print $NF }' | sed 's|^step11/||' | xargs)
  # The Connector, the socket operations it needs, test12, the Makefile's two lines, and
  # Channel.h's opening comment (the Connector is the first owner that allocates its Channel).
  [ "$files" = "Channel.h Connector.c Connector.h Makefile SocketsOps.c SocketsOps.h test12.c" ]
  # step10 means all of step 10: the thread pool (10a), then the timer cancel (10b).
  run -0 make -s -C "$TOP" diff A=step10b B=step10
  [ -z "$output" ]
  run -0 make -s -C "$TOP" step N=11 SAN="${REACTOR_SAN:-}"
  [[ ${lines[-1]} == "step 11 is built in .steps/step11: "*"test12"* ]]
  run -0 make -s -C "$TOP" step
  [[ ${lines[0]} == "usage: make step N="* ]]
}
