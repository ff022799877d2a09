#!/usr/bin/env bash
# gradescope.sh - builds the Gradescope bundle, unpacks it into a simulated
# /autograder tree, and runs run_autograder on a solution (full marks), a
# correct but serial variant (partial marks: it loses throughput) and a
# starter (short of full marks), in flat and nested submission layouts.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
check=$top/build/bin/check_results
chapter=01-serial-to-parallel
passed=0 failed=0

make -s -C "$top" gradescope CH=01 >/dev/null || { echo "gradescope: 0 passed, 1 failed"; exit 1; }
root=$(mktemp -d /tmp/threadclinic-autograder-XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/source"
unzip -q "$top/build/gradescope/autograder.zip" -d "$root/source"
for f in setup.sh run_autograder; do
	if [ -x "$root/source/$f" ]; then passed=$((passed + 1)); echo "ok   bundle has $f at its root"
	else failed=$((failed + 1)); echo "FAIL bundle lacks $f at its root"; fi
done
# What setup.sh does, without the package install (done already here).
make -s -C "$root/source" build/bin/grade >/dev/null

run_case() {	# label, expectation, file to submit, where in the submission
	local label=$1 expect=$2 file=$3 where=$4
	rm -rf "$root/submission" "$root/results"
	mkdir -p "$root/submission/$(dirname "$where")"
	cp "$file" "$root/submission/$where"
	AUTOGRADER_ROOT=$root "$root/source/run_autograder"
	if "$check" "$root/results/results.json" "$expect"; then
		passed=$((passed + 1)); echo "ok   $label: $expect marks, valid results.json"
	else
		failed=$((failed + 1)); echo "FAIL $label"
	fi
}
run_case "solution, flat layout" full "$top/solutions/$chapter/clean.c" clean.c
run_case "solution, chapters/ layout" full "$top/solutions/$chapter/clean.c" "chapters/$chapter/clean.c"
run_case "serial variant, NN-slug layout" partial "$top/tests/zoo/$chapter/serial.c" "$chapter/clean.c"
run_case "starter, nested deeper" short "$top/chapters/$chapter/clean.c" "work/$chapter/clean.c"
echo "gradescope: $passed passed, $failed failed"
[ $failed -eq 0 ]
