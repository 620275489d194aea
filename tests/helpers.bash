# Shared helpers for the bats suite: loaded by every tests/*.bats file with `load helpers`.
#
# Background programs: start_bg runs a program with stdin from /dev/null, output to a log file
# and bats' fds 3 and 4 closed (a child holding them stalls the whole run), and records its PID;
# stop_bg stops it by that PID, never by name. Every wait has a deadline.

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

# The log line prefix: "20201201 23:23:51.688777Z  2295 " (UTC time, tid right-aligned to 5).
LOG_TIME_RE='[0-9]{8} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z +[0-9]+ '

# start_bg LOG CMD...: starts CMD in the background; sets BG_PID.
start_bg() {
  local log=$1
  shift
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
