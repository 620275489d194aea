#!/usr/bin/env bats
# lint: every check in the suite can fail. Bash has traps that make a bats check pass whatever
# happens (../shared/TESTING.md, "What a test is for"); this file rejects them in every
# tests/*.bats and tests/*.bash file and prints FILE:LINE for each offence:
#   - a test command ([ ], [[ ]], (( )), test) followed by && on a command line of its own:
#     errexit ignores the failure of every command of an && list but the last, so unless that
#     line happens to be the last of its test or function, a false first test lets the test go
#     on and pass. Write one assertion per line, and a conditional action as an if statement.
#     A condition of if, while or until is not a command line of its own, a list with an ||
#     fallback (`[ A ] && [ B ] || fail`) does fail, and a list that ends in a jump
#     (`[ -e "$f" ] && break`, also continue, return, exit) is a condition, not an assertion.
#   - local, declare, typeset, export or readonly with a command substitution (`local x=$(cmd)`,
#     `local -a a=($(cmd))`): the builtin's status 0 hides cmd's failure. Declare, then assign.
#   - `! cmd` as a command line: errexit ignores it, so it never fails the test. Use `run ! cmd`.
bats_require_minimum_version 1.5.0
load helpers
time_bound 30

# lint_shell FILE...: prints "FILE:LINE: what: the line" for each offence; fails if there is any.
# It reads bash the way a reader does, line by line: quoted text (also across lines) and
# comments are set aside, and each line is cut into commands at its unquoted ';'.
lint_shell() {
  awk -v q="'" '
    FNR == 1 { sq = 0; dq = 0; ansi = 0; prev = "" }
    { scan($0)
      for (k = 1; k <= nseg; k++) {
        c = lead(code[k]); a = lead(words[k])
        if (k == 1 && (startq || prev ~ /(\\|&&|\|\||\|)[ \t]*$/))
          continue # a continued line: part of the command above
        if (chained(c))
          report("test command chained with && (one assertion per line, or if ...; then)")
        else if (a ~ /^(local|declare|typeset|export|readonly)([ \t]|$)/ &&
                 (a ~ /\$\([^(]/ || a ~ /`/))
          report("command substitution in " substr(a, 1, index(a " ", " ") - 1) \
                 " hides its failure (declare, then assign)")
        else if (c ~ /^![ \t]/)
          report("! cmd never fails a test (run ! cmd)")
      }
      prev = code[nseg]
    }
    END { exit bad }

    function report(what) {
      print FILENAME ":" FNR ": " what ": " trim($0)
      bad = 1
    }
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    # lead S: S without its leading blanks and the keywords that may start a command line.
    function lead(s) {
      s = trim(s)
      while (match(s, /^(then|do|else|\{)[ \t]+/))
        s = substr(s, RLENGTH + 1)
      return s
    }
    # chained C: C starts with a test command that && joins to more, with no || fallback and
    # no jump at the end.
    function chained(c,    rest, end) {
      if (c ~ /&&[ \t]*(break|continue|return|exit)([ \t]+[0-9]+)?[ \t]*$/) return 0
      if (c ~ /^\[\[[ \t]/) { end = index(c, " ]]"); rest = end ? substr(c, end + 3) : "" }
      else if (c ~ /^\[[ \t]/) { end = index(c, " ]"); rest = end ? substr(c, end + 2) : "" }
      else if (c ~ /^\(\(/) { end = index(c, "))"); rest = end ? substr(c, end + 2) : "" }
      else if (c ~ /^test[ \t]/) rest = substr(c, 5)
      else return 0
      if (c ~ /^test/) { if (index(rest, "&&") == 0) return 0 }
      else if (rest !~ /^[ \t]*&&/) return 0
      return index(rest, "||") == 0
    }
    # scan LINE: cuts LINE into nseg commands at its unquoted ";" - code[k] with all quoted text
    # left out, words[k] with only single-quoted text left out - carrying the quoting state
    # (sq, dq, ansi) to the next line. startq: the line begins inside quotes.
    function scan(line,    i, n, ch, nx) {
      startq = sq || dq || ansi
      nseg = 1; code[1] = ""; words[1] = ""
      n = length(line)
      for (i = 1; i <= n; i++) {
        ch = substr(line, i, 1); nx = substr(line, i + 1, 1)
        if (sq) { if (ch == q) sq = 0; continue }
        if (ansi) { if (ch == "\\") i++; else if (ch == q) ansi = 0; continue }
        if (dq) {
          if (ch == "\\") { words[nseg] = words[nseg] ch "_"; i++ }
          else if (ch == "\"") { dq = 0; code[nseg] = code[nseg] ch; words[nseg] = words[nseg] ch }
          else words[nseg] = words[nseg] ch
          continue
        }
        if (ch == "\\") { # an escaped character, or a line continued
          nx = nx == "" ? "" : "_"
          code[nseg] = code[nseg] ch nx; words[nseg] = words[nseg] ch nx; i++; continue
        }
        if (ch == "#" && (i == 1 || substr(line, i - 1, 1) ~ /[ \t;]/)) break
        if (ch == "$" && nx == q) { ansi = 1; i++; code[nseg] = code[nseg] "$" q q; continue }
        if (ch == q) { sq = 1; code[nseg] = code[nseg] q q; words[nseg] = words[nseg] q q; continue }
        if (ch == "\"") dq = 1
        if (ch == ";") {
          if (nx == ";") { i++; continue }
          nseg++; code[nseg] = ""; words[nseg] = ""
          continue
        }
        code[nseg] = code[nseg] ch; words[nseg] = words[nseg] ch
      }
    }' "$@"
}

@test "lint: every tests/*.bats and tests/*.bash file is free of checks that cannot fail" {
  cd "$TOP"
  local -a files=(tests/*.bats tests/*.bash)
  [ "${#files[@]}" -ge 10 ] # the glob found the suite
  if ! lint_shell "${files[@]}" >"$BATS_TEST_TMPDIR/offences"; then
    cat "$BATS_TEST_TMPDIR/offences" >&2
    return 1
  fi
  [ ! -s "$BATS_TEST_TMPDIR/offences" ]
}

@test "lint: the lint itself finds each kind of offence and passes what is fine" {
  local f=$BATS_TEST_TMPDIR/sample.bats
  # Offending lines are marked "bad"; the lint must name exactly those, by line number.
  printf '%s\n' \
    '@test "sample" {' \
    '  [ "$a" = 1 ] && [ "$b" = 2 ] # bad' \
    '  [[ $x =~ $re ]] && [ "${BASH_REMATCH[1]}" -eq 5 ] # bad' \
    '  ((n > 0)) && ((m > 0)) # bad' \
    '  test -n "$a" && true # bad' \
    '  foo; [ "$a" -eq 1 ] && bar # bad' \
    '  if true; then [ -n "$a" ] && [ -n "$b" ]; fi # bad' \
    '  local t=$(cmd) # bad' \
    '  local -a all=($(cmd)) # bad' \
    '  local n=1 s="$(cmd arg)" # bad' \
    '  declare -g d=`cmd` # bad' \
    '  export E=$(cmd) # bad' \
    '  readonly R="x $(cmd)" # bad' \
    '  [ -n "$a" ] && n=$((n + 1)) # bad' \
    '  ! grep -q x "$f" # bad' \
    '  [ "$a" = 1 ]' \
    '  [[ $a == 1 && $b == 2 ]]' \
    '  ((a > 0 && b > 0))' \
    '  [ "$a" = 1 ] || [ "$a" = 2 ]' \
    '  [[ $x =~ $re ]] && [ "${BASH_REMATCH[1]}" -eq 5 ] || fail "no match"' \
    '  if [ "$a" = 1 ] && [ "$b" = 2 ]; then :; fi' \
    '  while [ "$i" -lt 3 ] && kill -0 "$p" &&' \
    '    [ -z "$x" ] && true; do :; done' \
    '  local t n=$((a + 1)) re="a && b"' \
    '  t=$(cmd)' \
    '  run ! grep -q x "$f"' \
    '  grep -q x "$f" && return 0' \
    '  [ -e "$f" ] && break' \
    '  [ "$n" -eq 3 ] && [ -s "$f" ] && return 0' \
    '  ((i > 5)) && continue' \
    '  echo "[ a ] && [ b ]; local c=$(d)"' \
    "  awk 'NR == 1" \
    "  [ \$1 ] && x { print }' \"\$f\"" \
    '  # [ "$a" = 1 ] && [ "$b" = 2 ]' \
    '}' >"$f"
  run -1 lint_shell "$f"
  local want=() got=() line
  mapfile -t want < <(grep -n '# bad$' "$f" | cut -d: -f1)
  [ "${#want[@]}" -eq 14 ]
  for line in "${lines[@]}"; do
    [[ $line == "$f:"* ]]
    line=${line#"$f:"}
    got+=("${line%%:*}")
  done
  [ "${got[*]}" = "${want[*]}" ]
  # What it prints: the file, the line, what is wrong, the line itself (the fixture's line 2).
  local second
  second=$(sed -n '2{s/^ *//;p}' "$f")
  [ "${second:0:2}" = '[ ' ]
  [ "${lines[0]}" = "$f:2: test command chained with && (one assertion per line, or if ...; then): $second" ]
  [[ ${lines[6]} == "$f:8: command substitution in local hides its failure (declare, then assign): "* ]]
  [[ ${lines[13]} == "$f:15: ! cmd never fails a test (run ! cmd): "* ]]
  # A clean file passes.
  grep -v '# bad$' "$f" >"$BATS_TEST_TMPDIR/clean.bats"
  run -0 lint_shell "$BATS_TEST_TMPDIR/clean.bats"
  [ -z "$output" ]
}

# unbounded_files FILE...: prints "FILE: no time_bound" for each bats file that does not bound
# its tests' time with a top-level time_bound line (tests/helpers.bash); fails if there is any.
unbounded_files() {
  local f bad=0
  for f in "$@"; do
    if ! grep -qE '^time_bound [0-9]+( |$)' "$f"; then
      echo "$f: no time_bound (call it after load helpers: a hang must fail one test, not stall the file)"
      bad=1
    fi
  done
  return "$bad"
}

@test "lint: every tests/*.bats file bounds the time of its tests (time_bound), so a hang fails one test" {
  cd "$TOP"
  local -a files=(tests/*.bats)
  [ "${#files[@]}" -ge 10 ]
  run -0 unbounded_files "${files[@]}"
  [ -z "$output" ]
  # The check itself: a file with the call indented into a function, or none, is caught.
  printf '%s\n' 'load helpers' 'f() {' '  time_bound 30' '}' >"$BATS_TEST_TMPDIR/a.bats"
  printf '%s\n' 'load helpers' 'time_bound 30 "slow*" 60' >"$BATS_TEST_TMPDIR/b.bats"
  run -1 unbounded_files "$BATS_TEST_TMPDIR/a.bats" "$BATS_TEST_TMPDIR/b.bats"
  [ "$output" = "$BATS_TEST_TMPDIR/a.bats: no time_bound (call it after load helpers: a hang must fail one test, not stall the file)" ]
}

@test "time_bound: a test that hangs fails by name within its bound, whatever runs it, and the file goes on" {
  local f=$BATS_TEST_TMPDIR/hangs.bats
  printf '%s\n' \
    'bats_require_minimum_version 1.5.0' \
    "source '$TOP/tests/helpers.bash'" \
    "time_bound 2 'slow*' 5" \
    '@test "hangs under run" { run sleep 31; }' \
    '@test "hangs in a pipeline" { sleep 32 | cat; }' \
    '@test "hangs in a command substitution" { x=$(sleep 33); }' \
    '@test "hangs ignoring TERM" { run bash -c "trap \"\" TERM; exec sleep 34"; }' \
    '@test "slow but within its own bound" { sleep 3; }' \
    '@test "after the hangs" { true; }' >"$f"
  local start=$SECONDS
  run -1 timeout 60 bats --tap "$f"
  # Four bounds of 2 s, one sleep of 3 s, and a second each for the stragglers' KILL.
  [ $((SECONDS - start)) -lt 20 ]
  [ "${lines[0]}" = "1..6" ]
  [ "$(grep -c '^not ok' <<<"$output")" -eq 4 ]
  grep -qx 'not ok 1 hangs under run # timeout after 2s' <<<"$output"
  grep -qx 'not ok 2 hangs in a pipeline # timeout after 2s' <<<"$output"
  grep -qx 'not ok 3 hangs in a command substitution # timeout after 2s' <<<"$output"
  grep -qx 'not ok 4 hangs ignoring TERM # timeout after 2s' <<<"$output"
  grep -qx 'ok 5 slow but within its own bound' <<<"$output"
  grep -qx 'ok 6 after the hangs' <<<"$output"
  # Each failure says what was still running.
  grep -qE '^#   pid [0-9]+: sleep 31$' <<<"$output"
  grep -qE '^#   pid [0-9]+: sleep 32$' <<<"$output"
  grep -qE '^#   pid [0-9]+: sleep 33$' <<<"$output"
  grep -qE '^#   pid [0-9]+: sleep 34$' <<<"$output"
  # The watchdog lists only the test's own programs, not itself.
  [ "$(grep -cE '^#   pid [0-9]+: ps ' <<<"$output")" -eq 0 ]
  # Nothing is left behind.
  run -1 pgrep -x -f 'sleep 3[1234]'
}
