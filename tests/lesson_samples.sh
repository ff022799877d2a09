#!/usr/bin/env bash
# lesson_samples.sh - grader output quoted in a lesson is the grader's output
#
# A fenced block in chapters/*/README.md that looks like grader output (a
# line starting with PASS or FAIL, or a gate's row) must be preceded by a
# marker naming what was graded to produce it:
#     <!-- sample: starter -->   (or: solution, zoo/<variant>.c)
# The fixture is graded with the current grader and the block must be found
# in the output: blanks and line breaks are ignored, a number counts as any
# number unless it is a line number (after ".c:"), and "..." stands for text
# that depends on the run. A block without a marker fails: an unchecked
# sample would drift from the grader unnoticed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/threadclinic-samples-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

# Splits a lesson into its sample blocks: $tmp/<ch>.<n>.sample and .fixture.
extract() {
	local ch=$1
	awk -v out="$tmp/$ch" '
		/^[ \t]*<!-- sample: .* -->[ \t]*$/ {
			marker = $0; sub(/^[ \t]*<!-- sample: /, "", marker); sub(/ -->.*$/, "", marker)
			marker_line = NR; next
		}
		/^[ \t]*```/ {
			if (!inside) { inside = 1; n++; body = ""; start = NR; fixture = (NR - marker_line <= 2) ? marker : ""; next }
			inside = 0
			if (body ~ /(^|\n)[ \t]*(PASS|FAIL) / || body ~ /(^|\n)[ \t]*(correctness|tsan|helgrind|leaks|throughput|total)[ \t]+(PASS|FAIL|--|[0-9])/) {
				printf "%s", body > (out "." n ".sample")
				printf "%s\n%d\n", fixture, start > (out "." n ".fixture")
			}
			next
		}
		inside { body = body $0 "\n" }
	' "$top/chapters/$ch/README.md"
}

# One line, blanks collapsed, numbers masked except line numbers.
normalise() {
	tr '\n' ' ' | sed -E 's/[[:space:]]+/ /g; s/([^.:0-9a-z])[0-9]+(\.[0-9]+)?/\1#/g; s/^[0-9]+/#/'
}

grade_fixture() { # chapter fixture -> output file
	local ch=$1 fixture=$2 file sub="$tmp/sub-$1-${2//\//_}"
	file=$(cd "$top/chapters/$ch" && ls *.c | head -1)
	if [ ! -e "$sub.out" ]; then
		mkdir -p "$sub/$ch"
		case $fixture in
		starter) cp "$top/chapters/$ch/$file" "$sub/$ch/$file" ;;
		solution) cp "$top/solutions/$ch/$file" "$sub/$ch/$file" ;;
		zoo/*) cp "$top/tests/zoo/$ch/${fixture#zoo/}" "$sub/$ch/$file" ;;
		*) return 1 ;;
		esac
		"$top/build/bin/grade" --root "$top" --build "$tmp/build" -C "$ch" -s "$sub" -v \
			>"$sub.out" 2>&1
		# The learner sees chapters/<ch>/<file>; the copy's path is not theirs.
		sed -i "s|$sub/$ch/|chapters/$ch/|g" "$sub.out"
	fi
	echo "$sub.out"
}

for dir in "$top"/chapters/*/; do
	ch=$(basename "$dir")
	extract "$ch"
	for s in "$tmp/$ch".*.sample; do
		[ -e "$s" ] || continue
		{ read -r fixture; read -r start; } <"${s%.sample}.fixture"
		what="$ch/README.md:$start"
		if [ -z "$fixture" ]; then
			bad "$what: grader output without a <!-- sample: ... --> marker (unchecked)"
			continue
		fi
		if ! out=$(grade_fixture "$ch" "$fixture"); then
			bad "$what: unknown fixture '$fixture'"
			continue
		fi
		got=$(normalise <"$out")
		rest=$got
		missing=""
		while IFS= read -r part; do
			part=$(echo "$part" | sed -E 's/^ +| +$//g')
			[ -n "$part" ] || continue
			case $rest in
			*"$part"*) rest=${rest#*"$part"} ;;
			*) missing=$part; break ;;
			esac
		done < <(normalise <"$s" | sed 's/\.\.\./\n/g')
		if [ -z "$missing" ]; then
			ok "$what: the sample is what the grader prints for the $fixture"
		else
			bad "$what: the grader no longer prints, for the $fixture: \"$missing\""
			echo "     (its output: $out)"
		fi
	done
done
echo "lesson-samples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
