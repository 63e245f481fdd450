#!/usr/bin/env bash
# The problems engine learns which kind of mapping dominates the target's
# growth: `serve` samples the smaps of the target's largest process every
# five samples, and a child growing an anonymous region shows up as
# "target-growth-kind ... anonymous mmap" in /api/snapshot and /metrics.
set -u
BIN=${MB_BIN:?} HELP=${MB_BUILD:?}/helpers
TMP=$(mktemp -d /tmp/mbtest-growth.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
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
exit 0
