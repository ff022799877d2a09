#!/bin/bash
# learn_tools.sh - the learner's commands other than watch: hint, progress
# (and make grade recording into it), reset, interview, compile-commands,
# the editor's problem matchers, classroom-template. Each check is one that
# today's behaviour can fail; each runs in a private copy of the workbook.
. "$(dirname "$0")/learn/common.sh"
copy=$(new_copy)
work=$(mktemp -d "$ROOT/build/learn-tests/work.XXXXXX")
trap 'rm -rf "$copy" "$work"' EXIT
cd "$copy" || exit 1
m() { make --no-print-directory -s "$@"; }
echo "learn_tools: $copy"

echo "    [$SECONDS s] .gitignore: the learner's state stays out of their commits"
m progress >/dev/null
check "progress, backups and compile_commands.json are git-ignored" \
	"git check-ignore -q .threadclinic/progress.json && git check-ignore -q compile_commands.json"

echo "    [$SECONDS s] hint: one tier per call, from the lesson's own <details> blocks"
readme=chapters/02-waitgroups/README.md
tier_line() { # the first text line of tier $1 in the README
	awk -v t="<details><summary>$1</summary>" 'f && NF { print; exit } index($0, t) { f = 1 }' "$readme"
}
m hint CH=02 >"$work/h1"; m hint CH=2 >"$work/h2"; m hint CH=02-waitgroups >"$work/h3"; m hint CH=02 >"$work/h4"
check "hint 1 is the Nudge, word for word from the lesson" \
	"grep -q 'Hint 1 of 3 for 02-waitgroups: Nudge' $work/h1 && grep -qF \"\$(tier_line Nudge)\" $work/h1"
check "hint 2 is the Concept" "grep -q 'Concept' $work/h2 && grep -qF \"\$(tier_line Concept)\" $work/h2 && ! grep -qF \"\$(tier_line Nudge)\" $work/h2"
check "hint 3 is the Near solution" "grep -qF \"\$(tier_line 'Near solution')\" $work/h3"
check "a 4th call says there is no more" "grep -q 'seen all 3 hints' $work/h4"
check "hints used are in progress (3)" "[ \"\$(jq '.chapters[\"02-waitgroups\"].hints' .threadclinic/progress.json)\" = 3 ]"
check "make progress shows the 3 hints" "m progress | grep '^02-waitgroups' | grep -qE ' 3  *\$'"
check "a chapter that does not exist is refused, naming the chapters" \
	"! m hint CH=77 2>$work/h5 && grep -q '01-serial-to-parallel' $work/h5"

echo "    [$SECONDS s] progress: the best grading per gate, when, the bar; make list is the same"
report() { # chapter total correctness tsan helgrind leaks throughput
	printf '{"score":%s,"max_score":100,"chapters":[{"id":"%s","score":%s,"max_score":100,"checks":[' "$2" "$1" "$2"
	printf '{"name":"correctness","score":%s,"max_score":40},{"name":"tsan","score":%s,"max_score":20},' "$3" "$4"
	printf '{"name":"helgrind","score":%s,"max_score":20},{"name":"leaks","score":%s,"max_score":10},' "$5" "$6"
	printf '{"name":"throughput","score":%s,"max_score":10}]}]}\n' "$7"
}
report 03-worker-pool 80 40 20 20 0 0 >"$work/r1.json"
report 03-worker-pool 50 40 0 0 10 0 >"$work/r2.json"
build/bin/learn record "$work/r1.json" --quiet && build/bin/learn record "$work/r2.json" --quiet
row=$(m progress | grep '^03-worker-pool')
check "progress shows the best grading's gates, not a mix of gradings: $row" \
	"echo '$row' | grep -qE '^03-worker-pool +40/40 +20/20 +20/20 +0/10 +0/10 +80/100 +\[########\.\.\]'"
check "progress says when (best_when)" "echo '$row' | grep -qE '20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}'"
check "make list is make progress" "[ \"\$(m list)\" = \"\$(m progress)\" ]"
check "the book bar counts every chapter" "m progress | grep -qE '^book \[.*\] 80/[0-9]+ points, 0 of [0-9]+ chapters at full marks'"

echo "    [$SECONDS s] reset: the starter from the commit the learner started from"
f=chapters/02-waitgroups/waitgroup.c
git show HEAD:$f >"$work/starter.c"
echo "/* my attempt */" >>$f
git -c user.name=learner -c user.email=l@example.org commit -qam "my work on 02"
m reset CH=02 >"$work/reset.out"
backup=$(sed -n 's/^your file is kept as //p' "$work/reset.out")
check "reset restores the template's starter even after the learner committed" "cmp -s $f $work/starter.c"
check "reset keeps the learner's file as the backup it names ($backup)" \
	"[ -n '$backup' ] && tail -n 1 '$backup' | grep -q 'my attempt'"

