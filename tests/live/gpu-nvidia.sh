#!/usr/bin/env bash
# gpu-nvidia.sh: the real-hardware check of issue 4 (needs an NVIDIA GPU and
# driver; skipped elsewhere).  BUILD/helpers/gpu-hold allocates and writes
# GPU_HOLD_MIB (default 4096) through libcuda.so.1; then `status --json` must
# show the device with total/used within 2 % of nvidia-smi, and `procs` must
# charge the holder within 2 % of nvidia-smi's per-process figure.
# Lines starting with '#' are the measured figures.
set -u
: "${MB_BIN:?}" "${MB_BUILD:?}"
HOLD=$MB_BUILD/helpers/gpu-hold
MIB=${GPU_HOLD_MIB:-4096}
st=$("$MB_BIN" --json status --no-rates 2>&1)
if ! grep -q '"vendor": "nvidia"' <<<"$st"; then
  echo "SKIP gpu-nvidia: skipped: $("$MB_BIN" status --no-rates 2>&1 | grep -o "no NVIDIA GPU.*" | head -1)"
  exit 0
fi
if [ ! -x "$HOLD" ]; then echo "SKIP gpu-nvidia: skipped: $HOLD not built (make helpers)"; exit 0; fi
tmp=$(mktemp -d /tmp/gpu-nvidia-XXXXXX)
hold=""
cleanup() {
  exec 3>&- 2>/dev/null
  [ -n "$hold" ] && kill "$hold" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkfifo "$tmp/in"
"$HOLD" "$MIB" <"$tmp/in" >"$tmp/out" 2>"$tmp/err" &
hold=$!
exec 3>"$tmp/in"
for _ in $(seq 1 600); do
  grep -q '^ready' "$tmp/out" 2>/dev/null && break
  kill -0 "$hold" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '^ready' "$tmp/out"; then
  echo "FAIL gpu-nvidia-hold: gpu-hold did not allocate: $(cat "$tmp/err")"
  exit 0
fi
sleep 1 # let NVML's process accounting catch up
echo "# holder pid $hold holds $MIB MiB"

"$MB_BIN" --json status --no-rates >"$tmp/status.json" 2>"$tmp/status.err"
"$MB_BIN" procs --csv --columns pid,gpu,cmdline --sort gpu --top 5 >"$tmp/procs.csv" 2>&1
"$MB_BIN" procs --columns pid,gpu,rss,cmdline --sort gpu --top 5 | sed 's/^/# /'
"$MB_BIN" status --no-rates | sed -n '/^GPU/,/^$/p' | sed 's/^/# /'
smi=$(command -v nvidia-smi || true)
if [ -n "$smi" ]; then
  "$smi" --query-gpu=index,name,uuid,memory.total,memory.used,memory.free,memory.reserved \
    --format=csv,noheader,nounits >"$tmp/smi-gpu.csv" 2>/dev/null ||
    "$smi" --query-gpu=index,name,uuid,memory.total,memory.used,memory.free \
      --format=csv,noheader,nounits >"$tmp/smi-gpu.csv"
  "$smi" --query-compute-apps=pid,used_memory --format=csv,noheader,nounits >"$tmp/smi-apps.csv"
  sed 's/^/# nvidia-smi gpu: /' "$tmp/smi-gpu.csv"
  sed 's/^/# nvidia-smi app: /' "$tmp/smi-apps.csv"
fi

python3 - "$tmp" "$hold" "$MIB" <<'PY'
import csv, json, os, sys
tmp, hold, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
M = 1 << 20
def ok(name, cond, why):
    print(("PASS %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
def near(a, b, tol=0.02):
    # 2 %, but never finer than nvidia-smi's MiB resolution
    return a is not None and b is not None and abs(a - b) <= max(tol * abs(b), 2 * M)
st = json.load(open(os.path.join(tmp, "status.json")))
nv = [g for g in st["gpus"] if g["vendor"] == "nvidia"]
ok("gpu-nvidia-device", len(nv) >= 1 and all("error" not in g for g in nv), nv)
for g in nv:
    print("# membudget gpu %d: %s %s total %s used %s free %s" % (
        g["index"], g["name"], g["uuid"], g["total_bytes"], g["used_bytes"], g["free_bytes"]))
rows = {}
for r in csv.reader(open(os.path.join(tmp, "procs.csv"))):
    if r and r[0].isdigit():
        rows[int(r[0])] = int(r[1]) if r[1] not in ("", "-") else None
mine = rows.get(hold)
print("# membudget procs: holder gpu bytes = %s" % mine)
ok("gpu-nvidia-proc-at-least-held", mine is not None and mine >= mib * M,
   "holder %d: %s < %d MiB (NVML pid namespace? top rows: %s)" % (hold, mine, mib, rows))
smi_gpu = os.path.join(tmp, "smi-gpu.csv")
if os.path.exists(smi_gpu):
    lines = [l for l in csv.reader(open(smi_gpu), skipinitialspace=True) if l]
    for l in lines:
        i = int(l[0]); tot, used = float(l[3]) * M, float(l[4]) * M
        res = float(l[6]) * M if len(l) > 6 and l[6].replace(".", "").isdigit() else 0
        g = next((x for x in nv if x["index"] == i), None)
        if g is None:
            ok("gpu-nvidia-%d-listed" % i, False, "nvidia-smi has GPU %d, membudget not" % i)
            continue
        ok("gpu-nvidia-%d-total" % i, near(g["total_bytes"], tot), "%s vs %s" % (g["total_bytes"], tot))
        ok("gpu-nvidia-%d-used" % i, near(g["used_bytes"], used) or near(g["used_bytes"], used - res),
           "%s vs nvidia-smi %s (reserved %s)" % (g["used_bytes"], used, res))
    apps = {int(l[0]): float(l[1]) * M for l in csv.reader(open(os.path.join(tmp, "smi-apps.csv")),
            skipinitialspace=True) if l and l[0].strip().isdigit()}
    if hold in apps:
        ok("gpu-nvidia-proc-vs-smi", near(mine, apps[hold]), "%s vs nvidia-smi %s" % (mine, apps[hold]))
    else:
        ok("gpu-nvidia-proc-vs-smi", False, "nvidia-smi does not list pid %d: %s" % (hold, apps))
PY
