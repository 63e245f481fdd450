#!/usr/bin/env bash
# tests/vm/run.sh BIN BUILD: the VM stage (`make test-vm`).  Boots a throwaway
# Debian 12 guest (systemd 252 as PID 1, pure cgroup v2 with the memory
# controller, swap files; QEMU TCG, no KVM needed) with the harness in
# ../shared/vm (or $MB_VM_HARNESS), copies this built checkout in (--copy:
# 9p cannot hold the FIFOs the live tests make) and runs there:
#   - the live tests (tests/run.sh with MB_TEST_ONLY=live), and
#   - the systemd/v2 scenario suite (tests/vm/scenarios.sh), with a
#     `make install DESTDIR=` tree of this checkout for the contrib unit, and
#   - the container / memory.events suite (tests/vm/scenarios-ctr.sh).
# The guest's output streams back on stdout (also kept in $MB_VM_LOG, default
# BUILD/test-vm.log); the last line adds up both suites:
# "N passed, N failed, N skipped".  The inner summaries are prefixed
# ("guest live: ...") so that .ci/run counts each test once.
#
# The image is a cache (VM_DIR, default /var/tmp/vm, root only): a missing
# or outdated one is built first (about 3 min, needs the Debian mirror).
# Skipped, with the reason, only where QEMU cannot run: not root (the image
# and the guest's 9p need root), not x86_64 Linux, no qemu-system-x86_64 (and
# it cannot be installed).  No harness (../shared/vm) fails.
#   MB_VM_LIVE_SKIP   live scripts left out in the guest (tests/run.sh's
#                     MB_LIVE_SKIP); default "soak watch": both assert the
#                     pacing of 0.2-0.25 s sampling intervals, which measures
#                     the CPU, and TCG emulates it 5-20x slower (seen: soak
#                     130 ticks of > 180, watch gaps 0.31/0.09 s); neither
#                     touches systemd or cgroups, and both run on the host in
#                     `make test`.  Set it empty to run them too.
#   MB_VM_TIMEOUT     seconds for the whole VM run (default 1500)
set -uo pipefail
BIN=$(realpath "${1:-build/membudget}")
BUILD=$(realpath "${2:-build}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=${MB_VM_HARNESS:-$ROOT/../shared/vm}
LOG=${MB_VM_LOG:-$BUILD/test-vm.log}
TIMEOUT=${MB_VM_TIMEOUT:-1500}

skip_all() {
  echo "SKIP test-vm: skipped: $1"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
}
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || skip_all "not x86_64 Linux ($(uname -sm))"
[ "$(id -u)" = 0 ] || skip_all "not root (the guest image and its 9p shares need root)"
# A missing harness is a broken checkout layout, not a host without QEMU: fail.
if ! [ -x "$HARNESS/vm-run.sh" ] || ! [ -x "$HARNESS/build-image.sh" ]; then
  echo "FAIL test-vm-harness: no VM harness at $HARNESS (../shared/vm beside the checkout, or MB_VM_HARNESS)"
  echo "0 passed, 1 failed, 0 skipped"; exit 1
fi
[ -x "$BIN" ] || { echo "test-vm: no $BIN: build first (make all unit-bins helpers)"; exit 2; }
if ! command -v qemu-system-x86_64 >/dev/null; then
  # build-image.sh installs it; when that cannot work (no apt, no mirror) we skip.
  command -v apt-get >/dev/null || skip_all "no qemu-system-x86_64 and no apt-get to install it"
fi

T=$(mktemp -d /var/tmp/mbtest-vm.XXXXXX)
trap 'rm -rf "$T"' EXIT
t0=$(date +%s)
# The image first, on its own, so that a failed build reads as one.
if ! "$HARNESS/build-image.sh" >"$T/image.log" 2>&1; then
  tail -20 "$T/image.log"
  command -v qemu-system-x86_64 >/dev/null \
    || skip_all "qemu-system-x86_64 missing and could not be installed"
  echo "FAIL test-vm-image: build-image.sh failed (log above)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
t1=$(date +%s)
[ $((t1 - t0)) -gt 5 ] && echo "test-vm: built the guest image in $((t1 - t0)) s"

# The install tree for the scenario with the contrib unit.
if ! make -s -C "$ROOT" install DESTDIR="$T/destdir" PREFIX=/usr/local BUILD="$(realpath --relative-to="$ROOT" "$BUILD")" >"$T/install.log" 2>&1; then
  cat "$T/install.log"; echo "FAIL test-vm-install: make install DESTDIR failed"
  echo "0 passed, 1 failed, 0 skipped"; exit 1
fi

GCMD="cd '$ROOT' && echo \"guest: \$(uname -r), \$(stat -fc %T /sys/fs/cgroup), PID 1 \$(cat /proc/1/comm), \$(systemctl is-system-running)\";
MB_TEST_ONLY=live MB_LIVE_SKIP='${MB_VM_LIVE_SKIP-soak watch}' tests/run.sh '$BIN' '$BUILD' 2>&1 | sed -E 's/^([0-9]+ passed, [0-9]+ failed)/guest live: \\1/';
MB_DESTDIR='$T/destdir' bash tests/vm/scenarios.sh '$BIN' '$BUILD' 2>&1 | sed -E 's/^([0-9]+ passed, [0-9]+ failed)/guest scenarios: \\1/';
bash tests/vm/scenarios-ctr.sh '$BIN' '$BUILD' 2>&1 | sed -E 's/^([0-9]+ passed, [0-9]+ failed)/guest ctr: \\1/'"
echo "test-vm: booting the guest (live tests + tests/vm/scenarios.sh + tests/vm/scenarios-ctr.sh); log: $LOG"
VM_TIMINGS=1 "$HARNESS/vm-run.sh" --timeout "$TIMEOUT" --copy "$ROOT" --copy "$T" --cwd "$ROOT" "$GCMD" 2>&1 \
  | tee "$LOG"
rc=${PIPESTATUS[0]}
t2=$(date +%s)

sum() { grep -E "^guest $1: [0-9]+ passed" "$LOG" | tail -1 | sed -E 's/^guest [a-z]+: //'; }
live=$(sum live) scen=$(sum scenarios) ctr=$(sum ctr)
p=0 f=0 s=0
for line in "$live" "$scen" "$ctr"; do
  [ -n "$line" ] || { f=$((f + 1)); continue; }  # a suite that did not finish
  read -r a _ b _ c _ <<<"${line//,/}"
  p=$((p + a)); f=$((f + b)); s=$((s + ${c:-0}))
done
[ -n "$live" ] || echo "FAIL test-vm-live: the live suite did not report (vm-run exit $rc)"
[ -n "$scen" ] || echo "FAIL test-vm-scenarios: the scenario suite did not report (vm-run exit $rc)"
[ -n "$ctr" ] || echo "FAIL test-vm-scenarios-ctr: the container suite did not report (vm-run exit $rc)"
if [ "$rc" != 0 ] && [ -n "$live" ] && [ -n "$scen" ] && [ -n "$ctr" ]; then
  echo "FAIL test-vm-run: vm-run.sh exit $rc"; f=$((f + 1))
fi
echo "test-vm: wall $((t2 - t0)) s (image $((t1 - t0)) s, VM run $((t2 - t1)) s)"
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ]
