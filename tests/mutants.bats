#!/usr/bin/env bats
# mutants: the planted bugs of tests/mutants stay usable, and CI runs a few of them. `make
# mutants` (tests/mutants/run) runs them all, which takes too long for CI; here, in every suite
# run, each patch must still apply to the current code with a header saying what it breaks and
# which tests cover it, and, in the plain suite only, the mutants marked "ci: yes" must be killed.
bats_require_minimum_version 1.5.0
load helpers
# The CI mutants copy and build s04 and s11, then run two mutants; the apply check runs bats
# --count once per mutant (15 s on a quiet machine, past 30 s in a loaded CI run).
time_bound 30 'the mutants marked ci*' 240 'every mutant in tests/mutants*' 120

@test "every mutant in tests/mutants says what it breaks, names tests that exist and still applies" {
  cd "$TOP"
  run -0 tests/mutants/run --check
  local n
  n=$(ls tests/mutants/[0-9][0-9]-*.patch | wc -l)
  [ "$n" -ge 20 ]
  [ "$(grep -c '^ok [0-9][0-9]-' <<<"$output")" -eq "$n" ]
  [ "${lines[-1]}" = "mutants: $n checked, 0 with problems" ]
  # Every part of the library the mutants are meant to spread over has at least one.
  local part
  for part in EventLoop Channel 'Poller (poll)' 'EPoller (epoll)' TimerQueue Acceptor TcpServer \
    TcpConnection Buffer Connector TcpClient; do
    [ "$(grep -lF "$part:" tests/mutants/[0-9][0-9]-*.patch | wc -l)" -ge 1 ]
  done
}

@test "the check finds a patch that no longer applies and a header with no covers line" {
  cd "$TOP"
  local d=$BATS_TEST_TMPDIR/m
  mkdir -p "$d/tests/mutants"
  cp tests/mutants/run "$d/tests/mutants/"
  # Applies nowhere: the context names a line the code does not have.
  sed 's/^ \(.*\)$/ \1 no such line/' tests/mutants/01-*.patch >"$d/tests/mutants/01-stale.patch"
  grep -v '^covers:' tests/mutants/02-*.patch >"$d/tests/mutants/02-nocovers.patch"
  ln -s "$TOP/s11" "$d/s11"
  ln -s "$TOP/tests/s11.bats" "$d/tests/s11.bats"
  run -1 "$d/tests/mutants/run" --check
  [[ ${lines[0]} == "not ok 01-stale - does not apply: "* ]]
  [ "${lines[1]}" = "not ok 02-nocovers - no covers: line" ]
  [ "${lines[2]}" = "mutants: 2 checked, 2 with problems" ]
}

@test "the mutants marked ci: yes are killed (plain suite only)" {
  [ -z "${REACTOR_SAN:-}" ] || skip "mutants run on plain builds (make mutants)"
  cd "$TOP"
  run -0 tests/mutants/run --ci
  local n
  n=$(grep -l '^ci: yes$' tests/mutants/[0-9][0-9]-*.patch | wc -l)
  [ "$n" -ge 2 ]
  [ "$(grep -c '^killed [0-9][0-9]-' <<<"$output")" -eq "$n" ]
  [[ ${lines[-1]} == "mutants: $n killed, 0 survived, 0 errors "* ]]
}
