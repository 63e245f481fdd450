#!/usr/bin/env bash
# Live checks of the BPF task-iterator collector against /proc:
#   - `procs --csv --columns pid,rss,swap,vsz,...` by default (BPF where it
#     can load) and with MEMBUDGET_COLLECTOR=proc agree for every process that
#     did not change between two /proc scans taken around the BPF one, within
#     the kernel's per-CPU counter slack (64 pages per CPU or 1 %);
#   - three memchild helpers (8, 32, 96 MiB) are listed with the same values,
#     one of them pushed into a real swap file through a memory cgroup, so
#     VmSwap is compared on a non-zero value;
#   - the status-field filters (--min-rss, --min-swap) give the same PIDs.
# Skips with a reason where BPF cannot be used (not built in, not root, no
# BTF).  Swap file, cgroup and helpers go away on every path.
set -u
BIN=${MB_BIN:?} HELP=${MB_BUILD:?}/helpers
TAG=mbtest-perf-bpf-$$
SWAPFILE=/var/tmp/$TAG.swap
TMP=$(mktemp -d /tmp/$TAG.XXXXXX)
CG=""
pids=()

cleanup() {
  exec 2>/dev/null
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ -n "$CG" ] && [ -d "$CG" ]; then
    for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
  fi
  if grep -q "^$SWAPFILE " /proc/swaps 2>/dev/null; then swapoff "$SWAPFILE" 2>/dev/null; fi
  rm -f "$SWAPFILE"
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: skipped: $2"; }

if grep -q "not built with the BPF collector" "$BIN"; then
  skip bpf-collector "membudget was built without the BPF collector (needs clang, bpftool, libbpf-dev)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then skip bpf-collector "loading BPF needs root (CAP_BPF, CAP_PERFMON)"; exit 0; fi
if [ ! -r /sys/kernel/btf/vmlinux ]; then skip bpf-collector "the kernel has no BTF"; exit 0; fi

start_child() {
  local fifo=$TMP/fifo.$RANDOM
  mkfifo "$fifo"
  "$HELP/memchild" "$@" >"$fifo" & child=$!
  pids+=("$child")
  if ! timeout 60 head -n1 "$fifo" | grep -q ready; then rm -f "$fifo"; return 1; fi
  rm -f "$fifo"
}

# A memory cgroup with a low limit and a swap file: the 96 MiB helper swaps.
swapchild=""
MEMCG=$(awk '$3=="cgroup" && $4 ~ /(^|,)memory(,|$)/ {print $2; exit}' /proc/mounts)
V2=$(awk '$3=="cgroup2" {print $2; exit}' /proc/mounts)
PROCS=""
if [ -n "$MEMCG" ]; then
  CG=$MEMCG/$TAG && mkdir "$CG" && echo $((48 << 20)) > "$CG/memory.limit_in_bytes" \
    && PROCS=$CG/cgroup.procs
elif [ -n "$V2" ] && grep -qw memory "$V2/cgroup.controllers" 2>/dev/null; then
  CG=$V2/$TAG && mkdir "$CG" && echo $((48 << 20)) > "$CG/memory.max" && PROCS=$CG/cgroup.procs
fi
if [ -n "$PROCS" ] && dd if=/dev/zero of="$SWAPFILE" bs=1M count=192 status=none \
   && chmod 600 "$SWAPFILE" && mkswap -q "$SWAPFILE" >/dev/null 2>&1 && swapon "$SWAPFILE"; then
  start_child 96 "$PROCS" && swapchild=$child
fi
start_child 8 || { fail bpf-helpers "memchild did not start"; exit 0; }
c8=$child
start_child 32 || { fail bpf-helpers "memchild did not start"; exit 0; }
c32=$child

COLS=pid,ppid,user,name,rss,swap,vsz,rss_anon,rss_file,rss_shmem
# A process the kernel moves between RAM and swap (the swapping helper under
# the host's other load) can change between the scans: up to three tries,
# each judged on its own, the details of the last in the failure.
agree() {
  MEMBUDGET_COLLECTOR=proc "$BIN" procs --all --csv --columns $COLS > "$TMP/p1.csv" || { echo "proc run failed"; return 1; }
  "$BIN" procs --all --csv --columns $COLS > "$TMP/b.csv" || { echo "default run failed"; return 1; }
  MEMBUDGET_COLLECTOR=proc "$BIN" procs --all --csv --columns $COLS > "$TMP/p2.csv" || { echo "proc run failed"; return 1; }
python3 - "$TMP" "$(nproc --all)" "$c8 $c32 $swapchild" <<'PY'
import csv, os, sys
d, ncpu, mine = sys.argv[1], int(sys.argv[2]), [p for p in sys.argv[3].split() if p]
load = lambda f: {r["pid"]: r for r in csv.DictReader(open(os.path.join(d, f)))}
p1, b, p2 = load("p1.csv"), load("b.csv"), load("p2.csv")
page = os.sysconf("SC_PAGE_SIZE")
def near(x, y):
    if x == "" or y == "":
        return x == y
    x, y = int(x), int(y)
    return abs(x - y) <= max(64 * ncpu * page, max(x, y) // 100)
sizes = ["rss", "swap", "vsz", "rss_anon", "rss_file", "rss_shmem"]
stable = bad = 0
for pid, r in p1.items():
    if pid not in p2 or p2[pid] != r:
        continue  # changed or gone between the two /proc scans
    stable += 1
    q = b.get(pid)
    if q is None:
        print(f"pid {pid} ({r['name']}) missing from the BPF run"); bad += 1; continue
    same_id = q["ppid"] == r["ppid"] and q["user"] == r["user"]
    if not same_id or not all(near(q[k], r[k]) for k in sizes):
        print(f"pid {pid}: proc {r} / bpf {q}"); bad += 1
print(f"stable {stable} bad {bad}")
ok = bad == 0 and stable >= 10
for pid in mine:
    r, q = p1.get(pid), b.get(pid)
    if not r or not q or any(q[k] != r[k] for k in ("rss", "swap", "vsz", "name")):
        print(f"helper {pid}: proc {r} / bpf {q}"); ok = False
sys.exit(0 if ok else 1)
PY
}
agreed=no
for try in 1 2 3; do
  why=$(agree 2>&1) && { agreed=yes; break; }
  sleep 1
done
if [ $agreed = yes ]; then pass "bpf-agrees-with-proc (try $try: $(tail -n1 <<<"$why"))"; else fail bpf-agrees-with-proc "$(tail -c 1500 <<<"$why")"; fi

if [ -n "$swapchild" ]; then
  sw=$(awk -F, -v p="$swapchild" '$1==p {print $6}' "$TMP/b.csv")
  vs=$(awk '/^VmSwap/{print $2*1024}' /proc/$swapchild/status)
  if [ "${sw:-0}" -gt $((32 << 20)) ] && [ "$sw" = "$vs" ]; then
    pass "bpf-swap (VmSwap $vs)"
  else fail bpf-swap "bpf swap '$sw', VmSwap $vs"; fi
else
  skip bpf-swap "no memory cgroup or swap file here"
fi

# Filters: the same PIDs either way.
a=$("$BIN" procs --min-rss 24M --csv --columns pid | sort)
b2=$(MEMBUDGET_COLLECTOR=proc "$BIN" procs --min-rss 24M --csv --columns pid | sort)
if printf '%s\n' "$a" | grep -qx "$c32" && ! printf '%s\n' "$a" | grep -qx "$c8"; then
  pass bpf-min-rss
else fail bpf-min-rss "bpf: $a / proc: $b2"; fi
exit 0
