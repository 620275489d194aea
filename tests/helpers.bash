# Shared helpers for the bats suite: loaded by every tests/*.bats file with `load helpers`.
#
# Background programs: start_bg runs a program with stdin from /dev/null, output to a log file
# and bats' fds 3 and 4 closed (a child holding them stalls the whole run), and records its PID;
# stop_bg stops it by that PID, never by name. Every wait has a deadline.

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# A formatted UTC time, "20201201 23:23:51.688777" (muduo's toFormattedString).
TIME_RE='[0-9]{8} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}'
# The log line prefix: "20201201 23:23:51.688777Z  2295 " (UTC time, tid right-aligned to 5).
LOG_TIME_RE="${TIME_RE}Z +[0-9]+ "

# start_bg LOG CMD...: starts CMD in the background, its output in LOG; sets BG_PID. LOG is
# emptied here, before the start: the background child opens it only when it gets to run, and
# until then a test that reused LOG could read the last process's lines as this one's: a
# "listening on" with the old port, then an empty file once the child truncated it (s11.bats'
# test11 test, second start, failed so under TSan; a loop of starts saw the old lines 7 in 200).
start_bg() {
  local log=$1
  shift
  : >"$log"
  "$@" </dev/null >"$log" 2>&1 3>&- 4>&- &
  BG_PID=$!
}

# stop_bg PID [SIGNAL]: signal (TERM by default), wait up to 2 s, then KILL. Sets BG_STATUS to
# the process's exit status (128+N for a signal). Never fails the test by itself.
stop_bg() {
  local pid=$1 sig=${2:-TERM} i
  BG_STATUS=
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null && BG_STATUS=0 || BG_STATUS=$?
}

# wait_exit PID SECONDS: waits for PID to exit by itself; sets BG_STATUS. Fails (and kills it)
# after the deadline.
wait_exit() {
  local pid=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "process $pid still running after $secs s" >&2
    stop_bg "$pid" KILL
    return 1
  fi
  wait "$pid" 2>/dev/null && BG_STATUS=0 || BG_STATUS=$?
}

# wait_for_line FILE REGEX [SECONDS]: waits until a line of FILE matches the extended REGEX.
wait_for_line() {
  local file=$1 re=$2 secs=${3:-5} i
  for ((i = 0; i < secs * 10; i++)); do
    grep -qE -- "$re" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out after ${secs}s waiting for /$re/ in $file; it holds:" >&2
  cat "$file" >&2 2>/dev/null || true
  return 1
}

# listening_port FILE: the port of the "listening on IP:PORT" line (waits for it).
listening_port() {
  wait_for_line "$1" '^listening on [0-9.]+:[0-9]+$' 5 || return 1
  sed -nE 's/^listening on [0-9.]+:([0-9]+)$/\1/p' "$1" | head -n 1
}

# now_ms: milliseconds since the epoch.
now_ms() {
  local t=$EPOCHREALTIME
  echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 ))
}

# fd_count PID: how many fds the process has open.
fd_count() {
  ls "/proc/$1/fd" | wc -l
}

# field_of LINE REGEX: prints capture group 1 of REGEX in LINE (fails when no match).
field_of() {
  [[ $1 =~ $2 ]] || return 1
  echo "${BASH_REMATCH[1]}"
}

# lowest_free_fd PID: the fd number the process's next open, socket or accept would get.
lowest_free_fd() {
  local n=0
  while [ -e "/proc/$1/fd/$n" ]; do
    n=$((n + 1))
  done
  echo "$n"
}

