#!/usr/bin/env bash
# instructor.sh - the instructor's side (issue 12): a class folder holding
# every submission layout, odd names, an empty chapter and an extra file,
# graded as a batch; the CSV gradebook parsed back with Python's csv module
# must equal the JSON gradebook; a gradebook is never replaced.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
grade=$top/build/bin/grade
ch=01-serial-to-parallel
passed=0 failed=0
start=$SECONDS
ok()  { passed=$((passed + 1)); echo "ok   $1 [$((SECONDS - start)) s]"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && tail -n 20 "$2"; }
tmp=$(mktemp -d /tmp/threadclinic-instructor-XXXXXX)
build=$top/build/instructor	# kept: its cache of compiled harness objects
trap 'rm -rf "$tmp"' EXIT

class=$tmp/class
ref=$top/solutions/$ch/clean.c
mkdir -p "$class/alice/$ch" "$class/frank/chapters/$ch" "$class/o\"neil, pat" \
	"$class/zoë nested/work/$ch" "$class/empty/$ch"
cp "$ref" "$class/alice/$ch/clean.c"
cp "$ref" "$class/frank/chapters/$ch/clean.c"
cp "$top/chapters/$ch/clean.c" "$class/o\"neil, pat/clean.c"
cp "$ref" "$class/zoë nested/work/$ch/clean.c"
echo "my notes" > "$class/zoë nested/work/$ch/notes.txt"
printf 'int extra;\n' > "$class/zoë nested/work/$ch/extra.c"
# frank's folder is a git clone: the gradebook names the commit graded.
git -C "$class/frank" init -q && git -C "$class/frank" add -A &&
	git -C "$class/frank" -c user.name=f -c user.email=f@example.org commit -q -m work &&
	git -C "$class/frank" pack-refs --all
commit=$(git -C "$class/frank" rev-parse HEAD)

# The course policy of these tests: throughput off (and Helgrind, to keep
# the tests short), chapters 01 and 02 reweighted, two assignments,
# hidden-test results never shown to students.
cat > "$tmp/course.json" <<'JSON'
{
  "_about": "tests/instructor.sh",
  "assignments": { "hw1": ["01"], "hw2": ["01", "02-waitgroups"] },
  "gates": { "throughput": { "mode": "off" }, "helgrind": { "mode": "off" } },
  "chapters": { "01": { "weight": 2 }, "02": { "weight": 0.5 } },
  "hidden_visibility": "hidden"
}
JSON
"$grade" --root "$top" --build "$build" --batch "$class" --course "$tmp/course.json" \
	--assignment hw1 --gradebook "$tmp/book" >"$tmp/batch.log" 2>&1 || bad "the batch ran" "$tmp/batch.log"

python3 - "$tmp/book.csv" "$tmp/book.json" "$commit" "$ref" >"$tmp/check.log" 2>&1 <<'PY'
import csv, hashlib, json, sys
csv_path, json_path, commit, ref = sys.argv[1:5]
book = json.load(open(json_path))
with open(csv_path, newline='') as f:
    rows = list(csv.DictReader(f, strict=True))
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
subs = {s['name']: s for s in book['submissions']}
want(set(subs) == {'alice', 'frank', 'o"neil, pat', 'zoë nested', 'empty'}, 'names: %s' % list(subs))
want(len(rows) == len(subs), 'one CSV row per submission')
for row in rows:
    want(None not in row and None not in row.values(), 'row of %r has extra or missing fields' % row.get('submission'))
    s = subs.get(row['submission'])
    if not s:
        want(False, 'CSV row %r not in the JSON' % row['submission']); continue
    want(row['commit'] == s['commit'] and row['graded_at'] == s['graded_at'], 'commit/time of %r' % s['name'])
    want(int(row['score']) == s['score'] and int(row['max_score']) == s['max_score'], 'totals of %r' % s['name'])
    for c in s['chapters']:
        want(int(row[c['id']]) == c['score'], 'chapter score of %r' % s['name'])
        want(row[c['id'] + ':seed'] == c['seed'], 'seed of %r' % s['name'])
        want(c['seed'].isdigit() or s['name'] == 'empty', 'a seed for %r' % s['name'])
        files = ' '.join('%s=%s' % kv for kv in c['files'].items())
        want(row[c['id'] + ':files'] == files, 'files of %r' % s['name'])
        for g in c['checks']:
            want(int(row[c['id'] + ':' + g['name']]) == g['score'], '%s of %r' % (g['name'], s['name']))
