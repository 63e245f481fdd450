#!/usr/bin/env bash
# Live checks of `watch` and the history store on the real host:
#   - `watch --count 3 --interval 0.2` prints 3 lines about 0.2 s apart;
#   - a stopped watcher reports "missed N tick(s)" instead of skipping silently;
#   - SIGTERM ends a recording cleanly (exit 0, every printed tick stored);
#   - a second writer on the same history is refused naming the first pid;
#   - SIGKILL mid-recording loses no committed tick (rows >= printed lines);
#   - the history file is mode 0600;
#   - --screen (in tmux) draws, redraws at once on a resize, quits on q, and
#     restores the terminal.
set -u
BIN=${MB_BIN:?}
TAG=history-watch-$$
TMP=$(mktemp -d /tmp/$TAG.XXXXXX)
TMUX_SESSION=$TAG
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  tmux kill-session -t "$TMUX_SESSION" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

# Rows in the history, through `report --json`.
rows() {
  "$BIN" report --history "$1" --since 1h --json 2>/dev/null | jq '.period.samples' 2>/dev/null || echo 0
}

# 1. three lines, 0.2 s apart
out=$("$BIN" watch --count 3 --interval 0.2 --json 2>"$TMP/err"); rc=$?
n=$(printf '%s\n' "$out" | grep -c '^{')
if [ $rc = 0 ] && [ "$n" = 3 ]; then
  gaps=$(printf '%s\n' "$out" | jq -s -r '[.[1].time - .[0].time, .[2].time - .[1].time] | map(tostring) | join(" ")')
  ok=1
  for g in $gaps; do
    awk -v g="$g" 'BEGIN { exit !(g > 0.15 && g < 0.35) }' || ok=0
  done
  [ $ok = 1 ] && pass "watch-count-3-spacing (gaps $gaps)" || fail watch-count-3-spacing "gaps $gaps"
else
  fail watch-count-3-spacing "rc $rc, $n lines: $out $(cat "$TMP/err")"
fi
out=$("$BIN" watch --count 3 --interval 0.2); n=$(printf '%s\n' "$out" | grep -c ' ram .* used .* avail ')
[ "$n" = 3 ] && pass watch-text-3-lines || fail watch-text-3-lines "$out"
out=$("$BIN" watch --count 2 --interval 0.1 --csv)
[ "$(printf '%s\n' "$out" | wc -l)" = 3 ] && printf '%s\n' "$out" | head -1 | grep -q '^time,ram_used_bytes,' \
  && pass watch-csv || fail watch-csv "$out"

# 2. a missed tick is reported
"$BIN" watch --interval 0.1 --count 30 >"$TMP/m.out" 2>"$TMP/m.err" & w=$!; pids+=("$w")
sleep 0.5; kill -STOP "$w"; sleep 1; kill -CONT "$w"
wait "$w"; rc=$?
if [ $rc = 0 ] && grep -Eq '^membudget watch: missed [0-9]+ tick\(s\)$' "$TMP/m.err"; then
  pass "watch-missed-ticks ($(head -1 "$TMP/m.err"))"
else fail watch-missed-ticks "rc $rc, stderr: $(cat "$TMP/m.err")"; fi

# 3. recording, SIGTERM, second writer, file mode
H=$TMP/h.db
"$BIN" watch --record --history "$H" --interval 0.2 >"$TMP/r.out" 2>"$TMP/r.err" & w=$!; pids+=("$w")
sleep 1.2
out=$("$BIN" watch --record --history "$H" --count 1 2>&1); rc=$?
if [ $rc = 3 ] && printf '%s' "$out" | grep -q "history $H is being written by pid $w"; then
  pass second-writer-refused
else fail second-writer-refused "rc $rc: $out"; fi
kill -TERM "$w"; wait "$w"; rc=$?
lines=$(wc -l <"$TMP/r.out"); r=$(rows "$H")
if [ $rc = 0 ] && [ "$lines" -ge 4 ] && [ "$r" = "$lines" ]; then
  pass "sigterm-clean ($lines ticks printed, $r stored)"
else fail sigterm-clean "rc $rc, $lines lines, $r rows: $(cat "$TMP/r.err")"; fi
mode=$(stat -c %a "$H")
[ "$mode" = 600 ] && pass history-mode-0600 || fail history-mode-0600 "mode $mode"
# the lock is free again
"$BIN" watch --record --history "$H" --count 1 --interval 0.1 >/dev/null 2>&1 \
  && pass lock-released || fail lock-released "a new writer was refused after SIGTERM"

