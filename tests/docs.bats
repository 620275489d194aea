#!/usr/bin/env bats
# docs: keeps NOTES.md true to the code.
#   - every Type_function name it mentions (Connector_handleWrite, sockets_accept) exists in the
#     stage of the chapter that mentions it, or in a stage named on the same line; outside a
#     stage chapter, in some stage;
#   - every path it names (s11/Connector.c, tests/c/x.c, common/Settings.c, tests/bin/s11/x)
#     exists (a tests/bin program: its source exists and tests/checks.mk has the stage build it);
#     muduo's tutorial files (reactor/s11/Connector.cc) are not ours and are left alone;
#   - every ```sh block runs as NOTES.md tells the reader: all of them, in document order, pasted
#     into one bash shell at the top of the repository (here with errexit and pipefail). Each
#     block must leave the shell at the top, and the whole must exit 0 within the deadline;
#   - `make bench` / `make soak`, where NOTES.md mentions them, are targets of the top Makefile.
bats_require_minimum_version 1.5.0
load helpers
time_bound 30 'every sh block*' 300 'every Type_function name*' 60 # the sh blocks build stages

NOTES=$TOP/NOTES.md

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
      # A stage's check program: its source exists and tests/checks.mk builds it for the stage.
      if [[ $dir == s[0-9][0-9] ]]; then
        if [ -f "$TOP/tests/c/$name.c" ] && [[ " $(stage_checks "$dir") " == *" $name "* ]]; then
          continue
        fi
      elif [ -f "$TOP/tests/$dir/$name.c" ]; then
        continue
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

@test "every sh block in NOTES.md runs as shown, pasted in order into one shell" {
  local dir=$BATS_TEST_TMPDIR/blocks n i stage
  mkdir -p "$dir"
  awk -v dir="$dir" '
    /^```sh$/ { n++; f = dir "/block-" n ".sh"; inblock = 1; printf "" > f
                print NR > (dir "/line-" n); close(dir "/line-" n); next }
    /^```/ && inblock { inblock = 0; close(f); next }
    inblock { print > f }' "$NOTES"
  n=$(ls "$dir"/block-*.sh 2>/dev/null | wc -l)
  [ "$n" -ge 8 ]

  # Build every stage a block uses first, in the suite's configuration (SAN), so the blocks'
  # own `make` has nothing to do.
  local stages
  stages=$(grep -ohE '(^|[^a-z0-9])s[0-9][0-9]/|cd s[0-9][0-9]|-C s[0-9][0-9]' "$dir"/block-*.sh |
    grep -oE 's[0-9][0-9]' | sort -u)
  for stage in $stages; do
    run make -C "$TOP" -s SAN="${REACTOR_SAN:-}" "$stage"
    if [ "$status" -ne 0 ]; then
      echo "cannot build $stage for NOTES.md's commands:" >&2
      echo "$output" >&2
      return 1
    fi
  done

  # One script, the blocks in document order, as a reader pastes them into one shell at the top
  # of the repository; after each block the shell must still be there.
  local all=$dir/all.sh line
  : >"$all"
  for ((i = 1; i <= n; i++)); do
    line=$(cat "$dir/line-$i")
    printf 'echo "== block %d (NOTES.md line %d)"\n' "$i" "$line" >>"$all"
    cat "$dir/block-$i.sh" >>"$all"
    printf '[ "$PWD" = "%s" ] || { echo "block %d (line %d) left the shell in $PWD"; exit 1; }\n' \
      "$TOP" "$i" "$line" >>"$all"
  done
  (
    cd "$TOP"
    export SAN="${REACTOR_SAN:-}"
    unset REACTOR_LOG_LEVEL REACTOR_PORT
    exec setsid bash -e -o pipefail "$all"
  ) </dev/null >"$dir/out.log" 2>&1 3>&- 4>&- &
  local pid=$! status_all
  if ! wait_exit "$pid" 240; then
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "the blocks did not end within 240 s; the last lines:" >&2
    tail -n 20 "$dir/out.log" >&2
    return 1
  fi
  status_all=$BG_STATUS
  kill -KILL -- "-$pid" 2>/dev/null || true # no block may leave a server behind
  if [ "$status_all" -ne 0 ]; then
    echo "the blocks stopped with status $status_all in $(grep '^== block ' "$dir/out.log" | tail -n 1):" >&2
    grep 'left the shell' "$dir/out.log" >&2 || tail -n 20 "$dir/out.log" >&2
    return 1
  fi
  [ "$(grep -c '^== block ' "$dir/out.log")" -eq "$n" ]
  cp "$dir/out.log" "$BATS_FILE_TMPDIR/blocks.log"
}

@test "every log line NOTES.md and README.md quote names a function and file:line that a real run prints" {
  # The run is the previous test's: every block, pasted in order (its output, kept for this).
  local log=$BATS_FILE_TMPDIR/blocks.log
  [ -s "$log" ]
  local re='(TRACE|DEBUG|INFO|WARN|ERROR|FATAL) +([A-Za-z_][A-Za-z0-9_]*) .* - ([A-Za-z0-9_]+\.c):([0-9]+)$'
  local line quoted=0 missing=() inblock=0 printed
  printed=$(grep -oE "$re" "$log" | sed -E "s/$re/\2 \3:\4/" | sort -u)
  while IFS= read -r line; do
    if [[ $line == '```'* ]]; then
      inblock=$((1 - inblock))
      continue
    fi
    [ "$inblock" -eq 1 ] || continue
    if [[ $line =~ $re ]]; then
      quoted=$((quoted + 1))
      grep -qxF "${BASH_REMATCH[2]} ${BASH_REMATCH[3]}:${BASH_REMATCH[4]}" <<<"$printed" ||
        missing+=("${BASH_REMATCH[2]} - ${BASH_REMATCH[3]}:${BASH_REMATCH[4]}")
    fi
  done < <(cat "$NOTES" "$TOP/README.md")
  [ "$quoted" -ge 20 ] # the extraction works: the TRACE walkthrough quotes many lines
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'NOTES.md or README.md quotes a log line no block prints: %s\n' "${missing[@]}" >&2
    return 1
  fi
}

@test "every file NOTES.md and README.md name without a directory exists in the repository" {
  # Connector.c, TESTING.md, 07-buffer.patch: a name a reader would look for. muduo's own files
  # (.cc) are the tutorial's, not ours; so are the other projects' files NOTES.md compares with.
  local others=" ae_epoll.c ae_select.c "
  local name n=0 missing=() files
  files=$(cd "$TOP" && git ls-files 2>/dev/null || find . -type f | sed 's|^\./||')
  while read -r name; do
    n=$((n + 1))
    [[ $others == *" $name "* ]] && continue
    grep -qE "(^|/)${name//./\\.}\$" <<<"$files" || missing+=("$name")
  done < <(grep -ohE '(^|[^A-Za-z0-9_./-])[A-Za-z0-9_-]+\.(c|h|md|patch|bats|bash|mk)([^A-Za-z0-9_]|$)' \
    "$NOTES" "$TOP/README.md" | grep -oE '[A-Za-z0-9_-]+\.(c|h|md|patch|bats|bash|mk)' | sort -u)
  [ "$n" -ge 10 ] # the extraction works: the guide names many files
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'NOTES.md or README.md names a file the repository does not have: %s\n' "${missing[@]}" >&2
    return 1
  fi
}