echo "    [$SECONDS s] watch streams the grader's lines as they are printed"
# A stand-in grader that prints with stdio and never flushes: through a pipe
# both lines would arrive together at its exit; through watch's terminal the
# first one comes 2 s before the second.
printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("  correctness  PASS  40/40\\n");\n sleep(2); printf("  total        100/100\\n"); return 0; }\n' >"$work/fake.c"
cc -o "$work/fakegrade" "$work/fake.c"
THREADCLINIC_GRADER="$work/fakegrade" THREADCLINIC_WATCH_STAMPS=1 timeout -s INT 4 build/bin/learn watch 01 >"$work/stream.out" 2>&1
t1=$(sed -n 's/^\[\([0-9.]*\)\]   correctness.*/\1/p' "$work/stream.out")
t2=$(sed -n 's/^\[\([0-9.]*\)\]   total.*/\1/p' "$work/stream.out")
check "watch shows a gate line as soon as it is printed (stdio, no flush): ${t1:-?} then ${t2:-?}" \
	"[ -n '$t1' ] && [ -n '$t2' ] && [ \$(echo '$t2 - $t1 >= 1.5' | bc) = 1 ]"

echo "    [$SECONDS s] compile_commands.json: every include of every chapter file resolves"
m compile-commands >/dev/null
n=$(jq length compile_commands.json)
bad=0
for ((i = 0; i < n; i++)); do
	file=$(jq -r ".[$i].file" compile_commands.json)
	mapfile -t args < <(jq -r ".[$i].arguments[]" compile_commands.json)
	(cd "$(jq -r ".[$i].directory" compile_commands.json)" && "${args[@]}" -o /dev/null) 2>"$work/cc.err" ||
		{ bad=$((bad + 1)); echo "        $file: $(head -n 1 "$work/cc.err")"; }
done
check "compile_commands.json: $n entries, each compiles with its own command" "[ $n -ge 8 ] && [ $bad -eq 0 ]"
if command -v clangd >/dev/null 2>&1; then
	mkdir -p "$work/nocdb"
	check "clangd without it cannot resolve a world header (the check can fail)" \
		"! clangd --check=chapters/03-worker-pool/pool.c --compile-commands-dir=$work/nocdb 2>&1 | grep -q 'All checks completed, 0 errors'"
	check "clangd with it: 0 errors in chapter 03" \
		"clangd --check=chapters/03-worker-pool/pool.c 2>&1 | grep -q 'All checks completed, 0 errors'"
fi

echo "    [$SECONDS s] interview: blank file, clock, 0 on every gate, reference = full marks, reset"
f=chapters/01-serial-to-parallel/clean.c
echo "/* before the interview */" >>$f
cp $f "$work/before.c"
m interview CH=01 MINUTES=30 >"$work/iv.out"
check "interview names the backup and the header" "grep -q 'your file is kept as' $work/iv.out && grep -q 'clean.h' $work/iv.out"
check "the blank defines every function the header declares" \
	"for fn in \$(grep -oE '^[a-z_]+[ *]+([a-z_]+)\(' chapters/01-serial-to-parallel/clean.h | grep -oE '[a-z_]+\(\$' | tr -d '('); do grep -qE \"^[a-z].*\\b\$fn\\(\" $f || exit 1; done"
for c in $(ls chapters); do
	{ build/bin/learn blank "$c" >"$work/blank-$c.c" && cc -std=gnu11 -pthread -Wall -Wextra -Werror -fsyntax-only \
		-I chapters/$c -I harness/world -I harness/lib "$work/blank-$c.c" || echo "$c" >>"$work/blanks.bad"; } &
done
wait
check "a blank for every chapter's header compiles without a warning" "[ ! -s $work/blanks.bad ]"
m grade CH=01 >"$work/g1.out" 2>&1
table=$(grep -E '^01-serial-to-parallel ' "$work/g1.out")
check "the blank scores 0 on every gate: $table" \
	"[ -n '$table' ] && [ -z \"\$(echo '$table' | grep -oE '[0-9]+/[0-9]+' | grep -v '^0/')\" ]"
check "the blank's feedback says what is wrong (violated clauses)" "grep -qE 'R[0-9][a-z]? violated' $work/g1.out"
check "make grade shows the interview clock" "grep -qE 'interview 01-serial-to-parallel: (29|30):[0-9]{2} of 30:00 left' $work/g1.out"
cp "$ROOT/solutions/01-serial-to-parallel/clean.c" $f
m grade CH=01 >"$work/g2.out" 2>&1
check "the reference copied in scores full marks" "grep -qE '^TOTAL +100/100' $work/g2.out"
check "the time to full marks is announced and in progress" \
	"grep -q 'interview 01-serial-to-parallel: full marks in' $work/g2.out &&
	 jq -e '.chapters[\"01-serial-to-parallel\"].interviews[-1].seconds_to_full >= 0' .threadclinic/progress.json >/dev/null"
