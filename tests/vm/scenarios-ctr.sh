#!/usr/bin/env bash
# tests/vm/scenarios-ctr.sh BIN BUILD: what `status` and `procs` say about
# containers and about a limited unit's memory.events, on a real systemd host
# with a pure cgroup v2 hierarchy (the VM stage runs it in the guest beside
# tests/vm/scenarios.sh; issues 14.2, 14.4, 15.19).  Every figure is checked
# against what the kernel reports (memory.max/current/events of the cgroup).
# Prints PASS/FAIL/SKIP lines (with the evidence after "--") and
# "N passed, N failed, N skipped".  Without systemd as PID 1 on cgroup v2
# (or not root) it skips, saying why.  Everything it makes is named
# mbtest-ctr* and removed by the trap.
set -u
BIN=$(realpath "${1:-${MB_BIN:-build/membudget}}")
BUILD=$(realpath "${2:-${MB_BUILD:-build}}")
HOG=$BUILD/helpers/hog
CG=/sys/fs/cgroup
. "$(dirname "$0")/common.sh"
T=$(mktemp -d /tmp/mbtest-ctr.XXXXXX)
UNITS=()
PIDS=()
DIRS=()

cleanup() {
  forget_units
  # deepest first
  for ((i = ${#DIRS[@]} - 1; i >= 0; i--)); do rmdir "${DIRS[$i]}" 2>/dev/null; done
  systemctl daemon-reload 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require_systemd_v2 scenarios-ctr

# --- helpers reading what the kernel and systemd say -------------------------
# The first number after "KEY": in a JSON file, after the first line matching AFTER.
jnum() { # FILE KEY [AFTER]
  awk -v k="\"$2\":" -v a="${3:-}" 'a != "" && !seen && index($0, a) {seen = 1; next}
    (a == "" || seen) && index($0, k) {s = substr($0, index($0, k) + length(k)); gsub(/[ ,]/, "", s); print s; exit}' "$1"
}
within10() { # A B: |A - B| <= 10% of B
  [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ] 2>/dev/null || return 1
  local d=$(($1 - $2)); [ $d -lt 0 ] && d=$((-d))
  [ $((d * 10)) -le "$2" ]
}
hex64() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# --- 1. inside a cgroup namespace in a limited scope: the limit that matters ---
# A transient scope with MemoryMax=200M runs a new cgroup namespace (and a
# mount namespace with cgroup2 mounted at its own root, as container runtimes
# do: the host's mount is lazily unmounted in that private mount namespace
# first); a 100 MiB hog runs beside status.  status --json must give the scope's
# limit and (within 10 %) its memory.current as the host sees it.
NS=mbtest-ctr-ns-$$.scope
UNITS+=("$NS")
inner="umount -l $CG && mount -t cgroup2 cgroup2 $CG || exit 3
$HOG 100 60 & h=\$!
sleep 1.5
'$BIN' --json status --no-rates >'$T/ns.json' 2>'$T/ns.err'
'$BIN' status --no-rates >'$T/ns.txt' 2>&1
cat $CG/memory.current >'$T/ns.cur'
touch '$T/ns.done'
until [ -e '$T/ns.go' ]; do sleep 0.1; done
kill \$h"
systemd-run --scope -q --unit="$NS" -p MemoryMax=200M -- \
  unshare --cgroup --fork --mount --mount-proc /bin/sh -c "$inner" >"$T/ns.out" 2>&1 &
PIDS+=($!)
if waitfor 600 test -e "$T/ns.done"; then
  nc=$(show "$NS" ControlGroup)
  hostcur=$(cgf "$nc" memory.current) hostmax=$(cgf "$nc" memory.max)
  lim=$(jnum "$T/ns.json" limit_bytes) use=$(jnum "$T/ns.json" usage_bytes '"container": {')
  ns=$(jnum "$T/ns.json" cgroup_namespace)
  line=$(grep '^container:' "$T/ns.txt")
  check ctr-cgns-limit "kernel $nc: memory.max=$hostmax memory.current=$hostcur (inside: $(cat "$T/ns.cur")); status --json container: limit_bytes=$lim usage_bytes=$use cgroup_namespace=$ns; text: [$line]" \
    test "$lim" = 209715200 -a "$hostmax" = 209715200 -a "$ns" = true
  check ctr-cgns-usage "usage_bytes=$use vs the scope's memory.current=$hostcur (within 10%)" within10 "$use" "$hostcur"
  check ctr-cgns-text "status: [$line]" test -n "$(grep -F 'limit 200 MiB (memory.max)' <<<"$line")" \
    -a -n "$(grep -F 'the limit that matters' <<<"$line")"
else
  fail ctr-cgns-limit "the scope did not run: $(tr '\n' ' ' <"$T/ns.out" | head -c 300)"
fi
touch "$T/ns.go"

# --- 2. procs --group cgroup names docker / kubepods cgroups ----------------------
# cgroups named as docker (systemd driver) and Kubernetes (systemd driver,
# containerd) name theirs, each holding a hog.
ID1=$(hex64) ID2=$(hex64)
POD=$(cat /proc/sys/kernel/random/uuid)
DK=$CG/system.slice/docker-$ID1.scope
KP=$CG/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD//-/_}.slice
KC=$KP/cri-containerd-$ID2.scope
ok=1
for d in "$DK" "$CG/kubepods.slice" "$CG/kubepods.slice/kubepods-burstable.slice" "$KP" "$KC"; do
  mkdir "$d" 2>>"$T/mk.err" && DIRS+=("$d") || ok=0
done
if [ $ok = 1 ]; then
  "$HOG" 30 120 & h1=$!; PIDS+=($h1)
  "$HOG" 20 120 & h2=$!; PIDS+=($h2)
  sleep 0.3
  echo $h1 >"$DK/cgroup.procs" && echo $h2 >"$KC/cgroup.procs"
  sleep 0.5
  "$BIN" procs --group cgroup --all >"$T/pg.txt" 2>&1
  "$BIN" --json procs --group cgroup --all >"$T/pg.json" 2>&1
  # the CGROUP column is cut at 80 characters: the CONTAINER column names them
  dl=$(grep -F "docker ${ID1:0:12}" "$T/pg.txt" | tr -s ' ')
  kl=$(grep -F "containerd pod $POD container ${ID2:0:12}" "$T/pg.txt" | tr -s ' ')
  check ctr-procs-docker "pid $h1 in $(sed -n 's/^0:://p' /proc/$h1/cgroup); procs: [$dl]" \
    test -n "$(grep -F "/system.slice/docker-${ID1:0:12}" <<<"$dl")"
  check ctr-procs-kubepods "pid $h2 in $(sed -n 's/^0:://p' /proc/$h2/cgroup); procs: [$kl]" \
    test -n "$(grep -F "/kubepods.slice/kubepods-burstable.slice/" <<<"$kl")"
  check ctr-procs-json "--json: id $ID1 $(grep -c "\"id\": \"$ID1\"" "$T/pg.json")x, pod $POD $(grep -c "\"pod\": \"$POD\"" "$T/pg.json")x, qos burstable $(grep -c '"qos": "burstable"' "$T/pg.json")x" \
    test "$(grep -c "\"id\": \"$ID1\"" "$T/pg.json")" -ge 1 -a "$(grep -c "\"pod\": \"$POD\"" "$T/pg.json")" -ge 1 \
    -a "$(grep -c '"runtime": "containerd"' "$T/pg.json")" -ge 1
  kill -9 $h1 $h2 2>/dev/null; wait $h1 $h2 2>/dev/null
else
  fail ctr-procs-docker "cannot make the cgroups: $(head -c 200 "$T/mk.err")"
fi

# --- 3. a limited unit whose hog is OOM-killed: memory.events in status -----------
# A transient service waits, is limited at run time (set-property --runtime
# MemoryMax=64M MemorySwapMax=0), then runs a 120 MiB hog (OOM-killed; the
# unit goes on: OOMPolicy=continue) and sleeps as "mbtest-ctr-oom".
U=mbtest-ctr-oom-$$.service
GO=$T/oom.go
UNITS+=("$U")
systemd-run -q --unit="$U" -p OOMPolicy=continue -- /bin/bash -c \
  "until [ -e $GO ]; do sleep 0.2; done; $HOG 120 1; exec -a mbtest-ctr-oom sleep 36000"
systemctl set-property --runtime "$U" MemoryMax=64M MemorySwapMax=0
uc=$(show "$U" ControlGroup)
touch "$GO"
waitfor 600 test "$(ev "$uc" memory.events oom_kill)" -ge 1 2>/dev/null
waitfor 100 pgrep -f '^mbtest-ctr-oom' >/dev/null
kk=$(ev "$uc" memory.events oom_kill) km=$(ev "$uc" memory.events max)
ke="memory.max=$(cgf "$uc" memory.max) swap.max=$(cgf "$uc" memory.swap.max) events: max=$km oom=$(ev "$uc" memory.events oom) oom_kill=$kk"
check ctr-oom-kernel "kernel $uc: $ke; $U $(show "$U" ActiveState)" \
  test "${kk:-0}" -ge 1 -a "$(cgf "$uc" memory.max)" = 67108864 -a "$(cgf "$uc" memory.swap.max)" = 0
printf '{ "target": { "unit": "%s" } }\n' "$U" >"$T/conf.json"
"$BIN" -c "$T/conf.json" --json status --no-rates >"$T/oom.json" 2>"$T/oom.err"
"$BIN" -c "$T/conf.json" status --no-rates >"$T/oom.txt" 2>&1
sk=$(jnum "$T/oom.json" oom_kill '"cgroups": [')
sm=$(jnum "$T/oom.json" max_bytes '"cgroups": [')
said=$(grep -E "^cgroup .*$U" "$T/oom.txt" | tr -s ' ')
check ctr-oom-status-json "status --json target.cgroups: max_bytes=$sm oom_kill=$sk; kernel oom_kill=$kk" \
  test -n "$sk" -a "$sk" = "$kk" -a "$sm" = 67108864
check ctr-oom-status-text "status: [$said]" test -n "$(grep -F "events high" <<<"$said")" \
  -a -n "$(grep -F "oom_kill $kk" <<<"$said")" -a -n "$(grep -F "max 64 MiB" <<<"$said")"
fl=$(grep -E 'OOM kills in a limited cgroup|OOM-killed in its cgroup' "$T/oom.txt" | tr -s ' \n' ' ')
check ctr-oom-finding "finding: [$fl]; --json ids: $(grep -o '"id": "cgroup-[a-z-]*"' "$T/oom.json" | tr '\n' ' ')" \
  test -n "$(grep -F "of the target w" <<<"$fl")" -a -n "$(grep -F '"id": "cgroup-oom-kill"' "$T/oom.json")"
# without a target: found by its own memory.events.local
"$BIN" status --no-rates >"$T/oom2.txt" 2>&1
fl2=$(grep -E "OOM-killed in the cgroup .*$U|^cgroup .*$U" "$T/oom2.txt" | tr -s ' \n' ' ')
check ctr-oom-no-target "memory.events.local oom_kill=$(ev "$uc" memory.events.local oom_kill); status without a target: [$fl2]" \
  test -n "$(grep -F "OOM-killed in the cgroup" <<<"$fl2")"
systemctl stop "$U"

# --- 4. podman, when the guest has it ----------------------------------------------
if command -v podman >/dev/null; then
  skip ctr-podman "podman present but no image can be pulled offline"
else
  skip ctr-podman "podman is not installed in the guest"
fi

summary
