# tests/vm/common.sh: what the guest scenario suites share (sourced by
# tests/vm/scenarios.sh and tests/vm/scenarios-ctr.sh after they set CG):
# the PASS/FAIL/SKIP counting, the precondition (root, systemd as PID 1, a
# pure cgroup v2 hierarchy with the memory controller), the helpers that
# read what the kernel and systemd say, and the clean-up of what a suite
# started (its PIDS and UNITS arrays).
npass=0 nfail=0 nskip=0

pass() { echo "PASS $1 -- ${2:-}"; npass=$((npass + 1)); }
fail() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }
skip() { echo "SKIP $1: skipped: $2"; nskip=$((nskip + 1)); }
check() { # NAME EVIDENCE CONDITION...: PASS when the command succeeds
  local n=$1 e=$2; shift 2
  if "$@"; then pass "$n" "$e"; else fail "$n" "$e"; fi
}
summary() { echo "$npass passed, $nfail failed, $nskip skipped"; }

# NAME: skip the whole suite (and exit) where it cannot run; else say what
# the guest is.
require_systemd_v2() {
  local why=""
  [ "$(id -u)" = 0 ] || why="not root"
  [ -z "$why" ] && [ ! -d /run/systemd/system ] && why="systemd is not PID 1 (no /run/systemd/system)"
  [ -z "$why" ] && [ "$(stat -fc %T "$CG" 2>/dev/null)" != cgroup2fs ] && why="$CG is not a pure cgroup v2 hierarchy"
  [ -z "$why" ] && ! grep -qw memory "$CG/cgroup.controllers" && why="no memory controller in cgroup v2"
  if [ -n "$why" ]; then
    skip "$1" "$why"; summary; exit 0
  fi
  echo "host: $(uname -r), systemd $(systemctl --version | sed -n '1s/systemd \([0-9]*\).*/\1/p'), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB"
}

cg_of() { sed -n 's/^0:://p' "/proc/$1/cgroup"; }                 # PID -> /path
cgf() { cat "$CG$1/$2" 2>/dev/null || echo "?"; }                  # PATH FILE
ev() { awk -v k="$3" '$1 == k {print $2}' "$CG$1/$2" 2>/dev/null; } # PATH FILE KEY
vmstat_oom() { awk '$1 == "oom_kill" {print $2}' /proc/vmstat; }
show() { systemctl show "$1" -p "$2" --value; }                    # UNIT PROP
waitfor() { # TENTHS CMD...: poll until CMD succeeds
  local n=$1; shift
  for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}

# Kill the suite's processes (PIDS) and stop and forget its units (UNITS):
# their runtime, transient and persistent files and drop-ins.
forget_units() {
  local p u
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  for u in "${UNITS[@]}"; do
    systemctl stop "$u" 2>/dev/null
    systemctl reset-failed "$u" 2>/dev/null
    systemctl revert "$u" >/dev/null 2>&1
    rm -rf "/etc/systemd/system/$u" "/etc/systemd/system/$u.d" \
      "/run/systemd/system.control/$u.d" "/run/systemd/transient/$u"
  done
}
