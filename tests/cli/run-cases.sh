#!/usr/bin/env bash
# run-cases.sh BIN FILE.cases: one case per line, fields separated by " | ":
#
#   RC | ARGS | STREAM~TEXT [&& STREAM~TEXT ...]
#
# RC is the expected exit code; ARGS are split like shell words (they are
# fixed strings in this repository; @FIX@ expands to tests/fixtures), and
# leading NAME=VALUE words are set in the environment of that run only;
# STREAM is out or err; TEXT must appear in it (grep -F), or with
# STREAM!~TEXT must not; STREAM==NAME compares the whole stream with the
# golden file tests/cli/golden/NAME.out (as git's test_cmp; the fixtures'
# absolute path shows as @FIX@ in both; a difference prints a diff -u).
# MB_GOLDEN_UPDATE=1 writes the golden files from this build instead (then
# review them with git diff).  An empty third field checks the exit code
# only.  Lines starting with # and blank lines are skipped.  Prints
# PASS/FAIL lines.
set -u
BIN=$1 FILE=$2
FIX=$(cd "$(dirname "$FILE")/../fixtures" && pwd)
GOLDEN=$(cd "$(dirname "$FILE")" && pwd)/golden
n=0
while IFS= read -r line || [ -n "$line" ]; do
  n=$((n + 1))
  case "$line" in ''|'#'*) continue;; esac
  rc=${line%% | *}; rest=${line#* | }
  args=${rest%% | *}; checks=""
  [ "$rest" != "$args" ] && checks=${rest#* | }
  args=${args//@FIX@/$FIX}
  eval "set -- $args"
  envs=()
  while [ $# -gt 0 ] && [[ $1 =~ ^[A-Z_][A-Z0-9_]*= ]]; do envs+=("$1"); shift; done
  out=$(mktemp) err=$(mktemp)
  timeout 60 env "${envs[@]}" "$BIN" "$@" >"$out" 2>"$err" </dev/null; got=$?
  ok=1 why=""
  [ "$got" = "$rc" ] || { ok=0; why="exit $got, expected $rc"; }
  if [ -n "$checks" ]; then
    IFS=$'\n' read -r -d '' -a parts < <(printf '%s' "$checks" | sed 's/ && /\n/g'; printf '\0')
    for c in "${parts[@]}"; do
      neg=0
      if [[ $c == out==* || $c == err==* ]]; then
        s=${c%%==*}; g=$GOLDEN/${c#*==}.out
        f=$out; [ "$s" = err ] && f=$err
        sed "s#$FIX#@FIX@#g" "$f" >"$f.g"
        if [ "${MB_GOLDEN_UPDATE:-}" = 1 ]; then mkdir -p "$GOLDEN"; cp "$f.g" "$g"
        elif [ ! -f "$g" ]; then ok=0; why="no golden file $g (MB_GOLDEN_UPDATE=1 writes it)"
        elif ! diff -u "$g" "$f.g" >"$f.diff"; then
          ok=0; why="$s differs from $(basename "$g"):"$'\n'"$(head -40 "$f.diff")"
        fi
        rm -f "$f.g" "$f.diff"
        continue
      fi
      if [[ $c == out!~* || $c == err!~* ]]; then neg=1; s=${c%%!~*}; t=${c#*!~}
      else s=${c%%~*}; t=${c#*~}; fi
      f=$out; [ "$s" = err ] && f=$err
      if grep -qF -- "$t" "$f"; then [ $neg = 1 ] && { ok=0; why="$s has '$t'"; }
      else [ $neg = 0 ] && { ok=0; why="$s lacks '$t'"; }; fi
    done
  fi
  # Error messages must be one line (plus the "try" hint) when the exit is 2.
  if [ "$rc" = 2 ] && [ "$(grep -vc '^try ' "$err")" -gt 1 ]; then ok=0; why="stderr has more than one line"; fi
  name="$(basename "$FILE"):$n $args"
  if [ $ok = 1 ]; then echo "PASS $name"; else echo "FAIL $name: $why"; sed 's/^/    err: /' "$err" | head -5; fi
  rm -f "$out" "$err"
done < "$FILE"
