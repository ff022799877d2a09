#!/bin/bash
# learn_watch.sh - make watch in a real terminal (tmux): a starter graded
# FAIL, the reference saved over it in a burst of writes, PASS without a
# restart (one grading for the burst), the notes and the next chapter, then
# Ctrl-C in the middle of a grading and no process of the copy left.
. "$(dirname "$0")/learn/common.sh"
ch=01-serial-to-parallel
copy=$(new_copy)
sock="threadclinic-watch-$$"
log="$copy/build/watch.log"
tm() { tmux -L "$sock" "$@"; }
screen() { tm capture-pane -p -t w 2>/dev/null; }
# Waits up to $2 seconds for the visible screen to match $1.
wait_screen() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		screen | grep -qE "$1" && return 0
		sleep 0.2
	done
	echo "---- screen (waiting for: $1) ----"; screen | grep -v '^$' | tail -n 25
	return 1
}
cleanup() { tm kill-server 2>/dev/null; rm -rf "$copy"; }
trap cleanup EXIT

echo "learn_watch: make watch in tmux ($copy)"
cd "$ROOT" || exit 1
tm new-session -d -s w -x 200 -y 100 -c "$copy" \
	"trap 'echo' INT; THREADCLINIC_WATCH_LOG=$log make --no-print-directory watch CH=01; echo WATCH-EXIT=\$?; sleep 120"
check "the starter is graded on start: FAIL on the screen" \
	"wait_screen 'correctness +FAIL' 90 && wait_screen 'total +0/100' 90"
check "the grader's lines show which file is watched" "screen | grep -q 'make watch: chapters/$ch/clean.c'"
sleep 0.5
before=$(grep -c "grade $ch" "$log")
# A save burst: an editor's write, a rename-save, a second write.
cp "$ROOT/solutions/$ch/clean.c" "$copy/chapters/$ch/clean.c"
cp "$ROOT/solutions/$ch/clean.c" "$copy/chapters/$ch/.clean.c.swp-new" &&
	mv "$copy/chapters/$ch/.clean.c.swp-new" "$copy/chapters/$ch/clean.c"
cat "$ROOT/solutions/$ch/clean.c" >"$copy/chapters/$ch/clean.c"
check "FAIL turns to PASS without a restart" \
	"wait_screen '$ch is at full marks' 90 && screen | grep -qE 'correctness +PASS +40/40' && ! screen | grep -q 'correctness +FAIL'"
after=$(grep -c "grade $ch" "$log")
check "one grading for a burst of three writes (debounced): $((after - before))" "[ $((after - before)) -eq 1 ]"
check "at full marks: the chapter's notes (this copy has solutions/)" "screen | grep -q 'Why it broke'"
check "at full marks: the next chapter is named" "screen | grep -q 'Next: 02-waitgroups'"
check "progress has the full marks" "grep -q '\"best\": 100' '$copy/.threadclinic/progress.json'"
# Enter grades the next chapter; Ctrl-C in the middle of that grading.
tm send-keys -t w Enter
check "Enter grades the next chapter" "wait_screen 'grading 02-waitgroups' 30"
# Ctrl-C while the chapter's tests run (02's starter hangs: they would run on
# until the grader's timeout, which never comes once the grader is gone).
running=""
for ((i = 0; i < 300; i++)); do
	running=$(strays "$copy" | grep -e '/bin/suite' -e 'boxfort' -e 'valgrind' -e '_driver')
	[ -n "$running" ] && break
	sleep 0.1
done
check "the chapter's tests run before Ctrl-C: $(echo "$running" | grep -c .) process(es)" "[ -n \"\$running\" ]"
echo "$running" | sed 's/^/        /' | cut -c1-110
tm send-keys -t w C-c
check "Ctrl-C leaves watch" "wait_screen 'WATCH-EXIT=' 20 && screen | grep -q 'watch: bye'"
# watch returns only once every descendant is gone: no grace period here.
left=$(strays "$copy" | grep -v -e "tmux -L $sock" -e "trap 'echo' INT" -e 'sleep 120')
check "no process of the copy left after Ctrl-C${left:+: $left}" "[ -z \"\$left\" ]"
[ $failures -eq 0 ] && echo "learn_watch: all passed" || echo "learn_watch: $failures failed"
[ $failures -eq 0 ]
