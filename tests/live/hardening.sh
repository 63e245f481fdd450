#!/usr/bin/env bash
# Hardening checks (issue 9):
#   - races: 5,000 short-lived processes forked and reaped (by two families
#     with different names) while `procs` and `swap` scan in a loop: no crash,
#     no error exit, valid JSON, and no row mixing two processes;
#   - non-root: commands degrade and say so once; nothing crashes;
#   - valgrind: no leak and no error on status, procs, swap, check.
set -u
BIN=${MB_BIN:?} HELP=${MB_BUILD:?}/helpers ROOT=${MB_ROOT:?}
TMP=$(mktemp -d /tmp/mbtest-hardening.XXXXXX)
chmod 755 "$TMP"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

# 1. races
ln -s "$HELP/racer" "$TMP/mbraceA"; ln -s "$HELP/racer" "$TMP/mbraceB"
"$TMP/mbraceA" 5000 & pids+=($!); a=$!
"$TMP/mbraceB" 5000 & pids+=($!); b=$!
scans=0 bad=""
while kill -0 "$a" 2>/dev/null || kill -0 "$b" 2>/dev/null; do
  # odd rounds split the scan over 4 threads (merged tables, parallel rollups)
  MEMBUDGET_SCAN_THREADS=$((scans % 2 * 3 + 1)) \
    "$BIN" procs --json --all --columns pid,name,cmdline,rss,swap,pss >"$TMP/p.json" 2>"$TMP/p.err" \
    || { bad="procs exit $?: $(head -c 300 "$TMP/p.err")"; break; }
  "$BIN" swap --json >"$TMP/s.json" 2>"$TMP/s.err" || { bad="swap exit $?: $(head -c 300 "$TMP/s.err")"; break; }
  python3 - "$TMP/p.json" "$TMP/s.json" <<'PY' || { bad="invalid or mixed output"; break; }
import json, sys
d = json.load(open(sys.argv[1])); json.load(open(sys.argv[2]))
seen = set()
for p in d["processes"]:
    if p["pid"] in seen:
        print("duplicate pid", p["pid"]); sys.exit(1)
    seen.add(p["pid"])
    name, cl = p["name"], p["cmdline"] or ""
    for tag, other in (("mbraceA", "mbraceB"), ("mbraceB", "mbraceA")):
        if name == tag and other in cl:
            print("mixed row", p); sys.exit(1)
PY
  scans=$((scans + 1))
done
wait "$a" "$b" 2>/dev/null
if [ -z "$bad" ] && [ "$scans" -ge 3 ]; then pass "races ($scans scan pairs during 10000 forks and reaps)"
else fail races "${bad:-only $scans scans}"; fi

# 2. non-root
if [ "$(id -u)" != 0 ]; then
  skip non-root "already not root: the whole suite is the non-root run"
elif ! command -v setpriv >/dev/null; then
  skip non-root "setpriv missing (util-linux)"
else
  cp "$BIN" "$TMP/membudget"; chmod 755 "$TMP/membudget"
  asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env -u XDG_STATE_HOME HOME="$TMP" "$@"; }
  out=$(asnobody "$TMP/membudget" procs --columns pid,pss,cmdline 2>"$TMP/err"); rc=$?
  n=$(grep -c 'PSS unavailable for [0-9]* process.* owned by other users: run as root' "$TMP/err")
  if [ $rc = 0 ] && [ "$n" = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ]; then pass non-root-procs-pss
  else fail non-root-procs-pss "rc $rc, stderr: $(cat "$TMP/err")"; fi
  asnobody "$TMP/membudget" status --no-rates >/dev/null 2>"$TMP/err" && pass non-root-status \
    || fail non-root-status "$(cat "$TMP/err")"
  asnobody "$TMP/membudget" swap >/dev/null 2>"$TMP/err" && pass non-root-swap \
    || fail non-root-swap "$(cat "$TMP/err")"
  asnobody "$TMP/membudget" check --no-rates >/dev/null 2>"$TMP/err"; rc=$?
  { [ $rc = 0 ] || [ $rc = 1 ]; } && pass non-root-check || fail non-root-check "rc $rc $(cat "$TMP/err")"
fi

# 3. valgrind
if ! command -v valgrind >/dev/null; then skip valgrind "valgrind not installed"; exit 0; fi
for args in "status --no-rates" "procs --columns pid,pss,uss,swap,cmdline" "swap" \
            "check --no-rates" "procs --group cgroup" "status --no-rates --json"; do
  # shellcheck disable=SC2086
  if valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
       --error-exitcode=99 "$BIN" --state-dir "$TMP/state" -c "$ROOT/etc/omnimind_parameters.json" $args \
       >/dev/null 2>"$TMP/vg"; then
    pass "valgrind $args"
  else
    rc=$?; [ $rc = 1 ] && ! grep -q '==[0-9]*==' "$TMP/vg" && { pass "valgrind $args"; continue; }
    fail "valgrind $args" "rc $rc: $(grep '==' "$TMP/vg" | head -8)"
  fi
done
# report (on a short recorded history) and a short serve, under valgrind too
vg() { valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
         --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$@"; }
"$BIN" watch --record --history "$TMP/h.db" --interval 0.2 --count 5 >/dev/null 2>&1
if vg "$BIN" -c "$ROOT/etc/omnimind_parameters.json" report --history "$TMP/h.db" --since 1h \
     --svg "$TMP/c.svg" >/dev/null 2>"$TMP/vg"; then pass "valgrind report"
else fail "valgrind report" "$(grep '==' "$TMP/vg" | head -8)"; fi
valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
  "$BIN" -c "$ROOT/etc/omnimind_parameters.json" --state-dir "$TMP/state" serve --listen 127.0.0.1:0 --interval 0.5 >"$TMP/serve.out" 2>"$TMP/vg" & vgpid=$!; pids+=("$vgpid")
port=""
for _ in $(seq 100); do
  port=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/vg" | sed 's/.*://'); [ -n "$port" ] && break; sleep 0.2
done
ok=1
for path in /metrics /healthz /api/snapshot /nope; do curl -s -o /dev/null "http://127.0.0.1:$port$path" || ok=0; done
sleep 2
kill -TERM "$vgpid"; wait "$vgpid"; rc=$?
if [ -n "$port" ] && [ $ok = 1 ] && [ $rc = 0 ]; then pass "valgrind serve (4 requests, SIGTERM)"
else fail "valgrind serve" "port '$port', rc $rc: $(grep '==' "$TMP/vg" | head -8)"; fi
exit 0
