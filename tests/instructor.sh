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
ok()  { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && tail -n 20 "$2"; }
tmp=$(mktemp -d /tmp/threadclinic-instructor-XXXXXX)
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

"$grade" --root "$top" --build "$tmp/build" --batch "$class" -C 01 --gradebook "$tmp/book" \
	>"$tmp/batch.log" 2>&1 || bad "the batch ran" "$tmp/batch.log"

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
    want(gate(name, 'correctness')['score'] == 40, '%s (a reference, its layout) passes correctness' % name)
want(gate('o"neil, pat', 'correctness')['score'] < 40, 'the flat starter fails correctness')
want('No such file' not in gate('o"neil, pat', 'correctness')['summary'], 'the flat file was found')
want(subs['empty']['score'] == 0 and subs['empty']['max_score'] == 100, 'an empty chapter scores 0/100')
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
"$grade" --root "$top" --build "$tmp/build" --batch "$class" -C 01 --gradebook "$tmp/book" \
	>"$tmp/again.log" 2>&1
status=$?
if [ $status -eq 2 ] && grep -q "never replaced" "$tmp/again.log" &&
   [ "$(sha256sum "$tmp/book.csv")" = "$before" ]; then
	ok "a second batch refuses to replace the gradebook"
else bad "a second batch replaced the gradebook (status $status)" "$tmp/again.log"; fi

echo "instructor: $passed passed, $failed failed"
[ $failed -eq 0 ]
