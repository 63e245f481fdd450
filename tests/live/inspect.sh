#!/usr/bin/env bash
# Live checks of `membudget inspect` against tests/helpers/maptest:
#   - basic: 48 MiB anonymous, 32 MiB heap (sbrk), 24 MiB /dev/shm segment,
#     16 MiB file on disk, 8 MiB file on a fresh tmpfs mount (root): each in
#     its kind with its size ±5 %;
#   - share: two forked children sharing 64 MiB: each child's PSS for it is
#     ~32 MiB, USS excludes it, and the --match summary lists it once with
#     64 MiB PSS summed over 2 processes;
#   - grow: --watch on a child growing an anonymous region names "anon" as
#     the growing kind; every other kind steady (< 1 MiB);
#   - smaps is opened once per process per sample, only for the chosen ones;
#   - errors: another user's process as nobody -> exit 3 "run as root";
#     membudget never matches itself.
# Children, files, the shm segment and the tmpfs mount go away on every path.
set -u
BIN=${MB_BIN:?} HELP=${MB_BUILD:?}/helpers
TAG=inspect-live-$$
WORK=$(mktemp -d "${MB_BUILD}/$TAG-XXXXXX")
TMPFS=""
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "$TMPFS" ] && mountpoint -q "$TMPFS"; then umount "$TMPFS" 2>/dev/null || umount -l "$TMPFS"; fi
  rm -f /dev/shm/inspect-maptest-* 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

# Start maptest and wait for its "ready" line.  Sets $child and $ready.
start_maptest() {
  local fifo="$WORK/fifo.$RANDOM"
  mkfifo "$fifo"
  "$HELP/maptest" "$@" >"$fifo" & child=$!
  pids+=("$child")
  ready=$(timeout 60 head -n1 "$fifo")
  rm -f "$fifo"
  case "$ready" in ready*) return 0;; esac
  return 1
}

# within VALUE WANT: VALUE within ±5 % of WANT
within() { [ "$1" -ge $(($2 * 95 / 100)) ] && [ "$1" -le $(($2 * 105 / 100)) ]; }

[ -x "$HELP/maptest" ] || { fail inspect-helper "no $HELP/maptest (make helpers)"; exit 0; }
command -v jq >/dev/null || { skip inspect-live "jq is not installed"; exit 0; }
MIB=$((1 << 20))

# 1. basic: each region in its kind
if [ "$(id -u)" = 0 ]; then
  TMPFS="$WORK/tmpfs"; mkdir -p "$TMPFS"
  mount -t tmpfs -o size=32m "$TAG" "$TMPFS" || TMPFS=""
