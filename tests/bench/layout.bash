# shellcheck shell=bash disable=SC2034 # LAYOUT and LAYOUT_NAME are for the scripts that source this
# layout.bash: sourced by tests/bench/run-bench and tests/bench/bench. Sets LAYOUT (a command
# prefix, as an array) and LAYOUT_NAME, for starting the servers whose RSS is measured.
#
# Why: the kernel maps a file's pages in by windows of 64 KiB around the page that faulted
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
