#!/usr/bin/env bash
# Checks of `report`:
#   - on the fixture history (written by test-history --mkfixture) the
#     Markdown equals tests/fixtures/history/report.md and compare.md;
#   - --json parses and names the leaking worker, not the step, the sawtooth
#     or the steady one; PID reuse stays two identities;
#   - --svg is well-formed XML (xmllint) with one <path> per series;
#   - no history: exit 3; a bad --since: exit 2;
#   - live: a leaking child (2 MiB every 100 ms) recorded with
#     `watch --record --interval 0.2 --count 50` is flagged by
#     `report --leak-window 10s --since 1m`; a steady child is not.
set -u
BIN=${MB_BIN:?} BUILD=${MB_BUILD:?} ROOT=${MB_ROOT:?}
FIX=$ROOT/tests/fixtures/history
TAG=history-report-$$
TMP=$(mktemp -d /tmp/$TAG.XXXXXX)
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

H=$TMP/fixture.db
if ! "$BUILD/tests/test-history" --mkfixture "$H"; then
  fail report-fixture "test-history --mkfixture failed"; exit 0
fi
rep() { TZ=UTC "$BIN" -c "$FIX/budget.json" report --history "$H" "$@"; }

# 1. golden files
rep --since 2026-12-01T00:00 --until 2026-12-01T02:00 >"$TMP/report.md" 2>"$TMP/err"
if diff -u "$FIX/report.md" "$TMP/report.md" >"$TMP/diff"; then pass report-golden
else fail report-golden "differs from $FIX/report.md: $(head -40 "$TMP/diff") $(cat "$TMP/err")"; fi
rep --since 2026-12-01T01:00 --until 2026-12-01T02:00 \
  --compare 2026-12-01T00:00..2026-12-01T01:00 >"$TMP/compare.md" 2>"$TMP/err"
if diff -u "$FIX/compare.md" "$TMP/compare.md" >"$TMP/diff"; then pass report-compare-golden
else fail report-compare-golden "differs from $FIX/compare.md: $(head -40 "$TMP/diff") $(cat "$TMP/err")"; fi

# 2. JSON
j=$(rep --since @1796083200 --until @1796090400 --json)
if printf '%s' "$j" | jq -e '
    (.leaks | map(select(.kind == "process")) | map(.pid)) == [4242]
    and (.leaks[0].rate_bytes_per_hour / 1048576 | . > 305 and . < 315)
    and ([.offenders.by_peak[] | select(.pid == 5000)] | length) == 2
    and .period.samples == 720 and .period.ram_max_measured_on == "target"
    and (.period.budgets[] | select(.id == "swap_max") | .share) == 0.5
    and .period.memory.ram_used.peak_bytes > 0' >/dev/null; then
  pass report-json-leak-and-identities
else fail report-json-leak-and-identities "$(printf '%s' "$j" | head -c 3000)"; fi

# 3. SVG
rep --since 2026-12-01T00:00 --until 2026-12-01T02:00 --svg "$TMP/c.svg" >/dev/null
if ! command -v xmllint >/dev/null; then
  skip svg-well-formed "xmllint not installed"
elif xmllint --noout "$TMP/c.svg" 2>"$TMP/err"; then
  # RAM, swap, VRAM and target RAM: four series, four paths; 3 dashed budget lines
  np=$(grep -c '<path ' "$TMP/c.svg"); nd=$(grep -c 'stroke-dasharray' "$TMP/c.svg")
  if [ "$np" = 4 ] && [ "$nd" -ge 3 ] && grep -q '>RAM used<' "$TMP/c.svg" \
    && grep -q 'GiB</text>' "$TMP/c.svg" && grep -q '>01:00<' "$TMP/c.svg"; then
    pass "svg-well-formed-one-path-per-series ($np paths)"
  else fail svg-well-formed-one-path-per-series "$np paths, $nd dashed lines"; fi
else fail svg-well-formed-one-path-per-series "xmllint: $(cat "$TMP/err")"; fi

# 4. errors
out=$("$BIN" report --history "$TMP/none.db" 2>&1); rc=$?
[ $rc = 3 ] && printf '%s' "$out" | grep -q "no history at '$TMP/none.db'" \
  && pass report-no-history-exit-3 || fail report-no-history-exit-3 "rc $rc: $out"
out=$(rep --since 2020-01-01 --until 2020-01-02 2>&1); rc=$?
[ $rc = 3 ] && printf '%s' "$out" | grep -q "no samples in history" \
  && pass report-empty-period-exit-3 || fail report-empty-period-exit-3 "rc $rc: $out"
