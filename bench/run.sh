#!/usr/bin/env bash
# bench/run.sh: membudget against the kernel's floor and the usual tools.
#
#   bench/run.sh [--quick] [--no-daemon] [--no-scaling] [--out DIR]
#
# 1. Spawns BENCH_N (default 2000) idle helpers touching 1, 2 or 3 MiB each;
#    every 4th one runs in a memory cgroup limited to half of what its
#    members touch, with a swap file on, so part of their memory is in swap.
# 2. One hyperfine run (HF_RUNS runs after HF_WARMUP warm-ups, output to
#    /dev/null) over: membudget procs (status columns; BPF and /proc
#    collectors), floor_status, ps, top -b -n1 with the SWAP column, atop -P
#    PRM; membudget procs (PSS columns), floor_rollup, ps pss/uss, smem,
#    smemstat; membudget status --no-rates, free; and the default `membudget
#    procs` (with command lines) against ps aux.  Prints medians and ratios.
# 3. CPU and RSS of `membudget watch --record` at 1 s and 10 s intervals over
#    DAEMON_S (default 60) seconds, from /proc/PID/stat and status.
# 4. Scaling: 200, 1000, 5000 and 10000 processes (extra helpers touch
#    256 KiB), per-process cost of each membudget command and the floors.
#
# Everything it creates (helpers, cgroup, swap file, temp dir, daemon) is
# removed on every exit path.  Needs root for the swap part (without root the
# helpers still run, nothing is swapped), hyperfine, python3, cc; ps, top,
# atop, smem, smemstat, free are measured when installed.
# Environment: BENCH_N, MB_BIN (default: build/membudget, else any
# build*/membudget), BENCH_TAG (prefix of the host objects, default mbbench),
# HF_RUNS, HF_WARMUP, DAEMON_S, SCALE_SIZES.
# --quick: 3 runs after 1 warm-up, 5 s daemon runs, scaling at 2 small sizes.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
QUICK=0 DAEMON=1 SCALING=1 OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-daemon) DAEMON=0 ;;
    --no-scaling) SCALING=0 ;;
    --out) OUT=${2:?--out needs a directory}; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
N=${BENCH_N:-2000}
case "$N" in ''|*[!0-9]*) echo "bench/run.sh: BENCH_N '$N' is not a number" >&2; exit 2 ;; esac
if [ "$QUICK" = 1 ]; then
  HF_RUNS=${HF_RUNS:-3} HF_WARMUP=${HF_WARMUP:-1} DAEMON_S=${DAEMON_S:-5}
  SCALE_SIZES=${SCALE_SIZES:-"$((N / 2 > 0 ? N / 2 : 1)) $N"}
else
  HF_RUNS=${HF_RUNS:-20} HF_WARMUP=${HF_WARMUP:-2} DAEMON_S=${DAEMON_S:-60}
  SCALE_SIZES=${SCALE_SIZES:-"200 1000 5000 10000"}
fi

MB=${MB_BIN:-}
if [ -z "$MB" ]; then
  for c in "$ROOT/build/membudget" "$ROOT"/build*/membudget; do
    [ -x "$c" ] && { MB=$c; break; }
  done
fi
[ -n "$MB" ] && [ -x "$MB" ] || { echo "bench/run.sh: no membudget binary (build it, or set MB_BIN)" >&2; exit 2; }
MB=$(cd "$(dirname "$MB")" && pwd)/$(basename "$MB")
for t in hyperfine python3 cc; do
  command -v "$t" >/dev/null || { echo "bench/run.sh: needs $t" >&2; exit 2; }
done

TAG=${BENCH_TAG:-mbbench}-$$
TMP=$(mktemp -d "/tmp/$TAG.XXXXXX")
OUT=${OUT:-$TMP/results}
mkdir -p "$OUT"
SWAPFILE=/var/tmp/$TAG.swap
CG="" CGPROCS="" SWAPON=0 DPID=""
HPIDS=() # helpers, oldest first

