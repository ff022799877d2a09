#!/usr/bin/env bash
# harness_warnings.sh - the harness compiles without a warning
#
# The grader compiles the harness's own sources (the world, the drivers,
# the scenarios, the benchmarks, lib/) with the learner's file; a warning
# there is often a real bug (a function called without its declaration, a
# function pointer of the wrong type read for a value it never returns).
# Each file is checked with -Wall -Wextra -Werror, the chapter's headers on
# the include path for a chapter's file. Prints one line per file that
# warns and "harness-warnings: N files, N with warnings".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
files=0
bad=0
for f in "$top"/harness/{lib,world,drivers,suites,bench,scenarios}/*.c; do
	[ -e "$f" ] || continue
	name=$(basename "$f" .c)
	inc=()
	if [[ $name =~ ^[0-9][0-9]- ]] && [ -d "$top/chapters/$name" ]; then
		inc=(-I "$top/chapters/$name")
	fi
	files=$((files + 1))
	if ! out=$("$cc" -std=gnu11 -O1 -pthread -Wall -Wextra -Werror -fsyntax-only \
		"${inc[@]}" -I "$top/harness/lib" -I "$top/harness/world" -I "$top/harness/bench" \
		-I "$top/harness/scenarios" -I "$top/harness/drivers" -I "$top/harness/suites" \
		"$f" 2>&1); then
		bad=$((bad + 1))
		echo "FAIL ${f#$top/}:"
		echo "$out" | head -5 | sed 's/^/     /'
	fi
done
echo "harness-warnings: $files files, $bad with warnings"
[ "$bad" -eq 0 ]