ch = '01-serial-to-parallel'
def chapter(name): return subs[name]['chapters'][0]
def gate(name, g): return [x for x in chapter(name)['checks'] if x['name'] == g][0]
for name in ('alice', 'frank', 'zoë nested'):
    want(gate(name, 'correctness')['score'] == gate(name, 'correctness')['max_score'] > 0, '%s (a reference, its layout) passes correctness' % name)
want(gate('o"neil, pat', 'correctness')['score'] == 0, 'the flat starter fails correctness')
want('No such file' not in gate('o"neil, pat', 'correctness')['summary'], 'the flat file was found')
want(subs['empty']['score'] == 0 and subs['empty']['max_score'] == 120, 'an empty chapter scores 0/120 (course: weight 2, two gates off)')
for name, s in subs.items():
    want([c['id'] for c in s['chapters']] == [ch], 'assignment hw1 grades 01 only (%r)' % name)
    want('throughput' not in [g['name'] for g in s['chapters'][0]['checks']], 'throughput off (%r)' % name)
    want([g['max_score'] for g in s['chapters'][0]['checks']] == [80, 40], 'weight 2 (%r)' % name)
want(not any(k.endswith(':throughput') for k in rows[0]), 'no throughput column')
want(subs['frank']['commit'] == commit, "frank's commit is %s" % commit)
want(subs['alice']['commit'] == '', 'alice is no clone')
sha = 'sha256:' + hashlib.sha256(open(ref, 'rb').read()).hexdigest()
want(chapter('alice')['files'] == {'clean.c': sha}, 'the hash of the graded file')
want(chapter('empty')['files'] == {'clean.c': 'missing'}, 'a missing file is named')
print('\n'.join(problems) or 'all equal')
sys.exit(1 if problems else 0)
PY
if [ $? -eq 0 ]; then ok "batch: every layout, odd names, empty chapter, extra file; CSV == JSON"
else bad "batch gradebook" "$tmp/check.log"; cat "$tmp/batch.log" | tail -n 5; fi

before=$(sha256sum "$tmp/book.csv")
"$grade" --root "$top" --build "$build" --batch "$class" -C 01 --gradebook "$tmp/book" \
	--course "$tmp/course.json" >"$tmp/again.log" 2>&1
status=$?
if [ $status -eq 2 ] && grep -q "never replaced" "$tmp/again.log" &&
   [ "$(sha256sum "$tmp/book.csv")" = "$before" ]; then
	ok "a second batch refuses to replace the gradebook"
else bad "a second batch replaced the gradebook (status $status)" "$tmp/again.log"; fi

# Reproducing one student's failure from the gradebook row (README.md,
# "Reproducing a student's failure"): the seed and the folder from the CSV,
# the same command, the same failing scenarios.
python3 - "$tmp/book.csv" "$tmp/book.json" >"$tmp/repro.txt" <<'PY'
import csv, json, sys
row = [r for r in csv.DictReader(open(sys.argv[1], newline='')) if r['submission'] == 'o"neil, pat'][0]
s = [s for s in json.load(open(sys.argv[2]))['submissions'] if s['name'] == 'o"neil, pat'][0]
fails = [l.split(' (')[0] for l in s['chapters'][0]['checks'][0]['details'].splitlines() if l.startswith('FAIL ')]
print(row['01-serial-to-parallel:seed'])
print(fails[0] if fails else '')
PY
seed=$(sed -n 1p "$tmp/repro.txt") fails=$(sed -n 2p "$tmp/repro.txt")
"$grade" --root "$top" --build "$build" -C 01 -s "$class/o\"neil, pat" --seed "$seed" \
	--test "${fails#FAIL }" --course "$tmp/course.json" -r "$tmp/repro.json" >"$tmp/repro.log" 2>&1
