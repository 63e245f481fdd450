#!/usr/bin/env bash
# config.sh: `config init` writes the proposed file atomically, refuses to
# overwrite without --force; `config check` finds it by the lookup order.
set -u
BIN=${MB_BIN:?} 
dir=$(mktemp -d /tmp/config-live-XXXXXX)
trap 'rm -rf "$dir"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# Default file name, in the current directory; mode 0644 even under umask 077.
out=$(cd "$dir" && umask 077 && "$BIN" config init 2>&1); rc=$?
f="$dir/omnimind_parameters.json"
if [ $rc = 0 ] && [ -f "$f" ] && [ "$(stat -c %a "$f")" = 644 ] && [[ $out == *"wrote ./omnimind_parameters.json"* ]]; then
  pass "config init writes ./omnimind_parameters.json 0644"
else fail "config init default" "rc=$rc mode=$(stat -c %a "$f" 2>/dev/null) out=$out"; fi

# What it wrote is valid, with no warning, even with --strict.
out=$("$BIN" config check --strict "$f" 2>&1); rc=$?
if [ $rc = 0 ] && [[ $out == *"valid"* ]] && [[ $out != *warning* ]]; then
  pass "init output passes config check --strict with no warning"
else fail "init output check" "rc=$rc out=$out"; fi

# Found by the lookup order: ./omnimind_parameters.json, then $MEMBUDGET_CONFIG.
out=$(cd "$dir" && env -u MEMBUDGET_CONFIG "$BIN" config check 2>&1); rc=$?
if [ $rc = 0 ] && [[ $out == "./omnimind_parameters.json: valid"* ]]; then
  pass "config check finds ./omnimind_parameters.json"
else fail "lookup cwd" "rc=$rc out=$out"; fi
cp "$f" "$dir/env.json"
out=$(cd / && MEMBUDGET_CONFIG="$dir/env.json" "$BIN" config check 2>&1); rc=$?
if [ $rc = 0 ] && [[ $out == "$dir/env.json: valid"* ]]; then
  pass "config check finds \$MEMBUDGET_CONFIG"
else fail "lookup env" "rc=$rc out=$out"; fi

# Refuses to overwrite without --force; the file is left as it was.
echo '{"memory": {"ram_max_mb": 1000}}' >"$f"
before=$(md5sum <"$f")
out=$("$BIN" config init "$f" 2>&1); rc=$?
if [ $rc = 2 ] && [[ $out == *"'$f' exists; use --force"* ]] && [ "$(md5sum <"$f")" = "$before" ]; then
  pass "config init refuses to overwrite without --force"
else fail "init no-overwrite" "rc=$rc out=$out"; fi

out=$("$BIN" config init --force "$f" 2>&1); rc=$?
if [ $rc = 0 ] && cmp -s "$f" <("$BIN" config init -); then
  pass "config init --force overwrites"
else fail "init --force" "rc=$rc out=$out"; fi

# A symlink at the path is replaced, its target untouched.
echo keep >"$dir/target"
ln -s "$dir/target" "$dir/link.json"
out=$("$BIN" config init --force "$dir/link.json" 2>&1); rc=$?
if [ $rc = 0 ] && [ ! -L "$dir/link.json" ] && [ "$(cat "$dir/target")" = keep ]; then
  pass "config init --force replaces a symlink, not its target"
else fail "init symlink" "rc=$rc out=$out"; fi

# Cannot write: runtime error (3), nothing left behind.
out=$("$BIN" config init "$dir/missing/x.json" 2>&1); rc=$?
if [ $rc = 3 ] && [[ $out == *"cannot write '$dir/missing/x.json'"* ]]; then
  pass "config init into a missing directory exits 3"
else fail "init missing dir" "rc=$rc out=$out"; fi

# --json
out=$("$BIN" --json config init "$dir/j.json" 2>&1); rc=$?
if [ $rc = 0 ] && [[ $out == *'"written"'* ]] && [ -f "$dir/j.json" ]; then
  pass "config init --json"
else fail "init json" "rc=$rc out=$out"; fi

# No temp files left.
left=$(find "$dir" -name '*.tmp.*' | wc -l)
if [ "$left" = 0 ]; then pass "config init leaves no temp file"; else fail "init temp" "$left left"; fi
