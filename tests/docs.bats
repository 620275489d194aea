#!/usr/bin/env bats
# docs: keeps NOTES.md true to the code.
#   - every Type_function name it mentions (Connector_handleWrite, sockets_accept) exists in the
#     stage of the chapter that mentions it, or in a stage named on the same line; outside a
#     stage chapter, in some stage;
#   - every path it names (s11/Connector.c, tests/c/x.c, common/Settings.c, tests/bin/s11/x)
#     exists (a tests/bin program: its source exists and tests/checks.mk has the stage build it);
#     muduo's tutorial files (reactor/s11/Connector.cc) are not ours and are left alone;
#   - every ```sh block runs, as NOTES.md tells the reader: one bash script per block, from the
#     top of the repository, with errexit and pipefail. A block must exit 0 within the deadline,
#     unless its last line ends in "# runs until stopped; first line: TEXT": then it runs with
#     REACTOR_PORT=0 (no fixed port) until the first line it prints that is not make's starts
#     with TEXT, and is stopped by its process group;
#   - `make bench` / `make soak`, where NOTES.md mentions them, are targets of the top Makefile.
bats_require_minimum_version 1.5.0
load helpers

NOTES=$TOP/NOTES.md
STOP_MARK='# runs until stopped; first line: '

# notes_names: "<chapter stage>|<stages on the line>|<name>" for each Type_function name.
# A chapter's stage is the last sNN in its "## " heading (empty when it names none).
notes_names() {
  awk '
    /^## / { stage = ""; s = $0
             while (match(s, /(^|[^A-Za-z0-9])s[0-9][0-9]([^0-9]|$)/)) {
               t = substr(s, RSTART, RLENGTH); gsub(/[^s0-9]/, "", t); stage = t
               s = substr(s, RSTART + RLENGTH - 1) } }
    { line = $0; ls = ""; s = line
      while (match(s, /s[0-9][0-9]/)) { ls = ls substr(s, RSTART, 3) " "; s = substr(s, RSTART + 3) }
      s = line
      while (match(s, /[A-Za-z][A-Za-z0-9]*_[a-z][A-Za-z0-9]*/)) {
        name = substr(s, RSTART, RLENGTH); before = RSTART > 1 ? substr(s, RSTART - 1, 1) : ""
        s = substr(s, RSTART + RLENGTH)
        if (before ~ /[A-Za-z0-9_]/) continue
        if (name !~ /^([A-Z][A-Za-z0-9]*|sockets)_/) continue
        if (name ~ /^(X|Type)_/) continue   # the naming rule itself, not a function
        print stage "|" ls "|" name } }' "$NOTES"
}

# sources STAGE: the files a name of that stage may live in.
sources() {
  ls "$TOP/$1"/*.c "$TOP/$1"/*.h "$TOP"/common/*.[ch] "$TOP"/tests/c/*.c 2>/dev/null
}

@test "every Type_function name in NOTES.md exists in the stage that mentions it" {
  local stage ls name missing=() s ok
  while IFS="|" read -r stage ls name; do
    ok=
    if [ -z "$stage" ]; then
      for s in "$TOP"/s[0-9][0-9]; do
        grep -qw -- "$name" $(sources "${s##*/}") && { ok=1; break; }
      done
    else
      for s in $stage $ls; do
        [ -d "$TOP/$s" ] || continue
        grep -qw -- "$name" $(sources "$s") && { ok=1; break; }
      done
    fi
    [ -n "$ok" ] || missing+=("$name (chapter ${stage:-none}; line names: ${ls:-none})")
  done < <(notes_names | sort -u)
  [ "$(notes_names | wc -l)" -gt 100 ] # the extraction works: the guide names many functions
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'NOTES.md names a function the code does not have: %s\n' "${missing[@]}" >&2
    return 1
  fi
}

# stage_checks STAGE: the check programs the stage builds into tests/bin/STAGE, as make reads
# tests/checks.mk (common/rules.mk builds CHECKS_<stage>).
stage_checks() {
  make -s --no-print-directory -f "$TOP/tests/checks.mk" \
    --eval="print-checks: ; @echo \$(CHECKS_$1)" print-checks
}

