#!/usr/bin/env bash
# golden.sh - the grader's report for chapter 01, kept as golden files
#
# Grades chapter 01's starter and its reference solution and compares, for
# each, the terminal text (the chapter's block and the table, without the
# indented detail lines, the sandbox line and the timings) and the JSON
# report (--report) with tests/golden/01-{starter,solution}.{txt,json}.
#
# What depends on the run is masked in the golden files, never in the code
# under test:
#  - a golden text line or JSON string ending in "..." matches any text that
#    begins with the rest ("..." alone matches anything, of any JSON type);
#  - perturbation seeds are replaced by <seed> on both sides;
#  - the gate lines are compared as the grader's final text: whatever it
#    redraws on the way (a line per gate as soon as it ends) does not count,
#    only the last text of each line in the captured output.
# Timings ("[0.6 s]", "seconds", the benchmark's figures) and the starter's
# race-dependent text are "..." in the golden files; so are the solution's
# throughput verdict and total, which a loaded machine can move.
#
# Usage: tests/golden.sh            compare (exit 1 on a difference)
#        tests/golden.sh --update   rewrite the golden files from this run,
#                                   keeping every "..." mask that still matches
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
golden="$top/tests/golden"
tmp=$(mktemp -d /tmp/threadclinic-golden-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mode=${1:-compare}

grade() {	# grade <label> [grader options...]
	local label=$1
	shift
	"$top/build/bin/grade" --root "$top" --build "$tmp/build" -C 01 -r "$tmp/$label.json" "$@" \
		>"$tmp/$label.out" 2>&1
	# The final text of each line (after any carriage-return redraw), the
	# chapter's block and the table, without details, sandbox or timings.
	sed 's/.*\r//' "$tmp/$label.out" |
		sed -n '/^== 01-serial-to-parallel ==/,/^TOTAL /p' |
		grep -v '^      \|^  sandbox:' | sed -E 's/ \[[0-9.]+ s\]$//' >"$tmp/$label.txt"
}

grade starter
grade solution -s solutions

python3 - "$mode" "$golden" "$tmp" <<'PY'
import json, re, sys

mode, golden, tmp = sys.argv[1:4]
SEED = re.compile(r"(seed |SEED=)\d+")

def unseed(text):
    return SEED.sub(lambda m: m.group(1) + "<seed>", text)

def text_matches(want, got):
    if want.endswith("..."):
        return got.startswith(want[:-3])
    return want == got

def json_matches(want, got, path, bad):
    if want == "...":
        return got
    if isinstance(want, str) and isinstance(got, str):
        if text_matches(want, unseed(got)):
            return want
        bad.append(f"{path}: golden {want!r}, grader {unseed(got)!r}")
        return unseed(got)
    if isinstance(want, dict) and isinstance(got, dict):
        out = {}
        for k in set(want) | set(got):
            if k not in got:
                bad.append(f"{path}.{k}: in the golden file, not in the report")
            elif k not in want:
                bad.append(f"{path}.{k}: in the report, not in the golden file")
                out[k] = got[k]
            else:
                out[k] = json_matches(want[k], got[k], f"{path}.{k}", bad)
        return {k: out[k] for k in (list(want) + [k for k in got if k not in want]) if k in out}
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            bad.append(f"{path}: golden has {len(want)} items, the report {len(got)}")
        return [json_matches(w, g, f"{path}[{i}]", bad) for i, (w, g) in
                enumerate(zip(want, got))] + got[len(want):]
    if want != got:
        bad.append(f"{path}: golden {want!r}, grader {got!r}")
    return got

failed = 0
for label in ("starter", "solution"):
    got_text = [unseed(l) for l in open(f"{tmp}/{label}.txt").read().splitlines()]
    got_json = json.load(open(f"{tmp}/{label}.json"))
    try:
        want_text = open(f"{golden}/01-{label}.txt").read().splitlines()
        want_json = json.load(open(f"{golden}/01-{label}.json"))
    except FileNotFoundError:
        want_text, want_json = [], {}
    bad = []
    if len(want_text) != len(got_text):
        bad.append(f"terminal: golden has {len(want_text)} lines, the grader printed {len(got_text)}")
    merged_text = []
    for i, g in enumerate(got_text):
        w = want_text[i] if i < len(want_text) else None
        if w is not None and text_matches(w, g):
            merged_text.append(w)
        else:
            merged_text.append(g)
            if w is not None:
                bad.append(f"terminal line {i + 1}: golden {w!r}\n{'':>10}grader {g!r}")
    merged_json = json_matches(want_json, got_json, "report", bad)
    if mode == "--update":
        with open(f"{golden}/01-{label}.txt", "w") as f:
            f.write("\n".join(merged_text) + "\n")
        with open(f"{golden}/01-{label}.json", "w") as f:
            json.dump(merged_json, f, indent=2, ensure_ascii=False)
            f.write("\n")
        print(f"wrote tests/golden/01-{label}.txt and .json ({len(bad)} changes)")
        continue
    if bad:
        failed += 1
        print(f"FAIL chapter 01's {label}: the grader's report differs from tests/golden/01-{label}.*")
        for b in bad:
            print("     " + b)
    else:
        print(f"ok   chapter 01's {label}: terminal text and JSON report match tests/golden/01-{label}.*")
if mode != "--update":
    print(f"golden: {2 - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
