#!/usr/bin/env bash
# feedback.sh - what the grader tells a learner about a failing program
#
# Grades the fixtures in tests/feedback/<chapter>/ (whole learner files, like
# the zoo's) and checks the words of the feedback, not only the scores:
#   - the learner's own output, labelled, prefixed and cleaned, capped
#     unless -v (issue 11, finding 1);
#   - TEST= runs only the scenarios asked for and says it was partial
#     (finding 2);
#   - a crash names its likely cause and the learner's own frame, never a
#     glibc internal name, never "waiting" for a crashed thread (finding 3);
#   - a throughput FAIL says what the measurements point to (finding 8).
# Usage: tests/feedback.sh [NAME...]   (NAME: a case below; default all)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/threadclinic-feedback-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { echo "ok   $1"; passed=$((passed + 1)); }
bad() { echo "FAIL $1"; failed=$((failed + 1)); }

# grade CHAPTER FIXTURE OUT [grader options...]: grades tests/feedback/CHAPTER/FIXTURE
# (a .c file; zoo/NAME: tests/zoo/CHAPTER/NAME; solution; starter) as the
# chapter's learner file;
# the output goes to OUT.
grade() {
	local ch=$1 fixture=$2 out=$3 file
	shift 3
	file=$(cd "$top/chapters/$ch" && ls *.c)
	rm -rf "$tmp/sub" && mkdir -p "$tmp/sub/$ch"
	case $fixture in
	zoo/*) cp "$top/tests/zoo/$ch/${fixture#zoo/}" "$tmp/sub/$ch/$file" ;;
	solution) cp "$top/solutions/$ch/$file" "$tmp/sub/$ch/$file" ;;
	starter) cp "$top/chapters/$ch/$file" "$tmp/sub/$ch/$file" ;;
	*) cp "$top/tests/feedback/$ch/$fixture" "$tmp/sub/$ch/$file" ;;
	esac
	"$top/build/bin/grade" --root "$top" --build "$tmp/build" -s "$tmp/sub" -C "$ch" \
		--seed off "$@" >"$out" 2>&1
}

# expect NAME FILE REGEX: FILE has a line matching REGEX (grep -E).
expect() {
	if grep -qE -- "$3" "$2"; then ok "$1"; else bad "$1 (no line matches /$3/)"; fi
}

# refuse NAME FILE REGEX: no line of FILE matches REGEX.
refuse() {
	if grep -qE -- "$3" "$2"; then
		bad "$1 (a line matches /$3/: $(grep -m1 -E -- "$3" "$2"))"
	else
		ok "$1"
	fi
}

case_output() {
	local out=$tmp/output.txt all=$tmp/output-all.txt
	grade 01-serial-to-parallel prints.c "$out"
	expect "output: labelled as the learner's" "$out" '^        your program printed:$'
	expect "output: stderr shown, prefixed" "$out" '^        \| debug: clean_records n=[0-9]+ parallelism=[0-9]+$'
	expect "output: escape sequences and bells dropped" "$out" '^        \| red and a bell$'
	refuse "output: no control character reaches the terminal" "$out" $'[\x01-\x08\x0b-\x1f\x7f]'
	refuse "output: cannot forge a grader line" "$out" '^  correctness  PASS'
	expect "output: capped at 40 lines per test" "$out" '^        \| \.\.\. and [0-9]+ more lines \(VERBOSE=1 shows all of it\)$'
	refuse "output: capped (line 60 not shown)" "$out" 'line 60 of 60'
	grade 01-serial-to-parallel prints.c "$all" -v
	expect "output: -v shows all of it" "$all" '^        \| line 60 of 60$'
	refuse "output: -v leaves nothing out" "$all" 'more lines \(VERBOSE=1'
}

case_throughput() {
	local out=$tmp/throughput.txt
	grade 03-worker-pool zoo/store-under-lock.c "$out"
	expect "throughput: a lock across the call reads as serialised" "$out" \
		'likely cause: your code ran only [0-9.]+x as fast as the serial baseline.*lock held across the service call'
	expect "throughput: one connection at a time is below the limit" "$out" \
		'likely cause: at most 1 call was in flight at once, of the 8 allowed'
	grade 03-worker-pool half-the-workers.c "$out"
	expect "throughput: half the workers is below the limit" "$out" \
		'likely cause: at most 4 calls were in flight at once, of the 8 allowed'
	refuse "throughput: half the workers is not serialised" "$out" 'calls went one at a time'
	grade 01-serial-to-parallel zoo/serial.c "$out"
	expect "throughput: one thread reads as serialised" "$out" 'likely cause: your code ran only'
}

case_test() {
	local out=$tmp/test.txt
	grade 03-worker-pool solution "$out" --test jobs_come_out_in_order_once_each -r "$tmp/p.json"
	expect "TEST=name: runs that scenario alone" "$out" '^  correctness  PASS  40/40  1 of 1 tests pass'
	expect "TEST=name: the race gates run it too" "$out" '^  helgrind     PASS  15/15  no Helgrind error \(1 scenarios'
	expect "TEST=name: no throughput, and says so" "$out" '^  throughput   --  .*not measured in a partial run'
	expect "TEST=name: the total says it is not a grade" "$out" '^  total        [0-9]+/100 \(partial run: not a grade\)$'
	expect "TEST=name: the closing line says partial" "$out" '^partial run \(TEST=jobs_come_out_in_order_once_each\)'
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d.get("partial") is True else 1)' "$tmp/p.json"; then
		ok "TEST=name: the JSON report is marked partial"
	else
		bad "TEST=name: the JSON report is marked partial"
	fi
	grade 03-worker-pool starter "$out" --test R4
	expect "TEST=clause: R4 runs R4a" "$out" 'FAIL close_wakes_every_blocked_worker \(R4a\)'
	expect "TEST=clause: R4 runs R4b" "$out" 'FAIL close_wakes_a_blocked_producer \(R4b\)'
	expect "TEST=clause: nothing else" "$out" '^  correctness  FAIL   0/40  2 of 2 tests fail'
	grade 03-worker-pool starter "$out" --test no_such_test
	expect "TEST=unknown: lists the scenarios" "$out" 'TEST=no_such_test names no scenario of this chapter; its scenarios are:'
	if "$top/build/bin/grade" --root "$top" --build "$tmp/build" -C 03 --test R4 \
		--gradescope "$tmp/gs.json" >"$out" 2>&1; then
		bad "TEST=: refuses to write a Gradescope result"
	else
		ok "TEST=: refuses to write a Gradescope result"
	fi
	if "$top/build/bin/grade" --root "$top" --build "$tmp/build" -C 03 --test R4 \
		--junit "$tmp/junit.xml" >"$out" 2>&1 || [ -e "$tmp/junit.xml" ]; then
		bad "TEST=: refuses to write a JUnit report (its passes would read as a grade)"
	else
		ok "TEST=: refuses to write a JUnit report (its passes would read as a grade)"
	fi
}

case_harness() {
	local out=$tmp/harness.txt
	grade 09-fan-out-fan-in slow-return-recv.c "$out" --test handoff_under_contention
	expect "harness: a receiver slow to return after the hand-off is not a lost item" "$out" \
		'^  correctness  PASS  40/40  1 of 1 tests pass'
	# Correct programs slower or later where the contract allows (scenario audit).
	grade 02-waitgroups late-waiter.c "$out" --test reuse_at_once_releases_every_waiter
	expect "harness: a waiter that calls wait late is not counted as blocked" "$out" \
		'^  correctness  PASS  40/40  1 of 1 tests pass'
	grade 04-context-cancellation group-cancels-after-10ms.c "$out" --test group_returns_first_error
	expect "harness: siblings stopped within R7c's 50 ms pass" "$out" \
		'^  correctness  PASS  40/40  1 of 1 tests pass'
	grade 04-context-cancellation slow-child-init.c "$out" --test first_cause_wins
	expect "harness: a slow ctx_init() does not turn the parent's first cause around" "$out" \
		'^  correctness  PASS  40/40  1 of 1 tests pass'
	grade 12-single-flight slow-hit.c "$out" --test answers_kept_for_ttl
	expect "harness: a hit slower than the sleep's overshoot is still judged by R3" "$out" \
		'^  correctness  PASS  40/40  1 of 1 tests pass'
}

case_points() {
	local out=$tmp/points.txt
	grade 01-serial-to-parallel empty.c "$out"
	expect "points: doing only what the starter does earns nothing" "$out" \
		'^  correctness  FAIL   0/40  4 of 7 tests fail \(0 of the 4 that count for points pass\)'
	grade 03-worker-pool zoo/close-twice-keeps-lock.c "$out"
	expect "points: breaking what the starter did costs, the rest keeps its points" "$out" \
		'^  correctness  FAIL  36/40  1 of 13 tests fail \(9 of the 10 that count for points pass\)'
	expect "points: throughput still waits for all of correctness" "$out" \
		'^  throughput   --     0/15  not measured until correctness passes'
	grade 03-worker-pool zoo/push-forgets-not-empty.c "$out"
	expect "points: a partly correct program earns some correctness points" "$out" \
		'^  correctness  FAIL  +[1-9][0-9]?/40'
	refuse "points: no race or leak gate scores before correctness passes" "$out" \
		'^  (tsan|helgrind|leaks) +(PASS|HELD) +[1-9]'
}

case_crash() {
	local out=$tmp/crash.txt
	grade 01-serial-to-parallel returned-stack.c "$out"
	expect "crash: the crashed thread is named as crashed, at the learner's line" "$out" \
		'clean_thread\(\) at [^ ]*clean\.c:[0-9]+, crashed in pthread_mutex_lock'
	expect "crash: a thread's argument on a returned stack is named" "$out" \
		'likely cause: .*Did you join before returning\?'
	refuse "crash: a crashed thread is never called waiting" "$out" 'crashed.*waiting|waiting.*crashed'
	expect "crash: the joining thread is in pthread_join (its public name)" "$out" \
		'clean_records\(\) at [^ ]*clean\.c:[0-9]+, waiting in pthread_join$'
	refuse "crash: no glibc or wrapper internal names" "$out" \
		'pthread_clockjoin_ex|futex_|pthread_cond_wait_common|lll_lock|wrap_pthread|__pthread'
	grade 01-serial-to-parallel destroyed-mutex.c "$out"
	expect "tsan: an invalid mutex shows the learner's file:line" "$out" \
		'^  tsan .*use of an invalid mutex at [^ ]*clean\.c:[0-9]+'
	expect "tsan: an invalid mutex names the likely cause" "$out" \
		'likely cause: the mutex is destroyed or was never initialised'
	refuse "tsan: not 'outside your file' when a frame is the learner's" "$out" 'outside your file'
	grade 01-serial-to-parallel stack-overflow.c "$out"
	expect "crash: a stack overflow (killed before the harness could report) is a crash" "$out" \
		'crashed: the test.s process was killed by a signal .*stack overflow'
	refuse "crash: a stack overflow is not 'ended early (exit()?)'" "$out" 'exit\(\) or _exit\(\) in your code'
}

cases=${*:-output test points crash throughput harness}
for c in $cases; do
	"case_$c"
done
echo "feedback: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
