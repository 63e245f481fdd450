#!/usr/bin/env bash
# Live checks of serve's HTTP layer (issue 15 items 12, 14, 15), loopback
# only, each bounded in time:
#   - slowloris: 300 connections that send a header byte by byte, opened from
#     127.0.0.2, must not starve /metrics (per-address connection limit,
#     5 s idle timeout); the scrape answers within 3 s;
#   - a second serve on the same port is refused: one line, nonzero exit,
#     and every scrape still reaches the first one;
#   - 3,000 malformed requests and a history write failing every tick
#     leave a few log lines, not one per request or per tick.
# serve, the slow clients, the tmpfs and the temp dir go away on every path.
set -u
BIN=${MB_BIN:?} ROOT=${MB_ROOT:?}
TAG=mbtest-out-http-$$
TMP=$(mktemp -d "/tmp/$TAG.XXXXXX")
PY=$(python3 -c 'import sys; print(sys.executable)')
FIX=$ROOT/tests/fixtures/normal/proc
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  umount "$TMP/hist" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

echo '{}' >"$TMP/config.json"

# start_serve LOG CONFIG ARGS...: sets SPID and PORT.
start_serve() {
  local log=$1 cfg=$2; shift 2
  timeout 120 "$BIN" serve -c "$cfg" --proc-root "$FIX" "$@" >"$log.out" 2>"$log" &
  SPID=$!
  pids+=("$SPID")
  PORT=""
  for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$log" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$PORT" ]
}

if ! start_serve "$TMP/serve.log" "$TMP/config.json" --interval 0.5 --listen 127.0.0.1:0; then
  fail http-serve-starts "$(cat "$TMP/serve.log")"
  exit 0
fi
for _ in $(seq 1 50); do
  curl -fsS -m 2 "http://127.0.0.1:$PORT/metrics" >/dev/null 2>&1 && break
  sleep 0.1
done

# ---------- 12. slowloris ----------
if "$PY" - "$PORT" >"$TMP/slow.txt" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
slow, refused = [], 0
for _ in range(300):
    try:
        s = socket.socket()
        s.bind(("127.0.0.2", 0))
        s.settimeout(2)
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /metrics HTTP/1.1\r\nX-a: ")
        slow.append(s)
    except OSError:
        refused += 1
# keep them trickling for 6 s (past the idle timeout were they idle)
end = time.monotonic() + 6
while time.monotonic() < end:
    for s in slow:
        try:
            s.send(b"a")
        except OSError:
            pass
    time.sleep(1)
# the scrape, while the slow ones are still open
t0 = time.monotonic()
try:
    c = socket.create_connection(("127.0.0.1", port), timeout=3)
    c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        data += d
    ok = data.startswith(b"HTTP/1.1 200") and b"membudget_up" in data
except OSError as e:
    ok, data = False, str(e).encode()
dt = time.monotonic() - t0
alive = 0
for s in slow:
    try:
        s.setblocking(False)
        d = s.recv(1)
        alive += 0 if d == b"" else 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
    s.close()
print(f"300 slow connections ({refused} refused at connect, {alive} still open): "
      f"scrape {'answered' if ok else 'FAILED'} in {dt:.2f} s")
sys.exit(0 if ok and dt < 3 else 1)
PY
then pass "http-slowloris ($(cat "$TMP/slow.txt"))"
else fail http-slowloris "$(tail -3 "$TMP/slow.txt")"; fi

# ---------- 14. a second serve on the same port ----------
timeout 20 "$BIN" serve -c "$TMP/config.json" --proc-root "$FIX" --interval 0.5 \
  --listen "127.0.0.1:$PORT" >"$TMP/second.out" 2>"$TMP/second.err" &
p2=$!
pids+=("$p2")
for _ in $(seq 1 50); do kill -0 "$p2" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$p2" 2>/dev/null; then
  fail http-second-serve-refused "still running after 5 s: $(head -3 "$TMP/second.err")"
else
  wait "$p2"; rc=$?
  lines=$(wc -l <"$TMP/second.err")
  all=1
  for _ in $(seq 1 20); do
    curl -fsS -m 2 "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 || all=0
  done
  if [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$lines" = 1 ] && grep -q 'in use' "$TMP/second.err" &&
    [ $all = 1 ] && kill -0 "$SPID" 2>/dev/null; then
    pass "http-second-serve-refused (exit $rc: $(cat "$TMP/second.err"))"
  else
    fail http-second-serve-refused "exit $rc, $lines lines: $(head -3 "$TMP/second.err"), scrapes ok=$all"
  fi
fi

# ---------- 15. log flood ----------
before=$(wc -l <"$TMP/serve.log")
if "$PY" - "$PORT" >"$TMP/flood.txt" 2>&1 <<'PY'
import socket, sys
port = int(sys.argv[1])
n = 0
for i in range(3000):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GARBAGE\x01\x02 / HTTP/9.9\r\n\r\n" if i % 2
                  else b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\n\r\n")
        try:
            s.recv(100)
        except OSError:
            pass
        s.close()
        n += 1
    except OSError:
        pass
print(f"{n} malformed requests sent")
PY
then
  sleep 0.5
  after=$(wc -l <"$TMP/serve.log")
  added=$((after - before))
  if [ "$added" -le 20 ] && curl -fsS -m 2 "http://127.0.0.1:$PORT/metrics" >/dev/null; then
    pass "http-log-rate-limited ($(cat "$TMP/flood.txt"): $added log lines)"
  else
    fail http-log-rate-limited "$added log lines for $(cat "$TMP/flood.txt"): $(sed -n "$((before + 1)),$((before + 3))p" "$TMP/serve.log")"
  fi
else fail http-log-rate-limited "$(tail -3 "$TMP/flood.txt")"; fi
kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null

# A history write failing every tick (a full filesystem: a 2 MiB tmpfs,
# filled once serve has opened the database), sampled every 0.2 s for 3 s.
mkdir -p "$TMP/hist"
if mount -t tmpfs -o size=2m "$TAG" "$TMP/hist" 2>/dev/null; then
  cat >"$TMP/hist.json" <<EOF2
{ "monitor": { "history": "$TMP/hist/h.db", "record": true } }
EOF2
  if start_serve "$TMP/hist.log" "$TMP/hist.json" --interval 0.2 --listen 127.0.0.1:0; then
    sleep 0.6
    dd if=/dev/zero of="$TMP/hist/fill" bs=64k 2>/dev/null
    sleep 3
    kill -TERM "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null
    n=$(grep -c 'history write failed' "$TMP/hist.log")
    if [ "$n" -ge 1 ] && [ "$n" -le 6 ]; then
      pass "http-history-failure-rate-limited ($n lines for about 15 failing ticks)"
    elif [ "$n" = 0 ]; then
      skip http-history-failure-rate-limited "no history write failed: $(tail -2 "$TMP/hist.log")"
    else fail http-history-failure-rate-limited "$n lines in 3 s: $(grep history "$TMP/hist.log" | head -3)"; fi
  else
    fail http-history-failure-rate-limited "serve with history did not start: $(head -2 "$TMP/hist.log")"
  fi
  umount "$TMP/hist" 2>/dev/null
else
  skip http-history-failure-rate-limited "cannot mount a tmpfs (not root?)"
fi
