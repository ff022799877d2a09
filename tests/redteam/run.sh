#!/bin/sh
# Grades every case under tests/redteam/{cheats,bugs} (or the ones named),
# one at a time, into build/redteam/<kind>-<name>.{json,txt,time}.
# Usage (from the worktree root): sh tests/redteam/run.sh [kind/name ...]
set -u
out=build/redteam
mkdir -p "$out"
cases="$*"
[ -n "$cases" ] || cases=$(cd tests/redteam && ls -d cheats/* bugs/* 2>/dev/null)
for c in $cases; do
	dir=tests/redteam/$c
	ch=$(ls "$dir" | head -1 | cut -c1-2)
	tag=$(echo "$c" | tr / -)
	start=$(date +%s.%N)
	timeout -k 10 600 build/bin/grade --root . -s "$dir" -C "$ch" -r "$out/$tag.json" \
		>"$out/$tag.txt" 2>&1
	rc=$?
	end=$(date +%s.%N)
	echo "$rc $(echo "$end - $start" | bc)" >"$out/$tag.time"
	echo "$c: rc=$rc $(cat "$out/$tag.time")"
done
