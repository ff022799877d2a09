#!/usr/bin/env bash
# bundle.sh - builds the Gradescope autograder zip (make gradescope runs it).
#
# Usage: bundle.sh TOP OUT [CH] [HIDDEN] [COURSE] [ASSIGNMENT]
# TOP is the workbook, OUT the output folder (OUT/autograder.zip). Works
# from a git checkout (the files git tracks) and from any other copy of the
# workbook, such as a release tarball (the files on disk); fails loudly,
# never with a bundle missing the grader or the chapters.
#   CH          chapters graded ("01 02"; default: all, or the assignment's)
#   HIDDEN      a folder of hidden tests, one <NN-slug>.c per chapter: each
#               must name a chapter the bundle grades, build, and be passed
#               by the reference in TOP/solutions (checked here)
#   COURSE      the course policy (default: TOP/course.json when it exists),
#               checked here and shipped as course.json
#   ASSIGNMENT  an assignment of the course policy: its chapters are graded
set -uo pipefail
top=$1 out=$2 ch=${3:-} hidden=${4:-} course=${5:-} assignment=${6:-}
die() { echo "make gradescope: $*" >&2; exit 1; }
bundle=$out/bundle
grade=$top/build/bin/grade
rm -rf "$out" && mkdir -p "$bundle" || die "cannot create $out"

# 1. The workbook's files, without solutions, tests or .git.
if git -C "$top" rev-parse --show-toplevel >/dev/null 2>&1 &&
   [ "$(cd "$(git -C "$top" rev-parse --show-toplevel)" && pwd -P)" = "$(cd "$top" && pwd -P)" ]; then
	(cd "$top" && git ls-files -z -- chapters harness Makefile README.md) |
		(cd "$top" && xargs -0 cp --preserve=timestamps --parents -t "$bundle") || die "cannot copy the workbook"
	how="the files git tracks"
else
	(cd "$top" && find chapters harness Makefile README.md -type f \
		! -path 'harness/hidden/*' ! -name '*.o' ! -name '*.d' -print0) |
		(cd "$top" && xargs -0 cp --preserve=timestamps --parents -t "$bundle") || die "cannot copy the workbook"
	how="the files on disk (not a git checkout)"
fi
for need in Makefile harness/src/main.c harness/gradescope/run_autograder harness/gradescope/setup.sh \
	    harness/lib/scenario.c harness/world; do
	[ -e "$bundle/$need" ] || die "the bundle would lack $need (copied $how from $top)"
done
# Every source of the grader, the harness and the world (an untracked file
# would build here and not in the bundle).
for f in "$top"/harness/{src,lib,world,drivers,suites,scenarios,bench}/*.[ch] "$top"/harness/manifests/*.json; do
	rel=${f#"$top"/}
	[ -e "$bundle/$rel" ] || die "the bundle would lack $rel (git does not track it: git add it)"
done
ls "$bundle"/chapters/[0-9][0-9]-*/*.h >/dev/null 2>&1 || die "the bundle would have no chapters"
mkdir -p "$bundle/tests" && cp "$top/tests/tests.mk" "$bundle/tests/" ||
	die "cannot copy tests/tests.mk"
cp "$top/harness/gradescope/setup.sh" "$top/harness/gradescope/run_autograder" "$bundle/" ||
	die "cannot copy setup.sh and run_autograder"

# 2. The course policy and the chapters graded.
[ -z "$course" ] && [ -f "$top/course.json" ] && course=$top/course.json
if [ -n "$course" ]; then
	"$grade" --root "$top" --course "$course" ${assignment:+--assignment "$assignment"} \
		--check-course >/dev/null || die "the course policy $course is wrong (above)"
	cp "$course" "$bundle/course.json" || die "cannot copy $course"
elif [ -n "$assignment" ]; then
	die "ASSIGNMENT=$assignment needs a course policy (COURSE=FILE or course.json)"
fi
[ -n "$ch" ] && [ -n "$assignment" ] && die "give CH= or ASSIGNMENT=, not both"
[ -n "$ch" ] && printf '%s\n' $ch > "$bundle/harness/gradescope/chapters.txt"
[ -n "$assignment" ] && printf '%s\n' "$assignment" > "$bundle/harness/gradescope/assignment.txt"

# 3. Hidden tests: named after a graded chapter, building, passed by the reference.
if [ -n "$hidden" ]; then
	bash "$top/harness/gradescope/check_hidden.sh" "$top" "$bundle" "$hidden" "$ch" \
		"$assignment" || exit 1
fi

# 4. The zip.
(cd "$bundle" && zip -q -r ../autograder.zip .) || die "zip failed"
files=$(unzip -Z1 "$out/autograder.zip" | grep -vc '/$')
[ "$files" -ge 50 ] || die "the bundle holds only $files files: something is missing"
echo "Gradescope bundle: $out/autograder.zip ($files files; $how)"