@test "every file path in NOTES.md exists" {
  local path missing=() name dir n=0
  while read -r path; do
    [[ $path == reactor/* ]] && continue
    n=$((n + 1))
    path=${path#../}
    path=${path%.}
    if [[ $path =~ ^tests/bin/([^/]+)/([^/]+)$ ]]; then
      dir=${BASH_REMATCH[1]} name=${BASH_REMATCH[2]}
      if [[ $dir == s[0-9][0-9] ]]; then
        [ -f "$TOP/tests/c/$name.c" ] && [[ " $(stage_checks "$dir") " == *" $name "* ]] && continue
      else
        [ -f "$TOP/tests/$dir/$name.c" ] && continue
      fi
      missing+=("$path (no source, or tests/checks.mk does not build it for $dir)")
    elif [ ! -e "$TOP/$path" ]; then
      missing+=("$path")
    fi
  done < <(grep -oE '(reactor/|\.\./)?(s[0-9][0-9]|common|tests)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' "$NOTES" | sort -u)
  [ "$n" -gt 50 ] # the extraction works: the guide names many paths
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'NOTES.md names a path that does not exist: %s\n' "${missing[@]}" >&2
    return 1
  fi
}

@test "make bench and make soak exist where NOTES.md mentions them" {
  local target missing=()
  for target in bench soak; do
    grep -qE "make $target([^A-Za-z0-9_-]|$)" "$NOTES" || continue
    make -C "$TOP" -n "$target" >/dev/null 2>&1 ||
      missing+=("NOTES.md mentions 'make $target' but the top-level Makefile has no '$target' target")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    printf '%s\n' "${missing[@]}" >&2
    return 1
  fi
}

# first_program_line FILE: the first line of FILE that make did not print.
first_program_line() {
  grep -vE '^make(\[[0-9]+\])?: |^(cc|gcc|clang) ' "$1" | head -n 1
}

@test "every sh block in NOTES.md runs as shown" {
  local dir=$BATS_TEST_TMPDIR/blocks n i stage
  mkdir -p "$dir"
  awk -v dir="$dir" '
    /^```sh$/ { n++; f = dir "/block-" n ".sh"; inblock = 1; printf "" > f; next }
    /^```/ && inblock { inblock = 0; close(f); next }
    inblock { print > f }' "$NOTES"
  n=$(ls "$dir"/block-*.sh 2>/dev/null | wc -l)
  [ "$n" -ge 8 ]

  # Build every stage a block uses first, in the suite's configuration (SAN), so the blocks'
  # own `make` has nothing to do and parallel blocks never build the same stage at once.
  local stages
  stages=$(grep -ohE '(^|[^a-z0-9])s[0-9][0-9]/|cd s[0-9][0-9]' "$dir"/block-*.sh | grep -oE 's[0-9][0-9]' | sort -u)
  for stage in $stages; do
    run make -C "$TOP" -s SAN="${REACTOR_SAN:-}" "$stage"
    if [ "$status" -ne 0 ]; then
      echo "cannot build $stage for NOTES.md's commands:" >&2
      echo "$output" >&2
      return 1
    fi
  done

  # Start every block at once: each in its own session (so its whole process group can be
  # stopped), from the top directory, with bats' fds closed.
  local -a pids marks
  for ((i = 1; i <= n; i++)); do
    marks[i]=$(tail -n 1 "$dir/block-$i.sh" | sed -n "s/.*$STOP_MARK//p")
    (
      cd "$TOP"
      export SAN="${REACTOR_SAN:-}"
      unset REACTOR_LOG_LEVEL
      if [ -n "${marks[i]}" ]; then export REACTOR_PORT=0; else unset REACTOR_PORT; fi
      exec setsid bash -e -o pipefail "$dir/block-$i.sh"
    ) </dev/null >"$dir/out-$i.log" 2>&1 3>&- 4>&- &
    pids[i]=$!
  done

  local failures=() deadline=$((SECONDS + 50)) status_i first
  for ((i = 1; i <= n; i++)); do
    if [ -n "${marks[i]}" ]; then
      while [ $SECONDS -lt $deadline ] && kill -0 "${pids[i]}" 2>/dev/null &&
        [ -z "$(first_program_line "$dir/out-$i.log")" ]; do
        sleep 0.1
      done
      first=$(first_program_line "$dir/out-$i.log")
      kill -TERM -- "-${pids[i]}" 2>/dev/null || kill -TERM "${pids[i]}" 2>/dev/null || true
      wait_exit "${pids[i]}" 3 || true
      if [[ $first != "${marks[i]}"* ]]; then
        failures+=("block $i ($(head -n 1 "$dir/block-$i.sh")): first line '$first', expected '${marks[i]}...'; output: $(head -c 600 "$dir/out-$i.log")")
      fi
    else
      while [ $SECONDS -lt $deadline ] && kill -0 "${pids[i]}" 2>/dev/null; do
        sleep 0.1
      done
      if kill -0 "${pids[i]}" 2>/dev/null; then
        kill -KILL -- "-${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
        failures+=("block $i ($(head -n 1 "$dir/block-$i.sh")) did not end within the deadline; output: $(tail -c 600 "$dir/out-$i.log")")
        continue
      fi
      wait "${pids[i]}" 2>/dev/null && status_i=0 || status_i=$?
      # A block's background server must be gone with it.
      kill -KILL -- "-${pids[i]}" 2>/dev/null || true
      if [ "$status_i" -ne 0 ]; then
        failures+=("block $i ($(head -n 1 "$dir/block-$i.sh")) exited $status_i; output: $(tail -c 600 "$dir/out-$i.log")")
      fi
    fi
  done
  if [ ${#failures[@]} -gt 0 ]; then
    printf '%s\n\n' "${failures[@]}" >&2
    return 1
  fi
}
