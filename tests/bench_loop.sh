#!/bin/bash
# bench_loop.sh - make bench-loop: the learner's loop, timed (a benchmark, not
# a test: it asserts nothing, it reports). Median of RUNS (default 5):
#  (a) make watch: from a save to the first gate line on the screen, and to
#      the chapter's total, for a chapter whose tests pass (CH, default 01,
#      with its reference in place);
#  (b) the whole book: make grade SUBMISSION=solutions, wall time;
#  (c) where one grading of CH's reference spends its time (the grader's
#      TC_TRACE_TIMES trace of the median run: each step, and the processes
#      it ran by kind, with the wall time each kind took in all).
# PARTS (default "watch book trace") picks some of them.
# Results go to stdout and to build/bench-loop.txt.
. "$(dirname "$0")/learn/common.sh"
runs=${RUNS:-5}
parts=" ${PARTS:-watch book trace} "
ch=$(cd "$ROOT/chapters" && ls -d "${CH:-01}"* | head -n 1)
copy=$(new_copy)
out="$copy/build/watch.out"
pid=""
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$copy" "$copy".*; }
trap cleanup EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
wanted() { [[ "$parts" == *" $1 "* ]]; }
# Waits until the watch output has $2 lines matching $1 (up to 300 s).
wait_count() {
	for ((i = 0; i < 3000; i++)); do
		[ "$(grep -c -- "$1" "$out" 2>/dev/null || true)" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# (a) make watch: RUNS saves of the reference, each timed to its lines.
bench_watch() {
	local file r lines f t
	file=$(ls "$copy/chapters/$ch"/*.c)
	cp "$ROOT/solutions/$ch/$(basename "$file")" "$file"
	cd "$copy" || exit 1
	THREADCLINIC_WATCH_STAMPS=1 build/bin/learn watch "$ch" --stay >"$out" 2>&1 &
	pid=$!
	wait_count 'watching ' 1 || { echo "bench-loop: watch did not grade"; exit 1; }
	for ((r = 1; r <= runs; r++)); do
		sleep 1
		t0=$(now)
		cat "$ROOT/solutions/$ch/$(basename "$file")" >"$file"	# the save
		wait_count 'watching ' $((r + 1)) || { echo "bench-loop: no verdict after save $r"; exit 1; }
		# The lines of this grading: after the r-th "watching" line.
		lines=$(awk -v n="$r" '/watching /{ c++; next } c == n' "$out")
		f=$(echo "$lines" | grep -m1 -E '^\[[0-9.]+\]   (correctness|tsan|helgrind|leaks|throughput) ' | sed 's/^\[\([0-9.]*\)\].*/\1/')
		t=$(echo "$lines" | grep -m1 -E '^\[[0-9.]+\]   total ' | sed 's/^\[\([0-9.]*\)\].*/\1/')
		first+=("$(echo "$f - $t0" | bc -l)")
		total+=("$(echo "$t - $t0" | bc -l)")
		printf '  save %d: first gate line %.2f s, chapter total %.2f s\n' "$r" "${first[-1]}" "${total[-1]}"
	done
	kill -INT "$pid"; wait "$pid" 2>/dev/null; pid=""
	cd "$ROOT" || exit 1
}

# (b) The whole book, RUNS times.
bench_book() {
	local r t0
	for ((r = 1; r <= runs; r++)); do
		t0=$(now)
		make --no-print-directory -s grade SUBMISSION=solutions >"$copy.book.out" 2>&1
		book+=("$(echo "$(now) - $t0" | bc -l)")
		printf '  whole book %d: %.1f s (%s)\n' "$r" "${book[-1]}" "$(grep -E '^TOTAL' "$copy.book.out" | tr -s ' ')"
	done
}

# (c) RUNS traced gradings of CH's reference; the breakdown of the median one.
bench_trace() {
	local r mid ends=()
	for ((r = 1; r <= runs; r++)); do
		TC_TRACE_TIMES=1 build/bin/grade --root . -C "$ch" --submission solutions \
			>/dev/null 2>"$copy.trace.$r"
		ends+=("$(awk '/^\[trace\]/ { t = $2 } END { print t }' "$copy.trace.$r") $r")
	done
	mid=$(printf '%s\n' "${ends[@]}" | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2) { print $2 }')
	breakdown=$(awk '
		/^\[trace\]/ && !/ ran / { printf "  at %6.2f s  %s\n", $2, substr($0, index($0, $3)) }
		/ ran / { kind = $6; sub(/.*\//, "", kind); n[kind]++; s[kind] += $4 }
		END { for (k in n) printf "  processes: %-16s %3d runs, %6.2f s in all\n", k, n[k], s[k] }
	' "$copy.trace.$mid")
}

first=() total=() book=() breakdown=""
cd "$ROOT" || exit 1
wanted watch && bench_watch
wanted book && bench_book
wanted trace && bench_trace
{
	echo "bench-loop $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
	if wanted watch; then
		printf 'watch %s, save to first gate line: median %.2f s of %d\n' "$ch" "$(printf '%s\n' "${first[@]}" | median)" "$runs"
		printf 'watch %s, save to chapter total:   median %.2f s of %d\n' "$ch" "$(printf '%s\n' "${total[@]}" | median)" "$runs"
	fi
	wanted book &&
		printf 'make grade SUBMISSION=solutions:    median %.1f s of %d\n' "$(printf '%s\n' "${book[@]}" | median)" "$runs"
	wanted trace &&
		printf 'one grading of %s (reference), the median of %d, step by step:\n%s\n' "$ch" "$runs" "$breakdown"
} | tee "$ROOT/build/bench-loop.txt"
