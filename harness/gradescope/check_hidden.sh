#!/usr/bin/env bash
# check_hidden.sh - checks an instructor's hidden tests and puts them into a
# Gradescope bundle (bundle.sh runs it).
#
# Usage: check_hidden.sh TOP BUNDLE HIDDEN CH ASSIGNMENT
# Every file of HIDDEN must be <NN-slug>.c for a chapter the bundle grades;
# each is copied to BUNDLE/harness/hidden/ and the reference of its chapter
# (TOP/solutions) is graded with it: the hidden scenarios must build, run,
# and pass under correctness, ThreadSanitizer and Helgrind. Any problem is a
# clear message and exit status 1 (and no bundle). The gradings are built in
# TOP/build/hidden-check (its cache of harness objects is kept).
set -uo pipefail
top=$1 bundle=$2 hidden=$3 ch=$4 assignment=$5
grade=$top/build/bin/grade
die() { echo "make gradescope: HIDDEN=$hidden: $*" >&2; exit 1; }
[ -d "$hidden" ] || die "no such folder"
[ -d "$top/solutions" ] || die "cannot check hidden tests without the references in $top/solutions"
ids=$(cd "$bundle/chapters" && ls -d [0-9][0-9]-* | tr '\n' ' ')
# The chapters this bundle grades.
graded=$ids
if [ -n "$assignment" ]; then
	ch=$("$grade" --root "$top" --course "$bundle/course.json" --assignment "$assignment" \
		--check-course | sed -n 's/^assignment [^:]*: //p')
fi
if [ -n "$ch" ]; then
	graded=""
	for sel in $ch; do
		for id in $ids; do
			if [ "$sel" = "$id" ] || { [[ $sel =~ ^[0-9]+$ ]] &&
				[ $((10#$sel)) -eq $((10#${id%%-*})) ]; }; then graded="$graded $id"; fi
		done
	done
fi
tmp=$(mktemp -d /tmp/threadclinic-hidden-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$bundle/harness/hidden"
count=0
for f in "$hidden"/* "$hidden"/.[!.]*; do
	[ -e "$f" ] || continue
	name=$(basename "$f")
	id=${name%.c}
	if [ "$name" = "$id" ] || [ ! -f "$f" ] || [[ " $ids " != *" $id "* ]]; then
		die "$name is not named after a chapter: a hidden test file is <chapter>.c, one of: $ids"
	fi
	[[ " $graded " == *" $id "* ]] || die "$name: chapter $id is not graded by this bundle (graded:$graded)"
	# A fresh mtime: the grader's object cache is keyed on the newest
	# mtime of its inputs, so an older copy could reuse stale objects.
	cp "$f" "$bundle/harness/hidden/$name" || die "cannot copy $name"
	count=$((count + 1))
done
[ $count -gt 0 ] || die "no hidden test file (<chapter>.c) in it"
for f in "$bundle"/harness/hidden/*.c; do
	id=$(basename "$f" .c)
	"$grade" --root "$bundle" --build "$top/build/hidden-check" -C "$id" -s "$top/solutions" --seed off \
		--report "$tmp/$id.json" >"$tmp/$id.log" 2>&1
	if ! python3 - "$tmp/$id.json" >"$tmp/$id.why" 2>&1 <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))['chapters'][0]
bad = [g for g in c['checks'] if g['name'] in ('correctness', 'tsan', 'helgrind') and not g['tool_passed']]
if not c.get('hidden_tests'):
    print('its scenarios are not in the graded binary (does it define hidden_scenarios and hidden_scenario_count?)')
    sys.exit(1)
for g in bad:
    print('%s: %s\n%s' % (g['name'], g['summary'], g['details']))
sys.exit(1 if bad else 0)
PY
	then
		cat "$tmp/$id.why" >&2
		die "$id.c: the reference of $id does not pass with it (the hidden tests must build and the reference must pass them; above: the grader's words)"
	fi
	echo "hidden tests: $id.c: builds; the reference passes its $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['chapters'][0]['hidden_tests'])" "$tmp/$id.json") hidden scenarios"
done
