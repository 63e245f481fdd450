#!/usr/bin/env bash
# safety.sh: issue 15's safety and trust items against the real kernel (root,
# cgroup v1 memory or v2, a swap file): the swap cycle refused for a memory
# cgroup over its limit, limit --match never taking PID 1 or membudget's
# ancestors, files other users could write refused as root, a torn journal
# repaired, undo --dry-run's hint, run --check's exit code on an OOM kill,
# stale temp files removed.  Everything created is named mbtest-act-safety*
# and removed by the trap, on every path.
set -u
BIN=${MB_BIN:?} BUILD=${MB_BUILD:?}
HOG=$BUILD/helpers/hog
T=$(mktemp -d /tmp/mbtest-act-safety.XXXXXX)
SW=/var/tmp/mbtest-act-safety.swap
CG=""
PIDS=()
export MEMBUDGET_ETC_ROOT=$T/etcroot
ST=$T/state

cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "$CG" ] && [ -d "$CG" ]; then
    for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
      echo "$p" >"$(dirname "$CG")/cgroup.procs" 2>/dev/null
    done
    rmdir "$CG" 2>/dev/null
  fi
  for d in /sys/fs/cgroup/memory/membudget/mbtest-act-safety* /sys/fs/cgroup/membudget/mbtest-act-safety*; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  rmdir /sys/fs/cgroup/memory/membudget /sys/fs/cgroup/membudget 2>/dev/null
  grep -q "^$SW " /proc/swaps && swapoff "$SW"
  rm -f "$SW"
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

if [ "$(id -u)" != 0 ]; then
  skip safety "not root"; exit 0
fi
mkdir -p "$MEMBUDGET_ETC_ROOT" "$ST"
chmod 700 "$ST"