fi
filekind=file
[ "$(stat -f -c %T "$WORK")" = tmpfs ] && filekind=tmpfs
if start_maptest basic "$WORK" ${TMPFS:+"$TMPFS"}; then
  basic=$child
  j=$("$BIN" inspect "$basic" --json --top 20)
  k() { printf '%s' "$j" | jq -r ".processes[0].kinds.$1.rss_bytes"; }
  for spec in anon:48 heap:32 shm:24 $filekind:16; do
    kind=${spec%%:*} want=$((${spec#*:} * MIB))
    got=$(k "$kind")
    [ "$filekind" = tmpfs ] && [ "$kind" = tmpfs ] && [ -n "$TMPFS" ] && want=$((want + 8 * MIB))
    if within "$got" "$want"; then pass "inspect-basic-$kind ($got bytes)"
    else fail "inspect-basic-$kind" "rss $got, expected $want ±5 %"; fi
  done
  if [ -n "$TMPFS" ] && [ "$filekind" = file ]; then
    got=$(k tmpfs)
    within "$got" $((8 * MIB)) && pass "inspect-basic-tmpfs ($got bytes)" \
      || fail inspect-basic-tmpfs "rss $got, expected 8 MiB ±5 %"
  elif [ -z "$TMPFS" ]; then
    skip inspect-basic-tmpfs "needs root to mount a tmpfs"
  fi
  # the shm segment and the data file are named in the mappings, with their kind
  n=$(printf '%s' "$j" | jq "[.processes[0].mappings[] | select(.kind==\"shm\" and (.path|test(\"^/dev/shm/inspect-maptest-\")))] | length")
  [ "$n" = 1 ] && pass inspect-basic-shm-mapping || fail inspect-basic-shm-mapping "$n shm mappings named /dev/shm/inspect-maptest-*"
  n=$(printf '%s' "$j" | jq "[.processes[0].mappings[] | select(.kind==\"$filekind\" and (.path|endswith(\"/inspect-maptest-data\")))] | length")
  [ "$n" = 1 ] && pass inspect-basic-file-mapping || fail inspect-basic-file-mapping "$n mappings of inspect-maptest-data"
  # totals agree with smaps_rollup
  rollup=$(awk '/^Rss:/{print $2*1024}' "/proc/$basic/smaps_rollup")
  tot=$(printf '%s' "$j" | jq .processes[0].totals.rss_bytes)
  [ "$rollup" = "$tot" ] && pass inspect-basic-total-equals-rollup || fail inspect-basic-total-equals-rollup "$tot != smaps_rollup Rss $rollup"
  # the table names the kinds too
  t=$("$BIN" inspect "$basic")
  if printf '%s' "$t" | grep -q "^anonymous mmap" && printf '%s' "$t" | grep -q "^shared memory" \
     && printf '%s' "$t" | grep -q "LARGEST MAPPINGS (10 of"; then pass inspect-basic-table
  else fail inspect-basic-table "$t"; fi

  # errors: as nobody, smaps of a root process is unreadable
  if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" inspect "$basic" 2>&1); rc=$?
    if [ $rc = 3 ] && printf '%s' "$out" | grep -q "run as root"; then pass inspect-eacces
    else fail inspect-eacces "exit $rc: $out"; fi
  else skip inspect-eacces "needs root and setpriv"; fi
  kill -TERM "$basic"; wait "$basic" 2>/dev/null
else
  fail inspect-basic "maptest basic did not start"
fi

# 2. share: two children sharing 64 MiB
STOKEN="inspect-share-$$"
if start_maptest share "$STOKEN"; then
  set -- $ready; c1=$2 c2=$3
  ok=1
  for c in "$c1" "$c2"; do
    j=$("$BIN" inspect "$c" --json)
    pss=$(printf '%s' "$j" | jq .processes[0].kinds.shm.pss_bytes)
    uss=$(printf '%s' "$j" | jq .processes[0].kinds.shm.uss_bytes)
    rss=$(printf '%s' "$j" | jq .processes[0].kinds.shm.rss_bytes)
    totuss=$(printf '%s' "$j" | jq .processes[0].totals.uss_bytes)
    within "$pss" $((32 * MIB)) || { ok=0; fail inspect-share-pss "child $c: shm PSS $pss, expected 32 MiB ±5 %"; }
    within "$rss" $((64 * MIB)) || { ok=0; fail inspect-share-rss "child $c: shm RSS $rss, expected 64 MiB ±5 %"; }
    [ "$uss" -lt "$MIB" ] && [ "$totuss" -lt $((8 * MIB)) ] || { ok=0; fail inspect-share-uss "child $c: shm USS $uss, total USS $totuss"; }
  done
  [ $ok = 1 ] && pass "inspect-share-pss-splits-uss-excludes"
  # the --match summary: the 64 MiB region once
  j=$("$BIN" inspect --match "^[^ ]*maptest share $STOKEN" --json)
  np=$(printf '%s' "$j" | jq '.processes | length')
  rows=$(printf '%s' "$j" | jq '[.summary.shared[] | select(.kind=="shm" and .name=="shared anonymous")]')
  nrows=$(printf '%s' "$rows" | jq length)
  spss=$(printf '%s' "$rows" | jq '.[0].pss_bytes // 0')
  sprocs=$(printf '%s' "$rows" | jq '.[0].processes // 0')
  if [ "$np" = 3 ] && [ "$nrows" = 1 ] && [ "$sprocs" = 2 ] && within "$spss" $((64 * MIB)); then
    pass "inspect-share-summary-once (pss $spss over $sprocs processes)"
  else fail inspect-share-summary-once "processes $np, rows $nrows, procs $sprocs, pss $spss"; fi
  t=$("$BIN" inspect --match "^[^ ]*maptest share $STOKEN")
  printf '%s' "$t" | grep -q "^SUMMARY: 3 processes" && printf '%s' "$t" | grep -q "^shm *shared anonymous *2 " \
    && pass inspect-share-summary-table || fail inspect-share-summary-table "$(printf '%s' "$t" | tail -8)"

  # cost: smaps opened once per matched process, never for the others
  if command -v strace >/dev/null; then
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -e trace=openat,open -o "$WORK/strace" "$BIN" inspect --match "^[^ ]*maptest share $STOKEN" >/dev/null 2>&1
    n=$(grep -c '"smaps"' "$WORK/strace") n2=$(grep -c 'smaps' "$WORK/strace")
    if [ "$n" = 3 ] && [ "$n2" = 3 ]; then pass "inspect-smaps-once-per-process"
    else fail inspect-smaps-once-per-process "smaps opened $n times ($n2 smaps opens in all) for 3 processes"; fi
  else skip inspect-smaps-once-per-process "strace is not installed"; fi
  kill -TERM "$child"; wait "$child" 2>/dev/null
else
  fail inspect-share "maptest share did not start"
fi

# 3. grow: --watch names the anonymous region as the growing kind
if start_maptest grow 8; then
  grow=$child
  out=$("$BIN" inspect "$grow" --watch 1 --count 4 --json)
  last=$(printf '%s\n' "$out" | tail -1)
  kind=$(printf '%s' "$last" | jq -r '.processes[0].growing.kind // "none"')
  delta=$(printf '%s' "$last" | jq '.processes[0].since_start.anon.delta_bytes')
  others=$(printf '%s' "$last" | jq '[.processes[0].since_start | to_entries[] | select(.key != "anon") | .value.delta_bytes | fabs] | max')
  lines=$(printf '%s\n' "$out" | wc -l)
  if [ "$kind" = anon ] && [ "$delta" -ge $((16 * MIB)) ] && [ "$others" -lt "$MIB" ] && [ "$lines" = 4 ]; then
    pass "inspect-watch-anon-grows (anon +$delta bytes, others within $others bytes)"
  else fail inspect-watch-anon-grows "growing $kind, anon delta $delta, others $others, $lines lines"; fi
  t=$("$BIN" inspect "$grow" --watch 0.5 --count 3)
  printf '%s' "$t" | grep -q "^growing: anonymous mmap" && pass inspect-watch-table \
    || fail inspect-watch-table "$t"
  kill -TERM "$grow"; wait "$grow" 2>/dev/null
  # the process goes away during --watch: it says so and stops
  if start_maptest grow 1; then
    g=$child
    ( sleep 1.2; kill -TERM "$g" ) &
    out=$(timeout 20 "$BIN" inspect "$g" --watch 0.5 --count 100 2>&1); rc=$?
    printf '%s' "$out" | grep -q "exited" && [ $rc = 0 ] && pass inspect-watch-exit \
      || fail inspect-watch-exit "exit $rc: $out"
    wait "$g" 2>/dev/null
    wait 2>/dev/null
  fi
else
  fail inspect-grow "maptest grow did not start"
fi

# 4. membudget never matches itself
out=$("$BIN" inspect --match "$TAG-no-such-thing" 2>&1); rc=$?
[ $rc = 3 ] && printf '%s' "$out" | grep -q "no process matches" && pass inspect-excludes-self \
  || fail inspect-excludes-self "exit $rc: $out"
exit 0
