# shellcheck shell=bash disable=SC2034 # LAYOUT, LAYOUT_NAME and CPU_CLOCK are for the sourcers
# measure.bash: how the benchmarks measure a server; sourced by tests/bench/run-bench,
# tests/bench/bench and tests/bench/storm.
#
# LAYOUT (a command prefix, as an array) and LAYOUT_NAME: how to start a server whose RSS is
# measured. The kernel maps a file's pages in by windows of 64 KiB around the page that faulted
# (fault-around), aligned on virtual addresses. ASLR places libc at a random page, so which of
# libc's pages share a window with the code a server runs changes from start to start: the same
# ref_echo binary counted 1048 to 1328 KiB of libc in four runs here, 1224 in each of four with
# randomization off. Every server is therefore started with randomization off (setarch -R),
# when the machine allows it (a container may refuse the personality call); BENCH_LAYOUT=random
# keeps the kernel's randomization, BENCH_LAYOUT=fixed insists on the fixed layout.

case ${BENCH_LAYOUT:-auto} in
  auto | fixed | random) ;;
  *)
    echo "${0##*/}: BENCH_LAYOUT must be auto, fixed or random, got '$BENCH_LAYOUT'" >&2
    exit 1
    ;;
esac
LAYOUT=()
LAYOUT_NAME="random (BENCH_LAYOUT=random)"
if [[ ${BENCH_LAYOUT:-auto} != random ]]; then
  if setarch "$(uname -m)" -R true 2>/dev/null; then
    LAYOUT=(setarch "$(uname -m)" -R)
    LAYOUT_NAME="fixed (setarch -R)"
  elif [[ ${BENCH_LAYOUT:-auto} == fixed ]]; then
    echo "${0##*/}: BENCH_LAYOUT=fixed, but 'setarch -R' is refused here" >&2
    exit 1
  else
    LAYOUT_NAME="random ('setarch -R' refused here)"
  fi
fi

# cpu_ns PID: the CPU time of all the process's threads so far, in nanoseconds: the first field
# of each /proc/PID/task/TID/schedstat, which the scheduler keeps to the nanosecond. utime +
# stime in /proc/PID/stat give the same total in clock ticks (10 ms), 0.3-1 % of a round's CPU
# in run-bench and more of a storm's: coarse against a 1.05 target. A kernel built without
# schedstat gets the ticks; CPU_CLOCK says which.
CPU_CLOCK=ticks
[[ -r /proc/self/schedstat ]] && CPU_CLOCK=schedstat
cpu_ns() {
  local pid=$1 total=0 ns file stat
  local -a fields
  if [[ $CPU_CLOCK == schedstat ]]; then
    for file in /proc/"$pid"/task/*/schedstat; do
      read -r ns _ 2>/dev/null <"$file" && total=$((total + ns)) # a thread may just have ended
    done
  else
    # Fields counted after the ")" that ends the command name, which may contain spaces.
    stat=$(<"/proc/$pid/stat")
    read -ra fields <<<"${stat##*) }"
    total=$(((fields[11] + fields[12]) * 1000000000 / $(getconf CLK_TCK)))
  fi
  echo "$total"
}
