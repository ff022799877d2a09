#!/usr/bin/env bash
# integrity.sh - the grader on hosts and submissions it must not trust
#
#  - a submission whose file is a symbolic link (to the reference, or to
#    /etc/passwd) is refused with its reason, and nothing it points to is
#    shown, in single and batch mode;
#  - a workbook and a student folder whose names hold a space, quotes, a
#    comma and non-ASCII letters grade exactly like plain names: the
#    reference at full marks, a racy variant losing tsan and helgrind;
#  - with CAP_SYS_ADMIN dropped (capsh), the report says which sandbox layers
#    are missing, --require-sandbox turns that into "could not run", and the
#    reference still passes on the layers that remain;
#  - a ThreadSanitizer that cannot start (its address space refused with
#    ulimit -v, as an mmap_rnd_bits kernel would) is "could not run", never
#    clean;
#  - two gradings of one chapter in one build folder at once: the second
#    waits for the first (both at full marks).
# Prints one line per check and "integrity: N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
grade=$top/build/bin/grade
chapter=01-serial-to-parallel
passed=0 failed=0
tmp=$(mktemp -d /tmp/threadclinic-integrity-XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' "$2" | head -20; }

# score FILE.json CHAPTER GATE: the gate's score in a JSON report
score() {
	python3 - "$1" "$2" "$3" <<'PY' 2>/dev/null || echo -1
import json, sys
d = json.load(open(sys.argv[1]))
for c in d["chapters"]:
    if c["id"] == sys.argv[2]:
        for g in c["checks"]:
            if g["name"] == sys.argv[3]:
                print(g["score"]); sys.exit(0)
print(-1)
PY
}

# 1. Links in a submission.
sub=$tmp/links
mkdir -p "$sub/$chapter"
ln -s "$top/solutions/$chapter/clean.c" "$sub/$chapter/clean.c"
"$grade" --root "$top" --build "$tmp/build" -C 01 -s "$sub" -r "$tmp/links.json" >"$tmp/links.log" 2>&1
if [ "$(score "$tmp/links.json" $chapter correctness)" = 0 ] && grep -q "symbolic link" "$tmp/links.log"; then
	ok "a link to the reference is refused: symbolic link, 0 points"
else bad "a link to the reference was not refused" "$tmp/links.log"; fi
rm "$sub/$chapter/clean.c"
ln -s /etc/passwd "$sub/$chapter/clean.c"
"$grade" --root "$top" --build "$tmp/build" -C 01 -s "$sub" >"$tmp/passwd.log" 2>&1
if grep -q "symbolic link" "$tmp/passwd.log" && ! grep -q "root:x:" "$tmp/passwd.log"; then
	ok "a link to /etc/passwd is refused and none of it is shown"
else bad "a link to /etc/passwd leaked or was followed" "$tmp/passwd.log"; fi
class=$tmp/class
mkdir -p "$class/mallory/$chapter"
ln -s "$top/solutions/$chapter/clean.c" "$class/mallory/$chapter/clean.c"
"$grade" --root "$top" --build "$tmp/build-batch" --batch "$class" -C 01 --gradebook "$tmp/book" >"$tmp/batch.log" 2>&1
if grep -q "mallory" "$tmp/book.csv" && python3 -c "
import json,sys
b=json.load(open('$tmp/book.json'))
s=[x for x in b['submissions'] if x['name']=='mallory'][0]
sys.exit(0 if s['score']==0 else 1)" 2>/dev/null; then
	ok "batch: a linked file scores 0"
else bad "batch: a linked file was followed" "$tmp/batch.log"; fi

# Linked folders: a chapter folder, a chapters/ folder and a whole student
# folder pointing at a classmate's work or at solutions/ are refused too.
links=$tmp/class-links
mkdir -p "$links/alice/$chapter" "$links/bob" "$links/carol" "$links/dave"
cp "$top/solutions/$chapter/clean.c" "$links/alice/$chapter/clean.c"
ln -s alice "$links/mallory"
ln -s "../alice/$chapter" "$links/bob/$chapter"
ln -s ../alice "$links/carol/chapters"
ln -s "$top/solutions/$chapter" "$links/dave/$chapter"
"$grade" --root "$top" --build "$tmp/build-links" --batch "$links" -C 01 --gradebook "$tmp/book-links" >"$tmp/batch-links.log" 2>&1
if python3 -c "
import json,sys
b={x['name']:x['score'] for x in json.load(open('$tmp/book-links.json'))['submissions']}
sys.exit(0 if b.get('alice')==100 and all(b.get(n)==0 for n in ('bob','carol','dave','mallory')) else 1)" 2>/dev/null; then
	ok "batch: linked folders (chapter, chapters/, student, solutions/) score 0; the real one 100"
else bad "batch: a linked folder was followed" "$tmp/batch-links.log"; fi
"$grade" --root "$top" --build "$tmp/build" -C 01 -s "$links/dave" >"$tmp/dirlink.log" 2>&1
if grep -q "symbolic link to a folder" "$tmp/dirlink.log"; then
	ok "a chapter folder linked to solutions/ is refused, with its reason"
else bad "a chapter folder linked to solutions/ was followed" "$tmp/dirlink.log"; fi

# 2. Odd names: the workbook and the student folder.
odd="$tmp/work book, \"q\" 'é'"
mkdir -p "$odd"
git -C "$top" ls-files -z -- chapters harness Makefile tests/tests.mk | \
	(cd "$top" && xargs -0 cp --parents -t "$odd")
mkdir -p "$odd/solutions" && cp -r "$top/solutions/$chapter" "$odd/solutions/"
student="$tmp/ann lee, \"x\" ü"
mkdir -p "$student/$chapter"
cp "$top/tests/zoo/$chapter/racy-report.c" "$student/$chapter/clean.c"
"$grade" --root "$odd" --build "$odd/build" -C 01 -s "$odd/solutions" -r "$tmp/odd-ref.json" >"$tmp/odd-ref.log" 2>&1
"$grade" --root "$odd" --build "$odd/build" -C 01 -s "$student" -r "$tmp/odd-racy.json" >"$tmp/odd-racy.log" 2>&1
if [ "$(score "$tmp/odd-ref.json" $chapter tsan)" = 20 ] && [ "$(score "$tmp/odd-ref.json" $chapter helgrind)" = 20 ] &&
   [ "$(score "$tmp/odd-ref.json" $chapter correctness)" = 40 ]; then
	ok "odd path names: the reference passes every race gate"
else bad "odd path names: the reference did not pass" "$tmp/odd-ref.log"; fi
if grep -q "ThreadSanitizer: data race" "$tmp/odd-racy.log" && grep -q "Helgrind: possible data race" "$tmp/odd-racy.log"; then
	ok "odd path names: a racy file is caught by both race tools"
else bad "odd path names: a racy file was not caught" "$tmp/odd-racy.log"; fi

# 3. No CAP_SYS_ADMIN.
if command -v capsh >/dev/null && [ "$(id -u)" = 0 ]; then
	capsh --drop=cap_sys_admin -- -c "'$grade' --root '$top' --build '$tmp/build-cap' -C 01 -s '$top/solutions' -r '$tmp/cap.json'" >"$tmp/cap.log" 2>&1
	if grep -q "missing: network and mount namespaces" "$tmp/cap.log" && grep -q "active: a uid of its own" "$tmp/cap.log" &&
	   [ "$(score "$tmp/cap.json" $chapter correctness)" = 40 ]; then
		ok "without CAP_SYS_ADMIN: the report names the missing layers; learner code still runs as its own uid"
	else bad "without CAP_SYS_ADMIN: layers not reported" "$tmp/cap.log"; fi
	capsh --drop=cap_sys_admin -- -c "'$grade' --root '$top' --build '$tmp/build-cap' -C 01 -s '$top/solutions' --require-sandbox -r '$tmp/cap2.json'" >"$tmp/cap2.log" 2>&1
	if [ "$(score "$tmp/cap2.json" $chapter correctness)" = 0 ] && grep -q "could not run: the sandbox is incomplete" "$tmp/cap2.log"; then
		ok "without CAP_SYS_ADMIN, --require-sandbox: could not run, 0 points"
	else bad "--require-sandbox did not refuse" "$tmp/cap2.log"; fi
else
	echo "skip capsh checks (needs root and capsh)"
fi

# 4. A ThreadSanitizer that cannot start.
(ulimit -v 8000000; "$grade" --root "$top" --build "$tmp/build-vm" -C 01 -s "$top/solutions" -r "$tmp/vm.json") >"$tmp/vm.log" 2>&1
if [ "$(score "$tmp/vm.json" $chapter tsan)" = 0 ] && grep -q "tsan .*could not run" "$tmp/vm.log"; then
	ok "ThreadSanitizer refused its memory: could not run, 0 points"
else bad "a ThreadSanitizer that could not start read as clean" "$tmp/vm.log"; fi

# 5. Two gradings of one chapter in one build folder at once (make watch and
#    make grade in two terminals): the second waits for the first instead of
#    removing its files; both keep full marks.
"$grade" --root "$top" --build "$tmp/build-two" -C 01 -s "$top/solutions" -r "$tmp/two-a.json" >"$tmp/two-a.log" 2>&1 &
first=$!
sleep 1
"$grade" --root "$top" --build "$tmp/build-two" -C 01 -s "$top/solutions" -r "$tmp/two-b.json" >"$tmp/two-b.log" 2>&1
wait $first
if [ "$(score "$tmp/two-a.json" $chapter correctness)" = 40 ] && [ "$(score "$tmp/two-b.json" $chapter correctness)" = 40 ] &&
   [ "$(score "$tmp/two-a.json" $chapter tsan)" = 20 ] && [ "$(score "$tmp/two-b.json" $chapter tsan)" = 20 ] &&
   grep -q "another grading of $chapter is using" "$tmp/two-b.log"; then
	ok "two gradings of one chapter in one build folder: the second waits, both at full marks"
else bad "two gradings at once spoiled each other" "$tmp/two-b.log"; cat "$tmp/two-a.log" | head -10; fi

echo "integrity: $passed passed, $failed failed"
[ $failed -eq 0 ]
