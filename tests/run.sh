#!/usr/bin/env bash
# tests/run.sh BIN BUILD: runs every test and ends with "N passed, N failed, N skipped".
#
#   unit  BUILD/tests/test-*        cmocka binaries (each test case counts)
#   cli   tests/cli/*.cases         table-driven CLI cases (see tests/cli/README)
#   live  tests/live/*.sh           reality tests; each prints PASS/FAIL/SKIP lines
#
# MB_TEST_ONLY="unit cli" restricts the kinds run; MB_LIVE_SKIP="a b" leaves
# out live scripts by name (the asan target leaves out the timing-bound ones
# and valgrind, which cannot run an ASan binary).
set -u
BIN=$(realpath "${1:-build/membudget}")
BUILD=$(realpath "${2:-build}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ONLY=${MB_TEST_ONLY:-unit cli live}
export MB_BIN="$BIN" MB_BUILD="$BUILD" MB_ROOT="$ROOT"
pass=0 fail=0 skip=0
failed_names=()

want() { case " $ONLY " in *" $1 "*) return 0;; esac; return 1; }

if want unit; then
  for t in "$BUILD"/tests/test-*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
    p=${p:-0}; f=${f:-0}; s=${s:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ "$f" -ne 0 ]; then
      failed_names+=("unit/$name"); printf '%s\n' "$out" | grep -E 'FAIL|ERROR|error|Assert|runtime' | head -20
    fi
    echo "unit $name: $p passed, $f failed"
  done
fi

if want cli; then
  for cases in "$ROOT"/tests/cli/*.cases; do
    [ -f "$cases" ] || continue
    out=$("$ROOT/tests/cli/run-cases.sh" "$BIN" "$cases" 2>&1)
    printf '%s\n' "$out" | grep -E '^(FAIL|SKIP)' || true
    p=$(printf '%s\n' "$out" | grep -c '^PASS'); f=$(printf '%s\n' "$out" | grep -c '^FAIL')
    s=$(printf '%s\n' "$out" | grep -c '^SKIP')
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    [ "$f" -ne 0 ] && failed_names+=("cli/$(basename "$cases")")
    echo "cli $(basename "$cases"): $p passed, $f failed"
  done
fi

if want live; then
  for t in "$ROOT"/tests/live/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t")
    case " ${MB_LIVE_SKIP:-} " in *" ${name%.sh} "*) echo "live $name: left out (MB_LIVE_SKIP)"; continue;; esac
    out=$(timeout 600 bash "$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^(FAIL|SKIP)' || true
    p=$(printf '%s\n' "$out" | grep -c '^PASS'); f=$(printf '%s\n' "$out" | grep -c '^FAIL')
    s=$(printf '%s\n' "$out" | grep -c '^SKIP')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      f=1; printf '%s\n' "$out" | tail -20
    elif [ "$f" -ne 0 ]; then
      # what the script printed besides its verdicts (a failure's details)
      printf '%s\n' "$out" | grep -vE '^(PASS|FAIL|SKIP)' | tail -40 | sed "s|^|  $name: |"
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    [ "$f" -ne 0 ] && failed_names+=("live/$name")
    echo "live $name: $p passed, $f failed, $s skipped"
  done
fi

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
