#!/usr/bin/env bash
# The problems engine learns which kind of mapping dominates the target's
# growth: `serve` samples the smaps of the target's largest process every
# five samples, and a child growing an anonymous region shows up as
# "target-growth-kind ... anonymous mmap" in /api/snapshot and /metrics.
# Who swaps in (issue 15 item 19): one process thrashing inside a small
# memory cgroup, two idle ones swapped out in another: `status` names the
# thrasher, not the target, with its cgroup's own swap-in rate (status's two
# samples, and serve's ticks), and rates the idle ones info.
set -u
BIN=${MB_BIN:?} HELP=${MB_BUILD:?}/helpers
TMP=$(mktemp -d /tmp/mbtest-growth.XXXXXX)
pids=()
SWAPF=/tmp/mbtest-diag-swap.$$
# cgroup v2 (pure hierarchy, memory controller on at the root) or the v1
# memory controller: the same test, with that version's files
if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
  CGBASE=/sys/fs/cgroup LIMITF=memory.max
  grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || CGBASE=""
else
  CGBASE=/sys/fs/cgroup/memory LIMITF=memory.limit_in_bytes
  [ -d "$CGBASE" ] || CGBASE=""
fi
CGT=$CGBASE/mbtest-diag-thrash-$$ CGI=$CGBASE/mbtest-diag-idle-$$
swap_on=""
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null
  rmdir "$CGT" "$CGI" 2>/dev/null
  [ -n "$swap_on" ] && swapoff "$SWAPF" 2>/dev/null
  rm -f "$SWAPF"; rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

"$HELP/maptest" grow 8 >"$TMP/grow.out" & pids+=($!); grow=$!
printf '{"target": {"match": "maptest grow"}}\n' >"$TMP/c.json"
"$BIN" -c "$TMP/c.json" --state-dir "$TMP" serve --listen 127.0.0.1:0 --interval 0.5 \
  >"$TMP/serve.log" 2>&1 & pids+=($!)
port=""
for _ in $(seq 50); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve.log" | sed 's/.*://')
  [ -n "$port" ] && break; sleep 0.1
done
[ -n "$port" ] || { echo "FAIL growth-kind: serve did not start: $(cat "$TMP/serve.log")"; exit 0; }
found=""
for _ in $(seq 40); do
  found=$(curl -s "127.0.0.1:$port/api/snapshot" | jq -r --argjson p "$grow" \
    '.findings[] | select(.id == "target-growth-kind" and .pid == $p) | .value' 2>/dev/null)
  [ -n "$found" ] && break; sleep 0.5
done
if printf '%s' "$found" | grep -q "anonymous mmap"; then echo "PASS growth-kind ($found)"
else echo "FAIL growth-kind: no finding for pid $grow: $(curl -s "127.0.0.1:$port/api/snapshot" | jq -c '[.findings[].id]')"; fi
curl -s "127.0.0.1:$port/metrics" | grep -q 'membudget_problem{id="target-growth-kind",severity="medium"} 1' \
  && echo "PASS growth-kind-metric" || echo "FAIL growth-kind-metric: not exported"
# ---- who swaps in ----
PY=$(command -v python3)
if [ "$(id -u)" != 0 ] || [ -z "$CGBASE" ] || [ -z "$PY" ]; then
  echo "SKIP who-swaps-in: skipped: needs root, a memory controller (v1, or v2 enabled at the root) and python3"; exit 0
fi
if ! { dd if=/dev/zero of="$SWAPF" bs=1M count=384 status=none && chmod 600 "$SWAPF" &&
  mkswap "$SWAPF" >/dev/null 2>&1 && swapon "$SWAPF" 2>/dev/null; }; then
  echo "SKIP who-swaps-in: skipped: cannot enable a swap file"; exit 0
fi
swap_on=1
mkdir "$CGT" "$CGI" || { echo "FAIL who-swaps-in: cannot create cgroups"; exit 0; }
echo $((48 << 20)) >"$CGT/$LIMITF"
echo $((24 << 20)) >"$CGI/$LIMITF"
# two idle processes: 40 MiB each, touched once, then asleep (pushed to swap)
for i in 1 2; do
  sh -c 'echo $$ >"$1/cgroup.procs"; exec "$2" -c "import time; b = bytearray(40 << 20)
