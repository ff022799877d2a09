#!/usr/bin/env python3
"""Prints the RESULTS.md tables from build/redteam/*.{json,time} (written by
run.sh) and the header comments of the cases. The MISSED set and the notes
are judgements, kept here by hand. Run from the worktree root."""
import glob, json, os, re
GATES = ["correctness", "tsan", "helgrind", "leaks", "throughput"]
MISSED = {"01-bump-harness-thread-count", "01-racy-when-large", "04-poll-with-sleep",
          "06-async-confirm-handshake", "07-timing-detects-tools", "07-timing-probe-atomic",
          "07-timing-probe-both", "01-remainder-dropped", "03-error-path-no-join",
          "04-realtime-deadline", "06-check-then-add"}
NOTES = {
 "01-include-solution-macro": "policy let the macro-built include through (its first hit was my comment); the compiler then could not find the file: the sandbox hides solutions at build time too",
 "03-no-sanitize-macro": "first run rejected for the word in my comment; after rewording, the token-pasted attribute was still caught after preprocessing",
 "04-clock-interpose": "policy did not flag the definition of world_now_ns(); only the link failed. Correctness reason names 'the Helgrind driver'",
 "02-fake-output-flood": "grader's own output not polluted (23 lines); tsan says 'printed more than 4 MiB', helgrind HELD 'no error' for the same flood",
 "02-thread-and-memory-bomb": "tsan/helgrind reason says 'exit() or _exit() in your code?' though the run hit the memory limit",
 "05-close-verdict-channel": "reason says 'exit() or _exit() in your code?'; the file closed the verdict pipe instead",
 "07-pthread-exit-early": "66 s grading (over 60 s); reason guesses 'threads parked for good?', the batch thread called pthread_exit",
 "06-async-registry-confirm": "first version crashed (UAF); kept. The tidied version with a handshake is 06-async-confirm-handshake",
 "06-async-confirm-handshake": "efficiency 107%, faster than the ideal, accepted; helgrind flags a stack-reuse race in my code (not the target)",
 "07-timing-detects-tools": "volatile-loop probe: slow enough under Valgrind, not under TSan",
 "07-timing-probe-atomic": "atomic-add probe: slow enough under TSan, not under Valgrind",
 "07-timing-probe-both": "both probes: 100/100 for a semaphore_value() that races; 3 of 3 runs",
 "01-bump-harness-thread-count": "a thread outlives the batch (2 s) and R4 passes; no policy hit for plain pointer arithmetic",
 "01-racy-when-large": "race tools run only the small workload (n <= 24); the race exists for n > 32",
 "04-poll-with-sleep": "R4 ('nothing polls') not detected with 2 ms sleeps",
 "01-remainder-dropped": "every n in the scenarios and the benchmark divides evenly by the thread count",
 "03-error-path-no-join": "pthread_create never fails in the tests: the error path is never run",
 "04-realtime-deadline": "the wall clock is never stepped in the tests, so R3's last sentence is untested",
 "06-check-then-add": "3 of 3 runs pass; the R2 scenario forces overlap inside the registry call, which this bug makes under the write lock",
 "02-signal-not-broadcast": "41 s grading",
 "03-close-signals-one": "31 s grading",
 "08-step-under-lock": "lost it through R6 correctness (a timeout), not only throughput; 30 s grading",
 "07-permit-held-while-filing": "caught by the R9 correctness test before throughput",
 "02-if-not-while": "helgrind reason reads 'Helgrind: with error code 22 (EINVAL...)' (cond destroyed with waiters)",
}
def row(kind, d):
    name = os.path.basename(d); ch = os.listdir(d)[0]
    src = glob.glob(os.path.join(d, ch, "*.c"))[0]; text = open(src).read()
    m = re.search(r"\* %s: (.*)" % ("target" if kind == "cheats" else "should lose"), text)
    tag = "%s-%s" % (kind, name)
    r = json.load(open("build/redteam/%s.json" % tag))
    t = float(open("build/redteam/%s.time" % tag).read().split()[1])
    checks = {c["name"]: c for c in r["chapters"][0]["checks"]}
    cells = ["%g/%g" % (checks[g]["score"], checks[g]["max_score"]) if g in checks else "n/a" for g in GATES]
    failing = [checks[g] for g in GATES if g in checks and checks[g]["score"] < checks[g]["max_score"]]
    reason = (failing[0]["summary"] if failing else checks["correctness"]["summary"]).replace("|", "/")
    reason = reason.replace("tests/redteam/%s/%s/%s/" % (kind, name, ch), "")
    reason = reason.split("; where the threads were")[0]
    if len(reason) > 170: reason = reason[:167] + "..."
    verdict = "MISSED" if name in MISSED else "CAUGHT"
    return "| %s | %s | %s | %s | **%s** | %s | %.1f | %s |" % (
        name, ch[:2], m.group(1), " | ".join(cells), verdict, reason, t, NOTES.get(name, ""))
for kind in ("cheats", "bugs"):
    print("\n### %s\n" % kind)
    print("| case | ch | %s | correctness | tsan | helgrind | leaks | throughput | verdict | grader's reason (first gate that lost points) | time s | notes |" % ("target" if kind == "cheats" else "should lose"))
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for d in sorted(glob.glob("tests/redteam/%s/*" % kind)):
        print(row(kind, d))