again=$(python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))['chapters'][0]
print(c['seed'])
print(' '.join(l.split(' (')[0] for l in c['checks'][0]['details'].splitlines() if l.startswith('FAIL ')))
" "$tmp/repro.json" 2>/dev/null)
if [ -n "$fails" ] && [ "$(sed -n 1p <<<"$again")" = "$seed" ] && [[ " $(sed -n 2p <<<"$again") " == *" $fails "* ]]; then
	ok "a gradebook row's seed, folder and TEST= rerun its first failing scenario, which fails again (${fails#FAIL })"
else bad "reproduction: gradebook '$seed / $fails', rerun '$again'" "$tmp/repro.log"; fi

# Course policy in make grade: an assignment of two chapters, reweighted
# ("empty" submitted nothing: the maxima show all the same).
"$grade" --root "$top" --build "$build" --course "$tmp/course.json" --assignment hw2 \
	-s "$class/empty" -r "$tmp/hw2.json" >"$tmp/hw2.log" 2>&1
if python3 - "$tmp/hw2.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
got = [(c['id'][:2], [(g['name'], g['max_score']) for g in c['checks']]) for c in r['chapters']]
want = [('01', [('correctness', 80), ('tsan', 40)]), ('02', [('correctness', 20), ('tsan', 10)])]
sys.exit(0 if got == want and r['score'] == 0 and r['max_score'] == 150 else 1)
PY
then ok "make grade honours the course policy (assignment hw2, weights 2 and 0.5, gates off)"
else bad "make grade ignored the course policy" "$tmp/hw2.log"; fi

# The maxima of a chapter never depend on the submission: a compile error in
# chapter 03 keeps 40/15/15/15/15.
mkdir -p "$tmp/broken/03-worker-pool"
printf 'this is not C\n' > "$tmp/broken/03-worker-pool/pool.c"
"$grade" --root "$top" --build "$build" -C 03 -s "$tmp/broken" -r "$tmp/broken.json" \
	>"$tmp/broken.log" 2>&1
if python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))['chapters'][0]
sys.exit(0 if [g['max_score'] for g in c['checks']] == [40, 15, 15, 15, 15] and c['score'] == 0 else 1)
" "$tmp/broken.json"; then ok "a compile error in 03 keeps the maxima 40/15/15/15/15"
else bad "a compile error changed the maxima of 03" "$tmp/broken.log"; fi

# Gradescope, from a copy of the workbook without .git (a release tarball):
# the course policy and hidden tests travel in the bundle; the student's
# results show no hidden test's name, clause or message.
rel=$tmp/release
mkdir -p "$rel/build/bin" "$rel/tests"
(cd "$top" && cp -r chapters harness solutions Makefile README.md "$rel/") && cp "$top/tests/tests.mk" "$rel/tests/"
rm -rf "$rel/harness/hidden"
cp "$grade" "$rel/build/bin/grade"
if bash "$rel/harness/gradescope/bundle.sh" "$rel" "$tmp/gs" "" "$top/tests/hidden" \
	"$tmp/course.json" hw2 >"$tmp/bundle.log" 2>&1 && grep -q "not a git checkout" "$tmp/bundle.log" &&
   [ "$(unzip -Z1 "$tmp/gs/autograder.zip" | grep -c 'harness/src/.*\.c$')" -ge 10 ]; then
	ok "make gradescope outside git: a whole bundle, hidden tests checked"
else bad "make gradescope outside git" "$tmp/bundle.log"; fi
ag=$tmp/autograder
mkdir -p "$ag/source/build/bin" "$ag/submission/01-serial-to-parallel"
unzip -q "$tmp/gs/autograder.zip" -d "$ag/source"
cp "$grade" "$ag/source/build/bin/grade"	# what setup.sh builds
cp "$top/tests/zoo/01-serial-to-parallel/remainder-dropped.c" "$ag/submission/01-serial-to-parallel/clean.c"
AUTOGRADER_ROOT=$ag "$ag/source/run_autograder"
if python3 - "$ag/results/results.json" >"$tmp/gs.log" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
problems = []
shown = [t for t in r['tests'] if t['visibility'] in ('visible', 'after_due_date')]
secret = [t for t in r['tests'] if 'hidden' in t.get('tags', [])]
for t in shown:
    text = json.dumps(t)
    for leak in ('secret_big_odd_batch', 'stored + rejected', 'harness/hidden'):
        if leak in text:
            problems.append('%s shows %r' % (t['name'], leak))
