#!/usr/bin/env bash
# Live checks of the foundation against /proc ground truth:
#   - a child touching 64 MiB shows up in `procs --match` with RSS within 10 %;
#   - status --json agrees with /proc/meminfo by procps-ng 4 free's formulas;
#   - as root: a real swap file and a memory cgroup with a low limit push a
#     child into swap; `swap --min 50M --json` lists it with swap_bytes equal
#     to its VmSwap (±5 %).  Swap file, cgroup and child go away on every path.
set -u
BIN=${MB_BIN:?} HELP=${MB_BUILD:?}/helpers
TAG=mbtest-foundation-$$
SWAPFILE=/var/tmp/$TAG.swap
CG=""
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "$CG" ] && [ -d "$CG" ]; then
    for i in 1 2 3 4 5; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
  fi
  if grep -q "^$SWAPFILE " /proc/swaps 2>/dev/null; then swapoff "$SWAPFILE" 2>/dev/null; fi
  rm -f "$SWAPFILE"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

# Start a helper and wait for its "ready" line.  Sets $child.
start_child() {
  local fifo; fifo=$(mktemp -u); mkfifo "$fifo"
  "$HELP/memchild" "$@" >"$fifo" & child=$!
  pids+=("$child")
  if ! timeout 60 head -n1 "$fifo" | grep -q ready; then rm -f "$fifo"; return 1; fi
  rm -f "$fifo"
}

# 1. a 64 MiB child, found by --match with the right RSS
start_child 64 || { fail procs-64mib "helper did not start"; exit 0; }
out=$("$BIN" procs --match "memchild 64\$" --json 2>&1)
rss=$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); p=[x for x in d["processes"] if x["pid"]=='"$child"']; print(p[0]["rss_bytes"] if p else -1)')
want=$((64 << 20))
if [ "$rss" -gt $((want * 9 / 10)) ] && [ "$rss" -lt $((want * 11 / 10)) ]; then
  pass "procs-64mib (rss $rss)"
else fail procs-64mib "rss $rss, expected 64 MiB ±10 %: $out"; fi
vmrss=$(awk '/^VmRSS/{print $2*1024}' /proc/$child/status)
[ "$rss" = "$vmrss" ] && pass procs-equals-vmrss || fail procs-equals-vmrss "$rss != VmRSS $vmrss"
kill -9 "$child"; wait "$child" 2>/dev/null

# 2. status --json against /proc/meminfo, free(1) formulas
j=$("$BIN" status --no-rates --json)
python3 - "$j" <<'PY' && pass status-matches-meminfo || fail status-matches-meminfo "see above"
import json, sys
d = json.loads(sys.argv[1])
mi = {}
for line in open("/proc/meminfo"):
    k, v = line.split(":", 1)
    mi[k] = int(v.split()[0]) * 1024
m = d["memory"]
tol = 32 << 20  # the two reads are not simultaneous
avail = mi.get("MemAvailable", mi["MemFree"])
ok = (m["total_bytes"] == mi["MemTotal"]
      and abs(m["available_bytes"] - avail) < tol
      and abs(m["used_bytes"] - (mi["MemTotal"] - avail)) < tol
      and abs(m["buff_cache_bytes"] - (mi["Buffers"] + mi["Cached"] + mi["SReclaimable"])) < tol
      and abs(m["free_bytes"] - mi["MemFree"]) < tol
      and sum(r["bytes"] for r in d["breakdown"]) == m["total_bytes"]
      and d["swap"]["total_bytes"] == mi["SwapTotal"])
if not ok:
    print(json.dumps(m), mi["MemTotal"], avail, file=sys.stderr)
sys.exit(0 if ok else 1)
PY

# 3. a child pushed into a real swap file through a memory cgroup
if [ "$(id -u)" != 0 ]; then skip swap-real "needs root (swapon, cgroups)"; exit 0; fi
MEMCG=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
V2=$(awk '$3=="cgroup2" {print $2; exit}' /proc/mounts)
if [ -n "$MEMCG" ]; then
  CG=$MEMCG/$TAG; mkdir "$CG" || { fail swap-real "cannot create $CG"; exit 0; }
  echo $((32 << 20)) > "$CG/memory.limit_in_bytes"
  PROCS=$CG/cgroup.procs
elif [ -n "$V2" ] && grep -qw memory "$V2/cgroup.controllers"; then
  CG=$V2/$TAG; mkdir "$CG" || { fail swap-real "cannot create $CG"; exit 0; }
  echo $((32 << 20)) > "$CG/memory.max"
  PROCS=$CG/cgroup.procs
else
  skip swap-real "no memory cgroup controller on this host"; exit 0
fi
if ! { dd if=/dev/zero of="$SWAPFILE" bs=1M count=256 status=none && chmod 600 "$SWAPFILE" \
       && mkswap -q "$SWAPFILE" >/dev/null && swapon "$SWAPFILE"; }; then
  fail swap-real "cannot set up swap file $SWAPFILE"; exit 0
fi
start_child 128 "$PROCS" || { fail swap-real "helper did not start in the cgroup"; exit 0; }
vmswap=$(awk '/^VmSwap/{print $2*1024}' /proc/$child/status)
out=$("$BIN" swap --min 50M --json)
vmswap2=$(awk '/^VmSwap/{print $2*1024}' /proc/$child/status)
python3 - "$out" "$child" "$vmswap" "$vmswap2" <<'PY' && pass "swap-real (VmSwap $vmswap)" || fail swap-real "$out"
import json, sys
d = json.loads(sys.argv[1]); pid = int(sys.argv[2]); v1 = int(sys.argv[3]); v2 = int(sys.argv[4])
p = [x for x in d["processes"] if x["pid"] == pid]
ok = bool(p) and v1 > (50 << 20)
if ok:
    s = p[0]["swap_bytes"]
    ok = min(v1, v2) * 0.95 <= s <= max(v1, v2) * 1.05
    ok = ok and all(x["swap_bytes"] >= (50 << 20) for x in d["processes"])
    ok = ok and d["reconciliation"]["swap_used_bytes"] >= s
sys.exit(0 if ok else 1)
PY
# the human table names it too, and procs --min-swap finds it
"$BIN" swap --min 50M | grep -q "memchild 128" && pass swap-table || fail swap-table "not listed"
"$BIN" procs --min-swap 50M --columns pid,swap,cmdline | grep -q "^ *$child " \
  && pass procs-min-swap || fail procs-min-swap "not listed"
exit 0
