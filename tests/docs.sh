#!/usr/bin/env bash
# docs.sh - the grader output shown in README.md is the grader's output
#
# README.md's block after "On a fresh clone every starter fails" must be
# tests/golden/01-starter.txt, line for line: the golden terminal text of
# chapter 01's starter, in which "..." at the end of a line stands for text
# that depends on the run. tests/golden.sh (run next) checks that golden file,
# and the solution's, against what the current grader prints. To refresh:
# tests/golden.sh --update, then copy tests/golden/01-starter.txt into the
# README (tests/docs.sh --print shows it). tests/lesson_samples.sh then checks
# the grader output quoted in the lessons.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
golden="$top/tests/golden/01-starter.txt"
if [ "${1:-}" = --print ]; then cat "$golden"; exit 0; fi
tmp=$(mktemp -d /tmp/threadclinic-docs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

awk '/^On a fresh clone every starter fails/{f=1; next} f && /^```$/{n++; if (n == 2) exit; next} f && n == 1' \
	"$top/README.md" >"$tmp/shown"
if diff -u "$golden" "$tmp/shown" >"$tmp/diff"; then
	echo "ok   README's sample of make grade is tests/golden/01-starter.txt"
	readme=0
else
	echo "FAIL README's sample of make grade differs from tests/golden/01-starter.txt:"
	sed 's/^/     /' "$tmp/diff"
	readme=1
fi
echo "docs: $((1 - readme)) passed, $readme failed"
bash "$top/tests/golden.sh"
golden_status=$?
bash "$top/tests/lesson_samples.sh"
samples_status=$?
exit $((readme || golden_status || samples_status))