for i in range(0, len(b), 4096): b[i] = 1
time.sleep(600)" mbtest-diag-idle' sh "$CGI" "$PY" & pids+=($!)
done
# the thrasher: 100 MiB touched over and over in 48 MiB
sh -c 'echo $$ >"$1/cgroup.procs"; exec "$2" -c "b = bytearray(100 << 20)
while True:
    for i in range(0, len(b), 4096): b[i] = (b[i] + 1) & 255" mbtest-diag-thrash' sh "$CGT" "$PY" & thr=$!; pids+=($thr)
sleep 4
idle=$(pgrep -f 'mbtest-diag-idle' | tr '\n' ' ')
# idle means idle: wait (up to 60 s, a loaded host is slow to fill 40 MiB
# through a 24 MiB limit) until both are in swap and their VmSwap holds still
swaps() { for p in $idle; do awk '/^VmSwap/ {printf "%s ", $2}' /proc/$p/status 2>/dev/null; done; }
for _ in $(seq 1 30); do
  a=$(swaps); sleep 2; b=$(swaps)
  [ "$a" = "$b" ] && [ -n "$b" ] && ! grep -qw 0 <<<"$b" && break
done
printf '{"memory": {"swap_threshold": 8}, "thresholds": {"swapin_pages_per_s": 50},
  "target": {"match": "mbtest-diag-idle"}}\n' >"$TMP/t.json"
j=$("$BIN" -c "$TMP/t.json" --state-dir "$TMP" status --sample 1 --json 2>"$TMP/st.err")
th=$(printf '%s' "$j" | jq -c '[.findings[] | select(.id == "swap-thrashing") | {pid, action, evidence}]')
if printf '%s' "$th" | jq -e --argjson p "$thr" --arg cg "/mbtest-diag-thrash-$$" --arg lf "$LIMITF" '.[0].pid == $p and
    (.[0].action | test("is the one swapping in, not the target")) and
    (.[0].evidence | contains("its memory cgroup " + $cg + ": " + $lf + " 48 MiB"))' >/dev/null; then
  echo "PASS who-swaps-in-named (pid $thr)"
else echo "FAIL who-swaps-in-named: thrasher $thr: $th $(head -c 300 "$TMP/st.err")"; fi
# the cgroup's own count of pages read back between the two samples
# (memory.stat pswpin, workingset_refault_anon or pgmajfault: what the kernel has)
rate=$(printf '%s' "$th" | jq -r '.[0].evidence // ""' | grep -oE "its memory.stat [a-z_]+ \+[0-9]+ in [0-9.]+ s \([0-9]+/s\)")
if [ -n "$rate" ] && ! grep -qE "\+0 in" <<<"$rate"; then
  echo "PASS who-swaps-in-cgroup-rate ($rate)"
else echo "FAIL who-swaps-in-cgroup-rate: $th"; fi
# the same from one tick to the next in the daemon (serve keeps the
# swapper's cgroup between its samples)
"$BIN" -c "$TMP/t.json" --state-dir "$TMP/d" serve --listen 127.0.0.1:0 --interval 1 \
  >"$TMP/serve2.log" 2>&1 & pids+=($!)
port2="" rate2=""
for _ in $(seq 50); do
  port2=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve2.log" | sed 's/.*://')
  [ -n "$port2" ] && break; sleep 0.1
done
for _ in $(seq 20); do
  [ -n "$port2" ] || break
  rate2=$(curl -s "127.0.0.1:$port2/api/snapshot" | jq -r '.findings[] | select(.id == "swap-thrashing") | .evidence' 2>/dev/null |
    grep -oE "its memory.stat [a-z_]+ \+[1-9][0-9]* in [0-9.]+ s \([0-9]+/s\)")
  [ -n "$rate2" ] && break; sleep 0.5
done
if [ -n "$rate2" ]; then echo "PASS who-swaps-in-cgroup-rate-ticks ($rate2)"
else echo "FAIL who-swaps-in-cgroup-rate-ticks: $(head -c 300 "$TMP/serve2.log")"; fi
bad=$(printf '%s' "$j" | jq -c --arg idle "$idle" '[.findings[] | select(.id == "process-in-swap") |
  select((.pid | tostring) as $p | ($idle | split(" ") | index($p)) != null) | select(.severity != "info") | {pid, severity}]')
nidle=$(printf '%s' "$j" | jq --arg idle "$idle" '[.findings[] | select(.id == "process-in-swap") |
  select((.pid | tostring) as $p | ($idle | split(" ") | index($p)) != null)] | length')
if [ "$bad" = "[]" ] && [ "$nidle" -ge 1 ]; then
  echo "PASS idle-swapped-info ($nidle idle in swap, all info)"
else echo "FAIL idle-swapped-info: $bad (of $nidle; idle: $idle)"; fi
exit 0
