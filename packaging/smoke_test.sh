#!/usr/bin/env bash
# Smoke test of the frozen app: its self-test, run away from the sources and with a clean
# environment, then again with an unusable cache folder and a working directory it cannot write.
# Builds the app first when packaging/dist/latentlab does not exist yet (packaging/build.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
app="$here/dist/latentlab/latentlab"
[ -x "$app" ] || "$here/build.sh"

home=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$home" "$work"' EXIT
clean_env=(env -i "PATH=/usr/bin:/bin" "HOME=$home" "QT_QPA_PLATFORM=offscreen")

check() {  # check NAME OUTPUT PATTERN
    if grep -q -- "$3" <<< "$2"; then
        echo "ok   $1"
    else
        echo "FAIL $1: expected '$3' in:"; echo "$2"; exit 1
    fi
}

version=$(cd "$work" && "${clean_env[@]}" "$app" --version)
check "--version" "$version" "^latentlab [0-9]"

start=$(date +%s.%N)
out=$(cd "$work" && "${clean_env[@]}" "$app" self-test 2>&1)
check "self-test from another folder, clean environment" "$out" "^latentlab self-test: OK"
echo "     $(grep '^latentlab self-test' <<< "$out") — $(echo "$(date +%s.%N) - $start" | bc) s"

# /proc accepts no new files, even from root: an unusable cache and a read-only working folder.
out=$(cd /proc && "${clean_env[@]}" "XDG_CACHE_HOME=/proc/latentlab-cache" "$app" self-test 2>&1)
check "unusable cache folder is reported" "$out" "note: cannot write to /proc/latentlab-cache"
check "self-test still passes without a cache and in a read-only folder" "$out" \
    "^latentlab self-test: OK"

out=$(cd /proc && "${clean_env[@]}" "XDG_CACHE_HOME=/proc/latentlab-cache" "$app" \
    --exit-after-show 2>&1)
check "the window still opens without a cache" "$out" "window shown"
check "and says what it cannot do" "$out" "cannot write to /proc/latentlab-cache"
echo "smoke test passed"