# 4. SIGKILL mid-recording: nothing committed is lost
K=$TMP/k.db
"$BIN" watch --record --history "$K" --interval 0.1 --top-n 50 >"$TMP/k.out" 2>&1 & w=$!; pids+=("$w")
sleep 1.5; kill -KILL "$w"; wait "$w" 2>/dev/null
lines=$(grep -c ' ram ' "$TMP/k.out"); r=$(rows "$K")
# Each line is printed after its tick committed; a tick may have committed
# just before the kill without its line.
if [ "$lines" -ge 5 ] && [ "$r" -ge "$lines" ] && [ "$r" -le $((lines + 1)) ]; then
  pass "sigkill-keeps-committed ($lines printed, $r stored)"
else fail sigkill-keeps-committed "$lines printed, $r stored"; fi
"$BIN" watch --record --history "$K" --count 1 --interval 0.1 >/dev/null 2>&1 \
  && pass lock-freed-after-sigkill || fail lock-freed-after-sigkill "refused after SIGKILL"

# 5. --screen in tmux
if ! command -v tmux >/dev/null; then
  skip watch-screen "tmux not installed"
else
  tmux new-session -d -s "$TMUX_SESSION" -x 120 -y 40 \
    "printf 'before-screen\n'; '$BIN' watch --screen --interval 0.2; echo EXIT=\$?; sleep 30"
  sleep 1.5
  scr=$(tmux capture-pane -p -t "$TMUX_SESSION")
  if printf '%s' "$scr" | grep -q 'membudget watch' && printf '%s' "$scr" | grep -q 'RSS+SWAP'; then
    tmux send-keys -t "$TMUX_SESSION" q
    sleep 1
    scr2=$(tmux capture-pane -p -t "$TMUX_SESSION")
    if printf '%s' "$scr2" | grep -q 'EXIT=0' && printf '%s' "$scr2" | grep -q before-screen \
      && ! printf '%s' "$scr2" | grep -q 'RSS+SWAP'; then
      pass watch-screen-q-restores
    else fail watch-screen-q-restores "after q: $scr2"; fi
  else
    fail watch-screen-q-restores "screen not drawn: $scr"
  fi
  tmux kill-session -t "$TMUX_SESSION" 2>/dev/null
  # a resize redraws the last frame at once (no tick comes in 60 s)
  tmux new-session -d -s "$TMUX_SESSION" -x 70 -y 10 "'$BIN' watch --screen --interval 60"
  sleep 1.5
  small=$(tmux capture-pane -p -t "$TMUX_SESSION" | grep -c .)
  tmux resize-window -t "$TMUX_SESSION" -x 150 -y 45
  sleep 1
  scr=$(tmux capture-pane -p -t "$TMUX_SESSION")
  big=$(printf '%s\n' "$scr" | grep -c .)
  if [ "$small" -le 10 ] && [ "$big" -gt 10 ] && printf '%s' "$scr" | grep -q 'RSS+SWAP'; then
    pass "watch-screen-resize-redraws ($small lines, then $big)"
  else fail watch-screen-resize-redraws "$small lines, then $big: $scr"; fi
  tmux kill-session -t "$TMUX_SESSION" 2>/dev/null
fi
# 6. check's "monitoring recorded" reads the last sample (issue 15 item 16):
# a fresh garbage file does not count, one recorded tick does.
mkdir -p "$TMP/chk"
printf 'not a history\n' >"$TMP/chk/history.db"
out=$("$BIN" --state-dir "$TMP/chk" check --no-rates 2>&1)
if printf '%s' "$out" | grep -q '\[ \] monitoring recorded in the last hour: .*not a readable history'; then
  pass check-garbage-history-not-counted
else fail check-garbage-history-not-counted "$(printf '%s' "$out" | grep monitoring)"; fi
rm -f "$TMP/chk/history.db"
"$BIN" --state-dir "$TMP/chk" watch --record --count 1 --interval 0.1 >/dev/null 2>&1
out=$("$BIN" --state-dir "$TMP/chk" check --no-rates 2>&1)
if printf '%s' "$out" | grep -q '\[x\] monitoring recorded in the last hour: .*last sample 0 min ago'; then
  pass check-recorded-history-counted
else fail check-recorded-history-counted "$(printf '%s' "$out" | grep -A1 monitoring)"; fi
exit 0