out=$(rep --since yesterday 2>&1); rc=$?
[ $rc = 2 ] && printf '%s' "$out" | grep -q "invalid time 'yesterday' for --since" \
  && pass report-bad-since-exit-2 || fail report-bad-since-exit-2 "rc $rc: $out"

# 5. live: a leaking child and a steady child, recorded and reported
L=$BUILD/helpers/leaker
if [ ! -x "$L" ]; then fail report-live-leaker "helper $L not built"; exit 0; fi
"$L" 2 100 16 1024 & leak=$!; pids+=("$leak")
"$L" 0 100 64 & steady=$!; pids+=("$steady")
sleep 0.3
LH=$TMP/live.db
if ! "$BIN" watch --record --history "$LH" --interval 0.2 --count 50 --top-n 5 \
    --target "helpers/leaker" >"$TMP/w.out" 2>"$TMP/w.err"; then
  fail report-live-leaker "watch failed: $(cat "$TMP/w.err")"; exit 0
fi
j=$("$BIN" report --history "$LH" --leak-window 10s --since 1m --top 1000 --json 2>"$TMP/err")
flagged=$(printf '%s' "$j" | jq -c '[.leaks[] | select(.kind == "process") | .pid]')
rate=$(printf '%s' "$j" | jq --argjson p "$leak" '[.leaks[] | select(.pid == $p) | .rate_bytes_per_hour / 1048576 / 3600][0] // 0')
if printf '%s' "$flagged" | jq -e --argjson p "$leak" 'index($p) != null' >/dev/null \
  && awk -v r="$rate" 'BEGIN { exit !(r > 14 && r < 26) }'; then
  pass "report-live-leaker-flagged (pid $leak, $rate MiB/s, expected 20)"
else fail report-live-leaker-flagged "flagged $flagged, rate $rate MiB/s: $(cat "$TMP/err")"; fi
if printf '%s' "$flagged" | jq -e --argjson p "$steady" 'index($p) == null' >/dev/null \
  && printf '%s' "$j" | jq -e --argjson p "$steady" '[.offenders.by_peak[] | select(.pid == $p)] | length == 1' >/dev/null; then
  pass report-live-steady-not-flagged
else fail report-live-steady-not-flagged "flagged $flagged (steady $steady)"; fi
md=$("$BIN" report --history "$LH" --leak-window 10s --since 1m)
printf '%s' "$md" | grep -Eq "^- pid $leak .*: \+[0-9.]+ [GM]iB/h over [0-9.]+ s" \
  && pass report-live-leak-text || fail report-live-leak-text "$(printf '%s' "$md" | grep -A5 'Leak')"

# 6. the leak reaches the problems engine: status names it when a history is recorded
ST=$TMP/state; mkdir -p "$ST"
"$L" 2 100 16 1024 & leak2=$!; pids+=("$leak2")
sleep 0.3
"$BIN" --state-dir "$ST" watch --record --interval 0.2 --count 30 --top-n 5 --target "helpers/leaker" \
  >/dev/null 2>"$TMP/w2.err" || { fail status-leak-finding "watch failed: $(cat "$TMP/w2.err")"; exit 0; }
sj=$("$BIN" --state-dir "$ST" status --no-rates --json 2>"$TMP/err")
if printf '%s' "$sj" | jq -e --argjson p "$leak2" '[.findings[] | select(.id == "memory-leak" and .pid == $p)] | length == 1' >/dev/null; then
  pass status-leak-finding
else fail status-leak-finding "$(printf '%s' "$sj" | jq -c '[.findings[] | {id, pid, value}]') $(cat "$TMP/err")"; fi
# 7. check shows the same leak suspect (README: status and check list them)
cj=$("$BIN" --state-dir "$ST" check --no-rates --json 2>"$TMP/err")
ct=$("$BIN" --state-dir "$ST" check --no-rates 2>"$TMP/err")
if printf '%s' "$cj" | jq -e --argjson p "$leak2" '[.leak_suspects[] | select(.id == "memory-leak" and .pid == $p)] | length == 1' >/dev/null &&
  printf '%s' "$ct" | grep -q "^Leak suspects" && printf '%s' "$ct" | grep -q "pid $leak2 "; then
  pass check-leak-suspects
else fail check-leak-suspects "$(printf '%s' "$cj" | jq -c .leak_suspects) $(cat "$TMP/err")"; fi
exit 0
