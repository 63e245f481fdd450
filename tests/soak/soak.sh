#!/usr/bin/env bash
# tests/soak/soak.sh BIN [SECONDS]: `serve` recording at a 0.2 s interval,
# scraped by wrk on loopback (bounded: 4 connections, 5 ms apart) while
# processes churn, for SECONDS (default 60).  Passes when RSS grows by less
# than 1 MiB after the warm-up, the open file descriptors end where they
# were before the load, every wrk response was a 2xx, and the metrics still
# pass promtool.  Prints PASS/FAIL/SKIP lines; cleans up on every path.
set -u
BIN=${1:?usage: soak.sh BIN [SECONDS]}
DUR=${2:-60}
WARM=$((DUR / 4))
TMP=$(mktemp -d /tmp/mbtest-soak.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
command -v wrk >/dev/null || { echo "SKIP soak: skipped: wrk not installed (apt-get install wrk)"; exit 0; }

printf '{"monitor": {"record": true, "retention_days": 1}, "target": {"match": "mbtest-soak-churn"}}\n' >"$TMP/c.json"
"$BIN" -c "$TMP/c.json" --state-dir "$TMP/state" serve --listen 127.0.0.1:0 --interval 0.2 \
  >"$TMP/serve.log" 2>&1 & srv=$!; pids+=("$srv")
port=""
for _ in $(seq 100); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve.log" | sed 's/.*://'); [ -n "$port" ] && break; sleep 0.1
done
[ -n "$port" ] || { echo "FAIL soak: serve did not start: $(cat "$TMP/serve.log")"; exit 0; }

# churn: short-lived processes, a few per second, under a recognisable name
( exec -a mbtest-soak-churn bash -c 'while :; do sleep 0.05 & sleep 0.1; done' ) & pids+=($!)

rss() { awk '/^VmRSS/{print $2}' "/proc/$srv/status"; }
fds() { ls "/proc/$srv/fd" | wc -l; }
# bounded: each connection waits 5 ms between requests (at most ~800 requests/s)
printf 'function delay()\n  return 5\nend\n' >"$TMP/delay.lua"
sleep 2
fdbase=$(fds); ls -l "/proc/$srv/fd" | awk '{print $NF}' | sort >"$TMP/fd0"
wrk -t2 -c4 -d"${DUR}s" -s "$TMP/delay.lua" "http://127.0.0.1:$port/metrics" >"$TMP/wrk.out" 2>&1 & wrkpid=$!; pids+=("$wrkpid")
sleep "$WARM"
rss0=$(rss); max=$rss0
while kill -0 "$wrkpid" 2>/dev/null; do r=$(rss); [ "$r" -gt "$max" ] && max=$r; sleep 1; done
sleep 1
# connections close asynchronously: give the server a few seconds to let go
for _ in $(seq 20); do [ "$(fds)" -le "$fdbase" ] && break; sleep 0.5; done
rss1=$(rss); fd1=$(fds); fd0=$fdbase
[ "$rss1" -gt "$max" ] && max=$rss1
grow=$((max - rss0))
reqs=$(awk '/requests in/{print $1}' "$TMP/wrk.out")
bad=$(awk '/Non-2xx or 3xx responses/{print $NF}' "$TMP/wrk.out"); bad=${bad:-0}
errs=$(grep -c 'Socket errors' "$TMP/wrk.out")
rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from host").fetchone()[0])' "$TMP/state/history.db" 2>/dev/null || echo 0)
echo "# soak ${DUR}s: $reqs requests, $bad non-2xx, RSS ${rss0} -> max ${max} KiB, fds $fd0 -> $fd1, $rows ticks recorded"
[ "$grow" -lt 1024 ] && echo "PASS soak-rss (+$grow KiB after warm-up)" || echo "FAIL soak-rss: grew $grow KiB after warm-up"
[ "$fd1" = "$fd0" ] && echo "PASS soak-fds ($fd0)" \
  || echo "FAIL soak-fds: $fd0 -> $fd1: $(ls -l "/proc/$srv/fd" | awk '{print $NF}' | sort | diff "$TMP/fd0" - | grep '^[<>]' | tr '\n' ' ')"
{ [ "${reqs:-0}" -gt 100 ] && [ "$bad" = 0 ] && [ "$errs" = 0 ]; } \
  && echo "PASS soak-responses ($reqs, all 2xx)" || echo "FAIL soak-responses: $(cat "$TMP/wrk.out")"
[ "$rows" -gt $((DUR * 3)) ] && echo "PASS soak-recorded ($rows ticks)" || echo "FAIL soak-recorded: $rows ticks"
if command -v promtool >/dev/null; then
  curl -s "http://127.0.0.1:$port/metrics" | promtool check metrics >"$TMP/pt" 2>&1 \
    && echo "PASS soak-metrics-valid" || echo "FAIL soak-metrics-valid: $(head -5 "$TMP/pt")"
fi
kill -0 "$srv" && echo "PASS soak-alive" || echo "FAIL soak-alive: serve died: $(tail -5 "$TMP/serve.log")"
exit 0