# wait_fds PID N [SECONDS]: waits (10 s by default) until PID has exactly N fds open
# (connections close in the loop, shortly after the peer sees its EOF).
wait_fds() {
  local secs=${3:-10} i
  for ((i = 0; i < secs * 10; i++)); do
    [ "$(fd_count "$1")" -eq "$2" ] && return 0
    sleep 0.1
  done
  echo "pid $1 has $(fd_count "$1") fds open, expected $2" >&2
  return 1
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks (/proc/PID/stat).
cpu_ticks() {
  local stat
  stat=$(</proc/"$1"/stat)
  stat=${stat##*) } # fields after "pid (comm) ", which may hold spaces
  local -a f=($stat)
  echo $((f[11] + f[12])) # utime and stime are fields 14 and 15 of the whole line
}

# count_lines FILE REGEX: how many lines of FILE match the extended REGEX.
count_lines() {
  grep -cE -- "$2" "$1" || true
}

# wait_for_count FILE REGEX N [SECONDS]: waits (5 s by default) until exactly N lines of FILE
# match the extended REGEX.
wait_for_count() {
  local secs=${4:-5} i
  for ((i = 0; i < secs * 10; i++)); do
    [ "$(count_lines "$1" "$2")" -eq "$3" ] && return 0
    sleep 0.1
  done
  echo "expected $3 lines matching /$2/ in $1, found $(count_lines "$1" "$2")" >&2
  return 1
}

# formatted_us TIME: a "YYYYMMDD HH:MM:SS.uuuuuu" (UTC) time in microseconds since the epoch.
formatted_us() {
  local re='^([0-9]{4})([0-9]{2})([0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})\.([0-9]{6})$' s
  [[ $1 =~ $re ]] || {
    echo "not a formatted time: '$1'" >&2
    return 1
  }
  s=$(date -u -d "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]} ${BASH_REMATCH[4]}" +%s)
  echo $((s * 1000000 + 10#${BASH_REMATCH[5]}))
}

# log_us LINE: the time of a log line ("20201201 23:23:51.688777Z ...") in microseconds.
log_us() {
  formatted_us "${1:0:24}"
}

# --- servers on port 0 ------------------------------------------------------------------------
# A file that starts servers sets SERVER_PIDS=() in setup and calls stop_servers in teardown.

# start_server LOG PROGRAM [ARGS...]: starts PROGRAM with REACTOR_PORT=0 (and the VAR=VALUE
# words in the array SERVER_ENV, if set, in its environment too), waits for its "listening on"
# line; sets SERVER_PID and PORT, and adds the pid to SERVER_PIDS.
start_server() {
  local log=$1
  shift
  start_bg "$log" env REACTOR_PORT=0 ${SERVER_ENV[@]+"${SERVER_ENV[@]}"} "$@"
  SERVER_PID=$BG_PID
  SERVER_PIDS+=("$SERVER_PID")
  PORT=$(listening_port "$log")
  [ -n "$PORT" ]
}

# stop_servers: stops (stop_bg) every pid in SERVER_PIDS.
stop_servers() {
  local pid
  for pid in ${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}; do
    stop_bg "$pid"
  done
}

# wait_listening PID PORT: waits until PID itself owns a LISTEN socket on PORT (found through
# /proc/net/tcp and the socket inodes in /proc/PID/fd). Returns 1 at once if PID has exited,
# 2 after a 5 s deadline.
wait_listening() {
  local pid=$1 hex i fd inode
  hex=$(printf '%04X' "$2")
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    for fd in /proc/"$pid"/fd/*; do
      inode=$(readlink "$fd" 2>/dev/null) || continue
      [[ $inode =~ ^socket:\[([0-9]+)\]$ ]] || continue
      awk -v port=":$hex" -v ino="${BASH_REMATCH[1]}" \
        'substr($2, length($2) - 4) == port && $4 == "0A" && $10 == ino { found = 1 }
         END { exit !found }' /proc/net/tcp && return 0
    done
    sleep 0.1
  done
  echo "timed out waiting for pid $pid to listen on port $2" >&2
  return 2
}

# check_test12_transcript TEST12 LOG: starts s04's test7 on a free port (its output in LOG) and
# runs the test12 binary TEST12 against it. Checks the tutorial's reference transcript: exactly
# the Connector's ctor, "connected." and its dtor (the same address, the same thread), exit 0,
# and test7 saw exactly one connection.
check_test12_transcript() {
  start_server "$2" "$TOP/s04/test7"
  REACTOR_PORT=$PORT run -0 timeout 10 "$1"
  [ "${#lines[@]}" -eq 3 ]
  local ctor="^$LOG_TIME_RE"'DEBUG Connector_new ctor\[(0x[0-9a-f]+)\] - Connector\.c:[0-9]+$'
  local dtor="^$LOG_TIME_RE"'DEBUG Connector_free dtor\[(0x[0-9a-f]+)\] - Connector\.c:[0-9]+$'
  [[ ${lines[0]} =~ $ctor ]]
  local addr=${BASH_REMATCH[1]}
  [ "${lines[1]}" = "connected." ]
  [[ ${lines[2]} =~ $dtor ]]
  [ "${BASH_REMATCH[1]}" = "$addr" ]
  # The same thread (test12 has one) logs both lines.
  [ "$(awk '{ print $3 }' <<<"${lines[0]}")" = "$(awk '{ print $3 }' <<<"${lines[2]}")" ]
  wait_for_line "$2" '^newConnection\(\): accepted a new connection from 127\.0\.0\.1:[0-9]+$'
  [ "$(count_lines "$2" '^newConnection')" -eq 1 ]
}

# --- time bounds ------------------------------------------------------------------------------
# Every test is bounded in time, so a hang (a lost wakeup, an ignored EOF, a connection never
# erased) fails that one test, by name, and the rest of the file runs on. Each bats file calls
# time_bound at its top, after `load helpers` (tests/lint.bats checks it); setup_file is not
# bounded by it, so what setup_file starts has deadlines of its own (reap_all, timeout).

# time_bound SECONDS [PATTERN SECONDS]...: bounds each test of the file to SECONDS (bats'
# BATS_TEST_TIMEOUT), or to the SECONDS after the first glob PATTERN that matches the test's
# name: a few tests wait for a long program (s11's test4 runs for 27-30 s). Pick bounds that hold
# under ASan and TSan on a loaded machine, well under a minute.
time_bound() {
  local secs=$1 name
  shift
  name=$(test_name_of "${BATS_TEST_NAME:-}")
  while [ $# -ge 2 ]; do
    # shellcheck disable=SC2053 # the pattern is a glob
    if [[ $name == $1 ]]; then
      secs=$2
      break
    fi
    shift 2
  done
  BATS_TEST_TIMEOUT=$secs
}

# test_name_of FUNCTION: the test's name from the name of the function bats made of it (a space
# became '_', any other character that is neither a letter nor a digit '-' and its hex code; in
# a name of letters, digits, spaces, '_' and '-' only, bats writes '_' as -2d5f).
test_name_of() {
  local n=${1#test_} out= c
  while [[ $n =~ ^([^-]*)-([0-9a-f]{2})(.*)$ ]]; do
    out+=${BASH_REMATCH[1]//_/ }
    printf -v c "\\x${BASH_REMATCH[2]}"
    out+=$c
    n=${BASH_REMATCH[3]}
  done
  out+=${n//_/ }
  echo "${out//-5f/_}"
}

# When a test overruns its bound, bats (1.8.2) signals the test's shell and TERMs its direct
# children (bats_kill_childprocesses_of). A program under `run`, in $(...) or in a pipeline is a
# grandchild, and the test would wait for it to end by itself. This replacement TERMs every
# descendant of the test, deepest first (then KILLs any still there a second later), and writes
# what was still running into the test's output, which bats prints under the failed test's name.
bats_kill_childprocesses_of() {
  local victims p args self=$BASHPID # this watchdog: it and what it runs are spared
  victims=$(ps -e -o pid=,ppid=,args= | awk -v root="$1" -v self="$self" '
    { pid[NR] = $1; ppid[NR] = $2; sub(/^[ \t]*[0-9]+[ \t]+[0-9]+[ \t]*/, ""); args[NR] = $0 }
    END {
      want[root] = 1
      do {
        grew = 0
        for (i = 1; i <= NR; i++)
          if (!(pid[i] in want) && (ppid[i] in want) && pid[i] != self) {
            want[pid[i]] = 1
            grew = 1
          }
      } while (grew)
      for (i = NR; i >= 1; i--)
        if (pid[i] != root && (pid[i] in want))
          print pid[i], args[i]
    }')
  {
    echo "time bound of ${BATS_TEST_TIMEOUT:-?} s passed; still running (stopped now):"
    while read -r p args; do
      [[ $args == *bats-exec-test* ]] || echo "  pid $p: $args"
    done <<<"$victims"
  } >>"${BATS_OUT:-/dev/null}" 2>/dev/null
  while read -r p args; do
    [ -z "$p" ] || kill -TERM "$p" 2>/dev/null || true
  done <<<"$victims"
  sleep 1
  while read -r p args; do
    [ -z "$p" ] || kill -KILL "$p" 2>/dev/null || true
  done <<<"$victims"
}