check "make progress shows the interview" "m progress | grep '^01-serial' | grep -q 'interview: full marks in'"
m reset CH=01 >"$work/r.out"
check "reset after the interview brings back the learner's own file" "cmp -s $f $work/before.c"
# 01 is at full marks in progress now: watch without CH follows the book.
timeout -s INT 4 build/bin/learn watch >"$work/follow.out" 2>&1
check "watch without CH takes the first chapter not at full marks (02)" \
	"grep -q 'make watch: chapters/02-waitgroups/' $work/follow.out && grep -q 'watch: bye' $work/follow.out"

echo "    [$SECONDS s] classroom-template: the learner's view, no reference line, still grades"
out="$work/template"
m classroom-template DIR="$out" >"$work/ct.out"
check "the export has chapters, harness, Makefile, README, workflow, .vscode, .devcontainer" \
	"[ -d $out/chapters ] && [ -d $out/harness ] && [ -f $out/Makefile ] && [ -f $out/README.md ] &&
	 [ -f $out/.github/workflows/classroom.yml ] && [ -f $out/.vscode/tasks.json ] && [ -f $out/.devcontainer/devcontainer.json ]"
check "no solutions/, tests/zoo, tests/adversarial or NOTES.md in it" \
	"[ ! -e $out/solutions ] && [ ! -e $out/tests/zoo ] && [ ! -e $out/tests/adversarial ] && [ -z \"\$(find $out -name NOTES.md)\" ]"
trimmed() { find "$@" -type f -exec cat {} + 2>/dev/null | tr -d '\000' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -aE '[[:alnum:]].{7,}' | sort -u; }
# Lines of a reference that neither its starter, nor any header, nor the harness has.
comm -23 <(cat solutions/*/*.c | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -E '[[:alnum:]].{7,}' | sort -u) \
	<(trimmed chapters harness) >"$work/unique"
check "the unique-line test can fail: the source tree has $(wc -l <"$work/unique") reference-only lines" \
	"[ -n \"\$(comm -12 $work/unique <(trimmed solutions tests))\" ]"
leaked=$(comm -12 "$work/unique" <(trimmed "$out") | head -n 3)
check "no line unique to a reference appears in the export${leaked:+: $leaked}" "[ -z \"\$leaked\" ]"
# The grader's objects come along (made newer than the export's sources) so the
# export does not spend half a minute compiling a grader identical to this one.
check "the export's grader sources are this workbook's" "diff -rq harness/src $out/harness/src >/dev/null"
mkdir -p "$out/build" && cp -a build/obj build/bin "$out/build/" && rm -f "$out/build/bin/learn" &&
	find "$out/build" -exec touch {} +
(cd "$out" && make --no-print-directory -s grade CH=01 >"$work/ex.out" 2>&1)
check "make grade CH=01 works inside the export (the starter: graded, short of 100)" \
	"grep -qE '^01-serial-to-parallel +FAIL' $work/ex.out && grep -qE '^TOTAL +[0-9]/100' $work/ex.out"
check "the export's make grade records progress there" "[ -f $out/.threadclinic/progress.json ]"

echo "    [$SECONDS s] the editor's problem matchers, on real grader output (failing starter)"
cc_re=$(jq -r '.tasks[0].problemMatcher[0].pattern.regexp' .vscode/tasks.json)
gr_re=$(jq -r '.tasks[0].problemMatcher[1].pattern.regexp' .vscode/tasks.json)
sed -i '20s/$/ syntax error here/' chapters/02-waitgroups/waitgroup.c
make --no-print-directory -s grade CH=02 STRICT=1 >"$work/cc.out" 2>"$work/cc.err"
status=$?
git checkout -q chapters/02-waitgroups/waitgroup.c
check "make grade keeps the grader's exit status (STRICT=1, short of the maximum: $status)" "[ $status -ne 0 ]"
check "make grade's output is the grader's: its closing line is the last" "tail -n 1 $work/cc.out | grep -q '^grade: '"
matches() { # regexp file: the matched "file:line" pairs, by JavaScript's regex engine when there is node
	if command -v node >/dev/null 2>&1; then
		node -e 'const re = new RegExp(process.argv[1]); const m = process.argv[3].split(/\r?\n/).map(l => re.exec(l)).filter(Boolean);
			 for (const x of m) console.log(x[+process.argv[2]] + ":" + x[+process.argv[2] + 1]);' "$1" "$3" "$(cat "$2")"
	else grep -P "$1" "$2"; fi
}
cm=$(matches "$cc_re" "$work/cc.out" 1)
check "the compiler matcher finds chapters/02-waitgroups/waitgroup.c:20" "echo '$cm' | grep -q '^chapters/02-waitgroups/waitgroup.c:20\$'"
gm=$(matches "$gr_re" "$work/ex.out" 2)
check "the grader matcher finds the starter's races and crashes at clean.c:LINE (in the export's grading)" \
	"echo '$gm' | grep -qE '^chapters/01-serial-to-parallel/clean.c:[0-9]+\$'"
check "the grader matcher leaves compiler lines to the compiler matcher" "[ -z \"\$(matches '$gr_re' $work/cc.out 2)\" ]"

[ $failures -eq 0 ] && echo "learn_tools: all passed" || echo "learn_tools: $failures failed"
[ $failures -eq 0 ]