# --- 15.1: swap cycle refused while a memory cgroup holds more than its limit
if [ -d /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
  CG=/sys/fs/cgroup/memory/mbtest-act-safety-$$
  LIMITF=memory.limit_in_bytes
elif [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.subtree_control; then
  CG=/sys/fs/cgroup/mbtest-act-safety-$$
  LIMITF=memory.max
fi
if [ -z "$CG" ]; then
  skip swap-cycle-cgroup "no memory cgroup controller"
elif ! { fallocate -l 256M "$SW" 2>/dev/null || dd if=/dev/zero of="$SW" bs=1M count=256 status=none; } \
     || ! chmod 600 "$SW" || ! mkswap -q "$SW" >/dev/null 2>&1 || ! swapon "$SW" 2>/dev/null; then
  skip swap-cycle-cgroup "cannot enable a swap file on /var/tmp"
  CG=""
else
  mkdir "$CG" && echo $((64 << 20)) >"$CG/$LIMITF"
  [ -f "$CG/memory.swappiness" ] && echo 100 >"$CG/memory.swappiness"
  sh -c "echo \$\$ > $CG/cgroup.procs; exec $HOG 150 60" &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    sw=$(awk '/^total_swap /{print $2} /^swap /{s=$2} END{}' "$CG/memory.stat" 2>/dev/null | head -1)
    [ -f "$CG/memory.swap.current" ] && sw=$(cat "$CG/memory.swap.current")
    [ "${sw:-0}" -gt $((60 << 20)) ] && break
    sleep 0.1
  done
  before=$(awk 'NR>1 {print $1, $5}' /proc/swaps)
  out=$("$BIN" tune --swap-cycle --apply --state-dir "$ST" 2>&1); rc=$?
  if [ "$rc" = 3 ] && grep -q "swap cycle refused: cgroup $CG uses" <<<"$out" \
     && grep -q "swapoff would make its OOM killer kill" <<<"$out" \
     && [ "$(awk 'NR>1 {print $1, $5}' /proc/swaps)" = "$before" ] && ! grep -q "swap cycle allowed" <<<"$out" \
     && [ ! -e "$MEMBUDGET_ETC_ROOT/etc/sysctl.d/60-membudget.conf" ] && kill -0 "${PIDS[0]}" 2>/dev/null; then
    pass swap-cycle-cgroup-refused
  else
    fail swap-cycle-cgroup-refused "rc=$rc swap=${sw:-?} $out"
  fi
  kill -9 "${PIDS[0]}" 2>/dev/null; wait 2>/dev/null
fi

# --- 15.24: run --check exits 1 (not 137) when the OOM killer struck -------
out=$("$BIN" run --max 32M --swap-max 0 --check -- "$HOG" 200 2>&1); rc=$?
if [ "$rc" = 1 ] && grep -q "by the OOM killer" <<<"$out"; then
  pass run-check-oom-exit-1
elif grep -q "without a cgroup" <<<"$out"; then
  skip run-check-oom-exit-1 "no cgroup here"
else
  fail run-check-oom-exit-1 "rc=$rc $out"
fi

# --- 15.2: limit --match never takes PID 1 or membudget's ancestors ---------
# (the pattern is in this shell's and sudo's command lines too)
# Two processes of its own always match (the host may have no other one).
bash -c 'exec -a mbtest-act-safety-victim sleep 300' & v1=$!; PIDS+=($v1)
bash -c 'exec -a mbtest-act-safety-victim sleep 300' & v2=$!; PIDS+=($v2)
sleep 0.3
out=$(bash -c "exec -a mbtest-act-safety-launcher $BIN limit --match 'mbtest-act-safety|^' --max 1G --user root --name mbtest-act-safety-m --state-dir $ST" 2>&1); rc=$?
if [ "$rc" = 0 ] && grep -qE "[0-9]+ processes match \(user root\)" <<<"$out" \
   && grep -qE "pid $v1\b" <<<"$out" && grep -qE "pid $v2\b" <<<"$out" \
   && ! grep -qE "pid (1|$$)\b|mbtest-act-safety-launcher" <<<"$out"; then
  pass limit-match-excludes
else
  fail limit-match-excludes "rc=$rc v1=$v1 v2=$v2 shell=$$ $(grep -vE '^ACTION' <<<"$out" | cut -c1-100 | tail -n 30)"
fi
# 20 processes of root's that match (whatever else runs on this host)
for i in $(seq 1 20); do bash -c 'exec -a mbtest-act-safety-many sleep 300' & PIDS+=($!); done
sleep 0.3
out=$("$BIN" limit --match 'mbtest-act-safety-man[y]' --max 1G --name mbtest-act-safety-m --state-dir "$ST" 2>&1); rc=$?
n=$(grep -c "^cgroup-move" <<<"$out")
if [ "$n" -gt 16 ] && grep -q "more than 16: narrow the pattern, or give --user NAME or --force" <<<"$out" \
   && ! "$BIN" limit --match 'mbtest-act-safety-man[y]' --max 1G --name mbtest-act-safety-m --state-dir "$ST" --apply >/dev/null 2>&1 \
   && [ ! -d /sys/fs/cgroup/memory/membudget/mbtest-act-safety-m ] && [ ! -d /sys/fs/cgroup/membudget/mbtest-act-safety-m ] \
   && [ ! -d /sys/fs/cgroup/system.slice/membudget-match-mbtest-act-safety-m.scope ]; then
  pass limit-match-too-many-refused
else
  fail limit-match-too-many-refused "rc=$rc $(tail -c 600 <<<"$out")"
fi

# --- 15.7 / 15.13: as root, a configuration others can write, or a FIFO ------
printf '{"memory": {"ram_max_mb": 100}}\n' >"$T/conf.json"
chmod 666 "$T/conf.json"
out=$("$BIN" -c "$T/conf.json" config check 2>&1); rc=$?
if [ "$rc" = 2 ] && grep -q "writable by group or others (mode 0666): refusing to load it as root" <<<"$out"; then
  pass config-group-writable-refused
else
  fail config-group-writable-refused "rc=$rc $out"
fi
chmod 644 "$T/conf.json"; chown nobody "$T/conf.json"
out=$("$BIN" -c "$T/conf.json" status 2>&1); rc=$?
if [ "$rc" = 2 ] && grep -q "owned by uid $(id -u nobody), not root" <<<"$out"; then
  pass config-other-owner-refused
else
  fail config-other-owner-refused "rc=$rc $out"
fi
mkfifo "$T/fifo.json"
out=$(timeout 5 "$BIN" -c "$T/fifo.json" config check 2>&1); rc=$?
if [ "$rc" = 2 ] && grep -q "not a regular file" <<<"$out"; then
  pass config-fifo-no-block
else
  fail config-fifo-no-block "rc=$rc $out"
fi

# --- 15.8: a state directory or journal others can write is refused ---------
mkdir -p "$T/badstate" && chmod 777 "$T/badstate"
out=$("$BIN" undo --state-dir "$T/badstate" 2>&1); rc=$?
if [ "$rc" = 3 ] && grep -q "writable by group or others (mode 0777); refusing to use it" <<<"$out"; then
  pass state-dir-refused
else
  fail state-dir-refused "rc=$rc $out"
fi
mkdir -p "$T/st2" && chmod 700 "$T/st2"
printf '{"time":1,"run":"r1","seq":0,"action":"file","target":"%s/evil","previous":"x","new":null}\n' "$T" >"$T/st2/journal.jsonl"
chown nobody "$T/st2/journal.jsonl"
out=$("$BIN" undo --state-dir "$T/st2" 2>&1); rc=$?
if [ "$rc" = 3 ] && grep -q "owned by uid" <<<"$out" && [ ! -e "$T/evil" ]; then
  pass journal-other-owner-refused
else
  fail journal-other-owner-refused "rc=$rc $out"
fi
chown root "$T/st2/journal.jsonl"; chmod 600 "$T/st2/journal.jsonl"
out=$("$BIN" undo --state-dir "$T/st2" 2>&1); rc=$?
if [ "$rc" = 3 ] && grep -q "which membudget never writes" <<<"$out" && [ ! -e "$T/evil" ]; then
  pass journal-foreign-path-refused
else
  fail journal-foreign-path-refused "rc=$rc $out"
fi

# --- 15.11: a torn journal tail is cut off; undo goes on ---------------------
cur=$(cat /proc/sys/vm/swappiness)
mkdir -p "$T/st3" && chmod 700 "$T/st3"
printf '{"time":1,"run":"r0","seq":0,"action":"file","target":"%s/etc/sysctl.d/60-membudget.conf","previous":null,"new":"vm.swappiness = %s\\n"}\n{"time":2,"run":"r1","se' "$MEMBUDGET_ETC_ROOT" "$cur" >>"$T/st3/journal.jsonl"
chmod 600 "$T/st3/journal.jsonl"
mkdir -p "$MEMBUDGET_ETC_ROOT/etc/sysctl.d"
echo "vm.swappiness = $cur" >"$MEMBUDGET_ETC_ROOT/etc/sysctl.d/60-membudget.conf"
out=$("$BIN" undo --dry-run --state-dir "$T/st3" 2>&1); rc=$?
if [ "$rc" = 0 ] && grep -q "run membudget undo without --dry-run as root" <<<"$out" && ! grep -q "add --apply" <<<"$out"; then
  pass undo-dry-run-hint
else
  fail undo-dry-run-hint "rc=$rc $out"
fi
out=$("$BIN" undo --state-dir "$T/st3" 2>&1); rc=$?
tail_ok=$(tail -c 1 "$T/st3/journal.jsonl" | od -An -c | tr -d ' ')
if [ "$rc" = 0 ] && grep -q "torn" <<<"$out" && [ "$tail_ok" = '\n' ] \
   && [ ! -e "$MEMBUDGET_ETC_ROOT/etc/sysctl.d/60-membudget.conf" ] && ! grep -q '"se{' "$T/st3/journal.jsonl"; then
  pass journal-torn-tail-repaired
else
  fail journal-torn-tail-repaired "rc=$rc tail=$tail_ok $out"
fi
# a corrupt line in the middle: skipped with a warning
sed -i '1i garbage' "$T/st3/journal.jsonl"
out=$("$BIN" undo --all --dry-run --state-dir "$T/st3" 2>&1); rc=$?
if [ "$rc" = 0 ] && grep -q "journal.jsonl:1: 1 corrupt line skipped" <<<"$out"; then
  pass journal-corrupt-line-skipped
else
  fail journal-corrupt-line-skipped "rc=$rc $out"
fi

# --- 15.17: stale temp files of a killed run are removed ---------------------
D=$MEMBUDGET_ETC_ROOT/etc/sysctl.d
touch -d '2 hours ago' "$D/60-membudget.conf.tmp.AbC123"
touch "$D/60-membudget.conf.tmp.XyZ789"
echo "vm.swappiness = 1" >"$D/60-membudget.conf"
"$BIN" tune --swappiness "$cur" --apply --state-dir "$T/st4" >/dev/null 2>&1; rc=$?
if [ ! -e "$D/60-membudget.conf.tmp.AbC123" ] && [ -e "$D/60-membudget.conf.tmp.XyZ789" ]; then
  pass stale-temp-removed
else
  fail stale-temp-removed "rc=$rc $(ls "$D")"
fi