if not any('a hidden test' in t['output'] for t in shown):
    problems.append('no generic line for the failing hidden test')
if len(secret) != 1 or secret[0]['visibility'] != 'hidden' or 'secret_big_odd_batch' not in secret[0]['output']:
    problems.append('the instructor\'s hidden-test entry: %r' % secret)
maxima = {t['name']: t.get('max_score') for t in r['tests'] if t not in secret}
want = {'01-serial-to-parallel: correctness': 80, '01-serial-to-parallel: tsan': 40,
        '02-waitgroups: correctness': 20, '02-waitgroups: tsan': 10}
if maxima != want:
    problems.append('course policy not applied: %r' % maxima)
print('\n'.join(problems))
sys.exit(1 if problems else 0)
PY
then ok "Gradescope: course policy applied; hidden test shown only as a generic line"
else bad "Gradescope results" "$tmp/gs.log"; fi

# A broken or misnamed hidden test fails make gradescope, with its reason.
mkdir -p "$tmp/hidden-broken" "$tmp/hidden-misnamed"
printf 'const struct scenario hidden_scenarios[] = { nonsense };\n' \
	> "$tmp/hidden-broken/01-serial-to-parallel.c"
cp "$top/tests/hidden/01-serial-to-parallel.c" "$tmp/hidden-misnamed/01-serial.c"
for kind in broken misnamed; do
	bash "$rel/harness/gradescope/bundle.sh" "$rel" "$tmp/gs-$kind" 01 "$tmp/hidden-$kind" "" "" \
		>"$tmp/bundle-$kind.log" 2>&1
	status=$?
	want="does not pass"; [ $kind = misnamed ] && want="not named after a chapter"
	if [ $status -ne 0 ] && grep -q "$want" "$tmp/bundle-$kind.log" && [ ! -e "$tmp/gs-$kind/autograder.zip" ]; then
		ok "a $kind hidden test fails make gradescope ($want)"
	else bad "a $kind hidden test was accepted (status $status)" "$tmp/bundle-$kind.log"; fi
done

# GitHub Classroom: the workflow grades with the instructor's workbook at a
# pinned commit, never with the student's harness files; the README warns
# that Classroom's own UI rewrites the workflow.
if python3 - "$top/.github/workflows/classroom.yml" "$top/README.md" >"$tmp/classroom.log" 2>&1 <<'PY'
import re, sys, yaml
flow = yaml.safe_load(open(sys.argv[1]))
readme = open(sys.argv[2]).read()
steps = flow['jobs']['run-autograding-tests']['steps']
pristine = [s for s in steps if s.get('with', {}).get('repository') == '${{ env.WORKBOOK_REPOSITORY }}']
problems = []
if not (pristine and pristine[0]['with'].get('ref') == '${{ env.WORKBOOK_REF }}' and
        re.fullmatch(r'[0-9a-f]{40}', str(flow['env']['WORKBOOK_REF']))):
    problems.append('the workbook is not checked out at a pinned commit')
run = ' '.join(s.get('run', '') for s in steps)
if '--root workbook' not in run or '--submission submission' not in run:
    problems.append('the grader does not run from the pristine workbook on the submission')
if not re.search(r"Classroom's autograding UI: saving them rewrites\s+`\.github/workflows/classroom\.yml`", readme):
    problems.append('README does not warn that Classroom\'s UI rewrites the workflow')
print('\n'.join(problems))
sys.exit(1 if problems else 0)
PY
then ok "GitHub Classroom: pristine workbook at a pinned commit; README warns about Classroom's UI"
else bad "GitHub Classroom workflow" "$tmp/classroom.log"; fi

echo "instructor: $passed passed, $failed failed"
[ $failed -eq 0 ]
