#!/usr/bin/env bash
# tests/vm/scenarios.sh BIN BUILD: membudget's actions on a real systemd host
# with a pure cgroup v2 hierarchy (the VM stage runs it in the guest; see
# tests/vm/run.sh).  Every step is checked against what systemd and the
# kernel report: `systemctl show`, memory.max/high/swap.max/events,
# /proc/PID/cgroup, /proc/vmstat, /proc/swaps.  Prints PASS/FAIL/SKIP lines
# (with the evidence after "--") and "N passed, N failed, N skipped".
# Without systemd as PID 1 on cgroup v2 (or not root) it skips, saying why.
#   MB_DESTDIR  a `make install DESTDIR=` tree of this checkout, for the
#               contrib unit scenario (skipped without it)
# Everything it makes is named mbtest-vm* and removed by the trap.
set -u
BIN=$(realpath "${1:-${MB_BIN:-build/membudget}}")
BUILD=$(realpath "${2:-${MB_BUILD:-build}}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HOG=$BUILD/helpers/hog
DESTDIR=${MB_DESTDIR:-}
CG=/sys/fs/cgroup
. "$(dirname "$0")/common.sh"
T=$(mktemp -d /tmp/mbtest-vm.XXXXXX)
ST=$T/state
SW=/var/tmp/mbtest-vm.swap
UNITDIR=/etc/systemd/system
UNITS=()
PIDS=()

cleanup() {
  forget_units
  [ -d "$ST" ] && "$BIN" undo --state-dir "$ST" --all >/dev/null 2>&1
  systemctl reset-failed 'membudget-mbtest-vm-*' 2>/dev/null
  systemctl stop 'membudget-match-mbtest-vm-*.scope' 2>/dev/null
  systemctl reset-failed 'membudget-match-mbtest-vm-*' 'membudget-run-*' 2>/dev/null
  for d in "$CG"/membudget/mbtest-vm*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  grep -q "^$SW " /proc/swaps && swapoff "$SW"
  rm -f "$SW"
  systemctl daemon-reload 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require_systemd_v2 scenarios
mkdir -p "$ST"

# --- helpers reading what the kernel and systemd say -------------------------
props() { systemctl show "$1" -p MemoryMax -p MemoryHigh -p MemorySwapMax | tr '\n' ' '; }
kfiles() { local c; c=$(systemctl show "$1" -p ControlGroup --value)
  echo "max=$(cgf "$c" memory.max) high=$(cgf "$c" memory.high) swap.max=$(cgf "$c" memory.swap.max)"; }
mkunit() { # NAME EXECSTART [EXTRA LINES]: a service in /etc/systemd/system, started
  local u=$1; UNITS+=("$u")
  printf '[Unit]\nDescription=membudget VM scenario %s\n[Service]\nExecStart=%s\n%b' "$u" "$2" "${3:-}" \
    >"$UNITDIR/$u"
  systemctl daemon-reload && systemctl start "$u"
}
swap_on() {
  grep -q "^$SW " /proc/swaps && return 0
  fallocate -l 768M "$SW" && chmod 600 "$SW" && mkswap -q "$SW" && swapon "$SW"
}
swap_off() { grep -q "^$SW " /proc/swaps && swapoff "$SW"; true; }

# --- 1. run --max / --swap-max, with and without swap --------------------------
# The child reports its own cgroup and that cgroup's limits (what the kernel
# enforces), then allocates.
probe='echo "cg=$(sed -n "s/^0:://p" /proc/self/cgroup) max=$(cat /sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/memory.max) swap.max=$(cat /sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)/memory.swap.max)"; exec "$0" "$@"'
if swap_on; then
  o0=$(vmstat_oom)
  out=$("$BIN" --json run --max 64M -- sh -c "$probe" "$HOG" 200 0.5 2>"$T/r1.err"); rc=$?
  sw=$(sed -n 's/.*"peak_swap_bytes": \([0-9]*\).*/\1/p' <<<"$out"); ook=$(sed -n 's/.*"oom_kills": \([0-9]*\).*/\1/p' <<<"$out")
  k=$(grep -o 'cg=.*' <<<"$out" | head -1)
  sc=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["scope"]["unit"], d["scope"]["way"], sep="|")' < <(sed -n '/^{/,$p' <<<"$out") 2>&1)
  check run-in-scope-json "json scope: $sc; the command saw: $k" \
    test "cg=/system.slice/${sc%%|*}" = "${k%% *}" -a "${sc#*|}" = "sd-bus (libsystemd)"
  check run-max-swap-on "rc=$rc peak_swap=$sw oom_kills=$ook vmstat.oom_kill +$(($(vmstat_oom) - o0)); kernel: $k" \
    test "$rc" = 0 -a "${sw:-0}" -gt $((100 << 20)) -a "$ook" = 0 -a "$(vmstat_oom)" = "$o0" \
    -a "${k/*max=67108864 */ok}" = ok
  o0=$(vmstat_oom)
  "$BIN" run --max 64M --swap-max 100M -- sh -c "$probe" "$HOG" 200 0.5 >"$T/r2.out" 2>"$T/r2.err"; rc=$?
  k=$(grep -o 'cg=.*' "$T/r2.out" | head -1)
  check run-swap-max-oom "rc=$rc vmstat.oom_kill +$(($(vmstat_oom) - o0)); kernel: $k; report: $(grep -E 'OOM kills|ran ' "$T/r2.err" | tr -s ' \n' ' ')" \
    test "$rc" = 137 -a -n "$(grep -E 'ran +in transient scope membudget-run-[0-9]+\.scope' "$T/r2.err")" \
    -a "${k/*cg=\/system.slice\/membudget-run-*.scope */ok}" = ok -a "$(($(vmstat_oom) - o0))" -ge 1 -a "${k/*swap.max=104857600*/ok}" = ok \
    -a -n "$(grep -E 'OOM kills +[1-9]' "$T/r2.err")" -a -n "$(grep 'by the OOM killer' "$T/r2.err")"
  "$BIN" run --max 64M --swap-max 256M -- "$HOG" 200 0.5 >/dev/null 2>"$T/r3.err"; rc=$?
  check run-swap-max-fits "rc=$rc (200 MiB in 64M + 256M swap); $(grep -E 'peak swap' "$T/r3.err" | tr -s ' ')" \
    test "$rc" = 0
  swap_off
  o0=$(vmstat_oom)
  "$BIN" run --max 64M -- "$HOG" 200 0.5 >/dev/null 2>"$T/r4.err"; rc=$?
  check run-max-no-swap-oom "swap off: rc=$rc vmstat.oom_kill +$(($(vmstat_oom) - o0)); report: $(grep -E 'OOM kills|ran ' "$T/r4.err" | tr -s ' \n' ' ')" \
    test "$rc" = 137 -a -n "$(grep -E 'ran +in transient scope' "$T/r4.err")" -a "$(($(vmstat_oom) - o0))" -ge 1 -a -n "$(grep -E 'OOM kills +[1-9]' "$T/r4.err")"
  left=$(find $CG -maxdepth 3 -name 'run-*' -path '*membudget*' 2>/dev/null | tr '\n' ' ')
  sleft=$(systemctl list-units --all --no-legend --plain 'membudget-run-*' | tr -s ' \n' ' ')
  check run-leaves-no-cgroup "raw groups left: [${left}]; scopes left: [${sleft}]" test -z "$left" -a -z "$sleft"
  swap_on
else
  fail run-max-swap-on "cannot make a swap file at $SW"
fi

# --- 1b. run the systemd way, seen by systemd while the command runs ----------
"$BIN" run --max 64M --swap-max 0 -- sh -c 'sleep 3; exec "$0" "$@"' "$HOG" 16 1 >/dev/null 2>"$T/rs.err" & rp=$!; PIDS+=("$rp")
u=""
for _ in $(seq 1 80); do
  u=$(systemctl list-units --no-legend --plain 'membudget-run-*.scope' | awk '{print $1}' | head -1)
  [ -n "$u" ] && break; sleep 0.1
done
cpid=${u#membudget-run-}; cpid=${cpid%.scope}
mm=$([ -n "$u" ] && show "$u" MemoryMax) msm=$([ -n "$u" ] && show "$u" MemorySwapMax)
ccg=$([ -n "$cpid" ] && cg_of "$cpid")
kmax=$(cgf "$ccg" memory.max)
wait "$rp"; rc=$?
for _ in $(seq 1 30); do systemctl list-units --all --no-legend --plain "$u" | grep -q . || break; sleep 0.1; done
gone=$(systemctl list-units --all --no-legend --plain "$u" | grep -q . && echo "still listed" || echo gone)
check run-scope-systemd "during the run: $u MemoryMax=$mm MemorySwapMax=$msm; /proc/$cpid/cgroup $ccg (memory.max $kmax); rc=$rc; afterwards $u $gone; said: $(grep 'ran ' "$T/rs.err" | tr -s ' ')" \
  test -n "$u" -a "$mm" = 67108864 -a "$msm" = 0 -a "$ccg" = "/system.slice/$u" -a "$kmax" = 67108864 \
  -a "$rc" = 0 -a "$gone" = gone -a -n "$(grep -F "in transient scope $u (via " "$T/rs.err")"

# --- 1c. the busctl fallback: without a loadable libsystemd.so.0 ------------
# In a private mount namespace an empty file hides libsystemd.so.0 (dlopen
# fails); systemctl and busctl use systemd's own shared library and still
# work, so `run` must fall back to busctl and say so.
LSD=$(ldconfig -p 2>/dev/null | awk '/libsystemd\.so\.0 / {print $NF; exit}')
if [ -n "$LSD" ] && command -v busctl >/dev/null && command -v unshare >/dev/null; then
  : >"$T/empty.so"
  unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$T/empty.so" "$LSD" \
    "$BIN" run --max 48M -- sh -c 'cat /proc/self/cgroup' >"$T/rb.out" 2>"$T/rb.err"; rc=$?
  bcg=$(sed -n 's/^0:://p' "$T/rb.out")
  check run-scope-busctl "libsystemd hidden ($LSD): rc=$rc; the command saw $bcg; said: $(grep 'ran ' "$T/rb.err" | tr -s ' ')" \
    test "$rc" = 0 -a -n "$(grep -F '(via busctl)' "$T/rb.err")" -a "${bcg#/system.slice/membudget-run-}" != "$bcg"
else
  skip run-scope-busctl "no libsystemd.so.0 in ldconfig, or no busctl/unshare"
fi

# --- 2. limit --unit apply / show / undo on a real service ---------------------
# The unit starts with its own values (unit file MemoryMax/MemorySwapMax, a
# runtime MemoryHigh from set-property --runtime): undo must give back exactly
# those, at run time (systemctl show, the cgroup files) and after a
# daemon-reload and a restart (persistent).
U=mbtest-vm-demo.service
mkunit $U "/bin/bash -c 'exec -a mbtest-vm-demo $HOG 40 36000'" 'MemoryMax=900M\nMemorySwapMax=700M\n'
systemctl set-property --runtime $U MemoryHigh=850M
waitfor 50 test "$(show $U ActiveState)" = active
ctl_before=$(cat /run/systemd/system.control/$U.d/* 2>/dev/null | md5sum)
p0=$(props $U) k0=$(kfiles $U) pid0=$(show $U MainPID)
out=$("$BIN" limit --unit $U --max 100M --swap-max 50M --state-dir "$ST" --apply 2>&1); rc=$?
p1=$(props $U) k1=$(kfiles $U)
check limit-unit-apply "rc=$rc; before: $p0/ $k0; after: $p1/ $k1; MainPID $pid0 -> $(show $U MainPID)" \
  test "$rc" = 0 -a "$p1" = "MemoryHigh=94371840 MemoryMax=104857600 MemorySwapMax=52428800 " \
  -a "$k1" = "max=104857600 high=94371840 swap.max=52428800" -a "$(show $U MainPID)" = "$pid0" \
  -a -f "$UNITDIR/$U.d/50-membudget.conf"
out=$("$BIN" limit --show --unit $U 2>&1)
check limit-unit-show "$(tr -s ' \n' ' ' <<<"$out" | head -c 300)" \
  grep -qE '100(\.0)? MiB|104857600|100M' <<<"$out"
out=$("$BIN" undo --state-dir "$ST" 2>&1); rc=$?
p2=$(props $U) k2=$(kfiles $U)
ctl_after=$(cat /run/systemd/system.control/$U.d/* 2>/dev/null | md5sum)
check limit-unit-undo-runtime "rc=$rc; after undo: $p2/ $k2 (before: $p0/ $k0); control drop-ins $([ "$ctl_before" = "$ctl_after" ] && echo as before || echo changed)" \
  test "$rc" = 0 -a "$p2" = "$p0" -a "$k2" = "$k0" -a "$ctl_before" = "$ctl_after"
systemctl daemon-reload; systemctl restart $U
waitfor 50 test "$(show $U ActiveState)" = active
p3=$(props $U) k3=$(kfiles $U)
check limit-unit-undo-persistent "after daemon-reload + restart: $p3/ $k3; drop-in $([ -e "$UNITDIR/$U.d/50-membudget.conf" ] && echo still there || echo gone)" \
  test "$p3" = "$p0" -a "$k3" = "$k0" -a ! -e "$UNITDIR/$U.d/50-membudget.conf"
systemctl stop $U

# --- 2b. a limit below what a unit uses, swap off (issue 15.1, 15.6) ----------
# The plan warns that the excess goes to swap or gets OOM-killed; applied
# with no swap to push it to, systemd sets memory.max at once, the kernel
# OOM-kills the hog, and membudget reports that kill (exit 3), not "done".
# (With swap on the excess goes to swap first: swap.max comes after
# memory.max, and a lower swap.max never forces pages back.)
swap_off
U2=mbtest-vm-oomnow.service
mkunit $U2 "/bin/bash -c 'exec -a mbtest-vm-oomnow $HOG 64 36000'" 'OOMPolicy=continue\n'
c2=$(show $U2 ControlGroup)
waitfor 100 test "$(cgf "$c2" memory.current)" -ge $((60 << 20)) 2>/dev/null
use=$(cgf "$c2" memory.current)
plan=$("$BIN" limit --unit $U2 --max 16M --swap-max 0 --state-dir "$ST" 2>&1)
o0=$(vmstat_oom)
out=$("$BIN" limit --unit $U2 --max 16M --swap-max 0 --state-dir "$ST" --apply 2>&1); rc=$?
res=$(show $U2 Result)
check limit-unit-below-use-oom-reported "$c2 memory.current $use before; plan: $(grep -o 'warning: [^:]*' <<<"$plan" | head -1); apply rc=$rc, vmstat.oom_kill +$(($(vmstat_oom) - o0)), $U2 Result=$res; said: $(grep -i 'OOM-killed' <<<"$out" | head -1 | tr -s ' ')" \
  test "$rc" = 3 -a -n "$(grep -F 'pushed to swap, or the processes OOM-killed' <<<"$plan")" \
  -a -n "$(grep -F 'OOM-killed 1 process' <<<"$out")" -a "$(($(vmstat_oom) - o0))" -ge 1 -a \( "$res" = oom-kill -o "$res" = signal \)
"$BIN" undo --state-dir "$ST" >/dev/null 2>&1
systemctl stop $U2
swap_on

# --- 3. limit --match apply / release -------------------------------------------
bash -c 'exec -a mbtest-vm-sleeper sleep 3000' & sp=$!; PIDS+=("$sp")
sleep 0.5
c0=$(cg_of $sp)
out=$("$BIN" limit --match 'mbtest-vm-sleeper' --max 64M --high 48M --swap-max 0 --name mbtest-vm-l1 \
      --state-dir "$ST" --apply 2>&1); rc=$?
c1=$(cg_of $sp)
ev1="rc=$rc; /proc/$sp/cgroup $c0 -> $c1: max=$(cgf "$c1" memory.max) high=$(cgf "$c1" memory.high) swap.max=$(cgf "$c1" memory.swap.max)"
case $c1 in *.scope) u1=${c1##*/}; ev1="$ev1; systemctl: $(props "$u1")";; esac
su=membudget-match-mbtest-vm-l1.scope
check limit-match-apply "$ev1; said: $(grep -iE 'scope|cgroup' <<<"$out" | tail -2 | tr -s ' \n' ' ')" \
  test "$rc" = 0 -a "$c1" = "/system.slice/$su" -a "$(cgf "$c1" memory.max)" = 67108864 \
  -a "$(cgf "$c1" memory.high)" = 50331648 -a "$(cgf "$c1" memory.swap.max)" = 0 \
  -a "$(show $su MemoryMax)" = 67108864 -a "$(show $su MemoryHigh)" = 50331648 \
  -a "$(show $su MemorySwapMax)" = 0 -a -n "$(grep -F "the systemd way: in transient scope $su (via " <<<"$out")"
out=$("$BIN" limit --release mbtest-vm-l1 --state-dir "$ST" --apply 2>&1); rc=$?
c2=$(cg_of $sp)
waitfor 30 test ! -d "$CG$c1"
st=$(systemctl list-units --all --no-legend --plain $su | tr -s ' \n' ' ')
check limit-match-release "rc=$rc; back in $c2 (was $c0); $c1 $([ -d "$CG$c1" ] && echo still there || echo removed); systemctl: [${st}]; sleeper $(kill -0 $sp 2>/dev/null && echo alive || echo gone)" \
  test "$rc" = 0 -a "$c2" = "$c0" -a ! -d "$CG$c1" -a -z "$st" -a -n "$(kill -0 $sp 2>/dev/null && echo y)"
# the same by undo (the journal's moves reverted)
out=$("$BIN" limit --match 'mbtest-vm-sleeper' --max 64M --name mbtest-vm-l1 --state-dir "$ST" --apply 2>&1); rc=$?
c3=$(cg_of $sp)
out2=$("$BIN" undo --state-dir "$ST" --last 2>&1); rc2=$?
c4=$(cg_of $sp)
waitfor 30 test ! -d "$CG$c3"
check limit-match-undo "apply rc=$rc: $c0 -> $c3; undo rc=$rc2: -> $c4; $c3 $([ -d "$CG$c3" ] && echo still there || echo removed)" \
  test "$rc" = 0 -a "$c3" = "/system.slice/$su" -a "$rc2" = 0 -a "$c4" = "$c0" -a ! -d "$CG$c3"
kill -9 $sp; wait $sp 2>/dev/null

# --- 4. tune --apply / undo ---------------------------------------------------------
s0=$(sysctl -n vm.swappiness)
want=$(( s0 == 10 ? 20 : 10 ))
out=$("$BIN" tune --swappiness $want --state-dir "$ST" --apply 2>&1); rc=$?
f=/etc/sysctl.d/60-membudget.conf
s1=$(sysctl -n vm.swappiness)
# systemd-sysctl reads the persisted file as systemd does at boot
sysctl -qw vm.swappiness="$s0"; /lib/systemd/systemd-sysctl "$f" 2>"$T/sysctl.err"; s1b=$(sysctl -n vm.swappiness)
check tune-apply "rc=$rc; vm.swappiness $s0 -> $s1; $f: $(tr '\n' ' ' <"$f" 2>/dev/null); systemd-sysctl $f -> $s1b $(cat "$T/sysctl.err")" \
  test "$rc" = 0 -a "$s1" = "$want" -a "$s1b" = "$want" -a ! -s "$T/sysctl.err"
out=$("$BIN" undo --state-dir "$ST" 2>&1); rc=$?
check tune-undo "rc=$rc; vm.swappiness -> $(sysctl -n vm.swappiness) (was $s0); $f $([ -e $f ] && echo still there || echo gone)" \
  test "$rc" = 0 -a "$(sysctl -n vm.swappiness)" = "$s0" -a ! -e "$f"

# --- 5. tune --swap-cycle with a memcg at its limit: refused --------------------
if swap_on; then
  F=mbtest-vm-full.service
  mkunit $F "/bin/bash -c 'exec -a mbtest-vm-full $HOG 200 36000'" 'MemoryMax=64M\n'
  fc=$(show $F ControlGroup)
  waitfor 300 test "$(cgf "$fc" memory.swap.current)" -gt $((100 << 20))
  o0=$(vmstat_oom) fpid=$(show $F MainPID)
  e0="$F: memory.current=$(cgf "$fc" memory.current) max=$(cgf "$fc" memory.max) swap.current=$(cgf "$fc" memory.swap.current)"
  out=$("$BIN" tune --swap-cycle --state-dir "$ST" --apply 2>&1); rc=$?
  inswap=$(grep -c "^$SW " /proc/swaps)
  check swap-cycle-refused-memcg-at-limit "$e0; rc=$rc; $SW $([ "$inswap" = 1 ] && echo still on || echo swapped off); vmstat.oom_kill +$(($(vmstat_oom) - o0)); $F $(show $F ActiveState) (pid $fpid $(kill -0 "$fpid" 2>/dev/null && echo alive || echo gone)); said: $(grep -iE 'refus|done|swapoff' <<<"$out" | head -2 | tr -s ' \n' ' ')" \
    test "$rc" != 0 -a "$inswap" = 1 -a "$(vmstat_oom)" = "$o0" -a -n "$(grep -i refus <<<"$out")" \
    -a "$(show $F ActiveState)" = active
  systemctl stop $F
  "$BIN" undo --state-dir "$ST" --all >/dev/null 2>&1
  swap_on
else
  fail swap-cycle-refused-memcg-at-limit "cannot make a swap file at $SW"
fi

# --- 6. serve as the contrib unit: verify, scrape, reload -------------------------
S=membudget.service
if [ -n "$DESTDIR" ] && [ -f "$DESTDIR/usr/local/lib/systemd/system/$S" ]; then
  cp -a "$DESTDIR/." /
  UNITS+=("$S")
  # --man=no: the guest has no man(1); the page itself is checked to be installed
  v=$(systemd-analyze verify --man=no /usr/local/lib/systemd/system/$S 2>&1); vrc=$?
  man=/usr/local/share/man/man1/membudget.1
  check serve-unit-verifies "systemd-analyze verify --man=no rc=$vrc: [${v}]; Documentation=$(show $S Documentation) -> $man $([ -s $man ] && echo installed || echo missing)" \
    test "$vrc" = 0 -a -z "$(grep -i membudget <<<"$v")" -a -s $man
  systemctl daemon-reload; systemctl start $S
  waitfor 300 curl -sf -o /dev/null 127.0.0.1:9587/healthz
  mp=$(show $S MainPID)
  code=$(curl -s -o "$T/metrics" -w '%{http_code}' 127.0.0.1:9587/metrics)
  pt=$(promtool check metrics <"$T/metrics" 2>&1); ptrc=$?
  n=$(grep -c '^membudget_' "$T/metrics")
  check serve-unit-scrape "$(show $S ActiveState), MainPID $mp in $(cg_of "$mp"), memory.max=$(cgf "$(cg_of "$mp")" memory.max); /metrics HTTP $code, $n samples, promtool rc=$ptrc" \
    test "$code" = 200 -a "$n" -gt 20 -a "$ptrc" = 0 -a "$(cg_of "$mp")" = /system.slice/$S \
    -a "$(cgf /system.slice/$S memory.max)" = 268435456
  systemctl reload $S; sleep 2
  jr=$(journalctl -u $S --no-pager -o cat | grep -c 'configuration reloaded')
  code=$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:9587/metrics)
  check serve-unit-reload "after systemctl reload: $(show $S ActiveState), MainPID $(show $S MainPID) (was $mp), NRestarts=$(show $S NRestarts), journal 'configuration reloaded' x$jr, /metrics $code" \
    test "$(show $S ActiveState)" = active -a "$(show $S MainPID)" = "$mp" -a "$jr" -ge 1 -a "$code" = 200
else
  skip serve-unit "no install tree (MB_DESTDIR)"
fi

# --- 7. the guard (serve's, from the contrib unit) on a real service --------------
# A victim service whose memory.max pushes 120 MiB into swap, a bystander;
# the guard watches swap used > 48 MiB and signals what matches kill_match.
if systemctl is-active -q $S 2>/dev/null && swap_on; then
  V=mbtest-vm-victim.service B=mbtest-vm-bystander.service
  mkunit $B "/bin/bash -c 'exec -a mbtest-vm-bystander $HOG 16 36000'"
  mkunit $V "/bin/bash -c 'exec -a mbtest-vm-victim $HOG 180 36000'" 'MemoryMax=60M\n'
  vc=$(show $V ControlGroup) vpid=$(show $V MainPID)
  waitfor 300 test "$(cgf "$vc" memory.swap.current)" -gt $((100 << 20))
  e0="$V: swap.current=$(cgf "$vc" memory.swap.current), host swap used $(awk '/SwapTotal/ {t=$2} /SwapFree/ {f=$2} END {print int((t-f)/1024)}' /proc/meminfo) MiB"
  cp /etc/membudget/membudget.json "$T/conf.bak"
  cat >/etc/membudget/membudget.json <<'CONF'
{ "serve": { "interval_s": 1 },
  "guard": { "enabled": true, "dry_run": false, "for_s": 0, "swap_used_mb": 48,
             "kill_match": "mbtest-vm-(victim|bystander-never) .*", "grace_s": 5, "rate_limit_s": 0 } }
CONF
  systemctl reload $S
  waitfor 400 test "$(show $V ActiveState)" != active
  gl=$(journalctl -u $S --no-pager -o cat | grep -E "guard" | tail -3 | tr '\n' ' ')
  # systemd unloads an inactive unit, so its own journal says how it ended
  vj=$(journalctl -u $V --no-pager -o cat | tail -2 | tr '\n' ' ')
  check guard-signals-real-service "$e0; after: $V $(show $V ActiveState), MainPID was $vpid, its journal: $vj; $B $(show $B ActiveState); serve's journal: $gl" \
    test "$(show $V ActiveState)" != active -a ! -d "/proc/$vpid" -a "$(show $B ActiveState)" = active \
    -a -n "$(grep "sent SIGTERM to pid $vpid " <<<"$gl")" -a -n "$(grep -E 'Deactivated|status=15' <<<"$vj")"
  cp "$T/conf.bak" /etc/membudget/membudget.json; systemctl reload $S
  systemctl stop $V $B
else
  skip guard-signals-real-service "membudget.service is not running (see serve-unit-*)"
fi

# --- 8. status on a unit with memory.events high/max/oom_kill --------------------
# Phase 1: a 62 MiB child above MemoryHigh=48M (high events, throttled and
# reclaimed into its 16 MiB of swap).  Then MemoryHigh is lifted (runtime) so
# that phase 2 is not throttled for minutes: a 120 MiB child that cannot fit
# in 64M + 16M swap (max events, the OOM killer).  OOMPolicy=continue keeps
# the unit and its counters.
GO=/run/mbtest-vm-events.go
rm -f $GO
if swap_on; then
  E=mbtest-vm-events.service
  mkunit $E "/bin/bash -c '$HOG 62 1; until [ -e $GO ]; do sleep 0.2; done; $HOG 120 1; exec -a mbtest-vm-events sleep 36000'" \
    'MemoryHigh=48M\nMemoryMax=64M\nMemorySwapMax=16M\nOOMPolicy=continue\n'
  ec=$(show $E ControlGroup)
  waitfor 300 test "$(ev "$ec" memory.events high)" -ge 1 2>/dev/null
  systemctl set-property --runtime $E MemoryHigh=infinity; touch $GO
  waitfor 300 test "$(ev "$ec" memory.events oom_kill)" -ge 1 2>/dev/null
  sleep 0.5
  ke="high=$(ev "$ec" memory.events high) max=$(ev "$ec" memory.events max) oom_kill=$(ev "$ec" memory.events oom_kill)"
  check status-events-kernel "kernel $ec/memory.events: $ke; $E $(show $E ActiveState)" \
    test "$(ev "$ec" memory.events high)" -ge 1 -a "$(ev "$ec" memory.events max)" -ge 1 \
    -a "$(ev "$ec" memory.events oom_kill)" -ge 1 -a "$(show $E ActiveState)" = active 2>/dev/null
  "$BIN" status --no-rates >"$T/st.txt" 2>&1
  "$BIN" --json status --no-rates >"$T/st.json" 2>&1
  said=$(grep -iE 'mbtest-vm-events|oom' "$T/st.txt" | head -3 | tr -s ' \n' ' ')
  check status-memory-events "kernel: $ke; status says: [${said}]; --json: $(grep -c 'oom_kill' "$T/st.json") oom_kill keys [needs per-cgroup memory.events in status, issue 15 item 19]" \
    test -n "$(grep -E 'mbtest-vm-events' "$T/st.txt")" \
    -a -n "$(grep -iE 'oom' "$T/st.txt")" -a -n "$(grep -E '"oom_kill' "$T/st.json")"
  systemctl stop $E
  rm -f $GO
fi

# --- 9. lib/act/scope: (a) a command in a new transient scope, (b) PIDs adopted ---
t=$BUILD/tests/test-scope
if [ -x "$t" ]; then
  out=$(MB_TEST_SCOPE_LIVE=1 timeout 120 "$t" 2>&1); rc=$?
  evs=$(grep -E '^evidence:' <<<"$out" | sed 's/^evidence: //' | tr '\n' ';')
  check scope-start-adopt-run "rc=$rc; $(grep -cE '^\[       OK \] test_live' <<<"$out") live cases OK; $evs" \
    test "$rc" = 0 -a "$(grep -cE '^\[       OK \] test_live' <<<"$out")" = 2
  [ "$rc" = 0 ] || grep -vE '^\[ +(RUN|OK) ' <<<"$out" | head -20
  left=$(systemctl list-units --all --no-legend 'membudget-mbtest-vm-*' | tr -s ' \n' ' ')
  check scope-none-left "scopes left: [${left}]" test -z "$left"
else
  skip scope-start-adopt-run "no $t (make unit-bins)"
fi

# --- 10. lib/collect/container: a cgroup namespace in a limited scope -----------
t=$BUILD/tests/test-container
if [ -x "$t" ] && command -v unshare >/dev/null; then
  out=$(MB_TEST_CONTAINER_LIVE=host "$t" 2>&1); rc=$?
  check container-host-not-detected "rc=$rc; $(grep '^evidence' <<<"$out" | head -1)" test "$rc" = 0
  # the scope (MemoryMax=96M) becomes the namespace's root; cgroup2 mounted
  # there as a container runtime does
  out=$(systemd-run --scope --quiet --unit=mbtest-vm-ctr.scope -p MemoryMax=96M -p MemorySwapMax=0 \
        unshare --cgroup --mount --propagation private \
        sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo "ns view: $(cat /proc/self/cgroup)" && MB_TEST_CONTAINER_LIVE=100663296 exec "$0"' "$t" 2>&1); rc=$?
  check container-cgroupns-limit "rc=$rc; $(grep -E '^ns view' <<<"$out"); $(grep '^evidence' <<<"$out" | head -1 | sed 's/^evidence: //')" \
    test "$rc" = 0
  [ "$rc" = 0 ] || grep -vE '^\[ +(RUN|OK) ' <<<"$out" | head -20
else
  skip container-cgroupns-limit "no $t or unshare"
fi

summary
[ "$nfail" = 0 ]