# A live (not zombie) helper of ours: guards against PID reuse.  No fork.
is_ours() {
  local st
  { read -r st < "/proc/$1/stat"; } 2>/dev/null || return 1
  [[ $st == *"(memhog) "[!Z]* ]]
}

# Stop the helpers HPIDS[from..] (all by default) and wait for them.
stop_helpers() {
  local from=${1:-0} live=() p
  for p in "${HPIDS[@]:$from}"; do is_ours "$p" && live+=("$p"); done
  if [ ${#live[@]} -gt 0 ]; then
    kill -KILL "${live[@]}" 2>/dev/null
    wait "${live[@]}" 2>/dev/null
  fi
  HPIDS=("${HPIDS[@]:0:$from}")
}

cleanup() {
  trap - EXIT INT TERM
  if [ -n "$DPID" ]; then kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; fi
  stop_helpers 0
  if [ -n "$CG" ] && [ -d "$CG" ]; then
    for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
    [ -d "$CG" ] && echo "bench/run.sh: warning: could not remove $CG" >&2
  fi
  if [ "$SWAPON" = 1 ] && grep -q "^$SWAPFILE " /proc/swaps; then
    swapoff "$SWAPFILE" || echo "bench/run.sh: warning: swapoff $SWAPFILE failed" >&2
  fi
  rm -f "$SWAPFILE"
  case "$OUT" in "$TMP"/*) echo "(results were in $OUT, removed with $TMP; use --out DIR to keep them)" ;; esac
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "bench/run.sh: interrupted" >&2; exit 130' INT TERM

# Floors and helper, built from the copies in bench/.
for f in floor_status floor_rollup memhog; do
  cc -O2 -std=c11 -o "$TMP/$f" "$HERE/$f.c" || { echo "bench/run.sh: cannot build $f" >&2; exit 1; }
done
mkdir -p "$TMP/topcfg/procps" && cp "$HERE/toprc_swap" "$TMP/topcfg/procps/toprc"
STATE=$TMP/state && mkdir -p "$STATE"

nprocs() { local n=0 d; for d in /proc/[0-9]*; do n=$((n + 1)); done; echo "$n"; }

# spawn COUNT KIB [every-4th-in-cgroup]
spawn() {
  local count=$1 kib=$2 cg=${3:-0} i k
  for ((i = 0; i < count; i++)); do
    k=$kib
    [ "$kib" = cycle ] && k=$((((${#HPIDS[@]}) % 3 + 1) * 1024))
    if [ "$cg" = 1 ] && [ -n "$CGPROCS" ] && ((${#HPIDS[@]} % 4 == 0)); then
      "$TMP/memhog" "$k" "$CGPROCS" </dev/null >/dev/null 2>&1 &
    else
      "$TMP/memhog" "$k" </dev/null >/dev/null 2>&1 &
    fi
    HPIDS+=("$!")
  done
}

# ---- 1. population ------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
  cg_kib=0
  for ((i = 0; i < N; i += 4)); do cg_kib=$((cg_kib + (i % 3 + 1) * 1024)); done
  MEMCG=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
  V2=$(awk '$3=="cgroup2" {print $2; exit}' /proc/mounts)
  if [ -n "$MEMCG" ]; then
    CG=$MEMCG/$TAG && mkdir "$CG" && echo $((cg_kib / 2 * 1024)) > "$CG/memory.limit_in_bytes" \
      && CGPROCS=$CG/cgroup.procs
  elif [ -n "$V2" ] && grep -qw memory "$V2/cgroup.controllers" 2>/dev/null; then
    CG=$V2/$TAG && mkdir "$CG" && echo $((cg_kib / 2 * 1024)) > "$CG/memory.max" \
      && CGPROCS=$CG/cgroup.procs
  fi
  swap_mib=$((cg_kib / 1024 + 64))
  if [ -n "$CGPROCS" ] && fallocate -l "${swap_mib}M" "$SWAPFILE" && chmod 600 "$SWAPFILE" \
     && mkswap -q "$SWAPFILE" >/dev/null && swapon "$SWAPFILE"; then
    SWAPON=1
  else
    echo "bench/run.sh: no memory cgroup or swap file: nothing will be swapped" >&2
    CGPROCS=""
  fi
fi
echo "spawning $N helpers ..."
t0=$(date +%s)
spawn "$N" cycle 1
sleep $((QUICK ? 1 : 3))
alive=0; for p in "${HPIDS[@]}"; do is_ours "$p" && alive=$((alive + 1)); done
swapped=$(awk -v f="$SWAPFILE" '$1==f {print int($4/1024)}' /proc/swaps)
echo "helpers alive: $alive of $N ($(( $(date +%s) - t0 )) s); MiB in our swap file: ${swapped:-0}; processes in /proc: $(nprocs)"

# ---- machine line ----------------------------------------------------------
{
  . /etc/os-release 2>/dev/null
  printf 'Machine: %s, Linux %s, %s CPUs (%s), %s MiB RAM\n' "${PRETTY_NAME:-?}" "$(uname -r)" \
    "$(nproc)" "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" \
    "$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)"
  printf 'Tools: %s; %s; %s; atop %s; smemstat %s; %s; membudget %s\n' \
    "$(ps --version 2>/dev/null | head -1)" "$(top -V 2>&1 | head -1)" \
    "$(hyperfine --version)" "$(atop -V 2>/dev/null | awk '{print $2; exit}')" \
    "$(dpkg-query -W -f='${Version}' smemstat 2>/dev/null)" \
    "smem $(dpkg-query -W -f='${Version}' smem 2>/dev/null)" "$("$MB" --version 2>/dev/null | head -1)"
  echo "Population: $alive helpers (1-3 MiB each), ${swapped:-0} MiB of them in swap; $(nprocs) processes in /proc"
  if command -v strace >/dev/null; then
    nb=$(strace -f -c -e trace=bpf "$MB" procs --columns pid,rss 2>&1 >/dev/null | awk '$NF=="bpf" {print $4}')
    echo "Collector of the status-column scan: $([ "${nb:-0}" -gt 0 ] && echo "bpf (${nb} bpf() calls)" || echo proc)"
  fi
} | tee "$OUT/machine.txt"

# ---- 2. one-shot commands, one hyperfine run --------------------------------
have() { command -v "$1" >/dev/null; }
NAMES=() CMDS=()
add() { NAMES+=("$1"); CMDS+=("$2"); }
add "membudget procs status cols" "$MB procs --columns pid,name,rss,vsz,swap"
add "membudget procs status cols (/proc)" "env MEMBUDGET_COLLECTOR=proc $MB procs --columns pid,name,rss,vsz,swap"
add "floor_status" "$TMP/floor_status"
have ps && add "ps -eo pid,rss,vsz,comm" "ps -eo pid,rss,vsz,comm"
have top && add "top -b -n1 (+SWAP)" "env XDG_CONFIG_HOME=$TMP/topcfg top -b -n1"
have atop && add "atop -P PRM 1 1" "atop -P PRM 1 1"
# what users type: the default columns (with the command line) against ps aux
add "membudget procs (default columns)" "$MB procs"
have ps && add "ps aux" "ps aux"
add "membudget procs pss cols" "$MB procs --columns pid,pss,uss,swap"
add "floor_rollup" "$TMP/floor_rollup"
have ps && add "ps -eo pid,pss,uss" "ps -eo pid,pss,uss"
have smem && add "smem" "smem"
have smemstat && add "smemstat" "smemstat"
add "membudget status --no-rates" "$MB status --no-rates"
have free && add "free" "free"

HF_ARGS=(-N --warmup "$HF_WARMUP" --runs "$HF_RUNS" --style basic --export-json "$OUT/oneshot.json")
for i in "${!CMDS[@]}"; do HF_ARGS+=(-n "${NAMES[$i]}" "${CMDS[$i]}"); done
echo "hyperfine: ${#CMDS[@]} commands, $HF_RUNS runs each after $HF_WARMUP warm-ups ..."
hyperfine "${HF_ARGS[@]}" > "$OUT/oneshot.log" 2>&1 || { tail -20 "$OUT/oneshot.log"; echo "bench/run.sh: hyperfine failed" >&2; exit 1; }

python3 - "$OUT/oneshot.json" <<'PY' | tee "$OUT/oneshot.md"
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
med = lambda n: res[n]["median"] * 1000 if n in res else None
cpu = lambda n: (res[n]["user"] + res[n]["system"]) * 1000 if n in res else None
rows = [
    ("membudget procs status cols", "floor_status"),
    ("membudget procs status cols (/proc)", "floor_status"),
    ("floor_status", None),
    ("ps -eo pid,rss,vsz,comm", "floor_status"),
    ("top -b -n1 (+SWAP)", "floor_status"),
    ("atop -P PRM 1 1", "floor_status"),
    ("membudget procs (default columns)", "floor_status"),
    ("ps aux", "floor_status"),
    ("membudget procs pss cols", "floor_rollup"),
    ("floor_rollup", None),
    ("ps -eo pid,pss,uss", "floor_rollup"),
    ("smem", "floor_rollup"),
    ("smemstat", "floor_rollup"),
    ("membudget status --no-rates", "free"),
    ("free", None),
]
print("| command | median ms | mean CPU ms | ratio to floor (median) |")
print("|---|---:|---:|---:|")
for n, f in rows:
    if n not in res:
        continue
    r = f"{med(n) / med(f):.2f}x {f}" if f and f in res else "-"
    print(f"| {n} | {med(n):.1f} | {cpu(n):.1f} | {r} |")
print()
def ratio(a, b):
    return med(a) / med(b) if a in res and b in res else None
goals = [
    ("status cols (BPF/default) <= 1.15x floor_status", ratio("membudget procs status cols", "floor_status"), lambda x: x <= 1.15),
    ("status cols (BPF) >= 5x faster than floor_status", ratio("membudget procs status cols", "floor_status"), lambda x: x <= 0.2),
    ("status cols (/proc) <= 1.15x floor_status", ratio("membudget procs status cols (/proc)", "floor_status"), lambda x: x <= 1.15),
    ("ps rss,vsz / membudget >= 3", ratio("ps -eo pid,rss,vsz,comm", "membudget procs status cols"), lambda x: x >= 3),
    ("atop / membudget >= 3", ratio("atop -P PRM 1 1", "membudget procs status cols"), lambda x: x >= 3),
    ("top +SWAP / membudget >= 9", ratio("top -b -n1 (+SWAP)", "membudget procs status cols"), lambda x: x >= 9),
    ("PSS scan <= 1.15x floor_rollup", ratio("membudget procs pss cols", "floor_rollup"), lambda x: x <= 1.15),
    ("ps pss,uss / membudget pss >= 2", ratio("ps -eo pid,pss,uss", "membudget procs pss cols"), lambda x: x >= 2),
    ("smemstat / membudget pss >= 3.5", ratio("smemstat", "membudget procs pss cols"), lambda x: x >= 3.5),
    ("smem / membudget pss >= 11", ratio("smem", "membudget procs pss cols"), lambda x: x >= 11),
    ("status --no-rates <= 2x free", ratio("membudget status --no-rates", "free"), lambda x: x <= 2),
]
print("| goal | measured | met? |")
print("|---|---:|---|")
for g, v, ok in goals:
    print(f"| {g} | {'n/a' if v is None else f'{v:.2f}'} | {'-' if v is None else ('yes' if ok(v) else 'NO')} |")
PY

# ---- 3. the sampling daemon -----------------------------------------------
# CPU % of one core = (utime + stime) ticks over the window; RSS from status.
measure_daemon() { # label interval seconds cmd...
  local label=$1 iv=$2 secs=$3 hz t0 t1 s0 s1 hwm rss
  shift 3
  hz=$(getconf CLK_TCK)
  "$@" > /dev/null 2> "$TMP/daemon.err" &
  DPID=$!
  sleep 2 # start-up (loading, first ticks) is not steady state
  if ! kill -0 "$DPID" 2>/dev/null; then
    echo "| $label | failed: $(head -c 200 "$TMP/daemon.err") | | |"; DPID=""; return 1
  fi
  # utime + stime + the reaped children's (the shell loops' commands)
  read -r s0 < <(awk '{print $14 + $15 + $16 + $17}' "/proc/$DPID/stat"); t0=$(date +%s.%N)
  sleep "$secs"
  read -r s1 < <(awk '{print $14 + $15 + $16 + $17}' "/proc/$DPID/stat"); t1=$(date +%s.%N)
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$DPID/status")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$DPID/status")
  kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=""
  awk -v l="$label" -v d=$((s1 - s0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" -v h="$hwm" -v r="$rss" \
    'BEGIN { printf "| %s | %.2f | %.1f | %.1f |\n", l, 100 * d / hz / (t1 - t0), r / 1024, h / 1024 }'
}
if [ "$DAEMON" = 1 ]; then
  echo "daemon: $DAEMON_S s per measurement, $(nprocs) processes ..."
  {
    echo "| daemon ($(nprocs) processes, ${DAEMON_S} s) | CPU % of one core | RSS MiB | peak RSS MiB |"
    echo "|---|---:|---:|---:|"
    if measure_daemon "membudget watch --record --interval 1" 1 "$DAEMON_S" \
         "$MB" --state-dir "$STATE" watch --record --interval 1 --history "$STATE/h1.db" --csv; then
      measure_daemon "membudget watch --record --interval 10" 10 "$DAEMON_S" \
        "$MB" --state-dir "$STATE" watch --record --interval 10 --history "$STATE/h10.db" --csv
    else
      echo "| (watch --record unavailable: a loop of procs every 1 s instead) | | | |"
      measure_daemon "loop: membudget procs status cols; sleep 1" 1 "$DAEMON_S" \
        bash -c "while :; do '$MB' procs --columns pid,name,rss,vsz,swap; sleep 1; done"
    fi
    measure_daemon "loop: floor_status; sleep 1 (reference)" 1 "$DAEMON_S" \
      bash -c "while :; do '$TMP/floor_status'; sleep 1; done"
  } | tee "$OUT/daemon.md"
fi

# ---- 4. scaling ------------------------------------------------------------
if [ "$SCALING" = 1 ]; then
  base=$(($(nprocs) - ${#HPIDS[@]})) # processes that are not ours
  echo "scaling: sizes $SCALE_SIZES (about $base other processes) ..."
  SC=(-N --warmup 1 --runs $((QUICK ? 3 : 5)) --style none)
  {
    echo "| processes | procs status cols us/proc | same, /proc us/proc | floor_status us/proc | procs --json status us/proc | procs --group name us/proc | procs pss cols us/proc | floor_rollup us/proc | status --no-rates us/proc |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  } > "$OUT/scaling.md"
  for size in $SCALE_SIZES; do
    want=$((size - base)); [ "$want" -lt 0 ] && want=0
    if [ "$want" -lt "${#HPIDS[@]}" ]; then
      stop_helpers "$want"
    else
      spawn $((want - ${#HPIDS[@]})) 256
      sleep 2
    fi
    np=$(nprocs)
    hyperfine "${SC[@]}" --export-json "$TMP/sc.json" \
      -n a "$MB procs --columns pid,name,rss,vsz,swap" \
      -n b "env MEMBUDGET_COLLECTOR=proc $MB procs --columns pid,name,rss,vsz,swap" \
      -n c "$TMP/floor_status" \
      -n d "$MB procs --json --columns pid,name,rss,vsz,swap" \
      -n e "$MB procs --group name" \
      -n f "$MB procs --columns pid,pss,uss,swap" \
      -n g "$TMP/floor_rollup" \
      -n h "$MB status --no-rates" >/dev/null 2>"$TMP/sc.err" || { cat "$TMP/sc.err"; exit 1; }
    python3 - "$TMP/sc.json" "$np" <<'PY' | tee -a "$OUT/scaling.md"
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
n = int(sys.argv[2])
print(f"| {n} | " + " | ".join(f"{r[k] * 1e6 / n:.2f}" for k in "abcdefgh") + " |")
PY
  done
fi
echo "results: $OUT"
