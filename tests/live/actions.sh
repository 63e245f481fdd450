#!/usr/bin/env bash
# actions.sh: tune / undo / limit / run against the real kernel (root, cgroup
# v1 memory or v2, swap files).  Everything created is named mbtest-actions*
# and removed by the trap, on every path.  It detects what the host has
# (cgroup v1 or v2 memory controller; systemd as PID 1 or not) and tests
# that; it never assumes either.
set -u
BIN=${MB_BIN:?} BUILD=${MB_BUILD:?} ROOT=${MB_ROOT:?}
HOG=$BUILD/helpers/hog
FIX=$ROOT/tests/fixtures
T=$(mktemp -d /tmp/mbtest-actions.XXXXXX)
SW=/var/tmp/mbtest-actions.swap
SW2=/var/tmp/mbtest-actions-cycle.swap
ORIG_SWAPPINESS=$(cat /proc/sys/vm/swappiness)
PIDS=()
CGS=()
export MEMBUDGET_ETC_ROOT=$T/etcroot
ST=$T/state
# The memory hierarchy: v2 (memory in cgroup.controllers) or v1.
if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  CGV=2 CGM=/sys/fs/cgroup
elif [ -e /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
  CGV=1 CGM=/sys/fs/cgroup/memory
else
  CGV=0 CGM=/nonexistent
fi
# systemd as PID 1 (sd_booted(): /run/systemd/system is a directory)
SYSTEMD=0; [ -d /run/systemd/system ] && SYSTEMD=1
STUB=mbtest-actions-stub.service

cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  for cg in "${CGS[@]}"; do
    if [ -d "$cg" ]; then
      for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do echo "$p" >"$CGM/cgroup.procs" 2>/dev/null; done
      rmdir "$cg" 2>/dev/null
    fi
  done
  for d in /sys/fs/cgroup/memory/membudget/mbtest-actions* /sys/fs/cgroup/membudget/mbtest-actions*; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  rmdir /sys/fs/cgroup/memory/membudget 2>/dev/null
  if [ "$SYSTEMD" = 1 ]; then
    rm -rf "/run/systemd/system/$STUB" "/run/systemd/system.control/$STUB.d" \
      "/etc/systemd/system/$STUB.d" "/run/systemd/transient/$STUB"
    systemctl daemon-reload 2>/dev/null
  fi
  for s in "$SW" "$SW2"; do
    grep -q "^$s " /proc/swaps && swapoff "$s"
    rm -f "$s"
  done
  echo "$ORIG_SWAPPINESS" >/proc/sys/vm/swappiness
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

if [ "$(id -u)" != 0 ]; then
  skip actions "not root"; exit 0
fi
echo "# cgroup v$CGV memory at $CGM; systemd as PID 1: $([ $SYSTEMD = 1 ] && echo yes || echo no)"
mkdir -p "$MEMBUDGET_ETC_ROOT" "$ST"
CONF=$MEMBUDGET_ETC_ROOT/etc/sysctl.d/60-membudget.conf

# A copy of the binary that the nobody user can execute.
cp "$BIN" "$T/membudget" && chmod 755 "$T" "$T/membudget"

# --- non-root --apply refuses and changes nothing --------------------------
before=$(cat /proc/sys/vm/swappiness)
want=$(( before == 10 ? 20 : 10 ))
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/membudget" tune --apply \
      --swappiness "$want" --state-dir "$T/nobody-state" 2>&1); rc=$?
if [ "$rc" = 3 ] && grep -q "needs root (CAP_SYS_ADMIN) to write /proc/sys/vm/swappiness" <<<"$out" \
   && [ "$(cat /proc/sys/vm/swappiness)" = "$before" ] && [ ! -e "$CONF" ] && [ ! -e "$T/nobody-state" ]; then
  pass nonroot-tune-refused
else
  fail nonroot-tune-refused "rc=$rc out=$out"
fi
# a process of nobody's that matches: the plan has a change to make (a raw
# group, or on systemd + v2 a transient scope), and nobody may not make it
setpriv --reuid=nobody --regid=nogroup --clear-groups bash -c 'exec -a mbtest-actions-nobody-sleeper sleep 300' &
PIDS+=($!); sleep 0.3
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$T/membudget" limit --match \
      'mbtest-actions-nobody-sleeper' --max 64M --name mbtest-actions-nobody --apply --state-dir "$T/nobody-state" 2>&1); rc=$?
if [ "$rc" = 3 ] && grep -q "needs root" <<<"$out" && [ ! -d "$CGM/membudget/mbtest-actions-nobody" ] \
   && [ ! -d "$CGM/system.slice/membudget-match-mbtest-actions-nobody.scope" ]; then
  pass nonroot-limit-refused
else
  fail nonroot-limit-refused "rc=$rc out=$out"
fi

# --- tune --apply twice, then undo ------------------------------------------
"$BIN" tune --state-dir "$ST" --swappiness "$want" >"$T/plan.txt" 2>&1
if [ "$(cat /proc/sys/vm/swappiness)" = "$before" ] && [ ! -e "$CONF" ] && grep -q "nothing changed" "$T/plan.txt"; then
  pass tune-plan-changes-nothing
else
  fail tune-plan-changes-nothing "$(cat "$T/plan.txt")"
fi
"$BIN" tune --state-dir "$ST" --swappiness "$want" --apply >"$T/a1.txt" 2>&1; rc1=$?
sum1=$(md5sum <"$CONF" 2>/dev/null)
"$BIN" tune --state-dir "$ST" --swappiness "$want" --apply >"$T/a2.txt" 2>&1; rc2=$?
sum2=$(md5sum <"$CONF" 2>/dev/null)
nfiles=$(ls "$MEMBUDGET_ETC_ROOT/etc/sysctl.d" | wc -l)
if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$(cat /proc/sys/vm/swappiness)" = "$want" ] \
   && [ -n "$sum1" ] && [ "$sum1" = "$sum2" ] && [ "$nfiles" = 1 ] && grep -q "^vm.swappiness = $want$" "$CONF" \
   && grep -q "already in place" "$T/a2.txt"; then
  pass tune-apply-idempotent
else
  fail tune-apply-idempotent "rc=$rc1/$rc2 files=$nfiles $(cat "$T/a1.txt" "$T/a2.txt")"
fi
"$BIN" undo --state-dir "$ST" >"$T/u.txt" 2>&1; rc=$?
if [ "$rc" = 0 ] && [ "$(cat /proc/sys/vm/swappiness)" = "$before" ] && [ ! -e "$CONF" ]; then
  pass tune-undo-restores
else
  fail tune-undo-restores "rc=$rc swappiness=$(cat /proc/sys/vm/swappiness) $(cat "$T/u.txt")"
fi
# undo restores an existing file's previous text, not just removes it
mkdir -p "$(dirname "$CONF")"; printf 'vm.swappiness = 33\n' >"$CONF"
"$BIN" tune --state-dir "$ST" --swappiness "$want" --apply >/dev/null 2>&1
"$BIN" undo --state-dir "$ST" --last >/dev/null 2>&1
if [ "$(cat "$CONF")" = "vm.swappiness = 33" ] && [ "$(cat /proc/sys/vm/swappiness)" = "$before" ]; then
  pass tune-undo-restores-previous-file
else
  fail tune-undo-restores-previous-file "$(cat "$CONF")"
fi
rm -f "$CONF"
out=$("$BIN" undo --state-dir "$ST" 2>&1)
grep -q "nothing to undo" <<<"$out" && pass undo-nothing-left || fail undo-nothing-left "$out"

# --- swap cycle ---------------------------------------------------------------
out=$("$BIN" tune --proc-root "$FIX/actions-swapcycle/proc" --state-dir "$ST" --swap-cycle --apply 2>&1); rc=$?
if [ "$rc" = 3 ] && grep -q "swap cycle refused: MemAvailable 600 MiB < swap used 2 GiB" <<<"$out" \
   && [ "$(cat /proc/sys/vm/swappiness)" = "$before" ] && [ ! -e "$CONF" ]; then
  pass swap-cycle-refused-fixture
else
  fail swap-cycle-refused-fixture "rc=$rc $out"
fi

if fallocate -l 512M "$SW2" 2>/dev/null && chmod 600 "$SW2" && mkswap "$SW2" >/dev/null 2>&1 && swapon -p 7 "$SW2"; then
  # push ~60 MiB of a holder into the swap file: a 32 MiB group, then lift the limit
  # v1 memory.limit_in_bytes, v2 memory.max (a group at the root: no systemd unit owns it)
  LIMF=memory.limit_in_bytes NOLIM=-1; [ "$CGV" = 2 ] && LIMF=memory.max NOLIM=max
  cg=$CGM/mbtest-actions-push; CGS+=("$cg")
  mkdir -p "$cg" && echo 32M >"$cg/$LIMF"
  ( echo $BASHPID >"$cg/cgroup.procs"; exec "$HOG" 96 120 ) >/dev/null & hp=$!; PIDS+=("$hp")
  for i in $(seq 1 100); do
    s=$(awk '/VmSwap/ {print $2}' /proc/$hp/status 2>/dev/null); [ "${s:-0}" -gt 40000 ] && break; sleep 0.1
  done
  echo "$NOLIM" >"$cg/$LIMF"
  used=$(awk -v f="$SW2" '$1==f {print $4}' /proc/swaps)
  out=$("$BIN" tune --state-dir "$ST" --swappiness "$before" --swap-cycle --apply 2>&1); rc=$?
  used2=$(awk -v f="$SW2" '$1==f {print $4}' /proc/swaps); prio2=$(awk -v f="$SW2" '$1==f {print $5}' /proc/swaps)
  hs=$(awk '/VmSwap/ {print $2}' /proc/$hp/status 2>/dev/null)
  if [ "$rc" = 0 ] && [ "${used:-0}" -gt 30000 ] && grep -q "swapoff $SW2: done" <<<"$out" \
     && [ "$prio2" = 7 ] && [ "${used2:-1}" -lt "${used:-0}" ] && kill -0 "$hp" 2>/dev/null && [ "${hs:-1}" -lt 1000 ]; then
    pass swap-cycle-real
  else
    fail swap-cycle-real "rc=$rc used=$used used2=$used2 prio=$prio2 hogswap=$hs $out"
  fi
  kill -9 "$hp" 2>/dev/null; wait "$hp" 2>/dev/null
  "$BIN" undo --state-dir "$ST" --all >/dev/null 2>&1
  swapoff "$SW2"; rm -f "$SW2"; rmdir "$cg" 2>/dev/null
  [ -d "$cg" ] && fail swap-cycle-cgroup-removed "$cg left behind"
else
  fail swap-cycle-real "cannot create a swap file at $SW2"
  rm -f "$SW2"
fi

# --- limit --match / --release (v1 here, or v2) -----------------------------
bash -c 'exec -a mbtest-actions-sleeper-$$ sleep 300' & sp=$!; PIDS+=("$sp")
sleep 0.3
orig_cg=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:|^0::' /proc/$sp/cgroup | head -1 | cut -d: -f3)
out=$("$BIN" limit --match "mbtest-actions-sleeper-$sp" --max 64M --swap-max 0 --name mbtest-actions-l1 \
      --state-dir "$ST" --apply 2>&1); rc=$?
# the systemd way where systemd is PID 1 on cgroup v2: a transient scope
SCOPEWAY=0; [ "$SYSTEMD" = 1 ] && [ "$CGV" = 2 ] && SCOPEWAY=1
if [ "$SCOPEWAY" = 1 ]; then
  want_cg=/system.slice/membudget-match-mbtest-actions-l1.scope dir=$CGM$want_cg way="the systemd way: in transient scope"
else
  want_cg=/membudget/mbtest-actions-l1 way="a raw cgroup: in cgroup"
  dir=$(sed -n 's/^cgroup-create  *\([^ ]*\).*/\1/p' <<<"$out" | head -1)
fi
now_cg=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:|^0::' /proc/$sp/cgroup | head -1 | cut -d: -f3)
lim=$(cat "$dir/memory.limit_in_bytes" 2>/dev/null || cat "$dir/memory.max" 2>/dev/null)
if [ "$rc" = 0 ] && [ "$now_cg" = "$want_cg" ] && [ "$lim" = 67108864 ] \
   && grep -qx "$sp" "$dir/cgroup.procs" && grep -qF "$way" <<<"$out"; then
  pass limit-match-moves
else
  fail limit-match-moves "rc=$rc cg=$now_cg (want $want_cg) lim=$lim; want '$way' in: $out"
fi
out=$("$BIN" limit --show --match "mbtest-actions-sleeper-$sp" 2>&1)
grep -q "64 MiB" <<<"$out" && pass limit-show || fail limit-show "$out"
out=$("$BIN" limit --release mbtest-actions-l1 --state-dir "$ST" --apply 2>&1); rc=$?
back_cg=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:|^0::' /proc/$sp/cgroup | head -1 | cut -d: -f3)
for _ in $(seq 1 30); do [ -d "$dir" ] || break; sleep 0.1; done # systemd removes an empty scope
if [ "$rc" = 0 ] && [ "$back_cg" = "$orig_cg" ] && [ -n "$dir" ] && [ ! -d "$dir" ]; then
  pass limit-release
else
  fail limit-release "rc=$rc cg=$back_cg (was $orig_cg) dir=$dir $out"
fi
kill -9 "$sp" 2>/dev/null; wait "$sp" 2>/dev/null

# --- cgroup v2 writes, file by file, in a fixture tree ------------------------
cp -r "$FIX/actions-cgv2/sys" "$T/v2sys"
bash -c 'exec -a mbtest-actions-v2sleeper-$$ sleep 300' & sp=$!; PIDS+=("$sp")
sleep 0.3
out=$("$BIN" limit --sys-root "$T/v2sys" --match "mbtest-actions-v2sleeper-$sp" --max 64M --high 48M \
      --swap-max 0 --name mbtest-actions-v2 --state-dir "$T/v2state" --apply 2>&1); rc=$?
g=$T/v2sys/fs/cgroup/membudget/mbtest-actions-v2
if [ "$rc" = 0 ] && [ "$(cat "$g/memory.max")" = 67108864 ] && [ "$(cat "$g/memory.high")" = 50331648 ] \
   && [ "$(cat "$g/memory.swap.max")" = 0 ] && [ "$(cat "$g/cgroup.procs")" = "$sp" ] \
   && [ "$(cat "$T/v2sys/fs/cgroup/cgroup.subtree_control")" = "+memory" ] \
   && [ ! -e "$g/memory.limit_in_bytes" ]; then
  pass limit-cgroup-v2-fixture
else
  fail limit-cgroup-v2-fixture "rc=$rc $out $(ls "$g" 2>&1)"
fi
kill -9 "$sp" 2>/dev/null; wait "$sp" 2>/dev/null

# --- systemd drop-in passes systemd-analyze verify ------------------------------
if command -v systemd-analyze >/dev/null; then
  ud=$MEMBUDGET_ETC_ROOT/etc/systemd/system
  mkdir -p "$ud"
  printf '[Unit]\nDescription=membudget test stub\n[Service]\nExecStart=/bin/true\n' >"$ud/mbtest-actions-stub.service"
  if [ "$SYSTEMD" = 1 ]; then
    # systemd is PID 1: `limit --unit` also runs daemon-reload and set-property
    # --runtime, which need a unit systemd knows: the same stub, as a runtime
    # unit (/run/systemd/system; removed by the trap).
    cp "$ud/$STUB" "/run/systemd/system/$STUB" && systemctl daemon-reload
    rt0=$(systemctl show "$STUB" -p MemoryMax --value)
  fi
  out=$("$BIN" limit --unit mbtest-actions-stub --max 3584M --swap-max 512M --state-dir "$ST" --apply 2>&1); rc=$?
  di=$ud/mbtest-actions-stub.service.d/50-membudget.conf
  v=$(SYSTEMD_UNIT_PATH=$ud: systemd-analyze verify mbtest-actions-stub.service 2>&1); vrc=$?
  # negative control: the same verify does read the drop-in
  cp "$di" "$T/di.bak"; echo "MemoryBogus=1" >>"$di"
  v2=$(SYSTEMD_UNIT_PATH=$ud: systemd-analyze verify mbtest-actions-stub.service 2>&1)
  cp "$T/di.bak" "$di"
  if [ "$rc" = 0 ] && [ "$vrc" = 0 ] && ! grep -qiE "unknown|invalid|ignoring|MemoryLimit" <<<"$v" \
     && grep -q "MemoryBogus" <<<"$v2" && grep -q "^MemoryMax=3584M$" "$di" && ! grep -q MemoryLimit "$di" \
     && grep -q "systemd is not PID 1\|daemon-reload" <<<"$out"; then
    pass limit-unit-dropin-verifies
  else
    fail limit-unit-dropin-verifies "rc=$rc vrc=$vrc verify=[$v] control=[$v2] $out"
  fi
  if [ "$SYSTEMD" = 1 ]; then
    rt1=$(systemctl show "$STUB" -p MemoryMax --value)
    [ "$rt1" = 3758096384 ] && pass limit-unit-runtime-systemd \
      || fail limit-unit-runtime-systemd "systemctl show MemoryMax=$rt1 (want 3758096384) $out"
  fi
  "$BIN" undo --state-dir "$ST" --last >/dev/null 2>&1
  [ ! -e "$di" ] && pass limit-unit-undo || fail limit-unit-undo "$di still there"
  if [ "$SYSTEMD" = 1 ]; then
    rt2=$(systemctl show "$STUB" -p MemoryMax --value)
    [ "$rt2" = "$rt0" ] && pass limit-unit-undo-runtime-systemd \
      || fail limit-unit-undo-runtime-systemd "after undo systemctl show MemoryMax=$rt2, was $rt0 (set-property --runtime not undone: issue 15 item 4)"
  fi
else
  fail limit-unit-dropin-verifies "systemd-analyze not installed (apt-get install systemd)"
fi

# --- run: 256 MiB under a 64 MiB limit ------------------------------------------
if fallocate -l 512M "$SW" 2>/dev/null && chmod 600 "$SW" && mkswap "$SW" >/dev/null 2>&1 && swapon "$SW"; then
  "$BIN" --json run --max 64M -- "$HOG" 256 0.5 >"$T/run1.json" 2>"$T/run1.err"; rc=$?
  sw=$(sed -n 's/.*"peak_swap_bytes": \([0-9]*\).*/\1/p' "$T/run1.json")
  ook=$(sed -n 's/.*"oom_kills": \([0-9]*\).*/\1/p' "$T/run1.json")
  if [ "$rc" = 0 ] && [ "${sw:-0}" -gt $((100 << 20)) ] && [ "$ook" = 0 ]; then
    pass run-survives-with-swap
  else
    fail run-survives-with-swap "rc=$rc swap=$sw oom=$ook $(cat "$T/run1.json" "$T/run1.err")"
  fi
  "$BIN" run --max 64M -- "$HOG" 256 0.5 >/dev/null 2>"$T/run1.txt"
  grep -qE "peak swap +[0-9.]+ MiB" "$T/run1.txt" && pass run-report-text || fail run-report-text "$(cat "$T/run1.txt")"
  # which way: a transient scope where systemd is PID 1 on cgroup v2, else a raw cgroup
  if [ "$SYSTEMD" = 1 ] && [ "$CGV" = 2 ]; then rway="ran +in transient scope membudget-run-[0-9]+\.scope \(via "
  else rway="ran +in cgroup $CGM/membudget/run-[0-9]+ \(removed\)"; fi
  grep -qE "$rway" "$T/run1.txt" && pass run-says-which-way || fail run-says-which-way "want /$rway/ in: $(cat "$T/run1.txt")"
  "$BIN" run --max 64M --swap-max 0 -- "$HOG" 256 0.5 >/dev/null 2>"$T/run2.txt"; rc=$?
  if [ "$rc" = 137 ] && grep -qE "OOM kills +1" "$T/run2.txt" && grep -q "by the OOM killer" "$T/run2.txt"; then
    pass run-oom-killed-without-swap
  else
    fail run-oom-killed-without-swap "rc=$rc $(cat "$T/run2.txt")"
  fi
  swapoff "$SW"; rm -f "$SW"
else
  fail run-survives-with-swap "cannot create a swap file at $SW"
fi
ls -d "$CGM"/membudget/run-* 2>/dev/null | grep -q . \
  && fail run-cgroup-removed "$(ls -d "$CGM"/membudget/run-*)" || pass run-cgroup-removed

# exit status, --check, signals
"$BIN" run -- sh -c 'exit 7' 2>/dev/null; rc=$?
[ "$rc" = 7 ] && pass run-exit-status || fail run-exit-status "rc=$rc"
"$BIN" run -- /nonexistent/mbtest-actions 2>/dev/null; rc=$?
[ "$rc" = 127 ] && pass run-not-found || fail run-not-found "rc=$rc"
"$BIN" run --max 64M --swap-max 0 --check -- "$HOG" 16 2>/dev/null >/dev/null; rc=$?
[ "$rc" = 0 ] && pass run-check-within || fail run-check-within "rc=$rc"
printf '{"memory":{"ram_max_mb":32,"vram_max_mb":100,"target_total_mb":200}}\n' >"$T/small.json"
"$BIN" -c "$T/small.json" run --max 256M --check -- "$HOG" 64 0.4 2>/dev/null >/dev/null; rc=$?
[ "$rc" = 1 ] && pass run-check-over-budget || fail run-check-over-budget "rc=$rc"
"$BIN" run -- sleep 30 2>"$T/sig.txt" & rp=$!; PIDS+=("$rp")
sleep 0.5; kill -TERM "$rp"; wait "$rp"; rc=$?
[ "$rc" = 143 ] && pass run-forwards-signals || fail run-forwards-signals "rc=$rc $(cat "$T/sig.txt")"
exit 0
