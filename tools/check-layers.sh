#!/usr/bin/env bash
# tools/check-layers.sh: the dependency rules of lib/ (issue 16), checked on
# the #include lines: no cycle between lib/ folders (tsort), lib/util and
# lib/collect include nothing above them, nothing in lib/ includes src/, and
# no folder below diag includes diag/out/serve.  Prints the folder graph and
# exits 1 on a violation.  Run by `make check-layers` (and .ci/run).
set -uo pipefail
cd "$(dirname "$0")/.."
edges=$(for f in lib/*/*.[ch]; do
  d=$(basename "$(dirname "$f")")
  grep -oE '^#include "\.\./[a-z]+/' "$f" | sed -E 's|#include "\.\./||; s|/$||' |
    sort -u | sed "s|^|$d |"
done | sort -u | awk '$1 != $2')
bad=0
echo "lib/ include graph (folder -> folders it includes):"
echo "$edges" | awk '{a[$1] = a[$1] " " $2} END {for (k in a) print "  " k " ->" a[k]}' | sort
if ! echo "$edges" | tsort >/dev/null 2>/tmp/layers.$$; then
  echo "FAIL: a cycle between lib/ folders:"; cat /tmp/layers.$$; bad=1
fi
rm -f /tmp/layers.$$
allowed() { # FOLDER: the folders it may include
  case $1 in
    util) echo "" ;;
    config | collect) echo "util" ;;
    analyze) echo "util config collect" ;;
    store) echo "util config collect analyze" ;;
    act) echo "util config collect analyze store" ;;
    diag) echo "util config collect analyze store act" ;;
    out) echo "util config collect analyze store act diag" ;;
    serve) echo "util config collect analyze store act diag out" ;;
    *) echo "?" ;;
  esac
}
while read -r from to; do
  [ -n "$from" ] || continue
  case " $(allowed "$from") " in
    *" $to "*) ;;
    *) echo "FAIL: lib/$from includes lib/$to (not allowed)"; bad=1 ;;
  esac
done <<<"$edges"
if grep -n '#include "\.\./\.\./src/\|#include "\.\./src/' lib/*/*.[ch]; then
  echo "FAIL: lib/ includes the CLI"; bad=1
fi
[ "$bad" = 0 ] && echo "layers ok: no cycle, every include goes down"
exit "$bad"
