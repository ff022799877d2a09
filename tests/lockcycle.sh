#!/usr/bin/env bash
# lockcycle.sh - a deadlock's feedback names its cycle (chapter 10, issue 13)
#
# Grades two zoo variants of chapter 10 RUNS times each (default 5), through
# the grader's batch mode, and checks the correctness feedback of the test
# each one deadlocks:
#  - opposite-order-transfer.c (two transfers in opposite directions): both
#    threads of the cycle are named, each holding one site's lock taken at
#    the variant's first lock call and waiting for the other's at its second
#    (the lines are read from the variant itself);
#  - self-transfer.c (a move from a site to itself): one thread holding a
#    site's lock and waiting for it again, at the two lock calls' lines.
# Usage: tests/lockcycle.sh [RUNS]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${RUNS:-5}}
tmp=$(mktemp -d /tmp/threadclinic-lockcycle-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
zoo="$top/tests/zoo/10-deadlock"

for v in opposite-order-transfer self-transfer; do
	for i in $(seq "$runs"); do
		mkdir -p "$tmp/subs/$v-$i/10-deadlock"
		cp "$zoo/$v.c" "$tmp/subs/$v-$i/10-deadlock/transfer.c"
	done
done
"$top/build/bin/grade" --root "$top" --build "$tmp/build" --batch "$tmp/subs" -C 10 \
	--gradebook "$tmp/book" -j 2 >"$tmp/log" 2>&1
python3 - "$tmp/book.json" "$zoo" "$runs" <<'PY'
import json, re, sys
book, zoo, runs = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])

def line_of(variant, text, nth=1):
    """The line number of the nth line of the variant containing text."""
    hits = [i + 1 for i, l in enumerate(open(f"{zoo}/{variant}.c")) if text in l]
    return hits[nth - 1]

def details(sub):
    for ch in sub.get("chapters", []):
        for check in ch.get("checks", []):
            if check.get("name") == "correctness":
                return check.get("details", "")
    return ""

opp_first = line_of("opposite-order-transfer", "pthread_mutex_lock(&from->lock)")
opp_second = line_of("opposite-order-transfer", "pthread_mutex_lock(&to->lock)")
self_first = line_of("self-transfer", "pthread_mutex_lock(&first->lock)")
self_second = line_of("self-transfer", "pthread_mutex_lock(&second->lock)")
want = {
    "opposite-order-transfer": re.compile(
        r"FAIL opposite_transfers_finish \(R4a R4e\): timed out after [0-9.]+ s: deadlock: "
        r"thread \d+ holds site ([12])'s lock \(taken at transfer\.c:%d\) and waits for "
        r"site ([12])'s lock \(at transfer\.c:%d\); thread \d+ holds site \2's lock "
        r"\(taken at transfer\.c:%d\) and waits for site \1's lock \(at transfer\.c:%d\);"
        % (opp_first, opp_second, opp_first, opp_second)),
    "self-transfer": re.compile(
        r"FAIL transfer_moves_one_patient \(R1a\): timed out after [0-9.]+ s: deadlock: "
        r"thread \d+ holds site 1's lock \(taken at transfer\.c:%d\) and waits for it "
        r"again \(at transfer\.c:%d\)" % (self_first, self_second)),
}
passed = failed = 0
for variant, pattern in want.items():
    subs = [s for s in book["submissions"] if s["name"].startswith(variant + "-")]
    good = [s["name"] for s in subs if pattern.search(details(s))]
    ok = len(subs) == runs and len(good) == runs
    print("%s  zoo/%s.c: the cycle is named with file:line in %d of %d runs" %
          ("ok  " if ok else "FAIL", variant, len(good), runs))
    if not ok:
        for s in subs:
            if s["name"] not in good:
                d = details(s)
                i = d.find("deadlock")
                print("     %s: %s" % (s["name"], (d[i - 200:i + 400] if i >= 0 else d[:600])))
    passed += ok
    failed += not ok
print("lockcycle: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
