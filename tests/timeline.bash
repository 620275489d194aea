# Timeline helpers: running a stage's long programs once per file and reading when each line
# came. Loaded with `load timeline` after `load helpers` (it uses now_ms).
#
# setup_file calls timeline_init, launches the programs side by side and waits for them all
# (reap_all), so a file costs its longest timeline, not their sum; the tests read what each
# printed (load_run). Each output line is stored with the millisecond it arrived.

# timeline_init: empties the bookkeeping of launch and reap_all (call it first in setup_file).
timeline_init() {
  declare -gA RUNNING=() KILL_AT=()
  declare -ga STAMPERS=()
}

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

# load_test4: test4's run (load_run test4), and its lines as parallel arrays: NAMES (main,
# once1, ..., main loop exits) and TIMES (the printed times, us), and NOW_US from its `now` line.
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
# the expiry), at most 300 ms late (a loaded 2-core machine, sanitizer builds). A file may
# set its own after loading this one.
EARLY_US=10000
LATE_US=300000

# near OFFSET_US DUE_US WHAT: fails with a message unless OFFSET is within the tolerances of DUE.
near() {
  if (($1 < $2 - EARLY_US || $1 > $2 + LATE_US)); then
    echo "$3: at +$(($1 / 1000)) ms, due at +$(($2 / 1000)) ms" >&2
    return 1
  fi
}
